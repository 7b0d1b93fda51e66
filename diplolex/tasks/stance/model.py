"""The stance head: a cross-encoder classifier over (target, text) pairs."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from diplolex.encoder import EncodedBatch
from diplolex.heads import ContextHead, HeadConfig, masked_mean, pooled_classifier
from diplolex.types import STANCE_PAIR_LABELS


@dataclass
class StanceConfig(HeadConfig):
    """Hyperparameters and input settings stored beside the weights as ``config.json``.

    ``passage_tokens``: a text longer than this many word pieces is reduced to its sentences
    most related to the target (see :func:`diplolex.tasks.stance.predict.select_passage`),
    in training and in prediction alike. ``span_markers``: the target's and the holder's
    mentions are marked in the passage (:func:`diplolex.tasks.stance.predict.mark_pair`).
    ``temperature``: the logits are divided by it before the softmax, fitted after training
    so that the probabilities are calibrated (:func:`fit_temperature`).
    """

    passage_tokens: int = 64
    span_markers: bool = False
    temperature: float = 1.0
    labels: list[str] = field(default_factory=lambda: list(STANCE_PAIR_LABELS))


class StanceHead(nn.Module):
    """Layer mix + one small transformer layer over the pair's tokens, then a classifier.

    The pooled vector is ``[CLS]`` + the mean of the text tokens + the mean of the target
    tokens; the output is one logit per label of ``config.labels``.
    """

    def __init__(self, config: StanceConfig) -> None:
        super().__init__()
        h = config.hidden
        self.context = ContextHead(config.num_layers, h, config.heads, config.ffn, config.dropout)
        self.classifier = pooled_classifier(3 * h, h, len(config.labels), config.dropout)

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_mask: torch.Tensor,
        text_mask: torch.Tensor,
        target_mask: torch.Tensor,
    ) -> torch.Tensor:
        """``[layers, windows, tokens, hidden]`` -> logits ``[windows, labels]``."""
        states = self.context(hidden_states, attention_mask)
        pooled = torch.cat(
            [states[:, 0], masked_mean(states, text_mask), masked_mean(states, target_mask)],
            dim=-1,
        )
        return self.classifier(pooled)


def segment_masks(batch: EncodedBatch) -> tuple[torch.Tensor, torch.Tensor]:
    """``(text_mask, target_mask)``, each ``[windows, tokens]`` bool, of a pair-encoded batch.

    A pair window reads ``[CLS] target [SEP] text [SEP] [PAD]...``: text tokens are those with
    offsets; target tokens lie between ``[CLS]`` and the first ``[SEP]``, which is the token
    before the first text token (or, for an empty text, the third token from the end).
    """
    text_mask = torch.zeros(batch.attention_mask.shape, dtype=torch.bool)
    target_mask = torch.zeros_like(text_mask)
    lengths = batch.attention_mask.sum(1).tolist()
    for w, window in enumerate(batch.offsets):
        first_text = None
        for t, off in enumerate(window):
            if off is not None:
                text_mask[w, t] = True
                if first_text is None:
                    first_text = t
        first_sep = first_text - 1 if first_text is not None else int(lengths[w]) - 2
        target_mask[w, 1:first_sep] = True
    device = batch.attention_mask.device
    return text_mask.to(device), target_mask.to(device)


def fit_temperature(
    probs: torch.Tensor, labels: list[int], grid: tuple[float, float, float] = (0.5, 5.0, 0.05)
) -> float:
    """The temperature ``T`` (searched from ``grid[0]`` to ``grid[1]`` by ``grid[2]``) that
    minimises the negative log-likelihood of ``labels`` under ``softmax(log(probs) / T)``:
    the probabilities of single-window pairs at temperature 1 rescaled, as
    :attr:`StanceConfig.temperature` rescales the logits. 1.0 for no pairs.

    Example:
        >>> fit_temperature(torch.tensor([[0.99, 0.01], [0.99, 0.01]]), [0, 1]) > 1
        True
    """
    if not labels:
        return 1.0
    log_probs = probs.clamp_min(1e-12).log()
    target = torch.tensor(labels)
    low, high, step = grid
    steps = round((high - low) / step)
    candidates = [round(low + k * step, 4) for k in range(steps + 1)]
    losses = [float(F.cross_entropy(log_probs / t, target)) for t in candidates]
    return candidates[min(range(len(candidates)), key=losses.__getitem__)]
