"""Scoring (text, target) pairs with the stance head: :class:`StanceModel` and :func:`stance`.

A pair is encoded as ``[CLS] query [SEP] text [SEP]``, where the query is the target, or
``holder | target`` when the holder is known (:func:`pair_query`). A text longer than
``config.passage_tokens`` word pieces is first reduced to its sentences most related to the
target (:func:`select_passage`, the same rule training used); a passage that still exceeds one
window is cut into windows and its label probabilities are the **average** over its windows.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, overload

import torch

from diplolex.adapter import has_adapter, merge_adapter
from diplolex.component import Run, TaskModel
from diplolex.encoder import EncodedBatch, SharedEncoder, length_batches
from diplolex.memory import BATCHES_PER_RELEASE, release_freed_memory
from diplolex.segment import split_sentences
from diplolex.tasks.stance.model import StanceConfig, StanceHead, segment_masks
from diplolex.types import Document, Offsets, StanceResult

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

    from diplolex.tasks.stance.shared import SharedPassStance


_WORD = re.compile(r"\w+")
_STOPWORDS = frozenset(
    "a an the of to in on at by for from with as and or but nor not no is are was were be been "
    "being am it its this that these those he she they we you i his her their our your them us "
    "him has have had do does did will would shall should can could may might must said says "
    "say over after before about into than then there here which who whom whose what when where "
    "why how new also more most very just only up out off so if all any some such".split()
)


def content_words(text: str) -> set[str]:
    """Lower-cased words of ``text`` without stopwords, a plural ``s`` stripped."""
    words = set()
    for word in _WORD.findall(text.lower()):
        if len(word) < 2 or word in _STOPWORDS:
            continue
        words.add(word[:-1] if len(word) > 3 and word.endswith("s") else word)
    return words


def select_passage(
    text: str,
    target: str,
    count_pieces: Callable[[list[str]], list[int]],
    budget: int,
    split: Callable[[str], list[tuple[int, int]]] = split_sentences,
) -> str:
    """The part of ``text`` that a stance towards ``target`` is read from.

    A text of at most ``budget`` word pieces is returned whole. A longer one is split into
    sentences, which are ranked by the number of content words they share with the target
    (the first sentence gets half a point more: news leads state the claim); the best ones are
    kept while they fit in ``budget`` word pieces (the best one always) and joined in text order.

    Example:
        >>> count = lambda xs: [len(x.split()) for x in xs]
        >>> select_passage("Rain fell. Iran rejected the deal. Trade rose.", "the deal", count, 4)
        'Iran rejected the deal.'
    """
    if count_pieces([text])[0] <= budget:
        return text
    bounds = split(text)
    if len(bounds) <= 1:
        return text
    sentences = [text[s:e] for s, e in bounds]
    sizes = count_pieces(sentences)
    wanted = content_words(target)
    scores = [
        len(wanted & content_words(s)) + (0.5 if i == 0 else 0.0) for i, s in enumerate(sentences)
    ]
    ranked = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))
    chosen, used = [], 0
    for i in ranked:
        if not chosen or used + sizes[i] <= budget:
            chosen.append(i)
            used += sizes[i]
    return " ".join(sentences[i] for i in sorted(chosen))


def piece_counter(tokenizer: PreTrainedTokenizerBase) -> Callable[[list[str]], list[int]]:
    """A function giving the number of word pieces of each string (no special tokens)."""

    def count(texts: list[str]) -> list[int]:
        return [
            len(ids)
            for ids in tokenizer(texts, add_special_tokens=False, verbose=False)["input_ids"]
        ]

    return count


def passages_for(
    encoder: SharedEncoder, texts: Sequence[str], targets: Sequence[str], budget: int
) -> list[str]:
    """:func:`select_passage` of each pair; a text's sentences are split once per call."""
    count = piece_counter(encoder.tokenizer)
    splits: dict[str, list[tuple[int, int]]] = {}

    def split(text: str) -> list[tuple[int, int]]:
        if text not in splits:
            splits[text] = split_sentences(text)
        return splits[text]

    return [select_passage(t, g, count, budget, split) for t, g in zip(texts, targets)]


AUTHOR = "author"
"""The holder of a text's own position (task-definitions.md section 3)."""


