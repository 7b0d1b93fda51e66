"""Scoring conditionality predictions against records of the conditionality schema."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from diplolex import metrics
from diplolex.tasks.conditionality.predict import SentenceConditionality


@dataclass(frozen=True)
class ConditionalityScores:
    """Sentence, span and type figures on one dataset.

    Span figures cover the records whose spans are complete; ``*_exact`` needs identical
    offsets, ``*_overlap`` is token-level soft F1 (see :func:`diplolex.metrics.span_token_f1`).
    Type accuracy is over gold constructions whose condition overlaps a predicted condition
    (``type_matched`` of ``type_total``), comparing the predicted type of that construction.
    """

    sentence: metrics.PRF
    condition_exact: metrics.PRF
    condition_overlap: metrics.PRF
    consequence_exact: metrics.PRF
    consequence_overlap: metrics.PRF
    type_accuracy: float
    type_matched: int
    type_total: int
    sentences: int

    def selection_score(self) -> float:
        """What training maximises on dev: sentence F1 plus the two overlap span F1s."""
        return (self.sentence.f1 + self.condition_overlap.f1 + self.consequence_overlap.f1) / 3

    def summary(self) -> str:
        return (
            f"sentence F1 {self.sentence.f1:.3f} (P {self.sentence.precision:.3f} "
            f"R {self.sentence.recall:.3f}) | condition F1 exact {self.condition_exact.f1:.3f} "
            f"overlap {self.condition_overlap.f1:.3f} | consequence F1 exact "
            f"{self.consequence_exact.f1:.3f} overlap {self.consequence_overlap.f1:.3f} | "
            f"type acc {self.type_accuracy:.3f} ({self.type_matched}/{self.type_total})"
        )

    def to_dict(self) -> dict:
        return asdict(self)


def _span_sets(records: Sequence[dict], predictions: Sequence[SentenceConditionality], role: str):
    gold, pred = [], []
    for record, prediction in zip(records, predictions):
        gold.append(
            {
                (role, c[role]["start"], c[role]["end"])
                for c in record["conditionals"]
                if c[role] is not None
            }
        )
        pred.append(
            {(role, *getattr(c, role)) for c in prediction.conditionals if getattr(c, role)}
        )
    return gold, pred


def score_conditionality(
    records: Sequence[dict], predictions: Sequence[SentenceConditionality]
) -> ConditionalityScores:
    """Score predictions (one per record, same order) with the rules of the class docstring."""
    if len(records) != len(predictions):
        raise ValueError(f"{len(predictions)} predictions for {len(records)} records")
    labelled = [(r, p) for r, p in zip(records, predictions) if r["conditional"] is not None]
    sentence = metrics.binary_prf(
        [bool(r["conditional"]) for r, _ in labelled], [p.conditional for _, p in labelled]
    )
    complete = [(r, p) for r, p in zip(records, predictions) if r["spans_complete"]]
    span_records = [r for r, _ in complete]
    span_predictions = [p for _, p in complete]
    texts = [r["text"] for r in span_records]
    figures = {}
    for role in ("condition", "consequence"):
        gold, pred = _span_sets(span_records, span_predictions, role)
        figures[f"{role}_exact"] = metrics.span_prf_exact(gold, pred)
        figures[f"{role}_overlap"] = metrics.span_token_f1(gold, pred, texts)

    matched = correct = total = 0
    for record, prediction in complete:
        for c in record["conditionals"]:
            if c["type"] is None or c["condition"] is None:
                continue
            total += 1
            gold_span = (c["condition"]["start"], c["condition"]["end"])
            overlapping = [
                p for p in prediction.conditionals if _overlap(p.condition, gold_span) > 0
            ]
            if overlapping:
                matched += 1
                best = max(overlapping, key=lambda p: _overlap(p.condition, gold_span))
                correct += best.type == c["type"]
    return ConditionalityScores(
        sentence=sentence,
        type_accuracy=correct / matched if matched else 0.0,
        type_matched=matched,
        type_total=total,
        sentences=len(records),
        **figures,
    )


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))
