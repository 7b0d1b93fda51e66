"""Training the stance head on DiploStance, NewsMTSC, FNC-1, Emergent and SemEval-2016, plus
synthetic pairs.

Corpora and their roles (see docs/models/stance.md):

- ``diplostance-train``: (holder, target, stance) in diplomatic text, repeated
  ``diplostance_repeats`` times; the holder goes into the pair's query (:func:`pair_query`);
  its dev split is the main development set;
- ``newsmtsc-train``: sentiment towards a mention, read as favor/against/neutral; the target
  is the mention text (a sample of ``newsmtsc_pairs``);
- synthetic ``unrelated`` pairs: a NewsMTSC sentence with the mention of another sentence that
  shares no content word with it, so ``unrelated`` is learned beyond FNC-1's headlines;
- ``fnc1-train``: headline (target) and the body passage most related to it (see
  :func:`diplolex.tasks.stance.predict.select_passage`), at most ``fnc1_per_label`` pairs of
  each label (all ``against``: there are 840);
- ``emergent-train``: claim (target) and article headline (text);
- ``semeval2016-train``: tweets on five topics, loss weight ``semeval_weight``.

Development data for model selection: ``dev_fraction`` of the NewsMTSC sentences, FNC-1
bodies and Emergent claims, held out by group (a sentence, a body, a claim) with the seed.
The official test splits are never read here.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from diplolex import metrics
from diplolex.encoder import SharedEncoder
from diplolex.tasks.stance.augment import synthetic_pairs
from diplolex.tasks.stance.model import StanceConfig, StanceHead, segment_masks
from diplolex.tasks.stance.predict import StanceModel, content_words, pair_query, passages_for
from diplolex.training import (
    BaseTrainingSettings,
    DevResult,
    Optimisation,
    WindowFeatures,
    batches,
    encode_texts,
    fit_head,
    pad_features,
    seed_everything,
)
from diplolex.types import STANCE_PAIR_LABELS

LABELS = STANCE_PAIR_LABELS


@dataclass
class TrainingSettings(BaseTrainingSettings):
    """What ``diplolex train stance`` varies; the defaults reproduce the shipped weights."""

    epochs: int = 2
    newsmtsc_pairs: int = 6000
    synthetic_unrelated: int = 1500
    fnc1_per_label: int = 1800
    fnc1_dev_per_label: int = 120
    semeval_pairs: int = 1000
    semeval_weight: float = 0.5
    emergent_pairs: int | None = None
    diplostance_repeats: int = 2
    diplostance_unrelated: int = 300
    synthetic_per_family: int = 0  # written sentences of each convention (augment.FAMILIES)
    dev_fraction: float = 0.05
    cache_dir: str | None = None


@dataclass(frozen=True)
class Pair:
    """One (text, target) training or dev pair; ``text`` is already the selected passage."""

    text: str
    target: str
    label: str
    corpus: str
    weight: float = 1.0


@dataclass
class Example:
    """A pair with its cached encoder features."""

    features: WindowFeatures
    label: int
    weight: float


def _split_groups(
    records: Sequence[dict], key: str, fraction: float, rng: random.Random
) -> tuple[list[dict], list[dict]]:
    """``(train, dev)``: whole groups (records sharing ``record[key]``) go to dev."""
    groups = sorted({r[key] for r in records})
    rng.shuffle(groups)
    dev_groups = set(groups[: max(1, round(len(groups) * fraction))])
    train = [r for r in records if r[key] not in dev_groups]
    dev = [r for r in records if r[key] in dev_groups]
    return train, dev


def _per_label(records: Sequence[dict], cap: int, rng: random.Random) -> list[dict]:
    by_label: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        by_label[r["label"]].append(r)
    out = []
    for label in sorted(by_label):
        items = by_label[label]
        out += rng.sample(items, min(cap, len(items)))
    return out


def synthetic_unrelated(
    records: Sequence[dict], n: int, rng: random.Random
) -> list[tuple[str, str]]:
    """``n`` (sentence, target) pairs: a target taken from another sentence of ``records``
    that shares no content word with the sentence and does not occur in it."""
    texts = sorted({r["text"] for r in records})
    targets = sorted({r["target"] for r in records if content_words(r["target"])})
    out: list[tuple[str, str]] = []
    if not texts or not targets:
        return out
    tries = 0
    while len(out) < n and tries < 50 * n:
        tries += 1
        text, target = rng.choice(texts), rng.choice(targets)
        if target.lower() in text.lower() or content_words(target) & content_words(text):
            continue
        out.append((text, target))
    return out


def build_pairs(
    data_dir: Path,
    settings: TrainingSettings,
    rng: random.Random,
    log: Callable[[str], None] = print,
) -> tuple[list[dict], list[dict]]:
    """The raw ``(train, dev)`` records (text not yet reduced to a passage), with weights."""
    from diplolex.corpora.stance import load_stance

    def load(name: str, optional: bool = True) -> list[dict]:
        try:
            records = [dict(r) for r in load_stance(name, data_dir)]
        except FileNotFoundError as err:
            if not optional:
                raise
            log(f"{name}: not in {data_dir}, trained without it ({err})")
            return []
        log(f"{name}: {len(records)} records {dict(Counter(r['label'] for r in records))}")
        return records

    held_out: set[str] = set()
    for name in ("newsmtsc-devtest_mt", "newsmtsc-devtest_rw", "diplobench-dev"):
        held_out |= {r["text"].strip() for r in load(name)}

    diplo_train = [r for r in load("diplostance-train", False) if r["text"].strip() not in held_out]
    diplo_dev = load("diplostance-dev", False)
    diplo_unrelated = [
        {"text": t, "target": g, "label": "unrelated", "corpus": "synthetic-diplostance"}
        for t, g in synthetic_unrelated(diplo_train, settings.diplostance_unrelated, rng)
    ]

    news = [r for r in load("newsmtsc-train") if r["text"].strip() not in held_out]
    news_train, news_dev = _split_groups(news, "text", settings.dev_fraction, rng)
    news_train = rng.sample(news_train, min(settings.newsmtsc_pairs, len(news_train)))
    fnc = load("fnc1-train")
    fnc_train, fnc_dev = _split_groups(fnc, "text", settings.dev_fraction, rng)
    fnc_train = _per_label(fnc_train, settings.fnc1_per_label, rng)
    fnc_dev = _per_label(fnc_dev, settings.fnc1_dev_per_label, rng)
    emergent_train, emergent_dev = _split_groups(
        load("emergent-train"), "target", settings.dev_fraction, rng
    )
    if settings.emergent_pairs is not None:
        emergent_train = rng.sample(
            emergent_train, min(settings.emergent_pairs, len(emergent_train))
        )
    semeval = load("semeval2016-train")
    semeval = rng.sample(semeval, min(settings.semeval_pairs, len(semeval)))
    for r in semeval:
        r["weight"] = settings.semeval_weight

    n_dev = max(1, round(settings.synthetic_unrelated * settings.dev_fraction))
    synthetic = [
        {"text": t, "target": g, "label": "unrelated", "corpus": "synthetic"}
        for t, g in synthetic_unrelated(news_train, settings.synthetic_unrelated, rng)
    ]
    synthetic_dev = [
        {"text": t, "target": g, "label": "unrelated", "corpus": "synthetic"}
        for t, g in synthetic_unrelated(news_dev, n_dev, rng)
    ]
    diplo = diplo_train * settings.diplostance_repeats + diplo_unrelated
    if settings.synthetic_per_family:
        written = synthetic_pairs(settings.synthetic_per_family, settings.seed)
        log(f"synthetic conventions: {len(written)} written pairs")
        diplo += written
    train = diplo + news_train + synthetic + fnc_train + emergent_train + semeval
    dev = diplo_dev + news_dev + synthetic_dev + fnc_dev + emergent_dev
    for part, records in (("train", train), ("dev", dev)):
        counts = Counter((r["corpus"], r["label"]) for r in records)
        log(f"{part}: {len(records)} pairs {dict(sorted(counts.items()))}")
    return train, dev


# ---------------------------------------------------------------------------
# Cached features


def _cache_key(passages: Sequence[str], targets: Sequence[str], max_tokens: int) -> str:
    digest = hashlib.sha256(str(max_tokens).encode())
    for p, t in zip(passages, targets):
        digest.update(t.encode() + b"\x00" + p.encode() + b"\x01")
    return digest.hexdigest()[:16]


def cached_pair_features(
    encoder: SharedEncoder,
    passages: Sequence[str],
    targets: Sequence[str],
    cache_dir: str | Path | None,
    log: Callable[[str], None] = print,
) -> list[WindowFeatures]:
    """Encoded (target, passage) pairs (:func:`diplolex.training.encode_texts`), stored in (and
    reread from) ``cache_dir`` when one is given.

    The cache is one safetensors file of all windows' hidden states, concatenated along the
    token axis, plus a JSON file of their lengths and offsets; its name hashes the inputs.
    """
    from safetensors.torch import load_file, save_file

    if cache_dir is None:
        return encode_texts(encoder, passages, log=log, pairs=targets)
    key = _cache_key(passages, targets, encoder.max_tokens)
    folder = Path(cache_dir)
    states_path, meta_path = folder / f"{key}.safetensors", folder / f"{key}.json"
    if states_path.is_file() and meta_path.is_file():
        log(f"  reading cached features {states_path}")
        hidden = load_file(str(states_path))["hidden"]
        meta = json.loads(meta_path.read_text())
        out, start = [], 0
        for length, offsets in zip(meta["lengths"], meta["offsets"]):
            out.append(
                WindowFeatures(
                    hidden[:, start : start + length],  # a view: no second copy
                    [tuple(o) if o is not None else None for o in offsets],
                )
            )
            start += length
        return out
    features = encode_texts(encoder, passages, log=log, pairs=targets)
    if not features:
        return features
    folder.mkdir(parents=True, exist_ok=True)
    layers, _, hidden_size = features[0].hidden_states.shape
    total = sum(f.hidden_states.shape[1] for f in features)
    hidden = torch.empty(layers, total, hidden_size, dtype=torch.float16)
    start = 0
    for f in features:  # move each window into the one tensor, so memory is not doubled
        length = f.hidden_states.shape[1]
        hidden[:, start : start + length] = f.hidden_states
        f.hidden_states = hidden[:, start : start + length]
        start += length
    save_file({"hidden": hidden}, str(states_path))
    meta_path.write_text(
        json.dumps(
            {
                "lengths": [f.hidden_states.shape[1] for f in features],
                "offsets": [[list(o) if o else None for o in f.offsets] for f in features],
            }
        )
    )
    return features


# ---------------------------------------------------------------------------
# Loss, prediction and dev scores


def compute_loss(head: StanceHead, examples: Sequence[Example]) -> torch.Tensor:
    """Weighted cross-entropy of the head's label logits on a batch of cached examples."""
    batch = pad_features([e.features for e in examples])
    text_mask, target_mask = segment_masks(batch)
    logits = head(batch.hidden_states, batch.attention_mask, text_mask, target_mask)
    labels = torch.tensor([e.label for e in examples])
    weights = torch.tensor([e.weight for e in examples])
    losses = F.cross_entropy(logits, labels, reduction="none")
    return (losses * weights).sum() / weights.sum()