def pair_query(target: str, holder: str | None = None) -> str:
    """The first segment of a stance pair: the target, prefixed by a named holder.

    ``None`` and ``"author"`` mean the text's own position and give the bare target, as in
    the public corpora, whose stances are the writer's.

    Example:
        >>> pair_query("the truce proposal", "Kyiv")
        'Kyiv | the truce proposal'
        >>> pair_query("the truce proposal", "author")
        'the truce proposal'
    """
    if holder is None or not holder.strip() or holder == AUTHOR:
        return target
    return f"{holder.strip()} | {target}"


TARGET_MARKS = ("«", "»")
HOLDER_MARKS = ("{", "}")


def _occurrences(text: str, phrase: str) -> list[tuple[int, int]]:
    """Every case-insensitive whole-word occurrence of ``phrase`` in ``text``, in order."""
    phrase = phrase.strip()
    if not phrase:
        return []
    pattern = rf"(?<!\w){re.escape(phrase)}(?!\w)"
    return [m.span() for m in re.finditer(pattern, text, re.IGNORECASE)]


def locate_pair(
    passage: str,
    target: str,
    holder: str | None = None,
    target_span: Offsets | None = None,
) -> tuple[Offsets | None, Offsets | None]:
    """``(target, holder)`` offsets of the mentions :func:`mark_pair` marks (``None`` where a
    phrase does not occur; the holder also ``None`` when it overlaps the target's mention).
    ``target_span``: the target's offsets when they are known (a gold span); the holder is
    then its first mention.

    Example:
        >>> locate_pair("Kyiv rejected the truce, Moscow welcomed it.", "the truce", "Moscow")
        ((14, 23), (25, 31))
    """
    holders = _occurrences(passage, holder) if holder is not None and holder != AUTHOR else []
    holder_at = holders[0] if holders else None
    targets = [target_span] if target_span else _occurrences(passage, target)
    target_at = targets[0] if targets else None
    if targets and holder_at and not target_span:
        after = [t for t in targets if t[0] >= holder_at[1]]
        target_at = after[0] if after else targets[-1]
    if holder_at and target_at and holder_at[0] < target_at[1] and target_at[0] < holder_at[1]:
        holder_at = None
    return target_at, holder_at


def mark_pair(passage: str, target: str, holder: str | None = None) -> str:
    """``passage`` with the target's mention between ``« »`` and the named holder's first
    mention between ``{ }``, so the model knows which mention is which.

    The target's mention is its first occurrence after the holder's mention (a holder is
    mostly the subject before its verb and object), else its last one before it, else (no
    holder) its first: in "Kenya opposed the resolution but Ghana backed the resolution",
    Ghana's is the second. A phrase that does not occur (or a holder overlapping the target)
    is left unmarked; ``None`` and ``"author"`` name no holder (:func:`locate_pair`).

    Example:
        >>> mark_pair("Kyiv rejected the truce, Moscow welcomed it.", "the truce", "Moscow")
        'Kyiv rejected « the truce », { Moscow } welcomed it.'
    """
    target_at, holder_at = locate_pair(passage, target, holder)
    found = ((target_at, TARGET_MARKS), (holder_at, HOLDER_MARKS))
    spans = [(at, marks) for at, marks in found if at is not None]
    for (start, end), (left, right) in sorted(spans, reverse=True):
        passage = f"{passage[:start]}{left} {passage[start:end]} {right}{passage[end:]}"
    return passage


def check_target(target: object, index: int) -> str:
    """``target`` if it is a non-blank ``str``; a ``TypeError`` or ``ValueError`` naming the
    ``index``-th target otherwise."""
    if not isinstance(target, str):
        raise TypeError(f"target {index} is a {type(target).__name__}, not a str")
    if not target.strip():
        raise ValueError(
            f"target {index} is empty or whitespace ({target!r}): name what the stance is "
            "about, e.g. 'the truce proposal'"
        )
    return target


