"""What every result records about where it came from: date, library version, machine,
weights and their checksum."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import platform
from pathlib import Path
from typing import Any

import diplolex
from diplolex.manifest import WEIGHTS_ROOT

SCHEMA_VERSION = 1
"""Version of the result-file layout (see docs/benchmarks.md); bump on incompatible change."""


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def machine() -> dict[str, Any]:
    """The machine and software the figures were measured on."""
    import psutil
    import torch
    import transformers

    info: dict[str, Any] = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "cpus_logical": os.cpu_count(),
        "cpus_physical": psutil.cpu_count(logical=False),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }
    return info


def shipped_weights(task: str) -> Path:
    """Where the package keeps the shipped weights of ``task``."""
    return WEIGHTS_ROOT / task


def sha256_of_weights(directory: Path) -> str | None:
    """SHA-256 of the weights in ``directory``.

    With one ``*.safetensors`` file, its own SHA-256 (what ``sha256sum`` prints); with
    several, the SHA-256 of their sorted ``"<name> <sha256>\\n"`` lines; ``None`` with none.
    """
    files = sorted(directory.glob("*.safetensors"))
    if not files:
        return None
    digests = []
    for path in files:
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        digests.append((path.name, digest.hexdigest()))
    if len(digests) == 1:
        return digests[0][1]
    lines = "".join(f"{name} {sha}\n" for name, sha in digests)
    return hashlib.sha256(lines.encode()).hexdigest()


def weights_info(task: str, directory: Path | None) -> dict[str, Any]:
    """``{"path", "sha256", "shipped", "base_model_sha256"}`` of the weights a run used."""
    from diplolex.encoder import BASE_MODEL_SHA256

    shipped = directory is None
    path = shipped_weights(task) if shipped else Path(directory).resolve()
    return {
        "path": str(path),
        "sha256": sha256_of_weights(path),
        "shipped": shipped,
        "base_model_sha256": BASE_MODEL_SHA256,
    }


def result_file(
    kind: str, command: str, data_dir: Path, created: str, results: list | None = None
) -> dict[str, Any]:
    """The envelope of a result file: ``kind`` (run, speed, scaling), the command, the data
    folder, the creation time, the results, and what was skipped or failed."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": kind,
        "command": command,
        "data_dir": str(data_dir),
        "created": created,
        "results": [] if results is None else results,
        "skipped": [],
        "errors": [],
    }


def header(benchmark: str, command: str, **extra: Any) -> dict[str, Any]:
    """The fields every result carries besides its own figures."""
    return {
        "benchmark": benchmark,
        "diplolex_version": diplolex.__version__,
        "date": now(),
        "machine": machine(),
        "command": command,
        **extra,
    }
