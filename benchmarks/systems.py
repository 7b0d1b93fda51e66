"""Systems: what produces predictions for a benchmark. The baselines are built here; the
library's own model systems are registered in :mod:`benchmarks.registry`.

A baseline's ``predict(ctx, dataset)`` returns one prediction per record, of the type its
task's scorer reads (see :mod:`benchmarks.scoring`). Trained baselines fit on their
``train`` corpus once per run (cached in the :class:`RunContext`) and never see the
evaluation split.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from benchmarks import baselines
from benchmarks.corpora import REPORTING_VERBS, Corpus


@dataclass
class RunContext:
    """What systems share during one run: the data folder, limits and a cache.

    Attributes:
        data_dir: the shared data folder.
        limit: evaluate on the first ``limit`` records of each evaluation split.
        train_limit: fit trained baselines on the first ``train_limit`` training records.
        batch_size: sentences per encoder pass for model systems.
        log: where progress lines go.
        precision: the model systems' encoder precision (``diplolex.load(precision=...)``).
    """

    data_dir: Path
    limit: int | None = None
    train_limit: int | None = None
    batch_size: int = 32
    log: Callable[[str], None] = print
    precision: str = "auto"
    cache: dict[str, Any] = field(default_factory=dict)

    def cached(self, key: str, build: Callable[[], Any]) -> Any:
        """``build()`` once per key and run."""
        if key not in self.cache:
            self.cache[key] = build()
        return self.cache[key]

    def evaluation_set(self, corpus: Corpus) -> Any:
        """The evaluation split, its first ``limit`` records when a limit is set."""
        return self.cached(
            f"eval:{corpus.key}", lambda: _first(corpus.load(self.data_dir), self.limit)
        )

    def training_set(self, corpus: Corpus) -> Any:
        """A training split, its first ``train_limit`` records when that limit is set."""
        return self.cached(
            f"train:{corpus.key}", lambda: _first(corpus.load(self.data_dir), self.train_limit)
        )


def _first(dataset: Any, limit: int | None) -> Any:
    if limit is None or limit >= len(dataset):
        return dataset
    return dataset.select(range(limit))


@dataclass(frozen=True)
class System:
    """A way of producing predictions for one benchmark.

    Attributes:
        name: short name shown in the tables (``diplolex``, ``majority``, ``cue-rule``, ...).
        kind: ``model`` (the library) or ``baseline``.
        predict: ``(ctx, dataset) -> predictions``, one per record.
        train: the corpus a trained baseline is fitted on (must be present).
        requires: other data files it needs, relative to the data folder.
        figures: the figures it is scored on; ``None`` means all. A sentence classifier has
            no spans, so its span figures are left out rather than reported as 0.
        description: one line for the report.
    """

    name: str
    kind: Literal["model", "baseline"]
    predict: Callable[[RunContext, Any], list[Any]]
    train: Corpus | None = None
    requires: tuple[str, ...] = ()
    figures: tuple[str, ...] | None = None
    description: str = ""


# ---------------------------------------------------------------------------
# Conditionality


def _sentence(conditional: bool, score: float, counterfactual: float = 0.0, found=()) -> Any:
    from diplolex.tasks.conditionality.predict import (
        ConditionalPrediction,
        SentenceConditionality,
    )

    conditionals = [
        ConditionalPrediction("hypothetical", 1.0, 1.0, cue, condition, consequence)
        for cue, condition, consequence in found
    ]
    return SentenceConditionality(conditional, score, counterfactual, conditionals)


def _majority_of(ctx: RunContext, train: Corpus, column: str) -> bool:
    def build() -> bool:
        values = [v for v in ctx.training_set(train)[column] if v is not None]
        return bool(baselines.majority_label(values))

    return ctx.cached(f"majority:{train.key}:{column}", build)


def majority_conditional(train: Corpus) -> System:
    """Every sentence gets the majority ``conditional`` label of ``train``; no spans."""

    def predict(ctx: RunContext, dataset: Any) -> list[Any]:
        label = _majority_of(ctx, train, "conditional")
        return [_sentence(label, float(label)) for _ in range(len(dataset))]

    return System(
        "majority", "baseline", predict, train=train, description=f"majority label of {train.name}"
    )


def majority_counterfactual(train: Corpus) -> System:
    """Every sentence gets the majority ``counterfactual`` label of ``train``."""

    def predict(ctx: RunContext, dataset: Any) -> list[Any]:
        label = _majority_of(ctx, train, "counterfactual")
        return [_sentence(False, 0.0, float(label)) for _ in range(len(dataset))]

    return System(
        "majority", "baseline", predict, train=train, description=f"majority label of {train.name}"
    )


def cue_rule() -> System:
    """:func:`benchmarks.baselines.cue_rule_conditionals`, every construction ``hypothetical``."""

    def predict(ctx: RunContext, dataset: Any) -> list[Any]:
        out = []
        for text in dataset["text"]:
            found = baselines.cue_rule_conditionals(text)
            out.append(_sentence(bool(found), float(bool(found)), 0.0, found))
        return out

    return System("cue-rule", "baseline", predict, description="conditional cue words")


def wide_cue_rule() -> System:
    """The cue rule over the cue list of every family (:data:`benchmarks.families.WIDE_CUES`)."""
    from benchmarks.families import WIDE_CUE_RE

    def predict(ctx: RunContext, dataset: Any) -> list[Any]:
        out = []
        for text in dataset["text"]:
            found = baselines.cue_rule_conditionals(text, WIDE_CUE_RE)
            out.append(_sentence(bool(found), float(bool(found)), 0.0, found))
        return out

    return System("wide-cue-rule", "baseline", predict, description="cue words of every cue family")


def counterfactual_rule() -> System:
    """:func:`benchmarks.baselines.counterfactual_rule`."""

    def predict(ctx: RunContext, dataset: Any) -> list[Any]:
        return [
            _sentence(False, 0.0, float(baselines.counterfactual_rule(t))) for t in dataset["text"]
        ]

    return System("cf-rule", "baseline", predict, description="counterfactual cue patterns")


def _fitted_text_model(ctx: RunContext, train: Corpus, text_of, label_of) -> Any:
    def build() -> Any:
        records = [r for r in ctx.training_set(train) if label_of(r) is not None]
        return baselines.TfidfLogReg().fit(
            [text_of(r) for r in records], [label_of(r) for r in records]
        )

    return ctx.cached(f"tfidf:{train.key}:{text_of.__name__}:{label_of.__name__}", build)


def _text(record: dict) -> str:
    return record["text"]


def _conditional(record: dict) -> bool | None:
    return record["conditional"]


def _counterfactual(record: dict) -> bool | None:
    return record["counterfactual"]


SENTENCE_FIGURES = ("sentence_precision", "sentence_recall", "sentence_f1")


def tfidf_conditional(train: Corpus) -> System:
    """TF-IDF + LR on ``train``'s ``conditional`` labels; scored on sentence figures only."""

    def predict(ctx: RunContext, dataset: Any) -> list[Any]:
        model = _fitted_text_model(ctx, train, _text, _conditional)
        texts = list(dataset["text"])
        scores = model.probability(texts, True)
        return [_sentence(s >= 0.5, s) for s in scores]

    return System(
        "tfidf-lr",
        "baseline",
        predict,
        train=train,
        figures=SENTENCE_FIGURES,
        description=f"TF-IDF + logistic regression on {train.name}",
    )


