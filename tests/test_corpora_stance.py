"""Stance readers on small hand-written fixtures in each corpus format, and on the real data."""

from __future__ import annotations

import csv
import json
import logging
import re
from collections import Counter
from pathlib import Path

import pytest
from shared_data import shared_data

from diplolex.corpora.stance import (
    STANCE_CORPORA,
    load_stance,
    read_diplobench_stance,
    read_emergent,
    read_fnc1,
    read_newsmtsc,
    read_semeval2016_stance,
)

DATA = shared_data()


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), "utf-8")


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def _spans_match(ds) -> bool:
    return all(
        r["target_span"] is None
        or r["text"][r["target_span"]["start"] : r["target_span"]["end"]]
        == r["target_span"]["text"]
        for r in ds
    )


SENTENCE = "Minister Okafor praised the accord, while Senator Brandt called it a betrayal."


def test_newsmtsc_maps_polarity_and_exclusive_offsets(tmp_path: Path, caplog) -> None:
    okafor, brandt = SENTENCE.index("Minister Okafor"), SENTENCE.index("Senator Brandt")
    other = "The delegation from Veloria arrived in Geneva on Tuesday."
    _write_jsonl(
        tmp_path / "newsmtsc" / "devtest_rw.jsonl",
        [
            {
                "primary_gid": "g1",
                "sentence_normalized": SENTENCE,
                "targets": [
                    {
                        "Input.gid": "g1-a",
                        "from": okafor,
                        "to": okafor + len("Minister Okafor"),
                        "mention": "Minister Okafor",
                        "polarity": 6.0,
                    },
                    {
                        "Input.gid": "g1-b",
                        "from": brandt,
                        "to": brandt + len("Senator Brandt"),
                        "mention": "Senator Brandt",
                        "polarity": 2.0,
                        "further_mentions": [{"from": 0, "to": 3, "mention": "Min"}],
                    },
                ],
            },
            {
                "primary_gid": "g2",
                "sentence_normalized": other,
                # offsets shifted by one: the span is dropped, the record kept
                "targets": [
                    {
                        "Input.gid": "g2-a",
                        "from": 5,
                        "to": 16,
                        "mention": "delegation",
                        "polarity": 4.0,
                    }
                ],
            },
        ],
    )
    with caplog.at_level(logging.WARNING, logger="diplolex.corpora.stance"):
        ds = read_newsmtsc(tmp_path, "devtest_rw")
    assert ds["id"] == ["g1-a", "g1-b", "g2-a"]
    assert ds["label"] == ["favor", "against", "neutral"]
    assert ds["target"] == ["Minister Okafor", "Senator Brandt", "delegation"]
    assert ds[1]["target_span"] == {
        "start": brandt,
        "end": brandt + len("Senator Brandt"),
        "text": "Senator Brandt",
    }
    assert ds[2]["target_span"] is None
    assert _spans_match(ds)
    assert "dropped 1 target spans" in caplog.text


def test_newsmtsc_rejects_unknown_polarity(tmp_path: Path) -> None:
    target = {"Input.gid": "x", "from": 0, "to": 8, "mention": "Minister", "polarity": 5.0}
    row = {"primary_gid": "x", "sentence_normalized": SENTENCE, "targets": [target]}
    _write_jsonl(tmp_path / "newsmtsc" / "train.jsonl", [row])
    with pytest.raises(ValueError, match=r"unknown label 5\.0"):
        read_newsmtsc(tmp_path, "train")


def test_fnc1_joins_bodies_and_maps_labels(tmp_path: Path) -> None:
    body_a = (
        'The foreign ministry of Veloria confirmed the summit, saying "all parties" agreed.\n\n'
        "Talks will resume in Montreux."
    )
    body_b = "Officials in Norland said no decision had been taken on the embargo."
    _write_csv(
        tmp_path / "fnc1" / "train_bodies.csv",
        ["Body ID", "articleBody"],
        [["7", body_a], ["12", body_b]],
    )
    _write_csv(
        tmp_path / "fnc1" / "train_stances.reconstructed.csv",
        ["Headline", "Body ID", "Stance"],
        [
            ["Veloria agrees to a summit", "7", "agree"],
            ["Veloria cancels the summit", "7", "disagree"],
            ["Norland lifts the embargo", "12", "discuss"],
            ["Football club signs striker", "12", "unrelated"],
        ],
    )
    ds = read_fnc1(tmp_path, "train")
    assert ds["label"] == ["favor", "against", "neutral", "unrelated"]
    assert ds["text"] == [body_a, body_a, body_b, body_b]
    assert ds["target"][1] == "Veloria cancels the summit"
    assert ds["target_span"] == [None] * 4
    assert ds["id"][0] == "fnc1-train-0"
    assert set(ds["corpus"]) == {"fnc1"}


def test_fnc1_unknown_body_raises(tmp_path: Path) -> None:
    folder = tmp_path / "fnc1"
    _write_csv(folder / "competition_test_bodies.csv", ["Body ID", "articleBody"], [["1", "Text."]])
    _write_csv(
        folder / "competition_test_stances.csv",
        ["Headline", "Body ID", "Stance"],
        [["Headline", "2", "agree"]],
    )
    with pytest.raises(ValueError, match="Body ID '2'"):
        read_fnc1(tmp_path, "competition_test")


