"""``python -m benchmarks speed``: throughput, latency, memory and load time.

On a fixed corpus of news-like text (UN General Debate paragraphs from the data folder, one
document per paragraph, taken from the speech files in sorted order until ``--sentences``
sentences are reached), it times:

* ``analyze``: ``Analyzer.pipe(documents)`` with all analyses, then each analysis alone
  (segmentation included);
* ``base-forward``: the same sentences through one plain forward pass of the base encoder
  (:func:`base_forward`), no heads, batched like the analyzer (chunks of 512
  sentences in corpus order, sorted by length within a chunk, ``--batch-size`` per pass);
* ``naive-pipelines``: what a user would otherwise write: one ``transformers.pipeline`` per
  output of each analysis, built from the base model folder with fresh heads (the cost of a
  fine-tuned model), run one after the other over the same sentences with the same batch
  size;
* each throughput is the fastest of ``--repeats`` passes (default 3);
* one more ``analyze`` run with all analyses clocked step by step (shared pass, each head,
  the stance step and its pass: :mod:`benchmarks.breakdown`), each step also in units of one
  base-encoder layer;
* single-sentence latency (median, p95) of ``Analyzer(sentence)``, peak resident memory of
  the diplolex part and of the naive part, model load time, CPU threads and batch size.

The headline is ``ratio_to_base`` = analyze seconds / base-forward seconds (goal < 1.5).
"""

from __future__ import annotations

import gc
import json
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks import provenance
from benchmarks.breakdown import in_base_layers, step_seconds
from benchmarks.run import default_output, log_stderr, write_json

SPEED_CORPUS = "un-general-debates/data/data_original/TXT"
"""Folder of the speed corpus, relative to the data folder (``*.txt`` files, searched deeply)."""

NAIVE_PIPELINES: dict[str, tuple[tuple[str, int], ...]] = {
    "conditionality": (("text-classification", 2), ("token-classification", 7)),
    "stance": (("text-classification", 4),),
    "attribution": (("token-classification", 7),),
}
"""Per analysis, the ``(pipeline task, number of labels)`` a user would build without
diplolex. Conditionality: a sentence classifier (conditional, counterfactual) and a tagger
(BIO tags of condition, consequence and cue); stance: a pair classifier; attribution: a
tagger (BIO tags of source, cue and content)."""

GOAL_RATIO_TO_BASE = 1.5


def base_forward(encoder: Any, texts: list[str]) -> Any:
    """One plain forward pass of the base model over ``texts``: the reference cost."""
    import torch

    features = encoder._tokenize(texts, None)
    with torch.inference_mode():
        return encoder.model(
            input_ids=features["input_ids"].to(encoder.device),
            attention_mask=features["attention_mask"].to(encoder.device),
        ).last_hidden_state


def speech_paragraphs(data_dir: Path, purpose: str) -> Iterator[str]:
    """The non-blank lines (paragraphs) of the UN General Debate speeches, in file order.

    Raises:
        FileNotFoundError: no ``*.txt`` file under ``<data>/un-general-debates/...`` (the
            message names ``purpose``, e.g. "speed").
    """
    folder = data_dir / SPEED_CORPUS
    files = sorted(folder.rglob("*.txt")) if folder.is_dir() else []
    if not files:
        raise FileNotFoundError(
            f"the {purpose} corpus is missing: no .txt files under {folder} "
            "(UN General Debate speeches, see the data README)"
        )
    for path in files:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.strip():
                yield line.strip()


def speed_corpus(data_dir: Path, sentences: int) -> tuple[list[str], int, str]:
    """The fixed documents of the speed benchmark.

    Returns:
        ``(documents, sentence_count, description)``; the count is at least ``sentences``
        unless the corpus runs out.

    Raises:
        FileNotFoundError: no ``*.txt`` file under ``<data>/un-general-debates/...``.
    """
    from diplolex.segment import split_sentences

    if sentences < 1:
        raise ValueError(f"--sentences must be at least 1, got {sentences}")
    documents: list[str] = []
    count = 0
    for paragraph in speech_paragraphs(data_dir, "speed"):
        documents.append(paragraph)
        count += len(split_sentences(paragraph))
        if count >= sentences:
            break
    description = (
        f"un-general-debates: {len(documents)} paragraphs (one document each) from "
        f"{SPEED_CORPUS}/**/*.txt in sorted order"
    )
    return documents, count, description


