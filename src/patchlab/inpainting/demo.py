"""What the Inpainting page computes, as pure functions.

The page reads its widgets into :class:`Settings`, turns the canvas drawing
into a mask with :func:`drawing_mask`, and on **Fill** calls
:func:`run_fill`, which fills the hole with the U-Net and the chosen
classical methods, times and scores each, and returns a :class:`FillResult`.
:func:`result_view` lays that result out for display (crops, error maps,
the table of scores) and :func:`evaluation_summary` does the same for the
held-out evaluation. Nothing here imports Streamlit; the page passes in the
cached model loader, the server's queue and the progress widgets.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from dataclasses import dataclass, field

import numpy as np

from patchlab.i18n import N_, _, ngettext
from patchlab.images import limit_size, load_sample
from patchlab.inpainting import infer
from patchlab.inpainting.baselines import CLASSICAL
from patchlab.inpainting.data import HELD_OUT
from patchlab.inpainting.display import colour_levels, error_levels, error_scale, hole_box, overlay_mask, to_png
from patchlab import ROOT
from patchlab.inpainting.evaluate import LABELS, format_held_out_table, format_table, region_metrics
from patchlab.inpainting.infer import MIN_SIDE
from patchlab.inpainting.masks import canvas_to_mask
from patchlab.inpainting.prefill import prefill_function
from patchlab.inpainting.recipe import RECIPES, format_duration, recorded_seconds, retrain_command
from patchlab.inpainting.sharp import sharp_fill
from patchlab.inpainting.tradeoff import fill_points
from patchlab.links import choice, whole_number
from patchlab.memory import release_free_memory
from patchlab.runtime import ModelUnavailable, read_card

__all__ = ["PHOTO_SIDE", "SOURCES", "TOOLS", "BRUSH_SIZES", "BRUSH_COLOUR", "METHODS", "SEED_MODEL", "method_label",
           "Settings", "clamp_settings", "QUERY_KEYS", "read_link", "to_query", "sample_photo",
           "sample_label", "photo_problem", "drawing_mask", "mask_id", "mask_problem", "queue_message",
           "FillResult", "run_fill", "ResultView", "result_view", "EvaluationSummary", "evaluation_summary",
           "shipped_first_guess", "retrain_note", "best_rows", "fill_timings", "winner", "room_fill"]

#: Photos are downscaled so their longer side is at most this, so Fill answers within about a second.
PHOTO_SIDE = 512
#: Where the photo comes from.
SOURCES = (N_("Sample photo"), N_("Upload your own"))  # shown with _(): the keys stay English
#: How the hole is drawn: free-hand strokes, rectangles, or an eraser that takes strokes back out.
TOOLS = (N_("Brush"), N_("Rectangle"), N_("Eraser"))  # shown with _(): the keys stay English
#: Smallest and largest brush width, in canvas pixels.
BRUSH_SIZES = (5, 60)
#: The hole's colour on the canvas (drawn at 70 % opacity); the eraser paints semi-transparent white.
BRUSH_COLOUR = (255, 0, 255)
#: What can be compared with the U-Net: the sharp fill (the U-Net's structure with the photo's own texture,
#: :mod:`patchlab.inpainting.sharp`), the tutorial's autoencoder (a model) and the classical methods.
METHODS = ("sharp", "seed", *CLASSICAL)
#: The held-out evaluation's mask families, as the page names them.
FAMILIES = {"square": N_("square"), "brush": N_("brush")}
#: The tutorial's autoencoder, trained by the recipe ``inpainting_seed``.
SEED_MODEL = infer.DEFAULT_MODEL.parent / "inpainting_seed.keras"


@dataclass(frozen=True)
class Settings:
    """One Inpainting-page configuration.

    Attributes
    ----------
    source : {'Sample photo', 'Upload your own'}
    sample : str
        The sample photo's name (used when ``source`` is a sample).
    tool : {'Brush', 'Rectangle', 'Eraser'}
    brush : int
        Brush (and eraser) width in canvas pixels (:data:`BRUSH_SIZES`).
    methods : tuple of str
        The methods compared with the U-Net (:data:`METHODS`: ``'seed'``,
        the tutorial's autoencoder, and the keys of
        :data:`~patchlab.inpainting.baselines.CLASSICAL`), in display order.
    zoom : bool
        Show the results cropped around the hole.

    Raises
    ------
    ValueError
        Naming the field: an unknown ``source`` or ``tool``, a ``brush``
        that is not a whole number, ``methods`` that are not names.
    """

    source: str = SOURCES[0]
    sample: str = HELD_OUT[0]
    tool: str = TOOLS[0]
    brush: int = 24
    methods: tuple = ("sharp", "telea")
    zoom: bool = True

    def __post_init__(self):
        if self.source not in SOURCES:
            raise ValueError(f"`source` must be one of {', '.join(SOURCES)}; got {self.source!r}.")
        if self.tool not in TOOLS:
            raise ValueError(f"`tool` must be one of {', '.join(TOOLS)}; got {self.tool!r}.")
        if isinstance(self.brush, bool) or not isinstance(self.brush, (int, np.integer)):
            raise ValueError(f"`brush` must be a whole number of pixels, got {self.brush!r}.")
        if isinstance(self.methods, str) or not all(isinstance(m, str) for m in self.methods):
            raise ValueError(f"`methods` must be a list of method names, got {self.methods!r}.")
        object.__setattr__(self, "methods", tuple(self.methods))

    @property
    def drawing_mode(self) -> str:
        """The canvas's drawing mode for :attr:`tool`."""
        return "rect" if self.tool == "Rectangle" else "freedraw"

    @property
    def stroke_width(self) -> int:
        """The canvas's stroke width: the brush for strokes and the eraser, a thin outline for rectangles."""
        return 1 if self.tool == "Rectangle" else self.brush


