"""The baselines the harness scores beside the model, with the same scorers.

* :func:`majority_label`: the most frequent label of a training split.
* :func:`cue_rule_conditionals`: conditional cue words (task-definitions.md section 1).
* :func:`counterfactual_rule`: counterfactual cue patterns (SemEval-2020 task 5 subtask 1).
* :func:`lexicon_rule_attributions`: reporting-verb lexicon cue, quote or clause content,
  nearest noun phrase source.
* :class:`TfidfLogReg` and :class:`HeadlineBodyLogReg`: TF-IDF + logistic regression
  (scikit-learn) for sentence- and pair-level decisions, fitted on the dataset's train split.

Every rule is deterministic and documented here exactly, so its figures can be reproduced by
hand; offsets are ``[start, end)`` character offsets into the text given.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Hashable, Sequence
from typing import Any

from diplolex.spans import clean_span
from diplolex.types import Offsets


def majority_label(labels: Sequence[Hashable]) -> Hashable:
    """The most frequent label (the first seen among equally frequent ones).

    Example:
        >>> majority_label(["neutral", "favor", "neutral"])
        'neutral'
    """
    if not labels:
        raise ValueError("majority_label needs at least one label; the training split is empty")
    return Counter(labels).most_common(1)[0][0]


# ---------------------------------------------------------------------------
# Conditionality: cue words

CONDITIONAL_CUES: tuple[str, ...] = (
    "on the condition that",
    "on condition that",
    "in the event that",
    "on the basis that",
    "at the price of",
    "in exchange for",
    "in return for",
    "provided that",
    "providing that",
    "assuming that",
    "contingent upon",
    "contingent on",
    "conditional upon",
    "conditional on",
    "dependent upon",
    "dependent on",
    "depending on",
    "so long as",
    "as long as",
    "depends on",
    "hinges on",
    "subject to",
    "in case",
    "only if",
    "unless",
    "if",
)
"""Cue phrases of the rule, from task-definitions.md section 1 (clause cues and contingency
phrases). Bare "provided", "providing" and "assuming" are left out: as verbs ("the EU provided
aid") they are far more often not conditional."""

_NOT_BEFORE_IF = (
    "even",
    "as",
    "ask",
    "asks",
    "asked",
    "asking",
    "wonder",
    "wonders",
    "wondered",
    "know",
    "knows",
    "knew",
    "see",
    "unclear",
    "decide",
    "decided",
)
"""A word right before "if" that makes it concessive ("even if"), comparative ("as if") or an
indirect question ("asked if"), so the rule ignores that "if"."""

_CUE_RE = re.compile(
    r"\b(?:" + "|".join(r"\s+".join(c.split()) for c in CONDITIONAL_CUES) + r")\b", re.IGNORECASE
)
_WORD_BEFORE = re.compile(r"(\w+)\W*$")
_CLAUSE_END = re.compile(r"[,;:()\"“”!?]|—|–|\s-\s|\.(?:\s|$)")
_LEFT_BOUNDARY = re.compile(r"[,;:()\"“”!?]|—|–|\s-\s|\.\s")
_THEN = re.compile(r"then\b\s*", re.IGNORECASE)


def _clean(text: str, start: int, end: int) -> Offsets | None:
    start, end = clean_span(text, start, end)
    return (start, end) if end > start else None


def _clause_end(text: str, start: int) -> int:
    """Offset of the next clause boundary at or after ``start`` (or the end of the text)."""
    match = _CLAUSE_END.search(text, start)
    return match.start() if match else len(text)


def _left_clause(text: str, end: int) -> Offsets | None:
    """The clause ending at ``end``: back to the previous boundary; when that is empty (the
    cue follows a comma), the clause before that boundary."""
    bounds = [m.end() for m in _LEFT_BOUNDARY.finditer(text, 0, end)]
    start = bounds[-1] if bounds else 0
    span = _clean(text, start, end)
    if span is None and bounds:
        prev = bounds[-2] if len(bounds) > 1 else 0
        span = _clean(text, prev, bounds[-1] - 1)
    return span


def cue_rule_conditionals(
    text: str, cues: re.Pattern[str] | None = None
) -> list[tuple[Offsets, Offsets, Offsets | None]]:
    """The conditional constructions the cue-word rule finds in one sentence.

    The rule:

    1. A cue is any phrase of :data:`CONDITIONAL_CUES`, matched case-insensitively on word
       boundaries, longest first; an "if" right after a word of :data:`_NOT_BEFORE_IF`
       ("even if", "as if", "asked if", ...) is not a cue. "whether" is never one.
    2. The condition runs from the cue to the next clause boundary (a comma, semicolon,
       colon, bracket, double quote, dash, ``?``, ``!``, or a full stop followed by a space
       or the end), edges cleaned with :func:`diplolex.spans.clean_span`.
    3. The consequence is the main clause on the other side: when there is text before the
       cue, the clause that ends at the cue (back to the previous boundary; when the cue
       directly follows a comma, the clause before that comma); when the cue opens the
       sentence, the clause after the condition's boundary (a leading "then" skipped) up to
       the next boundary. ``None`` when that clause is empty.

    Every construction is typed ``hypothetical`` by the callers.

    Args:
        text: One sentence.
        cues: the cue pattern; default the phrases of :data:`CONDITIONAL_CUES` (the wide
            list of :mod:`benchmarks.families` is the other one used).

    Returns:
        ``(cue, condition, consequence | None)`` offsets, in text order.

    Example:
        >>> text = "Sanctions will be lifted if the prisoners are released, the envoy said."
        >>> [(text[c[0]:c[1]], text[d[0]:d[1]]) for c, d, _ in cue_rule_conditionals(text)]
        [('if', 'if the prisoners are released')]
        >>> cue_rule_conditionals("We will press on even if sanctions follow.")
        []
    """
    found = []
    for match in (cues or _CUE_RE).finditer(text):
        cue = (match.start(), match.end())
        if match.group(0).lower() == "if":
            before = _WORD_BEFORE.search(text, 0, match.start())
            if before and before.group(1).lower() in _NOT_BEFORE_IF:
                continue
        condition = _clean(text, cue[0], _clause_end(text, cue[1]))
        if condition is None:
            continue
        if text[: cue[0]].strip(" \t\n\"“'(—–-"):
            consequence = _left_clause(text, cue[0])
        else:
            after = condition[1]
            boundary = _CLAUSE_END.match(text, after)
            start = boundary.end() if boundary else after
            while start < len(text) and text[start].isspace():
                start += 1
            then = _THEN.match(text, start)
            start = then.end() if then else start
            consequence = _clean(text, start, _clause_end(text, start))
        found.append((cue, condition, consequence))
    return found


# ---------------------------------------------------------------------------
# Counterfactuals

COUNTERFACTUAL_PATTERNS: tuple[str, ...] = (
    r"\b(?:would|could|should|might|must|may)(?:\s+not|n't)?\s+have\s+\w+",
    r"\b(?:would|could|should|might|must)'ve\b",
    r"\bif\b[^.;!?]{0,80}?\bhad\b",
    r"\bif\s+only\b",
    r"\bwish(?:es|ed)?\b",
    r"(?:^|[,;]\s*)(?:had|were)\s+(?:it|they|he|she|we|i|you|there|the\s+\w+)\b",
    r"\bbut\s+for\b",
)
"""Regular expressions (case-insensitive) of the counterfactual rule: a modal + "have" + a
word ("would have won", "could not have known"), a contracted "would've", "if ... had"
within 80 characters of one clause, "if only", "wish", a clause-initial inverted
"had"/"were" + subject ("Had the envoy stayed"), and "but for"."""

_COUNTERFACTUAL_RE = re.compile("|".join(COUNTERFACTUAL_PATTERNS), re.IGNORECASE)


def counterfactual_rule(text: str) -> bool:
    """Whether a sentence matches any of :data:`COUNTERFACTUAL_PATTERNS`.

    Example:
        >>> counterfactual_rule("Had the envoy stayed, the talks would have continued.")
        True
        >>> counterfactual_rule("If the envoy stays, the talks will continue.")
        False
    """
    return _COUNTERFACTUAL_RE.search(text) is not None


# ---------------------------------------------------------------------------
# Attribution: reporting-verb lexicon

_TOKEN = re.compile(r"\w+(?:['’-]\w+)*|\S")
_QUOTE = re.compile(r"\"[^\"\n]+\"|“[^”\n]+”")
_PRONOUNS = frozenset({"he", "she", "they", "we", "i"})
_RUN_JOINERS = frozenset({"of", "."})
_NOT_SOURCE = frozenset(
    {
        "the", "a", "an", "but", "and", "or", "in", "on", "at", "for", "if", "when", "while",
        "as", "after", "before", "this", "that", "these", "those", "it", "there", "then",
        "however", "still", "yet", "so", "also", "meanwhile", "last",
    }
)  # fmt: skip
_ACCORDING_TO = re.compile(r"\baccording\s+to\b", re.IGNORECASE)


def _tokens(text: str, start: int, end: int) -> list[Offsets]:
    return [m.span() for m in _TOKEN.finditer(text, start, end)]


def _noun_phrases(text: str, tokens: list[Offsets], sentence_start: int) -> list[Offsets]:
    """Pronouns and runs of capitalised words (joined by "of" or an abbreviation's full
    stop) in the token list; a sentence-initial capitalised function word is not one."""
    phrases: list[Offsets] = []
    run: list[Offsets] = []

    def close() -> None:
        while run and text[run[-1][0] : run[-1][1]].lower() in _RUN_JOINERS:
            run.pop()
        while run and text[run[0][0] : run[0][1]].lower() in _NOT_SOURCE | _RUN_JOINERS:
            run.pop(0)
        if run:
            phrases.append((run[0][0], run[-1][1]))
        run.clear()

    for start, end in tokens:
        word = text[start:end]
        if word[0].isupper() and word[0].isalpha():
            if start == sentence_start and word.lower() in _PRONOUNS:
                close()
                phrases.append((start, end))
            else:
                run.append((start, end))
        elif run and word.lower() in _RUN_JOINERS:
            run.append((start, end))
        else:
            close()
            if word.lower() in _PRONOUNS:
                phrases.append((start, end))
    close()
    return phrases


_AUXILIARIES = frozenset(
    {"has", "have", "had", "was", "is", "were", "are", "did", "does", "do", "not", "n't",
     "also", "later", "again", "will", "would", "repeatedly", "reportedly"}
)  # fmt: skip
_DETERMINERS = frozenset({"the", "a", "an", "his", "her", "its", "their", "our"})
_NOT_IN_PHRASE = frozenset({"that", "which", "who", "and", "or", "but", "to", "of", "it", "as"})


def _adjacent_source(
    text: str, tokens: list[Offsets], position: int, phrases: list[Offsets]
) -> Offsets | None:
    """The noun phrase right before the cue token ``tokens[position]`` (rule 3 of
    :func:`lexicon_rule_attributions`), or ``None``."""
    j = position - 1
    while j >= 0 and text[tokens[j][0] : tokens[j][1]].lower() in _AUXILIARIES:
        j -= 1
    if j < 0:
        return None
    last = tokens[j]
    for phrase in phrases:
        if phrase[0] <= last[0] and last[1] <= phrase[1]:
            return phrase
    words: list[Offsets] = []
    while j >= 0 and len(words) < 3:
        word = text[tokens[j][0] : tokens[j][1]]
        if word.lower() in _DETERMINERS:
            if words:
                words.insert(0, tokens[j])
            break
        if not word.isalpha() or not word.islower() or word in _NOT_IN_PHRASE:
            break
        words.insert(0, tokens[j])
        j -= 1
    if not words:
        return None
    return (words[0][0], words[-1][1])


def _inside(span: Offsets, outer: Offsets | None) -> bool:
    return outer is not None and outer[0] <= span[0] and span[1] <= outer[1]


def _content_for(
    text: str, sentence: Offsets, cue: Offsets, quotes: list[Offsets]
) -> Offsets | None:
    if quotes:
        return min(quotes, key=lambda q: max(q[0] - cue[1], cue[0] - q[1], 0))
    start = cue[1]
    rest = text[start : sentence[1]]
    that = re.match(r"\s*,?\s*that\b", rest)
    if that:
        start += that.end()
    after = _clean(text, start, sentence[1])
    if after is not None and len(_tokens(text, *after)) >= 2:
        return after
    before = _clean(text, sentence[0], cue[0])
    return before


def lexicon_rule_attributions(
    text: str, sentences: Sequence[Offsets], verbs: Collection[str]
) -> list[tuple[Offsets | None, Offsets, Offsets]]:
    """The attributions the reporting-verb rule finds in a document.

    Within each sentence (``sentences``: offsets from :func:`diplolex.segment.split_sentences`):

    1. Cue: every word whose lower-cased form is in ``verbs`` (the SFU reporting-verb
       lexicon), unless it is capitalised away from the sentence start ("United States"),
       plus every "according to".
    2. Content: when the sentence holds a double-quoted stretch (``"..."`` or ``“...”``), the
       quote nearest the cue, quotation marks included; otherwise the clause after the cue
       (a following "that" skipped) to the end of the sentence, when it has at least two
       tokens, else the sentence part before the cue. Edges cleaned with
       :func:`diplolex.spans.clean_span`.
    3. Source: a noun phrase is a personal pronoun (he, she, they, we, I) or a run of
       capitalised words, possibly joined by "of" or an abbreviation's full stop ("Mr.
       Lavrov", "Ministry of Defence"), with leading function words such as "The" or "But"
       dropped. The source is, in this order: the words right before the cue (auxiliaries
       and negation such as "has", "did", "not" skipped) when they are a noun phrase, or
       else, when they are lower-case words, up to three of them back to and including a
       determiner ("the foreign minister", "officials"); the nearest noun phrase before the
       cue; the first noun phrase within four tokens after the cue ("..., said Lavrov.");
       else ``None``. A source never lies inside the content. For "according to", the
       source is the first noun phrase after the cue, else the clause after it ("according
       to officials"), and the content is the clause before the cue (or, when the cue opens
       the sentence, the rest after the source).

    Args:
        text: The document.
        sentences: Sentence offsets into ``text``.
        verbs: Lower-cased reporting-verb forms.

    Returns:
        ``(source | None, cue, content)`` relations, in text order.

    Example:
        >>> text = 'The minister said "talks will resume".'
        >>> rels = lexicon_rule_attributions(text, [(0, len(text))], {"said"})
        >>> [(text[s[0]:s[1]], text[c[0]:c[1]], text[t[0]:t[1]]) for s, c, t in rels]
        [('The minister', 'said', '"talks will resume"')]
    """
    relations: list[tuple[Offsets | None, Offsets, Offsets]] = []
    for sentence in sentences:
        tokens = _tokens(text, *sentence)
        quotes = [m.span() for m in _QUOTE.finditer(text, *sentence)]
        phrases = _noun_phrases(text, tokens, sentence[0])
        for m in _ACCORDING_TO.finditer(text, *sentence):
            cue = m.span()
            after = [p for p in phrases if p[0] >= cue[1]]
            source = after[0] if after else _clean(text, cue[1], _clause_end(text, cue[1]))
            content = _clean(text, sentence[0], cue[0])
            if content is None:
                content = _clean(text, source[1] if source else cue[1], sentence[1])
            if content is not None:
                relations.append((source, cue, content))
        for position, (start, end) in enumerate(tokens):
            word = text[start:end]
            if word.lower() not in verbs or (word[0].isupper() and start != sentence[0]):
                continue
            cue = (start, end)
            content = _content_for(text, sentence, cue, quotes)
            if content is None:
                continue
            source = _adjacent_source(text, tokens, position, phrases)
            if source is not None and _inside(source, content):
                source = None
            if source is None:
                before = [p for p in phrases if p[1] <= cue[0] and not _inside(p, content)]
                source = before[-1] if before else None
            if source is None:
                window_end = tokens[min(position + 4, len(tokens) - 1)][1]
                after = [
                    p
                    for p in phrases
                    if p[0] >= cue[1] and p[1] <= window_end and not _inside(p, content)
                ]
                source = after[0] if after else None
            relations.append((source, cue, content))
    relations.sort(key=lambda r: r[1])
    return relations


# ---------------------------------------------------------------------------
# TF-IDF + logistic regression


class TfidfLogReg:
    """TF-IDF word uni- and bigrams + logistic regression, one label per text.

    ``TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_features=200_000)`` and
    ``LogisticRegression(max_iter=1000, class_weight="balanced")`` (scikit-learn), fitted
    on the training split. With a single label in the training data it predicts that label.

    Example:
        >>> clf = TfidfLogReg().fit(["we accept", "we reject", "they accept"], ["y", "n", "y"])
        >>> clf.predict(["we accept the offer"])
        ['y']
    """

    def __init__(self) -> None:
        self.pipeline: Any = None
        self.constant: Hashable | None = None
        self.classes: list[Hashable] = []

    def fit(self, texts: Sequence[str], labels: Sequence[Hashable]) -> TfidfLogReg:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        if not texts:
            raise ValueError("TfidfLogReg.fit needs at least one training text")
        self.classes = sorted(set(labels), key=str)
        if len(self.classes) == 1:
            self.constant = self.classes[0]
            return self
        self.pipeline = make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, max_features=200_000),
            LogisticRegression(max_iter=1000, class_weight="balanced"),
        )
        self.pipeline.fit(list(texts), list(labels))
        return self

    def predict(self, texts: Sequence[str]) -> list[Hashable]:
        if self.constant is not None:
            return [self.constant] * len(texts)
        return self.pipeline.predict(list(texts)).tolist()

    def probability(self, texts: Sequence[str], label: Hashable) -> list[float]:
        """Probability of ``label`` for each text (1.0/0.0 for a single-label model)."""
        if self.constant is not None:
            return [float(self.constant == label)] * len(texts)
        classes = list(self.pipeline.classes_)
        if label not in classes:
            return [0.0] * len(texts)
        column = classes.index(label)
        return [float(p[column]) for p in self.pipeline.predict_proba(list(texts))]


