"""The shipped attribution model on the project's own article, hostile input, and machinery."""

from __future__ import annotations

import random

import pytest
import torch

from diplolex.encoder import SharedEncoder
from diplolex.tasks.attribution.evaluate import rule_baseline, score_attribution
from diplolex.tasks.attribution.model import (
    AttributionConfig,
    AttributionHead,
    owner_windows,
    token_shape,
    window_starts,
)
from diplolex.tasks.attribution.predict import (
    AttributionModel,
    AttributionPrediction,
    TaggedSpan,
    encode_documents,
    group_spans,
)
from diplolex.tasks.attribution.resolve import resolve_sources, source_kind
from diplolex.tasks.attribution.train import Example, compute_loss, document_tags


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


@pytest.mark.xfail(
    strict=True,
    reason="known miss of the shipped (280-article) model: the invented surname 'Varga' "
    "(word pieces var ##ga) is left out of the source 'Foreign Minister Elena Varga'",
)
def test_direct_quote_source_is_the_whole_name(article):
    r = _find(article, ARTICLE, "said")
    assert _texts(ARTICLE, r)[0] == "Foreign Minister Elena Varga"


def test_indirect_quote(article):
    r = _find(article, ARTICLE, "told")
    assert _texts(ARTICLE, r)[2].startswith("the next round could start")


@pytest.mark.xfail(
    strict=True,
    reason="known miss of the shipped (280-article) model: after 'According to the Kremlin,' "
    "the content stops at 'the proposal'",
)
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
    from diplolex.tasks.attribution.model import sentence_states

    bounds = split_sentences(ARTICLE)
    sentences = [ARTICLE[s:e] for s, e in bounds]
    states = sentence_states(encoder.encode(sentences), len(sentences))
    direct = model.predict_document(ARTICLE, bounds, states)
    assert [(r.source, r.cue, r.content) for r in direct] == [
        (r.source, r.cue, r.content) for r in model.predict_texts(encoder, [ARTICLE])[0]
    ]


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
    example = Example(doc, document_tags(record, doc))
    assert example.tags.count(1) == 1 and example.tags.count(3) == 1  # B-source, B-cue
    torch.manual_seed(0)
    head = AttributionHead(AttributionConfig(dropout=0.0))
    optimizer = torch.optim.AdamW(head.parameters(), lr=1e-3)
    windows = [(0, 0, len(example.tags))]
    first = compute_loss(head, [example], windows).item()
    for _ in range(15):
        optimizer.zero_grad()
        compute_loss(head, [example], windows).backward()
        optimizer.step()
    assert compute_loss(head, [example], windows).item() < first / 2


# --- machinery without the model ---------------------------------------------------------


def _span(text: str, label: str, part: str, after: int = 0) -> TaggedSpan:
    start = text.index(part, after)
    return TaggedSpan(label, start, start + len(part), 0.9, 1)


def test_grouping_joins_a_quote_split_by_its_cue_and_shares_the_source():
    text = (
        "\u201cWe won,\u201d Petrov said, \u201cand we stay.\u201d He spoke, adding that talks end."
    )
    spans = [
        _span(text, "content", "\u201cWe won,\u201d"),
        _span(text, "source", "Petrov"),
        _span(text, "cue", "said"),
        _span(text, "content", "\u201cand we stay.\u201d"),
        _span(text, "source", "He"),
        _span(text, "cue", "spoke"),
        _span(text, "cue", "adding"),
        _span(text, "content", "talks end"),
    ]
    first_end = text.index(" He")
    relations = group_spans(text, spans, [(0, first_end), (first_end + 1, len(text))])
    assert [_texts(text, r) for r in relations] == [
        ("Petrov", "said", "\u201cWe won,\u201d Petrov said, \u201cand we stay.\u201d"),
        ("He", "adding", "talks end"),
    ]  # "spoke" has no content: dropped; "adding" shares the sentence's source


def test_grouping_without_source_gives_none():
    text = "It was reported that the talks failed."
    spans = [_span(text, "cue", "was reported"), _span(text, "content", "the talks failed")]
    (relation,) = group_spans(text, spans, [(0, len(text))])
    assert relation.source is None


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


def test_scorer_and_baseline_on_a_hand_checked_document():
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
    baseline = rule_baseline(text, [(0, len(text))], frozenset({"said"}))
    assert [(r.source, r.cue, r.content) for r in baseline] == [((0, 6), (7, 11), (17, 33))]
    scores = score_attribution(gold, [baseline])
    assert scores.relation_exact.f1 == 1.0
    # content "talks failed" (2 of 3 tokens): not exact, but it overlaps
    partial = [[AttributionPrediction((0, 6), (7, 11), (21, 33), 1.0)]]
    scores = score_attribution(gold, partial)
    assert scores.content_exact.f1 == 0.0 and scores.content_overlap.f1 == 1.0
    assert scores.relation_exact.f1 == 0.0 and scores.relation_overlap.f1 == 1.0


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
