"""Scoring attribution predictions against PolNeAR-style records.

Scoring rules (:func:`score_attribution`), micro over documents (one item = one document,
offsets into its text):

* spans, per role (source, cue, content): the set of distinct gold spans of that role in the
  document against the set of distinct predicted ones (a source shared by two relations
  counts once). ``exact``: identical offsets (:func:`diplolex.metrics.span_prf_exact`).
  ``overlap``: the PARC 3.0 lenient match, a predicted span matches a gold span of the same
  role when they share at least one token, one-to-one, greedy
  (:func:`diplolex.metrics.span_prf_overlap_binary`).
* relations: ``(source | None, cue, content)`` triples (:func:`diplolex.metrics.relation_prf`);
  ``exact`` needs all three identical (``None`` only with ``None``), ``overlap`` needs each
  role to share a token (``None`` with ``None``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from diplolex import metrics
from diplolex.tasks.attribution.prediction import AttributionPrediction

ROLES = ("source", "cue", "content")


@dataclass(frozen=True)
class AttributionScores:
    """Span and relation figures on one set of documents (see the module docstring)."""

    source_exact: metrics.PRF
    source_overlap: metrics.PRF
    cue_exact: metrics.PRF
    cue_overlap: metrics.PRF
    content_exact: metrics.PRF
    content_overlap: metrics.PRF
    relation_exact: metrics.PRF
    relation_overlap: metrics.PRF
    documents: int
    gold_relations: int

    def selection_score(self) -> float:
        """What training maximises on dev: mean of the overlap F1s of the roles and relations."""
        return (
            self.source_overlap.f1
            + self.cue_overlap.f1
            + self.content_overlap.f1
            + self.relation_overlap.f1
        ) / 4 + self.relation_exact.f1 / 4

    def summary(self) -> str:
        parts = []
        for name in (*ROLES, "relation"):
            exact, overlap = getattr(self, f"{name}_exact"), getattr(self, f"{name}_overlap")
            parts.append(f"{name} {exact.f1:.3f}/{overlap.f1:.3f}")
        return "F1 exact/overlap: " + " | ".join(parts)

    def rows(self) -> list[tuple[str, metrics.PRF]]:
        return [
            (f"{name} {mode}", getattr(self, f"{name}_{mode}"))
            for name in (*ROLES, "relation")
            for mode in ("exact", "overlap")
        ]

    def to_dict(self) -> dict:
        return asdict(self)


def _pair(span: dict | None) -> tuple[int, int] | None:
    return None if span is None else (span["start"], span["end"])


def score_attribution(
    records: Sequence[dict], predictions: Sequence[Sequence[AttributionPrediction]]
) -> AttributionScores:
    """Score predictions (one list per record, same order) with the module's rules."""
    if len(records) != len(predictions):
        raise ValueError(f"{len(predictions)} predictions for {len(records)} records")
    texts = [r["text"] for r in records]
    figures = {}
    for role in ROLES:
        gold = [
            {(role, *_pair(a[role])) for a in r["attributions"] if a[role] is not None}
            for r in records
        ]
        pred = [
            {(role, *getattr(p, role)) for p in preds if getattr(p, role) is not None}
            for preds in predictions
        ]
        figures[f"{role}_exact"] = metrics.span_prf_exact(gold, pred)
        figures[f"{role}_overlap"] = metrics.span_prf_overlap_binary(gold, pred, texts)
    gold_rel = [
        [(_pair(a["source"]), _pair(a["cue"]), _pair(a["content"])) for a in r["attributions"]]
        for r in records
    ]
    pred_rel = [[(p.source, p.cue, p.content) for p in preds] for preds in predictions]
    figures["relation_exact"] = metrics.relation_prf(gold_rel, pred_rel, texts, mode="exact")
    figures["relation_overlap"] = metrics.relation_prf(gold_rel, pred_rel, texts, mode="overlap")
    return AttributionScores(
        documents=len(records),
        gold_relations=sum(len(r["attributions"]) for r in records),
        **figures,
    )
