"""Progress bars on stderr (tqdm), shown only where someone is watching a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress_enabled(disable: bool = False) -> bool:
    """True when a bar should be drawn: not ``disable``d and stderr is a terminal."""
    if disable:
        return False
    isatty = getattr(sys.stderr, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def progress_bar(
    items: Iterable[T],
    *,
    total: int | None = None,
    unit: str = "doc",
    desc: str = "diplolex",
    disable: bool = False,
) -> Iterator[T]:
    """``items`` unchanged, with a tqdm bar on stderr when :func:`progress_enabled`."""
    if not progress_enabled(disable):
        yield from items
        return
    from tqdm import tqdm

    with tqdm(items, total=total, unit=unit, desc=desc, file=sys.stderr, dynamic_ncols=True,
              leave=True) as bar:  # fmt: skip
        yield from bar
