"""The Analyzer: segments documents, batches sentences, runs the shared encoder once per batch
and every requested task head on its output, and assembles :class:`~diplolex.types.Document`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass
from pathlib import Path

from diplolex.adapter import adapter_digest, has_adapter, merge_adapter
from diplolex.component import DocumentReader, Run, TaskModel
from diplolex.memory import BATCHES_PER_RELEASE, release_freed_memory
from diplolex.segment import split_sentences
from diplolex.tasks import TASK_NAMES, TASKS
from diplolex.types import Document, Sentence, StanceResult

AVAILABLE_TASKS: tuple[str, ...] = TASK_NAMES
"""The analyses this version ships weights for; ``tasks=None`` means all of them."""

PROPOSED_STANCE = ("cross-encoder", "shared-pass")
"""The values of ``proposed_stance``."""
_SENTENCES_PER_CHUNK = 512  # sentences held between encoder passes and assembly


@dataclass
class _Pending:
    """A document waiting for its sentences' results."""

    index: int
    text: str
    bounds: list[tuple[int, int]]


def check_texts(texts: object) -> None:
    """Raise a ``TypeError`` unless ``texts`` is an iterable of texts rather than one text.

    A ``str`` is itself iterable, and ``pipe("some text")`` would otherwise analyse each
    character as a document.
    """
    if isinstance(texts, (str, bytes, bytearray, memoryview)):
        raise TypeError(
            f"pipe() takes an iterable of str texts, got a single {type(texts).__name__}: "
            "pass [text], or call the analyzer on the text itself"
        )
    try:
        iter(texts)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(
            f"pipe() takes an iterable of str texts, got {type(texts).__name__}"
        ) from None


def check_text(text: object, index: int | None = None) -> str:
    """Return ``text`` if it is a ``str``; raise a ``TypeError`` naming what it was (and, for
    an item of a list, which item) otherwise."""
    if not isinstance(text, str):
        item = "" if index is None else f"item {index}: "
        raise TypeError(
            f"{item}diplolex analyses str texts, got {type(text).__name__}: "
            "decode bytes first and pass a str (or a list of str)"
        )
    return text


