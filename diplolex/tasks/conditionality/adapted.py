"""Training the conditionality head together with a LoRA adapter of the shared encoder.

The adapter adapts the encoder pass that every sentence analysis reads, so it is merged into
the shared encoder at load (:class:`diplolex.analyzer.Analyzer`), and the attribution head
must be trained on the adapted encoder too (``diplolex train attribution --encoder-adapter``).
Same records and losses as :mod:`diplolex.tasks.conditionality.train`; the encoder runs live
with trainable low-rank updates instead of from cached frozen features.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from random import Random

import torch
from torch import nn

from diplolex.adapter import (
    LoraSettings,
    adapter_state,
    encode_for_training,
    save_adapter,
    wrap_for_training,
)
from diplolex.encoder import EncodedBatch, SharedEncoder
from diplolex.tasks.conditionality.evaluate import ConditionalityScores, score_conditionality
from diplolex.tasks.conditionality.model import ConditionalityConfig, ConditionalityHead
from diplolex.tasks.conditionality.predict import ConditionalityModel
from diplolex.tasks.conditionality.train import (
    Example,
    _sample,
    balanced_type_weights,
    batch_loss,
    best_threshold,
    make_example,
    training_records,
)
from diplolex.tasks.conditionality.train import TrainingSettings as FrozenSettings
from diplolex.training import (
    DevResult,
    Optimisation,
    WindowFeatures,
    batches,
    fit_head,
    seed_everything,
)


@dataclass
class AdaptedSettings(FrozenSettings):
    """What ``diplolex train conditionality`` varies; the defaults reproduce the shipped
    weights. Fewer passes over the public data than the frozen trainer, since every sentence
    now costs an encoder forward and backward pass."""

    epochs: int = 6
    batch_size: int = 16
    learning_rate: float = 4e-4
    diplocond_repeats: int = 2
    diplocond_v2_extra: int = 2
    st1_sample_per_epoch: int = 1800
    cue_free_negatives: bool = True
    synthetic_per_family: int = 50
    st2_sample: int = 600
    lora: LoraSettings = field(default_factory=LoraSettings)


@dataclass
class LiveExample:
    """A training record's text with its targets (tags aligned to its first window)."""

    text: str
    example: Example


class AdaptedConditionality(nn.Module):
    """The LoRA-wrapped shared encoder and the conditionality head, trained together."""

    def __init__(self, encoder: SharedEncoder, head: ConditionalityHead, lora: LoraSettings):
        super().__init__()
        self.shared = encoder
        self.encoder = wrap_for_training(encoder.model, lora)
        self.head = head

    def encode(self, texts: list[str]) -> EncodedBatch:
        """The adapted pass over ``texts``, keeping each text's first window only."""
        batch = encode_for_training(self.shared, self.encoder, texts)
        first: dict[int, int] = {}
        for w, t in enumerate(batch.text_index):
            first.setdefault(t, w)
        rows = [first[t] for t in range(len(texts))]
        return EncodedBatch(
            batch.hidden_states[:, rows],
            batch.attention_mask[rows],
            [batch.offsets[w] for w in rows],
            list(range(len(texts))),
        )


def first_window_offsets(encoder: SharedEncoder, texts: list[str]) -> dict[str, list]:
    """Each text's word-piece offsets in its first window (what the tags are aligned to)."""
    out: dict[str, list] = {}
    for b in range(0, len(texts), 256):
        chunk = texts[b : b + 256]
        features = encoder._tokenize(chunk, None)
        lengths = features["attention_mask"].sum(1).tolist()
        for w, t in enumerate(features["text_index"]):
            if chunk[t] not in out:
                out[chunk[t]] = features["offsets"][w][: int(lengths[w])]
    return out


def _live(record: dict, offsets: dict[str, list]) -> LiveExample:
    window = offsets[record["text"]]
    features = WindowFeatures(torch.empty(0, len(window), 0), window)  # tags need offsets only
    return LiveExample(record["text"], make_example(record, features))


def _length(item: LiveExample) -> int:
    return len(item.example.features.offsets)