def predict_features(model: StanceModel, features: Sequence[WindowFeatures]) -> torch.Tensor:
    """``[pairs, labels]`` probabilities from cached features, 64 pairs at a time."""
    rows = []
    for b in range(0, len(features), 64):
        chunk = features[b : b + 64]
        rows.append(model.probabilities(pad_features(chunk), len(chunk)))
    return torch.cat(rows) if rows else torch.zeros(0, len(model.config.labels))


def dev_scores(records: Sequence[dict], probs: torch.Tensor) -> dict[str, float]:
    """Per dev corpus: macro-F1 over the labels it has (DiploStance: F_avg, the mean F1 of
    favor and against, over favor/against/neutral); ``mean``: DiploStance counts half, the
    mean of the others the other half (the selection score).

    Synthetic unrelated pairs are scored with NewsMTSC (they are made from its sentences).
    """
    predicted = [LABELS[i] for i in probs.argmax(-1).tolist()]
    groups: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(records):
        groups["newsmtsc" if r["corpus"] == "synthetic" else r["corpus"]].append(i)
    scores = {}
    for corpus, idx in sorted(groups.items()):
        gold = [records[i]["label"] for i in idx]
        if corpus == "diplostance":
            three = [LABELS[int(probs[i][:3].argmax())] for i in idx]
            scores[corpus] = metrics.macro_f1(gold, three, ["favor", "against"])
            continue
        labels = [c for c in LABELS if c in gold]
        scores[corpus] = metrics.macro_f1(gold, [predicted[i] for i in idx], labels)
    others = [v for k, v in scores.items() if k != "diplostance"]
    public = sum(others) / max(1, len(others))
    scores["mean"] = (scores["diplostance"] + public) / 2 if "diplostance" in scores else public
    return scores


