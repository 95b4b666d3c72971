"""What the Patches page computes, as pure functions.

The page reads its widgets into :class:`Settings` (seeded from the URL by
:func:`read_link`, fitted to the photo by :func:`clamp_settings`, written
back by :func:`to_query`) and calls :func:`analyse_photo`, which returns a
:class:`PatchesResult` with everything the page shows: the engine's
:class:`PatchReport` (arrays, counts and the engine's own timings, from
:func:`analyse`), the pictures and the captions' figures.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field

import numpy as np

from patchlab import patches as engine
from patchlab.i18n import DEFAULT, N_, _, current_language
from patchlab.links import Ignored, choice, last, whole_number
from patchlab.visualize import (
    draw_patch_grid,
    heatmap_with_colour_bar,
    human_number,
    montage,
    to_uint8,
    window_profile,
)

__all__ = ["Settings", "SETTING_NAMES", "read_link", "to_query", "count_options", "clamp_settings", "slider_limits", "grid_size",
           "PatchReport", "analyse", "PatchesResult", "analyse_photo", "geometry_pictures", "format_bytes",
           "ordinal", "layout_words", "intro", "weight_scale", "MERGE_BUDGET_BYTES", "MAX_SIDE",
           "MAX_PATCH", "MAX_STRIDE", "ERROR_SCALE_EPS", "warm_up"]

#: The page never reads or allocates more than this for one merge (~256 MB of float32).
MERGE_BUDGET_BYTES = 256 * 2**20
#: The page works on photos of at most this many pixels per side (larger ones are downscaled).
MAX_SIDE = 512
#: The largest patch a link may ask for: no photo on the page is larger.
MAX_PATCH = MAX_SIDE
#: The largest stride a link may ask for: twice the largest patch.
MAX_STRIDE = 2 * MAX_PATCH
#: The round-trip error map spans 0 to this many float32 epsilons (about 1.9e-6).
ERROR_SCALE_EPS = 16


@dataclass
class Settings:
    """One Patches-page configuration."""

    image: str = "astronaut"
    patch: tuple = (64, 64)
    stride: tuple = (32, 32)
    window: str = "hann"
    edge: str = "pad"
    highlight: int = 0


def _parse_pair(text):
    parts = str(text).lower().replace("×", "x").split("x")
    if len(parts) == 1:
        v = int(parts[0])
        return (v, v)
    if len(parts) == 2:
        return (int(parts[0]), int(parts[1]))
    raise ValueError(text)


#: How the page names each setting in a link: parameter -> setting.
SETTING_NAMES = {"img": N_("photo"), "p": N_("patch size"), "s": N_("stride"), "win": N_("blending window"),
                 "edge": N_("edges"), "hi": N_("highlighted patch")}
_FIELDS = {"img": "image", "p": "patch", "s": "stride", "win": "window", "edge": "edge", "hi": "highlight"}
_PAIR = N_("a size in pixels like 16 or 16x24")


def read_link(params, images):
    """A link's settings; every setting it names that cannot be used is at its default.

    Parameters
    ----------
    params : mapping of str to str (or list of str)
        e.g. ``{"img": "coffee", "p": "48", "s": "16x24", "win": "tent",
        "edge": "shift", "hi": "3"}``; other parameters are not looked at.
    images : collection of str
        Valid image names.

    Returns
    -------
    fields : dict
        :class:`Settings` field -> value, for every setting the link names.
    ignored : list of Ignored
        One per setting that could not be used (:func:`patchlab.links.link_notice`).

    Examples
    --------
    >>> fields, ignored = read_link({"p": "40x20", "s": "oops"}, ["astronaut"])
    >>> fields, [i.phrase() for i in ignored]
    ({'patch': (40, 20), 'stride': (32, 32)}, ['stride `oops` (expected a size in pixels like 16 or 16x24)'])
    >>> read_link({"p": "99999"}, ["astronaut"])[1][0].expected
    'a size from 1 to 512 px'

    Notes
    -----
    A patch may be at most :data:`MAX_PATCH` and a stride at most
    :data:`MAX_STRIDE` pixels per side; :func:`clamp_settings` then fits
    them to the photo.
    """
    default, ignored, fields = Settings(), [], {}

    def size(param, limit):
        raw = last(params[param]).strip()
        try:
            value = _parse_pair(raw)
        except (ValueError, TypeError, OverflowError):
            ignored.append(Ignored(SETTING_NAMES[param], raw, _PAIR))
            return None
        if min(value) < 1 or max(value) > limit:
            ignored.append(Ignored(SETTING_NAMES[param], raw, _("a size from 1 to {limit} px").format(limit=f"{limit:,}")))
            return None
        return value

    for param, name in _FIELDS.items():
        if param not in params:
            continue
        if param == "img":
            value = choice(params, param, SETTING_NAMES[param], {i: i for i in images}, ignored,
                           expected=_("one of the sample photos"))
        elif param in ("p", "s"):
            value = size(param, MAX_PATCH if param == "p" else MAX_STRIDE)
        elif param == "hi":
            value = whole_number(params, param, SETTING_NAMES[param], 0, 10**9, ignored)
        else:
            options = engine.WINDOWS if param == "win" else engine.EDGES
            value = choice(params, param, SETTING_NAMES[param], {o: o for o in options}, ignored)
        fields[name] = value if value is not None else getattr(default, name)
    return fields, ignored


def count_options(n_patches, grid):
    """Four answers to "how many patches does this geometry give?": the right one and three near misses.

    The near misses are what a participant gets by forgetting one row and
    column, by counting one too many, or by counting twice as many.

    >>> count_options(900, (30, 30))
    ['841', '900', '961', '1,800']
    """
    nh, nw = grid
    candidates = {int(n_patches), max(1, (nh - 1) * (nw - 1)), (nh + 1) * (nw + 1), 2 * int(n_patches)}
    for extra in (3 * int(n_patches), int(n_patches) + 1):  # tiny grids: keep four distinct answers
        if len(candidates) < 4:
            candidates.add(extra)
    return [f"{v:,}" for v in sorted(candidates)[:4]]


def to_query(s):
    """The URL query parameters for ``s`` (the inverse of :func:`read_link`)."""
    pair = lambda v: str(v[0]) if v[0] == v[1] else f"{v[0]}x{v[1]}"  # noqa: E731
    return {"img": s.image, "p": pair(s.patch), "s": pair(s.stride), "win": s.window,
            "edge": s.edge, "hi": str(s.highlight)}


def slider_limits(patch, image_shape, square=False):
    """The largest patch and stride the page's sliders offer.

    Parameters
    ----------
    patch : (int, int)
        The patch the stride belongs to (already fitted to the image).
    image_shape : tuple
        ``(H, W[, C])`` of the photo.
    square : bool
        One size for both axes ("Same height and width"): the patch is
        limited by the shorter side.

    Returns
    -------
    max_patch, max_stride : (int, int)
        Per axis (height, width): a patch fits in the photo, a stride is at
        most twice its patch (beyond that a patch grid is mostly gaps).
    """
    h, w = image_shape[:2]
    if square:
        h = w = min(h, w)
    return (h, w), (2 * max(1, patch[0]), 2 * max(1, patch[1]))


def clamp_settings(s, image_shape, square=False):
    """Fit a configuration to an image; return ``(settings, notes)``.

    Every setting that still fits is kept as it is; only what no longer
    fits is reduced, to the largest value that does:

    - a patch larger than the image is reduced to the image size (to its
      shorter side when ``square``: one size for both axes);
    - a stride is kept between 1 and twice the patch (a stride above the
      patch leaves uncovered gaps, which the page shows on purpose);
    - the highlighted patch number is kept inside the patch grid.

    ``notes`` holds one sentence per reduced patch or stride, naming the
    old and the new value (the highlighted patch follows silently).

    Examples
    --------
    >>> fitted, notes = clamp_settings(Settings(patch=(48, 48), stride=(16, 16)), (341, 512, 3))
    >>> fitted.patch, fitted.stride, notes
    ((48, 48), (16, 16), [])
    >>> fitted, notes = clamp_settings(Settings(patch=(16, 16), stride=(40, 40)), (512, 512, 3))
    >>> fitted.stride, notes
    ((32, 32), ['The stride 40×40 was limited to 32×32: at most twice the patch (16×16).'])
    """
    max_patch, _stride = slider_limits(s.patch, image_shape, square)
    h, w = image_shape[:2]
    notes = []
    patch = (max(1, min(s.patch[0], max_patch[0])), max(1, min(s.patch[1], max_patch[1])))
    if patch != tuple(s.patch):
        notes.append(
            _("The patch {asked} is larger than the image ({h}×{w}); it was reduced to {used}.").format(
                asked=f"{s.patch[0]}×{s.patch[1]}", h=h, w=w, used=f"{patch[0]}×{patch[1]}")
        )
    _patch, max_stride = slider_limits(patch, image_shape, square)
    stride = (min(max(1, s.stride[0]), max_stride[0]), min(max(1, s.stride[1]), max_stride[1]))
    if stride != tuple(s.stride):
        notes.append(_("The stride {asked} was limited to {used}: at most twice the patch ({patch}).").format(
            asked=f"{s.stride[0]}×{s.stride[1]}", used=f"{stride[0]}×{stride[1]}", patch=f"{patch[0]}×{patch[1]}"))
    fitted = Settings(s.image, patch, stride, s.window, s.edge, max(0, int(s.highlight)))
    try:
        nh, nw = grid_size(fitted, image_shape)
    except ValueError:  # a geometry the engine refuses: the page explains it
        return fitted, notes
    fitted.highlight = min(fitted.highlight, nh * nw - 1)
    return fitted, notes


def ordinal(n):
    """``n`` as an English ordinal: ``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``, ``21st``."""
    n = int(n)
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def layout_words(patch, stride):
    """How neighbouring patches sit for this geometry, in words.

    ``"overlapping"`` (stride below the patch on both axes), ``"touching"``
    (stride equal to the patch: tiles), ``"separated"`` (stride above the
    patch: gaps between them), or one phrase per axis when they differ,
    e.g. ``"overlapping down and separated across"``.
    """
    def one(p, s):
        return "overlapping" if s < p else "touching" if s == p else "separated"

    down, across = one(patch[0], stride[0]), one(patch[1], stride[1])
    return down if down == across else f"{down} down and {across} across"


def intro(s):
    """The page's opening paragraph, true for the settings ``s``."""
    pair = lambda v: f"{v[0]}" if v[0] == v[1] else f"{v[0]}×{v[1]}"  # noqa: E731
    layout = layout_words(s.patch, s.stride)
    how = {
        "overlapping": _(" (each patch shares pixels with its neighbours)"),
        "touching": _(" (they tile the image without sharing a pixel)"),
        "separated": _(" (gaps are left between them)"),
    }.get(layout, "")
    return _(
        "An image is cut into {layout} **patches**: size *p* = {patch}, stride *s* = {stride}{how}. Each patch "
        "can be processed on its own; to merge them back, every patch is multiplied by a **window**, added into "
        "place (*overlap-add*) and each pixel is divided by the window weight that reached it — the **weight "
        "map**. Unchanged patches give back every pixel they cover exactly."
    ).format(layout=_layout_in_words(s.patch, s.stride), patch=pair(s.patch), stride=pair(s.stride), how=how)