def clamp_settings(settings, samples):
    """Fit a configuration to what the page offers; return ``(settings, notes)``.

    The brush is clipped to :data:`BRUSH_SIZES`; unknown and repeated
    methods are dropped (the order is kept); a sample that is not among
    ``samples`` becomes the first held-out photo (or the first sample).
    ``notes`` has one sentence per change.

    Examples
    --------
    >>> s, notes = clamp_settings(Settings(brush=500, methods=("ns", "magic", "ns")), ["astronaut"])
    >>> s.brush, s.methods, s.sample
    (60, ('ns',), 'astronaut')
    >>> notes[0]
    'The brush size 500 px was limited to 60 px.'
    """
    samples = list(samples)
    if not samples:
        raise ValueError("`samples` must name at least one sample photo.")
    notes = []
    brush = int(min(max(settings.brush, BRUSH_SIZES[0]), BRUSH_SIZES[1]))
    if brush != settings.brush:
        notes.append(_("The brush size {asked} px was limited to {brush} px.").format(asked=settings.brush, brush=brush))
    methods = tuple(dict.fromkeys(m for m in settings.methods if m in METHODS))
    unknown = [m for m in settings.methods if m not in METHODS]
    if unknown:
        notes.append(_("Unknown methods were left out: {unknown} (known: {known}).").format(
            unknown=", ".join(unknown), known=", ".join(METHODS)))
    sample = settings.sample
    if sample not in samples:
        sample = HELD_OUT[0] if HELD_OUT[0] in samples else samples[0]
        notes.append(_("There is no sample photo {asked}; showing {sample}.").format(
            asked=repr(settings.sample), sample=repr(sample)))
    return Settings(settings.source, sample, settings.tool, brush, methods, settings.zoom), notes


#: The page's settings in a link: parameter -> what the page calls it (each parameter is a widget's key).
QUERY_KEYS = {"photo": N_("sample photo"), "tool": N_("tool"), "brush": N_("brush size"),
              "methods": N_("methods to compare")}


