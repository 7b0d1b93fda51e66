"""Command line of the harness: ``python -m benchmarks COMMAND``, the commands below.

:func:`add_commands` builds the subcommands on a parser; :func:`main` is the entry point.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks import RESULTS_DIR
from diplolex.tasks import TASK_NAMES

_DATA_HELP = "the shared data folder (default: $DIPLOLEX_DATA, then ../shared/data)"


def _add_size_options(command: argparse.ArgumentParser, sizes: str, result: str) -> None:
    """The options of a command that analyses documents of several sizes."""
    command.add_argument("--data", default=None, help=_DATA_HELP)
    command.add_argument(
        "--sizes",
        default=sizes,
        help="comma-separated document sizes in bytes, k = 1,000, M = 1,000,000",
    )
    command.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    command.add_argument("--batch-size", type=int, default=32, help="sentences per encoder pass")
    _add_out_option(command, result)


def _add_out_option(command: argparse.ArgumentParser, result: str) -> None:
    """``--out``: the JSON file a measurement writes, by default ``benchmarks/results/``."""
    default_out = f"benchmarks/results/{result}.json"
    command.add_argument(
        "--out", type=Path, default=None, help=f"JSON file (default {default_out})"
    )


def add_commands(parser: argparse.ArgumentParser) -> None:
    """Add the ``run``, ``speed``, ``scaling``, ``memory``, ``int8``, ``efficiency``,
    ``shared-stance``, ``report``, ``cards`` and ``list``
    subcommands to ``parser``; each sets ``args.bench`` to its handler."""
    commands = parser.add_subparsers(dest="bench_command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="score the model and the baselines on every present dataset",
        description=(
            "Score the library's models and the baselines on each (analysis, dataset) "
            "benchmark whose files are present; absent ones are skipped with a line. Writes "
            "one JSON file with every result."
        ),
    )
    run.add_argument("--data", default=None, help=_DATA_HELP)
    run.add_argument("--task", action="append", choices=TASK_NAMES, help="only this analysis")
    run.add_argument("--dataset", action="append", help="only this dataset, e.g. diplocond-dev")
    run.add_argument(
        "--system", action="append", help="only this system: diplolex, majority, cue-rule, ..."
    )
    run.add_argument(
        "--model",
        action="append",
        metavar="[TASK=]DIR",
        help="weights folder to evaluate instead of the shipped weights",
    )
    run.add_argument("--limit", type=int, default=None, help="first N records of each split")
    run.add_argument(
        "--train-limit", type=int, default=None, help="first N records of each training split"
    )
    run.add_argument(
        "--resamples", type=int, default=1000, help="bootstrap resamples for the 95%% CIs"
    )
    run.add_argument("--batch-size", type=int, default=32, help="sentences per encoder pass")
    run.add_argument(
        "--precision",
        choices=("auto", "fp32", "bf16"),
        default="auto",
        help="the models' encoder precision (auto: bf16 where the CPU has it natively)",
    )
    run.add_argument("--out", type=Path, default=None, help="JSON file to write")
    run.set_defaults(bench=_run)

    speed = commands.add_parser(
        "speed",
        help="throughput, latency, memory and load time on a fixed news-like corpus",
        description=(
            "Time diplolex.analyze() against one plain forward pass of the base encoder and "
            "against one transformers pipeline per analysis, on UN General Debate speeches."
        ),
    )
    speed.add_argument("--data", default=None, help=_DATA_HELP)
    speed.add_argument("--model", action="append", metavar="[TASK=]DIR", help="weights folder")
    speed.add_argument("--sentences", type=int, default=2000, help="size of the corpus")
    speed.add_argument("--batch-size", type=int, default=32, help="sentences per encoder pass")
    speed.add_argument(
        "--latency-sentences", type=int, default=100, help="sentences timed one at a time"
    )
    speed.add_argument(
        "--repeats", type=int, default=3, help="passes per throughput (the fastest counts)"
    )
    speed.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    speed.add_argument(
        "--no-naive", action="store_true", help="skip the one-pipeline-per-analysis comparison"
    )
    speed.add_argument("--out", type=Path, default=None, help="JSON file to write")
    speed.set_defaults(bench=_speed)

    scaling = commands.add_parser(
        "scaling",
        help="CPU time of one analyze call against document size (100 kB to 2 MB)",
        description=(
            "Analyse documents of growing size built from UN General Debate speeches, one "
            "analyze() call each, and report CPU time against size as a table, JSON and a plot."
        ),
    )
    _add_size_options(scaling, "100k,200k,500k,1M,2M", "scaling")
    scaling.set_defaults(bench=_scaling)

    memory = commands.add_parser(
        "memory",
        help="peak resident memory of one analyze call by document size (50 kB, 5 MB)",
        description=(
            "Analyse documents of each size built from UN General Debate speeches, each in a "
            "fresh process, and report the peak RSS against the smallest size's (goal 1.2x)."
        ),
    )
    _add_size_options(memory, "50k,5M", "memory")
    memory.set_defaults(bench=_memory)

    int8 = commands.add_parser(
        "int8",
        help="int8 recipes for the shared encoder against fp32 on DiploCond dev",
        description=(
            "Quantize the shared encoder with ONNX Runtime (dynamic; static with calibrated "
            "scales) and compare dev F1 and batch-neighbour dependence against fp32."
        ),
    )
    int8.add_argument("--data", default=None, help=_DATA_HELP)
    int8.add_argument(
        "--calibration", type=int, default=256, help="DiploCond train sentences to calibrate on"
    )
    int8.add_argument("--limit", type=int, default=None, help="first N dev records only")
    _add_out_option(int8, "int8")
    int8.set_defaults(bench=_int8)

    efficiency = commands.add_parser(
        "efficiency",
        help="speed, memory, scaling and int8 in one invocation",
        description=(
            "Run the speed, memory, scaling and int8 measurements one after another with one "
            "thread setting, each writing its result file into --out-dir."
        ),
    )
    efficiency.add_argument("--data", default=None, help=_DATA_HELP)
    efficiency.add_argument("--sentences", type=int, default=2000, help="speed: corpus size")
    efficiency.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    efficiency.add_argument(
        "--memory-sizes", default="50k,5M", help="memory: comma-separated document sizes"
    )
    efficiency.add_argument(
        "--scaling-sizes",
        default="100k,200k,500k,1M,2M",
        help="scaling: comma-separated document sizes",
    )
    efficiency.add_argument(
        "--skip", action="append", default=[], choices=("speed", "memory", "scaling", "int8"),
        help="leave this measurement out (repeatable)",
    )  # fmt: skip
    efficiency.add_argument(
        "--out-dir", type=Path, default=RESULTS_DIR, help="where the result files go"
    )
    efficiency.set_defaults(bench=_efficiency)

    shared = commands.add_parser(
        "shared-stance",
        help="stance from the shared pass against the cross-encoder on the stance dev sets",
        description=(
            "Score the gold (sentence, target span, holder) pairs of the stance dev sets with "
            "the shared-pass head and with the cross-encoder."
        ),
    )
    shared.add_argument("--data", default=None, help=_DATA_HELP)
    _add_out_option(shared, "shared_stance")
    shared.set_defaults(bench=_shared_stance)

    report = commands.add_parser(
        "report",
        help="markdown table and PNG plots from result files",
        description="Merge run and speed result files into report.md and PNG plots.",
    )
    report.add_argument(
        "files", nargs="*", type=Path, help="result files (default: benchmarks/results/*.json)"
    )
    report.add_argument(
        "--out-dir", type=Path, default=RESULTS_DIR, help="where report.md and the plots go"
    )
    report.set_defaults(bench=_report)

    cards = commands.add_parser(
        "cards",
        help="write the harness figures into the shipped model cards",
        description="Rewrite the harness section of each shipped weights folder's README.md "
        "from run result files.",
    )
    cards.add_argument(
        "files", nargs="*", type=Path, help="result files (default: benchmarks/results/*.json)"
    )
    cards.set_defaults(bench=_cards)

    listing = commands.add_parser("list", help="the benchmarks and whether their data is present")
    listing.add_argument("--data", default=None, help=_DATA_HELP)
    listing.set_defaults(bench=_list)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description="The diplolex benchmark harness."
    )
    add_commands(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m benchmarks``; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.command_line = "python -m benchmarks " + shlex.join(argv)
    return dispatch(args)


def dispatch(args: argparse.Namespace) -> int:
    """Run the handler of parsed arguments; user errors print one line and return 2."""
    try:
        return args.bench(args)
    except (FileNotFoundError, ValueError) as err:
        print(f"benchmarks: error: {err}", file=sys.stderr)
        return 2


def _data_dir(value: str | None) -> Path:
    from diplolex.corpora.paths import resolve_data_dir

    return resolve_data_dir(value)


def _run(args: argparse.Namespace) -> int:
    from benchmarks.run import resolve_models, run_benchmarks

    _, content = run_benchmarks(
        _data_dir(args.data),
        tasks=args.task,
        datasets=args.dataset,
        systems=args.system,
        models=resolve_models(args.model, args.task),
        limit=args.limit,
        train_limit=args.train_limit,
        resamples=args.resamples,
        batch_size=args.batch_size,
        precision=args.precision,
        out=args.out,
        command=args.command_line,
    )
    return 1 if content["errors"] else 0


def _speed(args: argparse.Namespace) -> int:
    from benchmarks.run import resolve_models
    from benchmarks.speed import run_speed

    run_speed(
        _data_dir(args.data),
        models=resolve_models(args.model, None),
        sentences=args.sentences,
        batch_size=args.batch_size,
        latency_sentences=args.latency_sentences,
        repeats=args.repeats,
        threads=args.threads,
        naive=not args.no_naive,
        out=args.out,
        command=args.command_line,
    )
    return 0


def _int8(args: argparse.Namespace) -> int:
    from benchmarks.int8 import run_int8

    run_int8(
        _data_dir(args.data),
        calibration_sentences=args.calibration,
        limit=args.limit,
        out=args.out,
        command=args.command_line,
    )
    return 0


def _efficiency(args: argparse.Namespace) -> int:
    from benchmarks.efficiency import run_efficiency
    from benchmarks.scaling import parse_size

    def sizes(value: str) -> list[int]:
        return [parse_size(s) for s in value.split(",") if s.strip()]

    run_efficiency(
        _data_dir(args.data),
        sentences=args.sentences,
        threads=args.threads,
        memory_sizes=sizes(args.memory_sizes),
        scaling_sizes=sizes(args.scaling_sizes),
        skip=args.skip,
        out_dir=args.out_dir,
        command=args.command_line,
    )
    return 0


def _shared_stance(args: argparse.Namespace) -> int:
    from benchmarks.shared_stance import run_shared_stance

    run_shared_stance(_data_dir(args.data), out=args.out, command=args.command_line)
    return 0


def _memory(args: argparse.Namespace) -> int:
    from benchmarks.memory import run_memory

    return _run_by_size(run_memory, args)


def _scaling(args: argparse.Namespace) -> int:
    from benchmarks.scaling import run_scaling

    return _run_by_size(run_scaling, args)


def _run_by_size(run: Callable[..., object], args: argparse.Namespace) -> int:
    """Run a by-size measurement (``scaling``, ``memory``) with its command's options."""
    from benchmarks.scaling import parse_size

    run(
        _data_dir(args.data),
        sizes=[parse_size(s) for s in args.sizes.split(",") if s.strip()],
        threads=args.threads,
        batch_size=args.batch_size,
        out=args.out,
        command=args.command_line,
    )
    return 0


def _report(args: argparse.Namespace) -> int:
    from benchmarks.report import write_report

    files = args.files or sorted(RESULTS_DIR.glob("*.json"))
    if not files:
        raise FileNotFoundError(f"no result files given and none in {RESULTS_DIR}")
    markdown = write_report(files, args.out_dir)
    print(markdown)
    return 0


def _cards(args: argparse.Namespace) -> int:
    from benchmarks.cards import write_cards

    files = args.files or sorted(RESULTS_DIR.glob("*.json"))
    if not files:
        raise FileNotFoundError(f"no result files given and none in {RESULTS_DIR}")
    for card in write_cards(files):
        print(f"wrote the harness figures into {card}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from benchmarks.registry import ENTRIES, MODEL_SYSTEMS

    data_dir = _data_dir(args.data)
    for entry in ENTRIES:
        missing = entry.corpus.missing(data_dir)
        state = "present" if missing is None else f"absent ({missing})"
        model = "diplolex" if entry.task in MODEL_SYSTEMS else "model: not shipped yet"
        names = ", ".join([model, *(s.name for s in entry.baselines)])
        print(f"{entry.task:<15} {entry.dataset:<24} {entry.split:<17} {state:<8}  {names}")
    return 0
