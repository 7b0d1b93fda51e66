"""The ``diplolex`` command line: inputs, formats and errors."""

from __future__ import annotations

import io
import json
import os
import sys

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


def test_table_format_shows_sentences_and_conditions(tmp_path, capsys):
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    assert main(["analyze", str(path), "--format", "table"]) == 0
    out = capsys.readouterr().out
    assert "[1] 0-75 conditional" in out
    assert "condition:   if the prisoners were released" in out
    assert "cue: said" in out and "source:  The ministry" in out
    assert "[2]" in out


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


# --- line inputs lose nothing -------------------------------------------------------------


def _stdin_bytes(monkeypatch, data: bytes) -> None:
    """A stdin whose bytes are ``data`` (read as the CLI reads a real stdin)."""
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def _records(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def test_every_input_line_gives_one_record_in_order_with_id_and_meta(monkeypatch, capsys):
    lines = [
        json.dumps({"id": "afp-1", "text": ARTICLE, "source": "AFP", "date": "2026-03-01"}),
        json.dumps("Aid flows once the truce holds."),
        "",
        "a plain line of text",
        json.dumps({"text": "The envoy arrived in Geneva.", "id": 7}),
    ]
    _stdin_bytes(monkeypatch, ("\n".join(lines) + "\n").encode())
    assert main(["analyze", "-", "--format", "jsonl"]) == 0
    out = _records(capsys.readouterr().out)
    assert [r["line"] for r in out] == [1, 2, 3, 4, 5]
    assert [r["id"] for r in out] == ["afp-1", None, None, None, 7]
    texts = [ARTICLE, "Aid flows once the truce holds.", "", "a plain line of text",
             "The envoy arrived in Geneva."]  # fmt: skip
    assert [r["text"] for r in out] == texts
    assert out[0]["meta"] == {"source": "AFP", "date": "2026-03-01"}
    assert out[1]["meta"] == {} and out[4]["meta"] == {}
    assert out[2]["sentences"] == []  # a blank line is an empty document, not a skipped line
    assert out[0]["conditionals"][0]["condition"]["text"] == "if the prisoners were released"


def test_invalid_lines_give_error_records_and_the_run_goes_on(tmp_path, capsys):
    path = tmp_path / "batch.jsonl"
    lines = [
        json.dumps({"id": "ok-1", "text": "The summit opened in Rome."}),
        '{"id": "broken", "text": "unterminated',  # malformed JSON that looks like JSON
        json.dumps({"id": "no-text", "body": "the wrong field"}),
        json.dumps({"id": "num", "text": 42}),
        json.dumps([1, 2, 3]),
        json.dumps({"id": "ok-2", "text": "Ministers met again on Monday."}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["analyze", str(path), "--format", "jsonl"]) == 1
    captured = capsys.readouterr()
    out = _records(captured.out)
    assert [r["line"] for r in out] == [1, 2, 3, 4, 5, 6]
    assert [r["id"] for r in out] == ["ok-1", None, "no-text", "num", None, "ok-2"]
    assert "error" not in out[0] and out[5]["text"] == "Ministers met again on Monday."
    errors = [r for r in out if "error" in r]
    assert [sorted(r) for r in errors] == [["error", "id", "line"]] * 4
    assert f"{path}:2: malformed JSON object" in out[1]["error"]
    assert f"{path}:3:" in out[2]["error"] and "no 'text' field" in out[2]["error"]
    assert "'text' must be a string, got a JSON number" in out[3]["error"]
    assert "got a JSON array" in out[4]["error"]
    assert "4 input lines were not valid input" in captured.err
    assert f"{path}:2: malformed" in captured.err  # each error is also said on stderr


def test_strict_stops_at_the_first_bad_line_after_writing_the_ones_before(tmp_path, capsys):
    path = tmp_path / "batch.jsonl"
    lines = ['"The talks resumed in Doha."', '"Both delegations attended."', '{"text": 5}',
             '"This line is never analysed."']  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["analyze", str(path), "--format", "jsonl", "--strict"]) == 2
    captured = capsys.readouterr()
    assert [r["text"] for r in _records(captured.out)] == [
        "The talks resumed in Doha.", "Both delegations attended."]  # fmt: skip
    assert f"{path}:3: 'text' must be a string" in captured.err
    assert "stopped at the first invalid line" in captured.err


def test_capitalised_jsonl_suffix_is_read_line_by_line(tmp_path, capsys):
    path = tmp_path / "WIRE.JSONL"
    path.write_text('"First dispatch."\n"Second dispatch."\n', encoding="utf-8")
    assert main(["analyze", str(path), "--format", "jsonl"]) == 0
    assert [r["text"] for r in _records(capsys.readouterr().out)] == [
        "First dispatch.", "Second dispatch."]  # fmt: skip


def test_a_bare_carriage_return_does_not_split_a_line(tmp_path, monkeypatch, capsys):
    data = b'{"id": 1, "text": "Old report.\\rNew report."}\r\nplain text\rwith a CR\n'
    path = tmp_path / "cr.jsonl"
    path.write_bytes(data)
    assert main(["analyze", str(path), "--format", "jsonl"]) == 0
    out = _records(capsys.readouterr().out)
    assert [r["text"] for r in out] == ["Old report.\rNew report.", "plain text\rwith a CR"]
    _stdin_bytes(monkeypatch, data)
    assert main(["analyze", "-", "--format", "jsonl"]) == 0
    assert [r["text"] for r in _records(capsys.readouterr().out)] == [r["text"] for r in out]


def test_invalid_utf8_line_is_an_error_record_naming_file_and_line(tmp_path, capsys):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b'"Fine line."\n"caf\xe9 latin-1"\n"Also fine."\n')
    assert main(["analyze", str(path), "--format", "jsonl"]) == 1
    out = _records(capsys.readouterr().out)
    assert len(out) == 3 and out[2]["text"] == "Also fine."
    assert out[1]["error"].startswith(f"{path}:2: not UTF-8 text (byte 0xe9")


