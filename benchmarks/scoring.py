"""How each benchmark turns records and predictions into figures, with the library's scorers.

A :class:`Scorer` works in two steps so that bootstrap confidence intervals stay cheap:
:meth:`Scorer.align` turns a dataset and a system's predictions into per-item arrays (gold,
prediction, text), and :meth:`Scorer.figures` / :meth:`Scorer.metric` compute figures from
those arrays. :func:`diplolex.metrics.bootstrap_ci` resamples the arrays.

Every figure is a fraction in ``[0, 1]`` except counts (``n_*``, ``tp``-like integers).

Prediction types, per task:

* conditionality: one :class:`~diplolex.tasks.conditionality.predict.SentenceConditionality`
  per record (baselines build the same objects);
* stance: one label per record (favor/against/neutral/unrelated);
* attribution: per record, a list of ``(source | None, cue, content)`` offset relations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from diplolex import metrics
from diplolex.types import STANCE_LABELS, STANCE_PAIR_LABELS

Arrays = tuple[list[Any], ...]
BootstrapInputs = tuple[Callable[..., float], Arrays]
"""A metric function and the per-item arrays it reads (see :meth:`Scorer.bootstrap_inputs`)."""

FNC1_LABELS = ("agree", "disagree", "discuss", "unrelated")


def _prf(prefix: str, prf: metrics.PRF) -> dict[str, float]:
    return {
        f"{prefix}_precision": prf.precision,
        f"{prefix}_recall": prf.recall,
        f"{prefix}_f1": prf.f1,
    }


def counts_f1(counts: np.ndarray) -> float:
    """F1 from per-item ``(tp, fp, fn)`` rows, summed: micro F1 over the items."""
    tp, fp, fn = (int(x) for x in counts.sum(axis=0))
    return metrics.PRF.from_counts(tp, fp, fn).f1


def item_counts(prf_of: Callable[..., metrics.PRF], arrays: Arrays) -> np.ndarray:
    """``(tp, fp, fn)`` of each item alone: ``prf_of`` called on one-item slices of ``arrays``.

    A micro-averaged figure sums these counts over items, so resampling the rows gives the
    same bootstrap as rescoring each resample, at a fraction of the cost.
    """
    rows = []
    for i in range(len(arrays[0])):
        prf = prf_of(*(a[i : i + 1] for a in arrays))
        rows.append((prf.tp, prf.fp, prf.fn))
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


class Scorer:
    """Base class: ``headline`` names the figures that get a bootstrap 95% CI."""

    headline: tuple[str, ...] = ()
    metric_name: str = ""

    def align(self, dataset: Any, predictions: Sequence[Any]) -> Arrays:
        raise NotImplementedError

    def figures(self, *arrays: list[Any]) -> dict[str, float]:
        raise NotImplementedError

    def details(self, figures: dict[str, float]) -> list[str]:
        """Lines the run log prints under the headline figures (none by default)."""
        return []

    def bootstrap_inputs(self, name: str, *arrays: list[Any]) -> BootstrapInputs:
        """``(metric_fn, per_item_arrays)`` for :func:`diplolex.metrics.bootstrap_ci` of figure
        ``name``: ``metric_fn(*per_item_arrays)`` equals the figure on the full data.

        The default rescores the aligned arrays; scorers override it with per-item counts
        where a figure is a sum over items.
        """
        return (lambda *resampled: self.figures(*resampled)[name]), arrays


def _check(dataset: Any, predictions: Sequence[Any]) -> None:
    if len(dataset) != len(predictions):
        raise ValueError(f"{len(predictions)} predictions for {len(dataset)} records")


class ConditionalityScorer(Scorer):
    """diplocond / diplobench: :func:`~diplolex.tasks.conditionality.evaluate.score_conditionality`.

    Figures: ``sentence_*`` (P/R/F1 of the conditional class over records with a label),
    ``condition_exact_*`` / ``consequence_exact_*`` (identical offsets),
    ``condition_overlap_*`` / ``consequence_overlap_*`` (token-level soft P/R/F1), and
    ``type_accuracy`` over the gold constructions whose condition a predicted one overlaps
    (``type_matched`` of ``type_total``).
    """

    headline = ("sentence_f1", "condition_overlap_f1", "consequence_overlap_f1")
    metric_name = (
        "sentence P/R/F1 of the conditional class; condition and consequence span P/R/F1, "
        "exact and token overlap; type accuracy"
    )

    def align(self, dataset: Any, predictions: Sequence[Any]) -> Arrays:
        _check(dataset, predictions)
        return list(dataset), list(predictions)

    def figures(self, records: list[Any], predictions: list[Any]) -> dict[str, float]:
        from diplolex.tasks.conditionality.evaluate import score_conditionality

        s = score_conditionality(records, predictions)
        out = _prf("sentence", s.sentence)
        labelled = [(r["conditional"], p.conditional) for r, p in zip(records, predictions)]
        labelled = [(bool(g), bool(p)) for g, p in labelled if g is not None]
        _crosscheck_binary([g for g, _ in labelled], [p for _, p in labelled], out, "sentence")
        for name in ("condition_exact", "condition_overlap", "consequence_exact"):
            out |= _prf(name, getattr(s, name))
        out |= _prf("consequence_overlap", s.consequence_overlap)
        out |= {
            "type_accuracy": s.type_accuracy,
            "type_matched": s.type_matched,
            "type_total": s.type_total,
        }
        out |= family_recall(records, predictions)
        out |= type_confusion(records, predictions)
        return out

    def details(self, figures: dict[str, float]) -> list[str]:
        """Sentence recall per cue family, then the type confusion matrix (gold rows)."""
        from benchmarks.families import FAMILY_NAMES
        from diplolex.types import CONDITIONAL_TYPES

        recalls = []
        for name in FAMILY_NAMES:
            if f"recall_{name}" in figures:
                recall, count = figures[f"recall_{name}"], figures[f"count_{name}"]
                recalls.append(f"{name} {recall:.2f} ({round(recall * count)}/{count:.0f})")
        lines = ["recall by cue family: " + "; ".join(recalls)] if recalls else []
        if any(figures.get(f"types_{g}_{p}") for g in CONDITIONAL_TYPES for p in CONDITIONAL_TYPES):
            lines.append(
                f"type accuracy {figures['type_accuracy']:.3f}; confusion (gold row, predicted "
                "column: " + " ".join(t[:5] for t in CONDITIONAL_TYPES) + ")"
            )
            for g in CONDITIONAL_TYPES:
                row = " ".join(f"{figures[f'types_{g}_{p}']:5.0f}" for p in CONDITIONAL_TYPES)
                lines.append(f"  {g:<12} {row}")
        return lines

    def bootstrap_inputs(self, name: str, *arrays: list[Any]) -> BootstrapInputs:
        from diplolex.tasks.conditionality.evaluate import score_conditionality

        part = name.removesuffix("_f1")
        if name.endswith("_f1"):
            counts = item_counts(lambda r, p: getattr(score_conditionality(r, p), part), arrays)
            return counts_f1, (counts,)
        return super().bootstrap_inputs(name, *arrays)


def family_recall(records: list[Any], predictions: list[Any]) -> dict[str, float]:
    """Recall of conditional sentences per cue family (:mod:`benchmarks.families`):
    ``recall_<family>`` and ``count_<family>``; a sentence counts once for each family of
    its gold constructions' cues. Families with no gold sentence are left out."""
    from benchmarks.families import FAMILY_NAMES, cue_family

    found: dict[str, list[int]] = {name: [0, 0] for name in FAMILY_NAMES}
    for record, prediction in zip(records, predictions):
        if not record["conditional"]:
            continue
        families = {cue_family(c["cue"]["text"] if c["cue"] else None)
                    for c in record["conditionals"]}  # fmt: skip
        for family in families or {cue_family(None)}:
            found[family][0] += bool(prediction.conditional)
            found[family][1] += 1
    out: dict[str, float] = {}
    for name, (hit, total) in found.items():
        if total:
            out[f"recall_{name}"] = hit / total
            out[f"count_{name}"] = total
    return out


