"""Teaching the inpainter a domain, live, from the *Train an inpainter* page: the pure logic.

The page reads a :class:`~patchlab.inpainting.domain.PhotoSet` (the
participant's photos or a demo domain) and its widgets into a
:class:`DomainRequest`, and hands :func:`training_job` to the server's job
runner (:mod:`patchlab.jobs`, demo :data:`DEMO`). The job drives the loop
the command line uses (:func:`~patchlab.inpainting.train.train_inpainter`
with ``photos=``): it fine-tunes the shipped U-Net or trains the
tutorial's autoencoder from scratch, and returns a :class:`DomainModel`.

While it trains, the job reports progress events (``kind`` first):

- ``{"kind": "phase", "text"}``: what is happening before and after training;
- ``{"kind": "step", "step", "seconds", "loss"}``: at most every 0.5 s;
- ``{"kind": "check", "step", "seconds", "mine", "shipped", "classical", "classical_name", "strip"}``:
  every :data:`CHECK_INTERVAL_S` seconds, the masked PSNR (dB, per mask
  family) on the domain's held-out photos, with the same seeded masks each
  time, of the participant's model, the shipped model and the best
  classical method, and one held-out fill as a small image.

Everything the page shows is computed here: :func:`live_curves` /
:func:`curve_spec` (the charts), :func:`live_status`, :func:`strip`, and
:func:`comparison_rows` (the table of the domain model against the shipped
model on the domain's held-out photos *and* on the standard held-out
photos: the trade-off of specialising). No Streamlit here.
"""

from __future__ import annotations

import json
import math
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from patchlab import ROOT
from patchlab.i18n import N_, _, ngettext
from patchlab.inpainting import data as _data
from patchlab.inpainting.baselines import CLASSICAL
from patchlab.inpainting.domain import DEMO_DOMAINS, PhotoSet, crop_size_for
from patchlab.inpainting.evaluate import FAMILIES, TARGET_BASELINES, region_metrics
from patchlab.inpainting.infer import DEFAULT_MODEL, Inpainter
from patchlab.inpainting.masks import random_mask
from patchlab.jobs import JobError, budget_label, overrides_from_env, pause_for_interactive
from patchlab.links import choice, words
from patchlab.runtime import fast_bfloat16

__all__ = ["DEMO", "BUDGETS", "ARCHS", "CHECK_INTERVAL_S", "DomainRequest", "DomainModel", "StepClock", "STEP_CLOCK",
           "request_from_env", "training_config", "training_job", "evaluation_cases", "standard_cases", "score",
           "comparison_rows", "rows_in_words", "check_caption", "table_caption", "live_curves", "curve_spec", "LiveStatus", "live_status",
           "strip", "FAMILY_NAMES",
           "SOURCES", "QUERY", "DEFAULTS", "read_link"]

#: The job runner's demo name: one domain training per participant, one domain model kept.
DEMO = "inpainting"
#: The page's time budgets: label -> seconds.
BUDGETS = {"1 min": 60, "2 min": 120, "5 min": 300, "10 min": 600}
#: What can be trained: arch -> what the page calls it.
ARCHS = {"unet": N_("Fine-tune the shipped U-Net"), "seed": N_("Train the tutorial's autoencoder from scratch")}
#: Where the photos come from.
SOURCES = (N_("A demo domain"), N_("Your photos"))
#: The page's settings in a link (each also its widget's key) -> what the page calls the setting.
QUERY = {"ti_source": N_("photos"), "ti_demo": N_("demo domain"), "ti_arch": N_("what to train"),
         "ti_budget": N_("time budget")}
#: The settings a first visit starts from (widget key -> value).
DEFAULTS = {"ti_source": SOURCES[0], "ti_demo": "brick", "ti_arch": "unet", "ti_budget": "2 min"}
#: Plain names of the mask families.
FAMILY_NAMES = {"square": N_("squares"), "brush": N_("brush strokes")}  # shown as _(name)
#: Short names of the classical methods, for a legend that fits a phone.
CLASSICAL_SHORT = {"telea": "Telea", "ns": "Navier-Stokes", "biharmonic": N_("biharmonic")}
#: Seconds between two scorings of the model on the domain's held-out photos.
CHECK_INTERVAL_S = 20.0
#: Held-out views scored at each live check (1 seeded mask per family each) and at the end (2 each).
CHECK_VIEWS = 6
FINAL_VIEWS = 12
FINAL_MASKS = 2
#: Standard held-out photos at the end: evaluate_methods' 9 views, this many masks per family each.
STANDARD_MASKS = 2
#: Step events are passed on at most this often (seconds); checks always.
STEP_EVENT_INTERVAL_S = 0.5
#: Side of the held-out fill shown in the strip.
STRIP_SIDE = 160
#: Recommended training settings (chosen on the demo domains' validation tiles; benchmarks/bench_domain_training.py).
FINE_TUNE = {"lr": 1e-4, "batch": 8}
FROM_SCRATCH = {"lr": 1e-3, "batch": 8}


