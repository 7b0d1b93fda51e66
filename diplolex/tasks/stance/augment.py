"""Synthetic (holder, target, stance) pairs for the conventions of diplomatic stance.

DiploStance teaches the holder's position, and a few of its conventions are rare in it:
lifting or ending a restriction is against the restriction and refusing to lift it is favor;
a demand that someone halt an act is against the act, a demand for an act is favor; two
holders of one target, the second referring to it again or by a pronoun, each with their own
stance; conditional acceptance is favor; a reported rejection is the holder's, not the
reporter's. This module writes sentences of those forms from small lists of our own actors,
restrictions, acts and proposals (task-definitions.md section 3, DiploStance README), every
pair labelled by the convention its template states.

The sentences are training data only: never an evaluation set.
"""

from __future__ import annotations

import random
from collections.abc import Callable

HOLDERS = (
    "Ankara", "Brussels", "Canberra", "The regional bloc", "Pretoria", "Seoul", "Warsaw",
    "Nairobi", "The coalition", "Ottawa", "The transitional council", "Lima", "Hanoi",
    "The African Union", "Oslo", "Quito", "The opposition", "Dhaka", "Accra", "Tbilisi",
)  # fmt: skip
RESTRICTIONS = (
    "the sanctions on the state airline", "the arms embargo", "the ban on grain exports",
    "the boycott of the summit", "the naval blockade", "the curfew in the capital",
    "the travel ban on its officials", "the tariffs on steel imports", "the asset freeze",
    "the restrictions on the press",
)  # fmt: skip
ACTS = (
    "the shelling of the port", "the construction of the dam", "the deportations",
    "the drone strikes", "the expansion of the settlements", "the detention of reporters",
    "the mobilisation of reservists", "the seizure of the tankers",
)  # fmt: skip
PROPOSALS = (
    "the ceasefire plan", "the peace proposal", "the draft resolution", "the trade accord",
    "the prisoner swap", "the power-sharing deal", "the new border treaty",
    "the humanitarian corridor plan", "the reform package", "the nuclear framework",
)  # fmt: skip
LIFT = ("lifted", "agreed to lift", "decided to ease", "moved to scrap", "voted to end",
        "announced it would drop", "called for an end to")  # fmt: skip
KEEP = ("refused to lift", "extended", "upheld", "said it would keep", "tightened",
        "declined to ease", "vowed to maintain")  # fmt: skip
HALT = ("demanded that {other} halt", "called on {other} to stop", "urged {other} to end",
        "insisted that {other} cease", "condemned")  # fmt: skip
WANT = ("demanded", "called for", "pressed for", "urged {other} to accept", "endorsed")
FOR = ("welcomed", "backed", "signed", "praised", "approved", "voted for", "embraced")
AGAINST = ("rejected", "dismissed", "denounced", "opposed", "voted against", "condemned",
           "walked away from")  # fmt: skip

Pair = dict[str, str]


def _inside(name: str) -> str:
    """``name`` as written inside a sentence ("The coalition" -> "the coalition")."""
    return "t" + name[1:] if name.startswith("The ") else name


def _lifting(r: random.Random) -> list[Pair]:
    holder, restriction = r.choice(HOLDERS), r.choice(RESTRICTIONS)
    if r.random() < 0.5:
        verb, label = r.choice(LIFT), "against"
    else:
        verb, label = r.choice(KEEP), "favor"
    text = f"{holder} {verb} {restriction}."
    return [{"text": text, "holder": holder, "target": restriction, "label": label}]


def _demand(r: random.Random) -> list[Pair]:
    holder, other = r.sample(HOLDERS, 2)
    other = _inside(other)
    if r.random() < 0.5:
        target, verb, label = r.choice(ACTS), r.choice(HALT), "against"
    else:
        target, verb, label = r.choice(PROPOSALS), r.choice(WANT), "favor"
    text = f"{holder} {verb.format(other=other)} {target}."
    return [{"text": text, "holder": holder, "target": target, "label": label}]


def _two_holders(r: random.Random) -> list[Pair]:
    first, second = r.sample(HOLDERS, 2)
    second = _inside(second)
    proposal = r.choice(PROPOSALS)
    labels = r.choice((("favor", "against"), ("against", "favor")))
    verbs = [r.choice(FOR if label == "favor" else AGAINST) for label in labels]
    joint = r.choice((", but", ", while", " and", "; meanwhile"))
    mention = r.choice((proposal, "it"))
    text = f"{first} {verbs[0]} {proposal}{joint} {second} {verbs[1]} {mention}."
    return [
        {"text": text, "holder": holder, "target": proposal, "label": label}
        for holder, label in zip((first, second), labels)
    ]


def _conditional_acceptance(r: random.Random) -> list[Pair]:
    holder, proposal = r.choice(HOLDERS), r.choice(PROPOSALS)
    frame = r.choice(("said it was ready to sign", "would accept", "is willing to back",
                      "offered to endorse"))  # fmt: skip
    condition = r.choice(("if the guarantees are written in", "provided the monitors are "
                          "admitted", "once the prisoners are freed", "as long as the "
                          "deadline is extended"))  # fmt: skip
    text = f"{holder} {frame} {proposal} {condition}."
    return [{"text": text, "holder": holder, "target": proposal, "label": "favor"}]


def _reported(r: random.Random) -> list[Pair]:
    reporter, holder = r.sample(HOLDERS, 2)
    holder = _inside(holder)
    proposal = r.choice(PROPOSALS)
    label = r.choice(("favor", "against"))
    verb = r.choice(FOR if label == "favor" else AGAINST)
    text = f"{reporter} said that {holder} had {verb} {proposal}."
    return [{"text": text, "holder": holder, "target": proposal, "label": label}]


FAMILIES: dict[str, Callable[[random.Random], list[Pair]]] = {
    "lifting": _lifting,
    "demand": _demand,
    "two holders": _two_holders,
    "conditional acceptance": _conditional_acceptance,
    "reported": _reported,
}


def synthetic_pairs(per_family: int, seed: int = 13) -> list[dict]:
    """About ``per_family`` distinct sentences of every family (two pairs for two holders),
    as stance training records, in a fixed order for ``seed``."""
    r = random.Random(seed)
    out: list[dict] = []
    seen: set[str] = set()
    for name, make in FAMILIES.items():
        found, tries = 0, 0
        while found < per_family and tries < per_family * 20:
            tries += 1
            pairs = make(r)
            if pairs[0]["text"] in seen:
                continue
            seen.add(pairs[0]["text"])
            found += 1
            out += [{**pair, "corpus": f"synthetic-{name}"} for pair in pairs]
    return out
