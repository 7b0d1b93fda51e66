"""``python -m benchmarks shared-stance``: what scoring stance from the shared pass loses.

``analyze()`` scores the targets it proposes with the shared-pass head
(:mod:`diplolex.tasks.stance.shared`) instead of a cross-encoder pass per (sentence, target)
pair. This reads every pair of the stance dev sets whose target is a span of its sentence
both ways, with the gold holder (its first mention in the sentence, else the author), and
prints F_avg, macro-F1 (favor / against / neutral) and accuracy of each, with the pairs on
which the two disagree. Writes ``benchmarks/results/shared_stance.json`` (``--out``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks import RESULTS_DIR, provenance
from benchmarks.run import log_stderr, write_json

DATASETS = ("diplostance-dev", "diplobench-dev", "newsmtsc-devtest_rw")
THREE = ("favor", "against", "neutral")


def _figures(gold: list[str], predicted: list[str]) -> dict[str, float]:
    from diplolex import metrics

    right = sum(g == p for g, p in zip(gold, predicted))
    return {
        "f_avg": metrics.macro_f1(gold, predicted, ["favor", "against"]),
        "macro_f1": metrics.macro_f1(gold, predicted, list(THREE)),
        "accuracy": right / max(1, len(gold)),
    }


def shared_labels(analyzer: Any, records: list[dict]) -> list[str]:
    """Each record's label from the shared-pass head over the analyzer's shared encoder."""
    from diplolex.encoder import length_batches
    from diplolex.tasks.stance.predict import locate_pair
    from diplolex.tasks.stance.shared import SpanPair, shared_probabilities

    shared = analyzer.model("stance").shared
    texts = sorted({r["text"] for r in records})
    states: dict[str, Any] = {}
    for idx in length_batches(analyzer.encoder.piece_counts(texts), analyzer.batch_size):
        chunk = [texts[i] for i in idx]
        for text, st in zip(chunk, shared.read_batch(analyzer.encoder.encode(chunk), chunk)):
            states[text] = st
    pairs = []
    for r in records:
        span = (r["target_span"]["start"], r["target_span"]["end"])
        target, holder = locate_pair(r["text"], r["target"], r["holder"], span)
        pairs.append(SpanPair(states[r["text"]], target, holder))
    probs = shared_probabilities(shared.head, shared.config, pairs, analyzer.batch_size)
    return [shared.config.labels[i] for i in probs.argmax(-1).tolist()]


def cross_labels(analyzer: Any, records: list[dict]) -> list[str]:
    """Each record's label from the cross-encoder (favor / against / neutral argmax)."""
    results = analyzer.model("stance").predict_pairs(
        analyzer.encoder,
        [r["text"] for r in records],
        [r["target"] for r in records],
        analyzer.batch_size,
        holders=[r["holder"] for r in records],
    )
    return [max(THREE, key=lambda label: r.probabilities[label]) for r in results]


def run_shared_stance(data_dir: Path, out: Path | None = None, command: str = "") -> dict:
    """Score both heads on every dataset of :data:`DATASETS` found in ``data_dir``."""
    import diplolex
    from diplolex.corpora.stance import load_stance

    analyzer = diplolex.load(precision="fp32")
    if not analyzer.model("stance").listen_to_shared_pass(analyzer.encoder_adapter):
        raise SystemExit("the loaded stance weights have no shared-pass head for this encoder")
    head = provenance.header("shared-stance", command)
    results = []
    for name in DATASETS:
        try:
            dataset = load_stance(name, data_dir)
        except FileNotFoundError as err:
            log_stderr(f"{name}: skipped ({err})")
            continue
        records = [dict(r) for r in dataset if r["target_span"] and r["label"] in THREE]
        gold = [r["label"] for r in records]
        shared, cross = shared_labels(analyzer, records), cross_labels(analyzer, records)
        row = {
            "dataset": name,
            "pairs": len(records),
            "cross_encoder": _figures(gold, cross),
            "shared_pass": _figures(gold, shared),
            "disagreements": sum(a != b for a, b in zip(shared, cross)),
        }
        results.append(row)
        c, s = row["cross_encoder"], row["shared_pass"]
        log_stderr(
            f"{name} ({len(records)} pairs): F_avg / macro-F1 / accuracy cross-encoder "
            f"{c['f_avg']:.3f} / {c['macro_f1']:.3f} / {c['accuracy']:.3f}, shared pass "
            f"{s['f_avg']:.3f} / {s['macro_f1']:.3f} / {s['accuracy']:.3f}; "
            f"{row['disagreements']} pairs labelled differently"
        )
    content = provenance.result_file("shared-stance", command, data_dir, head["date"], results)
    content["machine"] = head["machine"]
    path = write_json(out or RESULTS_DIR / "shared_stance.json", content)
    log_stderr(f"wrote {path}")
    return content
