"""A spaCy pipeline component: ``nlp.add_pipe("diplolex")``.

Needs ``pip install "diplolex[spacy]"``. The factory is registered through the
``spacy_factories`` entry point, so no import is needed before ``add_pipe``.

After the component, each ``Doc`` has:

- ``doc._.conditionals``: :class:`Conditional` items (``cue``, ``condition``, ``consequence``
  as spaCy ``Span``\\ s, plus ``type``, ``type_score``, ``score``);
- ``doc._.attributions``: :class:`Attribution` items (``source``, ``cue``, ``content``,
  ``resolved_source`` spans, ``score``, ``resolved_score``);
- ``doc._.stances``: :class:`Stance` items (``holder``, ``holder_span``, ``target``,
  ``stance``, ``score``);
- ``doc._.diplolex``: the :class:`diplolex.Document` itself (character offsets).

diplolex's character spans are mapped onto spaCy's tokens with
``doc.char_span(start, end, alignment_mode="expand")``: a span that starts or ends inside a
token grows to cover the whole token. Each spaCy span's ``label_`` says its role
(``"condition"``, ``"source"``, ...).

Example:
    >>> import spacy
    >>> nlp = spacy.blank("en")
    >>> nlp.add_pipe("diplolex")  # doctest: +SKIP
    >>> doc = nlp("Aid will flow if the truce holds.")  # doctest: +SKIP
    >>> doc._.conditionals[0].condition.text  # doctest: +SKIP
    'if the truce holds'
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc
from spacy.tokens import Span as SpacySpan

import diplolex
from diplolex.types import Document, Span

EXTENSIONS = ("conditionals", "attributions", "stances", "diplolex")


@dataclass(frozen=True)
class Conditional:
    """A :class:`diplolex.Conditional` on spaCy tokens."""

    type: str
    type_score: float
    score: float
    cue: SpacySpan | None
    condition: SpacySpan | None
    consequence: SpacySpan | None


@dataclass(frozen=True)
class Attribution:
    """A :class:`diplolex.Attribution` on spaCy tokens."""

    source: SpacySpan | None
    cue: SpacySpan | None
    content: SpacySpan | None
    score: float
    resolved_source: SpacySpan | None = None
    resolved_score: float | None = None


@dataclass(frozen=True)
class Stance:
    """A :class:`diplolex.Stance` on spaCy tokens."""

    holder: str
    holder_span: SpacySpan | None
    target: SpacySpan | None
    stance: str
    score: float


def _register_extensions() -> None:
    for name in EXTENSIONS:
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)


class DiplolexComponent:
    """Runs a :class:`diplolex.Analyzer` on each ``Doc``'s text and sets the extensions."""

    def __init__(
        self,
        nlp: Language,
        name: str = "diplolex",
        *,
        batch_size: int = 32,
        device: str | None = None,
        targets: Sequence[str] | None = None,
        tasks: Sequence[str] | None = None,
    ) -> None:
        _register_extensions()
        self.name = name
        self.targets = None if targets is None else list(targets)
        self.analyzer = diplolex.load(
            device=device, batch_size=batch_size, tasks=None if tasks is None else list(tasks)
        )

    def __call__(self, doc: Doc) -> Doc:
        return set_annotations(doc, self.analyzer(doc.text, targets=self.targets))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        """Analyse many docs, batching sentences across them (``batch_size`` is spaCy's)."""
        pending: list[Doc] = []
        for doc in docs:
            pending.append(doc)
            if len(pending) >= batch_size:
                yield from self._run(pending)
                pending = []
        yield from self._run(pending)

    def _run(self, docs: list[Doc]) -> Iterator[Doc]:
        results = self.analyzer.pipe([d.text for d in docs], targets=self.targets)
        for doc, result in zip(docs, results):
            yield set_annotations(doc, result)


@Language.factory(
    "diplolex",
    default_config={"batch_size": 32, "device": None, "targets": None, "tasks": None},
)
def make_diplolex(
    nlp: Language,
    name: str,
    batch_size: int,
    device: str | None,
    targets: list[str] | None,
    tasks: list[str] | None,
) -> DiplolexComponent:
    """The ``diplolex`` factory (see the module docstring)."""
    return DiplolexComponent(
        nlp, name, batch_size=batch_size, device=device, targets=targets, tasks=tasks
    )


def _spacy_span(doc: Doc, span: Span | None, label: str) -> SpacySpan | None:
    if span is None:
        return None
    return doc.char_span(span.start, span.end, label=label, alignment_mode="expand")


def set_annotations(doc: Doc, result: Document) -> Doc:
    """Set ``doc._.conditionals / attributions / stances / diplolex`` from ``result``."""
    _register_extensions()
    if result.text != doc.text:
        raise ValueError("the diplolex result is for another text than this Doc's")
    doc._.diplolex = result
    doc._.conditionals = [
        Conditional(
            c.type, c.type_score, c.score, _spacy_span(doc, c.cue, "cue"),
            _spacy_span(doc, c.condition, "condition"),
            _spacy_span(doc, c.consequence, "consequence"),
        )
        for c in result.conditionals
    ]  # fmt: skip
    doc._.attributions = [
        Attribution(
            _spacy_span(doc, a.source, "source"), _spacy_span(doc, a.cue, "attribution_cue"),
            _spacy_span(doc, a.content, "content"), a.score,
            _spacy_span(doc, a.resolved_source, "resolved_source"), a.resolved_score,
        )
        for a in result.attributions
    ]  # fmt: skip
    doc._.stances = [
        Stance(s.holder, _spacy_span(doc, s.holder_span, "holder"),
               _spacy_span(doc, s.target, "target"), s.stance, s.score)
        for s in result.stances
    ]  # fmt: skip
    return doc
