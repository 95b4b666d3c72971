"""Training the patch classifier live, from the *Train a classifier* page: the pure logic.

The page reads its widgets into a :class:`TrainRequest` (patch size 8..28,
fusion rule, a time budget, augmentation, the participant's own digits),
and hands :func:`training_job` to the server's job runner
(:mod:`patchlab.jobs`); the job drives the very loop the command line uses
(:func:`~patchlab.classification.train.train_classifier`) and returns a
:class:`LiveModel`. Everything the page then shows is computed here:

- :func:`live_curves`: the progress events -> the rows of the loss and
  validation-accuracy curves, and :func:`curve_spec` a Vega-Lite chart
  readable on a projector;
- :func:`comparison_table`: the participant's model against the shipped one
  for that patch size (each patch, each fusion rule, on MNIST's official test digits);
- :func:`sweep_job` / :func:`sweep_rows`: short runs for p = 10, 14, 18, 22,
  28, and the accuracy-vs-patch-size curve as they finish;
- :func:`own_digit` / :func:`own_training_set` / :func:`before_after`: the
  participant's own drawings as training examples, and how the shipped and
  their model read them.

No Streamlit here.
"""

from __future__ import annotations

import json
import math
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from patchlab.classification.config import TrainConfig
from patchlab.classification.data import N_VALIDATION
from patchlab.classification.corners import DIGIT_SIZE, PATCH_NAMES, check_patch_size, n_patches
from patchlab.classification.fusion import RULE_NAMES, RULES
from patchlab.classification.inference import DigitClassifier
from patchlab.classification.preprocess import preprocess_canvas
from patchlab.classification.recipe import ONE_MINUTE, PATCH_SIZES
from patchlab.i18n import N_, _
from patchlab.jobs import JobError, budget_label, overrides_from_env, pause_for_interactive
from patchlab.links import choice, flag, whole_number, words

__all__ = ["BUDGETS", "SWEEP_SIZES", "SWEEP_SECONDS", "MAX_OWN_DIGITS", "OWN_REPEATS", "TrainRequest", "LiveModel",
           "StepClock", "STEP_CLOCK", "request_from_env", "training_config", "training_job", "live_curves",
           "curve_spec", "LiveStatus", "live_status", "comparison_table", "sweep_requests", "sweep_job",
           "sweep_rows", "sweep_spec", "own_digit", "own_training_set", "before_after", "shipped_patch_size",
           "thumbnails", "redrawn_pools", "pools_ready", "PanelSettings", "QUERY", "SETTING_NAMES",
           "settings_to_query", "read_link"]

#: The page's time budgets: label -> seconds.
BUDGETS = {"30 s": 30, "1 min": 60, "2 min": 120, "5 min": 300}
#: The patch sizes of the sweep, and each sweep run's budget (seconds).
SWEEP_SIZES = (10, 14, 18, 22, 28)
SWEEP_SECONDS = 20
#: At most this many own digits per participant; each is repeated this often per epoch.
MAX_OWN_DIGITS = 30
OWN_REPEATS = 20
#: Seconds between two quick checks of the model (each on CHECK_DIGITS validation digits).
CHECK_INTERVAL_S = 3.0
CHECK_DIGITS = 200
#: Step events are passed on at most this often (seconds); checks and epochs always.
STEP_EVENT_INTERVAL_S = 0.5
#: Training digits (MNIST's 60,000 less the validation digits).
TRAIN_DIGITS = 60000 - N_VALIDATION
#: Validation and test digits (evenly spaced) a live run is scored on: a few seconds after the budget.
LIVE_EVAL_DIGITS = 2000
#: Digits scored for a tiny run (``steps`` set): quick, and said on the page.
TINY_EVAL_DIGITS = 100


