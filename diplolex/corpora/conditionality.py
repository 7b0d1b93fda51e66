"""Readers for the conditionality corpora, each returning ``conditionality_features()`` records.

Our own ``diplocond`` and ``diplobench`` files follow task-definitions.md section 1 as they are.
The public corpora are mapped onto it: SemEval-2020 task 5 antecedent/consequent and GUM (GDTB)
condition relations become condition/consequence spans, edges trimmed with
:func:`diplolex.spans.clean_span` (whitespace and a final ``.,;:``), and a condition that opens
with a conditional cue (:data:`CONDITIONAL_CUES`, possibly after punctuation, a list marker or a
leading conjunction such as "but") starts at that cue, which becomes its ``cue`` span.

Every reader checks ``text[start:end] == span["text"]`` for every span it emits and logs what it
repaired, dropped or skipped.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from collections import Counter
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from diplolex.spans import clean_span

if TYPE_CHECKING:
    from datasets import Dataset

logger = logging.getLogger(__name__)

CONDITIONAL_CUES: tuple[str, ...] = (
    "if",
    "only if",
    "unless",
    "provided",
    "provided that",
    "providing",
    "as long as",
    "so long as",
    "on condition that",
    "on the condition that",
    "in case",
    "in the event that",
    "assuming",
    "assuming that",
    "supposing",
    "but for",
    "without",
    "otherwise",
    "or else",
    "once",
    "until",
    "depending on",
    "depending upon",
    "had",
    "were",
    "should",
)
"""Cues that open a conditional clause (task-definitions.md section 1). "even if" is absent: it
is concessive. "had", "were" and "should" count only as fronted auxiliaries, so not before
"have", "has", "been" or "be"."""

_INVERSION_CUES = ("had", "were", "should")
_LEAD_WORDS = ("and", "but", "or", "so", "then", "now", "yet", "um", "uh", "especially")


def _cue_regex() -> re.Pattern[str]:
    cues = []
    for cue in sorted(CONDITIONAL_CUES, key=len, reverse=True):
        guard = r"(?!\s+(?:have|has|been|be)\b)" if cue in _INVERSION_CUES else ""
        cues.append(r"\s+".join(map(re.escape, cue.split())) + r"\b" + guard)
    lead = r"[\W_]|[a-z0-9]{1,3}\)|in\s+particular\b|(?:" + "|".join(_LEAD_WORDS) + r")\b"
    return re.compile(rf"(?:{lead})*?(?P<cue>{'|'.join(cues)})", re.IGNORECASE)


_CUE_RE = _cue_regex()
_DIPLOCOND_SPLITS = ("train", "dev")
_DIPLOCOND_RELEASES = ("v1", "v2")
_SEMEVAL_SPLITS = ("train", "test")
_GUM_SPLITS = ("train", "dev", "test", "test2")
_GUM_CONDITION_LABELS = ("contingency.condition.", "contingency.negative-condition.")
_ROLES = ("cue", "condition", "consequence")


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"corpus file not found: {path}")
    return path


def _check_split(split: object, splits: Collection[object]) -> None:
    if split not in splits:
        raise ValueError(f"unknown split {split!r}; expected one of {sorted(map(str, splits))}")


def _span(text: str, start: int, end: int) -> dict[str, Any] | None:
    """The cleaned span over ``[start, end)``, or ``None`` when nothing is left."""
    start, end = clean_span(text, start, end)
    return {"start": start, "end": end, "text": text[start:end]} if start < end else None


def _construction(
    text: str,
    condition: tuple[int, int],
    consequence: tuple[int, int] | None,
    type_: str | None,
    stats: Counter[str],
) -> tuple[dict[str, Any] | None, bool]:
    """A conditionals entry from raw offsets, and whether its condition opens with a cue.

    The entry is ``None`` when the condition is empty once cleaned. A consequence overlapping
    the condition is an annotation error (e.g. a copy of the antecedent): it is dropped.
    """
    start, end = condition
    match = _CUE_RE.match(text, start, end)
    cue = None
    if match:
        start = match.start("cue")
        cue = _span(text, *match.span("cue"))
    condition_span = _span(text, start, end)
    if condition_span is None:
        stats["empty conditions"] += 1
        return None, False
    consequence_span = _span(text, *consequence) if consequence else None
    if consequence_span and (
        consequence_span["start"] < condition_span["end"]
        and condition_span["start"] < consequence_span["end"]
    ):
        stats["consequences overlapping the condition dropped"] += 1
        consequence_span = None
    entry = {
        "type": type_,
        "cue": cue,
        "condition": condition_span,
        "consequence": consequence_span,
    }
    return entry, match is not None


def _record(
    id_: str,
    corpus: str,
    text: str,
    conditional: bool | None,
    counterfactual: bool | None,
    spans_complete: bool,
    conditionals: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "id": id_,
        "corpus": corpus,
        "text": text,
        "conditional": conditional,
        "counterfactual": counterfactual,
        "spans_complete": spans_complete,
        "conditionals": conditionals,
    }


def _dataset(records: list[dict[str, Any]], name: str, stats: Counter[str]) -> Dataset:
    """Check the span invariant on every record, log ``stats`` and build the dataset."""
    from datasets import Dataset

    from diplolex.corpora.schema import conditionality_features

    for record in records:
        text = record["text"]
        for entry in record["conditionals"]:
            for role in _ROLES:
                span = entry[role]
                if span is not None and not (
                    0 <= span["start"] < span["end"] <= len(text)
                    and text[span["start"] : span["end"]] == span["text"]
                ):
                    raise RuntimeError(f"{name} {record['id']}: {role} span {span} misses its text")
    problems = stats["spans dropped"] + stats["spans repaired"]
    logger.log(
        logging.WARNING if problems else logging.INFO,
        "%s: %d records; %s",
        name,
        len(records),
        ", ".join(f"{key} {value}" for key, value in sorted(stats.items())) or "no issues",
    )
    features = conditionality_features()
    columns = {key: [record[key] for record in records] for key in features}
    return Dataset.from_dict(columns, features=features)


def _locate(text: str, start: int, end: int, covered: str, stats: Counter[str]) -> tuple[int, int]:
    """Offsets of ``covered`` in ``text``: ``[start, end)`` when they match, else the nearest
    occurrence of ``covered`` (counted as repaired); ``(-1, -1)`` when it does not occur."""
    if covered and 0 <= start <= end <= len(text) and text[start:end] == covered:
        return start, end
    stats["offset mismatches"] += 1
    hits = [m.start() for m in re.finditer(re.escape(covered), text)] if covered else []
    if not hits:
        stats["spans dropped"] += 1
        return -1, -1
    stats["spans repaired"] += 1
    best = min(hits, key=lambda hit: abs(hit - start))
    return best, best + len(covered)


def _checked_span(
    text: str, span: dict[str, Any] | None, stats: Counter[str]
) -> dict[str, Any] | None:
    """An annotated span as given when valid, repaired when its text occurs, else ``None``."""
    if span is None:
        return None
    start, end = _locate(text, span["start"], span["end"], span["text"], stats)
    return {"start": start, "end": end, "text": text[start:end]} if start >= 0 else None


def _read_annotated(path: Path, corpus: str, release: str | None = None) -> Dataset:
    records, stats = [], Counter[str]()
    with _existing(path).open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            row = json.loads(line)
            if release is not None and (row.get("release") or "v1") != release:
                continue
            text, complete, conditionals = row["text"], True, []
            for given in row.get("conditionals") or []:
                entry = {"type": given.get("type")}
                for role in _ROLES:
                    entry[role] = _checked_span(text, given.get(role), stats)
                    complete &= entry[role] is not None or given.get(role) is None
                conditionals.append(entry)
            records.append(
                _record(
                    row["id"], corpus, text, row.get("conditional"), None, complete, conditionals
                )
            )
    return _dataset(records, f"{corpus} {path.name}", stats)


def read_diplocond(
    path_or_file: str | Path, split: str | None = None, release: str | None = None
) -> Dataset:
    """Read our annotated conditionality sentences (task-definitions.md "Record format").

    ``conditional`` is the annotated label, ``counterfactual`` is ``None`` and
    ``spans_complete`` is ``True``. A span whose offsets miss its text moves to the nearest
    occurrence of that text, or is dropped (``None``) when the text does not occur, which sets
    ``spans_complete`` to ``False`` for that record; both are counted in a log warning.

    Args:
        path_or_file: The ``diplocond/`` folder, or one of its JSONL files.
        split: ``train`` or ``dev``; required for a folder, and must match a file's name.
        release: ``v1`` or ``v2`` to read only that release's records (a record without a
            ``release`` field is ``v1``); ``None`` reads both.

    Returns:
        A ``datasets.Dataset`` with ``conditionality_features()``; ``id`` is the record's id.

    Raises:
        FileNotFoundError: The file is missing.
        ValueError: Missing or unknown split.
    """
    path = Path(path_or_file)
    if path.is_dir():
        _check_split(split, _DIPLOCOND_SPLITS)
        path = path / f"{split}.jsonl"
    elif split is not None and path.stem != split:
        raise ValueError(f"split {split!r} does not match the file {path}")
    if release not in (None, *_DIPLOCOND_RELEASES):
        raise ValueError(f"unknown diplocond release {release!r}; expected {_DIPLOCOND_RELEASES}")
    return _read_annotated(path, "diplocond", release)


def read_diplobench_conditionality(path: str | Path) -> Dataset:
    """Read the conditionality layer of a diplobench JSONL file, as :func:`read_diplocond` does.

    Args:
        path: A diplobench file such as ``diplobench/dev.jsonl``.

    Returns:
        A ``datasets.Dataset`` with ``conditionality_features()``; ``corpus`` is ``diplobench``.
    """
    return _read_annotated(Path(path), "diplobench")


def read_semeval2020_task5(data_dir: str | Path, subtask: int, split: str) -> Dataset:
    """Read SemEval-2020 task 5 (counterfactual recognition), one record per sentence.

    Subtask 1: ``counterfactual`` is ``gold_label == 1``; ``conditional`` is ``None`` because
    label 0 covers ordinary indicative conditionals too; no spans (``spans_complete=False``).

    Subtask 2 (every sentence counterfactual): the antecedent becomes the condition and the
    consequent the consequence, with ``type="hypothetical"``. The CSV offsets are end-inclusive
    (``sentence[start:end + 1]``) and checked against the antecedent/consequent columns (0
    mismatches in the release; a mismatch moves to the nearest occurrence or drops the span). A
    missing consequent (``{}``, offsets -1/-1) gives ``consequence=None``.

    Weak filter: an antecedent is a conditional clause in the sense of task-definitions.md when
    it opens with a cue from :data:`CONDITIONAL_CUES` and the sentence states a consequent; such
    records get ``conditional=True`` and ``spans_complete=True``. The others (wishes such as "I
    wish ...", modal statements such as "he should have ...", concessive "even if", indirect
    questions, consequent-less "If only ...") keep their spans with ``conditional=None`` and
    ``spans_complete=False``. A consequent overlapping the antecedent (15 train, 4 test, mostly
    a copy of it) is dropped. In the release, 2,640 of 3,551 train and 1,488 of 1,950 test
    sentences pass; 42 train and 20 test open with a cue but keep no consequent.

    Args:
        data_dir: The shared data folder holding ``semeval2020-task5-counterfactual/``.
        subtask: 1 or 2.
        split: ``train`` or ``test``.

    Returns:
        A ``datasets.Dataset`` with ``conditionality_features()``; ``id`` is
        ``semeval20t5-<sentenceID>``, the id diplocond uses for the sentences it took over.
    """
    _check_split(subtask, (1, 2))
    _check_split(split, _SEMEVAL_SPLITS)
    folder = Path(data_dir) / "semeval2020-task5-counterfactual" / f"Subtask-{subtask}"
    path = _existing(folder / f"subtask{subtask}_{split}.csv")
    records, stats = [], Counter[str]()
    with path.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            id_, text = f"semeval20t5-{row['sentenceID']}", row["sentence"]
            corpus = f"semeval2020t5-st{subtask}"
            if subtask == 1:
                if row["gold_label"] not in ("0", "1"):
                    raise ValueError(f"{path} {id_}: unknown gold_label {row['gold_label']!r}")
                counterfactual = row["gold_label"] == "1"
                records.append(_record(id_, corpus, text, None, counterfactual, False, []))
                continue
            start, end = int(row["antecedent_startid"]), int(row["antecedent_endid"]) + 1
            condition = _locate(text, start, end, row["antecedent"], stats)
            consequence = None
            if row["consequent"] != "{}":
                start, end = int(row["consequent_startid"]), int(row["consequent_endid"]) + 1
                located = _locate(text, start, end, row["consequent"], stats)
                consequence = located if located[0] >= 0 else None
            entry, has_cue = (
                _construction(text, condition, consequence, "hypothetical", stats)
                if condition[0] >= 0
                else (None, False)
            )
            passes = entry is not None and has_cue and entry["consequence"] is not None
            stats["cue filter passed"] += passes
            stats["cue but no consequent kept"] += has_cue and not passes
            records.append(
                _record(
                    id_,
                    corpus,
                    text,
                    True if passes else None,
                    True,
                    passes,
                    [entry] if entry else [],
                )
            )
    return _dataset(records, f"semeval2020t5 subtask {subtask} {split}", stats)


def _gum_split_docs(splits_md: Path) -> dict[str, set[str]]:
    """Document names per ``## <split>`` section of GUM's ``splits.md``."""
    docs: dict[str, set[str]] = {}
    section = None
    for line in _existing(splits_md).read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = docs.setdefault(line[3:].strip(), set())
        elif section is not None and line.strip().startswith("* "):
            section.add(line.strip()[2:].strip())
    return docs