class PeakRss:
    """Peak resident set size of this process while the block runs (sampled every 5 ms)."""

    def __init__(self) -> None:
        import psutil

        self._process = psutil.Process()
        self.peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)

    @property
    def mb(self) -> float:
        return round(self.peak / 2**20, 1)


def _timed(fn: Callable[[], Any], repeats: int = 1) -> float:
    """Seconds ``fn()`` takes: the fastest of ``repeats`` runs (the least disturbed by other
    load on the machine)."""
    best = float("inf")
    for _ in range(max(1, repeats)):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


@contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Hide transformers' load reports and progress bars (fresh heads are intended here)."""
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()


def _base_batches(encoder: Any, sentences: list[str], batch_size: int) -> list[list[str]]:
    """The batches ``analyze()`` makes: chunks of sentences in corpus order, each sorted by
    word pieces (:func:`diplolex.encoder.length_batches`)."""
    from diplolex.analyzer import _SENTENCES_PER_CHUNK
    from diplolex.encoder import length_batches

    batches = []
    for c in range(0, len(sentences), _SENTENCES_PER_CHUNK):
        chunk = sentences[c : c + _SENTENCES_PER_CHUNK]
        batches += [
            [chunk[i] for i in idx]
            for idx in length_batches(encoder.piece_counts(chunk), batch_size)
        ]
    return batches


def _variants(
    analyzer: Any,
    documents: list[str],
    texts: list[str],
    weights: dict[str, str] | None,
    batch_size: int,
    log: Callable[[str], None],
) -> dict[str, Callable[[], Any]]:
    """What is timed, by name: every analysis together and each alone, all of them with the
    proposed targets' stances from the shared pass (``proposed_stance="shared-pass"``),
    conditionality with attribution (the shared pass), the plain base pass batched as
    ``analyze()`` batches, and the same analyses and base pass in ONNX Runtime when it is
    installed."""
    import diplolex
    from diplolex.analyzer import AVAILABLE_TASKS

    def runner(tasks: tuple[str, ...], runtime: str = "torch") -> Any:
        if tasks == tuple(AVAILABLE_TASKS) and runtime == "torch":
            return analyzer
        own = {t: w for t, w in (weights or {}).items() if t in tasks}
        return diplolex.load(batch_size=batch_size, tasks=list(tasks), weights=own, runtime=runtime)

    sets = {"all": tuple(AVAILABLE_TASKS)}
    if len(AVAILABLE_TASKS) > 1:
        sets |= {task: (task,) for task in AVAILABLE_TASKS}
    shared = tuple(t for t in ("conditionality", "attribution") if t in AVAILABLE_TASKS)
    if len(shared) == 2:
        sets["conditionality+attribution"] = shared

    def piping(r: Any) -> Callable[[], Any]:
        return lambda: list(r.pipe(documents))

    variants = {f"analyze:{name}": piping(runner(tasks)) for name, tasks in sets.items()}
    if "stance" in AVAILABLE_TASKS and len(shared) == 2:
        fast_stance = diplolex.load(batch_size=batch_size, weights=weights,
                                    proposed_stance="shared-pass")  # fmt: skip
        variants["analyze:all-shared-stance"] = piping(fast_stance)
    base = analyzer.encoder
    if analyzer.precision != "fp32":  # the reference is the plain fp32 pass
        from diplolex.encoder import SharedEncoder

        base = SharedEncoder(max_tokens=base.max_tokens)
    batches = _base_batches(base, texts, batch_size)
    variants["base"] = lambda e=base: [base_forward(e, b) for b in batches]
    try:
        fast = runner(tuple(AVAILABLE_TASKS), "onnx")
    except ImportError as err:
        log(f"speed: no ONNX Runtime variant ({err})")
        return variants
    variants["onnx:all"] = piping(fast)
    if len(shared) == 2:
        variants["onnx:conditionality+attribution"] = piping(runner(shared, "onnx"))
    variants["onnx:base"] = lambda e=fast.encoder: [
        e.hidden_states(e._tokenize(b, None)) for b in batches
    ]  # tokenization and the forward pass only, as base_forward
    return variants


def _naive_pipelines(task: str) -> list[Any]:
    from transformers import (
        AutoModelForSequenceClassification,
        AutoModelForTokenClassification,
        AutoTokenizer,
        pipeline,
    )

    from diplolex.encoder import base_model_path

    path = base_model_path()
    built = []
    with _quiet_transformers():
        for kind, labels in NAIVE_PIPELINES[task]:
            model_class = (
                AutoModelForSequenceClassification
                if kind == "text-classification"
                else AutoModelForTokenClassification
            )
            model = model_class.from_pretrained(path, num_labels=labels, local_files_only=True)
            tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            built.append((kind, pipeline(kind, model=model, tokenizer=tokenizer, device="cpu")))
    return built


