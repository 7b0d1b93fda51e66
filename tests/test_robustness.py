"""Regression tests for hostile input and damaged weights (issue 14).

Each test pins one case that once crashed, cut a character in two, or passed damage silently.
The analyzer is the session-wide ``nlp`` fixture (tests/conftest.py), loaded once.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import re
import shutil

import pytest
import regex
import torch

import diplolex
import diplolex.analyzer
from diplolex.encoder import BaseModelError, SharedEncoder, base_model_path, model_text
from diplolex.manifest import (
    WEIGHTS_ROOT,
    WeightsError,
    read_manifest,
    verify_folder,
    verify_weights,
)
from diplolex.manifest import main as manifest_main
from diplolex.segment import split_sentences
from diplolex.spans import (
    grapheme_clusters,
    is_grapheme_boundary,
    snap_to_graphemes,
    snap_to_words,
)
from tests.conftest import assert_offsets_exact

# --- 1. Every str is valid input -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "\ud800",
        "\udcff",
        "\udbff\udfff",  # a surrogate pair spelled as two code points is still two lone ones
        "Talks \udcc3\udca9 resumed in Geneva.",  # what surrogateescape makes of bad UTF-8
        "If the truce \ud800 holds, aid will flow to the border towns.",
    ],
    ids=["high", "low", "pair-as-two", "surrogateescape", "inside-a-conditional"],
)
def test_lone_surrogates_are_analysed_with_offsets_in_the_users_string(nlp, text):
    doc = nlp(text)
    assert doc.text is text
    assert doc.sentences
    assert_offsets_exact(doc)
    assert json.loads(doc.to_json())["text"] == text


def test_a_surrogate_does_not_change_the_analysis_of_the_rest():
    plain = "If the truce holds, aid will flow to the border towns."
    spoiled = plain.replace("truce", "truc\ud800")
    a, b = diplolex.analyze(plain), diplolex.analyze(spoiled)
    assert [s.conditional for s in a.sentences] == [s.conditional for s in b.sentences]
    assert [(c.condition.start, c.condition.end) for c in b.conditionals] == [
        (c.condition.start, c.condition.end) for c in a.conditionals
    ]
    assert b.conditionals[0].condition.text == "If the truc\ud800 holds"


def test_model_text_keeps_length_and_only_maps_surrogates():
    assert model_text("plain ascii") == "plain ascii"
    assert model_text("déjà vu 🕊️") == "déjà vu 🕊️"
    mapped = model_text("a\ud800b\udfffc")
    assert mapped == "a\ufffdb\ufffdc" and len(mapped) == 5


def test_the_tokenizer_takes_surrogates_from_any_caller(nlp):
    # the stance passage budget calls the tokenizer directly, not through encode()
    assert nlp.encoder.tokenizer(["\ud800 deal"], add_special_tokens=False)["input_ids"]


def test_the_mapping_tokenizer_copies_pickles_and_delegates(nlp):
    import pickle

    tokenizer = nlp.encoder.tokenizer
    for clone in (copy.deepcopy(tokenizer), pickle.loads(pickle.dumps(tokenizer))):
        assert (
            clone(["Talks \ud800 resumed."])["input_ids"]
            == tokenizer(["Talks resumed."])["input_ids"]
        )
    assert len(tokenizer) == tokenizer.vocab_size and tokenizer.pad_token_id == 0


def test_stance_with_surrogates_in_text_and_target():
    result = diplolex.stance("Iran \udcff rejected the deal.", "the \ud800 deal")
    assert result.label in ("favor", "against", "neutral", "unrelated")
    doc = diplolex.analyze("Iran \udcff rejected the deal.", targets=["the \ud800 deal"])
    assert_offsets_exact(doc)


def test_a_target_longer_than_the_window_is_cut_not_an_error():
    result = diplolex.stance("No.", "x " * 125)
    assert result.label in ("favor", "against", "neutral", "unrelated")
    assert math.isfinite(result.score)


@pytest.mark.parametrize(
    "text",
    [
        "\x00",
        "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x7f",
        "Envoys\x00 met\x1b[31m in\x7f Oslo.\x00",
        "\u202eThe minister\u202c said \u2066talks\u2069 would resume.",
        '"Unpaired quote, said the envoy. «Another. “And another',
        "Переговоры в Δελφοί 和平 محادثات शांति resumed.",
        "\ufeff\ufffe\uffff\U0010ffff\U000e0001",
    ],
    ids=["nul", "c0-controls", "nul-and-escape", "bidi", "unpaired-quotes", "mixed", "nonchar"],
)
def test_control_and_odd_characters_do_not_raise(nlp, text):
    doc = nlp(text)
    assert_offsets_exact(doc)
    json.loads(doc.to_json())


def test_a_3000_token_sentence_without_spaces_or_stops(nlp):
    text = "Sanctions" + "-and-sanctions" * 800  # one word run: no whitespace to cut at
    assert len(nlp.encoder.tokenizer(text, verbose=False)["input_ids"]) > 3000
    doc = nlp(text)
    assert "".join(s.text for s in doc.sentences) == text
    assert_offsets_exact(doc)


# --- 2. pipe() needs an iterable of texts ----------------------------------------------------


@pytest.mark.parametrize("single", ["Talks resumed.", "", b"Talks resumed."])
def test_pipe_on_a_single_text_is_a_type_error_at_once(nlp, single):
    with pytest.raises(TypeError, match="iterable of str"):
        nlp.pipe(single)  # raised by the call itself, before any iteration


def test_pipe_on_a_non_iterable_is_a_type_error(nlp):
    with pytest.raises(TypeError, match="iterable of str"):
        nlp.pipe(42)


def test_pipe_still_takes_lists_tuples_and_generators(nlp):
    texts = ["Talks resumed.", "Aid will flow if the truce holds."]
    for given in (texts, tuple(texts), (t for t in texts)):
        assert [d.text for d in nlp.pipe(given)] == texts


# --- 3. to_json() never writes NaN or Infinity -----------------------------------------------


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_non_finite_score_is_an_error_not_invalid_json(nlp, value):
    doc = nlp("Aid will flow once the ceasefire holds.")
    bad = dataclasses.replace(
        doc, sentences=[dataclasses.replace(doc.sentences[0], conditional_score=value)]
    )
    with pytest.raises(ValueError, match=r"Sentence\.conditional_score"):
        bad.to_json()
    with pytest.raises(ValueError, match="not a finite number"):
        bad.to_dict()


def test_each_relation_score_is_checked(nlp):
    doc = nlp(
        "Foreign Minister Ana Ruiz said her country would sign the accord if the border reopened.",
        targets=["the accord"],
    )
    assert doc.conditionals and doc.attributions and doc.stances
    cases = {
        "Conditional.score": dataclasses.replace(
            doc, conditionals=[dataclasses.replace(doc.conditionals[0], score=math.nan)]
        ),
        "Conditional.type_score": dataclasses.replace(
            doc, conditionals=[dataclasses.replace(doc.conditionals[0], type_score=math.nan)]
        ),
        "Attribution.score": dataclasses.replace(
            doc, attributions=[dataclasses.replace(doc.attributions[0], score=math.inf)]
        ),
        "Attribution.resolved_score": dataclasses.replace(
            doc, attributions=[dataclasses.replace(doc.attributions[0], resolved_score=math.nan)]
        ),
        "Stance.score": dataclasses.replace(
            doc, stances=[dataclasses.replace(doc.stances[0], score=math.nan)]
        ),
    }
    for name, bad in cases.items():
        with pytest.raises(ValueError, match=re.escape(name)):
            bad.to_json()


def test_nan_weights_give_an_error_not_nan_in_json(nlp, monkeypatch):
    damaged = copy.deepcopy(nlp.model("conditionality"))
    with torch.no_grad():
        for parameter in damaged.head.parameters():
            parameter.fill_(math.nan)
    monkeypatch.setitem(nlp.models, "conditionality", damaged)
    doc = nlp("Aid will flow once the ceasefire holds.")
    assert math.isnan(doc.sentences[0].conditional_score)
    with pytest.raises(ValueError, match="not a finite number"):
        doc.to_json()


# --- 4. Spans on grapheme boundaries ---------------------------------------------------------


def _on_boundaries(text: str, start: int, end: int) -> bool:
    return is_grapheme_boundary(text, start) and is_grapheme_boundary(text, end)


def test_grapheme_clusters_match_the_regex_module_on_tricky_text():
    text = "Cafe\u0301 👨\u200d👩\u200d👧 🇫🇷🇩🇪 한\u1100\u1161 \u0915\u094d\u0937 a\r\nb \u0600x"
    expected = [(m.start(), m.end()) for m in regex.finditer(r"\X", text) if len(m.group()) > 1]
    starts, ends = grapheme_clusters(text)
    assert list(zip(starts, ends)) == expected
    assert grapheme_clusters("plain ascii only") == ((), ())


@pytest.mark.parametrize(
    ("text", "start", "end", "expected"),
    [
        ("Cafe\u0301 talks", 0, 4, (0, 5)),  # the accent stays on its letter
        ("Cafe\u0301 talks", 4, 11, (3, 11)),
        ("The 👨\u200d👩\u200d👧 delegation", 4, 6, (4, 9)),  # a ZWJ family is one character
        ("Flags 🇫🇷🇩🇪 flew", 7, 9, (6, 10)),
        ("line\r\nnext", 5, 10, (4, 10)),
        ("Cafe\u0301", 4, 4, (3, 3)),
    ],
)
def test_span_of_snaps_outward_to_grapheme_boundaries(text, start, end, expected):
    span = diplolex.Span.of(text, start, end)
    assert (span.start, span.end) == expected
    assert span.text == text[span.start : span.end]
    assert snap_to_graphemes(text, start, end) == expected


def test_snap_to_words_also_keeps_clusters_whole():
    text = "the talks\u0301 failed"
    assert snap_to_words(text, 4, 9) == (4, 10)


@pytest.mark.parametrize(
    "text",
    [
        "The envoy left.\u0301 Talks resumed on Monday.",
        "</p>\u0301Talks resumed. The envoy left.",
        "Talks resumed. \u0301The envoy left.",  # a mark on a space belongs to the space
        "Talks resumed 👨\u200d👩\u200d👧. The families returned home.",
        "Talks resumed.\r\nThe envoy left.",
    ],
)
def test_sentence_edges_fall_on_grapheme_boundaries(text):
    bounds = split_sentences(text)
    assert bounds
    for (start, end), later in zip(bounds, [*bounds[1:], None]):
        assert _on_boundaries(text, start, end), (start, end)
        assert text[start:end] == text[start:end].strip()
        assert later is None or end <= later[0]
    covered = {i for start, end in bounds for i in range(start, end)}
    for cluster in regex.finditer(r"\X", text):  # every cluster not led by whitespace is in
        if not cluster.group()[0].isspace():
            assert cluster.start() in covered, cluster.group()


@pytest.mark.parametrize(
    "text",
    [
        "Aid will flow if the ceasefire holds\u0301. The minister\u0301 said talks would resume.",
        "Foreign Minister Ana Ruiz\u0301 said her country would sign if the border reopened\u0301.",
        "Iran condemned the sanctions\u0301 on Tuesday. 👩\u200d⚖️ judges said they would rule.",
    ],
)
def test_every_relation_span_lies_on_grapheme_boundaries(nlp, text):
    doc = nlp(text, targets=["the sanctions", "the border"])
    assert doc.conditionals or doc.attributions
    for span in [*doc.sentences, *doc.spans()]:
        assert _on_boundaries(text, span.start, span.end), span
        assert text[span.start : span.end] == span.text


def test_a_target_found_before_a_combining_mark_takes_the_mark():
    doc = diplolex.analyze(
        "Iran condemned the sanctions\u0301 on Tuesday.", targets=["the sanctions"]
    )
    (stance,) = [s for s in doc.stances if s.target.text.startswith("the sanctions")]
    assert stance.target.text == "the sanctions\u0301"


# --- 5. Tamper-evident weights ---------------------------------------------------------------


def _flip_bytes(path, offset_from_end=1000):
    """Change four bytes deep in a file (in a safetensors file: the data, not the header)."""
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.seek(max(0, size - offset_from_end))
        old = f.read(4)
        f.seek(max(0, size - offset_from_end))
        f.write(bytes(b ^ 0xFF for b in old))


@pytest.fixture
def shipped_copy(tmp_path, monkeypatch):
    """A copy of the shipped weights tree (manifest included) that the conditionality and
    stance models load as if it were the package's own."""
    from diplolex.tasks.conditionality.predict import ConditionalityModel
    from diplolex.tasks.stance.predict import StanceModel

    root = tmp_path / "weights"
    shutil.copytree(WEIGHTS_ROOT, root)
    monkeypatch.setattr(ConditionalityModel, "shipped_weights", root / "conditionality")
    monkeypatch.setattr(StanceModel, "shipped_weights", root / "stance")
    return root


