"""The recipe of the shipped classifiers: one training configuration per patch size.

    python -m patchlab.classification.recipe          # print the commands
    python -m patchlab.classification.recipe --run    # run them, one after the other

These are exactly the settings that trained ``models/classifier_p{14,18,22,28}.keras``
(each model's card records them). ``make train``, the model cards, the docs
and every "retrain it with" message read them from here.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys

from patchlab import MODELS_DIR
from patchlab.classification.config import TrainConfig, default_model_path
from patchlab.runtime import read_card

__all__ = ["SHIPPED", "PATCH_SIZES", "ONE_MINUTE", "minute_command", "shipped_config", "retrain_command", "retrain_advice", "commands", "main"]

#: Epochs (passes over the 55,000 training digits) of each shipped model, sized to the
#: training time one session of a 2-core CPU allowed (docs/classification.md, *Training*);
#: the epoch kept is the best on the validation digits.
EPOCHS = {14: 10, 18: 12, 22: 8, 28: 10}

#: Weight of the fused (mean) answer's own cross-entropy beside the patches' loss (``--fused-weight``),
#: chosen on the validation digits with ``scripts/select_classifier_recipe.py`` (docs/classification.md,
#: *Training for the fused answer*); 0: each patch learns on its own. At p = 28 there is one patch, so
#: the fused answer is the patch's own.
FUSED_WEIGHT = {14: 0.0, 18: 1.0, 22: 0.0, 28: 0.0}

#: One configuration per shipped model, in the order ``make train`` runs them: the
#: defaults of :class:`TrainConfig` (the recipe the page's one-minute run starts from),
#: only the number of epochs and the fused loss's weight differ.
SHIPPED = tuple(
    TrainConfig(
        patch_size=p,
        epochs=EPOCHS[p],
        batch_size=64,
        learning_rate=2e-3,
        seed=1234,
        redrawn=0.5,
        redrawings=1,
        redrawn_digits=10000,
        label_smoothing=0.05,
        fused_weight=FUSED_WEIGHT[p],
    )
    for p in (14, 18, 22, 28)
)
PATCH_SIZES = tuple(c.patch_size for c in SHIPPED)

#: How the page's short runs (*Train a classifier*, a budget of seconds) differ from the
#: shipped recipe: a faster learning rate, more synthetic drawings per batch and no label
#: smoothing. Chosen on the 5,000 validation digits and their mouse-drawn redrawings with
#: ``scripts/select_classifier_recipe.py`` (520 steps at p = 18, what a quiet minute gives;
#: docs/training.md, *One minute on all of MNIST*); the official test set was not looked at.
ONE_MINUTE = {"learning_rate": 4e-3, "redrawn": 0.8, "label_smoothing": 0.0}


def shipped_config(patch_size: int) -> TrainConfig:
    """The configuration of the shipped model for ``patch_size``.

    A patch size without a shipped model gets the same settings (the defaults).
    """
    for config in SHIPPED:
        if config.patch_size == patch_size:
            return config
    return TrainConfig(patch_size)


def retrain_command(patch_size: int) -> str:
    """The command that reproduces the shipped classifier for ``patch_size``."""
    return shipped_config(patch_size).command()


def training_minutes(patch_size: int, models_dir=MODELS_DIR) -> int | None:
    """How long the shipped model took to train here (from its card), rounded to minutes; None if unknown."""
    training = read_card(default_model_path(patch_size, models_dir)).get("training", {})
    seconds = training.get("wall_time_s")
    if not isinstance(seconds, (int, float)):
        return None
    return max(1, round((seconds + (training.get("redrawing_time_s") or 0)) / 60))


def retrain_advice(patch_size: int, models_dir=MODELS_DIR) -> str:
    """:func:`retrain_command`, with how long it took on this machine when the card says so."""
    command = retrain_command(patch_size)
    minutes = training_minutes(patch_size, models_dir)
    return command if minutes is None else f"{command}    # about {minutes} min on 2 CPU threads"


def minute_command(patch_size: int = 18, seconds: float = 60) -> str:
    """The command line that trains what the page trains in ``seconds`` (the one-minute recipe).

    >>> minute_command(18)
    'python -m patchlab.classification.train --patch-size 18 --learning-rate 0.004 --redrawn 0.8 --label-smoothing 0.0 --seconds 60.0'
    """
    return TrainConfig(patch_size, seconds=float(seconds), **ONE_MINUTE).command()


def commands() -> list[str]:
    """The shell commands that retrain every shipped classifier."""
    return [config.command() for config in SHIPPED]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m patchlab.classification.recipe",
                                     description="The commands that train the shipped classifiers.")
    parser.add_argument("--run", action="store_true", help="run the commands one after the other")
    args = parser.parse_args(argv)
    for command in commands():
        print(command, flush=True)
        if args.run:
            # The same process per model as typing the command: nothing carries over between runs.
            program = [sys.executable] + shlex.split(command)[1:]
            if subprocess.run(program).returncode:
                sys.exit(f"failed: {command}")


if __name__ == "__main__":
    main()
