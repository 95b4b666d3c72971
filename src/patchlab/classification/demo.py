"""What the Classification page computes, as pure functions.

:class:`Settings` holds the page's choices (patch size, fusion rule, where the
digit comes from); :func:`analyse_digit` turns them and the current drawing
or gallery digit into a :class:`DigitView` holding everything the page shows
(pictures, texts, the probability chart, the every-rule table), answered by
the shipped model or by the participant's own one (:func:`own_model` finds it
among their training jobs, :func:`model_captions` and :func:`trained_ago`
word the choice);
:func:`accuracy_tables` turns the saved evaluation report into the measured
tables; :func:`read_link` reads a link's settings. No Streamlit
here: the page only reads widgets and renders.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from patchlab.classification.corners import PATCH_NAMES
from patchlab.classification.figures import (PATCH_COLOURS, outlined_input, patch_tile, probability_chart,
                                             probability_panels)
from patchlab.classification.fusion import RULE_NAMES, RULES, fuse, fused_label
from patchlab.classification.inference import DigitClassifier, Prediction
from patchlab.classification.preprocess import preprocess_canvas
from patchlab.classification.recipe import PATCH_SIZES
from patchlab.classification.report import markdown_table, patch_table, size_table
from patchlab.i18n import N_, _, ngettext
from patchlab.links import Ignored, choice, whole_number, words
from patchlab.runtime import ModelUnavailable

__all__ = ["Settings", "SOURCES", "BRUSH_WIDTHS", "QUERY_KEYS", "clamp_settings", "read_link", "to_query",
           "random_digit", "DigitInput", "GalleryView", "digit_input", "rule_table", "DigitView", "analyse_digit",
           "question_name", "AccuracyTables", "accuracy_tables", "MODELS", "TRAINING_DEMO", "OwnModel",
           "OwnModelStatus", "own_model", "trained_ago", "model_captions", "own_patch_note", "FailureView",
           "failure_view"]

#: Where the digit comes from (the page's radio options).
SOURCES = (N_("Draw"), N_("Test digit gallery"))  # the options' keys (English); shown as _(source)
#: The brush width is given in px on a canvas of this side (the page scales it with its canvas).
CANVAS_SIDE = 280
#: Brush widths the canvas offers (px on the 280x280 canvas), and the default.
BRUSH_WIDTHS = (6, 40)
DEFAULT_BRUSH = 26
#: The gallery digit is shown enlarged this many times (28 -> 280 px), its followers 2 times.
GALLERY_SCALE, THUMBNAIL_SCALE, N_FOLLOWING = 10, 2, 6
NOTHING_DRAWN = N_("Draw a digit (0–9) on the black square with your finger or the mouse.")
#: The page's settings in a link, ``URL parameter -> Settings field`` (each parameter is a widget's key).
QUERY_KEYS = {"patch": "patch_size", "rule": "rule", "input": "source", "digit": "digit"}
#: Who answers: the participant's own model (trained on the *Train a classifier* page) or the shipped one.
MODELS = ("mine", "shipped")
#: The job runner's demo under which the Train page trains a participant's classifier (one model kept).
TRAINING_DEMO = "classification"


@dataclass(frozen=True)
class Settings:
    """One Classification-page configuration.

    patch_size : one of the shipped patch sizes (14, 18, 22, 28 = whole image)
    rule : a fusion rule, one of :data:`~patchlab.classification.fusion.RULES`
    source : one of :data:`SOURCES`
    digit : the gallery digit's number (clamped to the gallery by :func:`clamp_settings`)
    brush : the brush width, px on a canvas of side :data:`CANVAS_SIDE` (the page scales it with its canvas)
    model : one of :data:`MODELS`; ``"mine"`` answers with the participant's own model when
        :func:`analyse_digit` is given one (its own patch size, not ``patch_size``), else the shipped
        model answers. Not part of a link: a shared link cannot carry someone's model.
    """

    patch_size: int = 18
    rule: str = "mean"
    source: str = N_("Draw")
    digit: int = 0
    brush: int = DEFAULT_BRUSH
    model: str = "shipped"

    def __post_init__(self):
        if self.patch_size not in PATCH_SIZES or isinstance(self.patch_size, bool):
            raise ValueError(f"patch_size must be one of {PATCH_SIZES}, got {self.patch_size!r}")
        if self.rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}, got {self.rule!r}")
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, got {self.source!r}")
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, got {self.model!r}")
        for name in ("digit", "brush"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ValueError(f"{name} must be an int, got {value!r}")
            object.__setattr__(self, name, int(value))


def clamp_settings(settings: Settings, n_digits: int) -> tuple[Settings, list[str]]:
    """Fit ``settings`` to a gallery of ``n_digits`` digits and the brush range; return ``(settings, notes)``."""
    if n_digits < 1:
        raise ValueError(f"n_digits must be at least 1, got {n_digits}")
    notes = []
    digit = min(max(settings.digit, 0), n_digits - 1)
    if digit != settings.digit:
        notes.append(_("There is no test digit #{asked}; showing #{digit}.").format(asked=settings.digit, digit=digit))
    brush = min(max(settings.brush, BRUSH_WIDTHS[0]), BRUSH_WIDTHS[1])
    if brush != settings.brush:
        notes.append(_("The brush width was limited to {brush} px.").format(brush=brush))
    return replace(settings, digit=digit, brush=brush), notes


def read_link(params: Mapping, n_digits: int) -> tuple[dict, list[Ignored]]:
    """A link's settings for the page's widgets; every setting it names that cannot be used is at its default.

    Parameters
    ----------
    params : mapping of str to str or list of str
        The URL's query parameters, e.g. ``{"patch": "14", "rule": "vote",
        "input": "Test digit gallery", "digit": "12"}`` (see
        :data:`QUERY_KEYS`, each also the widget's key); other parameters
        are not looked at.
    n_digits : int
        The number of gallery digits (``digit`` must be below it).

    Returns
    -------
    values : dict
        Widget key -> value, for every setting the link names.
    ignored : list of Ignored
        One per setting that could not be used (:func:`patchlab.links.link_notice`).

    Examples
    --------
    >>> values, ignored = read_link({"patch": "14", "rule": "median"}, 1000)
    >>> values, [i.phrase() for i in ignored]
    ({'patch': 14, 'rule': 'mean'}, ['fusion rule `median` (expected mean, product, max or vote)'])
    """
    if n_digits < 1:
        raise ValueError(f"n_digits must be at least 1, got {n_digits}")
    default, ignored = Settings(), []
    sizes = {str(p): str(p) for p in PATCH_SIZES}
    read = {
        "patch": choice(params, "patch", _("patch size"), sizes, ignored, expected=words(sizes)),
        "rule": choice(params, "rule", _("fusion rule"), {r: r for r in RULES}, ignored),
        "input": choice(params, "input", _("digit source"), {s: s for s in SOURCES}, ignored),
        "digit": whole_number(params, "digit", _("test digit number"), 0, n_digits - 1, ignored),
    }
    values = {}
    for key, field_name in QUERY_KEYS.items():
        if key in params:
            value = read[key] if read[key] is not None else getattr(default, field_name)
            values[key] = int(value) if key == "patch" else value
    return values, ignored


def to_query(settings: Settings) -> dict:
    """The link's parameters for ``settings`` (the test digit only when it is shown)."""
    query = {"patch": settings.patch_size, "rule": settings.rule, "input": settings.source}
    if settings.source != "Draw":
        query["digit"] = settings.digit
    return query


def random_digit(n_digits: int, rng: np.random.Generator | None = None) -> int:
    """A random gallery number (the page's *Random test digit* button)."""
    return int((rng or np.random.default_rng()).integers(n_digits))


def _enlarge(image: np.ndarray, scale: int) -> np.ndarray:
    return np.kron(image, np.ones((scale, scale), np.uint8))


@dataclass
class GalleryView:
    """The gallery digit, enlarged, and the next few as thumbnails."""

    image: np.ndarray  # uint8 (280, 280)
    caption: str
    thumbnails: list
    thumbnail_captions: list


@dataclass
class DigitInput:
    """The 28x28 digit to classify, its true label (gallery only), or why there is none."""

    x28: np.ndarray | None = None
    truth: int | None = None
    hint: str | None = None  # shown instead of a prediction
    gallery: GalleryView | None = None


def digit_input(settings: Settings, drawing: np.ndarray | None = None, gallery=None) -> DigitInput:
    """The digit the page classifies.

    Parameters
    ----------
    settings : Settings
    drawing : ndarray of uint8, shape (H, W, 4), or None
        The canvas (source "Draw"); None before anything is drawn.
    gallery : (images, labels), shape (N, 28, 28) uint8 and (N,)
        The test digits (source "Test digit gallery").
    """
    if settings.source == "Draw":
        if drawing is None:
            return DigitInput(hint=_(NOTHING_DRAWN))
        try:
            return DigitInput(x28=preprocess_canvas(drawing))
        except ValueError as err:  # nothing drawn: the message is meant for the user
            return DigitInput(hint=str(err))
    if gallery is None:
        raise ValueError("gallery must be given for the source 'Test digit gallery'")
    images, labels = gallery
    settings, _notes = clamp_settings(settings, len(images))
    index = settings.digit
    following = [(index + k) % len(images) for k in range(1, N_FOLLOWING + 1)]
    view = GalleryView(
        image=_enlarge(images[index], GALLERY_SCALE),
        caption=_("Held-out test digit #{index} (never seen in training). The next ones:").format(index=index),
        thumbnails=[_enlarge(images[i], THUMBNAIL_SCALE) for i in following],
        thumbnail_captions=[f"#{i}" for i in following],
    )
    return DigitInput(x28=images[index].astype(np.float32) / 255.0, truth=int(labels[index]), gallery=view)


def rule_table(patch_probs: np.ndarray) -> list[dict]:
    """What every fusion rule answers for one digit's patch probabilities, shape (n_patches, 10).

    Returns
    -------
    list of dict
        One row per rule: ``fusion rule`` (its name), ``answer`` (the digit)
        and ``confidence %`` (the fused probability of the answer, one decimal).
    """
    rows = []
    for r in RULES:
        label = fused_label(patch_probs, r)
        rows.append({"fusion rule": RULE_NAMES[r], "answer": int(label),
                     "confidence %": round(100 * float(fuse(patch_probs, r)[label]), 1)})
    return rows


# --- the participant's own model ---------------------------------------------------------


@dataclass(frozen=True)
class OwnModel:
    """The participant's latest trained classifier (from the *Train a classifier* page).

    classifier : DigitClassifier (any patch size 8..28)
    job_id : the training job's number (a new model is a new question for *predict, then reveal*)
    trained_at : when its training ended, seconds since the epoch (``time.time()``)
    steps, seconds : how long it trained
    """

    classifier: DigitClassifier
    job_id: int
    trained_at: float
    steps: int
    seconds: float

    @property
    def patch_size(self) -> int:
        return self.classifier.patch_size


@dataclass(frozen=True)
class OwnModelStatus:
    """What :func:`own_model` found: the model (or None), the job holding it, and why one is gone."""

    model: OwnModel | None = None
    job: Any = None  # the job whose result is the model (the page marks it used)
    notice: str | None = None  # the model was dropped to make room (the server's cap), in a sentence


def own_model(jobs: Iterable) -> OwnModelStatus:
    """The participant's latest trained model among their training jobs.

    Parameters
    ----------
    jobs : iterable of :class:`patchlab.jobs.Job`
        The participant's jobs of :data:`TRAINING_DEMO`, oldest first
        (``JobRunner.jobs(owner, TRAINING_DEMO)``). A finished job's
        ``result`` is a :class:`patchlab.classification.live.LiveModel`; a
        model dropped by the server-wide cap leaves ``result`` None and a
        ``notice``.

    Returns
    -------
    OwnModelStatus
        ``model`` None when there is none (never trained, still training,
        failed, or dropped); ``notice`` says, when it was dropped, that it
        is gone and that the shipped model answers meanwhile.
    """
    notice = None
    for job in reversed(list(jobs)):
        result = job.result
        if result is not None:
            ended = job.ended if job.ended is not None else job.submitted
            own = OwnModel(result.classifier, int(job.id), float(ended), int(result.steps), float(result.seconds))
            return OwnModelStatus(own, job, None)
        if notice is None and job.notice:
            notice = _("{notice} Until then the shipped model answers here.").format(notice=job.notice)
    return OwnModelStatus(notice=notice)


def trained_ago(seconds: float) -> str:
    """``seconds`` since training ended, in words: "just now", "40 s ago", "2 min ago", "1 h ago"."""
    if not seconds == seconds or seconds < 10:  # NaN (a clock that went back) counts as now
        return _("just now")
    if seconds < 60:
        return _("{n} s ago").format(n=int(seconds))
    if seconds < 3600:
        return _("{n} min ago").format(n=int(seconds // 60))
    return _("{n} h ago").format(n=int(seconds // 3600))


def model_captions(own: OwnModel, shipped_patch_size: int, now: float | None = None) -> dict[str, str]:
    """The captions of the page's *Model* choice, ``{"mine": ..., "shipped": ...}``.

    >>> model_captions(own, 18, now=own.trained_at + 130)["mine"]    # doctest: +SKIP
    'yours: p = 14, trained 2 min ago'
    """
    now = time.time() if now is None else now
    return {"mine": _("yours: p = {patch_size}, trained {ago}").format(patch_size=own.patch_size,
                                                                       ago=trained_ago(now - own.trained_at)),
            "shipped": _("trained for this app: p = {patch_size}").format(patch_size=shipped_patch_size)}


def own_patch_note(own: OwnModel) -> str:
    """Why the patch-size slider does not apply while the participant's model answers."""
    return (_("Your model answers with its own patch size, p = {patch_size}. The slider chooses among the "
            "shipped models: switch *Model* to *shipped* to use it.").format(patch_size=own.patch_size))


@dataclass
class DigitView:
    """Everything the page shows about one digit (``prediction`` None: see ``input.hint`` or ``error``)."""

    settings: Settings
    input: DigitInput
    error: str | None = None  # the model could not be loaded: how to retrain it
    prediction: Prediction | None = None
    patch_names: list = field(default_factory=list)
    outlined: np.ndarray | None = None  # the 28x28 input enlarged, patches outlined
    outlined_caption: str = ""
    metric: str = ""  # the predicted digit
    metric_delta: str = ""
    truth_correct: bool | None = None  # None: no true label (a drawing)
    truth_message: str = ""
    agreement: tuple = ()  # (kind, text), kind in {"success", "warning", "info"}
    tiles: list = field(default_factory=list)  # (picture, caption) per patch (only with 4 patches)
    model_caption: str | None = None
    chart_rows: list = field(default_factory=list)
    chart_spec: dict = field(default_factory=dict)
    chart_panels: list = field(default_factory=list)  # the same chart, one Vega-Lite spec per panel
    rules: list = field(default_factory=list)  # rule_table rows (only with 4 patches)
    model: str = "shipped"  # who answered: "mine" (the participant's own model) or "shipped"
    answered_by: str = ""  # that, in a sentence, with the model's patch size
    own_id: int | None = None  # the participant's model's job number when it answered


def analyse_digit(settings: Settings, *, drawing: np.ndarray | None = None, gallery=None,
                  load_classifier: Callable[[int], DigitClassifier] = DigitClassifier.load,
                  own: OwnModel | None = None, now: float | None = None) -> DigitView:
    """Classify the current digit and prepare everything the page shows.

    Parameters
    ----------
    settings : Settings
    drawing, gallery : see :func:`digit_input`
    load_classifier : callable
        ``patch_size -> DigitClassifier`` (the page passes a cached loader).
        It is only called when there is a digit to classify and the shipped
        model answers; :class:`~patchlab.runtime.ModelUnavailable` becomes ``error``.
    own : OwnModel, optional
        The participant's own model. It answers when ``settings.model`` is
        ``"mine"``, with its own patch size (``settings.patch_size`` then
        only names the shipped model); without it the shipped model answers.
    now : float, optional
        The time for "trained 2 min ago" (default: ``time.time()``).
    """
    view = DigitView(settings, digit_input(settings, drawing, gallery))
    x28, truth = view.input.x28, view.input.truth
    if x28 is None:
        return view
    use_own = settings.model == "mine" and own is not None
    try:
        clf = own.classifier if use_own else load_classifier(settings.patch_size)
    except ModelUnavailable as err:
        view.error = str(err)
        return view
    if use_own:
        ago = trained_ago((time.time() if now is None else now) - own.trained_at)
        view.model, view.own_id = "mine", own.job_id
        view.answered_by = _("Answered by your model (p = {patch_size}, trained {ago} on the Train page).").format(patch_size=clf.patch_size, ago=ago)
    else:
        view.answered_by = _("Answered by the shipped model (p = {patch_size}).").format(patch_size=clf.patch_size)
    pred = view.prediction = clf.predict(x28, rule=settings.rule)
    p, n = clf.patch_size, len(pred.patch_probs)
    names = view.patch_names = [_(name) for name in PATCH_NAMES] if n == 4 else [_("whole image")]

    view.outlined = outlined_input(x28, clf.origins, p)
    view.outlined_caption = ngettext("What the network gets: 28×28, {n} patch of {p}×{p}",
                                     "What the network gets: 28×28, {n} patches of {p}×{p}", n).format(n=n, p=p)
    view.metric = str(pred.label)
    view.metric_delta = _("confidence {confidence} ({rule})").format(confidence=f"{pred.confidence:.0%}", rule=settings.rule)
    if truth is not None:
        view.truth_correct = truth == pred.label
        view.truth_message = _("True label: {truth}").format(truth=truth)
    if n > 1:
        votes = ", ".join(f"{name} → {d}" for name, d in zip(names, pred.patch_labels))
        view.agreement = (("success", _("All four patches agree: {votes}.").format(votes=votes)) if pred.patches_agree
                          else ("warning", _("The patches disagree: {votes}. Fusion settles it.").format(votes=votes)))
        view.tiles = [
            (patch_tile(x28, clf.origins[k], p, PATCH_COLOURS[k]),
             f"{names[k]}: {pred.patch_labels[k]} ({pred.patch_probs[k][pred.patch_labels[k]]:.0%})")
            for k in range(n)
        ]
        view.rules = rule_table(pred.patch_probs)
    else:
        view.agreement = ("info", _("Patch size 28 is the whole-image baseline: one patch, nothing to fuse."))
    training = clf.card.get("training", {})
    if use_own:
        view.model_caption = (
            _("Your model `my_classifier_p{p}.keras`: {weights} weights, {steps} steps in {seconds} s on this server, "
              "trained on the *Train a classifier* page (download it there with its card).").format(
                p=p, weights=f"{clf.model.count_params():,}", steps=own.steps, seconds=f"{own.seconds:.0f}")
        )
    elif training:
        view.model_caption = (
            _("Model `classifier_p{p}.keras`: {weights} weights, {epochs} epochs ({steps} steps, {seconds} s on "
              "2 CPU threads), seed {seed}; model card beside it.").format(
                p=p, weights=f"{clf.model.count_params():,}", epochs=training.get("epochs"),
                steps=training.get("steps"), seconds=training.get("wall_time_s"), seed=training.get("seed"))
        )
    view.chart_rows, view.chart_spec = probability_chart(pred.patch_probs, pred.fused, pred.label, names,
                                                         settings.rule)
    view.chart_panels = probability_panels(view.chart_spec)
    return view


def question_name(view: DigitView) -> str:
    """A name for the question "what does the network answer?" on this digit with these settings.

    It changes with the model (the shipped one's patch size, or the
    participant's model), the rule and the digit (a drawing is named by a
    hash of its 28x28 input), so *predict, then reveal* hides the answer
    again for a new question.
    """
    s = view.settings
    if view.input.x28 is None:
        what = "nothing"
    elif view.input.gallery is not None:
        what = f"gallery{s.digit}"
    else:
        what = "drawing" + hashlib.blake2b(np.ascontiguousarray(view.input.x28).tobytes(), digest_size=8).hexdigest()
    model = f"mine{view.own_id}" if view.model == "mine" else f"p{s.patch_size}"
    return f"classification-{model}-{s.rule}-{what}"


@dataclass
class AccuracyTables:
    """The measured tables of the evaluation report (``report`` None: not evaluated yet)."""

    sizes: list = field(default_factory=list)  # size_table rows
    has_chart: bool = False  # whether the accuracy-vs-patch-size chart can be drawn
    patches: list = field(default_factory=list)  # patch_table rows for the chosen patch size
    markdown: str = ""
    evaluated: bool = False


def accuracy_tables(report: dict | None, patch_size: int) -> AccuracyTables:
    """The page's accuracy tables for ``patch_size`` from the saved evaluation ``report``."""
    if report is None:
        return AccuracyTables()
    sizes = size_table(report)
    return AccuracyTables(
        sizes=sizes,
        has_chart=any("mean %" in row for row in sizes),
        patches=patch_table(report, patch_size),
        markdown=markdown_table(sizes),
        evaluated=True,
    )


# ------------------------------------------------------------------ where it fails


@dataclass
class FailureView:
    """Where the shipped classifier of one patch size fails, under one fusion rule, on MNIST's official test set."""

    patch_size: int
    rule: str
    n_test: int
    n_wrong: int
    chart_rows: list  # the confusion matrix, one row per cell (failures.confusion_rows)
    chart_spec: dict
    pictures: list  # (picture, caption, alt) of the misread digits shown, most confidently wrong first
    choices: dict  # gallery number -> one line naming it (for "load this digit")


def failure_view(answers, rule: str, images: np.ndarray, limit: int = 24) -> FailureView | None:
    """The confusion matrix and the most confidently misread test digits (at most ``limit``), with each
    patch's answer; None when the model has not been evaluated (``answers`` None).

    Parameters
    ----------
    answers : patchlab.classification.failures.Answers or None
        The shipped model's saved answers on the test set (:func:`~patchlab.classification.failures.read_test_answers`).
    rule : one of :data:`~patchlab.classification.fusion.RULES`
    images : ndarray of uint8, shape (N, 28, 28)
        The gallery's digits (MNIST's official test set, in its order).
    """
    from patchlab.classification.failures import (confusion_matrix, confusion_rows, confusion_spec, misread_caption,
                                                  misread_digits)

    if answers is None:
        return None
    matrix = confusion_matrix(answers, rule)
    wrong = misread_digits(answers, rule, order="confidence")
    names = [_(name) for name in PATCH_NAMES] if answers.patch_labels.shape[1] == 4 else (_("whole image"),)
    pictures = []
    for m in wrong[:limit]:
        caption = misread_caption(m, names)
        pictures.append((_enlarge(images[m.index], THUMBNAIL_SCALE * 2), f"#{m.index}: {m.truth} → {m.answer}",
                         _("Test digit {caption}").format(caption=caption)))
    title = _("Confusion matrix, p = {patch_size}, fused ({rule}): {n_labels} test digits").format(patch_size=answers.patch_size, rule=rule, n_labels=f"{len(answers.labels):,}")
    return FailureView(answers.patch_size, rule, len(answers.labels), len(wrong), confusion_rows(matrix),
                       confusion_spec(title), pictures, {m.index: misread_caption(m, names) for m in wrong[:limit]})