def type_confusion(records: list[Any], predictions: list[Any]) -> dict[str, float]:
    """``types_<gold>_<predicted>`` counts over the gold constructions whose condition a
    predicted one overlaps (the ones type accuracy is computed on)."""
    from diplolex.types import CONDITIONAL_TYPES

    out = {f"types_{g}_{p}": 0.0 for g in CONDITIONAL_TYPES for p in CONDITIONAL_TYPES}
    for record, prediction in zip(records, predictions):
        if not record["spans_complete"]:
            continue
        for c in record["conditionals"]:
            if c["type"] not in CONDITIONAL_TYPES or c["condition"] is None:
                continue
            gold = (c["condition"]["start"], c["condition"]["end"])
            overlapping = [(min(p.condition[1], gold[1]) - max(p.condition[0], gold[0]), p)
                           for p in prediction.conditionals]  # fmt: skip
            overlapping = [(size, p) for size, p in overlapping if size > 0]
            if overlapping:
                best = max(overlapping, key=lambda item: item[0])[1]
                out[f"types_{c['type']}_{best.type}"] += 1
    return out


class CounterfactualScorer(Scorer):
    """SemEval-2020 task 5 subtask 1: P/R/F1 of the counterfactual class.

    A prediction is counterfactual when its ``counterfactual_score >= 0.5``.
    """

    headline = ("counterfactual_f1",)
    metric_name = "P/R/F1 of the counterfactual class"

    def align(self, dataset: Any, predictions: Sequence[Any]) -> Arrays:
        _check(dataset, predictions)
        gold = [bool(c) for c in dataset["counterfactual"]]
        pred = [p.counterfactual_score >= 0.5 for p in predictions]
        return gold, pred

    def figures(self, gold: list[bool], pred: list[bool]) -> dict[str, float]:
        out = _prf("counterfactual", metrics.binary_prf(gold, pred))
        out["accuracy"] = metrics.accuracy(gold, pred)
        _crosscheck_binary(gold, pred, out, "counterfactual")
        return out

    def bootstrap_inputs(self, name: str, *arrays: list[Any]) -> BootstrapInputs:
        if name == "counterfactual_f1":
            return counts_f1, (item_counts(metrics.binary_prf, arrays),)
        return super().bootstrap_inputs(name, *arrays)


