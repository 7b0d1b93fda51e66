"""Turning the attribution head's tags into attributions with exact document offsets.

Decoding, in order:

1. Tag every token of the document (windows of consecutive sentences; each token takes the
   tags of the window whose centre is closest to it) and read the spans of ``cue``
   (:func:`decode_cues`).
2. Point (:func:`point_spans`): in the window that owns a cue's first token, the head scores
   every token as the first or last token of that cue's content and source; the best
   content and the best source (or none) are kept. Edges are tidied: whole words, no outer
   whitespace, no final ``.,;:``, no leading complementizer "that" in a content.
3. Resolve pronoun and bare-title sources to an earlier named mention
   (:mod:`diplolex.tasks.attribution.resolve`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from diplolex.encoder import SharedEncoder
from diplolex.persist import TaskModel
from diplolex.segment import split_sentences
from diplolex.spans import clean_span, snap_to_words
from diplolex.tasks.attribution.model import (
    LABELS,
    NUM_TAGS,
    AttributionConfig,
    AttributionHead,
    DocumentTokens,
    SentenceStates,
    document_tokens,
    owner_windows,
    sentence_states,
    stack_windows,
    window_starts,
)
from diplolex.tasks.attribution.resolve import resolve_sources

SHIPPED_WEIGHTS = Path(__file__).resolve().parents[2] / "weights" / "attribution"

Offsets = tuple[int, int]


@dataclass(frozen=True)
class AttributionPrediction:
    """One attribution, with offsets into the document text.

    ``score`` is the mean tag probability of the cue's tokens times the geometric mean of the
    probabilities of the content's first and last token. ``resolved_source`` is the earlier
    named mention a pronoun or bare-title source refers to (``None`` when the source is a
    name, absent, or the resolver is unsure).
    """

    source: Offsets | None
    cue: Offsets
    content: Offsets
    score: float
    resolved_source: Offsets | None = None
    resolved_score: float | None = None


def encode_documents(
    encoder: SharedEncoder,
    texts: Sequence[str],
    batch_size: int = 32,
    log: Callable[[str], None] | None = None,
    dtype: torch.dtype = torch.float16,
) -> list[DocumentTokens]:
    """Segment ``texts`` and encode their sentences (one encoder pass per sentence batch).

    Sentences of all texts are batched together, shortest first, as the Analyzer does.
    """
    bounds = [split_sentences(t) for t in texts]
    sentences = [(d, k) for d, b in enumerate(bounds) for k in range(len(b))]
    order = sorted(range(len(sentences)), key=lambda i: _length(texts, bounds, sentences[i]))
    states: list[SentenceStates | None] = [None] * len(sentences)
    started = time.monotonic()
    for n, b in enumerate(range(0, len(order), batch_size)):
        idx = order[b : b + batch_size]
        chunk = []
        for i in idx:
            d, k = sentences[i]
            s, e = bounds[d][k]
            chunk.append(texts[d][s:e])
        for i, st in zip(idx, sentence_states(encoder.encode(chunk), len(chunk))):
            states[i] = SentenceStates(st.states.to(dtype).cpu(), st.offsets)
        if log and n % 50 == 0:
            log(f"  encoded {min(b + batch_size, len(order))}/{len(order)} sentences "
                f"({time.monotonic() - started:.0f}s)")  # fmt: skip
    docs, position = [], 0
    for text, b in zip(texts, bounds):
        doc_states = states[position : position + len(b)]
        position += len(b)
        docs.append(document_tokens(text, b, doc_states))  # type: ignore[arg-type]
    return docs


def _length(texts: Sequence[str], bounds: list, item: tuple[int, int]) -> int:
    s, e = bounds[item[0]][item[1]]
    return e - s


class AttributionModel(TaskModel):
    """The attribution analysis: a head on the shared encoder plus its decoding rules.

    Args:
        head: the trained :class:`AttributionHead`.
        config: its :class:`AttributionConfig`.
    """

    name = "attribution"
    head_class = AttributionHead
    config_class = AttributionConfig
    shipped_weights = SHIPPED_WEIGHTS

    @property
    def device(self) -> torch.device:
        return next(self.head.parameters()).device

    def predict_texts(
        self, encoder: SharedEncoder, texts: Sequence[str], batch_size: int = 32
    ) -> list[list[AttributionPrediction]]:
        """Segment, encode and analyse whole documents (offsets index each text).

        Example:
            >>> model = AttributionModel.load()
            >>> encoder = SharedEncoder()
            >>> (a,) = model.predict_texts(encoder, ['"We will not yield," Petrov said.'])[0]
            >>> a.cue
            (29, 33)
        """
        docs = encode_documents(encoder, texts, batch_size)
        return self.predict_tokens(list(texts), docs)

    def predict_document(
        self,
        text: str,
        sentence_bounds: list[tuple[int, int]],
        sentences: list[SentenceStates],
    ) -> list[AttributionPrediction]:
        """Analyse one document from its sentences' states (e.g. the Analyzer's shared pass).

        Args:
            text: the document.
            sentence_bounds: ``(start, end)`` of each sentence in ``text``.
            sentences: per sentence, its :class:`SentenceStates` (see
                :func:`~diplolex.tasks.attribution.model.sentence_states`), offsets relative
                to the sentence.
        """
        return self.predict_tokens([text], [document_tokens(text, sentence_bounds, sentences)])[0]

    def predict_tokens(
        self, texts: list[str], docs: list[DocumentTokens], windows_per_pass: int = 16
    ) -> list[list[AttributionPrediction]]:
        """Analyse documents already turned into token sequences."""
        out = []
        for text, doc in zip(texts, docs):
            relations = self._relations(text, doc, windows_per_pass)
            out.append(resolve_sources(text, doc_sentences(doc, text), relations))
        return out

    def _relations(
        self, text: str, doc: DocumentTokens, windows_per_pass: int
    ) -> list[AttributionPrediction]:
        """Tag the document's windows, read its cues, point from each cue to its spans."""
        n = len(doc.offsets)
        if n == 0:
            return []
        cfg, device = self.config, self.device
        starts = window_starts(n, cfg.window_tokens, cfg.stride)
        owners = torch.tensor(owner_windows(n, starts, cfg.window_tokens))
        plan = [(0, s, min(n, s + cfg.window_tokens)) for s in starts]
        probs = torch.zeros(n, NUM_TAGS)
        passes = []
        for b in range(0, len(plan), windows_per_pass):
            group = plan[b : b + windows_per_pass]
            states, mask, shapes, sentence_starts = stack_windows([doc], group)
            with torch.inference_mode():
                logits, hidden = self.head(
                    states.to(device), mask.to(device), shapes.to(device),
                    sentence_starts.to(device),
                )  # fmt: skip
            window_probs = logits.float().softmax(-1).cpu()
            for k, (_, start, _) in enumerate(group):
                own = (owners == b + k).nonzero().squeeze(-1)
                probs[own] = window_probs[k, own - start]
            passes.append((b, group, hidden, mask.to(device)))
        cues = decode_cues(text, doc, probs, cfg.cue_extend_above, cfg.min_cue_score)
        out = []
        for b, group, hidden, mask in passes:
            mine = [c for c in cues if b <= int(owners[c.first]) < b + len(group)]
            if not mine:
                continue
            rows = []
            for c in mine:
                w = int(owners[c.first]) - b
                _, start, end = group[w]
                rows.append((w, c.first - start, min(c.last, end - 1) - start))
            with torch.inference_mode():
                logits, no_source = self.head.point(hidden, mask, torch.tensor(rows, device=device))
            pointers = point_spans(logits.float().cpu(), no_source.float().cpu(), cfg)
            for c, (_, start, _), found in zip(mine, (group[r[0]] for r in rows), pointers):
                relation = _relation(text, doc, c, start, found)
                if relation is not None:
                    out.append(relation)
        return sorted(out, key=lambda a: a.cue)


