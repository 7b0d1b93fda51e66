"""Saving and loading task heads: ``model.safetensors`` + ``config.json`` + ``README.md``.

Never pickle: weights are safetensors, configuration is JSON, so loading runs no code.
A damaged file is refused with an error that names it; the shipped weights are also checked
against ``diplolex/weights/MANIFEST.json`` (:meth:`diplolex.component.TaskModel.load`).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, TypeVar

from torch import nn

from diplolex.manifest import WeightsError

__all__ = ["WeightsError", "load_config", "load_weights", "save_head"]

ConfigT = TypeVar("ConfigT")


def save_head(module: nn.Module, config: Any, directory: str | Path, card: str) -> Path:
    """Write the head's weights, its config dataclass and its model card into ``directory``."""
    from safetensors.torch import save_file

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous().cpu() for k, v in module.state_dict().items()}
    save_file(state, str(out / "model.safetensors"))
    (out / "config.json").write_text(json.dumps(dataclasses.asdict(config), indent=2) + "\n")
    (out / "README.md").write_text(card)
    return out


def load_config(config_cls: type[ConfigT], directory: str | Path) -> ConfigT:
    """Read ``config.json`` into ``config_cls``, rejecting unknown keys with a clear error."""
    path = Path(directory) / "config.json"
    if not path.is_file():
        raise FileNotFoundError(f"No config.json in {directory}: not a diplolex weights folder")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise WeightsError(f"{path} is not valid JSON ({err}): the file is damaged") from err
    if not isinstance(raw, dict):
        raise WeightsError(f"{path} holds a JSON {type(raw).__name__}, not an object")
    known = {f.name for f in dataclasses.fields(config_cls)}
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"{path} has keys {sorted(unknown)} unknown to {config_cls.__name__}")
    return config_cls(**raw)


def load_weights(module: nn.Module, directory: str | Path, device: str = "cpu") -> nn.Module:
    """Load ``model.safetensors`` from ``directory`` into ``module`` (strictly) and set eval."""
    from safetensors.torch import load_file

    path = Path(directory) / "model.safetensors"
    if not path.is_file():
        raise FileNotFoundError(f"No model.safetensors in {directory}")
    try:
        state = load_file(str(path), device=str(device))
    except Exception as err:  # safetensors raises its own SafetensorError, or OSError
        if not _is_file_error(err):
            raise
        raise WeightsError(
            f"{path} is not a readable safetensors file ({err}): the file is damaged; "
            "reinstall diplolex or retrain these weights"
        ) from err
    try:
        module.load_state_dict(state)
    except RuntimeError as err:
        raise WeightsError(
            f"{path} does not fit the {type(module).__name__} its config.json describes: {err}"
        ) from err
    return module.to(device).eval()


def _is_file_error(err: Exception) -> bool:
    """Whether ``err`` from safetensors' ``load_file`` is about the file (not the device)."""
    from safetensors import SafetensorError

    return isinstance(err, (SafetensorError, OSError, ValueError))
