"""Each ``diplolex train`` command, end to end on tiny project-written data (one or two
epochs): it trains, keeps an epoch, writes loadable weights and a model card."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from diplolex.encoder import SharedEncoder
from diplolex.training import DevResult, Optimisation, fit_head

ARTICLES = [
    (
        "The envoy said the border talks would resume on Monday. "
        "\u201cWe are ready,\u201d Minister Ana Lind told reporters.",
        [
            ("The envoy", "said", "the border talks would resume on Monday"),
            ("Minister Ana Lind", "told reporters", "\u201cWe are ready,\u201d"),
        ],
    ),
    (
        "According to the ministry, the convoy crossed at dawn. "
        "It was reported that two bridges were closed.",
        [
            ("the ministry", "According to", "the convoy crossed at dawn"),
            (None, "was reported", "two bridges were closed"),
        ],
    ),
]


def test_fit_head_keeps_the_best_epoch_and_evaluates_in_eval_mode():
    import torch

    torch.manual_seed(0)
    head = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Dropout(0.5))
    x, y = torch.randn(16, 3), torch.randn(16, 3)
    dev_scores, modes, saved = iter([0.2, 0.9, 0.5]), [], {}

    def evaluate() -> DevResult[float]:
        modes.append(head.training)
        score = next(dev_scores)
        return DevResult(score, f"{score}", score)

    def on_improved(epoch: int, result: DevResult[float]) -> None:
        saved[epoch] = {k: v.clone() for k, v in head.state_dict().items()}

    def epoch_batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
        return [(x[i : i + 4], y[i : i + 4]) for i in range(0, 16, 4)]

    def loss(batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        return torch.nn.functional.mse_loss(head(batch[0]), batch[1])

    logged: list[str] = []
    optimisation = Optimisation(epochs=3, steps_per_epoch=4, learning_rate=0.05, weight_decay=0)
    epoch, best = fit_head(
        head, optimisation, epoch_batches, loss, evaluate, logged.append, on_improved
    )
    assert (epoch, best.score) == (2, 0.9)
    assert modes == [False, False, False] and not head.training
    assert sorted(saved) == [1, 2]  # epoch 3 did not improve
    assert all(torch.equal(v, saved[2][k]) for k, v in head.state_dict().items())
    assert [line.split(":")[0] for line in logged] == ["epoch 1", "epoch 2", "epoch 3"]
    with pytest.raises(ValueError, match="epochs"):
        fit_head(head, Optimisation(0, 1, 0.1, 0.0), list, lambda b: b, evaluate, logged.append)


def _brat(text: str, relations: list) -> str:
    """A PolNeAR-style brat file for ``relations`` of (source, cue, content) phrases."""
    lines, t = [], 0
    for r, (source, cue, content) in enumerate(relations, start=1):
        roles = []
        for role, phrase in (("Source", source), ("Cue", cue), ("Content", content)):
            if phrase is None:
                continue
            t += 1
            s = text.index(phrase)
            lines.append(f"T{t}\t{role} {s} {s + len(phrase)}\t{phrase}")
            roles.append(f"{role}:T{t}")
        kind = "Attribution" if source else "Attribution-no-source"
        t += 1
        s = text.index(cue)
        lines.append(f"T{t}\t{kind} {s} {s + len(cue)}\t{cue}")
        lines.append(f"E{r}\t{kind}:T{t} " + " ".join(roles))
    return "\n".join(lines) + "\n"


@pytest.fixture
def polnear_dir(tmp_path: Path) -> Path:
    for split in ("train", "dev"):
        folder = tmp_path / "polnear" / "data" / split
        (folder / "text").mkdir(parents=True)
        (folder / "attributions").mkdir()
        for k, (text, relations) in enumerate(ARTICLES):
            (folder / "text" / f"{split}-{k}.txt").write_text(text, encoding="utf-8")
            ann = folder / "attributions" / f"{split}-{k}_4b22.ann"
            ann.write_text(_brat(text, relations), encoding="utf-8")
    return tmp_path


def test_train_attribution_writes_weights_that_load_and_predict(polnear_dir, tmp_path):
    from diplolex.tasks.attribution.predict import AttributionModel
    from diplolex.tasks.attribution.train import (
        TrainingSettings,
        evaluate_docs,
        load_split,
        train,
    )

    out, logged = tmp_path / "attribution", []
    scores = train(
        polnear_dir,
        out,
        TrainingSettings(epochs=10, batch_size=2, learning_rate=3e-3),
        logged.append,
    )
    assert scores.documents == 2 and scores.gold_relations == 4
    assert scores.selection_score() > 0.5  # it learnt the two articles it is trained on
    assert any(line.startswith("epoch 10:") for line in logged)
    assert {p.name for p in out.iterdir()} >= {"model.safetensors", "config.json", "README.md"}
    assert "diplolex train attribution" in (out / "README.md").read_text()
    # the saved weights are the kept epoch's: reloaded, they score dev exactly as reported
    records, docs = load_split("dev", polnear_dir, SharedEncoder(), None, logged.append)
    assert evaluate_docs(AttributionModel.load(out), records, docs) == scores


def _span(text: str, phrase: str) -> dict:
    s = text.index(phrase)
    return {"start": s, "end": s + len(phrase), "text": phrase}


SENTENCES = [
    ("If the ceasefire holds, the ministry will reopen the crossing.", "offer"),
    ("Unless the troops withdraw, new sanctions will follow.", "threat"),
    ("The delegation arrived in Geneva on Tuesday.", None),
    ("Talks ended without a statement.", None),
]


def _diplocond_row(k: int, text: str, kind: str | None) -> dict:
    conditionals = []
    if kind:
        cue = text.split()[0]
        condition, consequence = text.rstrip(".").split(", ")
        conditionals.append(
            {
                "type": kind,
                "cue": _span(text, cue),
                "condition": _span(text, condition),
                "consequence": _span(text, consequence),
            }
        )
    return {
        "id": f"s-{k}",
        "text": text,
        "source": "invented",
        "conditional": kind is not None,
        "conditionals": conditionals,
    }


def test_train_conditionality_writes_weights_that_load_and_predict(tmp_path):
    from diplolex.tasks.conditionality.predict import ConditionalityModel
    from diplolex.tasks.conditionality.train import TrainingSettings, train

    folder = tmp_path / "data" / "diplocond"
    folder.mkdir(parents=True)
    rows = "".join(json.dumps(_diplocond_row(k, *s)) + "\n" for k, s in enumerate(SENTENCES))
    for split in ("train", "dev"):
        (folder / f"{split}.jsonl").write_text(rows, encoding="utf-8")
    # the defaults ask for SemEval and GUM too: absent from a user's folder, they are skipped
    settings = TrainingSettings(epochs=2, batch_size=2)
    out, logged = tmp_path / "conditionality", []
    train(tmp_path / "data", out, settings, logged.append)
    assert any(line.startswith("semeval2020t5-st1-train: not in") for line in logged)
    assert any(line.startswith("epoch 2:") for line in logged)
    assert "diplolex train conditionality" in (out / "README.md").read_text()
    model = ConditionalityModel.load(out)
    # the threshold tuned on dev is the one saved (not the config default)
    assert any(f"(threshold {model.config.threshold:.2f})" in line for line in logged)
    (result,) = model.predict_texts(SharedEncoder(), [SENTENCES[0][0]])
    assert result.conditional == (result.score >= model.config.threshold)


def test_train_stance_writes_weights_that_load_and_predict(tmp_path, monkeypatch):
    import diplolex.tasks.stance.train as stance_train
    from diplolex.tasks.stance.predict import StanceModel

    pairs = [
        ("Norland welcomed the accord as a fair settlement.", "the accord", "favor"),
        ("Norland condemned the accord and will not sign it.", "the accord", "against"),
        ("The accord will be discussed on Friday.", "the accord", "neutral"),
        ("Fishing quotas were raised this spring.", "the accord", "unrelated"),
    ]
    records = [{"text": t, "target": g, "label": y, "corpus": "newsmtsc"} for t, g, y in pairs]
    # the corpus mix is built from six datasets; here it is these four pairs, twice
    monkeypatch.setattr(
        stance_train, "build_pairs", lambda *a, **k: (records + records, list(records))
    )
    out, logged = tmp_path / "stance", []
    settings = stance_train.TrainingSettings(epochs=2, batch_size=4)
    scores = stance_train.train(tmp_path, out, settings, logged.append)
    assert set(scores) == {"newsmtsc", "mean"}
    assert any(line.startswith("epoch 2:") for line in logged)
    assert "diplolex train stance" in (out / "README.md").read_text()
    model = StanceModel.load(out)
    (result,) = model.predict_pairs(SharedEncoder(), [pairs[0][0]], [pairs[0][1]])
    assert list(result.probabilities) == ["favor", "against", "neutral", "unrelated"]
    assert result.label == max(result.probabilities, key=result.probabilities.get)
    assert sum(result.probabilities.values()) == pytest.approx(1.0, abs=1e-5)


def test_train_adapted_stance_writes_adapter_that_merges_at_load(tmp_path, monkeypatch):
    import diplolex.tasks.stance.adapted as adapted
    from diplolex.adapter import AdapterError, LoraSettings
    from diplolex.tasks.stance.predict import StanceModel

    pairs = [
        ("Norland welcomed the accord as a fair settlement.", "the accord", "Norland", "favor"),
        ("Norland condemned the accord and will not sign it.", "the accord", "Norland", "against"),
        ("The accord will be discussed on Friday.", "the accord", None, "neutral"),
        ("Fishing quotas were raised this spring.", "the accord", None, "unrelated"),
    ]
    records = [
        {"text": t, "target": g, "holder": h, "label": y, "corpus": "diplostance"}
        for t, g, h, y in pairs
    ]
    monkeypatch.setattr(adapted, "build_pairs", lambda *a, **k: (records * 2, list(records)))
    out, logged = tmp_path / "stance", []
    settings = adapted.AdaptedSettings(epochs=1, batch_size=4, lora=LoraSettings(rank=2))
    scores = adapted.train_adapted(tmp_path, out, settings, logged.append)
    assert set(scores) == {"diplostance", "mean"}
    assert (out / "adapter.safetensors").is_file() and (out / "adapter.json").is_file()
    model = StanceModel.load(out)
    assert model.encoder is not None  # its own encoder copy, with the adapter merged
    shared = SharedEncoder()
    base_weight = shared.model.encoder.layer[5].attention.self.query.weight
    merged_weight = model.encoder.model.encoder.layer[5].attention.self.query.weight
    assert not torch.equal(base_weight, merged_weight)  # the shared encoder stays unchanged
    (result,) = model.predict_pairs(shared, [pairs[0][0]], [pairs[0][1]], holders=["Norland"])
    assert result.label in {"favor", "against", "neutral", "unrelated"}
    weights = out / "adapter.safetensors"
    data = bytearray(weights.read_bytes())
    data[-5] ^= 0x55
    weights.write_bytes(bytes(data))
    with pytest.raises(AdapterError, match="SHA-256"):
        StanceModel.load(out)


def test_train_adapted_conditionality_saves_a_shared_encoder_adapter(tmp_path):
    from diplolex.adapter import LoraSettings, has_adapter
    from diplolex.tasks.conditionality.adapted import AdaptedSettings, train_adapted
    from diplolex.tasks.conditionality.predict import ConditionalityModel

    folder = tmp_path / "data" / "diplocond"
    folder.mkdir(parents=True)
    rows = "".join(json.dumps(_diplocond_row(k, *s)) + "\n" for k, s in enumerate(SENTENCES))
    for split in ("train", "dev"):
        (folder / f"{split}.jsonl").write_text(rows, encoding="utf-8")
    settings = AdaptedSettings(epochs=1, batch_size=2, lora=LoraSettings(rank=2))
    out, logged = tmp_path / "conditionality", []
    scores = train_adapted(tmp_path / "data", out, settings, logged.append)
    assert scores.sentences == len(SENTENCES)
    assert any(line.startswith("epoch 1:") for line in logged)
    assert has_adapter(out)
    model = ConditionalityModel.load(out)
    assert 0.3 <= model.config.threshold <= 0.7


def test_joint_training_adapts_one_encoder_for_both_heads(polnear_dir, tmp_path):
    """``diplolex train conditionality --part joint``: one adapter, two heads, both loadable,
    the attribution head's folder carrying the same adapter."""
    from diplolex.adapter import LoraSettings, adapter_digest
    from diplolex.tasks import task_spec
    from diplolex.tasks.attribution.predict import AttributionModel
    from diplolex.tasks.conditionality.predict import ConditionalityModel

    joint = task_spec("conditionality").trainer_module("joint")
    folder = polnear_dir / "diplocond"
    folder.mkdir()
    rows = "".join(json.dumps(_diplocond_row(k, *s)) + "\n" for k, s in enumerate(SENTENCES))
    for split in ("train", "dev"):
        (folder / f"{split}.jsonl").write_text(rows, encoding="utf-8")
    settings = joint.TrainingSettings(epochs=1, batch_size=2, lora=LoraSettings(rank=2))
    out, logged = tmp_path / "joint", []
    scores = joint.train(polnear_dir, out, settings, logged.append)
    assert scores.sentences == len(SENTENCES)
    assert any(line.startswith("epoch 1:") and "polnear" in line for line in logged)
    assert adapter_digest(out) == adapter_digest(out / "attribution")
    ConditionalityModel.load(out)
    AttributionModel.load(out / "attribution")
    assert "--part joint" in (out / "README.md").read_text()


