"""Character-span utilities shared by the task decoders: clean edges, word and grapheme
snapping, BIO codes."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from functools import lru_cache

import regex

_TRAILING_PUNCT = ".,;:"

# Grapheme clusters (Unicode text segmentation, UAX #29, as the ``regex`` module's ``\X``).
# A cluster of two or more code points only joins at a code point whose Grapheme_Cluster_Break
# is none of Other, Control, LF (a combining mark, ZWJ, spacing mark, prepend, regional
# indicator, Hangul jamo or syllable, CR): between two code points that are both Other,
# Control or LF there is always a boundary. So clusters are found by running ``\X`` only over
# the stretches where no two such plain code points meet, which keeps plain text (ASCII,
# CJK, most Latin) a single C-speed scan.
_PLAIN = r"[\p{Grapheme_Cluster_Break=Other}\p{Grapheme_Cluster_Break=Control}\n]"
_JOINING = r"[^\p{Grapheme_Cluster_Break=Other}\p{Grapheme_Cluster_Break=Control}\n]"
_JOINING_STRETCH = regex.compile(rf"{_PLAIN}?(?:{_JOINING}+{_PLAIN}?)+")
_CLUSTER = regex.compile(r"\X")
_NO_CLUSTERS: tuple[tuple[int, ...], tuple[int, ...]] = ((), ())


def clean_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim whitespace at both edges and a final full stop, comma, colon or semicolon.

    Returns an empty span (``start == end``) when nothing is left.

    Example:
        >>> clean_span("  the talks failed. ", 0, 20)
        (2, 18)
    """
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in _TRAILING_PUNCT):
        end -= 1
    return start, end


def snap_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen ``[start, end)`` so that it neither starts nor ends inside a word or a grapheme
    cluster (see :func:`snap_to_graphemes`)."""
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and end > 0 and text[end - 1].isalnum() and text[end].isalnum():
        end += 1
    return snap_to_graphemes(text, start, end)


def grapheme_clusters(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The clusters of ``text`` made of more than one code point, as ``(starts, ends)``.

    Every other position of ``text`` is a grapheme boundary. Increasing, non-overlapping.

    Example:
        >>> grapheme_clusters("Cafe\u0301 👍🏽")
        ((3, 6), (5, 8))
    """
    if len(text) < _CACHE_FROM_CHARS:
        return _find_clusters(text)
    return _cached_clusters(text)


_CACHE_FROM_CHARS = 4096
"""Texts this long keep their cluster index (a document is snapped many times); shorter ones
(sentences, passages) are indexed afresh, cheaply, and so never push a document out."""


