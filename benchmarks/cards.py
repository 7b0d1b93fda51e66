"""``python -m benchmarks cards``: the harness writes each model card's figure section.

Every shipped weights folder's ``README.md`` (its model card) ends with a section that only
this command writes: the headline figures of the library's model on every benchmark of its
analysis, from result files of ``python -m benchmarks run``, beside the best baseline. The
command that produced the results and the machine they ran on are named in it. Training
writes a card without the section; run this after re-benchmarking.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.report import format_figure, load_results
from diplolex.manifest import WEIGHTS_ROOT
from diplolex.tasks import TASK_NAMES

HEADING = "## Figures from the benchmark harness"
NOTE = "<!-- written by `python -m benchmarks cards`; edits by hand are overwritten -->"


def latest_accuracy(files: Sequence[Path]) -> list[dict[str, Any]]:
    """Accuracy results of the shipped model and the baselines, the newest per (task,
    dataset, system)."""
    latest: dict[tuple[str, str, str], dict[str, Any]] = {}
    for content in load_results(files):  # oldest first: later files replace
        for r in content["results"]:
            if r.get("benchmark") != "accuracy":
                continue
            model = r.get("model")
            if r.get("system_kind") == "model" and not (model and model.get("shipped")):
                continue  # weights other than the shipped ones
            latest[(r["task"], r["dataset"], r["system"])] = r
    return list(latest.values())


def _value(result: dict[str, Any], figure: str) -> str:
    return format_figure(result["figures"].get(figure), (result.get("ci95") or {}).get(figure))


def card_section(task: str, results: list[dict[str, Any]]) -> str | None:
    """The harness section of ``task``'s card, or ``None`` when no result names the task."""
    models = [r for r in results if r["task"] == task and r.get("system_kind") == "model"]
    if not models:
        return None
    rows = []
    for r in sorted(models, key=lambda r: (r["split"] not in ("dev",), r["dataset"])):
        baselines = [
            b
            for b in results
            if b["task"] == task and b["dataset"] == r["dataset"] and b is not r
            and b.get("system_kind") != "model"
        ]  # fmt: skip
        for figure in r["headline"]:
            best = max(baselines, key=lambda b: b["figures"].get(figure) or 0.0, default=None)
            shown = "—" if best is None else f"{_value(best, figure)} ({best['system']})"
            rows.append(
                f"| {r['dataset']} | {r['split']} | {r['n']} | {figure} | "
                f"{_value(r, figure)} | {shown} |"
            )
    commands = sorted({r["command"] for r in models if r.get("command")})
    machine = models[0].get("machine") or {}
    lines = [
        HEADING,
        "",
        NOTE,
        "",
        "Produced by "
        + "; ".join(f"`{c}`" for c in commands)
        + f" on {machine.get('processor', '?')} with {machine.get('cpus_logical', '?')} "
        f"logical CPUs, torch {machine.get('torch', '?')}, {models[0]['date'][:10]}. Brackets: "
        "95% bootstrap interval. Dev splits were used for choices; the others are official "
        "test splits. All figures, with every baseline: docs/benchmarks.md.",
        "",
        "| dataset | split | n | figure | this model | best baseline |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    return "\n".join(lines)


def replace_section(card: str, section: str) -> str:
    """``card`` with its harness section (everything from :data:`HEADING` to the next
    ``## `` heading or the end) replaced by ``section``, or ``section`` appended."""
    start = card.find(HEADING)
    if start < 0:
        return card.rstrip("\n") + "\n\n" + section
    following = card.find("\n## ", start + len(HEADING))
    rest = "" if following < 0 else card[following + 1 :]
    return card[:start] + section + ("\n" + rest if rest else "")


def write_cards(files: Sequence[Path], weights_root: Path = WEIGHTS_ROOT) -> list[Path]:
    """Rewrite the harness section of every card the results cover; returns the cards."""
    results = latest_accuracy(files)
    written = []
    for task in TASK_NAMES:
        section = card_section(task, results)
        card = weights_root / task / "README.md"
        if section is None or not card.is_file():
            continue
        card.write_text(replace_section(card.read_text(encoding="utf-8"), section))
        written.append(card)
    return written
