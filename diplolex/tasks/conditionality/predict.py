"""Turning the conditionality head's outputs into conditionals with exact character spans."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from diplolex.component import Run, TaskModel
from diplolex.encoder import EncodedBatch, SharedEncoder, length_batches
from diplolex.spans import (
    bio_to_char_spans,
    clean_span,
    glued_to_previous,
    snap_to_words,
    viterbi_bio,
)
from diplolex.tasks.conditionality.model import (
    CUE_LABELS,
    SPAN_LABELS,
    ConditionalityConfig,
    ConditionalityHead,
)
from diplolex.types import (
    CONDITIONAL_TYPES,
    Conditional,
    ConditionalType,
    Document,
    Offsets,
    Sentence,
    span_at,
)


@dataclass(frozen=True)
class ConditionalPrediction:
    """One construction, with offsets relative to its sentence."""

    type: ConditionalType
    type_score: float
    score: float
    cue: Offsets | None
    condition: Offsets
    consequence: Offsets | None


@dataclass(frozen=True)
class SentenceConditionality:
    """The conditionality analysis of one sentence."""

    conditional: bool
    score: float
    counterfactual_score: float
    conditionals: list[ConditionalPrediction]


@dataclass
class _Token:
    offsets: Offsets
    window: int
    position: int
    span_probs: torch.Tensor
    cue_probs: torch.Tensor


class ConditionalityModel(TaskModel):
    """The conditionality analysis: a head on the shared encoder plus its decoding rules.

    Args:
        head: the trained :class:`ConditionalityHead`.
        config: its :class:`ConditionalityConfig` (holds the decision threshold).
    """

    name = "conditionality"
    head_class = ConditionalityHead
    config_class = ConditionalityConfig

    def predict_texts(
        self,
        encoder: SharedEncoder,
        texts: list[str],
        batch_size: int = 32,
        decode_all: bool = False,
    ) -> list[SentenceConditionality]:
        """Analyse each text as one sentence (no segmentation), in length-sorted batches.

        ``decode_all`` extracts constructions from every sentence, not only from those above
        the threshold: for inputs known to be conditional (e.g. SemEval-2020 task 5 subtask 2).

        Example:
            >>> model = diplolex.load().model("conditionality")
            >>> model.predict_texts(SharedEncoder(), ["Aid flows if talks resume."])
        """
        results: list[SentenceConditionality | None] = [None] * len(texts)
        for idx in length_batches(encoder.piece_counts(texts), batch_size):
            chunk = [texts[i] for i in idx]
            for i, result in zip(idx, self.predict(encoder.encode(chunk), chunk, decode_all)):
                results[i] = result
        return results  # type: ignore[return-value]

    def read_batch(self, batch: EncodedBatch, texts: list[str]) -> list[SentenceConditionality]:
        """The analysis of each sentence of a shared-pass batch (:meth:`predict`)."""
        return self.predict(batch, texts)

    def annotate(self, doc: Document, found: list[SentenceConditionality], run: Run) -> Document:
        """``doc`` with each sentence's flag and score, and its conditionals, filled in."""
        sentences, conditionals = [], []
        for sentence, analysis in zip(doc.sentences, found):
            sentences.append(
                Sentence(
                    sentence.start, sentence.end, sentence.text,
                    analysis.conditional, round(analysis.score, 4),
                )
            )  # fmt: skip
            for c in analysis.conditionals:
                conditionals.append(
                    Conditional(
                        type=c.type,
                        type_score=round(c.type_score, 4),
                        score=round(c.score, 4),
                        cue=span_at(doc.text, sentence.start, c.cue),
                        condition=span_at(doc.text, sentence.start, c.condition),
                        consequence=span_at(doc.text, sentence.start, c.consequence),
                    )
                )
        return dataclasses.replace(doc, sentences=sentences, conditionals=conditionals)

    def predict(
        self, batch: EncodedBatch, texts: list[str], decode_all: bool = False
    ) -> list[SentenceConditionality]:
        """Analyse every text of ``batch`` (``texts`` are the encoded texts, in order).

        A sentence is flagged ``conditional`` when its score reaches the threshold **and** a
        construction (a condition span) is decoded in it: a flag always comes with at least
        one conditional. The score stays the sentence head's probability.
        """
        word_mask = batch.word_mask().to(batch.attention_mask.device)
        with torch.inference_mode():
            out = self.head(batch.hidden_states, batch.attention_mask, word_mask)
            span_probs = out.span_logits.softmax(-1).cpu()
            cue_probs = out.cue_logits.softmax(-1).cpu()
            conditional = torch.sigmoid(out.conditional_logit).cpu()
            counterfactual = torch.sigmoid(out.counterfactual_logit).cpu()

        windows_of: dict[int, list[int]] = {}
        for w, i in enumerate(batch.text_index):
            windows_of.setdefault(i, []).append(w)

        scores: list[tuple[float, float]] = []
        pending: list[tuple[int, Offsets, Offsets | None, int, float, Offsets | None]] = []
        for i, text in enumerate(texts):
            windows = windows_of.get(i, [])
            score = float(conditional[windows].max()) if windows else 0.0
            cf_score = float(counterfactual[windows].max()) if windows else 0.0
            if decode_all or score >= self.config.threshold:
                tokens = [
                    _Token(off, w, t, span_probs[w, t], cue_probs[w, t])
                    for w in windows
                    for t, off in enumerate(batch.offsets[w])
                    if off is not None
                ]
                for condition, consequence, cond_score, cue in _decode_constructions(text, tokens):
                    window = _window_of(tokens, condition)
                    pending.append((i, condition, consequence, window, cond_score, cue))
            scores.append((score, cf_score))

        decoded = {p[0] for p in pending}
        results = [
            SentenceConditionality(score >= self.config.threshold and i in decoded, score, cf, [])
            for i, (score, cf) in enumerate(scores)
        ]
        for (i, condition, consequence, _, cond_score, cue), (label, p) in zip(
            pending, self._types(out.states, batch, word_mask, pending)
        ):
            results[i].conditionals.append(
                ConditionalPrediction(label, p, cond_score, cue, condition, consequence)
            )
        return results

    def _types(
        self,
        states: torch.Tensor,
        batch: EncodedBatch,
        word_mask: torch.Tensor,
        pending: list,
    ) -> list[tuple[ConditionalType, float]]:
        if not pending:
            return []
        windows = [p[3] for p in pending]
        cond_mask = torch.zeros(len(pending), states.shape[1], dtype=torch.bool)
        cons_mask = torch.zeros_like(cond_mask)
        for row, (_, condition, consequence, w, _, _) in enumerate(pending):
            for t, off in enumerate(batch.offsets[w]):
                if off is None:
                    continue
                cond_mask[row, t] = _overlaps(off, condition)
                cons_mask[row, t] = consequence is not None and _overlaps(off, consequence)
        device = states.device
        with torch.inference_mode():
            logits = self.head.type_logits(
                states[windows], cond_mask.to(device), cons_mask.to(device), word_mask[windows]
            )
        probs = logits.softmax(-1).cpu()
        best = probs.argmax(-1).tolist()
        return [(CONDITIONAL_TYPES[b], float(probs[r, b])) for r, b in enumerate(best)]