def _run_naive(pipes: list[Any], sentences: list[str], batch_size: int) -> None:
    for kind, pipe in pipes:
        if kind == "text-classification":
            pipe(sentences, batch_size=batch_size, truncation=True)
        else:
            pipe(sentences, batch_size=batch_size)


def run_speed(
    data_dir: Path,
    *,
    models: dict[str, Path] | None = None,
    sentences: int = 2000,
    batch_size: int = 32,
    latency_sentences: int = 100,
    repeats: int = 3,
    threads: int | None = None,
    naive: bool = True,
    out: Path | None = None,
    command: str = "python -m benchmarks speed",
    log: Callable[[str], None] = log_stderr,
) -> tuple[Path, dict[str, Any]]:
    """Measure and write the speed results (see the module docstring).

    Returns:
        The path written and its content.
    """
    started = time.perf_counter()
    import torch
    import transformers  # noqa: F401  (imported before timing the load)

    import diplolex
    from diplolex.analyzer import AVAILABLE_TASKS
    from diplolex.segment import split_sentences

    import_seconds = time.perf_counter() - started
    if threads:
        torch.set_num_threads(threads)
    models = dict(models or {})
    weights = {task: str(path) for task, path in models.items()} or None
    documents, _, description = speed_corpus(data_dir, sentences)
    texts = [d[s:e] for d in documents for s, e in split_sentences(d)]
    settings = {
        "corpus": description,
        "documents": len(documents),
        "sentences": len(texts),
        "batch_size": batch_size,
        "repeats": repeats,
        "threads": torch.get_num_threads(),
        "device": "cpu",
        "tasks": list(AVAILABLE_TASKS),
    }
    log(
        f"speed: {len(texts)} sentences in {len(documents)} documents, batch size {batch_size}, "
        f"{settings['threads']} threads"
    )
    timings: dict[str, Any] = {}

    with PeakRss() as diplolex_memory:
        load_started = time.perf_counter()
        try:
            analyzer = diplolex.load(batch_size=batch_size, weights=weights)
        except FileNotFoundError as err:
            raise FileNotFoundError(f"{err}; pass --model DIR to time other weights") from err
        load_seconds = time.perf_counter() - load_started
        log(f"speed: model loaded in {load_seconds:.2f} s, precision {analyzer.precision}")
        settings["precision"] = analyzer.precision
        variants = _variants(analyzer, documents, texts, weights, batch_size, log)
        for fn in variants.values():
            fn()  # warm-up, not timed
        samples: dict[str, list[float]] = {name: [] for name in variants}
        for repeat in range(repeats):  # interleaved: A B C ... A B C ...
            for name, fn in variants.items():
                samples[name].append(_timed(fn))
            log(f"speed: pass {repeat + 1}/{repeats}: " + ", ".join(
                f"{name} {times[-1]:.2f} s" for name, times in samples.items()
            ))  # fmt: skip
        timings = {name: min(times) for name, times in samples.items()}
        medians = {name: statistics.median(times) for name, times in samples.items()}
        steps = in_base_layers(
            step_seconds(analyzer, lambda a=analyzer: list(a.pipe(documents))),
            timings["base"],
            analyzer.encoder.num_layers - 1,
        )
        log("speed: steps of analyze:all: " + ", ".join(
            f"{k} {v['seconds']:.2f} s ({v['base_layers']} base layers)" for k, v in steps.items()
        ))  # fmt: skip
        latencies = []
        for sentence in texts[:latency_sentences]:
            latencies.append(_timed(lambda s=sentence, a=analyzer: a(s)))
    log(f"speed: latency over {len(latencies)} single sentences measured")
    del analyzer, variants  # let the naive pipelines run without the analyzers held
    gc.collect()

    naive_memory = None
    if naive:
        with PeakRss() as naive_memory:
            naive_load = 0.0
            for task in AVAILABLE_TASKS:
                load_started = time.perf_counter()
                pipes = _naive_pipelines(task)
                naive_load += time.perf_counter() - load_started
                _run_naive(pipes, texts[:2], batch_size)  # warm-up
                timings[f"naive:{task}"] = _timed(
                    lambda p=pipes: _run_naive(p, texts, batch_size), repeats
                )
                log(f"speed: naive pipelines [{task}] {timings[f'naive:{task}']:.2f} s")
                del pipes
            timings["naive:all"] = sum(timings[f"naive:{t}"] for t in AVAILABLE_TASKS)

    head = provenance.header("speed", command)
    results = []

    def add(system: str, task: str, figures: dict[str, Any], note: str | None = None) -> None:
        results.append(
            {
                "benchmark": "speed",
                "task": task,
                "dataset": "un-general-debates",
                "split": None,
                "n": len(texts),
                "system": system,
                "figures": figures,
                "ci95": {},
                "model": _model_info(models),
                "settings": settings,
                "note": note,
                **head,
                "seconds": figures.get("seconds"),
            }
        )

    def throughput(name: str) -> dict[str, float]:
        seconds = timings[name]
        return {
            "seconds": round(seconds, 4),
            "median_seconds": round(medians.get(name, seconds), 4),
            "sentences_per_s": round(len(texts) / seconds, 2) if seconds else 0.0,
            "documents_per_s": round(len(documents) / seconds, 2) if seconds else 0.0,
        }

    single = "the only analysis shipped: the same measurement as 'all'"
    for name in samples:
        kind, _, task = name.partition(":")
        if kind == "base":
            add("base-forward", "none", throughput(name), "base encoder only, no heads")
        elif kind == "analyze":
            add("analyze", task, throughput(name), single if len(AVAILABLE_TASKS) == 1 else None)
        else:
            add(f"{kind}-{'base-forward' if task == 'base' else 'analyze'}", task, throughput(name))
    if naive:
        for name in ["all", *AVAILABLE_TASKS]:
            note = single if name != "all" and len(AVAILABLE_TASKS) == 1 else None
            add("naive-pipelines", name, throughput(f"naive:{name}"), note)
    ordered = sorted(latencies)
    summary = {
        "ratio_to_base": round(timings["analyze:all"] / timings["base"], 3),
        **{
            f"ratio_to_base_{name.replace(':', '_')}": round(timings[name] / timings["base"], 3)
            for name in (
                "analyze:all-shared-stance",
                "analyze:conditionality+attribution",
                "onnx:all",
                "onnx:conditionality+attribution",
                "onnx:base",
            )
            if name in timings
        },
        "goal_ratio_to_base": GOAL_RATIO_TO_BASE,
        "ratio_to_naive": (
            round(timings["analyze:all"] / timings["naive:all"], 3) if naive else None
        ),
        "latency_median_ms": round(1000 * statistics.median(ordered), 2) if ordered else None,
        "latency_p95_ms": round(1000 * _percentile(ordered, 0.95), 2) if ordered else None,
        "latency_sentences": len(ordered),
        "load_seconds": round(load_seconds, 3),
        "import_seconds": round(import_seconds, 3),
        "peak_rss_mb": diplolex_memory.mb,
        "naive_peak_rss_mb": naive_memory.mb if naive_memory else None,
        "naive_load_seconds": round(naive_load, 3) if naive else None,
        "threads": settings["threads"],
        "batch_size": batch_size,
        "seconds": round(time.perf_counter() - started, 3),
    }
    add("summary", "all", summary)
    add("steps", "all", {"steps": steps}, "one analyze:all run clocked step by step "
        "(benchmarks/breakdown.py); base_layers: seconds / (base pass seconds / 6)")  # fmt: skip
    content = provenance.result_file("speed", command, data_dir, head["date"], results)
    path = write_json(out or default_output("speed"), content)
    ratio = summary["ratio_to_base"]
    log(f"speed: analyze/base {ratio} (goal < {GOAL_RATIO_TO_BASE}); wrote {path}")
    log(json.dumps({k: v for k, v in summary.items() if k != "seconds"}))
    return path, content


def _percentile(ordered: list[float], q: float) -> float:
    """Linear-interpolation percentile of sorted values (numpy's default method)."""
    import numpy as np

    return float(np.percentile(ordered, 100 * q))


def _model_info(models: dict[str, Path]) -> dict[str, Any]:
    from diplolex.analyzer import AVAILABLE_TASKS

    infos = {task: provenance.weights_info(task, models.get(task)) for task in AVAILABLE_TASKS}
    if len(infos) == 1:
        return next(iter(infos.values()))
    return {"per_task": infos}