@dataclass(frozen=True)
class DomainRequest:
    """What the participant asked for.

    photos : the domain (:class:`~patchlab.inpainting.domain.PhotoSet`)
    arch : ``'unet'`` fine-tunes the shipped U-Net; ``'seed'`` trains the
        tutorial's autoencoder from scratch
    seconds : the time budget, setting-up included (scoring at the end is not)
    steps : None, or take exactly this many steps and score on a few views
        only: for tests and slow machines (``PATCHLAB_TRAIN_STEPS``)
    lr, batch, crop_size : training settings (None: the recommended ones,
        the domain's crop size)
    seed : seeds the run and the evaluation masks
    """

    photos: PhotoSet
    arch: str = "unet"
    seconds: float = 120.0
    steps: int | None = None
    lr: float | None = None
    batch: int | None = None
    crop_size: int | None = None
    seed: int = 0

    def __post_init__(self):
        if not isinstance(self.photos, PhotoSet):
            raise ValueError(f"photos must be a PhotoSet, got {type(self.photos).__name__}")
        if self.arch not in ARCHS:
            raise ValueError(f"arch must be one of {tuple(ARCHS)}, got {self.arch!r}")
        if (isinstance(self.seconds, bool) or not isinstance(self.seconds, (int, float))
                or not math.isfinite(self.seconds) or not 0 < self.seconds <= 600):
            raise ValueError(f"seconds must lie in (0, 600], got {self.seconds!r}")
        if self.steps is not None and (isinstance(self.steps, bool) or not isinstance(self.steps, int)
                                       or self.steps < 1):
            raise ValueError(f"steps must be None or a positive int, got {self.steps!r}")
        if self.lr is not None and not (isinstance(self.lr, (int, float)) and 0 < self.lr < 1):
            raise ValueError(f"lr must be None or in (0, 1), got {self.lr!r}")
        if self.batch is not None and (isinstance(self.batch, bool) or not isinstance(self.batch, int)
                                       or not 1 <= self.batch <= 32):
            raise ValueError(f"batch must be None or an int in 1..32, got {self.batch!r}")
        if self.crop_size is not None and (isinstance(self.crop_size, bool) or not isinstance(self.crop_size, int)
                                           or not 32 <= self.crop_size <= self.photos.crop_size):
            raise ValueError(f"crop_size must be None or an int in 32..{self.photos.crop_size}, got {self.crop_size!r}")

    @property
    def settings(self) -> dict:
        """``lr``, ``batch`` and ``size`` this run trains with."""
        base = FINE_TUNE if self.arch == "unet" else FROM_SCRATCH
        size = self.crop_size or self.photos.crop_size
        size = crop_size_for(self.arch, replace(self.photos, crop_size=size))
        return {"lr": self.lr or base["lr"], "batch": self.batch or base["batch"], "size": size}

    def slim(self) -> "DomainRequest":
        """This request without its photos' pixels (the name, counts and settings stay), to keep after the run.

        A finished job and its model keep this, so a kept model does not
        also keep up to ~90 MB of photos.
        """
        photos = replace(self.photos, train=(), held_out=(),
                         notes=self.photos.notes + (_("{n_train} training and {n_held_out} held-out photos, not kept").format(
                             n_train=len(self.photos.train), n_held_out=len(self.photos.held_out)),))
        return replace(self, photos=photos)

    @property
    def name(self) -> str:
        what = _("fine-tune the U-Net") if self.arch == "unet" else _("train the tutorial's autoencoder")
        budget = f"{self.steps} steps" if self.steps else budget_label(self.seconds, BUDGETS)
        return _("{what} on {name}, {budget}").format(what=what, name=self.photos.name, budget=budget)