def read_link(params, samples):
    """A link's settings for the page's widgets; ``(values, ignored)``.

    Parameters
    ----------
    params : mapping of str to str or list of str
        ``photo``, ``tool``, ``brush`` and ``methods`` (given once per
        method); other parameters are not looked at. Photos and methods may
        be named by key or by the label the page shows (:func:`sample_label`,
        :func:`method_label`).
    samples : sequence of str
        The sample photos on offer.

    Returns
    -------
    values : dict
        Widget key (= parameter) -> value, for every setting the link
        names: a setting that cannot be used is at its default; a brush
        size out of range is limited to it; unknown methods are left out.
    ignored : list of Ignored
        One per value that was not used as it was (:func:`patchlab.links.link_notice`).

    Examples
    --------
    >>> values, ignored = read_link({"brush": "80", "tool": "Eraser", "methods": ["telea", "magic"]}, ["astronaut"])
    >>> values
    {'tool': 'Eraser', 'brush': 60, 'methods': ['telea']}
    >>> ignored[1].phrase().startswith("method to compare `magic` (expected Tutorial autoencoder, OpenCV Telea, ")
    True
    """
    default, ignored, values = Settings(), [], {}
    if "photo" in params:
        photo = choice(params, "photo", QUERY_KEYS["photo"], {s: sample_label(s) for s in samples}, ignored,
                       expected=N_("one of the sample photos"))
        values["photo"] = photo if photo is not None else clamp_settings(default, samples)[0].sample
    if "tool" in params:
        values["tool"] = choice(params, "tool", QUERY_KEYS["tool"], {t: t for t in TOOLS}, ignored) or default.tool
    if "brush" in params:
        brush = whole_number(params, "brush", QUERY_KEYS["brush"], *BRUSH_SIZES, ignored, unit=" px", clamp=True)
        values["brush"] = brush if brush is not None else default.brush
    if "methods" in params:
        raw = params["methods"]
        chosen = []
        for value in ([raw] if isinstance(raw, str) else list(raw)):
            key = choice({"m": value}, "m", N_("method to compare"), {m: method_label(m) for m in METHODS}, ignored)
            if key is not None and key not in chosen:
                chosen.append(key)
        values["methods"] = chosen
    return values, ignored


def to_query(settings):
    """The link's parameters for ``settings`` (a sample photo only: an upload cannot travel in a link)."""
    query = {"photo": settings.sample, "tool": settings.tool, "brush": settings.brush, "methods": list(settings.methods)}
    if settings.source != SOURCES[0]:
        del query["photo"]
    return query


def _unlabel(value, keys):
    """The key for ``value`` when it is a label the page shows (a bound widget writes its label to the URL)."""
    return keys.get(value, value)


def method_label(key):
    """How the page names a method it compares with the U-Net (slow ones say so), in the reader's language."""
    if key in ("biharmonic", "exemplar"):
        return _("{method} (slow)").format(method=_(LABELS[key]))
    return _(LABELS[key])


def sample_photo(name):
    """A bundled sample photo at the page's size: ``(photo, note)`` as :func:`~patchlab.images.limit_size`."""
    return limit_size(load_sample(name), PHOTO_SIDE)


def sample_label(name):
    """How the sample picker names a photo: held-out photos say they were never seen in training."""
    return _("{name} (never seen in training)").format(name=name) if name in HELD_OUT else name


def photo_problem(photo):
    """Why ``photo`` cannot be inpainted (too small), or None."""
    h, w = photo.shape[:2]
    if min(h, w) < MIN_SIDE:
        return _("This photo is {w}x{h} pixels: too small to inpaint. "
                 "Please use a photo of at least {side}x{side} pixels.").format(w=w, h=h, side=MIN_SIDE)
    return None


def drawing_mask(rgba, fit, photo_shape, brush=BRUSH_COLOUR):
    """The canvas drawing as a mask on the photo, or None when there is no usable drawing.

    Parameters
    ----------
    rgba : ndarray of uint8, shape (canvas_h, canvas_w, 4), or None
        What the canvas returned (None before anything is drawn).
    fit : dict or None
        How the canvas placed the photo (see :func:`~patchlab.inpainting.masks.canvas_to_mask`).
    photo_shape : tuple
        ``(H, W[, C])`` of the photo.
    brush : (int, int, int), optional
        The brush's colour: only pixels where it is on top count, so eraser
        strokes (another colour) take the hole back out.

    Returns
    -------
    mask : ndarray of bool, shape (H, W), or None
    """
    if rgba is None:
        return None
    try:
        return canvas_to_mask(rgba, photo_shape, fit, brush=brush)
    except ValueError:  # a drawing from another photo's canvas, mid-rerun
        return None


def mask_id(mask):
    """A short fingerprint of a mask (None for no mask): tells whether the drawing changed since Fill."""
    return None if mask is None else hashlib.sha1(np.ascontiguousarray(mask).tobytes()).hexdigest()


def mask_problem(mask):
    """Why Fill cannot run on ``mask`` (nothing painted, or everything), or None."""
    if mask is None or not mask.any():
        return _("Nothing is painted yet: paint over part of the photo first, then press Fill.")
    if mask.all():
        return _("The mask covers the whole photo, so nothing is left to fill it from. "
                 "Leave some of the photo unpainted.")
    return None