def live_training_items(
    data_dir: Path,
    settings: AdaptedSettings,
    encoder: SharedEncoder,
    rng: Random,
    log: Callable[[str], None],
) -> tuple[list[LiveExample], list[LiveExample], list[dict]]:
    """``(fixed, st1, dev)`` of :func:`training_records` as live examples, with
    ``settings.st2_sample`` of the SemEval subtask 2 records kept."""
    fixed, st1, dev = training_records(data_dir, settings, log)
    diplocond = [r for r in fixed if r["corpus"] == "diplocond"]
    others = [r for r in fixed if r["corpus"] != "diplocond"]
    st2 = [r for r in others if r["corpus"] == "semeval2020t5-st2"]
    rest = [r for r in others if r["corpus"] != "semeval2020t5-st2"]
    fixed = diplocond + _sample(st2, settings.st2_sample, rng) + rest
    offsets = first_window_offsets(encoder, sorted({r["text"] for r in fixed + st1}))
    return [_live(r, offsets) for r in fixed], [_live(r, offsets) for r in st1], dev


def evaluate_live(
    model: AdaptedConditionality, config: ConditionalityConfig, records: list[dict]
) -> tuple[ConditionalityScores, list[float]]:
    """Dev scores (and sentence scores) with the adapted encoder in eval mode."""
    predictions = ConditionalityModel(model.head, config).predict_texts(
        model.shared, [r["text"] for r in records], 64
    )
    return score_conditionality(records, predictions), [p.score for p in predictions]


def train_adapted(
    data_dir: Path,
    out_dir: Path,
    settings: AdaptedSettings | None = None,
    log: Callable[[str], None] = print,
) -> ConditionalityScores:
    """Train adapter and head, keep the best dev epoch, tune the threshold, save both."""
    settings = settings or AdaptedSettings()
    rng = seed_everything(settings.seed)
    config = ConditionalityConfig()
    encoder = SharedEncoder(max_tokens=config.max_tokens)
    fixed_items, st1_items, dev = live_training_items(data_dir, settings, encoder, rng, log)
    type_weights = balanced_type_weights([i.example for i in fixed_items])

    model = AdaptedConditionality(encoder, ConditionalityHead(config), settings.lora)
    per_epoch = len(fixed_items) + min(settings.st1_sample_per_epoch, len(st1_items))
    log(f"{per_epoch} training sentences an epoch, {len(dev)} dev sentences")
    optimisation = Optimisation.of(settings, per_epoch)

    def epoch_batches() -> Iterator[list[LiveExample]]:
        items = fixed_items + _sample(st1_items, settings.st1_sample_per_epoch, rng)
        return batches(items, settings.batch_size, rng, _length)

    def loss(group: list[LiveExample]) -> torch.Tensor:
        batch = model.encode([i.text for i in group])
        return batch_loss(model.head, batch, [i.example for i in group], type_weights)

    def evaluate() -> DevResult[ConditionalityScores]:
        scores, _ = evaluate_live(model, config, dev)
        return DevResult(scores.selection_score(), scores.summary(), scores)

    started = time.monotonic()
    epoch, _ = fit_head(model, optimisation, epoch_batches, loss, evaluate, log)
    return save_tuned(model, config, dev, settings, out_dir, epoch, started, log)


def save_tuned(
    model: AdaptedConditionality,
    config: ConditionalityConfig,
    dev: list[dict],
    settings: AdaptedSettings,
    out_dir: Path,
    epoch: int,
    started: float,
    log: Callable[[str], None],
) -> ConditionalityScores:
    """After training: tune the sentence threshold on dev, save the head (with its card) and
    the adapter to ``out_dir``; returns the dev scores at that threshold."""
    from diplolex.tasks.conditionality.card import conditionality_card

    _, sentence_scores = evaluate_live(model, config, dev)
    config.threshold = best_threshold(sentence_scores, dev)
    scores, _ = evaluate_live(model, config, dev)
    minutes = (time.monotonic() - started) / 60
    log(f"saved epoch {epoch} ({minutes:.0f} min, threshold {config.threshold:.2f}): "
        f"dev {scores.summary()}")  # fmt: skip
    card = conditionality_card(settings, scores, adapted=True)
    ConditionalityModel(model.head, config).save(out_dir, card)
    save_adapter(adapter_state(model.encoder), settings.lora, out_dir)
    return scores


TrainingSettings = AdaptedSettings
train = train_adapted
