"""Stance from the shared sentence pass: the head that scores *proposed* targets.

A target that ``analyze()`` proposes (the object of a position-taking verb, the content of an
attribution) is a span of its own sentence, so whether the sentence addresses it is settled;
only the holder's position towards it remains. That needs no pass of its own per (sentence,
target) pair: this head reads the states the shared encoder pass already computed for the
conditionality and attribution heads, marks which tokens are the target and which the holder
(a learned role vector added to each), runs one small transformer layer over the sentence and
classifies the pooled target, holder, sentence and target x holder vectors as favor /
against / neutral. A holder outside the sentence (or the author) is a learned vector.

User-given targets keep the cross-encoder (:class:`~diplolex.tasks.stance.predict.StanceModel`):
there the model must also judge whether the sentence addresses the target at all.

The head is trained on one particular shared encoder (the base model with the sentence
analyses' LoRA adapter merged in); its weights folder carries a copy of that adapter, and the
Analyzer uses the head only when its adapter is the one the shared pass runs with.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn

from diplolex.adapter import adapter_digest, has_adapter
from diplolex.heads import HeadConfig, ScalarMix, masked_mean, pooled_classifier
from diplolex.persist import load_config, load_weights
from diplolex.types import Offsets, StanceResult

if TYPE_CHECKING:
    from diplolex.encoder import EncodedBatch
    from diplolex.tasks.stance.document import StancePlan

SHARED_LABELS: tuple[str, ...] = ("favor", "against", "neutral")
"""What the shared-pass head tells apart (a proposed target is never unrelated)."""

SUBFOLDER = "shared"
"""Where the head lives inside a stance weights folder."""

_TARGET, _HOLDER = 1, 2  # role ids; 0: any other token


@dataclass
class SharedStanceConfig(HeadConfig):
    """The head's ``config.json``: the transformer layer's shape (from :class:`HeadConfig`),
    its labels and the temperature fitted on dev pairs after training."""

    temperature: float = 1.0
    labels: list[str] = field(default_factory=lambda: list(SHARED_LABELS))


@dataclass
class SentenceStates:
    """One sentence of the shared pass as this head keeps it: the states mixed over the
    encoder's layers by the head's own mix, ``[tokens, hidden]`` in float16 (special tokens
    removed, windows of a long sentence concatenated), and each token's offsets in the
    sentence text."""

    states: torch.Tensor
    offsets: list[Offsets]


class SharedStanceHead(nn.Module):
    """Layer mix, role vectors for target and holder tokens, one transformer layer, then a
    classifier over ``[target; holder; sentence; target * holder]`` means."""

    def __init__(self, config: SharedStanceConfig) -> None:
        super().__init__()
        h = config.hidden
        self.mix = ScalarMix(config.num_layers)
        self.roles = nn.Embedding(3, h)
        nn.init.normal_(self.roles.weight, std=0.02)
        self.layer = nn.TransformerEncoderLayer(
            d_model=h, nhead=config.heads, dim_feedforward=config.ffn,
            dropout=config.dropout, batch_first=True,
        )  # fmt: skip
        self.author = nn.Parameter(torch.zeros(h))
        self.classifier = pooled_classifier(4 * h, h, len(config.labels), config.dropout)

    def forward(
        self,
        mixed: torch.Tensor,
        token_mask: torch.Tensor,
        target_mask: torch.Tensor,
        holder_mask: torch.Tensor,
    ) -> torch.Tensor:
        """Mixed states ``[pairs, tokens, hidden]`` and ``[pairs, tokens]`` bool masks (real
        tokens, target tokens, holder tokens) -> logits ``[pairs, labels]``."""
        roles = target_mask.long() * _TARGET + (holder_mask & ~target_mask).long() * _HOLDER
        x = self.layer(mixed.float() + self.roles(roles), src_key_padding_mask=~token_mask)
        target = masked_mean(x, target_mask)
        has_holder = holder_mask.any(1, keepdim=True)
        holder = torch.where(has_holder, masked_mean(x, holder_mask), self.author.expand_as(target))
        sentence = masked_mean(x, token_mask)
        return self.classifier(torch.cat([target, holder, sentence, target * holder], dim=-1))


def token_mask(offsets: list[Offsets], start: int, end: int) -> torch.Tensor:
    """``[tokens]`` bool: the tokens whose offsets overlap ``[start, end)`` (sentence offsets)."""
    return torch.tensor([s < end and start < e for s, e in offsets], dtype=torch.bool)


@dataclass(frozen=True)
class SpanPair:
    """One pair to score: a sentence's states, and the target's and the holder's offsets in
    that sentence (``holder`` ``None``: the author, or a holder outside the sentence)."""

    sentence: SentenceStates
    target: tuple[int, int]
    holder: tuple[int, int] | None


def collate(pairs: list[SpanPair]) -> tuple[torch.Tensor, ...]:
    """The head's four inputs for ``pairs``, padded to the longest sentence."""
    width = max(p.sentence.states.shape[0] for p in pairs)
    hidden = pairs[0].sentence.states.shape[1]
    mixed = torch.zeros(len(pairs), width, hidden)
    masks = torch.zeros(3, len(pairs), width, dtype=torch.bool)
    for k, pair in enumerate(pairs):
        n = pair.sentence.states.shape[0]
        mixed[k, :n] = pair.sentence.states.float()
        masks[0, k, :n] = True
        masks[1, k, :n] = token_mask(pair.sentence.offsets, *pair.target)
        if pair.holder is not None:
            masks[2, k, :n] = token_mask(pair.sentence.offsets, *pair.holder)
    return mixed, masks[0], masks[1], masks[2]


