"""Document-level stances: who takes which position towards what, sentence by sentence.

:func:`document_stances` turns the pair scorer (:meth:`StanceModel.predict_pairs`) into the
``Stance`` records of ``Document.stances`` (task-definitions.md §3). The rule:

1. **Targets.** ``targets`` is a list or tuple of non-empty ``str`` (deduplicated, order kept).
   With ``targets=None`` the targets are *proposed* per sentence: the object of each
   position-taking verb (the words after it up to punctuation, a subordinator or
   ``and``/``but``/``or``, at most 8, a leading ``to``/``on``/``for``/``against``/``with``
   dropped) and the content of each attribution of 3 to 12 words, without its quotation marks
   (shorter contents are fragments, longer ones claims, not targets). A proposed target is
   paired with its own sentence only.
2. **Scoring.** Every (sentence, target) pair is scored, with its holder (4. below), in one
   batched ``predict_pairs`` call (in ``Analyzer.pipe``, one call for the pairs of all the
   documents read together: :func:`plan_stances` decides each document's pairs first).
   A pair is kept when ``p(unrelated) < 0.5``; ``stance`` is the argmax of favor/against/
   neutral and ``score = p(stance) / (1 - p(unrelated))`` (4 decimals). Whether a sentence
   addresses a differently phrased target ("ceasefire" vs "a 30-day truce") is the model's
   semantic decision; the span below only locates it.
3. **Target span.** A proposed target's span is its phrase. A given target's span is its
   case-insensitive whole-word occurrence in the sentence; else the run of 1-6 words (no
   punctuation inside, not starting or ending with a stopword) sharing the most content
   words with the target (lower-cased, plural ``s`` stripped; ties: fewest other content
   words, fewest words, first); else the sentence without edge spaces and final punctuation.
4. **Holder** (decided before scoring: the model reads the pair as the holder's position).
   The source (its ``resolved_source`` when the attribution carries one) of the
   first attribution with a source whose content or cue overlaps the target span, or failing
   that whose content covers most of the sentence; else the acting subject of a
   position-taking verb (the one whose object overlaps the target, else the first): the
   words right before the verb back to the sentence start, punctuation or a conjunction or
   relative word, at most 6, trailing auxiliaries and ``-ly`` adverbs dropped (a passive verb,
   "was rejected", has no acting subject; a verb after ``and``/``but`` shares the subject of
   the verb before it); else ``"author"`` with no span.
5. A stance towards a given target carries that target as ``query``, so the records of
   several targets can be told apart; a proposed target's ``query`` is ``None``.
6. No sentences, ``targets=[]`` or no proposed target: ``[]`` without running the model.
   Stances come in document order (sentence, then target start). Every span is built with
   :meth:`Span.of` on the document text, so offsets are exact.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

from diplolex.tasks.stance.predict import check_target, content_words
from diplolex.types import STANCE_LABELS, Attribution, Span, Stance, StanceResult

if TYPE_CHECKING:
    from diplolex.encoder import SharedEncoder
    from diplolex.tasks.stance.predict import StanceModel

__all__ = ["POSITION_VERBS", "StancePlan", "check_targets", "document_stances", "plan_stances"]

_VERB_STEMS = (
    "reject rejects rejected rejecting welcome welcomes welcomed welcoming condemn condemns "
    "condemned condemning support supports supported supporting back backs backed backing "
    "oppose opposes opposed opposing praise praises praised praising criticise criticises "
    "criticised criticising criticize criticizes criticized criticizing deny denies denied "
    "denying accept accepts accepted accepting endorse endorses endorsed endorsing refuse "
    "refuses refused refusing dismiss dismisses dismissed dismissing hail hails hailed hailing "
    "applaud applauds applauded applauding slam slams slammed slamming blast blasts blasted "
    "blasting warn warns warned warning urge urges urged urging vow vows vowed vowing pledge "
    "pledges pledged pledging agree agrees agreed agreeing insist insists insisted insisting "
    "demand demands demanded demanding approve approves approved approving embrace embraces "
    "embraced embracing veto vetoes vetoed vetoing decry decries decried decrying denounce "
    "denounces denounced denouncing protest protests protested protesting favour favours "
    "favoured favor favors favored defend defends defended defending resist resists resisted "
    "resisting ratify ratifies ratified ratifying sign signs signed signing"
)
POSITION_VERBS: frozenset[str] = frozenset(_VERB_STEMS.split())
"""Single-word position-taking verb forms (``call(s|ed) for|on`` is handled separately)."""
_CALL = frozenset({"call", "calls", "called", "calling"})

_WORD = re.compile(r"\w+(?:['’-]\w+)*")
_OBJECT_STOP = frozenset(
    "that which who whom because if as after before while and but or when unless until since "
    "although though whether where so than".split()
)
_SUBJECT_STOP = frozenset("and but or while which who that whom whose when as".split())
_LEADING_PREP = frozenset("to on for against with".split())
_AUX = frozenset(
    "has have had having is are was were be been being will would shall should can could may "
    "might must do does did also again not never already still".split()
)
_PASSIVE = frozenset("is are was were be been being".split())
_FINAL_PUNCT = ".,;:!?\"'”’)]"
MAX_OBJECT_WORDS = 8
MAX_SUBJECT_WORDS = 6
MAX_PHRASE_WORDS = 6
MAX_CONTENT_WORDS = 12
MIN_CONTENT_WORDS = 3  # shorter contents are fragments, not positions


@dataclass
class _Sentence:
    """One sentence: its document bounds, words (document offsets) and position verbs."""

    index: int
    start: int
    end: int
    words: list[tuple[int, int, str]]
    breaks: list[bool]  # breaks[i]: punctuation between word i and word i + 1
    verbs: list[tuple[int, Span | None, Span | None]]  # (word index, subject, object)


@dataclass
class _Pair:
    sentence: _Sentence
    target: str
    span: Span
    verb: int | None  # the word index of the verb a proposed object belongs to


def check_targets(targets: object) -> list[str] | None:
    """Validate ``targets``; return them deduplicated in order (``None`` stays ``None``).

    Raises:
        TypeError: ``targets`` is not a list or tuple of ``str``.
        ValueError: a target is empty or only whitespace.
    """
    if targets is None:
        return None
    if not isinstance(targets, (list, tuple)):
        raise TypeError(
            f"targets must be a list of str (e.g. ['the truce proposal']), "
            f"got {type(targets).__name__}"
        )
    seen: dict[str, None] = {}
    for i, target in enumerate(targets):
        check_target(target, i)
        seen.setdefault(target.strip(), None)
    return list(seen)


def _is_stop(word: str) -> bool:
    return not content_words(word)


def _parse(text: str, index: int, start: int, end: int) -> _Sentence:
    words = [
        (m.start() + start, m.end() + start, m.group()) for m in _WORD.finditer(text[start:end])
    ]
    breaks = [bool(text[a[1] : b[0]].strip()) for a, b in pairwise(words)]
    sentence = _Sentence(index, start, end, words, breaks, [])
    for i, (_, _, word) in enumerate(words):
        lower = word.lower()
        is_call = lower in _CALL and i + 1 < len(words) and words[i + 1][2].lower() in {"for", "on"}
        if lower in POSITION_VERBS or is_call:
            subject = _subject(text, sentence, i)
            if subject is None and i and words[i - 1][2].lower() in {"and", "but"}:
                subject = next((v[1] for v in reversed(sentence.verbs) if v[1]), None)
            sentence.verbs.append((i, subject, _object(text, sentence, i)))
    return sentence


def _subject(text: str, s: _Sentence, verb: int) -> Span | None:
    """The acting subject of the verb at word ``verb``, or ``None``."""
    end = verb  # exclusive word index
    while end > 0 and not s.breaks[end - 1]:
        word = s.words[end - 1][2].lower()
        if word in _PASSIVE:
            return None
        if word in _AUX or (word.endswith("ly") and len(word) > 4):
            end -= 1
            continue
        break
    begin = end
    while begin > 0 and end - begin < MAX_SUBJECT_WORDS:
        if s.words[begin - 1][2].lower() in _SUBJECT_STOP or s.breaks[begin - 1]:
            break
        begin -= 1
    if begin == end:
        return None
    return Span.of(text, s.words[begin][0], s.words[end - 1][1])


def _object(text: str, s: _Sentence, verb: int) -> Span | None:
    """The object phrase after the verb at word ``verb``, or ``None``."""
    if verb >= len(s.breaks) or s.breaks[verb]:
        return None
    begin = verb + 1
    if s.words[begin][2].lower() in _LEADING_PREP and begin + 1 < len(s.words):
        if s.breaks[begin]:
            return None
        begin += 1
    end = begin
    while end < len(s.words) and end - begin < MAX_OBJECT_WORDS:
        if s.words[end][2].lower() in _OBJECT_STOP:
            break
        end += 1
        if end - 1 < len(s.breaks) and s.breaks[end - 1]:
            break
    while end > begin and _is_stop(s.words[end - 1][2]):
        end -= 1
    if end == begin:
        return None
    return Span.of(text, s.words[begin][0], s.words[end - 1][1])


def _sentence_span(text: str, s: _Sentence) -> Span:
    start, end = s.start, s.end
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in _FINAL_PUNCT):
        end -= 1
    return Span.of(text, start, end) if end > start else Span.of(text, s.start, s.end)


def _candidates(s: _Sentence) -> list[tuple[int, int, frozenset[str], int]]:
    """Word runs ``(first, last, content words, word count)`` a target may be located at."""
    out = []
    n = len(s.words)
    for i in range(n):
        if _is_stop(s.words[i][2]):
            continue
        for j in range(i, min(n, i + MAX_PHRASE_WORDS)):
            if j > i and s.breaks[j - 1]:
                break
            if _is_stop(s.words[j][2]):
                continue
            words = frozenset().union(*(content_words(w[2]) for w in s.words[i : j + 1]))
            out.append((i, j, words, j - i + 1))
    return out


def _target_span(text: str, s: _Sentence, target: str, candidates: list) -> Span:
    pattern = r"(?<!\w)" + r"\s+".join(map(re.escape, target.split())) + r"(?!\w)"
    found = re.search(pattern, text[s.start : s.end], flags=re.IGNORECASE)
    if found:
        return Span.of(text, s.start + found.start(), s.start + found.end())
    wanted = content_words(target)
    best, best_key = None, None
    for i, j, words, count in candidates:
        shared = len(wanted & words)
        if not shared:
            continue
        key = (-shared, len(words - wanted), count, i)
        if best_key is None or key < best_key:
            best, best_key = (i, j), key
    if best is None:
        return _sentence_span(text, s)
    return Span.of(text, s.words[best[0]][0], s.words[best[1]][1])


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _first_overlapping(
    intervals: Sequence[tuple[int, int, int]], queries: Sequence[tuple[int, int]]
) -> list[int | None]:
    """For each query ``(start, end)``, the least key of the ``(start, end, key)`` intervals
    that overlap it (``start < query end`` and ``query start < end``, as :func:`_overlaps`);
    ``None`` where none does.

    All queries at once in O((n + q) log n), n intervals and q queries: the queries in
    decreasing start; before each, the intervals ending after that start are added (in
    decreasing end) to a Fenwick tree over the interval starts that keeps the least key of
    every prefix; the answer is the least key among the added intervals starting before the
    query's end.
    """
    starts = sorted({start for start, _, _ in intervals})
    none = len(intervals)  # greater than every key that matters: keys are list positions
    tree = [none] * (len(starts) + 1)
    by_end = sorted(intervals, key=lambda iv: iv[1], reverse=True)
    out: list[int | None] = [None] * len(queries)
    added = 0
    for q in sorted(range(len(queries)), key=lambda q: queries[q][0], reverse=True):
        q_start, q_end = queries[q]
        while added < len(by_end) and by_end[added][1] > q_start:
            start, _, key = by_end[added]
            added += 1
            r = bisect_left(starts, start) + 1
            while r < len(tree):
                tree[r] = min(tree[r], key)
                r += r & -r
        best, r = none, bisect_left(starts, q_end)  # r: the starts before the query's end
        while r > 0:
            best = min(best, tree[r])
            r -= r & -r
        out[q] = best if best < none else None
    return out


def _holders(
    text: str, pairs: Sequence[_Pair], attributions: Sequence[Attribution]
) -> list[tuple[str, Span | None]]:
    """The holder of each pair (rule 4 of the module docstring).

    Each attribution rule takes the *first* qualifying attribution with a source, in list
    order. Rather than reading every attribution for every pair (quadratic in the document's
    length), the attributions are indexed by offsets once: the first whose content or cue
    overlaps a target span comes from :func:`_first_overlapping` over all pairs at once; the
    first whose content covers most of a sentence either contains the whole sentence (again
    :func:`_first_overlapping`) or has an edge inside it (found by bisection). Results are
    those of the rule as stated, for any attributions and sentences.
    """
    sourced: list[tuple[Attribution, Span]] = []
    for a in attributions:
        source = getattr(a, "resolved_source", None) or a.source
        if source is not None:
            sourced.append((a, Span.of(text, source.start, source.end)))
    spans = [(p.span.start, p.span.end) for p in pairs]
    parts = [(a.content.start, a.content.end, k) for k, (a, _) in enumerate(sourced)]
    parts += [(a.cue.start, a.cue.end, k) for k, (a, _) in enumerate(sourced)]
    by_span = _first_overlapping(parts, spans) if sourced else [None] * len(pairs)
    sentences = {id(p.sentence): p.sentence for p, k in zip(pairs, by_span) if k is None}
    by_sentence = _covering(text, list(sentences.values()), sourced)
    out: list[tuple[str, Span | None]] = []
    for pair, k in zip(pairs, by_span):
        if k is None:
            k = by_sentence[id(pair.sentence)]
        if k is not None:
            source = sourced[k][1]
            out.append((source.text, source))
        else:
            out.append(_subject_holder(pair))
    return out


def _covering(
    text: str, sentences: Sequence[_Sentence], sourced: Sequence[tuple[Attribution, Span]]
) -> dict[int, int | None]:
    """Per sentence (by ``id``), the position in ``sourced`` of the first attribution whose
    content covers more than half of the sentence (its text without edge spaces and final
    punctuation), or ``None``."""
    if not sentences:
        return {}
    if not sourced:
        return {id(s): None for s in sentences}
    contents = [(a.content.start, a.content.end) for a, _ in sourced]
    by_start = sorted((start, k) for k, (start, _) in enumerate(contents))
    by_end = sorted((end, k) for k, (_, end) in enumerate(contents))
    starts, ends = [start for start, _ in by_start], [end for end, _ in by_end]
    whole = _first_overlapping(
        [(start, end, k) for k, (start, end) in enumerate(contents)],
        [(s.end - 1, s.start + 1) for s in sentences],  # start <= s.start and end >= s.end
    )
    out: dict[int, int | None] = {}
    for s, container in zip(sentences, whole):
        length = len(_sentence_span(text, s).text)

        def covers(k: int, s: _Sentence = s, length: int = length) -> bool:
            start, end = contents[k]
            return min(end, s.end) - max(start, s.start) > length / 2

        # a content holding the whole sentence covers all of it (the first one stands for
        # them all); one covering part of it has an edge strictly inside the sentence
        edges = [k for _, k in by_start[bisect_right(starts, s.start) : bisect_left(starts, s.end)]]
        edges += [k for _, k in by_end[bisect_right(ends, s.start) : bisect_left(ends, s.end)]]
        found = [k for k in edges if covers(k)]
        if container is not None and covers(container):
            found.append(container)
        out[id(s)] = min(found) if found else None
    return out


def _subject_holder(pair: _Pair) -> tuple[str, Span | None]:
    """The acting subject of a position-taking verb of the pair's sentence, else the author."""
    s, target = pair.sentence, pair.span
    verbs = [v for v in s.verbs if v[1] is not None]
    if pair.verb is not None:
        chosen = [v for v in verbs if v[0] == pair.verb]
    else:
        chosen = [v for v in verbs if v[2] is not None and _overlaps(v[2], target)]
    chosen = chosen or verbs
    if chosen:
        subject = chosen[0][1]
        return subject.text, subject  # type: ignore[union-attr]
    return "author", None


