"""Attribution's inputs: per-sentence encoder states, document token sequences with their
token shapes, and the windows the head reads them in.

The shared encoder sees one sentence at a time; :func:`sentence_states` keeps each sentence's
word-piece states, :func:`document_tokens` joins a document's sentences in order (with each
token's shape, read from the cased text since the base model is uncased), and
:func:`window_starts` / :func:`stack_windows` cut the document into the overlapping windows
the head (:mod:`diplolex.tasks.attribution.model`) runs over.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from diplolex.encoder import EncodedBatch
from diplolex.types import Offsets

# Token shapes, read from the original (cased) text, since the base model is uncased.
SHAPES = (
    "pad",
    "lower",  # "said"
    "capitalised",  # "Trump", "Kremlin"
    "upper",  # "NATO", "FBI" (two or more letters, all upper case)
    "single-upper",  # "I", "A", initials
    "digit",  # "2016", "3rd"
    "quote",  # " “ ” ' ‘ ’ « »
    "dash",  # - – —
    "colon",  # :
    "other",  # other punctuation and symbols
)
_QUOTES = frozenset("\"“”„‟«»‹›'‘’‚`")
_DASHES = frozenset("-–—―‒")


@dataclass
class SentenceStates:
    """The word-piece states of one sentence from the shared encoder pass.

    Attributes:
        states: ``[layers, tokens, hidden]`` (special tokens removed; windows of a long
            sentence concatenated).
        offsets: per token, ``(start, end)`` relative to the sentence text.
        mixed: the head's layer mix is already applied: ``states`` is ``[1, tokens, hidden]``
            (what the Analyzer keeps, a seventh of the layers' memory).
    """

    states: torch.Tensor
    offsets: list[Offsets]
    mixed: bool = False


def sentence_states(batch: EncodedBatch, count: int) -> list[SentenceStates]:
    """Split an :class:`EncodedBatch` of ``count`` sentence texts into per-sentence states."""
    windows_of: dict[int, list[int]] = {}
    for w, i in enumerate(batch.text_index):
        windows_of.setdefault(i, []).append(w)
    out = []
    layers, hidden = batch.hidden_states.shape[0], batch.hidden_states.shape[-1]
    for i in range(count):
        parts, offsets = [], []
        for w in windows_of.get(i, []):
            keep = [t for t, off in enumerate(batch.offsets[w]) if off is not None]
            if keep:
                first, last = keep[0], keep[-1] + 1
                contiguous = last - first == len(keep)  # the usual case: a slice, no copy
                index = slice(first, last) if contiguous else keep
                parts.append(batch.hidden_states[:, w, index])
                offsets += [batch.offsets[w][t] for t in keep]
        states = (
            torch.cat(parts, dim=1) if parts else batch.hidden_states.new_zeros((layers, 0, hidden))
        )
        out.append(SentenceStates(states, offsets))
    return out


@dataclass
class DocumentTokens:
    """One document as a single token sequence (all its sentences, in order)."""

    states: torch.Tensor  # [layers, tokens, hidden]
    offsets: list[Offsets]  # document offsets
    sentence: list[int]  # sentence index of each token
    shapes: list[int]
    starts: list[int]
    mixed: bool = False  # states already layer-mixed: [1, tokens, hidden]


_ALNUM_RUN = re.compile(r"[^\W_]+")
"""A maximal run of characters for which ``str.isalnum()`` holds (``\\w`` less ``_``)."""


class _AlnumRuns:
    """The maximal ``isalnum()`` runs around ``text[lo:hi]``, found in one regex pass.

    ``token_shape`` judges a word piece on its whole word; widening each piece to its word
    character by character costs the word's length per piece, which is quadratic on a long
    run of letters without spaces (``"中" * 20000``). Here each run is found once, and a
    piece's word edges are a bisection away.
    """

    def __init__(self, text: str, lo: int, hi: int) -> None:
        while lo > 0 and text[lo - 1].isalnum():
            lo -= 1
        while hi < len(text) and text[hi].isalnum():
            hi += 1
        self.starts: list[int] = []
        self.ends: list[int] = []
        for m in _ALNUM_RUN.finditer(text, lo, hi):
            self.starts.append(m.start())
            self.ends.append(m.end())

    def _run(self, i: int) -> int:
        """The index of the run holding position ``i``, or -1."""
        k = bisect_right(self.starts, i) - 1
        return k if k >= 0 and i < self.ends[k] else -1

    def word(self, start: int, end: int) -> tuple[int, int]:
        """``[start, end)`` widened over the letters and digits on either side."""
        before, after = self._run(start - 1) if start > 0 else -1, self._run(end)
        return (
            self.starts[before] if before >= 0 else start,
            self.ends[after] if after >= 0 else end,
        )


def _punct_shape(piece: str) -> int | None:
    """The shape of a piece that does not start with a letter or digit; ``None`` if it does."""
    if not piece:
        return SHAPES.index("other")
    first = piece[0]
    if first in _QUOTES:
        return SHAPES.index("quote")
    if first in _DASHES:
        return SHAPES.index("dash")
    if first == ":":
        return SHAPES.index("colon")
    if not first.isalnum():
        return SHAPES.index("other")
    return None


def _word_shape(word: str) -> int:
    """The shape of a whole word that starts with a letter or digit."""
    if any(c.isdigit() for c in word):
        return SHAPES.index("digit")
    letters = [c for c in word if c.isalpha()]
    if not letters or not letters[0].isupper():
        return SHAPES.index("lower")
    if len(letters) == 1:
        return SHAPES.index("single-upper")
    if all(c.isupper() for c in letters):
        return SHAPES.index("upper")
    return SHAPES.index("capitalised")


def token_shapes(text: str, offsets: Sequence[tuple[int, int]]) -> list[int]:
    """:func:`token_shape` of each ``(start, end)`` in ``offsets``, in time linear in the text
    they cover: the letter-and-digit runs are found once, and each word's shape is judged
    once however many pieces it has."""
    shapes: list[int | None] = [_punct_shape(text[a:b]) for a, b in offsets]
    words = [ab for ab, shape in zip(offsets, shapes) if shape is None]
    if not words:
        return shapes  # type: ignore[return-value]
    runs = _AlnumRuns(text, min(a for a, _ in words), max(b for _, b in words))
    judged: dict[tuple[int, int], int] = {}
    for k, (a, b) in enumerate(offsets):
        if shapes[k] is None:
            s, e = runs.word(a, b)
            if (s, e) not in judged:
                judged[s, e] = _word_shape(text[s:e])
            shapes[k] = judged[s, e]
    return shapes  # type: ignore[return-value]


def token_shape(text: str, start: int, end: int) -> int:
    """The :data:`SHAPES` index of the token ``text[start:end]`` (judged on its whole word)."""
    return token_shapes(text, [(start, end)])[0]


def document_tokens(
    text: str, bounds: list[tuple[int, int]], sentences: list[SentenceStates]
) -> DocumentTokens:
    """Concatenate the sentences' states; sentence offsets + sentence start = document offsets."""
    if len(bounds) != len(sentences):
        raise ValueError(f"{len(sentences)} sentence states for {len(bounds)} sentences")
    parts, offsets, sentence, starts = [], [], [], []
    for k, ((s0, _), sent) in enumerate(zip(bounds, sentences)):
        n = len(sent.offsets)
        if n == 0:
            continue
        parts.append(sent.states)
        offsets += [(s0 + a, s0 + b) for a, b in sent.offsets]
        sentence += [k] * n
        starts += [1] + [0] * (n - 1)
    if parts:
        states = torch.cat(parts, dim=1)
    elif sentences:
        states = sentences[0].states
    else:
        states = torch.zeros(DEFAULT_LAYERS, 0, DEFAULT_HIDDEN)
    shapes = token_shapes(text, offsets)
    mixed = {sent.mixed for sent in sentences}
    if len(mixed) > 1:
        raise ValueError("sentence states mix layer-mixed and unmixed ones")
    return DocumentTokens(states, offsets, sentence, shapes, starts, mixed == {True})


DEFAULT_LAYERS = 7
DEFAULT_HIDDEN = 384


def window_starts(length: int, window: int, stride: int, shift: int = 0) -> list[int]:
    """Start positions of windows of ``window`` tokens every ``stride`` tokens, covering all.

    ``shift`` (training only) moves every window but the first one left by up to a stride.
    """
    if length <= window:
        return [0]
    starts = [0]
    pos = stride - shift if shift else stride
    while pos + window < length:
        starts.append(pos)
        pos += stride
    starts.append(max(0, length - window))
    return sorted(set(starts))


def owner_windows(length: int, starts: list[int], window: int) -> list[int]:
    """For each token, the window whose centre is closest (the most context on both sides)."""
    owners = []
    w = 0
    for t in range(length):
        best, best_d = None, None
        for k in range(max(0, w - 1), len(starts)):
            s = starts[k]
            if s > t:
                break
            if t < s + window:
                d = abs(t - (s + window / 2))
                if best_d is None or d < best_d:
                    best, best_d = k, d
        assert best is not None
        owners.append(best)
        w = best
    return owners


def stack_windows(
    docs: list[DocumentTokens], spans: list[tuple[int, int, int]]
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pad windows ``(doc, start, end)`` into tensors: states, mask, shapes, starts."""
    longest = max(end - start for _, start, end in spans)
    layers, _, hidden = docs[spans[0][0]].states.shape
    states = torch.zeros(layers, len(spans), longest, hidden)
    mask = torch.zeros(len(spans), longest, dtype=torch.bool)
    shapes = torch.zeros(len(spans), longest, dtype=torch.long)
    starts = torch.zeros(len(spans), longest, dtype=torch.long)
    for i, (d, start, end) in enumerate(spans):
        doc = docs[d]
        n = end - start
        states[:, i, :n] = doc.states[:, start:end].float()
        mask[i, :n] = True
        shapes[i, :n] = torch.tensor(doc.shapes[start:end])
        starts[i, :n] = torch.tensor(doc.starts[start:end])
    return states, mask, shapes, starts
