"""The Analyzer on ordinary and hostile input: offsets stay exact, nothing crashes."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import diplolex
from diplolex.analyzer import Analyzer
from tests.conftest import assert_offsets_exact


@pytest.mark.parametrize("text", ["", "   \n\t  "])
def test_empty_and_whitespace_give_an_empty_document(nlp, text):
    doc = nlp(text)
    assert doc.text == text
    assert doc.sentences == [] and doc.conditionals == []


@pytest.mark.parametrize("bad", [None, 42, b"bytes are not text", ["nested", ["list"]]])
def test_non_str_input_raises_type_error(bad):
    with pytest.raises(TypeError, match="str"):
        diplolex.analyze(bad)


def test_analyze_list_returns_one_document_per_text_in_order(nlp):
    texts = ["The summit ended.", "", "Aid will flow if the truce holds. Talks resume today."]
    docs = list(nlp.pipe(texts))
    assert [d.text for d in docs] == texts
    assert [len(d.sentences) for d in docs] == [1, 0, 2]


def test_unknown_task_and_targets_are_clear_errors():
    with pytest.raises(ValueError, match="unknown or unavailable task"):
        diplolex.analyze("Talks resumed.", tasks=["sentiment"])
    with pytest.raises(ValueError, match="stance"):
        diplolex.analyze("Talks resumed.", targets=["the talks"])


def test_bad_batch_size_is_rejected():
    with pytest.raises(ValueError, match="batch_size"):
        Analyzer(batch_size=0)


@pytest.mark.parametrize(
    "text",
    [
        "Talks\x00 resumed\x07 in Geneva.\x1b If the truce holds, aid\u200b will flow.",
        "<p>Sanctions will be lifted <b>if</b> the prisoners are released.</p><br/>",
        "The envoy 🤝 said peace 🕊️ is possible if both sides compromise 🙏.",
        "Si le cessez-le-feu tient, l'aide arrivera. Если переговоры сорвутся, санкции ужесточат.",
        "如果停火协议得到遵守，援助将会到达。谈判明天继续。",
        "« Nous ne céderons pas », a déclaré le ministre.\r\n\r\nLa séance est levée.",
    ],
    ids=["control", "html", "emoji", "french-russian", "chinese", "crlf-quotes"],
)
def test_unusual_text_keeps_offsets_exact(nlp, text):
    doc = nlp(text)
    assert doc.sentences
    assert_offsets_exact(doc)


def test_a_3000_token_sentence_is_windowed_not_an_error(nlp):
    clause = "the delegation would return to the table if the shelling stopped and "
    text = "Officials said " + clause * 230 + "everyone agreed."
    assert len(nlp.encoder.tokenizer(text)["input_ids"]) > 3000
    doc = nlp(text)
    assert len(doc.sentences) == 1
    assert_offsets_exact(doc)
    assert doc.sentences[0].conditional


def test_two_megabyte_document_is_processed_in_bounded_batches(nlp, monkeypatch):
    sentence = "Ministers met in Vienna on Tuesday and agreed to meet again next month. "
    text = sentence * (2_000_000 // len(sentence) + 1)
    assert len(text) >= 2_000_000
    calls: list[int] = []
    real = Analyzer._analyze_sentences

    def spy(self, sentences):
        calls.append(len(sentences))
        return real(self, sentences)

    monkeypatch.setattr(Analyzer, "_analyze_sentences", spy)
    doc = nlp(text)
    assert len(doc.sentences) == text.count("Tuesday")
    assert max(calls) <= 512 and sum(calls) == len(doc.sentences)
    assert not any(s.conditional for s in doc.sentences)
    assert_offsets_exact(doc)


NEWSY = st.sampled_from(
    [
        "If the talks fail, sanctions follow.", "Gen. Ortiz met U.S. envoys.", '"No," he said.',
        "Aid flows unless the border closes", "\n\n", "  ", "—", "…", "U.N.", "«Oui»", "🕊️",
        "<br>", "\x00", "Had Paris agreed, the deal would stand.", "e.g.", "3.5%", "?!",
    ]
)  # fmt: skip


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.one_of(NEWSY, st.text(max_size=30)), max_size=8).map("".join))
def test_every_span_matches_the_document_text(nlp, text):
    doc = nlp(text)
    assert_offsets_exact(doc)
    starts = [s.start for s in doc.sentences]
    assert starts == sorted(starts)
    for c in doc.conditionals:
        assert c.condition.text and c.type in ("offer", "threat", "demand", "hypothetical")
        assert 0.0 <= c.score <= 1.0 and 0.0 <= c.type_score <= 1.0
