"""Training the shared-pass stance head (:mod:`diplolex.tasks.stance.shared`).

``diplolex train stance --part shared --encoder-adapter diplolex/weights/conditionality``:
the head learns the holder's position towards a target from the states of the shared
encoder (the base model with the sentence analyses' adapter merged in), which stay frozen,
so every sentence is encoded once and the epochs only run the small head. Data: DiploStance
train pairs (their target spans; the holder's first mention located as the cross-encoder
marks it) and the written convention pairs of :mod:`diplolex.tasks.stance.augment`. The epoch
with the best DiploStance dev F_avg is kept; a temperature is then fitted on the dev pairs.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from diplolex import metrics
from diplolex.adapter import copy_adapter, merge_adapter
from diplolex.encoder import SharedEncoder, length_batches
from diplolex.tasks.attribution.features import sentence_states
from diplolex.tasks.stance.augment import synthetic_pairs
from diplolex.tasks.stance.model import fit_temperature
from diplolex.tasks.stance.predict import locate_pair
from diplolex.tasks.stance.shared import (
    SentenceStates,
    SharedStanceConfig,
    SharedStanceHead,
    SpanPair,
    collate,
    shared_probabilities,
)
from diplolex.training import (
    BaseTrainingSettings,
    DevResult,
    Optimisation,
    batches,
    fit_head,
    seed_everything,
)

LABELS = list(SharedStanceConfig().labels)


@dataclass
class SharedSettings(BaseTrainingSettings):
    """What ``diplolex train stance --part shared`` varies; the defaults (with
    ``encoder_adapter`` the shipped conditionality folder) reproduce the shipped head."""

    epochs: int = 6
    batch_size: int = 16
    learning_rate: float = 3e-4
    synthetic_per_family: int = 40
    newsmtsc_pairs: int = 1000  # NewsMTSC train pairs (sentiment towards a mention; the author's)
    encoder_adapter: str | None = None  # the shared encoder's LoRA adapter folder


@dataclass(frozen=True)
class LabelledPair:
    """A pair to score and its gold label (an index into ``LABELS``)."""

    pair: SpanPair
    label: int


def _raw_states(encoder: SharedEncoder, texts: list[str]) -> list[tuple[torch.Tensor, list]]:
    """Each text's ``[layers, tokens, hidden]`` states and offsets, in length batches."""
    out: list = [None] * len(texts)
    for idx in length_batches(encoder.piece_counts(texts), 32):
        chunk = [texts[i] for i in idx]
        for i, st in zip(idx, sentence_states(encoder.encode(chunk), len(chunk))):
            out[i] = (st.states, st.offsets)
    return out


def labelled_pairs(
    encoder: SharedEncoder, records: Sequence[dict], log: Callable[[str], None] = print
) -> tuple[list[tuple[torch.Tensor, list]], list[tuple[int, tuple, tuple | None, int]]]:
    """The encoded sentences of ``records`` and, per record, ``(sentence index, target
    offsets, holder offsets, label)``; records whose target is not found are dropped."""
    texts = sorted({r["text"] for r in records})
    where = {t: i for i, t in enumerate(texts)}
    encoded = _raw_states(encoder, texts)
    rows, dropped = [], 0
    for r in records:
        span = r.get("target_span")
        gold = (span["start"], span["end"]) if span else None
        target_at, holder_at = locate_pair(r["text"], r["target"], r.get("holder"), gold)
        if target_at is None or r["label"] not in LABELS:
            dropped += 1
            continue
        rows.append((where[r["text"]], target_at, holder_at, LABELS.index(r["label"])))
    if dropped:
        log(f"  {dropped} pairs without a locatable target or with another label left out")
    return encoded, rows


def _records(data_dir: Path, settings: SharedSettings, log: Callable[[str], None]):
    from diplolex.corpora.stance import load_stance

    held_out: set[str] = set()  # the sentences of evaluation sets are never trained on
    for name in ("diplobench-dev", "newsmtsc-devtest_rw", "newsmtsc-devtest_mt"):
        try:
            held_out |= {r["text"].strip() for r in load_stance(name, data_dir)}
        except FileNotFoundError:
            log(f"{name}: not in {data_dir}, nothing held out from it")
    train = [dict(r) for r in load_stance("diplostance-train", data_dir)]
    train = [r for r in train if r["text"].strip() not in held_out]
    written = synthetic_pairs(settings.synthetic_per_family, settings.seed)
    news: list[dict] = []
    if settings.newsmtsc_pairs:
        try:
            news = [dict(r) for r in load_stance("newsmtsc-train", data_dir)]
        except FileNotFoundError as err:
            log(f"newsmtsc-train: not in {data_dir}, trained without it ({err})")
        news = [r for r in news if r["text"].strip() not in held_out and r["target_span"]]
        news = random.Random(settings.seed).sample(news, min(settings.newsmtsc_pairs, len(news)))
    dev = [dict(r) for r in load_stance("diplostance-dev", data_dir)]
    log(f"{len(train)} DiploStance train pairs, {len(written)} written, {len(news)} NewsMTSC, "
        f"{len(dev)} dev pairs")  # fmt: skip
    return train + written + news, dev


