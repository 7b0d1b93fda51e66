"""Conditionality readers on small invented fixtures in each corpus format, plus the real data."""

from __future__ import annotations

import csv
import json
import logging
import re
from pathlib import Path

import pytest
from shared_data import shared_data

from diplolex.corpora.conditionality import (
    load_conditionality,
    read_diplobench_conditionality,
    read_diplocond,
    read_gum_condition_relations,
    read_semeval2020_task5,
)
from diplolex.corpora.paths import resolve_data_dir

SHARED_DATA = shared_data()


def span(text: str, part: str) -> dict:
    """The span of ``part`` as a whole phrase (so "if" is not found inside "lift")."""
    start = re.search(rf"\b{re.escape(part)}\b", text).start()
    return {"start": start, "end": start + len(part), "text": part}


def assert_spans_valid(records) -> None:
    for record in records:
        for entry in record["conditionals"]:
            for role in ("cue", "condition", "consequence"):
                s = entry[role]
                if s is not None:
                    assert record["text"][s["start"] : s["end"]] == s["text"], (record["id"], role)
                    assert s["text"] == s["text"].strip()
                    assert not s["text"].endswith((".", ","))


# --- diplocond -------------------------------------------------------------------------------

OFFER = "The ministry will lift the embargo if the prisoners are released."
PLAIN = "Humanitarian conditions in the camps have worsened."
SHIFTED = "Unless the shelling stops, no talks will be held in Vienna."


@pytest.fixture
def diplocond_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "diplocond"
    folder.mkdir()
    bad_condition = span(SHIFTED, "Unless the shelling stops")
    bad_condition["start"] += 3
    bad_condition["end"] += 3
    rows = [
        {
            "id": "t-1",
            "text": OFFER,
            "source": "invented",
            "conditional": True,
            "conditionals": [
                {
                    "type": "offer",
                    "cue": span(OFFER, "if"),
                    "condition": span(OFFER, "if the prisoners are released"),
                    "consequence": span(OFFER, "The ministry will lift the embargo"),
                }
            ],
        },
        {
            "id": "t-2",
            "text": PLAIN,
            "source": "invented",
            "conditional": False,
            "conditionals": [],
        },
        {
            "id": "t-3",
            "text": SHIFTED,
            "source": "invented",
            "conditional": True,
            "conditionals": [
                {
                    "type": "demand",
                    "cue": span(SHIFTED, "Unless"),
                    "condition": bad_condition,
                    "consequence": {"start": 27, "end": 40, "text": "no talks ever"},
                }
            ],
        },
    ]
    (folder / "dev.jsonl").write_text(
        "".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8"
    )
    return folder


def test_diplocond_fields_and_offsets(diplocond_dir: Path) -> None:
    ds = read_diplocond(diplocond_dir, "dev")
    assert len(ds) == 3
    first = ds[0]
    assert first["corpus"] == "diplocond"
    assert first["conditional"] is True
    assert first["counterfactual"] is None
    assert first["spans_complete"] is True
    entry = first["conditionals"][0]
    assert entry["type"] == "offer"
    assert entry["cue"] == {"start": 35, "end": 37, "text": "if"}
    assert entry["consequence"]["text"] == "The ministry will lift the embargo"
    assert ds[1]["conditional"] is False
    assert ds[1]["conditionals"] == []
    assert_spans_valid(ds)


def test_diplocond_bad_spans_repaired_or_dropped(
    diplocond_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="diplolex.corpora.conditionality"):
        ds = read_diplocond(diplocond_dir / "dev.jsonl")
    entry = ds[2]["conditionals"][0]
    assert entry["condition"] == {"start": 0, "end": 25, "text": "Unless the shelling stops"}
    assert entry["consequence"] is None
    assert ds[2]["spans_complete"] is False
    assert ds[0]["spans_complete"] is True
    assert "spans dropped 1" in caplog.text
    assert "spans repaired 1" in caplog.text


def test_diplocond_split_checks(diplocond_dir: Path) -> None:
    with pytest.raises(ValueError, match="unknown split"):
        read_diplocond(diplocond_dir)
    with pytest.raises(ValueError, match="does not match"):
        read_diplocond(diplocond_dir / "dev.jsonl", "train")
    with pytest.raises(FileNotFoundError, match=r"train\.jsonl"):
        read_diplocond(diplocond_dir, "train")


def test_diplobench_reads_conditionality_layer(diplocond_dir: Path, tmp_path: Path) -> None:
    row = json.loads((diplocond_dir / "dev.jsonl").read_text(encoding="utf-8").splitlines()[0])
    row.update(attributions=[], stances=[])
    path = tmp_path / "bench.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    ds = read_diplobench_conditionality(path)
    assert ds[0]["corpus"] == "diplobench"
    assert ds[0]["conditionals"][0]["condition"]["text"] == "if the prisoners are released"


