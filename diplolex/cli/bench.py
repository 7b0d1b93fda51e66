"""``diplolex bench``: points to the benchmark harness, which is not part of the package.

The harness (``benchmarks/``) lives in the repository and reads the labeled corpora; it is the
one program that runs the systems, baselines and reports. From a checkout, run
``python -m benchmarks run|speed|report|list``.
"""

from __future__ import annotations

import argparse
import sys

MESSAGE = (
    "diplolex: the benchmark harness is not part of the installed package; from a source "
    "checkout of diplolex run `python -m benchmarks {command}` (see docs/benchmarks.md)"
)


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "bench",
        help="how to run the benchmarks (python -m benchmarks, from a checkout)",
        description=MESSAGE.format(command="run|speed|report|list"),
    )
    p.add_argument("arguments", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.set_defaults(run=_explain)


def _explain(args: argparse.Namespace) -> int:
    print(MESSAGE.format(command=" ".join(args.arguments) or "run"), file=sys.stderr)
    return 2
