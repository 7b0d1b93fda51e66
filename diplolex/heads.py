"""Building blocks shared by the task heads that sit on the frozen encoder's hidden states."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from diplolex.encoder import BASE_MODEL_SHA256, DEFAULT_MAX_TOKENS


@dataclass
class HeadConfig:
    """What every head's ``config.json`` holds: the small transformer layer's shape, the
    encoder's window, and the SHA-256 of the base model the head was trained on."""

    hidden: int = 384
    num_layers: int = 7  # hidden states the layer mix reads (embeddings + 6 layers)
    heads: int = 6
    ffn: int = 768
    dropout: float = 0.1
    max_tokens: int = DEFAULT_MAX_TOKENS
    base_model_sha256: str = BASE_MODEL_SHA256


class ScalarMix(nn.Module):
    """A learned softmax-weighted sum of the encoder's layers, scaled by a learned gamma."""

    def __init__(self, num_layers: int) -> None:
        super().__init__()
        self.weights = nn.Parameter(torch.zeros(num_layers))
        self.gamma = nn.Parameter(torch.ones(1))

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """``[layers, batch, tokens, hidden]`` -> ``[batch, tokens, hidden]``."""
        w = torch.softmax(self.weights, dim=0).to(hidden_states.dtype)
        return self.gamma * torch.einsum("l,lbth->bth", w, hidden_states)


class ContextHead(nn.Module):
    """Layer mix, then one small task-specific transformer layer over the tokens.

    This is what each analysis adds on top of the shared encoder pass: conditionality's costs
    about one base-model layer (0.94 in ``python -m benchmarks speed``'s step table).
    """

    def __init__(self, num_layers: int, hidden: int, heads: int, ffn: int, dropout: float) -> None:
        super().__init__()
        self.mix = ScalarMix(num_layers)
        self.layer = nn.TransformerEncoderLayer(
            d_model=hidden,
            nhead=heads,
            dim_feedforward=ffn,
            dropout=dropout,
            batch_first=True,
        )

    def forward(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        x = self.mix(hidden_states.float())
        return self.layer(x, src_key_padding_mask=attention_mask == 0)


def pooled_classifier(inputs: int, hidden: int, labels: int, dropout: float) -> nn.Sequential:
    """The classifier the heads put on their pooled vectors: ``inputs -> hidden`` (GELU,
    dropout) ``-> labels`` logits."""
    return nn.Sequential(
        nn.Linear(inputs, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, labels)
    )


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``x [batch, tokens, hidden]`` over the tokens where ``mask [batch, tokens]``."""
    m = mask.unsqueeze(-1).to(x.dtype)
    return (x * m).sum(1) / m.sum(1).clamp(min=1.0)