_LAYOUTS = {"overlapping": N_("overlapping"), "touching": N_("touching"), "separated": N_("separated")}


def _layout_in_words(patch, stride):
    """:func:`layout_words` in the language of the run."""
    down, across = (_(_LAYOUTS[layout_words((p, p), (s, s))]) for p, s in zip(patch, stride))
    return down if down == across else _("{down} down and {across} across").format(down=down, across=across)


SCALE_NAMES = (N_("log"), N_("linear"))  # weight_scale()'s answers, translated where shown


def weight_scale(lo, hi):
    """``'log'`` when merge weights span more than a decade (``hi / lo > 10``), else ``'linear'``."""
    return "log" if lo > 0 and hi / lo > 10 else "linear"


@dataclass
class PatchReport:
    """Everything the Patches page shows for one image and geometry."""

    patches: np.ndarray  # the view (nh, nw, ph, pw, C)
    origins_y: np.ndarray
    origins_x: np.ndarray
    grid: tuple  # (nh, nw)
    coverage: np.ndarray  # int (H, W)
    weights: np.ndarray  # float (H, W), 1 / summed window
    window_y: np.ndarray  # 1-D window along the patch height
    window_x: np.ndarray
    merged: np.ndarray | None  # unpatchify(patchify(x)) or None when over budget
    max_error: float | None  # max |merged - x| over covered pixels
    uncovered: int  # pixels no patch covers
    n_patches: int
    n_elements: int  # elements a contiguous copy of the patches would hold
    copy_bytes: int  # bytes of that copy in float32
    is_view: bool  # True when the patches share memory with the image
    timings_ms: dict = field(default_factory=dict)
    skipped: str | None = None  # why the merge was skipped