def test_unreadable_inputs_exit_with_a_message_naming_the_file(tmp_path, capsys):
    assert main(["analyze", str(tmp_path / "absent.txt")]) == 2
    assert "absent.txt: no such input file" in capsys.readouterr().err
    assert main(["analyze", str(tmp_path)]) == 2
    assert f"{tmp_path}: is a directory" in capsys.readouterr().err
    binary = tmp_path / "scan.pdf"
    binary.write_bytes(b"%PDF-1.7\x00\x01\x02\xff\xfe")
    assert main(["analyze", str(binary)]) == 2
    assert f"{binary}: looks like a binary file" in capsys.readouterr().err
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Le ministre a déclaré.".encode("latin-1"))
    assert main(["analyze", str(latin)]) == 2
    err = capsys.readouterr().err
    assert f"{latin}: not UTF-8 text (byte 0xe9 at offset 15)" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("device", ["bogus", "gpu", "cuda", "cuda:7"])
def test_unusable_device_is_a_one_line_error_before_loading(device, tmp_path, capsys):
    import torch

    if device.startswith("cuda") and torch.cuda.is_available() and device == "cuda":
        pytest.skip("CUDA is available here, so --device cuda is valid")
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    assert main(["analyze", str(path), "--device", device]) == 2
    err = capsys.readouterr().err
    assert err.startswith("diplolex: error: ") and f"{device!r}" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_streamed_stdin_writes_each_document_before_reading_the_next_line(monkeypatch):
    out = io.StringIO()

    class Lines:
        def __iter__(self):
            yield b'{"id": "first", "text": "Talks resumed in Oman."}\n'
            # the first record must be out before the second line arrives
            assert '"id": "first"' in out.getvalue()
            yield b'{"id": "second", "text": "The envoy left."}\n'

    class Stdin:
        buffer = Lines()

    monkeypatch.setattr("sys.stdin", Stdin())
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setattr(analyze_cli, "_is_interactive", lambda stream: True)
    assert main(["analyze", "-", "--format", "jsonl"]) == 0
    assert [r["id"] for r in _records(out.getvalue())] == ["first", "second"]


def test_pipes_and_terminals_stream_but_regular_files_batch(tmp_path):
    read_fd, write_fd = os.pipe()
    with os.fdopen(read_fd) as pipe_end, os.fdopen(write_fd, "w"):
        assert analyze_cli._is_interactive(pipe_end)
    with (tmp_path / "f.jsonl").open("w") as regular:
        assert not analyze_cli._is_interactive(regular)
    assert not analyze_cli._is_interactive(io.StringIO())


def test_batched_results_keep_errors_in_their_place(nlp):
    items = [analyze_cli.item_of_line(line, n) for n, line in enumerate(
        ['"One."', "{bad", '"Two."', "[1]", "[2]", '"Three."', "{"], 1)]  # fmt: skip
    results = list(analyze_cli.analyze_items(nlp, items, None))
    assert [item.line for item, _ in results] == [1, 2, 3, 4, 5, 6, 7]
    assert [doc is None for _, doc in results] == [False, True, False, True, True, False, True]
    assert [doc.text for _, doc in results if doc] == ["One.", "Two.", "Three."]


