import shutil

import pytest

from diplolex.encoder import (
    BaseModelError,
    SharedEncoder,
    base_model_path,
    length_batches,
    verify_base_model,
)


def test_shipped_base_model_passes_its_checksum():
    assert verify_base_model(base_model_path()) == base_model_path()


def test_tampered_weights_are_refused(tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(base_model_path(), copy)
    with (copy / "model.safetensors").open("r+b") as f:
        f.seek(1000)
        f.write(b"\x00\x01\x02\x03")
    with pytest.raises(BaseModelError, match="SHA-256"):
        SharedEncoder(model_path=copy)


def test_long_text_is_cut_into_windows_with_document_offsets(nlp):
    text = "Envoys met again. " * 60
    batch = nlp.encoder.encode([text, "Short."])
    assert batch.text_index.count(0) > 1 and batch.text_index[-1] == 1
    for w, index in enumerate(batch.text_index):
        source = [text, "Short."][index]
        for off in batch.offsets[w]:
            if off is not None:
                assert source[off[0] : off[1]].strip()
    assert batch.hidden_states.shape[0] == nlp.encoder.num_layers


def test_length_batches_go_shortest_first_and_cover_every_item_once():
    sizes = [5, 1, 3, 1, 9, 2, 3]
    batches = list(length_batches(sizes, 3))
    assert batches == [[1, 3, 5], [2, 6, 0], [4]]  # ties keep input order
    assert sorted(i for b in batches for i in b) == list(range(len(sizes)))
    assert list(length_batches([], 4)) == []
    with pytest.raises(ValueError, match="batch_size"):
        list(length_batches(sizes, 0))


def test_piece_counts_count_word_pieces_not_characters(nlp):
    short_word, many_pieces = "Negotiations.", "Xq zv kj."
    counts = nlp.encoder.piece_counts([short_word, many_pieces, "", "Talks \ud800 resumed."])
    assert len(short_word) > len(many_pieces) and counts[0] < counts[1]
    assert counts[2] == 0 and counts[3] == 3  # a lone surrogate is taken (and dropped), no error
    assert nlp.encoder.piece_counts([]) == []