def warm_up():
    """Compile the engine's merge kernels once, so timings shown exclude JIT time.

    Runs every window and edge policy on a tiny colour image laid out like
    the page's (float32, read through a patch view).
    """
    x = np.zeros((12, 12, 3), np.float32)
    for edge in engine.EDGES:
        for window in engine.WINDOWS:
            engine.unpatchify(engine.patchify(x, 5, 3, edge), x.shape, 3, window, edge)


def _as_pair(v):
    return (int(v), int(v)) if np.isscalar(v) else (int(v[0]), int(v[1]))


def _best_of(fn, repeat):
    best = float("inf")
    for _round in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return out, best * 1e3


def analyse(image, patch_size, stride, window="uniform", edge="valid", budget_bytes=MERGE_BUDGET_BYTES):
    """Cut ``image`` into patches, merge them back, and measure it all.

    Parameters
    ----------
    image : ndarray, float32, shape (H, W) or (H, W, C)
    patch_size, stride : int or (int, int)
    window : {'uniform', 'tent', 'hann', 'gaussian'}
    edge : {'valid', 'pad', 'shift'}
    budget_bytes : int
        The merge is skipped (with a reason) when the patches would hold
        more than this many bytes, so no setting can stall the server.

    Returns
    -------
    PatchReport

    Raises
    ------
    ValueError
        For an invalid geometry (from the patch engine).
    """
    image = np.asarray(image)
    patch = _as_pair(patch_size)
    step = _as_pair(stride)
    channels = image.shape[2] if image.ndim == 3 else 1

    view, t_patchify = _best_of(lambda: engine.patchify(image, patch, step, edge), 20)
    cov, t_cov = _best_of(lambda: engine.coverage(image.shape, patch, step, edge), 3)
    wmap, t_w = _best_of(lambda: engine.weight_map(image.shape, patch, step, window, edge), 3)
    oy = engine.patch_origins(image.shape[0], patch[0], step[0], edge)
    ox = engine.patch_origins(image.shape[1], patch[1], step[1], edge)
    n_patches = view.shape[0] * view.shape[1]
    n_elements = n_patches * patch[0] * patch[1] * channels
    copy_bytes = n_elements * 4
    timings = {"patchify": t_patchify, "coverage": t_cov, "weight_map": t_w}

    merged = max_error = skipped = None
    if copy_bytes > budget_bytes:
        skipped = (
            _("Merging would read {n_elements} patch elements ({gb} GB as float32); this page merges at most "
              "{mb} MB per change. Increase the stride or reduce the patch size.").format(
                n_elements=f"{n_elements:,}", gb=f"{copy_bytes / 2**30:.2f}", mb=f"{budget_bytes / 2**20:.0f}")
        )
    else:
        merged, t_merge = _best_of(lambda: engine.unpatchify(view, image.shape, step, window, edge), 1)
        timings["unpatchify"] = t_merge
        covered = cov > 0
        diff = np.abs(merged - image)
        max_error = float(diff[covered].max()) if covered.any() else 0.0

    return PatchReport(
        patches=view,
        origins_y=oy,
        origins_x=ox,
        grid=view.shape[:2],
        coverage=cov,
        weights=wmap,
        window_y=engine.window_1d(window, patch[0]),
        window_x=engine.window_1d(window, patch[1]),
        merged=merged,
        max_error=max_error,
        uncovered=int((cov == 0).sum()),
        n_patches=n_patches,
        n_elements=n_elements,
        copy_bytes=copy_bytes,
        is_view=bool(np.shares_memory(view, image)),
        timings_ms=timings,
        skipped=skipped,
    )


