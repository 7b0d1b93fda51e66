"""Cue families of conditional constructions (task-definitions.md section 1, "Hard cases"),
for per-family recall, and the wide cue list that covers them all (a baseline).

A gold construction's family is decided from its cue text alone; a sentence belongs to the
family of each of its gold constructions.
"""

from __future__ import annotations

import re

FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("if", ("if", "only if", "if only", "what if")),
    (
        "unless/provided/as long as",
        ("unless", "provided", "providing", "as long as", "so long as", "on condition",
         "on the condition", "in case", "in the event", "assuming"),
    ),
    (
        "without/otherwise/or",
        ("without", "otherwise", "or else", "or", "and", "absent", "but for", "in the absence",
         "an absence", "absence"),
    ),
    (
        "contingency phrases",
        ("contingent", "conditional", "in exchange", "in return", "subject to", "tied to",
         "linked to", "dependent", "depend", "depends", "depending", "hinge", "hinges",
         "at the price", "on the basis"),
    ),
    (
        "before/until/once/when",
        ("before", "until", "till", "once", "when", "whenever", "as soon as", "after",
         "only after", "only when", "not until", "only once"),
    ),
    ("only-restrictions", ("only", "the only way", "but not", "not with", "except", "solely")),
    (
        "named conditions and demands",
        ("condition", "conditions", "precondition", "preconditions", "pre-condition",
         "pre-conditions", "ultimatum", "deadline", "strings", "strings attached", "require",
         "requires", "required", "requirement", "requirements", "demand", "demands",
         "stipulate", "stipulated", "stipulation", "terms", "prerequisite", "prerequisites",
         "deadlines", "ultimatums"),
    ),
)  # fmt: skip
"""Family name and the cue words that open it, matched on the cue's leading words."""

OTHER = "other"
FAMILY_NAMES: tuple[str, ...] = (*(name for name, _ in FAMILIES), OTHER)


def cue_family(cue: str | None) -> str:
    """The family of a gold cue: the family whose cue phrase the cue text starts with
    (longest phrase first), else ``other`` (subject inversion "Had ...", and unmarked cues).

    Example:
        >>> cue_family("In exchange for"), cue_family("ultimatum"), cue_family("Had")
        ('contingency phrases', 'named conditions and demands', 'other')
    """
    if not cue:
        return OTHER
    words = cue.lower().split()
    best, best_len = OTHER, 0
    for name, phrases in FAMILIES:
        for phrase in phrases:
            parts = phrase.split()
            if words[: len(parts)] == parts and len(parts) > best_len:
                best, best_len = name, len(parts)
    if best == OTHER:  # a named condition often comes after a determiner: "the conditions"
        for name, phrases in FAMILIES:
            if name == "named conditions and demands" and any(w in phrases for w in words):
                return name
    return best


WIDE_CUES: tuple[str, ...] = (
    "on the condition that", "on condition that", "in the event that", "on the basis that",
    "at the price of", "in exchange for", "in return for", "provided that", "providing that",
    "contingent upon", "contingent on", "conditional upon", "conditional on", "dependent on",
    "so long as", "as long as", "as soon as", "depends on", "hinges on", "subject to",
    "tied to", "strings attached", "or else", "or face", "in case", "only if", "only after",
    "only when", "not until", "unless", "until", "before", "once", "without", "otherwise",
    "precondition", "preconditions", "conditions", "condition", "ultimatum", "deadline",
    "requires", "only", "if",
)  # fmt: skip
"""Cue phrases of every family: the "wide cue list" baseline, to set beside the model."""

WIDE_CUE_RE = re.compile(
    r"\b(?:" + "|".join(r"\s+".join(c.split()) for c in WIDE_CUES) + r")\b", re.IGNORECASE
)
