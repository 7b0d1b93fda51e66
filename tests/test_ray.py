"""The Ray Data adapter on a local Ray instance (2 CPUs): same results as analyze()."""

from __future__ import annotations

import json

import pytest

ray = pytest.importorskip("ray", reason="Ray is the optional extra diplolex[ray]")
pytest.importorskip("ray.data", reason="Ray Data is the optional extra diplolex[ray]")

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

ACTORS = ["Ankara", "Berlin", "The foreign ministry", "Kremlin spokesman Ivan Petrov", "Tokyo"]
CLAUSES = [
    "said the embargo would be lifted if the troops withdrew",
    "rejected the ceasefire proposal on Monday",
    "warned that talks would collapse unless the shelling stopped",
    "welcomed the agreement",
    "will attend the summit in Vienna",
]


def _texts(count: int) -> list[str]:
    out = []
    for n in range(count):
        actor, clause = ACTORS[n % len(ACTORS)], CLAUSES[(n // len(ACTORS)) % len(CLAUSES)]
        extra = " Negotiations resume next week." if n % 3 == 0 else ""
        out.append(f"{actor} {clause}.{extra}")
    return out


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    yield ray
    ray.shutdown()


def _scores_close(a, b):
    """Same structure, labels and offsets; scores equal to 1e-3 (batching may differ)."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_scores_close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_scores_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) < 1e-3
    return a == b


def test_map_batches_over_read_json_equals_analyze(local_ray, nlp, tmp_path):
    from diplolex.integrations.ray import COUNT_COLUMNS, DiplolexBatch

    texts = _texts(200)
    path = tmp_path / "articles.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for n, text in enumerate(texts):
            f.write(json.dumps({"id": f"art-{n:03d}", "text": text, "desk": "europe"}) + "\n")
    ds = ray.data.read_json(str(path))
    out = ds.map_batches(DiplolexBatch, fn_constructor_kwargs={"precision": "fp32"},
                         batch_size=50, concurrency=1, batch_format="pandas")  # fmt: skip
    frame = out.to_pandas().sort_values("id").reset_index(drop=True)
    assert frame["id"].tolist() == [f"art-{n:03d}" for n in range(200)]
    assert set(frame["desk"]) == {"europe"}  # input columns are kept
    expected = list(nlp.pipe(texts))
    for row, doc in zip(frame.itertuples(), expected):
        want = doc.to_dict()
        del want["text"]
        assert _scores_close(json.loads(row.diplolex), want), row.id
        assert row.n_conditionals == len(doc.conditionals)
        assert row.n_attributions == len(doc.attributions)
    assert all(c in frame.columns for c in COUNT_COLUMNS)
    assert frame["n_conditionals"].sum() > 0 and frame["n_attributions"].sum() > 0


def test_layer_rows_are_flat_to_frame_columns(local_ray, nlp):
    from diplolex.frame import COLUMNS, to_frame
    from diplolex.integrations.ray import DiplolexBatch

    texts = _texts(20)
    ds = ray.data.from_items([{"id": f"w{n}", "text": t} for n, t in enumerate(texts)])
    out = ds.map_batches(DiplolexBatch,
                         fn_constructor_kwargs={"layer": "conditionals", "precision": "fp32"},
                         batch_size=10, concurrency=1, batch_format="pandas")  # fmt: skip
    frame = out.to_pandas().sort_values(["doc_id", "condition_start"]).reset_index(drop=True)
    assert list(frame.columns) == [c for c in COLUMNS["conditionals"] if c != "doc"]
    want = to_frame(list(nlp.pipe(texts)), "conditionals", ids=[f"w{n}" for n in range(20)])
    want = want.sort_values(["doc_id", "condition_start"]).reset_index(drop=True)
    assert frame["condition_text"].tolist() == want["condition_text"].tolist()
    assert frame["doc_id"].tolist() == want["doc_id"].tolist()


def test_batch_errors_name_the_row(nlp, monkeypatch):
    import pandas as pd

    from diplolex.integrations.ray import DiplolexBatch

    monkeypatch.setattr("diplolex.load", lambda **_: nlp)
    mapper = DiplolexBatch()
    with pytest.raises(TypeError, match="'text' of id 'b' is a float"):
        mapper(pd.DataFrame({"id": ["a", "b"], "text": ["Talks resumed.", float("nan")]}))
    with pytest.raises(KeyError, match="no 'text' column"):
        mapper(pd.DataFrame({"body": ["Talks resumed."]}))
    result = mapper({"id": ["a"], "text": ["Aid flows if the truce holds."]})
    assert result["n_conditionals"].tolist() == [1]
