"""Scoring attribution predictions against PolNeAR-style records, and a rule baseline.

Scoring rules (:func:`score_attribution`), micro over documents (one item = one document,
offsets into its text):

* spans, per role (source, cue, content): the set of distinct gold spans of that role in the
  document against the set of distinct predicted ones (a source shared by two relations
  counts once). ``exact``: identical offsets (:func:`diplolex.metrics.span_prf_exact`).
  ``overlap``: the PARC 3.0 lenient match, a predicted span matches a gold span of the same
  role when they share at least one token, one-to-one, greedy
  (:func:`diplolex.metrics.span_prf_overlap_binary`).
* relations: ``(source | None, cue, content)`` triples (:func:`diplolex.metrics.relation_prf`);
  ``exact`` needs all three identical (``None`` only with ``None``), ``overlap`` needs each
  role to share a token (``None`` with ``None``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from diplolex import metrics
from diplolex.spans import clean_span
from diplolex.tasks.attribution.predict import AttributionPrediction

ROLES = ("source", "cue", "content")


@dataclass(frozen=True)
class AttributionScores:
    """Span and relation figures on one set of documents (see the module docstring)."""

    source_exact: metrics.PRF
    source_overlap: metrics.PRF
    cue_exact: metrics.PRF
    cue_overlap: metrics.PRF
    content_exact: metrics.PRF
    content_overlap: metrics.PRF
    relation_exact: metrics.PRF
    relation_overlap: metrics.PRF
    documents: int
    gold_relations: int

    def selection_score(self) -> float:
        """What training maximises on dev: mean of the overlap F1s of the roles and relations."""
        return (
            self.source_overlap.f1
            + self.cue_overlap.f1
            + self.content_overlap.f1
            + self.relation_overlap.f1
        ) / 4 + self.relation_exact.f1 / 4

    def summary(self) -> str:
        parts = []
        for name in (*ROLES, "relation"):
            exact, overlap = getattr(self, f"{name}_exact"), getattr(self, f"{name}_overlap")
            parts.append(f"{name} {exact.f1:.3f}/{overlap.f1:.3f}")
        return "F1 exact/overlap: " + " | ".join(parts)

    def rows(self) -> list[tuple[str, metrics.PRF]]:
        return [
            (f"{name} {mode}", getattr(self, f"{name}_{mode}"))
            for name in (*ROLES, "relation")
            for mode in ("exact", "overlap")
        ]

    def to_dict(self) -> dict:
        return asdict(self)


def _pair(span: dict | None) -> tuple[int, int] | None:
    return None if span is None else (span["start"], span["end"])


def score_attribution(
    records: Sequence[dict], predictions: Sequence[Sequence[AttributionPrediction]]
) -> AttributionScores:
    """Score predictions (one list per record, same order) with the module's rules."""
    if len(records) != len(predictions):
        raise ValueError(f"{len(predictions)} predictions for {len(records)} records")
    texts = [r["text"] for r in records]
    figures = {}
    for role in ROLES:
        gold = [
            {(role, *_pair(a[role])) for a in r["attributions"] if a[role] is not None}
            for r in records
        ]
        pred = [
            {(role, *getattr(p, role)) for p in preds if getattr(p, role) is not None}
            for preds in predictions
        ]
        figures[f"{role}_exact"] = metrics.span_prf_exact(gold, pred)
        figures[f"{role}_overlap"] = metrics.span_prf_overlap_binary(gold, pred, texts)
    gold_rel = [
        [(_pair(a["source"]), _pair(a["cue"]), _pair(a["content"])) for a in r["attributions"]]
        for r in records
    ]
    pred_rel = [[(p.source, p.cue, p.content) for p in preds] for preds in predictions]
    figures["relation_exact"] = metrics.relation_prf(gold_rel, pred_rel, texts, mode="exact")
    figures["relation_overlap"] = metrics.relation_prf(gold_rel, pred_rel, texts, mode="overlap")
    return AttributionScores(
        documents=len(records),
        gold_relations=sum(len(r["attributions"]) for r in records),
        **figures,
    )


# ---------------------------------------------------------------------------
# Rule baseline

_WORD = re.compile(r"[\w’'\-]+|[^\w\s]")
_QUOTE = re.compile(r"[\"“”]([^\"“”]{3,}?)[\"“”]")
_PRONOUNS = frozenset({"he", "she", "they", "it", "we", "i", "who"})
_STOP_CAPS = frozenset({"The", "But", "And", "In", "On", "At", "For", "As", "If", "When", "A"})


