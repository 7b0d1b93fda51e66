"""What the attribution model predicts, before it becomes a public ``Attribution``."""

from __future__ import annotations

from dataclasses import dataclass

from diplolex.types import Offsets


@dataclass(frozen=True)
class AttributionPrediction:
    """One attribution, with offsets into the document text.

    ``score`` is the mean tag probability of the cue's tokens times the geometric mean of the
    probabilities of the content's first and last token. ``resolved_source`` is the earlier
    named mention a pronoun or bare-title source refers to (``None`` when the source is a
    name, absent, or the resolver is unsure).
    """

    source: Offsets | None
    cue: Offsets
    content: Offsets
    score: float
    resolved_source: Offsets | None = None
    resolved_score: float | None = None