def test_emergent_reads_headline_pairs(tmp_path: Path) -> None:
    _write_csv(
        tmp_path / "emergent" / "emergent" / "url-versions-2015-06-14-clean-test.csv",
        ["", "claimHeadline", "articleHeadline", "articleHeadlineStance", "articleId", "claimId"],
        [
            [
                "0",
                "Norland will close its embassy",
                "Norland shutters embassy, envoy says",
                "for",
                "a1",
                "c1",
            ],
            [
                "1",
                "Norland will close its embassy",
                "Norland denies embassy closure",
                "against",
                "a2",
                "c1",
            ],
            [
                "2",
                "Norland will close its embassy",
                "Reports: Norland may close embassy",
                "observing",
                "a3",
                "c1",
            ],
        ],
    )
    ds = read_emergent(tmp_path, "test")
    assert ds["label"] == ["favor", "against", "neutral"]
    assert ds["text"][1] == "Norland denies embassy closure"
    assert ds["target"] == ["Norland will close its embassy"] * 3
    assert ds["id"] == ["a1", "a2", "a3"]


def test_semeval_header_headerless_and_latin1(tmp_path: Path) -> None:
    folder = tmp_path / "semeval2016-task6-stance" / "data-all-annotations"
    folder.mkdir(parents=True)
    header = "ID\tTarget\tTweet\tStance\tOpinion towards\tSentiment\r\n"
    rows = [
        "101\tThe Treaty\tProud our envoys signed the treaty! #SemST\tFAVOR\tTARGET\tPOSITIVE\r\n",
        "102\tThe Treaty\tThis treaty sells out our farmers #SemST\tAGAINST\tTARGET\tNEGATIVE\r\n",
    ]
    (folder / "trainingdata-all-annotations.txt").write_bytes((header + "".join(rows)).encode())
    zurich = (
        "10001\tThe Treaty\tSummit in Z\u00fcrich starts at noon #SemST\tNONE\tNO ONE\tNEITHER\r\n"
    )
    minister = (
        "10002\tThe Treaty\tLe ministre a d\u00e9clar\u00e9 son soutien\tFAVOR\tTARGET\tX\r\n"
    )
    # the test file has no header; its second line is Latin-1, not UTF-8
    test_file = folder / "testdata-taskA-all-annotations.txt"
    test_file.write_bytes(zurich.encode("utf-8") + minister.encode("latin-1"))
    ds = read_semeval2016_stance(tmp_path, "train")
    assert ds["id"] == ["semeval2016-101", "semeval2016-102"]
    assert ds["label"] == ["favor", "against"]
    assert ds["target"] == ["The Treaty", "The Treaty"]
    ds = read_semeval2016_stance(tmp_path, "test")
    assert len(ds) == 2
    assert ds["label"] == ["neutral", "favor"]
    assert ds["text"] == [
        "Summit in Z\u00fcrich starts at noon #SemST",
        "Le ministre a d\u00e9clar\u00e9 son soutien",
    ]


def test_diplobench_stance_one_record_per_stance(tmp_path: Path) -> None:
    text = "Veloria rejected the proposed buffer zone but welcomed the prisoner exchange."
    zone, exchange = text.index("the proposed buffer zone"), text.index("the prisoner exchange")
    rows = [
        {
            "id": "s1",
            "text": text,
            "stances": [
                {
                    "holder": "Veloria",
                    "target": {"start": zone, "end": zone + 24, "text": "the proposed buffer zone"},
                    "stance": "against",
                },
                {
                    "holder": "Veloria",
                    "target": {
                        "start": exchange,
                        "end": exchange + 21,
                        "text": "the prisoner exchange",
                    },
                    "stance": "favor",
                },
            ],
        },
        {"id": "s2", "text": "The talks ended on Friday.", "stances": []},
        {
            "id": "s3",
            "text": "Norland is weighing the offer.",
            "stances": [
                {
                    "holder": "Norland",
                    "target": {"start": 0, "end": 5, "text": "the offer"},
                    "stance": "neutral",
                }
            ],
        },
    ]
    _write_jsonl(tmp_path / "dev.jsonl", rows)
    ds = read_diplobench_stance(tmp_path / "dev.jsonl")
    assert ds["id"] == ["s1-0", "s1-1", "s3-0"]
    assert ds["label"] == ["against", "favor", "neutral"]
    assert ds["target"] == ["the proposed buffer zone", "the prisoner exchange", "the offer"]
    assert ds[1]["target_span"]["start"] == exchange
    assert ds[2]["target_span"] is None
    assert _spans_match(ds)


def test_load_stance_dispatch_and_errors(tmp_path: Path) -> None:
    _write_jsonl(
        tmp_path / "diplobench" / "dev.jsonl", [{"id": "s", "text": "No stance.", "stances": []}]
    )
    assert len(load_stance("diplobench-dev", tmp_path)) == 0
    with pytest.raises(ValueError, match="unknown stance corpus"):
        load_stance("newsmtsc-dev", tmp_path)
    for name in (n for n in STANCE_CORPORA if n != "diplobench-dev"):
        with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path))):
            load_stance(name, tmp_path)


@pytest.mark.skipif(not (DATA / "newsmtsc").is_dir(), reason="shared data not available")
def test_real_newsmtsc_devtest_rw() -> None:
    ds = read_newsmtsc(DATA, "devtest_rw")
    assert len(ds) == 1146  # PROVENANCE.txt: 1,067 sentences / 1,146 targets
    assert len(set(ds["text"])) <= 1067
    assert Counter(ds["label"]) == {"neutral": 455, "against": 429, "favor": 262}
    assert all(span is not None for span in ds["target_span"])
    assert _spans_match(ds)


@pytest.mark.skipif(not (DATA / "diplobench").is_dir(), reason="shared data not available")
def test_real_diplobench_stance() -> None:
    ds = load_stance("diplobench-dev", DATA)
    assert len(ds) == 111
    assert set(ds["label"]) <= {"favor", "against", "neutral"}
    assert _spans_match(ds)
