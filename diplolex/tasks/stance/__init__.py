"""Stance towards a target: favor, against, neutral, or unrelated (task-definitions.md §3).

This package's ``__init__`` imports no torch: :class:`StanceResult` can be re-exported by
``diplolex`` without making ``import diplolex`` expensive. The model is in
:mod:`diplolex.tasks.stance.predict`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from diplolex.types import StancePairLabel

__all__ = ["StanceResult"]


@dataclass(frozen=True)
class StanceResult:
    """The stance a text takes towards one target.

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
