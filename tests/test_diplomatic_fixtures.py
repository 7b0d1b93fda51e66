"""The shipped models on the project's own diplomatic sentences (written for these tests).

Conditionality: a positive sentence for every cue family of task-definitions.md section 1
and the hard negatives the definition names. Stance: reported rejection, demand, lifting,
conditional acceptance and two holders in one sentence.
"""

from __future__ import annotations

import pytest

import diplolex


def _values(case) -> tuple:
    """The fields of a case, whether a plain tuple or a ``pytest.param``."""
    return tuple(case.values) if hasattr(case, "values") else case


def _known_miss(family: str, text: str) -> object:
    """A family the shipped model misses (see docs/models/conditionality.md)."""
    reason = f"known miss of the shipped model: {family} (rare in training)"
    return pytest.param(family, text, marks=pytest.mark.xfail(strict=True, reason=reason))


CONDITIONAL = [
    ("if", "The government will release the detainees if the opposition ends its boycott."),
    ("unless", "Unless the blockade is lifted, the talks will not resume."),
    ("provided", "Aid convoys may enter the city provided that both sides respect the truce."),
    ("as long as", "Sanctions will stay in place as long as the troops remain in the region."),
    ("without", "Without firm security guarantees, the agreement could collapse within weeks."),
    ("otherwise", "The rebels must hand over their weapons by Friday; otherwise "
                "the offensive will continue."),
    ("or face", "Ankara told the militia to withdraw from the town or face "
                "military action."),
    ("contingent on", "Further loans are contingent on the government adopting the "
                "new anti-corruption law."),
    ("in exchange for", "The hostages would be freed in exchange for a halt to the air strikes."),
    ("before", "The opposition insists that political prisoners be released before "
                "any election is held."),
    ("until", "There will be no negotiations until the shelling of civilian areas stops."),
    ("once", "Reconstruction funds will flow once a ceasefire holds."),
    _known_miss("only", "The minister said he would only meet the rebel commander in Geneva."),
    ("conditions", "Moscow has set conditions that must be met before it agrees to a truce."),
    ("ultimatum", "The alliance issued an ultimatum to the junta to restore "
                "civilian rule."),
    ("deadline", "Washington set a deadline for the withdrawal of the foreign "
                "fighters."),
    ("precondition", "Kyiv demands the withdrawal of the occupying troops as a "
                "precondition for negotiations."),
    ("requires", "A lasting settlement requires the withdrawal of all foreign forces."),
    # the rare families again, phrased unlike the written training sentences
    # (diplolex.tasks.conditionality.augment), which share the style of the lines above
    ("ultimatum, colon", "Brussels gave the two parties an ultimatum: agree on a budget by "
     "Monday."),
    ("deadline, set as", "The president set Friday as the deadline for the opposition to "
     "respond to his offer."),
    ("contingent upon", "Whether the embassy reopens is contingent upon a prisoner swap."),
    _known_miss("or face, imperative", "Hand back the captured vessels or face the "
                "consequences, the navy warned."),
    _known_miss("precondition, colon", "Any summit has one precondition: the release of the "
                "hostages."),
    _known_miss("given until", "The mediators gave both camps until the end of the week to "
                "sign the accord."),
]  # fmt: skip

NOT_CONDITIONAL = [
    ("deadline as a date", "The withdrawal deadline passed quietly on Sunday."),
    pytest.param(
        "ultimatum as an event", "The ultimatum expired at midnight and the talks collapsed.",
        marks=pytest.mark.xfail(strict=True, reason="known false flag of the shipped model: "
                                "a named ultimatum is read as conditional even when it only "
                                "expired (docs/models/conditionality.md)"),
    ),
    ("circumstances", "Humanitarian conditions in the camps have worsened sharply this winter."),
    ("plain absence", "The envoy left the meeting without comment."),
    ("temporal until", "Until last year, the border crossing was open to trade."),
    ("temporal before", "Before the meeting, the foreign minister spoke with reporters."),
    ("anonymity", "The officials spoke on condition of anonymity because they were not "
     "authorised to brief the press."),
    ("concessive", "We will press on with the reforms even if sanctions follow."),
    ("indirect question", "Reporters asked if the envoy would attend the summit."),
    ("plain modal", "The talks could resume next week in Vienna."),
    ("problem requiring", "The crisis requires urgent action from the international community."),
]  # fmt: skip


