"""Every (analysis, dataset) benchmark: its split, its official metric, its baselines; and the
library's model system for each analysis.

Adding the model system of an analysis is one registered function::

    from benchmarks.registry import register_model_system

    @register_model_system("stance")
    def stance_model(analyzer, dataset):
        # analyzer: diplolex.load(tasks=["stance"], weights=...), loaded once per run
        # dataset: the evaluation split (datasets.Dataset in the library's stance schema)
        return [...]  # one prediction per record, as benchmarks.scoring.StanceScorer reads

Every benchmark of that analysis then gets a ``diplolex`` row. An analysis without one shows
"model: not shipped yet" in the run log and the report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks import corpora as c
from benchmarks import scoring, systems
from benchmarks.corpora import Corpus
from benchmarks.scoring import Scorer
from benchmarks.systems import System
from diplolex.tasks import TASK_NAMES
from diplolex.types import STANCE_PAIR_LABELS

TASKS: tuple[str, ...] = TASK_NAMES
"""The analyses benchmarks exist for: every row of :data:`diplolex.tasks.TASKS`."""


@dataclass(frozen=True)
class Entry:
    """One benchmark: an analysis scored on one split of one dataset.

    Attributes:
        task: the analysis (``conditionality``, ``stance``, ``attribution``).
        corpus: the evaluation split, read by the library reader.
        split: the split's name in the dataset's own terms (the one its papers report on).
        scorer: turns predictions into figures (its ``headline`` figures get CIs).
        baselines: the baselines scored beside the model.
    """

    task: str
    corpus: Corpus
    split: str
    scorer: Scorer
    baselines: tuple[System, ...]

    @property
    def dataset(self) -> str:
        return self.corpus.name

    @property
    def label(self) -> str:
        return f"{self.task} / {self.dataset}"


# ---------------------------------------------------------------------------
# Model systems

ModelPredict = Callable[[Any, Any], list[Any]]
"""``(analyzer, dataset) -> predictions``: one prediction per record."""


@dataclass(frozen=True)
class ModelSystem:
    """The library's own system for one analysis."""

    task: str
    predict: ModelPredict
    name: str = "diplolex"


MODEL_SYSTEMS: dict[str, ModelSystem] = {}