def rule_baseline(
    text: str, sentences: Sequence[tuple[int, int]], verbs: frozenset[str]
) -> list[AttributionPrediction]:
    """A reporting-verb baseline, sentence by sentence (offsets into ``text``).

    Rules:

    * cue: the first word of the sentence (lower-cased) found in the reporting-verb lexicon
      (:func:`diplolex.corpora.attribution.read_reporting_verbs`), or the phrase "according
      to"; at most one cue a sentence.
    * content: the quotation (with its marks) in the sentence when there is one; else for
      "according to X, Y" the rest of the sentence after the first comma following the cue;
      else the clause after the cue (a leading "that" dropped) to the sentence end; when the
      cue ends the sentence ("..., he said."), the text before the source and cue.
    * source: the pronoun or capitalised run (with up to two lower-case title words before
      it) ending nearest before the cue within four words; else, for "said X" and
      "according to X", the pronoun or capitalised run right after the cue; else ``None``.
    """
    out: list[AttributionPrediction] = []
    for s0, s1 in sentences:
        sentence = text[s0:s1]
        words = [(m.start() + s0, m.end() + s0) for m in _WORD.finditer(sentence)]
        cue = None
        for k, (a, b) in enumerate(words):
            w = text[a:b].lower()
            if w == "according" and k + 1 < len(words) and text[slice(*words[k + 1])] == "to":
                cue, cue_k, according = (a, words[k + 1][1]), k + 1, True
                break
            if w in verbs:
                cue, cue_k, according = (a, b), k, False
                break
        if cue is None:
            continue
        source = _source_before(text, words, cue_k - (1 if according else 0))
        after_source = None
        if source is None or according:
            after_source = _capital_run_after(text, words, cue_k + 1)
            if according or after_source is not None:
                source = after_source
        content = None
        quote = _QUOTE.search(sentence)
        if quote:
            content = (s0 + quote.start(), s0 + quote.end())
        elif according:
            comma = text.find(",", cue[1], s1)
            if comma >= 0:
                content = clean_span(text, comma + 1, s1)
            elif source is not None and source[0] > s0:
                content = clean_span(text, s0, cue[0])
        else:
            rest_start = cue[1]
            if source is not None and source[0] >= cue[1]:
                rest_start = source[1]
            start, end = clean_span(text, rest_start, s1)
            m = re.match(r"\s*,?\s*that\s+", text[start:end])
            if m:
                start += m.end()
            if end - start >= 3 and re.search(r"\w", text[start:end]):
                content = (start, end)
            else:
                left = source[0] if source is not None and source[1] <= cue[0] else cue[0]
                content = clean_span(text, s0, left)
        if content is None or content[1] <= content[0]:
            continue
        content = _trim_quote_end(text, content)
        if source is not None and not (source[1] <= content[0] or source[0] >= content[1]):
            source = None
        out.append(AttributionPrediction(source=source, cue=cue, content=content, score=1.0))
    return out


def _trim_quote_end(text: str, span: tuple[int, int]) -> tuple[int, int]:
    s, e = clean_span(text, *span)
    return (s, e) if e > s else span


def _source_before(text: str, words: list[tuple[int, int]], cue_k: int):
    for k in range(cue_k - 1, max(-1, cue_k - 5), -1):
        w = text[slice(*words[k])]
        if w.lower() in _PRONOUNS:
            return words[k]
        if w[:1].isupper() and w not in _STOP_CAPS:
            end = words[k][1]
            j = k
            while (
                j - 1 >= 0
                and text[slice(*words[j - 1])][:1].isupper()
                and (text[slice(*words[j - 1])] not in _STOP_CAPS)
            ):
                j -= 1
            titles = 0
            while (
                j - 1 >= 0
                and titles < 2
                and text[slice(*words[j - 1])].isalpha()
                and text[slice(*words[j - 1])].islower()
                and text[slice(*words[j - 1])] not in ("said", "and", "but", "that", "to")
            ):
                j -= 1
                titles += 1
            if j - 1 >= 0 and text[slice(*words[j - 1])].lower() == "the":
                j -= 1
            return (words[j][0], end)
    return None


def _capital_run_after(text: str, words: list[tuple[int, int]], k: int):
    if k >= len(words):
        return None
    w = text[slice(*words[k])]
    if w.lower() in _PRONOUNS:
        return words[k]
    if not w[:1].isupper():
        return None
    j = k
    while j + 1 < len(words) and text[slice(*words[j + 1])][:1].isupper():
        j += 1
    return (words[k][0], words[j][1])
