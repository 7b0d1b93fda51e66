"""The interface every analysis implements, so the Analyzer can run them all alike.

A document goes through the analyses like this (see docs/architecture.md):

1. the Analyzer splits it into sentences and encodes them in length batches, once;
2. each analysis that reads the shared pass turns every batch into one output per sentence
   (:meth:`TaskModel.read_batch`);
3. a :class:`DocumentReader` per analysis gathers a document's sentence outputs, chunk by
   chunk for a long document (:meth:`TaskModel.start_document`);
4. each analysis, in :data:`diplolex.tasks.TASKS` order, adds its own public results to the
   :class:`~diplolex.types.Document` (:meth:`TaskModel.annotate`); a later analysis sees
   what earlier ones added (stance reads the attributions).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from diplolex.manifest import WEIGHTS_ROOT, verify_weights
from diplolex.persist import load_config, load_weights, save_head

if TYPE_CHECKING:
    from torch import nn

    from diplolex.encoder import EncodedBatch, SharedEncoder
    from diplolex.types import Document

Bounds = list[tuple[int, int]]
"""``(start, end)`` document offsets of each sentence."""


@dataclass(frozen=True)
class Run:
    """What every analysis of one call shares: the encoder, the batch size, the targets."""

    encoder: SharedEncoder
    batch_size: int
    targets: list[str] | None = None


class DocumentReader(Protocol):
    """Gathers one document's sentence outputs, in order, chunk by chunk."""

    def add(self, outputs: list) -> None:
        """Take the outputs of the document's next sentences."""

    def finish(self) -> Any:
        """What :meth:`TaskModel.annotate` reads once every sentence was added."""


class SentenceOutputs:
    """The default :class:`DocumentReader`: keeps every sentence's output, in order."""

    def __init__(self) -> None:
        self.outputs: list = []

    def add(self, outputs: list) -> None:
        self.outputs += outputs

    def finish(self) -> list:
        return self.outputs


class TaskModel:
    """Base of every analysis' model: a trained head with its config, and its part of a run.

    Subclasses set ``name`` (their row in :data:`diplolex.tasks.TASKS`), ``head_class`` and
    ``config_class``; the shipped weights are ``diplolex/weights/<name>``. They implement
    :meth:`annotate`, and :meth:`read_batch` when they read the shared encoder pass.
    """

    name: str
    head_class: type[nn.Module]
    config_class: type
    shipped_weights: Path
    accepts_targets: bool = False
    """Whether the analysis takes user-given stance targets (``targets=``)."""
    encoder: SharedEncoder | None = None
    """An encoder of its own (with its own adapter merged), for an analysis that runs a pass
    of its own rather than only reading the shared one (stance); ``None`` otherwise."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.shipped_weights = WEIGHTS_ROOT / cls.name

    def __init__(self, head: nn.Module, config: Any) -> None:
        self.head = head.eval()
        self.config = config
        self.folder: Path | None = None  # where it was loaded from

    @classmethod
    def load(cls, directory: str | Path | None = None, device: str = "cpu") -> Any:
        """Load weights saved by :meth:`save`; by default the weights shipped in the package.

        Raises:
            WeightsError: a file of the shipped weights (or of a folder with its own
                ``MANIFEST.json``) does not match the manifest, or a file is damaged.
        """
        directory = Path(directory) if directory else cls.shipped_weights
        verify_weights(directory, cls.shipped_weights)
        config = load_config(cls.config_class, directory)
        model = cls(load_weights(cls.head_class(config), directory, device), config)
        model.folder = directory
        return model

    def save(self, directory: str | Path, card: str) -> Path:
        """Write weights, config and model card to ``directory``."""
        return save_head(self.head, self.config, directory, card)

    def read_batch(self, batch: EncodedBatch, texts: list[str]) -> list:
        """One output per text of a shared-pass batch (analyses that read the shared pass)."""
        raise NotImplementedError(f"{self.name} does not read the shared encoder pass")

    def set_precision(self, precision: str) -> None:
        """Run the head's transformer layers in the encoders' ``precision`` (``fp32``,
        ``bf16``, ``fp16``; :func:`diplolex.precision.layers_in_precision`)."""
        from diplolex.precision import layers_in_precision

        layers_in_precision(self.head, precision)

    def listen_to_shared_pass(self, encoder_adapter: Path | None) -> bool:
        """Whether this analysis, though it runs passes of its own, also reads the shared
        pass (:meth:`read_batch`) of an encoder with ``encoder_adapter`` merged in (``None``:
        the base encoder). The Analyzer asks once, at load; by default: no."""
        return False

    def start_document(self, text: str, bounds: Bounds) -> DocumentReader:
        """A reader for one document's sentence outputs (by default: keep them all)."""
        return SentenceOutputs()

    def annotate(self, doc: Document, found: Any, run: Run) -> Document:
        """``doc`` with this analysis' public results added; ``found``: what its reader
        gathered for the document."""
        raise NotImplementedError

    def annotate_many(self, docs: list[Document], found: list[Any], run: Run) -> list[Document]:
        """:meth:`annotate` of documents read together; an analysis with a pass of its own
        overrides it to batch that pass across the documents."""
        return [self.annotate(doc, f, run) for doc, f in zip(docs, found)]

    def check_targets(self, targets: Sequence[str]) -> list[str]:
        """Validate user-given targets (analyses with ``accepts_targets``)."""
        raise NotImplementedError(f"{self.name} takes no targets")
