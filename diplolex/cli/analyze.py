"""``diplolex analyze``: analyse a file or stdin and print JSON, JSON Lines, a table or HTML.

Line inputs (``-`` and ``.jsonl`` files) lose nothing: every input line gives exactly one
output record, in input order, and a line that is not valid input gives an error record
``{"id", "line", "error"}`` instead of stopping the run (see docs/cli.md).
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from diplolex.types import Document

LINE_SUFFIXES = (".jsonl", ".ndjson")
"""File name endings (any case) read as one document per line."""

STDIN_NAME = "<stdin>"


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "analyze",
        help="analyse text and print the results",
        description=(
            "Analyse INPUT. A file is one document, unless its name ends in .jsonl (any case); "
            "'-' (stdin) and .jsonl files hold one document per line: a JSON object with a "
            "'text' string (its 'id' is copied to the output, its other fields go under "
            "'meta'), a JSON string, or a plain line of text. Every input line gives one "
            "output record, in order; a blank line is an empty document; a line that is not "
            "valid input gives an error record and the run goes on (exit status 1)."
        ),
    )
    p.add_argument("input", help="a text file, a .jsonl file, or - for stdin")
    p.add_argument("--format", choices=("json", "jsonl", "table", "html"), default="json")
    p.add_argument("--device", default=None, help="torch device: cpu (default), cuda, cuda:N, mps")
    p.add_argument("--batch-size", type=int, default=32, help="sentences per encoder pass")
    p.add_argument(
        "--runtime",
        choices=("torch", "onnx"),
        default="torch",
        help="onnx: the encoder passes in ONNX Runtime on the CPU, the same results "
        '(needs pip install "diplolex[onnx]")',
    )
    p.add_argument(
        "--precision",
        choices=("auto", "fp32", "bf16", "fp16"),
        default="auto",
        help="encoder precision: auto (default) is bf16 where the CPU or GPU has it natively, "
        "else fp32; fp16 on CUDA only",
    )
    p.add_argument(
        "--proposed-stance",
        choices=("cross-encoder", "shared-pass"),
        default="cross-encoder",
        help="how stances towards proposed targets (no --target) are scored: cross-encoder "
        "(default, a pass per pair) or shared-pass (from the shared sentence pass: faster, "
        "a few points of F1 less)",
    )
    p.add_argument(
        "--target",
        action="append",
        dest="targets",
        help="a stance target (repeatable); without it, targets are proposed from the text",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="stop at the first invalid input line (after writing the lines before it)",
    )
    p.add_argument(
        "--quiet", "-q", action="store_true", help="no progress bar and no per-line error messages"
    )
    p.set_defaults(run=run)


class InputError(ValueError):
    """An input that cannot be read at all (the run stops; exit status 2)."""


@dataclass
class Item:
    """One input document, or the reason its line is not valid input."""

    line: int | None  # 1-based input line; None for a whole-file document
    text: str | None = None
    id: Any = None
    meta: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def check_device(device: str | None) -> str | None:
    """:func:`diplolex.devices.check_device`, its ``ValueError`` as an :class:`InputError`."""
    from diplolex.devices import check_device as check

    try:
        return check(device)
    except ValueError as err:
        raise InputError(str(err)) from None


def check_runtime(runtime: str, device: str) -> None:
    """:func:`diplolex.onnx_encoder.check_runtime`, its errors as an :class:`InputError`."""
    from diplolex.onnx_encoder import check_runtime as check

    try:
        check(runtime, device)
    except (ValueError, ImportError) as err:
        raise InputError(str(err)) from None


def check_precision(precision: str, device: str, runtime: str) -> None:
    """:func:`diplolex.precision.resolve_precision`, its errors as an :class:`InputError`."""
    from diplolex.precision import resolve_precision

    try:
        resolve_precision(precision, device, runtime)
    except ValueError as err:
        raise InputError(str(err)) from None


def run(args: argparse.Namespace) -> int:
    import diplolex
    from diplolex.progress import progress_bar

    if args.batch_size < 1:
        raise InputError(f"--batch-size must be at least 1, got {args.batch_size}")
    device = check_device(args.device)
    check_runtime(args.runtime, device or "cpu")
    check_precision(args.precision, device or "cpu", args.runtime)
    source = open_input(args.input)  # fails before the models load
    analyzer = diplolex.load(device=device, batch_size=args.batch_size, runtime=args.runtime,
                             precision=args.precision,
                             proposed_stance=args.proposed_stance)  # fmt: skip
    results = analyze_items(analyzer, source.items(strict=args.strict), args.targets,
                            streaming=source.streaming)  # fmt: skip
    results = progress_bar(results, total=source.count_lines(), unit="doc", disable=args.quiet)
    bad = write_results(results, args.format, sys.stdout, strict=args.strict,
                        lines=source.is_lines, quiet=args.quiet)  # fmt: skip
    if bad:
        if args.strict:
            print(f"diplolex: stopped at the first invalid line ({source.name})", file=sys.stderr)
            return 2
        noun = "line was" if bad == 1 else "lines were"
        print(f"diplolex: {bad} input {noun} not valid input ({source.name})", file=sys.stderr)
        return 1
    return 0


class Source:
    """An opened input: stdin, a line (.jsonl) file, or one whole-file document."""

    def __init__(self, name: str, stream: BinaryIO | TextIO | None, path: Path | None,
                 is_lines: bool, streaming: bool) -> None:  # fmt: skip
        self.name = name
        self.stream = stream
        self.path = path
        self.is_lines = is_lines
        self.streaming = streaming
        self.text = read_text_file(path) if path is not None and not is_lines else None

    def items(self, strict: bool = False) -> Iterator[Item]:
        if not self.is_lines:
            yield Item(line=None, text=self.text)
            return
        for item in read_line_items(self._lines(), self.name):
            yield item
            if strict and item.error is not None:
                return

    def _lines(self) -> Iterable[bytes | str]:
        if self.stream is not None:
            yield from self.stream
            return
        assert self.path is not None
        with self.path.open("rb") as f:
            yield from f

    def count_lines(self) -> int | None:
        """Lines in a line file (for the progress bar's total); None when unknown."""
        if self.path is None:
            return None
        if not self.is_lines:
            return 1
        count, last = 0, b"\n"
        with self.path.open("rb") as f:
            while chunk := f.read(1 << 20):
                count += chunk.count(b"\n")
                last = chunk[-1:]
        return count + (last != b"\n")


def open_input(source: str) -> Source:
    """Check ``source`` and say how to read it (see the subcommand's description)."""
    if source == "-":
        stdin = sys.stdin
        stream: BinaryIO | TextIO = getattr(stdin, "buffer", stdin)  # bytes: split on \n only
        return Source(STDIN_NAME, stream, None, is_lines=True, streaming=_is_interactive(stdin))
    path = Path(source)
    if path.is_dir():
        raise InputError(f"{source}: is a directory, not an input file")
    if not path.exists():
        raise InputError(f"{source}: no such input file")
    if not path.is_file():
        raise InputError(f"{source}: not a regular file")
    if not os.access(path, os.R_OK):
        raise InputError(f"{source}: permission denied")
    is_lines = path.suffix.lower() in LINE_SUFFIXES
    return Source(source, None, path, is_lines=is_lines, streaming=False)


def _is_interactive(stream: TextIO) -> bool:
    """True for a terminal or a pipe, where lines arrive over time and must not wait."""
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (AttributeError, OSError, ValueError):  # e.g. io.StringIO
        return False
    return not stat.S_ISREG(mode)


def read_text_file(path: Path) -> str:
    """The whole file as one document, or an ``InputError`` naming the file."""
    data = path.read_bytes()
    if b"\x00" in data:
        raise InputError(
            f"{path}: looks like a binary file (it holds NUL bytes); expected UTF-8 text"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: not UTF-8 text ({_decode_problem(err)})") from None
    return text.removeprefix("\ufeff")


def _decode_problem(err: UnicodeDecodeError) -> str:
    return f"byte 0x{err.object[err.start]:02x} at offset {err.start}"


def read_line_items(lines: Iterable[bytes | str], name: str) -> Iterator[Item]:
    """One :class:`Item` per input line. Lines end at ``\\n`` (or ``\\r\\n``) only."""
    for number, raw in enumerate(lines, 1):
        if isinstance(raw, bytes):
            raw = raw.removesuffix(b"\n").removesuffix(b"\r")
            if number == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                problem = f"not UTF-8 text ({_decode_problem(err)})"
                yield Item(line=number, error=f"{name}:{number}: {problem}")
                continue
        else:
            line = raw.removesuffix("\n").removesuffix("\r")
            if number == 1:
                line = line.removeprefix("\ufeff")
        yield item_of_line(line, number, name)


def item_of_line(line: str, number: int, name: str = STDIN_NAME) -> Item:
    """Read one input line: a JSON object with a ``text`` string, a JSON string, plain text.

    A line starting with ``{`` must be a JSON object; any other line that parses as JSON
    must be a JSON string; a line that does not parse (and does not start with ``{``) is
    plain text, so ``"No," the envoy said.`` is text. A blank line is an empty document.
    """
    where = f"{name}:{number}"
    if "\x00" in line:
        return Item(line=number, error=f"{where}: holds NUL bytes (binary data?)")
    if not line.strip():
        return Item(line=number, text="")
    try:
        value = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as err:
        if line.lstrip().startswith("{"):
            detail = getattr(err, "msg", "too deeply nested")
            return Item(line=number, error=f"{where}: malformed JSON object ({detail})")
        return Item(line=number, text=line)
    if isinstance(value, str):
        return Item(line=number, text=value)
    if not isinstance(value, dict):
        return Item(
            line=number,
            error=f"{where}: expected a JSON object with a 'text' string, a JSON string or "
            f"plain text, got a JSON {_json_type(value)}",
        )
    item_id = value.get("id")
    if "text" not in value:
        keys = ", ".join(repr(k) for k in list(value)[:5]) or "none"
        return Item(line=number, id=item_id,
                    error=f"{where}: the object has no 'text' field (fields: {keys})")  # fmt: skip
    text = value["text"]
    if not isinstance(text, str):
        problem = f"'text' must be a string, got a JSON {_json_type(text)}"
        return Item(line=number, id=item_id, error=f"{where}: {problem}")
    meta = {k: v for k, v in value.items() if k not in ("id", "text")}
    return Item(line=number, text=text, id=item_id, meta=meta)


def _json_type(value: object) -> str:
    names = {bool: "boolean", int: "number", float: "number", list: "array", dict: "object",
             str: "string", type(None): "null"}  # fmt: skip
    return names.get(type(value), type(value).__name__)


def analyze_items(
    analyzer: Any, items: Iterable[Item], targets: list[str] | None, streaming: bool = False
) -> Iterator[tuple[Item, Document | None]]:
    """Each item with its document (``None`` for an error item), in input order.

    ``streaming`` (a terminal or a pipe) analyses each document as soon as its line is
    read, so output never waits for later input; otherwise documents share batches.
    """
    if streaming:
        for item in items:
            if item.error is not None:
                yield item, None
            else:
                yield item, next(analyzer.pipe([item.text], targets=targets))
        return
    queue: deque[Item] = deque()

    def texts() -> Iterator[str]:
        for item in items:
            queue.append(item)
            if item.error is None:
                yield item.text

    for doc in analyzer.pipe(texts(), targets=targets):
        while queue[0].error is not None:
            yield queue.popleft(), None
        yield queue.popleft(), doc
    while queue:
        yield queue.popleft(), None


def record(item: Item, doc: Document | None) -> dict[str, Any]:
    """The output record of one input line: the document with ``id``, ``line`` and ``meta``."""
    if doc is None:
        return {"id": item.id, "line": item.line, "error": item.error}
    return {"id": item.id, "line": item.line, **doc.to_dict(), "meta": item.meta}


def write_results(
    results: Iterable[tuple[Item, Document | None]],
    fmt: str,
    out: TextIO,
    *,
    strict: bool = False,
    lines: bool = True,
    quiet: bool = False,
) -> int:
    """Write every result as soon as it comes; return how many were input errors.

    ``lines`` False (a whole-file document) prints bare documents, as ``Document.to_json``.
    With ``strict``, the first error stops the output (it goes to stderr, not ``out``).
    """
    bad = 0
    collected: list[dict[str, Any]] = []
    html_docs: list[tuple[Item, Document | None]] = []
    for item, doc in results:
        if doc is None:
            bad += 1
            if strict or not quiet:
                print(f"diplolex: error: {item.error}", file=sys.stderr)
            if strict:
                break
        if fmt == "jsonl":
            value = record(item, doc) if lines else doc.to_dict()  # type: ignore[union-attr]
            out.write(json.dumps(value, ensure_ascii=False) + "\n")
            out.flush()
        elif fmt == "table":
            if doc is None:
                out.write(f"[line {item.line}] error: {item.error}\n")
            else:
                head = _table_heading(item) if lines else ""
                out.write(head + format_table(doc) + "\n")
            out.flush()
        elif fmt == "html":
            html_docs.append((item, doc))
        else:
            collected.append(record(item, doc) if lines else doc.to_dict())  # type: ignore[union-attr]
    if fmt == "json":
        value: Any = collected if lines else (collected[0] if collected else None)
        out.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "html":
        from diplolex.render import render_records

        out.write(render_records(html_docs))
    out.flush()
    return bad


def _table_heading(item: Item) -> str:
    name = f" id {item.id}" if item.id is not None else ""
    return f"== line {item.line}{name} ==\n"


def write_documents(docs: Iterable[Document], fmt: str, out: TextIO) -> None:
    """Print documents as one JSON value (a list when several), JSON Lines, or tables."""
    if fmt == "jsonl":
        for doc in docs:
            out.write(doc.to_json() + "\n")
            out.flush()
    elif fmt == "table":
        for doc in docs:
            out.write(format_table(doc) + "\n")
    elif fmt == "html":
        from diplolex.render import render

        out.write(render(list(docs)))
    else:
        items = [doc.to_dict() for doc in docs]
        value = items[0] if len(items) == 1 else items
        out.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def format_table(doc: Document) -> str:
    """A plain-text view of one document: each sentence, then what was found in it."""
    lines = []
    for n, s in enumerate(doc.sentences, 1):
        flag = f"conditional {s.conditional_score:.2f}" if s.conditional else "-"
        lines.append(f"[{n}] {s.start}-{s.end} {flag}: {s.text}")
        for c in doc.conditionals:
            if s.start <= c.condition.start < s.end:
                cue = c.cue.text if c.cue else "-"
                consequence = c.consequence.text if c.consequence else "-"
                lines.append(f"    {c.type} ({c.type_score:.2f}) cue: {cue}")
                lines.append(f"      condition:   {c.condition.text}")
                lines.append(f"      consequence: {consequence}")
        for a in doc.attributions:
            if s.start <= a.cue.start < s.end:
                source = a.source.text if a.source else "-"
                resolved = f" (= {a.resolved_source.text})" if a.resolved_source else ""
                lines.append(f"    attribution ({a.score:.2f}) cue: {a.cue.text}")
                lines.append(f"      source:  {source}{resolved}")
                lines.append(f"      content: {a.content.text}")
        for st in doc.stances:
            if s.start <= st.target.start < s.end:
                lines.append(f"    stance {st.stance} ({st.score:.2f}) of {st.holder}")
                lines.append(f"      towards: {st.target.text}")
    return "\n".join(lines)
