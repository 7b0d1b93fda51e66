"""The one record schema every reader returns, per analysis, as ``datasets.Features``.

Spans are ``{"start", "end", "text"}`` dicts with ``[start, end)`` offsets into the record's
``text``; ``text[start:end] == span["text"]`` holds for every span a reader emits.
Fields a corpus does not annotate are ``None`` (unknown), never a guessed default.
"""

from __future__ import annotations

from typing import Any


def span_feature() -> Any:
    from datasets import Value

    return {"start": Value("int32"), "end": Value("int32"), "text": Value("string")}


def conditionality_features() -> Any:
    """One sentence per record.

    - ``conditional``: sentence is conditional (task-definitions.md section 1); ``None`` = unknown.
    - ``counterfactual``: SemEval-2020 task 5 label; ``None`` = unknown.
    - ``conditionals``: the constructions; each field may be ``None`` where the corpus lacks it.
    - ``spans_complete``: ``True`` when ``conditionals`` lists every construction with its
      condition and consequence spans, so a tagger may learn that untagged tokens are outside.
    """
    from datasets import Features, List, Value

    return Features(
        {
            "id": Value("string"),
            "corpus": Value("string"),
            "text": Value("string"),
            "conditional": Value("bool"),
            "counterfactual": Value("bool"),
            "spans_complete": Value("bool"),
            "conditionals": List(
                {
                    "type": Value("string"),
                    "cue": span_feature(),
                    "condition": span_feature(),
                    "consequence": span_feature(),
                }
            ),
        }
    )


def stance_features() -> Any:
    """One (text, target) pair per record; ``label`` in favor/against/neutral/unrelated.

    ``target_span`` locates the target in ``text`` when the corpus marks it, else ``None``.
    ``holder`` is who takes the stance when the corpus says so (``"author"`` for the text's
    own position), else ``None`` (the public corpora: the author's or writer's stance).
    """
    from datasets import Features, Value

    return Features(
        {
            "id": Value("string"),
            "corpus": Value("string"),
            "text": Value("string"),
            "target": Value("string"),
            "target_span": span_feature(),
            "holder": Value("string"),
            "label": Value("string"),
        }
    )


def attribution_features() -> Any:
    """One document per record with every attribution relation in it.

    ``source`` is ``None`` for agentless attributions. A discontinuous brat span is stored as the
    smallest span covering all its fragments (its ``text`` is still ``text[start:end]``).
    """
    from datasets import Features, List, Value

    return Features(
        {
            "id": Value("string"),
            "corpus": Value("string"),
            "text": Value("string"),
            "attributions": List(
                {"source": span_feature(), "cue": span_feature(), "content": span_feature()}
            ),
        }
    )
