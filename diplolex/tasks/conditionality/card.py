"""The conditionality model card."""

from __future__ import annotations

import dataclasses

from diplolex.model_card import ModelCard
from diplolex.tasks.conditionality.evaluate import ConditionalityScores


def _prf(prf) -> str:
    return f"P {prf.precision:.3f} / R {prf.recall:.3f} / F1 {prf.f1:.3f}"


def conditionality_card(settings, dev: ConditionalityScores, adapted: bool = False) -> str:
    """Render the card for a head trained with ``settings`` that scored ``dev``; ``adapted``:
    trained with a LoRA adapter of the shared encoder (saved beside the head)."""
    encoder = (
        "The shared encoder carries this folder's LoRA adapter (trained with the head, merged "
        "into the base weights at load, read by attribution too: its head is trained on the "
        "same adapted encoder)."
        if adapted
        else "The head reads the frozen base encoder."
    )
    joint = hasattr(settings, "attribution_windows_per_step")
    if joint:
        encoder += (
            " The adapter is trained on conditionality and attribution together: every step "
            "adds PolNeAR train windows read by an attribution head."
        )
    return ModelCard(
        task="conditionality",
        summary=(
            "Decides whether each sentence is conditional, tags each construction's cue, "
            "condition and consequence, and classifies it as offer, threat, demand or "
            "hypothetical (definition: shared/docs/task-definitions.md, section 1). " + encoder
        ),
        training_command=(
            "diplolex train conditionality "
            + ("--part joint " if joint else "")
            + "--data ../shared/data --out diplolex/weights/conditionality"
        ),
        data=[
            f"diplocond train, releases v1 and v2 (3,005 sentences, our annotation; all "
            f"signals), repeated {settings.diplocond_repeats} times per epoch",
            "SemEval-2020 task 5 subtask 2 train: antecedent/consequent spans of sentences whose "
            "antecedent opens with a conditional cue",
            f"SemEval-2020 task 5 subtask 1 train: counterfactual label only "
            f"({settings.st1_sample_per_epoch:,} a epoch)",
            "GUM/GDTB condition relations (train documents): condition/consequence spans",
            *(
                [
                    f"PolNeAR train (840 articles): {settings.attribution_windows_per_step} "
                    "windows of whole sentences (up to 256 word pieces) a step, read by an "
                    "attribution head trained with the adapter"
                ]
                if joint
                else []
            ),
            *(
                [
                    "Cue-free sentences of DiploStance train and NewsMTSC train as negatives of "
                    "the sentence flag (sampled with subtask 1)"
                ]
                if getattr(settings, "cue_free_negatives", False)
                else []
            ),
            *(
                [
                    "Written sentences of the rare cue families (ultimatum, deadline, "
                    "precondition, contingent on, hinges on, or face, in exchange for, "
                    "otherwise), "
                    f"{settings.synthetic_per_family} a family, and hard negatives "
                    "(diplolex.tasks.conditionality.augment)"
                ]
                if getattr(settings, "synthetic_per_family", 0)
                else []
            ),
            "Model selection and the sentence threshold: diplocond dev (both releases, 482)",
        ],
        figures=[
            ("diplocond dev sentences", str(dev.sentences)),
            ("conditional class", _prf(dev.sentence)),
            ("condition span, exact", _prf(dev.condition_exact)),
            ("condition span, token overlap", _prf(dev.condition_overlap)),
            ("consequence span, exact", _prf(dev.consequence_exact)),
            ("consequence span, token overlap", _prf(dev.consequence_overlap)),
            (
                "type accuracy (matched constructions)",
                f"{dev.type_accuracy:.3f} ({dev.type_matched}/{dev.type_total})",
            ),
        ],
        limitations=[
            "English news text; the base model is uncased.",
            "Type labels are learned from about 700 constructions, most of them hypothetical: "
            "offer and demand are rarer and can be predicted as hypothetical or threat.",
            "Forms rare in training (or-threats, ultimatums, deadlines, preconditions, "
            "only-restrictions, temporal before/until conditions) are often missed; see the "
            "per-family recall in docs/models/conditionality.md.",
            "A sentence longer than one window (126 word pieces) is cut into windows that are "
            "tagged separately; a condition and consequence in different windows are not paired.",
        ],
        settings=dataclasses.asdict(settings),
    ).render()
