"""The Analyzer on ordinary and hostile input: offsets stay exact, nothing crashes."""

from __future__ import annotations

import itertools

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


def test_unknown_task_and_bad_targets_are_clear_errors(nlp):
    with pytest.raises(ValueError, match="unknown or unavailable task"):
        diplolex.analyze("Talks resumed.", tasks=["sentiment"])
    with pytest.raises(ValueError, match="empty"):
        nlp("Talks resumed.", targets=["  "])
    with pytest.raises(TypeError):
        nlp("Talks resumed.", targets=[3])


def test_targets_need_the_stance_task():
    only_conditionality = Analyzer(tasks=["conditionality"])
    with pytest.raises(ValueError, match="stance"):
        only_conditionality("Talks resumed.", targets=["the talks"])
    doc = only_conditionality("Iran condemned the new sanctions.")
    assert doc.stances == [] and doc.sentences[0].conditional is False


def test_analyze_with_targets_fills_stances_with_holder_and_target_span(nlp):
    text = "Talks resumed on Monday. Iran condemned the new sanctions on its oil exports."
    doc = nlp(text, targets=["the new sanctions"])
    (stance,) = doc.stances
    assert stance.target.text == "the new sanctions" and stance.target.start > 24
    assert stance.holder == "Iran" and stance.holder_span == diplolex.Span(25, 29, "Iran")
    assert stance.stance == "against"
    assert_offsets_exact(doc)


def test_without_targets_stances_are_proposed_from_position_taking_verbs(nlp):
    doc = nlp("Iran condemned the new sanctions.")
    assert [(s.holder, s.target.text) for s in doc.stances] == [("Iran", "the new sanctions")]


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
    text = "Officials said " + clause * 240 + "everyone agreed."
    assert len(nlp.encoder.tokenizer(text, verbose=False)["input_ids"]) > 3000
    doc = nlp(text)  # the splitter cuts lines over 2,000 characters at whitespace
    assert sum(len(s.text.split()) for s in doc.sentences) == len(text.split())
    assert_offsets_exact(doc)
    # the model itself windows the whole unsplit sentence (128 word pieces a window)
    (whole,) = nlp.model("conditionality").predict_texts(nlp.encoder, [text])
    assert whole.conditional
    assert whole.conditionals
    for c in whole.conditionals:
        start, end = c.condition
        assert 0 <= start < end <= len(text) and text[start:end] == text[start:end].strip()


def _analyze_with_batch_spy(nlp, monkeypatch, text):
    calls: list[int] = []
    real = Analyzer._read_sentences

    def spy(self, sentences, **options):
        calls.append(len(sentences))
        return real(self, sentences, **options)

    monkeypatch.setattr(Analyzer, "_read_sentences", spy)
    return nlp(text), calls


def test_two_megabyte_document_is_processed_in_bounded_batches(nlp, monkeypatch):
    # 2 MB whose bulk is blank lines between 1,200 real paragraphs: the splitter, chunking and
    # offsets see the full size while the encoder sees ~20k tokens (the all-text 2 MB run is
    # the slow test below).
    paragraph = "Ministers met in Vienna on Tuesday. They agreed to meet again next month."
    text = ("\n" * 1700).join([paragraph] * 1200)
    assert len(text) >= 2_000_000
    doc, calls = _analyze_with_batch_spy(nlp, monkeypatch, text)
    assert len(doc.sentences) == text.count("Ministers") * 2
    assert max(calls) <= 512 and sum(calls) == len(doc.sentences)
    assert not any(s.conditional for s in doc.sentences)
    assert_offsets_exact(doc)


@pytest.mark.slow
def test_two_megabyte_document_of_running_text(nlp, monkeypatch):
    sentence = "Ministers met in Vienna on Tuesday and agreed to meet again next month. "
    text = sentence * (2_000_000 // len(sentence) + 1)
    doc, calls = _analyze_with_batch_spy(nlp, monkeypatch, text)
    assert len(doc.sentences) == text.count("Tuesday")
    assert max(calls) <= 512 and sum(calls) == len(doc.sentences)
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


def test_stance_holder_comes_from_the_attribution_covering_the_target(nlp):
    text = (
        "Foreign Minister Ivan Petrov said on Monday that his government rejected "
        "the truce proposal."
    )
    doc = nlp(text, targets=["the truce proposal"])
    (attribution,) = doc.attributions
    assert attribution.source.text == "Foreign Minister Ivan Petrov"
    mentioned = [s for s in doc.stances if s.target.text == "the truce proposal"]
    assert mentioned, doc.stances
    assert mentioned[0].holder == "Foreign Minister Ivan Petrov"
    assert mentioned[0].holder_span == attribution.source


def test_the_readme_example_gives_what_the_readme_shows():
    import doctest
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    readme = readme.replace("\n```", "\n\n```")  # a code fence ends the expected output
    test = doctest.DocTestParser().get_doctest(readme, {}, "README.md", "README.md", 0)
    assert test.examples, "README.md has no >>> example"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


class _NextSentenceAttributions:
    """A stand-in attribution model: in the sentences it is given, the first word of each
    sentence is a cue whose content is the whole next sentence (a relation that crosses a
    sentence boundary, and so may cross a chunk boundary)."""

    def __init__(self) -> None:
        self.buffer_sizes: list[int] = []

    def predict_document(self, text, bounds, states):
        from diplolex.tasks.attribution.prediction import AttributionPrediction

        assert len(states) == len(bounds)
        self.buffer_sizes.append(len(bounds))
        return [
            AttributionPrediction(None, (s0, text.index(" ", s0)), (s1, e1), 1.0)
            for (s0, _), (s1, e1) in itertools.pairwise(bounds)
        ]


def test_a_long_document_read_in_chunks_keeps_relations_that_cross_a_chunk(nlp, monkeypatch):
    import diplolex.analyzer as analyzer_module
    import diplolex.tasks.attribution.predict as attribution_module

    text = " ".join(f"Harbour {i} reopened on time." for i in range(20))
    stub = _NextSentenceAttributions()
    monkeypatch.setattr(nlp.model("attribution"), "predict_document", stub.predict_document)
    monkeypatch.setattr(analyzer_module, "_SENTENCES_PER_CHUNK", 6)
    monkeypatch.setattr(attribution_module, "CONTEXT_SENTENCES", 2)
    doc = nlp(text)
    assert len(doc.sentences) == 20 and len(stub.buffer_sizes) == 4  # four chunks
    assert max(stub.buffer_sizes) <= 6 + 2 * 2
    expected = [(a.start, b.start) for a, b in itertools.pairwise(doc.sentences)]
    assert [(r.cue.start, r.content.start) for r in doc.attributions] == expected
    assert_offsets_exact(doc)
