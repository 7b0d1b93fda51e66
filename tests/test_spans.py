import pytest

from diplolex.spans import bio_to_char_spans, char_spans_to_bio, clean_span, snap_to_words

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
