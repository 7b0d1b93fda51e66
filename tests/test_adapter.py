"""LoRA adapters: saved as safetensors with a checksum, merged at load like peft merges them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

from diplolex.adapter import (
    AdapterError,
    LoraSettings,
    adapter_state,
    has_adapter,
    load_adapter,
    merge_adapter,
    save_adapter,
    wrap_for_training,
)

peft = pytest.importorskip("peft")


class Tiny(nn.Module):
    """Two named linear layers, the shape of the modules LoRA targets in BERT."""

    def __init__(self) -> None:
        super().__init__()
        self.query = nn.Linear(6, 6)
        self.dense = nn.Linear(6, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dense(torch.relu(self.query(x)))


SETTINGS = LoraSettings(
    rank=2, alpha=4, dropout=0.0, target_modules=("query", "dense"), layers=None
)


def trained_adapter(tmp_path: Path) -> tuple[Tiny, nn.Module, Path]:
    torch.manual_seed(0)
    base = Tiny()
    reference = Tiny()
    reference.load_state_dict(base.state_dict())
    wrapped = wrap_for_training(base, SETTINGS)
    for name, p in wrapped.named_parameters():  # make the update non-zero (B starts at 0)
        if "lora_B" in name:
            p.data.normal_()
    folder = tmp_path / "adapter"
    save_adapter(adapter_state(wrapped), SETTINGS, folder)
    return reference, wrapped, folder


def test_merge_matches_peft(tmp_path: Path) -> None:
    reference, wrapped, folder = trained_adapter(tmp_path)
    x = torch.randn(3, 6)
    with torch.no_grad():
        expected = wrapped(x)
        before = reference(x)
        merged = merge_adapter(reference, folder)
        assert torch.allclose(merged(x), expected, atol=1e-5)
    assert not torch.allclose(before, expected, atol=1e-3)  # the adapter changes the output
    assert has_adapter(folder)
    state, settings = load_adapter(folder)
    assert settings == SETTINGS
    assert set(state) == {"query.lora_A", "query.lora_B", "dense.lora_A", "dense.lora_B"}


def test_tampered_adapter_is_refused(tmp_path: Path) -> None:
    reference, _, folder = trained_adapter(tmp_path)
    weights = folder / "adapter.safetensors"
    data = bytearray(weights.read_bytes())
    data[-3] ^= 0xFF  # a byte of the tensors, not of the header
    weights.write_bytes(bytes(data))
    with pytest.raises(AdapterError, match=r"adapter\.safetensors has SHA-256"):
        merge_adapter(reference, folder)


def test_adapter_that_does_not_fit_is_refused(tmp_path: Path) -> None:
    _, _, folder = trained_adapter(tmp_path)
    other = nn.Sequential(nn.Linear(6, 6))
    with pytest.raises(AdapterError, match="does not fit"):
        merge_adapter(other, folder)


def test_missing_adapter_files(tmp_path: Path) -> None:
    assert not has_adapter(tmp_path)
    with pytest.raises(AdapterError, match="lacks"):
        load_adapter(tmp_path)
    (tmp_path / "adapter.json").write_text(json.dumps({"sha256": "0"}))
    with pytest.raises(AdapterError, match="lacks"):
        load_adapter(tmp_path)


def test_sentence_analyses_must_share_one_encoder_adapter(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from diplolex.adapter import copy_adapter
    from diplolex.analyzer import shared_adapter

    _, _, folder = trained_adapter(tmp_path)
    copy_adapter(folder, tmp_path / "attribution")
    plain = tmp_path / "plain"
    plain.mkdir()
    cond = SimpleNamespace(name="conditionality", folder=folder)
    attr = SimpleNamespace(name="attribution", folder=tmp_path / "attribution")
    assert shared_adapter([cond, attr]) == folder
    assert shared_adapter([SimpleNamespace(name="attribution", folder=plain)]) is None
    assert shared_adapter([]) is None
    with pytest.raises(ValueError, match="trained on different encoders"):
        shared_adapter([cond, SimpleNamespace(name="attribution", folder=plain)])