@dataclass(frozen=True)
class Cue:
    """A cue span read from the tags: token indices (inclusive) and character offsets."""

    first: int
    last: int
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Pointed:
    """One cue's pointer decision, in window-relative token indices (inclusive)."""

    content: tuple[int, int]
    content_probability: float
    source: tuple[int, int] | None


def doc_sentences(doc: DocumentTokens, text: str) -> list[Offsets]:
    """Sentence extents recovered from the tokens (start of first, end of last token)."""
    found: dict[int, list[int]] = {}
    for (s, e), k in zip(doc.offsets, doc.sentence):
        if k in found:
            found[k][1] = e
        else:
            found[k] = [s, e]
    return [(s, e) for s, e in found.values()]


def decode_cues(
    text: str,
    doc: DocumentTokens,
    probs: torch.Tensor,
    extend_above: float = 1.0,
    min_score: float = 0.0,
) -> list[Cue]:
    """Cue spans: runs of tokens whose most probable label is ``cue``, widened and filtered.

    A token's label probability is the sum of its begin and inside tags': adjacent cue tokens
    always form one cue (two cues side by side hardly occur, while a cue's tokens often
    waver between begin and inside: "has" "learned"). A run then takes in its neighbours
    whose cue probability is above ``extend_above`` (cues are often longer than the tokens
    the tagger is sure of: "did not immediately respond"), and a cue whose ``score`` (the
    mean cue probability of its tokens) is below ``min_score`` is dropped. Edges are tidied:
    whole words, no outer whitespace, no final ``.,;:`` (a cue of punctuation only, the colon
    of "Trump: ...", keeps its punctuation).
    """
    labels = torch.cat([probs[:, :1], probs[:, 1::2] + probs[:, 2::2]], dim=1)
    cue = 1 + LABELS.index("cue")
    sure = (labels.argmax(-1) == cue).tolist()
    cue_probability = labels[:, cue].tolist()
    inside = list(sure)
    for t in (t for t, is_sure in enumerate(sure) if is_sure):
        for step in (-1, 1):
            k = t + step
            while 0 <= k < len(sure) and not sure[k] and cue_probability[k] > extend_above:
                inside[k] = True
                k += step
    runs: list[list[int]] = []
    for t, is_inside in enumerate(inside):
        if is_inside and t > 0 and inside[t - 1]:
            runs[-1].append(t)
        elif is_inside:
            runs.append([t])
    cues = []
    for run in runs:
        s, e = snap_to_words(text, doc.offsets[run[0]][0], doc.offsets[run[-1]][1])
        s, e = clean_span(text, s, e) if any(c.isalnum() for c in text[s:e]) else _strip(text, s, e)
        score = sum(cue_probability[t] for t in run) / len(run)
        if e > s and score >= min_score:
            cues.append(Cue(run[0], run[-1], s, e, score))
    return cues