def check_holders(holders: object, count: int) -> list[str | None]:
    """Validate a ``holder`` argument: ``None``, one ``str`` for all texts, or one per text.

    Raises:
        TypeError: a holder is neither ``None`` nor a ``str``.
        ValueError: a list of holders of another length than the texts.
    """
    if holders is None or isinstance(holders, str):
        return [holders] * count
    if not isinstance(holders, (list, tuple)):
        raise TypeError(
            f"holder must be a str, None or a list of them, got {type(holders).__name__}"
        )
    if len(holders) != count:
        raise ValueError(f"{count} texts but {len(holders)} holders: pass one holder per text")
    for i, holder in enumerate(holders):
        if holder is not None and not isinstance(holder, str):
            raise TypeError(f"holder {i} is a {type(holder).__name__}, not a str or None")
    return list(holders)


def check_pairs(texts: object, targets: object) -> tuple[list[str], list[str]]:
    """Validate texts and targets; one ``str`` target is paired with every text.

    Raises:
        TypeError: a text or target is not a ``str``.
        ValueError: a target is empty or whitespace, or the two lists differ in length.
    """
    text_list = [texts] if isinstance(texts, str) else texts
    if not isinstance(text_list, (list, tuple)):
        raise TypeError(
            f"stance() takes a str text or a list of str texts, got {type(texts).__name__}"
        )
    if isinstance(targets, str):
        target_list = [targets] * len(text_list)
    elif isinstance(targets, (list, tuple)):
        target_list = list(targets)
    else:
        raise TypeError(
            f"stance() takes a str target or a list of str targets, got {type(targets).__name__}"
        )
    if len(target_list) != len(text_list):
        raise ValueError(
            f"{len(text_list)} texts but {len(target_list)} targets: pass one target per text, "
            "or a single str target for all texts"
        )
    for i, (text, target) in enumerate(zip(text_list, target_list)):
        if not isinstance(text, str):
            raise TypeError(f"text {i} is a {type(text).__name__}, not a str: decode it first")
        check_target(target, i)
    return list(text_list), target_list