def test_the_shipped_manifest_matches_the_shipped_weights():
    # fails after a retrain until `python -m diplolex.manifest` is run and committed
    assert manifest_main(["--check"]) == 0
    listed = read_manifest(WEIGHTS_ROOT / "MANIFEST.json")
    for task in diplolex.analyzer.AVAILABLE_TASKS:
        assert f"{task}/model.safetensors" in listed and f"{task}/config.json" in listed


def test_an_untouched_copy_of_the_shipped_weights_loads(shipped_copy):
    from diplolex.tasks.conditionality.predict import ConditionalityModel

    assert ConditionalityModel.load().config is not None


def test_a_tampered_head_is_refused_naming_the_file(shipped_copy):
    from diplolex.tasks.conditionality.predict import ConditionalityModel

    _flip_bytes(shipped_copy / "conditionality" / "model.safetensors")
    with pytest.raises(WeightsError, match=r"conditionality/model\.safetensors has SHA-256"):
        ConditionalityModel.load()


def test_a_tampered_head_config_is_refused_naming_the_file(shipped_copy):
    from diplolex.tasks.stance.predict import StanceModel

    config = shipped_copy / "stance" / "config.json"
    config.write_text(config.read_text().replace("\n", "\n ", 1))  # same JSON, other bytes
    with pytest.raises(WeightsError, match=r"stance/config\.json has SHA-256"):
        StanceModel.load()