def point_spans(
    logits: torch.Tensor, no_source: torch.Tensor, config: AttributionConfig
) -> list[Pointed]:
    """The best content and source of each cue from the head's pointer logits.

    Content: the pair (first, last), ``first <= last`` and at most ``max_content_tokens``
    long, with the highest summed log-probability. Source: ``None`` when "no source" is more
    probable than every token as the source's first token; else the best pair as for the
    content, at most ``max_source_tokens`` long.
    """
    content, content_logp = _best_pairs(
        logits[:, :, 0].log_softmax(-1), logits[:, :, 1].log_softmax(-1),
        config.max_content_tokens,
    )  # fmt: skip
    with_null = torch.cat([logits[:, :, 2], no_source[:, None]], dim=1).log_softmax(-1)
    source, _ = _best_pairs(
        with_null[:, :-1], logits[:, :, 3].log_softmax(-1), config.max_source_tokens
    )
    has_source = with_null[:, :-1].max(-1).values > with_null[:, -1]
    return [
        Pointed(
            content[c],
            float(content_logp[c].div(2).exp()),
            source[c] if has_source[c] else None,
        )
        for c in range(logits.shape[0])
    ]


def _best_pairs(
    first: torch.Tensor, last: torch.Tensor, longest: int
) -> tuple[list[tuple[int, int]], torch.Tensor]:
    """Per row, the ``(i, j)`` maximising ``first[i] + last[j]`` with ``0 <= j - i < longest``."""
    tokens = first.shape[1]
    i = torch.arange(tokens)
    gap = i[None, :] - i[:, None]
    allowed = (gap >= 0) & (gap < longest)
    total = (first[:, :, None] + last[:, None, :]).masked_fill(~allowed, float("-inf"))
    best = total.flatten(1).max(-1)
    pairs = [(int(k) // tokens, int(k) % tokens) for k in best.indices]
    return pairs, best.values


def _relation(
    text: str, doc: DocumentTokens, cue: Cue, window_start: int, found: Pointed
) -> AttributionPrediction | None:
    """Character spans of one pointed relation; ``None`` when its content is empty."""
    first, last = found.content
    s, e = snap_to_words(
        text, doc.offsets[window_start + first][0], doc.offsets[window_start + last][1]
    )
    s, e = clean_span(text, s, e)
    while s < e and (text[s] in ".,;:" or text[s].isspace()):
        s += 1
    s = _drop_that(text, s, e)
    if e <= s:
        return None
    source = None
    if found.source is not None:
        first, last = found.source
        a, b = snap_to_words(
            text, doc.offsets[window_start + first][0], doc.offsets[window_start + last][1]
        )
        a, b = clean_span(text, a, b)
        source = (a, b) if b > a else None
    return AttributionPrediction(
        source=source,
        cue=(cue.start, cue.end),
        content=(s, e),
        score=cue.score * found.content_probability,
    )


def _strip(text: str, s: int, e: int) -> Offsets:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


_THAT = re.compile(r"that\s+", re.IGNORECASE)


def _drop_that(text: str, s: int, e: int) -> int:
    m = _THAT.match(text, s, e)
    return m.end() if m and m.end() < e else s
