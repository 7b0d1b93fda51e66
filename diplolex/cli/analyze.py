"""``diplolex analyze``: analyse a file or stdin and print JSON, JSON Lines or a table."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from diplolex.types import Document


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "analyze",
        help="analyse text and print the results",
        description=(
            "Analyse INPUT. A file is one document, unless its name ends in .jsonl; '-' (stdin) "
            "and .jsonl files hold one document per line: a JSON object with a 'text' field, "
            "a JSON string, or a plain line of text. Output keeps the input order."
        ),
    )
    p.add_argument("input", help="a text file, a .jsonl file, or - for stdin")
    p.add_argument("--format", choices=("json", "jsonl", "table"), default="json")
    p.add_argument("--device", default=None, help="torch device (default: cpu)")
    p.add_argument("--batch-size", type=int, default=32, help="sentences per encoder pass")
    p.add_argument(
        "--target",
        action="append",
        dest="targets",
        help="a stance target (repeatable); without it, targets are proposed from the text",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import diplolex

    analyzer = diplolex.load(device=args.device, batch_size=args.batch_size)
    docs = analyzer.pipe(read_documents(args.input), targets=args.targets)
    write_documents(docs, args.format, sys.stdout)
    return 0


def read_documents(source: str) -> Iterator[str]:
    """Yield the documents of ``source`` (see the subcommand's description)."""
    if source == "-":
        yield from _lines_as_documents(sys.stdin)
        return
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f"no such input file: {source}")
    if path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as f:
            yield from _lines_as_documents(f)
    else:
        yield path.read_text(encoding="utf-8")


def _lines_as_documents(lines: TextIO) -> Iterator[str]:
    for number, line in enumerate(lines, 1):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        yield _document_of_line(line, number)


def _document_of_line(line: str, number: int) -> str:
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        return line
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        return value["text"]
    raise ValueError(f"input line {number}: expected a JSON object with a 'text' string")


def write_documents(docs: Iterator[Document], fmt: str, out: TextIO) -> None:
    """Print documents as one JSON value (a list when several), JSON Lines, or tables."""
    if fmt == "jsonl":
        for doc in docs:
            out.write(doc.to_json() + "\n")
            out.flush()
    elif fmt == "table":
        for doc in docs:
            out.write(format_table(doc) + "\n")
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
