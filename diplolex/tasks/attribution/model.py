"""The attribution head: document windows over per-sentence encoder states, cue tagging and
span pointers.

The shared encoder sees one sentence at a time (the Analyzer's single pass). This head takes
each sentence's word-piece states, concatenates them in document order and runs its own small
transformer layer over windows of consecutive sentences, so that a content running over a
sentence boundary (a multi-sentence quote) is seen in one sequence.

Two outputs share that layer:

* a BIO tagger (``O``, ``B``/``I``-``source``, ``-cue``, ``-content``), whose cue spans are the
  anchors of the relations (its source and content tags train the layer, and no more);
* pointers (:meth:`AttributionHead.point`): given one cue, a score per token for being the
  first or last token of that cue's content and of its source, plus a score for "no source".
  A content is thus one contiguous span per cue, never a run of tags that may break apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from diplolex.heads import HeadConfig, ScalarMix
from diplolex.tasks.attribution.features import SHAPES

LABELS = ("source", "cue", "content")
NUM_TAGS = 1 + 2 * len(LABELS)
POINTERS = ("content_first", "content_last", "source_first", "source_last")


@dataclass
class AttributionConfig(HeadConfig):
    """Hyperparameters stored beside the weights as ``config.json``."""

    head_layers: int = 1  # transformer layers of the head over each window
    window_tokens: int = 256
    stride: int = 128
    use_shape: bool = True
    pointer_hidden: int = 256
    max_cue_distance: int = 128  # relative positions to the cue are clipped to this
    max_content_tokens: int = 200  # decoding: longest content, in word pieces
    max_source_tokens: int = 32  # decoding: longest source, in word pieces
    cue_extend_above: float = 0.3  # decoding: a cue takes in neighbours this cue-probable
    min_cue_score: float = 0.5  # decoding: weaker cues are dropped
    labels: list[str] = field(default_factory=lambda: list(LABELS))


class AttributionHead(nn.Module):
    """Layer mix + token shape + window position, one transformer layer, a BIO tagger and the
    cue-conditioned span pointers."""

    def __init__(self, config: AttributionConfig) -> None:
        super().__init__()
        h = config.hidden
        self.config = config
        self.mix = ScalarMix(config.num_layers)
        self.shape = nn.Embedding(len(SHAPES), h) if config.use_shape else None
        self.sentence_start = nn.Embedding(2, h)
        self.position = nn.Embedding(config.window_tokens, h)
        for emb in (self.shape, self.sentence_start, self.position):
            if emb is not None:
                nn.init.normal_(emb.weight, std=0.02)
        self.norm = nn.LayerNorm(h)
        self.layer, *more = [
            nn.TransformerEncoderLayer(
                d_model=h,
                nhead=config.heads,
                dim_feedforward=config.ffn,
                dropout=config.dropout,
                batch_first=True,
            )
            for _ in range(config.head_layers)
        ]
        self.more_layers = nn.ModuleList(more)
        self.tagger = nn.Linear(h, NUM_TAGS)
        p = config.pointer_hidden
        self.token_proj = nn.Linear(h, p)
        self.cue_proj = nn.Linear(h, p)
        self.distance = nn.Embedding(2 * config.max_cue_distance + 1, p)
        nn.init.normal_(self.distance.weight, std=0.02)
        self.pointer = nn.Linear(p, len(POINTERS))
        self.no_source = nn.Linear(h, 1)

    def forward(
        self,
        hidden_states: torch.Tensor,
        mask: torch.Tensor,
        shapes: torch.Tensor,
        starts: torch.Tensor,
        mixed: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Tag logits ``[windows, tokens, NUM_TAGS]`` and the layer's output states (for
        :meth:`point`).

        Args:
            hidden_states: ``[layers, windows, tokens, hidden]`` word-piece states.
            mask: ``[windows, tokens]``, true for real tokens.
            shapes: ``[windows, tokens]`` indices into :data:`SHAPES`.
            starts: ``[windows, tokens]``, 1 for the first token of a sentence.
            mixed: ``hidden_states`` went through :attr:`mix` already (``[1, windows,
                tokens, hidden]``).
        """
        x = hidden_states[0].float() if mixed else self.mix(hidden_states.float())
        positions = torch.arange(x.shape[1], device=x.device).clamp(
            max=self.config.window_tokens - 1
        )
        x = x + self.position(positions)[None] + self.sentence_start(starts)
        if self.shape is not None:
            x = x + self.shape(shapes)
        x = self.layer(self.norm(x), src_key_padding_mask=~mask)
        for layer in self.more_layers:
            x = layer(x, src_key_padding_mask=~mask)
        return self.tagger(x), x

    def point(
        self, states: torch.Tensor, mask: torch.Tensor, cues: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Pointer logits for each cue: ``[cues, tokens, len(POINTERS)]`` and ``[cues]``.

        Args:
            states: ``[windows, tokens, hidden]``, the second output of :meth:`forward`.
            mask: ``[windows, tokens]``, true for real tokens (others get ``-inf``).
            cues: ``[cues, 3]``: the window of each cue, its first and its last token.

        The second tensor is the logit of "no source", to be set against the source-start
        logits of the tokens.
        """
        window, first, last = cues.unbind(-1)
        sums = states.cumsum(1)
        cue_sum = sums[window, last] - sums[window, first] + states[window, first]
        cue = cue_sum / (last - first + 1).unsqueeze(-1).to(states.dtype)
        t = torch.arange(states.shape[1], device=states.device)[None]
        before, after = t - first[:, None], t - last[:, None]
        relative = torch.where(before < 0, before, torch.where(after > 0, after, 0))
        reach = self.config.max_cue_distance
        relative = relative.clamp(-reach, reach) + reach
        z = self.token_proj(states)[window] + self.cue_proj(cue)[:, None] + self.distance(relative)
        logits = self.pointer(torch.relu(z))
        logits = logits.masked_fill(~mask[window].unsqueeze(-1), float("-inf"))
        return logits, self.no_source(cue).squeeze(-1)


# ---------------------------------------------------------------------------
# Features: per-sentence encoder states -> one document token sequence
