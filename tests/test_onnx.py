"""The ONNX Runtime path (``runtime="onnx"``): the same results as torch, a cached export, and
clear errors."""

from __future__ import annotations

import pytest
import torch

import diplolex
from diplolex.onnx_encoder import OnnxEncoder, cache_dir, check_runtime

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

TEXTS = [
    "Sanctions will be lifted once the prisoners are released, the minister said.",
    "Kyiv rejected the truce proposal; Moscow welcomed it.",
    "The envoy arrived on Monday.",
    "Without guarantees, we will not sign the agreement, the delegation warned, and the talks "
    "that had resumed in Geneva after a pause of four months were suspended again.",
]


@pytest.fixture(scope="module")
def fast() -> diplolex.Analyzer:
    return diplolex.load(batch_size=16, runtime="onnx")


def _same(a: object, b: object, path: str = "doc") -> None:
    if isinstance(a, float) or isinstance(b, float):
        assert abs(a - b) <= 1e-4 + 1e-9, f"{path}: {a} != {b}"  # one unit of the 4th place
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            _same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def test_onnx_gives_the_torch_results(nlp, fast):
    assert fast.runtime == "onnx" and fast.encoder.runtime == "onnx"
    assert fast.model("stance").encoder.runtime == "onnx"
    targets = ["the truce proposal", "the sanctions"]
    for ours, theirs in zip(fast.pipe(TEXTS, targets=targets), nlp.pipe(TEXTS, targets=targets)):
        _same(ours.to_dict(), theirs.to_dict())
    _same(fast.stance(TEXTS[1], "the truce proposal", holder="Moscow").to_dict(),
          nlp.stance(TEXTS[1], "the truce proposal", holder="Moscow").to_dict())  # fmt: skip


def test_padded_windows_match_torch_hidden_states(nlp, fast):
    """A batch of very different lengths is mostly padding: the export must honour the mask."""
    batch = [TEXTS[2], TEXTS[3]]
    ours = fast.encoder.encode(batch)
    theirs = nlp.encoder.encode(batch)
    assert ours.hidden_states.shape == theirs.hidden_states.shape
    real = theirs.attention_mask.bool()
    diff = (ours.hidden_states - theirs.hidden_states).abs()[:, real]
    assert float(diff.max()) < 1e-4


def test_the_export_is_cached_by_weights(nlp, fast, monkeypatch):
    path = fast.encoder._onnx.path
    assert path.parent == cache_dir() and path.is_file()
    exported = []
    monkeypatch.setattr("diplolex.onnx_encoder.export", lambda *a: exported.append(a))
    again = OnnxEncoder(nlp.encoder.model)  # the same merged weights: the same file
    assert again.path == path and exported == []
    ids = torch.tensor([[101, 2000, 102]])
    out = again(ids, torch.ones_like(ids), torch.zeros_like(ids))
    assert out.shape == (nlp.encoder.num_layers, 1, 3, nlp.encoder.hidden_size)


def test_runtime_errors_are_clear():
    with pytest.raises(ValueError, match="unknown runtime 'tensorrt'"):
        check_runtime("tensorrt", "cpu")
    with pytest.raises(ValueError, match="runs on the CPU"):
        check_runtime("onnx", "cuda")
    assert check_runtime("torch", "cuda") == "torch"
    with pytest.raises(ValueError, match="unknown runtime"):
        diplolex.load(tasks=["conditionality"], runtime="fast")
