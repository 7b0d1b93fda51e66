"""Where one ``analyze()`` run spends its time, step by step (part of ``benchmarks speed``).

Each step is clocked by wrapping one method of one loaded object for the duration of a run
(wall time, ``time.perf_counter``):

* ``shared_pass``: the shared encoder's ``encode`` (tokenization, the forward pass, the
  stacked hidden states), called once per batch of sentences;
* ``<analysis>_head``: an analysis that reads the shared pass: its ``read_batch`` (the head
  on a batch's states), ``annotate`` (decoding and assembly) and, for attribution,
  ``predict_document`` (its head over windows of consecutive sentences);
* ``stance_step``: stance's ``annotate_many`` (targets, holders, and the scoring of the
  pairs: proposed targets by its shared-pass head, given ones by its own cross-encoder pass)
  and its ``read_batch`` of the shared pass; ``stance_pass``, a part of it, is its own
  encoder's ``encode`` (0 when every pair came from the shared pass);
* ``rest``: the run's time outside those (segmentation, batching, documents).

Every figure is also given in units of one base-encoder layer (the plain base pass's time
divided by its number of layers), the unit of "a head layer costs about 0.67 of a base
layer".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any


@contextmanager
def clocked(owner: Any, method: str, seconds: dict[str, float], key: str) -> Iterator[None]:
    """Add the wall time of every call of ``owner.method`` to ``seconds[key]`` while active
    (the method is replaced on the object itself, so other instances are not clocked)."""
    original = getattr(owner, method)
    own = method in vars(owner)  # already an attribute of the object, not of its class

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            seconds[key] = seconds.get(key, 0.0) + time.perf_counter() - started

    setattr(owner, method, timed)
    try:
        yield
    finally:
        if own:
            setattr(owner, method, original)
        else:
            delattr(owner, method)


def step_seconds(analyzer: Any, run: Callable[[], Any]) -> dict[str, float]:
    """The seconds of each step of ``run()`` (which runs ``analyzer``), as the module
    docstring names them, with ``total``."""
    seconds: dict[str, float] = {}
    with ExitStack() as stack:
        stack.enter_context(clocked(analyzer.encoder, "encode", seconds, "shared_pass"))
        for name, model in analyzer.models.items():
            if name == "stance":
                for method in ("annotate_many", "read_batch"):
                    stack.enter_context(clocked(model, method, seconds, "stance_step"))
                if model.encoder is not None:
                    seconds["stance_pass"] = 0.0
                    stack.enter_context(clocked(model.encoder, "encode", seconds, "stance_pass"))
                continue
            for method in ("read_batch", "annotate", "predict_document"):
                if hasattr(model, method):
                    stack.enter_context(clocked(model, method, seconds, f"{name}_head"))
        started = time.perf_counter()
        run()
        seconds["total"] = time.perf_counter() - started
    parts = [v for k, v in seconds.items() if k not in ("total", "stance_pass")]
    seconds["rest"] = max(0.0, seconds["total"] - sum(parts))
    return seconds


def in_base_layers(seconds: dict[str, float], base_seconds: float, layers: int) -> dict:
    """Each step's seconds (4 places) and its cost in base-encoder layers (2 places)."""
    layer = base_seconds / layers if base_seconds and layers else 0.0
    return {
        key: {"seconds": round(value, 4), "base_layers": round(value / layer, 2) if layer else None}
        for key, value in seconds.items()
    }
