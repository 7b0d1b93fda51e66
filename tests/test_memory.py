"""Memory handed back between batches (issue 15): the Analyzer and the stance pass release
freed memory after every encoder batch; the memory harness measures each size apart."""

from __future__ import annotations

import json
import platform
import subprocess
from pathlib import Path

import pytest

import diplolex.analyzer
import diplolex.tasks.stance.predict
from benchmarks import memory as memory_bench
from diplolex.memory import release_freed_memory


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)
def test_release_works_on_glibc():
    assert release_freed_memory() is True


def test_memory_is_released_between_batches_and_after_each_chunk(nlp, monkeypatch):
    calls: list[str] = []
    for module, name in ((diplolex.analyzer, "shared"), (diplolex.tasks.stance.predict, "stance")):
        monkeypatch.setattr(module, "release_freed_memory", lambda n=name: calls.append(n))
    sentences = [f"Delegation {i} said talks would resume if the truce held." for i in range(40)]
    text = " ".join(sentences)
    doc = nlp(text)
    assert len(doc.sentences) == 40 and doc.stances
    assert calls.count("shared") == 1  # 3 batches, fewer than BATCHES_PER_RELEASE: the chunk's
    calls.clear()
    for module in (diplolex.analyzer, diplolex.tasks.stance.predict):
        monkeypatch.setattr(module, "BATCHES_PER_RELEASE", 1)
    nlp(text)
    batches = -(-40 // nlp.batch_size)
    assert calls.count("shared") == batches + 1 and calls.count("stance") >= 1


def _fake_probe(peaks: dict[int, float]):
    def probe(data_dir, size, threads, batch_size):
        return {"size": size, "size_label": memory_bench._label(size), "bytes": size,
                "sentences": size // 150, "loaded_mb": 500.0, "peak_mb": peaks[size],
                "after_mb": 600.0, "result_sentences": size // 150, "wall_s": 1.0}  # fmt: skip

    return probe


def test_memory_harness_probes_each_size_in_its_own_process(tmp_path, monkeypatch):
    peaks = {50_000: 800.0, 5_000_000: 880.0}
    monkeypatch.setattr(memory_bench, "probe_in_new_process", _fake_probe(peaks))
    path, content = memory_bench.run_memory(
        Path("/data"), sizes=[5_000_000, 50_000], out=tmp_path / "memory.json", log=lambda _: None
    )
    figures = content["results"][0]["figures"]
    assert [r["size"] for r in figures["sizes"]] == [50_000, 5_000_000]
    assert [r["ratio"] for r in figures["sizes"]] == [1.0, 1.1]
    assert figures["ratio_largest_to_smallest"] == 1.1 and figures["goal_ratio"] == 1.2
    assert json.loads(path.read_text())["results"][0]["figures"] == figures
    assert "| 5 MB |" in memory_bench.table(figures["sizes"])


def test_a_failed_probe_is_reported(monkeypatch):
    def failing(argv, **kwargs):
        return subprocess.CompletedProcess(argv, 1, stdout="", stderr="MemoryError: boom")

    monkeypatch.setattr(memory_bench.subprocess, "run", failing)
    with pytest.raises(RuntimeError, match="probe of 50 kB failed:\nMemoryError: boom"):
        memory_bench.probe_in_new_process(Path("/data"), 50_000, 1, 32)


@pytest.mark.parametrize(("command", "module"), [("memory", "memory"), ("scaling", "scaling")])
def test_by_size_commands_pass_their_options(command, module, tmp_path, monkeypatch):
    import importlib

    from benchmarks import cli

    seen = {}
    target = importlib.import_module(f"benchmarks.{module}")
    monkeypatch.setattr(target, f"run_{module}", lambda data, **kw: seen.update(data=data, **kw))
    argv = [command, "--data", str(tmp_path), "--sizes", "50k, 1M", "--threads", "2",
            "--batch-size", "8", "--out", str(tmp_path / "o.json")]  # fmt: skip
    assert cli.main(argv) == 0
    assert seen["data"] == tmp_path and seen["sizes"] == [50_000, 1_000_000]
    assert (seen["threads"], seen["batch_size"], seen["out"]) == (2, 8, tmp_path / "o.json")
    assert seen["command"].startswith(f"python -m benchmarks {command}")


def test_efficiency_runs_every_measurement_in_one_invocation(tmp_path, monkeypatch):
    """``python -m benchmarks efficiency``: speed, memory, scaling, int8 in that order, one
    thread setting, each into its own file of --out-dir; --skip leaves one out."""
    import importlib

    from benchmarks import cli

    calls = []
    for name in ("speed", "memory", "scaling", "int8"):
        module = importlib.import_module(f"benchmarks.{name}")

        def fake(data, *, _name=name, out, **kw):
            calls.append((_name, data, out, kw.get("threads"), kw.get("sizes")))
            return out, {}

        monkeypatch.setattr(module, f"run_{name}", fake)
    argv = ["efficiency", "--data", str(tmp_path), "--threads", "2", "--memory-sizes", "50k,1M",
            "--scaling-sizes", "10k", "--out-dir", str(tmp_path / "r")]  # fmt: skip
    assert cli.main(argv) == 0
    assert [c[0] for c in calls] == ["speed", "memory", "scaling", "int8"]
    assert all(c[1] == tmp_path and c[2] == tmp_path / "r" / f"{c[0]}.json" for c in calls)
    assert [c[3] for c in calls[:3]] == [2, 2, 2]
    assert calls[1][4] == [50_000, 1_000_000] and calls[2][4] == [10_000]
    calls.clear()
    assert cli.main([*argv, "--skip", "int8", "--skip", "memory"]) == 0
    assert [c[0] for c in calls] == ["speed", "scaling"]
