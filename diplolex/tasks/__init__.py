"""The analyses diplolex ships, as one table: what the Analyzer runs, trains and loads.

Each analysis is a folder here (``diplolex/tasks/<name>/``) with a model class implementing
:class:`diplolex.component.TaskModel` and a training module. Adding an analysis means adding
its folder and one row to :data:`TASKS`; the Analyzer, ``diplolex train`` and the harness read
this table and name no analysis themselves.

This module imports no torch: the table names its classes as import paths, loaded on use.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TaskSpec:
    """One row of :data:`TASKS`.

    Attributes:
        name: the analysis' name (``tasks=[...]``, ``diplolex train NAME``, weights folder).
        model: ``"module:Class"`` of its :class:`~diplolex.component.TaskModel`.
        trainer: the module ``diplolex train NAME`` runs; it provides ``TrainingSettings`` (a
            dataclass with ``epochs`` and ``seed``) and ``train(data_dir, out_dir, settings)``.
        reads_shared_pass: whether the model reads the one shared encoder pass over the
            sentences (else it runs its own passes, as stance does per (text, target) pair).
        parts: further parts trained apart, ``(part, trainer module)`` pairs: ``diplolex
            train NAME --part PART`` runs that module instead of ``trainer``.
    """

    name: str
    model: str
    trainer: str
    reads_shared_pass: bool
    parts: tuple[tuple[str, str], ...] = ()

    def model_class(self) -> Any:
        """The model class (imports its module, and with it torch)."""
        module, _, cls = self.model.partition(":")
        return getattr(importlib.import_module(module), cls)

    def trainer_module(self, part: str | None = None) -> Any:
        """The training module (of ``part``, when given).

        Raises:
            ValueError: the analysis has no such part.
        """
        if part is None:
            return importlib.import_module(self.trainer)
        parts = dict(self.parts)
        if part not in parts:
            raise ValueError(f"{self.name} has no part {part!r}; its parts: {sorted(parts)}")
        return importlib.import_module(parts[part])


TASKS: tuple[TaskSpec, ...] = (
    TaskSpec(
        "conditionality",
        "diplolex.tasks.conditionality.predict:ConditionalityModel",
        "diplolex.tasks.conditionality.adapted",
        reads_shared_pass=True,
        parts=(("joint", "diplolex.tasks.conditionality.joint"),),
    ),
    TaskSpec(
        "attribution",
        "diplolex.tasks.attribution.predict:AttributionModel",
        "diplolex.tasks.attribution.train",
        reads_shared_pass=True,
    ),
    TaskSpec(
        "stance",
        "diplolex.tasks.stance.predict:StanceModel",
        "diplolex.tasks.stance.adapted",
        reads_shared_pass=False,
        parts=(("shared", "diplolex.tasks.stance.shared_train"),),
    ),
)
"""Every analysis, in the order the Analyzer runs them (stance reads the attributions)."""

TASK_NAMES: tuple[str, ...] = tuple(spec.name for spec in TASKS)


def task_spec(name: str) -> TaskSpec:
    """The row of the analysis called ``name``.

    Raises:
        ValueError: no analysis has that name.
    """
    for spec in TASKS:
        if spec.name == name:
            return spec
    raise ValueError(f"unknown analysis {name!r}; this version ships {list(TASK_NAMES)}")