def register_model_system(task: str, name: str = "diplolex") -> Callable[[ModelPredict], Any]:
    """Register ``fn(analyzer, dataset) -> predictions`` as the model system of ``task``.

    The harness loads ``analyzer = diplolex.load(tasks=[task], weights={task: DIR})`` once per
    run (``DIR`` from ``--model``, else the shipped weights) and calls the function on each
    evaluation split of the task, in chunks of records (so progress can be shown).

    Example:
        >>> @register_model_system("conditionality")
        ... def predict(analyzer, dataset):
        ...     return analyzer.model("conditionality").predict_texts(
        ...         analyzer.encoder, list(dataset["text"]), analyzer.batch_size)
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {TASKS}")

    def decorator(fn: ModelPredict) -> ModelPredict:
        MODEL_SYSTEMS[task] = ModelSystem(task, fn, name)
        return fn

    return decorator


@register_model_system("conditionality")
def conditionality_model(analyzer: Any, dataset: Any) -> list[Any]:
    """Each record's text as one sentence through the conditionality head.

    SemEval-2020 task 5 subtask 2 gives sentences known to be counterfactual and asks for their
    spans, so there constructions are decoded whatever the sentence-level decision.
    """
    decode_all = set(dataset["corpus"]) == {"semeval2020t5-st2"}
    return analyzer.model("conditionality").predict_texts(
        analyzer.encoder, list(dataset["text"]), analyzer.batch_size, decode_all=decode_all
    )


@register_model_system("stance")
def stance_model(analyzer: Any, dataset: Any) -> list[str]:
    """Each (text, target) pair through the stance cross-encoder, with its holder where the
    dataset names one (DiploStance, diplobench).

    FNC-1 is scored on all four labels; the other datasets have no ``unrelated`` class, so the
    prediction there is the most probable of favor, against and neutral.
    """
    results = analyzer.model("stance").predict_pairs(
        analyzer.encoder,
        list(dataset["text"]),
        list(dataset["target"]),
        analyzer.batch_size,
        holders=list(dataset["holder"]),
    )
    if set(dataset["corpus"]) == {"fnc1"}:
        return [r.label for r in results]
    return [max(scoring.STANCE_LABELS, key=lambda label: r.probabilities[label]) for r in results]


@register_model_system("attribution")
def attribution_model(analyzer: Any, dataset: Any) -> list[list[tuple]]:
    """Each document through the attribution head: ``(source, cue, content)`` offsets."""
    documents = analyzer.model("attribution").predict_texts(
        analyzer.encoder, list(dataset["text"]), analyzer.batch_size
    )
    return [[(a.source, a.cue, a.content) for a in doc] for doc in documents]


# ---------------------------------------------------------------------------
# The benchmarks

_CONDITIONALITY = scoring.ConditionalityScorer()
_NEWSMTSC = scoring.StanceScorer(("macro_f1", "accuracy"), "macro-F1 (favor/against/neutral), acc.")
_ATTRIBUTION = scoring.AttributionScorer()

ENTRIES: tuple[Entry, ...] = (
    *(
        Entry(
            "conditionality",
            corpus,
            "dev",
            _CONDITIONALITY,
            (
                systems.majority_conditional(c.DIPLOCOND_TRAIN),
                systems.cue_rule(),
                systems.wide_cue_rule(),
                systems.tfidf_conditional(c.DIPLOCOND_TRAIN),
            ),
        )
        for corpus in (c.DIPLOCOND_DEV, c.DIPLOCOND_DEV_V2, c.DIPLOCOND_DEV_V1)
    ),
    Entry(
        "conditionality",
        c.DIPLOBENCH_CONDITIONALITY,
        "dev",
        _CONDITIONALITY,
        (
            systems.majority_conditional(c.DIPLOCOND_TRAIN),
            systems.cue_rule(),
            systems.tfidf_conditional(c.DIPLOCOND_TRAIN),
        ),
    ),
    Entry(
        "conditionality",
        c.ST1_TEST,
        "test",
        scoring.CounterfactualScorer(),
        (
            systems.majority_counterfactual(c.ST1_TRAIN),
            systems.counterfactual_rule(),
            systems.tfidf_counterfactual(c.ST1_TRAIN),
        ),
    ),
    Entry(
        "conditionality",
        c.ST2_TEST,
        "test",
        scoring.SemEvalTask5Subtask2Scorer(),
        (systems.cue_rule(),),
    ),
    Entry(
        "stance",
        c.NEWSMTSC_RW,
        "devtest_rw",
        _NEWSMTSC,
        (systems.majority_stance(c.NEWSMTSC_TRAIN), systems.tfidf_stance(c.NEWSMTSC_TRAIN)),
    ),
    Entry(
        "stance",
        c.NEWSMTSC_MT,
        "devtest_mt",
        _NEWSMTSC,
        (systems.majority_stance(c.NEWSMTSC_TRAIN), systems.tfidf_stance(c.NEWSMTSC_TRAIN)),
    ),
    Entry(
        "stance",
        c.FNC1_TEST,
        "competition_test",
        scoring.StanceScorer(
            ("fnc1_relative", "macro_f1"),
            "FNC-1 relative score; per-class and macro-F1 (4 classes)",
            extra="fnc1",
            labels=STANCE_PAIR_LABELS,
        ),
        (systems.majority_stance(c.FNC1_TRAIN), systems.tfidf_headline_body(c.FNC1_TRAIN)),
    ),
    Entry(
        "stance",
        c.EMERGENT_TEST,
        "test",
        scoring.StanceScorer(("accuracy",), "accuracy (for/against/observing)"),
        (systems.majority_stance(c.EMERGENT_TRAIN), systems.tfidf_stance(c.EMERGENT_TRAIN)),
    ),
    Entry(
        "stance",
        c.SEMEVAL16_TEST,
        "test",
        scoring.StanceScorer(("f_avg",), "F_avg = (F1 favor + F1 against) / 2", extra="f_avg"),
        (systems.majority_stance(c.SEMEVAL16_TRAIN), systems.tfidf_stance(c.SEMEVAL16_TRAIN)),
    ),
    Entry(
        "stance",
        c.DIPLOSTANCE_DEV,
        "dev",
        scoring.StanceScorer(
            ("f_avg", "accuracy"), "F_avg = (F1 favor + F1 against) / 2, acc.", extra="f_avg"
        ),
        (systems.majority_stance(c.DIPLOSTANCE_TRAIN), systems.tfidf_stance(c.DIPLOSTANCE_TRAIN)),
    ),
    Entry(
        "stance",
        c.DIPLOBENCH_STANCE,
        "dev",
        scoring.StanceScorer(("macro_f1", "accuracy"), "macro-F1 (favor/against/neutral), acc."),
        (systems.majority_stance(c.NEWSMTSC_TRAIN), systems.tfidf_stance(c.NEWSMTSC_TRAIN)),
    ),
    Entry("attribution", c.POLNEAR_TEST, "test", _ATTRIBUTION, (systems.lexicon_rule(),)),
    Entry("attribution", c.POLNEAR_DEV, "dev", _ATTRIBUTION, (systems.lexicon_rule(),)),
    Entry("attribution", c.DIPLOBENCH_ATTRIBUTION, "dev", _ATTRIBUTION, (systems.lexicon_rule(),)),
)


def select_entries(
    tasks: Sequence[str] | None = None, datasets: Sequence[str] | None = None
) -> list[Entry]:
    """The entries of the given tasks and datasets (``None``: all), in registry order.

    Raises:
        ValueError: a task or dataset name no entry has; the message lists the known ones.
    """
    if tasks:
        unknown = sorted(set(tasks) - set(TASKS))
        if unknown:
            raise ValueError(f"unknown task(s) {unknown}; expected some of {list(TASKS)}")
    chosen = [e for e in ENTRIES if not tasks or e.task in tasks]
    if datasets:
        known = sorted({e.dataset for e in chosen})
        unknown = sorted(set(datasets) - set(known))
        if unknown:
            raise ValueError(
                f"unknown dataset(s) {unknown} for these tasks; expected some of {known}"
            )
        chosen = [e for e in chosen if e.dataset in datasets]
    return chosen