def _mixed_pairs(
    head: SharedStanceHead, encoded: list, rows: list, grad: bool
) -> list[LabelledPair]:
    """Pairs whose sentence states are mixed by the head's current layer weights."""
    with torch.set_grad_enabled(grad):
        mixed = [SentenceStates(head.mix(st[:, None])[0], offsets) for st, offsets in encoded]
    return [LabelledPair(SpanPair(mixed[i], t, h), y) for i, t, h, y in rows]


def dev_f_avg(probs: torch.Tensor, labels: list[int]) -> float:
    """DiploStance's F_avg: the mean F1 of favor and against."""
    predicted = [LABELS[i] for i in probs.argmax(-1).tolist()]
    return metrics.macro_f1([LABELS[y] for y in labels], predicted, ["favor", "against"])


def train_shared(
    data_dir: Path,
    out_dir: Path,
    settings: SharedSettings | None = None,
    log: Callable[[str], None] = print,
) -> float:
    """Train the head on frozen shared-encoder states, keep the best dev epoch, fit the
    temperature, save it (with a copy of the encoder's adapter) to ``out_dir``; returns the
    saved head's DiploStance dev F_avg."""
    from diplolex.tasks.stance.card import shared_stance_card

    settings = settings or SharedSettings()
    rng = seed_everything(settings.seed)
    config = SharedStanceConfig()
    started = time.monotonic()
    encoder = SharedEncoder(max_tokens=config.max_tokens)
    if settings.encoder_adapter:
        merge_adapter(encoder.model, settings.encoder_adapter)
        log(f"encoder: base + the adapter of {settings.encoder_adapter}")
    train_records, dev_records = _records(data_dir, settings, log)
    train_encoded, train_rows = labelled_pairs(encoder, train_records, log)
    dev_encoded, dev_rows = labelled_pairs(encoder, dev_records, log)
    dev_labels = [y for *_, y in dev_rows]
    log(f"features ready in {time.monotonic() - started:.0f}s")
    head = SharedStanceHead(config)

    def length(row: tuple) -> int:
        return len(train_encoded[row[0]][1])

    def epoch_batches():
        # the layer mix is trained too: each batch mixes its own sentences' states
        return batches(train_rows, settings.batch_size, rng, length)

    def loss(group: list) -> torch.Tensor:
        used = sorted({row[0] for row in group})
        local = {i: k for k, i in enumerate(used)}
        pairs = _mixed_pairs(head, [train_encoded[i] for i in used],
                             [(local[i], t, h, y) for i, t, h, y in group], grad=True)  # fmt: skip
        inputs = collate([p.pair for p in pairs])
        return F.cross_entropy(head(*inputs), torch.tensor([p.label for p in pairs]))

    def dev_probabilities() -> torch.Tensor:
        pairs = _mixed_pairs(head, dev_encoded, dev_rows, grad=False)
        return shared_probabilities(head, config, [p.pair for p in pairs], 64)

    def evaluate() -> DevResult[float]:
        score = dev_f_avg(dev_probabilities(), dev_labels)
        return DevResult(score, f"DiploStance dev F_avg {score:.3f}", score)

    optimisation = Optimisation.of(settings, len(train_rows))
    epoch, best = fit_head(head, optimisation, epoch_batches, loss, evaluate, log)
    config.temperature = fit_temperature(dev_probabilities(), dev_labels)
    minutes = (time.monotonic() - started) / 60
    log(f"saved epoch {epoch} ({minutes:.1f} min): {best.summary}; "
        f"temperature {config.temperature}")  # fmt: skip
    from diplolex.persist import save_head

    card = shared_stance_card(settings, best.score, epoch, minutes)
    save_head(head, config, out_dir, card)
    if settings.encoder_adapter:  # the folder carries the encoder it was trained on
        copy_adapter(settings.encoder_adapter, out_dir)
    return best.score


TrainingSettings = SharedSettings
train = train_shared
