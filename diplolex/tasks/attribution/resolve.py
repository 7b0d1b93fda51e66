"""Coreference-lite: point a pronoun or bare-title source at an earlier named mention.

No coreference model: a handful of rules over the document's attributions and its capitalised
name mentions. The rules, applied to each relation's source in document order:

* **named** sources ("Trump", "Kremlin spokesman Ivan Petrov": a capitalised word after any
  determiner) are not resolved; they become antecedents, typed *organisation* when they
  hold an organisation word ("Ministry", "Campaign", "Party", ...) or are an acronym, else
  *person*; "Mr." marks a man and "Mrs."/"Ms." a woman, and an entity that a "he" or "she"
  resolved to keeps that gender for later pronouns.
* **first person inside a quote** ("I", "we" as source of a relation whose source span lies
  inside the content of another relation): the source of that outer relation (or what it
  resolved to).
* **relative pronouns** ("who", "which", "that"): the name mention that ends right before
  them in the sentence ("Trump, who said ...").
* **he / she**: the most recent named-or-resolved *person* source at most 3 sentences back
  with a compatible gender; else the first compatible person name mentioned in the nearest
  of the current and two previous sentences (the subject-most mention).
* **it / they**: the same, with *organisation* antecedents ("they" also takes a plural name
  such as "Democrats").
* **the + lower-case noun phrase** ("the spokesman", "the ministry", "the candidate"): the
  most recent named antecedent (source or name mention, 5 sentences back at most) whose
  text contains the phrase's last word; else, for an organisation word, the most recent
  organisation, for a person word ("spokesman", "senator", ...), the most recent person.

Everything else (a bare plural such as "officials", "some", a possessive phrase) is left
unresolved. ``resolved_score`` is a rule confidence, not a probability: 0.9 for a relative
pronoun or an embedded first person, 0.8 for a previous source in the same or the previous
sentence (0.7 further back), 0.6 for a name mention; times 0.75 when a different compatible
entity is as close (so at least 0.45: a rule that finds an antecedent always resolves).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from diplolex.tasks.attribution.prediction import AttributionPrediction
from diplolex.types import Offsets

PRONOUN_KIND = {
    "he": "male",
    "him": "male",
    "she": "female",
    "her": "female",
    "it": "org",
    "they": "plural",
    "them": "plural",
    "i": "first",
    "me": "first",
    "we": "first",
    "us": "first",
    "who": "relative",
    "which": "relative",
    "that": "relative",
}

ORG_WORDS = frozenset(
    """ministry department committee party campaign council agency office house senate
    congress court government administration association institute university bureau
    commission corporation corp inc company news times post journal poll polls center centre
    foundation network group union police army navy kremlin pentagon organization
    organisation coalition alliance federation board bank fund service services press
    magazine newspaper television tv radio embassy cabinet parliament assembly secretariat
    yorker tribune herald gazette reuters""".split()
)
PERSON_WORDS = frozenset(
    """spokesman spokeswoman spokesperson candidate president senator minister governor
    nominee secretary chairman chairwoman chair leader official director ambassador envoy
    mayor representative congressman congresswoman businessman billionaire lawyer attorney
    adviser advisor aide manager strategist author pollster chief speaker judge general
    former woman man husband wife""".split()
)
_MALE_TITLES = ("mr.", "mr")
_FEMALE_TITLES = ("mrs.", "ms.", "mrs", "ms", "miss")
_DEFINITE = re.compile(r"^(?:the|this|that)\s+([a-z][a-z\-\s]*)$")
_CAP_WORD = re.compile(r"[A-Z][\w'’.\-]*")
_NAME_RUN = re.compile(
    r"(?:(?:Mr|Mrs|Ms|Dr|Sen|Gov|Rep|Gen|Pres|Amb)\.\s+)?"
    r"[A-Z][\w’'\-]*(?:\s+(?:[A-Z]\.\s+)?[A-Z][\w’'\-]*)*"
)
_FUNCTION_WORDS = frozenset(
    """the a an but and or in on at for with from to of as by if when while after before
    this that these those it he she they we i his her their our its there here what why how
    who which where then so yet also still now today yesterday monday tuesday wednesday
    thursday friday saturday sunday january february march april may june july august
    september october november december few many some most several other others all both
    each every no none""".split()
)


@dataclass
class _Entity:
    """An antecedent candidate."""

    span: Offsets
    key: str  # last capitalised word, lower case: one entity per key
    kind: str  # "person" or "org"
    plural: bool
    sentence: int
    origin: str  # "source" or "mention"
    words: frozenset[str] = frozenset()  # lower-case words of the mention


def source_kind(text: str) -> str:
    """``"named"``, a pronoun kind of :data:`PRONOUN_KIND`, ``"definite"`` or ``"other"``."""
    bare = text.strip()
    low = bare.lower()
    if low in PRONOUN_KIND:
        return PRONOUN_KIND[low]
    if _DEFINITE.match(bare):
        return "definite"
    words = bare.split()
    while words and words[0].lower() in _FUNCTION_WORDS:  # "The", "Few", "Many"
        words = words[1:]
    if any(w[:1].isupper() for w in words):
        return "named"
    return "other"


def _entity_key(text: str) -> str:
    caps = [w for w in _CAP_WORD.findall(text) if w.lower().rstrip(".") not in _FUNCTION_WORDS]
    if not caps:
        return text.lower()
    word = caps[-1]
    for suffix in ("'s", "’s"):
        word = word.removesuffix(suffix)
    return word.lower().rstrip(".")


def _entity_kind(text: str) -> str:
    words = re.findall(r"[\w]+", text)
    lower = {w.lower() for w in words}
    if lower & ORG_WORDS:
        return "org"
    caps = [w for w in words if w[:1].isupper()]
    if caps and all(len(w) >= 2 and w.isupper() for w in caps):
        return "org"  # an acronym: "NATO", "FBI", "CNN"
    return "person"


def _words(text: str) -> frozenset[str]:
    return frozenset(w.lower() for w in re.findall(r"\w+", text))


def _gender_of(text: str) -> str | None:
    first = text.split()[0].lower() if text.split() else ""
    if first in _MALE_TITLES:
        return "male"
    if first in _FEMALE_TITLES:
        return "female"
    return None


def _sentence_of(sentences: Sequence[Offsets], position: int) -> int:
    """Index of the sentence holding ``position`` (the previous one between sentences)."""
    k = bisect.bisect_right([s for s, _ in sentences], position) - 1
    return min(max(0, k), max(0, len(sentences) - 1))


def name_mentions(text: str, sentences: Sequence[Offsets]) -> list[_Entity]:
    """Capitalised name runs, without a leading function word ("But Trump" -> "Trump")."""
    found = []
    low = sentences[0][0] if sentences else 0
    high = sentences[-1][1] if sentences else len(text)
    starts = [s for s, _ in sentences]
    for m in _NAME_RUN.finditer(text, low, high):
        start, end = m.start(), m.end()
        words = list(re.finditer(r"\S+", m.group()))
        while words and (
            words[0].group().lower() in _FUNCTION_WORDS
            or re.fullmatch(r"i(?:['’]\w+)?", words[0].group().lower())  # "I", "I’m"
        ):
            words = words[1:]
        if not words:
            continue
        start = m.start() + words[0].start()
        span_text = text[start:end]
        for suffix in ("'s", "’s"):
            if span_text.endswith(suffix):
                end -= len(suffix)
                span_text = span_text[: -len(suffix)]
        if len(span_text) < 2:
            continue
        plural = span_text.endswith("s") and len(span_text.split()) == 1
        found.append(
            _Entity(
                (start, end),
                _entity_key(span_text),
                _entity_kind(span_text),
                plural and _entity_kind(span_text) == "person",
                max(0, bisect.bisect_right(starts, start) - 1),
                "mention",
                _words(span_text),
            )
        )
    return found


def resolve_sources(
    text: str,
    sentences: Sequence[Offsets],
    relations: Sequence[AttributionPrediction],
) -> list[AttributionPrediction]:
    """Fill ``resolved_source`` / ``resolved_score`` of each relation (see the module rules).

    Args:
        text: the document.
        sentences: sentence extents in the document, in order.
        relations: the document's attributions, any order.

    Returns:
        The relations in document order of their cue, with the resolution filled in.
    """
    ordered = sorted(relations, key=lambda r: (r.cue[0], r.cue[1]))
    mentions = name_mentions(text, sentences)
    mention_starts = [m.span[0] for m in mentions]
    sentences = list(sentences)
    genders: dict[str, str] = {}
    sources: list[_Entity] = []  # named or resolved sources so far
    resolved: dict[Offsets, _Entity] = {}  # source span -> entity it names
    out = []
    for relation in ordered:
        if relation.source is None:
            out.append(relation)
            continue
        s, e = relation.source
        src_text = text[s:e]
        kind = source_kind(src_text)
        sentence = _sentence_of(sentences, s)
        found: tuple[_Entity, float] | None = None
        window_start = sentences[max(0, sentence - 5)][0] if sentences else 0
        lo = bisect.bisect_left(mention_starts, window_start)
        hi = bisect.bisect_left(mention_starts, s)
        near_mentions = mentions[lo:hi]
        near_sources = []
        for x in reversed(sources):
            if x.sentence < sentence - 5:
                break
            near_sources.append(x)
        near_sources.reverse()
        if kind == "named":
            gender = _gender_of(src_text)
            entity = _Entity(
                (s, e),
                _entity_key(src_text),
                _entity_kind(src_text),
                False,
                sentence,
                "source",
                _words(src_text),
            )
            if gender:
                genders.setdefault(entity.key, gender)
            sources.append(entity)
            resolved[(s, e)] = entity
        elif kind == "first":
            found = _outer_speaker(relation, ordered, resolved)
        elif kind == "relative":
            found = _relative(text, s, near_mentions)
        elif kind in ("male", "female", "org", "plural"):
            found = _pronoun(kind, s, sentence, near_sources, near_mentions, genders)
        elif kind == "definite":
            found = _definite(src_text, s, sentence, near_sources, near_mentions)
        if found is not None:
            entity, score = found
            if kind in ("male", "female"):
                genders.setdefault(entity.key, kind)
            chained = replace(entity, sentence=sentence, origin="source")
            sources.append(chained)
            resolved[(s, e)] = chained
            relation = replace(relation, resolved_source=entity.span, resolved_score=score)
        out.append(relation)
    return out


def _outer_speaker(
    relation: AttributionPrediction,
    relations: Sequence[AttributionPrediction],
    resolved: dict[Offsets, _Entity],
) -> tuple[_Entity, float] | None:
    assert relation.source is not None
    s, e = relation.source
    for outer in relations:
        if outer is relation or outer.source is None:
            continue
        if outer.content[0] <= s and e <= outer.content[1]:
            entity = resolved.get(outer.source)
            if entity is not None:
                return entity, 0.9
    return None


def _relative(text: str, start: int, mentions: list[_Entity]) -> tuple[_Entity, float] | None:
    before = [m for m in mentions if m.span[1] <= start]
    if not before:
        return None
    last = before[-1]
    gap = text[last.span[1] : start]
    if re.fullmatch(r"[\s,]*", gap):
        return last, 0.9
    return None


def _compatible(entity: _Entity, kind: str, genders: dict[str, str]) -> bool:
    if kind in ("male", "female"):
        return (
            entity.kind == "person"
            and not entity.plural
            and genders.get(entity.key)
            in (
                None,
                kind,
            )
        )
    if kind == "org":
        return entity.kind == "org"
    if kind == "plural":
        return entity.kind == "org" or entity.plural
    return False


def _pronoun(
    kind: str,
    start: int,
    sentence: int,
    sources: list[_Entity],
    mentions: list[_Entity],
    genders: dict[str, str],
) -> tuple[_Entity, float] | None:
    previous = [
        x
        for x in sources
        if x.span[1] <= start and sentence - x.sentence <= 3 and _compatible(x, kind, genders)
    ]
    if previous:
        best = previous[-1]
        score = 0.8 if sentence - best.sentence <= 1 else 0.7
        rivals = {
            m.key
            for m in mentions
            if best.span[1] < m.span[0] < start and _compatible(m, kind, genders)
        }
        if rivals - {best.key}:
            score *= 0.75
        return best, score
    for k in range(sentence, sentence - 3, -1):
        here = [
            m
            for m in mentions
            if m.sentence == k and m.span[1] <= start and _compatible(m, kind, genders)
        ]
        if here:
            keys = {m.key for m in here}
            score = 0.6 * (0.75 if len(keys) > 1 else 1.0)
            return here[0], score
    return None


def _definite(
    src_text: str, start: int, sentence: int, sources: list[_Entity], mentions: list[_Entity]
) -> tuple[_Entity, float] | None:
    m = _DEFINITE.match(src_text.strip())
    assert m is not None
    head = m.group(1).split()[-1]
    pool = sorted(
        [x for x in sources + mentions if x.span[1] <= start and sentence - x.sentence <= 5],
        key=lambda x: x.span,
    )
    return _head_match(head, pool)


def _head_match(head: str, pool: list[_Entity]) -> tuple[_Entity, float] | None:
    # a head found in the antecedent ("the ministry" -> "Foreign Ministry", "the spokesman"
    # -> "Kremlin spokesman Ivan Petrov") is the strongest evidence
    for x in reversed(pool):
        if head in x.words:
            return x, 0.8
    if head in ORG_WORDS:
        orgs = [x for x in pool if x.kind == "org"]
        return (orgs[-1], 0.6) if orgs else None
    if head in PERSON_WORDS:
        people = [x for x in pool if x.kind == "person" and not x.plural]
        if people:
            keys = {x.key for x in people[-3:]}
            return people[-1], 0.6 * (0.75 if len(keys) > 1 else 1.0)
    return None
