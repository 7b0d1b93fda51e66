"""Plant small bugs one at a time and check that the test suite catches each.

Run from the repository root (takes a few minutes a bug on 2 cores)::

    python tests/mutation_check.py            # every planted bug
    python tests/mutation_check.py --list     # what they are

Each bug is one textual edit of one source file (a flipped comparison, an off-by-one in an
offset, a swapped label, ...). For each, the file is edited, the tests that should notice are
run, and the file is restored, whatever happens. A bug the tests do not catch is a missing
test; the script exits 1 when any survives. Not collected by pytest (its name does not start
with ``test_``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class PlantedBug:
    """One edit: ``old`` (which must occur exactly once in ``path``) becomes ``new``."""

    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


BUGS = (
    PlantedBug(
        "flipped comparison: a sentence is conditional below the threshold",
        "diplolex/tasks/conditionality/predict.py",
        "SentenceConditionality(score >= self.config.threshold,",
        "SentenceConditionality(score < self.config.threshold,",
        ("tests/test_conditionality.py", "tests/test_diplomatic_fixtures.py"),
    ),
    PlantedBug(
        "off-by-one: a relative span ends one character early",
        "diplolex/types.py",
        "Span.of(document, offset + offsets[0], offset + offsets[1])",
        "Span.of(document, offset + offsets[0], offset + offsets[1] - 1)",
        ("tests/test_types.py", "tests/test_conditionality.py", "tests/test_analyzer.py"),
    ),
    PlantedBug(
        "label swap: a stance result names the next label",
        "diplolex/tasks/stance/predict.py",
        "label=labels[best],",
        "label=labels[(best + 1) % len(labels)],",
        ("tests/test_stance.py",),
    ),
    PlantedBug(
        "label swap: favor and against change places in the label tuple",
        "diplolex/types.py",
        'StancePairLabel = Literal["favor", "against", "neutral", "unrelated"]',
        'StancePairLabel = Literal["against", "favor", "neutral", "unrelated"]',
        ("tests/test_stance.py", "tests/test_stance_document.py"),
    ),
    PlantedBug(
        "off-by-one: a long document's chunk keeps a relation of the next chunk twice",
        "diplolex/tasks/attribution/predict.py",
        "if self.taken_until <= relation.cue[0] < stop:",
        "if self.taken_until <= relation.cue[0] <= stop:",
        ("tests/test_analyzer.py",),
    ),
    PlantedBug(
        "flipped comparison: F_avg averages the wrong classes",
        "diplolex/metrics.py",
        '[_stance_label(g) for g in gold], [_stance_label(p) for p in pred], ["favor", "against"]',
        '[_stance_label(g) for g in gold], [_stance_label(p) for p in pred], ["favor", "neutral"]',
        ("tests/test_metrics.py",),
    ),
    PlantedBug(
        "off-by-one: sentences lose their last character",
        "diplolex/segment.py",
        "return _on_graphemes(text, spans)",
        "return [(s, max(s, e - 1)) for s, e in _on_graphemes(text, spans)]",
        ("tests/test_segment.py",),
    ),
)


def run_bug(bug: PlantedBug) -> bool:
    """Plant ``bug``, run its tests, restore the file; whether the tests failed (caught it)."""
    path = ROOT / bug.path
    original = path.read_text(encoding="utf-8")
    if original.count(bug.old) != 1:
        raise SystemExit(f"{bug.name}: {bug.old!r} does not occur exactly once in {bug.path}")
    try:
        path.write_text(original.replace(bug.old, bug.new), encoding="utf-8")
        command = [sys.executable, "-m", "pytest", "-x", "-p", "no:cacheprovider", *bug.tests]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    finally:
        path.write_text(original, encoding="utf-8")
    return done.returncode != 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list the planted bugs and stop")
    args = parser.parse_args(argv)
    survived = 0
    for bug in BUGS:
        if args.list:
            print(f"{bug.path}: {bug.name}")
            continue
        caught = run_bug(bug)
        survived += not caught
        print(f"{'caught  ' if caught else 'SURVIVED'}  {bug.name}  ({', '.join(bug.tests)})")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