def test_an_added_or_tampered_adapter_is_refused(shipped_copy):
    folder = shipped_copy / "conditionality"  # ships the shared encoder's adapter
    assert verify_weights(folder, folder) == folder.resolve()
    verify_folder.cache_clear()
    (folder / "extra_adapter.json").write_text('{"rank": 8}\n')
    with pytest.raises(WeightsError, match=r"extra_adapter\.json is not in"):
        verify_weights(folder, folder)
    (folder / "extra_adapter.json").unlink()
    verify_folder.cache_clear()
    _flip_bytes(folder / "adapter.safetensors")
    with pytest.raises(WeightsError, match=r"adapter\.safetensors has SHA-256"):
        verify_weights(folder, folder)


def test_a_missing_manifest_or_file_is_refused(shipped_copy):
    from diplolex.tasks.conditionality.predict import ConditionalityModel

    (shipped_copy / "conditionality" / "config.json").unlink()
    with pytest.raises(WeightsError, match=r"config\.json is missing"):
        ConditionalityModel.load()
    (shipped_copy / "MANIFEST.json").unlink()
    verify_folder.cache_clear()
    with pytest.raises(WeightsError, match=r"python -m diplolex\.manifest"):
        ConditionalityModel.load()


def _own_folder(tmp_path, task="conditionality"):
    folder = tmp_path / "mine"
    shutil.copytree(WEIGHTS_ROOT / task, folder)
    return folder


