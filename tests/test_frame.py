"""diplolex.to_frame: one DataFrame row per sentence, conditional, attribution or stance."""

from __future__ import annotations

import pytest

from diplolex.frame import COLUMNS, LAYERS, rows, to_frame

pd = pytest.importorskip("pandas", reason="pandas is the optional extra diplolex[pandas]")

TEXTS = [
    "The foreign minister said the embargo would end if the troops withdrew. "
    "Talks are set for March.",
    "Ankara rejected the proposal on Monday.",
    "",
]


@pytest.fixture(scope="module")
def docs(nlp):
    return list(nlp.pipe(TEXTS, targets=["the proposal", "the embargo"]))


def test_sentences_layer_has_one_row_per_sentence_with_offsets_and_scores(docs):
    frame = to_frame(docs, "sentences", ids=["wire-1", "wire-2", "empty"])
    assert list(frame.columns) == COLUMNS["sentences"]
    assert len(frame) == sum(len(d.sentences) for d in docs) == 3
    assert frame["doc"].tolist() == [0, 0, 1]
    assert frame["doc_id"].tolist() == ["wire-1", "wire-1", "wire-2"]
    assert frame["sentence"].tolist() == [0, 1, 0]
    assert frame["conditional"].tolist() == [True, False, False]
    for row in frame.itertuples():
        assert TEXTS[row.doc][row.start : row.end] == row.text


def test_conditionals_layer_flattens_the_spans(docs):
    frame = to_frame(docs, "conditionals")
    assert list(frame.columns) == COLUMNS["conditionals"]
    row = frame.iloc[0]
    assert row["doc"] == 0 and row["doc_id"] == 0 and row["sentence"] == 0
    assert row["condition_text"] == "if the troops withdrew"
    assert TEXTS[0][row["condition_start"] : row["condition_end"]] == row["condition_text"]
    assert row["type"] in ("offer", "threat", "demand", "hypothetical")
    assert str(frame["cue_start"].dtype) == "Int64"


def test_attributions_and_stances_layers(docs):
    attributions = to_frame(docs, "attributions")
    assert list(attributions.columns) == COLUMNS["attributions"]
    first = attributions.iloc[0]
    assert (first["source_text"], first["cue_text"]) == ("The foreign minister", "said")
    stances = to_frame(docs, "stances")
    assert list(stances.columns) == COLUMNS["stances"]
    assert len(stances) == sum(len(d.stances) for d in docs)
    assert set(stances["query"]) <= {"the proposal", "the embargo"}  # which target it answers
    for row in stances.itertuples():
        assert TEXTS[row.doc][row.target_start : row.target_end] == row.target_text
    ankara = stances[(stances["holder"] == "Ankara") & (stances["query"] == "the proposal")]
    ankara = ankara.iloc[0]
    assert ankara["stance"] in ("favor", "against", "neutral")
    assert ankara["target_text"] == "the proposal" and ankara["query"] == "the proposal"


def test_one_document_and_empty_results_keep_the_columns(docs):
    frame = to_frame(docs[2], "conditionals")
    assert frame.empty and list(frame.columns) == COLUMNS["conditionals"]
    assert len(to_frame(docs[1], "sentences")) == 1


def test_rows_match_the_frame_without_pandas(docs):
    for layer in LAYERS:
        assert len(rows(docs, layer)) == len(to_frame(docs, layer))


def test_bad_arguments_say_what_is_wrong(docs):
    with pytest.raises(ValueError, match="unknown layer 'sentence'"):
        to_frame(docs, "sentence")
    with pytest.raises(ValueError, match="3 documents but 1 ids"):
        to_frame(docs, ids=["a"])
    with pytest.raises(TypeError, match="item 1 is a str"):
        to_frame([docs[0], "text"])


def test_document_to_frame_is_the_module_function() -> None:
    import diplolex
    from diplolex.frame import to_frame

    pytest.importorskip("pandas")
    doc = diplolex.analyze("Aid will flow once the ceasefire holds.", tasks=["conditionality"])
    assert doc.to_frame("sentences").equals(to_frame(doc, "sentences"))
