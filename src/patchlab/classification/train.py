"""Train the patch classifier for one patch size.

    python -m patchlab.classification.train --patch-size 18 [--seconds S] [--out PATH]

Each training digit is augmented, cut into its four corner patches with
``tf.image.extract_patches``, and the patches go through the one shared CNN
as a batch; the loss of every patch is taken against the digit's label
(repeated 4 times) and averaged. After every epoch the fused (mean)
accuracy on the 5,000 validation digits (taken from MNIST's training set)
picks the weights to keep; MNIST's official test set is only used for the
figures in the model card.
Writes ``models/classifier_p{P}.keras`` and its card ``models/classifier_p{P}.json``.

Three pieces, read top to bottom:

- :func:`train_classifier` is the training loop: a :class:`TrainConfig` in,
  a :class:`TrainingRun` out, progress reported through a callback, stopped
  early by ``should_stop`` (or the configuration's ``seconds``);
- :func:`model_card` builds the model card from the configuration and the run;
- :func:`save_classifier` writes the model and its card; :func:`main` is the
  command line. The shipped settings are in :mod:`patchlab.classification.recipe`.
"""

from __future__ import annotations

import math
import os
import platform
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from patchlab.classification.accuracy import accuracies, batch_patch_probabilities
from patchlab.classification.augment import augment_digits, redrawn_pool
from patchlab.classification.config import TrainConfig, parse_command_line
from patchlab.classification.corners import extract_patches, n_patches, patch_stride
from patchlab.classification.data import MNIST_PATH, dataset_info, load_split
from patchlab.classification.model import build_patch_classifier
from patchlab.runtime import save_model, tensorflow, write_card

__all__ = ["TrainConfig", "TrainingProgress", "TrainingRun", "train_classifier", "learning_rate_at", "model_card",
           "save_classifier", "main"]

#: Intra-op threads of every training run (the shipped models were trained so).
THREADS = 2


@dataclass
class TrainingProgress:
    """What the loop reports after every step.

    step, total_steps : steps taken so far, and planned
    epoch : the current epoch (from 1)
    loss : this step's loss
    seconds : since the run began (data preparation included)
    validation : None after an ordinary step; after an epoch's validation
        (reported once more with the same step) the epoch's record:
        ``epoch, loss`` (the epoch's mean), ``val_fused_mean``, ``val_best_single``.
    check : None, or after a quick check (``check_every`` of
        :func:`train_classifier`; reported once more with the same step):
        ``step, n_digits, single_patch`` (accuracy of each patch) and
        ``fused`` (``{rule: accuracy}``) on evenly spaced validation digits.
    """

    step: int
    total_steps: int
    epoch: int
    loss: float
    seconds: float
    validation: dict | None = None
    check: dict | None = None


@dataclass
class TrainingRun:
    """The outcome of :func:`train_classifier`: the kept model and what happened."""

    config: TrainConfig
    model: object  # keras.Model, holding the best-on-validation weights
    history: list = field(default_factory=list)
    best_epoch: int = 0
    steps: int = 0  # steps taken
    total_steps: int = 0  # steps planned
    stopped_early: bool = False
    wall_time_s: float = 0.0  # the loop, validation included
    redrawing_time_s: float = 0.0  # preparing the synthetic mouse drawings
    used: dict = field(default_factory=dict)  # digits used per split
    val: dict = field(default_factory=dict)  # accuracies of the kept weights
    test: dict = field(default_factory=dict)
    threads: str = ""


def load_digits(config: TrainConfig) -> dict:
    """The train / val / test digits a run uses, ``{split: (images, labels)}``."""
    x_train, y_train = load_split("train")
    x_val, y_val = load_split("val")
    x_test, y_test = load_split("test")
    if config.max_train:
        x_train, y_train = x_train[:config.max_train], y_train[:config.max_train]
    if config.max_eval:  # evenly spaced over each split
        pick_val = np.linspace(0, len(x_val) - 1, min(config.max_eval, len(x_val))).astype(int)
        pick_test = np.linspace(0, len(x_test) - 1, min(config.max_eval, len(x_test))).astype(int)
        x_val, y_val, x_test, y_test = x_val[pick_val], y_val[pick_val], x_test[pick_test], y_test[pick_test]
    return {"train": (x_train, y_train), "val": (x_val, y_val), "test": (x_test, y_test)}


