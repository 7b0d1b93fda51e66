"""The stance model card."""

from __future__ import annotations

import dataclasses

from diplolex.model_card import ModelCard

TRAINING_COMMAND = "diplolex train stance --data ../shared/data --out diplolex/weights/stance"


def stance_card(
    settings,
    dev: dict[str, float],
    epoch: int,
    adapted: bool = False,
    span_markers: bool = False,
) -> str:
    """Render the card for a head trained with ``settings`` whose epoch ``epoch`` scored ``dev``
    (the harness adds its figures: ``python -m benchmarks cards``)."""
    written = (
        [
            f"Written pairs of diplomatic stance conventions ({settings.synthetic_per_family} "
            "sentences each of lifting or keeping a restriction, demands to halt or for an act, "
            "two holders of one target, conditional acceptance, reported positions: "
            "`diplolex/tasks/stance/augment.py`)"
        ]
        if settings.synthetic_per_family
        else []
    )
    return ModelCard(
        task="stance",
        summary=(
            "Scores a (text, target) pair: does the text favor, oppose (against), mention "
            "without taking a side (neutral), or not address (unrelated) the target "
            "(definition: shared/docs/task-definitions.md, section 3). A cross-encoder: the "
            "query (the target, prefixed by the holder when one is named: 'Kyiv | the truce') "
            "and the text are read together in one pass of the "
            + (
                "base encoder with this model's own LoRA adapter merged in"
                if adapted
                else "frozen encoder"
            )
            + "; the head is a layer mix + one small transformer layer + a classifier over "
            "[CLS], the mean of the text tokens and the mean of the query tokens."
            + (
                " In the text, the target's mention is marked « » and the holder's { } "
                "(`span_markers`), so the model knows whose position it reads."
                if span_markers
                else ""
            )
            + " The `shared/` sub-folder holds a second head, for the targets analyze() "
            "proposes, that reads the shared sentence pass instead "
            '(`proposed_stance="shared-pass"`; its own card).'
        ),
        training_command=TRAINING_COMMAND,
        data=[
            f"DiploStance train: (holder, target, stance) in UN speeches and news, repeated "
            f"{settings.diplostance_repeats}x, plus {settings.diplostance_unrelated} synthetic "
            "unrelated pairs from its sentences; DiploStance dev is the main selection set",
            f"NewsMTSC train: sentiment towards a mention as favor/against/neutral "
            f"({settings.newsmtsc_pairs} pairs sampled); target = the mention",
            *written,
            f"Synthetic unrelated pairs: a NewsMTSC sentence with another sentence's mention "
            f"sharing no content word ({settings.synthetic_unrelated})",
            f"FNC-1 train: headline + the body sentences sharing most words with it (at most "
            f"{settings.fnc1_per_label} pairs per label; all 840 disagree)",
            "Emergent train: claim + article headline (for/against/observing)",
            f"SemEval-2016 task 6 train: {settings.semeval_pairs} tweets, loss weight "
            f"{settings.semeval_weight}",
            f"Model selection (epoch {epoch} kept): DiploStance dev F_avg counts half, the other "
            f"half is the mean macro-F1 of {settings.dev_fraction:.0%} of the NewsMTSC "
            "sentences, FNC-1 bodies and Emergent claims held out from their train splits "
            "(by group, fixed seed)",
        ],
        figures=[(f"dev selection score, {name}", f"{value:.3f}") for name, value in dev.items()],
        limitations=[
            "English news text; the base model is uncased.",
            "The public-corpus figures stay below the frozen model of an earlier release on "
            "SemEval-2016 and below the published best everywhere: the adapter is trained on "
            "small public subsamples to fit a 2-core CPU budget, and DiploStance is what it is "
            "for.",
            "Holders are found by their words: a pronoun-referenced target with two holders "
            "('Paris welcomed the plan, but Moscow dismissed it') can still be read with the "
            "first holder's position; a refusal to lift something ('refused to lift the "
            "blockade': favor of the blockade) can be read as against it.",
            "Neutral is rare in DiploStance (2 of 152 dev pairs) and is seldom predicted on "
            "diplomatic text; NewsMTSC's neutral class stays usable (F1 0.67 on devtest_rw).",
            "A text longer than `passage_tokens` word pieces is reduced to its sentences "
            "sharing most words with the target; a stance expressed elsewhere is missed.",
            "Probabilities are a softmax at the temperature fitted after training on the dev "
            "pairs (config.json `temperature`); expected calibration error, by "
            "`python -m benchmarks.calibration`: 0.051 on DiploStance dev (part of the fitting "
            "set), 0.054 on NewsMTSC devtest_rw (not).",
        ],
        settings=dataclasses.asdict(settings),
    ).render()


SHARED_TRAINING_COMMAND = (
    "diplolex train stance --part shared --data ../shared/data "
    "--encoder-adapter diplolex/weights/conditionality --out diplolex/weights/stance/shared"
)


def shared_stance_card(settings, dev_f_avg: float, epoch: int, minutes: float) -> str:
    """Render the card of the shared-pass stance head (``diplolex.tasks.stance.shared``)."""
    return ModelCard(
        task="stance (shared pass)",
        summary=(
            "Scores the holder's stance (favor / against / neutral) towards a target that "
            "diplolex.analyze() proposed in the sentence itself (a position-taking verb's "
            "object, an attribution's content), from the states of the shared encoder pass "
            "that conditionality and attribution already computed: a layer mix, role vectors "
            "on the target's and the holder's tokens, one small transformer layer, and a "
            "classifier over the target, holder, sentence and target x holder means. "
            "User-given targets keep the cross-encoder of the folder above."
        ),
        training_command=SHARED_TRAINING_COMMAND,
        data=[
            "DiploStance train: (holder, target, stance) pairs with their target spans; the "
            "holder's first mention located in the sentence (none: the author)",
            f"Written pairs of the diplomatic stance conventions ({settings.synthetic_per_family}"
            " sentences a family, `diplolex/tasks/stance/augment.py`)",
            f"Model selection: DiploStance dev F_avg after each epoch (epoch {epoch} of "
            f"{settings.epochs} kept); the temperature is fitted on the same dev pairs",
            "The encoder stays frozen: the base model with the adapter of "
            f"{settings.encoder_adapter or '(none)'} merged in, a copy of which this folder "
            "carries",
        ],
        figures=[("DiploStance dev F_avg (selection)", f"{dev_f_avg:.3f}")],
        limitations=[
            "Only for targets that are spans of the sentence: it never says unrelated.",
            "It reads an encoder adapted for conditionality and attribution, not for stance; "
            "docs/models/stance.md compares it with the cross-encoder on the dev sets.",
            "English news text; the base model is uncased.",
            f"Training took {minutes:.1f} minutes on the 2-core CPU.",
        ],
        settings=dataclasses.asdict(settings),
    ).render()
