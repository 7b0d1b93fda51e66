"""Training the conditionality head on diplocond plus auxiliary public corpora.

Corpora and their roles (see docs/models/conditionality.md):

- ``diplocond-train``: every signal (sentence label, spans, cue, type), weight 3 (repeated);
- ``semeval2020t5-st2-train``: spans (condition = antecedent, consequence = consequent) and
  sentence label, for sentences whose antecedent starts with a conditional cue;
- ``semeval2020t5-st1-train``: the counterfactual label only (a fresh sample each epoch);
- ``gum-condition-train``: condition and consequence spans of discourse condition relations.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from diplolex import metrics
from diplolex.encoder import EncodedBatch, SharedEncoder
from diplolex.spans import char_spans_to_bio
from diplolex.tasks.conditionality.augment import synthetic_records
from diplolex.tasks.conditionality.evaluate import ConditionalityScores, score_conditionality
from diplolex.tasks.conditionality.model import (
    CUE_LABELS,
    SPAN_LABELS,
    ConditionalityConfig,
    ConditionalityHead,
)
from diplolex.tasks.conditionality.predict import ConditionalityModel
from diplolex.training import (
    BaseTrainingSettings,
    DevResult,
    Optimisation,
    WindowFeatures,
    batches,
    encode_texts,
    fit_head,
    pad_features,
    pad_tags,
    seed_everything,
)
from diplolex.types import CONDITIONAL_TYPES

UNKNOWN = -1.0


@dataclass
class TrainingSettings(BaseTrainingSettings):
    """What ``diplolex train conditionality`` varies; the defaults reproduce the shipped weights."""

    epochs: int = 8
    diplocond_repeats: int = 3
    diplocond_v2_extra: int = 0  # further repeats of DiploCond's release v2 (diplomatic forms)
    st1_sample_per_epoch: int = 3000
    use_semeval: bool = True
    use_gum: bool = True
    cue_free_negatives: bool = False  # see cue_free_negatives; sampled with subtask 1
    synthetic_per_family: int = 0  # sentences a rare cue family (augment.synthetic_records)


@dataclass
class Example:
    """One training window with all its (possibly unknown) targets."""

    features: WindowFeatures
    span_tags: list[int]
    cue_tags: list[int]
    conditional: float
    counterfactual: float
    constructions: list[tuple[int, list[int], list[int]]]


def _flag(value: bool | None) -> float:
    return UNKNOWN if value is None else float(value)


def make_example(record: dict, features: WindowFeatures) -> Example:
    """Targets for one record: tags where its spans are known, -100 (ignored) elsewhere."""
    offsets = features.offsets
    constructions = [c for c in record["conditionals"] if c["condition"] is not None]
    has_spans = record["spans_complete"] or bool(constructions)
    spans = []
    for c in constructions:
        spans.append(("condition", c["condition"]["start"], c["condition"]["end"]))
        if c["consequence"] is not None:
            spans.append(("consequence", c["consequence"]["start"], c["consequence"]["end"]))
    ignored = [-100] * len(offsets)
    span_tags = char_spans_to_bio(offsets, spans, SPAN_LABELS) if has_spans else ignored
    cues = [("cue", c["cue"]["start"], c["cue"]["end"]) for c in constructions if c["cue"]]
    cue_tags = char_spans_to_bio(offsets, cues, CUE_LABELS) if record["spans_complete"] else ignored

    typed = []
    for c in constructions:
        if c["type"] not in CONDITIONAL_TYPES:
            continue
        cond = _token_positions(offsets, c["condition"])
        cons = _token_positions(offsets, c["consequence"]) if c["consequence"] else []
        if cond:
            typed.append((CONDITIONAL_TYPES.index(c["type"]), cond, cons))
    return Example(
        features,
        span_tags,
        cue_tags,
        _flag(record["conditional"]),
        _flag(record["counterfactual"]),
        typed,
    )


def _token_positions(offsets: list, span: dict) -> list[int]:
    return [
        t
        for t, off in enumerate(offsets)
        if off is not None and off[0] < span["end"] and span["start"] < off[1]
    ]


def balanced_type_weights(examples: list[Example]) -> torch.Tensor:
    """Loss weights of the four types: inverse square root of their frequency, mean 1."""
    counts = Counter(c[0] for e in examples for c in e.constructions)
    weights = torch.tensor([(sum(counts.values()) / max(1, counts[i])) ** 0.5 for i in range(4)])
    return weights / weights.mean()


def compute_loss(
    head: ConditionalityHead, examples: list[Example], type_weights: torch.Tensor
) -> torch.Tensor:
    """Sum of the sentence, counterfactual, span, cue and type losses over known targets."""
    return batch_loss(head, pad_features([e.features for e in examples]), examples, type_weights)


def batch_loss(
    head: ConditionalityHead,
    batch: EncodedBatch,
    examples: list[Example],
    type_weights: torch.Tensor,
) -> torch.Tensor:
    """:func:`compute_loss` on an encoded batch with one window per example, in order."""
    word_mask = batch.word_mask()
    out = head(batch.hidden_states, batch.attention_mask, word_mask)
    length = batch.attention_mask.shape[1]
    losses = []
    for logits, rows, weight in (
        (out.span_logits, [e.span_tags for e in examples], 1.0),
        (out.cue_logits, [e.cue_tags for e in examples], 0.5),
    ):
        tags = pad_tags(rows, length)
        if (tags != -100).any():
            losses.append(weight * F.cross_entropy(logits.flatten(0, 1), tags.flatten()))
    for logit, values, weight in (
        (out.conditional_logit, [e.conditional for e in examples], 1.0),
        (out.counterfactual_logit, [e.counterfactual for e in examples], 0.5),
    ):
        target = torch.tensor(values)
        known = target != UNKNOWN
        if known.any():
            losses.append(weight * F.binary_cross_entropy_with_logits(logit[known], target[known]))
    rows = [(i, c) for i, e in enumerate(examples) for c in e.constructions]
    if rows:
        cond_mask = torch.zeros(len(rows), length, dtype=torch.bool)
        cons_mask = torch.zeros_like(cond_mask)
        for r, (_, (_, cond, cons)) in enumerate(rows):
            cond_mask[r, cond] = True
            cons_mask[r, cons] = True
        index = [i for i, _ in rows]
        logits = head.type_logits(out.states[index], cond_mask, cons_mask, word_mask[index])
        labels = torch.tensor([c[0] for _, c in rows])
        losses.append(F.cross_entropy(logits, labels, weight=type_weights))
    return torch.stack(losses).sum()


def train(
    data_dir: Path,
    out_dir: Path,
    settings: TrainingSettings | None = None,
    log: Callable[[str], None] = print,
) -> ConditionalityScores:
    """Train the head, keep the epoch that scores best on diplocond dev, save it to ``out_dir``.

    Returns the dev scores of the saved model.
    """
    from diplolex.tasks.conditionality.card import conditionality_card

    settings = settings or TrainingSettings()
    rng = seed_everything(settings.seed)
    config = ConditionalityConfig()
    encoder = SharedEncoder(max_tokens=config.max_tokens)

    fixed, st1, dev = training_records(data_dir, settings, log)
    log("encoding training texts with the frozen base model")
    unique = sorted({r["text"] for r in fixed + st1 + dev})
    cache = dict(zip(unique, encode_texts(encoder, unique, log=log)))
    fixed_examples = [make_example(r, cache[r["text"]]) for r in fixed]
    st1_examples = [make_example(r, cache[r["text"]]) for r in st1]
    dev_features = [cache[r["text"]] for r in dev]

    type_weights = balanced_type_weights(fixed_examples)

    head = ConditionalityHead(config)
    per_epoch = len(fixed_examples) + min(settings.st1_sample_per_epoch, len(st1_examples))
    optimisation = Optimisation.of(settings, per_epoch)

    def epoch_batches() -> Iterator[list[Example]]:
        epoch_items = fixed_examples + _sample(st1_examples, settings.st1_sample_per_epoch, rng)
        return batches(epoch_items, settings.batch_size, rng)

    def evaluate() -> DevResult[ConditionalityScores]:
        scores = evaluate_features(ConditionalityModel(head, config), dev_features, dev)
        return DevResult(scores.selection_score(), scores.summary(), scores)

    fit_head(
        head, optimisation, epoch_batches, lambda group: compute_loss(head, group, type_weights),
        evaluate, log,
    )  # fmt: skip
    model = ConditionalityModel(head, config)
    config.threshold = tune_threshold(model, dev_features, dev)
    scores = evaluate_features(model, dev_features, dev)
    log(f"saved model (threshold {config.threshold:.2f}): dev {scores.summary()}")
    model.save(out_dir, conditionality_card(settings, scores))
    return scores


def training_records(
    data_dir: Path, settings: TrainingSettings, log: Callable[[str], None] = print
) -> tuple[list[dict], list[dict], list[dict]]:
    """``(fixed, st1, dev)``: the records every epoch sees (diplocond repeated, SemEval
    subtask 2 conditionals, GUM), SemEval subtask 1 (sampled per epoch) and diplocond dev.

    Evaluation-set texts are left out; corpora other than diplocond are skipped with a log
    line when absent from ``data_dir``.
    """
    from diplolex.corpora.conditionality import load_conditionality
    from diplolex.corpora.stance import load_stance

    def load(
        name: str, optional: bool = False, loader: Callable = load_conditionality
    ) -> list[dict]:
        try:
            records = list(loader(name, data_dir))
        except FileNotFoundError as err:
            if not optional:
                raise
            log(f"{name}: not in {data_dir}, trained without it ({err})")
            return []
        log(f"{name}: {len(records)} records")
        return records

    held_out = _evaluation_texts(data_dir)
    fixed = load("diplocond-train") * settings.diplocond_repeats
    if settings.diplocond_v2_extra:
        fixed += load("diplocond-train-v2") * settings.diplocond_v2_extra
    st1: list[dict] = []
    if settings.use_semeval:
        fixed += [r for r in load("semeval2020t5-st2-train", True) if r["conditional"]]
        st1 = load("semeval2020t5-st1-train", True)
    if settings.use_gum:
        fixed += merge_same_text(load("gum-condition-train", True))
    if settings.cue_free_negatives:  # statements of position (DiploStance) and news
        for name in ("diplostance-train", "newsmtsc-train"):
            texts = [r["text"] for r in load(name, True, load_stance)]
            negatives = cue_free_negatives(texts, name.removesuffix("-train"))
            log(f"  {len(negatives)} cue-free sentences of them as negatives")
            st1 += negatives
    if settings.synthetic_per_family:
        synthetic = synthetic_records(settings.synthetic_per_family, settings.seed)
        log(f"diplocond-synthetic: {len(synthetic)} written sentences of rare cue families")
        fixed += synthetic
    dev = load("diplocond-dev")
    fixed, st1 = _without(fixed, held_out, log), _without(st1, held_out, log)

    return fixed, st1, dev


_ANY_CUE = re.compile(
    r"\b(?:if|unless|until|till|before|once|when|whenever|after|without|otherwise|or|only|"
    r"provided|providing|long|case|event|exchange|return|subject|contingent|conditional|"
    r"conditions?|preconditions?|depend\w*|hinges?|tied|strings|ultimatum|deadline|requir\w*|"
    r"must|demand\w*|had|were|should|would|could|might|lest|whether|else|face)\b",
    re.IGNORECASE,
)


def cue_free_negatives(texts: list[str], corpus: str) -> list[dict]:
    """Negative examples of the sentence flag from other corpora's sentences, where that is
    safe: a sentence free of every word that could open or mark a condition (:data:`_ANY_CUE`,
    deliberately wide) states or asks something outright, so it is not conditional and has
    no construction. DiploCond's negatives are mostly hard ones drawn through cue words;
    without these the flag can learn that a plain statement of position ("X agreed to sign
    the deal") is conditional."""
    unique = dict.fromkeys(t for t in texts if not _ANY_CUE.search(t))
    return [
        {"id": f"{corpus}-negative-{k}", "corpus": corpus, "text": text, "conditional": False,
         "counterfactual": None, "spans_complete": True, "conditionals": []}
        for k, text in enumerate(unique)
    ]  # fmt: skip


def merge_same_text(records: list[dict]) -> list[dict]:
    """One record per sentence: the union of the constructions annotated on it."""
    merged: dict[str, dict] = {}
    for r in records:
        if r["text"] in merged:
            merged[r["text"]]["conditionals"] += r["conditionals"]
        else:
            merged[r["text"]] = {**r, "conditionals": list(r["conditionals"])}
    return list(merged.values())


def _evaluation_texts(data_dir: Path) -> set[str]:
    """Texts of the test and benchmark sets, which training must never see."""
    from diplolex.corpora.conditionality import load_conditionality

    names = ("semeval2020t5-st1-test", "semeval2020t5-st2-test", "diplobench-dev")
    texts: set[str] = set()
    for name in names:
        try:
            texts |= {r["text"].strip() for r in load_conditionality(name, data_dir)}
        except FileNotFoundError:
            continue
    return texts


def _without(records: list[dict], held_out: set[str], log: Callable[[str], None]) -> list[dict]:
    kept = [r for r in records if r["text"].strip() not in held_out]
    if len(kept) < len(records):
        log(f"  left out {len(records) - len(kept)} training records found in evaluation sets")
    return kept


def _sample(items: list, k: int, rng: random.Random) -> list:
    return rng.sample(items, min(k, len(items)))


def predict_features(model: ConditionalityModel, features: list[WindowFeatures], texts: list[str]):
    """Run the model on cached features, 64 windows at a time."""
    out = []
    for b in range(0, len(features), 64):
        out += model.predict(pad_features(features[b : b + 64]), texts[b : b + 64])
    return out


def evaluate_features(
    model: ConditionalityModel, features: list[WindowFeatures], records: list[dict]
) -> ConditionalityScores:
    """Score the model on records whose features are cached."""
    predictions = predict_features(model, features, [r["text"] for r in records])
    return score_conditionality(records, predictions)


def tune_threshold(
    model: ConditionalityModel, features: list[WindowFeatures], records: list[dict]
) -> float:
    """The sentence threshold in 0.30-0.70 that maximises the dev F1 of the conditional class."""
    predictions = predict_features(model, features, [r["text"] for r in records])
    return best_threshold([p.score for p in predictions], records)


def best_threshold(scores: list[float], records: list[dict]) -> float:
    """The threshold in 0.30-0.70 (steps of 0.05) with the best F1 of the conditional class
    on ``records``; ties go to the one nearest 0.5."""
    gold = [bool(r["conditional"]) for r in records]

    def f1(threshold: float) -> float:
        return metrics.binary_prf(gold, [s >= threshold for s in scores]).f1

    return max((t / 100 for t in range(30, 71, 5)), key=lambda t: (f1(t), -abs(t - 0.5)))
