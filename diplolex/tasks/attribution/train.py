"""Training the attribution head on PolNeAR (train split; epochs selected on dev).

Each article is segmented with :func:`diplolex.segment.split_sentences`, its sentences are
encoded once by the frozen base encoder (states kept in memory as float16), and the head is
trained on windows of consecutive sentences' tokens. The loss is the sum of two
cross-entropies:

* tags: one BIO tag per token. Sources and cues are tagged first, then contents in order of
  their start; a token keeps the first tag it gets. So a content that covers its own cue
  (PolNeAR's discontinuous "X," he said, "Y", read as one covering span) is tagged as two
  content pieces around the source and cue.
* pointers: for each gold relation whose cue, content and source lie in the window, the first
  and last token of its content and of its source (or "no source") given its gold cue.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from diplolex.adapter import copy_adapter, merge_adapter
from diplolex.encoder import SharedEncoder
from diplolex.tasks.attribution.evaluate import AttributionScores, score_attribution
from diplolex.tasks.attribution.features import (
    DocumentTokens,
    stack_windows,
    token_shapes,
    window_starts,
)
from diplolex.tasks.attribution.model import (
    LABELS,
    AttributionConfig,
    AttributionHead,
)
from diplolex.tasks.attribution.predict import AttributionModel, encode_documents
from diplolex.training import (
    BaseTrainingSettings,
    DevResult,
    Optimisation,
    fit_head,
    seed_everything,
)


@dataclass
class TrainingSettings(BaseTrainingSettings):
    """What ``diplolex train attribution`` varies; the defaults reproduce the shipped weights
    (with ``encoder_adapter`` set to the shipped conditionality folder)."""

    epochs: int = 4
    batch_size: int = 8  # windows of up to 256 word pieces
    learning_rate: float = 1e-3
    use_shape: bool = True
    head_layers: int = 1
    max_train_docs: int | None = None  # the first N articles of PolNeAR train (None: all)
    cache_dir: str | None = None  # folder of encoded-feature chunks (see load_split)
    encoder_adapter: str | None = None  # a shared-encoder LoRA adapter folder to train on


@dataclass
class Example:
    """One training document: its tokens, one tag per token and its relations as token
    indices ``(cue first, cue last, content first, content last, source first, source last)``
    (the source pair is ``-1, -1`` when there is none)."""

    doc: DocumentTokens
    tags: list[int]
    relations: list[tuple[int, int, int, int, int, int]]


def make_example(record: dict, doc: DocumentTokens) -> Example:
    """The tags and token-index relations of one PolNeAR record."""
    return Example(doc, document_tags(record, doc), token_relations(record["attributions"], doc))


def token_relations(
    attributions: list[dict], doc: DocumentTokens
) -> list[tuple[int, int, int, int, int, int]]:
    """:class:`Example` relations of ``attributions`` whose cue, content and source (when it
    has one) each cover at least one of ``doc``'s tokens."""
    starts = [s for s, _ in doc.offsets]
    ends = [e for _, e in doc.offsets]

    def tokens(span: dict | None) -> tuple[int, int] | None:
        if span is None:
            return -1, -1
        first = bisect.bisect_right(ends, span["start"])
        last = bisect.bisect_left(starts, span["end"]) - 1
        return (first, last) if first <= last else None

    relations = []
    for a in attributions:
        cue, content, source = tokens(a["cue"]), tokens(a["content"]), tokens(a["source"])
        if cue and content and source:
            relations.append((*cue, *content, *source))
    return relations


def document_tags(record: dict, doc: DocumentTokens) -> list[int]:
    """BIO codes (0 = O, ``1 + 2i`` = B, ``2 + 2i`` = I of ``LABELS[i]``) for ``doc``'s tokens.

    See the module docstring for the precedence of overlapping spans; an inside tag that
    follows a token of another role becomes a begin tag.
    """
    spans: list[tuple[str, int, int]] = []
    for role in ("source", "cue"):
        for a in record["attributions"]:
            if a[role] is not None:
                spans.append((role, a[role]["start"], a[role]["end"]))
    contents = sorted((a["content"]["start"], a["content"]["end"]) for a in record["attributions"])
    spans += [("content", s, e) for s, e in contents]
    owner = [-1] * len(doc.offsets)
    span_of = [-1] * len(doc.offsets)
    for k, (label, start, end) in enumerate(spans):
        for t, (s, e) in enumerate(doc.offsets):
            if owner[t] == -1 and s < end and start < e:
                owner[t] = LABELS.index(label)
                span_of[t] = k
    tags = []
    for t in range(len(owner)):
        if owner[t] == -1:
            tags.append(0)
        elif t > 0 and span_of[t - 1] == span_of[t]:
            tags.append(2 + 2 * owner[t])
        else:
            tags.append(1 + 2 * owner[t])
    return tags