class StanceModel(TaskModel):
    """The stance analysis: a head on the shared encoder that scores (text, target) pairs.

    Args:
        head: the trained :class:`StanceHead`.
        config: its :class:`StanceConfig`.
    """

    name = "stance"
    head_class = StanceHead
    config_class = StanceConfig
    accepts_targets = True

    shared: SharedPassStance | None = None
    """The head that scores proposed targets from the shared pass, when the weights folder
    holds one (``shared/``) and the Analyzer's shared pass is the encoder it was trained on."""

    @classmethod
    def load(cls, directory: str | Path | None = None, device: str = "cpu") -> StanceModel:
        """Load a weights folder; a LoRA adapter in it is merged into a private encoder copy,
        and a shared-pass head in its ``shared/`` sub-folder is loaded too."""
        from diplolex.tasks.stance.shared import SUBFOLDER, SharedPassStance

        folder = Path(directory) if directory else cls.shipped_weights
        model = super().load(folder, device)
        if has_adapter(folder):
            encoder = SharedEncoder(device=device, max_tokens=model.config.max_tokens)
            merge_adapter(encoder.model, folder)
            model.encoder = encoder
        if (folder / SUBFOLDER / "config.json").is_file():
            model.shared = SharedPassStance.load(folder / SUBFOLDER, device)
        return model

    def set_precision(self, precision: str) -> None:
        """The cross-encoder's head and the shared-pass head in ``precision``."""
        from diplolex.precision import layers_in_precision

        super().set_precision(precision)
        if self.shared is not None:
            layers_in_precision(self.shared.head, precision)

    def listen_to_shared_pass(self, encoder_adapter: Path | None) -> bool:
        """Read the shared pass (for proposed targets) when this model's shared-pass head
        was trained on that encoder: the same adapter, by SHA-256, or both none."""
        return self.shared is not None and self.shared.trained_on(encoder_adapter)

    def read_batch(self, batch: EncodedBatch, texts: list[str]) -> list:
        """Each sentence's states mixed by the shared-pass head (when the Analyzer listens)."""
        return self.shared.read_batch(batch, texts)  # type: ignore[union-attr]

    def check_targets(self, targets: Sequence[str]) -> list[str]:
        """Validate user-given targets (:func:`~diplolex.tasks.stance.document.check_targets`)."""
        from diplolex.tasks.stance.document import check_targets

        return check_targets(targets)  # type: ignore[return-value]

    def annotate(self, doc: Document, found: object, run: Run) -> Document:
        """``doc`` with the stances its sentences take towards ``run.targets`` (or towards
        targets the analysis proposes), holders read from its attributions."""
        return self.annotate_many([doc], [found], run)[0]

    def annotate_many(self, docs: list[Document], found: list, run: Run) -> list[Document]:
        """:meth:`annotate` of several documents with one batched pass over all their pairs
        (:func:`~diplolex.tasks.stance.document.plan_stances` decides each one's pairs).

        Proposed targets (``run.targets`` is ``None``) are scored by the shared-pass head from
        the states the shared pass left in ``found``, where it did (documents read in one
        chunk); every other pair by the cross-encoder."""
        from diplolex.tasks.stance.document import plan_stances

        plans = [
            plan_stances(doc.text, [(s.start, s.end) for s in doc.sentences], doc.attributions,
                         run.targets)
            for doc in docs
        ]  # fmt: skip
        shared = [
            run.targets is None and self.shared is not None and bool(states)
            and len(states) == len(doc.sentences)
            for doc, states in zip(docs, found)
        ]  # fmt: skip
        texts: list[str] = []
        targets: list[str] = []
        holders: list[str | None] = []
        for plan, by_shared in zip(plans, shared):
            if not by_shared:
                plan_texts, plan_targets, plan_holders = plan.inputs()
                texts += plan_texts
                targets += plan_targets
                holders += plan_holders
        crossed = iter(self.predict_pairs(run.encoder, texts, targets, run.batch_size, holders))
        from_shared = iter(
            self.shared.score_plans(  # type: ignore[union-attr]
                [(p, f) for p, f, s in zip(plans, found, shared) if s], run.batch_size
            )
            if any(shared)
            else []
        )
        out = []
        for doc, plan, by_shared in zip(docs, plans, shared):
            results = from_shared if by_shared else crossed
            stances = plan.finish([next(results) for _ in plan.pairs])
            out.append(dataclasses.replace(doc, stances=stances))
        return out

    def probabilities(self, batch: EncodedBatch, n_texts: int) -> torch.Tensor:
        """``[n_texts, labels]`` probabilities of a pair-encoded batch, averaged over windows."""
        text_mask, target_mask = segment_masks(batch)
        with torch.inference_mode():
            logits = self.head(batch.hidden_states, batch.attention_mask, text_mask, target_mask)
            probs = (logits.float() / self.config.temperature).softmax(-1).cpu()
        out = torch.zeros(n_texts, probs.shape[1])
        counts = torch.zeros(n_texts, 1)
        index = torch.tensor(batch.text_index)
        out.index_add_(0, index, probs)
        counts.index_add_(0, index, torch.ones(len(index), 1))
        return out / counts.clamp(min=1)

    def result(self, probs: torch.Tensor) -> StanceResult:
        """The :class:`StanceResult` of one probability row."""
        best = int(probs.argmax())
        labels = self.config.labels
        return StanceResult(
            label=labels[best],  # type: ignore[arg-type]
            score=float(probs[best]),
            probabilities={label: float(p) for label, p in zip(labels, probs.tolist())},
        )

    def passages(
        self, encoder: SharedEncoder, texts: Sequence[str], targets: Sequence[str]
    ) -> list[str]:
        """Each text reduced to what is read for its target (:func:`select_passage`)."""
        return passages_for(encoder, texts, targets, self.config.passage_tokens)

    def stance(
        self,
        encoder: SharedEncoder,
        text: str | list[str],
        target: str | list[str],
        *,
        holder: str | list[str | None] | None = None,
        batch_size: int = 32,
    ) -> StanceResult | list[StanceResult]:
        """What :func:`stance` and :meth:`diplolex.Analyzer.stance` answer: one result for one
        text and target, a list for a list of texts (validated once, by :meth:`predict_pairs`)."""
        single = isinstance(text, str)
        if single and not isinstance(target, str):
            raise TypeError(f"a single text takes a single str target, got {type(target).__name__}")
        results = self.predict_pairs(encoder, text, target, batch_size=batch_size, holders=holder)
        return results[0] if single else results

    def predict_pairs(
        self,
        encoder: SharedEncoder,
        texts: Sequence[str] | str,
        targets: Sequence[str] | str,
        batch_size: int = 32,
        holders: Sequence[str | None] | str | None = None,
    ) -> list[StanceResult]:
        """The stance of each text (held by its holder) towards its target, in batches.

        ``encoder`` is the shared base encoder; a model with its own adapted encoder uses that
        one instead. ``holders``: who takes the stance, one per text (``None`` or
        ``"author"``: the text's own position). A text with no non-space character cannot
        address any target: it is ``unrelated`` with probability 1 without running the model.

        Example:
            >>> model = StanceModel.load()
            >>> model.predict_pairs(SharedEncoder(), ["Iran rejected the deal."], "the deal")
        """
        texts, targets = check_pairs(texts, targets)
        holder_list = check_holders(holders, len(texts))
        encoder = self.encoder or encoder
        results: list[StanceResult | None] = [None] * len(texts)
        live = []
        unrelated = self.config.labels.index("unrelated")
        for i, text in enumerate(texts):
            if text.strip():
                live.append(i)
            else:
                probs = torch.zeros(len(self.config.labels))
                probs[unrelated] = 1.0
                results[i] = self.result(probs)
        passages = self.passages(encoder, [texts[i] for i in live], [targets[i] for i in live])
        if self.config.span_markers:
            passages = [mark_pair(p, targets[i], holder_list[i]) for p, i in zip(passages, live)]
        queries = [pair_query(targets[i], holder_list[i]) for i in live]
        sizes = [
            a + b for a, b in zip(encoder.piece_counts(passages), encoder.piece_counts(queries))
        ]
        for number, chunk in enumerate(length_batches(sizes, batch_size), 1):
            batch = encoder.encode([passages[k] for k in chunk], pairs=[queries[k] for k in chunk])
            for k, row in zip(chunk, self.probabilities(batch, len(chunk))):
                results[live[k]] = self.result(row)
            del batch
            if number % BATCHES_PER_RELEASE == 0:
                release_freed_memory()
        return results  # type: ignore[return-value]


