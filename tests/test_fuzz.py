"""Fuzzing the public API with hypothesis: whatever ``str`` comes in, the promises hold.

For every generated text (news-like fragments mixed with combining marks, ZWJ emoji, flags,
lone surrogates, control characters, markup and arbitrary code points):

* analysing it raises nothing;
* every span's text is ``doc.text[start:end]`` and both edges lie on grapheme boundaries;
* sentences tile the text in order (increasing, disjoint, stripped, and every grapheme
  cluster outside them starts with whitespace);
* ``to_json()`` is valid JSON that reads back to ``to_dict()``;
* a second analysis gives the same result (determinism);
* the result is the same whether the text is analysed alone or batched with others (same
  labels and spans, scores within 1e-4).

The fast profile runs in the default test run (a few dozen inputs); the long profile is
marked slow: ``python -m pytest tests/test_fuzz.py -m slow --hypothesis-show-statistics``
(``DIPLOLEX_FUZZ_EXAMPLES`` sets its size). See docs/guarantees.md.
"""

from __future__ import annotations

import json
import math
import os

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diplolex.segment import split_sentences
from diplolex.spans import grapheme_clusters, is_grapheme_boundary
from diplolex.types import CONDITIONAL_TYPES

FAST_EXAMPLES = 8  # three analyses each: about 30 s on two busy CPU cores
LONG_EXAMPLES = int(os.environ.get("DIPLOLEX_FUZZ_EXAMPLES", "300"))
SCORE_TOLERANCE = 1e-4 + 1e-9  # scores are rounded to 4 places

NEWS = [
    "If the talks fail, sanctions will follow.",
    "The foreign minister said the border would reopen once the shelling stopped.",
    '"We will not negotiate under threat," the spokeswoman told reporters.',
    "Aid convoys will resume unless the checkpoint closes again",
    "Gen. Okafor met U.N. envoys in Geneva on Tues. Jan. 5.",
    "Had Paris signed the accord, the tariffs would have been lifted.",
    "According to diplomats, Iran rejected the proposal.",
    "Le ministre a déclaré que les négociations reprendraient.",
    "Переговоры возобновятся, если перемирие сохранится.",
    "如果停火协议得到遵守，援助将会到达。",
]
ODD = [
    "\u0301", "e\u0301", "\u200d", "👩\u200d⚖️", "👨\u200d👩\u200d👧", "🇺🇳", "🇫🇷🇩🇪", "🏳️\u200d🌈",
    "\u0915\u094d\u0937", "\u0600", "\u1100\u1161\u11a8", "\ud800", "\udcff", "\x00", "\x1b",
    "\r", "\n", "\r\n", "\n\n", "\u2028", "\x85", "\t", " ", "</p>", "<br/>", '"', "«", "»",
    "“", "”", "'", "...", "…", "—", "?!", "3.5%", "U.S.", "\u202e", "\u200b", "\ufeff",
]  # fmt: skip
FAST_TARGETS = [None, ["the sanctions"], ["the talks", "the border"], ["\u0301"]]
TARGETS = [*FAST_TARGETS, ["x " * 70]]  # a target longer than half a window

ANY_CHAR = st.characters(exclude_categories=())  # every code point, surrogates included


def _texts(fragments: int, repeats: int) -> st.SearchStrategy[str]:
    """Up to ``fragments`` pieces joined; a news sentence may come up to ``repeats`` times."""
    piece = st.one_of(
        st.sampled_from(NEWS),
        st.sampled_from(ODD),
        st.text(ANY_CHAR, max_size=12),
        st.tuples(st.sampled_from(NEWS), st.integers(2, repeats)).map(
            lambda t: " ".join([t[0]] * t[1])
        ),
    )
    return st.lists(piece, max_size=fragments).map("".join)


FAST_TEXTS = _texts(fragments=4, repeats=3)
TEXTS = _texts(fragments=8, repeats=30)

# Fixed neighbours of other lengths, so batching and padding differ from the lone run.
NEIGHBOURS = (
    "Talks resumed.",
    "The ministers said the accord would be signed if parliament approved it.",
)


def _on_boundaries(text: str, start: int, end: int) -> bool:
    return is_grapheme_boundary(text, start) and is_grapheme_boundary(text, end)


def _whitespace_only(gap: str) -> bool:
    """Whether every grapheme cluster of ``gap`` starts with whitespace."""
    return all(cluster[0].isspace() for cluster in regex.findall(r"\X", gap))


