"""The spaCy component: nlp.add_pipe("diplolex") on a blank English pipeline."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

spacy = pytest.importorskip("spacy", reason="spaCy is the optional extra diplolex[spacy]")

TEXT = (
    "The foreign minister said the embargo would be lifted if the troops withdrew. "
    "Ankara rejected the proposal on Monday."
)


@pytest.fixture
def blank(nlp, monkeypatch):
    """A blank English pipeline with the component, reusing the session analyzer."""
    monkeypatch.setattr("diplolex.load", lambda **_: nlp)
    pipeline = spacy.blank("en")
    pipeline.add_pipe("diplolex", config={"targets": ["the proposal"]})
    return pipeline


def test_factory_is_registered_through_the_entry_point():
    found = {ep.name: ep.value for ep in entry_points(group="spacy_factories")}
    assert found.get("diplolex") == "diplolex.integrations.spacy:make_diplolex"


def test_component_fills_the_extensions_with_spacy_spans(blank, nlp):
    doc = blank(TEXT)
    expected = nlp(TEXT, targets=["the proposal"])
    assert doc._.diplolex == expected
    [conditional] = doc._.conditionals
    assert isinstance(conditional.condition, spacy.tokens.Span)
    assert conditional.condition.text == "if the troops withdrew"
    assert conditional.condition.label_ == "condition"
    assert conditional.consequence.text == "the embargo would be lifted"
    assert conditional.type == expected.conditionals[0].type
    sources = [a.source.text for a in doc._.attributions if a.source is not None]
    assert "The foreign minister" in sources and "Ankara" in sources
    assert [(s.holder, s.target.text) for s in doc._.stances] == [
        (s.holder, s.target.text) for s in expected.stances
    ]
    assert ("Ankara", "the proposal") in [(s.holder, s.target.text) for s in doc._.stances]
    for found, wanted in zip(doc._.attributions, expected.attributions):
        assert found.content.start_char == wanted.content.start
        assert found.content.end_char == wanted.content.end


def test_spans_that_cut_a_token_grow_to_the_whole_token(blank):
    from diplolex.integrations.spacy import _spacy_span
    from diplolex.types import Span

    doc = blank.make_doc("Talks resumed in Geneva.")
    span = _spacy_span(doc, Span.of(doc.text, 2, 8), "test")  # "lks re"
    assert span.text == "Talks resumed" and span.label_ == "test"


def test_pipe_batches_docs_in_order(blank):
    texts = ["Aid will flow once the ceasefire holds.", "", "Ankara rejected the proposal."]
    docs = list(blank.pipe(texts, batch_size=2))
    assert [d.text for d in docs] == texts
    assert docs[0]._.conditionals[0].cue.text == "once"
    assert docs[1]._.conditionals == [] and docs[1]._.stances == []