def _overlaps(a: Offsets, b: Offsets) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _window_of(tokens: list[_Token], span: Offsets) -> int:
    return next(t.window for t in tokens if _overlaps(t.offsets, span))


def _tidy(text: str, start: int, end: int) -> Offsets | None:
    start, end = snap_to_words(text, start, end)
    start, end = clean_span(text, start, end)
    return (start, end) if end > start else None


def _tagged_spans(text: str, tokens: list[_Token], probs: list[torch.Tensor], labels) -> list:
    """Spans of the best valid BIO sequence, each scored by its tokens' mean probability."""
    if not tokens:
        return []
    stacked = torch.stack(probs)
    offsets = [t.offsets for t in tokens]
    tags = viterbi_bio(stacked.clamp_min(1e-9).log().tolist(), glued_to_previous(text, offsets))
    scores = [float(stacked[t, tag]) for t, tag in enumerate(tags)]
    spans = []
    for label, start, end, score in bio_to_char_spans(tags, offsets, labels, scores):
        tidy = _tidy(text, start, end)
        if tidy:
            spans.append((label, tidy, score))
    return spans


def _decode_constructions(
    text: str, tokens: list[_Token]
) -> list[tuple[Offsets, Offsets | None, float, Offsets | None]]:
    """Pair each tagged condition with the nearest consequence and the cue it holds.

    A condition takes the closest consequence that does not overlap it (several conditions may
    share one consequence). Its cue is a tagged cue inside the condition, else the nearest
    tagged cue outside any condition, else ``None``.
    """
    spans = _tagged_spans(text, tokens, [t.span_probs for t in tokens], SPAN_LABELS)
    cues = [s for _, s, _ in _tagged_spans(text, tokens, [t.cue_probs for t in tokens], CUE_LABELS)]
    conditions = [(s, p) for label, s, p in spans if label == "condition"]
    consequences = [s for label, s, _ in spans if label == "consequence"]
    free_cues = [c for c in cues if not any(_overlaps(c, cond) for cond, _ in conditions)]

    constructions = []
    for condition, score in conditions:
        consequence = min(
            (c for c in consequences if not _overlaps(c, condition)),
            key=lambda c: _gap(c, condition),
            default=None,
        )
        inner = [c for c in cues if _overlaps(c, condition)]
        cue = inner[0] if inner else min(free_cues, key=lambda c: _gap(c, condition), default=None)
        constructions.append((condition, consequence, score, cue))
    return constructions


def _gap(a: Offsets, b: Offsets) -> int:
    return max(a[0] - b[1], b[0] - a[1], 0)
