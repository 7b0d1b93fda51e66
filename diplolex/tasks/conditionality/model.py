"""The conditionality head: sentence decision, condition/consequence/cue tagging, and type."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from diplolex.heads import ContextHead, HeadConfig, masked_mean, pooled_classifier
from diplolex.types import CONDITIONAL_TYPES

SPAN_LABELS = ("condition", "consequence")
CUE_LABELS = ("cue",)


@dataclass
class ConditionalityConfig(HeadConfig):
    """Hyperparameters and decision settings stored beside the weights as ``config.json``."""

    threshold: float = 0.5


@dataclass
class HeadOutput:
    """Per-window outputs of :class:`ConditionalityHead`."""

    states: torch.Tensor  # [windows, tokens, hidden]
    span_logits: torch.Tensor  # [windows, tokens, 1 + 2 * len(SPAN_LABELS)]
    cue_logits: torch.Tensor  # [windows, tokens, 1 + 2 * len(CUE_LABELS)]
    conditional_logit: torch.Tensor  # [windows]
    counterfactual_logit: torch.Tensor  # [windows]


class ConditionalityHead(nn.Module):
    """Reads the shared encoder's hidden states; adds one small transformer layer and outputs."""

    def __init__(self, config: ConditionalityConfig) -> None:
        super().__init__()
        h = config.hidden
        self.context = ContextHead(config.num_layers, h, config.heads, config.ffn, config.dropout)
        self.span_tagger = nn.Linear(h, 1 + 2 * len(SPAN_LABELS))
        self.cue_tagger = nn.Linear(h, 1 + 2 * len(CUE_LABELS))
        self.sentence = nn.Linear(2 * h, 2)
        self.type_classifier = pooled_classifier(3 * h, h, len(CONDITIONAL_TYPES), config.dropout)

    def forward(
        self, hidden_states: torch.Tensor, attention_mask: torch.Tensor, word_mask: torch.Tensor
    ) -> HeadOutput:
        states = self.context(hidden_states, attention_mask)
        pooled = torch.cat([states[:, 0], masked_mean(states, word_mask)], dim=-1)
        sentence_logits = self.sentence(pooled)
        return HeadOutput(
            states=states,
            span_logits=self.span_tagger(states),
            cue_logits=self.cue_tagger(states),
            conditional_logit=sentence_logits[:, 0],
            counterfactual_logit=sentence_logits[:, 1],
        )

    def type_logits(
        self,
        states: torch.Tensor,
        condition_mask: torch.Tensor,
        consequence_mask: torch.Tensor,
        word_mask: torch.Tensor,
    ) -> torch.Tensor:
        """Type logits for constructions; each mask row marks one construction's tokens.

        All tensors have one row per construction (``states`` repeated for its window).
        """
        features = torch.cat(
            [
                masked_mean(states, condition_mask),
                masked_mean(states, consequence_mask),
                masked_mean(states, word_mask),
            ],
            dim=-1,
        )
        return self.type_classifier(features)
