"""No step quadratic in the input (issue 14): counted work, never timed.

Two steps used to be quadratic: the stance step read every attribution for every sentence
and every (sentence, target) pair, and attribution's ``token_shape`` widened each word piece
to its whole word character by character (a run of 20,000 letters without spaces cost
20,000 x 20,000 reads). These tests count the work (attribute reads, character reads) and
fail when it grows faster than the input; each also checks that the linear code gives what
the old rule gives (a reference copy of the old loops is kept here). Timings against
document size belong in the harness (``python -m benchmarks scaling``).
"""

from __future__ import annotations

import random
from types import SimpleNamespace

import torch

from diplolex.tasks.attribution.features import (
    _DASHES,
    _QUOTES,
    SHAPES,
    SentenceStates,
    document_tokens,
    token_shape,
    token_shapes,
)
from diplolex.tasks.stance import document as stance_document
from diplolex.tasks.stance.document import (
    _WORD,
    MAX_CONTENT_WORDS,
    MIN_CONTENT_WORDS,
    _Contents,
    _first_overlapping,
    _holders,
    _overlaps,
    _Pair,
    _parse,
    _proposed,
    _sentence_span,
    _strip_quotes,
    document_stances,
)
from diplolex.types import Attribution, Span

# ---------------------------------------------------------------------------
# References: the old (quadratic) rules, kept to check that the new code agrees


def reference_token_shape(text: str, start: int, end: int) -> int:
    piece = text[start:end]
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
    s, e = start, end
    while s > 0 and text[s - 1].isalnum():
        s -= 1
    while e < len(text) and text[e].isalnum():
        e += 1
    word = text[s:e]
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


def reference_holder(text: str, pair: _Pair, attributions) -> tuple[str, Span | None]:
    s, target = pair.sentence, pair.span
    sourced = []
    for a in attributions:
        source = getattr(a, "resolved_source", None) or a.source
        if source is not None:
            sourced.append((a, Span.of(text, source.start, source.end)))
    for a, source in sourced:
        if _overlaps(a.content, target) or _overlaps(a.cue, target):
            return source.text, source
    length = len(_sentence_span(text, s).text)
    for a, source in sourced:
        covered = min(a.content.end, s.end) - max(a.content.start, s.start)
        if covered > length / 2:
            return source.text, source
    verbs = [v for v in s.verbs if v[1] is not None]
    if pair.verb is not None:
        chosen = [v for v in verbs if v[0] == pair.verb]
    else:
        chosen = [v for v in verbs if v[2] is not None and _overlaps(v[2], target)]
    chosen = chosen or verbs
    if chosen:
        return chosen[0][1].text, chosen[0][1]
    return "author", None


def reference_proposed(text: str, s, attributions) -> list[_Pair]:
    pairs: list[_Pair] = []
    seen: set[tuple[int, int]] = set()
    for verb, _, obj in s.verbs:
        if obj is not None and (obj.start, obj.end) not in seen:
            seen.add((obj.start, obj.end))
            pairs.append(_Pair(s, obj.text, obj, verb))
    for a in attributions:
        start, end = _strip_quotes(text, a.content.start, a.content.end)
        content = Span.of(text, start, end)
        if not s.start <= content.start < s.end:
            continue
        if not MIN_CONTENT_WORDS <= len(_WORD.findall(content.text)) <= MAX_CONTENT_WORDS:
            continue
        if (content.start, content.end) not in seen:
            seen.add((content.start, content.end))
            pairs.append(_Pair(s, content.text, content, None))
    return pairs


# ---------------------------------------------------------------------------
# Counting helpers


class BudgetExceeded(AssertionError):
    pass


class CountingText(str):
    """A ``str`` that counts its ``text[i]`` / ``text[a:b]`` reads and stops past a budget
    (so a quadratic regression fails at once instead of running for minutes)."""

    budget = 0
    reads = 0

    def __getitem__(self, key):  # type: ignore[override]
        CountingText.reads += 1
        if CountingText.reads > CountingText.budget:
            raise BudgetExceeded(f"more than {CountingText.budget} character reads")
        return str.__getitem__(self, key)


class CountingAttribution:
    """Wraps an :class:`Attribution` and counts every attribute read across all instances."""

    reads = 0

    def __init__(self, inner: Attribution) -> None:
        object.__setattr__(self, "_inner", inner)

    def __getattr__(self, name):
        CountingAttribution.reads += 1
        return getattr(object.__getattribute__(self, "_inner"), name)


