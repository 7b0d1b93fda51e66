"""Ray Data adapter: analyse a ``ray.data.Dataset`` of texts on a cluster.

Needs ``pip install "diplolex[ray]"``. :class:`DiplolexBatch` is a callable class for
``Dataset.map_batches``: Ray builds it once per actor, so the models load once per actor and
every batch after that only runs the analysis.

Example (see docs/integrations.md for a cluster run)::

    import ray
    from diplolex.integrations.ray import DiplolexBatch

    ds = ray.data.read_json("articles/*.jsonl")            # rows with "id" and "text"
    out = ds.map_batches(DiplolexBatch, batch_size=64, concurrency=4, batch_format="pandas")
    out.write_parquet("analysed/")

Each output row is one input row, with its columns kept and these added: ``diplolex`` (the
document's analysis as JSON: ``sentences``, ``conditionals``, ``attributions``, ``stances``,
as in docs/output-schema.md, without the text), and the counts ``n_sentences``,
``n_conditional_sentences``, ``n_conditionals``, ``n_attributions``, ``n_stances``. With
``layer="conditionals"`` (or ``"sentences"``, ``"attributions"``, ``"stances"``) the rows are
instead those of :func:`diplolex.to_frame` for that layer, ``doc_id`` taken from the
``id_column``: flat columns, ready for Parquet and SQL engines.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas

    from diplolex.types import Document

COUNT_COLUMNS = (
    "n_sentences",
    "n_conditional_sentences",
    "n_conditionals",
    "n_attributions",
    "n_stances",
)


def result_columns(doc: Document) -> dict[str, Any]:
    """The columns :class:`DiplolexBatch` adds for one document."""
    found = doc.to_dict()
    del found["text"]
    return {
        "diplolex": json.dumps(found, ensure_ascii=False),
        "n_sentences": len(doc.sentences),
        "n_conditional_sentences": sum(s.conditional for s in doc.sentences),
        "n_conditionals": len(doc.conditionals),
        "n_attributions": len(doc.attributions),
        "n_stances": len(doc.stances),
    }


class DiplolexBatch:
    """Analyse the ``text_column`` of each batch (a callable class for ``map_batches``).

    Args:
        text_column: the column holding the texts (``str``; a missing value is an error).
        id_column: the column copied to ``doc_id`` in ``layer`` rows (row positions if absent).
        layer: ``None`` (default) for one output row per input row; a :func:`diplolex.to_frame`
            layer for one row per item of that layer.
        targets: stance targets, as for :func:`diplolex.analyze`.
        device: torch device; ``"cuda"`` with ``num_gpus=1`` in ``map_batches`` on GPU nodes.
        batch_size: sentences per encoder pass (not Ray's ``batch_size``, which is rows).
        tasks: the analyses to run (default: all).
        precision, proposed_stance: as for :func:`diplolex.load` (``precision="auto"`` is
            decided on each worker's hardware; pass ``"fp32"`` for the same scores on every
            node).
    """

    def __init__(
        self,
        text_column: str = "text",
        id_column: str = "id",
        layer: str | None = None,
        targets: Sequence[str] | None = None,
        device: str | None = None,
        batch_size: int = 32,
        tasks: Sequence[str] | None = None,
        precision: str = "auto",
        proposed_stance: str = "cross-encoder",
    ) -> None:
        import diplolex
        from diplolex.frame import _check_layer

        if layer is not None:
            _check_layer(layer)
        self.text_column = text_column
        self.id_column = id_column
        self.layer = layer
        self.targets = None if targets is None else list(targets)
        self.analyzer = diplolex.load(device=device, batch_size=batch_size, tasks=tasks,
                                      precision=precision,
                                      proposed_stance=proposed_stance)  # fmt: skip

    def __call__(self, batch: pandas.DataFrame | dict[str, Any]) -> pandas.DataFrame:
        import pandas as pd

        from diplolex.frame import to_frame

        frame = batch if isinstance(batch, pd.DataFrame) else pd.DataFrame(dict(batch))
        if self.text_column not in frame.columns:
            raise KeyError(
                f"no {self.text_column!r} column in the batch (columns: {list(frame.columns)}); "
                "pass text_column= in fn_constructor_kwargs"
            )
        texts = frame[self.text_column].tolist()
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                where = (
                    f"{self.id_column} {frame[self.id_column].iloc[i]!r}"
                    if self.id_column in frame.columns
                    else f"row {i} of the batch"
                )
                raise TypeError(
                    f"{self.text_column!r} of {where} is a {type(text).__name__}, not a str"
                )
        docs = list(self.analyzer.pipe(texts, targets=self.targets))
        if self.layer is not None:
            ids = frame[self.id_column].tolist() if self.id_column in frame.columns else None
            return to_frame(docs, self.layer, ids=ids).drop(columns=["doc"])
        added = pd.DataFrame([result_columns(d) for d in docs], index=frame.index,
                             columns=["diplolex", *COUNT_COLUMNS])  # fmt: skip
        return pd.concat([frame, added], axis=1)
