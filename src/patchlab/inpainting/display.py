"""Pictures for the page: the hole drawn over the photo, error heatmaps, PNG bytes, the comparison grid."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from patchlab.i18n import _
from patchlab.visualize import colour_table, figure_png

__all__ = ["canvas_size", "overlay_mask", "error_levels", "colour_levels", "to_png", "to_jpeg", "hole_box", "error_scale",
           "error_colour_bar", "comparison_grid"]

HOLE_COLOUR = (255, 0, 255)


def canvas_size(image_shape, max_width=640, max_height=520):
    """Canvas ``(width, height)`` that shows an image at its aspect ratio.

    Examples
    --------
    >>> canvas_size((512, 1024))
    (640, 320)
    """
    h, w = (int(v) for v in tuple(image_shape)[:2])
    if h < 1 or w < 1:
        raise ValueError(f"`image_shape` must be positive, got {(h, w)}.")
    scale = min(max_width / w, max_height / h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def overlay_mask(image, mask, colour=HOLE_COLOUR):
    """The photo with its hole painted in a solid colour (what the model is given)."""
    out = np.array(image, dtype=np.uint8, copy=True)
    out[np.asarray(mask, dtype=bool)] = colour
    return out


def error_levels(original, result, vmax=None):
    """Absolute error per pixel (mean over colours), scaled to 0-255.

    Parameters
    ----------
    original, result : ndarray of uint8, shape (H, W, 3)
    vmax : float, optional
        The error shown brightest (level 255); the result's own maximum when
        omitted. Use one ``vmax`` for every method so the maps compare.

    Returns
    -------
    levels : ndarray of uint8, shape (H, W)
        A third of the size of the coloured map: what a page keeps per Fill.
    """
    original = np.asarray(original, dtype=np.float32)
    result = np.asarray(result, dtype=np.float32)
    if original.shape != result.shape:
        raise ValueError(f"`original` {original.shape} and `result` {result.shape} differ in shape.")
    err = np.abs(original - result).mean(axis=-1)
    top = float(vmax) if vmax else float(err.max())
    scaled = err * (255.0 / top) if top > 0 else err
    return np.rint(np.clip(scaled, 0, 255)).astype(np.uint8)


def colour_levels(levels, cmap="magma"):
    """Colour a map of 0-255 levels with a matplotlib colormap: (H, W) uint8 -> (H, W, 3) uint8."""
    return colour_table(cmap)[np.asarray(levels, dtype=np.uint8)]


def to_png(array):
    """PNG bytes of a uint8 image (RGB or a boolean mask as black/white).

    Fast compression (level 1): a 512x512 photo encodes in about 20 ms
    instead of 90 ms, for a file about 10 % larger.
    """
    array = np.asarray(array)
    if array.dtype == bool:
        array = array.astype(np.uint8) * 255
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def to_jpeg(array, quality=85):
    """JPEG bytes of a uint8 RGB image (a shared fill: a 512-px photo is about 60 kB, a PNG about 400 kB)."""
    buf = io.BytesIO()
    Image.fromarray(np.asarray(array, dtype=np.uint8)).convert("RGB").save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def hole_box(mask, margin=0.5, min_side=64):
    """A box around the hole, to zoom in on it: ``(y0, y1, x0, x1)``.

    Parameters
    ----------
    mask : ndarray of bool, shape (H, W)
    margin : float, optional
        Extra context on each side, as a fraction of the hole's size.
    min_side : int, optional
        The box is at least this many pixels on each side (when the image is).

    Returns
    -------
    box : tuple of int
        The whole image when the mask is empty.

    Examples
    --------
    >>> m = np.zeros((100, 100), bool); m[40:50, 40:60] = True
    >>> hole_box(m, margin=0.5, min_side=1)
    (35, 55, 30, 70)
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim != 2:
        raise ValueError(f"`mask` must be 2-D, got shape {mask.shape}.")
    h, w = mask.shape
    if not mask.any():
        return 0, h, 0, w
    ys, xs = np.nonzero(mask)

    def span(lo, hi, size):
        extent = hi - lo
        pad = round(margin * extent)
        lo, hi = lo - pad, hi + pad
        grow = max(0, min(min_side, size) - (hi - lo))
        lo, hi = lo - grow // 2, hi + grow - grow // 2
        shift = max(0, -lo) - max(0, hi - size)
        return max(0, lo + shift), min(size, hi + shift)

    y0, y1 = span(int(ys.min()), int(ys.max()) + 1, h)
    x0, x1 = span(int(xs.min()), int(xs.max()) + 1, w)
    return y0, y1, x0, x1