def _summary(scores: dict[str, float]) -> str:
    return " | ".join(f"{k} {v:.3f}" for k, v in scores.items())


# ---------------------------------------------------------------------------
# The training run


def prepare(
    data_dir: Path,
    settings: TrainingSettings,
    encoder: SharedEncoder,
    config: StanceConfig,
    rng: random.Random,
    log: Callable[[str], None] = print,
) -> tuple[list[Example], list[WindowFeatures], list[dict]]:
    """Training examples, dev features and dev records, with encoder features cached."""
    train, dev = build_pairs(data_dir, settings, rng, log)
    records = train + dev
    started = time.monotonic()
    passages = passages_for(
        encoder, [r["text"] for r in records], [r["target"] for r in records], config.passage_tokens
    )
    log(f"selected passages in {time.monotonic() - started:.0f}s")
    started = time.monotonic()
    queries = [pair_query(r["target"], r.get("holder")) for r in records]
    features = cached_pair_features(encoder, passages, queries, settings.cache_dir, log)
    log(f"encoder features of {len(records)} pairs ready in {time.monotonic() - started:.0f}s")
    examples = [
        Example(f, LABELS.index(r["label"]), r.get("weight", 1.0))
        for r, f in zip(train, features[: len(train)])
    ]
    return examples, features[len(train) :], dev


def train(
    data_dir: Path,
    out_dir: Path,
    settings: TrainingSettings | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, float]:
    """Train the head, keep the epoch with the best mean dev macro-F1, save it to ``out_dir``.

    Returns the dev scores of the saved model.
    """
    from diplolex.tasks.stance.card import stance_card

    settings = settings or TrainingSettings()
    rng = seed_everything(settings.seed)
    config = StanceConfig()
    encoder = SharedEncoder(max_tokens=config.max_tokens)
    examples, dev_features, dev = prepare(data_dir, settings, encoder, config, rng, log)

    head = StanceHead(config)
    optimisation = Optimisation.of(settings, len(examples))

    def evaluate() -> DevResult[dict[str, float]]:
        scores = dev_scores(dev, predict_features(StanceModel(head, config), dev_features))
        return DevResult(scores["mean"], _summary(scores), scores)

    epoch, best = fit_head(
        head, optimisation, lambda: batches(examples, settings.batch_size, rng),
        lambda group: compute_loss(head, group), evaluate, log,
    )  # fmt: skip
    log(f"saved epoch {epoch}: dev {best.summary}")
    StanceModel(head, config).save(out_dir, stance_card(settings, best.scores, epoch))
    return best.scores
