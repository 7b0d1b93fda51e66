"""``python -m benchmarks scaling``: CPU time of one ``analyze`` call against document size.

Issue 14 asks that no step be quadratic in the input. This measurement builds documents of
growing size (default 100 kB, 200 kB, 500 kB, 1 MB, 2 MB; 1 kB = 1,000 bytes of UTF-8) as
prefixes of one text, the UN General Debate speeches of the data folder in sorted file order
joined by blank lines, each cut at the last paragraph end within its size. Each document is
analysed once, as one ``Analyzer(text)`` call with all analyses, after a warm-up on a short
text; for each it records

* ``cpu_s``: the CPU time of the process (``time.process_time``: every thread, user +
  system) over the call, the figure that does not depend on other load on the machine;
* ``wall_s``, sentences, and ``stance_cpu_s``, the CPU time inside the stance step
  (``StanceModel.annotate_many``), the step that used to be quadratic;
* ``cpu_s_per_mb`` and, over all sizes, ``exponent``: the slope of log CPU time against
  log size fitted by least squares (1 for a straight line through the origin, 2 for
  quadratic).

The table goes to stdout, the JSON to ``benchmarks/results/scaling.json`` (``--out``), and a
plot of CPU seconds against megabytes, with the straight line through the origin fitted to
the points for comparison, to ``scaling.png`` beside it (matplotlib) or, without
matplotlib, ``scaling.txt`` (a text chart).
"""

from __future__ import annotations

import math
import resource
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks import RESULTS_DIR, provenance
from benchmarks.run import log_stderr, write_json
from benchmarks.speed import SPEED_CORPUS, speech_paragraphs

DEFAULT_SIZES = (100_000, 200_000, 500_000, 1_000_000, 2_000_000)
"""Document sizes in bytes of UTF-8 text."""


def parse_size(value: str) -> int:
    """``"100k"``, ``"1M"``, ``"2.5MB"`` or ``"5000"`` -> bytes (1 k = 1,000).

    Raises:
        ValueError: not a positive size.
    """
    text = value.strip().lower().removesuffix("b")
    factor = 1
    if text.endswith("k"):
        factor, text = 1_000, text[:-1]
    elif text.endswith("m"):
        factor, text = 1_000_000, text[:-1]
    try:
        size = int(float(text) * factor)
    except ValueError:
        raise ValueError(f"not a document size: {value!r} (e.g. 100k, 1M)") from None
    if size < 1:
        raise ValueError(f"a document size must be positive, got {value!r}")
    return size


def scaling_text(data_dir: Path, size: int) -> str:
    """The first ``size`` bytes' worth of whole paragraphs of the speeches, joined by blank
    lines (the shorter text when the corpus runs out).

    Raises:
        FileNotFoundError: no ``*.txt`` file under ``<data>/un-general-debates/...``.
    """
    paragraphs: list[str] = []
    used = 0
    for paragraph in speech_paragraphs(data_dir, "scaling"):
        cost = len(paragraph.encode("utf-8")) + (2 if paragraphs else 0)
        if used + cost > size:
            break
        paragraphs.append(paragraph)
        used += cost
    return "\n\n".join(paragraphs)


@contextmanager
def _stance_step_clock(seconds: list[float]):
    """Add the CPU time spent in the stance step (``StanceModel.annotate_many``: targets,
    holders, pair scoring) to ``seconds[0]`` while active."""
    from diplolex.tasks.stance.predict import StanceModel

    original = StanceModel.annotate_many

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            seconds[0] += time.process_time() - started

    StanceModel.annotate_many = timed  # type: ignore[method-assign]
    try:
        yield
    finally:
        StanceModel.annotate_many = original  # type: ignore[method-assign]


def fit_exponent(sizes: Sequence[float], seconds: Sequence[float]) -> float | None:
    """The least-squares slope of log(seconds) against log(size); ``None`` under 2 points."""
    points = [(math.log(x), math.log(y)) for x, y in zip(sizes, seconds) if x > 0 and y > 0]
    if len(points) < 2:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in points) / sxx


def _through_origin(sizes: Sequence[float], seconds: Sequence[float]) -> float:
    """The slope of the least-squares line through the origin (seconds per unit of size)."""
    sxx = sum(x * x for x in sizes)
    return sum(x * y for x, y in zip(sizes, seconds)) / sxx if sxx else 0.0


def table(rows: Sequence[dict[str, Any]]) -> str:
    """The measurements as a markdown table."""
    lines = [
        "| size | characters | sentences | CPU s | CPU s / MB | stance step CPU s | wall s |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['size_label']} | {r['characters']:,} | {r['sentences']:,} | "
            f"{r['cpu_s']:.1f} | {r['cpu_s_per_mb']:.1f} | {r['stance_cpu_s']:.2f} | "
            f"{r['wall_s']:.1f} |"
        )
    return "\n".join(lines)


def text_chart(rows: Sequence[dict[str, Any]], width: int = 60, height: int = 16) -> str:
    """CPU seconds against megabytes as a text chart: ``*`` the measurements, ``.`` the
    straight line through the origin fitted to them."""
    if not rows:
        return "(no measurements)"
    xs = [r["bytes"] / 1e6 for r in rows]
    ys = [r["cpu_s"] for r in rows]
    slope = _through_origin(xs, ys)
    x_max = max(xs) or 1.0
    y_max = max(max(ys), slope * x_max) or 1.0
    grid = [[" "] * (width + 1) for _ in range(height + 1)]
    for col in range(width + 1):
        row = round(slope * (col / width * x_max) / y_max * height)
        if 0 <= row <= height:
            grid[height - row][col] = "."
    for x, y in zip(xs, ys):
        grid[height - round(y / y_max * height)][round(x / x_max * width)] = "*"
    label = f"{y_max:.0f} s"
    lines = [
        (label if i == 0 else "").rjust(len(label)) + " |" + "".join(line)
        for i, line in enumerate(grid)
    ]
    lines.append(" " * len(label) + " +" + "-" * (width + 1))
    lines.append(" " * len(label) + "  0" + f"{x_max:.3g} MB".rjust(width - 1))
    lines.append("CPU seconds of one analyze call against document size ('*': measured, ")
    lines.append(f"'.': {slope:.1f} s per MB, a straight line through the origin)")
    return "\n".join(lines)