def tfidf_counterfactual(train: Corpus) -> System:
    """TF-IDF + LR on ``train``'s ``counterfactual`` labels."""

    def predict(ctx: RunContext, dataset: Any) -> list[Any]:
        model = _fitted_text_model(ctx, train, _text, _counterfactual)
        scores = model.probability(list(dataset["text"]), True)
        return [_sentence(False, 0.0, s) for s in scores]

    return System(
        "tfidf-lr",
        "baseline",
        predict,
        train=train,
        description=f"TF-IDF + logistic regression on {train.name}",
    )


# ---------------------------------------------------------------------------
# Stance


def _label(record: dict) -> str:
    return record["label"]


def _pair_text(record: dict) -> str:
    return f"{record['target']} [SEP] {record['text']}"


def majority_stance(train: Corpus) -> System:
    """Every pair gets the majority label of ``train``."""

    def predict(ctx: RunContext, dataset: Any) -> list[Any]:
        label = ctx.cached(
            f"majority:{train.key}:label",
            lambda: baselines.majority_label(list(ctx.training_set(train)["label"])),
        )
        return [label] * len(dataset)

    return System(
        "majority", "baseline", predict, train=train, description=f"majority label of {train.name}"
    )


def tfidf_stance(train: Corpus) -> System:
    """TF-IDF + LR on ``train`` with the input ``"<target> [SEP] <text>"``."""

    def predict(ctx: RunContext, dataset: Any) -> list[Any]:
        model = _fitted_text_model(ctx, train, _pair_text, _label)
        return model.predict([_pair_text(r) for r in dataset])

    return System(
        "tfidf-lr",
        "baseline",
        predict,
        train=train,
        description=f"TF-IDF + logistic regression on {train.name} (target [SEP] text)",
    )


def tfidf_headline_body(train: Corpus) -> System:
    """:class:`benchmarks.baselines.HeadlineBodyLogReg` on ``train`` (FNC-1)."""

    def predict(ctx: RunContext, dataset: Any) -> list[Any]:
        def build() -> Any:
            records = ctx.training_set(train)
            return baselines.HeadlineBodyLogReg().fit(
                list(records["target"]), list(records["text"]), list(records["label"])
            )

        model = ctx.cached(f"headline-body:{train.key}", build)
        return model.predict(list(dataset["target"]), list(dataset["text"]))

    return System(
        "tfidf-lr",
        "baseline",
        predict,
        train=train,
        description=(
            f"TF-IDF of headline and body start + cosine, logistic regression on {train.name}"
        ),
    )


# ---------------------------------------------------------------------------
# Attribution


def lexicon_rule() -> System:
    """:func:`benchmarks.baselines.lexicon_rule_attributions` with the SFU verb lexicon."""

    def predict(ctx: RunContext, dataset: Any) -> list[Any]:
        from diplolex.corpora.attribution import read_reporting_verbs
        from diplolex.segment import split_sentences

        verbs = ctx.cached("reporting-verbs", lambda: read_reporting_verbs(ctx.data_dir))
        return [
            baselines.lexicon_rule_attributions(text, split_sentences(text), verbs)
            for text in dataset["text"]
        ]

    return System(
        "lexicon-rule",
        "baseline",
        predict,
        requires=(REPORTING_VERBS,),
        description="reporting-verb lexicon cue, quote/clause content, nearest noun phrase source",
    )