def queue_message(ahead):
    """What a participant waiting in the server's queue is told."""
    return ngettext("The server is busy: {ahead} Fill ahead of yours. Yours starts by itself; please keep this "
                    "page open.", "The server is busy: {ahead} Fills ahead of yours. Yours starts by itself; please "
                    "keep this page open.", ahead).format(ahead=ahead)


@dataclass
class FillResult:
    """One Fill: every method's result on one photo and mask, timed and scored.

    ``images``, ``seconds``, ``metrics`` and ``error_levels`` are keyed by
    method (``'unet'`` first when the U-Net ran, then the classical methods
    in the order chosen).
    """

    photo_id: str | None
    mask_id: str | None
    photo: np.ndarray  # uint8 (H, W, 3), the original
    mask: np.ndarray  # bool (H, W), True = filled
    images: dict  # method -> uint8 (H, W, 3)
    seconds: dict  # method -> seconds it took
    metrics: dict  # method -> region_metrics(...)
    errors: list  # messages, e.g. why the U-Net is not available
    error_levels: dict  # method -> uint8 (H, W): mean absolute error, 255 = vmax
    vmax: float  # the error shown brightest, the same for every method
    server_s: float  # time the Fill held a slot of the server's queue
    queued_s: float  # time it waited for that slot
    downloads: dict = field(default_factory=dict)  # 'mask' and 'unet' -> PNG bytes
    labels: dict = field(default_factory=dict)  # method -> the name shown, where not LABELS' (a domain model)
    points: list = field(default_factory=list)  # tradeoff.fill_points: each method's masked PSNR and detail ratio

    def label(self, method):
        """The name of ``method``'s result, in English (stored and compared; shown with ``_()``)."""
        return self.labels.get(method, LABELS[method])

    def is_for(self, photo_id):
        """True when this result belongs to the photo now on the page."""
        return self.photo_id == photo_id

    def drawing_changed(self, current_mask_id):
        """True when the drawing on the canvas is not the one this result filled."""
        return self.mask_id != current_mask_id


def _no_progress(_key, _message):
    return contextlib.nullcontext()


def run_fill(photo, mask, methods, load_unet, *, photo_id=None, gate=None, on_wait=None, on_start=None,
             working=_no_progress, load_seed=None, unet_label=None):
    """Fill ``mask`` in ``photo`` with the U-Net and the chosen classical methods; time and score each.

    Parameters
    ----------
    photo : ndarray of uint8, shape (H, W, 3)
    mask : ndarray of bool, shape (H, W)
        True where pixels are to be filled; neither empty nor full.
    methods : sequence of str
        Methods to run besides the U-Net (:data:`METHODS`: ``'seed'``, the
        tutorial's autoencoder, and the keys of ``CLASSICAL``).
    load_unet : callable
        Returns the shared :class:`~patchlab.inpainting.Inpainter`; when it
        raises ``ModelUnavailable`` or ``ValueError``, the classical methods
        still run and the message is kept in :attr:`FillResult.errors`.
    photo_id : str, optional
        Which photo this is (kept with the result).
    gate : patchlab.gate.Gate, optional
        The server's queue: the fills and their scores run in one of its slots.
    on_wait : callable, optional
        ``on_wait(ahead)`` while waiting for the slot (see :func:`queue_message`).
    on_start : callable, optional
        Called with no argument once the Fill holds its slot.
    working : callable, optional
        ``working(method, message)`` returns a context manager around each
        method's fill; for the U-Net what it yields, if not None, is called as
        ``progress(fraction, text)`` after each batch of tiles.
    load_seed : callable, optional
        Returns the tutorial's autoencoder (an ``Inpainter``); needed when
        ``methods`` holds ``'seed'``. When it raises ``ModelUnavailable`` or
        ``ValueError`` the message is kept in :attr:`FillResult.errors`.
    unet_label : str, optional
        What the results call the network ``load_unet`` returns, when it is
        not the shipped U-Net (a participant's domain model).

    Returns
    -------
    FillResult

    Raises
    ------
    ValueError
        For an empty or full mask, or an unknown method.
    """
    problem = mask_problem(mask)
    if problem:
        raise ValueError(f"`mask`: {problem}")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"`methods` must be among {', '.join(METHODS)}; got {unknown!r}.")
    if "seed" in methods and load_seed is None:
        raise ValueError("`load_seed` must be given to fill with the tutorial's autoencoder ('seed').")
    asked = time.perf_counter()
    with gate.slot(on_wait=on_wait) if gate is not None else contextlib.nullcontext():
        if on_start is not None:
            on_start()
        started = time.perf_counter()
        images, seconds, errors = _fill_each(photo, mask, methods, load_unet, working, load_seed)
        metrics = {k: region_metrics(photo, img, mask) for k, img in images.items()}
        finished = time.perf_counter()
    # what every later rerun shows, computed once (outside the queue: it is light)
    vmax = error_scale(photo, list(images.values()))
    downloads = {"mask": to_png(mask)}
    if "unet" in images:
        downloads["unet"] = to_png(images["unet"])
    result = FillResult(
        photo_id=photo_id, mask_id=mask_id(mask), photo=photo, mask=mask, images=images, seconds=seconds,
        metrics=metrics, errors=errors, vmax=vmax, server_s=finished - started, queued_s=started - asked,
        error_levels={k: error_levels(photo, img, vmax=vmax) for k, img in images.items()},
        downloads=downloads, labels={"unet": unet_label} if unet_label else {},
        points=fill_points(photo, images, mask, labels={"unet": unet_label} if unet_label else None),
    )
    release_free_memory()
    return result