def request_from_env(request: DomainRequest, environ=None) -> tuple[DomainRequest, str | None]:
    """The request with the test and demonstration overrides applied, and a note for the page (or None).

    See :func:`patchlab.jobs.overrides_from_env` (``PATCHLAB_TRAIN_STEPS``,
    ``PATCHLAB_TRAIN_SECONDS``); the classifier's and the inpainter's pages read the same variables.
    """
    return overrides_from_env(request, _("a few held-out views only"), environ)


class StepClock:
    """Seconds per training step, by network, crop size and batch: measured here once a run has, else estimated.

    A budgeted run plans its learning-rate decay over the steps it expects
    to take, and checkpoints (for the live scoring) about every
    :data:`CHECK_INTERVAL_S` seconds.
    """

    #: Seconds per step of the U-Net at 128-px crops, batch 8, on a 2-core CPU with other work on it.
    REFERENCE_S = {"unet": 0.25, "seed": 0.5}

    def __init__(self):
        self._lock = threading.Lock()
        self._measured: dict = {}

    def seconds_per_step(self, arch: str, size: int, batch: int) -> float:
        with self._lock:
            measured = self._measured.get((arch, size, batch))
        if measured is not None:
            return measured
        return max(0.02, self.REFERENCE_S[arch] * (size * size * batch) / (128 * 128 * 8))

    def record(self, arch: str, size: int, batch: int, steps: int, seconds: float) -> None:
        if steps >= 10 and seconds > 0:
            with self._lock:
                self._measured[(arch, size, batch)] = seconds / steps


#: The server's clock (shared by every participant's runs).
STEP_CLOCK = StepClock()


def training_config(request: DomainRequest, out, clock: StepClock = STEP_CLOCK):
    """The :class:`~patchlab.inpainting.config.TrainConfig` of a request, saving to ``out``.

    Returns ``(config, checkpoint_every)``: the U-Net fine-tune continues
    from ``models/inpainting.keras`` with its network, first guess and
    loss (:func:`~patchlab.inpainting.train.fine_tune_config`); the
    autoencoder starts from scratch. The learning rate decays over the
    steps the budget is expected to hold; the model is checkpointed about
    every :data:`CHECK_INTERVAL_S` seconds for the live scoring.
    """
    from patchlab.inpainting.config import TrainConfig
    from patchlab.inpainting.train import fine_tune_config

    s = request.settings
    per_step = clock.seconds_per_step(request.arch, s["size"], s["batch"])
    if request.steps:
        steps, every = request.steps, 1  # a tiny run checks after every step
    else:
        steps = max(10, int(request.seconds / per_step))
        every = max(1, round(CHECK_INTERVAL_S / per_step))
    common = dict(out=str(out), steps=steps, batch=s["batch"], lr=s["lr"], size=s["size"], seed=request.seed,
                  checkpoint_every=every, threads=2, bfloat16=request.arch == "unet" and fast_bfloat16())
    if request.arch == "unet":
        return fine_tune_config(DEFAULT_MODEL, **common), every
    return TrainConfig(arch="seed", evaluate=False, progress_bar=False, **common), every


# ------------------------------------------------------------------ evaluation: the same seeded masks every time


def evaluation_cases(photos, views: int | None = None, masks_per_view: int = 1, seed: int = 0,
                     size: int | None = None) -> list:
    """Seeded ``(family, view name, image, mask)`` cases on ``photos``: the same ones on every call.

    Each photo gives one view, its centred square at ``size`` (default:
    256, or the smallest short side if less); the first ``views`` photos
    are used. Each family draws its masks from its own generator, seeded
    like :func:`~patchlab.inpainting.evaluate.evaluate_methods` does.
    """
    photos = list(photos)[:views]
    if not photos:
        raise ValueError("`photos` must hold at least one photo.")
    size = size or min(256, min(min(p.image.shape[:2]) for p in photos))
    images = [(p.name, _data.square_view(p.image, size)) for p in photos]
    return _cases(images, masks_per_view, seed)


def _cases(images, masks_per_view, seed):
    cases = []
    for family in FAMILIES:
        rng = np.random.default_rng([seed, FAMILIES.index(family)])
        cases += [(family, name, img, random_mask(img.shape[:2], rng, family))
                  for name, img in images for _ in range(masks_per_view)]
    return cases


