"""Tests for :mod:`diplolex.segment`."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diplolex import segment
from diplolex.segment import split_sentences


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


def assert_well_formed(text: str, spans: list[tuple[int, int]]) -> None:
    """Spans are ordered, trimmed and cover every non-whitespace character."""
    gaps = []
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip()
        gaps.append(text[previous_end:start])
        previous_end = end
    gaps.append(text[previous_end:])
    assert "".join(gaps).strip() == ""


# Each case: sentences that, joined by a space, must split back into exactly themselves.
SPACE_JOINED = [
    [
        "Gen. Marisol Ortega arrived in Nairobi on Tuesday.",
        "She met the defence minister behind closed doors.",
    ],
    [
        "Sen. Okafor and Mr. Lindqvist questioned the envoy for three hours.",
        "The hearing ended without a vote.",
    ],
    ["The U.S. delegation walked out of the session.", "Talks resumed after lunch."],
    [
        "A draft circulated at the U.N. on Monday called for an immediate truce.",
        "China abstained.",
    ],
    [
        "The sanctions package was drafted in the U.S.",
        "The European Union followed a week later.",
    ],
    [
        "The foreign ministers will meet again Jan. 14 in Oslo.",
        "No date has been set for a summit.",
    ],
    ["Reporters waited outside No. 10 for a statement.", "It never came."],
    [
        "The envoy toured St. Petersburg before the vote.",
        "He flew home on Friday.",
    ],
    [
        "A letter from John F. Kennedy was read aloud at the ceremony.",
        "The guests applauded.",
    ],
    [
        "Trade between the two blocs grew 3.5 percent last year.",
        "Officials called the figure modest.",
    ],
    [
        "Lt. Col. Haddad briefed Rep. Moss and Gov. Ruiz on the border incident.",
        "The briefing was classified.",
    ],
    ["Amb. Rahimi presented her credentials at the palace.", "The ceremony was brief."],
    ["The ceasefire took effect at 6 a.m. on Sunday.", "Shelling stopped within the hour."],
    ['"We will not yield," the foreign minister said.', "Then he left the podium."],
    ['The spokeswoman said: "The border stays closed."', "The minister left the room."],
    ["\u201cWe will not yield,\u201d the president said.", "Then he left."],
    ["She added: \u201cThe door remains open.\u201d", "The envoy nodded."],
    ["The talks stalled...", "Negotiators flew home the next morning."],
    ["The proposal was, in his words... unworkable."],
    ["Will the truce hold?", "Nobody in the capital is sure!", "Diplomats remain cautious."],
    ["Le ministre est arrivé à Genève.", "Il a rencontré son homologue russe."],
    ["Министр прибыл в Москву.", "Переговоры начались в полдень."],
    ["وصل الوزير إلى القاهرة.", "بدأت المحادثات."],
    ["envoys met behind closed doors and agreed on nothing"],
    ["The accord was signed 🎉.", "Crowds outside the embassy cheered 👏!"],
    ["The memo ∯ was leaked.", "Then ȸ the talks collapsed."],
]


@pytest.mark.parametrize("expected", SPACE_JOINED, ids=lambda case: case[0][:30])
def test_news_sentences(expected: list[str]) -> None:
    assert sentences(" ".join(expected)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("外长抵达北京。双方举行了会谈。", ["外长抵达北京。", "双方举行了会谈。"]),
        (
            "Envoys gather in Vienna\nTalks on the nuclear file resumed. Tehran sent a deputy.",
            [
                "Envoys gather in Vienna",
                "Talks on the nuclear file resumed.",
                "Tehran sent a deputy.",
            ],
        ),
        (
            "Key demands:\n• A full ceasefire\n• Release of prisoners\n- Aid corridors",
            ["Key demands:", "• A full ceasefire", "• Release of prisoners", "- Aid corridors"],
        ),
        (
            "Talks collapsed.\n\n  Both sides blamed each other.  ",
            ["Talks collapsed.", "Both sides blamed each other."],
        ),
        ("The delegates\nleft early.", ["The delegates", "left early."]),
        (
            "Summit opens.\r\nLeaders arrive.\u2028Aides follow.",
            ["Summit opens.", "Leaders arrive.", "Aides follow."],
        ),
        ("<p>Talks resumed.</p>", ["<p>Talks resumed.</p>"]),
        (
            "<p>Talks resumed.</p><p>The envoy arrived.</p>",
            ["<p>Talks resumed.</p>", "<p>The envoy arrived.</p>"],
        ),
        (
            "Aid convoy halted<br>Officials blame the weather.",
            ["Aid convoy halted<br>", "Officials blame the weather."],
        ),
        (
            "\x00Talks\x07 resumed. The envoy\x1b left.",
            ["\x00Talks\x07 resumed.", "The envoy\x1b left."],
        ),
        ("", []),
        (" \t\n\r\n\u3000 ", []),
        ("...", ["..."]),
    ],
)
def test_lines_markup_and_edge_cases(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_pysbd_failure_keeps_the_chunk_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def __init__(self, text: str, language: object) -> None:
            pass

        def process(self) -> list[str]:
            raise ValueError("boom")

    monkeypatch.setattr(segment, "_pysbd", lambda: (Broken, None))
    text = "Mr. Li spoke. He left.\nThe talks ended."
    assert sentences(text) == ["Mr. Li spoke. He left.", "The talks ended."]


def test_long_line_is_chunked_at_sentence_ends() -> None:
    expected = [sentence for case in SPACE_JOINED[:20] for sentence in case] * 10
    text = " ".join(expected)
    assert len(text) > 5 * segment.MAX_CHUNK_CHARS
    assert sentences(text) == expected


@pytest.mark.parametrize("text", ["x" * 50_000, "U.S. " * 3_000, "." * 10_000, "。" * 5_000])
def test_pathological_lines(text: str) -> None:
    assert_well_formed(text, split_sentences(text))


def test_generated_200kb_document() -> None:
    rng = random.Random(20240611)
    # A lowercase opening would rightly continue the previous sentence.
    cases = [case for case in SPACE_JOINED if not case[0][0].islower()]
    headlines = ["Envoys gather in Vienna", "Key demands:", "• A full ceasefire"]
    expected: list[str] = []
    paragraphs: list[str] = []
    size = 0
    while size < 200_000:
        lines = [rng.choice(headlines)] if rng.random() < 0.3 else []
        body = [sentence for _ in range(rng.randint(1, 4)) for sentence in rng.choice(cases)]
        lines.append(" ".join(body))
        expected += lines[:-1] + body
        paragraphs.append("\n".join(lines))
        size += len(paragraphs[-1]) + 2
    text = "\n\n".join(paragraphs)
    spans = split_sentences(text)
    assert_well_formed(text, spans)
    assert [text[start:end] for start, end in spans] == expected


NEWSY = st.sampled_from(
    [
        " ",
        "  ",
        "\n",
        "\n\n",
        "\t",
        "\r\n",
        "\u00a0",
        "\u3000",
        ".",
        "...",
        "…",
        "!",
        "?",
        "?!",
        '"',
        "\u201c",
        "\u201d",
        "'",
        "(",
        ")",
        "<p>",
        "</p>",
        "<br>",
        "Mr.",
        "U.S.",
        "No.",
        "Jan.",
        "3.5",
        "F.",
        "St.",
        "a.m.",
        "e.g.",
        "The",
        "talks",
        "ended",
        "1.",
        "•",
        "。",
        "！",
        "∯",
        "ȸ",
        "&",
        "Genève",
        "переговоры",
        "🎉",
        "\x00",
        "\x1c",
    ]
)


@settings(deadline=None)
@given(st.one_of(st.text(), st.lists(NEWSY, max_size=60).map("".join)))
def test_spans_are_well_formed(text: str) -> None:
    assert_well_formed(text, split_sentences(text))


def test_import_does_not_load_pysbd() -> None:
    code = "import sys, diplolex.segment; sys.exit('pysbd' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
