"""Where the tests find the shared labeled corpora: the library's own resolver
(``$DIPLOLEX_DATA``, then ``../shared/data``), never a path of one machine."""

from __future__ import annotations

from pathlib import Path

from diplolex.corpora.paths import resolve_data_dir


def shared_data() -> Path:
    """The shared data folder, or a path that does not exist when there is none (tests that
    need it skip on ``not shared_data().is_dir()``)."""
    try:
        return resolve_data_dir()
    except FileNotFoundError:
        return Path("shared-data-not-found")