def _fill_each(photo, mask, methods, load_unet, working, load_seed=None):
    """Each method's fill and its time; the reasons a method could not run."""
    images, seconds, errors = {}, {}, []
    try:
        model = load_unet()
    except (ModelUnavailable, ValueError) as exc:
        model = None
        errors.append(_("The U-Net is not available: {reason}").format(reason=exc))
    if model is not None:
        with working("unet", _("Filling with the U-Net...")) as progress:
            def report(done, total):
                if progress is not None:
                    progress(done / max(total, 1), _("U-Net: tile {done} of {total}").format(done=done, total=total))

            t = time.perf_counter()
            images["unet"] = model.inpaint(photo, mask, progress=report)
            seconds["unet"] = time.perf_counter() - t
    for key in methods:
        if key == "sharp":  # the shipped U-Net's structure, whatever fills in the U-Net's place
            if model is None:  # it needs the U-Net, whose absence is already explained
                continue
            with working(key, _("Filling with the sharp fill (the U-Net's structure, the photo's texture)...")):
                t = time.perf_counter()
                try:
                    images[key] = sharp_fill(photo, mask)
                except ModelUnavailable as exc:
                    errors.append(_("The sharp fill is not available: {reason}").format(reason=exc))
                    continue
                seconds[key] = time.perf_counter() - t
            continue
        if key == "seed":
            try:
                seed = load_seed()
            except (ModelUnavailable, ValueError) as exc:
                errors.append(_("The tutorial autoencoder is not available: {reason}").format(reason=exc))
                continue
            with working(key, _("Filling with the tutorial autoencoder...")):
                t = time.perf_counter()
                images[key] = seed.inpaint(photo, mask)
                seconds[key] = time.perf_counter() - t
            continue
        label, fill = CLASSICAL[key]
        with working(key, _("Filling with {method}...").format(method=_(label))):
            t = time.perf_counter()
            images[key] = fill(photo, mask)
            seconds[key] = time.perf_counter() - t
    return images, seconds, errors


@dataclass
class ResultView:
    """A :class:`FillResult` laid out for the page."""

    pictures: list  # (caption, uint8 image): the masked input, then each method's result
    error_pictures: list  # (caption, uint8 image): the original, then each method's coloured error map
    per_row: int  # pictures per row
    table: list  # one dict per method: the scores and the time, formatted
    scale_note: str  # what the brightest error colour means
    summary: str  # how much was masked, how long the Fill took
    best: dict = field(default_factory=dict)  # table column -> the rows holding its best value
    vmax: float = 1.0  # the error shown brightest (the colour bar's top)


