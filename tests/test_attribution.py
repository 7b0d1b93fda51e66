"""The shipped attribution model on the project's own article, hostile input, and machinery."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
import torch

from diplolex.encoder import SharedEncoder
from diplolex.tasks.attribution.evaluate import score_attribution
from diplolex.tasks.attribution.features import (
    DocumentTokens,
    document_tokens,
    owner_windows,
    token_shape,
    window_starts,
)
from diplolex.tasks.attribution.model import (
    NUM_TAGS,
    AttributionConfig,
    AttributionHead,
)
from diplolex.tasks.attribution.predict import (
    AttributionModel,
    AttributionPrediction,
    decode_cues,
    encode_documents,
    point_spans,
)
from diplolex.tasks.attribution.resolve import resolve_sources, source_kind
from diplolex.tasks.attribution.train import compute_loss, make_example


@pytest.fixture(scope="module")
def encoder() -> SharedEncoder:
    return SharedEncoder()


@pytest.fixture(scope="module")
def model() -> AttributionModel:
    return AttributionModel.load()


def _texts(text: str, relation: AttributionPrediction) -> tuple[str | None, str, str]:
    source = None if relation.source is None else text[slice(*relation.source)]
    return source, text[slice(*relation.cue)], text[slice(*relation.content)]


def _check_offsets(text: str, relations: list[AttributionPrediction]) -> None:
    for r in relations:
        spans = [r.cue, r.content] + [x for x in (r.source, r.resolved_source) if x]
        for start, end in spans:
            assert 0 <= start < end <= len(text)
            assert text[start:end] == text[start:end].strip()
        assert 0.0 <= r.score <= 1.0
        assert (r.resolved_source is None) == (r.resolved_score is None)


# A project-written article (invented people and events).
ARTICLE = (
    "Talks on the grain corridor resumed in Vienna on Monday.\n\n"
    "\u201cWe will not sign anything that leaves our ports blockaded,\u201d said Foreign "
    "Minister Elena Varga.\n\n"
    "Varga told reporters that the next round could start within two weeks. "
    "She added that her government wanted written guarantees.\n\n"
    "According to the Kremlin, the proposal remains under review.\n\n"
    "It was reported that the delegations had exchanged draft texts."
)


@pytest.fixture(scope="module")
def article(model, encoder) -> list[AttributionPrediction]:
    return model.predict_texts(encoder, [ARTICLE])[0]


def _find(relations, text, cue: str) -> AttributionPrediction:
    hits = [r for r in relations if cue in text[slice(*r.cue)]]
    assert hits, f"no relation with cue {cue!r}: {[_texts(text, r) for r in relations]}"
    return hits[0]


def test_direct_quote(article):
    r = _find(article, ARTICLE, "said")
    assert (
        _texts(ARTICLE, r)[2]
        == "\u201cWe will not sign anything that leaves our ports blockaded,\u201d"
    )


def test_direct_quote_source_is_the_whole_name(article):
    r = _find(article, ARTICLE, "said")
    assert _texts(ARTICLE, r)[0] == "Foreign Minister Elena Varga"


def test_indirect_quote(article):
    r = _find(article, ARTICLE, "told")
    assert _texts(ARTICLE, r)[2].startswith("the next round could start")


def test_according_to(article):
    r = _find(article, ARTICLE, "According to")
    assert "proposal remains under review" in _texts(ARTICLE, r)[2]


def test_pronoun_source_is_resolved_to_the_named_person(article):
    r = _find(article, ARTICLE, "added")
    assert _texts(ARTICLE, r)[0] == "She"
    assert r.resolved_source is not None and "Varga" in ARTICLE[slice(*r.resolved_source)]


def test_agentless_passive_has_no_source(article):
    r = _find(article, ARTICLE, "reported")
    assert r.source is None and "exchanged draft texts" in _texts(ARTICLE, r)[2]


def test_a_quote_of_two_sentences_is_one_content(model, encoder):
    text = (
        "\u201cThe corridor must stay open. Our farmers cannot wait another season,\u201d "
        "Deputy Minister Oleh Marchuk said on Tuesday."
    )
    (relations,) = model.predict_texts(encoder, [text])
    r = _find(relations, text, "said")
    assert _texts(text, r)[2] == text[: text.index(",\u201d") + 2]


@pytest.mark.parametrize(
    ("text", "verb", "source"),
    [
        ("The opposition rejected the truce proposal on Tuesday.", "rejected", "The opposition"),
        ("Brussels welcomed the decision to reopen the border crossing.", "welcomed", "Brussels"),
        ("The foreign minister hopes that the talks will resume next month.", "hopes",
         "The foreign minister"),
    ],
)  # fmt: skip
def test_attitude_verbs_are_cues_with_their_holder_as_source(model, encoder, text, verb, source):
    (relations,) = model.predict_texts(encoder, [text])
    r = _find(relations, text, verb)
    assert _texts(text, r)[0] == source
    assert r.content[0] >= r.cue[1]  # the attitude's object follows its verb


def test_denial_after_a_titled_name(model, encoder):
    text = "Kremlin spokesman Ivan Petrov denied that troops had crossed the river."
    (relations,) = model.predict_texts(encoder, [text])
    assert _texts(text, _find(relations, text, "denied"))[0] == "Kremlin spokesman Ivan Petrov"


HOSTILE = {
    "unbalanced": 'The envoy said "we are ready to talk. Nobody else commented.',
    "curly-and-straight": '\u201cWe are ready," the envoy said. "Talks resume\u201d, he added.',
    "nested": "\u201cHe told me \u2018we will never leave\u2019,\u201d the mayor said.",
    "never-closes": "\u201cThe blockade will end soon, the minister said, and then " * 5,
    "dash": "\u201cThe sanctions will stay.\u201d \u2014 Foreign Minister Ivan Petrov",
    "from-lead-in": "From the ministry: the embassy will reopen on Friday.",
    "previous-sentence": "Ivan Petrov spoke after the meeting. \u201cNothing was agreed.\u201d",
    "no-attribution": "The river rose overnight. Bridges were closed. Schools stayed shut.",
    "only-quotes": "\u201c\u201d \"\" '' \u201c \u201d",
    "empty": "",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_keeps_offsets_exact(model, encoder, name):
    text = HOSTILE[name]
    (relations,) = model.predict_texts(encoder, [text])
    _check_offsets(text, relations)
    if name in ("no-attribution", "empty", "only-quotes"):
        assert relations == []


def test_clear_cases_in_hostile_input(model, encoder):
    docs = [HOSTILE["curly-and-straight"], HOSTILE["dash"]]
    curly, dash = model.predict_texts(encoder, docs)
    assert any(docs[0][slice(*r.cue)] == "said" for r in curly)
    assert all("Petrov" not in docs[1][slice(*r.content)] for r in dash)


def test_two_hundred_cues_in_one_document(model, encoder):
    text = " ".join(f"Official number {i} said the talks had failed." for i in range(200))
    (relations,) = model.predict_texts(encoder, [text])
    _check_offsets(text, relations)
    assert len(relations) >= 150


def test_predict_document_from_sentence_states_matches_predict_texts(model, encoder):
    from diplolex.segment import split_sentences
    from diplolex.tasks.attribution.features import sentence_states

    bounds = split_sentences(ARTICLE)
    sentences = [ARTICLE[s:e] for s, e in bounds]
    states = sentence_states(encoder.encode(sentences), len(sentences))
    direct = model.predict_document(ARTICLE, bounds, states)
    assert [(r.source, r.cue, r.content) for r in direct] == [
        (r.source, r.cue, r.content) for r in model.predict_texts(encoder, [ARTICLE])[0]
    ]


def test_the_analyzer_keeps_layer_mixed_states_with_the_same_relations(model, encoder):
    from diplolex.segment import split_sentences

    bounds = split_sentences(ARTICLE)
    sentences = [ARTICLE[s:e] for s, e in bounds]
    kept = model.read_batch(encoder.encode(sentences), sentences)
    assert all(st.mixed and st.states.shape[0] == 1 for st in kept)
    assert all(st.states.dtype == torch.float16 for st in kept)
    mixed = model.predict_document(ARTICLE, bounds, kept)
    assert mixed and [(r.source, r.cue, r.content) for r in mixed] == [
        (r.source, r.cue, r.content) for r in model.predict_texts(encoder, [ARTICLE])[0]
    ]
    with pytest.raises(ValueError, match="mix layer-mixed and unmixed"):
        document_tokens(ARTICLE, bounds[:2], [kept[0], replace(kept[1], mixed=False)])


def test_save_and_load_round_trip(model, encoder, tmp_path):
    model.save(tmp_path, "card")
    reloaded = AttributionModel.load(tmp_path)
    text = "\u201cTalks resume,\u201d Petrov said."
    assert reloaded.predict_texts(encoder, [text]) == model.predict_texts(encoder, [text])


def test_a_few_training_steps_reduce_the_loss(encoder):
    text = "\u201cWe will talk,\u201d Petrov said. The ministry denied the report."
    quote, said = text.index("\u201c"), text.index("said")
    record = {
        "text": text,
        "attributions": [
            {
                "source": {"start": said - 7, "end": said - 1, "text": "Petrov"},
                "cue": {"start": said, "end": said + 4, "text": "said"},
                "content": {"start": quote, "end": said - 8, "text": text[quote : said - 8]},
            }
        ],
    }
    (doc,) = encode_documents(encoder, [text])
    example = make_example(record, doc)
    assert example.tags.count(1) == 1 and example.tags.count(3) == 1  # B-source, B-cue
    ((cue_first, cue_last, first, last, source_first, source_last),) = example.relations
    covered = [(role, doc.offsets[a][0], doc.offsets[b][1]) for role, a, b in (
        ("cue", cue_first, cue_last), ("content", first, last),
        ("source", source_first, source_last),
    )]  # fmt: skip
    assert [text[s:e] for _, s, e in covered] == ["said", text[quote : said - 8], "Petrov"]
    torch.manual_seed(0)
    head = AttributionHead(AttributionConfig(dropout=0.0))
    optimizer = torch.optim.AdamW(head.parameters(), lr=1e-3)
    windows = [(0, 0, len(example.tags))]
    first_loss = compute_loss(head, [example], windows).item()
    for _ in range(15):
        optimizer.zero_grad()
        compute_loss(head, [example], windows).backward()
        optimizer.step()
    assert compute_loss(head, [example], windows).item() < first_loss / 2


# --- machinery without the model ---------------------------------------------------------


def _tokens(text: str) -> DocumentTokens:
    """Whitespace tokens of ``text`` (punctuation split off), with no states."""
    import re

    offsets = [m.span() for m in re.finditer(r"\w+|[^\w\s]", text)]
    n = len(offsets)
    return DocumentTokens(torch.zeros(1, n, 1), offsets, [0] * n, [0] * n, [0] * n)


def test_cues_are_read_from_the_tags_with_tidy_edges():
    text = "Petrov has learned on Monday, and Varga: talks failed ."
    doc = _tokens(text)
    words = [text[s:e] for s, e in doc.offsets]
    probs = torch.full((len(words), NUM_TAGS), 0.01)
    # B-cue 3, I-cue 4, B-source 1: "has" "learned" are two begin tags, yet one cue
    tag = {"has": 3, "learned": 3, "on": 4, "Varga": 1, ":": 3, "failed": 4}
    for t, w in enumerate(words):
        probs[t, tag.get(w, 0)] = 0.9
    cues = decode_cues(text, doc, probs)
    assert [text[c.start : c.end] for c in cues] == ["has learned on", ":", "failed"]
    assert cues[0].first == words.index("has") and cues[0].last == words.index("on")
    assert all(c.score == pytest.approx(0.91) for c in cues)  # begin + inside probability
    # "Monday" is a likely cue token, not the most likely label: taken in above 0.3 only
    monday = words.index("Monday")
    probs[monday, 4], probs[monday, 0] = 0.35, 0.6
    widened = decode_cues(text, doc, probs, extend_above=0.3)
    assert text[widened[0].start : widened[0].end] == "has learned on Monday"
    assert decode_cues(text, doc, probs, extend_above=0.4)[0] == cues[0]
    assert decode_cues(text, doc, probs, min_score=0.95) == []


def _logits(peaks: dict[tuple[int, int], float], tokens: int) -> torch.Tensor:
    out = torch.full((tokens, 4), -10.0)
    for (token, pointer), value in peaks.items():
        out[token, pointer] = value
    return out


def test_pointers_pick_the_best_allowed_pair_and_may_give_no_source():
    config = AttributionConfig(max_content_tokens=3, max_source_tokens=2)
    # content: first at 1; the best last (0) lies before it, so 3 wins
    peaks = {(1, 0): 5.0, (0, 1): 6.0, (3, 1): 4.0, (4, 2): 2.0, (5, 3): 2.0}
    first = point_spans(_logits(peaks, 7), -5.0, (6, 6), config)
    assert first.content == (1, 3) and first.source == (4, 5)
    # content (2, 5) would be 4 tokens long: too long, so (3, 5)
    peaks = {(2, 0): 5.0, (3, 0): 4.0, (5, 1): 5.0}
    second = point_spans(_logits(peaks, 7), 8.0, (0, 0), config)
    assert second.content == (3, 5) and second.source is None
    assert 0.0 < second.content_probability < 1.0


def test_pointers_keep_the_content_clear_of_its_cue_unless_around_it():
    config = AttributionConfig()
    # the best content (1, 4) would end inside the cue (3, 4): the next best (1, 2) wins
    peaks = {(1, 0): 5.0, (4, 1): 6.0, (2, 1): 3.0, (0, 2): 4.0, (0, 3): 4.0}
    found = point_spans(_logits(peaks, 8), -5.0, (3, 4), config)
    assert found.content == (1, 2) and found.source == (0, 0)
    # a content around the cue ("X," she said, "Y") is allowed, and may hold the source
    peaks = {(0, 0): 5.0, (7, 1): 6.0, (2, 2): 4.0, (2, 3): 4.0}
    found = point_spans(_logits(peaks, 8), -5.0, (3, 4), config)
    assert found.content == (0, 7) and found.source == (2, 2)
    # a source may not overlap the cue, nor a content that is not around it
    peaks = {
        (5, 0): 5.0,
        (7, 1): 6.0,
        (4, 2): 6.0,
        (6, 2): 5.0,
        (6, 3): 5.0,
        (1, 2): 3.0,
        (1, 3): 3.0,
    }
    found = point_spans(_logits(peaks, 8), -5.0, (3, 4), config)
    assert found.content == (5, 7) and found.source == (1, 1)


def test_pointers_give_nothing_when_no_content_is_allowed():
    logits = _logits({}, 3)
    logits[:, :2] = float("-inf")  # padding only, as in a window's tail
    assert point_spans(logits, 0.0, (1, 1), AttributionConfig()) is None


def test_a_cue_snapped_to_whole_words_covers_all_their_word_pieces():
    text = "Obama, dedicating the museum, said it matters."
    pieces = [(0, 5), (5, 6), (7, 14), (14, 17), (18, 21), (22, 28), (28, 29), (30, 34)]
    n = len(pieces)
    doc = DocumentTokens(torch.zeros(1, n, 1), pieces, [0] * n, [0] * n, [0] * n)
    probs = torch.full((n, NUM_TAGS), 0.01)
    probs[:, 0] = 0.9
    probs[2, 0], probs[2, 3] = 0.01, 0.9  # only the word's first piece, "dedicat", is cue
    (cue,) = decode_cues(text, doc, probs)
    assert text[cue.start : cue.end] == "dedicating"
    assert (cue.first, cue.last) == (2, 3)


def test_resolver_rules():
    text = "Ivan Petrov, who chairs the ministry, spoke. He said talks failed. It said no."
    he = text.index("He")
    rel = [
        AttributionPrediction((0, 11), (text.index("spoke"), text.index("spoke") + 5),
                              (13, 16), 1.0),
        AttributionPrediction((he, he + 2), (he + 3, he + 7), (he + 8, he + 20), 1.0),
        AttributionPrediction((text.index("It"), text.index("It") + 2),
                              (text.index("It") + 3, text.index("It") + 7),
                              (text.index("no"), text.index("no") + 2), 1.0),
    ]  # fmt: skip
    out = resolve_sources(text, [(0, 44), (45, 66), (67, len(text))], rel)
    assert text[slice(*out[1].resolved_source)] == "Ivan Petrov"
    assert out[0].resolved_source is None and out[2].resolved_source is None  # no organisation
    assert [source_kind(x) for x in ("he", "the spokesman", "Petrov", "officials")] == [
        "male",
        "definite",
        "named",
        "other",
    ]


def test_scorer_on_a_hand_checked_document():
    text = "Petrov said that the talks failed."
    gold = [
        {
            "text": text,
            "attributions": [
                {
                    "source": {"start": 0, "end": 6, "text": "Petrov"},
                    "cue": {"start": 7, "end": 11, "text": "said"},
                    "content": {"start": 17, "end": 33, "text": "the talks failed"},
                }
            ],
        }
    ]
    scores = score_attribution(gold, [[AttributionPrediction((0, 6), (7, 11), (17, 33), 1.0)]])
    assert scores.relation_exact.f1 == 1.0
    # content "talks failed" (2 of 3 tokens): not exact, but it overlaps
    partial = [[AttributionPrediction((0, 6), (7, 11), (21, 33), 1.0)]]
    scores = score_attribution(gold, partial)
    assert scores.content_exact.f1 == 0.0 and scores.content_overlap.f1 == 1.0
    assert scores.relation_exact.f1 == 0.0 and scores.relation_overlap.f1 == 1.0


def test_a_deeper_head_stacks_its_layers_and_round_trips(tmp_path):
    torch.manual_seed(0)
    config = AttributionConfig(head_layers=2, dropout=0.0)
    head = AttributionHead(config).eval()
    assert len(head.more_layers) == 1 and len(AttributionHead(AttributionConfig()).more_layers) == 0
    states = torch.randn(config.num_layers, 2, 5, config.hidden)
    mask = torch.tensor([[True] * 5, [True] * 3 + [False] * 2])
    zeros = torch.zeros(2, 5, dtype=torch.long)
    logits, hidden = head(states, mask, zeros, zeros)
    assert logits.shape == (2, 5, NUM_TAGS) and hidden.shape == (2, 5, config.hidden)
    AttributionModel(head, config).save(tmp_path, "card")
    reloaded = AttributionModel.load(tmp_path)
    again, _ = reloaded.head(states, mask, zeros, zeros)
    assert torch.allclose(again[mask], logits[mask], atol=1e-5)


def test_windows_cover_every_token_and_owners_are_central():
    starts = window_starts(700, 256, 128)
    assert starts[0] == 0 and starts[-1] == 700 - 256
    owners = owner_windows(700, starts, 256)
    for t, k in enumerate(owners):
        assert starts[k] <= t < starts[k] + 256
    assert owners[300] == starts.index(128 + 0) + 1 or starts[owners[300]] <= 300
    shifted = window_starts(700, 256, 256, shift=random.Random(0).randrange(256))
    assert shifted[0] == 0 and shifted[-1] + 256 >= 700


def test_token_shapes_read_the_original_case():
    text = "NATO said \u201cno\u201d to Petrov \u2014 2016"
    shapes = [token_shape(text, m, m + 1) for m in (0, 5, 10, 11, 18, 25, 27)]
    assert shapes == [3, 1, 6, 1, 2, 7, 5]
