"""The shipped stance model on the project's own sentences, its API, and its machinery."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pytest
import torch

from diplolex.tasks.stance.model import StanceConfig, StanceHead, segment_masks
from diplolex.tasks.stance.predict import (
    StanceModel,
    StanceResult,
    default_model,
    select_passage,
    stance,
)
from diplolex.tasks.stance.train import Example, compute_loss
from diplolex.training import encode_texts

CLEAR = [
    # (text, target, label)
    ("The government welcomed the truce proposal and pledged to implement it.",
     "the truce proposal", "favor"),
    ("The foreign ministry firmly rejected the peace plan, calling it a betrayal of the nation.",
     "the peace plan", "against"),
    ("The parliament will debate the sanctions bill on Tuesday, a spokesman said.",
     "the sanctions bill", "neutral"),
    ("The central bank raised interest rates by half a point on Thursday.",
     "the Arctic fishing treaty", "unrelated"),
]  # fmt: skip

DOCUMENT = "Kyiv said it was ready to sign the grain deal if the guarantees were written in."


@pytest.fixture(scope="module")
def shipped():
    return default_model()


def _valid(result: StanceResult) -> None:
    assert result.label in ("favor", "against", "neutral", "unrelated")
    assert math.isclose(sum(result.probabilities.values()), 1.0, abs_tol=1e-4)
    assert result.score == max(result.probabilities.values())
    assert result.probabilities[result.label] == result.score


@pytest.mark.parametrize(("text", "target", "label"), CLEAR)
def test_clear_pairs_get_their_label(shipped, text, target, label):
    result = stance(text, target)
    _valid(result)
    assert result.label == label, result.probabilities


def test_batch_api_matches_single_calls(shipped):
    texts = [t for t, _, _ in CLEAR]
    targets = [g for _, g, _ in CLEAR]
    results = stance(texts, targets)
    assert [r.label for r in results] == [label for _, _, label in CLEAR]
    single = stance(texts[0], targets[0])
    for label, p in single.probabilities.items():
        assert math.isclose(p, results[0].probabilities[label], abs_tol=1e-4)


def test_one_target_for_many_texts(shipped):
    texts = [CLEAR[0][0], CLEAR[3][0]]
    results = stance(texts, "the truce proposal")
    assert [r.label for r in results] == ["favor", "unrelated"]


def test_two_hundred_targets_for_one_document(shipped):
    targets = [f"the {n}th amendment to the grain deal" for n in range(1, 200)] + ["the grain deal"]
    encoder, model = shipped
    results = model.predict_pairs(encoder, [DOCUMENT] * 200, targets, batch_size=64)
    assert len(results) == 200
    for r in results:
        _valid(r)
    alone = stance(DOCUMENT, targets[-1])
    assert results[-1].label == alone.label
    assert math.isclose(results[-1].score, alone.score, abs_tol=1e-4)


def test_conditional_acceptance_is_favor(shipped):
    assert stance(DOCUMENT, "the grain deal").label == "favor"


def test_to_dict_is_json_safe(shipped):
    out = stance(CLEAR[0][0], CLEAR[0][1]).to_dict()
    assert set(out) == {"label", "score", "probabilities"}
    assert json.loads(json.dumps(out)) == out


@pytest.mark.parametrize("target", ["", "   ", "\n\t"])
def test_empty_target_is_a_value_error(shipped, target):
    with pytest.raises(ValueError, match="empty or whitespace"):
        stance(DOCUMENT, target)


@pytest.mark.parametrize(
    ("text", "target"),
    [(b"bytes text", "the deal"), (DOCUMENT, None), (DOCUMENT, 3), ([DOCUMENT, 7], "the deal"),
     (DOCUMENT, ["the deal"])],
)  # fmt: skip
def test_non_str_input_is_a_type_error(shipped, text, target):
    with pytest.raises(TypeError):
        stance(text, target)


def test_lengths_must_match(shipped):
    with pytest.raises(ValueError, match="2 texts but 1 targets"):
        stance([DOCUMENT, DOCUMENT], ["the deal"])


def test_empty_list_gives_empty_list(shipped):
    assert stance([], []) == []


def test_target_longer_than_text_is_scored(shipped):
    result = stance("Talks resumed.", "the long-delayed resumption of the talks " * 5)
    _valid(result)


def test_target_absent_from_text_is_unrelated(shipped):
    result = stance(DOCUMENT, "the fishing quotas in the North Sea")
    _valid(result)
    assert result.label == "unrelated"


def test_non_english_target_is_scored(shipped):
    _valid(stance(DOCUMENT, "l'accord sur les céréales"))
    _valid(stance(DOCUMENT, "зерновая сделка"))


def test_empty_text_is_unrelated_without_the_model(shipped):
    result = stance("   ", "the deal")
    assert result.label == "unrelated" and result.score == 1.0


def test_long_text_is_reduced_to_the_passage_about_the_target(shipped):
    filler = " ".join(f"The weather in city number {n} was mild on Monday." for n in range(40))
    text = filler + " The government welcomed the truce proposal and pledged to implement it."
    encoder, model = shipped
    (passage,) = model.passages(encoder, [text], ["the truce proposal"])
    assert "welcomed the truce proposal" in passage and len(passage) < 300
    assert stance(text, "the truce proposal").label != "unrelated"


def test_long_text_keeps_the_stance_of_its_passage(shipped):
    filler = " ".join(f"The weather in city number {n} was mild on Monday." for n in range(40))
    text = filler + " The government welcomed the truce proposal and pledged to implement it."
    assert stance(text, "the truce proposal").label == "favor"


def test_select_passage_keeps_the_sentences_sharing_words_with_the_target():
    def count(texts):
        return [len(t.split()) for t in texts]

    text = "Rain fell in the capital. Iran rejected the nuclear deal. Trade rose."
    assert select_passage(text, "the nuclear deal", count, 6) == "Iran rejected the nuclear deal."
    assert select_passage(text, "the nuclear deal", count, 100) == text
    assert select_passage(text, "rain and the deal", count, 10) == (
        "Rain fell in the capital. Iran rejected the nuclear deal."
    )


def test_segment_masks_find_target_and_text_tokens(shipped):
    encoder, _ = shipped
    batch = encoder.encode(["Iran rejected it.", ""], pairs=["the nuclear deal", "the deal"])
    text_mask, target_mask = segment_masks(batch)
    assert target_mask.sum(1).tolist() == [3, 2]
    assert text_mask.sum(1).tolist() == [4, 0]


def test_save_and_load_round_trip_gives_identical_outputs(shipped, tmp_path):
    encoder, model = shipped
    model.save(tmp_path, "card")
    reloaded = StanceModel.load(tmp_path)
    texts = [t for t, _, _ in CLEAR]
    targets = [g for _, g, _ in CLEAR]
    assert reloaded.predict_pairs(encoder, texts, targets) == model.predict_pairs(
        encoder, texts, targets
    )
    assert reloaded.config == model.config
    assert (tmp_path / "README.md").read_text() == "card"


def test_a_few_training_steps_reduce_the_loss(shipped):
    encoder, _ = shipped
    pairs = [
        ("Berlin backed the aid package.", "the aid package", 0),
        ("Hungary vetoed the aid package.", "the aid package", 1),
        ("The aid package is on the agenda.", "the aid package", 2),
        ("Fishing quotas were set for the year.", "the aid package", 3),
    ]
    features = encode_texts(encoder, [p[0] for p in pairs], pairs=[p[1] for p in pairs])
    examples = [Example(f, label, 1.0) for f, (_, _, label) in zip(features, pairs)]
    torch.manual_seed(0)
    head = StanceHead(StanceConfig(dropout=0.0))
    optimizer = torch.optim.AdamW(head.parameters(), lr=1e-3)
    first = compute_loss(head, examples).item()
    for _ in range(15):
        optimizer.zero_grad()
        compute_loss(head, examples).backward()
        optimizer.step()
    assert compute_loss(head, examples).item() < first / 2


def test_three_way_datasets_ignore_unrelated_and_scores_are_official():
    from benchmarks import scoring
    from benchmarks.registry import stance_model

    probs = [
        {"favor": 0.2, "against": 0.1, "neutral": 0.3, "unrelated": 0.4},
        {"favor": 0.5, "against": 0.1, "neutral": 0.1, "unrelated": 0.3},
    ]

    class FixedStance:
        def predict_pairs(self, encoder, texts, targets, batch_size, holders):
            return [StanceResult(max(p, key=p.get), max(p.values()), p) for p in probs]

    analyzer = SimpleNamespace(model=lambda name: FixedStance(), encoder=None, batch_size=2)

    def dataset(corpus):
        return {"text": ["a", "b"], "target": ["t", "t"], "holder": [None, None],
                "corpus": [corpus] * 2}  # fmt: skip

    assert stance_model(analyzer, dataset("emergent")) == ["neutral", "favor"]
    assert stance_model(analyzer, dataset("fnc1")) == ["unrelated", "favor"]
    fnc = scoring.StanceScorer(("fnc1_relative",), "FNC-1", extra="fnc1")
    assert fnc.figures(["favor", "unrelated"], ["against", "unrelated"])["fnc1_relative"] == 0.4
    names = fnc.figures(["favor"] * 2, ["favor", "against"])
    assert names["f1_agree"] == 2 / 3 and names["f1_disagree"] == 0.0  # agree is favor
    sem = scoring.StanceScorer(("f_avg",), "F_avg", extra="f_avg")
    assert math.isclose(sem.figures(["favor", "against", "neutral"], ["favor"] * 3)["f_avg"], 0.25)


def test_mark_pair_marks_the_holders_mention_of_the_target():
    from diplolex.tasks.stance.predict import mark_pair

    text = "Kenya opposed the resolution but Ghana voted for the resolution."
    assert mark_pair(text, "the resolution", "Ghana") == (
        "Kenya opposed the resolution but { Ghana } voted for « the resolution »."
    )
    assert mark_pair(text, "The Resolution", "Kenya") == (
        "{ Kenya } opposed « the resolution » but Ghana voted for the resolution."
    )
    assert mark_pair("The plan was backed by Oslo.", "the plan", "Oslo") == (
        "« The plan » was backed by { Oslo }."
    )
    assert mark_pair("Oslo backed it.", "the plan", "author") == "Oslo backed it."
    assert mark_pair("Oslo backed the planet.", "the plan", None) == "Oslo backed the planet."
    assert mark_pair("Syria lifted it.", "Syria", "Syria") == "« Syria » lifted it."


def test_temperature_rescales_the_logits_and_keeps_the_label(shipped):
    import dataclasses

    from diplolex.tasks.stance.model import fit_temperature
    from diplolex.tasks.stance.predict import StanceModel

    encoder, model = shipped
    assert model.config.temperature > 1  # the shipped model was overconfident at 1
    cold = StanceModel(model.head, dataclasses.replace(model.config, temperature=1.0))
    cold.encoder = model.encoder
    text, target = "Tehran rejected the European proposal.", "the European proposal"
    warm_result = model.predict_pairs(encoder, [text], target)[0]
    cold_result = cold.predict_pairs(encoder, [text], target)[0]
    assert warm_result.label == cold_result.label and warm_result.score < cold_result.score
    sure = torch.tensor([[0.98, 0.02]] * 4)
    assert fit_temperature(sure, [0, 0, 0, 0]) == 0.5  # always right: as sharp as allowed
    assert fit_temperature(sure, [0, 1, 0, 1]) > 2  # right half the time: flattened
    assert fit_temperature(sure, []) == 1.0


def test_synthetic_convention_pairs_name_their_holder_and_target():
    from diplolex.tasks.stance.augment import FAMILIES, synthetic_pairs

    pairs = synthetic_pairs(10, seed=3)
    assert pairs == synthetic_pairs(10, seed=3)  # fixed for a seed
    assert {p["corpus"] for p in pairs} == {f"synthetic-{name}" for name in FAMILIES}
    for p in pairs:
        assert p["holder"] in p["text"] and p["target"] in p["text"], p
        assert p["label"] in ("favor", "against")
    lifted = [p for p in pairs if " lifted " in p["text"] or "agreed to lift" in p["text"]]
    refused = [p for p in pairs if "refused to lift" in p["text"]]
    assert all(p["label"] == "against" for p in lifted)
    assert all(p["label"] == "favor" for p in refused)
    two = [p for p in pairs if p["corpus"] == "synthetic-two holders"]
    by_text: dict[str, set[str]] = {}
    for p in two:
        by_text.setdefault(p["text"], set()).add(p["label"])
    assert by_text and all(labels == {"favor", "against"} for labels in by_text.values())