class StubModel:
    """Every pair neutral; records the holders it was given."""

    def __init__(self) -> None:
        self.holders: list[str] = []

    def predict_pairs(self, encoder, texts, targets, batch_size=32, holders=None):
        self.holders += list(holders)
        probs = {"favor": 0.1, "against": 0.2, "neutral": 0.5, "unrelated": 0.2}
        return [SimpleNamespace(probabilities=dict(probs))] * len(texts)


def quoted_document(n: int) -> tuple[str, list[tuple[int, int]], list[Attribution]]:
    """``n`` sentences, each with one attribution (source, cue, a quoted 4-word content)."""
    text, bounds, attributions = "", [], []
    names = ["Iran", "Qatar", "The minister", "Officials", "Ankara"]
    for i in range(n):
        source = names[i % len(names)]
        sentence = f'{source} said "the talks must resume now" and welcomed the plan {i}.'
        start = len(text)
        text += sentence + " "
        bounds.append((start, start + len(sentence)))
        q = start + sentence.index('"')
        attributions.append(
            Attribution(
                Span.of(text, start, start + len(source)),
                Span.of(text, start + len(source) + 1, start + len(source) + 5),
                Span.of(text, q, q + len('"the talks must resume now"')),
                0.9,
            )
        )
    return text, bounds, attributions


# ---------------------------------------------------------------------------
# token_shape


def test_a_20000_letter_run_without_spaces_costs_linear_reads():
    n = 20_000
    text = CountingText("中" * n)
    offsets = [(i, i + 1) for i in range(n)]
    CountingText.reads, CountingText.budget = 0, 4 * n  # the old widening needs ~n * n
    shapes = token_shapes(text, offsets)
    assert shapes == [SHAPES.index("lower")] * n
    assert CountingText.reads <= 4 * n


def test_document_tokens_judge_shapes_in_linear_reads():
    """The attribution step's own call (not only the helper) stays linear."""
    n = 20_000
    text = CountingText("x" + "中" * (n - 2) + ".")
    states = SentenceStates(torch.zeros(1, n, 1), [(i, i + 1) for i in range(n)])
    CountingText.reads, CountingText.budget = 0, 4 * n
    tokens = document_tokens(text, [(0, n)], [states])
    assert tokens.shapes[:2] == [SHAPES.index("lower")] * 2
    assert tokens.shapes[-1] == SHAPES.index("other")
    assert CountingText.reads <= 4 * n


def test_token_shapes_equal_the_word_by_word_rule():
    rng = random.Random(14)
    alphabet = "aBcDeXYZ09_中字Éé\u0301 \t-–:\"'“”.,!ⅫΣσ١٢"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 60)))
        offsets = []
        for _ in range(rng.randrange(0, 25)):
            a = rng.randrange(0, len(text) + 1)
            b = min(len(text), a + rng.randrange(0, 5))
            offsets.append((a, b))
        expected = [reference_token_shape(text, a, b) for a, b in offsets]
        assert token_shapes(text, offsets) == expected, (text, offsets)
        assert [token_shape(text, a, b) for a, b in offsets] == expected


def test_token_shapes_of_a_sentence_are_unchanged():
    text = "NATO said \u201cno\u201d to Petrov \u2014 2016, and the EU's Ab12 plan, 中文 A."
    offsets = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    offsets += [(i, i + 1) for i in range(len(text))]
    assert token_shapes(text, offsets) == [reference_token_shape(text, a, b) for a, b in offsets]


# ---------------------------------------------------------------------------
# The stance step


def _count_reads(n: int, targets) -> tuple[int, int]:
    text, bounds, attributions = quoted_document(n)
    wrapped = [CountingAttribution(a) for a in attributions]
    CountingAttribution.reads = 0
    stances = document_stances(text, bounds, wrapped, targets, StubModel(), None)
    return CountingAttribution.reads, len(stances)


def test_the_stance_step_reads_each_attribution_a_bounded_number_of_times():
    for targets in (None, ["the talks", "the plan"]):
        small, found_small = _count_reads(40, targets)
        large, found_large = _count_reads(320, targets)
        assert found_small and found_large > found_small
        # The old loops read every attribution per sentence and per pair: 320 * 320 * 2
        # reads and more. Linear: the same few reads per attribution at any length.
        assert small <= 12 * 40, small
        assert large <= 12 * 320, large


def test_holders_of_every_pair_come_from_the_attribution_that_quotes_them():
    text, bounds, attributions = quoted_document(50)
    stub = StubModel()
    document_stances(text, bounds, attributions, ["the talks"], stub, None)
    names = ["Iran", "Qatar", "The minister", "Officials", "Ankara"]
    assert stub.holders == [names[i % 5] for i in range(50)]


