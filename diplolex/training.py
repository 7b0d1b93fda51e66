"""Training utilities shared by the task heads: cached encoder features and the epoch loop.

The base encoder is frozen, so its hidden states are computed once per training text and the
heads are trained on those cached features: this is what makes CPU training take minutes.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import torch

from diplolex.encoder import EncodedBatch, SharedEncoder, length_batches


@dataclass
class WindowFeatures:
    """The cached encoder output of one text's first window."""

    hidden_states: torch.Tensor  # [layers, tokens, hidden], float16, no padding
    offsets: list[tuple[int, int] | None]


def encode_texts(
    encoder: SharedEncoder,
    texts: Sequence[str],
    batch_size: int = 64,
    log: Callable[[str], None] | None = None,
    pairs: Sequence[str] | None = None,
) -> list[WindowFeatures]:
    """Encode each text (with its ``pairs`` item first, for cross-encoders) once and keep its
    first window; longer texts are cut at the window."""
    if pairs is not None and len(pairs) != len(texts):
        raise ValueError(f"{len(pairs)} pairs for {len(texts)} texts")
    sizes = [len(t) + (len(pairs[i]) if pairs is not None else 0) for i, t in enumerate(texts)]
    features: list[WindowFeatures | None] = [None] * len(texts)
    started = time.monotonic()
    for n, idx in enumerate(length_batches(sizes, batch_size)):
        batch = encoder.encode(
            [texts[i] for i in idx], pairs=None if pairs is None else [pairs[i] for i in idx]
        )
        seen: set[int] = set()
        for w, local in enumerate(batch.text_index):
            if local in seen:
                continue
            seen.add(local)
            length = int(batch.attention_mask[w].sum())
            features[idx[local]] = WindowFeatures(
                batch.hidden_states[:, w, :length].to(torch.float16).cpu(),
                batch.offsets[w][:length],
            )
        if log and n % 20 == 0:
            log(f"  encoded {min((n + 1) * batch_size, len(texts))}/{len(texts)} texts "
                f"({time.monotonic() - started:.0f}s)")  # fmt: skip
    return [f for f in features if f is not None]


def pad_features(features: Sequence[WindowFeatures]) -> EncodedBatch:
    """Stack cached windows into one padded :class:`EncodedBatch` (one window per text)."""
    longest = max(f.hidden_states.shape[1] for f in features)
    layers, _, hidden = features[0].hidden_states.shape
    states = torch.zeros(layers, len(features), longest, hidden)
    mask = torch.zeros(len(features), longest, dtype=torch.long)
    offsets = []
    for i, f in enumerate(features):
        n = f.hidden_states.shape[1]
        states[:, i, :n] = f.hidden_states.float()
        mask[i, :n] = 1
        offsets.append(list(f.offsets) + [None] * (longest - n))
    return EncodedBatch(states, mask, offsets, list(range(len(features))))


def pad_tags(rows: Sequence[Sequence[int]], length: int) -> torch.Tensor:
    """Right-pad integer tag rows with the loss's ignore index -100."""
    out = torch.full((len(rows), length), -100, dtype=torch.long)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.tensor(row, dtype=torch.long)
    return out


def _cached_length(item) -> int:
    return item.features.hidden_states.shape[1]


def batches(
    items: Sequence,
    batch_size: int,
    rng: random.Random,
    length: Callable[[object], int] = _cached_length,
) -> Iterator[list]:
    """Shuffle ``items`` and yield batches of similar ``length`` (less padding, same
    randomness); the default length is that of an item's cached ``features``."""
    order = list(range(len(items)))
    rng.shuffle(order)
    chunk = batch_size * 20
    for c in range(0, len(order), chunk):
        block = sorted(order[c : c + chunk], key=lambda i: length(items[i]))
        groups = [block[b : b + batch_size] for b in range(0, len(block), batch_size)]
        rng.shuffle(groups)
        for g in groups:
            yield [items[i] for i in g]