@lru_cache(maxsize=4)
def _cached_clusters(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    return _find_clusters(text)


def _find_clusters(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    if text.isascii() and "\r\n" not in text:
        return _NO_CLUSTERS
    starts: list[int] = []
    ends: list[int] = []
    for stretch in _JOINING_STRETCH.finditer(text):
        offset = stretch.start()
        for cluster in _CLUSTER.finditer(stretch.group()):
            if cluster.end() - cluster.start() > 1:
                starts.append(offset + cluster.start())
                ends.append(offset + cluster.end())
    return tuple(starts), tuple(ends)


def grapheme_around(text: str, position: int) -> tuple[int, int] | None:
    """The cluster ``position`` falls strictly inside, as ``(start, end)``; ``None`` when
    ``position`` is a grapheme boundary (as 0, ``len(text)`` and most positions are)."""
    starts, ends = grapheme_clusters(text)
    i = bisect.bisect_right(starts, position) - 1
    if i >= 0 and starts[i] < position < ends[i]:
        return starts[i], ends[i]
    return None


def is_grapheme_boundary(text: str, position: int) -> bool:
    """Whether ``text[:position]`` and ``text[position:]`` cut no grapheme cluster in two."""
    return 0 <= position <= len(text) and grapheme_around(text, position) is None


def snap_to_graphemes(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen ``[start, end)`` to the nearest grapheme boundaries outside it.

    A span never starts or ends between a letter and its combining mark, inside an emoji ZWJ
    sequence or flag, or between CR and LF. An empty span inside a cluster moves to its start.

    Example:
        >>> snap_to_graphemes("Cafe\u0301 au lait", 0, 4)
        (0, 5)
    """
    empty = end <= start
    around = grapheme_around(text, start)
    if around is not None:
        start = around[0]
    if empty:
        return start, start
    around = grapheme_around(text, end)
    if around is not None:
        end = around[1]
    return start, end


def char_spans_to_bio(
    offsets: Sequence[tuple[int, int] | None],
    spans: Sequence[tuple[str, int, int]],
    labels: Sequence[str],
) -> list[int]:
    """Tag tokens with BIO codes for labelled character spans.

    Codes: 0 = outside, ``1 + 2*i`` = begin of ``labels[i]``, ``2 + 2*i`` = inside. A token is
    inside a span when its characters overlap it; a token already tagged keeps its first tag.
    Tokens without offsets (special, padding) get -100, the ignore index of the loss.
    """
    tags = [0 if off is not None else -100 for off in offsets]
    for label, start, end in spans:
        code = labels.index(label)
        first = True
        for t, off in enumerate(offsets):
            if off is None or off[1] <= start or off[0] >= end or tags[t] != 0:
                continue
            tags[t] = (1 if first else 2) + 2 * code
            first = False
    return tags


def bio_to_char_spans(
    tags: Sequence[int],
    offsets: Sequence[tuple[int, int] | None],
    labels: Sequence[str],
    scores: Sequence[float] | None = None,
) -> list[tuple[str, int, int, float]]:
    """Decode BIO codes (see :func:`char_spans_to_bio`) into ``(label, start, end, score)``.

    An inside tag that does not continue a span of its label starts a new one. ``score`` is the
    mean of the per-token ``scores`` over the span (1.0 when no scores are given).
    """
    found: list[tuple[str, int, int, float]] = []
    current: list | None = None
    for t, (tag, off) in enumerate(zip(tags, offsets)):
        if off is None:
            continue
        label = labels[(tag - 1) // 2] if tag > 0 else None
        continues = current is not None and tag > 0 and tag % 2 == 0 and current[0] == label
        if continues:
            current[2] = off[1]
            current[3].append(scores[t] if scores is not None else 1.0)
            continue
        if current is not None:
            found.append(_close(current))
            current = None
        if label is not None:
            current = [label, off[0], off[1], [scores[t] if scores is not None else 1.0]]
    if current is not None:
        found.append(_close(current))
    return found


def _close(current: list) -> tuple[str, int, int, float]:
    label, start, end, token_scores = current
    return label, start, end, sum(token_scores) / len(token_scores)


def viterbi_bio(log_probs: Sequence[Sequence[float]], continues_word: Sequence[bool]) -> list[int]:
    """The most probable BIO code sequence (codes as in :func:`char_spans_to_bio`) that is valid.

    Valid means: an inside code ``2 + 2*i`` only follows ``1 + 2*i`` or itself, and a token that
    continues the previous token's word (``continues_word[t]``) keeps that word's span: it is
    outside after outside, and inside of the same label after a begin or inside.

    Args:
        log_probs: per token, the log-probability of each code (``1 + 2 * labels`` of them).
        continues_word: per token, whether it is a word piece glued to the previous token.
    """
    import numpy as np

    scores = np.asarray(log_probs, dtype=np.float64)
    n, codes = scores.shape if scores.size else (0, 0)
    if n == 0:
        return []
    labels = (codes - 1) // 2
    allowed = np.ones((codes, codes), dtype=bool)  # allowed[previous, current]
    glued = np.zeros((codes, codes), dtype=bool)
    glued[0, 0] = True
    for i in range(labels):
        begin, inside = 1 + 2 * i, 2 + 2 * i
        allowed[:, inside] = False
        allowed[begin, inside] = allowed[inside, inside] = True
        glued[begin, inside] = glued[inside, inside] = True
    start_allowed = np.array([c == 0 or c % 2 == 1 for c in range(codes)])

    best = np.where(start_allowed, scores[0], -np.inf)
    back = np.zeros((n, codes), dtype=np.int64)
    for t in range(1, n):
        mask = glued if continues_word[t] else allowed
        candidates = np.where(mask, best[:, None], -np.inf)
        back[t] = candidates.argmax(0)
        best = candidates.max(0) + scores[t]
    path = [int(best.argmax())]
    for t in range(n - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1]


def glued_to_previous(text: str, offsets: Sequence[tuple[int, int]]) -> list[bool]:
    """Per token, whether it continues the previous token's word (no gap, letters both sides)."""
    glued = [False] * len(offsets)
    for t in range(1, len(offsets)):
        start, prev_end = offsets[t][0], offsets[t - 1][1]
        glued[t] = (
            start == prev_end and 0 < start < len(text)
            and text[start - 1].isalnum() and text[start].isalnum()
        )  # fmt: skip
    return glued