def shared_probabilities(
    head: SharedStanceHead, config: SharedStanceConfig, pairs: list[SpanPair], batch_size: int
) -> torch.Tensor:
    """``[pairs, labels]`` probabilities at the config's temperature, in batches of pairs of
    similar length."""
    out = torch.zeros(len(pairs), len(config.labels))
    order = sorted(range(len(pairs)), key=lambda k: pairs[k].sentence.states.shape[0])
    device = next(head.parameters()).device
    with torch.inference_mode():
        for b in range(0, len(order), batch_size):
            idx = order[b : b + batch_size]
            inputs = [t.to(device) for t in collate([pairs[k] for k in idx])]
            logits = head(*inputs).float() / config.temperature
            out[idx] = logits.softmax(-1).cpu()
    return out


class SharedPassStance:
    """The loaded shared-pass head of a stance weights folder (its ``shared/`` sub-folder):
    what :class:`~diplolex.tasks.stance.predict.StanceModel` uses for proposed targets."""

    def __init__(self, head: SharedStanceHead, config: SharedStanceConfig, folder: Path) -> None:
        self.head, self.config, self.folder = head.eval(), config, folder

    @classmethod
    def load(cls, folder: str | Path, device: str = "cpu") -> SharedPassStance:
        """Load the head (checked with its stance folder against the manifest, when shipped)."""
        folder = Path(folder)
        config = load_config(SharedStanceConfig, folder)
        return cls(load_weights(SharedStanceHead(config), folder, device), config, folder)

    def trained_on(self, encoder_adapter: Path | None) -> bool:
        """Whether the head was trained on the base encoder with ``encoder_adapter`` merged
        in (by the adapters' SHA-256; ``None`` and a folder without adapter: the base)."""
        mine = adapter_digest(self.folder) if has_adapter(self.folder) else None
        theirs = adapter_digest(encoder_adapter) if encoder_adapter is not None else None
        return mine == theirs

    def read_batch(self, batch: EncodedBatch, texts: list[str]) -> list[SentenceStates]:
        """Each sentence's states of a shared-pass batch, mixed by the head, in float16."""
        from diplolex.tasks.attribution.features import sentence_states

        device = next(self.head.parameters()).device
        with torch.inference_mode():
            mixed = self.head.mix(batch.hidden_states.to(device).float())[None]
        split = sentence_states(dataclasses.replace(batch, hidden_states=mixed), len(texts))
        return [SentenceStates(st.states[0].to(torch.float16).cpu(), st.offsets) for st in split]

    def score_plans(
        self, plans: Sequence[tuple[StancePlan, list[SentenceStates]]], batch_size: int
    ) -> list[StanceResult]:
        """The result of every pair of every plan, in order, read from its document's
        sentence states; ``unrelated`` has probability 0 (a proposed target is a span of its
        sentence)."""
        pairs = []
        for plan, states in plans:
            for pair, (_, holder) in zip(plan.pairs, plan.holders):
                start, end = pair.sentence.start, pair.sentence.end
                inside = holder is not None and start <= holder.start and holder.end <= end
                pairs.append(SpanPair(
                    states[pair.sentence.index],
                    (pair.span.start - start, pair.span.end - start),
                    (holder.start - start, holder.end - start) if inside else None,  # type: ignore[union-attr]
                ))  # fmt: skip
        if not pairs:
            return []
        probs = shared_probabilities(self.head, self.config, pairs, batch_size)
        labels = self.config.labels
        results = []
        for row in probs.tolist():
            best = max(range(len(labels)), key=row.__getitem__)
            probabilities = {label: p for label, p in zip(labels, row)}
            probabilities["unrelated"] = 0.0
            results.append(StanceResult(labels[best], row[best], probabilities))  # type: ignore[arg-type]
        return results