BODY_CHARS = 1000
"""Characters of an FNC-1 body the headline-body baseline reads."""


class HeadlineBodyLogReg:
    """The FNC-1 TF-IDF baseline: headline and body features side by side, plus similarity.

    One ``TfidfVectorizer(stop_words="english", max_features=50_000, sublinear_tf=True)`` is
    fitted on the training headlines and the first :data:`BODY_CHARS` characters of the
    distinct training bodies. A pair's features are the headline's vector, the body
    prefix's vector (a separate block) and their cosine similarity;
    ``LogisticRegression(max_iter=1000, class_weight="balanced")`` is fitted on them.

    Example:
        >>> clf = HeadlineBodyLogReg().fit(
        ...     ["Talks resume", "Envoy resigns"], ["Talks resume in Geneva today.", "Rain."],
        ...     ["favor", "unrelated"])
        >>> clf.predict(["Talks resume"], ["Talks resume in Geneva."])
        ['favor']
    """

    def __init__(self) -> None:
        self.vectorizer: Any = None
        self.model: Any = None
        self.constant: Hashable | None = None

    def _features(self, headlines: Sequence[str], bodies: Sequence[str]) -> Any:
        from scipy.sparse import csr_matrix, hstack

        unique = sorted(set(bodies))
        index = {body: i for i, body in enumerate(unique)}
        body_matrix = self.vectorizer.transform([b[:BODY_CHARS] for b in unique])
        b = body_matrix[[index[body] for body in bodies]]
        h = self.vectorizer.transform(list(headlines))
        cosine = csr_matrix(h.multiply(b).sum(axis=1))
        return hstack([h, b, cosine]).tocsr()

    def fit(
        self, headlines: Sequence[str], bodies: Sequence[str], labels: Sequence[Hashable]
    ) -> HeadlineBodyLogReg:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        if len(set(labels)) == 1:
            self.constant = labels[0]
            return self
        self.vectorizer = TfidfVectorizer(
            stop_words="english", max_features=50_000, sublinear_tf=True
        )
        self.vectorizer.fit(list(headlines) + [b[:BODY_CHARS] for b in set(bodies)])
        self.model = LogisticRegression(max_iter=1000, class_weight="balanced")
        self.model.fit(self._features(headlines, bodies), list(labels))
        return self

    def predict(self, headlines: Sequence[str], bodies: Sequence[str]) -> list[Hashable]:
        if self.constant is not None:
            return [self.constant] * len(headlines)
        return self.model.predict(self._features(headlines, bodies)).tolist()