def best_rows(metrics, seconds, time_digits=None):
    """Which methods hold the best value of each column of the table (ties: all of them).

    Parameters
    ----------
    metrics : dict
        method -> ``region_metrics`` (PSNR and SSIM: higher is better).
    seconds : dict
        method -> seconds (lower is better).
    time_digits : int, optional
        Compare times rounded to this many decimals of a second (default:
        whole milliseconds, as the Fill's table prints them).

    Returns
    -------
    dict
        column name -> list of row indices (rows in ``metrics`` order).

    Examples
    --------
    >>> m = {"a": dict(psnr_masked=20, ssim_masked=.5, psnr_whole=30, ssim_whole=.9),
    ...      "b": dict(psnr_masked=22, ssim_masked=.5, psnr_whole=29, ssim_whole=.8)}
    >>> best_rows(m, {"a": .1, "b": .2})["PSNR masked (dB)"], best_rows(m, {"a": .1, "b": .2})["SSIM masked"]
    ([1], [0, 1])
    """
    keys = list(metrics)
    if not keys:
        return {}
    # compare what the table shows (rounded as it is printed), so a tie on screen is a tie here
    columns = {
        "PSNR masked (dB)": ([round(metrics[k]["psnr_masked"], 2) for k in keys], max),
        "SSIM masked": ([round(metrics[k]["ssim_masked"], 3) for k in keys], max),
        "PSNR whole (dB)": ([round(metrics[k]["psnr_whole"], 2) for k in keys], max),
        "SSIM whole": ([round(metrics[k]["ssim_whole"], 4) for k in keys], max),
        "time (ms)": ([round(seconds[k] * 1000) if time_digits is None else round(seconds[k], time_digits)
                       for k in keys], min),
    }
    return {name: [i for i, v in enumerate(values) if v == pick(values)] for name, (values, pick) in columns.items()}


def winner(result):
    """The label of the method with the highest masked PSNR in ``result`` (the first of a tie)."""
    best = max(result.metrics, key=lambda k: result.metrics[k]["psnr_masked"])
    return result.label(best)


def room_fill(result, source):
    """A Fill as the room keeps it: each method's masked PSNR (exact fills count as 100 dB), the masked share,
    and whether the photo was a sample or an upload (never the photo itself)."""
    psnr = {k: float(min(m["psnr_masked"], 100.0)) for k, m in result.metrics.items()}
    return {"psnr": psnr, "masked_fraction": float(result.mask.mean()),
            "photo": "sample" if source == SOURCES[0] else "upload"}


def fill_timings(result):
    """One line per method: how long its fill took, for the page's details."""
    return [_("{method}: {ms} ms").format(method=_(result.label(k)), ms=f"{result.seconds[k] * 1000:.0f}")
            for k in result.images]


def result_view(result, zoom=True, before=False):
    """Lay out a :class:`FillResult`: pictures (cropped to the hole when ``zoom``), error maps, scores.

    Parameters
    ----------
    result : FillResult
    zoom : bool, optional
        Crop every picture to the hole (:func:`~patchlab.inpainting.display.hole_box`).
    before : bool, optional
        Show the masked input in place of each method's result (same
        captions, same crop), to flip between before and after.

    Returns
    -------
    ResultView
    """
    hole = result.mask
    y0, y1, x0, x1 = hole_box(hole) if zoom else (0, hole.shape[0], 0, hole.shape[1])

    def crop(img):
        return img[y0:y1, x0:x1]

    masked = crop(overlay_mask(result.photo, hole))
    pictures = [(_("Masked input"), masked)]
    pictures += [(_("{method} (before)").format(method=_(result.label(k))) if before else _(result.label(k)),
                  masked if before else crop(img)) for k, img in result.images.items()]
    per_row = 2 if len(pictures) in (2, 4) else 3
    error_pictures = [(_("Original"), crop(result.photo))]
    error_pictures += [(_(result.label(k)), colour_levels(crop(levels))) for k, levels in result.error_levels.items()]
    detail = {p["method"]: p["detail"] for p in result.points}
    table = [{
        _("method"): _(result.label(k)),
        _("PSNR masked (dB)"): f"{m['psnr_masked']:.2f}",
        _("SSIM masked"): f"{m['ssim_masked']:.3f}",
        _("detail ratio"): "—" if detail.get(k) is None else f"{detail[k]:.2f}",
        _("PSNR whole (dB)"): f"{m['psnr_whole']:.2f}",
        _("SSIM whole"): f"{m['ssim_whole']:.4f}",
        _("time (ms)"): f"{result.seconds[k] * 1000:.0f}",
    } for k, m in result.metrics.items()]
    scale_note = _("Mean absolute error over the colour channels; black = exact, brightest = {vmax} grey levels "
                   "(same scale for every method).").format(vmax=f"{result.vmax:.0f}")
    summary = _("{share} of the photo was masked. Higher is better; the masked-region figures are the ones that "
                "tell the methods apart. This Fill took {server} s on the server, after {queued} s in the "
                "queue.").format(share=f"{hole.mean():.1%}", server=f"{result.server_s:.2f}",
                                 queued=f"{result.queued_s:.2f}")
    best = {_(column): rows for column, rows in best_rows(result.metrics, result.seconds).items()}
    return ResultView(pictures, error_pictures, per_row, table, scale_note, summary, best, result.vmax)


