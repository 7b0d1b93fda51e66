"""``python -m benchmarks run``: score the model and the baselines on every present dataset.

Writes one JSON file per invocation (layout in docs/benchmarks.md): a header, one result per
(analysis, dataset, system), and the skipped benchmarks with the reason for each.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks import RESULTS_DIR, provenance
from benchmarks.registry import MODEL_SYSTEMS, TASKS, Entry, select_entries
from benchmarks.systems import RunContext

MODEL_CHUNK = 256
"""Records handed to a model system at a time (progress is shown between chunks)."""


def log_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def resolve_models(values: Sequence[str] | None, tasks: Sequence[str] | None) -> dict[str, Path]:
    """``--model`` values -> ``{task: weights folder}``.

    ``TASK=DIR`` names the task; a bare ``DIR`` goes to the one selected task that has a
    model system (an error when there are several: name the task then).

    Raises:
        ValueError: unknown task, a missing folder, or an ambiguous bare folder.
    """
    models: dict[str, Path] = {}
    for value in values or []:
        task, sep, folder = value.partition("=")
        if not sep:
            task, folder = "", value
        path = Path(folder)
        if not path.is_dir():
            raise ValueError(f"--model {value}: {path} is not a folder")
        if task and task not in TASKS:
            raise ValueError(f"--model {value}: unknown task {task!r}; expected one of {TASKS}")
        if not task:
            candidates = [t for t in (tasks or TASKS) if t in MODEL_SYSTEMS]
            if len(candidates) != 1:
                raise ValueError(
                    f"--model {value}: several analyses have a model system ({candidates}); "
                    "write --model TASK=DIR"
                )
            task = candidates[0]
        models[task] = path
    return models


def default_output(kind: str) -> Path:
    """``benchmarks/results/<kind>-<UTC date and time>.json``."""
    return RESULTS_DIR / f"{kind}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}.json"


def write_json(path: Path, content: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def run_benchmarks(
    data_dir: Path,
    *,
    tasks: Sequence[str] | None = None,
    datasets: Sequence[str] | None = None,
    systems: Sequence[str] | None = None,
    models: dict[str, Path] | None = None,
    limit: int | None = None,
    train_limit: int | None = None,
    resamples: int = 1000,
    batch_size: int = 32,
    precision: str = "auto",
    out: Path | None = None,
    command: str = "python -m benchmarks run",
    log: Callable[[str], None] = log_stderr,
) -> tuple[Path, dict[str, Any]]:
    """Run the selected benchmarks and write their JSON file.

    Args:
        data_dir: the shared data folder; absent datasets are skipped with a line.
        tasks, datasets: restrict to these analyses / dataset names (``None``: all).
        systems: restrict to these system names (``diplolex``, ``majority``, ...).
        models: ``{task: weights folder}`` replacing the shipped weights.
        limit: evaluate on the first ``limit`` records of each split.
        train_limit: fit trained baselines on the first ``train_limit`` training records.
        resamples: bootstrap resamples for the 95% CIs (0: no CIs).
        batch_size: sentences per encoder pass.
        precision: the models' encoder precision (``auto``, ``fp32``, ``bf16``); the file
            records it as resolved on this machine.
        out: the JSON file to write; default ``benchmarks/results/run-<date>.json``.
        command: the command line, recorded in the file.
        log: where progress lines go.

    Returns:
        The path written and its content.
    """
    models = dict(models or {})
    entries = select_entries(tasks, datasets)
    from diplolex.precision import resolve_precision

    ctx = RunContext(data_dir, limit, train_limit, batch_size, log, precision)
    head = provenance.header(
        "accuracy",
        command,
        limit=limit,
        train_limit=train_limit,
        resamples=resamples,
        batch_size=batch_size,
        precision=resolve_precision(precision, "cpu"),
    )
    content = provenance.result_file("run", command, data_dir, head["date"])
    log(f"benchmarks: {len(entries)} benchmark(s), data from {data_dir}")
    for number, entry in enumerate(entries, 1):
        prefix = f"[{number}/{len(entries)}] {entry.label}"
        missing = entry.corpus.missing(data_dir)
        if missing:
            reason = f"dataset absent: {missing} not found under {data_dir}"
            log(f"{prefix}: skipped, {reason}")
            content["skipped"].append(_skip(entry, None, reason))
            continue
        try:
            dataset = ctx.evaluation_set(entry.corpus)
        except Exception as err:  # a reader failure must not end the whole run
            _record_error(content, entry, None, err, prefix, log)
            continue
        if len(dataset) == 0:
            reason = f"no records in {entry.dataset} (e.g. a file without that release)"
            log(f"{prefix}: skipped, {reason}")
            content["skipped"].append(_skip(entry, None, reason))
            continue
        log(f"{prefix} ({entry.split}, {len(dataset)} records)")
        for name, kind, predict, info in _systems_of(entry, ctx, models, systems, content, log):
            try:
                result = _evaluate(entry, ctx, dataset, name, kind, predict, info, resamples)
            except Exception as err:
                _record_error(content, entry, name, err, f"    {name}", log)
                continue
            seconds = result.pop("seconds")
            result = {**result, **head, "seconds": seconds}
            content["results"].append(result)
            log("    " + _summary(result))
            for line in entry.scorer.details(result["figures"]):
                log("      " + line)
    path = write_json(out or default_output("run"), content)
    log(f"benchmarks: wrote {path}")
    return path, content


def _skip(entry: Entry, system: str | None, reason: str) -> dict[str, Any]:
    return {"task": entry.task, "dataset": entry.dataset, "system": system, "reason": reason}


def _record_error(
    content: dict, entry: Entry, system: str | None, err: Exception, prefix: str, log
) -> None:
    log(f"{prefix}: error: {type(err).__name__}: {err}")
    content["errors"].append(
        {
            **_skip(entry, system, f"{type(err).__name__}: {err}"),
            "traceback": traceback.format_exc(),
        }
    )


def _systems_of(
    entry: Entry,
    ctx: RunContext,
    models: dict[str, Path],
    wanted: Sequence[str] | None,
    content: dict[str, Any],
    log: Callable[[str], None],
):
    """Yield ``(name, kind, predict(dataset), info)`` for the entry's runnable systems; log
    and record the ones that cannot run."""
    model = MODEL_SYSTEMS.get(entry.task)
    if not wanted or "diplolex" in wanted or (model and model.name in wanted):
        if model is None:
            reason = "model: not shipped yet"
            log(f"    diplolex: {reason}")
            content["skipped"].append(_skip(entry, "diplolex", reason))
        else:
            analyzer, reason = _analyzer(ctx, entry.task, models.get(entry.task))
            if analyzer is None:
                log(f"    {model.name}: {reason}")
                content["skipped"].append(_skip(entry, model.name, reason))
            else:
                info = {
                    "model": provenance.weights_info(entry.task, models.get(entry.task)),
                    "description": "the library's model",
                    "trained_on": None,
                    "figures": None,
                }

                def predict(dataset, fn=model.predict, analyzer=analyzer):
                    return _chunked(fn, analyzer, dataset, ctx.log)

                yield model.name, "model", predict, info
    for system in entry.baselines:
        if wanted and system.name not in wanted:
            continue
        needed = [system.train.missing(ctx.data_dir)] if system.train else []
        needed += [r for r in system.requires if not (ctx.data_dir / r).exists()]
        absent = next((m for m in needed if m), None)
        if absent:
            reason = f"baseline needs {absent}, not found under {ctx.data_dir}"
            log(f"    {system.name}: skipped, {reason}")
            content["skipped"].append(_skip(entry, system.name, reason))
            continue
        info = {
            "model": None,
            "description": system.description,
            "trained_on": system.train.name if system.train else None,
            "figures": system.figures,
        }
        yield (
            system.name,
            "baseline",
            lambda dataset, system=system: system.predict(ctx, dataset),
            info,
        )


def _analyzer(ctx: RunContext, task: str, weights: Path | None) -> tuple[Any, str | None]:
    """The analyzer of ``task`` (loaded once per run), or ``None`` and why not."""

    def build() -> tuple[Any, str | None]:
        import diplolex

        try:
            analyzer = diplolex.load(
                tasks=[task],
                weights={task: str(weights)} if weights else None,
                batch_size=ctx.batch_size,
                precision=ctx.precision,
            )
        except (FileNotFoundError, ValueError) as err:
            where = weights or provenance.shipped_weights(task)
            return None, f"model: cannot load weights from {where} ({err})"
        return analyzer, None

    return ctx.cached(f"analyzer:{task}", build)


def _chunked(fn, analyzer: Any, dataset: Any, log: Callable[[str], None]) -> list[Any]:
    total = len(dataset)
    if total <= MODEL_CHUNK:
        return list(fn(analyzer, dataset))
    predictions: list[Any] = []
    chunks = range(0, total, MODEL_CHUNK)
    every = max(1, len(chunks) // 10)
    for k, start in enumerate(chunks, 1):
        predictions += fn(analyzer, dataset.select(range(start, min(start + MODEL_CHUNK, total))))
        if k % every == 0 or k == len(chunks):
            log(f"      {len(predictions)}/{total} records")
    return predictions


def _evaluate(
    entry: Entry,
    ctx: RunContext,
    dataset: Any,
    name: str,
    kind: str,
    predict: Callable[[Any], list[Any]],
    info: dict[str, Any],
    resamples: int,
) -> dict[str, Any]:
    from diplolex.metrics import bootstrap_ci

    started = time.perf_counter()
    predictions = predict(dataset)
    predict_seconds = time.perf_counter() - started
    arrays = entry.scorer.align(dataset, predictions)
    figures = entry.scorer.figures(*arrays)
    if info["figures"] is not None:
        figures = {k: v for k, v in figures.items() if k in info["figures"]}
    headline = [h for h in entry.scorer.headline if h in figures]
    n = len(arrays[0])
    ci95 = {}
    if resamples > 0 and n > 0:
        for figure in headline:
            metric, inputs = entry.scorer.bootstrap_inputs(figure, *arrays)
            if abs(metric(*inputs) - figures[figure]) > 1e-9:
                raise AssertionError(f"{figure}: the bootstrap metric does not reproduce it")
            low, high = bootstrap_ci(metric, *inputs, n_resamples=resamples)
            ci95[figure] = [low, high]
    return {
        "benchmark": "accuracy",
        "task": entry.task,
        "dataset": entry.dataset,
        "split": entry.split,
        "n": n,
        "records": len(dataset),
        "system": name,
        "system_kind": kind,
        "system_description": info["description"],
        "trained_on": info["trained_on"],
        "metric": entry.scorer.metric_name,
        "headline": headline,
        "figures": figures,
        "ci95": ci95,
        "model": info["model"],
        "predict_seconds": round(predict_seconds, 3),
        "seconds": round(time.perf_counter() - started, 3),
    }


def _summary(result: dict[str, Any]) -> str:
    parts = []
    for figure in result["headline"]:
        value = result["figures"][figure]
        ci = result["ci95"].get(figure)
        shown = f"{figure} {value:.3f}"
        if ci:
            shown += f" [{ci[0]:.3f}, {ci[1]:.3f}]"
        parts.append(shown)
    return f"{result['system']:<12} {'; '.join(parts)}  ({result['seconds']:.1f} s)"