_defaults: dict[str, tuple[SharedEncoder, StanceModel]] = {}
_default_lock = threading.Lock()


def default_model(device: str | None = None) -> tuple[SharedEncoder, StanceModel]:
    """The shared encoder and shipped stance model used by :func:`stance`, one per device."""
    key = device or "cpu"
    with _default_lock:
        if key not in _defaults:
            model = StanceModel.load(device=key)
            encoder = model.encoder or SharedEncoder(key, max_tokens=model.config.max_tokens)
            _defaults[key] = (encoder, model)
        return _defaults[key]


@overload
def stance(
    text: str,
    target: str,
    *,
    holder: str | None = None,
    batch_size: int = 32,
    device: str | None = None,
) -> StanceResult: ...
@overload
def stance(
    text: list[str],
    target: list[str] | str,
    *,
    holder: list[str | None] | str | None = None,
    batch_size: int = 32,
    device: str | None = None,
) -> list[StanceResult]: ...
def stance(text, target, *, holder=None, batch_size=32, device=None):
    """The stance of ``text`` (or of ``holder`` in it) towards ``target``.

    Labels: favor, against, neutral or unrelated. Pass one text and one target for a
    :class:`StanceResult`, or a list of texts with a list of targets (one per text) or one
    target for all, for a list of results (batched). ``holder`` names who takes the stance
    (e.g. ``"Kyiv"``, one per text or one for all); ``None`` reads the text's own position.

    Raises:
        TypeError: a text, target or holder is not a ``str`` (or a list of them).
        ValueError: a target is empty or whitespace, or the lists differ in length.

    Example:
        >>> diplolex.stance("Moscow rejected the ceasefire plan.", "the ceasefire plan").label
        'against'
        >>> texts = ["Moscow rejected the ceasefire plan.",
        ...          "The central bank raised interest rates by half a point on Thursday."]
        >>> [r.label for r in diplolex.stance(texts, "the ceasefire plan")]
        ['against', 'unrelated']
    """
    encoder, model = default_model(device)
    return model.stance(encoder, text, target, holder=holder, batch_size=batch_size)
