"""Turning the attribution head's tags into attributions with exact document offsets.

Decoding, in order:

1. Tag every token of the document (windows of consecutive sentences; each token takes the
   tags of the window whose centre is closest to it) and read the spans of ``cue``
   (:func:`decode_cues`).
2. Point (:func:`point_spans`): in the window that owns a cue's first token, the head scores
   every token as the first or last token of that cue's content and source; the best
   content (clear of the cue, or around it) and the best source (or none; clear of the cue
   and the content) are kept. Edges are tidied: whole words, no outer
   whitespace, no final ``.,;:``, no leading complementizer "that" in a content.
3. Resolve pronoun and bare-title sources to an earlier named mention
   (:mod:`diplolex.tasks.attribution.resolve`).
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from diplolex.component import Bounds, Run, TaskModel
from diplolex.encoder import EncodedBatch, SharedEncoder, length_batches
from diplolex.segment import split_sentences
from diplolex.spans import clean_span, snap_to_words
from diplolex.tasks.attribution.features import (
    DocumentTokens,
    SentenceStates,
    document_tokens,
    owner_windows,
    sentence_states,
    stack_windows,
    window_starts,
)
from diplolex.tasks.attribution.model import (
    LABELS,
    NUM_TAGS,
    AttributionConfig,
    AttributionHead,
)
from diplolex.tasks.attribution.prediction import AttributionPrediction
from diplolex.tasks.attribution.resolve import resolve_sources
from diplolex.types import Attribution, Document, Offsets, Span, span_at

CONTEXT_SENTENCES = 16
"""Sentences of context a cue needs on each side to be read in a long document's chunk."""


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
    sentences = [texts[d][s:e] for d, b in enumerate(bounds) for s, e in b]
    states: list[SentenceStates | None] = [None] * len(sentences)
    started = time.monotonic()
    for n, idx in enumerate(length_batches([len(s) for s in sentences], batch_size)):
        chunk = [sentences[i] for i in idx]
        for i, st in zip(idx, sentence_states(encoder.encode(chunk), len(chunk))):
            states[i] = SentenceStates(st.states.to(dtype).cpu(), st.offsets)
        if log and n % 50 == 0:
            log(f"  encoded {min((n + 1) * batch_size, len(sentences))}/{len(sentences)} sentences "
                f"({time.monotonic() - started:.0f}s)")  # fmt: skip
    docs, position = [], 0
    for text, b in zip(texts, bounds):
        doc_states = states[position : position + len(b)]
        position += len(b)
        docs.append(document_tokens(text, b, doc_states))  # type: ignore[arg-type]
    return docs


class AttributionModel(TaskModel):
    """The attribution analysis: a head on the shared encoder plus its decoding rules.

    Args:
        head: the trained :class:`AttributionHead`.
        config: its :class:`AttributionConfig`.
    """

    name = "attribution"
    head_class = AttributionHead
    config_class = AttributionConfig

    @property
    def device(self) -> torch.device:
        return next(self.head.parameters()).device

    def read_batch(self, batch: EncodedBatch, texts: list[str]) -> list[SentenceStates]:
        """Each sentence's word-piece states of a shared-pass batch, mixed over the layers by
        the head's layer mix and kept as float16 on the CPU until its document is read."""
        with torch.inference_mode():
            mixed = self.head.mix(batch.hidden_states.to(self.device).float())[None]
        out = sentence_states(dataclasses.replace(batch, hidden_states=mixed), len(texts))
        for st in out:
            st.states, st.mixed = st.states.to(torch.float16).cpu(), True
        return out

    def start_document(self, text: str, bounds: Bounds) -> DocumentRelations:
        """A reader of the document's relations over a bounded buffer of sentence states."""
        return DocumentRelations(self, text, bounds)

    def annotate(self, doc: Document, found: list[AttributionPrediction], run: Run) -> Document:
        """``doc`` with its attributions."""
        text = doc.text
        attributions = [
            Attribution(
                source=span_at(text, 0, a.source),
                cue=Span.of(text, *a.cue),
                content=Span.of(text, *a.content),
                score=round(a.score, 4),
                resolved_source=span_at(text, 0, a.resolved_source),
                resolved_score=None if a.resolved_score is None else round(a.resolved_score, 4),
            )
            for a in found
        ]
        return dataclasses.replace(doc, attributions=attributions)

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
                    sentence_starts.to(device), mixed=doc.mixed,
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
            logits, no_source = logits.float().cpu(), no_source.float().cpu()
            for k, (c, (w, first, last)) in enumerate(zip(mine, rows)):
                found = point_spans(logits[k], float(no_source[k]), (first, last), cfg)
                start = group[w][1]
                relation = None if found is None else _relation(text, doc, c, start, found)
                if relation is not None:
                    out.append(relation)
        return sorted(out, key=lambda a: a.cue)


class DocumentRelations:
    """Reads one document's relations from its sentences' states, chunk by chunk.

    A short document comes in one chunk and is read whole. For a long one, only the last
    ``2 * CONTEXT_SENTENCES`` sentences' states of the chunks before are kept: each chunk is
    read with them, and a relation is taken from the reading in which its cue has at least
    ``CONTEXT_SENTENCES`` sentences on each side (the document's edges aside), so a quote
    that runs over a chunk boundary is read whole and memory stays bounded.
    """

    def __init__(self, model: AttributionModel, text: str, bounds: Bounds) -> None:
        self.model, self.text, self.bounds = model, text, bounds
        self.held: list[SentenceStates] = []  # states of bounds[held_from:end]
        self.held_from = self.end = 0
        self.taken_until = 0  # relations whose cue starts before this were taken
        self.found: list[AttributionPrediction] = []

    def add(self, states: list[SentenceStates]) -> None:
        if not states:
            return
        self.held += states
        self.end += len(states)
        end, bounds = self.end, self.bounds
        cut = end if end == len(bounds) else end - CONTEXT_SENTENCES
        stop = len(self.text) if cut == len(bounds) else bounds[cut][0]
        held_bounds = bounds[self.held_from : end]
        for relation in self.model.predict_document(self.text, held_bounds, self.held):
            if self.taken_until <= relation.cue[0] < stop:
                self.found.append(relation)
        self.taken_until = max(self.taken_until, stop)
        keep_from = max(self.held_from, cut - CONTEXT_SENTENCES)
        self.held, self.held_from = self.held[keep_from - self.held_from :], keep_from

    def finish(self) -> list[AttributionPrediction]:
        return self.found


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
            cues.append(Cue(*_tokens_of(doc, run[0], run[-1], s, e), s, e, score))
    return cues


