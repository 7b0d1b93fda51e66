"""Checking a torch device name before anything is loaded onto it."""

from __future__ import annotations


def check_device(device: str | None) -> str | None:
    """Return ``device`` if torch can use it on this machine, else raise a ``ValueError``.

    ``None`` (the default device, CPU) is returned as is. The message says what is wrong
    and what to pass instead: an unknown name (``"gpu"``), CUDA asked for on a machine or a
    torch build without it, a GPU index past the last GPU, MPS where there is none.

    Example:
        >>> check_device("cpu")
        'cpu'
    """
    if device is None:
        return None
    if not isinstance(device, str):
        raise TypeError(
            f"device must be a str such as 'cpu' or 'cuda', got {type(device).__name__}"
        )
    import torch

    try:
        parsed = torch.device(device)
    except (RuntimeError, ValueError, TypeError):
        raise ValueError(
            f"unknown device {device!r}: use cpu, cuda, cuda:N or mps (torch device names)"
        ) from None
    if parsed.type == "cpu":
        return device
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            why = (
                "this torch build has no CUDA support"
                if torch.version.cuda is None
                else "no CUDA GPU is visible"
            )
            raise ValueError(f"device {device!r} requested but {why}; use cpu")
        count = torch.cuda.device_count()
        if parsed.index is not None and parsed.index >= count:
            raise ValueError(f"device {device!r} requested but this machine has {count} GPU(s)")
        return device
    if parsed.type == "mps":
        if not torch.backends.mps.is_available():
            raise ValueError(f"device {device!r} requested but MPS is not available here")
        return device
    raise ValueError(f"device {device!r} is not supported: use cpu, cuda, cuda:N or mps")
