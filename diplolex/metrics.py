"""Scorers for the three analyses and for the public benchmarks diplolex reports on.

Conventions shared by every function here:

* A span is a ``(start, end)`` pair of character offsets, ``[start, end)`` with the end
  excluded, into the text of its item; a *labelled span* is ``(label, start, end)``.
* Scorers take gold first, prediction second, one entry per item (sentence or document);
  gold and prediction of different lengths raise :class:`ValueError`.
* A ratio whose denominator is zero is ``0.0`` (empty input scores 0.0, never a
  ``ZeroDivisionError``).
* Token overlap is computed over the tokens of :func:`tokenize_with_offsets`
  (``TOKEN_PATTERN``: a run of word characters, or one character that is neither a word
  character nor whitespace). A token belongs to a span when it shares at least one character
  with it, so a span that cuts a word in two still covers that word.
* Results with several figures are frozen dataclasses with ``to_dict()``; single figures are
  floats, as fractions in ``[0, 1]`` except :attr:`FNC1Result.relative` (a percentage).

Everything is pure Python and numpy; scikit-learn is not needed (the tests cross-check the
classification scorers against it).
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

__all__ = [
    "FNC1_LABEL_MAP",
    "PRF",
    "TOKEN_PATTERN",
    "FNC1Result",
    "SemEvalTask5Result",
    "accuracy",
    "binary_prf",
    "bootstrap_ci",
    "f_avg",
    "fnc1_score",
    "macro_f1",
    "per_class_f1",
    "per_class_prf",
    "relation_prf",
    "semeval2020_task5_subtask2",
    "span_prf_exact",
    "span_prf_overlap_binary",
    "span_token_f1",
    "tokenize_with_offsets",
]

SpanTuple = tuple[int, int]
LabelledSpan = tuple[str, int, int]
Relation = tuple[SpanTuple | None, ...]

TOKEN_PATTERN = re.compile(r"\w+|[^\w\s]")
"""Tokens for overlap scoring: a run of word characters, or a single other non-space character."""

FNC1_LABEL_MAP: dict[str, str] = {
    "favor": "agree",
    "against": "disagree",
    "neutral": "discuss",
    "unrelated": "unrelated",
    "agree": "agree",
    "disagree": "disagree",
    "discuss": "discuss",
}
"""diplolex stance labels (and FNC-1's own names) -> FNC-1 labels, matched case-insensitively."""

_FNC1_RELATED = frozenset({"agree", "disagree", "discuss"})


# ---------------------------------------------------------------------------
# Result types


@dataclass(frozen=True)
class PRF:
    """Precision, recall and F1 with the counts they come from.

    ``precision = tp / (tp + fp)``, ``recall = tp / (tp + fn)``,
    ``f1 = 2 * precision * recall / (precision + recall)``; each is 0.0 when its
    denominator is 0. What ``tp``, ``fp`` and ``fn`` count (items, spans, tokens,
    relations) depends on the scorer that built it.
    """

    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int

    @classmethod
    def from_counts(cls, tp: int, fp: int, fn: int) -> PRF:
        """Build from counts.

        Example:
            >>> PRF.from_counts(tp=2, fp=1, fn=1).f1
            0.6666666666666666
        """
        precision = _ratio(tp, tp + fp)
        recall = _ratio(tp, tp + fn)
        f1 = _ratio(2 * precision * recall, precision + recall)
        return cls(precision, recall, f1, tp, fp, fn)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of the six fields."""
        return asdict(self)


@dataclass(frozen=True)
class FNC1Result:
    """FNC-1 weighted score: ``score`` of the predictions, ``max_score`` of gold against itself,
    and ``relative = 100 * score / max_score`` (0.0 when ``max_score`` is 0)."""

    score: float
    max_score: float
    relative: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of the three fields."""
        return asdict(self)


@dataclass(frozen=True)
class SemEvalTask5Result:
    """SemEval-2020 Task 5 subtask 2 (antecedent and consequent extraction) figures.

    All are fractions in ``[0, 1]`` averaged over sentences (the official scorer prints them
    times 100). See :func:`semeval2020_task5_subtask2` for the rules.

    Attributes:
        exact_match: official: antecedent and consequent offsets both equal gold.
        precision: official, mean over sentences of the pooled word precision.
        recall: official, mean over sentences of the pooled word recall.
        f1: official, mean over sentences of the pooled word F1.
        antecedent_exact_match: antecedent offsets equal gold.
        antecedent_f1: mean word F1 of the antecedent alone.
        consequent_exact_match: consequent offsets equal gold, or both are None.
        consequent_f1: mean word F1 of the consequent alone (both None -> 1, one None -> 0).
        f1_mean_of_parts: ``(antecedent_f1 + consequent_f1) / 2``; not an official figure.
        n: number of sentences.
    """

    exact_match: float
    precision: float
    recall: float
    f1: float
    antecedent_exact_match: float
    antecedent_f1: float
    consequent_exact_match: float
    consequent_f1: float
    f1_mean_of_parts: float
    n: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of all fields."""
        return asdict(self)


# ---------------------------------------------------------------------------
# Helpers


def _ratio(num: float, den: float) -> float:
    return float(num) / den if den else 0.0


def _check_lengths(**named: Sequence[Any]) -> int:
    lengths = {name: len(seq) for name, seq in named.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{name}={n}" for name, n in lengths.items())
        raise ValueError(f"inputs must have one entry per item, got lengths {shown}")
    return next(iter(lengths.values()), 0)


class _Tokens:
    """Token offsets of one text, with lookups of the tokens a span covers."""

    def __init__(self, text: str) -> None:
        self.text = text
        offsets = tokenize_with_offsets(text)
        self.starts = [s for s, _ in offsets]
        self.ends = [e for _, e in offsets]

    def covered(self, span: SpanTuple) -> range:
        """Indices of the tokens sharing at least one character with ``span``."""
        start, end = _check_span(span, self.text)
        first = bisect.bisect_right(self.ends, start)  # first token ending after start
        stop = bisect.bisect_left(self.starts, end)  # first token starting at or after end
        return range(first, max(first, stop))


def _check_span(span: Sequence[int], text: str) -> SpanTuple:
    start, end = span
    if not 0 <= start <= end <= len(text):
        raise ValueError(
            f"span ({start}, {end}) is not a valid [start, end) range in a text of "
            f"{len(text)} chars: {text[:60]!r}"
        )
    return int(start), int(end)


def _shared(a: range, b: range) -> int:
    return max(0, min(a.stop, b.stop) - max(a.start, b.start))


def _greedy_match(n_pred: int, n_gold: int, candidates: list[tuple[Any, int, int]]) -> int:
    """One-to-one greedy matching: take candidate ``(key, i_pred, j_gold)`` pairs in ascending
    ``key`` order, keeping a pair when both sides are still free. Returns the number kept."""
    used_pred = [False] * n_pred
    used_gold = [False] * n_gold
    matched = 0
    for _, i, j in sorted(candidates):
        if not used_pred[i] and not used_gold[j]:
            used_pred[i] = used_gold[j] = True
            matched += 1
    return matched


def _multiset_tp(gold: Collection[Hashable], pred: Collection[Hashable]) -> int:
    return sum((Counter(gold) & Counter(pred)).values())


def _span_sort_key(span: Sequence[int] | None) -> tuple[int, int]:
    return (-1, -1) if span is None else (int(span[0]), int(span[1]))


# ---------------------------------------------------------------------------
# Tokens


def tokenize_with_offsets(text: str) -> list[tuple[int, int]]:
    """Split ``text`` into tokens and return their ``[start, end)`` character offsets.

    A token is a maximal run of word characters (``\\w+``: letters, digits, underscore, in
    any script) or a single character that is neither a word character nor whitespace
    (punctuation, symbols). Whitespace separates tokens and belongs to none.

    Args:
        text: The text to tokenise.

    Returns:
        One ``(start, end)`` pair per token, in text order.

    Example:
        >>> tokenize_with_offsets("Kyiv's offer, if any.")
        [(0, 4), (4, 5), (5, 6), (7, 12), (12, 13), (14, 16), (17, 20), (20, 21)]
    """
    return [m.span() for m in TOKEN_PATTERN.finditer(text)]


# ---------------------------------------------------------------------------
# Classification


def binary_prf(gold: Sequence[bool], pred: Sequence[bool]) -> PRF:
    """Precision, recall and F1 of the positive class of a binary decision.

    Items are compared by truth value (``bool(x)``): ``tp`` counts gold and pred both true,
    ``fp`` pred true and gold false, ``fn`` gold true and pred false.

    Args:
        gold: Gold decisions, one per item.
        pred: Predicted decisions, one per item.

    Returns:
        :class:`PRF` over items.

    Raises:
        ValueError: If the two sequences differ in length.

    Example:
        >>> binary_prf([True, True, False, False], [True, False, True, False]).to_dict()
        {'precision': 0.5, 'recall': 0.5, 'f1': 0.5, 'tp': 1, 'fp': 1, 'fn': 1}
    """
    _check_lengths(gold=gold, pred=pred)
    tp = fp = fn = 0
    for g, p in zip(gold, pred, strict=True):
        g, p = bool(g), bool(p)
        tp += g and p
        fp += p and not g
        fn += g and not p
    return PRF.from_counts(tp, fp, fn)


def accuracy(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> float:
    """Fraction of items whose predicted label equals the gold label (0.0 for no items).

    Example:
        >>> accuracy(["favor", "against", "neutral"], ["favor", "neutral", "neutral"])
        0.6666666666666666
    """
    n = _check_lengths(gold=gold, pred=pred)
    return _ratio(sum(g == p for g, p in zip(gold, pred, strict=True)), n)


def per_class_prf(
    gold: Sequence[Hashable], pred: Sequence[Hashable], labels: Sequence[Hashable] | None = None
) -> dict[Hashable, PRF]:
    """One-vs-rest precision, recall and F1 of each label.

    For label ``c``: ``tp`` counts items with gold ``c`` and pred ``c``, ``fp`` pred ``c`` and
    gold not ``c``, ``fn`` gold ``c`` and pred not ``c``. A label absent from both gold and pred
    scores 0.0 (scikit-learn's ``zero_division=0``).

    Args:
        gold: Gold labels, one per item.
        pred: Predicted labels, one per item.
        labels: The labels to report, in this order; default: every label in gold or pred,
            sorted.

    Returns:
        ``{label: PRF}``.

    Example:
        >>> per_class_prf(["favor", "against"], ["favor", "favor"])["favor"].precision
        0.5
    """
    _check_lengths(gold=gold, pred=pred)
    if labels is None:
        labels = sorted({*gold, *pred}, key=str)
    out: dict[Hashable, PRF] = {}
    for c in labels:
        tp = sum(g == c and p == c for g, p in zip(gold, pred, strict=True))
        n_pred = sum(p == c for p in pred)
        n_gold = sum(g == c for g in gold)
        out[c] = PRF.from_counts(tp, n_pred - tp, n_gold - tp)
    return out


def per_class_f1(
    gold: Sequence[Hashable], pred: Sequence[Hashable], labels: Sequence[Hashable] | None = None
) -> dict[Hashable, float]:
    """F1 of each label, one-vs-rest, as in :func:`per_class_prf`.

    Example:
        >>> per_class_f1(["favor", "against"], ["favor", "favor"], ["favor", "against"])
        {'favor': 0.6666666666666666, 'against': 0.0}
    """
    return {c: prf.f1 for c, prf in per_class_prf(gold, pred, labels).items()}


def macro_f1(
    gold: Sequence[Hashable], pred: Sequence[Hashable], labels: Sequence[Hashable] | None = None
) -> float:
    """Unweighted mean of the per-label F1 of :func:`per_class_f1` over ``labels``.

    Equals scikit-learn's ``f1_score(gold, pred, labels=labels, average="macro",
    zero_division=0)``. A label in ``labels`` that occurs in neither gold nor pred counts
    as F1 0.0; labels not in ``labels`` are ignored (their items still count as errors for
    the listed labels they were confused with). 0.0 for no labels.

    Example:
        >>> macro_f1(["favor", "against"], ["favor", "favor"], ["favor", "against"])
        0.3333333333333333
    """
    scores = list(per_class_f1(gold, pred, labels).values())
    return _ratio(sum(scores), len(scores))


def _stance_label(label: Any) -> str:
    text = str(label).strip().lower()
    return "neutral" if text == "none" else text


def f_avg(gold: Sequence[str], pred: Sequence[str]) -> float:
    """SemEval-2016 Task 6 ``F_avg``: the mean of F1(favor) and F1(against).

    Follows the official ``eval.pl``: over all items pooled, for each of the two classes
    ``precision = tp / n_pred``, ``recall = tp / n_gold`` (0 when the count is 0) and
    ``F = 2PR / (P + R)`` (0 when ``P + R`` is 0); then ``F_avg = (F_favor + F_against) / 2``.
    Neutral (or any other label) items count only as misses or false alarms of the two
    classes. Labels are matched case-insensitively and SemEval's ``NONE`` reads as
    ``neutral``, so ``FAVOR/AGAINST/NONE`` work as well as ``favor/against/neutral``.

    Args:
        gold: Gold stance labels, one per item.
        pred: Predicted stance labels, one per item.

    Returns:
        ``F_avg`` in ``[0, 1]`` (0.0 for no items).

    Example:
        >>> f_avg(["FAVOR", "AGAINST", "NONE"], ["favor", "against", "favor"])
        0.8333333333333333
    """
    scores = per_class_f1(
        [_stance_label(g) for g in gold], [_stance_label(p) for p in pred], ["favor", "against"]
    )
    return (scores["favor"] + scores["against"]) / 2


def _fnc1_label(label: Any) -> str:
    key = str(label).strip().lower()
    if key not in FNC1_LABEL_MAP:
        raise ValueError(
            f"unknown FNC-1 stance label {label!r}: use one of favor/against/neutral/unrelated "
            "or agree/disagree/discuss/unrelated"
        )
    return FNC1_LABEL_MAP[key]


def _fnc1_raw(gold: Sequence[str], pred: Sequence[str]) -> float:
    score = 0.0
    for g, p in zip(gold, pred, strict=True):
        if g == p:
            score += 0.25
            if g != "unrelated":
                score += 0.50
        if g in _FNC1_RELATED and p in _FNC1_RELATED:
            score += 0.25
    return score


def fnc1_score(gold: Sequence[str], pred: Sequence[str]) -> FNC1Result:
    """The official FNC-1 weighted score (``scorer.py`` of the Fake News Challenge).

    Per (headline, body) pair:

    * +0.25 when the related/unrelated split is right: gold and pred both ``unrelated``, or
      both in {agree, disagree, discuss};
    * a further +0.75 when gold is related and pred is exactly the gold label.

    So a pair scores 1.0 (related, exact), 0.25 (related, wrong related label; or unrelated,
    right) or 0.0 (split wrong). ``max_score`` is the score of gold against itself and
    ``relative = 100 * score / max_score``. Labels may be FNC-1's or diplolex's, mixed
    freely, case-insensitive: favor -> agree, against -> disagree, neutral -> discuss,
    unrelated -> unrelated (:data:`FNC1_LABEL_MAP`).

    Args:
        gold: Gold labels, one per pair.
        pred: Predicted labels, one per pair.

    Returns:
        :class:`FNC1Result` (all 0.0 for no pairs).

    Raises:
        ValueError: On a label outside the map, or lengths that differ.

    Example:
        >>> fnc1_score(["favor", "unrelated"], ["against", "unrelated"]).to_dict()
        {'score': 0.5, 'max_score': 1.25, 'relative': 40.0}
    """
    _check_lengths(gold=gold, pred=pred)
    g = [_fnc1_label(x) for x in gold]
    p = [_fnc1_label(x) for x in pred]
    score = _fnc1_raw(g, p)
    max_score = _fnc1_raw(g, g)
    return FNC1Result(score, max_score, _ratio(100.0 * score, max_score))


# ---------------------------------------------------------------------------
# Spans


def span_prf_exact(
    gold: Sequence[Collection[Hashable]], pred: Sequence[Collection[Hashable]]
) -> PRF:
    """Exact-match span P/R/F1, micro over items.

    Each item holds a collection of labelled spans ``(label, start, end)`` (any hashable
    tuples work, e.g. bare ``(start, end)``). A predicted span is a true positive iff an
    identical tuple is in the same item's gold and not yet matched (each gold span matches
    at most once; with duplicates, ``tp`` is the multiset intersection). ``fp`` = predicted
    spans - ``tp``, ``fn`` = gold spans - ``tp``, all summed over items.

    Args:
        gold: Per item, the gold labelled spans.
        pred: Per item, the predicted labelled spans.

    Returns:
        :class:`PRF` over spans.

    Example:
        >>> span_prf_exact([{("cue", 0, 2), ("condition", 0, 10)}],
        ...                [{("cue", 0, 2), ("condition", 0, 9)}]).to_dict()
        {'precision': 0.5, 'recall': 0.5, 'f1': 0.5, 'tp': 1, 'fp': 1, 'fn': 1}
    """
    _check_lengths(gold=gold, pred=pred)
    tp = fp = fn = 0
    for g, p in zip(gold, pred, strict=True):
        hits = _multiset_tp(g, p)
        tp += hits
        fp += len(p) - hits
        fn += len(g) - hits
    return PRF.from_counts(tp, fp, fn)


def span_prf_overlap_binary(
    gold: Sequence[Collection[LabelledSpan]],
    pred: Sequence[Collection[LabelledSpan]],
    texts: Sequence[str],
) -> PRF:
    """Lenient span P/R/F1 (the PARC 3.0 "overlap" convention), micro over items.

    In each item, a predicted ``(label, start, end)`` and a gold span can match when they
    have the same label and share at least one token of the item's text
    (:func:`tokenize_with_offsets`; identical offsets always can). Matching is one-to-one and
    greedy, best pair first: identical spans first, then by the number of shared tokens
    (descending), then by the pair's total token count (ascending), then by the spans'
    sorted order. ``tp`` = matched pairs, ``fp`` = unmatched predicted spans, ``fn`` =
    unmatched gold spans; so precision = matched pred / pred and recall = matched gold /
    gold.

    Args:
        gold: Per item, the gold labelled spans.
        pred: Per item, the predicted labelled spans.
        texts: Per item, the text the offsets index.

    Returns:
        :class:`PRF` over spans.

    Raises:
        ValueError: On lengths that differ or a span outside its text.

    Example:
        >>> text = "Moscow will talk if the shelling stops."
        >>> span_prf_overlap_binary([{("condition", 17, 38)}], [{("condition", 20, 32)}],
        ...                         [text]).f1
        1.0
    """
    _check_lengths(gold=gold, pred=pred, texts=texts)
    tp = fp = fn = 0
    for g_item, p_item, text in zip(gold, pred, texts, strict=True):
        toks = _Tokens(text)
        g_spans = sorted(g_item)
        p_spans = sorted(p_item)
        g_cov = [toks.covered(s[1:]) for s in g_spans]
        p_cov = [toks.covered(s[1:]) for s in p_spans]
        candidates = []
        for i, (p, pc) in enumerate(zip(p_spans, p_cov, strict=True)):
            for j, (g, gc) in enumerate(zip(g_spans, g_cov, strict=True)):
                if p[0] != g[0]:
                    continue
                identical = tuple(p) == tuple(g)
                shared = _shared(pc, gc)
                if identical or shared > 0:
                    candidates.append(((not identical, -shared, len(pc) + len(gc)), i, j))
        hits = _greedy_match(len(p_spans), len(g_spans), candidates)
        tp += hits
        fp += len(p_spans) - hits
        fn += len(g_spans) - hits
    return PRF.from_counts(tp, fp, fn)


def span_token_f1(
    gold: Sequence[Collection[LabelledSpan]],
    pred: Sequence[Collection[LabelledSpan]],
    texts: Sequence[str],
) -> PRF:
    """Token-level soft span P/R/F1, micro over items and labels.

    In each item and for each label, ``G`` is the set of tokens covered by the gold spans of
    that label and ``P`` the set covered by the predicted ones (a token covered twice counts
    once). Summed over items and labels: ``tp = |P ∩ G|``, ``fp = |P - G|``,
    ``fn = |G - P|``; so precision = shared tokens / predicted tokens and recall = shared
    tokens / gold tokens. Tokens are those of :func:`tokenize_with_offsets`.

    Args:
        gold: Per item, the gold labelled spans.
        pred: Per item, the predicted labelled spans.
        texts: Per item, the text the offsets index.

    Returns:
        :class:`PRF` whose counts are tokens.

    Raises:
        ValueError: On lengths that differ or a span outside its text.

    Example:
        >>> text = "Moscow will talk if the shelling stops."
        >>> span_token_f1([{("condition", 17, 38)}], [{("condition", 12, 32)}], [text]).to_dict()
        {'precision': 0.75, 'recall': 0.75, 'f1': 0.75, 'tp': 3, 'fp': 1, 'fn': 1}
    """
    _check_lengths(gold=gold, pred=pred, texts=texts)
    tp = fp = fn = 0
    for g_item, p_item, text in zip(gold, pred, texts, strict=True):
        toks = _Tokens(text)
        g_by_label: dict[str, set[int]] = {}
        p_by_label: dict[str, set[int]] = {}
        for spans, by_label in ((g_item, g_by_label), (p_item, p_by_label)):
            for label, start, end in spans:
                by_label.setdefault(label, set()).update(toks.covered((start, end)))
        for label in g_by_label.keys() | p_by_label.keys():
            g_set = g_by_label.get(label, set())
            p_set = p_by_label.get(label, set())
            shared = len(g_set & p_set)
            tp += shared
            fp += len(p_set) - shared
            fn += len(g_set) - shared
    return PRF.from_counts(tp, fp, fn)


def relation_prf(
    gold: Sequence[Collection[Relation]],
    pred: Sequence[Collection[Relation]],
    texts: Sequence[str] | None = None,
    mode: Literal["exact", "overlap"] = "exact",
) -> PRF:
    """P/R/F1 of relations such as attributions ``(source | None, cue, content)``.

    A relation is a tuple of role spans, each ``(start, end)`` or ``None`` (e.g. an
    unexpressed source). A predicted relation matches a gold one of the same item when every
    role matches:

    * ``mode="exact"``: identical offsets, and ``None`` only with ``None``;
    * ``mode="overlap"``: both ``None``, or both spans with identical offsets or at least
      one shared token of the item's text (:func:`tokenize_with_offsets`). A ``None`` never
      matches a span.

    Matching is one-to-one and greedy, best pair first: identical relations first, then by
    total shared tokens over the roles (descending), then by the spans' sorted order.
    ``tp`` = matched pairs, ``fp`` = unmatched predictions, ``fn`` = unmatched gold, summed
    over items.

    Args:
        gold: Per item, the gold relations.
        pred: Per item, the predicted relations.
        texts: Per item, the text the offsets index; required for ``mode="overlap"``.
        mode: ``"exact"`` or ``"overlap"``.

    Returns:
        :class:`PRF` over relations.

    Raises:
        ValueError: On an unknown mode, missing texts for overlap, lengths that differ,
            relations of different arity, or a span outside its text.

    Example:
        >>> text = "It was reported that talks stalled."
        >>> gold = [[(None, (3, 15), (21, 34))]]
        >>> relation_prf(gold, [[(None, (7, 15), (21, 34))]]).f1
        0.0
        >>> relation_prf(gold, [[(None, (7, 15), (21, 34))]], [text], mode="overlap").f1
        1.0
    """
    if mode not in ("exact", "overlap"):
        raise ValueError(f"mode must be 'exact' or 'overlap', got {mode!r}")
    if mode == "overlap" and texts is None:
        raise ValueError("mode='overlap' needs texts: token overlap is counted in each item text")
    if texts is None:
        _check_lengths(gold=gold, pred=pred)
    else:
        _check_lengths(gold=gold, pred=pred, texts=texts)

    def norm(rel: Relation) -> tuple[SpanTuple | None, ...]:
        return tuple(None if r is None else (int(r[0]), int(r[1])) for r in rel)

    def sort_key(rel: tuple[SpanTuple | None, ...]) -> tuple[tuple[int, int], ...]:
        return tuple(_span_sort_key(r) for r in rel)

    tp = fp = fn = 0
    for k, (g_item, p_item) in enumerate(zip(gold, pred, strict=True)):
        g_rels = sorted((norm(r) for r in g_item), key=sort_key)
        p_rels = sorted((norm(r) for r in p_item), key=sort_key)
        arities = {len(r) for r in (*g_rels, *p_rels)}
        if len(arities) > 1:
            raise ValueError(f"item {k}: relations have different numbers of roles {arities}")
        if mode == "exact":
            hits = _multiset_tp(g_rels, p_rels)
        else:
            assert texts is not None
            toks = _Tokens(texts[k])
            g_cov = [[None if r is None else toks.covered(r) for r in rel] for rel in g_rels]
            p_cov = [[None if r is None else toks.covered(r) for r in rel] for rel in p_rels]
            candidates = []
            for i, (p, pc) in enumerate(zip(p_rels, p_cov, strict=True)):
                for j, (g, gc) in enumerate(zip(g_rels, g_cov, strict=True)):
                    total = 0
                    ok = True
                    for pr, gr, prc, grc in zip(p, g, pc, gc, strict=True):
                        if pr is None or gr is None:
                            ok = pr is None and gr is None
                        else:
                            assert prc is not None and grc is not None
                            shared = _shared(prc, grc)
                            ok = shared > 0 or pr == gr
                            total += shared
                        if not ok:
                            break
                    if ok:
                        candidates.append(((p != g, -total), i, j))
            hits = _greedy_match(len(p_rels), len(g_rels), candidates)
        tp += hits
        fp += len(p_rels) - hits
        fn += len(g_rels) - hits
    return PRF.from_counts(tp, fp, fn)


# ---------------------------------------------------------------------------
# SemEval-2020 Task 5, subtask 2


def _words(text: str, span: SpanTuple | None) -> int:
    return 0 if span is None else len(text[span[0] : span[1]].split())


def _shared_words(text: str, a: SpanTuple | None, b: SpanTuple | None) -> int:
    if a is None or b is None:
        return 0
    start, end = max(a[0], b[0]), min(a[1], b[1])
    return len(text[start:end].split()) if start < end else 0


def _word_f1(text: str, pred: SpanTuple | None, gold: SpanTuple | None) -> float:
    if pred is None and gold is None:
        return 1.0
    shared = _shared_words(text, pred, gold)
    p = _ratio(shared, _words(text, pred))
    r = _ratio(shared, _words(text, gold))
    return _ratio(2 * p * r, p + r)


def semeval2020_task5_subtask2(
    gold: Sequence[tuple[SpanTuple, SpanTuple | None]],
    pred: Sequence[tuple[SpanTuple | None, SpanTuple | None]],
    texts: Sequence[str],
) -> SemEvalTask5Result:
    """SemEval-2020 Task 5 subtask 2 scores: antecedent and consequent extraction.

    Each sentence has one ``(antecedent, consequent)`` pair of ``[start, end)`` spans; the
    consequent may be ``None`` (the official CSV writes ``-1``). Words are whitespace-split
    (``str.split()``) pieces of a span's text, and the words two spans share are those of
    the text in the intersection of their character ranges (so a piece of a cut word
    counts as a word), as in the organisers' scorer (``metrics_task2`` / ``evaluate2``).

    Official figures, each a mean over sentences:

    * ``exact_match``: 1 when the predicted antecedent and consequent offsets both equal
      gold's (a ``None`` consequent must be predicted ``None``), else 0.
    * ``precision``, ``recall``, ``f1``: antecedent and consequent are pooled per sentence:
      ``shared = shared_words(ante) + shared_words(cons)``; ``precision = shared /
      (pred words of ante + cons)``, ``recall = shared / (gold words of ante + cons)`` (a
      ``None`` consequent has 0 words and shares none); F1 from these; all 0 when
      ``shared`` is 0. A prediction whose antecedent is ``None`` or empty
      (``start == end``) scores 0 for the sentence, as the official format check rejects it.

    Per-part figures (not printed by the official scorer), each a mean over sentences:

    * ``antecedent_exact_match`` / ``consequent_exact_match``: that part's offsets equal
      gold's (for the consequent, both ``None`` also counts);
    * ``antecedent_f1`` / ``consequent_f1``: word F1 of that part alone, with the same word
      counting; both ``None`` -> 1.0, exactly one ``None`` -> 0.0;
    * ``f1_mean_of_parts = (antecedent_f1 + consequent_f1) / 2``.

    Differences from the official script: its CSV end ids are inclusive while it slices
    ``sentence[start:end_id]``, dropping each span's last character, so a span whose last
    word is one character long loses that word there but not here (a converter from the
    official CSV adds 1 to the end ids); its ``evaluate2`` returns recall and precision in
    each other's place, so the "precision" it prints is the recall (F1 is unaffected).

    Args:
        gold: Per sentence, ``(antecedent, consequent | None)``.
        pred: Per sentence, ``(antecedent | None, consequent | None)``.
        texts: Per sentence, its text.

    Returns:
        :class:`SemEvalTask5Result` with fractions in ``[0, 1]`` (all 0.0 for no sentences).

    Raises:
        ValueError: On lengths that differ, a gold antecedent that is ``None``, or a span
            outside its text.

    Example:
        >>> text = "Had the envoy stayed, the talks would have continued."
        >>> r = semeval2020_task5_subtask2([((0, 20), (22, 52))], [((0, 20), (22, 31))], [text])
        >>> r.exact_match, round(r.f1, 4)
        (0.0, 0.8)
    """
    n = _check_lengths(gold=gold, pred=pred, texts=texts)
    sums = dict.fromkeys(
        ("em", "p", "r", "f1", "a_em", "a_f1", "c_em", "c_f1"),
        0.0,
    )
    for k, ((g_ante, g_cons), (p_ante, p_cons), text) in enumerate(
        zip(gold, pred, texts, strict=True)
    ):
        if g_ante is None:
            raise ValueError(f"sentence {k}: the gold antecedent is None; every sentence has one")
        g_ante = _check_span(g_ante, text)
        g_cons = None if g_cons is None else _check_span(g_cons, text)
        p_ante = None if p_ante is None else _check_span(p_ante, text)
        p_cons = None if p_cons is None else _check_span(p_cons, text)

        a_em = p_ante == g_ante
        c_em = p_cons == g_cons
        sums["em"] += a_em and c_em
        sums["a_em"] += a_em
        sums["c_em"] += c_em
        sums["a_f1"] += _word_f1(text, p_ante, g_ante)
        sums["c_f1"] += _word_f1(text, p_cons, g_cons)

        if p_ante is None or p_ante[0] >= p_ante[1]:
            continue  # rejected by the official format check: 0 for this sentence
        shared = _shared_words(text, p_ante, g_ante) + _shared_words(text, p_cons, g_cons)
        if shared:
            precision = shared / (_words(text, p_ante) + _words(text, p_cons))
            recall = shared / (_words(text, g_ante) + _words(text, g_cons))
            sums["p"] += precision
            sums["r"] += recall
            sums["f1"] += 2 * precision * recall / (precision + recall)

    mean = {key: _ratio(value, n) for key, value in sums.items()}
    return SemEvalTask5Result(
        exact_match=mean["em"],
        precision=mean["p"],
        recall=mean["r"],
        f1=mean["f1"],
        antecedent_exact_match=mean["a_em"],
        antecedent_f1=mean["a_f1"],
        consequent_exact_match=mean["c_em"],
        consequent_f1=mean["c_f1"],
        f1_mean_of_parts=(mean["a_f1"] + mean["c_f1"]) / 2,
        n=n,
    )


# ---------------------------------------------------------------------------
# Confidence intervals


def expected_calibration_error(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> float:
    """Expected calibration error: the mean, weighted by bin size, of ``|accuracy - mean
    confidence|`` over ``bins`` equal-width confidence bins (a confidence of 1.0 goes in the
    last bin). 0.0 for no items.

    Example:
        >>> expected_calibration_error([0.9, 0.9, 0.6, 0.6], [True, False, True, True])
        0.4
    """
    n = _check_lengths(confidences=confidences, correct=correct)
    if n == 0:
        return 0.0
    totals = [[0, 0.0, 0] for _ in range(bins)]  # items, confidence sum, correct
    for confidence, right in zip(confidences, correct):
        b = min(bins - 1, int(confidence * bins))
        totals[b][0] += 1
        totals[b][1] += confidence
        totals[b][2] += bool(right)
    return sum(abs(c - s) for k, s, c in totals if k) / n


def bootstrap_ci(
    metric_fn: Callable[..., float],
    *arrays: Sequence[Any],
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of a metric over items.

    Draws ``n_resamples`` samples of ``n`` item indices with replacement (numpy
    ``default_rng(seed)``), applies the same indices to every array (so gold, prediction and
    text stay aligned), calls ``metric_fn(*resampled_arrays)`` on each, and returns the
    ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles of the results (numpy's
    default linear interpolation). The same inputs and seed give the same interval. A numpy
    array is resampled into a numpy array; any other sequence into a list.

    Args:
        metric_fn: Takes the resampled arrays, in order, and returns a float.
        *arrays: One or more sequences with one entry per item.
        n_resamples: Number of bootstrap samples.
        confidence: Coverage of the interval, in ``(0, 1)``.
        seed: Seed of the resampling.

    Returns:
        ``(low, high)``.

    Raises:
        ValueError: With no arrays, no items, arrays of different lengths,
            ``n_resamples < 1`` or ``confidence`` outside ``(0, 1)``.

    Example:
        >>> gold = [True, False, True, True]
        >>> low, high = bootstrap_ci(accuracy, gold, [True, False, False, True], n_resamples=200)
        >>> 0.0 <= low <= 0.75 <= high <= 1.0
        True
    """
    if not arrays:
        raise ValueError("bootstrap_ci needs at least one array of items to resample")
    n = _check_lengths(**{f"array{i}": a for i, a in enumerate(arrays)})
    if n == 0:
        raise ValueError("bootstrap_ci needs at least one item; the arrays are empty")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, n, size=(n_resamples, n))
    stats = np.empty(n_resamples, dtype=float)
    for b, idx in enumerate(indices):
        resampled = [
            a[idx] if isinstance(a, np.ndarray) else [a[i] for i in idx.tolist()] for a in arrays
        ]
        stats[b] = float(metric_fn(*resampled))
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(stats, [alpha, 1.0 - alpha])
    return float(low), float(high)