@dataclass(frozen=True)
class TrainRequest:
    """What the participant asked for.

    patch_size : int, 8..28 (28 = the whole image, one patch)
    rule : the fusion rule the page shows (every rule is scored)
    seconds : the time budget of the training loop (setting-up included;
        the one-off preparation of the synthetic drawings is not)
    augment : random affine and stroke augmentation plus 80 % synthetic
        mouse drawings (the one-minute recipe, ``recipe.ONE_MINUTE``), or
        the digits as they are
    steps : None, or take exactly this many steps on ``steps * 64``
        training digits and score on 100 test digits: for tests and slow
        machines (``PATCHLAB_TRAIN_STEPS``); the page says so. The
        configuration then carries the budget in steps (``TrainConfig.steps``),
        so its command line trains the same model
    own : the participant's own digits, ``((x28, label), ...)``
    seed : seeds the run
    """

    patch_size: int = 18
    rule: str = "mean"
    seconds: float = 60.0
    augment: bool = True
    steps: int | None = None
    own: tuple = ()
    seed: int = 1234

    def __post_init__(self):
        object.__setattr__(self, "patch_size", check_patch_size(self.patch_size))
        if self.rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}, got {self.rule!r}")
        if (isinstance(self.seconds, bool) or not isinstance(self.seconds, (int, float))
                or not math.isfinite(self.seconds) or not 0 < self.seconds <= 600):
            raise ValueError(f"seconds must lie in (0, 600], got {self.seconds!r}")
        if not isinstance(self.augment, bool):
            raise ValueError(f"augment must be True or False, got {self.augment!r}")
        if self.steps is not None and (isinstance(self.steps, bool) or not isinstance(self.steps, int)
                                       or self.steps < 1):
            raise ValueError(f"steps must be None or a positive int, got {self.steps!r}")
        own = tuple(self.own)
        if len(own) > MAX_OWN_DIGITS:
            raise ValueError(f"own holds at most {MAX_OWN_DIGITS} digits, got {len(own)}")
        for x28, label in own:
            if np.shape(x28) != (DIGIT_SIZE, DIGIT_SIZE) or label not in range(10):
                raise ValueError("own must hold (28x28 digit, label 0-9) pairs")
        object.__setattr__(self, "own", own)

    @property
    def name(self) -> str:
        budget = f"{self.steps} steps" if self.steps else budget_label(self.seconds, BUDGETS)
        return _("train p={patch_size}, {budget}").format(patch_size=self.patch_size, budget=budget)




def request_from_env(request: TrainRequest, environ=None) -> tuple[TrainRequest, str | None]:
    """The request with the test and demonstration overrides applied, and a note for the page (or None).

    See :func:`patchlab.jobs.overrides_from_env` (``PATCHLAB_TRAIN_STEPS``,
    ``PATCHLAB_TRAIN_SECONDS``); the classifier's and the inpainter's pages read the same variables.
    """
    return overrides_from_env(request, _("{n} test digits").format(n=TINY_EVAL_DIGITS), environ)


class StepClock:
    """Seconds per training step for each patch size: measured here when possible, else estimated.

    A run's forecast of its own speed sizes its epochs and how often it
    checks the model (its learning rate follows the clock, not this). The
    first run of a patch size uses :meth:`estimate` (measured on a quiet
    2-core CPU, scaled by the pixels a step sees); every finished run
    records its measured speed, which the next run of that size uses.
    """

    #: seconds per step of 64 digits at p = 18 on a quiet 2-core CPU, checks included
    #: (benchmarks/bench_live_training.py: 625 steps in a 60-s run, 0.065 s/step)
    REFERENCE_S = 0.07
    REFERENCE_PIXELS = 4 * 18 * 18

    def __init__(self):
        self._lock = threading.Lock()
        self._measured: dict[int, float] = {}

    def estimate(self, patch_size: int) -> float:
        pixels = n_patches(patch_size) * patch_size ** 2
        return max(0.03, self.REFERENCE_S * pixels / self.REFERENCE_PIXELS)

    def seconds_per_step(self, patch_size: int) -> float:
        with self._lock:
            return self._measured.get(patch_size, self.estimate(patch_size))

    def record(self, patch_size: int, steps: int, seconds: float) -> None:
        if steps >= 5 and seconds > 0:
            with self._lock:
                self._measured[patch_size] = seconds / steps


