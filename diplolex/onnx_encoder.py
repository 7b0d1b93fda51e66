"""The encoder's forward pass through ONNX Runtime: an exact fp32 alternative on the CPU.

``diplolex.load(runtime="onnx")`` exports each encoder the analyses read (the shared one with
its merged adapter, and stance's own) to ONNX once, caches the file, and runs it with ONNX
Runtime instead of torch. The outputs are the torch ones up to float rounding (1e-5 on the
hidden states; the results' 4-decimal scores agree to 1e-4, labels and spans are the same),
and on this project's 2-core CPU the base pass takes 0.82-0.87x torch's time, while a whole
analysis was faster in one run and slower in another (``python -m benchmarks speed``): it is
opt-in.

The cache: ``$DIPLOLEX_CACHE`` or ``~/.cache/diplolex``, one ``encoder-<sha256>.onnx`` per set of
encoder weights (the hash is over the merged weights, so a changed adapter gets a new file).
Needs the ``onnx`` extra: ``pip install "diplolex[onnx]"``.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import torch
from torch import nn

from diplolex.encoder import MODEL_INPUTS, stacked_hidden_states

RUNTIMES = ("torch", "onnx")
"""What ``runtime=`` takes: torch (the default) or ONNX Runtime (CPU only)."""

_export_lock = threading.Lock()


def check_runtime(runtime: object, device: str) -> str:
    """``runtime`` if it is one of :data:`RUNTIMES` and can run on ``device``; a clear
    ``ValueError`` (or ``ImportError`` naming the extra to install) otherwise."""
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown runtime {runtime!r}: use one of {RUNTIMES}")
    if runtime == "onnx":
        if not device.startswith("cpu"):
            raise ValueError(
                f"runtime='onnx' runs on the CPU, not on {device!r}: use runtime='torch'"
            )
        try:
            import onnx  # noqa: F401  (the exporter needs it)
            import onnxruntime  # noqa: F401
        except ImportError:
            raise ImportError(
                "runtime='onnx' needs ONNX Runtime: pip install \"diplolex[onnx]\""
            ) from None
    return str(runtime)


def cache_dir() -> Path:
    """Where exported encoders are kept: ``$DIPLOLEX_CACHE``, else ``~/.cache/diplolex``."""
    return Path(os.environ.get("DIPLOLEX_CACHE") or Path.home() / ".cache" / "diplolex")


def weights_sha256(model: nn.Module) -> str:
    """SHA-256 over the model's parameters and buffers (names, shapes and bytes), in order."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(f"{name}:{tuple(tensor.shape)}:{tensor.dtype}".encode())
        digest.update(tensor.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy())
    return digest.hexdigest()


class StackedHiddenStates(nn.Module):
    """What is exported: :func:`diplolex.encoder.stacked_hidden_states` of the model."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        return stacked_hidden_states(self.model, input_ids, attention_mask, token_type_ids)


def export(model: nn.Module, path: Path) -> None:
    """Write ``model`` (a transformers BERT encoder) to ``path`` as ONNX, dynamic in batch and
    length; written to a temporary file first, so a cached file is always complete."""
    import warnings

    dummy = torch.ones(2, 8, dtype=torch.long)
    mask = dummy.clone()
    mask[1, 5:] = 0  # padding in the example, so that no all-ones shortcut is traced
    axes = {name: {0: "windows", 1: "tokens"} for name in MODEL_INPUTS}
    axes["hidden_states"] = {1: "windows", 2: "tokens"}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial")
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            StackedHiddenStates(model).eval(), (dummy, mask, torch.zeros_like(dummy)), str(partial),
            input_names=list(MODEL_INPUTS), output_names=["hidden_states"], dynamic_axes=axes,
            opset_version=17, dynamo=False,
        )  # fmt: skip
    partial.replace(path)


class OnnxEncoder:
    """An encoder's forward pass in ONNX Runtime, exported on first use and cached.

    Args:
        model: the torch encoder (with any adapter already merged).
        threads: ONNX Runtime's intra-op threads; ``None`` takes torch's thread count. Its
            threads do not spin between calls (as ``OMP_WAIT_POLICY=PASSIVE`` for torch).
        folder: the cache folder; ``None`` is :func:`cache_dir`.
    """

    def __init__(
        self, model: nn.Module, threads: int | None = None, folder: Path | None = None
    ) -> None:
        import onnxruntime as ort

        self.path = (folder or cache_dir()) / f"encoder-{weights_sha256(model)}.onnx"
        with _export_lock:
            if not self.path.is_file():
                export(model, self.path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(
            str(self.path), options, providers=["CPUExecutionProvider"]
        )

    def __call__(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        """``[layers + 1, windows, tokens, hidden]`` hidden states, as a torch tensor."""
        feeds = {
            name: tensor.cpu().numpy()
            for name, tensor in zip(MODEL_INPUTS, (input_ids, attention_mask, token_type_ids))
        }
        return torch.from_numpy(self.session.run(None, feeds)[0])
