"""LoRA adapters for the base encoder: trained with ``peft``, shipped as ``adapter.safetensors``,
merged into a copy of the encoder's weights at load (no ``peft`` needed to run them).

An adapter folder holds ``adapter.safetensors`` (the low-rank ``A``/``B`` matrices, keyed by
the base module they adapt, e.g. ``encoder.layer.0.attention.self.query.lora_A``) and an
``adapter.json`` with the rank, scale and the file's SHA-256, which is checked before merging.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch
    from torch import nn

    from diplolex.encoder import EncodedBatch, SharedEncoder

ADAPTER_WEIGHTS = "adapter.safetensors"
ADAPTER_CONFIG = "adapter.json"


class AdapterError(RuntimeError):
    """An adapter file is missing, does not match its recorded checksum, or does not fit."""


@dataclass(frozen=True)
class LoraSettings:
    """Where and how large the low-rank updates are.

    ``target_modules`` are the names of the base model's linear layers that get an update
    (``dense`` matches the attention output and both feed-forward layers); ``layers`` the
    transformer layers that get them (``None``: all). Adapting only the upper layers keeps
    training cheap on a CPU: the lower layers then run without gradients.
    """

    rank: int = 8
    alpha: int = 16
    dropout: float = 0.1
    target_modules: tuple[str, ...] = ("query", "key", "value", "dense")
    layers: tuple[int, ...] | None = (3, 4, 5)

    @property
    def scale(self) -> float:
        return self.alpha / self.rank


def wrap_for_training(model: nn.Module, settings: LoraSettings) -> nn.Module:
    """The base ``model`` with trainable LoRA updates (``peft``); its own weights stay frozen."""
    try:
        from peft import LoraConfig, get_peft_model
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("training an adapter needs peft: pip install 'diplolex[train]'") from err
    config = LoraConfig(
        r=settings.rank,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=list(settings.target_modules),
        layers_to_transform=None if settings.layers is None else list(settings.layers),
        bias="none",
    )
    return get_peft_model(model, config)


def adapter_state(peft_model: nn.Module) -> dict[str, torch.Tensor]:
    """The LoRA matrices of a ``peft``-wrapped model, keyed by the base module they adapt."""
    state = {}
    for name, tensor in peft_model.state_dict().items():
        if ".lora_A." not in name and ".lora_B." not in name:
            continue
        module, _, rest = name.partition(".lora_")
        module = module.removeprefix("base_model.model.")
        part = rest.split(".")[0]  # "A" or "B"
        state[f"{module}.lora_{part}"] = tensor.detach().contiguous().cpu().clone()
    return state


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_adapter(
    state: dict[str, torch.Tensor], settings: LoraSettings, directory: str | Path
) -> Path:
    """Write ``adapter.safetensors`` and ``adapter.json`` (settings and checksum)."""
    from safetensors.torch import save_file

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    weights = out / ADAPTER_WEIGHTS
    save_file(state, str(weights))
    record = {**asdict(settings), "sha256": _sha256(weights)}
    record["target_modules"] = list(settings.target_modules)
    record["layers"] = None if settings.layers is None else list(settings.layers)
    (out / ADAPTER_CONFIG).write_text(json.dumps(record, indent=2) + "\n")
    return weights


def has_adapter(directory: str | Path) -> bool:
    """Whether ``directory`` holds an adapter (its ``adapter.json``)."""
    return (Path(directory) / ADAPTER_CONFIG).is_file()


def adapter_digest(directory: str | Path) -> str:
    """The SHA-256 an adapter folder records for its weights (which adapter it is)."""
    return json.loads((Path(directory) / ADAPTER_CONFIG).read_text()).get("sha256", "")


def copy_adapter(source: str | Path, directory: str | Path) -> None:
    """Copy an adapter's two files from ``source`` into ``directory`` (verified first)."""
    import shutil

    load_adapter(source)
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for name in (ADAPTER_WEIGHTS, ADAPTER_CONFIG):
        shutil.copyfile(Path(source) / name, out / name)


def load_adapter(directory: str | Path) -> tuple[dict[str, torch.Tensor], LoraSettings]:
    """Read and verify an adapter folder.

    Raises:
        AdapterError: a file is missing, or the weights' SHA-256 is not the recorded one.
    """
    from safetensors.torch import load_file

    folder = Path(directory)
    config_path, weights = folder / ADAPTER_CONFIG, folder / ADAPTER_WEIGHTS
    if not config_path.is_file() or not weights.is_file():
        raise AdapterError(f"{folder} lacks {ADAPTER_CONFIG} or {ADAPTER_WEIGHTS}")
    record = json.loads(config_path.read_text())
    expected = record.pop("sha256", None)
    actual = _sha256(weights)
    if actual != expected:
        raise AdapterError(
            f"{weights} has SHA-256 {actual}, but {config_path} records {expected}: the adapter "
            "was changed or damaged; reinstall diplolex or retrain it"
        )
    record["target_modules"] = tuple(record["target_modules"])
    if record.get("layers") is not None:
        record["layers"] = tuple(record["layers"])
    return load_file(str(weights)), LoraSettings(**record)


def merge_adapter(model: nn.Module, directory: str | Path) -> nn.Module:
    """Add a verified adapter's updates (``scale * B @ A``) into ``model``'s linear weights.

    ``model`` should be a private copy: its weights are changed in place.

    Raises:
        AdapterError: the adapter fails verification or names a layer ``model`` lacks.
    """
    import torch

    state, settings = load_adapter(directory)
    modules = dict(model.named_modules())
    names = sorted({key.rsplit(".lora_", 1)[0] for key in state})
    with torch.no_grad():
        for name in names:
            layer = modules.get(name)
            a, b = state.get(f"{name}.lora_A"), state.get(f"{name}.lora_B")
            if layer is None or a is None or b is None:
                raise AdapterError(f"adapter in {directory} does not fit the model at {name!r}")
            update = (b.float() @ a.float()) * settings.scale
            if update.shape != layer.weight.shape:
                raise AdapterError(
                    f"adapter in {directory}: {name} update {tuple(update.shape)} does not fit "
                    f"weight {tuple(layer.weight.shape)}"
                )
            layer.weight += update.to(device=layer.weight.device, dtype=layer.weight.dtype)
    return model


def encode_for_training(
    encoder: SharedEncoder, model: nn.Module, texts: list[str], pairs: list[str] | None = None
) -> EncodedBatch:
    """:meth:`SharedEncoder.encode` through ``model`` (the LoRA-wrapped base), with gradients."""
    import torch

    from diplolex.encoder import EncodedBatch

    features = encoder._tokenize(texts, pairs)
    device = encoder.device
    out = model(
        input_ids=features["input_ids"].to(device),
        attention_mask=features["attention_mask"].to(device),
        token_type_ids=features["token_type_ids"].to(device),
        output_hidden_states=True,
    )
    return EncodedBatch(
        torch.stack(out.hidden_states),
        features["attention_mask"].to(device),
        features["offsets"],
        features["text_index"],
    )
