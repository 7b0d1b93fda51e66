import pytest

from diplolex.spans import (
    bio_to_char_spans,
    char_spans_to_bio,
    clean_span,
    glued_to_previous,
    snap_to_words,
    viterbi_bio,
)

LABELS = ("condition", "consequence")


def test_clean_span_trims_whitespace_and_final_punctuation():
    text = "  the talks failed. "
    assert clean_span(text, 0, len(text)) == (2, 18)
    start, end = clean_span("   ", 0, 3)
    assert start == end


def test_snap_to_words_widens_to_whole_words():
    text = "negotiations resumed"
    assert snap_to_words(text, 3, 7) == (0, 12)
    assert snap_to_words(text, 0, 12) == (0, 12)


def test_bio_round_trip_recovers_spans():
    offsets = [None, (0, 2), (3, 6), (7, 12), (12, 13), (14, 18), (19, 24), None]
    tags = char_spans_to_bio(offsets, [("condition", 0, 12), ("consequence", 14, 24)], LABELS)
    assert tags == [-100, 1, 2, 2, 0, 3, 4, -100]
    spans = bio_to_char_spans(tags, offsets, LABELS)
    assert [(label, s, e) for label, s, e, _ in spans] == [
        ("condition", 0, 12),
        ("consequence", 14, 24),
    ]


def test_inside_tag_without_begin_starts_a_span_and_scores_average():
    offsets = [(0, 3), (4, 7), (8, 11)]
    spans = bio_to_char_spans([0, 2, 2], offsets, LABELS, scores=[0.9, 0.6, 0.8])
    assert spans == [("condition", 4, 11, pytest.approx(0.7))]


def _logs(*rows):
    import math

    return [[math.log(p) for p in row] for row in rows]


def test_viterbi_turns_a_stray_inside_into_a_begin_and_keeps_word_pieces_together():
    # the best per-token codes would be O, I-cond, I-cond, O: invalid twice over
    log_probs = _logs(
        (0.9, 0.05, 0.02, 0.02, 0.01),
        (0.1, 0.1, 0.7, 0.05, 0.05),
        (0.1, 0.1, 0.7, 0.05, 0.05),
        (0.6, 0.1, 0.2, 0.05, 0.05),  # a word piece glued to the previous token
    )
    assert viterbi_bio(log_probs, [False, False, False, True]) == [0, 1, 2, 2]
    assert viterbi_bio(log_probs, [False, False, False, False]) == [0, 1, 2, 0]
    assert viterbi_bio([], []) == []


def test_glued_to_previous_marks_word_pieces_only():
    text = "unstoppable talks"
    offsets = [(0, 2), (2, 6), (6, 11), (12, 17)]
    assert glued_to_previous(text, offsets) == [False, True, True, False]