def error_scale(original, results):
    """The largest mean-over-colours error among ``results``: one heatmap scale for all."""
    original = np.asarray(original, dtype=np.int32)
    worst = [float(np.abs(original - np.asarray(r, dtype=np.int32)).mean(-1).max()) for r in results]
    return max(worst, default=0.0) or 1.0


def error_colour_bar(vmax, cmap="magma"):
    """PNG bytes of a horizontal colour bar for the error maps: 0 (exact) to ``vmax`` grey levels.

    Parameters
    ----------
    vmax : float
        The error shown brightest (as given to :func:`error_levels`); positive.
    cmap : str, optional
        The maps' colormap.
    """
    if not vmax or vmax <= 0:
        raise ValueError(f"`vmax` must be positive, got {vmax!r}.")
    from matplotlib.colorbar import ColorbarBase
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 0.9))
    ax = fig.add_axes((0.03, 0.62, 0.94, 0.3))
    ColorbarBase(ax, cmap=cmap, norm=Normalize(0, float(vmax)), orientation="horizontal")
    ax.tick_params(labelsize=9)
    ax.set_xlabel(_("mean absolute error over the colours (grey levels, 0-255)"), fontsize=9)
    return figure_png(fig)


def _font(size):
    """Matplotlib's DejaVu Sans (always installed with it) at ``size`` px."""
    from pathlib import Path

    import matplotlib
    from PIL import ImageFont

    return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"), size)


def comparison_grid(rows, gap=8, font_size=14, background=(255, 255, 255), row_height=None):
    """Rows of same-sized pictures side by side, each with a caption.

    Parameters
    ----------
    rows : list of (str, list of (str, ndarray))
        Per row: its title, then ``(caption, uint8 (h, w, 3) picture)`` pairs;
        the pictures of one row share one shape.
    gap : int, optional
        Pixels between pictures and rows.
    font_size : int, optional
    row_height : int, optional
        Scale every row to this height (whole pixels repeated when enlarged,
        so the fill's own pixels stay visible; Lanczos when reduced), so that
        rows of small and large holes read alike. Default: pixel for pixel,
        nothing resampled.

    Returns
    -------
    grid : ndarray of uint8, shape (H, W, 3)
    """
    from PIL import ImageDraw

    if not rows:
        raise ValueError("`rows` must hold at least one row of pictures.")
    for title, pictures in rows:
        shapes = {np.asarray(p).shape for _, p in pictures}
        if not pictures or len(shapes) != 1 or len(next(iter(shapes))) != 3:
            raise ValueError(f"`rows`: the pictures of row {title!r} must be colour images of one shape.")
    if row_height is not None:
        if not isinstance(row_height, (int, np.integer)) or row_height < 8:
            raise ValueError(f"`row_height` must be a whole number of pixels >= 8, got {row_height!r}.")
        rows = [(title, [(c, _to_height(p, int(row_height))) for c, p in pictures]) for title, pictures in rows]
    font = _font(font_size)
    line = font_size + 6

    def cell(caption, picture):  # a picture's column: as wide as the picture or its caption
        return max(np.asarray(picture).shape[1], int(np.ceil(font.getlength(caption))))

    width = max(sum(cell(c, p) for c, p in pictures) + gap * (len(pictures) + 1) for _, pictures in rows)
    height = sum(2 * line + np.asarray(pictures[0][1]).shape[0] + gap for _, pictures in rows) + gap
    canvas = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(canvas)
    y = gap
    for title, pictures in rows:
        draw.text((gap, y), title, fill=(0, 0, 0), font=font)
        x = gap
        for caption, picture in pictures:
            picture = np.asarray(picture, dtype=np.uint8)
            draw.text((x, y + line), caption, fill=(60, 60, 60), font=font)
            canvas.paste(Image.fromarray(picture), (x, y + 2 * line))
            x += cell(caption, picture) + gap
        y += 2 * line + pictures[0][1].shape[0] + gap
    return np.asarray(canvas)


def _to_height(picture, height):
    """``picture`` scaled to ``height`` rows, its aspect kept."""
    picture = np.asarray(picture, dtype=np.uint8)
    h, w = picture.shape[:2]
    if h == height:
        return picture
    width = max(1, round(w * height / h))
    resample = Image.NEAREST if height > h else Image.LANCZOS
    return np.asarray(Image.fromarray(picture).resize((width, height), resample))
