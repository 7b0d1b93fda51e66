"""The numeric precision of the encoder passes: fp32, or bfloat16 where the hardware has it.

``diplolex.load(precision="auto")`` (the default) runs the encoders in bfloat16 on a CPU with
native bfloat16 instructions (AVX-512 BF16 or AMX, read from ``/proc/cpuinfo`` on Linux) and
on a CUDA GPU that supports it (float16 on an older GPU), and in float32 everywhere else, so
a CPU without them never pays for emulated arithmetic. The heads read the encoder states in
float32; their transformer layers, the bulk of their cost, run under torch's autocast to the
encoders' format (:func:`layers_in_precision`: matrix products in bfloat16, normalisations
and softmaxes in float32, outputs back in float32). ``"fp32"`` and ``"bf16"`` force one;
what bfloat16 changes on each dev set is in docs/benchmarks.md.
"""

from __future__ import annotations

import functools
from pathlib import Path

import torch

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
"""What ``precision=`` takes; ``fp16`` only on CUDA."""

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}

_BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


@functools.cache
def cpu_has_native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this CPU advertises bfloat16 instructions (Linux; ``False`` where unknown)."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.partition(":")[2].split())
            return any(flag in flags for flag in _BF16_CPU_FLAGS)
    return False


def resolve_precision(precision: object, device: str, runtime: str = "torch") -> str:
    """``precision`` as one of ``fp32``, ``bf16``, ``fp16`` for ``device`` and ``runtime``
    (``auto`` chosen as the module docstring says).

    Raises:
        ValueError: an unknown precision, or one the device or runtime cannot run.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}: use one of {PRECISIONS}")
    cuda = device.startswith("cuda")
    if precision == "auto":
        if runtime != "torch":
            return "fp32"
        if cuda:
            return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        return "bf16" if device.startswith("cpu") and cpu_has_native_bf16() else "fp32"
    if precision != "fp32" and runtime != "torch":
        raise ValueError(f"precision={precision!r} runs in torch, not runtime={runtime!r}")
    if precision == "fp16" and not cuda:
        raise ValueError("precision='fp16' runs on CUDA only: use 'bf16' or 'fp32' on the CPU")
    return str(precision)


def layers_in_precision(module: torch.nn.Module, precision: str) -> None:
    """Run every transformer layer inside ``module`` (a head) under autocast to
    ``precision``, returning float32; nothing changes for ``fp32``. The weights stay
    float32."""
    if precision == "fp32":
        return
    dtype = DTYPES[precision]
    for layer in module.modules():
        if isinstance(layer, torch.nn.TransformerEncoderLayer):
            layer.forward = _autocast_forward(layer.forward, dtype)  # type: ignore[method-assign]


def _autocast_forward(forward, dtype: torch.dtype):
    def run(x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        with torch.autocast(device_type=x.device.type, dtype=dtype):
            return forward(x, *args, **kwargs).float()

    return run