#: The server's clock (shared by every participant's runs).
STEP_CLOCK = StepClock()
#: Setting-up inside the budget before the first step (model, compiling the step), seconds.
SETUP_S = 4.0


def training_config(request: TrainRequest, clock: StepClock = STEP_CLOCK) -> tuple[TrainConfig, int]:
    """The :class:`TrainConfig` of a request, and how often to check the model (steps).

    A budgeted run's learning rate decays over its time budget
    (:func:`~patchlab.classification.train.learning_rate_at`); the steps it
    expects to take only size the epochs (twice as many as expected, so the
    budget, not the epochs, ends the run) and the checks.
    """
    # the one-minute recipe (recipe.ONE_MINUTE); without augmentation, no synthetic drawings either
    recipe = {**ONE_MINUTE, "augment": request.augment}
    if not request.augment:
        recipe["redrawn"] = 0.0
    if request.steps:
        config = TrainConfig(request.patch_size, epochs=1, max_train=request.steps * 64, max_eval=TINY_EVAL_DIGITS,
                             seed=request.seed, seconds=float(request.seconds), steps=request.steps, **recipe)
        return config, max(1, request.steps // 3)
    per_step = clock.seconds_per_step(request.patch_size)
    expected = max(10, int((request.seconds - SETUP_S) / (per_step * 1.08)))  # checks take ~8 %
    per_epoch = math.ceil((TRAIN_DIGITS + OWN_REPEATS * len(request.own)) / TrainConfig.batch_size)
    epochs = max(1, math.ceil(2 * expected / per_epoch))
    config = TrainConfig(request.patch_size, epochs=epochs, seed=request.seed, seconds=float(request.seconds),
                         max_eval=LIVE_EVAL_DIGITS, **recipe)
    return config, max(1, round(CHECK_INTERVAL_S / per_step))


# ------------------------------------------------------------------ the synthetic drawings, once per server

_pools_lock = threading.Lock()
_pools: dict = {}


def redrawn_pools(config: TrainConfig) -> list | None:
    """The synthetic mouse drawings of ``config``'s training digits, prepared once per server.

    The drawings of the first ``config.redrawn_digits`` training digits; the
    latest set is kept (10,000 x 28 x 28 float32: 31 MB); None when
    ``config.redrawn`` is 0.
    """
    if config.redrawn <= 0:
        return None
    from patchlab.classification.augment import redrawn_pool
    from patchlab.classification.data import load_split

    key = _pool_key(config)
    with _pools_lock:
        if key not in _pools:
            x_train = load_split("train")[0]
            n = min(config.redrawn_digits, config.max_train or len(x_train))
            pools = [redrawn_pool(x_train[:n], seed=config.seed + 1 + k) for k in range(config.redrawings)]
            _pools.clear()
            _pools[key] = pools
        return _pools[key]


def pools_ready(config: TrainConfig) -> bool:
    """Whether :func:`redrawn_pools` would answer at once."""
    with _pools_lock:
        return config.redrawn <= 0 or _pool_key(config) in _pools


def _pool_key(config: TrainConfig) -> tuple:
    return config.seed, config.redrawings, config.redrawn_digits, config.max_train


# ------------------------------------------------------------------ the job


@dataclass
class LiveModel:
    """A participant's trained model and what the page shows about it."""

    request: TrainRequest
    classifier: DigitClassifier
    card: dict
    test: dict  # accuracies of the kept weights: {"single_patch": [...], "fused": {rule: ...}}
    n_test: int
    steps: int
    seconds: float
    stopped_early: bool
    _files: dict | None = field(default=None, repr=False)

    @property
    def patch_size(self) -> int:
        return self.request.patch_size

    def files(self) -> dict:
        """``{"keras": bytes, "json": bytes, "stem": str}``: the model and its card, for Download.

        Written once through a temporary folder that is deleted right after.
        """
        if self._files is None:
            from patchlab.runtime import save_model

            stem = f"my_classifier_p{self.patch_size}"
            with tempfile.TemporaryDirectory(prefix="patchlab-download-") as folder:
                path = Path(folder) / f"{stem}.keras"
                save_model(self.classifier.model, path)
                keras_bytes = path.read_bytes()
            card = dict(self.card, model=f"{stem}.keras")
            self._files = {"keras": keras_bytes, "json": (json.dumps(card, indent=2, default=str) + "\n").encode(),
                           "stem": stem}
        return self._files


def training_job(request: TrainRequest, clock: StepClock = STEP_CLOCK):
    """The job for :meth:`patchlab.jobs.JobRunner.submit`: train, report progress, return a :class:`LiveModel`.

    Progress events (dicts, ``kind`` first):

    - ``{"kind": "phase", "text"}`` — what is happening before training;
    - ``{"kind": "step", "step", "seconds", "loss", "epoch", "budget_s"}`` (at most every 0.5 s);
    - ``{"kind": "check", "step", "seconds", "single_patch", "fused"}`` — the quick checks;
    - ``{"kind": "epoch", ...}`` — an epoch's validation record.

    Raises :class:`~patchlab.jobs.JobError` when the budget ended before the first step.
    """

    def job(progress, should_stop):
        return _train(request, progress, should_stop, clock)

    return job


def _train(request: TrainRequest, progress, should_stop, clock: StepClock = STEP_CLOCK,
           event_interval: float = STEP_EVENT_INTERVAL_S) -> LiveModel:
    from patchlab.classification.train import model_card, train_classifier

    config, check_every = training_config(request, clock)
    if not pools_ready(config):
        progress({"kind": "phase", "text": _("Preparing the synthetic mouse drawings of the training digits "
                                           "(once per server, about 20 s)…")})
    pools = redrawn_pools(config)
    if should_stop():
        raise JobError(_("Stopped before training began: nothing was learnt."))
    progress({"kind": "phase", "text": _("Building the network and compiling the training step…")})
    from patchlab.runtime import tensorflow

    tensorflow()  # imported before the budget starts (the first time in a process it takes seconds)
    last, last_step = [0.0], [0]

    def report(p):
        if p.check is not None:
            progress({"kind": "check", "step": p.step, "seconds": p.seconds, "single_patch": p.check["single_patch"],
                      "fused": p.check["fused"], "n_digits": p.check["n_digits"]})
        elif p.validation is not None:
            progress({"kind": "epoch", "seconds": p.seconds, **p.validation})
        elif p.seconds - last[0] >= event_interval or p.step == 1:
            last[0] = p.seconds
            progress({"kind": "step", "step": p.step, "seconds": p.seconds, "loss": p.loss, "epoch": p.epoch,
                      "budget_s": config.seconds, "planned_steps": request.steps})

    def stop() -> bool:
        if request.steps is not None and last_step[0] >= request.steps:
            return True
        if should_stop():
            return True
        pause_for_interactive()  # a participant's click goes first
        return should_stop()

    def counted(p):
        last_step[0] = p.step
        report(p)

    extra = own_training_set(request.own) if request.own else None
    run = train_classifier(config, progress=counted, should_stop=stop, extra_digits=extra, redrawn_pools=pools,
                           check_every=check_every, check_digits=CHECK_DIGITS)
    if run.steps == 0 and should_stop():
        raise JobError(_("Stopped before the first training step: nothing was learnt."))
    if run.steps == 0:
        raise JobError(_("The time budget ({seconds} s) ended before the first training step: nothing "
                       "was learnt. Choose a longer budget.").format(seconds=f"{request.seconds:g}"))
    if not request.steps:
        clock.record(request.patch_size, run.steps, run.wall_time_s)
    card = model_card(config, run, f"my_classifier_p{request.patch_size}.keras")
    card["training"]["own_digits"] = len(request.own)
    return LiveModel(request, DigitClassifier(run.model, request.patch_size, card), card, run.test,
                     n_test=run.used.get("test", 0), steps=run.steps, seconds=run.wall_time_s,
                     stopped_early=run.stopped_early and should_stop())  # Stop pressed, not the budget ended


# ------------------------------------------------------------------ live curves


def live_curves(events: list, rule: str = "mean", patch_size: int = 18) -> dict:
    """The rows of the two live charts from a job's progress events.

    Returns
    -------
    dict
        ``loss``: ``[{"seconds", "step", "loss"}]``; ``accuracy``:
        ``[{"seconds", "step", "series", "accuracy %"}]`` with one series per
        patch (its name) and ``"fused (<rule>)"``.
    """
    loss, accuracy = [], []
    names = PATCH_NAMES if n_patches(patch_size) == 4 else (_("whole image"),)
    for e in events:
        if e.get("kind") == "step":
            loss.append({"seconds": round(e["seconds"], 2), "step": e["step"], "loss": e["loss"]})
        elif e.get("kind") == "check":
            t = round(e["seconds"], 2)
            for name, acc in zip(names, e["single_patch"]):
                accuracy.append({"seconds": t, "step": e["step"], "series": _patch_label(name), "fused": False,
                                 "accuracy %": 100 * acc})
            if len(names) > 1:
                accuracy.append({"seconds": t, "step": e["step"], "series": _("fused ({rule})").format(rule=rule),
                                 "fused": True, "accuracy %": 100 * e["fused"][rule]})
    return {"loss": loss, "accuracy": accuracy}


#: Font sizes for a chart read on a projector from the back of the room; dark text, nothing cut short.
_INK = "#1a1a1a"
_BIG = {"axis": {"labelFontSize": 16, "titleFontSize": 18, "labelColor": _INK, "titleColor": _INK},
        "legend": {"labelFontSize": 16, "symbolStrokeWidth": 4, "labelLimit": 0, "labelColor": _INK},
        "title": {"fontSize": 20, "limit": 0, "color": _INK, "anchor": "start"}}
#: The chart fits its column's width; its height is the plot's, so the legend below never squeezes the lines.
_FIT_X = {"type": "fit-x", "contains": "padding"}


def curve_spec(kind: str, x_max: float | None = None) -> dict:
    """A Vega-Lite spec for :func:`live_curves` rows: ``kind`` is ``"loss"`` or ``"accuracy"``."""
    if kind not in ("loss", "accuracy"):
        raise ValueError(f"kind must be 'loss' or 'accuracy', got {kind!r}")
    x = {"field": "seconds", "type": "quantitative", "title": _("seconds of training"),
         "axis": {"tickCount": 6, "labelOverlap": True}}  # a short run's labels do not crowd
    if x_max:
        x["scale"] = {"domain": [0, x_max]}
    if kind == "loss":
        return {"height": 260, "autosize": _FIT_X, "config": _BIG, "title": _("Training loss"),
                "mark": {"type": "line", "strokeWidth": 3, "color": "#b93a0b"},
                "encoding": {"x": x, "y": {"field": "loss", "type": "quantitative", "title": "loss",
                                           "scale": {"zero": False}}}}
    return {"height": 260, "autosize": _FIT_X, "config": _BIG, "title": _("Validation accuracy"),
            "mark": {"type": "line", "strokeWidth": 3, "point": {"size": 60}},
            "encoding": {"x": x,
                         "y": {"field": "accuracy %", "type": "quantitative", "title": _("accuracy %"),
                               "scale": {"zero": False}},
                         # the legend below the plot, two entries a row: every name whole, on a phone too
                         "color": {"field": "series", "type": "nominal", "title": None,
                                   "legend": {"orient": "bottom", "columns": 2, "symbolType": "stroke"}},
                         "strokeDash": {"condition": {"test": "!datum.fused", "value": [6, 3]},
                                        "value": [1, 0]}}}


@dataclass
class LiveStatus:
    """One line of state for the page: what to say, how far along, the latest figures."""

    headline: str
    fraction: float  # 0..1 for the progress bar
    loss: float | None = None
    fused: float | None = None  # latest check, percent
    best_single: float | None = None


def live_status(status: str, place: int, elapsed: float, events: list, request: TrainRequest) -> LiveStatus:
    """What the live panel says about a job (status from :data:`patchlab.jobs.STATUSES`)."""
    if status == "queued":
        ahead = _("next in line") if place == 1 else _("number {place} in the queue").format(place=place)
        return LiveStatus(_("Waiting for the server: you are {ahead}. One training runs at a time so "
                          "everybody's drawing stays fast.").format(ahead=ahead), 0.0)
    steps = [e for e in events if e.get("kind") == "step"]
    checks = [e for e in events if e.get("kind") == "check"]
    loss = steps[-1]["loss"] if steps else None
    fused = 100 * checks[-1]["fused"][request.rule] if checks else None
    best = 100 * max(checks[-1]["single_patch"]) if checks else None
    if not steps:
        phases = [e for e in events if e.get("kind") == "phase"]
        return LiveStatus(phases[-1]["text"] if phases else _("Starting…"), 0.0)
    last = steps[-1]
    if request.steps:
        fraction = min(1.0, last["step"] / request.steps)
        text = _("Step {step} of {steps}").format(step=last["step"], steps=request.steps)
    else:
        fraction = min(1.0, last["seconds"] / request.seconds)
        text = _("{left} s left · step {step}, epoch {epoch}").format(
            left=f"{max(0, request.seconds - last['seconds']):.0f}", step=last["step"], epoch=last["epoch"])
    return LiveStatus(text, fraction, loss, fused, best)


# ------------------------------------------------------------------ against the shipped model


def shipped_patch_size(patch_size: int) -> int:
    """The shipped model to compare with: the same patch size if shipped, else the nearest shipped one."""
    return min(PATCH_SIZES, key=lambda p: (abs(p - patch_size), p))


def comparison_table(mine: dict, shipped_card: dict | None, patch_size: int) -> list[dict]:
    """Rows of the participant's model against the shipped one for ``patch_size``: each patch, each rule.

    Parameters
    ----------
    mine : dict
        ``{"single_patch": [...], "fused": {rule: acc}}`` of the participant's model (fractions).
    shipped_card : dict or None
        The shipped model's card (``evaluation.test``), None when there is
        no shipped model for this patch size.
    """
    shipped = ((shipped_card or {}).get("evaluation") or {}).get("test") if shipped_card else None
    names = PATCH_NAMES if n_patches(patch_size) == 4 else (_("whole image"),)
    rows = []
    entries = [(_patch_label(name), i, None) for i, name in enumerate(names)]
    if len(names) > 1:
        entries += [(_("fused: {rule}").format(rule=_(RULE_NAMES[r])), None, r) for r in RULES]
    for label, i, rule in entries:
        yours = mine["single_patch"][i] if rule is None else mine["fused"][rule]
        theirs = None
        if shipped:
            theirs = shipped["single_patch"][i] if rule is None else shipped["fused"].get(rule)
        rows.append({
            "": label,
            _("your model %"): round(100 * yours, 1),
            _("shipped model %"): None if theirs is None else round(100 * theirs, 1),
            _("difference (points)"): None if theirs is None else round(100 * (yours - theirs), 1),
        })
    return rows


def _patch_label(name: str) -> str:
    """``top-left patch`` (a corner's name from :data:`PATCH_NAMES`, or the whole image), translated."""
    return _("{name} patch").format(name=_(name))


# ------------------------------------------------------------------ the patch-size sweep


def sweep_requests(seconds: float = SWEEP_SECONDS, augment: bool = True, steps: int | None = None,
                   rule: str = "mean") -> list[TrainRequest]:
    """One short run per patch size of :data:`SWEEP_SIZES`."""
    return [TrainRequest(p, rule=rule, seconds=seconds, augment=augment, steps=steps) for p in SWEEP_SIZES]


def sweep_job(requests: list[TrainRequest], clock: StepClock = STEP_CLOCK):
    """A job running ``requests`` one after the other; reports ``{"kind": "sweep", ...}`` after each.

    The result is the list of those reports (no model is kept: the sweep
    measures, it does not replace the participant's model).
    """

    def job(progress, should_stop):
        rows = []
        for i, request in enumerate(requests):
            if should_stop():
                break
            progress({"kind": "phase", "text": _("Run {i} of {n}: patch size {patch_size}").format(
                i=i + 1, n=len(requests), patch_size=request.patch_size)})
            try:
                model = _train(request, progress, should_stop, clock)
            except JobError as exc:
                if should_stop():
                    break
                raise JobError(_("Patch size {patch_size}: {exc}").format(patch_size=request.patch_size, exc=exc)) from None
            row = {"kind": "sweep", "patch_size": request.patch_size, "single_patch": model.test["single_patch"],
                   "fused": model.test["fused"], "steps": model.steps, "seconds": model.seconds,
                   "n_test": model.n_test, "stopped_early": model.stopped_early}
            rows.append(row)
            progress(row)
            del model
        return rows

    return job


def sweep_rows(events: list, rule: str = "mean") -> list[dict]:
    """Chart rows of the sweep so far: ``{"patch size", "series", "accuracy %"}``."""
    rows = []
    for e in events:
        if e.get("kind") != "sweep":
            continue
        p = e["patch_size"]
        rows.append({"patch size": p, "series": _("best single patch"), "accuracy %": 100 * max(e["single_patch"])})
        rows.append({"patch size": p, "series": _("mean of the single patches"),
                     "accuracy %": 100 * float(np.mean(e["single_patch"]))})
        rows.append({"patch size": p, "series": _("fused ({rule})").format(rule=rule), "accuracy %": 100 * e["fused"][rule]})
    return rows


def sweep_spec() -> dict:
    """A Vega-Lite spec for :func:`sweep_rows`."""
    return {"height": 320, "config": _BIG, "title": _("Test accuracy vs. patch size"),
            "mark": {"type": "line", "strokeWidth": 3, "point": {"size": 90}},
            "encoding": {"x": {"field": "patch size", "type": "quantitative", "scale": {"domain": [8, 28]},
                               "title": _("patch size p")},
                         "y": {"field": "accuracy %", "type": "quantitative", "scale": {"zero": False},
                               "title": _("accuracy %")},
                         "color": {"field": "series", "type": "nominal", "title": None}}}


# ------------------------------------------------------------------ the participant's own digits


def own_digit(rgba, label) -> tuple[np.ndarray | None, str | None]:
    """A drawing and its label -> ``(x28, None)``, or ``(None, message)`` saying what is missing.

    Parameters
    ----------
    rgba : ndarray (H, W, 4) uint8 or None
        The canvas.
    label : int 0-9 or None
    """
    if label is None or isinstance(label, bool) or label not in range(10):
        return None, _("Choose which digit this is (0–9) before adding it.")
    if rgba is None:
        return None, _("The canvas is empty: draw the digit first, with your finger or the mouse.")
    try:
        return preprocess_canvas(np.asarray(rgba)), None
    except ValueError as exc:
        return None, str(exc)


def own_training_set(own) -> tuple[np.ndarray, np.ndarray]:
    """The own digits as training examples, each repeated :data:`OWN_REPEATS` times (augmented differently).

    Returns images (N x repeats, 28, 28) float32 and labels.
    """
    if not own:
        raise ValueError("own must hold at least one (x28, label) pair")
    images = np.stack([np.asarray(x, np.float32) for x, _ in own])
    labels = np.array([label for _, label in own], np.uint8)
    return np.repeat(images, OWN_REPEATS, axis=0), np.repeat(labels, OWN_REPEATS)


def before_after(own, shipped: DigitClassifier | None, mine: DigitClassifier, rule: str = "mean") -> dict:
    """How the shipped model and the participant's model read the own digits.

    Returns ``{"rows": [...], "shipped_right", "mine_right", "n"}``; each
    row: ``#, your label, shipped model, your model``. The own digits were
    part of the training, so "after" shows the model learnt them, not that
    it reads new drawings of that hand better.
    """
    rows, shipped_right, mine_right = [], 0, 0
    for i, (x28, label) in enumerate(own):
        after = mine.predict(x28, rule).label
        before = shipped.predict(x28, rule).label if shipped is not None else None
        shipped_right += before == label
        mine_right += after == label
        rows.append({"#": i + 1, "your label": label,
                     "shipped model": "—" if before is None else f"{before} {'✓' if before == label else '✗'}",
                     "your model": f"{after} {'✓' if after == label else '✗'}"})
    return {"rows": rows, "shipped_right": int(shipped_right), "mine_right": int(mine_right), "n": len(rows)}


def thumbnails(own, scale: int = 2) -> list[np.ndarray]:
    """The own digits as small uint8 images (for the page's list)."""
    return [np.kron((np.asarray(x) * 255).astype(np.uint8), np.ones((scale, scale), np.uint8)) for x, _ in own]


# ------------------------------------------------------------------ the panel's settings and its link


@dataclass(frozen=True)
class PanelSettings:
    """The panel's choices, as the sidebar and the link hold them."""

    patch_size: int = 18
    rule: str = "mean"
    budget: str = "1 min"
    augment: bool = True

    def __post_init__(self):
        check_patch_size(self.patch_size)
        if self.rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}, got {self.rule!r}")
        if self.budget not in BUDGETS:
            raise ValueError(f"budget must be one of {tuple(BUDGETS)}, got {self.budget!r}")
        if not isinstance(self.augment, bool):
            raise ValueError(f"augment must be True or False, got {self.augment!r}")

    def request(self, own=()) -> TrainRequest:
        return TrainRequest(self.patch_size, self.rule, float(BUDGETS[self.budget]), self.augment, own=tuple(own))


