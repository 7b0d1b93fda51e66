import json

import pytest

from diplolex.types import Conditional, Document, Sentence, Span


def test_span_of_takes_text_from_document():
    assert Span.of("Kyiv rejected the plan.", 5, 13) == Span(5, 13, "rejected")


@pytest.mark.parametrize(("start", "end"), [(-1, 2), (3, 2), (0, 99)])
def test_span_of_rejects_offsets_outside_text(start, end):
    with pytest.raises(ValueError, match="outside"):
        Span.of("short", start, end)


def test_document_to_dict_has_the_documented_shape():
    text = "Aid flows if the truce holds."
    condition = Span.of(text, 10, 28)
    doc = Document(
        text=text,
        sentences=[Sentence(0, 29, text, True, 0.9)],
        conditionals=[
            Conditional("hypothetical", 0.8, 0.7, Span.of(text, 10, 12), condition,
                        Span.of(text, 0, 9))
        ],
    )  # fmt: skip
    d = json.loads(doc.to_json())
    assert set(d) == {"text", "sentences", "conditionals", "attributions", "stances"}
    assert d["sentences"][0] == {
        "start": 0, "end": 29, "text": text, "conditional": True, "conditional_score": 0.9,
    }  # fmt: skip
    condition_dict = {"start": 10, "end": 28, "text": "if the truce holds"}
    assert d["conditionals"][0]["condition"] == condition_dict
    assert d["conditionals"][0]["cue"]["text"] == "if"
    assert d["attributions"] == [] and d["stances"] == []
    assert {s.text for s in doc.spans()} == {"if", "if the truce holds", "Aid flows"}


def test_to_json_keeps_non_ascii_text():
    assert "Genève" in Document(text="Genève").to_json()
