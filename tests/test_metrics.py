"""Scorers checked against numbers worked out by hand (the arithmetic is in the comments)."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diplolex import metrics
from diplolex.metrics import (
    PRF,
    FNC1Result,
    accuracy,
    binary_prf,
    bootstrap_ci,
    f_avg,
    fnc1_score,
    macro_f1,
    per_class_f1,
    per_class_prf,
    relation_prf,
    semeval2020_task5_subtask2,
    span_prf_exact,
    span_prf_overlap_binary,
    span_token_f1,
    tokenize_with_offsets,
)

approx = pytest.approx


def assert_prf(prf: PRF, precision: float, recall: float, f1: float, tp: int, fp: int, fn: int):
    assert (prf.tp, prf.fp, prf.fn) == (tp, fp, fn)
    assert prf.precision == approx(precision)
    assert prf.recall == approx(recall)
    assert prf.f1 == approx(f1)


def test_docstring_examples_run():
    result = doctest.testmod(metrics)
    assert result.attempted > 10
    assert result.failed == 0


# ---------------------------------------------------------------------------
# Tokens


def test_tokenize_with_offsets_words_and_punctuation():
    text = "Kyiv's offer, if any."
    spans = tokenize_with_offsets(text)
    assert [text[s:e] for s, e in spans] == ["Kyiv", "'", "s", "offer", ",", "if", "any", "."]
    assert spans[0] == (0, 4)
    assert spans[-1] == (20, 21)


def test_tokenize_with_offsets_unicode():
    text = "Зеленський: “формула миру”"
    pieces = [text[s:e] for s, e in tokenize_with_offsets(text)]
    assert pieces == ["Зеленський", ":", "“", "формула", "миру", "”"]
    assert tokenize_with_offsets("   ") == []


# ---------------------------------------------------------------------------
# Classification


def test_binary_prf_six_items():
    gold = [True, True, True, True, False, False]
    pred = [True, True, False, False, True, False]
    # tp = items 0, 1 -> 2; fp = item 4 -> 1; fn = items 2, 3 -> 2
    # P = 2/3, R = 2/4 = 1/2, F1 = 2 * (2/3)(1/2) / (2/3 + 1/2) = (2/3) / (7/6) = 4/7
    prf = binary_prf(gold, pred)
    assert_prf(prf, 2 / 3, 1 / 2, 4 / 7, tp=2, fp=1, fn=2)
    assert prf.to_dict() == {
        "precision": prf.precision,
        "recall": prf.recall,
        "f1": prf.f1,
        "tp": 2,
        "fp": 1,
        "fn": 2,
    }


def test_binary_prf_uses_truth_values():
    assert binary_prf([1, 0, 1], [1, 1, 0]) == binary_prf([True, False, True], [True, True, False])


def test_binary_prf_no_positive_predictions_is_zero():
    # no predicted positives: P = 0 (0/0 -> 0), R = 0/2 = 0, F1 = 0
    assert_prf(binary_prf([True, True, False], [False] * 3), 0, 0, 0, tp=0, fp=0, fn=2)


STANCE_GOLD = ["favor", "favor", "against", "against", "neutral", "neutral"]
STANCE_PRED = ["favor", "favor", "against", "neutral", "favor", "neutral"]


def test_per_class_and_macro_f1_by_hand():
    # favor:   tp = items 0, 1 -> 2; predicted favor = items 0, 1, 4 -> 3; gold favor = 2
    #          P = 2/3, R = 2/2 = 1, F1 = 2(2/3)(1) / (5/3) = 4/5
    # against: tp = item 2 -> 1; predicted 1; gold 2 -> P = 1, R = 1/2, F1 = 1 / (3/2) = 2/3
    # neutral: tp = item 5 -> 1; predicted = items 3, 5 -> 2; gold 2 -> P = R = F1 = 1/2
    labels = ["favor", "against", "neutral"]
    scores = per_class_f1(STANCE_GOLD, STANCE_PRED, labels)
    assert list(scores) == labels
    assert scores["favor"] == approx(4 / 5)
    assert scores["against"] == approx(2 / 3)
    assert scores["neutral"] == approx(1 / 2)
    # macro = (4/5 + 2/3 + 1/2) / 3 = (24 + 20 + 15) / 30 / 3 = 59/90
    assert macro_f1(STANCE_GOLD, STANCE_PRED, labels) == approx(59 / 90)
    # labels default to the sorted union, so the same three
    assert macro_f1(STANCE_GOLD, STANCE_PRED) == approx(59 / 90)
    assert_prf(per_class_prf(STANCE_GOLD, STANCE_PRED)["favor"], 2 / 3, 1, 4 / 5, 2, 1, 0)


def test_accuracy_by_hand():
    # right: items 0, 1, 2, 5 -> 4 of 6
    assert accuracy(STANCE_GOLD, STANCE_PRED) == approx(2 / 3)


def test_label_absent_from_gold_and_pred_scores_zero():
    # "unrelated" never occurs: its F1 is 0, so macro over 4 labels = (59/90 * 3) / 4 = 59/120
    labels = ["favor", "against", "neutral", "unrelated"]
    assert per_class_f1(STANCE_GOLD, STANCE_PRED, labels)["unrelated"] == 0.0
    assert macro_f1(STANCE_GOLD, STANCE_PRED, labels) == approx(59 / 120)


def test_classification_scorers_agree_with_sklearn():
    sk = pytest.importorskip("sklearn.metrics")
    labels = ["favor", "against", "neutral", "unrelated"]
    expected = sk.f1_score(
        STANCE_GOLD, STANCE_PRED, labels=labels, average="macro", zero_division=0
    )
    assert macro_f1(STANCE_GOLD, STANCE_PRED, labels) == approx(expected)
    assert accuracy(STANCE_GOLD, STANCE_PRED) == approx(sk.accuracy_score(STANCE_GOLD, STANCE_PRED))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("abcd")), min_size=1, max_size=30)
)
def test_macro_f1_and_binary_prf_match_sklearn_on_random_labels(pairs):
    sk = pytest.importorskip("sklearn.metrics")
    gold = [g for g, _ in pairs]
    pred = [p for _, p in pairs]
    labels = ["a", "b", "c", "d"]
    expected = sk.f1_score(gold, pred, labels=labels, average="macro", zero_division=0)
    assert macro_f1(gold, pred, labels) == approx(expected)
    g_bin = [x == "a" for x in gold]
    p_bin = [x == "a" for x in pred]
    p, r, f, _ = sk.precision_recall_fscore_support(g_bin, p_bin, average="binary", zero_division=0)
    prf = binary_prf(g_bin, p_bin)
    assert (prf.precision, prf.recall, prf.f1) == (approx(p), approx(r), approx(f))


# ---------------------------------------------------------------------------
# SemEval-2016 Task 6 F_avg


def test_f_avg_by_hand():
    # F1(favor) = 4/5 and F1(against) = 2/3 (see test_per_class_and_macro_f1_by_hand);
    # F_avg = (4/5 + 2/3) / 2 = (12/15 + 10/15) / 2 = 11/15; neutral does not enter the mean
    assert f_avg(STANCE_GOLD, STANCE_PRED) == approx(11 / 15)


def test_f_avg_reads_semeval_labels():
    def upper(labels):
        return [{"neutral": "NONE"}.get(x, x.upper()) for x in labels]

    assert f_avg(upper(STANCE_GOLD), upper(STANCE_PRED)) == approx(11 / 15)


def test_f_avg_neutral_only_is_zero():
    # no favor/against in gold or pred: both F1 are 0/0 -> 0
    assert f_avg(["neutral", "neutral"], ["neutral", "neutral"]) == 0.0


# ---------------------------------------------------------------------------
# FNC-1


def test_fnc1_score_five_pairs_by_hand():
    gold = ["favor", "against", "neutral", "unrelated", "neutral"]
    pred = ["agree", "discuss", "unrelated", "unrelated", "discuss"]
    # 1 agree/agree:         related split right 0.25 + exact related 0.75 = 1.00
    # 2 disagree/discuss:    related split right 0.25, label wrong          = 0.25
    # 3 discuss/unrelated:   split wrong                                    = 0.00
    # 4 unrelated/unrelated: split right 0.25                               = 0.25
    # 5 discuss/discuss:     0.25 + 0.75                                    = 1.00
    # score = 2.5; max = 1 + 1 + 1 + 0.25 + 1 = 4.25; relative = 2.5 / 4.25 * 100 = 58.8235...
    result = fnc1_score(gold, pred)
    assert isinstance(result, FNC1Result)
    assert result.score == approx(2.5)
    assert result.max_score == approx(4.25)
    assert result.relative == approx(250 / 4.25)
    assert result.to_dict() == {
        "score": result.score,
        "max_score": result.max_score,
        "relative": result.relative,
    }


def test_fnc1_all_unrelated_baseline_and_case():
    gold = ["FAVOR", "against", "neutral", "unrelated", "neutral"]
    # only pair 4 scores: 0.25 of 4.25
    result = fnc1_score(gold, ["unrelated"] * 5)
    assert result.score == approx(0.25)
    assert result.relative == approx(25 / 4.25)
    # a related prediction for an unrelated pair scores nothing
    assert fnc1_score(["unrelated"], ["agree"]).score == 0.0


def test_fnc1_unknown_label_raises():
    with pytest.raises(ValueError, match="unknown FNC-1 stance label 'support'"):
        fnc1_score(["favor"], ["support"])


# ---------------------------------------------------------------------------
# Spans

EU = "The EU will lift sanctions if Russia withdraws its troops."
TALKS = "Officials said talks would resume if the ceasefire held."


def test_span_fixture_offsets():
    assert EU[27:29] == "if"
    assert EU[27:57] == "if Russia withdraws its troops"
    assert EU[30:57] == "Russia withdraws its troops"
    assert EU[0:26] == "The EU will lift sanctions"
    assert EU[7:26] == "will lift sanctions"
    assert TALKS[34:55] == "if the ceasefire held"
    assert TALKS[34:50] == "if the ceasefire"
    assert TALKS[41:55] == "ceasefire held"
    assert TALKS[15:33] == "talks would resume"


GOLD_EU = {("cue", 27, 29), ("condition", 27, 57), ("consequence", 0, 26)}
PRED_EU = {("cue", 27, 29), ("condition", 30, 57), ("consequence", 7, 26)}
GOLD_TALKS = {("condition", 34, 55)}
PRED_TALKS = {("condition", 34, 50), ("condition", 41, 55), ("consequence", 15, 33)}


def test_exact_and_overlap_differ_on_one_sentence():
    # exact: only the cue is identical -> tp 1, fp 2, fn 2 -> P = R = F1 = 1/3
    assert_prf(span_prf_exact([GOLD_EU], [PRED_EU]), 1 / 3, 1 / 3, 1 / 3, 1, 2, 2)
    # overlap: cue identical; condition shares Russia/withdraws/its/troops; consequence shares
    # will/lift/sanctions -> all three match -> P = R = F1 = 1
    assert_prf(span_prf_overlap_binary([GOLD_EU], [PRED_EU], [EU]), 1, 1, 1, 3, 0, 0)
    # token level, per label:
    #   cue         G = {if}                          P = {if}         shared 1
    #   condition   G = {if Russia withdraws its troops} (5)  P = 4 of them  shared 4
    #   consequence G = {The EU will lift sanctions} (5)      P = 3 of them  shared 3
    # tp = 8, fp = 0, fn = 0 + 1 + 2 = 3 -> P = 1, R = 8/11, F1 = (16/11) / (19/11) = 16/19
    assert_prf(span_token_f1([GOLD_EU], [PRED_EU], [EU]), 1, 8 / 11, 16 / 19, 8, 0, 3)


def test_span_scores_over_two_items():
    gold, pred, texts = [GOLD_EU, GOLD_TALKS], [PRED_EU, PRED_TALKS], [EU, TALKS]
    # item 2 exact: nothing identical -> tp 0, fp 3, fn 1
    # total exact: tp 1, fp 5, fn 3 -> P = 1/6, R = 1/4, F1 = (2/24) / (5/12) = 1/5
    assert_prf(span_prf_exact(gold, pred), 1 / 6, 1 / 4, 1 / 5, 1, 5, 3)
    # item 2 overlap: "if the ceasefire" shares 3 tokens with gold, "ceasefire held" 2;
    # one-to-one, best first -> the first matches, the second is a false positive; the
    # consequence has no gold of its label -> fp. Item: tp 1, fp 2, fn 0
    # total overlap: tp 4, fp 2, fn 0 -> P = 4/6, R = 1, F1 = (4/3) / (5/3) = 4/5
    assert_prf(span_prf_overlap_binary(gold, pred, texts), 2 / 3, 1, 4 / 5, 4, 2, 0)
    # item 2 tokens: condition G = {if, the, ceasefire, held}, P = union of the two predicted
    # spans = the same 4 -> shared 4; consequence G = {}, P = {talks, would, resume} -> fp 3
    # total: tp 8 + 4 = 12, fp 0 + 3 = 3, fn 3 + 0 = 3 -> P = R = F1 = 12/15 = 4/5
    assert_prf(span_token_f1(gold, pred, texts), 4 / 5, 4 / 5, 4 / 5, 12, 3, 3)


def test_overlap_matching_prefers_largest_overlap():
    # gold: "talks would resume" (15, 33) and "if the ceasefire held" (34, 55), same label.
    # the single prediction "resume if the ceasefire" (27, 50) shares 1 token with the first
    # and 3 with the second, so it takes the second; a second prediction "talks" (15, 20)
    # can still take the first -> tp 2
    gold = [{("span", 15, 33), ("span", 34, 55)}]
    pred = [{("span", 27, 50), ("span", 15, 20)}]
    assert TALKS[27:50] == "resume if the ceasefire"
    assert span_prf_overlap_binary(gold, pred, [TALKS]).tp == 2


def test_span_label_must_agree_for_overlap():
    # same offsets, different label: no match in any mode
    gold, pred = [{("condition", 34, 55)}], [{("consequence", 34, 55)}]
    assert span_prf_exact(gold, pred).tp == 0
    assert span_prf_overlap_binary(gold, pred, [TALKS]).tp == 0
    assert span_token_f1(gold, pred, [TALKS]).tp == 0


def test_span_outside_text_raises():
    with pytest.raises(ValueError, match=r"span \(0, 99\)"):
        span_token_f1([{("cue", 0, 99)}], [set()], [TALKS])


span_strategy = st.tuples(
    st.sampled_from(["cue", "condition"]), st.integers(0, 56), st.integers(0, 56)
).map(lambda t: (t[0], min(t[1], t[2]), max(t[1], t[2])))


@settings(max_examples=80, deadline=None)
@given(st.sets(span_strategy, max_size=5), st.sets(span_strategy, max_size=5))
def test_overlap_never_below_exact(gold, pred):
    exact = span_prf_exact([gold], [pred])
    overlap = span_prf_overlap_binary([gold], [pred], [TALKS])
    assert overlap.tp >= exact.tp
    assert overlap.tp + overlap.fp == len(pred)
    assert overlap.tp + overlap.fn == len(gold)
    same = span_token_f1([gold], [gold], [TALKS])
    assert same.fp == same.fn == 0


# ---------------------------------------------------------------------------
# Relations

REPORT = (
    "The ministry said the talks were productive, and it was reported that a summit was planned."
)
# R1: source "The ministry", cue "said", content "the talks were productive"
# R2: no source, cue "was reported", content "a summit was planned"
R1 = ((0, 12), (13, 17), (18, 43))
R2 = (None, (52, 64), (70, 90))


def test_relation_fixture_offsets():
    assert [REPORT[s:e] for s, e in R1] == ["The ministry", "said", "the talks were productive"]
    assert [REPORT[s:e] for s, e in R2[1:]] == ["was reported", "a summit was planned"]
    assert REPORT[49:51] == "it"


def test_relations_with_none_source():
    gold = [[R1, R2]]
    # prediction 1 copies R1; prediction 2 gives R2 a source "it" where gold has none
    pred = [[R1, ((49, 51), (52, 64), (70, 90))]]
    # exact: R1 matches; the second does not (span vs None) -> tp 1, fp 1, fn 1 -> 1/2 each
    assert_prf(relation_prf(gold, pred), 0.5, 0.5, 0.5, 1, 1, 1)
    # overlap: a None role never matches a span either -> the same
    assert_prf(relation_prf(gold, pred, [REPORT], mode="overlap"), 0.5, 0.5, 0.5, 1, 1, 1)


def test_relations_partial_roles_match_only_in_overlap_mode():
    gold = [[R1, R2]]
    # source "ministry" (4, 12) for R1; cue "reported" (56, 64) for R2, source None kept
    pred = [[((4, 12), (13, 17), (18, 43)), (None, (56, 64), (70, 90))]]
    # exact: neither is identical -> tp 0, fp 2, fn 2 -> 0
    assert_prf(relation_prf(gold, pred), 0, 0, 0, 0, 2, 2)
    # overlap: every role shares a token, None with None -> both match -> 1
    assert_prf(relation_prf(gold, pred, [REPORT], mode="overlap"), 1, 1, 1, 2, 0, 0)


def test_relation_one_to_one():
    # the same gold relation predicted twice: one tp, one fp
    assert_prf(relation_prf([[R1]], [[R1, R1]]), 0.5, 1, 2 / 3, 1, 1, 0)
    assert relation_prf([[R1]], [[R1, R1]], [REPORT], mode="overlap").tp == 1


def test_relation_argument_errors():
    with pytest.raises(ValueError, match="needs texts"):
        relation_prf([[R1]], [[R1]], mode="overlap")
    with pytest.raises(ValueError, match="mode must be"):
        relation_prf([[R1]], [[R1]], mode="fuzzy")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="numbers of roles"):
        relation_prf([[R1]], [[R1[1:]]])


# ---------------------------------------------------------------------------
# SemEval-2020 Task 5 subtask 2

S1 = "If the sanctions had been lifted, trade would have recovered."
S2 = "Had Ankara signed the accord, the border would have stayed open."
S3 = "If only the envoy had listened."


def test_semeval_fixture_offsets():
    assert S1[0:32] == "If the sanctions had been lifted"
    assert S1[34:60] == "trade would have recovered"
    assert S2[0:28] == "Had Ankara signed the accord"
    assert S2[4:28] == "Ankara signed the accord"
    assert S2[30:63] == "the border would have stayed open"
    assert S3[0:30] == "If only the envoy had listened"
    assert S3[8:30] == "the envoy had listened"


def test_semeval2020_task5_three_sentences_by_hand():
    gold = [((0, 32), (34, 60)), ((0, 28), (30, 63)), ((0, 30), None)]
    pred = [((0, 32), (34, 60)), ((4, 28), None), ((8, 30), None)]
    # S1: both exact. EM 1; pooled P = R = F1 = 1; ante F1 1, cons F1 1.
    # S2: ante gold 5 words, pred 4 words, shared 4; cons gold 6 words, pred None.
    #     pooled: shared 4 + 0 = 4; pred words 4 + 0; gold words 5 + 6 = 11
    #             P = 4/4 = 1, R = 4/11, F1 = (8/11) / (15/11) = 8/15
    #     ante F1: P 1, R 4/5 -> 1.6 / 1.8 = 8/9; cons: gold span vs None -> 0; EM 0
    # S3: gold consequent None, predicted None. ante gold 6 words, pred 4, shared 4.
    #     pooled: P = 4/4 = 1, R = 4/6 = 2/3, F1 = (4/3) / (5/3) = 4/5
    #     ante F1 = 4/5; cons both None -> 1 and consequent EM 1; EM 0 (antecedent differs)
    r = semeval2020_task5_subtask2(gold, pred, [S1, S2, S3])
    assert r.n == 3
    assert r.exact_match == approx(1 / 3)
    assert r.precision == approx(1.0)  # (1 + 1 + 1) / 3
    assert r.recall == approx(67 / 99)  # (1 + 4/11 + 2/3) / 3 = (33 + 12 + 22) / 33 / 3
    assert r.f1 == approx(7 / 9)  # (1 + 8/15 + 4/5) / 3 = (15 + 8 + 12) / 15 / 3 = 35/45
    assert r.antecedent_exact_match == approx(1 / 3)
    assert r.antecedent_f1 == approx(121 / 135)  # (1 + 8/9 + 4/5) / 3 = (45 + 40 + 36) / 45 / 3
    assert r.consequent_exact_match == approx(2 / 3)  # S1 equal, S3 both None
    assert r.consequent_f1 == approx(2 / 3)  # (1 + 0 + 1) / 3
    assert r.f1_mean_of_parts == approx(211 / 270)  # (121/135 + 90/135) / 2
    assert set(r.to_dict()) >= {"exact_match", "f1", "consequent_f1", "n"}


def test_semeval_spurious_consequent_costs_precision():
    # S3 with a predicted consequent "If only" (0, 7), 2 words, where gold has none:
    # pooled shared 4; pred words 4 + 2 = 6; gold words 6 -> P = R = F1 = 4/6 = 2/3
    # consequent alone: gold None, pred span -> 0
    r = semeval2020_task5_subtask2([((0, 30), None)], [((8, 30), (0, 7))], [S3])
    assert (r.precision, r.recall, r.f1) == (approx(2 / 3), approx(2 / 3), approx(2 / 3))
    assert r.consequent_f1 == 0.0
    assert r.consequent_exact_match == 0.0


def test_semeval_word_fragments_count_as_words():
    # like the official scorer, words are whitespace pieces of the character range, so a
    # prediction starting inside "If" (1, 32) = "f the sanctions had been lifted" has 6
    # words, all shared: pooled P = R = F1 = (6 + 4) / 10 = 1, though EM is 0
    r = semeval2020_task5_subtask2([((0, 32), (34, 60))], [((1, 32), (34, 60))], [S1])
    assert r.f1 == approx(1.0)
    assert r.exact_match == 0.0


def test_semeval_missing_or_empty_predicted_antecedent_scores_zero():
    gold = [((0, 32), (34, 60))]
    for ante in (None, (5, 5)):
        # the official format check rejects the row: P = R = F1 = 0 for the sentence
        r = semeval2020_task5_subtask2(gold, [(ante, (34, 60))], [S1])
        assert (r.precision, r.recall, r.f1, r.exact_match) == (0.0, 0.0, 0.0, 0.0)
        assert r.consequent_f1 == 1.0  # the part figure still sees a perfect consequent


def test_semeval_gold_antecedent_required():
    with pytest.raises(ValueError, match="gold antecedent is None"):
        semeval2020_task5_subtask2([(None, (34, 60))], [((0, 32), None)], [S1])  # type: ignore[list-item]


# ---------------------------------------------------------------------------
# Empty inputs and mismatched lengths


def test_empty_inputs_score_zero():
    zero = PRF(0.0, 0.0, 0.0, 0, 0, 0)
    assert binary_prf([], []) == zero
    assert span_prf_exact([], []) == zero
    assert span_prf_exact([set()], [set()]) == zero
    assert span_prf_overlap_binary([], [], []) == zero
    assert span_token_f1([set()], [set()], [""]) == zero
    assert relation_prf([], []) == zero
    assert relation_prf([[]], [[]], [""], mode="overlap") == zero
    assert accuracy([], []) == 0.0
    assert macro_f1([], [], ["favor"]) == 0.0
    assert macro_f1([], []) == 0.0
    assert per_class_f1([], [], ["favor"]) == {"favor": 0.0}
    assert f_avg([], []) == 0.0
    assert fnc1_score([], []) == FNC1Result(0.0, 0.0, 0.0)
    r = semeval2020_task5_subtask2([], [], [])
    assert (r.exact_match, r.f1, r.antecedent_f1, r.consequent_f1, r.n) == (0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: binary_prf([True], []),
        lambda: accuracy(["favor"], ["favor", "against"]),
        lambda: macro_f1(["favor"], [], ["favor"]),
        lambda: per_class_f1([], ["favor"], ["favor"]),
        lambda: f_avg(["favor", "against"], ["favor"]),
        lambda: fnc1_score(["agree"], []),
        lambda: span_prf_exact([set()], []),
        lambda: span_prf_overlap_binary([set()], [set()], []),
        lambda: span_token_f1([set()], [set(), set()], [""]),
        lambda: relation_prf([[]], [[], []]),
        lambda: relation_prf([[]], [[]], ["", ""], mode="overlap"),
        lambda: semeval2020_task5_subtask2([((0, 1), None)], [], ["a"]),
    ],
)
def test_mismatched_lengths_raise(call):
    with pytest.raises(ValueError, match="one entry per item"):
        call()


# ---------------------------------------------------------------------------
# Bootstrap


def _mean(values):
    return float(np.mean(values))


def test_bootstrap_deterministic_and_contains_point_estimate():
    values = list(range(20))  # mean 9.5
    first = bootstrap_ci(_mean, values, n_resamples=300, seed=7)
    again = bootstrap_ci(_mean, values, n_resamples=300, seed=7)
    other = bootstrap_ci(_mean, values, n_resamples=300, seed=8)
    assert first == again
    assert first != other
    low, high = first
    assert low < 9.5 < high
    assert low >= 0.0 and high <= 19.0
    # a wider coverage gives an interval at least as wide
    wide_low, wide_high = bootstrap_ci(_mean, values, n_resamples=300, seed=7, confidence=0.99)
    assert wide_low <= low and high <= wide_high


def test_bootstrap_resamples_arrays_jointly():
    gold = ["favor", "against", "neutral", "unrelated"]
    seen = []

    def metric(g, p, arr):
        assert isinstance(g, list) and isinstance(arr, np.ndarray)
        assert g == p  # same indices for every array
        assert list(arr) == [gold.index(x) for x in g]
        seen.append(1)
        return accuracy(g, p)

    low, high = bootstrap_ci(metric, gold, list(gold), np.arange(4), n_resamples=50)
    assert (low, high) == (1.0, 1.0)  # identical arrays: accuracy 1 in every resample
    assert len(seen) == 50


def test_bootstrap_argument_errors():
    with pytest.raises(ValueError, match="at least one array"):
        bootstrap_ci(_mean)
    with pytest.raises(ValueError, match="arrays are empty"):
        bootstrap_ci(_mean, [])
    with pytest.raises(ValueError, match="one entry per item"):
        bootstrap_ci(accuracy, [1, 2], [1])
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_ci(_mean, [1, 2], confidence=1.0)
    with pytest.raises(ValueError, match="n_resamples"):
        bootstrap_ci(_mean, [1, 2], n_resamples=0)


def test_expected_calibration_error() -> None:
    from diplolex.metrics import expected_calibration_error

    assert expected_calibration_error([], []) == 0.0
    assert expected_calibration_error([1.0, 1.0], [True, True]) == 0.0  # 1.0: the last bin
    assert expected_calibration_error([0.9, 0.9, 0.6, 0.6], [True, False, True, True]) == (
        pytest.approx(0.4)
    )
    assert expected_calibration_error([0.75] * 4, [True, True, True, False], bins=2) == 0.0
    with pytest.raises(ValueError):
        expected_calibration_error([0.5], [True, False])
