"""The corpora the harness reads: which library reader loads each, and which files it needs.

A corpus is *present* when every path it ``requires`` exists under the data folder; absent
corpora are skipped with a line naming the first missing path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Corpus:
    """One split of one dataset, loaded by the library reader of its analysis.

    Attributes:
        family: the reader family: ``conditionality``, ``stance`` or ``attribution``
            (``diplolex.corpora.<family>.load_<family>``).
        name: the reader's name for it, e.g. ``diplocond-dev``.
        requires: paths relative to the data folder that must exist.
    """

    family: str
    name: str
    requires: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.family}:{self.name}"

    def missing(self, data_dir: Path) -> str | None:
        """The first required path absent under ``data_dir``, or ``None`` when all exist."""
        for relative in self.requires:
            if not (data_dir / relative).exists():
                return relative
        return None

    def load(self, data_dir: Path) -> Any:
        """The corpus as a ``datasets.Dataset``, through the library reader."""
        if self.family == "conditionality":
            from diplolex.corpora.conditionality import load_conditionality

            return load_conditionality(self.name, data_dir)
        if self.family == "stance":
            from diplolex.corpora.stance import load_stance

            return load_stance(self.name, data_dir)
        if self.family == "attribution":
            from diplolex.corpora.attribution import load_attribution

            return load_attribution(self.name, data_dir)
        raise ValueError(f"unknown corpus family {self.family!r}")


_ST = "semeval2020-task5-counterfactual"
_SEMEVAL16 = "semeval2016-task6-stance/data-all-annotations"
_EMERGENT = "emergent/emergent/url-versions-2015-06-14-clean"

DIPLOCOND_TRAIN = Corpus("conditionality", "diplocond-train", ("diplocond/train.jsonl",))
DIPLOCOND_DEV = Corpus("conditionality", "diplocond-dev", ("diplocond/dev.jsonl",))
DIPLOCOND_DEV_V1 = Corpus("conditionality", "diplocond-dev-v1", ("diplocond/dev.jsonl",))
DIPLOCOND_DEV_V2 = Corpus("conditionality", "diplocond-dev-v2", ("diplocond/dev.jsonl",))
DIPLOBENCH_CONDITIONALITY = Corpus("conditionality", "diplobench-dev", ("diplobench/dev.jsonl",))
ST1_TRAIN = Corpus(
    "conditionality", "semeval2020t5-st1-train", (f"{_ST}/Subtask-1/subtask1_train.csv",)
)
ST1_TEST = Corpus(
    "conditionality", "semeval2020t5-st1-test", (f"{_ST}/Subtask-1/subtask1_test.csv",)
)
ST2_TEST = Corpus(
    "conditionality", "semeval2020t5-st2-test", (f"{_ST}/Subtask-2/subtask2_test.csv",)
)

NEWSMTSC_TRAIN = Corpus("stance", "newsmtsc-train", ("newsmtsc/train.jsonl",))
NEWSMTSC_RW = Corpus("stance", "newsmtsc-devtest_rw", ("newsmtsc/devtest_rw.jsonl",))
NEWSMTSC_MT = Corpus("stance", "newsmtsc-devtest_mt", ("newsmtsc/devtest_mt.jsonl",))
FNC1_TRAIN = Corpus(
    "stance", "fnc1-train", ("fnc1/train_stances.reconstructed.csv", "fnc1/train_bodies.csv")
)
FNC1_TEST = Corpus(
    "stance",
    "fnc1-competition_test",
    ("fnc1/competition_test_stances.csv", "fnc1/competition_test_bodies.csv"),
)
EMERGENT_TRAIN = Corpus("stance", "emergent-train", (f"{_EMERGENT}-train.csv",))
EMERGENT_TEST = Corpus("stance", "emergent-test", (f"{_EMERGENT}-test.csv",))
SEMEVAL16_TRAIN = Corpus(
    "stance", "semeval2016-train", (f"{_SEMEVAL16}/trainingdata-all-annotations.txt",)
)
SEMEVAL16_TEST = Corpus(
    "stance", "semeval2016-test", (f"{_SEMEVAL16}/testdata-taskA-all-annotations.txt",)
)
DIPLOSTANCE_TRAIN = Corpus("stance", "diplostance-train", ("diplostance/train.jsonl",))
DIPLOSTANCE_DEV = Corpus("stance", "diplostance-dev", ("diplostance/dev.jsonl",))
DIPLOBENCH_STANCE = Corpus("stance", "diplobench-dev", ("diplobench/dev.jsonl",))

POLNEAR_DEV = Corpus(
    "attribution", "polnear-dev", ("polnear/data/dev/attributions", "polnear/data/dev/text")
)
POLNEAR_TEST = Corpus(
    "attribution", "polnear-test", ("polnear/data/test/attributions", "polnear/data/test/text")
)
DIPLOBENCH_ATTRIBUTION = Corpus("attribution", "diplobench-dev", ("diplobench/dev.jsonl",))

REPORTING_VERBS = "lexicons/sfu-ggt-quote-verbs/quote_verb_list.txt"
"""The reporting-verb lexicon the attribution rule baseline reads."""
