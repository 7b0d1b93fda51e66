"""Document-level stances (diplolex.tasks.stance.document): holders, target spans, proposals.

End-to-end tests use the shipped stance weights on project-written sentences and assert only
clear decisions; the rules themselves (score formula, filtering, batching) are checked with a
stub scorer whose probabilities are fixed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

import diplolex
from diplolex.encoder import SharedEncoder
from diplolex.segment import split_sentences
from diplolex.tasks.stance.document import check_targets, document_stances
from diplolex.tasks.stance.predict import StanceModel
from diplolex.types import Attribution, Span, Stance, StanceResult


@pytest.fixture(scope="module")
def model() -> StanceModel:
    return StanceModel.load()


@pytest.fixture(scope="module")
def encoder(model: StanceModel) -> SharedEncoder:
    return SharedEncoder(max_tokens=model.config.max_tokens)


class StubModel:
    """Returns the same probabilities for every pair and records each call."""

    def __init__(self, probabilities: dict[str, float]) -> None:
        self.probabilities = probabilities
        self.calls: list[tuple[list[str], list[str]]] = []
        self.holders: list[list[str]] = []

    def predict_pairs(self, encoder, texts, targets, batch_size=32, holders=None):
        self.calls.append((list(texts), list(targets)))
        self.holders.append(list(holders))
        best = max(self.probabilities, key=self.probabilities.get)
        result = StanceResult(best, self.probabilities[best], dict(self.probabilities))
        return [result] * len(texts)


NEUTRAL = {"favor": 0.1, "against": 0.2, "neutral": 0.5, "unrelated": 0.2}


def stub_run(text: str, targets, attributions=(), probabilities=NEUTRAL):
    stub = StubModel(probabilities)
    bounds = split_sentences(text)
    stances = document_stances(text, bounds, list(attributions), targets, stub, None)
    for s in stances:
        assert_exact(text, s)
    return stances, stub


def span(text: str, part: str, after: int = 0) -> Span:
    start = text.index(part, after)
    return Span.of(text, start, start + len(part))


def assert_exact(text: str, stance: Stance) -> None:
    for s in (stance.target, stance.holder_span):
        if s is not None:
            assert 0 <= s.start <= s.end <= len(text)
            assert text[s.start : s.end] == s.text
    if stance.holder_span is not None:
        assert stance.holder == stance.holder_span.text
    else:
        assert stance.holder == "author"
    assert stance.stance in ("favor", "against", "neutral")
    assert 0.0 <= stance.score <= 1.0


# --- with the shipped model -------------------------------------------------------------


def test_acting_subject_and_exact_offsets(model, encoder):
    text = "Talks resumed in Vienna. Iran condemned the new sanctions."
    stances = document_stances(
        text, split_sentences(text), [], ["the new sanctions"], model, encoder
    )
    assert len(stances) == 1
    s = stances[0]
    assert_exact(text, s)
    assert s.holder == "Iran"
    assert s.holder_span == span(text, "Iran")
    assert s.target == span(text, "the new sanctions")
    assert s.stance == "against"


def test_holder_from_attribution_and_resolved_source(model, encoder):
    text = "Lavrov spoke in Geneva. He said the truce proposal was a trap."
    attribution = SimpleNamespace(
        source=span(text, "He"),
        cue=span(text, "said"),
        content=span(text, "the truce proposal was a trap"),
        score=0.9,
        resolved_source=span(text, "Lavrov"),
    )
    bounds = split_sentences(text)
    stances = document_stances(text, bounds, [attribution], ["the truce proposal"], model, encoder)
    second = [s for s in stances if s.target.start > bounds[0][1]]
    assert len(second) == 1
    assert_exact(text, second[0])
    assert second[0].holder == "Lavrov"
    assert second[0].holder_span == span(text, "Lavrov")
    assert second[0].target == span(text, "the truce proposal")

    plain = Attribution(attribution.source, attribution.cue, attribution.content, 0.9)
    stances = document_stances(text, bounds, [plain], ["the truce proposal"], model, encoder)
    second = [s for s in stances if s.target.start > bounds[0][1]]
    assert [s.holder for s in second] == ["He"]
    assert second[0].holder_span == span(text, "He")


def test_proposed_targets_from_position_verbs(model, encoder):
    text = "The opposition rejected the plan. Rain fell in the capital on Monday."
    stances = document_stances(text, split_sentences(text), [], None, model, encoder)
    assert len(stances) == 1
    s = stances[0]
    assert_exact(text, s)
    assert s.target == span(text, "the plan")
    assert s.holder == "The opposition"
    assert s.holder_span == span(text, "The opposition")


def test_unrelated_pairs_are_dropped(model, encoder):
    text = "The central bank raised interest rates by half a point on Thursday."
    stances = document_stances(
        text, split_sentences(text), [], ["the truce proposal"], model, encoder
    )
    assert stances == []


def test_two_hundred_targets(model, encoder):
    text = "The ministers met in Doha on Monday."
    targets = [f"proposal number {i}" for i in range(200)]
    stub = StubModel(NEUTRAL)
    stances = document_stances(text, [(0, len(text))], [], targets, stub, None)
    assert len(stub.calls) == 1 and len(stub.calls[0][1]) == 200
    assert len(stances) == 200
    began = time.perf_counter()
    stances = document_stances(text, [(0, len(text))], [], targets, model, encoder, 64)
    assert time.perf_counter() - began < 60
    for s in stances:
        assert_exact(text, s)


# --- the rules, with a stub scorer ------------------------------------------------------


def test_one_batched_call_and_score_formula():
    text = "Iran condemned the new sanctions. Qatar welcomed the talks."
    probs = {"favor": 0.1, "against": 0.5, "neutral": 0.2, "unrelated": 0.2}
    stances, stub = stub_run(text, ["sanctions", "talks", "sanctions"], probabilities=probs)
    assert len(stub.calls) == 1
    assert stub.calls[0][1] == ["sanctions", "talks"] * 2  # deduplicated, every pair
    assert stub.calls[0][0][0] == "Iran condemned the new sanctions."
    assert len(stances) == 4
    assert all(s.stance == "against" and s.score == 0.625 for s in stances)
    assert [s.target.start for s in stances] == sorted(s.target.start for s in stances)
    assert sorted(s.query for s in stances) == ["sanctions", "sanctions", "talks", "talks"]
    assert stub.holders[0] == ["Iran", "Iran", "Qatar", "Qatar"]


def test_proposed_targets_have_no_query():
    stances, _ = stub_run("Iran condemned the new sanctions.", None)
    assert stances and all(s.query is None for s in stances)


def test_unrelated_threshold():
    probs = {"favor": 0.3, "against": 0.0, "neutral": 0.0, "unrelated": 0.5}
    stances, _ = stub_run("Iran condemned the new sanctions.", ["sanctions"], probabilities=probs)
    assert stances == []
    probs = {"favor": 0.3, "against": 0.1, "neutral": 0.1, "unrelated": 0.49}
    stances, _ = stub_run("Iran condemned the new sanctions.", ["sanctions"], probabilities=probs)
    assert [(s.stance, s.score) for s in stances] == [("favor", round(0.3 / 0.51, 4))]


def test_target_span_case_insensitive_and_whole_words():
    text = "Ankara opposes nato membership for the region."
    (s,), _ = stub_run(text, ["NATO Membership"])
    assert s.target == span(text, "nato membership")
    text = "The Natorean delegation left."
    (s,), _ = stub_run(text, ["nato"])
    assert s.target == span(text, "The Natorean delegation left")  # no partial word


def test_target_span_by_word_overlap():
    text = "Moscow rejected a 30-day truce proposal on Monday."
    (s,), _ = stub_run(text, ["the truce"])
    assert s.target == span(text, "truce")
    (s,), _ = stub_run(text, ["the truce proposals"])
    assert s.target == span(text, "truce proposal")
    (s,), _ = stub_run(text, ["Monday, the proposal"])
    assert s.target == span(text, "proposal on Monday")  # both content words, one run


def test_target_span_falls_back_to_sentence():
    text = "Aid convoys crossed the border.  The ministers met in Doha on Monday!  "
    stances, _ = stub_run(text, ["ceasefire"])
    assert [s.target.text for s in stances] == [
        "Aid convoys crossed the border",
        "The ministers met in Doha on Monday",
    ]


def test_author_fallback():
    text = "The truce proposal is the best hope for the region."
    (s,), _ = stub_run(text, ["the truce proposal"])
    assert s.holder == "author" and s.holder_span is None


def test_passive_has_no_acting_subject():
    text = "The plan was rejected by the council."
    (s,), _ = stub_run(text, ["the plan"])
    assert s.holder == "author"


def test_acting_subject_rules():
    text = "Officials said that the EU foreign ministers have strongly backed the deal."
    (s,), stub = stub_run(text, ["the deal"])
    assert s.holder == "the EU foreign ministers"
    assert stub.holders == [["the EU foreign ministers"]]  # the model reads the holder
    assert s.holder_span == span(text, "the EU foreign ministers")
    text = "The foreign minister called for a return to talks and welcomed the decision."
    stances, _ = stub_run(text, None)
    assert [s.target.text for s in stances] == ["a return to talks", "the decision"]
    assert {s.holder for s in stances} == {"The foreign minister"}


def test_attribution_without_source_falls_through():
    text = "Iran condemned the new sanctions, according to a statement."
    attribution = Attribution(
        None, span(text, "according to"), span(text, "Iran condemned the new sanctions"), 0.8
    )
    (s,), _ = stub_run(text, ["the new sanctions"], [attribution])
    assert s.holder == "Iran"


def test_attribution_covering_most_of_sentence():
    text = "Beijing said the talks would resume in Geneva next week."
    attribution = Attribution(
        span(text, "Beijing"),
        span(text, "said"),
        span(text, "the talks would resume in Geneva next week"),
        0.9,
    )
    (s,), _ = stub_run(text, ["sanctions relief"], [attribution])
    assert s.target.text == "Beijing said the talks would resume in Geneva next week"
    assert s.holder == "Beijing"


@dataclass(frozen=True)
class ResolvedAttribution(Attribution):
    resolved_source: Span | None = None


def test_proposed_targets_include_short_attribution_contents():
    text = (
        "He said the deal was dead. Officials said the negotiators in Geneva had "
        "worked through the night on a draft that both delegations could accept in principle."
    )
    short = ResolvedAttribution(
        span(text, "He"),
        span(text, "said"),
        span(text, "the deal was dead"),
        0.9,
        resolved_source=None,
    )
    long_start = text.index("the negotiators")
    long = Attribution(
        span(text, "Officials"),
        span(text, "said", long_start - 6),
        Span.of(text, long_start, len(text) - 1),
        0.9,
    )
    stances, stub = stub_run(text, None, [short, long])
    targets = [t for _, t in zip(*stub.calls[0])]
    assert "the deal was dead" in targets
    assert not any(t.startswith("the negotiators") for t in targets)  # > 12 words: a claim
    deal = [s for s in stances if s.target.text == "the deal was dead"]
    assert deal and deal[0].holder == "He" and deal[0].holder_span == span(text, "He")


def test_no_sentences_or_no_targets_skip_the_model():
    stub = StubModel(NEUTRAL)
    assert document_stances("", [], [], ["the deal"], stub, None) == []
    assert document_stances("Talks resumed.", [(0, 14)], [], [], stub, None) == []
    assert document_stances("Rain fell.", [(0, 10)], [], None, stub, None) == []
    assert stub.calls == []


@pytest.mark.parametrize(
    ("targets", "error", "message"),
    [
        ("the deal", TypeError, "list of str"),
        ({"the deal"}, TypeError, "list of str"),
        (["the deal", 3], TypeError, "target 1 is a int"),
        (["the deal", "  "], ValueError, "target 1 is empty"),
        ([""], ValueError, "target 0 is empty"),
    ],
)
def test_bad_targets(targets, error, message):
    with pytest.raises(error, match=message):
        document_stances("Talks resumed.", [(0, 14)], [], targets, StubModel(NEUTRAL), None)


def test_check_targets_dedupes_in_order():
    assert check_targets(("b", "a", " b ", "a")) == ["b", "a"]
    assert check_targets(None) is None


def test_pipe_scores_the_pairs_of_all_documents_in_one_call():
    nlp = diplolex.load()
    texts = [
        "Oslo welcomed the truce proposal on Monday.",
        "Rome rejected the sanctions.",
        "Vienna said nothing.",
    ]
    model = nlp.model("stance")
    calls = []
    original = model.predict_pairs

    def counted(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    model.predict_pairs = counted
    try:
        together = list(nlp.pipe(texts, targets=["the sanctions"]))
    finally:
        del model.predict_pairs
    assert len(calls) == 1
    for doc, text in zip(together, texts):
        alone = nlp(text, targets=["the sanctions"])
        assert len(doc.stances) == len(alone.stances) == 1
        assert [(s.holder, s.target.text, s.stance) for s in doc.stances] == [
            (s.holder, s.target.text, s.stance) for s in alone.stances
        ]
        assert abs(doc.stances[0].score - alone.stances[0].score) <= 1e-4