@dataclass
class EvaluationSummary:
    """The held-out evaluation as the page shows it.

    When the report holds the 42-photo held-out set, :attr:`table`,
    :attr:`rows`, :attr:`best` and :attr:`notes` describe it (with 95 %
    intervals), :attr:`figure` is its picture, and the original three
    photos' table moves to the ``original_*`` attributes; otherwise the
    original table is the only one.
    """

    table: str  # Markdown: every method and mask family
    notes: list  # one sentence per mask family (the margins and their intervals), then what was measured
    rows: list = field(default_factory=list)  # the same table, one dict per row, formatted
    best: dict = field(default_factory=dict)  # column -> rows holding the best value within their mask family
    figure: str | None = None  # PNG path: six held-out photos, masked / U-Net / best classical / original
    figure_caption: str = ""
    original_rows: list = field(default_factory=list)  # the original three photos' table, when the set leads
    original_best: dict = field(default_factory=dict)
    original_notes: list = field(default_factory=list)

    @property
    def marked_table(self):
        """Markdown of :attr:`rows` with each family's best value of each column in bold."""
        if not self.rows:
            return self.table
        columns = list(self.rows[0])
        lines = ["| " + " | ".join(columns) + " |", "|---|---|" + "---:|" * (len(columns) - 2)]
        for i, row in enumerate(self.rows):
            cells = [f"**{v}**" if i in self.best.get(c, ()) else v for c, v in row.items()]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)


def evaluation_summary(report):
    """The evaluation report (:func:`~patchlab.inpainting.evaluate.read_inpainting_report`) for the page.

    Returns
    -------
    EvaluationSummary or None
        None when no evaluation has been run.
    """
    if report is None:
        return None
    original = _original_summary(report)
    section = report.get("held_out_set")
    if not section or not section.get("margins"):
        return original
    rows, best = [], {}
    for family, methods in section["families"].items():
        first = len(rows)
        for method, r in methods.items():
            lo, hi = r["psnr_masked_ci"]
            rows.append({_("masks"): _(FAMILIES.get(family, family)), _("method"): _(LABELS.get(method, method)),
                         _("PSNR masked (dB)"): f"{r['psnr_masked']:.2f}",
                         _("95 % interval (dB)"): f"{lo:.2f}–{hi:.2f}",
                         _("SSIM masked"): f"{r['ssim_masked']:.3f}", _("PSNR whole (dB)"): f"{r['psnr_whole']:.2f}",
                         _("SSIM whole"): f"{r['ssim_whole']:.4f}", _("s / image"): f"{r['seconds_per_image']:.3f}"})
        _add_family_best(best, methods, first)
    sources = ", ".join(f"{name} {p['version']} ({p['client']})" for name, p in section["sources"].items())
    cases = _(" and ").join(_("{n} {family}").format(n=n, family=_(FAMILIES.get(family, family)))
                            for family, n in section["cases"].items())
    notes = held_out_margins(section) + [_(
        "Held-out set: {photos} photos never used in training, from {sources}; {views} views x {masks} seeded "
        "masks per photo and family ({cases} cases), {side}x{side} pixels. Intervals: 95 % percentile bootstrap "
        "over photos, {resamples} resamples. The U-Net row is one view (no test-time flips); times are medians "
        "on this server.").format(photos=len(section["photos"]), sources=sources, views=section["views_per_photo"],
                                  masks=section["masks_per_view"], cases=cases, side=section["view_size"],
                                  resamples=f"{section['bootstrap']['resamples']:,}")]
    figure = section.get("figure")
    figure = str(ROOT / figure) if figure and (ROOT / figure).is_file() else None
    return EvaluationSummary(
        format_held_out_table(section), notes, rows, best, figure=figure,
        figure_caption=_("Six held-out photos at the page's size, cropped around the hole and shown at one "
                         "height: masked, U-Net (one view), sharp fill, the best classical method of that mask "
                         "family on the held-out set, original.") if figure else "",
        original_rows=original.rows, original_best=original.best, original_notes=original.notes)


