"""Cue families, per-family recall and the type confusion of the harness."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from benchmarks.baselines import cue_rule_conditionals
from benchmarks.families import OTHER, WIDE_CUE_RE, cue_family
from benchmarks.scoring import ConditionalityScorer, family_recall, type_confusion


@pytest.mark.parametrize(
    ("cue", "family"),
    [
        ("if", "if"),
        ("Only if", "if"),
        ("unless", "unless/provided/as long as"),
        ("as long as", "unless/provided/as long as"),
        ("or", "without/otherwise/or"),
        ("Without", "without/otherwise/or"),
        ("in exchange for", "contingency phrases"),
        ("depending on", "contingency phrases"),
        ("until", "before/until/once/when"),
        ("only after", "before/until/once/when"),
        ("only", "only-restrictions"),
        ("ultimatum", "named conditions and demands"),
        ("the preconditions", "named conditions and demands"),
        ("Had", OTHER),
        (None, OTHER),
    ],
)
def test_cue_family(cue: str | None, family: str) -> None:
    assert cue_family(cue) == family


def _record(text: str, cues: list[str], conditional: bool, types=()) -> dict:
    entries = []
    for cue, kind in zip(cues, types or [None] * len(cues)):
        start = text.index(cue)
        span = {"start": start, "end": start + len(cue), "text": cue}
        entries.append({"type": kind, "cue": span, "condition": span, "consequence": None})
    return {"text": text, "conditional": conditional, "conditionals": entries,
            "spans_complete": True}  # fmt: skip


def _prediction(conditional: bool, constructions=()) -> SimpleNamespace:
    return SimpleNamespace(
        conditional=conditional,
        conditionals=[SimpleNamespace(condition=c, type=t) for c, t in constructions],
    )


def test_family_recall_counts_each_family_of_a_sentence_once() -> None:
    records = [
        _record("Talks resume if the shelling stops.", ["if"], True),
        _record("No deal until the troops leave, unless Paris objects.", ["until", "unless"], True),
        _record("Aid flows once the road opens.", ["once"], True),
        _record("The talks ended.", [], False),
    ]
    predictions = [_prediction(True), _prediction(True), _prediction(False), _prediction(True)]
    got = family_recall(records, predictions)
    assert got["recall_if"] == 1.0 and got["count_if"] == 1
    assert got["recall_before/until/once/when"] == 0.5
    assert got["count_before/until/once/when"] == 2
    assert got["recall_unless/provided/as long as"] == 1.0
    assert "recall_only-restrictions" not in got  # no gold sentence of that family


def test_type_confusion_uses_the_most_overlapping_prediction() -> None:
    text = "Sanctions end if the prisoners are freed."
    record = _record(text, ["if the prisoners are freed"], True, ["offer"])
    start = text.index("if")
    prediction = _prediction(
        True, [((start, start + 2), "threat"), ((start, len(text) - 1), "offer")]
    )
    counts = type_confusion([record], [prediction])
    assert counts["types_offer_offer"] == 1 and counts["types_offer_threat"] == 0
    assert sum(counts.values()) == 1


def test_details_print_families_and_the_confusion_rows() -> None:
    figures = {"recall_if": 0.5, "count_if": 2, "type_accuracy": 1.0} | {
        f"types_{g}_{p}": float(g == p == "offer")
        for g in ("offer", "threat", "demand", "hypothetical")
        for p in ("offer", "threat", "demand", "hypothetical")
    }
    lines = ConditionalityScorer().details(figures)
    assert lines[0] == "recall by cue family: if 0.50 (1/2)"
    assert lines[2].split() == ["offer", "1", "0", "0", "0"]
    assert ConditionalityScorer().details({"sentence_f1": 0.5}) == []


def test_wide_cue_list_finds_the_diplomatic_cues() -> None:
    text = "There will be no talks until the shelling stops."
    ((cue, condition, consequence),) = cue_rule_conditionals(text, WIDE_CUE_RE)
    assert text[cue[0] : cue[1]] == "until"
    assert text[condition[0] : condition[1]] == "until the shelling stops"
    assert text[consequence[0] : consequence[1]] == "There will be no talks"