def learning_rate_at(config: TrainConfig, step: int, total_steps: int, elapsed_s: float = 0.0,
                     budget_s: float | None = None) -> float:
    """Adam's learning rate for the step after ``step``: cosine-decayed from ``config.learning_rate`` to 2 % of it.

    The decay follows whichever is further along: the steps (``step`` of
    ``config.decay_steps``, or of ``total_steps`` when that is None) or, for
    a time-budgeted run, the training time (``elapsed_s`` of ``budget_s``,
    the seconds the budget leaves for training steps). A budgeted run thus
    reaches its final rate as its budget ends, however fast the machine.

    Examples
    --------
    >>> config = TrainConfig(18, learning_rate=1e-3)
    >>> learning_rate_at(config, 0, 100), round(learning_rate_at(config, 100, 100), 6)
    (0.001, 2e-05)
    >>> round(learning_rate_at(config, 10, 100, elapsed_s=30.0, budget_s=30.0), 6)  # the budget is spent
    2e-05
    """
    decay_steps = max(config.decay_steps if config.decay_steps is not None else total_steps, 1)
    done = step / decay_steps
    if budget_s is not None and budget_s > 0 and config.steps is None:  # a step budget never follows the clock
        done = max(done, elapsed_s / budget_s)
    done = min(max(done, 0.0), 1.0)
    alpha = 0.02
    return config.learning_rate * (alpha + (1 - alpha) * 0.5 * (1 + math.cos(math.pi * done)))


class Trainer:
    """A network, its optimiser and their compiled training step, reused by later runs of the same kind.

    Tracing a new training step for every run keeps about 20 MB of
    TensorFlow's graph state per run alive in the process for good (measured
    with ``benchmarks/bench_training_memory.py``); a server where a room trains
    again and again would grow without end. So a run borrows a trainer for
    its patch size and loss (:func:`borrow_trainer`), copies its
    own freshly initialised weights in (:meth:`start_from`), trains, and gives
    it back (:func:`return_trainer`). At most one trainer per kind and
    concurrent run is ever built: at most 21 patch sizes x the server's
    training slots.
    """

    def __init__(self, config: TrainConfig):
        self.patch_size = config.patch_size
        self.model = build_patch_classifier(config.patch_size)
        # the step depends only on the kind (_trainer_kind): the rest of the configuration is the run's
        patch_size, label_smoothing, fused_weight = _trainer_kind(config)
        self.step, self.optimizer = make_train_step(self.model, TrainConfig(
            patch_size, label_smoothing=label_smoothing, fused_weight=fused_weight))

    def reseed_like_new(self) -> None:
        """Give the reused network the dropout seed a newly built trainer would get now.

        A run seeds Keras and then builds its trainer; a new trainer's
        dropout draws its seed from that seeded state. A reused one still
        holds the state its last run left, so a run would depend on the
        runs before it. Building a throwaway network draws exactly what a
        new trainer would, and its dropout state is copied in: every run is
        then the same as in a fresh process (the command line).
        """
        fresh = build_patch_classifier(self.patch_size)
        for source, target in zip(_seed_states(fresh), _seed_states(self.model)):
            target.assign(source.value)

    def start_from(self, model) -> None:
        """Take ``model``'s weights and forget the optimiser's state (moments, step count)."""
        self.model.set_weights(model.get_weights())
        for variable in self.optimizer.variables:
            variable.assign(np.zeros(variable.shape, dtype=variable.dtype))


def _seed_states(model) -> list:
    """The random-seed state variables of ``model``'s dropout layers (not among its weights)."""
    return [v for v in model.non_trainable_variables if "seed_generator_state" in v.path]