# --- SemEval-2020 task 5 -------------------------------------------------------------------------

ST2_HEADER = [
    "sentenceID",
    "sentence",
    "antecedent",
    "consequent",
    "antecedent_startid",
    "antecedent_endid",
    "consequent_startid",
    "consequent_endid",
]


def st2_row(id_: int, sentence: str, antecedent: str, consequent: str | None) -> list:
    """A subtask-2 row with END-INCLUSIVE offsets, as the organisers distribute them."""
    a = sentence.index(antecedent)
    if consequent is None:
        return [id_, sentence, antecedent, "{}", a, a + len(antecedent) - 1, -1, -1]
    c = sentence.index(consequent)
    return [
        id_,
        sentence,
        antecedent,
        consequent,
        a,
        a + len(antecedent) - 1,
        c,
        c + len(consequent) - 1,
    ]


@pytest.fixture
def semeval_dir(tmp_path: Path) -> Path:
    root = tmp_path / "semeval2020-task5-counterfactual"
    (root / "Subtask-1").mkdir(parents=True)
    (root / "Subtask-2").mkdir(parents=True)
    with (root / "Subtask-1" / "subtask1_train.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["sentenceID", "gold_label", "sentence"])
        writer.writerow([100001, 1, "Had the envoy stayed, the truce would have lasted."])
        writer.writerow([100002, 0, "If the council agrees, the mission will be extended."])
    shifted = "If the embassy had stayed open, the crisis might have eased."
    wrong = st2_row(
        200006, shifted, "If the embassy had stayed open", "the crisis might have eased"
    )
    wrong[4] += 2
    rows = [
        st2_row(
            200001,
            "If the envoy had stayed in Geneva, the talks would have continued.",
            "If the envoy had stayed in Geneva",
            "the talks would have continued.",
        ),
        st2_row(200002, "If only the ceasefire had held.", "If only the ceasefire had held", None),
        st2_row(
            200003,
            "I wish the delegation had accepted the offer.",
            "I wish the delegation had accepted the offer",
            None,
        ),
        st2_row(
            200004,
            "Even if the treaty had been signed, the border would have stayed closed.",
            "Even if the treaty had been signed",
            "the border would have stayed closed",
        ),
        st2_row(
            200005,
            "But had the minister resigned, the coalition would have collapsed.",
            "But had the minister resigned",
            "the coalition would have collapsed",
        ),
        wrong,
    ]
    with (root / "Subtask-2" / "subtask2_test.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(ST2_HEADER)
        writer.writerows(rows)
    return tmp_path


def test_semeval_subtask1_label0_is_not_non_conditional(semeval_dir: Path) -> None:
    ds = read_semeval2020_task5(semeval_dir, 1, "train")
    assert [r["counterfactual"] for r in ds] == [True, False]
    assert [r["conditional"] for r in ds] == [None, None]
    assert all(r["conditionals"] == [] and r["spans_complete"] is False for r in ds)
    assert ds[0]["id"] == "semeval20t5-100001"


def test_semeval_subtask2_end_inclusive_offsets(semeval_dir: Path) -> None:
    ds = read_semeval2020_task5(semeval_dir, 2, "test")
    record = ds[0]
    assert record["counterfactual"] is True
    assert record["conditional"] is True
    assert record["spans_complete"] is True
    entry = record["conditionals"][0]
    assert entry["type"] == "hypothetical"
    assert entry["cue"] == {"start": 0, "end": 2, "text": "If"}
    assert entry["condition"] == {
        "start": 0,
        "end": 33,
        "text": "If the envoy had stayed in Geneva",
    }
    # the annotated consequent ends with the full stop, which clean_span leaves out
    assert entry["consequence"] == {
        "start": 35,
        "end": 65,
        "text": "the talks would have continued",
    }
    assert_spans_valid(ds)


def test_semeval_subtask2_cue_filter(semeval_dir: Path) -> None:
    ds = {r["id"]: r for r in read_semeval2020_task5(semeval_dir, 2, "test")}
    wish_only = ds["semeval20t5-200002"]
    assert wish_only["conditionals"][0]["consequence"] is None
    assert wish_only["conditionals"][0]["cue"]["text"] == "If"
    assert wish_only["conditional"] is None and wish_only["spans_complete"] is False
    wish = ds["semeval20t5-200003"]["conditionals"][0]
    assert wish["cue"] is None and wish["consequence"] is None
    concessive = ds["semeval20t5-200004"]
    assert concessive["conditional"] is None
    assert concessive["conditionals"][0]["cue"] is None
    assert (
        concessive["conditionals"][0]["condition"]["text"] == "Even if the treaty had been signed"
    )
    inverted = ds["semeval20t5-200005"]
    assert inverted["conditional"] is True
    assert inverted["conditionals"][0]["cue"]["text"] == "had"
    assert inverted["conditionals"][0]["condition"]["text"] == "had the minister resigned"


def test_semeval_offset_mismatch_is_repaired_and_counted(
    semeval_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="diplolex.corpora.conditionality"):
        ds = read_semeval2020_task5(semeval_dir, 2, "test")
    assert ds[5]["conditionals"][0]["condition"]["text"] == "If the embassy had stayed open"
    assert ds[5]["conditionals"][0]["condition"]["start"] == 0
    assert "offset mismatches 1" in caplog.text
    assert "cue filter passed 3" in caplog.text


def test_semeval_argument_checks(semeval_dir: Path) -> None:
    with pytest.raises(ValueError, match="unknown split"):
        read_semeval2020_task5(semeval_dir, 3, "train")
    with pytest.raises(FileNotFoundError, match=r"subtask2_train\.csv"):
        read_semeval2020_task5(semeval_dir, 2, "train")


# --- GUM / GDTB ---------------------------------------------------------------------------------

RELS_HEADER = (
    "doc\tunit1_toks\tunit2_toks\tunit1_txt\tunit2_txt\ts1_toks\ts2_toks\t"
    "unit1_sent\tunit2_sent\tdir\trel_type\torig_label\tlabel"
)
COND = "contingency.condition.arg2-as-cond"


def rel(doc: str, sentence: str, first: int, unit1: str, unit2: str, label: str = COND) -> str:
    """A DISRPT line for two units of one tokenized sentence whose first token is ``first``.

    A unit is ``"a-b"`` or ``"a-b,c-d"`` (token positions within the sentence).
    """
    tokens = sentence.split(" ")

    def ids_and_text(unit: str) -> tuple[str, str]:
        ranges = [tuple(int(i) for i in part.split("-")) for part in unit.split(",")]
        ids = ",".join(f"{a + first}-{b + first}" for a, b in ranges)
        return ids, " <*> ".join(" ".join(tokens[a : b + 1]) for a, b in ranges)

    (ids1, txt1), (ids2, txt2) = ids_and_text(unit1), ids_and_text(unit2)
    sent_ids = f"{first}-{first + len(tokens) - 1}"
    direction = "1>2" if ".arg1-as-" in label else "1<2"
    fields = [doc, ids1, ids2, txt1, txt2, sent_ids, sent_ids, sentence, sentence, direction]
    return "\t".join([*fields, "explicit", label, ".".join(label.split(".")[:2])])


IF_FAIL = "If the talks fail , the embassy will close ."
UNLESS = "Sanctions remain unless the army withdraws ."


@pytest.fixture
def gum_dir(tmp_path: Path) -> Path:
    root = tmp_path / "gum-gdtb-discourse"
    (root / "rels").mkdir(parents=True)
    (root / "splits.md").write_text(
        "# Splits\n\n## dev\n\n  * GUM_news_envoy\n\n## test\n\n  * GUM_reddit_summit\n\n"
        "## test2\n\n  * GENTLE_threat_note\n\n## train\n\n  * GUM_news_summit\n",
        encoding="utf-8",
    )
    other = "The delegates met in Oslo ."
    cross = rel("GUM_news_summit", IF_FAIL, 10, "0-4", "5-9").split("\t")
    cross[2] = cross[6] = "20-25"
    cross[4] = cross[8] = other
    train = [
        RELS_HEADER,
        rel("GUM_news_summit", IF_FAIL, 10, "0-4", "5-9"),
        rel("GUM_news_summit", IF_FAIL, 10, "0-4", "5-9"),  # listed again for a 2nd connective
        rel(
            "GUM_news_summit",
            UNLESS,
            30,
            "0-1",
            "2-6",
            "contingency.negative-condition.arg2-as-negcond",
        ),
        "\t".join(cross),
        rel("GUM_news_summit", other, 40, "0-2", "3-5", "expansion.conjunction"),
        rel(
            "GUM_news_summit",
            "The council may , if it agrees , extend the mandate .",
            50,
            "0-3,7-11",
            "4-6",
        ),
        rel(
            "GUM_news_summit",
            "Aid flows if the border opens .",
            70,
            "0-1",
            "2-5",
            "contingency.condition.arg1-as-cond",
        ),
    ]
    (root / "rels" / "GUM_news_summit.rels").write_text("\n".join(train) + "\n", encoding="utf-8")
    dev = [RELS_HEADER, rel("GUM_news_envoy", "We will sign if they sign .", 0, "0-2", "3-6")]
    (root / "rels" / "GUM_news_envoy.rels").write_text("\n".join(dev) + "\n", encoding="utf-8")
    return tmp_path


def test_gum_condition_relations(gum_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="diplolex.corpora.conditionality"):
        ds = read_gum_condition_relations(gum_dir, "train")
    assert len(ds) == 2
    first, second = ds[0], ds[1]
    assert first["text"] == IF_FAIL
    assert first["conditional"] is True
    assert first["spans_complete"] is False
    assert first["counterfactual"] is None
    entry = first["conditionals"][0]
    assert entry["type"] is None
    assert entry["cue"] == {"start": 0, "end": 2, "text": "If"}
    assert entry["condition"] == {"start": 0, "end": 17, "text": "If the talks fail"}
    assert entry["consequence"] == {"start": 20, "end": 42, "text": "the embassy will close"}
    negative = second["conditionals"][0]
    assert negative["condition"]["text"] == "unless the army withdraws"
    assert negative["consequence"]["text"] == "Sanctions remain"
    assert first["id"] == "gum-GUM_news_summit-10-14-15-19"
    assert_spans_valid(ds)
    for reason in (
        "skipped: duplicate 1",
        "skipped: args in different sentences 1",
        "skipped: discontinuous argument 1",
        "skipped: arg1 as condition 1",
        "condition relations 6",
    ):
        assert reason in caplog.text


def test_gum_split_filtering(gum_dir: Path) -> None:
    dev = read_gum_condition_relations(gum_dir, "dev")
    assert [r["conditionals"][0]["condition"]["text"] for r in dev] == ["if they sign"]
    assert len(read_gum_condition_relations(gum_dir, "test")) == 0  # listed doc has no file
    with pytest.raises(ValueError, match="unknown split"):
        read_gum_condition_relations(gum_dir, "validation")


# --- dispatcher and data folder -------------------------------------------------------------------


def test_load_conditionality_dispatches(diplocond_dir: Path, gum_dir: Path) -> None:
    assert len(load_conditionality("diplocond-dev", diplocond_dir.parent)) == 3
    assert len(load_conditionality("gum-condition-dev", gum_dir)) == 1


def test_load_conditionality_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"diplocond[/\\]dev\.jsonl"):
        load_conditionality("diplocond-dev", tmp_path)
    with pytest.raises(FileNotFoundError, match=r"splits\.md"):
        load_conditionality("gum-condition-train", tmp_path)
    with pytest.raises(ValueError, match="unknown conditionality corpus"):
        load_conditionality("diplocond-test", tmp_path)


def test_resolve_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere"):
        resolve_data_dir(tmp_path / "nowhere")
    monkeypatch.setenv("DIPLOLEX_DATA", str(tmp_path))
    assert resolve_data_dir(None) == tmp_path
    monkeypatch.delenv("DIPLOLEX_DATA")
    (tmp_path / "shared" / "data").mkdir(parents=True)
    (tmp_path / "main").mkdir()
    monkeypatch.chdir(tmp_path / "main")
    assert resolve_data_dir().resolve() == (tmp_path / "shared" / "data").resolve()


# --- the real shared data -------------------------------------------------------------------------


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="shared data folder not available")
def test_real_diplocond_dev_and_semeval_st2_test() -> None:
    dev = load_conditionality("diplocond-dev", SHARED_DATA)
    assert len(dev) == 482  # release v1 (241) + release v2 (241)
    v1 = load_conditionality("diplocond-dev-v1", SHARED_DATA)
    v2 = load_conditionality("diplocond-dev-v2", SHARED_DATA)
    assert (len(v1), len(v2)) == (241, 241)
    assert sorted([*v1["id"], *v2["id"]]) == sorted(dev["id"])
    assert all(r["spans_complete"] for r in dev)
    train_v2 = load_conditionality("diplocond-train-v2", SHARED_DATA)
    assert len(train_v2) == 1764  # of train's 3,005
    assert set(train_v2["id"]) < set(load_conditionality("diplocond-train", SHARED_DATA)["id"])
    st2 = load_conditionality("semeval2020t5-st2-test", SHARED_DATA)
    assert len(st2) == 1950
    assert all(r["counterfactual"] for r in st2)
    assert sum(bool(r["conditional"]) for r in st2) == 1488
    for ds in (dev, st2):
        for record in ds:
            for entry in record["conditionals"]:
                for role in ("cue", "condition", "consequence"):
                    s = entry[role]
                    if s is not None:
                        assert record["text"][s["start"] : s["end"]] == s["text"]


def test_diplocond_release_filter(diplocond_dir: Path) -> None:
    path = diplocond_dir / "dev.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    rows[1]["release"] = "v2"
    rows[2]["release"] = "v1"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    assert list(read_diplocond(path, release="v2")["id"]) == ["t-2"]
    assert list(read_diplocond(path, release="v1")["id"]) == ["t-1", "t-3"]  # no field: v1
    assert len(read_diplocond(path)) == 3
    with pytest.raises(ValueError, match="unknown diplocond release"):
        read_diplocond(path, release="v3")