@pytest.fixture(scope="module")
def nlp() -> diplolex.Analyzer:
    return diplolex.load(tasks=["conditionality"])


@pytest.mark.parametrize(("family", "text"), CONDITIONAL, ids=[_values(c)[0] for c in CONDITIONAL])
def test_conditional_family_found(nlp: diplolex.Analyzer, family: str, text: str) -> None:
    doc = nlp(text)
    assert doc.sentences[0].conditional, f"{family}: {doc.sentences[0].conditional_score}"
    assert doc.conditionals, f"{family}: flagged but no construction decoded"
    for c in doc.conditionals:
        assert doc.text[c.condition.start : c.condition.end] == c.condition.text


@pytest.mark.parametrize(
    ("case", "text"), NOT_CONDITIONAL, ids=[_values(c)[0] for c in NOT_CONDITIONAL]
)
def test_hard_negative_not_conditional(nlp: diplolex.Analyzer, case: str, text: str) -> None:
    doc = nlp(text)
    assert not doc.sentences[0].conditional, f"{case}: {doc.sentences[0].conditional_score}"


STANCES = [
    ("reported rejection", "The foreign ministry said Tehran rejected the European proposal.",
     "the European proposal", "Tehran", "against"),
    ("demand", "The Arab League demanded that Israel halt the construction of settlements.",
     "the construction of settlements", "The Arab League", "against"),
    ("demand to stop", "Brussels called on Minsk to stop the deportations.", "the deportations",
     "Brussels", "against"),
    ("demand for", "Ankara demanded the withdrawal of the foreign troops.",
     "the withdrawal of the foreign troops", "Ankara", "favor"),
    ("scrapping", "The ministers agreed to scrap the export tariffs.", "the export tariffs",
     "The ministers", "against"),
    ("second holder, target repeated", "Kenya opposed the resolution but Ghana voted for the "
     "resolution.", "the resolution", "Ghana", "favor"),
    ("first holder, target repeated", "Kenya opposed the resolution but Ghana voted for the "
     "resolution.", "the resolution", "Kenya", "against"),
    ("lifting", "The United States agreed to lift the sanctions on Venezuelan oil.",
     "the sanctions on Venezuelan oil", "The United States", "against"),
    ("conditional acceptance", "Belgrade said it was ready to sign the accord if the "
     "guarantees were written in.", "the accord", "Belgrade", "favor"),
    ("first of two holders", "Paris welcomed the ceasefire plan, but Moscow dismissed it as "
     "a ploy.", "the ceasefire plan", "Paris", "favor"),
    ("second of two holders", "Paris welcomed the ceasefire plan, but Moscow dismissed it as "
     "a ploy.", "the ceasefire plan", "Moscow", "against"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "text", "target", "holder", "expected"),
    STANCES,
    ids=[_values(s)[0] for s in STANCES],
)
def test_holder_stance(case: str, text: str, target: str, holder: str, expected: str) -> None:
    result = diplolex.stance(text, target, holder=holder)
    assert result.label == expected, f"{case}: {result.probabilities}"


def test_stance_batch_with_holders_matches_single_calls() -> None:
    cases = [_values(s) for s in STANCES]
    texts = [s[1] for s in cases]
    targets = [s[2] for s in cases]
    holders = [s[3] for s in cases]
    batch = diplolex.stance(texts, targets, holder=holders)
    for result, text, target, holder in zip(batch, texts, targets, holders):
        single = diplolex.stance(text, target, holder=holder)
        assert result.label == single.label
        assert result.score == pytest.approx(single.score, abs=1e-4)


def test_holder_changes_the_reading() -> None:
    text = "Paris welcomed the ceasefire plan, but Moscow dismissed it as a ploy."
    paris = diplolex.stance(text, "the ceasefire plan", holder="Paris")
    moscow = diplolex.stance(text, "the ceasefire plan", holder="Moscow")
    assert paris.probabilities != moscow.probabilities


def test_holder_argument_errors() -> None:
    with pytest.raises(TypeError, match="holder 1 is a int"):
        diplolex.stance(["a.", "b."], "the plan", holder=["Paris", 3])
    with pytest.raises(ValueError, match="2 texts but 1 holders"):
        diplolex.stance(["a.", "b."], "the plan", holder=["Paris"])
