"""Readers for the attribution corpora, returning ``attribution_features()`` records.

Also reads the reporting-verb lexicon used by the rule baseline and as a feature.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from diplolex.spans import clean_span

if TYPE_CHECKING:
    from datasets import Dataset

logger = logging.getLogger(__name__)

_POLNEAR_SPLITS = ("train", "dev", "test")
_BRAT_LINE = re.compile(r"[TERAMN#*]\d*\t")
_ANNOTATOR_SUFFIX = re.compile(r"_[0-9a-f]{4}$")
_COMPLEMENTIZER = re.compile(r"that\s+")

_ROLES = ("source", "cue", "content")

Fragments = list[tuple[int, int]]


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"corpus file not found: {path}")
    return path


def _read(path: Path) -> str:
    """File text with line endings untouched, so that offsets stay valid."""
    with path.open(encoding="utf-8", newline="") as f:
        return f.read()


def _dataset(records: list[dict[str, Any]], corpus: str, dropped: int) -> Dataset:
    from datasets import Dataset

    from diplolex.corpora.schema import attribution_features

    if dropped:
        logger.warning(
            "%s: dropped %d attribution relations without a content or with a bad or empty span",
            corpus,
            dropped,
        )
    features = attribution_features()
    # from_dict, unlike from_list, also builds an empty dataset with the schema
    return Dataset.from_dict(
        {name: [r[name] for r in records] for name in features}, features=features
    )


def _valid(text: str, span: dict[str, Any]) -> bool:
    start, end = span["start"], span["end"]
    return 0 <= start <= end <= len(text) and text[start:end] == span["text"]


def _brat_lines(ann: str) -> list[str]:
    """The annotation lines of a brat file, re-joining span texts that hold line breaks."""
    lines: list[str] = []
    for raw in ann.rstrip("\n").split("\n"):
        if lines and not _BRAT_LINE.match(raw):
            lines[-1] += "\n" + raw
        else:
            lines.append(raw)
    return lines


def _brat_spans(text: str, lines: list[str]) -> dict[str, Fragments | None]:
    """Fragments of every T annotation; ``None`` where the fragments miss the annotated text.

    brat writes the text of a discontinuous span as its fragments joined by one space.
    """
    spans: dict[str, Fragments | None] = {}
    for line in lines:
        if not line.startswith("T"):
            continue
        tid, kind_offsets, covered = line.split("\t", 2)
        offsets = kind_offsets.split(" ", 1)[1]
        fragments = [(int(s), int(e)) for s, e in (f.split() for f in offsets.split(";"))]
        ok = " ".join(text[s:e] for s, e in fragments) == covered
        spans[tid] = fragments if ok else None
    return spans


def _covering(
    text: str, fragments: Fragments, role: str, cue_end: int, normalize: bool
) -> dict[str, Any] | None:
    start, end = min(s for s, _ in fragments), max(e for _, e in fragments)
    if normalize:
        covered = text[start:end]
        bare = start + len(covered) - len(covered.lstrip()), start + len(covered.rstrip())
        start, end = clean_span(text, start, end)
        if role == "cue" and start == end:  # a punctuation cue: the colon of "Trump: ..."
            start, end = bare
        complementizer = _COMPLEMENTIZER.match(text, start, end)
        if role == "content" and start >= cue_end and complementizer:
            start = complementizer.end()
    return {"start": start, "end": end, "text": text[start:end]} if start < end else None


def _polnear_relation(
    text: str, spans: dict[str, Fragments | None], arguments: list[str], normalize: bool
) -> dict[str, Any] | None:
    """One attribution from the arguments of an E line; ``None`` when it must be dropped."""
    trigger, *rest = arguments
    ids: dict[str, list[str]] = {role: [] for role in _ROLES}
    for argument in rest:
        role, tid = argument.split(":")
        role = role.rstrip("0123456789").lower()
        if role not in ids:
            raise ValueError(f"unknown PolNeAR relation argument {argument!r}")
        ids[role].append(tid)
    ids["cue"] = ids["cue"] or [trigger.split(":")[1]]
    fragments: dict[str, Fragments] = {}
    for role, tids in ids.items():
        found = [spans.get(tid) for tid in tids]
        if any(frags is None for frags in found):
            return None
        fragments[role] = [f for frags in found if frags for f in frags]
    if not fragments["content"]:
        return None
    cue_end = max(e for _, e in fragments["cue"])
    relation = {
        role: _covering(text, frags, role, cue_end, normalize) if frags else None
        for role, frags in fragments.items()
    }
    if any(fragments[role] and relation[role] is None for role in relation):
        return None
    return relation


def _polnear_document(text: str, ann: str, normalize: bool) -> tuple[list[dict[str, Any]], int]:
    """The attributions of one PolNeAR article and the number of relations dropped."""
    lines = _brat_lines(ann)
    spans = _brat_spans(text, lines)
    attributions, dropped = [], 0
    for line in lines:
        if line.startswith("E"):
            relation = _polnear_relation(text, spans, line.split("\t")[1].split(), normalize)
            if relation is None:
                dropped += 1
            else:
                attributions.append(relation)
    attributions.sort(key=lambda a: (a["cue"]["start"], a["cue"]["end"]))
    return attributions, dropped


def read_polnear(data_dir: str | Path, split: str, *, normalize: bool = True) -> Dataset:
    """Read PolNeAR, one record per article with all its attribution relations.

    Format (brat standoff, ``data/<split>/attributions/<doc>_<annotator>.ann`` over
    ``data/<split>/text/<doc>.txt``): ``T`` lines carry spans of type Source, Cue, Content,
    Attribution, Attribution-no-source, Discuss or Discard with ``[start, end)`` offsets,
    ``;`` separating the fragments of a discontinuous span. Each relation is one ``E`` line,
    e.g. ``E1<TAB>Attribution:T4 Content:T3 Cue:T2 Source:T1``: the trigger is an
    ``Attribution`` (or ``Attribution-no-source``) span duplicating the cue, and the arguments
    name the Source, Cue and Content spans; a second content is a ``Content2`` argument, and a
    Source span may be shared by several relations. Discuss and Discard spans belong to no
    relation and are ignored. Span texts in the ``.ann`` may hold line breaks, which continue
    onto the next file line.

    Mapping: a span is the smallest span covering all its fragments (Content and Content2
    together); a relation without a Source argument gets ``source=None``; a missing Cue falls
    back to the trigger span. With ``normalize``, spans follow task-definitions.md section 2:
    edges are trimmed with :func:`diplolex.spans.clean_span` (whitespace and a final ``.,;:``,
    mostly the comma closing an appositive source), a content that follows its cue loses a
    leading complementizer "that", and a cue of punctuation only (PolNeAR marks the colon of
    "Trump: ..." as a cue) is only trimmed of whitespace. A relation is dropped (and counted in a
    log warning) when it has no Content, when a span's fragments do not reproduce its annotated
    text, or when normalizing empties a span.
    When an article has several annotator files (16 train, 2 dev, 2 test articles), only the
    first in sorted file-name order is read.

    Args:
        data_dir: The shared data folder holding ``polnear/``.
        split: ``train``, ``dev`` or ``test``.
        normalize: Map spans onto the task definitions; ``False`` keeps PolNeAR's extents
            (for comparison with published PolNeAR figures).

    Returns:
        A ``datasets.Dataset`` with ``attribution_features()``; ``id`` is the article's file
        stem, relations are ordered by cue offset.
    """
    if split not in _POLNEAR_SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {_POLNEAR_SPLITS}")
    folder = Path(data_dir) / "polnear" / "data" / split
    ann_dir = folder / "attributions"
    if not ann_dir.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {ann_dir}")
    first_ann: dict[str, Path] = {}
    for ann_path in sorted(ann_dir.glob("*.ann")):
        first_ann.setdefault(_ANNOTATOR_SUFFIX.sub("", ann_path.stem), ann_path)
    records, dropped = [], 0
    for doc, ann_path in sorted(first_ann.items()):
        text_path = _existing(folder / "text" / f"{doc}.txt")
        text = _read(text_path)
        attributions, doc_dropped = _polnear_document(text, _read(ann_path), normalize)
        dropped += doc_dropped
        records.append({"id": doc, "corpus": "polnear", "text": text, "attributions": attributions})
    return _dataset(records, "polnear", dropped)


def read_diplobench_attribution(path: str | Path) -> Dataset:
    """Read the attribution layer of a diplobench JSONL file, one record per sentence.

    Sentences without attributions are kept (with an empty list). A relation whose span offsets
    do not reproduce its text is dropped and counted in a log warning.

    Args:
        path: A diplobench file such as ``diplobench/dev.jsonl``.

    Returns:
        A ``datasets.Dataset`` with ``attribution_features()``; ``id`` is the sentence id.
    """
    records, dropped = [], 0
    with _existing(Path(path)).open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            row = json.loads(line)
            text, attributions = row["text"], []
            for relation in row.get("attributions") or []:
                source, cue, content = (relation.get(role) for role in _ROLES)
                spans = [span for span in (source, cue, content) if span is not None]
                if cue is None or content is None or not all(_valid(text, s) for s in spans):
                    dropped += 1
                    continue
                attributions.append({"source": source, "cue": cue, "content": content})
            records.append(
                {
                    "id": row["id"],
                    "corpus": "diplobench",
                    "text": text,
                    "attributions": attributions,
                }
            )
    return _dataset(records, "diplobench", dropped)


def read_reporting_verbs(data_dir: str | Path) -> frozenset[str]:
    """Read the SFU Gender Gap Tracker reporting-verb forms (257 inflected forms).

    Args:
        data_dir: The shared data folder holding ``lexicons/``.

    Returns:
        The lower-cased forms in ``lexicons/sfu-ggt-quote-verbs/quote_verb_list.txt``.
    """
    path = _existing(Path(data_dir) / "lexicons" / "sfu-ggt-quote-verbs" / "quote_verb_list.txt")
    return frozenset(_read(path).lower().split())


ATTRIBUTION_CORPORA: tuple[str, ...] = (
    "polnear-train",
    "polnear-dev",
    "polnear-test",
    "diplobench-dev",
)


def load_attribution(name: str, data_dir: str | Path | None = None) -> Dataset:
    """Load an attribution corpus by its name in ``ATTRIBUTION_CORPORA``.

    Args:
        name: ``polnear-<split>`` or ``diplobench-dev``.
        data_dir: The shared data folder; ``None`` finds it with
            :func:`diplolex.corpora.paths.resolve_data_dir`.

    Returns:
        A ``datasets.Dataset`` with ``attribution_features()``.

    Raises:
        ValueError: Unknown name.
        FileNotFoundError: The data folder or a corpus file is missing (the message names it).
    """
    from diplolex.corpora.paths import resolve_data_dir

    if name not in ATTRIBUTION_CORPORA:
        raise ValueError(
            f"unknown attribution corpus {name!r}; expected one of {ATTRIBUTION_CORPORA}"
        )
    root = resolve_data_dir(data_dir)
    if name == "diplobench-dev":
        return read_diplobench_attribution(root / "diplobench" / "dev.jsonl")
    return read_polnear(root, name.removeprefix("polnear-"))
