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
    p.set_defaults(run=run)


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
    module.train(resolve_data_dir(args.data), Path(args.out), settings)
    return 0
