"""Shared fixtures: the shipped analyzer is built once per test session."""

from __future__ import annotations

import pytest

import diplolex


@pytest.fixture(scope="session")
def nlp() -> diplolex.Analyzer:
    return diplolex.load(batch_size=16)


def assert_offsets_exact(doc: diplolex.Document) -> None:
    """Every sentence and span indexes the document text exactly."""
    for s in doc.sentences:
        assert doc.text[s.start : s.end] == s.text
        assert s.text == s.text.strip() and s.text
    for span in doc.spans():
        assert 0 <= span.start <= span.end <= len(doc.text)
        assert doc.text[span.start : span.end] == span.text
