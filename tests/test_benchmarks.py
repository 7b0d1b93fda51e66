"""The benchmark harness on a tiny invented data folder, with a random-init model.

The sentences below are written for these tests; no dataset text is copied.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from benchmarks import baselines, cli, registry, report, run, scoring

# ---------------------------------------------------------------------------
# A tiny data folder in the published formats


def _span(text: str, part: str) -> dict:
    start = text.index(part)
    return {"start": start, "end": start + len(part), "text": part}


def _diplocond(text: str, cue: str = "", condition: str = "", consequence: str = "") -> dict:
    record = {"id": "t-" + "-".join(text.split()[:4]), "text": text, "source": "invented"}
    if not condition:
        return record | {"conditional": False, "conditionals": []}
    entry = {
        "type": "offer",
        "cue": _span(text, cue),
        "condition": _span(text, condition),
        "consequence": _span(text, consequence) if consequence else None,
    }
    return record | {"conditional": True, "conditionals": [entry]}


TRAIN = [
    _diplocond(
        "The embargo will be lifted if the prisoners are released.",
        "if",
        "if the prisoners are released",
        "The embargo will be lifted",
    ),
    _diplocond(
        "Unless the shelling stops, there will be no talks.",
        "Unless",
        "Unless the shelling stops",
        "there will be no talks",
    ),
    _diplocond(
        "We will retaliate if our ships are attacked.",
        "if",
        "if our ships are attacked",
        "We will retaliate",
    ),
    _diplocond("The minister arrived in Geneva on Tuesday."),
    _diplocond("Humanitarian conditions in the border region remain dire."),
    _diplocond("Reporters asked if the envoy would attend the summit."),
    _diplocond("We will press on even if sanctions follow."),
]
DEV = [
    _diplocond(
        "Sanctions will be eased if the troops withdraw.",
        "if",
        "if the troops withdraw",
        "Sanctions will be eased",
    ),
    _diplocond(
        "If the talks fail, the alliance will send more weapons.",
        "If",
        "If the talks fail",
        "the alliance will send more weapons",
    ),
    _diplocond("The summit ended without a joint statement."),
    _diplocond("Both delegations praised the constructive atmosphere."),
    _diplocond(
        "Kyiv will accept a truce as long as the border is respected.",
        "as long as",
        "as long as the border is respected",
        "Kyiv will accept a truce",
    ),
    _diplocond("The envoy said the talks could resume next week."),
]
ST1_TRAIN = [
    ("1", "Had the envoy stayed, the talks would have continued."),
    ("0", "The envoy left Vienna on Friday."),
    ("1", "The ministers wish they had signed the accord in spring."),
    ("0", "If the council agrees, the mission will start in May."),
    ("0", "Exports rose for the third month in a row."),
    ("1", "The ceasefire could have held if both sides had withdrawn."),
]
ST1_TEST = [
    ("1", "If the bank had cut rates, the crisis would have been milder."),
    ("0", "The bank cut rates on Thursday."),
    ("0", "Observers expect the vote to pass."),
    ("1", "The treaty would have survived had the senate ratified it."),
]
ST2_TEST = [
    (
        "If the summit had gone ahead, the sanctions would have been lifted.",
        "If the summit had gone ahead",
        "the sanctions would have been lifted",
    ),
    (
        "The deal would have collapsed if the mediators had left.",
        "if the mediators had left",
        "The deal would have collapsed",
    ),
    ("If only the envoy had listened.", "If only the envoy had listened", None),
]


def _write_jsonl(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def _st2_row(number: int, text: str, antecedent: str, consequent: str | None) -> list:
    a = text.index(antecedent)
    row = [f"20{number:04d}", text, antecedent]
    if consequent is None:
        return [*row, "{}", a, a + len(antecedent) - 1, -1, -1]
    c = text.index(consequent)
    return [*row, consequent, a, a + len(antecedent) - 1, c, c + len(consequent) - 1]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("data")
    _write_jsonl(root / "diplocond" / "train.jsonl", TRAIN)
    _write_jsonl(root / "diplocond" / "dev.jsonl", DEV)
    st = root / "semeval2020-task5-counterfactual"
    header1 = ["sentenceID", "gold_label", "sentence"]
    _write_csv(
        st / "Subtask-1" / "subtask1_train.csv",
        header1,
        [[f"10{i:04d}", label, text] for i, (label, text) in enumerate(ST1_TRAIN)],
    )
    _write_csv(
        st / "Subtask-1" / "subtask1_test.csv",
        header1,
        [[f"11{i:04d}", label, text] for i, (label, text) in enumerate(ST1_TEST)],
    )
    header2 = ["sentenceID", "sentence", "antecedent", "consequent"]
    header2 += ["antecedent_startid", "antecedent_endid", "consequent_startid", "consequent_endid"]
    _write_csv(
        st / "Subtask-2" / "subtask2_test.csv",
        header2,
        [_st2_row(i, *row) for i, row in enumerate(ST2_TEST)],
    )
    speeches = root / "un-general-debates" / "data" / "data_original" / "TXT" / "Session 1"
    speeches.mkdir(parents=True)
    (speeches / "AAA_1_2000.txt").write_text(
        "We call on all parties to return to the table. Dialogue is the only path.\n\n"
        "Our delegation will support the resolution if it respects sovereignty.\n",
        encoding="utf-8",
    )
    return root


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    from diplolex.adapter import copy_adapter, has_adapter
    from diplolex.tasks.conditionality.model import ConditionalityConfig, ConditionalityHead
    from diplolex.tasks.conditionality.predict import ConditionalityModel

    torch.manual_seed(0)
    config = ConditionalityConfig()
    folder = tmp_path_factory.mktemp("weights")
    ConditionalityModel(ConditionalityHead(config), config).save(folder, "random test head")
    shipped = ConditionalityModel.shipped_weights
    if has_adapter(shipped):  # a head on the shipped shared encoder, as attribution reads it
        copy_adapter(shipped, folder)
    return folder


@pytest.fixture(scope="module")
def run_file(data_dir: Path, model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("results") / "run.json"
    argv = ["run", "--data", str(data_dir), "--model", str(model_dir), "--task", "conditionality"]
    assert cli.main([*argv, "--limit", "5", "--resamples", "20", "--out", str(out)]) == 0
    return out


# ---------------------------------------------------------------------------
# run


RESULT_KEYS = {
    "benchmark", "task", "dataset", "split", "n", "system", "figures", "ci95", "model",
    "diplolex_version", "date", "machine", "seconds",
}  # fmt: skip


def test_run_writes_one_json_with_every_result(run_file: Path) -> None:
    content = json.loads(run_file.read_text())
    assert content["kind"] == "run" and content["errors"] == []
    results = content["results"]
    found = {(r["dataset"], r["system"]) for r in results}
    assert ("diplocond-dev", "diplolex") in found
    assert ("diplocond-dev", "cue-rule") in found
    assert ("semeval2020t5-st1-test", "tfidf-lr") in found
    assert ("semeval2020t5-st2-test", "cue-rule") in found
    for result in results:
        assert set(result) >= RESULT_KEYS
        assert result["n"] <= 5
        for name, value in result["figures"].items():
            if name.startswith(("types_", "count_")):  # counts of the confusion, families
                assert value >= 0 and value == int(value)
            elif not (name.startswith("type_") and name != "type_accuracy"):
                assert 0.0 <= value <= 1.0, (result["dataset"], result["system"], name)
        for low, high in result["ci95"].values():
            assert 0.0 <= low <= high <= 1.0
    model = next(r for r in results if r["system"] == "diplolex")["model"]
    assert len(model["sha256"]) == 64 and model["shipped"] is False
    tfidf = next(
        r for r in results if r["system"] == "tfidf-lr" and r["dataset"] == "diplocond-dev"
    )
    assert set(tfidf["figures"]) == {"sentence_precision", "sentence_recall", "sentence_f1"}
    absent = {s["dataset"] for s in content["skipped"] if s["system"] is None}
    assert "diplobench-dev" in absent
    assert "diplocond-dev-v2" in absent  # the fixture's records have no release field: v1
    assert ("diplocond-dev-v1", "diplolex") in found
    rule = next(r for r in results if (r["dataset"], r["system"]) == ("diplocond-dev", "cue-rule"))
    assert rule["figures"]["recall_if"] == 1.0 and rule["figures"]["count_if"] == 2
    assert ("diplocond-dev", "wide-cue-rule") in found


def test_absent_datasets_are_skipped_with_a_line(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "stance.json"
    assert cli.main(["run", "--data", str(data_dir), "--task", "stance", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "stance / fnc1-competition_test: skipped, dataset absent: fnc1/" in err
    content = json.loads(out.read_text())
    assert content["results"] == []
    assert {s["dataset"] for s in content["skipped"]} >= {"newsmtsc-devtest_rw", "emergent-test"}


def test_a_registered_model_system_is_scored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [
        ["Envoy backs the truce plan", "Truce plan agreed", "for", "1"],
        ["Envoy rejects the truce plan", "Truce plan agreed", "against", "2"],
        ["Envoy discusses the truce plan", "Truce plan agreed", "observing", "3"],
    ]
    header = ["articleHeadline", "claimHeadline", "articleHeadlineStance", "articleId"]
    for split in ("train", "test"):
        name = f"url-versions-2015-06-14-clean-{split}.csv"
        _write_csv(tmp_path / "emergent" / "emergent" / name, header, rows)
    monkeypatch.setattr(registry, "MODEL_SYSTEMS", dict(registry.MODEL_SYSTEMS))
    monkeypatch.setattr(run, "MODEL_SYSTEMS", registry.MODEL_SYSTEMS)
    monkeypatch.setattr(run, "_analyzer", lambda ctx, task, weights: (object(), None))

    @registry.register_model_system("stance")
    def always_favor(analyzer: object, dataset) -> list[str]:
        return ["favor"] * len(dataset)

    _, content = run.run_benchmarks(
        tmp_path, datasets=["emergent-test"], resamples=10, out=tmp_path / "r.json"
    )
    model = next(r for r in content["results"] if r["system"] == "diplolex")
    assert model["figures"]["accuracy"] == pytest.approx(1 / 3)


def test_resolve_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    only = ["conditionality"]
    assert run.resolve_models([str(tmp_path)], only) == {"conditionality": tmp_path}
    monkeypatch.setitem(run.MODEL_SYSTEMS, "stance", run.MODEL_SYSTEMS["conditionality"])
    with pytest.raises(ValueError, match="TASK=DIR"):
        run.resolve_models([str(tmp_path)], None)
    assert run.resolve_models([f"conditionality={tmp_path}"], None) == {"conditionality": tmp_path}
    with pytest.raises(ValueError, match="unknown task"):
        run.resolve_models([f"sentiment={tmp_path}"], None)
    with pytest.raises(ValueError, match="not a folder"):
        run.resolve_models([str(tmp_path / "missing")], None)


# ---------------------------------------------------------------------------
# Baselines on hand-made inputs


def _texts(text: str, found: list) -> list[tuple[str, ...]]:
    return [tuple(text[s[0] : s[1]] if s else None for s in item) for item in found]


def test_cue_rule_finds_if_conditions() -> None:
    text = "Moscow will resume the talks if the shelling stops, the envoy said."
    assert _texts(text, baselines.cue_rule_conditionals(text)) == [
        ("if", "if the shelling stops", "Moscow will resume the talks")
    ]
    text = "Unless the blockade is lifted, the talks will not resume."
    assert _texts(text, baselines.cue_rule_conditionals(text)) == [
        ("Unless", "Unless the blockade is lifted", "the talks will not resume")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "We will press on even if sanctions follow.",
        "He spoke as if the war had ended.",
        "Reporters asked if the envoy would attend.",
        "Humanitarian conditions remain dire.",
    ],
)
def test_cue_rule_rejects_non_conditionals(text: str) -> None:
    assert baselines.cue_rule_conditionals(text) == []


def test_counterfactual_rule() -> None:
    assert baselines.counterfactual_rule("The deal would have survived a veto.")
    assert baselines.counterfactual_rule("Had the envoy stayed, talks would continue.")
    assert not baselines.counterfactual_rule("If the envoy stays, talks will continue.")


def test_lexicon_rule_finds_said_and_a_quote() -> None:
    text = 'Foreign Minister Ana Ruiz said "the border will stay open". Talks resume today.'
    sentences = [(0, text.index(" Talks")), (text.index("Talks"), len(text))]
    found = baselines.lexicon_rule_attributions(text, sentences, {"said"})
    assert _texts(text, found) == [
        ("Foreign Minister Ana Ruiz", "said", '"the border will stay open"')
    ]


def test_lexicon_rule_takes_the_clause_after_the_cue() -> None:
    text = "The foreign ministry warned that the convoy would be stopped."
    found = baselines.lexicon_rule_attributions(text, [(0, len(text))], {"warned"})
    assert _texts(text, found) == [
        ("The foreign ministry", "warned", "the convoy would be stopped")
    ]


def test_tfidf_baselines_fit_and_predict() -> None:
    clf = baselines.TfidfLogReg().fit(
        ["we accept the offer", "we reject the offer", "they accept terms", "they reject terms"],
        ["favor", "against", "favor", "against"],
    )
    assert clf.predict(["we accept"]) == ["favor"]
    single = baselines.TfidfLogReg().fit(["a", "b"], ["neutral", "neutral"])
    assert single.predict(["c"]) == ["neutral"]
    pair = baselines.HeadlineBodyLogReg().fit(
        ["Talks resume", "Envoy resigns", "Talks resume", "Envoy resigns"],
        ["Talks resume in Geneva.", "Rain fell.", "Talks resume soon.", "Markets rose."],
        ["favor", "unrelated", "favor", "unrelated"],
    )
    assert pair.predict(["Talks resume"], ["Talks resume in Oslo."]) == ["favor"]


def test_attribution_scorer_perfect_prediction() -> None:
    text = "Officials said the road was closed."
    relation = {"source": _span(text, "Officials"), "cue": _span(text, "said")}
    relation["content"] = _span(text, "the road was closed")
    dataset = [{"text": text, "attributions": [relation]}]
    scorer = scoring.AttributionScorer()

    class Rows(list):
        def __getitem__(self, key):
            return [r[key] for r in self] if isinstance(key, str) else super().__getitem__(key)

    predicted = [[((0, 9), (10, 14), (15, 34))]]
    figures = scorer.figures(*scorer.align(Rows(dataset), predicted))
    assert figures["relation_exact_f1"] == 1.0
    assert figures["content_overlap_f1"] == 1.0


# ---------------------------------------------------------------------------
# report and speed


def test_report_writes_markdown_and_png(run_file: Path, tmp_path: Path) -> None:
    speed = {
        "schema_version": 1,
        "kind": "speed",
        "command": "python -m benchmarks speed",
        "created": "2030-01-01T00:00:00+00:00",
        "results": [
            {
                "system": name,
                "task": "all",
                "figures": {"seconds": 2.0, "sentences_per_s": 50.0, "documents_per_s": 5.0},
            }
            for name in ("analyze", "base-forward", "naive-pipelines")
        ]
        + [
            {
                "system": "summary",
                "task": "all",
                "figures": {"ratio_to_base": 1.2, "goal_ratio_to_base": 1.5},
                "settings": {
                    "corpus": "invented",
                    "sentences": 100,
                    "threads": 2,
                    "batch_size": 32,
                    "device": "cpu",
                },
            }
        ],
    }
    speed_file = tmp_path / "speed.json"
    speed_file.write_text(json.dumps(speed))
    markdown = report.write_report([run_file, speed_file], tmp_path / "out")
    assert "| conditionality | diplocond-dev |" in markdown
    assert "analyze / base encoder: 1.20" in markdown
    assert (tmp_path / "out" / "report.md").read_text() == markdown
    for name in ("accuracy.png", "speed.png"):
        assert (tmp_path / "out" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_speed_smoke(data_dir: Path, model_dir: Path, tmp_path: Path) -> None:
    from benchmarks.speed import run_speed

    _, content = run_speed(
        data_dir,
        models={"conditionality": model_dir},
        sentences=3,
        latency_sentences=2,
        repeats=1,
        out=tmp_path / "speed.json",
        log=lambda line: None,
    )
    summary = next(r for r in content["results"] if r["system"] == "summary")["figures"]
    assert summary["ratio_to_base"] > 0 and summary["ratio_to_naive"] > 0
    assert summary["latency_sentences"] == 2 and summary["peak_rss_mb"] > 0
    throughput = {(r["system"], r["task"]) for r in content["results"]}
    assert {("analyze", "all"), ("base-forward", "none"), ("naive-pipelines", "all")} <= throughput
    steps = next(r for r in content["results"] if r["system"] == "steps")["figures"]["steps"]
    assert {"shared_pass", "total", "rest"} <= steps.keys()
    assert all(v["seconds"] >= 0 for v in steps.values())
    clocked = sum(v["seconds"] for k, v in steps.items() if k not in ("total", "stance_pass"))
    assert abs(clocked - steps["total"]["seconds"]) < 1e-3  # the steps add up to the run


def test_step_breakdown_clocks_each_step_and_restores_the_methods(nlp) -> None:
    from benchmarks.breakdown import in_base_layers, step_seconds

    texts = ["Moscow rejected the plan, the envoy said.", "Aid will flow if the truce holds."]
    expected = [d.to_dict() for d in nlp.pipe(texts)]
    seconds = step_seconds(nlp, lambda: list(nlp.pipe(texts)))
    assert {"shared_pass", "conditionality_head", "attribution_head", "stance_step",
            "stance_pass", "rest", "total"} <= seconds.keys()  # fmt: skip
    assert 0 < seconds["stance_pass"] <= seconds["stance_step"] < seconds["total"]
    stance = nlp.model("stance")
    assert "encode" not in vars(nlp.encoder) and "annotate_many" not in vars(stance)
    assert "read_batch" not in vars(stance)
    assert [d.to_dict() for d in nlp.pipe(texts)] == expected  # clocking changes nothing
    layers = in_base_layers({"shared_pass": 0.6}, base_seconds=1.2, layers=6)
    assert layers == {"shared_pass": {"seconds": 0.6, "base_layers": 3.0}}


def test_int8_recipes_are_measured_against_fp32(data_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime.quantization")
    from benchmarks.int8 import RECIPES, run_int8, table

    _, content = run_int8(
        data_dir, calibration_sentences=8, out=tmp_path / "int8.json", log=lambda _: None
    )
    rows = content["results"][0]["figures"]["recipes"]
    assert [r["recipe"] for r in rows] == ["fp32", *RECIPES]
    for row in rows[1:]:
        assert row["shippable"] == (row["max_f1_loss"] <= 0.01 and row["batch_dependent"] == 0)
        assert 0 <= row["decisions_changed"] <= content["results"][0]["n"]
    static = rows[2]
    assert static["batch_dependent"] == 0  # fixed scales: no batch neighbour changes a score
    assert "| static |" in table(rows)
