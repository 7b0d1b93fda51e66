"""Calibration of the stance model: expected calibration error (ECE) of its label
probabilities on stance evaluation splits, and how often ``neutral`` or ``unrelated`` is
predicted where the gold label is a position.

Usage (from a checkout, data as for ``python -m benchmarks run``)::

    python -m benchmarks.calibration --data ../shared/data [--model DIR] [--dataset NAME ...]
"""

from __future__ import annotations

import argparse
import sys

from diplolex import metrics
from diplolex.types import STANCE_LABELS

DEFAULT_DATASETS = ("diplostance-dev", "newsmtsc-devtest_rw", "diplobench-dev")


def calibration(analyzer, dataset) -> dict[str, float]:
    """ECE of the 3-way label (argmax over favor/against/neutral, renormalised) and of the
    4-way label, plus the share of gold favor/against pairs read as neutral or unrelated."""
    results = analyzer.model("stance").predict_pairs(
        analyzer.encoder, list(dataset["text"]), list(dataset["target"]),
        analyzer.batch_size, holders=list(dataset["holder"]),
    )  # fmt: skip
    gold = list(dataset["label"])
    three_conf, three_right, four_conf, four_right = [], [], [], []
    swallowed = positions = 0
    for result, label in zip(results, gold):
        p = result.probabilities
        best = max(STANCE_LABELS, key=p.__getitem__)
        three_conf.append(p[best] / max(1e-9, sum(p[k] for k in STANCE_LABELS)))
        three_right.append(best == label)
        four_conf.append(result.score)
        four_right.append(result.label == label)
        if label in ("favor", "against"):
            positions += 1
            swallowed += result.label in ("neutral", "unrelated")
    return {
        "pairs": len(gold),
        "ece_3way": metrics.expected_calibration_error(three_conf, three_right),
        "ece_4way": metrics.expected_calibration_error(four_conf, four_right),
        "positions_read_neutral_or_unrelated": swallowed / max(1, positions),
    }


def main(argv: list[str] | None = None) -> int:
    import diplolex
    from diplolex.corpora.paths import resolve_data_dir
    from diplolex.corpora.stance import load_stance

    parser = argparse.ArgumentParser(prog="python -m benchmarks.calibration")
    parser.add_argument("--data", default=None)
    parser.add_argument("--model", default=None, help="stance weights folder (default shipped)")
    parser.add_argument("--dataset", action="append", default=None)
    args = parser.parse_args(argv)
    data = resolve_data_dir(args.data)
    weights = {"stance": args.model} if args.model else None
    analyzer = diplolex.load(tasks=["stance"], weights=weights)
    for name in args.dataset or DEFAULT_DATASETS:
        figures = calibration(analyzer, load_stance(name, data))
        shown = "; ".join(
            f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items()
        )
        print(f"{name}: {shown}", file=sys.stdout, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
