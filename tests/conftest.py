"""Shared fixtures: the shipped analyzer is built once per test session."""

from __future__ import annotations

import pytest

import diplolex


@pytest.fixture(scope="session", autouse=True)
def _onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Encoders exported for ``runtime="onnx"`` go to a folder of the test session, not to
    the user's cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DIPLOLEX_CACHE", str(tmp_path_factory.mktemp("onnx-cache")))
        yield


@pytest.fixture(scope="session", autouse=True)
def _auto_is_fp32() -> None:
    """``precision="auto"`` resolves to float32 in the tests on every CPU, the precision the
    cards' figures are of: on a CPU with native bfloat16 it would be bfloat16, whose scores
    move in the fourth decimal with the batch a sentence is read in (docs/benchmarks.md,
    *Precision*). bfloat16 itself is tested by forcing it (tests/test_precision.py)."""
    import diplolex.precision

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(diplolex.precision, "cpu_has_native_bf16", lambda: False)
        yield


@pytest.fixture(scope="session")
def nlp() -> diplolex.Analyzer:
    """The shipped analyses in float32, the precision their cards' figures are of (``auto``
    is bfloat16 on a CPU with native bfloat16)."""
    return diplolex.load(batch_size=16, precision="fp32")


def assert_offsets_exact(doc: diplolex.Document) -> None:
    """Every sentence and span indexes the document text exactly."""
    for s in doc.sentences:
        assert doc.text[s.start : s.end] == s.text
        assert s.text == s.text.strip() and s.text
    for span in doc.spans():
        assert 0 <= span.start <= span.end <= len(doc.text)
        assert doc.text[span.start : span.end] == span.text