def grid_size(settings, image_shape):
    """``(nh, nw)``: patch rows and columns of ``settings`` on an image of ``image_shape``.

    Raises ValueError (from the patch engine) for a geometry it refuses.
    """
    return engine.grid_shape(image_shape, settings.patch, settings.stride, settings.edge)


def geometry_pictures(shape, patch, stride, window, edge):
    """Coverage and weight-map heat maps (read-only): they depend on the geometry only.

    Cached per geometry and per language (the colour bars' labels are words).

    The weight map is drawn on a log scale when its weights span more than
    a decade (:func:`weight_scale`): near a border only the small tails of
    a ``hann`` or ``tent`` window reach a pixel, so its weight grows to
    thousands, and on a linear scale everything else would be one dark
    colour. The colour bar states the true range either way.
    """
    return _geometry_pictures(shape, patch, stride, window, edge, current_language())


@functools.lru_cache(maxsize=64)
def _geometry_pictures(shape, patch, stride, window, edge, language):
    cov = engine.coverage(shape, patch, stride, edge).astype(float)
    wmap = engine.weight_map(shape, patch, stride, window, edge)
    cov[cov == 0] = np.nan  # drawn grey: no patch reaches these pixels
    wmap[wmap == 0] = np.nan
    finite = wmap[np.isfinite(wmap)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (1.0, 1.0)
    scale = weight_scale(lo, hi)
    pictures = (heatmap_with_colour_bar(cov, "viridis", _("patches per pixel")),
                heatmap_with_colour_bar(wmap, "magma_r", _("merge weight ({scale} scale)").format(scale=_(scale)),
                                        vmin=lo, vmax=hi, scale=scale))
    for picture in pictures:
        picture.flags.writeable = False
    return pictures


def error_picture(merged, original, covered):
    """The round-trip error ``|merged - original|`` on a fixed scale tied to float32 precision.

    Parameters
    ----------
    merged, original : ndarray of float32, shape (H, W, C)
    covered : ndarray of bool, shape (H, W)
        Pixels some patch reaches; the others are drawn grey.

    Returns
    -------
    picture : ndarray of uint8
        The largest error over the colour channels per pixel, coloured from
        0 to ``ERROR_SCALE_EPS`` float32 epsilons (ε = 1.19e-7, the spacing
        of float32 numbers just above 1): rounding in the weighted sum and
        the division leaves a few ε and stays dark; anything brighter than
        the top of the bar would be a real error, not rounding.
    """
    eps = float(np.finfo(np.float32).eps)
    err = np.abs(np.asarray(merged, np.float64) - np.asarray(original, np.float64))
    if err.ndim == 3:
        err = err.max(axis=2)
    err[~covered] = np.nan
    top = ERROR_SCALE_EPS * eps
    return heatmap_with_colour_bar(
        err, "magma", _("|error|, float32 ε = {eps}").format(eps=human_number(eps)), vmin=0.0, vmax=top,
        tick_labels=[f"≥ {ERROR_SCALE_EPS} ε ({human_number(top, 2)})", f"{ERROR_SCALE_EPS // 2} ε", "0"])


@dataclass
class PatchesResult:
    """Everything the Patches page shows for one photo and one :class:`Settings`."""

    settings: Settings
    report: PatchReport
    image_shape: tuple       # (H, W, C) of the photo the page works on
    highlight_index: tuple   # (row, column) of the highlighted patch in the grid
    grid_picture: np.ndarray  # the photo with patch outlines, the highlighted one in orange
    grid_step: int           # 1: every outline drawn, else every grid_step-th row and column
    patch_picture: np.ndarray  # the highlighted patch, uint8
    montage: np.ndarray      # a sample of patches as tiles
    montage_count: int       # how many patches the montage shows
    coverage_picture: np.ndarray
    weights_picture: np.ndarray
    weights_range: tuple     # (smallest, largest) merge weight on covered pixels
    weights_scale: str       # 'log' or 'linear': how the weight map's colours are spread
    window_profile: dict     # columns of the window-profile line chart
    merged_picture: np.ndarray | None  # unpatchify(patchify(x)), None when the merge was skipped
    error_picture: np.ndarray | None   # |merged - x| on covered pixels
    timing_caption: str
    uncovered_warning: str | None  # None when every pixel is covered
    copy_size: str                 # what a contiguous copy of the patches would need, in words
    grid_caption: str              # which outlines the grid picture shows, and the highlighted patch


def analyse_photo(photo, settings, budget_bytes=MERGE_BUDGET_BYTES):
    """Run :func:`analyse` on a uint8 photo and draw every picture the page shows.

    Parameters
    ----------
    photo : ndarray of uint8, shape (H, W, 3)
    settings : Settings
        Already fitted to the photo (:func:`clamp_settings`); ``highlight``
        must be a patch number of its grid.

    Returns
    -------
    PatchesResult

    Raises
    ------
    ValueError
        For a geometry the patch engine refuses.
    """
    x = photo.astype(np.float32) / 255.0
    report = analyse(x, settings.patch, settings.stride, settings.window, settings.edge, budget_bytes)
    i, j = divmod(settings.highlight, report.grid[1])
    grid_picture, grid_step = draw_patch_grid(photo, report.origins_y, report.origins_x,
                                              settings.patch, (i, j))
    tiles, picked = montage(report.patches, count=64)
    coverage_picture, weights_picture = geometry_pictures(
        x.shape, tuple(settings.patch), tuple(settings.stride), settings.window, settings.edge)
    merged_picture = error_map_picture = None
    if report.merged is not None:
        error_map_picture = error_picture(report.merged, x, report.coverage > 0)
        merged_picture = to_uint8(report.merged)
    weights = report.weights[report.coverage > 0]
    weights_range = (float(weights.min()), float(weights.max())) if weights.size else (0.0, 0.0)
    return PatchesResult(
        settings=settings,
        report=report,
        image_shape=x.shape,
        highlight_index=(i, j),
        grid_picture=grid_picture,
        grid_step=grid_step,
        patch_picture=to_uint8(report.patches[i, j]),
        montage=tiles,
        montage_count=len(picked),
        coverage_picture=coverage_picture,
        weights_picture=weights_picture,
        weights_range=weights_range,
        weights_scale=weight_scale(*weights_range),
        window_profile=window_profile(report.window_x, settings.stride[1]),
        merged_picture=merged_picture,
        error_picture=error_map_picture,
        timing_caption=_timing_caption(report.timings_ms, x.shape),
        uncovered_warning=_uncovered_warning(report.uncovered, settings),
        copy_size=format_bytes(report.copy_bytes),
        grid_caption=_grid_caption(report, settings.highlight, (i, j), grid_step),
    )


def _grid_caption(report, highlight, index, step):
    i, j = index
    what = (_("All {n_patches} patch outlines").format(n_patches=f"{report.n_patches:,}") if step == 1
            else _("Outlines of every {nth} patch row and column").format(
                nth=ordinal(step) if current_language() == DEFAULT else step))
    return _("{what}; highlighted: patch {highlight} (row {i}, column {j})").format(what=what, highlight=highlight, i=i, j=j)


def _timing_caption(t, shape):
    caption = (
        _("Engine timings for this image ({size}, float32): patchify {patchify} µs · coverage {coverage} µs · "
          "weight map {weight_map} µs").format(
            size=f"{shape[1]}×{shape[0]}×{shape[2]}", patchify=f"{t['patchify'] * 1e3:.0f}",
            coverage=f"{t['coverage'] * 1e3:.0f}", weight_map=f"{t['weight_map'] * 1e3:.0f}")
    )
    if "unpatchify" in t:
        caption += _(" · unpatchify {ms} ms").format(ms=f"{t['unpatchify']:.1f}")
    return caption


def _uncovered_warning(uncovered, settings):
    if not uncovered:
        return None
    gaps = max(np.subtract(settings.stride, settings.patch)) > 0
    return (
        _("{uncovered} pixels are covered by no patch (shown grey). ").format(uncovered=f"{uncovered:,}")
        + (_("The stride is larger than the patch. ") if gaps else "")
        + (_("Choose edge = pad or shift to cover the border.") if settings.edge == "valid" else "")
    )


def format_bytes(n):
    """``n`` bytes in words: ``"512 B"``, ``"1.5 MB"``."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
