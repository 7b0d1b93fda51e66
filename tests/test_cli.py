"""The ``diplolex`` command line: inputs, formats and errors."""

from __future__ import annotations

import io
import json

import pytest

from diplolex.cli import analyze as analyze_cli
from diplolex.cli.main import main

ARTICLE = (
    "The ministry said sanctions would be lifted if the prisoners were released. "
    "The delegation left Vienna on Friday."
)


@pytest.fixture(autouse=True)
def _shared_analyzer(nlp, monkeypatch):
    """Reuse the session analyzer instead of loading the models again per CLI call."""
    monkeypatch.setattr("diplolex.load", lambda **_: nlp)


def test_analyze_file_prints_one_json_document(tmp_path, capsys):
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    assert main(["analyze", str(path)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["text"] == ARTICLE
    assert [s["conditional"] for s in doc["sentences"]] == [True, False]
    assert doc["conditionals"][0]["condition"]["text"] == "if the prisoners were released"


def test_stdin_jsonl_is_one_document_per_line_in_order(monkeypatch, capsys):
    lines = [json.dumps({"id": 1, "text": ARTICLE}), json.dumps("Aid flows once the truce holds."),
             "", "a plain line of text"]  # fmt: skip
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    assert main(["analyze", "-", "--format", "jsonl"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [d["text"] for d in out] == [ARTICLE, "Aid flows once the truce holds.",
                                        "a plain line of text"]  # fmt: skip


def test_table_format_shows_sentences_and_conditions(tmp_path, capsys):
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    assert main(["analyze", str(path), "--format", "table"]) == 0
    out = capsys.readouterr().out
    assert "[1] 0-75 conditional" in out
    assert "condition:   if the prisoners were released" in out
    assert "cue: said" in out and "source:  The ministry" in out
    assert "[2]" in out


def test_missing_file_and_bad_jsonl_line_exit_with_a_message(tmp_path, monkeypatch, capsys):
    assert main(["analyze", str(tmp_path / "absent.txt")]) == 2
    assert "no such input file" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO('{"body": "no text field"}\n'))
    assert main(["analyze", "-", "--format", "jsonl"]) == 2
    assert "line 1" in capsys.readouterr().err


def test_several_documents_in_json_format_print_a_list(tmp_path, capsys):
    path = tmp_path / "docs.jsonl"
    path.write_text('"First text."\n"Second text."\n', encoding="utf-8")
    analyze_cli.write_documents(iter([]), "json", io.StringIO())
    assert main(["analyze", str(path)]) == 0
    assert [d["text"] for d in json.loads(capsys.readouterr().out)] == [
        "First text.",
        "Second text.",
    ]


def test_target_option_reports_stances(tmp_path, capsys):
    path = tmp_path / "article.txt"
    path.write_text("Iran condemned the new sanctions on Tuesday.", encoding="utf-8")
    assert main(["analyze", str(path), "--target", "the new sanctions", "--format", "table"]) == 0
    out = capsys.readouterr().out
    assert "stance against" in out and "of Iran" in out
    assert "towards: the new sanctions" in out
