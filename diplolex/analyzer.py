"""The Analyzer: segments documents, batches sentences, runs the shared encoder once per batch
and every requested task head on its output, and assembles :class:`~diplolex.types.Document`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass
from pathlib import Path

from diplolex.adapter import adapter_digest, has_adapter, merge_adapter
from diplolex.segment import split_sentences
from diplolex.types import Attribution, Conditional, Document, Sentence, Span

AVAILABLE_TASKS: tuple[str, ...] = ("conditionality", "attribution", "stance")
"""The analyses this version ships weights for; ``tasks=None`` means all of them."""

_SENTENCES_PER_CHUNK = 512  # sentences held between encoder passes and assembly
_ATTRIBUTION_CONTEXT = 16  # sentences of context on each side of a cue across chunks


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

    Args:
        device: ``"cpu"`` (the default when ``None``), ``"cuda"``, or another torch device.
        batch_size: sentences per encoder pass.
        tasks: which analyses to run; ``None`` runs every analysis in ``AVAILABLE_TASKS``.
        weights: optional ``{task: folder}`` replacing a task's shipped weights (a folder
            written by ``diplolex train``).

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
    ) -> None:
        from diplolex.devices import check_device
        from diplolex.encoder import DEFAULT_MAX_TOKENS, SharedEncoder

        device = check_device(device)
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.tasks = check_tasks(tasks)
        weights = dict(weights or {})
        unknown = set(weights) - set(self.tasks)
        if unknown:
            raise ValueError(f"weights given for tasks not run: {sorted(unknown)}")
        self.batch_size = batch_size
        self.device = device or "cpu"
        self.conditionality = None
        self.attribution = None
        self.stance = None
        if "conditionality" in self.tasks:
            from diplolex.tasks.conditionality.predict import ConditionalityModel

            self.conditionality = ConditionalityModel.load(
                weights.get("conditionality"), device=self.device
            )
        if "attribution" in self.tasks:
            from diplolex.tasks.attribution.predict import AttributionModel

            self.attribution = AttributionModel.load(weights.get("attribution"), device=self.device)
        if "stance" in self.tasks:
            from diplolex.tasks.stance.predict import StanceModel

            self.stance = StanceModel.load(weights.get("stance"), device=self.device)
        self.encoder = SharedEncoder(device=self.device, max_tokens=DEFAULT_MAX_TOKENS)
        self.encoder_adapter = shared_adapter(
            [m for m in (self.conditionality, self.attribution) if m is not None]
        )
        if self.encoder_adapter is not None:
            merge_adapter(self.encoder.model, self.encoder_adapter)

    def __call__(self, text: str, *, targets: Sequence[str] | None = None) -> Document:
        """Analyse one text."""
        return next(self.pipe([check_text(text)], targets=targets))

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
        docs = self._pipe(texts, self._check_targets(targets))
        if progress:
            from diplolex.progress import progress_bar

            docs = progress_bar(docs, total=len(texts) if isinstance(texts, Sized) else None)
        return docs

    def _pipe(self, texts: Iterable[str], targets: list[str] | None) -> Iterator[Document]:
        pending: list[_Pending] = []
        held = 0
        for index, text in enumerate(texts):
            check_text(text, index)
            bounds = split_sentences(text)
            if len(bounds) > _SENTENCES_PER_CHUNK:
                yield from self._run(pending, targets)
                pending, held = [], 0
                yield self._run_long(text, bounds, targets)
                continue
            pending.append(_Pending(index, text, bounds))
            held += len(bounds)
            if held >= _SENTENCES_PER_CHUNK:
                yield from self._run(pending, targets)
                pending, held = [], 0
        yield from self._run(pending, targets)

    def _run(self, pending: list[_Pending], targets: list[str] | None) -> Iterator[Document]:
        sentences = [p.text[s:e] for p in pending for s, e in p.bounds]
        results, states = self._analyze_sentences(sentences)
        position = 0
        for p in pending:
            count = len(p.bounds)
            found = self._attributions(p.text, p.bounds, states[position : position + count])
            doc = _assemble(p.text, p.bounds, results[position : position + count], found)
            yield self._add_stances(doc, p.bounds, targets)
            position += count

    def _run_long(
        self, text: str, bounds: list[tuple[int, int]], targets: list[str] | None
    ) -> Document:
        """A document of many sentences: analyse it chunk by chunk, keep only the results.

        Attributions are read over a rolling buffer: each chunk's sentence states plus the
        last ``2 * _ATTRIBUTION_CONTEXT`` sentences' states of the buffer before. A relation
        is taken from the buffer in which its cue has at least ``_ATTRIBUTION_CONTEXT``
        sentences on each side (the document's edges aside), so a quote that runs over a
        chunk boundary is read whole.
        """
        results, found = [], []
        held: list = []  # states of the sentences bounds[held_from:] kept from the last chunk
        held_from, taken_until = 0, 0  # relations whose cue starts before taken_until are in
        for c in range(0, len(bounds), _SENTENCES_PER_CHUNK):
            end = min(len(bounds), c + _SENTENCES_PER_CHUNK)
            chunk_results, states = self._analyze_sentences([text[s:e] for s, e in bounds[c:end]])
            results += chunk_results
            if self.attribution is None:
                continue
            held += states
            cut = end if end == len(bounds) else end - _ATTRIBUTION_CONTEXT
            stop = len(text) if cut == len(bounds) else bounds[cut][0]
            for relation in self._attributions(text, bounds[held_from:end], held):
                if taken_until <= relation.cue[0] < stop:
                    found.append(relation)
            taken_until = max(taken_until, stop)
            keep_from = max(held_from, cut - _ATTRIBUTION_CONTEXT)
            held, held_from = held[keep_from - held_from :], keep_from
        return self._add_stances(_assemble(text, bounds, results, found), bounds, targets)

    def _analyze_sentences(self, sentences: list[str]) -> tuple[list, list]:
        """One encoder pass per batch of similar-length sentences; every head reads it.

        Returns each sentence's conditionality analysis (``None`` when not run) and, when
        attribution runs, each sentence's word-piece states (float16, CPU) for the
        document-level attribution head (else ``None``).
        """
        results: list = [None] * len(sentences)
        states: list = [None] * len(sentences)
        if self.conditionality is None and self.attribution is None:
            return results, states
        import torch

        from diplolex.encoder import length_batches
        from diplolex.tasks.attribution.model import sentence_states

        for idx in length_batches([len(s) for s in sentences], self.batch_size):
            texts = [sentences[i] for i in idx]
            batch = self.encoder.encode(texts)
            if self.conditionality is not None:
                for i, analysis in zip(idx, self.conditionality.predict(batch, texts)):
                    results[i] = analysis
            if self.attribution is not None:
                for i, st in zip(idx, sentence_states(batch, len(texts))):
                    st.states = st.states.to(torch.float16).cpu()
                    states[i] = st
        return results, states

    def _attributions(self, text: str, bounds: list[tuple[int, int]], states: list) -> list:
        if self.attribution is None or not bounds:
            return []
        return self.attribution.predict_document(text, bounds, states)

    def _add_stances(
        self, doc: Document, bounds: list[tuple[int, int]], targets: list[str] | None
    ) -> Document:
        if self.stance is None:
            return doc
        from diplolex.tasks.stance.document import document_stances

        found = document_stances(
            doc.text, bounds, doc.attributions, targets, self.stance, self.encoder,
            self.batch_size,
        )  # fmt: skip
        return dataclasses.replace(doc, stances=found)

    def _check_targets(self, targets: Sequence[str] | None) -> list[str] | None:
        if targets is None:
            return None
        if self.stance is None:
            raise ValueError("targets need the stance analysis: load the analyzer with it")
        from diplolex.tasks.stance.document import check_targets

        return check_targets(targets)


def _assemble(
    text: str, bounds: list[tuple[int, int]], analyses: list, found: list | None = None
) -> Document:
    sentences, conditionals = [], []
    for (start, end), analysis in zip(bounds, analyses):
        if analysis is None:  # conditionality not run
            sentences.append(Sentence(start, end, text[start:end]))
            continue
        sentences.append(
            Sentence(start, end, text[start:end], analysis.conditional, round(analysis.score, 4))
        )
        for c in analysis.conditionals:
            conditionals.append(
                Conditional(
                    type=c.type,
                    type_score=round(c.type_score, 4),
                    score=round(c.score, 4),
                    cue=_shift(text, start, c.cue),
                    condition=_shift(text, start, c.condition),
                    consequence=_shift(text, start, c.consequence),
                )
            )
    attributions = [
        Attribution(
            source=_shift(text, 0, a.source),
            cue=Span.of(text, *a.cue),
            content=Span.of(text, *a.content),
            score=round(a.score, 4),
            resolved_source=_shift(text, 0, a.resolved_source),
            resolved_score=None if a.resolved_score is None else round(a.resolved_score, 4),
        )
        for a in found or []
    ]
    return Document(
        text=text,
        sentences=sentences,
        conditionals=conditionals,
        attributions=attributions,
    )


def _shift(text: str, offset: int, span: tuple[int, int] | None) -> Span | None:
    return None if span is None else Span.of(text, offset + span[0], offset + span[1])


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