def _strip_quotes(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim quotation marks, whitespace and final ``.,;:`` (also inside a closing quote)."""
    quotes = "\"'“”‘’«»"
    while start < end and (text[start] in quotes or text[start].isspace()):
        start += 1
    while end > start and (text[end - 1] in quotes or text[end - 1] in ".,;: \n\t"):
        end -= 1
    return start, end


class _Contents:
    """Each attribution's content without its quotation marks, indexed by start once, so that
    a sentence finds the contents starting in it by bisection instead of reading them all."""

    def __init__(self, text: str, attributions: Sequence[Attribution]) -> None:
        entries = []
        for k, a in enumerate(attributions):
            start, end = _strip_quotes(text, a.content.start, a.content.end)
            content = Span.of(text, start, end)
            entries.append((content.start, k, content))
        entries.sort(key=lambda entry: entry[:2])
        self._starts = [start for start, _, _ in entries]
        self._entries = entries

    def starting_in(self, start: int, end: int) -> list[Span]:
        """The contents starting in ``[start, end)``, in the attributions' order."""
        found = self._entries[bisect_left(self._starts, start) : bisect_left(self._starts, end)]
        return [content for _, _, content in sorted(found, key=lambda entry: entry[1])]


def _proposed(s: _Sentence, contents: _Contents) -> list[_Pair]:
    pairs: list[_Pair] = []
    seen: set[tuple[int, int]] = set()
    for verb, _, obj in s.verbs:
        if obj is not None and (obj.start, obj.end) not in seen:
            seen.add((obj.start, obj.end))
            pairs.append(_Pair(s, obj.text, obj, verb))
    for content in contents.starting_in(s.start, s.end):
        if not MIN_CONTENT_WORDS <= len(_WORD.findall(content.text)) <= MAX_CONTENT_WORDS:
            continue
        if (content.start, content.end) not in seen:
            seen.add((content.start, content.end))
            pairs.append(_Pair(s, content.text, content, None))
    return pairs


@dataclass
class StancePlan:
    """The (sentence, target) pairs of one document to score, with their holders: what
    :func:`plan_stances` decides before the model runs and :meth:`finish` turns into records."""

    text: str
    pairs: list[_Pair]
    holders: list[tuple[str, Span | None]]
    given: bool  # the targets were given by the user (each record carries its query)

    def inputs(self) -> tuple[list[str], list[str], list[str]]:
        """Texts, targets and holders of the pairs, as ``StanceModel.predict_pairs`` takes them."""
        texts = [self.text[p.sentence.start : p.sentence.end] for p in self.pairs]
        return texts, [p.target for p in self.pairs], [holder for holder, _ in self.holders]

    def finish(self, results: Sequence[StanceResult]) -> list[Stance]:
        """The :class:`Stance` records of the pairs' scored ``results`` (rules 2 and 5)."""
        found = []
        for k, (pair, result, (holder, holder_span)) in enumerate(
            zip(self.pairs, results, self.holders)
        ):
            probs = result.probabilities
            unrelated = probs.get("unrelated", 0.0)
            if unrelated >= 0.5:
                continue
            label = max(STANCE_LABELS, key=lambda lab: probs.get(lab, 0.0))
            score = round(probs[label] / (1.0 - unrelated), 4)
            query = pair.target if self.given else None
            stance = Stance(holder, holder_span, pair.span, label, score, query)  # type: ignore[arg-type]
            found.append(((pair.sentence.index, pair.span.start, k), stance))
        return [stance for _, stance in sorted(found, key=lambda item: item[0])]


def plan_stances(
    text: str,
    sentences: list[tuple[int, int]],
    attributions: list[Attribution],
    targets: list[str] | None,
) -> StancePlan:
    """The pairs :func:`document_stances` scores for a document, with their holders (rules 1,
    3 and 4); no pairs for no sentences, ``targets=[]`` or no proposed target.

    Raises:
        TypeError, ValueError: ``targets`` is not a list of non-empty ``str``.
    """
    wanted = check_targets(targets)
    plan = StancePlan(text, [], [], wanted is not None)
    if not sentences or wanted == []:
        return plan
    parsed = [
        _parse(text, i, start, end)
        for i, (start, end) in enumerate(sentences)
        if text[start:end].strip()
    ]
    contents = _Contents(text, attributions) if wanted is None and parsed else None
    for s in parsed:
        if contents is not None:
            plan.pairs += _proposed(s, contents)
        else:
            candidates = _candidates(s)
            plan.pairs += [_Pair(s, t, _target_span(text, s, t, candidates), None) for t in wanted]
    plan.holders = _holders(text, plan.pairs, attributions) if plan.pairs else []
    return plan


def document_stances(
    text: str,
    sentences: list[tuple[int, int]],
    attributions: list[Attribution],
    targets: list[str] | None,
    model: StanceModel,
    encoder: SharedEncoder,
    batch_size: int = 32,
) -> list[Stance]:
    """The stances of a document towards ``targets`` (or towards proposed targets).

    Args:
        text: the document.
        sentences: ``(start, end)`` document offsets of each sentence.
        attributions: the document's attributions (an attribution may carry
            ``resolved_source: Span | None``, preferred over ``source``).
        targets: what the stances are about; ``None`` proposes targets (module docstring),
            ``[]`` asks for none.
        model: the stance model; encoder: the shared encoder; batch_size: pairs per pass.

    Returns:
        One :class:`Stance` per (sentence, target) pair that the sentence addresses, in
        document order.

    Raises:
        TypeError, ValueError: ``targets`` is not a list of non-empty ``str``.

    Example:
        >>> text = "Iran condemned the new sanctions."
        >>> [s.holder for s in document_stances(text, [(0, len(text))], [], None, model, enc)]
        ['Iran']
    """
    plan = plan_stances(text, sentences, attributions, targets)
    if not plan.pairs:
        return []
    texts, pair_targets, holders = plan.inputs()
    return plan.finish(
        model.predict_pairs(encoder, texts, pair_targets, batch_size=batch_size, holders=holders)
    )
