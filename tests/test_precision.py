"""Encoder precision (``precision=``): auto-detection of native bfloat16, bfloat16 results
close to float32 ones, and clear errors."""

from __future__ import annotations

import pytest
import torch

import diplolex
from diplolex import precision as precision_module
from diplolex.precision import cpu_has_native_bf16, resolve_precision

TEXTS = [
    "Sanctions will be lifted once the prisoners are released, the minister said.",
    "Kyiv rejected the truce proposal.",
    "The envoy arrived on Monday.",
]


def _cpuinfo(tmp_path, flags: str):
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: {flags}\n")
    return path


def test_native_bf16_is_read_from_the_cpu_flags(tmp_path):
    assert cpu_has_native_bf16(_cpuinfo(tmp_path, "fpu sse2 avx2 avx512f avx512_bf16")) is True
    (tmp_path / "amx").mkdir()
    assert cpu_has_native_bf16(_cpuinfo(tmp_path / "amx", "avx2 amx_tile amx_bf16")) is True
    (tmp_path / "plain").mkdir()
    assert cpu_has_native_bf16(_cpuinfo(tmp_path / "plain", "fpu sse2 avx2 fma")) is False
    assert cpu_has_native_bf16(tmp_path / "absent") is False


def test_auto_follows_the_hardware(monkeypatch):
    monkeypatch.setattr(precision_module, "cpu_has_native_bf16", lambda: True)
    assert resolve_precision("auto", "cpu") == "bf16"
    assert resolve_precision("auto", "cpu", runtime="onnx") == "fp32"
    monkeypatch.setattr(precision_module, "cpu_has_native_bf16", lambda: False)
    assert resolve_precision("auto", "cpu") == "fp32"
    assert resolve_precision("bf16", "cpu") == "bf16"  # forced: emulated, slow, still right
    assert resolve_precision("fp32", "cpu", runtime="onnx") == "fp32"


def test_precision_errors_are_clear():
    with pytest.raises(ValueError, match="unknown precision 'int4'"):
        resolve_precision("int4", "cpu")
    with pytest.raises(ValueError, match="CUDA only"):
        resolve_precision("fp16", "cpu")
    with pytest.raises(ValueError, match="runs in torch"):
        resolve_precision("bf16", "cpu", runtime="onnx")
    with pytest.raises(ValueError, match="unknown precision"):
        diplolex.load(tasks=["conditionality"], precision="half")


@pytest.fixture(scope="module")
def bf16() -> diplolex.Analyzer:
    return diplolex.load(batch_size=16, precision="bf16")


def test_bf16_runs_every_encoder_in_bf16_and_hands_heads_fp32(bf16):
    assert bf16.precision == "bf16"
    for encoder in (bf16.encoder, bf16.model("stance").encoder):
        assert next(encoder.model.parameters()).dtype == torch.bfloat16
    batch = bf16.encoder.encode(TEXTS[:2])
    assert batch.hidden_states.dtype == torch.float32


def test_bf16_results_are_close_to_fp32(nlp, bf16):
    targets = ["the truce proposal"]
    for ours, theirs in zip(bf16.pipe(TEXTS, targets=targets), nlp.pipe(TEXTS, targets=targets)):
        assert [s.conditional for s in ours.sentences] == [s.conditional for s in theirs.sentences]
        for a, b in zip(ours.sentences, theirs.sentences):
            assert abs(a.conditional_score - b.conditional_score) < 0.05
        assert [s.stance for s in ours.stances] == [s.stance for s in theirs.stances]
        assert [a.cue.text for a in ours.attributions] == [a.cue.text for a in theirs.attributions]
    assert nlp.precision == "fp32"


def test_head_layers_run_in_the_encoders_precision(bf16, nlp):
    from diplolex.precision import layers_in_precision

    for analyzer, wrapped in ((bf16, True), (nlp, False)):
        for name in ("conditionality", "attribution", "stance"):
            head = analyzer.model(name).head
            layers = [m for m in head.modules() if isinstance(m, torch.nn.TransformerEncoderLayer)]
            assert layers and all(("forward" in vars(m)) == wrapped for m in layers), name
    assert "forward" in vars(next(
        m for m in bf16.model("stance").shared.head.modules()
        if isinstance(m, torch.nn.TransformerEncoderLayer)
    ))  # fmt: skip
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(32, 4, 64, 0.0, batch_first=True).eval()
    x = torch.randn(2, 5, 32)
    exact = layer(x)
    layers_in_precision(layer, "fp32")
    assert "forward" not in vars(layer)
    layers_in_precision(layer, "bf16")
    rounded = layer(x)
    assert rounded.dtype == torch.float32 and next(layer.parameters()).dtype == torch.float32
    assert not torch.equal(rounded, exact) and torch.allclose(rounded, exact, atol=0.1)