_trainers: dict[tuple, list[Trainer]] = {}
_trainers_lock = threading.Lock()


def borrow_trainer(config: TrainConfig) -> Trainer:
    """A :class:`Trainer` for ``config``'s kind: an idle one if there is one, else a new one."""
    with _trainers_lock:
        idle = _trainers.get(_trainer_kind(config))
        trainer = idle.pop() if idle else None
    if trainer is None:
        return Trainer(config)
    trainer.reseed_like_new()
    return trainer


def return_trainer(config: TrainConfig, trainer: Trainer) -> None:
    """Give a trainer back after a run that ended normally (one that raised is dropped)."""
    with _trainers_lock:
        _trainers.setdefault(_trainer_kind(config), []).append(trainer)


def _trainer_kind(config: TrainConfig) -> tuple:
    """What a trainer's compiled step depends on: the patch size and the loss."""
    return config.patch_size, float(config.label_smoothing), float(config.fused_weight)


def make_train_step(model, config: TrainConfig):
    """One compiled optimisation step on a batch of digits and a learning rate, and its optimiser.

    The step returns the batch's loss: every patch's cross-entropy against
    its digit's label, averaged over the patches, plus ``fused_weight`` times
    the cross-entropy of each digit's fused (mean) probabilities; Adam at the
    rate given (see :func:`learning_rate_at`).
    """
    import keras

    tf = tensorflow()
    n = n_patches(config.patch_size)
    optimizer = keras.optimizers.Adam(config.learning_rate)
    loss_fn = keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing)
    fused_weight = float(config.fused_weight)

    @tf.function
    def train_step(images, labels, learning_rate):
        optimizer.learning_rate.assign(learning_rate)
        patches = extract_patches(images, config.patch_size)  # (B * n, p, p, 1)
        targets = tf.one_hot(tf.repeat(labels, n), 10)  # each patch gets its digit's label
        with tf.GradientTape() as tape:
            probs = model(patches, training=True)
            loss = loss_fn(targets, probs)  # averaged over all patches
            if fused_weight > 0:  # the answer the page shows: the mean of each digit's patches
                fused = tf.reduce_mean(tf.reshape(probs, (-1, n, 10)), axis=1)
                loss = loss + fused_weight * loss_fn(tf.one_hot(labels, 10), fused)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    return train_step, optimizer


@dataclass
class TrainingDigits:
    """What one run trains and validates on, prepared before its first step.

    images, labels : the training digits, uint8 (N, 28, 28) and (N,) (the
        participant's own digits, if any, come last and are never replaced)
    n_replaceable : how many of the first digits may be replaced by a synthetic drawing
    pools, pool_labels : the synthetic mouse drawings, ``redrawings`` arrays
        (M, 28, 28) float32 of the same M digits, and their labels
    val, test : (images, labels) of the validation and test digits
    check : (images, labels) of the quick checks, or None
    used : digits used per split, for the card
    """

    images: np.ndarray
    labels: np.ndarray
    n_replaceable: int
    pools: list
    pool_labels: np.ndarray
    val: tuple
    test: tuple
    check: tuple | None
    used: dict