def test_plain_text_lines_starting_with_a_quote_or_bracket_are_text():
    quote = '"We will not negotiate," the minister said.'
    assert analyze_cli.item_of_line(quote, 1).text == quote
    assert (
        analyze_cli.item_of_line("[Reuters] Talks stalled.", 1).text == "[Reuters] Talks stalled."
    )


def test_json_format_of_line_input_is_a_list_of_records(monkeypatch, capsys):
    _stdin_bytes(monkeypatch, b'{"id": "x", "text": "The treaty was signed."}\n')
    assert main(["analyze", "-"]) == 0
    value = json.loads(capsys.readouterr().out)
    assert isinstance(value, list) and value[0]["id"] == "x" and value[0]["line"] == 1


# --- progress -----------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal_and_not_with_quiet(monkeypatch):
    from diplolex.progress import progress_bar

    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert list(progress_bar(range(3), total=3)) == [0, 1, 2]
    assert sys.stderr.getvalue() == ""
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert list(progress_bar(range(3), total=3, disable=True)) == [0, 1, 2]
    assert terminal.getvalue() == ""
    assert list(progress_bar(range(3), total=3, unit="doc")) == [0, 1, 2]
    assert "3/3" in terminal.getvalue() and "doc" in terminal.getvalue()


def test_cli_draws_progress_on_a_terminal_unless_quiet(tmp_path, monkeypatch, capsys):
    path = tmp_path / "two.jsonl"
    path.write_text('"The embassy reopened."\n"Flights resumed."\n', encoding="utf-8")
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert main(["analyze", str(path), "--format", "jsonl"]) == 0
    assert "2/2" in terminal.getvalue()
    quiet = _Terminal()
    monkeypatch.setattr("sys.stderr", quiet)
    assert main(["analyze", str(path), "--format", "jsonl", "--quiet"]) == 0
    assert quiet.getvalue() == ""
    assert len(capsys.readouterr().out.splitlines()) == 4


def test_pipe_progress_counts_documents_on_a_terminal(nlp, monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    texts = ["The talks resumed.", "Aid flows if the truce holds.", "The envoy left."]
    docs = list(nlp.pipe(texts, progress=True))
    assert [d.text for d in docs] == texts
    assert "3/3" in terminal.getvalue()
    plain = io.StringIO()
    monkeypatch.setattr("sys.stderr", plain)
    assert len(list(nlp.pipe(iter(texts), progress=True))) == 3
    assert plain.getvalue() == ""


def test_onnx_runtime_off_the_cpu_is_an_input_error():
    from diplolex.cli.analyze import InputError, check_runtime

    with pytest.raises(InputError, match="runs on the CPU"):
        check_runtime("onnx", "cuda")


def test_onnx_runtime_from_the_command_line(tmp_path, capsys):
    pytest.importorskip("onnxruntime")
    path = tmp_path / "article.txt"
    path.write_text("Aid will flow if the ceasefire holds.", encoding="utf-8")
    assert main(["analyze", str(path), "--runtime", "onnx", "--quiet"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["sentences"][0]["conditional"] is True


def test_precision_the_device_cannot_run_is_an_input_error(tmp_path, capsys):
    path = tmp_path / "article.txt"
    path.write_text("Aid will flow if the ceasefire holds.", encoding="utf-8")
    assert main(["analyze", str(path), "--precision", "fp16"]) == 2
    assert "CUDA only" in capsys.readouterr().err
    assert main(["analyze", str(path), "--precision", "fp32", "--quiet"]) == 0
    assert json.loads(capsys.readouterr().out)["sentences"][0]["conditional"] is True


def test_check_device_is_usable_from_python_before_loading():
    from diplolex.devices import check_device

    assert check_device(None) is None and check_device("cpu") == "cpu"
    with pytest.raises(ValueError, match="unknown device 'gpu'"):
        check_device("gpu")
    with pytest.raises(TypeError, match="got int"):
        check_device(0)


def test_bench_points_to_the_harness_in_a_checkout(capsys):
    assert main(["bench", "run", "--task", "stance"]) == 2
    err = capsys.readouterr().err
    assert "python -m benchmarks run --task stance" in err
