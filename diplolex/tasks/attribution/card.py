"""The attribution model card."""

from __future__ import annotations

import dataclasses

from diplolex.model_card import ModelCard
from diplolex.tasks.attribution.evaluate import AttributionScores


def _prf(prf) -> str:
    return f"P {prf.precision:.3f} / R {prf.recall:.3f} / F1 {prf.f1:.3f}"


def attribution_card(
    settings, dev: AttributionScores, epoch: int, minutes: float, command: str | None = None
) -> str:
    """Render the card for a head trained with ``settings`` that scored ``dev`` (``command``:
    the one that trained it, when not ``diplolex train attribution``)."""
    figures = [
        ("PolNeAR dev documents / gold relations", f"{dev.documents} / {dev.gold_relations}")
    ]
    figures += [(name, _prf(prf)) for name, prf in dev.rows()]
    figures += [
        ("selected epoch", str(epoch)),
        (
            "training time (2 CPU cores; encoding included unless read from cache_dir)",
            f"{minutes:.0f} min",
        ),
    ]
    return ModelCard(
        task="attribution",
        summary=(
            "Finds attribution relations (source, cue, content; definition: "
            "shared/docs/task-definitions.md, section 2) in whole documents. The head reads "
            "the shared encoder's per-sentence states, concatenates them in document order "
            "and runs one small transformer layer over windows of 256 word pieces (stride "
            "128), so multi-sentence quotes are seen in one sequence. A BIO tagger finds the "
            "cues; for each cue, pointers choose the first and last token of its content and "
            "of its source (or no source). Rules resolve pronoun and bare-title sources to an "
            "earlier named mention (docs/models/attribution.md)."
        ),
        training_command=command
        or (
            "diplolex train attribution --data ../shared/data --out diplolex/weights/attribution"
            + (
                " --encoder-adapter diplolex/weights/conditionality\n# after training "
                "conditionality (its LoRA adapter of the shared encoder; copied into this folder)"
                if settings.encoder_adapter
                else ""
            )
        ),
        data=[
            "PolNeAR v1.0.0 train split (840 articles, US 2016 election news; months 1-10), "
            "spans normalised by diplolex.corpora.attribution.read_polnear",
            "Model selection (epoch): PolNeAR dev (84 articles, month 11)",
            "PolNeAR has no license statement (see its PROVENANCE.txt); the articles are "
            "copyrighted news: these weights are trained on them, the texts are not shipped.",
        ],
        figures=figures,
        limitations=[
            "English news; trained on one domain (US election coverage, 2015-2016): diplomatic "
            "text has other cue verbs and source types.",
            "The base model is uncased; a learned token-shape embedding (capitalised, all caps, "
            "quote, dash, ...) read from the original text gives the head casing back. On "
            "PolNeAR dev it made no measurable difference (docs/models/attribution.md, "
            '"Casing").',
            "A content or source is looked for only in the 256-word-piece window around its "
            "cue (at least 64 word pieces on each side); one content and one source per cue.",
            "resolved_source is a heuristic with no coreference model.",
        ],
        settings={
            k: v
            for k, v in dataclasses.asdict(settings).items()
            if k not in ("cache_dir", "encoder_adapter")
        },
    ).render()
