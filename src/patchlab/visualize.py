"""Turning arrays into pictures: colour maps, patch outlines, montages.

Pure functions returning uint8 RGB arrays, fast enough to run on every
slider move (no matplotlib figure needed for the images themselves).
"""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image, ImageDraw

from patchlab.fonts import draw_label, label_width

__all__ = ["to_uint8", "colour_table", "colorize", "draw_patch_grid", "montage", "error_map", "heatmap_with_colour_bar",
           "window_profile", "figure_png", "human_number"]


def to_uint8(image):
    """Float image in [0, 1] (or any uint8) as uint8, clipped."""
    image = np.asarray(image)
    if image.dtype == np.uint8:
        return image
    return np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)


@functools.lru_cache(maxsize=16)
def colour_table(cmap):
    """The 256 colours of a matplotlib colour map, as a read-only (256, 3) uint8 table."""
    from matplotlib import colormaps

    table = (colormaps[cmap](np.arange(256))[:, :3] * 255).astype(np.uint8)
    table.flags.writeable = False
    return table


def colorize(values, cmap="viridis", vmin=None, vmax=None, mask=None):
    """Map a 2-D array to RGB with a matplotlib colour map.

    Parameters
    ----------
    values : ndarray, shape (H, W)
    cmap : str
    vmin, vmax : float, optional
        Colour range; default the finite min/max of ``values``.
    mask : ndarray of bool, shape (H, W), optional
        Pixels to paint light grey instead (e.g. "not covered").

    Returns
    -------
    rgb : ndarray of uint8, shape (H, W, 3)
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"`values` must be 2-D, got shape {values.shape}.")
    finite = values[np.isfinite(values)] if mask is None else values[~mask & np.isfinite(values)]
    lo = float(finite.min()) if vmin is None and finite.size else (vmin or 0.0)
    hi = float(finite.max()) if vmax is None and finite.size else (vmax if vmax is not None else 1.0)
    span = hi - lo if hi > lo else 1.0
    norm = np.clip((values - lo) / span, 0.0, 1.0)
    # matplotlib's own rule for its 256-colour maps, on a uint8 table: no (H, W, 4) float copy
    bad = np.isnan(norm)
    index = np.minimum(np.where(bad, 0.0, norm) * 256, 255).astype(np.uint8)
    rgb = colour_table(cmap)[index]
    rgb[bad] = 0  # matplotlib's colour for NaN: transparent black
    if mask is not None:
        rgb[mask] = 225
    return rgb


def draw_patch_grid(image, origins_y, origins_x, patch_size, highlight=None, max_outlines=1500):
    """The image with translucent patch outlines and one highlighted patch.

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W, 3)
    origins_y, origins_x : array of int
        Patch top-left rows and columns.
    patch_size : (int, int)
    highlight : (int, int), optional
        Grid index ``(i, j)`` of the patch to highlight.
    max_outlines : int
        With more patches than this, only every k-th row and column of
        patches is outlined (``k`` is returned).

    Returns
    -------
    picture : ndarray of uint8, shape (H', W', 3)
        Upscaled for small images so outlines stay visible.
    step : int
        1 if every patch is outlined, else the subsampling ``k``.
    """
    ph, pw = patch_size
    h, w = image.shape[:2]
    zoom = max(1, int(np.ceil(384 / max(h, w))))
    base = Image.fromarray(image).convert("RGBA")
    if zoom > 1:
        base = base.resize((w * zoom, h * zoom), Image.Resampling.NEAREST)
    n = len(origins_y) * len(origins_x)
    step = 1
    while n / (step * step) > max_outlines:
        step += 1
    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for y in origins_y[::step]:
        for x in origins_x[::step]:
            draw.rectangle(
                [x * zoom, y * zoom, (x + pw) * zoom - 1, (y + ph) * zoom - 1],
                outline=(255, 255, 255, 110),
            )
    if highlight is not None:
        i, j = highlight
        y, x = int(origins_y[i]), int(origins_x[j])
        box = [x * zoom, y * zoom, (x + pw) * zoom - 1, (y + ph) * zoom - 1]
        draw.rectangle(box, fill=(255, 80, 0, 60))
        width = max(2, zoom)
        draw.rectangle(box, outline=(255, 80, 0, 255), width=width)
    return np.asarray(Image.alpha_composite(base, overlay).convert("RGB")), step


def montage(patches, count=64, tile=56, gap=2):
    """A sample of patches laid out as tiles.

    Parameters
    ----------
    patches : ndarray, shape (nh, nw, ph, pw[, C])
        A patch grid (a view is fine: only the sampled patches are read).
    count : int
        At most this many patches, evenly spaced in row-major order.
    tile : int
        Side of each tile in pixels (patches are resized, nearest).
    gap : int

    Returns
    -------
    picture : ndarray of uint8, shape (rows * (tile + gap), cols * (tile + gap), 3)
    picked : ndarray of int
        Row-major indices of the patches shown.
    """
    nh, nw = patches.shape[:2]
    total = nh * nw
    picked = np.unique(np.linspace(0, total - 1, min(count, total)).round().astype(int))
    cols = int(np.ceil(np.sqrt(len(picked))))
    rows = int(np.ceil(len(picked) / cols))
    canvas = np.full((rows * (tile + gap), cols * (tile + gap), 3), 255, np.uint8)
    for k, idx in enumerate(picked):
        p = to_uint8(patches[idx // nw, idx % nw])
        if p.ndim == 2:
            p = np.repeat(p[:, :, None], 3, axis=2)
        img = Image.fromarray(np.ascontiguousarray(p)).resize((tile, tile), Image.Resampling.NEAREST)
        r, c = divmod(k, cols)
        canvas[r * (tile + gap): r * (tile + gap) + tile, c * (tile + gap): c * (tile + gap) + tile] = img
    return canvas, picked


def error_map(a, b, cmap="magma", vmax=None):
    """Per-pixel absolute error between two images as a heat map (RGB uint8).

    Returns ``(picture, max_error)``; colour channels are averaged.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}.")
    err = np.abs(a - b)
    if err.ndim == 3:
        err = err.mean(axis=2)
    return colorize(err, cmap, vmin=0.0, vmax=vmax if vmax is not None else max(float(err.max()), 1e-12)), float(err.max())