def test_joint_windows_hold_whole_sentences_and_only_whole_relations(polnear_dir):
    """Attribution windows of the joint trainer: runs of whole sentences within the budget,
    covering each article once; a relation crossing the window's edge gives tags, no pointer."""
    from random import Random

    from diplolex.tasks.attribution.features import document_tokens, sentence_states
    from diplolex.tasks.conditionality.joint import (
        SentenceWindow,
        polnear_docs,
        sentence_windows,
        window_example,
    )

    encoder = SharedEncoder()
    docs = polnear_docs(encoder, polnear_dir, "train", None)
    assert [len(d.bounds) for d in docs] == [2, 2]
    windows = sentence_windows(docs, budget=12, rng=Random(0))
    for d, doc in enumerate(docs):
        mine = sorted((w.first, w.last) for w in windows if w.doc == d)
        assert [s for s, _ in mine] == [0] + [e for _, e in mine[:-1]]  # contiguous
        assert mine[-1][1] == len(doc.bounds)
        assert all(e - s == 1 or sum(doc.pieces[s:e]) <= 12 for s, e in mine)
    doc = docs[0]  # "The envoy said ... Monday." then the Lind quote
    second = SentenceWindow(0, 1, 2)
    text = doc.record["text"]
    sentences = [text[s:e] for s, e in doc.bounds[1:2]]
    states = sentence_states(encoder.encode(sentences), 1)
    tokens = document_tokens(text, doc.bounds[1:2], states)
    example = window_example(doc, second, tokens)
    assert len(example.tags) == len(tokens.offsets)
    assert len(example.relations) == 1  # Lind's; the envoy's relation is in the first sentence


