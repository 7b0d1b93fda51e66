"""Scoring the stance model on each public dataset's official test split, next to a baseline.

Each dataset is scored with its official metric, on the labels it has:

- 3-way datasets (NewsMTSC, Emergent, SemEval-2016, diplobench): the label is the argmax over
  favor/against/neutral, **ignoring** ``unrelated`` (their pairs are related by construction);
- FNC-1: the argmax over all four labels, scored with the FNC-1 relative weighted score.

The baseline is TF-IDF (word 1-2 grams) + logistic regression on ``"target [SEP] text"``,
trained on the same dataset's train split (for diplobench, on NewsMTSC train).

Run ``python -m diplolex.tasks.stance.evaluate --help`` for the command line.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from diplolex import metrics

THREE_WAY = ("favor", "against", "neutral")
FOUR_WAY = ("favor", "against", "neutral", "unrelated")
TEST_SETS: tuple[str, ...] = (
    "newsmtsc-devtest_rw",
    "newsmtsc-devtest_mt",
    "fnc1-competition_test",
    "emergent-test",
    "semeval2016-test",
    "diplobench-dev",
)
BASELINE_TRAIN = {
    "newsmtsc-devtest_rw": "newsmtsc-train",
    "newsmtsc-devtest_mt": "newsmtsc-train",
    "fnc1-competition_test": "fnc1-train",
    "emergent-test": "emergent-train",
    "semeval2016-test": "semeval2016-train",
    "diplobench-dev": "newsmtsc-train",
}


def score_dataset(name: str, gold: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    """The official figure(s) of dataset ``name`` plus accuracy and macro-F1 (as fractions;
    the FNC-1 relative score is a percentage)."""
    labels = FOUR_WAY if name.startswith("fnc1") else THREE_WAY
    out: dict[str, Any] = {
        "pairs": len(gold),
        "accuracy": metrics.accuracy(gold, predicted),
        "macro_f1": metrics.macro_f1(gold, predicted, labels),
        "per_class_f1": metrics.per_class_f1(gold, predicted, labels),
    }
    if name.startswith("fnc1"):
        out["fnc1_relative"] = metrics.fnc1_score(gold, predicted).relative
    if name.startswith("semeval2016"):
        out["f_avg"] = metrics.f_avg(gold, predicted)
    return out


def main_metric(name: str) -> tuple[str, Callable[[Sequence[str], Sequence[str]], float]]:
    """The official metric of dataset ``name``: its key and function ``(gold, pred) -> float``."""
    if name.startswith("fnc1"):
        return "fnc1_relative", lambda g, p: metrics.fnc1_score(g, p).relative
    if name.startswith("semeval2016"):
        return "f_avg", metrics.f_avg
    if name.startswith("emergent"):
        return "accuracy", metrics.accuracy
    return "macro_f1", lambda g, p: metrics.macro_f1(g, p, THREE_WAY)


def _sample(records: list[dict], max_pairs: int | None, seed: int) -> list[dict]:
    if max_pairs is None or len(records) <= max_pairs:
        return records
    return random.Random(seed).sample(records, max_pairs)


def model_labels(name: str, probabilities: Sequence[dict[str, float]]) -> list[str]:
    """Labels from the model's probabilities under dataset ``name``'s label set."""
    labels = FOUR_WAY if name.startswith("fnc1") else THREE_WAY
    return [max(labels, key=p.__getitem__) for p in probabilities]


def evaluate_stance(
    model,
    encoder,
    data_dir: str | Path | None,
    names: Sequence[str] = TEST_SETS,
    max_pairs: dict[str, int] | None = None,
    seed: int = 0,
    bootstrap: int = 1000,
    batch_size: int = 64,
    log: Callable[[str], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Score ``model`` (a :class:`~diplolex.tasks.stance.predict.StanceModel`) on ``names``.

    Args:
        model: the stance model.
        encoder: the :class:`~diplolex.encoder.SharedEncoder` it reads.
        data_dir: the shared data folder (``None``: found as the readers do).
        names: corpus names of :func:`diplolex.corpora.stance.load_stance`.
        max_pairs: optional ``{name: n}``: score a uniform random sample of ``n`` pairs
            (seeded); the result says ``sampled_from``.
        seed: the sampling and bootstrap seed.
        bootstrap: resamples of the 95% confidence interval of the official metric (0: none).
        batch_size: pairs per encoder pass.
        log: optional progress callback.

    Returns:
        ``{name: figures}`` with :func:`score_dataset`'s keys, ``main_metric``, ``ci95`` (of
        the main metric), ``seconds`` and ``pairs_per_second``; also ``predicted_unrelated``
        (how many 3-way pairs the 4-way argmax would call unrelated).

    Example:
        >>> evaluate_stance(StanceModel.load(), SharedEncoder(), None, ["emergent-test"])
    """
    from diplolex.corpora.stance import load_stance

    max_pairs = max_pairs or {}
    results: dict[str, dict[str, Any]] = {}
    for name in names:
        full = [dict(r) for r in load_stance(name, data_dir)]
        records = _sample(full, max_pairs.get(name), seed)
        started = time.monotonic()
        predictions = model.predict_pairs(
            encoder, [r["text"] for r in records], [r["target"] for r in records], batch_size
        )
        seconds = time.monotonic() - started
        gold = [r["label"] for r in records]
        probabilities = [p.probabilities for p in predictions]
        predicted = model_labels(name, probabilities)
        figures = score_dataset(name, gold, predicted)
        key, fn = main_metric(name)
        figures["main_metric"] = key
        if bootstrap:
            figures["ci95"] = metrics.bootstrap_ci(fn, gold, predicted, n_resamples=bootstrap)
        figures["seconds"] = seconds
        figures["pairs_per_second"] = len(records) / seconds if seconds else 0.0
        if len(records) < len(full):
            figures["sampled_from"] = len(full)
        if not name.startswith("fnc1"):
            figures["predicted_unrelated"] = sum(p.label == "unrelated" for p in predictions)
        results[name] = figures
        if log:
            log(f"{name}: {key} {figures[key]:.4f} ({len(records)} pairs, {seconds:.0f}s)")
    return results


