"""Stance towards a target: favor, against, neutral, or unrelated (task-definitions.md §3).

The model is in :mod:`diplolex.tasks.stance.predict`; its result type,
:class:`~diplolex.types.StanceResult`, is in :mod:`diplolex.types`.
"""