def test_a_users_own_folder_is_not_held_to_the_package_manifest(tmp_path):
    from diplolex.tasks.conditionality.predict import ConditionalityModel

    folder = _own_folder(tmp_path)
    _flip_bytes(folder / "model.safetensors")  # retrained, as far as we know
    assert ConditionalityModel.load(folder).config is not None


def test_a_users_own_folder_with_its_own_manifest_is_checked(tmp_path):
    from diplolex.tasks.conditionality.predict import ConditionalityModel

    folder = _own_folder(tmp_path)
    assert manifest_main([str(folder)]) == 0
    assert ConditionalityModel.load(folder).config is not None
    _flip_bytes(folder / "model.safetensors")
    verify_folder.cache_clear()
    with pytest.raises(WeightsError, match=r"mine/model\.safetensors has SHA-256"):
        ConditionalityModel.load(folder)
    assert manifest_main([str(folder), "--check"]) == 1


def test_a_head_with_a_corrupted_header_names_the_file(tmp_path):
    from diplolex.tasks.conditionality.predict import ConditionalityModel

    folder = _own_folder(tmp_path)
    weights = folder / "model.safetensors"
    with weights.open("r+b") as f:
        f.seek(8)
        f.write(b"\xff\xfe not json at all")
    with pytest.raises(WeightsError, match=r"mine/model\.safetensors is not a readable"):
        ConditionalityModel.load(folder)
    weights.write_bytes(b"")  # an empty (truncated) file
    with pytest.raises(WeightsError, match=r"mine/model\.safetensors is not a readable"):
        ConditionalityModel.load(folder)


def test_a_head_config_that_is_not_json_names_the_file(tmp_path):
    from diplolex.tasks.conditionality.predict import ConditionalityModel

    folder = _own_folder(tmp_path)
    (folder / "config.json").write_text('{"hidden": 3')
    with pytest.raises(WeightsError, match=r"mine/config\.json is not valid JSON"):
        ConditionalityModel.load(folder)


@pytest.mark.parametrize(
    "name", ["config.json", "tokenizer.json", "vocab.txt", "tokenizer_config.json"]
)
def test_a_tampered_base_model_file_is_refused_naming_it(tmp_path, name):
    copy = tmp_path / "base"
    copy.mkdir()
    for item in base_model_path().iterdir():  # the 90 MB weights are linked, not copied
        if item.name == name:
            shutil.copy(item, copy / item.name)
        else:
            (copy / item.name).symlink_to(item)
    edited = copy / name
    edited.write_bytes(edited.read_bytes().replace(b"a", b"b", 1))
    with pytest.raises(BaseModelError, match=rf"base/{re.escape(name)} has SHA-256"):
        SharedEncoder(model_path=copy)


def test_a_non_str_list_item_is_named():
    with pytest.raises(TypeError, match=r"^item 1: .*got int"):
        diplolex.analyze(["The talks resumed.", 3])