def batch_digits(data: TrainingDigits, picked: np.ndarray, config: TrainConfig,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One step's digits: (B, 28, 28, 1) float32 in [0, 1] and (B,) int32 labels.

    ``picked`` indexes ``data.images``. A share ``config.redrawn`` of the
    replaceable digits is swapped for a synthetic mouse drawing (a random
    one of the pools, with its own label), so canvas drawings look familiar;
    then every digit is augmented (``config.augment``).
    """
    x = data.images[picked].astype(np.float32) / 255.0
    y = data.labels[picked].astype(np.int32)
    if data.pools:
        swap = np.flatnonzero((rng.uniform(size=len(picked)) < config.redrawn) & (picked < data.n_replaceable))
        which = rng.integers(len(data.pools), size=len(swap))
        drawing = rng.integers(len(data.pool_labels), size=len(swap))
        for k, pool in enumerate(data.pools):
            mine = which == k
            x[swap[mine]] = pool[drawing[mine]]
        y[swap] = data.pool_labels[drawing]
    if config.augment:
        x = augment_digits(x, rng)
    return x[..., None], y


def _extra_digits(extra_digits) -> tuple[np.ndarray, np.ndarray]:
    """Check ``extra_digits`` (images, labels) and return them as uint8 (N, 28, 28) and uint8 labels."""
    try:
        images, labels = extra_digits
    except (TypeError, ValueError):
        raise ValueError("extra_digits must be a pair (images, labels)") from None
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or labels.shape != (len(images),):
        raise ValueError(f"extra_digits must be images (N, 28, 28) and labels (N,), got {images.shape} "
                         f"and {labels.shape}")
    if len(labels) and (labels.min() < 0 or labels.max() > 9 or not np.all(labels == np.round(labels))):
        raise ValueError("extra_digits labels must be the digits 0-9")
    if images.dtype == np.uint8:
        return images, labels.astype(np.uint8)
    x = images.astype(np.float32)
    if len(x) and (x.min() < 0 or x.max() > 1):
        raise ValueError("extra_digits images must lie in [0, 1] (or be uint8)")
    return np.rint(x * 255).astype(np.uint8), labels.astype(np.uint8)


def prepare_pools(config: TrainConfig, x_train: np.ndarray, redrawn_pools: list | None) -> list:
    """The synthetic drawings of the first ``config.redrawn_digits`` training digits: given, or drawn now."""
    if config.redrawn <= 0:
        return []
    n = min(config.redrawn_digits, len(x_train))
    if redrawn_pools is None:
        return [redrawn_pool(x_train[:n], seed=config.seed + 1 + k) for k in range(config.redrawings)]
    pools = [np.asarray(pool, dtype=np.float32) for pool in redrawn_pools]
    if len(pools) != config.redrawings or any(pool.shape != (n, 28, 28) for pool in pools):
        raise ValueError(f"redrawn_pools must be {config.redrawings} array(s) of shape {(n, 28, 28)}")
    return pools


def prepare_digits(config: TrainConfig, extra_digits=None, redrawn_pools: list | None = None,
                   check_digits: int | None = None) -> TrainingDigits:
    """Load the splits, add the extra digits, prepare the synthetic drawings and the check digits."""
    extra = _extra_digits(extra_digits) if extra_digits is not None else None
    digits = load_digits(config)
    x_train, y_train = digits["train"]
    pools = prepare_pools(config, x_train, redrawn_pools)
    used = {k: len(v[0]) for k, v in digits.items()}
    images, labels = x_train, y_train
    if extra is not None:
        images, labels = np.concatenate([x_train, extra[0]]), np.concatenate([y_train, extra[1]])
        used["extra"] = len(extra[1])
    check = None
    if check_digits:
        x_val, y_val = digits["val"]
        pick = np.linspace(0, len(x_val) - 1, min(check_digits, len(x_val))).astype(int)
        check = (x_val[pick], y_val[pick])
    return TrainingDigits(images, labels, len(x_train), pools, y_train[:len(pools[0])] if pools else y_train[:0],
                          digits["val"], digits["test"], check, used)


def validation_record(model, epoch: int, losses: list, digits, patch_size: int) -> dict:
    """An epoch's line of the history: mean loss and validation accuracies."""
    val = accuracies(batch_patch_probabilities(model, digits[0], patch_size), digits[1])
    return {
        "epoch": epoch,
        "loss": float(np.mean(losses)),
        "val_fused_mean": val["fused"]["mean"],
        "val_best_single": max(val["single_patch"]),
    }


def check_record(model, step: int, digits, patch_size: int) -> dict:
    """A quick check of the model on some validation digits: each patch's and each rule's accuracy."""
    val = accuracies(batch_patch_probabilities(model, digits[0], patch_size), digits[1])
    return {"step": step, "n_digits": len(digits[1]), **val}


def train_classifier(config: TrainConfig, progress: Callable[[TrainingProgress], None] | None = None,
                     should_stop: Callable[[], bool] | None = None, *, extra_digits=None,
                     redrawn_pools: list | None = None, check_every: int | None = None,
                     check_digits: int = 250) -> TrainingRun:
    """Train a patch classifier; keep the weights of the best epoch on validation.

    Parameters
    ----------
    config : TrainConfig
    progress : callable, optional
        Called with a :class:`TrainingProgress` after every step, and once
        more after each epoch's validation.
    should_stop : callable, optional
        Asked before every step; when it returns True the loop stops, the
        unfinished epoch is validated like a finished one, and the best
        weights so far are kept. ``config.seconds`` adds a wall-clock budget,
        ``config.steps`` a budget in steps.
    extra_digits : (images, labels), optional
        More training digits, added to every epoch after the training split
        (e.g. a participant's own drawings, already preprocessed): images
        (N, 28, 28) uint8 or float in [0, 1] (stored as uint8), labels (N,)
        of 0-9. They are augmented like the others but never replaced by
        synthetic drawings.
    redrawn_pools : list of ndarray, optional
        The synthetic mouse drawings of the first ``config.redrawn_digits``
        training digits (what :func:`~patchlab.classification.augment.redrawn_pool`
        returns for seeds ``config.seed + 1 + k``), prepared once and reused,
        instead of preparing them in the run (about 2 ms a digit). Ignored
        when ``config.redrawn`` is 0.
    check_every : int, optional
        Also check the model every this many steps on ``check_digits``
        evenly spaced validation digits (reported as
        ``TrainingProgress.check``; not used to choose the weights).

    Returns
    -------
    TrainingRun
        The model (not saved: see :func:`save_classifier`), its history and
        the accuracies of the kept weights on the validation and test digits.
    """
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config must be a TrainConfig, got {type(config).__name__}")
    if check_every is not None and (isinstance(check_every, bool) or not isinstance(check_every, int)
                                    or check_every < 1):
        raise ValueError(f"check_every must be a positive int, got {check_every!r}")
    begun = time.perf_counter()
    tf = tensorflow(threads=THREADS)
    import keras

    keras.utils.set_random_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    model = build_patch_classifier(config.patch_size)  # the run's own model, freshly initialised (seeded)
    prepared = time.perf_counter()
    data = prepare_digits(config, extra_digits, redrawn_pools, check_digits if check_every else None)
    trainer = borrow_trainer(config)  # trains a copy: its compiled step is reused by later runs
    trainer.start_from(model)
    steps_per_epoch = int(np.ceil(len(data.labels) / config.batch_size))
    total_steps = min(config.epochs * steps_per_epoch, config.steps or math.inf)
    run = TrainingRun(config, model, total_steps=total_steps, used=data.used)
    run.redrawing_time_s = time.perf_counter() - prepared
    loop = TrainingLoop(run, trainer, data, rng, progress, should_stop, begun, check_every)
    best_weights = loop.run_epochs()
    return_trainer(config, trainer)
    if best_weights is not None:  # else no step was taken: the initial weights
        model.set_weights(best_weights)
    for split in ("test", "val"):
        images, labels = getattr(data, split)
        setattr(run, split, accuracies(batch_patch_probabilities(model, images, config.patch_size), labels))
    run.threads = (f"TensorFlow intra-op {tf.config.threading.get_intra_op_parallelism_threads()}, "
                   f"inter-op {tf.config.threading.get_inter_op_parallelism_threads()}")
    return run


class TrainingLoop:
    """The epochs of one run: steps, quick checks, each epoch's validation, the best weights kept.

    Built and driven by :func:`train_classifier`; it updates ``run``
    (steps, history, best epoch, stopped early, wall time) as it goes.
    """

    def __init__(self, run: TrainingRun, trainer: Trainer, data: TrainingDigits, rng: np.random.Generator,
                 progress, should_stop, begun: float, check_every: int | None):
        self.run, self.config, self.data, self.rng = run, run.config, data, rng
        self.net, self.train_step = trainer.model, trainer.step
        self.progress, self.should_stop, self.begun, self.check_every = progress, should_stop, begun, check_every
        self.started = time.perf_counter()
        seconds = self.config.seconds  # what the budget leaves for training steps once the setting-up is done
        self.training_budget = None if seconds is None else max(seconds - (self.started - begun), 1e-3)

    def elapsed(self) -> float:
        return time.perf_counter() - self.begun

    def steps_done(self) -> bool:
        """Whether the step budget (``config.steps``) is spent: a planned end, not a stop."""
        return self.config.steps is not None and self.run.steps >= self.config.steps

    def stop(self) -> bool:
        config = self.config
        over_budget = config.seconds is not None and self.elapsed() >= config.seconds
        return over_budget or bool(self.should_stop and self.should_stop())

    def report(self, epoch: int, loss: float, **extra) -> None:
        if self.progress:
            self.progress(TrainingProgress(self.run.steps, self.run.total_steps, epoch, loss, self.elapsed(), **extra))

    def run_epochs(self) -> list | None:
        """Train epoch after epoch until the epochs or a budget end; return the best weights (None: no step)."""
        run, best_val, best_weights = self.run, -1.0, None
        for epoch in range(1, self.config.epochs + 1):
            losses = self.one_epoch(epoch)
            if not losses:  # stopped before this epoch took a step
                break
            record = validation_record(self.net, epoch, losses, self.data.val, self.config.patch_size)
            if run.stopped_early:
                record["partial"] = True  # an unfinished epoch
            run.history.append(record)
            self.report(epoch, losses[-1], validation=record)
            if record["val_fused_mean"] > best_val:
                best_val, best_weights, run.best_epoch = record["val_fused_mean"], self.net.get_weights(), epoch
            if run.stopped_early or self.steps_done():
                break
        run.wall_time_s = time.perf_counter() - self.started
        return best_weights

    def one_epoch(self, epoch: int) -> list[float]:
        """The steps of one epoch, in a fresh random order; returns their losses."""
        run, config = self.run, self.config
        order = self.rng.permutation(len(self.data.labels))
        losses = []
        for start in range(0, len(order), config.batch_size):
            if self.steps_done():
                break
            if self.stop():
                run.stopped_early = True
                break
            x, y = batch_digits(self.data, order[start:start + config.batch_size], config, self.rng)
            rate = learning_rate_at(config, run.steps, run.total_steps, time.perf_counter() - self.started,
                                    self.training_budget)
            losses.append(float(self.train_step(x, y, np.float32(rate))))
            run.steps += 1
            self.report(epoch, losses[-1])
            if self.check_every and run.steps % self.check_every == 0:
                self.report(epoch, losses[-1], check=check_record(self.net, run.steps, self.data.check,
                                                                 config.patch_size))
        return losses


def machine_name() -> str:
    """The CPU's model name and the cores visible, e.g. ``"AMD EPYC 7B13, 2 cores visible"``."""
    name = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{name} CPU, {os.cpu_count()} cores visible"


def model_card(config: TrainConfig, run: TrainingRun, path: Path | str) -> dict:
    """The JSON model card of a run saved at ``path``: what was trained, how, and how well."""
    n = n_patches(config.patch_size)
    training = {
        "command": config.command(),
        "epochs": config.epochs,
        "steps": run.steps,
        "batch_size_digits": config.batch_size,
        "batch_size_patches": config.batch_size * n,
        "optimizer": f"Adam, cosine-decayed learning rate from {config.learning_rate}"
                     + (" (decayed over the time budget)" if config.seconds is not None else ""),
        "loss": f"cross-entropy (label smoothing {config.label_smoothing}) of every patch against the digit's "
                "label, averaged over the patches"
                + (f", plus {config.fused_weight} x the cross-entropy of the fused (mean) probabilities"
                   if config.fused_weight else ""),
        "augmentation": ("random rotation (+-10 deg), slant (+-0.2), zoom (0.9-1.1), shift (+-1.5 px); "
                         "stroke dilation (p=0.3) or erosion (p=0.15); " if config.augment else
                         "none (no random rotation, slant, zoom, shift or stroke change); ")
                        + f"{config.redrawn:.0%} of the digits of every step replaced by a synthetic mouse "
                        f"drawing (patchlab.classification.drawn) of one of the first {config.redrawn_digits} "
                        f"training digits, with its label ({config.redrawings} fixed drawing(s) per digit, "
                        "picked at random), preprocessed with preprocess_canvas",
        "model_selection": "epoch with the best fused (mean) accuracy on the validation split",
        "best_epoch": run.best_epoch,
        "seed": config.seed,
        "wall_time_s": round(run.wall_time_s, 1),
        "redrawing_time_s": round(run.redrawing_time_s, 1),
        "threads": run.threads,
        "machine": machine_name(),
        "history": run.history,
    }
    if config.seconds is not None or config.steps is not None or run.stopped_early:
        training["planned_steps"] = run.total_steps
        training["budget_s"] = config.seconds
        training["budget_steps"] = config.steps
        training["stopped_early"] = run.stopped_early
    return {
        "model": Path(path).name,
        "task": "MNIST digit classification from overlapping corner patches, probabilities fused",
        "patch_size": config.patch_size,
        "stride": patch_stride(config.patch_size),
        "n_patches": n,
        "input": f"{n} patches of {config.patch_size}x{config.patch_size}x1, float32 in [0, 1] (white digit on black)",
        "output": "softmax probabilities over the digits 0-9, per patch",
        "parameters": int(run.model.count_params()),
        "data": {
            "file": str(MNIST_PATH.relative_to(MNIST_PATH.parents[1])),
            **dataset_info(),
            "used": dict(run.used),
        },
        "training": training,
        "evaluation": {
            "val": run.val,
            "test": run.test,
            "note": "accuracies on 28x28 MNIST digits: val = the validation digits (chose the epoch), "
                    "test = MNIST's official test digits (never used for a choice); "
                    "single_patch in the order top-left, top-right, bottom-left, bottom-right",
        },
    }


def save_classifier(run: TrainingRun, path: Path | str) -> dict:
    """Save the run's model at ``path`` and its card beside it (both atomically); return the card."""
    path = Path(path)
    save_model(run.model, path)
    card = model_card(run.config, run, path)
    write_card(path, card)
    return card


def tqdm_progress(config: TrainConfig):
    """A progress callback drawing a tqdm bar; returns ``(callback, bar)``."""
    from tqdm.auto import tqdm

    bar = tqdm(total=None, desc=f"train p={config.patch_size}", unit="step")

    def report(p: TrainingProgress) -> None:
        bar.total = p.total_steps
        bar.update(p.step - bar.n)
        if p.validation:
            bar.set_postfix(loss=f"{p.validation['loss']:.3f}", val=f"{p.validation['val_fused_mean']:.4f}")

    return report, bar


def main(argv=None) -> None:
    config, out = parse_command_line(argv)
    report, bar = tqdm_progress(config)
    run = train_classifier(config, progress=report)
    bar.close()
    card = save_classifier(run, out)
    test = card["evaluation"]["test"]
    stopped = f", stopped after {run.steps} of {run.total_steps} steps" if run.stopped_early else ""
    print(f"saved {out} (best epoch {run.best_epoch}, {card['training']['wall_time_s']} s{stopped})")
    print("test accuracy, single patches:", ", ".join(f"{a:.4f}" for a in test["single_patch"]))
    print("test accuracy, fused:", ", ".join(f"{r} {a:.4f}" for r, a in test["fused"].items()))


if __name__ == "__main__":
    main()
