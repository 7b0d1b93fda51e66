"""``diplolex`` entry point: dispatches to the subcommand modules."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from diplolex import __version__
from diplolex.cli import analyze, bench, train


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="diplolex",
        description="Conditionality, attribution and stance in diplomatic and political news.",
    )
    parser.add_argument("--version", action="version", version=f"diplolex {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    analyze.add_parser(commands)
    train.add_parser(commands)
    bench.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:  # e.g. `diplolex analyze - | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("diplolex: interrupted", file=sys.stderr)
        return 130
    except (ValueError, TypeError) as err:
        print(f"diplolex: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # unreadable input, full disk, ...
        where = f"{err.filename}: " if err.filename else ""
        print(f"diplolex: error: {where}{err.strerror or err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
