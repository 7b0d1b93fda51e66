"""``python -m benchmarks int8``: is an int8 encoder good enough to ship? (issue 15)

An int8 path may ship only if every dev F1 stays within 1 point of float32 **and** results do
not depend on the batch a sentence is read in. This measurement quantizes the shared encoder
(adapter merged, exported as for ``runtime="onnx"``) with ONNX Runtime's two recipes and
reads DiploCond dev with each, in batches of 32 and one sentence at a time:

* ``dynamic``: int8 MatMul weights per channel, activations quantized per call; each scale
  is taken over the whole batch, so a sentence's result depends on its batch neighbours;
* ``static``: int8 MatMul weights per channel and activations with fixed scales calibrated
  (MinMax) on DiploCond train sentences, in QDQ form, the FFN output projections left in
  float32 (their inputs have outliers); fixed scales make it independent of neighbours.

For each it prints sentence F1, condition exact and overlap F1 (batch 32), the sentences
whose decision differs from float32, the sentences whose score differs between batch 32 and
batch 1 (more than 1e-4), and the seconds of the batch-32 read. Writes
``benchmarks/results/int8.json`` (``--out``). Needs ``onnxruntime`` and ``onnx``.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks import RESULTS_DIR, provenance
from benchmarks.run import log_stderr, write_json

RECIPES = ("dynamic", "static")
MAX_F1_LOSS = 0.01


def quantize(source: Path, folder: Path, recipe: str, calibration: Sequence[dict]) -> Path:
    """Write ``source`` (an fp32 ONNX encoder) quantized by ``recipe`` into ``folder``;
    ``calibration``: tokenized batches (the model's inputs as numpy arrays), for ``static``."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_dynamic,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    prepared = folder / "prepared.onnx"
    if not prepared.is_file():
        cwd = os.getcwd()  # it writes temporary files into the working directory
        os.chdir(folder)
        try:
            quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        finally:
            os.chdir(cwd)
    out = folder / f"encoder-{recipe}.onnx"
    if recipe == "dynamic":
        quantize_dynamic(str(prepared), str(out), per_channel=True, weight_type=QuantType.QInt8,
                         op_types_to_quantize=["MatMul"])  # fmt: skip
        return out

    class Batches(CalibrationDataReader):
        def __init__(self) -> None:
            self.left = iter(calibration)

        def get_next(self) -> dict | None:
            return next(self.left, None)

    matmuls = [n.name for n in onnx.load(str(prepared)).graph.node if n.op_type == "MatMul"]
    ffn_out = [n for n in matmuls if "/output/dense" in n and "attention" not in n]
    quantize_static(
        str(prepared), str(out), Batches(), quant_format=QuantFormat.QDQ, per_channel=True,
        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, reduce_range=True,
        op_types_to_quantize=["MatMul"], nodes_to_exclude=ffn_out,
        calibrate_method=CalibrationMethod.MinMax,
    )  # fmt: skip
    return out


def _scores(records: list, predictions: list) -> dict[str, float]:
    from diplolex.tasks.conditionality.evaluate import score_conditionality

    s = score_conditionality(records, predictions)
    return {
        "sentence_f1": round(s.sentence.f1, 4),
        "condition_exact_f1": round(s.condition_exact.f1, 4),
        "condition_overlap_f1": round(s.condition_overlap.f1, 4),
    }


def run_int8(
    data_dir: Path,
    *,
    calibration_sentences: int = 256,
    limit: int | None = None,
    out: Path | None = None,
    command: str = "python -m benchmarks int8",
    log: Callable[[str], None] = log_stderr,
) -> tuple[Path, dict[str, Any]]:
    """Quantize, read DiploCond dev with each recipe, write the results.

    Args:
        calibration_sentences: DiploCond train sentences (shuffled, seed 0) for ``static``.
        limit: read only the first ``limit`` dev records (a smoke test).
    """
    import onnxruntime as ort

    import diplolex
    from diplolex.corpora.conditionality import read_diplocond

    records = list(read_diplocond(data_dir / "diplocond", "dev"))[:limit]
    texts = [r["text"] for r in records]
    train = [r["text"] for r in read_diplocond(data_dir / "diplocond", "train")]
    random.Random(0).shuffle(train)
    analyzer = diplolex.load(tasks=["conditionality"], runtime="onnx")
    encoder, model = analyzer.encoder, analyzer.model("conditionality")
    chosen = train[:calibration_sentences]
    calibration = [
        {k: v.numpy() for k, v in encoder._tokenize(chosen[i : i + 16], None).items()
         if k in ("input_ids", "attention_mask", "token_type_ids")}
        for i in range(0, len(chosen), 16)
    ]  # fmt: skip

    def read(batch_size: int) -> tuple[list, float]:
        started = time.perf_counter()
        predictions = model.predict_texts(encoder, texts, batch_size)
        return predictions, time.perf_counter() - started

    reference, seconds = read(32)
    rows = [{"recipe": "fp32", **_scores(records, reference), "decisions_changed": 0,
             "batch_dependent": 0, "seconds": round(seconds, 2)}]  # fmt: skip
    options = ort.SessionOptions()
    options.intra_op_num_threads = encoder._onnx.session.get_session_options().intra_op_num_threads
    with tempfile.TemporaryDirectory() as folder:
        for recipe in RECIPES:
            path = quantize(encoder._onnx.path, Path(folder), recipe, calibration)
            cpu = ["CPUExecutionProvider"]
            encoder._onnx.session = ort.InferenceSession(str(path), options, providers=cpu)
            batched, seconds = read(32)
            alone, _ = read(1)
            changed = sum(a.conditional != b.conditional for a, b in zip(reference, batched))
            dependent = sum(abs(a.score - b.score) > 1e-4 for a, b in zip(batched, alone))
            rows.append({
                "recipe": recipe, **_scores(records, batched), "decisions_changed": changed,
                "batch_dependent": dependent, "seconds": round(seconds, 2),
            })  # fmt: skip
            log(f"int8: {recipe}: {rows[-1]}")
    for row in rows[1:]:
        loss = max(rows[0][k] - row[k] for k in ("sentence_f1", "condition_exact_f1",
                                                  "condition_overlap_f1"))  # fmt: skip
        row["max_f1_loss"] = round(loss, 4)
        row["shippable"] = loss <= MAX_F1_LOSS and row["batch_dependent"] == 0
    head = provenance.header("int8", command)
    results = [{
        "benchmark": "int8", "task": "conditionality", "dataset": "diplocond-dev",
        "split": "dev", "n": len(records), "system": "int8-recipes",
        "figures": {"recipes": rows}, "ci95": {},
        "settings": {"calibration_sentences": calibration_sentences, "batch_size": 32,
                     "threads": options.intra_op_num_threads},
        "note": "shared encoder only; heads in fp32", **head,
    }]  # fmt: skip
    content = provenance.result_file("int8", command, data_dir, head["date"], results)
    path = write_json(out or RESULTS_DIR / "int8.json", content)
    print(table(rows))
    return path, content


def table(rows: Sequence[dict[str, Any]]) -> str:
    """The recipes as a markdown table."""
    lines = [
        "| recipe | sentence F1 | condition exact F1 | condition overlap F1 | decisions changed "
        "vs fp32 | scores changed, batch 32 vs 1 | seconds | shippable |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        ship = {True: "yes", False: "no"}.get(r.get("shippable"), "reference")
        lines.append(
            f"| {r['recipe']} | {r['sentence_f1']:.3f} | {r['condition_exact_f1']:.3f} | "
            f"{r['condition_overlap_f1']:.3f} | {r['decisions_changed']} | "
            f"{r['batch_dependent']} | {r['seconds']:.1f} | {ship} |"
        )
    return "\n".join(lines)
