"""Typed, JSON-ready result objects.

Every :class:`Span` indexes the *document* text: ``doc.text[span.start:span.end] == span.text``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from diplolex.spans import snap_to_graphemes

ConditionalType = Literal["offer", "threat", "demand", "hypothetical"]
StanceLabel = Literal["favor", "against", "neutral"]
StancePairLabel = Literal["favor", "against", "neutral", "unrelated"]

CONDITIONAL_TYPES: tuple[ConditionalType, ...] = get_args(ConditionalType)
STANCE_LABELS: tuple[StanceLabel, ...] = get_args(StanceLabel)
STANCE_PAIR_LABELS: tuple[StancePairLabel, ...] = get_args(StancePairLabel)

Offsets = tuple[int, int]
"""``(start, end)`` character offsets, end exclusive."""


@dataclass(frozen=True)
class Span:
    """A stretch of the document: ``[start, end)`` character offsets and the covered text."""

    start: int
    end: int
    text: str

    @classmethod
    def of(cls, document: str, start: int, end: int) -> Span:
        """Build a span from offsets, taking its text from ``document``.

        Offsets that fall inside a grapheme cluster (between a letter and its combining mark,
        inside an emoji ZWJ sequence) are widened to the cluster's edges, so a span never cuts
        a user-perceived character in two.

        Example:
            >>> Span.of("Talks resume.", 0, 5)
            Span(start=0, end=5, text='Talks')
            >>> Span.of("Cafe\u0301 talks", 0, 4).end
            5
        """
        if not 0 <= start <= end <= len(document):
            raise ValueError(f"span [{start}, {end}) lies outside a text of {len(document)} chars")
        start, end = snap_to_graphemes(document, start, end)
        return cls(start, end, document[start:end])

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}


def span_at(document: str, offset: int, offsets: Offsets | None) -> Span | None:
    """The :class:`Span` of ``offsets`` (relative to ``offset``, e.g. a sentence's start) in
    ``document``; ``None`` stays ``None``."""
    return None if offsets is None else Span.of(document, offset + offsets[0], offset + offsets[1])


def _span_dict(span: Span | None) -> dict[str, Any] | None:
    return None if span is None else span.to_dict()


class NonFiniteScoreError(ValueError):
    """A result holds a NaN or infinite score: JSON has no such value, and it means damage."""


def _finite(name: str, value: float | None) -> float | None:
    """``value`` unchanged when it is a finite number or ``None``; else a clear error."""
    if value is not None and not math.isfinite(value):
        raise NonFiniteScoreError(
            f"{name} is {value!r}, not a finite number: the model produced a non-finite score "
            "(damaged weights or input), and JSON cannot hold it"
        )
    return value


@dataclass(frozen=True)
class Sentence:
    """One sentence of the document, with the sentence-level conditionality decision."""

    start: int
    end: int
    text: str
    conditional: bool = False
    conditional_score: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "conditional": self.conditional,
            "conditional_score": _finite("Sentence.conditional_score", self.conditional_score),
        }


@dataclass(frozen=True)
class Conditional:
    """One conditional construction: what (``consequence``) depends on what (``condition``)."""

    type: ConditionalType
    type_score: float
    score: float
    cue: Span | None
    condition: Span
    consequence: Span | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "type_score": _finite("Conditional.type_score", self.type_score),
            "score": _finite("Conditional.score", self.score),
            "cue": _span_dict(self.cue),
            "condition": self.condition.to_dict(),
            "consequence": _span_dict(self.consequence),
        }


@dataclass(frozen=True)
class Attribution:
    """Who (``source``) said or holds what (``content``), anchored by a ``cue``.

    ``resolved_source`` is the earlier named mention that a pronoun or bare-title source
    ("he", "the spokesman") refers to, with a rule confidence ``resolved_score``; both are
    ``None`` when the source is a name, absent, or the resolver is unsure.
    """

    source: Span | None
    cue: Span
    content: Span
    score: float
    resolved_source: Span | None = None
    resolved_score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": _span_dict(self.source),
            "cue": self.cue.to_dict(),
            "content": self.content.to_dict(),
            "score": _finite("Attribution.score", self.score),
            "resolved_source": _span_dict(self.resolved_source),
            "resolved_score": _finite("Attribution.resolved_score", self.resolved_score),
        }


@dataclass(frozen=True)
class Stance:
    """The position a ``holder`` takes towards a ``target`` in one sentence.

    ``query`` is the user-given target this stance answers (as passed in ``targets``), or
    ``None`` for a target the analysis proposed itself.
    """

    holder: str
    holder_span: Span | None
    target: Span
    stance: StanceLabel
    score: float
    query: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "holder": self.holder,
            "holder_span": _span_dict(self.holder_span),
            "target": self.target.to_dict(),
            "query": self.query,
            "stance": self.stance,
            "score": _finite("Stance.score", self.score),
        }


@dataclass(frozen=True)
class Document:
    """The analysis of one text: its sentences and every relation found in it."""

    text: str
    sentences: list[Sentence] = field(default_factory=list)
    conditionals: list[Conditional] = field(default_factory=list)
    attributions: list[Attribution] = field(default_factory=list)
    stances: list[Stance] = field(default_factory=list)

    def spans(self) -> list[Span]:
        """Every span in the document's relations, in no particular order."""
        found: list[Span | None] = []
        for c in self.conditionals:
            found += [c.cue, c.condition, c.consequence]
        for a in self.attributions:
            found += [a.source, a.cue, a.content, a.resolved_source]
        for s in self.stances:
            found += [s.holder_span, s.target]
        return [s for s in found if s is not None]

    def to_frame(self, layer: str = "sentences") -> Any:
        """One pandas row per sentence, conditional, attribution or stance (``layer``); see
        :func:`diplolex.to_frame`. Needs pandas (``pip install 'diplolex[pandas]'``)."""
        from diplolex.frame import to_frame

        return to_frame(self, layer)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict in the documented output schema (see docs/output-schema.md).

        Raises:
            NonFiniteScoreError: (a ``ValueError``) a score is NaN or infinite.
        """
        return {
            "text": self.text,
            "sentences": [s.to_dict() for s in self.sentences],
            "conditionals": [c.to_dict() for c in self.conditionals],
            "attributions": [a.to_dict() for a in self.attributions],
            "stances": [s.to_dict() for s in self.stances],
        }

    def to_json(self, indent: int | None = None) -> str:
        """The output of :meth:`to_dict` as a JSON string (non-ASCII kept as is).

        Always valid JSON: a NaN or infinite score raises ``NonFiniteScoreError`` (a
        ``ValueError``) rather than being written as the non-standard ``NaN``.
        """
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)


@dataclass(frozen=True)
class StanceResult:
    """The stance a text takes towards one target (what :func:`diplolex.stance` returns).

    Attributes:
        label: ``favor``, ``against``, ``neutral`` or ``unrelated`` (the text does not
            address the target).
        score: the probability of ``label``.
        probabilities: the probability of every label (they sum to 1).

    Example:
        >>> r = diplolex.stance(
        ...     "The government welcomed the truce proposal and pledged to implement it.",
        ...     "the truce proposal",
        ... )
        >>> r.label, round(r.score, 2)
        ('favor', 0.59)
    """

    label: StancePairLabel
    score: float
    probabilities: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``label``, ``score`` and ``probabilities``."""
        return {"label": self.label, "score": self.score, "probabilities": dict(self.probabilities)}