class Analyzer:
    """A reusable analyzer; build it once and call it on many texts.

    It runs the analyses of :data:`diplolex.tasks.TASKS` (those asked for, in table order)
    through the interface of :class:`diplolex.component.TaskModel`: one shared encoder pass
    per batch of sentences, read by every analysis that reads it, then each analysis adds its
    results to the document.

    Args:
        device: ``"cpu"`` (the default when ``None``), ``"cuda"``, or another torch device.
        batch_size: sentences per shared encoder pass (and (sentence, target) pairs per
            stance pass).
        tasks: which analyses to run; ``None`` runs every analysis in ``AVAILABLE_TASKS``.
        weights: optional ``{task: folder}`` replacing a task's shipped weights (a folder
            written by ``diplolex train``).
        runtime: ``"torch"`` (default) or ``"onnx"``: the encoder passes in ONNX Runtime, an
            exact fp32 alternative on the CPU (:mod:`diplolex.onnx_encoder`; the ``onnx`` extra).
        precision: ``"auto"`` (default: bfloat16 where the CPU or GPU has it natively, else
            float32), ``"fp32"``, ``"bf16"``, or ``"fp16"`` on CUDA (:mod:`diplolex.precision`).
        proposed_stance: how the stances towards targets the analysis proposes (no
            ``targets=`` given) are scored: ``"cross-encoder"`` (default: stance's own pass
            per (sentence, target) pair, the more accurate) or ``"shared-pass"`` (stance's
            small head on the shared pass's states: no pass of its own, a few points of F1
            less, docs/models/stance.md). User-given targets always use the cross-encoder.

    Example:
        >>> import diplolex
        >>> nlp = diplolex.load(batch_size=64)
        >>> doc = nlp("Aid will flow once the ceasefire holds.")
        >>> doc.sentences[0].conditional
        True
    """

    def __init__(
        self,
        device: str | None = None,
        batch_size: int = 32,
        tasks: Sequence[str] | None = None,
        weights: dict[str, str | Path] | None = None,
        runtime: str = "torch",
        precision: str = "auto",
        proposed_stance: str = "cross-encoder",
    ) -> None:
        from diplolex.devices import check_device
        from diplolex.encoder import DEFAULT_MAX_TOKENS, SharedEncoder
        from diplolex.onnx_encoder import check_runtime
        from diplolex.precision import resolve_precision

        device = check_device(device)
        self.runtime = check_runtime(runtime, device or "cpu")
        self.precision = resolve_precision(precision, device or "cpu", self.runtime)
        """The encoders' precision: ``fp32``, ``bf16`` or ``fp16`` (``auto`` resolved)."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.tasks = check_tasks(tasks)
        weights = dict(weights or {})
        unknown = set(weights) - set(self.tasks)
        if unknown:
            raise ValueError(f"weights given for tasks not run: {sorted(unknown)}")
        self.batch_size = batch_size
        self.device = device or "cpu"
        self.models: dict[str, TaskModel] = {
            spec.name: spec.model_class().load(weights.get(spec.name), device=self.device)
            for spec in TASKS
            if spec.name in self.tasks
        }
        """The loaded analyses by name, in table order."""
        self.encoder = SharedEncoder(device=self.device, max_tokens=DEFAULT_MAX_TOKENS)
        self.encoder_adapter = shared_adapter(self._shared)
        if self.encoder_adapter is not None:
            merge_adapter(self.encoder.model, self.encoder_adapter)
        self.proposed_stance = proposed_stance
        self._listeners = self._shared_pass_listeners(proposed_stance)
        """Analyses with passes of their own that also read the shared pass (stance's head
        for proposed targets), for documents read in one chunk."""
        for encoder in (self.encoder, *(m.encoder for m in self.models.values())):
            if encoder is None:
                continue
            if self.runtime == "onnx":
                encoder.use_onnx()
            elif self.precision != "fp32":
                encoder.set_precision(self.precision)
        for model in self.models.values():
            model.set_precision(self.precision)

    def _shared_pass_listeners(self, proposed_stance: str) -> list[TaskModel]:
        if proposed_stance not in PROPOSED_STANCE:
            raise ValueError(
                f"proposed_stance must be one of {list(PROPOSED_STANCE)}, got {proposed_stance!r}"
            )
        if proposed_stance == "cross-encoder" or "stance" not in self.models:
            return []
        stance = self.models["stance"]
        if not self._shared or not stance.listen_to_shared_pass(self.encoder_adapter):
            raise ValueError(
                "proposed_stance='shared-pass' needs the stance weights' shared-pass head "
                "(shared/) trained on this shared encoder, and a sentence analysis "
                "(conditionality or attribution) to run the shared pass"
            )
        return [stance]

    @property
    def _shared(self) -> list[TaskModel]:
        """The loaded analyses that read the shared encoder pass, in table order."""
        return [self.models[s.name] for s in TASKS if s.name in self.models and s.reads_shared_pass]

    def model(self, task: str) -> TaskModel:
        """The loaded model of ``task``.

        Raises:
            ValueError: the analyzer was not loaded with that analysis.
        """
        if task not in self.models:
            raise ValueError(f"this analyzer runs {list(self.models)}, not {task!r}")
        return self.models[task]

    def __call__(self, text: str, *, targets: Sequence[str] | None = None) -> Document:
        """Analyse one text."""
        return next(self.pipe([check_text(text)], targets=targets))

    def stance(
        self,
        text: str | list[str],
        target: str | list[str],
        *,
        holder: str | list[str | None] | None = None,
    ) -> StanceResult | list[StanceResult]:
        """The stance of ``text`` (or of ``holder`` in it) towards ``target``, with this
        analyzer's stance model, device and batch size; see :func:`diplolex.stance`.

        Raises:
            ValueError: the analyzer was loaded without the stance analysis.
        """
        model = self.model("stance")
        return model.stance(self.encoder, text, target, holder=holder, batch_size=self.batch_size)

    def pipe(
        self,
        texts: Iterable[str],
        *,
        targets: Sequence[str] | None = None,
        progress: bool = False,
    ) -> Iterator[Document]:
        """Analyse a stream of texts lazily, in order, batching sentences across texts.

        Memory stays bounded: at most about 512 sentences are held between passes, however
        long the stream or a single document is. ``progress``: a bar of documents done on
        stderr (tqdm), drawn only when stderr is a terminal.

        Raises:
            TypeError: at once, when ``texts`` is a single ``str`` (or bytes) rather than an
                iterable of them; when an item is reached that is not a ``str``.
        """
        check_texts(texts)
        run = Run(self.encoder, self.batch_size, self._check_targets(targets))
        docs = self._pipe(texts, run)
        if progress:
            from diplolex.progress import progress_bar

            docs = progress_bar(docs, total=len(texts) if isinstance(texts, Sized) else None)
        return docs

    def _pipe(self, texts: Iterable[str], run: Run) -> Iterator[Document]:
        pending: list[_Pending] = []
        held = 0
        for index, text in enumerate(texts):
            check_text(text, index)
            bounds = split_sentences(text)
            if len(bounds) > _SENTENCES_PER_CHUNK:
                yield from self._run(pending, run)
                pending, held = [], 0
                yield self._run_long(text, bounds, run)
                continue
            pending.append(_Pending(index, text, bounds))
            held += len(bounds)
            if held >= _SENTENCES_PER_CHUNK:
                yield from self._run(pending, run)
                pending, held = [], 0
        yield from self._run(pending, run)

    def _run(self, pending: list[_Pending], run: Run) -> Iterator[Document]:
        """Short documents: their sentences go through the shared pass together."""
        outputs = self._read_sentences([p.text[s:e] for p in pending for s, e in p.bounds])
        found: dict[str, list] = {name: [] for name in self.models}
        position = 0
        for p in pending:
            for name, reader in self._readers(p.text, p.bounds).items():
                reader.add(outputs[name][position : position + len(p.bounds)])
                found[name].append(reader.finish())
            position += len(p.bounds)
        docs = [
            Document(text=p.text, sentences=[Sentence(s, e, p.text[s:e]) for s, e in p.bounds])
            for p in pending
        ]
        for name, model in self.models.items():
            docs = model.annotate_many(docs, found[name], run)
        release_freed_memory()
        yield from docs

    def _run_long(self, text: str, bounds: list[tuple[int, int]], run: Run) -> Document:
        """A document of many sentences: read chunk by chunk, each analysis' reader keeping
        only what it needs of the chunks before."""
        readers = self._readers(text, bounds)
        for c in range(0, len(bounds), _SENTENCES_PER_CHUNK):
            chunk = bounds[c : c + _SENTENCES_PER_CHUNK]
            outputs = self._read_sentences([text[s:e] for s, e in chunk], listeners=False)
            for name, reader in readers.items():
                reader.add(outputs[name])
            del outputs
            release_freed_memory()
        return self._annotate(text, bounds, readers, run)

    def _readers(self, text: str, bounds: list[tuple[int, int]]) -> dict[str, DocumentReader]:
        return {name: model.start_document(text, bounds) for name, model in self.models.items()}

    def _read_sentences(self, sentences: list[str], listeners: bool = True) -> dict[str, list]:
        """One encoder pass per batch of similar-length sentences; every analysis that reads
        the shared pass turns it into one output per sentence (``[]`` for the others).
        ``listeners=False`` (a long document, read chunk by chunk): the analyses with passes
        of their own do not read it, so that nothing they would keep grows with the document.
        """
        shared = self._shared + (self._listeners if listeners else [])
        outputs: dict[str, list] = {name: [] for name in self.models}
        for model in shared:
            outputs[model.name] = [None] * len(sentences)
        if not self._shared:
            return outputs
        from diplolex.encoder import length_batches

        for number, idx in enumerate(
            length_batches(self.encoder.piece_counts(sentences), self.batch_size), 1
        ):
            texts = [sentences[i] for i in idx]
            batch = self.encoder.encode(texts)
            for model in shared:
                for i, output in zip(idx, model.read_batch(batch, texts)):
                    outputs[model.name][i] = output
            del batch
            if number % BATCHES_PER_RELEASE == 0:
                release_freed_memory()
        return outputs

    def _annotate(
        self,
        text: str,
        bounds: list[tuple[int, int]],
        readers: dict[str, DocumentReader],
        run: Run,
    ) -> Document:
        doc = Document(text=text, sentences=[Sentence(s, e, text[s:e]) for s, e in bounds])
        for name, model in self.models.items():
            doc = model.annotate(doc, readers[name].finish(), run)
        return doc

    def _check_targets(self, targets: Sequence[str] | None) -> list[str] | None:
        if targets is None:
            return None
        takers = [m for m in self.models.values() if m.accepts_targets]
        if not takers:
            raise ValueError("targets need the stance analysis: load the analyzer with it")
        return takers[0].check_targets(targets)


def shared_adapter(models: Sequence) -> Path | None:
    """The LoRA adapter of the shared encoder that the sentence analyses were trained on.

    A sentence-analysis weights folder trained on an adapted encoder carries a copy of that
    adapter (``adapter.json`` + ``adapter.safetensors``). Every loaded sentence analysis must
    have been trained on the same encoder: all with the same adapter, or all without.

    Raises:
        ValueError: the analyses were trained on different encoders.
    """
    found = {}
    for model in models:
        folder = model.folder
        found[model.name] = folder if folder is not None and has_adapter(folder) else None
    digests = {name: None if f is None else adapter_digest(f) for name, f in found.items()}
    if len(set(digests.values())) > 1:
        raise ValueError(
            "the sentence analyses were trained on different encoders (LoRA adapter SHA-256 "
            f"per analysis: {digests}); train them on the same adapter, or load them apart"
        )
    return next(iter(found.values()), None)


def check_tasks(tasks: Sequence[str] | None) -> tuple[str, ...]:
    """Validate a ``tasks`` argument; ``None`` means every available task."""
    if tasks is None:
        return AVAILABLE_TASKS
    if isinstance(tasks, str):
        tasks = [tasks]
    unknown = [t for t in tasks if t not in AVAILABLE_TASKS]
    if unknown:
        raise ValueError(
            f"unknown or unavailable task(s) {unknown}; this version ships {list(AVAILABLE_TASKS)}"
        )
    return tuple(tasks)
