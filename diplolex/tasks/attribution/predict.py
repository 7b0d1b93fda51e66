"""Turning the attribution head's tags into attributions with exact document offsets.

Decoding, in order:

1. Tag every token of the document (windows of consecutive sentences; each token takes the
   tags of the window whose centre is closest to it) and read BIO spans of ``source``,
   ``cue`` and ``content`` (edges tidied: whole words, no outer whitespace, no final ``.,;:``).
2. Group (:func:`group_spans`): each cue takes the nearest content (see there), then a source
   in the cue's sentence, else ``None``.
3. Resolve pronoun and bare-title sources to an earlier named mention
   (:mod:`diplolex.tasks.attribution.resolve`).
"""

from __future__ import annotations

import bisect
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from diplolex.encoder import SharedEncoder
from diplolex.persist import TaskModel
from diplolex.segment import split_sentences
from diplolex.spans import bio_to_char_spans, clean_span, snap_to_words
from diplolex.tasks.attribution.model import (
    LABELS,
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

    ``score`` is the mean probability of the predicted tag over the tokens of its source, cue
    and content. ``resolved_source`` is the earlier named mention a pronoun or bare-title
    source refers to (``None`` when the source is a name, absent, or the resolver is unsure).
    """

    source: Offsets | None
    cue: Offsets
    content: Offsets
    score: float
    resolved_source: Offsets | None = None
    resolved_score: float | None = None


@dataclass(frozen=True)
class TaggedSpan:
    label: str
    start: int
    end: int
    score: float
    tokens: int


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
        probs = self.tag_probabilities(docs, windows_per_pass)
        out = []
        for text, doc, p in zip(texts, docs, probs):
            spans = decode_spans(text, doc, p, self.config.switch_penalty)
            sentences = doc_sentences(doc, text)
            out.append(resolve_sources(text, sentences, group_spans(text, spans, sentences)))
        return out

    def tag_probabilities(
        self, docs: list[DocumentTokens], windows_per_pass: int = 16
    ) -> list[torch.Tensor]:
        """Per document, ``[tokens, NUM_TAGS]`` tag probabilities (centre-most window wins)."""
        cfg = self.config
        plan: list[tuple[int, int, int]] = []
        owners: list[list[int]] = []
        firsts: list[int] = []
        for d, doc in enumerate(docs):
            n = len(doc.offsets)
            starts = window_starts(n, cfg.window_tokens, cfg.stride) if n else []
            firsts.append(len(plan))
            plan += [(d, s, min(n, s + cfg.window_tokens)) for s in starts]
            owners.append(owner_windows(n, starts, cfg.window_tokens) if n else [])
        window_probs: list[torch.Tensor] = []
        device = self.device
        for b in range(0, len(plan), windows_per_pass):
            group = plan[b : b + windows_per_pass]
            states, mask, shapes, starts = stack_windows(docs, group)
            with torch.inference_mode():
                logits = self.head(
                    states.to(device), mask.to(device), shapes.to(device), starts.to(device)
                )
            window_probs += list(logits.float().softmax(-1).cpu())
        results = []
        for d, doc in enumerate(docs):
            n = len(doc.offsets)
            probs = torch.zeros(n, 1 + 2 * len(LABELS))
            for t in range(n):
                w = firsts[d] + owners[d][t]
                probs[t] = window_probs[w][t - plan[w][1]]
            results.append(probs)
        return results


def doc_sentences(doc: DocumentTokens, text: str) -> list[Offsets]:
    """Sentence extents recovered from the tokens (start of first, end of last token)."""
    found: dict[int, list[int]] = {}
    for (s, e), k in zip(doc.offsets, doc.sentence):
        if k in found:
            found[k][1] = e
        else:
            found[k] = [s, e]
    return [(s, e) for s, e in found.values()]


def smooth_labels(probs: torch.Tensor, switch_penalty: float) -> tuple[list[int], list[float]]:
    """The best label path (0 = outside, ``1 + i`` = ``LABELS[i]``) and each token's score.

    Viterbi over labels, not BIO tags: a token's label score is ``log(P(B) + P(I))`` of that
    label, and every step between outside and content costs ``switch_penalty`` (nats), which
    keeps a long content from breaking into pieces where single tokens waver (steps into and
    out of the short source and cue spans cost nothing). Returns the path and, per token, the
    probability of its label on the path.
    """
    import numpy as np

    p = probs.double().numpy()
    labels = np.concatenate([p[:, :1], p[:, 1::2] + p[:, 2::2]], axis=1)  # [n, 4]
    emit = np.log(np.clip(labels, 1e-9, None))
    n, k = emit.shape
    content = 1 + LABELS.index("content")
    change = np.zeros((k, k))
    change[0, content] = change[content, 0] = -switch_penalty
    score = emit[0].copy()
    back = np.zeros((n, k), dtype=np.int64)
    for t in range(1, n):
        total = score[:, None] + change
        back[t] = total.argmax(0)
        score = total.max(0) + emit[t]
    path = [int(score.argmax())]
    for t in range(n - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    path.reverse()
    return path, [float(labels[t, path[t]]) for t in range(n)]


def decode_spans(
    text: str, doc: DocumentTokens, probs: torch.Tensor, switch_penalty: float = 0.0
) -> list[TaggedSpan]:
    """Spans of every role from per-token probabilities, with tidy edges.

    With ``switch_penalty`` 0, plain BIO decoding of each token's most probable tag; above 0,
    :func:`smooth_labels` chooses the labels, and a run of one label is cut into two spans
    where a token's begin tag is more than twice as probable as its inside tag.
    """
    if len(doc.offsets) == 0:
        return []
    if switch_penalty > 0:
        path, scores = smooth_labels(probs, switch_penalty)
        tags = []
        for t, label in enumerate(path):
            if label == 0:
                tags.append(0)
                continue
            b, i = float(probs[t, 2 * label - 1]), float(probs[t, 2 * label])
            fresh = t == 0 or path[t - 1] != label or b > 2 * i
            tags.append(2 * label - 1 if fresh else 2 * label)
    else:
        best = probs.max(-1)
        tags = best.indices.tolist()
        scores = best.values.tolist()
    spans = []
    token_starts = [s for s, _ in doc.offsets]
    for label, start, end, score in bio_to_char_spans(tags, doc.offsets, LABELS, scores):
        tokens = max(
            1, bisect.bisect_left(token_starts, end) - bisect.bisect_left(token_starts, start)
        )
        s, e = snap_to_words(text, start, end)
        if label == "cue" and not any(c.isalnum() for c in text[s:e]):
            s, e = _strip(text, s, e)  # a punctuation cue: the colon of "Trump: ..."
        else:
            s, e = clean_span(text, s, e)
        if label == "content":
            while s < e and (text[s] in ".,;:" or text[s].isspace()):
                s += 1
            s = _drop_that(text, s, e)
        if e > s:
            spans.append(TaggedSpan(label, s, e, score, tokens))
    return spans


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


# ---------------------------------------------------------------------------
# Grouping spans into relations

_GLUE = re.compile(r"[ \t\xa0,.;:\-–—\"“”'‘’()]*")
_CLOSING = frozenset("\"”'’»")
_OPENING = frozenset("\"“'‘«")


def group_spans(
    text: str, spans: list[TaggedSpan], sentences: list[Offsets] | None = None
) -> list[AttributionPrediction]:
    """Tie each cue to a content and a source.

    Rules:

    * content: first, a cue standing between a content that ends with a closing quotation
      mark and one that starts with an opening mark, with nothing but punctuation (full
      stops included), spaces and sources between them on one line ("X," Petrov said, "Y"),
      takes both, as one span from the first to the last (PolNeAR's convention for a
      discontinuous content). Then the
      remaining (cue, content) pairs at most 400 characters apart are ranked by a cost, and
      matched one to one, cheapest first. The cost is the number of characters between them;
      plus 20 for a content before its cue (a quote before "he said": less usual than one
      after), plus 500 when another cue lies between them, plus 1000 when the content does
      not reach into the cue's sentence. A cue left without a content is dropped, and so is
      a content left without a cue.
    * source: among the sources in the cue's sentence (``sentences``, when given) that lie
      between the previous kept cue (or the content before the cue) and the next kept cue
      (or the content after it), the nearest one before the cue, else the nearest after it ("said
      Petrov"); else the source of the previous relation in the same sentence ("Petrov
      said X, adding that Y"); else ``None`` (agentless passive: "it was reported that ...").
    """
    cues = sorted((s for s in spans if s.label == "cue"), key=lambda s: s.start)
    contents = sorted((s for s in spans if s.label == "content"), key=lambda s: s.start)
    sources = sorted((s for s in spans if s.label == "source"), key=lambda s: s.start)
    sentences = sorted(sentences or [])
    sentence_starts = [s for s, _ in sentences]
    content_starts = [x.start for x in contents]
    content_ends = [x.end for x in contents]  # spans of one tag sequence: also sorted
    cue_starts = [x.start for x in cues]

    def sentence_of(position: int) -> Offsets:
        k = bisect.bisect_right(sentence_starts, position) - 1
        if k >= 0 and position < sentences[k][1]:
            return sentences[k]
        return 0, len(text)

    def cue_between(lo: int, hi: int) -> bool:
        k = bisect.bisect_left(cue_starts, lo)
        return k < len(cues) and cues[k].end <= hi

    chosen: dict[int, list[int]] = {}
    taken: set[int] = set()
    for c, cue in enumerate(cues):
        i = bisect.bisect_right(content_ends, cue.start) - 1
        while i >= 0 and i in taken:
            i -= 1
        j = bisect.bisect_left(content_starts, cue.end)
        while j < len(contents) and j in taken:
            j += 1
        if i >= 0 and j < len(contents):
            left, right = contents[i], contents[j]
            if (
                text[left.end - 1] in _CLOSING
                and text[right.start] in _OPENING
                and _only_glue(text, left.end, cue.start, sources)
                and _only_glue(text, cue.end, right.start, sources)
            ):
                chosen[c] = [i, j]
                taken |= {i, j}
    pairs = []
    for c, cue in enumerate(cues):
        if c in chosen:
            continue
        s_start, s_end = sentence_of(cue.start)
        candidates = []
        i = bisect.bisect_right(content_ends, cue.start) - 1
        while i >= 0 and cue.start - contents[i].end <= 400:
            candidates.append(i)
            i -= 1
        j = bisect.bisect_left(content_starts, cue.end)
        while j < len(contents) and contents[j].start - cue.end <= 400:
            candidates.append(j)
            j += 1
        for i in candidates:
            x = contents[i]
            if i in taken or (x.start < cue.end and cue.start < x.end):
                continue
            if x.end <= cue.start:
                gap, lo, hi, cost = cue.start - x.end, x.end, cue.start, 20
            else:
                gap, lo, hi, cost = x.start - cue.end, cue.end, x.start, 0
            cost += gap
            if cue_between(lo, hi):
                cost += 500
            if not (x.start < s_end and s_start < x.end):
                cost += 1000
            pairs.append((cost, c, i))
    for _, c, i in sorted(pairs):
        if c in chosen or i in taken:
            continue
        chosen[c] = [i]
        taken.add(i)

    out: list[AttributionPrediction] = []
    last_source: dict[Offsets, tuple[TaggedSpan, int]] = {}
    kept = [c for c in range(len(cues)) if c in chosen]
    for k, c in enumerate(kept):
        cue = cues[c]
        parts = [contents[i] for i in chosen[c]]
        prev_cue = cues[kept[k - 1]].end if k > 0 else 0
        next_cue = cues[kept[k + 1]].start if k + 1 < len(kept) else len(text)
        low = max([prev_cue] + [x.end for x in parts if x.end <= cue.start])
        high = min([next_cue] + [x.start for x in parts if x.start >= cue.end])
        sentence = sentence_of(cue.start)
        low, high = max(low, sentence[0]), min(high, sentence[1])
        source = _pick_source(cue, sources, low, high)
        if source is None and sentence in last_source:
            source = last_source[sentence][0]
        if source is not None:
            last_source[sentence] = (source, c)
        content = (min(x.start for x in parts), max(x.end for x in parts))
        members = [cue, *parts] + ([source] if source else [])
        tokens = sum(p.tokens for p in members)
        score = sum(p.score * p.tokens for p in members) / max(1, tokens)
        out.append(
            AttributionPrediction(
                source=(source.start, source.end) if source else None,
                cue=(cue.start, cue.end),
                content=content,
                score=score,
            )
        )
    return out


def _only_glue(text: str, start: int, end: int, sources: list[TaggedSpan]) -> bool:
    """Whether ``text[start:end]`` holds only punctuation, spaces and source spans."""
    if end < start or end - start > 200:
        return False
    pos = start
    k = max(0, bisect.bisect_left([x.start for x in sources], start) - 1)
    for s in sources[k:]:
        if s.start >= end:
            break
        if s.end <= start:
            continue
        gap = _GLUE.match(text, pos, s.start)
        if gap is None or gap.end() < s.start:
            return False
        pos = s.end
    gap = _GLUE.match(text, pos, end)
    return gap is not None and gap.end() >= end


def _pick_source(
    cue: TaggedSpan, sources: list[TaggedSpan], low: int, high: int
) -> TaggedSpan | None:
    k = bisect.bisect_left([s.start for s in sources], cue.start)
    for s in reversed(sources[max(0, k - 50) : k]):
        if s.start < low:
            break
        if s.end <= cue.start:
            return s
    for s in sources[k : k + 50]:
        if s.end > high:
            break
        if s.start >= cue.end:
            return s
    return None
