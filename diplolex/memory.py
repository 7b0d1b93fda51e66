"""Handing freed memory back to the operating system between chunks of a long input.

An analysis allocates and frees many tensors of a few megabytes per batch. glibc's allocator
keeps what is freed for reuse, and as the heap fragments over thousands of batches the
process's resident memory climbs with the input's size, though nothing is leaked. The
Analyzer calls :func:`release_freed_memory` after each chunk of sentences and every
:data:`BATCHES_PER_RELEASE` encoder batches (the shared pass and stance's pairs), which keeps
the peak resident memory of a long document close to that of a short one
(``python -m benchmarks memory``). Each release costs the pages handed back: the next batches
fault them in again, so releasing after every batch cost a few percent of speed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable

BATCHES_PER_RELEASE = 4
"""Encoder batches between two releases inside one chunk."""


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or ``None`` where the C library has none (macOS, musl,
    Windows)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None


def release_freed_memory() -> bool:
    """Return the allocator's free memory to the system; ``False`` where it cannot be done
    (not glibc), which only means memory is not handed back early."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
