"""Training the stance cross-encoder with its own LoRA adapter on the base encoder.

Stance pays an encoder pass per (text, target) pair anyway, so unlike the sentence analyses it
can adapt the encoder for itself: the same pairs and head as :mod:`diplolex.tasks.stance.train`,
but the encoder runs with trainable low-rank updates (``peft``) instead of cached frozen
features. The adapter is saved beside the head and merged into a private encoder copy at load
(:meth:`diplolex.tasks.stance.predict.StanceModel.load`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from diplolex.adapter import (
    LoraSettings,
    adapter_state,
    encode_for_training,
    save_adapter,
    wrap_for_training,
)
from diplolex.encoder import EncodedBatch, SharedEncoder
from diplolex.tasks.stance.model import StanceConfig, StanceHead, fit_temperature, segment_masks
from diplolex.tasks.stance.predict import StanceModel, mark_pair, pair_query, passages_for
from diplolex.tasks.stance.train import (
    LABELS,
    _summary,
    build_pairs,
    dev_scores,
)
from diplolex.tasks.stance.train import TrainingSettings as FrozenSettings
from diplolex.training import DevResult, Optimisation, batches, fit_head, seed_everything


@dataclass
class AdaptedSettings(FrozenSettings):
    """What ``diplolex train stance`` varies; the defaults reproduce the shipped weights.

    Fewer public pairs than the frozen trainer: every pair now costs a full encoder
    forward and backward pass, and DiploStance is what the adapter is for.
    """

    epochs: int = 4
    batch_size: int = 16
    learning_rate: float = 3e-4
    newsmtsc_pairs: int = 1000
    synthetic_unrelated: int = 200
    fnc1_per_label: int = 100
    fnc1_dev_per_label: int = 40
    semeval_pairs: int = 300
    emergent_pairs: int | None = 300
    diplostance_repeats: int = 3
    synthetic_per_family: int = 40
    span_markers: bool = True
    lora: LoraSettings = field(default_factory=lambda: LoraSettings(layers=None))  # all 6


@dataclass(frozen=True)
class PairInput:
    """One pair as the encoder reads it: the selected passage and the query."""

    passage: str
    query: str
    label: int
    weight: float


class AdaptedStance(nn.Module):
    """The LoRA-wrapped base encoder and the stance head, trained together."""

    def __init__(self, encoder: SharedEncoder, head: StanceHead, lora: LoraSettings) -> None:
        super().__init__()
        self.shared = encoder
        self.encoder = wrap_for_training(encoder.model, lora)
        self.head = head

    def encode(self, pairs: Sequence[PairInput]) -> EncodedBatch:
        """One forward pass of the adapted encoder (with gradients when training)."""
        return encode_for_training(
            self.shared, self.encoder, [p.passage for p in pairs], [p.query for p in pairs]
        )

    def logits(self, pairs: Sequence[PairInput]) -> tuple[torch.Tensor, list[int]]:
        """Per-window label logits and each window's pair index."""
        batch = self.encode(pairs)
        text_mask, target_mask = segment_masks(batch)
        return self.head(batch.hidden_states, batch.attention_mask, text_mask, target_mask), list(
            batch.text_index
        )


def _length(pair: PairInput) -> int:
    return len(pair.passage) + len(pair.query)


def compute_loss(model: AdaptedStance, pairs: Sequence[PairInput]) -> torch.Tensor:
    """Weighted cross-entropy over the pairs' windows (a window carries its pair's label)."""
    logits, index = model.logits(pairs)
    labels = torch.tensor([pairs[i].label for i in index], device=logits.device)
    weights = torch.tensor([pairs[i].weight for i in index], device=logits.device)
    losses = F.cross_entropy(logits, labels, reduction="none")
    return (losses * weights).sum() / weights.sum()


def predict_probabilities(
    model: AdaptedStance, config: StanceConfig, records: Sequence[dict]
) -> torch.Tensor:
    """``[records, labels]`` probabilities through the adapted encoder, read exactly as the
    shipped model reads them (:meth:`StanceModel.predict_pairs` on the wrapped encoder)."""
    results = StanceModel(model.head, config).predict_pairs(
        model.shared, [r["text"] for r in records], [r["target"] for r in records], 64,
        holders=[r.get("holder") for r in records],
    )  # fmt: skip
    return torch.tensor([[r.probabilities[label] for label in LABELS] for r in results])


def to_inputs(encoder: SharedEncoder, records: Sequence[dict], config: StanceConfig) -> list:
    """Each record as a :class:`PairInput` (its passage selected as in prediction)."""
    passages = passages_for(
        encoder, [r["text"] for r in records], [r["target"] for r in records], config.passage_tokens
    )
    if config.span_markers:
        passages = [mark_pair(p, r["target"], r.get("holder")) for p, r in zip(passages, records)]
    return [
        PairInput(p, pair_query(r["target"], r.get("holder")), LABELS.index(r["label"]),
                  r.get("weight", 1.0))
        for p, r in zip(passages, records)
    ]  # fmt: skip


def train_adapted(
    data_dir: Path,
    out_dir: Path,
    settings: AdaptedSettings | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, float]:
    """Train adapter and head, keep the epoch with the best dev selection score, save both.

    Returns the dev scores of the saved model.
    """
    from diplolex.tasks.stance.card import stance_card

    settings = settings or AdaptedSettings()
    rng = seed_everything(settings.seed)
    config = StanceConfig(span_markers=settings.span_markers)
    encoder = SharedEncoder(max_tokens=config.max_tokens)
    train, dev = build_pairs(data_dir, settings, rng, log)
    train_inputs = to_inputs(encoder, train, config)
    model = AdaptedStance(encoder, StanceHead(config), settings.lora)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    log(f"{len(train_inputs)} training pairs, {len(dev)} dev pairs; {trainable} trainable")
    optimisation = Optimisation.of(settings, len(train_inputs))

    def evaluate() -> DevResult[dict[str, float]]:
        scores = dev_scores(dev, predict_probabilities(model, config, dev))
        return DevResult(scores["mean"], _summary(scores), scores)

    started = time.monotonic()
    epoch, best = fit_head(
        model, optimisation, lambda: batches(train_inputs, settings.batch_size, rng, _length),
        lambda group: compute_loss(model, group), evaluate, log,
    )  # fmt: skip
    minutes = (time.monotonic() - started) / 60
    config.temperature = fit_temperature(
        predict_probabilities(model, config, dev), [LABELS.index(r["label"]) for r in dev]
    )
    log(f"saved epoch {epoch} ({minutes:.0f} min of training): dev {best.summary}; "
        f"temperature {config.temperature}")  # fmt: skip
    card = stance_card(settings, best.scores, epoch, adapted=True, span_markers=config.span_markers)
    StanceModel(model.head, config).save(out_dir, card)
    save_adapter(adapter_state(model.encoder), settings.lora, out_dir)
    return best.scores


# the names ``diplolex train stance`` looks up: the shipped model is the adapted one
TrainingSettings = AdaptedSettings
train = train_adapted