def antecedent_consequent(prediction: Any) -> tuple[tuple[int, int] | None, ...]:
    """The ``(antecedent, consequent)`` a conditionality prediction gives SemEval subtask 2:
    the highest-scoring predicted construction's condition and consequence, or ``(None, None)``
    when it predicts none."""
    if not prediction.conditionals:
        return None, None
    best = max(prediction.conditionals, key=lambda c: c.score)
    return tuple(best.condition), None if best.consequence is None else tuple(best.consequence)


class SemEvalTask5Subtask2Scorer(Scorer):
    """SemEval-2020 task 5 subtask 2 with :func:`diplolex.metrics.semeval2020_task5_subtask2`.

    Gold is the record's one construction as the library reader gives it (condition =
    antecedent, consequence = consequent, edges normalised by the reader); a record without
    one is left out. Figures: the official ``exact_match``, ``precision``, ``recall``, ``f1``
    and the per-part figures.
    """

    headline = ("f1", "exact_match")
    metric_name = "official exact match and word P/R/F1 of antecedent + consequent"

    def align(self, dataset: Any, predictions: Sequence[Any]) -> Arrays:
        _check(dataset, predictions)
        gold, pred, texts = [], [], []
        for record, prediction in zip(dataset, predictions):
            if not record["conditionals"]:
                continue
            entry = record["conditionals"][0]
            consequence = entry["consequence"]
            gold.append(
                (
                    (entry["condition"]["start"], entry["condition"]["end"]),
                    None if consequence is None else (consequence["start"], consequence["end"]),
                )
            )
            pred.append(antecedent_consequent(prediction))
            texts.append(record["text"])
        return gold, pred, texts

    def figures(self, gold: list[Any], pred: list[Any], texts: list[str]) -> dict[str, float]:
        result = metrics.semeval2020_task5_subtask2(gold, pred, texts).to_dict()
        result.pop("n")
        return result

    def bootstrap_inputs(self, name: str, *arrays: list[Any]) -> BootstrapInputs:
        # every figure is a mean over sentences: resample the per-sentence values
        values = [
            getattr(metrics.semeval2020_task5_subtask2(*(a[i : i + 1] for a in arrays)), name)
            for i in range(len(arrays[0]))
        ]
        return _mean, (np.array(values, dtype=float),)


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else 0.0


class StanceScorer(Scorer):
    """Stance labels: accuracy, macro-F1 over favor/against/neutral, per-class F1; plus, as
    configured, SemEval-2016 ``f_avg`` or the FNC-1 relative score.

    Args:
        headline: figures with a CI.
        extra: ``"f_avg"`` or ``"fnc1"`` for those datasets' official figures.
        labels: the labels macro-F1 averages over.
    """

    def __init__(
        self,
        headline: tuple[str, ...],
        metric_name: str,
        extra: str | None = None,
        labels: tuple[str, ...] = STANCE_LABELS,
    ) -> None:
        self.headline = headline
        self.metric_name = metric_name
        self.extra = extra
        self.labels = labels

    def align(self, dataset: Any, predictions: Sequence[Any]) -> Arrays:
        _check(dataset, predictions)
        return list(dataset["label"]), [str(p) for p in predictions]

    def figures(self, gold: list[str], pred: list[str]) -> dict[str, float]:
        out = {
            "accuracy": metrics.accuracy(gold, pred),
            "macro_f1": metrics.macro_f1(gold, pred, self.labels),
        }
        names = dict(zip(STANCE_PAIR_LABELS, FNC1_LABELS))
        for label, f1 in metrics.per_class_f1(gold, pred, self.labels).items():
            shown = names[label] if self.extra == "fnc1" else label
            out[f"f1_{shown}"] = f1
        if self.extra == "f_avg":
            out["f_avg"] = metrics.f_avg(gold, pred)
        elif self.extra == "fnc1":
            fnc = metrics.fnc1_score(gold, pred)
            out["fnc1_relative"] = fnc.relative / 100.0
        _crosscheck_sklearn(gold, pred, self.labels, out)
        return out

    def bootstrap_inputs(self, name: str, *arrays: list[Any]) -> BootstrapInputs:
        simple: dict[str, Callable[..., float]] = {
            "accuracy": metrics.accuracy,
            "macro_f1": lambda g, p: metrics.macro_f1(g, p, self.labels),
            "f_avg": metrics.f_avg,
            "fnc1_relative": lambda g, p: metrics.fnc1_score(g, p).relative / 100.0,
        }
        if name in simple:
            return simple[name], arrays
        return super().bootstrap_inputs(name, *arrays)