def _token_range(ids: str) -> tuple[int, int] | None:
    """First and last token of ``"12-30"`` or ``"7"``; ``None`` for a discontinuous ``"3-5,9"``."""
    if "," in ids:
        return None
    first, _, last = ids.partition("-")
    return int(first), int(last or first)


def _gum_record(row: dict[str, str], stats: Counter[str]) -> dict[str, Any] | None:
    """The record for one same-sentence condition relation, or ``None`` (reason counted)."""
    if row["s1_toks"] != row["s2_toks"] or row["unit1_sent"] != row["unit2_sent"]:
        stats["skipped: args in different sentences"] += 1
        return None
    if ".arg1-as-" in row["orig_label"]:
        stats["skipped: arg1 as condition"] += 1
        return None
    sentence_range, text = _token_range(row["s1_toks"]), row["unit1_sent"]
    tokens = text.split(" ")
    if sentence_range is None or len(tokens) != sentence_range[1] - sentence_range[0] + 1:
        stats["skipped: sentence tokens do not match"] += 1
        return None
    starts = [0]
    for token in tokens:
        starts.append(starts[-1] + len(token) + 1)
    units = []
    for unit in ("unit1", "unit2"):
        token_range = _token_range(row[f"{unit}_toks"])
        if token_range is None:
            stats["skipped: discontinuous argument"] += 1
            return None
        first, last = (i - sentence_range[0] for i in token_range)
        inside = 0 <= first <= last < len(tokens)
        start, end = (starts[first], starts[last + 1] - 1) if inside else (0, 0)
        if not inside or text[start:end] != row[f"{unit}_txt"]:
            stats["skipped: argument not located"] += 1
            return None
        units.append((start, end))
    if units[1][0] < units[0][1]:
        stats["skipped: overlapping arguments"] += 1
        return None
    opens_with_cue = [_CUE_RE.match(text, *unit) is not None for unit in units]
    if opens_with_cue.count(True) != 1:
        stats["skipped: condition clause not identified"] += 1
        return None
    condition, consequence = units if opens_with_cue[0] else reversed(units)
    entry, _ = _construction(text, condition, consequence, None, stats)
    if entry is None:
        return None
    id_ = f"gum-{row['doc']}-{row['unit1_toks']}-{row['unit2_toks']}"
    return _record(id_, "gum", text, True, None, False, [entry])


