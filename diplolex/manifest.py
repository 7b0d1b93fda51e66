"""Tamper-evident weights: a manifest of SHA-256 sums for every shipped weights file.

``diplolex/weights/MANIFEST.json`` records the SHA-256 of every file under
``diplolex/weights/`` that changes results: each task's ``model.safetensors`` and
``config.json``, and any other ``.safetensors`` or ``.json`` file there (a LoRA adapter).
Model cards (``README.md``) are not covered. Loading a task's shipped weights checks its
files against the manifest and refuses, naming the file, one that was changed, is missing,
or is not in the manifest.

A weights folder of your own (``weights={task: folder}``) is checked only when it holds a
``MANIFEST.json`` of its own (same format, paths relative to the folder).

After retraining the shipped weights, regenerate the manifest::

    python -m diplolex.manifest            # writes diplolex/weights/MANIFEST.json
    python -m diplolex.manifest --check    # verifies it, exit status 1 on a mismatch
    python -m diplolex.manifest FOLDER     # writes FOLDER/MANIFEST.json for your own weights
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from functools import cache
from pathlib import Path

MANIFEST_NAME = "MANIFEST.json"
WEIGHTS_ROOT = Path(__file__).resolve().parent / "weights"
"""The folder of the shipped weights, one sub-folder a task."""
COVERED_SUFFIXES = (".safetensors", ".json")
"""Files with these endings change results, so the manifest covers them."""


class WeightsError(RuntimeError):
    """A weights file is damaged, changed, missing, or not what the manifest records."""


def sha256_file(path: str | Path) -> str:
    """The hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def covered_files(root: str | Path) -> list[Path]:
    """The files under ``root`` a manifest covers, sorted (the manifest itself excluded)."""
    root = Path(root)
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix in COVERED_SUFFIXES and p.name != MANIFEST_NAME
    )


def build_manifest(root: str | Path) -> dict:
    """The manifest of ``root``: ``{"algorithm": "sha256", "files": {relative path: hex}}``."""
    root = Path(root)
    files = {p.relative_to(root).as_posix(): sha256_file(p) for p in covered_files(root)}
    return {"algorithm": "sha256", "files": files}


def write_manifest(root: str | Path = WEIGHTS_ROOT) -> Path:
    """Write ``root/MANIFEST.json`` for the files under ``root`` now; returns its path."""
    root = Path(root)
    if not root.is_dir():
        raise WeightsError(f"{root} is not a folder")
    path = root / MANIFEST_NAME
    path.write_text(json.dumps(build_manifest(root), indent=2, sort_keys=True) + "\n")
    verify_folder.cache_clear()
    return path


def read_manifest(path: str | Path) -> dict[str, str]:
    """The ``files`` mapping of a manifest file, with a clear error if it is unreadable."""
    path = Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        files = record["files"]
        if record.get("algorithm", "sha256") != "sha256" or not isinstance(files, dict):
            raise ValueError("not a sha256 manifest")
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise WeightsError(
            f"{path} is not a readable weights manifest ({err}): "
            "regenerate it with python -m diplolex.manifest"
        ) from err
    return {str(k): str(v) for k, v in files.items()}


@cache
def verify_folder(folder: Path, root: Path) -> Path:
    """Check the covered files of ``folder`` against ``root/MANIFEST.json`` (once a folder).

    ``folder`` is ``root`` itself or a sub-folder of it. Every covered file in ``folder`` must
    be listed with its SHA-256, and every listed file under ``folder`` must exist.

    Raises:
        WeightsError: naming the first file that is changed, missing or unlisted.
    """
    manifest_path = root / MANIFEST_NAME
    if not manifest_path.is_file():
        raise WeightsError(
            f"No {MANIFEST_NAME} in {root}: the weights cannot be verified; after retraining, "
            "write it with python -m diplolex.manifest"
        )
    expected = read_manifest(manifest_path)
    prefix = "" if folder == root else folder.relative_to(root).as_posix() + "/"
    listed = {k: v for k, v in expected.items() if k.startswith(prefix)}
    if not listed:
        raise WeightsError(f"{manifest_path} lists no file of {folder}")
    hint = (
        "the file was changed or damaged: reinstall diplolex, or if you retrained these "
        "weights, regenerate the manifest with python -m diplolex.manifest"
    )
    for name, digest in sorted(listed.items()):
        path = root / name
        if not path.is_file():
            raise WeightsError(f"{path} is missing, but {manifest_path} lists it: {hint}")
        actual = sha256_file(path)
        if actual != digest:
            raise WeightsError(
                f"{path} has SHA-256 {actual}, but {manifest_path} records {digest}: {hint}"
            )
    for path in covered_files(folder):
        name = path.relative_to(root).as_posix()
        if name not in expected:
            raise WeightsError(f"{path} is not in {manifest_path}: {hint}")
    return folder


def verify_weights(folder: str | Path, shipped: str | Path) -> Path:
    """Verify a task's weights folder before it is loaded.

    The shipped folder (``folder`` is ``shipped``) is checked against the package manifest
    in its parent; a folder of your own only against a ``MANIFEST.json`` inside it, if any.

    Raises:
        WeightsError: a covered file is changed, missing or unlisted.
    """
    folder, shipped = Path(folder).resolve(), Path(shipped).resolve()
    if folder == shipped:
        return verify_folder(folder, folder.parent)
    if (folder / MANIFEST_NAME).is_file():
        return verify_folder(folder, folder)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m diplolex.manifest",
        description="Write (or check) the SHA-256 manifest of a weights folder.",
    )
    parser.add_argument(
        "folder", nargs="?", default=str(WEIGHTS_ROOT), help="default: the shipped weights"
    )
    parser.add_argument("--check", action="store_true", help="verify instead of writing")
    args = parser.parse_args(argv)
    root = Path(args.folder).resolve()
    if args.check:
        try:
            verify_folder(root, root)
        except WeightsError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        print(f"{root / MANIFEST_NAME}: {len(read_manifest(root / MANIFEST_NAME))} files verified")
        return 0
    path = write_manifest(root)
    print(f"wrote {path} ({len(read_manifest(path))} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