def _random_case(rng: random.Random):
    words = "Iran said the talks must resume and Qatar rejected sanctions on Monday".split()
    words += ["“peace", "now”", "welcomed", "backed", "the", "plan", "strongly"]
    text, bounds = "", []
    for _ in range(rng.randrange(1, 8)):
        sentence = " ".join(rng.choice(words) for _ in range(rng.randrange(1, 14))) + "."
        start = len(text)
        text += sentence + rng.choice([" ", "  ", "\n"])
        bounds.append((start, start + len(sentence)))

    def span() -> Span:
        a = rng.randrange(0, len(text) + 1)
        b = min(len(text), a + rng.choice([0, 1, 4, 12, 40, 200]))
        return Span.of(text, a, b)

    attributions = []
    for _ in range(rng.randrange(0, 12)):
        a = Attribution(
            span() if rng.random() < 0.8 else None, span(), span(), 0.5,
            resolved_source=span() if rng.random() < 0.2 else None,
        )  # fmt: skip
        attributions.append(a)
    return text, bounds, attributions


def test_the_indexed_stance_rules_equal_the_scanning_rules():
    rng = random.Random(2026)
    for _ in range(400):
        text, bounds, attributions = _random_case(rng)
        parsed = [_parse(text, i, a, b) for i, (a, b) in enumerate(bounds)]
        contents = _Contents(text, attributions)
        pairs = []
        for s in parsed:
            got = _proposed(s, contents)
            want = reference_proposed(text, s, attributions)
            assert [(p.target, p.span, p.verb) for p in got] == [
                (p.target, p.span, p.verb) for p in want
            ]
            pairs += got
            candidates = stance_document._candidates(s)
            for target in ("the talks", "sanctions", "peace plan"):
                target_span = stance_document._target_span(text, s, target, candidates)
                pairs.append(_Pair(s, target, target_span, None))
            pairs.append(_Pair(s, "x", _sentence_span(text, s), None))
        assert _holders(text, pairs, attributions) == [
            reference_holder(text, p, attributions) for p in pairs
        ]


def test_first_overlapping_is_the_least_key_of_the_overlapping_intervals():
    rng = random.Random(7)
    for _ in range(300):
        intervals = []
        for key in range(rng.randrange(0, 15)):
            a = rng.randrange(0, 30)
            intervals.append((a, a + rng.randrange(0, 8), key))
        rng.shuffle(intervals)
        queries = []
        for _ in range(rng.randrange(0, 10)):
            a = rng.randrange(0, 30)
            queries.append((a, a + rng.randrange(0, 8)))
        expected = [
            min((k for s, e, k in intervals if s < qe and qs < e), default=None)
            for qs, qe in queries
        ]
        assert _first_overlapping(intervals, queries) == expected


# ---------------------------------------------------------------------------
# The harness's scaling measurement (its machinery; the timings are its output, not tested)


def test_scaling_harness_writes_table_json_and_plot(tmp_path):
    import json

    from benchmarks.scaling import fit_exponent, parse_size, run_scaling, text_chart

    speeches = tmp_path / "un-general-debates" / "data" / "data_original" / "TXT" / "S1"
    speeches.mkdir(parents=True)
    paragraph = "The minister said the talks would resume. Iran rejected the plan."
    (speeches / "a.txt").write_text("\n".join([paragraph] * 40), encoding="utf-8")
    seen: list[int] = []
    path, content = run_scaling(
        tmp_path, sizes=[1000, 500], analyzer=lambda text: seen.append(len(text)),
        out=tmp_path / "out" / "scaling.json", log=lambda line: None,
    )  # fmt: skip
    rows = content["results"][0]["figures"]["sizes"]
    assert [r["size"] for r in rows] == [500, 1000]
    assert all(r["bytes"] <= r["size"] and r["characters"] > 0 for r in rows)
    assert seen[1:] == [r["characters"] for r in rows]  # after the warm-up call
    assert json.loads(path.read_text())["kind"] == "scaling"
    assert path.with_suffix(".png").exists() or path.with_suffix(".txt").exists()
    assert "*" in text_chart(rows)
    assert parse_size("100k") == 100_000 and parse_size("2MB") == 2_000_000
    assert round(fit_exponent([1, 2, 4], [3, 6, 12]), 6) == 1.0
    assert round(fit_exponent([1, 2, 4], [3, 12, 48]), 6) == 2.0
