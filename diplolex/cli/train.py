"""``diplolex train TASK``: retrain a task head from the labeled corpora."""

from __future__ import annotations

import argparse
from pathlib import Path

from diplolex.tasks import TASK_NAMES, task_spec


def add_parser(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "train",
        help="train a task head on the labeled corpora",
        description="Train a task head; the defaults reproduce the shipped weights.",
    )
    p.add_argument("task", choices=sorted(TASK_NAMES))
    p.add_argument(
        "--data",
        default=None,
        help="data directory (default: $DIPLOLEX_DATA, then ../shared/data)",
    )
    p.add_argument("--out", required=True, help="folder to write the weights and model card to")
    p.add_argument("--epochs", type=int, default=None, help="override the number of epochs")
    p.add_argument("--seed", type=int, default=None, help="override the random seed")
    p.add_argument(
        "--encoder-adapter",
        default=None,
        help="attribution, stance --part shared: train on the base encoder with this LoRA "
        "adapter merged in (a conditionality weights folder); the output folder carries a "
        "copy of the adapter",
    )
    p.add_argument(
        "--part",
        default=None,
        help="train one further part of the analysis instead of its main model; stance: "
        "'shared' (the head that scores proposed targets from the shared pass)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="override one field of the trainer's TrainingSettings (repeatable), e.g. "
        "--set attribution_weight=0.5; numbers, true/false and none are read as such",
    )
    p.set_defaults(run=run)


def apply_overrides(settings: object, overrides: list[str]) -> None:
    """Set ``FIELD=VALUE`` pairs on a settings dataclass, each value converted to the type of
    the field's current value (``none`` for an optional field).

    Raises:
        SystemExit: a malformed pair, an unknown field or a value of the wrong type.
    """
    import dataclasses

    fields = {f.name for f in dataclasses.fields(settings)}  # type: ignore[arg-type]
    for pair in overrides:
        name, sep, text = pair.partition("=")
        if not sep or name not in fields:
            raise SystemExit(
                f"error: --set {pair!r}: expected FIELD=VALUE with FIELD one of {sorted(fields)}"
            )
        current = getattr(settings, name)
        try:
            value = _parse(text, current)
        except ValueError:
            kind = type(current).__name__
            message = f"error: --set {pair!r}: {name} needs a value of type {kind}"
            raise SystemExit(message) from None
        setattr(settings, name, value)


def _parse(text: str, current: object) -> object:
    """``text`` as a value of ``current``'s type (any text where ``current`` is None)."""
    if text.lower() == "none":
        return None
    if isinstance(current, bool):
        if text.lower() not in ("true", "false"):
            raise ValueError(text)
        return text.lower() == "true"
    if isinstance(current, (int, float, str)):
        return type(current)(text)
    if current is None:
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                pass
        return text
    raise ValueError(text)  # nested settings (e.g. lora) are not set from the command line


def run(args: argparse.Namespace) -> int:
    from diplolex.corpora.paths import resolve_data_dir

    try:
        module = task_spec(args.task).trainer_module(args.part)
    except ValueError as err:
        raise SystemExit(f"error: {err}") from None
    settings = module.TrainingSettings()
    if args.epochs is not None:
        settings.epochs = args.epochs
    if args.seed is not None:
        settings.seed = args.seed
    if args.encoder_adapter is not None:
        if not hasattr(settings, "encoder_adapter"):
            raise SystemExit(
                "--encoder-adapter applies to attribution and stance --part shared, "
                f"not {args.task}"
            )
        settings.encoder_adapter = args.encoder_adapter
    apply_overrides(settings, args.set)
    module.train(resolve_data_dir(args.data), Path(args.out), settings)
    return 0
