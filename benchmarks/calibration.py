"""Calibration of the stance and conditionality models.

Stance: expected calibration error (ECE) of its label probabilities on stance evaluation
splits, and how often ``neutral`` or ``unrelated`` is predicted where the gold label is a
position. Conditionality: ECE of the sentence decision on conditionality splits, how many
sentences reach the threshold with no construction decoded (they are not flagged), and how
many of 500 random-code-point strings and 500 random-word sentences (fixed seed) are flagged.

Usage (from a checkout, data as for ``python -m benchmarks run``)::

    python -m benchmarks.calibration --data ../shared/data [--model DIR] [--dataset NAME ...]
    python -m benchmarks.calibration --task conditionality --data ../shared/data
"""

from __future__ import annotations

import argparse
import random
import sys

from diplolex import metrics
from diplolex.types import STANCE_LABELS

DEFAULT_DATASETS = {
    "stance": ("diplostance-dev", "newsmtsc-devtest_rw", "diplobench-dev"),
    "conditionality": ("diplocond-dev", "diplobench-dev"),
}
NOISE_TEXTS = 500


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


def conditionality_calibration(analyzer, texts: list[str], gold: list[bool] | None) -> dict:
    """Sentence-decision figures of ``texts``: flagged share, sentences at or above the
    threshold with no construction, and (with ``gold``) the ECE of the decision's confidence
    ``max(p, 1 - p)``."""
    model = analyzer.model("conditionality")
    results = model.predict_texts(analyzer.encoder, texts, analyzer.batch_size)
    threshold = model.config.threshold
    figures: dict[str, float | int] = {
        "sentences": len(texts),
        "flagged": sum(r.conditional for r in results),
        "above_threshold_without_construction": sum(
            r.score >= threshold and not r.conditionals for r in results
        ),
    }
    if gold is not None:
        figures["ece"] = metrics.expected_calibration_error(
            [max(r.score, 1 - r.score) for r in results],
            [r.conditional == g for r, g in zip(results, gold)],
        )
    return figures


def random_code_points(rng: random.Random, count: int) -> list[str]:
    """``count`` strings of 3 to 60 random code points (no surrogates)."""
    texts = []
    for _ in range(count):
        chars, length = [], rng.randint(3, 60)
        while len(chars) < length:
            point = rng.randint(32, 0x2FFFF)
            if not 0xD800 <= point < 0xE000:
                chars.append(chr(point))
        texts.append("".join(chars))
    return texts


def random_words(rng: random.Random, count: int, vocabulary: list[str]) -> list[str]:
    """``count`` sentences of 4 to 20 words drawn from ``vocabulary``, ending in a period."""
    return [
        " ".join(rng.choice(vocabulary) for _ in range(rng.randint(4, 20))).capitalize() + "."
        for _ in range(count)
    ]


def _show(name: str, figures: dict) -> None:
    shown = "; ".join(
        f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items()
    )
    print(f"{name}: {shown}", file=sys.stdout, flush=True)


def main(argv: list[str] | None = None) -> int:
    import diplolex
    from diplolex.corpora.conditionality import load_conditionality
    from diplolex.corpora.paths import resolve_data_dir
    from diplolex.corpora.stance import load_stance

    parser = argparse.ArgumentParser(prog="python -m benchmarks.calibration")
    parser.add_argument("--task", choices=sorted(DEFAULT_DATASETS), default="stance")
    parser.add_argument("--data", default=None)
    parser.add_argument("--model", default=None, help="the task's weights folder (default shipped)")
    parser.add_argument("--dataset", action="append", default=None)
    args = parser.parse_args(argv)
    data = resolve_data_dir(args.data)
    weights = {args.task: args.model} if args.model else None
    analyzer = diplolex.load(tasks=[args.task], weights=weights, precision="fp32")  # the cards
    for name in args.dataset or DEFAULT_DATASETS[args.task]:
        if args.task == "stance":
            _show(name, calibration(analyzer, load_stance(name, data)))
            continue
        dataset = load_conditionality(name, data)
        gold = [bool(flag) for flag in dataset["conditional"]]
        _show(name, conditionality_calibration(analyzer, list(dataset["text"]), gold))
    if args.task == "conditionality":
        rng = random.Random(0)
        words = [w for w in analyzer.encoder.tokenizer.get_vocab() if w.isalpha() and w.isascii()]
        for name, texts in (
            ("random code points", random_code_points(rng, NOISE_TEXTS)),
            ("random words", random_words(rng, NOISE_TEXTS, sorted(words))),
        ):
            _show(name, conditionality_calibration(analyzer, texts, None))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