def compute_loss(
    head: AttributionHead,
    examples: list[Example],
    windows: list[tuple[int, int, int]],
) -> torch.Tensor:
    """Tag cross-entropy plus pointer cross-entropy over the windows ``(example, start, end)``
    (each a mean over its tokens or its pointers)."""
    states, mask, shapes, starts = stack_windows([e.doc for e in examples], windows)
    logits, hidden = head(states, mask, shapes, starts)
    target = torch.full(mask.shape, -100, dtype=torch.long)
    rows = []
    for i, (d, start, end) in enumerate(windows):
        target[i, : end - start] = torch.tensor(examples[d].tags[start:end])
        for relation in examples[d].relations:
            inside = [k for k in relation if k != -1]
            if start <= min(inside) and max(inside) < end:
                rows.append([i] + [k - start if k != -1 else -1 for k in relation])
    loss = F.cross_entropy(logits.flatten(0, 1), target.flatten(), ignore_index=-100)
    if rows:
        loss = loss + pointer_loss(head, hidden, mask, torch.tensor(rows))
    return loss


def pointer_loss(
    head: AttributionHead, hidden: torch.Tensor, mask: torch.Tensor, rows: torch.Tensor
) -> torch.Tensor:
    """Mean cross-entropy of the four pointers for ``rows`` ``[n, 7]``: window, then the six
    window-relative indices of :class:`Example` relations."""
    logits, no_source = head.point(hidden, mask, rows[:, :3])
    window_tokens = logits.shape[1]
    has_source = rows[:, 5] >= 0
    source_first = torch.where(has_source, rows[:, 5], window_tokens)
    with_null = torch.cat([logits[:, :, 2], no_source[:, None]], dim=1)
    loss = (
        F.cross_entropy(logits[:, :, 0], rows[:, 3])
        + F.cross_entropy(logits[:, :, 1], rows[:, 4])
        + F.cross_entropy(with_null, source_first)
    )
    if has_source.any():
        loss = loss + F.cross_entropy(logits[has_source, :, 3], rows[has_source, 6])
    return loss / 4


def training_windows(
    examples: list[Example], window: int, rng, shift: bool = True
) -> list[tuple[int, int, int]]:
    """Non-overlapping windows over every document, moved by a random shift each epoch."""
    out = []
    for d, e in enumerate(examples):
        n = len(e.tags)
        if n == 0:
            continue
        offset = rng.randrange(window) if shift and n > window else 0
        for s in window_starts(n, window, window, offset):
            out.append((d, s, min(n, s + window)))
    return out


def load_split(
    split: str,
    data_dir: Path,
    encoder: SharedEncoder | None,
    cache_dir: str | None,
    log: Callable[[str], None],
    limit: int | None = None,
) -> tuple[list[dict], list[DocumentTokens]]:
    """PolNeAR records of ``split`` and their encoded tokens (from ``cache_dir`` if there).

    The cache holds chunk files ``<split>-NNNN.pt`` written by :func:`write_cache`.
    """
    from diplolex.corpora.attribution import load_attribution

    records = list(load_attribution(f"polnear-{split}", data_dir))
    if limit is not None:
        records = records[:limit]
    docs: list[DocumentTokens | None] = [None] * len(records)
    if cache_dir:
        index = {r["id"]: i for i, r in enumerate(records)}
        for path in sorted(Path(cache_dir).glob(f"{split}-*.pt")):
            chunk = torch.load(path, weights_only=True)
            for doc_id, states, offsets, sentence in zip(
                chunk["ids"], chunk["states"], chunk["offsets"], chunk["sentence"]
            ):
                if doc_id in index:
                    i = index[doc_id]
                    docs[i] = _rebuild(records[i]["text"], states, offsets, sentence)
    missing = [i for i, d in enumerate(docs) if d is None]
    if missing:
        if encoder is None:
            records = [r for r, d in zip(records, docs) if d is not None]
            docs = [d for d in docs if d is not None]
            log(f"polnear-{split}: {len(records)} cached documents (encoder not loaded)")
            return records, docs  # type: ignore[return-value]
        log(f"polnear-{split}: encoding {len(missing)} documents")
        encoded = encode_documents(encoder, [records[i]["text"] for i in missing], 64, log)
        for i, d in zip(missing, encoded):
            docs[i] = d
    log(f"polnear-{split}: {len(records)} documents, {sum(len(d.offsets) for d in docs)} tokens")  # type: ignore[union-attr]
    return records, docs  # type: ignore[return-value]