def check_document(doc, text: str) -> None:
    """The offset, grapheme, tiling and JSON promises for one analysed text."""
    assert doc.text == text
    previous = 0
    for s in doc.sentences:
        assert s.text and s.text == s.text.strip()
        assert text[s.start : s.end] == s.text
        assert previous <= s.start < s.end <= len(text)
        assert _on_boundaries(text, s.start, s.end), (s.start, s.end)
        assert _whitespace_only(text[previous : s.start])
        previous = s.end
    assert _whitespace_only(text[previous:])
    for span in doc.spans():
        assert 0 <= span.start <= span.end <= len(text)
        assert text[span.start : span.end] == span.text
        assert _on_boundaries(text, span.start, span.end), span
    for c in doc.conditionals:
        assert c.type in CONDITIONAL_TYPES
        assert 0.0 <= c.score <= 1.0 and 0.0 <= c.type_score <= 1.0
    for s in doc.sentences:  # a flag always comes with a construction inside its sentence
        if s.conditional:
            assert any(s.start <= c.condition.start < s.end for c in doc.conditionals), s
    for a in doc.attributions:
        assert 0.0 <= a.score <= 1.0
    for st_ in doc.stances:
        assert st_.stance in ("favor", "against", "neutral") and math.isfinite(st_.score)
    as_dict = doc.to_dict()
    assert json.loads(doc.to_json()) == as_dict
    assert json.loads(json.dumps(as_dict, ensure_ascii=True, allow_nan=False)) == as_dict


def assert_close(a: object, b: object, path: str = "doc") -> None:
    """Equal structures, with floats equal to :data:`SCORE_TOLERANCE`."""
    if isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, (int, float)) and isinstance(b, (int, float)), path
        assert abs(a - b) <= SCORE_TOLERANCE, f"{path}: {a} != {b}"
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), path
        for key in a:
            assert_close(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{path}: {len(a)} != {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_close(x, y, f"{path}[{i}]")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def _all_promises(nlp, text: str, targets: list[str] | None) -> None:
    alone = nlp(text, targets=targets)
    check_document(alone, text)
    again = nlp(text, targets=targets)
    assert again.to_dict() == alone.to_dict()  # determinism: same input, same output
    batched = list(nlp.pipe([NEIGHBOURS[1], text, NEIGHBOURS[0]], targets=targets))
    assert [d.text for d in batched] == [NEIGHBOURS[1], text, NEIGHBOURS[0]]
    assert_close(batched[1].to_dict(), alone.to_dict())


_SETTINGS = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@settings(max_examples=FAST_EXAMPLES, **_SETTINGS)
@given(text=FAST_TEXTS, targets=st.sampled_from(FAST_TARGETS))
def test_fuzz_fast_every_promise_holds(nlp, text, targets):
    _all_promises(nlp, text, targets)


def _logged(text: str, check) -> None:
    """Run ``check``; with ``DIPLOLEX_FUZZ_LOG`` set, append one line per input to that file
    (``ok``/``FAIL``, characters, sentences) so a long run's counts survive an interruption."""
    log = os.environ.get("DIPLOLEX_FUZZ_LOG")
    outcome = "FAIL"
    try:
        check()
        outcome = "ok"
    finally:
        if log:
            with open(log, "a", encoding="utf-8") as f:
                f.write(f"{outcome}\t{len(text)}\t{len(split_sentences(text))}\n")


@pytest.mark.slow
@settings(max_examples=LONG_EXAMPLES, **_SETTINGS)
@given(text=TEXTS, targets=st.sampled_from(TARGETS))
def test_fuzz_long_every_promise_holds(nlp, text, targets):
    _logged(text, lambda: _all_promises(nlp, text, targets))


# The segmenter and the grapheme index alone are cheap: many more inputs.

SEGMENTER_TEXTS = st.lists(
    st.one_of(st.sampled_from(NEWS), st.sampled_from(ODD), st.text(ANY_CHAR, max_size=8)),
    max_size=16,
).map("".join)


def _check_sentences(text: str) -> None:
    previous = 0
    for start, end in split_sentences(text):
        sentence = text[start:end]
        assert sentence and sentence == sentence.strip()
        assert previous <= start and _on_boundaries(text, start, end)
        assert _whitespace_only(text[previous:start])
        previous = end
    assert _whitespace_only(text[previous:])


def _check_clusters(text: str) -> None:
    expected = [(m.start(), m.end()) for m in regex.finditer(r"\X", text) if len(m.group()) > 1]
    starts, ends = grapheme_clusters(text)
    assert list(zip(starts, ends)) == expected


@settings(max_examples=150, deadline=None)
@given(SEGMENTER_TEXTS)
def test_fuzz_sentences_tile_the_text_on_grapheme_boundaries(text):
    _check_sentences(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"ab .\r\n", *ODD]), max_size=30).map("".join) | st.text(ANY_CHAR))
def test_fuzz_grapheme_index_matches_the_regex_module(text):
    _check_clusters(text)


@pytest.mark.slow
@settings(max_examples=5000, deadline=None)
@given(SEGMENTER_TEXTS)
def test_fuzz_long_sentences_and_graphemes(text):
    _check_sentences(text)
    _check_clusters(text)
