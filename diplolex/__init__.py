"""diplolex: who said what, what is conditional on what, and who stands where in news text.

Example:
    >>> import diplolex
    >>> doc = diplolex.analyze("Sanctions will be lifted if the prisoners are released.")
    >>> doc.conditionals[0].condition.text
    'if the prisoners are released'
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, overload

from diplolex.frame import to_frame
from diplolex.render import render
from diplolex.types import (
    Attribution,
    Conditional,
    Document,
    Sentence,
    Span,
    Stance,
    StanceResult,
)

if TYPE_CHECKING:
    from diplolex.analyzer import Analyzer

# OpenMP threads that wait by sleeping, not spinning: with a spinning default, two analyzers
# (or any other job) on the same cores slow each other down several-fold. Read when torch
# first loads, so it applies only if torch was not imported before diplolex; a value the
# user set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
__all__ = [
    "Analyzer",
    "Attribution",
    "Conditional",
    "Document",
    "Sentence",
    "Span",
    "Stance",
    "StanceResult",
    "__version__",
    "analyze",
    "load",
    "render",
    "stance",
    "to_frame",
]

_defaults: dict[tuple[str, ...], Analyzer] = {}
_defaults_lock = threading.Lock()


def load(
    device: str | None = None,
    batch_size: int = 32,
    tasks: Sequence[str] | None = None,
    weights: dict | None = None,
    runtime: str = "torch",
    precision: str = "auto",
    proposed_stance: str = "cross-encoder",
) -> Analyzer:
    """Build a reusable :class:`Analyzer` (loads the models once).

    Args:
        device: ``"cpu"`` (default), ``"cuda"``, or another torch device string.
        batch_size: sentences per encoder pass.
        tasks: analyses to run; ``None`` runs all that this version ships.
        weights: optional ``{task: folder}`` to use other trained weights.
        runtime: ``"torch"`` (default) or ``"onnx"`` (ONNX Runtime on the CPU, the same
            results; ``pip install "diplolex[onnx]"``).
        precision: ``"auto"`` (default): bfloat16 encoder passes where the CPU (AVX-512 BF16,
            AMX) or GPU has it natively, float32 elsewhere; or ``"fp32"``, ``"bf16"``,
            ``"fp16"`` (CUDA only) to choose.
        proposed_stance: ``"cross-encoder"`` (default) or ``"shared-pass"``: score the
            stances towards proposed targets (no ``targets=``) from the shared pass, with
            no stance pass of their own (faster, a few points of F1 less).

    Example:
        >>> nlp = diplolex.load(batch_size=64)
        >>> docs = list(nlp.pipe(["Talks resumed.", "Aid flows if the truce holds."]))
    """
    from diplolex.analyzer import Analyzer

    return Analyzer(
        device=device,
        batch_size=batch_size,
        tasks=tasks,
        weights=weights,
        runtime=runtime,
        precision=precision,
        proposed_stance=proposed_stance,
    )


def _default_analyzer(tasks: tuple[str, ...]) -> Analyzer:
    with _defaults_lock:
        if tasks not in _defaults:
            _defaults[tasks] = load(tasks=tasks)
        return _defaults[tasks]


@overload
def analyze(
    text: str, *, targets: Sequence[str] | None = None, tasks: Sequence[str] | None = None
) -> Document: ...
@overload
def analyze(
    text: list[str], *, targets: Sequence[str] | None = None, tasks: Sequence[str] | None = None
) -> list[Document]: ...
def analyze(text, *, targets=None, tasks=None):
    """Analyse a text (returns a :class:`Document`) or a list of texts (a list, batched).

    Uses a default :class:`Analyzer` (one per set of tasks) built on first use; call
    :func:`load` to choose the device or batch size.

    Args:
        text: a ``str``, or a ``list`` of ``str``.
        targets: stance targets; ``None`` lets the stance analysis propose its own.
        tasks: restrict the analyses run; ``None`` runs all that this version ships.

    Raises:
        TypeError: ``text`` is neither a ``str`` nor a list of ``str``.

    Example:
        >>> doc = diplolex.analyze("The embargo ends once the troops withdraw.")
        >>> doc.to_dict()["sentences"][0]["conditional"]
        True
    """
    from diplolex.analyzer import check_tasks, check_text

    analyzer = _default_analyzer(check_tasks(tasks))
    if isinstance(text, list):
        return list(analyzer.pipe([check_text(t, i) for i, t in enumerate(text)], targets=targets))
    return analyzer(check_text(text), targets=targets)


def stance(text, target, *, holder=None, batch_size=32, device=None):
    """The stance of ``text`` (or of ``holder`` in it) towards ``target``.

    Labels: favor, against, neutral or unrelated. Given lists (or many texts and one target),
    scores the pairs in batches and returns a list. ``holder``: who takes the stance (one per
    text or one for all); ``None`` reads the text's own position. ``device``: a torch device
    (default CPU). For a loaded analyzer, use :meth:`Analyzer.stance`.

    Raises:
        TypeError: a text, target or holder is not a ``str``.
        ValueError: an empty target, or lists of different lengths.

    Example:
        >>> r = diplolex.stance("Kyiv rejected the truce proposal outright.", "the truce proposal")
        >>> r.label
        'against'
        >>> diplolex.stance(
        ...     "Tehran agreed to the talks, but Washington rejected them.",
        ...     "the talks", holder="Washington").label
        'against'
    """
    from diplolex.tasks.stance.predict import stance as _stance

    return _stance(text, target, holder=holder, batch_size=batch_size, device=device)