def plot(rows: Sequence[dict[str, Any]], path: Path) -> Path:
    """Draw CPU seconds against megabytes to ``path`` (PNG with matplotlib; else a text
    chart in a ``.txt`` beside it). Returns the file written."""
    try:
        import matplotlib
    except ImportError:
        out = path.with_suffix(".txt")
        out.write_text(text_chart(rows) + "\n", encoding="utf-8")
        return out
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [r["bytes"] / 1e6 for r in rows]
    ys = [r["cpu_s"] for r in rows]
    stance = [r["stance_cpu_s"] for r in rows]
    slope = _through_origin(xs, ys)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.plot(xs, ys, "o-", label="analyze, all analyses (CPU s)")
    ax.plot(xs, stance, "s-", label="of which the stance step")
    ax.plot([0, max(xs)], [0, slope * max(xs)], "--", color="grey",
            label=f"straight line, {slope:.0f} s per MB")  # fmt: skip
    ax.set_xlabel("document size (MB of UTF-8 text)")
    ax.set_ylabel("CPU seconds, one call")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.set_title("diplolex.analyze: CPU time against document size")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _label(size: int) -> str:
    return f"{size / 1e6:g} MB" if size >= 1_000_000 else f"{size / 1e3:g} kB"


def run_scaling(
    data_dir: Path,
    *,
    sizes: Sequence[int] = DEFAULT_SIZES,
    threads: int | None = 1,
    batch_size: int = 32,
    out: Path | None = None,
    command: str = "python -m benchmarks scaling",
    analyzer: Callable[[str], Any] | None = None,
    log: Callable[[str], None] = log_stderr,
) -> tuple[Path, dict[str, Any]]:
    """Measure and write the scaling results (see the module docstring).

    Args:
        analyzer: what to time (default: ``diplolex.load(batch_size=batch_size)``).

    Returns:
        The JSON path written and its content.
    """
    import torch

    from diplolex.segment import split_sentences

    if threads:
        torch.set_num_threads(threads)
    sizes = sorted(set(sizes))
    texts = [scaling_text(data_dir, size) for size in sizes]
    if analyzer is None:
        import diplolex

        analyzer = diplolex.load(batch_size=batch_size)
    analyzer("The minister said the talks would resume. Iran rejected the plan.")  # warm-up
    rows: list[dict[str, Any]] = []
    for size, text in zip(sizes, texts):
        n_bytes = len(text.encode("utf-8"))
        stance = [0.0]
        with _stance_step_clock(stance):
            cpu, wall = time.process_time(), time.perf_counter()
            analyzer(text)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        row = {
            "size": size,
            "size_label": _label(size),
            "bytes": n_bytes,
            "characters": len(text),
            "sentences": len(split_sentences(text)),
            "cpu_s": round(cpu, 3),
            "wall_s": round(wall, 3),
            "stance_cpu_s": round(stance[0], 3),
            "cpu_s_per_mb": round(cpu / (n_bytes / 1e6), 3) if n_bytes else 0.0,
        }
        rows.append(row)
        log(
            f"scaling: {row['size_label']}: {row['cpu_s']:.1f} CPU s "
            f"({row['cpu_s_per_mb']:.1f} per MB; stance step {row['stance_cpu_s']:.2f} s)"
        )
    exponent = fit_exponent([r["bytes"] for r in rows], [r["cpu_s"] for r in rows])
    head = provenance.header("scaling", command)
    settings = {
        "corpus": f"un-general-debates: {SPEED_CORPUS}/**/*.txt in sorted order, paragraphs "
        "joined by blank lines, cut at the last paragraph within each size",
        "threads": torch.get_num_threads(),
        "batch_size": batch_size,
        "device": "cpu",
        "clock": "time.process_time (CPU time of the process, all threads)",
    }
    summary = {
        "exponent": round(exponent, 3) if exponent is not None else None,
        "cpu_s_per_mb_min": min((r["cpu_s_per_mb"] for r in rows), default=None),
        "cpu_s_per_mb_max": max((r["cpu_s_per_mb"] for r in rows), default=None),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    results = [
        {
            "benchmark": "scaling",
            "task": "all",
            "dataset": "un-general-debates",
            "split": None,
            "n": len(rows),
            "system": "analyze",
            "figures": {"sizes": rows, **summary},
            "ci95": {},
            "settings": settings,
            "note": "one analyze() call per document size; CPU time, not wall time",
            **head,
        }
    ]
    content = provenance.result_file("scaling", command, data_dir, head["date"], results)
    path = write_json(out or RESULTS_DIR / "scaling.json", content)
    drawn = plot(rows, path.with_suffix(".png")) if rows else None
    print(table(rows))
    print()
    print(text_chart(rows))
    shown = "—" if exponent is None else f"{exponent:.2f}"
    log(f"scaling: log-log slope {shown} (1 = linear, 2 = quadratic); wrote {path}, {drawn}")
    return path, content