def standard_cases(masks_per_view: int = STANDARD_MASKS, views: int | None = None, seed: int = 0) -> list:
    """The standard held-out photos' cases: :func:`~patchlab.inpainting.evaluate.evaluate_methods`' views.

    With ``masks_per_view=4`` and every view these are exactly the cases
    of ``python -m patchlab.inpainting.evaluate``.
    """
    images = _data.evaluation_views(_data.held_out_photos(), 256, 2, seed)[:views]
    return _cases(images, masks_per_view, seed)


def score(fill, cases, pause: bool = False) -> dict:
    """Mean masked PSNR (dB) per family of ``fill(image, mask)`` over ``cases``; infinite PSNR counts as 100.

    With ``pause``, waits for participants' clicks between cases (:func:`patchlab.jobs.pause_for_interactive`).
    """
    found: dict = {}
    for family, _name, img, mask in cases:
        if pause:
            pause_for_interactive()
        psnr = region_metrics(img, fill(img, mask), mask)["psnr_masked"]
        found.setdefault(family, []).append(min(psnr, 100.0))
    return {family: round(float(np.mean(v)), 3) for family, v in found.items()}


def best_classical(cases) -> tuple[str, dict]:
    """The classical method with the best mean masked PSNR on ``cases``: ``(name, scores per family)``."""
    results = {name: score(CLASSICAL[name][1], cases) for name in TARGET_BASELINES}
    name = max(results, key=lambda n: sum(results[n].values()))
    return name, results[name]


_standard_lock = threading.Lock()
_standard_shipped: dict = {}


def shipped_standard(shipped: Inpainter, cases_key, cases) -> dict:
    """The shipped model's scores on the standard cases, computed once per server and set of cases."""
    key = (id(shipped.model), cases_key)
    with _standard_lock:
        if key not in _standard_shipped:
            _standard_shipped[key] = score(shipped.inpaint, cases)
        return _standard_shipped[key]


# ------------------------------------------------------------------ the job


@dataclass
class DomainModel:
    """A participant's domain model and what the page shows about it."""

    request: DomainRequest
    inpainter: Inpainter
    card: dict
    rows: list  # comparison_rows(...)
    steps: int
    seconds: float
    stopped_early: bool
    keras_bytes: bytes = field(repr=False, default=b"")

    @property
    def stem(self) -> str:
        return "my_inpainter_" + "".join(c if c.isalnum() else "_" for c in self.request.photos.name.lower())[:40]

    def files(self) -> dict:
        """``{"keras": bytes, "json": bytes, "stem": str}``: the model and its card, for Download."""
        card = dict(self.card, model=f"{self.stem}.keras")
        return {"keras": self.keras_bytes, "json": (json.dumps(card, indent=2, default=str) + "\n").encode(),
                "stem": self.stem}


def training_job(request: DomainRequest, load_shipped=None, clock: StepClock = STEP_CLOCK):
    """The job for :meth:`patchlab.jobs.JobRunner.submit`: train, report progress, return a :class:`DomainModel`.

    ``load_shipped()`` returns the shipped :class:`~patchlab.inpainting.Inpainter`
    (default: :meth:`Inpainter.load`); the page passes its cached one.
    Raises :class:`~patchlab.jobs.JobError` when stopped or out of budget
    before the first training step ended.
    """

    def job(progress, should_stop):
        return _train(request, progress, should_stop, load_shipped or Inpainter.load, clock)

    return job


