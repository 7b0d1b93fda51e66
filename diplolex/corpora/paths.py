"""Finding the shared data folder that holds the labeled corpora."""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV_VAR = "DIPLOLEX_DATA"


def resolve_data_dir(explicit: str | Path | None = None) -> Path:
    """Locate the shared data folder.

    Tried in order: ``explicit``; else ``$DIPLOLEX_DATA``; else ``../shared/data`` from the
    current working directory, then ``../shared/data`` from this package's repository root.
    An explicit argument or a set environment variable is used as given: when it names no
    folder, this raises rather than falling back to a guess.

    Args:
        explicit: A folder the caller names, e.g. a ``--data`` option.

    Returns:
        The first candidate that is an existing folder.

    Raises:
        FileNotFoundError: No candidate exists; the message lists every path tried.
    """
    if explicit is not None:
        candidates = [("argument", Path(explicit))]
    elif os.environ.get(DATA_ENV_VAR):
        candidates = [(f"${DATA_ENV_VAR}", Path(os.environ[DATA_ENV_VAR]))]
    else:
        candidates = [
            ("working directory", Path.cwd().parent / "shared" / "data"),
            ("repository", Path(__file__).resolve().parents[2].parent / "shared" / "data"),
        ]
    for _, path in candidates:
        if path.is_dir():
            return path
    tried = "; ".join(f"{origin}: {path}" for origin, path in candidates)
    raise FileNotFoundError(
        f"shared data folder not found (tried {tried}); "
        f"pass a data folder explicitly or set ${DATA_ENV_VAR}"
    )