def _tokens_of(doc: DocumentTokens, first: int, last: int, start: int, end: int) -> Offsets:
    """The first and last token overlapping ``[start, end)``, searched from ``first..last``
    (a span snapped to whole words may take in more word pieces, or trimmed, fewer)."""
    offsets = doc.offsets
    while first > 0 and offsets[first - 1][1] > start:
        first -= 1
    while first < last and offsets[first][1] <= start:
        first += 1
    while last + 1 < len(offsets) and offsets[last + 1][0] < end:
        last += 1
    while last > first and offsets[last][0] >= end:
        last -= 1
    return first, last


def point_spans(
    logits: torch.Tensor,
    no_source: float,
    cue: tuple[int, int],
    config: AttributionConfig,
) -> Pointed | None:
    """One cue's best content and source from its pointer logits over its window.

    Args:
        logits: ``[tokens, 4]``: content first, content last, source first, source last.
        no_source: the logit of "no source".
        cue: the cue's first and last token in the window.
        config: the span length limits.

    Content: the allowed pair (first, last) with the highest summed log-probability, at most
    ``max_content_tokens`` long, either clear of the cue or around it (starting before and
    ending after it, as in ``"X," she said, "Y"``); ``None`` when no pair is allowed.
    Source: ``None`` when "no source" is more probable than every token as the source's
    first token; else the best pair clear of the cue (and of the content, unless the content
    goes around the cue), at most ``max_source_tokens`` long.
    """
    tokens = logits.shape[0]
    index = torch.arange(tokens)
    around = (index[:, None] < cue[0]) & (index[None, :] > cue[1])
    on_cue = torch.zeros(tokens, dtype=torch.bool)
    on_cue[cue[0] : cue[1] + 1] = True
    content_allowed = _free_pairs(on_cue, config.max_content_tokens) | (
        _free_pairs(torch.zeros_like(on_cue), config.max_content_tokens) & around
    )
    content, content_logp = _best_pair(
        logits[:, 0].log_softmax(-1), logits[:, 1].log_softmax(-1), content_allowed
    )
    if content is None:
        return None
    first, last = content
    source_blocked = on_cue.clone()
    if not (first < cue[0] and last > cue[1]):
        source_blocked[first : last + 1] = True
    with_null = torch.cat([logits[:, 2], torch.tensor([no_source])]).log_softmax(-1)
    source, _ = _best_pair(
        with_null[:-1],
        logits[:, 3].log_softmax(-1),
        _free_pairs(source_blocked, config.max_source_tokens),
    )
    if source is not None and with_null[:-1].max() <= with_null[-1]:
        source = None
    return Pointed(content, float(content_logp.div(2).exp()), source)


def _free_pairs(blocked: torch.Tensor, longest: int) -> torch.Tensor:
    """``[tokens, tokens]``: true where ``(i, j)`` spans ``0 <= j - i < longest`` tokens,
    none of them blocked."""
    index = torch.arange(blocked.shape[0])
    gap = index[None, :] - index[:, None]
    counts = torch.cat([torch.zeros(1, dtype=torch.long), blocked.long().cumsum(0)])
    clear = counts[None, 1:] == counts[:-1, None]
    return clear & (gap >= 0) & (gap < longest)


def _best_pair(
    first: torch.Tensor, last: torch.Tensor, allowed: torch.Tensor
) -> tuple[tuple[int, int] | None, torch.Tensor]:
    """The allowed ``(i, j)`` maximising ``first[i] + last[j]`` (``None`` if none is)."""
    total = (first[:, None] + last[None, :]).masked_fill(~allowed, float("-inf"))
    best = total.flatten().max(-1)
    if not torch.isfinite(best.values):
        return None, best.values
    tokens = first.shape[0]
    return (int(best.indices) // tokens, int(best.indices) % tokens), best.values


def _relation(
    text: str, doc: DocumentTokens, cue: Cue, window_start: int, found: Pointed
) -> AttributionPrediction | None:
    """Character spans of one pointed relation; ``None`` when its content is empty."""
    s, e = _word_span(text, doc, window_start, found.content)
    while s < e and (text[s] in ".,;:" or text[s].isspace()):
        s += 1
    s = _drop_that(text, s, e)
    if e <= s:
        return None
    source = None
    if found.source is not None:
        a, b = _word_span(text, doc, window_start, found.source)
        source = (a, b) if b > a else None
    return AttributionPrediction(
        source=source,
        cue=(cue.start, cue.end),
        content=(s, e),
        score=cue.score * found.content_probability,
    )


def _word_span(
    text: str, doc: DocumentTokens, window_start: int, tokens: tuple[int, int]
) -> Offsets:
    """Character offsets of window tokens ``(first, last)``: whole words, edges tidied."""
    first, last = tokens
    start, end = doc.offsets[window_start + first][0], doc.offsets[window_start + last][1]
    return clean_span(text, *snap_to_words(text, start, end))


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