#: URL parameter names of the panel's settings.
QUERY = {"patch_size": "tp", "rule": "trule", "budget": "tbudget", "augment": "taug"}


#: How the page names each setting in a link.
SETTING_NAMES = {"patch_size": N_("patch size"), "rule": N_("fusion rule"), "budget": N_("time budget"),
                 "augment": N_("augmentation")}


def settings_to_query(settings: PanelSettings) -> dict:
    """The link's parameters for ``settings`` (strings)."""
    return {QUERY["patch_size"]: str(settings.patch_size), QUERY["rule"]: settings.rule,
            QUERY["budget"]: settings.budget.replace(" ", ""), QUERY["augment"]: "true" if settings.augment else "false"}


def read_link(params) -> tuple[dict, list]:
    """A link's settings for the panel's widgets (keyed by parameter); a setting that cannot be used is at its default.

    The budget may be written ``2 min`` or ``2min``, augmentation ``1``/``0``
    or ``true``/``false``.

    Examples
    --------
    >>> values, ignored = read_link({"tp": "14", "tbudget": "7min"})
    >>> values, [i.phrase() for i in ignored]
    ({'tp': 14, 'tbudget': '1 min'}, ['time budget `7min` (expected 30 s, 1 min, 2 min or 5 min)'])
    """
    d, ignored, values = PanelSettings(), [], {}
    read = {
        "patch_size": whole_number(params, QUERY["patch_size"], SETTING_NAMES["patch_size"], 8, 28, ignored),
        "rule": choice(params, QUERY["rule"], SETTING_NAMES["rule"], {r: r for r in RULES}, ignored),
        "budget": choice(params, QUERY["budget"], SETTING_NAMES["budget"],
                         {label: label.replace(" ", "") for label in BUDGETS}, ignored, expected=words(BUDGETS)),
        "augment": flag(params, QUERY["augment"], SETTING_NAMES["augment"], ignored),
    }
    for name, value in read.items():
        if QUERY[name] in params:
            values[QUERY[name]] = value if value is not None else getattr(d, name)
    return values, ignored


def room_run(model: LiveModel) -> dict:
    """A finished training as the room keeps it (``patchlab.room``, kind ``classifier_run``)."""
    rule = model.request.rule
    return {"patch_size": model.patch_size, "rule": rule, "budget_s": float(model.request.seconds or 0.001),
            "steps": int(model.steps), "accuracy": float(model.test["fused"][rule]),
            "per_patch": [float(a) for a in model.test["single_patch"]], "n_test": int(model.n_test)}