def linear_warmup_schedule(
    optimizer: torch.optim.Optimizer, total_steps: int, warmup_fraction: float = 0.06
) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up then linear decay to zero."""
    warmup = max(1, math.ceil(total_steps * warmup_fraction))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


Batch = TypeVar("Batch")
Scores = TypeVar("Scores")


@dataclass(frozen=True)
class DevResult(Generic[Scores]):
    """One epoch's development scores: ``score`` (higher is better) selects the epoch."""

    score: float
    summary: str
    scores: Scores


@dataclass
class BaseTrainingSettings:
    """What every trainer's ``TrainingSettings`` holds (each sets its own defaults, the ones
    that reproduce its shipped weights); :meth:`Optimisation.of` reads them."""

    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 5e-4
    weight_decay: float = 0.01
    seed: int = 13


@dataclass(frozen=True)
class Optimisation:
    """The optimiser settings every head is trained with (AdamW, linear warm-up)."""

    epochs: int
    steps_per_epoch: int
    learning_rate: float
    weight_decay: float

    @classmethod
    def of(cls, settings: BaseTrainingSettings, items_per_epoch: int) -> Optimisation:
        """From a trainer's settings (``epochs``, ``batch_size``, ``learning_rate``,
        ``weight_decay``) and the number of training items an epoch."""
        steps = -(-items_per_epoch // settings.batch_size)
        return cls(settings.epochs, steps, settings.learning_rate, settings.weight_decay)


def fit_head(
    head: torch.nn.Module,
    optimisation: Optimisation,
    epoch_batches: Callable[[], Iterable[Batch]],
    loss_fn: Callable[[Batch], torch.Tensor],
    evaluate: Callable[[], DevResult[Scores]],
    log: Callable[[str], None],
    on_improved: Callable[[int, DevResult[Scores]], None] | None = None,
) -> tuple[int, DevResult[Scores]]:
    """Train ``head`` and restore the weights of its best epoch on development data.

    Each epoch takes AdamW steps (gradient norm clipped at 1, linear warm-up then decay) over
    the batches ``epoch_batches()`` yields, then calls ``evaluate()`` with the head in eval
    mode. ``on_improved(epoch, result)`` runs whenever an epoch beats every earlier one (e.g.
    to save a checkpoint). Returns the best epoch and its result; the head is left with that
    epoch's weights, in eval mode.
    """
    o = optimisation
    optimizer = torch.optim.AdamW(
        head.parameters(), lr=o.learning_rate, weight_decay=o.weight_decay
    )
    scheduler = linear_warmup_schedule(optimizer, o.epochs * o.steps_per_epoch)
    best: tuple[int, DevResult[Scores], dict] | None = None
    for epoch in range(1, o.epochs + 1):
        head.train()
        total, count, started = 0.0, 0, time.monotonic()
        for batch in epoch_batches():
            loss = loss_fn(batch)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(head.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            total, count = total + loss.item(), count + 1
            if count % 50 == 0:
                log(f"  epoch {epoch} step {count}: loss {total / count:.4f} "
                    f"({time.monotonic() - started:.0f}s)")  # fmt: skip
        head.eval()
        result = evaluate()
        log(f"epoch {epoch}: loss {total / max(count, 1):.4f} "
            f"({time.monotonic() - started:.0f}s)  dev {result.summary}")  # fmt: skip
        if best is None or result.score > best[1].score:
            state = {k: v.detach().clone() for k, v in head.state_dict().items()}
            best = (epoch, result, state)
            if on_improved is not None:
                on_improved(epoch, result)
    if best is None:
        raise ValueError("epochs must be at least 1")
    head.load_state_dict(best[2])
    head.eval()
    return best[0], best[1]


def seed_everything(seed: int) -> random.Random:
    """Seed torch and return a seeded ``random.Random`` for data order."""
    torch.manual_seed(seed)
    return random.Random(seed)
