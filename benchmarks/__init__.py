"""The diplolex benchmark harness: accuracy against public and own datasets, speed and memory.

Commands (run from the repository root)::

    python -m benchmarks run [--data DIR] [--task T] [--dataset D] [--model DIR] [--limit N]
    python -m benchmarks speed [--sentences N]
    python -m benchmarks report benchmarks/results/*.json
    python -m benchmarks list

Results go to ``benchmarks/results/``; docs/benchmarks.md explains every figure.
"""

from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
"""Where runs, speed measurements and reports are written by default."""