def read_gum_condition_relations(data_dir: str | Path, split: str) -> Dataset:
    """Read GUM's GDTB condition and negative-condition relations, one record per relation.

    The ``rels/*.rels`` files use the DISRPT format: one relation a line with token ranges,
    tokenized texts of both units and of their sentences, and ``orig_label`` such as
    ``contingency.condition.arg2-as-cond``. Units come in text order and ``dir`` follows the
    label, so neither says which unit is Arg2; this reader takes the unit that opens with a
    conditional cue as the condition (Arg2, bound to the connective) and the other as the
    consequence, and skips (counting each reason in the log):

    - relations whose units lie in different sentences;
    - ``arg1-as-cond``/``arg1-as-negcond`` relations (necessary-condition and "by"-means
      readings, where the cue-bound clause is not the condition);
    - a discontinuous unit (``<*>`` in its text; a contiguous span would swallow the other unit);
    - overlapping units (one relation in dev);
    - relations where neither or both units open with a cue (e.g. "where", implicit relations);
    - exact duplicates (one relation listed once per connective).

    ``text`` is the sentence as GUM tokenizes it (tokens joined by single spaces, e.g. "do n't");
    spans come from the token ranges and are checked against the unit texts. ``type`` is unknown
    (``None``), ``conditional=True``, ``counterfactual=None`` and ``spans_complete=False``: other
    conditionals in the sentence may be unannotated. Of 595 relations, 348 become records
    (train 244, dev 29, test 52, test2 23); a sentence with several relations yields several
    records.

    Args:
        data_dir: The shared data folder holding ``gum-gdtb-discourse/``.
        split: ``train``, ``dev``, ``test`` or ``test2`` (the out-of-domain GENTLE documents), as
            listed in ``splits.md``; Reddit documents are listed there but have no ``.rels`` file.

    Returns:
        A ``datasets.Dataset`` with ``conditionality_features()``; ``id`` is
        ``gum-<doc>-<unit1 tokens>-<unit2 tokens>``.
    """
    _check_split(split, _GUM_SPLITS)
    folder = Path(data_dir) / "gum-gdtb-discourse"
    docs = _gum_split_docs(folder / "splits.md")
    if split not in docs:
        raise ValueError(f"{folder / 'splits.md'} has no section for split {split!r}")
    records, stats, seen = [], Counter[str](), set()
    for doc in sorted(docs[split]):
        path = folder / "rels" / f"{doc}.rels"
        if not path.is_file():
            stats["documents without a .rels file"] += 1
            continue
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                if not row["orig_label"].startswith(_GUM_CONDITION_LABELS):
                    continue
                stats["condition relations"] += 1
                key = (row["doc"], row["unit1_toks"], row["unit2_toks"], row["orig_label"])
                if key in seen:
                    stats["skipped: duplicate"] += 1
                    continue
                seen.add(key)
                record = _gum_record(row, stats)
                if record is not None:
                    records.append(record)
    return _dataset(records, f"gum condition relations {split}", stats)


