"""One LoRA adapter of the shared encoder trained on conditionality and attribution together.

``diplolex train conditionality --part joint``: every step adds, to a conditionality batch
(the records and losses of :mod:`diplolex.tasks.conditionality.adapted`), an attribution
batch: windows of consecutive PolNeAR train sentences (at most 256 word pieces), encoded live
through the same adapter and read by an attribution head
(:mod:`diplolex.tasks.attribution.train`'s tag and pointer losses). So the one shared pass is
adapted for both heads that read it. The epoch is chosen on the sum of both dev selection
scores (DiploCond dev, PolNeAR dev). The output folder holds the conditionality head and the
adapter; ``attribution/`` beside them holds the jointly trained attribution head (with a copy
of the adapter). The attribution head that ships is retrained on the finished encoder
(``diplolex train attribution --encoder-adapter OUT``), which sees every PolNeAR window.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from random import Random

import torch

from diplolex.adapter import copy_adapter, encode_for_training
from diplolex.encoder import SharedEncoder
from diplolex.segment import split_sentences
from diplolex.tasks.attribution.evaluate import AttributionScores
from diplolex.tasks.attribution.features import document_tokens, sentence_states
from diplolex.tasks.attribution.model import AttributionConfig, AttributionHead
from diplolex.tasks.attribution.predict import AttributionModel, encode_documents
from diplolex.tasks.attribution.train import (
    Example as AttributionExample,
)
from diplolex.tasks.attribution.train import (
    compute_loss,
    document_tags,
    evaluate_docs,
    token_relations,
)
from diplolex.tasks.conditionality.adapted import (
    AdaptedConditionality,
    AdaptedSettings,
    LiveExample,
    _length,
    evaluate_live,
    live_training_items,
    save_tuned,
)
from diplolex.tasks.conditionality.evaluate import ConditionalityScores
from diplolex.tasks.conditionality.model import ConditionalityConfig, ConditionalityHead
from diplolex.tasks.conditionality.train import (
    _sample,
    balanced_type_weights,
    batch_loss,
)
from diplolex.training import DevResult, Optimisation, batches, fit_head, seed_everything

JOINT_COMMAND = (
    "diplolex train conditionality --part joint --data ../shared/data --out OUT\n"
    "# this head is OUT/attribution, trained with the adapter"
)


@dataclass
class JointSettings(AdaptedSettings):
    """:class:`AdaptedSettings` plus the attribution side of each step."""

    attribution_windows_per_step: int = 2
    attribution_weight: float = 1.0
    max_train_docs: int | None = None  # the first N PolNeAR train articles (None: all)
    max_dev_docs: int | None = None  # the first N PolNeAR dev articles scored each epoch


@dataclass(frozen=True)
class SentenceWindow:
    """Consecutive sentences ``[first, last)`` of one PolNeAR training article."""

    doc: int
    first: int
    last: int


@dataclass
class PolnearDoc:
    """A training article: its record, sentence bounds and word pieces per sentence."""

    record: dict
    bounds: list[tuple[int, int]]
    pieces: list[int]


def sentence_windows(docs: list[PolnearDoc], budget: int, rng: Random) -> list[SentenceWindow]:
    """Every article cut into runs of whole sentences of at most ``budget`` word pieces (a
    longer sentence alone), starting at a random sentence of the first run."""
    out = []
    for d, doc in enumerate(docs):
        k = rng.randrange(min(len(doc.bounds), 4)) if doc.bounds else 0
        if k:
            out.append(SentenceWindow(d, 0, k))
        while k < len(doc.bounds):
            last, used = k, 0
            while last < len(doc.bounds) and (last == k or used + doc.pieces[last] <= budget):
                used += doc.pieces[last]
                last += 1
            out.append(SentenceWindow(d, k, last))
            k = last
    return out


class JointModel(AdaptedConditionality):
    """The LoRA-wrapped shared encoder with both heads that read its pass."""

    def __init__(
        self,
        encoder: SharedEncoder,
        head: ConditionalityHead,
        attribution: AttributionHead,
        settings: JointSettings,
    ):
        super().__init__(encoder, head, settings.lora)
        self.attribution = attribution

    def attribution_loss(
        self, docs: list[PolnearDoc], windows: list[SentenceWindow], max_tokens: int
    ) -> torch.Tensor:
        """Tag and pointer loss of the attribution head over live-encoded ``windows``."""
        texts = [
            docs[w.doc].record["text"][s:e]
            for w in windows
            for s, e in docs[w.doc].bounds[w.first : w.last]
        ]
        states = sentence_states(encode_for_training(self.shared, self.encoder, texts), len(texts))
        examples, spans, position = [], [], 0
        for i, w in enumerate(windows):
            doc = docs[w.doc]
            count = w.last - w.first
            tokens = document_tokens(
                doc.record["text"],
                doc.bounds[w.first : w.last],
                states[position : position + count],
            )
            position += count
            examples.append(window_example(doc, w, tokens))
            spans.append((i, 0, min(len(tokens.offsets), max_tokens)))
        spans = [s for s in spans if s[2] > 0]
        if not spans:
            return torch.zeros(())
        return compute_loss(self.attribution, examples, spans)


def window_example(doc: PolnearDoc, window: SentenceWindow, tokens) -> AttributionExample:
    """Tags from every relation of the article (those crossing the window's edge tag their
    part inside it); pointers only from relations wholly inside the window."""
    start = doc.bounds[window.first][0]
    end = doc.bounds[window.last - 1][1]

    def inside(span: dict | None) -> bool:
        return span is None or (start <= span["start"] and span["end"] <= end)

    whole = [
        a for a in doc.record["attributions"]
        if all(inside(a[role]) for role in ("cue", "content", "source"))
    ]  # fmt: skip
    return AttributionExample(
        tokens, document_tags(doc.record, tokens), token_relations(whole, tokens)
    )


def polnear_docs(
    encoder: SharedEncoder, data_dir: Path, split: str, limit: int | None
) -> list[PolnearDoc]:
    """PolNeAR articles of ``split`` with their sentences' word-piece counts."""
    from diplolex.corpora.attribution import load_attribution

    records = list(load_attribution(f"polnear-{split}", data_dir))[:limit]
    out = []
    for r in records:
        bounds = split_sentences(r["text"])
        texts = [r["text"][s:e] for s, e in bounds]
        pieces = [len(encoder.tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts]
        out.append(PolnearDoc(r, bounds, pieces))
    return out


def train(
    data_dir: Path,
    out_dir: Path,
    settings: JointSettings | None = None,
    log: Callable[[str], None] = print,
) -> ConditionalityScores:
    """Train the adapter with both heads, keep the best epoch on both dev sets, save."""
    from diplolex.tasks.attribution.card import attribution_card

    settings = settings or JointSettings()
    rng = seed_everything(settings.seed)
    config = ConditionalityConfig()
    attribution_config = AttributionConfig()
    encoder = SharedEncoder(max_tokens=config.max_tokens)
    fixed_items, st1_items, dev = live_training_items(data_dir, settings, encoder, rng, log)
    type_weights = balanced_type_weights([i.example for i in fixed_items])
    articles = polnear_docs(encoder, data_dir, "train", settings.max_train_docs)
    dev_articles = polnear_docs(encoder, data_dir, "dev", settings.max_dev_docs)
    log(f"polnear: {len(articles)} train and {len(dev_articles)} dev articles")

    model = JointModel(
        encoder, ConditionalityHead(config), AttributionHead(attribution_config), settings
    )
    per_epoch = len(fixed_items) + min(settings.st1_sample_per_epoch, len(st1_items))
    log(f"{per_epoch} training sentences an epoch, {len(dev)} dev sentences")
    optimisation = Optimisation.of(settings, per_epoch)
    Step = tuple[list[LiveExample], list[SentenceWindow]]

    def epoch_batches() -> Iterator[Step]:
        items = fixed_items + _sample(st1_items, settings.st1_sample_per_epoch, rng)
        windows = sentence_windows(articles, attribution_config.window_tokens, rng)
        rng.shuffle(windows)
        k = settings.attribution_windows_per_step
        for n, group in enumerate(batches(items, settings.batch_size, rng, _length)):
            yield group, [windows[(n * k + j) % len(windows)] for j in range(k)]

    def loss(step: Step) -> torch.Tensor:
        group, windows = step
        batch = model.encode([i.text for i in group])
        total = batch_loss(model.head, batch, [i.example for i in group], type_weights)
        if windows:
            attribution = model.attribution_loss(
                articles, windows, attribution_config.window_tokens
            )
            total = total + settings.attribution_weight * attribution
        return total

    def evaluate_attribution() -> AttributionScores:
        records = [a.record for a in dev_articles]
        docs = encode_documents(model.shared, [r["text"] for r in records], 64)
        return evaluate_docs(AttributionModel(model.attribution, attribution_config), records, docs)

    def evaluate() -> DevResult[tuple[ConditionalityScores, AttributionScores]]:
        conditionality, _ = evaluate_live(model, config, dev)
        attribution = evaluate_attribution()
        score = conditionality.selection_score() + attribution.selection_score()
        summary = f"{conditionality.summary()} || polnear {attribution.summary()}"
        return DevResult(score, summary, (conditionality, attribution))

    started = time.monotonic()
    epoch, best = fit_head(model, optimisation, epoch_batches, loss, evaluate, log)
    scores = save_tuned(model, config, dev, settings, out_dir, epoch, started, log)
    minutes = (time.monotonic() - started) / 60
    attribution_dir = out_dir / "attribution"
    AttributionModel(model.attribution, attribution_config).save(
        attribution_dir,
        attribution_card(settings, best.scores[1], epoch, minutes, command=JOINT_COMMAND),
    )
    copy_adapter(out_dir, attribution_dir)
    return scores


TrainingSettings = JointSettings
