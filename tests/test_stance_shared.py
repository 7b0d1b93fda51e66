"""The shared-pass stance head: proposed targets scored from the shared encoder pass
(``proposed_stance="shared-pass"``).

The shipped head must agree with the cross-encoder on clear sentences of the project's own;
the default analyzer, long documents and user-given targets use the cross-encoder; a head
trained on another encoder is refused; the head's inputs (masks, author vector) and its
training loop on a tiny fixture are checked directly.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

import diplolex
from diplolex.tasks.stance.shared import (
    SentenceStates,
    SharedPassStance,
    SharedStanceConfig,
    SharedStanceHead,
    SpanPair,
    collate,
    token_mask,
)
from tests.conftest import assert_offsets_exact


@pytest.fixture(scope="module")
def fast() -> diplolex.Analyzer:
    return diplolex.load(batch_size=16, precision="fp32", proposed_stance="shared-pass")


CLEAR = [
    "Lisbon condemned the seizure of the fishing boats.",
    "The foreign minister said Chile welcomed the ceasefire plan.",
    "Nairobi rejected the proposed tariff on tea exports.",
    "The coalition denounced the detention of the journalists.",
    '"We fully support the new border treaty," the Peruvian envoy told reporters.',
    "Canberra praised the humanitarian corridor agreement.",
]


def cross_encoder_labels(nlp, doc):
    """The cross-encoder's labels for the pairs the document's stances answer."""
    model = nlp.model("stance")
    texts, targets, holders = [], [], []
    for stance in doc.stances:
        sentence = next(s for s in doc.sentences if s.start <= stance.target.start < s.end)
        texts.append(sentence.text)
        targets.append(stance.target.text)
        holders.append(stance.holder)
    results = model.predict_pairs(nlp.encoder, texts, targets, nlp.batch_size, holders)
    return [max(("favor", "against", "neutral"), key=r.probabilities.get) for r in results]


def _count_shared_calls(model, run):
    calls = []
    original = model.shared.score_plans

    def counted(plans, batch_size):
        calls.append(len(plans))
        return original(plans, batch_size)

    model.shared.score_plans = counted
    try:
        run()
    finally:
        del model.shared.score_plans
    return calls


def test_shared_pass_scores_the_proposed_targets_of_all_documents_in_one_call(fast):
    model = fast.model("stance")
    assert model.shared is not None and fast.proposed_stance == "shared-pass"
    assert model.listen_to_shared_pass(fast.encoder_adapter)
    assert _count_shared_calls(model, lambda: list(fast.pipe(CLEAR))) == [len(CLEAR)]


def test_the_default_analyzer_scores_proposed_targets_with_the_cross_encoder(nlp):
    assert nlp.proposed_stance == "cross-encoder"
    assert _count_shared_calls(nlp.model("stance"), lambda: list(nlp.pipe(CLEAR))) == []


def test_proposed_stance_is_validated():
    with pytest.raises(ValueError, match="proposed_stance must be one of"):
        diplolex.load(tasks=["conditionality"], proposed_stance="fast")


def test_shared_pass_labels_agree_with_the_cross_encoder_on_clear_sentences(fast, nlp):
    docs = list(fast.pipe(CLEAR))
    expected = {0: "against", 1: "favor", 2: "against", 3: "against", 4: "favor", 5: "favor"}
    for i, doc in enumerate(docs):
        assert doc.stances, doc.text
        assert_offsets_exact(doc)
        labels = [s.stance for s in doc.stances]
        assert labels == cross_encoder_labels(fast, doc), doc.text
        assert [(s.holder, s.target) for s in doc.stances] == [
            (s.holder, s.target) for s in nlp(doc.text).stances
        ]  # the same pairs as the default analyzer proposes
        assert expected[i] in labels, doc.text
        for stance in doc.stances:
            assert stance.query is None and 0.0 <= stance.score <= 1.0


def test_given_targets_use_the_cross_encoder(fast):
    text = CLEAR[2]
    doc = fast(text, targets=["the proposed tariff"])
    direct = fast.model("stance").predict_pairs(
        fast.encoder, [text], ["the proposed tariff"], holders=[doc.stances[0].holder]
    )[0]
    unrelated = direct.probabilities["unrelated"]
    expected = max(("favor", "against", "neutral"), key=direct.probabilities.get)
    assert doc.stances[0].stance == expected
    assert doc.stances[0].score == round(direct.probabilities[expected] / (1 - unrelated), 4)


def test_a_long_document_read_in_chunks_falls_back_to_the_cross_encoder(fast, monkeypatch):
    import diplolex.analyzer as analyzer_module

    text = " ".join(CLEAR * 2)
    short = fast(text)
    model = fast.model("stance")
    monkeypatch.setattr(analyzer_module, "_SENTENCES_PER_CHUNK", 4)
    monkeypatch.setattr(model.shared, "score_plans", lambda *a: pytest.fail("shared pass used"))
    long = fast(text)
    assert_offsets_exact(long)
    assert [(s.holder, s.target.text) for s in long.stances] == [
        (s.holder, s.target.text) for s in short.stances
    ]
    assert [s.stance for s in long.stances] == cross_encoder_labels(fast, long)


def test_a_head_trained_on_another_encoder_is_refused(fast, tmp_path):
    folder = tmp_path / "stance"
    shutil.copytree(diplolex.__path__[0] + "/weights/stance", folder)
    for name in ("adapter.json", "adapter.safetensors"):  # now: trained on the base encoder
        (folder / "shared" / name).unlink()
    with pytest.raises(ValueError, match="trained on this shared encoder"):
        diplolex.load(weights={"stance": folder}, proposed_stance="shared-pass")
    analyzer = diplolex.load(weights={"stance": folder})  # the default needs no shared head
    model = analyzer.model("stance")
    assert model.shared is not None and model.shared.trained_on(None)
    assert not model.listen_to_shared_pass(fast.encoder_adapter)
    assert model.listen_to_shared_pass(None)


def test_token_masks_follow_offsets():
    offsets = [(0, 6), (7, 16), (17, 20), (21, 28)]
    assert token_mask(offsets, 7, 20).tolist() == [False, True, True, False]
    assert token_mask(offsets, 16, 17).tolist() == [False, False, False, False]


def test_head_reads_the_holder_span_and_falls_back_to_the_author_vector():
    torch.manual_seed(0)
    config = SharedStanceConfig(dropout=0.0)
    head = SharedStanceHead(config).eval()
    with torch.no_grad():
        head.author.normal_()
    states = SentenceStates(torch.randn(5, config.hidden), [(i * 3, i * 3 + 2) for i in range(5)])
    with_holder = collate([SpanPair(states, (6, 8), (0, 2))])
    no_holder = collate([SpanPair(states, (6, 8), None)])
    assert with_holder[3][0].tolist() == [True, False, False, False, False]
    assert not no_holder[3].any()
    with torch.no_grad():
        a, b = head(*with_holder), head(*no_holder)
    assert a.shape == (1, len(config.labels)) and not torch.allclose(a, b)
    padded = collate([SpanPair(states, (6, 8), None), SpanPair(SentenceStates(
        torch.randn(2, config.hidden), [(0, 2), (3, 5)]), (0, 2), None)])  # fmt: skip
    assert padded[0].shape == (2, 5, config.hidden) and padded[1][1].tolist() == [
        True, True, False, False, False,
    ]  # fmt: skip


def _write_fixture(root: Path) -> None:
    folder = root / "diplostance"
    folder.mkdir(parents=True)
    rows = [
        ("Tunis welcomed the water-sharing accord.", "Tunis", "the water-sharing accord", "favor"),
        ("Quito rejected the mining concession.", "Quito", "the mining concession", "against"),
        ("Riga backed the new energy charter.", "Riga", "the new energy charter", "favor"),
        ("Hanoi condemned the fishing ban.", "Hanoi", "the fishing ban", "against"),
    ]
    for split, part in (("train", rows), ("dev", rows[:2])):
        with (folder / f"{split}.jsonl").open("w") as f:
            for i, (text, holder, target, label) in enumerate(part):
                start = text.index(target)
                record = {
                    "id": f"{split}-{i}", "text": text, "source": "written for the tests",
                    "stances": [{
                        "holder": holder,
                        "holder_span": {"start": 0, "end": len(holder), "text": holder},
                        "target": {"start": start, "end": start + len(target), "text": target},
                        "stance": label,
                    }],
                }  # fmt: skip
                f.write(json.dumps(record) + "\n")


def test_training_on_a_tiny_fixture_writes_a_loadable_head(tmp_path):
    from diplolex.tasks.stance.shared_train import SharedSettings, train_shared

    data = tmp_path / "data"
    _write_fixture(data)
    adapter = Path(diplolex.__path__[0]) / "weights" / "conditionality"
    settings = SharedSettings(epochs=1, synthetic_per_family=2, encoder_adapter=str(adapter))
    lines: list[str] = []
    score = train_shared(data, tmp_path / "out", settings, lines.append)
    assert 0.0 <= score <= 1.0
    assert any("4 DiploStance train pairs" in line for line in lines)
    head = SharedPassStance.load(tmp_path / "out")
    assert head.trained_on(adapter) and not head.trained_on(None)
    assert (tmp_path / "out" / "README.md").read_text().count("--part shared") == 1


def test_train_cli_rejects_an_unknown_part(capsys):
    from diplolex.cli.main import main

    with pytest.raises(SystemExit, match="no part 'nope'"):
        main(["train", "stance", "--part", "nope", "--out", "/nonexistent"])
    with pytest.raises(SystemExit, match="no part 'shared'"):
        main(["train", "attribution", "--part", "shared", "--out", "/nonexistent"])


def test_the_step_breakdown_shows_no_stance_pass_for_shared_pass_stances(fast):
    from benchmarks.breakdown import step_seconds

    seconds = step_seconds(fast, lambda: list(fast.pipe(CLEAR[:2])))
    assert seconds["stance_pass"] == 0.0 and 0 < seconds["stance_step"] < seconds["total"]


def test_proposed_stance_from_the_command_line(tmp_path, capsys):
    from diplolex.cli.main import main

    path = tmp_path / "article.txt"
    path.write_text(CLEAR[0], encoding="utf-8")
    assert main(["analyze", str(path), "--proposed-stance", "shared-pass", "--quiet"]) == 0
    stances = json.loads(capsys.readouterr().out)["stances"]
    assert [s["stance"] for s in stances] == ["against"]
    with pytest.raises(SystemExit):
        main(["analyze", str(path), "--proposed-stance", "fastest"])
