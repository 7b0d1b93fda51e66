"""Synthetic training sentences for the cue families DiploCond has few examples of.

DiploCond train holds 5 ultimatums, 7 preconditions, 2 "or face" threats and no "contingent
on" at all, and a model trained on it misses those forms. This module writes sentences of
those forms from small lists of our own actors, demanded acts and outcomes, annotated by the
conventions of task-definitions.md section 1 (the condition includes an adjacent cue; a
named condition such as "an ultimatum to X to do Y" is the condition, with no consequence),
plus hard negatives that use the same words in their non-conditional senses ("the conditions
in the camps", "in Vienna or Geneva", "only 12 delegations").

The sentences are training data only: never an evaluation set.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

ACTORS = (
    "The alliance", "Ankara", "Washington", "Brussels", "Moscow", "Beijing", "Tehran",
    "The coalition", "The transitional council", "Pretoria", "Seoul", "Cairo", "Canberra",
    "The regional bloc", "The foreign ministry", "Warsaw", "Nairobi", "Ottawa",
)  # fmt: skip
PARTIES = (
    "the junta", "the militia", "the separatists", "the rebel command", "Belgrade", "Caracas",
    "the armed groups", "Pyongyang", "the interim government", "the port authority",
    "Khartoum", "the breakaway region", "the ruling party", "Minsk",
)  # fmt: skip


@dataclass(frozen=True)
class Act:
    """A demanded act in three forms: to-infinitive body, gerund, noun phrase."""

    verb: str
    gerund: str
    noun: str


ACTS = (
    Act("withdraw its forces from the border", "withdrawing its forces from the border",
        "the withdrawal of its forces from the border"),
    Act("release the detained journalists", "releasing the detained journalists",
        "the release of the detained journalists"),
    Act("halt the shelling of the port", "halting the shelling of the port",
        "a halt to the shelling of the port"),
    Act("reopen the northern crossing", "reopening the northern crossing",
        "the reopening of the northern crossing"),
    Act("end the naval blockade", "ending the naval blockade", "an end to the naval blockade"),
    Act("disarm its fighters", "disarming its fighters", "the disarmament of its fighters"),
    Act("hold free elections within a year", "holding free elections within a year",
        "free elections within a year"),
    Act("return the seized tankers", "returning the seized tankers",
        "the return of the seized tankers"),
    Act("stop the drone strikes", "stopping the drone strikes", "an end to the drone strikes"),
    Act("restore power to the capital", "restoring power to the capital",
        "the restoration of power to the capital"),
)  # fmt: skip
OUTCOMES = (  # (noun phrase of something granted, its sentence-initial form)
    "the next tranche of aid", "further loans", "the lifting of the embargo",
    "direct talks", "the easing of sanctions", "a prisoner exchange", "the reopening of embassies",
    "new trade credits",
)  # fmt: skip
PUNISHMENTS = (
    "new sanctions", "military action", "a full trade embargo", "the loss of its seat",
    "a freeze of its assets", "air strikes",
)  # fmt: skip
DAYS = ("Friday", "the end of the month", "midnight on Sunday", "March 1", "next week")


def _span(text: str, part: str) -> dict:
    """The first occurrence of ``part`` in ``text`` as a whole word sequence."""
    found = re.search(rf"(?<!\w){re.escape(part)}(?!\w)", text)
    assert found is not None, (part, text)
    return {"start": found.start(), "end": found.end(), "text": part}


def _record(text: str, constructions: list[tuple[str, str, str, str | None]]) -> dict:
    """A DiploCond-shaped record; each construction: ``(type, cue, condition, consequence)``."""
    conditionals = [
        {
            "type": kind,
            "cue": _span(text, cue),
            "condition": _span(text, condition),
            "consequence": None if consequence is None else _span(text, consequence),
        }
        for kind, cue, condition, consequence in constructions
    ]
    return {
        "id": "", "corpus": "diplocond-synthetic",
        "text": text, "conditional": bool(conditionals), "counterfactual": None,
        "spans_complete": True, "conditionals": conditionals,
    }  # fmt: skip


def _cap(phrase: str) -> str:
    return phrase[0].upper() + phrase[1:]


def _ultimatum(r: random.Random) -> dict:
    a, p, act = r.choice(ACTORS), r.choice(PARTIES), r.choice(ACTS)
    condition = f"an ultimatum to {p} to {act.verb}"
    return _record(f"{a} issued {condition}.", [("demand", "ultimatum", condition, None)])


def _deadline(r: random.Random) -> dict:
    a, p, act, day = r.choice(ACTORS), r.choice(PARTIES), r.choice(ACTS), r.choice(DAYS)
    condition = f"a deadline of {day} for {p} to {act.verb}"
    return _record(f"{a} has set {condition}.", [("demand", "deadline", condition, None)])


def _precondition(r: random.Random) -> dict:
    a, act, outcome = r.choice(ACTORS), r.choice(ACTS), r.choice(OUTCOMES)
    text = f"{a} demands {act.noun} as a precondition for {outcome}."
    return _record(text, [("demand", "as a precondition for", act.noun, outcome)])


def _contingent(r: random.Random) -> dict:
    p, act, outcome = r.choice(PARTIES), r.choice(ACTS), r.choice(OUTCOMES)
    cue = r.choice(("contingent on", "conditional on", "dependent on", "tied to"))
    condition = f"{cue} {p} {act.gerund}"
    verb = "are" if outcome.split()[-1].endswith("s") and " of " not in outcome else "is"
    text = f"{_cap(outcome)} {verb} {condition}."
    return _record(text, [("offer", cue, condition, _cap(outcome))])


def _hinges(r: random.Random) -> dict:
    p, act = r.choice(PARTIES), r.choice(ACTS)
    consequence = r.choice(("Any settlement", "A lasting truce", "The peace plan"))
    condition = f"hinges on {p} {act.gerund}"
    text = f"{consequence} {condition}."
    return _record(text, [("hypothetical", "hinges on", condition, consequence)])


def _or_face(r: random.Random) -> dict:
    a, p, act, pun = r.choice(ACTORS), r.choice(PARTIES), r.choice(ACTS), r.choice(PUNISHMENTS)
    text = f"{a} told {p} to {act.verb} or face {pun}."
    return _record(text, [("threat", "or", act.verb, f"face {pun}")])


def _in_exchange(r: random.Random) -> dict:
    a, act, outcome = r.choice(ACTORS), r.choice(ACTS), r.choice(OUTCOMES)
    consequence = f"{a} would offer {outcome}"
    condition = f"in exchange for {act.noun}"
    return _record(f"{consequence} {condition}.", [("offer", "in exchange for", condition,
                                                     consequence)])  # fmt: skip


def _otherwise(r: random.Random) -> dict:
    p, act, day, pun = r.choice(PARTIES), r.choice(ACTS), r.choice(DAYS), r.choice(PUNISHMENTS)
    condition = f"{_cap(p)} must {act.verb} by {day}"
    consequence = f"{pun} will follow"
    text = f"{condition}; otherwise {consequence}."
    return _record(text, [("threat", "otherwise", condition, consequence)])


def _negative(r: random.Random) -> dict:
    a, p = r.choice(ACTORS), r.choice(PARTIES)
    a_inside = a[0].lower() + a[1:] if a.startswith("The ") else a
    text = r.choice(
        (
            f"Humanitarian conditions in the camps run by {p} have worsened.",
            f"Delegates of {p} will meet in Vienna or Geneva next month.",
            f"Only {r.randint(3, 40)} delegations attended the summit hosted by {a_inside}.",
            f"The deadline for written submissions passed on {r.choice(DAYS[1:])}.",
            f"{a} spoke about the conditions for lasting growth in the region.",
            f"The envoy of {a_inside} met {p} on Friday and left without comment.",
            f"Before the vote, {a} consulted {p} on the agenda.",
        )
    )
    return _record(text, [])


FAMILIES: dict[str, Callable[[random.Random], dict]] = {
    "ultimatum": _ultimatum, "deadline": _deadline, "precondition": _precondition,
    "contingent on": _contingent, "hinges on": _hinges, "or face": _or_face,
    "in exchange for": _in_exchange, "otherwise": _otherwise,
}  # fmt: skip


def synthetic_records(per_family: int, seed: int = 13) -> list[dict]:
    """``per_family`` distinct sentences of every family in :data:`FAMILIES`, and as many hard
    negatives as half the positives, in a fixed order for ``seed``."""
    r = random.Random(seed)
    out: dict[str, dict] = {}
    makers = [*FAMILIES.values()] + [_negative] * max(1, len(FAMILIES) // 2)
    for make in makers:
        found, tries = 0, 0
        while found < per_family and tries < per_family * 20:
            record, tries = make(r), tries + 1
            if record["text"] not in out:
                out[record["text"]], found = record, found + 1
    return [{**record, "id": f"synthetic-{k}"} for k, record in enumerate(out.values())]
