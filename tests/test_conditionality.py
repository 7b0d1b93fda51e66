"""The shipped conditionality model on the project's own sentences, and its machinery."""

from __future__ import annotations

import random

import torch

from benchmarks.calibration import random_code_points
from diplolex.tasks.conditionality.evaluate import score_conditionality
from diplolex.tasks.conditionality.model import ConditionalityConfig, ConditionalityHead
from diplolex.tasks.conditionality.predict import ConditionalityModel, SentenceConditionality
from diplolex.tasks.conditionality.train import compute_loss, make_example
from diplolex.training import WindowFeatures, encode_texts

CONDITIONALS = [
    # (sentence, condition the model must find)
    ("We will lift the embargo if the prisoners are released.", "if the prisoners are released"),
    ("Unless the blockade ends, the talks will not resume.", "Unless the blockade ends"),
    ("The ministry said sanctions would be eased if the troops withdrew.",
     "if the troops withdrew"),
    ("If inflation keeps rising, the central bank will raise rates again.",
     "If inflation keeps rising"),
    ("The rebels will face air strikes if they attack the convoy.", "if they attack the convoy"),
]  # fmt: skip

NON_CONDITIONALS = [
    "The foreign minister arrived in Geneva on Tuesday for two days of talks.",
    "Humanitarian conditions in the camps have worsened since the spring.",
    "The delegation left the capital after the meeting ended.",
    "Both governments signed a trade agreement covering grain and fertiliser.",
    "The talks could resume next week, a diplomat said.",
]


def test_clear_conditionals_are_found_with_their_condition(nlp):
    for sentence, condition in CONDITIONALS:
        doc = nlp(sentence)
        assert doc.sentences[0].conditional, sentence
        assert condition in [c.condition.text for c in doc.conditionals], sentence


def test_clear_non_conditionals_are_not_flagged(nlp):
    for sentence in NON_CONDITIONALS:
        doc = nlp(sentence)
        assert not doc.sentences[0].conditional, sentence
        assert doc.conditionals == []


def test_random_code_points_are_not_flagged(nlp):
    texts = random_code_points(random.Random(7), 100)
    results = nlp.model("conditionality").predict_texts(nlp.encoder, texts)
    assert sum(r.conditional for r in results) <= 2


def test_a_sentence_above_the_threshold_without_a_construction_is_not_flagged(nlp):
    model = nlp.model("conditionality")
    head = model.head

    class SureButSpanless(torch.nn.Module):
        """The real head, with the sentence score forced high and every tag forced to O."""

        def forward(self, *args):
            out = head(*args)
            out.conditional_logit = torch.full_like(out.conditional_logit, 10.0)
            for logits in (out.span_logits, out.cue_logits):
                logits[..., 0] = 100.0
            return out

        def type_logits(self, *args):
            return head.type_logits(*args)

    texts = ["Aid will flow if the talks resume.", "The envoy arrived on Monday."]
    model.head = SureButSpanless()
    try:
        results = model.predict_texts(nlp.encoder, texts)
    finally:
        model.head = head
    assert all(r.score > 0.99 and not r.conditional and not r.conditionals for r in results)


def test_consequence_leaves_out_the_reporting_frame(nlp):
    doc = nlp("The ministry said sanctions would be eased if the troops withdrew.")
    (conditional,) = doc.conditionals
    assert conditional.consequence is not None
    assert conditional.consequence.text == "sanctions would be eased"
    assert conditional.cue is not None and conditional.cue.text == "if"


def test_save_and_load_round_trip_gives_identical_outputs(nlp, tmp_path):
    nlp.model("conditionality").save(tmp_path, "card")
    reloaded = ConditionalityModel.load(tmp_path)
    texts = ["Aid will flow once the ceasefire holds.", "The envoy resigned."]
    assert reloaded.predict_texts(nlp.encoder, texts) == nlp.model("conditionality").predict_texts(
        nlp.encoder, texts
    )
    assert (tmp_path / "config.json").is_file() and (tmp_path / "README.md").read_text() == "card"


def _record(text, conditional, constructions=()):
    return {
        "id": text[:10], "corpus": "fixture", "text": text, "conditional": conditional,
        "counterfactual": None, "spans_complete": True, "conditionals": list(constructions),
    }  # fmt: skip


def _span(text, part):
    start = text.index(part)
    return {"start": start, "end": start + len(part), "text": part}


