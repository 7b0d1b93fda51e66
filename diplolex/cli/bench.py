"""``diplolex bench``: the benchmark harness (``benchmarks/`` of the repository checkout).

``diplolex bench run|speed|report|list`` takes the same arguments as
``python -m benchmarks``. The harness is not part of the installed package; this command finds
it beside the package in a source checkout and says so when it is missing.
"""

from __future__ import annotations

import argparse
import importlib
import shlex
import sys
from pathlib import Path
from types import ModuleType


def _harness() -> ModuleType | None:
    """``benchmarks.cli`` of the source checkout that holds this package, or ``None``.

    Only the checkout's own ``benchmarks/`` is used, never another package of that name.
    """
    checkout = Path(__file__).resolve().parents[2]
    if not (checkout / "benchmarks" / "cli.py").is_file():
        return None
    if str(checkout) not in sys.path:
        sys.path.insert(0, str(checkout))
    try:
        harness = importlib.import_module("benchmarks.cli")
    except ImportError:
        return None
    origin = Path(harness.__file__ or "").resolve()
    return harness if origin.parent.parent == checkout else None


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "bench",
        help="run the benchmarks (accuracy, speed) and build their report",
        description=(
            "Accuracy of the analyses and baselines on the public and own datasets, speed and "
            "memory, and a markdown/PNG report. Same as `python -m benchmarks` in a checkout."
        ),
    )
    harness = _harness()
    if harness is None:
        p.add_argument("arguments", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        p.set_defaults(run=_missing)
        return
    harness.add_commands(p)
    p.set_defaults(run=lambda args: _run(harness, args))


def _run(harness: ModuleType, args: argparse.Namespace) -> int:
    args.command_line = "diplolex " + shlex.join(sys.argv[1:])
    return harness.dispatch(args)


def _missing(args: argparse.Namespace) -> int:
    print(
        "diplolex: error: the benchmark harness (benchmarks/) is not installed with the "
        "package; run `diplolex bench` from a source checkout of diplolex",
        file=sys.stderr,
    )
    return 2