def baseline_input(records: Sequence[dict]) -> list[str]:
    """The baseline's input text of each record: ``"target [SEP] text"``."""
    return [f"{r['target']} [SEP] {r['text']}" for r in records]


def evaluate_baseline(
    data_dir: str | Path | None,
    names: Sequence[str] = TEST_SETS,
    max_pairs: dict[str, int] | None = None,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """TF-IDF + logistic regression, trained per dataset (:data:`BASELINE_TRAIN`) and scored
    like :func:`evaluate_stance` (on the full test split and, where ``max_pairs`` samples it,
    also on the model's sample under ``"sample"``)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from diplolex.corpora.stance import load_stance

    max_pairs = max_pairs or {}
    fitted: dict[str, Any] = {}
    results: dict[str, dict[str, Any]] = {}
    for name in names:
        train_name = BASELINE_TRAIN[name]
        if train_name not in fitted:
            train = [dict(r) for r in load_stance(train_name, data_dir)]
            pipeline = make_pipeline(
                TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                LogisticRegression(max_iter=2000),
            )
            pipeline.fit(baseline_input(train), [r["label"] for r in train])
            fitted[train_name] = pipeline
        pipeline = fitted[train_name]
        full = [dict(r) for r in load_stance(name, data_dir)]
        gold = [r["label"] for r in full]
        predicted = [str(p) for p in pipeline.predict(baseline_input(full))]
        figures = score_dataset(name, gold, predicted)
        figures["trained_on"] = train_name
        sample = _sample(full, max_pairs.get(name), seed)
        if len(sample) < len(full):
            sample_pred = [str(p) for p in pipeline.predict(baseline_input(sample))]
            figures["sample"] = score_dataset(name, [r["label"] for r in sample], sample_pred)
        results[name] = figures
        if log:
            key, _ = main_metric(name)
            log(f"baseline {name}: {key} {figures[key]:.4f}")
    return results


def _fmt(name: str, figures: dict[str, Any]) -> str:
    key, _ = main_metric(name)
    value = figures[key]
    return f"{value:.1f}" if key == "fnc1_relative" else f"{value:.3f}"


def figures_markdown(model: dict[str, dict], baseline: dict[str, dict]) -> str:
    """The test-figures table (model next to baseline) as markdown."""
    lines = [
        "## Official test figures",
        "",
        "3-way datasets: argmax over favor/against/neutral (``unrelated`` ignored); FNC-1: "
        "argmax over all four labels. Baseline: TF-IDF + logistic regression on "
        '"target [SEP] text", trained on the same dataset\'s train split (diplobench: '
        "NewsMTSC train). Brackets: 95% bootstrap interval of the model's figure.",
        "",
        "| dataset (split) | metric | pairs | diplolex stance | baseline | other figures (model) |",
        "|---|---|---|---|---|---|",
    ]
    for name, figures in model.items():
        key, _ = main_metric(name)
        base = baseline.get(name, {})
        base_figures = base.get("sample", base)
        base_value = _fmt(name, base_figures) if base_figures else "-"
        low, high = figures.get("ci95", (float("nan"), float("nan")))
        pairs = str(figures["pairs"])
        if "sampled_from" in figures:
            pairs += f" (random sample of {figures['sampled_from']})"
        extra = f"acc {figures['accuracy']:.3f}, macro-F1 {figures['macro_f1']:.3f}; F1 " + (
            ", ".join(f"{c} {v:.3f}" for c, v in figures["per_class_f1"].items())
        )
        digits = 1 if key == "fnc1_relative" else 3
        ci = f" [{low:.{digits}f}, {high:.{digits}f}]"
        lines.append(
            f"| {name} | {key} | {pairs} | {_fmt(name, figures)}{ci} | {base_value} | {extra} |"
        )
    for name, figures in baseline.items():
        if "sample" in figures:
            lines.append("")
            lines.append(
                f"Baseline on the full {name} ({figures['pairs']} pairs): "
                f"{main_metric(name)[0]} {_fmt(name, figures)}."
            )
    return "\n".join(lines) + "\n"


def write_card_section(weights: str | Path, section: str) -> None:
    """Replace (or add) the test-figures section of the model card in ``weights``."""
    path = Path(weights) / "README.md"
    text = path.read_text()
    head, _, _ = text.partition("## Official test figures")
    path.write_text(head.rstrip("\n") + "\n\n" + section)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: score the model and the baseline, write JSON, optionally the card."""
    from diplolex.corpora.paths import resolve_data_dir
    from diplolex.encoder import SharedEncoder
    from diplolex.tasks.stance.predict import StanceModel

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="shared data folder")
    parser.add_argument("--weights", default=None, help="weights folder (default: shipped)")
    parser.add_argument("--names", nargs="*", default=list(TEST_SETS))
    parser.add_argument("--fnc1-pairs", type=int, default=3000, help="FNC-1 test sample size")
    parser.add_argument("--json", default=None, help="write all figures to this JSON file")
    parser.add_argument("--write-card", action="store_true", help="add the table to the card")
    parser.add_argument(
        "--baseline-from", default=None, help="reuse the baseline figures of an earlier --json"
    )
    parser.add_argument("--baseline-only", action="store_true", help="score the baseline only")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(time.strftime("%H:%M:%S"), message, flush=True)

    data_dir = resolve_data_dir(args.data)
    max_pairs = {"fnc1-competition_test": args.fnc1_pairs} if args.fnc1_pairs else {}
    if args.baseline_from:
        baseline = json.loads(Path(args.baseline_from).read_text())["baseline"]
    else:
        baseline = evaluate_baseline(data_dir, args.names, max_pairs, log=log)
    if args.baseline_only:
        if args.json:
            Path(args.json).write_text(json.dumps({"baseline": baseline}, indent=2) + "\n")
        return 0
    model = StanceModel.load(args.weights)
    encoder = SharedEncoder(max_tokens=model.config.max_tokens)
    scores = evaluate_stance(model, encoder, data_dir, args.names, max_pairs, log=log)
    section = figures_markdown(scores, baseline)
    print(section)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(
            json.dumps({"model": scores, "baseline": baseline}, indent=2) + "\n"
        )
    if args.write_card:
        write_card_section(args.weights or model_dir_default(), section)
    return 0


def model_dir_default() -> Path:
    """The shipped weights folder."""
    from diplolex.tasks.stance.predict import SHIPPED_WEIGHTS

    return SHIPPED_WEIGHTS


if __name__ == "__main__":
    raise SystemExit(main())
