"""Attribution readers on small hand-written brat and JSONL fixtures, and on the real data."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from shared_data import shared_data

from diplolex.corpora.attribution import (
    ATTRIBUTION_CORPORA,
    load_attribution,
    read_diplobench_attribution,
    read_polnear,
    read_reporting_verbs,
)

DATA = shared_data()

DOC = (
    "\u201cWe will not sign under pressure,\u201d Foreign Minister Ana Lind, the envoy of Norland, "
    "said on Monday, \u201cbut we remain open to talks.\u201d\n\n"
    "It was reported that the border crossings would reopen next week.\n\n"
    "The ministry denied that troops had crossed the river.\n"
    "Officials warned of new sanctions.\n"
    "Spokesman Kovac: \u201cNo deal yet.\u201d\n"
)


def _at(phrase: str) -> tuple[int, int]:
    start = DOC.index(phrase)
    return start, start + len(phrase)


def _t(tid: str, kind: str, *phrases: str, text: str | None = None) -> str:
    """A brat T line over the fragments ``phrases`` (annotated text overridable)."""
    fragments = [_at(p) for p in phrases]
    offsets = ";".join(f"{s} {e}" for s, e in fragments)
    covered = " ".join(DOC[s:e] for s, e in fragments) if text is None else text
    return f"{tid}\t{kind} {offsets}\t{covered}\n"


QUOTE_1 = "\u201cWe will not sign under pressure,\u201d"
QUOTE_2 = "\u201cbut we remain open to talks.\u201d"
ANN = (
    # R1: discontinuous content, source with a trailing comma
    _t("T1", "Content", QUOTE_1, QUOTE_2)
    + _t("T2", "Source", "Foreign Minister Ana Lind, the envoy of Norland,")
    + _t("T3", "Cue", "said")
    + _t("T4", "Attribution", "said")
    + "E1\tAttribution:T4 Content:T1 Cue:T3 Source:T2\n"
    # R2: agentless, content opening with the complementizer
    + _t("T5", "Cue", "was reported")
    + _t("T6", "Content", "that the border crossings would reopen next week")
    + _t("T7", "Attribution-no-source", "was reported")
    # a span whose text runs over a line break, then an annotator note
    + _t("T8", "Discuss", "next week.\n\nThe ministry")
    + "#1\tAnnotatorNotes T8\tcheck this\n"
    + "E2\tAttribution-no-source:T7 Content:T6 Cue:T5\n"
    # R3: a plain relation (trailing space after the E line, as in PolNeAR)
    + _t("T9", "Source", "The ministry")
    + _t("T10", "Cue", "denied")
    + _t("T11", "Content", "that troops had crossed the river")
    + _t("T12", "Attribution", "denied")
    + "E3\tAttribution:T12 Source:T9 Cue:T10 Content:T11 \n"
    # R4: a cue whose offsets miss its annotated text: dropped
    + _t("T13", "Source", "Officials")
    + _t("T14", "Cue", "warned of", text="warned")
    + _t("T15", "Content", "new sanctions")
    + _t("T16", "Attribution", "warned of")
    + "E4\tAttribution:T16 Source:T13 Cue:T14 Content:T15\n"
    # R5: a trigger without arguments: dropped
    + "E5\tAttribution-no-source:T7 \n"
    + _t("T17", "Discard", "Officials warned of new sanctions.")
    # R6: a colon as the cue
    + _t("T18", "Source", "Spokesman Kovac")
    + _t("T19", "Cue", ":")
    + _t("T20", "Content", "\u201cNo deal yet.\u201d")
    + _t("T21", "Attribution", ":")
    + "E6\tAttribution:T21 Content:T20 Cue:T19 Source:T18\n"
)


@pytest.fixture
def polnear_dir(tmp_path: Path) -> Path:
    split = tmp_path / "polnear" / "data" / "dev"
    (split / "text").mkdir(parents=True)
    (split / "attributions").mkdir()
    (split / "text" / "doc-a.txt").write_text(DOC, encoding="utf-8", newline="")
    (split / "attributions" / "doc-a_4b22.ann").write_text(ANN, encoding="utf-8", newline="")
    # a second annotator's file, later in sorted order: ignored
    other = _t("T1", "Source", "Officials") + _t("T2", "Cue", "warned of")
    other += (
        _t("T3", "Content", "new sanctions") + "E1\tAttribution:T2 Source:T1 Cue:T2 Content:T3\n"
    )
    (split / "attributions" / "doc-a_ef2d.ann").write_text(other, encoding="utf-8")
    return tmp_path


def _span(phrase: str) -> dict:
    start, end = _at(phrase)
    return {"start": start, "end": end, "text": phrase}


def test_polnear_relations(polnear_dir: Path, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="diplolex.corpora.attribution"):
        ds = read_polnear(polnear_dir, "dev")
    assert len(ds) == 1
    doc = ds[0]
    assert (doc["id"], doc["corpus"], doc["text"]) == ("doc-a", "polnear", DOC)
    assert "dropped 2 attribution relations" in caplog.text
    r1, r2, r3, r6 = doc["attributions"]  # ordered by cue offset
    # discontinuous content -> smallest covering span
    start, end = DOC.index(QUOTE_1), DOC.index(QUOTE_2) + len(QUOTE_2)
    assert r1["content"] == {"start": start, "end": end, "text": DOC[start:end]}
    assert r1["source"] == _span("Foreign Minister Ana Lind, the envoy of Norland")
    assert r1["cue"] == _span("said")
    assert r2 == {
        "source": None,
        "cue": _span("was reported"),
        "content": _span("the border crossings would reopen next week"),
    }
    assert r3 == {
        "source": _span("The ministry"),
        "cue": _span("denied"),
        "content": _span("troops had crossed the river"),
    }
    assert r6 == {
        "source": _span("Spokesman Kovac"),
        "cue": _span(":"),
        "content": _span("\u201cNo deal yet.\u201d"),
    }
    for relation in doc["attributions"]:
        for span in relation.values():
            assert span is None or DOC[span["start"] : span["end"]] == span["text"]


def test_polnear_without_normalization_keeps_extents(polnear_dir: Path) -> None:
    r1, r2, *_ = read_polnear(polnear_dir, "dev", normalize=False)[0]["attributions"]
    assert r1["source"]["text"] == "Foreign Minister Ana Lind, the envoy of Norland,"
    assert r2["content"] == _span("that the border crossings would reopen next week")


def test_polnear_missing_text_and_folder(polnear_dir: Path) -> None:
    missing = polnear_dir / "polnear" / "data" / "dev" / "text" / "doc-a.txt"
    missing.unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        read_polnear(polnear_dir, "dev")
    with pytest.raises(
        FileNotFoundError, match=re.escape(str(polnear_dir / "polnear" / "data" / "test"))
    ):
        load_attribution("polnear-test", polnear_dir)
    with pytest.raises(ValueError, match="unknown split"):
        read_polnear(polnear_dir, "devtest")


def test_diplobench_attribution(tmp_path: Path, caplog) -> None:
    text = "Kremlin spokesman Ivan Petrov said the talks were productive."
    agentless = "It was announced that the embassy would reopen."
    rows = [
        {
            "id": "s1",
            "text": text,
            "attributions": [
                {
                    "source": {"start": 0, "end": 29, "text": "Kremlin spokesman Ivan Petrov"},
                    "cue": {"start": 30, "end": 34, "text": "said"},
                    "content": {"start": 35, "end": 60, "text": "the talks were productive"},
                },
                {  # offsets off by one: dropped
                    "source": None,
                    "cue": {"start": 31, "end": 35, "text": "said"},
                    "content": {"start": 35, "end": 60, "text": "the talks were productive"},
                },
            ],
        },
        {
            "id": "s2",
            "text": agentless,
            "attributions": [
                {
                    "source": None,
                    "cue": {"start": 3, "end": 16, "text": "was announced"},
                    "content": {"start": 22, "end": 46, "text": "the embassy would reopen"},
                }
            ],
        },
        {"id": "s3", "text": "The summit ended.", "attributions": []},
    ]
    path = tmp_path / "diplobench" / "dev.jsonl"
    path.parent.mkdir()
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="diplolex.corpora.attribution"):
        ds = read_diplobench_attribution(path)
    assert "dropped 1 attribution relations" in caplog.text
    assert ds["id"] == ["s1", "s2", "s3"]
    assert [len(a) for a in ds["attributions"]] == [1, 1, 0]
    assert ds[0]["attributions"][0]["source"]["text"] == "Kremlin spokesman Ivan Petrov"
    assert ds[1]["attributions"][0]["source"] is None
    assert len(load_attribution("diplobench-dev", tmp_path)) == 3


def test_reporting_verbs(tmp_path: Path) -> None:
    folder = tmp_path / "lexicons" / "sfu-ggt-quote-verbs"
    with pytest.raises(FileNotFoundError, match=r"quote_verb_list\.txt"):
        read_reporting_verbs(tmp_path)
    folder.mkdir(parents=True)
    (folder / "quote_verb_list.txt").write_text("said\nwarned\nWarns\n\nsaid\n", encoding="utf-8")
    (folder / "PROVENANCE.txt").write_text("Source: not a verb list\n", encoding="utf-8")
    assert read_reporting_verbs(tmp_path) == frozenset({"said", "warned", "warns"})


def test_load_attribution_unknown_name(tmp_path: Path) -> None:
    assert "polnear-dev" in ATTRIBUTION_CORPORA
    with pytest.raises(ValueError, match="unknown attribution corpus"):
        load_attribution("parc3-dev", tmp_path)


@pytest.mark.skipif(not (DATA / "polnear").is_dir(), reason="shared data not available")
def test_real_polnear_dev() -> None:
    ds = load_attribution("polnear-dev", DATA)
    assert len(ds) == 84
    relations = [a for doc in ds["attributions"] for a in doc]
    # PROVENANCE.txt counts 2,320 relations over all 94 dev .ann files; two articles carry six
    # annotator files each, and reading only the first of each leaves 2,193 (one, E21 of a
    # breitbart article, has no arguments and is dropped).
    ann_dir = DATA / "polnear" / "data" / "dev" / "attributions"
    all_e_lines = sum(
        line.startswith("E")
        for p in ann_dir.glob("*.ann")
        for line in p.read_text("utf-8").split("\n")
    )
    assert all_e_lines == 2320
    assert len(relations) == 2192
    assert sum(a["source"] is None for a in relations) == 126
    for doc in ds:
        for relation in doc["attributions"]:
            for span in relation.values():
                if span is not None:
                    assert doc["text"][span["start"] : span["end"]] == span["text"]
                    assert span["text"] == span["text"].strip()


@pytest.mark.skipif(not (DATA / "lexicons").is_dir(), reason="shared data not available")
def test_real_reporting_verbs() -> None:
    verbs = read_reporting_verbs(DATA)
    assert len(verbs) == 257
    assert {"said", "warned", "acknowledges"} <= verbs
