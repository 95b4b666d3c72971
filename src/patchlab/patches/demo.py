"""What the Patches page computes, as pure functions.

The page reads its widgets into :class:`Settings` (seeded from the URL by
:func:`parse_query`, fitted to the photo by :func:`clamp_settings`, written
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
from patchlab.visualize import (
    draw_patch_grid,
    error_map,
    heatmap_with_colour_bar,
    montage,
    to_uint8,
    window_profile,
)

__all__ = ["Settings", "parse_query", "to_query", "clamp_settings", "grid_size", "PatchReport",
           "analyse", "PatchesResult", "analyse_photo", "geometry_pictures", "format_bytes",
           "MERGE_BUDGET_BYTES", "warm_up"]

#: The page never reads or allocates more than this for one merge (~256 MB of float32).
MERGE_BUDGET_BYTES = 256 * 2**20


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


def parse_query(params, images):
    """Settings from URL query parameters, ignoring anything malformed.

    Parameters
    ----------
    params : mapping of str to str
        e.g. ``{"img": "coffee", "p": "48", "s": "16x24", "win": "tent",
        "edge": "shift", "hi": "3"}``.
    images : collection of str
        Valid image names.

    Returns
    -------
    settings : Settings
    problems : list of str
        One human sentence per ignored parameter.

    Examples
    --------
    >>> s, problems = parse_query({"p": "40x20", "s": "oops"}, ["astronaut"])
    >>> s.patch, s.stride, problems
    ((40, 20), (32, 32), ["Ignored s='oops': not a size like 16 or 16x24."])
    """
    s = Settings()
    problems = []

    def take(key, parse, check, attr, what):
        if key not in params:
            return
        raw = params[key]
        try:
            value = parse(raw)
            if not check(value):
                raise ValueError
            setattr(s, attr, value)
        except (ValueError, TypeError, OverflowError):
            problems.append(f"Ignored {key}={str(raw)[:40]!r}: {what}.")

    take("img", str, lambda v: v in images, "image", "not one of the sample photos")
    take("p", _parse_pair, lambda v: 1 <= min(v) and max(v) <= 4096, "patch", "not a size like 16 or 16x24")
    take("s", _parse_pair, lambda v: 1 <= min(v) and max(v) <= 4096, "stride", "not a size like 16 or 16x24")
    take("win", str, lambda v: v in engine.WINDOWS, "window", f"not one of {', '.join(engine.WINDOWS)}")
    take("edge", str, lambda v: v in engine.EDGES, "edge", f"not one of {', '.join(engine.EDGES)}")
    take("hi", int, lambda v: v >= 0, "highlight", "not a patch number")
    return s, problems


def to_query(s):
    """The URL query parameters for ``s`` (the inverse of :func:`parse_query`)."""
    pair = lambda v: str(v[0]) if v[0] == v[1] else f"{v[0]}x{v[1]}"  # noqa: E731
    return {"img": s.image, "p": pair(s.patch), "s": pair(s.stride), "win": s.window,
            "edge": s.edge, "hi": str(s.highlight)}


def clamp_settings(s, image_shape):
    """Fit a configuration to an image; return ``(settings, notes)``.

    Patch sizes larger than the image are reduced to the image size, and
    strides are kept between 1 and twice the patch (a stride above the
    patch leaves uncovered gaps, which the page shows on purpose).
    """
    h, w = image_shape[:2]
    notes = []
    patch = (min(s.patch[0], h), min(s.patch[1], w))
    if patch != tuple(s.patch):
        notes.append(
            f"The patch {s.patch[0]}×{s.patch[1]} is larger than the image "
            f"({h}×{w}); it was reduced to {patch[0]}×{patch[1]}."
        )
    stride = (min(max(1, s.stride[0]), 2 * patch[0]), min(max(1, s.stride[1]), 2 * patch[1]))
    if stride != tuple(s.stride):
        notes.append(f"The stride was limited to {stride[0]}×{stride[1]} (at most twice the patch).")
    return Settings(s.image, patch, stride, s.window, s.edge, s.highlight), notes


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
    for _ in range(repeat):
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
            f"Merging would read {n_elements:,} patch elements "
            f"({copy_bytes / 2**30:.2f} GB as float32); this page merges at most "
            f"{budget_bytes / 2**20:.0f} MB per change. Increase the stride or reduce the patch size."
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


@functools.lru_cache(maxsize=64)
def geometry_pictures(shape, patch, stride, window, edge):
    """Coverage and weight-map heat maps (read-only): they depend on the geometry only."""
    cov = engine.coverage(shape, patch, stride, edge).astype(float)
    wmap = engine.weight_map(shape, patch, stride, window, edge)
    cov[cov == 0] = np.nan  # drawn grey: no patch reaches these pixels
    wmap[wmap == 0] = np.nan
    pictures = (heatmap_with_colour_bar(cov, "viridis", "patches per pixel"),
                heatmap_with_colour_bar(wmap, "magma", "merge weight"))
    for picture in pictures:
        picture.flags.writeable = False
    return pictures


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
    window_profile: dict     # columns of the window-profile line chart
    merged_picture: np.ndarray | None  # unpatchify(patchify(x)), None when the merge was skipped
    error_picture: np.ndarray | None   # |merged - x| on covered pixels
    timing_caption: str
    uncovered_warning: str | None  # None when every pixel is covered
    copy_size: str                 # what a contiguous copy of the patches would need, in words


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
    merged_picture = error_picture = None
    if report.merged is not None:
        covered = report.coverage > 0
        error_picture, _ = error_map(report.merged * covered[:, :, None], x * covered[:, :, None])
        merged_picture = to_uint8(report.merged)
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
        window_profile=window_profile(report.window_x, settings.stride[1]),
        merged_picture=merged_picture,
        error_picture=error_picture,
        timing_caption=_timing_caption(report.timings_ms, x.shape),
        uncovered_warning=_uncovered_warning(report.uncovered, settings),
        copy_size=format_bytes(report.copy_bytes),
    )


def _timing_caption(t, shape):
    caption = (
        f"Engine timings for this image ({shape[1]}×{shape[0]}×{shape[2]}, float32): "
        f"patchify {t['patchify'] * 1e3:.0f} µs · coverage {t['coverage'] * 1e3:.0f} µs · "
        f"weight map {t['weight_map'] * 1e3:.0f} µs"
    )
    if "unpatchify" in t:
        caption += f" · unpatchify {t['unpatchify']:.1f} ms"
    return caption


def _uncovered_warning(uncovered, settings):
    if not uncovered:
        return None
    gaps = max(np.subtract(settings.stride, settings.patch)) > 0
    return (
        f"{uncovered:,} pixels are covered by no patch (shown grey). "
        + ("The stride is larger than the patch. " if gaps else "")
        + ("Choose edge = pad or shift to cover the border." if settings.edge == "valid" else "")
    )


def format_bytes(n):
    """``n`` bytes in words: ``"512 B"``, ``"1.5 MB"``."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