def test_train_set_overrides_one_settings_field_with_its_type():
    """``diplolex train --set FIELD=VALUE``: converted to the field's type, refused clearly
    when the field is unknown or the value does not fit."""
    from diplolex.cli.train import apply_overrides
    from diplolex.tasks.conditionality.joint import JointSettings

    settings = JointSettings()
    apply_overrides(
        settings,
        ["attribution_weight=0.5", "batch_size=8", "cue_free_negatives=false",
         "max_train_docs=20"],
    )  # fmt: skip
    assert settings.attribution_weight == 0.5 and settings.batch_size == 8
    assert settings.cue_free_negatives is False and settings.max_train_docs == 20
    apply_overrides(settings, ["max_train_docs=none"])
    assert settings.max_train_docs is None
    for bad, message in (
        ("nope=1", "FIELD one of"),
        ("batch_size", "FIELD=VALUE"),
        ("batch_size=many", "batch_size needs a value of type int"),
        ("cue_free_negatives=maybe", "type bool"),
        ("lora=3", "type LoraSettings"),
    ):
        with pytest.raises(SystemExit, match=message):
            apply_overrides(settings, [bad])


def test_train_command_refuses_an_unknown_set_field_before_training():
    from diplolex.cli.main import main

    with pytest.raises(SystemExit, match="FIELD one of"):
        main(["train", "conditionality", "--part", "joint", "--set", "nope=1", "--out", "/x"])
