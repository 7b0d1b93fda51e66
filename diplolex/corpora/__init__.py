"""Readers for the labeled corpora: each returns a ``datasets.Dataset`` in one schema per task."""
