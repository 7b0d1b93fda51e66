"""``python -m benchmarks memory``: peak resident memory of one ``analyze`` call by document size.

Issue 15 asks that memory stay flat in input size: the peak RSS of a 5 MB document within
1.2x that of a 50 kB one. A process's peak RSS only grows, so each size is measured in a
fresh Python process (``python -m benchmarks.memory --probe SIZE``), which loads the
analyzer, warms it up on a short text, records its RSS (``loaded_mb``), builds the document
(the same prefix of the UN General Debate speeches as ``benchmarks scaling``), analyses it in
one ``Analyzer(text)`` call with every analysis, and records the peak RSS of the process
(``peak_mb``, ``ru_maxrss``) and the RSS after the call with the result still held
(``after_mb``). ``ratio`` is each size's peak over the smallest size's peak (goal <= 1.2).

The table goes to stdout and the JSON to ``benchmarks/results/memory.json`` (``--out``).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks import RESULTS_DIR, provenance
from benchmarks.run import log_stderr, write_json
from benchmarks.scaling import _label, scaling_text
from benchmarks.speed import SPEED_CORPUS

DEFAULT_SIZES = (50_000, 5_000_000)
GOAL_RATIO = 1.2


def _rss_mb() -> float:
    """The resident memory of this process now, in MiB."""
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def probe(data_dir: Path, size: int, threads: int, batch_size: int) -> dict[str, Any]:
    """Measure one size in this process (see the module docstring)."""
    import torch

    import diplolex
    from diplolex.segment import split_sentences

    torch.set_num_threads(threads)
    analyzer = diplolex.load(batch_size=batch_size)
    analyzer("The minister said the talks would resume. Iran rejected the plan.")  # warm-up
    loaded = _rss_mb()
    text = scaling_text(data_dir, size)
    started = time.perf_counter()
    doc = analyzer(text)
    seconds = time.perf_counter() - started
    return {
        "size": size,
        "size_label": _label(size),
        "bytes": len(text.encode("utf-8")),
        "sentences": len(split_sentences(text)),
        "loaded_mb": round(loaded, 1),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "after_mb": round(_rss_mb(), 1),
        "result_sentences": len(doc.sentences),
        "wall_s": round(seconds, 1),
    }


def probe_in_new_process(data_dir: Path, size: int, threads: int, batch_size: int) -> dict:
    """:func:`probe` in a fresh Python process, so that its peak is its own.

    Raises:
        RuntimeError: the process failed (the end of its stderr is in the message).
    """
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", "--probe", str(size), "--data",
         str(data_dir), "--threads", str(threads), "--batch-size", str(batch_size)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"memory probe of {_label(size)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def table(rows: Sequence[dict[str, Any]]) -> str:
    """The measurements as a markdown table."""
    lines = [
        "| size | sentences | RSS after load (MB) | peak RSS (MB) | RSS after, result held (MB) "
        "| peak / smallest's peak | wall s |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['size_label']} | {r['sentences']:,} | {r['loaded_mb']:.0f} | "
            f"{r['peak_mb']:.0f} | {r['after_mb']:.0f} | {r['ratio']:.2f} | {r['wall_s']:.0f} |"
        )
    return "\n".join(lines)


def run_memory(
    data_dir: Path,
    *,
    sizes: Sequence[int] = DEFAULT_SIZES,
    threads: int = 1,
    batch_size: int = 32,
    out: Path | None = None,
    command: str = "python -m benchmarks memory",
    log: Callable[[str], None] = log_stderr,
) -> tuple[Path, dict[str, Any]]:
    """Probe every size in its own process and write the results.

    Raises:
        RuntimeError: a probe process failed (its stderr is in the message).

    Returns:
        The JSON path written and its content.
    """
    rows = []
    for size in sorted(set(sizes)):
        log(f"memory: {_label(size)} in a fresh process ...")
        row = probe_in_new_process(data_dir, size, threads, batch_size)
        rows.append(row)
        log(f"memory: {row['size_label']}: peak {row['peak_mb']:.0f} MB")
    smallest = rows[0]["peak_mb"] if rows else 0.0
    for row in rows:
        row["ratio"] = round(row["peak_mb"] / smallest, 3) if smallest else 0.0
    head = provenance.header("memory", command)
    summary = {
        "ratio_largest_to_smallest": rows[-1]["ratio"] if rows else None,
        "goal_ratio": GOAL_RATIO,
    }
    results = [
        {
            "benchmark": "memory",
            "task": "all",
            "dataset": "un-general-debates",
            "split": None,
            "n": len(rows),
            "system": "analyze",
            "figures": {"sizes": rows, **summary},
            "ci95": {},
            "settings": {
                "corpus": f"un-general-debates: {SPEED_CORPUS}, as benchmarks scaling",
                "threads": threads,
                "batch_size": batch_size,
                "device": "cpu",
                "measure": "ru_maxrss of a fresh process per size",
            },
            "note": "one analyze() call per document size, each in its own process",
            **head,
        }
    ]
    content = provenance.result_file("memory", command, data_dir, head["date"], results)
    path = write_json(out or RESULTS_DIR / "memory.json", content)
    print(table(rows))
    log(f"memory: largest / smallest peak {summary['ratio_largest_to_smallest']} "
        f"(goal <= {GOAL_RATIO}); wrote {path}")  # fmt: skip
    return path, content


def _probe_main(argv: Sequence[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory")
    parser.add_argument("--probe", type=int, required=True, help="document size in bytes")
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)
    print(json.dumps(probe(args.data, args.probe, args.threads, args.batch_size)))
    return 0


if __name__ == "__main__":
    sys.exit(_probe_main(sys.argv[1:]))
