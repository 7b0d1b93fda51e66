"""Every efficiency measurement in one invocation: ``python -m benchmarks efficiency``.

Runs, one after another and with the same thread count, ``speed`` (interleaved timings of
the base pass, each analysis, all analyses, the naive pipelines, latency), ``memory`` (peak
RSS by document size, a fresh process each), ``scaling`` (CPU time against document size,
with its plot) and ``int8`` (the int8 recipes against float32), each writing its usual result
file into one folder and printing its table as it does when run alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks import RESULTS_DIR
from benchmarks.run import log_stderr

MEASUREMENTS = ("speed", "memory", "scaling", "int8")


def run_efficiency(
    data_dir: Path,
    *,
    sentences: int = 2000,
    threads: int = 1,
    memory_sizes: Sequence[int] = (50_000, 5_000_000),
    scaling_sizes: Sequence[int] = (100_000, 200_000, 500_000, 1_000_000, 2_000_000),
    skip: Sequence[str] = (),
    out_dir: Path = RESULTS_DIR,
    command: str = "python -m benchmarks efficiency",
    log: Callable[[str], None] = log_stderr,
) -> dict[str, Path]:
    """Run the measurements of :data:`MEASUREMENTS` not in ``skip``; returns each one's file.

    Raises:
        ValueError: ``skip`` names something that is not a measurement.
    """
    from benchmarks.int8 import run_int8
    from benchmarks.memory import run_memory
    from benchmarks.scaling import run_scaling
    from benchmarks.speed import run_speed

    unknown = sorted(set(skip) - set(MEASUREMENTS))
    if unknown:
        raise ValueError(f"unknown measurement(s) {unknown}; expected some of {MEASUREMENTS}")
    runs: dict[str, Callable[[Path], tuple[Path, dict[str, Any]]]] = {
        "speed": lambda out: run_speed(
            data_dir, sentences=sentences, threads=threads, out=out, command=command, log=log
        ),
        "memory": lambda out: run_memory(
            data_dir, sizes=memory_sizes, threads=threads, out=out, command=command, log=log
        ),
        "scaling": lambda out: run_scaling(
            data_dir, sizes=scaling_sizes, threads=threads, out=out, command=command, log=log
        ),
        "int8": lambda out: run_int8(data_dir, out=out, command=command, log=log),
    }
    written = {}
    for name in MEASUREMENTS:
        if name in skip:
            log(f"efficiency: {name} skipped")
            continue
        log(f"efficiency: {name}")
        written[name], _ = runs[name](out_dir / f"{name}.json")
    for name, path in written.items():
        log(f"efficiency: {name} -> {path}")
    return written