def _rebuild(text: str, states, offsets, sentence) -> DocumentTokens:
    offs = [(int(s), int(e)) for s, e in offsets.tolist()]
    sent = [int(k) for k in sentence.tolist()]
    starts = [1 if t == 0 or sent[t - 1] != sent[t] else 0 for t in range(len(sent))]
    shapes = token_shapes(text, offs)
    return DocumentTokens(states, offs, sent, shapes, starts)


def write_cache(docs: list[DocumentTokens], ids: list[str], path: Path) -> None:
    """Save encoded documents (float16 states, offsets, sentence index) for :func:`load_split`."""
    torch.save(
        {
            "ids": ids,
            "states": [d.states for d in docs],
            "offsets": [torch.tensor(d.offsets, dtype=torch.int32).reshape(-1, 2) for d in docs],
            "sentence": [torch.tensor(d.sentence, dtype=torch.int32) for d in docs],
        },
        path,
    )


def train(
    data_dir: Path,
    out_dir: Path,
    settings: TrainingSettings | None = None,
    log: Callable[[str], None] = print,
) -> AttributionScores:
    """Train the head, keep the epoch that scores best on PolNeAR dev, save it to ``out_dir``.

    Returns the dev scores of the saved model.
    """
    from diplolex.tasks.attribution.card import attribution_card

    settings = settings or TrainingSettings()
    rng = seed_everything(settings.seed)
    config = AttributionConfig(use_shape=settings.use_shape, head_layers=settings.head_layers)
    started = time.monotonic()
    encoder = SharedEncoder(max_tokens=config.max_tokens)
    if settings.encoder_adapter:
        merge_adapter(encoder.model, settings.encoder_adapter)
        log(f"encoder: base + the adapter of {settings.encoder_adapter}")
    train_records, train_docs = load_split(
        "train", data_dir, encoder, settings.cache_dir, log, settings.max_train_docs
    )
    dev_records, dev_docs = load_split("dev", data_dir, encoder, settings.cache_dir, log)
    encoded_at = time.monotonic()
    log(f"features ready in {encoded_at - started:.0f}s")
    examples = [make_example(r, d) for r, d in zip(train_records, train_docs)]

    head = AttributionHead(config)
    per_epoch = len(training_windows(examples, config.window_tokens, rng, shift=False))
    optimisation = Optimisation.of(settings, per_epoch)

    def epoch_batches() -> list[list[tuple[int, int, int]]]:
        windows = training_windows(examples, config.window_tokens, rng)
        rng.shuffle(windows)
        size = settings.batch_size
        return [windows[b : b + size] for b in range(0, len(windows), size)]

    def evaluate() -> DevResult[AttributionScores]:
        scores = evaluate_docs(AttributionModel(head, config), dev_records, dev_docs)
        return DevResult(scores.selection_score(), scores.summary(), scores)

    def save(epoch: int, result: DevResult[AttributionScores]) -> None:
        minutes = (time.monotonic() - started) / 60
        card = attribution_card(settings, result.scores, epoch, minutes)
        AttributionModel(head, config).save(out_dir, card)
        log(f"  saved epoch {epoch} to {out_dir}")

    epoch, best = fit_head(
        head, optimisation, epoch_batches, lambda w: compute_loss(head, examples, w), evaluate,
        log, on_improved=save,
    )  # fmt: skip
    minutes = (time.monotonic() - started) / 60
    log(f"saved epoch {epoch} after {minutes:.1f} min: dev {best.summary}")
    AttributionModel(head, config).save(
        out_dir, attribution_card(settings, best.scores, epoch, minutes)
    )
    if settings.encoder_adapter:  # the folder carries the encoder it was trained on
        copy_adapter(settings.encoder_adapter, out_dir)
    return best.scores


def evaluate_docs(
    model: AttributionModel, records: list[dict], docs: list[DocumentTokens]
) -> AttributionScores:
    """Score the model on records whose documents are already encoded."""
    texts = [r["text"] for r in records]
    return score_attribution(records, model.predict_tokens(texts, docs))