def _original_summary(report):
    """The original three photos' table (the report's top level) for the page."""
    notes = []
    for family, t in report.get("target", {}).items():
        notes.append(
            _("{family} masks: the U-Net is {gain} dB over the best classical method ({method}).").format(
                family=_(FAMILIES.get(family, family)), gain=f"{t['psnr_gain_db']:+.2f}",
                method=_(LABELS.get(t["best_classical"], t["best_classical"])))
            + (_(" Over its own first guess (the harmonic fill) it gains {gain} dB.").format(
                gain=f"{t['psnr_gain_over_first_guess_db']:+.2f}") if "psnr_gain_over_first_guess_db" in t else ""))
    notes.append(_("Held-out photos (never used in training): {photos}; {views} views x {masks} seeded masks per "
                   "family, {side}x{side} pixels. Times are medians on this server.").format(
        photos=", ".join(report["held_out_photos"]), views=len(report["views"]), masks=report["masks_per_view"],
        side=report["view_size"]))
    rows, best = [], {}
    for family, methods in report["families"].items():
        first = len(rows)
        for method, r in methods.items():
            rows.append({_("masks"): _(FAMILIES.get(family, family)), _("method"): _(LABELS.get(method, method)),
                         _("PSNR masked (dB)"): f"{r['psnr_masked']:.2f}", _("SSIM masked"): f"{r['ssim_masked']:.3f}",
                         _("PSNR whole (dB)"): f"{r['psnr_whole']:.2f}", _("SSIM whole"): f"{r['ssim_whole']:.4f}",
                         _("s / image"): f"{r['seconds_per_image']:.3f}"})
        _add_family_best(best, methods, first)
    return EvaluationSummary(format_table(report), notes, rows, best)


def _add_family_best(best, methods, first):
    """Add one mask family's best rows (its first row is ``first``) to ``best``, keyed by the shown column."""
    family_best = best_rows(methods, {m: r["seconds_per_image"] for m, r in methods.items()}, time_digits=3)
    for column, indices in family_best.items():
        column = "s / image" if column == "time (ms)" else column
        best.setdefault(_(column), []).extend(first + i for i in indices)


def held_out_margins(section):
    """One sentence per mask family: the U-Net's margins over the best classical method, with their intervals.

    What the page says of the held-out evaluation: results and how sure they
    are, never the project's targets (those are in docs/inpainting.md and
    ``make evaluate``'s printout).
    """
    lines = []
    for family, m in section["margins"].items():
        lo, hi = m["psnr_margin_ci"]
        line = _("{family}: the U-Net is {margin} dB over the best classical method ({method}), 95 % interval "
                 "{low} to {high} dB; masked SSIM {ssim} over the best classical ({ssim_method}).").format(
            family=_(FAMILIES.get(family, family)), margin=f"{m['psnr_margin_db']:+.2f}",
            method=_(LABELS.get(m["best_classical"], m["best_classical"])), low=f"{lo:+.2f}", high=f"{hi:+.2f}",
            ssim=f"{m['ssim_margin']:+.3f}",
            ssim_method=_(LABELS.get(m["best_classical_ssim"], m["best_classical_ssim"])))
        if "psnr_margin_db_flips" in m:
            flo, fhi = m["psnr_margin_ci_flips"]
            line += _(" With 4 mirrored views: {margin} dB ({low} to {high}).").format(
                margin=f"{m['psnr_margin_db_flips']:+.2f}", low=f"{flo:+.2f}", high=f"{fhi:+.2f}")
        lines.append(line)
    return lines


def shipped_first_guess():
    """The name of the first-guess function the shipped model was trained with (from its card)."""
    return prefill_function(read_card(infer.DEFAULT_MODEL).get("prefill")).__name__


def retrain_note():
    """How to retrain the shipped model, for the page: the recipe's command, how long it takes, the shorter recipe."""
    def took(name):
        seconds = recorded_seconds(name, ROOT)
        if seconds is None:
            return _("no training time recorded in its model card")
        return _("about {duration} on this 2-core CPU").format(duration=format_duration(seconds))

    shipped, quick = RECIPES["inpainting"], RECIPES["inpainting_quick"]
    return _("Retrain the model: `{command}` — {took}: {about}. A shorter recipe, {quick_command} ({quick_took}), "
             "is {quick_about}.").format(
        command=retrain_command(shipped.name), took=took(shipped.name), about=_(shipped.about),
        quick_command=retrain_command(quick.name), quick_took=took(quick.name), quick_about=_(quick.about))