def _crosscheck_sklearn(
    gold: list[str], pred: list[str], labels: tuple[str, ...], figures: dict[str, float]
) -> None:
    """Compare accuracy and macro-F1 with scikit-learn's; a disagreement is a scorer bug."""
    from sklearn.metrics import accuracy_score, f1_score

    if not gold:
        return
    checks = {
        "accuracy": accuracy_score(gold, pred),
        "macro_f1": f1_score(gold, pred, labels=list(labels), average="macro", zero_division=0),
    }
    for name, value in checks.items():
        if abs(figures[name] - value) > 1e-9:
            raise AssertionError(f"{name}: diplolex.metrics gives {figures[name]}, sklearn {value}")


def _crosscheck_binary(
    gold: list[bool], pred: list[bool], figures: dict[str, float], prefix: str
) -> None:
    """Compare binary P/R/F1 with scikit-learn's; a disagreement is a scorer bug."""
    from sklearn.metrics import precision_recall_fscore_support

    if not gold:
        return
    p, r, f, _ = precision_recall_fscore_support(
        gold, pred, labels=[True], average="binary", pos_label=True, zero_division=0
    )
    for name, value in (("precision", p), ("recall", r), ("f1", f)):
        if abs(figures[f"{prefix}_{name}"] - value) > 1e-9:
            raise AssertionError(f"{prefix}_{name}: diplolex.metrics and sklearn disagree")


ROLES = ("source", "cue", "content")


class AttributionScorer(Scorer):
    """Attribution relations per document: span P/R/F1 of each role (exact: identical offsets;
    overlap: at least one shared token, one-to-one) and relation P/R/F1 (exact, overlap)
    with :func:`~diplolex.metrics.span_prf_exact`,
    :func:`~diplolex.metrics.span_prf_overlap_binary` and :func:`~diplolex.metrics.relation_prf`.

    A role's spans are a set per document: a source shared by two relations counts once.
    """

    headline = ("relation_overlap_f1", "relation_exact_f1")
    metric_name = "source/cue/content span P/R/F1 and relation P/R/F1, exact and overlap"

    def align(self, dataset: Any, predictions: Sequence[Any]) -> Arrays:
        _check(dataset, predictions)
        gold = []
        for record in dataset:
            gold.append(
                [
                    tuple(
                        None if a[role] is None else (a[role]["start"], a[role]["end"])
                        for role in ROLES
                    )
                    for a in record["attributions"]
                ]
            )
        pred = [[tuple(None if s is None else tuple(s) for s in r) for r in p] for p in predictions]
        return gold, pred, list(dataset["text"])

    def figures(self, gold: list[Any], pred: list[Any], texts: list[str]) -> dict[str, float]:
        out: dict[str, float] = {}
        for k, role in enumerate(ROLES):
            g = [{(role, *rel[k]) for rel in item if rel[k] is not None} for item in gold]
            p = [{(role, *rel[k]) for rel in item if rel[k] is not None} for item in pred]
            out |= _prf(f"{role}_exact", metrics.span_prf_exact(g, p))
            out |= _prf(f"{role}_overlap", metrics.span_prf_overlap_binary(g, p, texts))
        out |= _prf("relation_exact", metrics.relation_prf(gold, pred))
        out |= _prf("relation_overlap", metrics.relation_prf(gold, pred, texts, mode="overlap"))
        return out

    def bootstrap_inputs(self, name: str, *arrays: list[Any]) -> BootstrapInputs:
        if name in ("relation_exact_f1", "relation_overlap_f1"):
            mode = name.split("_")[1]
            counts = item_counts(lambda g, p, t: metrics.relation_prf(g, p, t, mode=mode), arrays)
            return counts_f1, (counts,)
        return super().bootstrap_inputs(name, *arrays)