def test_a_few_training_steps_reduce_the_loss(nlp):
    text = "Kyiv will talk if the shelling stops."
    records = [
        _record(text, True, [{"type": "demand", "cue": _span(text, "if"),
                              "condition": _span(text, "if the shelling stops"),
                              "consequence": _span(text, "Kyiv will talk")}]),
        _record("The summit closed on Friday.", False),
    ]  # fmt: skip
    features = encode_texts(nlp.encoder, [r["text"] for r in records])
    examples = [make_example(r, f) for r, f in zip(records, features)]
    assert examples[0].constructions[0][0] == 2  # "demand" is the third type
    torch.manual_seed(0)
    head = ConditionalityHead(ConditionalityConfig(dropout=0.0))
    optimizer = torch.optim.AdamW(head.parameters(), lr=1e-3)
    weights = torch.ones(4)
    first = compute_loss(head, examples, weights).item()
    for _ in range(15):
        optimizer.zero_grad()
        compute_loss(head, examples, weights).backward()
        optimizer.step()
    assert compute_loss(head, examples, weights).item() < first / 2


def test_scorer_counts_sentences_spans_and_types():
    text = "Kyiv will talk if the shelling stops."
    record = _record(text, True, [{"type": "demand", "cue": _span(text, "if"),
                                   "condition": _span(text, "if the shelling stops"),
                                   "consequence": _span(text, "Kyiv will talk")}])  # fmt: skip
    from diplolex.tasks.conditionality.predict import ConditionalPrediction

    cond = (15, 36)
    predictions = [
        SentenceConditionality(True, 0.9, 0.1, [
            ConditionalPrediction("threat", 0.6, 0.8, (15, 17), cond, (0, 9))]),
        SentenceConditionality(True, 0.7, 0.1, []),
    ]  # fmt: skip
    scores = score_conditionality([record, _record("The summit closed.", False)], predictions)
    assert scores.sentence.precision == 0.5 and scores.sentence.recall == 1.0
    assert scores.condition_exact.f1 == 1.0
    # consequence: predicted "Kyiv will" (2 tokens) vs gold "Kyiv will talk" (3): P 1, R 2/3
    assert scores.consequence_exact.f1 == 0.0
    assert abs(scores.consequence_overlap.f1 - 0.8) < 1e-9
    assert scores.type_accuracy == 0.0 and scores.type_matched == 1


def test_cue_free_sentences_become_negatives_with_known_empty_spans():
    from diplolex.tasks.conditionality.train import cue_free_negatives

    texts = [
        "Kyiv agreed to sign the grain deal.",
        "Aid will flow if the talks resume.",
        "No deal without a ceasefire.",
        "Kyiv agreed to sign the grain deal.",  # a repeat is taken once
        "Talks stall until the envoy returns.",
    ]
    (negative,) = cue_free_negatives(texts, "diplostance")
    assert negative["text"] == texts[0] and negative["conditional"] is False
    assert negative["spans_complete"] and negative["conditionals"] == []
    offsets = [(0, 4), (5, 11), (12, 14)]
    example = make_example(negative, WindowFeatures(torch.empty(0, 3, 0), offsets))
    assert example.conditional == 0.0
    assert example.span_tags == [0, 0, 0] and example.cue_tags == [0, 0, 0]


def test_synthetic_sentences_cover_the_rare_families_with_exact_spans():
    from diplolex.tasks.conditionality.augment import FAMILIES, synthetic_records

    records = synthetic_records(4, seed=1)
    assert records == synthetic_records(4, seed=1)  # the same sentences for a seed
    assert len({r["text"] for r in records}) == len(records)
    positives = [r for r in records if r["conditional"]]
    assert len(positives) == 4 * len(FAMILIES)
    assert 0 < len(records) - len(positives) <= len(positives)
    cues = {c["cue"]["text"] for r in positives for c in r["conditionals"]}
    assert {"ultimatum", "deadline", "as a precondition for", "or", "otherwise"} <= cues
    for r in records:
        assert r["spans_complete"] and r["conditional"] == bool(r["conditionals"])
        for c in r["conditionals"]:
            assert c["type"] in ("offer", "threat", "demand", "hypothetical")
            for role in ("cue", "condition", "consequence"):
                span = c[role]
                if span is not None:
                    assert r["text"][span["start"] : span["end"]] == span["text"]
        example = make_example(r, WindowFeatures(torch.empty(0, 1, 0), [(0, 1)]))
        assert example.conditional == float(r["conditional"])
