"""Readers for the stance corpora, each returning ``stance_features()`` records.

Every public label set is mapped onto task-definitions.md section 3: SemEval-2016
FAVOR/AGAINST/NONE, Emergent for/against/observing, FNC-1 agree/disagree/discuss/unrelated and
NewsMTSC positive/negative/neutral become favor/against/neutral(/unrelated). A ``target_span``
whose offsets do not reproduce its text is dropped (set to ``None``) and counted in a log warning.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datasets import Dataset

logger = logging.getLogger(__name__)

_NEWSMTSC_SPLITS = ("train", "devtest_mt", "devtest_rw")
_NEWSMTSC_LABELS = {2.0: "against", 4.0: "neutral", 6.0: "favor"}
_FNC1_FILES = {
    "train": ("train_stances.reconstructed.csv", "train_bodies.csv"),
    "competition_test": ("competition_test_stances.csv", "competition_test_bodies.csv"),
}
_FNC1_LABELS = {
    "agree": "favor",
    "disagree": "against",
    "discuss": "neutral",
    "unrelated": "unrelated",
}
_EMERGENT_SPLITS = ("train", "test")
_DIPLOSTANCE_SPLITS = ("train", "dev")
_EMERGENT_LABELS = {"for": "favor", "against": "against", "observing": "neutral"}
_SEMEVAL_FILES = {
    "train": "trainingdata-all-annotations.txt",
    "trial": "trialdata-all-annotations.txt",
    "test": "testdata-taskA-all-annotations.txt",
}
_SEMEVAL_LABELS = {"FAVOR": "favor", "AGAINST": "against", "NONE": "neutral"}


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"corpus file not found: {path}")
    return path


def _check_split(split: str, splits: Collection[str]) -> None:
    if split not in splits:
        raise ValueError(f"unknown split {split!r}; expected one of {sorted(splits)}")


def _label(mapping: dict[Any, str], raw: Any, where: str) -> str:
    if raw not in mapping:
        raise ValueError(f"{where}: unknown label {raw!r}")
    return mapping[raw]


def _span(text: str, start: int, end: int, covered: str) -> dict[str, Any] | None:
    """The span dict, or ``None`` when ``text[start:end]`` is not ``covered``."""
    if 0 <= start <= end <= len(text) and text[start:end] == covered:
        return {"start": start, "end": end, "text": covered}
    return None


def _dataset(records: list[dict[str, Any]], corpus: str, dropped: int) -> Dataset:
    from datasets import Dataset

    from diplolex.corpora.schema import stance_features

    if dropped:
        logger.warning("%s: dropped %d target spans whose offsets miss their text", corpus, dropped)
    features = stance_features()
    # from_dict, unlike from_list, also builds an empty dataset with the schema
    return Dataset.from_dict(
        {name: [r[name] for r in records] for name in features}, features=features
    )


def _record(
    id_: str,
    corpus: str,
    text: str,
    target: str,
    label: str,
    span: dict[str, Any] | None = None,
    holder: str | None = None,
) -> dict[str, Any]:
    return {
        "id": id_,
        "corpus": corpus,
        "text": text,
        "target": target,
        "target_span": span,
        "holder": holder,
        "label": label,
    }


def read_newsmtsc(data_dir: str | Path, split: str) -> Dataset:
    """Read NewsMTSC, one record per target mention.

    ``text`` is ``sentence_normalized``, ``target`` the mention and ``target_span`` its
    ``[from, to)`` offsets (``to`` is exclusive: checked against the mention text). Polarity
    2/4/6 (negative/neutral/positive sentiment towards the target) maps to against/neutral/favor.
    ``further_mentions`` (automatic coreferences) are ignored.

    Args:
        data_dir: The shared data folder holding ``newsmtsc/``.
        split: ``train``, ``devtest_mt`` or ``devtest_rw``.

    Returns:
        A ``datasets.Dataset`` with ``stance_features()``; ``id`` is the target's ``Input.gid``.
    """
    _check_split(split, _NEWSMTSC_SPLITS)
    path = _existing(Path(data_dir) / "newsmtsc" / f"{split}.jsonl")
    records, dropped = [], 0
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            row = json.loads(line)
            text = row["sentence_normalized"]
            for target in row["targets"]:
                span = _span(text, target["from"], target["to"], target["mention"])
                dropped += span is None
                label = _label(_NEWSMTSC_LABELS, target["polarity"], target["Input.gid"])
                records.append(
                    _record(target["Input.gid"], "newsmtsc", text, target["mention"], label, span)
                )
    return _dataset(records, "newsmtsc", dropped)


def read_fnc1(data_dir: str | Path, split: str) -> Dataset:
    """Read FNC-1, joining each (headline, Body ID, stance) row with its article body.

    ``text`` is the full body and ``target`` the headline, the claim whose stance the body
    takes; agree/disagree/discuss/unrelated map to favor/against/neutral/unrelated. The train
    split reads ``train_stances.reconstructed.csv`` (see fnc1/PROVENANCE.txt: rebuilt, rows not
    in the official order).

    Args:
        data_dir: The shared data folder holding ``fnc1/``.
        split: ``train`` or ``competition_test``.

    Returns:
        A ``datasets.Dataset`` with ``stance_features()``; ``id`` is ``fnc1-<split>-<row>``.

    Raises:
        ValueError: A stance row names a Body ID missing from the bodies file.
    """
    _check_split(split, _FNC1_FILES)
    stances_name, bodies_name = _FNC1_FILES[split]
    folder = Path(data_dir) / "fnc1"
    stances_path, bodies_path = _existing(folder / stances_name), _existing(folder / bodies_name)
    with bodies_path.open(encoding="utf-8", newline="") as f:
        bodies = {row["Body ID"]: row["articleBody"] for row in csv.DictReader(f)}
    records = []
    with stances_path.open(encoding="utf-8", newline="") as f:
        for i, row in enumerate(csv.DictReader(f)):
            if row["Body ID"] not in bodies:
                raise ValueError(f"{stances_path} row {i}: Body ID {row['Body ID']!r} has no body")
            label = _label(_FNC1_LABELS, row["Stance"], f"{stances_path} row {i}")
            records.append(
                _record(f"fnc1-{split}-{i}", "fnc1", bodies[row["Body ID"]], row["Headline"], label)
            )
    return _dataset(records, "fnc1", 0)


def read_emergent(data_dir: str | Path, split: str) -> Dataset:
    """Read Emergent (official split by claim): one record per (claim, article headline) pair.

    ``text`` is the article headline, ``target`` the claim headline; for/against/observing map
    to favor/against/neutral.

    Args:
        data_dir: The shared data folder holding ``emergent/``.
        split: ``train`` or ``test``.

    Returns:
        A ``datasets.Dataset`` with ``stance_features()``; ``id`` is the ``articleId``.
    """
    _check_split(split, _EMERGENT_SPLITS)
    path = _existing(
        Path(data_dir) / "emergent" / "emergent" / f"url-versions-2015-06-14-clean-{split}.csv"
    )
    records = []
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            label = _label(_EMERGENT_LABELS, row["articleHeadlineStance"], row["articleId"])
            records.append(
                _record(
                    row["articleId"],
                    "emergent",
                    row["articleHeadline"],
                    row["claimHeadline"],
                    label,
                )
            )
    return _dataset(records, "emergent", 0)


def read_semeval2016_stance(data_dir: str | Path, split: str) -> Dataset:
    """Read SemEval-2016 task 6 subtask A tweets (all-annotations release).

    Tab-separated ``ID, Target, Tweet, Stance, Opinion towards, Sentiment``; the train and trial
    files open with a header row, the test file has none. Each line is decoded as UTF-8, falling
    back to Latin-1 for a line that is not valid UTF-8. FAVOR/AGAINST/NONE map to
    favor/against/neutral. Tweets keep the organisers' trailing ``#SemST`` tag.

    Args:
        data_dir: The shared data folder holding ``semeval2016-task6-stance/``.
        split: ``train``, ``trial`` or ``test``.

    Returns:
        A ``datasets.Dataset`` with ``stance_features()``; ``id`` is ``semeval2016-<ID>``.
    """
    _check_split(split, _SEMEVAL_FILES)
    path = _existing(
        Path(data_dir) / "semeval2016-task6-stance" / "data-all-annotations" / _SEMEVAL_FILES[split]
    )
    records = []
    for raw in path.read_bytes().splitlines():
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            line = raw.decode("latin-1")
        if not line.strip():
            continue
        id_, target, tweet, stance = line.split("\t")[:4]
        if id_ == "ID":
            continue
        label = _label(_SEMEVAL_LABELS, stance, f"{path} ID {id_}")
        records.append(_record(f"semeval2016-{id_}", "semeval2016", tweet, target, label))
    return _dataset(records, "semeval2016", 0)


def _read_annotated_stances(path: Path, corpus: str) -> Dataset:
    """One record per annotated (holder, target) pair of a JSONL file of our own format."""
    records, dropped = [], 0
    with _existing(path).open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            row = json.loads(line)
            for i, stance in enumerate(row.get("stances") or []):
                target = stance["target"]
                span = _span(row["text"], target["start"], target["end"], target["text"])
                dropped += span is None
                records.append(
                    _record(
                        f"{row['id']}-{i}",
                        corpus,
                        row["text"],
                        target["text"],
                        stance["stance"],
                        span,
                        holder=stance.get("holder") or None,
                    )
                )
    return _dataset(records, corpus, dropped)


def read_diplobench_stance(path: str | Path) -> Dataset:
    """Read the stance layer of a diplobench JSONL file, one record per annotated stance.

    ``text`` is the sentence, ``target`` the target span's text, ``target_span`` the span,
    ``holder`` the holder's text (``"author"`` for the text's own position) and ``label`` the
    stance (already favor/against/neutral).

    Args:
        path: A diplobench file such as ``diplobench/dev.jsonl``.

    Returns:
        A ``datasets.Dataset`` with ``stance_features()``; ``id`` is ``<sentence id>-<index>``.
    """
    return _read_annotated_stances(Path(path), "diplobench")


def read_diplostance(data_dir: str | Path, split: str) -> Dataset:
    """Read DiploStance (``diplostance/<split>.jsonl``), one record per (holder, target) pair.

    Fields as :func:`read_diplobench_stance`; a sentence with no position gives no record.

    Args:
        data_dir: The shared data folder.
        split: ``train`` or ``dev``.
    """
    _check_split(split, _DIPLOSTANCE_SPLITS)
    return _read_annotated_stances(Path(data_dir) / "diplostance" / f"{split}.jsonl", "diplostance")


STANCE_CORPORA: tuple[str, ...] = (
    "newsmtsc-train",
    "newsmtsc-devtest_mt",
    "newsmtsc-devtest_rw",
    "fnc1-train",
    "fnc1-competition_test",
    "emergent-train",
    "emergent-test",
    "semeval2016-train",
    "semeval2016-test",
    "diplobench-dev",
    "diplostance-train",
    "diplostance-dev",
)


def load_stance(name: str, data_dir: str | Path | None = None) -> Dataset:
    """Load a stance corpus by its name in ``STANCE_CORPORA``.

    Args:
        name: ``<corpus>-<split>``, e.g. ``newsmtsc-devtest_rw`` or ``diplobench-dev``.
        data_dir: The shared data folder; ``None`` finds it with
            :func:`diplolex.corpora.paths.resolve_data_dir`.

    Returns:
        A ``datasets.Dataset`` with ``stance_features()``.

    Raises:
        ValueError: Unknown name.
        FileNotFoundError: The data folder or a corpus file is missing (the message names it).
    """
    from diplolex.corpora.paths import resolve_data_dir

    if name not in STANCE_CORPORA:
        raise ValueError(f"unknown stance corpus {name!r}; expected one of {STANCE_CORPORA}")
    root = resolve_data_dir(data_dir)
    if name == "diplobench-dev":
        return read_diplobench_stance(root / "diplobench" / "dev.jsonl")
    corpus, _, split = name.partition("-")
    readers = {
        "newsmtsc": read_newsmtsc,
        "fnc1": read_fnc1,
        "emergent": read_emergent,
        "semeval2016": read_semeval2016_stance,
        "diplostance": read_diplostance,
    }
    return readers[corpus](root, split)
