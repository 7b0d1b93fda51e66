"""Sentence segmentation with exact character offsets.

Line breaks (and block-level HTML closing tags such as ``</p>``) always end a sentence.
Within a line, `pysbd <https://github.com/nipunsadvilkar/pySBD>`_'s rule-based English
segmenter proposes the sentence starts, which are then located in the original text, so
offsets stay exact even where pysbd rewrites characters. Lines longer than
:data:`MAX_CHUNK_CHARS` are first cut at likely sentence ends, which bounds pysbd's cost
(quadratic in the number of abbreviations it sees in one call).
"""

from __future__ import annotations

import itertools
import re
import warnings
from functools import lru_cache
from typing import TYPE_CHECKING

from diplolex.spans import grapheme_around, grapheme_clusters

if TYPE_CHECKING:
    from pysbd.lang.english import English
    from pysbd.processor import Processor

MAX_CHUNK_CHARS = 2000
"""Most characters handed to pysbd in one call; longer lines are cut first."""

_HARD_BREAK = re.compile(
    r"[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]"
    r"|<br\s*/?>|</(?:p|div|li|h[1-6]|tr|td|th|blockquote|title)\s*>",
    re.IGNORECASE,
)
_CLOSERS = "\"'”’»)\\]"
# pysbd splits only after these; a chunk with none before its final run is one sentence.
_PUNCT = re.compile(r"[.!?。．！？]")
_FINAL_RUN = " \t.!?。．！？\"'”’»)]"
# Likely sentence end, to cut over-long lines at: a CJK stop, or a lowercase word ending
# in "." "!" or "?" (not an ellipsis) before a word that is not lowercase.
_LOWER = "a-zß-öø-ÿа-яё"
_LIKELY_END = re.compile(
    rf"[。！？]+[{_CLOSERS}]*"
    rf"|(?<![^\W\d_])[{_LOWER}]{{2,}}(?:[!?]+|\.(?!\.))[{_CLOSERS}]*(?=\s+(?![{_LOWER}]))"
)
_SPACE = re.compile(r"\s+")
_TAG = re.compile(r"<[^<>]*>")
_WORD = re.compile(r"\w")
# Titles common in political news that pysbd does not know ("Amb. Rahimi").
_EXTRA_TITLES = ("amb", "ambs", "pres")
# pysbd's internal placeholder characters; in the input they would confuse it.
_RESERVED = str.maketrans(dict.fromkeys("∮∯ƪȸȹ⌬⎋☄☇☈☉☏☝♨♟♝♭♬✂ᓰᓱᓳᓴᓷᓸ", "_"))
# A pysbd sentence is looked for by its first _PROBE_CHARS characters (pysbd may rewrite
# later ones), at most _SEARCH_SLACK characters past where it is expected to start.
_PROBE_CHARS = 24
_SEARCH_SLACK = 64


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Split ``text`` into sentences, as character offsets.

    Args:
        text: Any string; none raises, and time grows linearly with its length.

    Returns:
        ``(start, end)`` offsets into ``text``, increasing and non-overlapping, on grapheme
        cluster boundaries. Each ``text[start:end]`` is one sentence without leading or
        trailing whitespace, and every grapheme cluster of ``text`` that does not start with
        whitespace lies in exactly one sentence.

    Example:
        >>> text = "Gen. Okafor landed in Accra. Talks begin Jan. 5."
        >>> [text[start:end] for start, end in split_sentences(text)]
        ['Gen. Okafor landed in Accra.', 'Talks begin Jan. 5.']
    """
    spans: list[tuple[int, int]] = []
    line_start = 0
    for match in _HARD_BREAK.finditer(text):
        spans += _split_line(text, line_start, match.end())
        line_start = match.end()
    spans += _split_line(text, line_start, len(text))
    return _on_graphemes(text, spans)


def _on_graphemes(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Move sentence edges that fall inside a grapheme cluster to the cluster's edges.

    An edge inside a cluster moves outward (a letter keeps its combining mark, an emoji ZWJ
    sequence stays whole), except that a cluster led or ended by whitespace (a space with a
    combining mark on it) counts as whitespace and is left out, as whitespace at the edges is.
    Two sentences that a cluster would make overlap become one.
    """
    if not grapheme_clusters(text)[0]:
        return spans
    snapped: list[tuple[int, int]] = []
    for start, end in spans:
        start, end = _tidy_edges(text, start, end)
        if start >= end:
            continue
        if snapped and start < snapped[-1][1]:
            snapped[-1] = (snapped[-1][0], max(end, snapped[-1][1]))
        else:
            snapped.append((start, end))
    return snapped