CONDITIONALITY_CORPORA: tuple[str, ...] = (
    "diplocond-train",
    "diplocond-train-v2",
    "diplocond-dev",
    "diplocond-dev-v1",
    "diplocond-dev-v2",
    "diplobench-dev",
    "semeval2020t5-st1-train",
    "semeval2020t5-st1-test",
    "semeval2020t5-st2-train",
    "semeval2020t5-st2-test",
    "gum-condition-train",
    "gum-condition-dev",
    "gum-condition-test",
    "gum-condition-test2",
)


def load_conditionality(name: str, data_dir: str | Path | None = None) -> Dataset:
    """Load a conditionality corpus by its name in ``CONDITIONALITY_CORPORA``.

    Args:
        name: e.g. ``diplocond-dev``, ``semeval2020t5-st2-test`` or ``gum-condition-train``.
        data_dir: The shared data folder; ``None`` finds it with
            :func:`diplolex.corpora.paths.resolve_data_dir`.

    Returns:
        A ``datasets.Dataset`` with ``conditionality_features()``.

    Raises:
        ValueError: Unknown name.
        FileNotFoundError: The data folder or a corpus file is missing (the message names it).
    """
    from diplolex.corpora.paths import resolve_data_dir

    if name not in CONDITIONALITY_CORPORA:
        raise ValueError(
            f"unknown conditionality corpus {name!r}; expected one of {CONDITIONALITY_CORPORA}"
        )
    root = resolve_data_dir(data_dir)
    if name.startswith(("diplocond-train-", "diplocond-dev-")):
        split, release = name.split("-")[1:]
        return read_diplocond(root / "diplocond" / f"{split}.jsonl", release=release)
    corpus, _, split = name.rpartition("-")
    if corpus == "diplocond":
        return read_diplocond(root / "diplocond" / f"{split}.jsonl")
    if corpus == "diplobench":
        return read_diplobench_conditionality(root / "diplobench" / f"{split}.jsonl")
    if corpus == "gum-condition":
        return read_gum_condition_relations(root, split)
    return read_semeval2020_task5(root, int(corpus[-1]), split)
