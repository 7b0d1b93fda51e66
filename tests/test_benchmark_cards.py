"""The harness writes the model cards' figure section from result files."""

from __future__ import annotations

import json

from benchmarks.cards import HEADING, write_cards


def _result(system, kind, value, ci=None, shipped=True, dataset="diplocond-dev"):
    return {
        "benchmark": "accuracy", "task": "conditionality", "dataset": dataset, "split": "dev",
        "n": 12, "system": system, "system_kind": kind, "headline": ["sentence_f1"],
        "figures": {"sentence_f1": value}, "ci95": {"sentence_f1": ci} if ci else {},
        "model": {"path": "w", "shipped": shipped} if kind == "model" else None,
        "command": "python -m benchmarks run --task conditionality", "date": "2026-12-01T10:00",
        "machine": {"processor": "x86_64", "cpus_logical": 2, "torch": "2.13.0+cpu"},
    }  # fmt: skip


def _files(tmp_path, results, created="2026-12-01"):
    path = tmp_path / f"run-{created}.json"
    path.write_text(json.dumps({"kind": "run", "created": created, "results": results}))
    return path


def test_the_section_is_written_replaced_and_keeps_the_rest_of_the_card(tmp_path):
    card = tmp_path / "weights" / "conditionality" / "README.md"
    card.parent.mkdir(parents=True)
    card.write_text("# head\n\n## Data\n\nsome data\n")
    first = _files(tmp_path, [
        _result("diplolex", "model", 0.8, [0.7, 0.9]),
        _result("cue-rule", "baseline", 0.6),
        _result("majority", "baseline", 0.0),
        _result("diplolex", "model", 0.1, shipped=False),  # other weights: not the card's
    ])  # fmt: skip
    assert write_cards([first], tmp_path / "weights") == [card]
    text = card.read_text()
    assert text.startswith("# head\n\n## Data\n\nsome data\n")
    row = "| diplocond-dev | dev | 12 | sentence_f1 | 0.800 [0.700, 0.900] | 0.600 (cue-rule) |"
    assert row in text
    assert "0.100" not in text
    assert "`python -m benchmarks run --task conditionality`" in text

    newer = _files(tmp_path, [_result("diplolex", "model", 0.85)], created="2026-12-02")
    write_cards([first, newer], tmp_path / "weights")
    text = card.read_text()
    assert text.count(HEADING) == 1
    assert "| 0.850 | 0.600 (cue-rule) |" in text
    assert "0.800" not in text


def test_cards_of_analyses_without_results_are_left_alone(tmp_path):
    card = tmp_path / "weights" / "stance" / "README.md"
    card.parent.mkdir(parents=True)
    card.write_text("# stance\n")
    assert (
        write_cards([_files(tmp_path, [_result("diplolex", "model", 0.8)])], card.parents[1]) == []
    )
    assert card.read_text() == "# stance\n"