def _tidy_edges(text: str, start: int, end: int) -> tuple[int, int]:
    """``[start, end)`` on grapheme boundaries, without whitespace (or whitespace-led
    clusters) at either edge; empty (``start >= end``) when nothing else is left."""
    while start < end:
        moved = False
        around = grapheme_around(text, start)
        if around is not None:
            start = around[1] if text[around[0]].isspace() else around[0]
            moved = True
        around = grapheme_around(text, end)
        if around is not None:
            end = around[0] if text[around[1] - 1].isspace() else around[1]
            moved = True
        while start < end and text[start].isspace():
            start, moved = start + 1, True
        while end > start and text[end - 1].isspace():
            end, moved = end - 1, True
        if not moved:
            break
    return start, end


def _split_line(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The sentences of ``text[start:end]``, a stretch without hard breaks inside."""
    cuts = [start]
    for chunk_start, chunk_end in _chunks(text, start, end):
        chunk = text[chunk_start:chunk_end]
        cuts.append(chunk_start)
        if _PUNCT.search(chunk.rstrip().rstrip(_FINAL_RUN)):
            cuts += [chunk_start + cut for cut in _pysbd_cuts(chunk)]
    cuts.append(end)

    spans: list[tuple[int, int]] = []
    last_bare = False
    for piece_start, piece_end in itertools.pairwise(cuts):
        piece = text[piece_start:piece_end]
        sentence = piece.strip()
        if not sentence:
            continue
        sentence_start = piece_start + len(piece) - len(piece.lstrip())
        sentence_end = sentence_start + len(sentence)
        bare = _WORD.search(_TAG.sub("", sentence)) is None
        # A fragment without words ('"', '</p>', '...') joins its neighbour.
        if spans and (bare or last_bare):
            spans[-1] = (spans[-1][0], sentence_end)
            last_bare = last_bare and bare
        else:
            spans.append((sentence_start, sentence_end))
            last_bare = bare
    return spans


def _chunks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut ``text[start:end]`` into pieces of at most :data:`MAX_CHUNK_CHARS` characters.

    A cut falls after the last likely sentence end in the second half of the piece, else
    at its last whitespace, else at the size limit.
    """
    chunks = []
    while end - start > MAX_CHUNK_CHARS:
        low, high = start + MAX_CHUNK_CHARS // 2, start + MAX_CHUNK_CHARS
        cut = _last_end(_LIKELY_END, text, low, high) or _last_end(_SPACE, text, low, high)
        cut = cut or high
        chunks.append((start, cut))
        start = cut
    chunks.append((start, end))
    return chunks


def _last_end(pattern: re.Pattern[str], text: str, low: int, high: int) -> int:
    """End of the last match of ``pattern`` in ``text[low:high]``, or 0 if none."""
    end = 0
    for match in pattern.finditer(text, low, high):
        end = match.end()
    return end


def _pysbd_cuts(chunk: str) -> list[int]:
    """Offsets in ``chunk`` (0 excluded) where pysbd starts a sentence."""
    processor, language = _pysbd()
    chunk = chunk.translate(_RESERVED)
    try:
        sentences = processor(chunk, language).process()
    except Exception:  # pysbd is heuristic third-party code: keep the chunk whole.
        return []
    cuts: list[int] = []
    pos = expected = 0
    for sentence in sentences:
        sentence = sentence.strip()
        if not sentence:
            continue
        probe = sentence[:_PROBE_CHARS]
        found = chunk.find(probe, pos, max(pos, expected) + _SEARCH_SLACK + len(probe))
        if found < 0:
            expected += len(sentence) + 1
            continue
        if found > 0:
            cuts.append(found)
        pos = found + (len(sentence) if chunk.startswith(sentence, found) else len(probe))
        expected = found + len(sentence)
    return cuts


@lru_cache(maxsize=1)
def _pysbd() -> tuple[type[Processor], type[English]]:
    """pysbd's processor and its English rules with news titles added, imported lazily."""
    with warnings.catch_warnings():
        # pysbd 0.3.4's invalid escape sequences warn when it is compiled without a cache.
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        from pysbd.lang.english import English
        from pysbd.processor import Processor

    class NewsEnglish(English):
        class Abbreviation(English.Abbreviation):
            ABBREVIATIONS = (*English.Abbreviation.ABBREVIATIONS, *_EXTRA_TITLES)
            PREPOSITIVE_ABBREVIATIONS = (
                *English.Abbreviation.PREPOSITIVE_ABBREVIATIONS,
                *_EXTRA_TITLES,
            )

    return Processor, NewsEnglish
