"""The settings of one classifier training run, and its command line.

:class:`TrainConfig` holds everything that decides what gets trained, checked
in one place (:meth:`TrainConfig.__post_init__`). The command line
``python -m patchlab.classification.train`` is parsed here
(:func:`parse_command_line`), and :meth:`TrainConfig.command` writes a
configuration back as that command, so the recipe, the model card and the
retrain message name the same run.

>>> TrainConfig(patch_size=18).command()
'python -m patchlab.classification.train --patch-size 18'
>>> from_command("python -m patchlab.classification.train --patch-size 18 --epochs 2").epochs
2
"""

from __future__ import annotations

import argparse
import math
import shlex
from dataclasses import dataclass, fields
from pathlib import Path

from patchlab import MODELS_DIR
from patchlab.classification.corners import check_patch_size

__all__ = ["TrainConfig", "PROGRAM", "build_parser", "parse_command_line", "from_command", "default_model_path"]

#: How the training is started from a shell.
PROGRAM = "python -m patchlab.classification.train"


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides what one training run learns.

    The defaults are the shipped recipe (see :mod:`patchlab.classification.recipe`).

    Parameters
    ----------
    patch_size : int
        Side of the corner patches, 8..28 (28 = the whole image, one patch).
    epochs : int
        Passes over the training digits (55,000 of MNIST's training set).
    batch_size : int
        Digits per step (each gives ``n_patches`` patches).
    learning_rate : float
        Adam's starting learning rate, cosine-decayed to 2 % of it.
    seed : int
        Seeds Keras (weights, dropout) and NumPy (order, augmentation).
    redrawn : float
        Share of each epoch's digits replaced by synthetic mouse drawings, 0..1.
    redrawings : int
        Synthetic mouse drawings prepared per redrawn training digit.
    redrawn_digits : int
        How many training digits (the first ones) are redrawn as synthetic
        mouse drawings; a replaced digit is one of these drawings, picked at
        random. Fewer digits keep the one-off drawing short (about 2 ms each).
    label_smoothing : float
        Label smoothing of the cross-entropy, 0 <= value < 1.
    fused_weight : float
        Weight of a second loss term: the cross-entropy of the *fused* answer
        (the mean of a digit's patch probabilities, what the page shows)
        against the digit's label, added to the patches' own loss. 0 trains
        every patch on its own; above 0 the patches also learn to agree where
        it matters for the fused answer.
    max_train, max_eval : int or None
        Use only the first ``max_train`` training digits / ``max_eval``
        evenly spaced validation and test digits (quick runs and tests).
    seconds : float or None
        Wall-clock budget: no step starts once this many seconds have passed
        since the run began; the weights learnt so far are kept and saved.
    augment : bool
        Random affine and stroke-width augmentation of every training digit
        (``patchlab.classification.augment``); False trains on the digits as they are.
    steps : int or None
        A budget in steps: no step starts once this many were taken, and the
        learning rate decays over them (never over time), so a run with a
        step budget is the same wherever it runs.
    decay_steps : int or None
        Steps over which the learning rate decays (then it stays at 2 %);
        None: every planned step (``epochs`` passes). With ``seconds`` set,
        the rate also decays over the time budget, whichever is further
        along, so it has decayed when the budget ends.
    """

    patch_size: int
    epochs: int = 3
    batch_size: int = 64
    learning_rate: float = 2e-3
    seed: int = 1234
    redrawn: float = 0.5
    redrawings: int = 1
    redrawn_digits: int = 10000
    label_smoothing: float = 0.05
    fused_weight: float = 0.0
    max_train: int | None = None
    max_eval: int | None = None
    seconds: float | None = None
    augment: bool = True
    steps: int | None = None
    decay_steps: int | None = None

    def __post_init__(self):
        object.__setattr__(self, "patch_size", check_patch_size(self.patch_size))
        _check_int("epochs", self.epochs, 1)
        _check_int("batch_size", self.batch_size, 1)
        _check_int("seed", self.seed, 0)
        _check_int("redrawings", self.redrawings, 1)
        _check_int("redrawn_digits", self.redrawn_digits, 1)
        _check_number("learning_rate", self.learning_rate, 0.0, math.inf, low_open=True)
        _check_number("redrawn", self.redrawn, 0.0, 1.0)
        _check_number("label_smoothing", self.label_smoothing, 0.0, 1.0, high_open=True)
        _check_number("fused_weight", self.fused_weight, 0.0, 100.0)
        if self.max_train is not None:
            _check_int("max_train", self.max_train, 1)
        if self.max_eval is not None:
            _check_int("max_eval", self.max_eval, 1)
        if self.seconds is not None:
            _check_number("seconds", self.seconds, 0.0, math.inf, low_open=True)
        if not isinstance(self.augment, bool):
            raise ValueError(f"augment must be True or False, got {self.augment!r}")
        if self.steps is not None:
            _check_int("steps", self.steps, 1)
        if self.decay_steps is not None:
            _check_int("decay_steps", self.decay_steps, 1)

    def command(self) -> str:
        """The shell command that trains this configuration (only non-default options)."""
        parts = [PROGRAM, f"--patch-size {self.patch_size}"]
        defaults = TrainConfig(self.patch_size)
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "patch_size" and value != getattr(defaults, f.name):
                parts.append(f"--{f.name.replace('_', '-')} {value}")
        return " ".join(parts)


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an int, got {value!r}")
    if value < low:
        raise ValueError(f"{name} must be at least {low}, got {value}")


def _check_number(name, value, low, high, low_open=False, high_open=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        lo, hi = ("(" if low_open else "[") + f"{low:g}", f"{high:g}" + (")" if high_open else "]")
        raise ValueError(f"{name} must lie in {lo}, {hi}, got {value}")


def default_model_path(patch_size: int, models_dir: Path | str = MODELS_DIR) -> Path:
    """Where the classifier for ``patch_size`` is saved: ``models/classifier_p{P}.keras``."""
    return Path(models_dir) / f"classifier_p{check_patch_size(patch_size)}.keras"


def _on_off(text: str) -> bool:
    """``True``/``False`` (as :meth:`TrainConfig.command` writes them), also on/off, yes/no, 1/0."""
    value = str(text).strip().lower()
    if value in ("true", "on", "yes", "1"):
        return True
    if value in ("false", "off", "no", "0"):
        return False
    raise argparse.ArgumentTypeError(f"expected True or False, got {text!r}")


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m patchlab.classification.train``."""
    d = TrainConfig(18)
    parser = argparse.ArgumentParser(prog=PROGRAM, description="Train the patch classifier for one patch size.")
    parser.add_argument("--patch-size", type=int, required=True, help="8..28 (28 = whole image)")
    parser.add_argument("--epochs", type=int, default=d.epochs)
    parser.add_argument("--batch-size", type=int, default=d.batch_size)
    parser.add_argument("--learning-rate", type=float, default=d.learning_rate)
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument("--redrawn", type=float, default=d.redrawn,
                        help="share of digits replaced by synthetic mouse drawings each epoch")
    parser.add_argument("--redrawings", type=int, default=d.redrawings,
                        help="synthetic mouse drawings prepared per redrawn training digit")
    parser.add_argument("--redrawn-digits", type=int, default=d.redrawn_digits,
                        help="how many training digits (the first N) are redrawn as synthetic mouse drawings")
    parser.add_argument("--label-smoothing", type=float, default=d.label_smoothing)
    parser.add_argument("--fused-weight", type=float, default=d.fused_weight,
                        help="weight of the loss of the fused (mean) answer beside the patches' own loss")
    parser.add_argument("--max-train", type=int, default=None, help="use only the first N training digits")
    parser.add_argument("--max-eval", type=int, default=None, help="use only N evenly spaced val/test digits")
    parser.add_argument("--seconds", type=float, default=None,
                        help="wall-clock budget: stop taking steps after S seconds, keep and save what was learnt")
    parser.add_argument("--augment", type=_on_off, default=d.augment,
                        help="random affine and stroke-width augmentation (True/False)")
    parser.add_argument("--steps", type=int, default=None,
                        help="a budget in steps: stop after N steps, the learning rate decaying over them")
    parser.add_argument("--decay-steps", type=int, default=None,
                        help="steps over which the learning rate decays (default: every planned step)")
    parser.add_argument("--out", type=Path, default=None,
                        help="the .keras file to write (default models/classifier_p{P}.keras); its card goes beside it")
    parser.add_argument("--models-dir", type=Path, default=MODELS_DIR,
                        help="folder for classifier_p{P}.keras when --out is not given")
    return parser


def parse_command_line(argv=None) -> tuple[TrainConfig, Path]:
    """The configuration and output path of a training command line (without the program).

    Raises
    ------
    SystemExit
        For an unknown option (argparse's message).
    ValueError
        For a value :class:`TrainConfig` rejects; the message names the argument.
    """
    args = build_parser().parse_args(argv)
    names = {f.name for f in fields(TrainConfig)}
    config = TrainConfig(**{k: v for k, v in vars(args).items() if k in names})
    out = args.out if args.out is not None else default_model_path(config.patch_size, args.models_dir)
    return config, Path(out)


def from_command(command: str) -> TrainConfig:
    """Parse a full command such as :meth:`TrainConfig.command` returns back into its configuration."""
    words = shlex.split(command)
    program = shlex.split(PROGRAM)
    if words[:len(program)] != program:
        raise ValueError(f"command must start with {PROGRAM!r}, got {command!r}")
    config, _ = parse_command_line(words[len(program):])
    return config