def heatmap_with_colour_bar(values, cmap="viridis", label="", width=384, *, vmin=None, vmax=None,
                            scale="linear", tick_labels=None):
    """A heat map with a labelled colour bar, as one RGB uint8 picture.

    Drawn with NumPy and Pillow (no matplotlib figure), so it is cheap
    enough for every slider move.

    Parameters
    ----------
    values : ndarray, shape (H, W)
        NaN marks "no data" (drawn light grey).
    cmap : str
        A matplotlib colour-map name.
    label : str
        Written above the colour bar.
    width : int
        The heat map is scaled (nearest) so its longer side is about this.
    vmin, vmax : float, optional
        The colour range; default the finite min/max of ``values``. Values
        outside it get the colour of the nearer end (clipped).
    scale : {'linear', 'log'}
        ``'log'`` spreads the colours evenly over ``log10(value)``: a map
        spanning several decades (merge weights near a border) keeps its
        shape visible. Needs ``vmin > 0``.
    tick_labels : sequence of 3 str, optional
        The texts at the top, middle and bottom of the colour bar; default
        the values there.

    Returns
    -------
    picture : ndarray of uint8, shape (H', W' + bar, 3)
    """
    if scale not in ("linear", "log"):
        raise ValueError(f"`scale` must be 'linear' or 'log', got {scale!r}.")
    values = np.asarray(values, dtype=np.float64)
    nan = ~np.isfinite(values)
    finite = values[~nan]
    lo = vmin if vmin is not None else (float(finite.min()) if finite.size else 0.0)
    hi = vmax if vmax is not None else (float(finite.max()) if finite.size else 1.0)
    if scale == "log":
        if lo <= 0:
            raise ValueError(f"a log scale needs `vmin` > 0, got {lo!r}.")
        forward = np.log10
        mid = float(np.sqrt(lo * hi))
    else:
        forward = np.asarray
        mid = (lo + hi) / 2
    f_lo, f_hi = float(forward(lo)), float(forward(hi))
    with np.errstate(divide="ignore", invalid="ignore"):
        shown = forward(np.where(nan, lo, np.clip(values, lo, hi)))
    rgb = colorize(shown, cmap, f_lo, f_hi, mask=nan)
    h, w = rgb.shape[:2]
    zoom = width / max(h, w)
    size = (max(1, round(w * zoom)), max(1, round(h * zoom)))
    pic = Image.fromarray(rgb).resize(size, Image.Resampling.NEAREST)
    bar_w, margin = 18, 8
    texts = list(tick_labels) if tick_labels is not None else [human_number(hi), human_number(mid), human_number(lo)]
    if len(texts) != 3:
        raise ValueError(f"`tick_labels` must hold 3 texts (top, middle, bottom), got {len(texts)}.")
    text_w = max(int(label_width(t, 13)) for t in texts + [label]) + 6  # a Chinese label in a Chinese font
    out = Image.new("RGB", (size[0] + margin + bar_w + text_w, size[1] + 20), "white")
    out.paste(pic, (0, 20))
    ramp = np.linspace(1.0, 0.0, size[1])[:, None] * np.ones((1, bar_w))
    bar = colorize(ramp * (f_hi - f_lo) + f_lo, cmap, f_lo, f_hi)
    out.paste(Image.fromarray(bar), (size[0] + margin, 20))
    draw = ImageDraw.Draw(out)
    x_text = size[0] + margin + bar_w + 4
    for frac, text in zip((0.0, 0.5, 1.0), texts):
        y = 20 + frac * (size[1] - 1)
        draw_label(draw, (x_text, min(max(y - 7, 20), 20 + size[1] - 14)), text, 13)
    draw_label(draw, (size[0] + margin, 2), label, 13)
    return np.asarray(out)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def human_number(v, digits=3):
    """A number as people read it: three significant digits, thousands separated, powers of ten written out.

    Examples
    --------
    >>> human_number(59213.7), human_number(0.9523), human_number(183000), human_number(1.19e-7), human_number(0)
    ('59,200', '0.952', '183,000', '1.19 × 10⁻⁷', '0')
    >>> human_number(2.5e9)
    '2.5 × 10⁹'
    """
    v = float(v)
    if v == 0 or not np.isfinite(v):
        return "0" if v == 0 else str(v)
    if 0.01 <= abs(v) < 1000:
        return f"{v:.{digits}g}"
    if 1000 <= abs(v) < 1e7:
        return f"{float(f'{v:.{digits}g}'):,.0f}"
    mantissa, exponent = f"{v:.{digits - 1}e}".split("e")
    return f"{float(mantissa):g} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"




def window_profile(window_x, stride, repeats=6):
    """The 1-D window placed at consecutive origins, and their sum.

    Returns a dict of equal-length columns for a line chart: ``pixel``, one
    column per placed window (NaN outside it) and ``sum`` (what the merge
    divides by, away from the borders).
    """
    p = len(window_x)
    n = max(1, min(repeats, int(np.ceil(2 * p / max(stride, 1))) + 1))
    length = (n - 1) * stride + p
    total = np.zeros(length)
    columns = {"pixel": np.arange(length)}
    for k in range(n):
        col = np.full(length, np.nan)
        col[k * stride: k * stride + p] = window_x
        total[k * stride: k * stride + p] += window_x
        columns[f"patch {k}"] = col
    columns["sum"] = total
    return columns


def figure_png(fig, dpi=100):
    """PNG bytes of a matplotlib figure, rendered at ``dpi`` dots per inch (a page shows it as an image)."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