def _train(request, progress, should_stop, load_shipped, clock, event_interval=STEP_EVENT_INTERVAL_S):
    from patchlab.inpainting.train import train_inpainter
    from patchlab.runtime import load_model

    began = time.monotonic()
    photos = request.photos
    tiny = request.steps is not None
    progress({"kind": "phase", "text": _("Loading the shipped model and scoring it on your held-out photos…")})
    shipped = load_shipped()
    quick = Inpainter(shipped.model, arch=shipped.arch, tile_size=shipped.tile_size, card=shipped.card, flips=1)
    check_cases = evaluation_cases(photos.held_out, 2 if tiny else CHECK_VIEWS, 1, request.seed)
    shipped_check = score(quick.inpaint, check_cases, pause=True)
    classical_name, classical_check = best_classical(check_cases)
    strip_case = next(c for c in check_cases if c[0] == "brush")
    progress({"kind": "hole", "image": _small(_with_hole(strip_case[2], strip_case[3]))})
    baseline = {"shipped": shipped_check, "classical": classical_check, "classical_name": classical_name,
                "holes": len(check_cases) // len(FAMILIES), "photos": len({c[1] for c in check_cases})}
    if request.arch == "unet":  # the fine-tune starts as the shipped model: its score at step 0
        progress({"kind": "check", "step": 0, "seconds": 0.0, "mine": shipped_check, **baseline,
                  "strip": _small(quick.inpaint(strip_case[2], strip_case[3]))})
    if should_stop():
        raise JobError(_("Stopped before training began: nothing was learnt."))

    with tempfile.TemporaryDirectory(prefix="patchlab-domain-") as folder:
        out = Path(folder) / "domain.keras"
        config, every = training_config(request, out, clock)
        progress({"kind": "phase", "text": _("Building the network and compiling the training step…")})
        state = {"last_event": -1.0, "checked": 0, "step": 0, "first_step_late": False, "stopped": False}

        def check(step, seconds):
            if state.get("mine") is None:  # the first checkpoint: load it once, traced once
                model, card = load_model(out, what=N_("checkpoint"), allow_outside_models=True)
                state["mine"] = Inpainter(model, arch=request.arch, tile_size=card.get("tile_size") or 288,
                                          card=card, flips=1)
            else:  # later ones: new weights into the same network (no new graph, no memory growth)
                state["mine"].model.load_weights(out)
            mine = state["mine"]
            progress({"kind": "check", "step": step, "seconds": seconds, "mine": score(mine.inpaint, check_cases,
                                                                                       pause=True),
                      **baseline, "strip": _small(mine.inpaint(strip_case[2], strip_case[3]))})

        def report(step, loss, seconds):
            state["step"] = step
            if step == 1 and time.monotonic() - began >= request.seconds and not tiny:
                state["first_step_late"] = True
            if seconds - state["last_event"] >= event_interval or step == 1:
                state["last_event"] = seconds
                progress({"kind": "step", "step": step, "seconds": seconds, "loss": loss,
                          "left": max(0.0, request.seconds - (time.monotonic() - began))})
            saved = ((step - 1) // every) * every  # the checkpoint written after that step
            if saved > state["checked"] and out.is_file():
                state["checked"] = saved
                check(saved, seconds)

        def stop() -> bool:
            if state["first_step_late"]:
                return True
            if tiny and state["step"] >= request.steps:
                return True
            if not tiny and time.monotonic() - began >= request.seconds:
                return True
            pause_for_interactive()  # a participant's click goes first
            state["stopped"] = bool(should_stop())
            return state["stopped"]

        card = train_inpainter(config, report, stop, photos=list(photos.train), held_out_photos=list(photos.held_out))
        if state["first_step_late"]:
            raise JobError(_("The time budget ({seconds} s) ran out before the first training step ended "
                             "(setting up took {setup} s): nothing was kept. Choose a longer budget.").format(
                seconds=f"{request.seconds:g}", setup=f"{time.monotonic() - began:.0f}"))
        steps, seconds = int(card["steps_done"]), float(card["wall_time_s"])
        if not tiny:
            s = request.settings
            clock.record(request.arch, s["size"], s["batch"], steps, seconds)
        progress({"kind": "phase", "text": _("Scoring your model and the shipped one on the held-out photos…")})
        model, card = load_model(out, what=_("your domain model"), allow_outside_models=True)
        keras_bytes = out.read_bytes()
    state.pop("mine", None)
    mine = Inpainter(model, arch=request.arch, card=card, tile_size=card.get("tile_size") or 288)
    domain_cases = evaluation_cases(photos.held_out, 2 if tiny else FINAL_VIEWS, 1 if tiny else FINAL_MASKS,
                                    request.seed)
    std_cases = standard_cases(1 if tiny else STANDARD_MASKS, views=2 if tiny else None, seed=0)
    figures = {
        "domain": {"mine": score(mine.inpaint, domain_cases, pause=True),
                   "shipped": score(shipped.inpaint, domain_cases, pause=True)},
        "standard": {"mine": score(mine.inpaint, std_cases, pause=True),
                     "shipped": shipped_standard(shipped, ("standard", tiny), std_cases)},
    }
    rows = comparison_rows(figures, photos.name)
    card = json.loads(json.dumps(card, default=str).replace(str(ROOT) + "/", ""))  # no server folder in a download
    card["domain"] = {
        "name": photos.name, "source": photos.source, "training_photos": len(photos.train),
        "held_out_photos": len(photos.held_out), "crop_size": request.settings["size"],
        "time_budget_s": request.seconds, "steps_done": steps,
        "evaluation": {"domain_held_out": figures["domain"], "standard_held_out": figures["standard"],
                       "domain_views": len(domain_cases) // len(FAMILIES),
                       "standard_views": len(std_cases) // len(FAMILIES),
                       "domain_photos": len({c[1] for c in domain_cases}),
                       "standard_photos": len({c[1].split("/")[0] for c in std_cases}),
                       "metric": _("masked PSNR (dB), mean over views and seeded masks")},
    }
    return DomainModel(request.slim(), mine, card, rows, steps=steps, seconds=seconds,
                       stopped_early=state["stopped"], keras_bytes=keras_bytes)


def _with_hole(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The photo with its hole painted in the page's magenta."""
    out = image.copy()
    out[mask] = (255, 0, 255)
    return out


def _small(image: np.ndarray, side: int = STRIP_SIDE) -> np.ndarray:
    import cv2

    h, w = image.shape[:2]
    if max(h, w) <= side:
        return image
    f = side / max(h, w)
    return cv2.resize(image, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)


# ------------------------------------------------------------------ what the page shows


def comparison_rows(figures: dict, domain_name: str) -> list[dict]:
    """The table: the domain model against the shipped one, on the domain and on the standard held-out photos.

    Parameters
    ----------
    figures : dict
        ``{"domain" | "standard": {"mine" | "shipped": {family: masked PSNR dB}}}``.
    """
    rows = []
    for where, label in (("domain", domain_name), ("standard", "standard")):
        for family in FAMILIES:
            mine, shipped = figures[where]["mine"][family], figures[where]["shipped"][family]
            rows.append({"photos": label, "masks": FAMILY_NAMES[family], "yours (dB)": round(mine, 2),
                         "shipped (dB)": round(shipped, 2), "change (dB)": round(mine - shipped, 2)})
    return rows


_COLUMNS = {"photos": N_("photos"), "masks": N_("masks"), "yours (dB)": N_("yours (dB)"),
            "shipped (dB)": N_("shipped (dB)"), "change (dB)": N_("change (dB)")}


def rows_in_words(rows: list[dict]) -> list[dict]:
    """:func:`comparison_rows` as the page shows them: headers and mask names in the run's language.

    The rows themselves stay English (the notebook and the model's record read them).
    """
    names = {"standard": N_("standard")}
    return [{_(_COLUMNS.get(k, k)): (_(names.get(v, v)) if k == "photos" else _(v) if k == "masks" else v)
             for k, v in row.items()} for row in rows]


def check_caption(events: list) -> str | None:
    """What the live figures are measured on (the quick check), from a job's latest check event; None before one.

    >>> check_caption([{"kind": "check", "holes": 3, "photos": 3}])
    "Quick check during training: mean masked PSNR over 3 seeded holes per mask family in the domain's 3 held-out photos, one view each; the same holes for both models."
    """
    checks = [e for e in events if e.get("kind") == "check" and "holes" in e]
    if not checks:
        return None
    e = checks[-1]
    holes = ngettext("{n} seeded hole", "{n} seeded holes", e["holes"]).format(n=e["holes"])
    photos = ngettext("{n} held-out photo", "{n} held-out photos", e["photos"]).format(n=e["photos"])
    return _("Quick check during training: mean masked PSNR over {holes} per mask family in the domain's "
             "{photos}, one view each; the same holes for both models.").format(holes=holes, photos=photos)


def table_caption(model: "DomainModel") -> str:
    """What the final table is measured on, with the sizes of both sets."""
    ev = model.card.get("domain", {}).get("evaluation", {})
    flips = model.inpainter.flips
    views = _("one view") if flips == 1 else _("{flips} mirrored views averaged").format(flips=flips)
    return _("Mean masked PSNR in dB (higher is better) on photos neither model trained on: {name}'s {photos} "
             "held-out photos ({views_per_family} seeded holes per mask family) and the standard held-out photos "
             "astronaut, coffee and chelsea ({standard} holes per family). The same holes for both models, each "
             "filled with {views}. These figures replace the quick check's.").format(
        name=model.request.photos.name, photos=ev.get("domain_photos", "?"),
        views_per_family=ev.get("domain_views", "?"), standard=ev.get("standard_views", "?"), views=views)


def live_curves(events: list) -> dict:
    """The rows of the two live charts from a job's progress events.

    Returns
    -------
    dict
        ``loss``: ``[{"seconds", "step", "loss"}]``; ``psnr``:
        ``[{"seconds", "step", "series", "masks", "PSNR (dB)"}]``, one row
        per check, model (``your model``, ``shipped model``, the best
        classical method) and mask family.
    """
    loss, psnr = [], []
    for e in events:
        if e.get("kind") == "step":
            loss.append({"seconds": round(e["seconds"], 2), "step": e["step"], "loss": e["loss"]})
        elif e.get("kind") == "check":
            label = _("best classical ({method})").format(
                method=_(CLASSICAL_SHORT.get(e["classical_name"], e["classical_name"])))
            for series, values in ((_("your model"), e["mine"]), (_("shipped model"), e["shipped"]),
                                   (label, e["classical"])):
                for family, value in values.items():
                    psnr.append({"seconds": round(e["seconds"], 2), "step": e["step"], "series": series,
                                 "masks": _(FAMILY_NAMES[family]), "PSNR (dB)": value})
    return {"loss": loss, "psnr": psnr}


#: Font sizes for a chart read on a projector from the back of the room.
_BIG = {"axis": {"labelFontSize": 16, "titleFontSize": 18}, "legend": {"labelFontSize": 16, "titleFontSize": 16,
        "symbolStrokeWidth": 4, "orient": "bottom", "direction": "vertical", "labelLimit": 0},
        "title": {"fontSize": 20, "limit": 0}}


#: The chart fits the column's width; its height is the plot's, so a legend below never squeezes the lines.
_FIT_X = {"type": "fit-x", "contains": "padding"}


def curve_spec(kind: str, x_max: float | None = None, family: str | None = None) -> dict:
    """A Vega-Lite spec for :func:`live_curves` rows.

    ``kind`` is ``"loss"``, or ``"psnr"`` with ``family`` one of
    :data:`~patchlab.inpainting.evaluate.FAMILIES` (one chart per mask
    family: three lines each, readable on a phone).
    """
    if kind not in ("loss", "psnr"):
        raise ValueError(f"kind must be 'loss' or 'psnr', got {kind!r}")
    x = {"field": "seconds", "type": "quantitative", "title": _("seconds of training")}
    if x_max:
        x["scale"] = {"domain": [0, x_max]}
    if kind == "loss":
        return {"height": 200, "autosize": _FIT_X, "config": _BIG, "title": _("Training loss"),
                "mark": {"type": "line", "strokeWidth": 3, "color": "#b93a0b"},
                "encoding": {"x": x, "y": {"field": "loss", "type": "quantitative", "title": "loss",
                                           "scale": {"zero": False}}}}
    if family not in FAMILY_NAMES:
        raise ValueError(f"family must be one of {tuple(FAMILY_NAMES)}, got {family!r}")
    return {"height": 200, "autosize": _FIT_X, "config": _BIG,
            "title": _("Quick check, squares") if family == "square" else _("Quick check, brush"),
            "transform": [{"filter": {"field": "masks", "equal": _(FAMILY_NAMES[family])}}],
            "mark": {"type": "line", "strokeWidth": 3, "point": {"size": 60}},
            "encoding": {"x": x,
                         "y": {"field": "PSNR (dB)", "type": "quantitative", "title": "dB",
                               "scale": {"zero": False}},
                         "color": {"field": "series", "type": "nominal", "title": None,
                                   "sort": [_("your model"), _("shipped model")],
                                   "scale": {"range": ["#b93a0b", "#1c6dd0", "#7a7a7a"]}}}}


@dataclass
class LiveStatus:
    """One line of state for the page: what to say, how far along, the latest figures."""

    headline: str
    fraction: float  # 0..1 for the progress bar
    loss: float | None = None
    mine: dict | None = None  # latest check: family -> dB
    shipped: dict | None = None


def live_status(status: str, place: int, events: list, request: DomainRequest) -> LiveStatus:
    """What the live panel says about a job (``status`` from :data:`patchlab.jobs.STATUSES`)."""
    if status == "queued":
        ahead = _("next in line") if place == 1 else _("number {place} in the queue").format(place=place)
        return LiveStatus(_("Waiting for the server: you are {ahead}. One training runs at a time so "
                          "everybody's Fill stays fast.").format(ahead=ahead), 0.0)
    steps = [e for e in events if e.get("kind") == "step"]
    checks = [e for e in events if e.get("kind") == "check"]
    phases = [e for e in events if e.get("kind") == "phase"]
    loss = steps[-1]["loss"] if steps else None
    mine = checks[-1]["mine"] if checks else None
    shipped = checks[-1]["shipped"] if checks else None
    last_kind = next((e["kind"] for e in reversed(events) if e.get("kind") in ("phase", "step")), None)
    if not steps or last_kind == "phase":  # before the first step, or scoring after the last
        return LiveStatus(phases[-1]["text"] if phases else _("Starting…"), 1.0 if steps else 0.0, loss, mine, shipped)
    last = steps[-1]
    if request.steps:
        return LiveStatus(_("Step {step} of {steps}").format(step=last["step"], steps=request.steps),
                          min(1.0, last["step"] / request.steps), loss,
                          mine, shipped)
    left = last.get("left", max(0.0, request.seconds - last["seconds"]))  # the budget counts from the job's start
    return LiveStatus(_("about {left} s left · step {step}").format(left=f"{left:.0f}", step=last["step"]),
                      min(1.0, max(0.0, 1 - left / request.seconds)),
                      loss, mine, shipped)


def strip(events: list, most: int = 6) -> list:
    """``(caption, image)``: the held-out photo with its hole, then its fill at up to ``most`` checks.

    The checks are evenly spread, the latest last.
    """
    holes = [(_("the hole"), e["image"]) for e in events if e.get("kind") == "hole"][:1]
    checks = [e for e in events if e.get("kind") == "check" and e.get("strip") is not None]
    if len(checks) > most:
        picks = np.linspace(0, len(checks) - 1, most).round().astype(int)
        checks = [checks[i] for i in sorted(set(picks.tolist()))]
    return holes + [(_("step {step} · {seconds} s").format(step=e["step"], seconds=f"{e['seconds']:.0f}"), e["strip"])
                    for e in checks]


def read_link(params):
    """A link's settings for the page's widgets (keyed by parameter, :data:`QUERY`); ``(values, ignored)``.

    A setting the link names but the page cannot use is at its default
    (:data:`DEFAULTS`). Choices may be given by key or as the page shows them.

    Examples
    --------
    >>> values, ignored = read_link({"ti_demo": "Gravel", "ti_budget": "3 min"})
    >>> values, [i.phrase() for i in ignored]
    ({'ti_demo': 'gravel', 'ti_budget': '2 min'}, ['time budget `3 min` (expected 1 min, 2 min, 5 min or 10 min)'])
    """
    ignored, values = [], {}
    options = {"ti_source": {s: s for s in SOURCES}, "ti_demo": {k: d.title for k, d in DEMO_DOMAINS.items()},
               "ti_arch": ARCHS, "ti_budget": {b: b.replace(" ", "") for b in BUDGETS}}
    expected = {"ti_budget": words(BUDGETS)}
    for param, setting in QUERY.items():
        if param in params:
            value = choice(params, param, setting, options[param], ignored, expected=expected.get(param))
            values[param] = value if value is not None else DEFAULTS[param]
    return values, ignored


def room_run(model: DomainModel) -> dict:
    """A finished domain training as the room keeps it (``patchlab.room``, kind ``inpainter_run``): the gain
    over the shipped model on the domain's held-out photos and on the standard ones, per mask family."""
    ev = model.card.get("domain", {}).get("evaluation", {})
    gains = {where: {f: float(ev[key]["mine"][f] - ev[key]["shipped"][f]) for f in FAMILIES}
             for where, key in (("domain", "domain_held_out"), ("standard", "standard_held_out"))}
    return {"domain": model.request.photos.name[:40], "arch": model.request.arch,
            "budget_s": float(model.request.seconds or 0.001), "gain_domain_db": gains["domain"],
            "gain_standard_db": gains["standard"], "domain_views": int(ev.get("domain_views", 1)),
            "standard_views": int(ev.get("standard_views", 1))}
