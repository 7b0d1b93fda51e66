"""Results as tables: one row per sentence, conditional, attribution or stance.

:func:`to_frame` builds a :class:`pandas.DataFrame` (``pip install "diplolex[pandas]"``);
:func:`rows` gives the same rows as plain dicts, without pandas.

Example:
    >>> docs = diplolex.analyze(["Aid flows if the truce holds.", "The envoy said talks ended."])
    >>> diplolex.to_frame(docs, "conditionals")[["doc", "type", "condition_text"]]  # doctest: +SKIP
       doc   type      condition_text
    0    0  offer  if the truce holds
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from diplolex.types import Document, Span

if TYPE_CHECKING:
    import pandas

LAYERS: tuple[str, ...] = ("sentences", "conditionals", "attributions", "stances")
"""The layers :func:`to_frame` can tabulate."""

_KEY = ["doc", "doc_id", "sentence"]  # every layer's first columns


def _span_columns(name: str) -> list[str]:
    return [f"{name}_start", f"{name}_end", f"{name}_text"]


COLUMNS: dict[str, list[str]] = {
    "sentences": [*_KEY, "start", "end", "text", "conditional", "conditional_score"],
    "conditionals": [
        *_KEY, "type", "type_score", "score",
        *_span_columns("cue"), *_span_columns("condition"), *_span_columns("consequence"),
    ],
    "attributions": [
        *_KEY, "score", *_span_columns("source"), *_span_columns("cue"),
        *_span_columns("content"), *_span_columns("resolved_source"), "resolved_score",
    ],
    "stances": [
        *_KEY, "holder", *_span_columns("holder"), *_span_columns("target"), "query", "stance",
        "score",
    ],
}  # fmt: skip
"""The columns of each layer, in order. ``doc`` is the document's position in the input,
``doc_id`` the id given for it (the position when no ids are given), ``sentence`` the
position in its document of the sentence holding the row (the condition, cue or target);
``*_start`` / ``*_end`` / ``*_text`` are a span's document offsets and text (missing: null)."""

_OFFSETS = {c for cols in COLUMNS.values() for c in cols if c.endswith(("_start", "_end"))}
_OFFSETS |= {"doc", "sentence", "start", "end"}


def _check_layer(layer: str) -> str:
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r}: use one of {list(LAYERS)}")
    return layer


def _documents(docs: Document | Iterable[Document]) -> list[Document]:
    if isinstance(docs, Document):
        return [docs]
    docs = list(docs)
    for i, d in enumerate(docs):
        if not isinstance(d, Document):
            raise TypeError(f"item {i} is a {type(d).__name__}, not a diplolex Document")
    return docs


def _span(name: str, span: Span | None) -> dict[str, Any]:
    if span is None:
        return dict.fromkeys(_span_columns(name))
    return {f"{name}_start": span.start, f"{name}_end": span.end, f"{name}_text": span.text}


def _doc_rows(doc: Document, layer: str) -> list[dict[str, Any]]:
    starts = [s.start for s in doc.sentences]

    def sentence_of(offset: int) -> int | None:
        i = bisect.bisect_right(starts, offset) - 1
        return i if i >= 0 and offset < doc.sentences[i].end else None

    if layer == "sentences":
        return [
            {"sentence": i, "start": s.start, "end": s.end, "text": s.text,
             "conditional": s.conditional, "conditional_score": s.conditional_score}
            for i, s in enumerate(doc.sentences)
        ]  # fmt: skip
    if layer == "conditionals":
        return [
            {"sentence": sentence_of(c.condition.start), "type": c.type,
             "type_score": c.type_score, "score": c.score, **_span("cue", c.cue),
             **_span("condition", c.condition), **_span("consequence", c.consequence)}
            for c in doc.conditionals
        ]  # fmt: skip
    if layer == "attributions":
        return [
            {"sentence": sentence_of(a.cue.start), "score": a.score, **_span("source", a.source),
             **_span("cue", a.cue), **_span("content", a.content),
             **_span("resolved_source", a.resolved_source), "resolved_score": a.resolved_score}
            for a in doc.attributions
        ]  # fmt: skip
    return [
        {"sentence": sentence_of(s.target.start), "holder": s.holder,
         **_span("holder", s.holder_span), **_span("target", s.target), "query": s.query,
         "stance": s.stance,
         "score": s.score}
        for s in doc.stances
    ]  # fmt: skip


def rows(
    docs: Document | Iterable[Document],
    layer: str = "sentences",
    ids: Sequence[Any] | None = None,
) -> list[dict[str, Any]]:
    """The rows of :func:`to_frame` as dicts with the keys ``COLUMNS[layer]`` (no pandas)."""
    _check_layer(layer)
    docs = _documents(docs)
    if ids is not None and len(ids) != len(docs):
        raise ValueError(f"{len(docs)} documents but {len(ids)} ids: pass one id per document")
    out = []
    columns = COLUMNS[layer]
    for n, doc in enumerate(docs):
        doc_id = n if ids is None else ids[n]
        for row in _doc_rows(doc, layer):
            row.update(doc=n, doc_id=doc_id)
            out.append({c: row[c] for c in columns})
    return out


def to_frame(
    docs: Document | Iterable[Document],
    layer: str = "sentences",
    ids: Sequence[Any] | None = None,
) -> pandas.DataFrame:
    """One row per sentence, conditional, attribution or stance of ``docs``.

    Args:
        docs: a :class:`~diplolex.types.Document` or an iterable of them.
        layer: ``"sentences"`` (default), ``"conditionals"``, ``"attributions"`` or
            ``"stances"``.
        ids: optional document ids (one per document) for the ``doc_id`` column.

    Returns:
        A DataFrame with the columns ``COLUMNS[layer]``, even when there are no rows;
        offsets are nullable integers (``Int64``), so a missing span is ``<NA>``.

    Raises:
        ImportError: pandas is not installed.
        ValueError: an unknown layer, or ``ids`` of the wrong length.
    """
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            'to_frame needs pandas: pip install pandas (or pip install "diplolex[pandas]")'
        ) from None
    found = rows(docs, layer, ids)
    frame = pd.DataFrame(found, columns=COLUMNS[layer])
    for column in frame.columns:
        if column in _OFFSETS:
            frame[column] = frame[column].astype("Int64")
    return frame
