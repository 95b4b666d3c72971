"""Masks: the missing regions to fill, and the canvas drawing that makes them.

Training and evaluation draw holes from a seeded generator that mixes three
shapes:

* the tutorial's square hole, with side ``round(50 / 228 * side)`` (about
  22 % of the image side);
* free-form brush strokes like a person paints on the canvas (DeepFill v2 /
  LaMa style): 1-5 strokes of 4-12 vertices, widths 8-40 px at 256x256,
  round joints;
* axis-aligned rectangles.

A mask is a boolean ``(H, W)`` array, ``True`` where pixels are missing.
On the page the mask comes from :func:`canvas_to_mask`, which maps the
painted canvas pixels onto the image exactly, whatever the two sizes are.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = [
    "MASK_KINDS",
    "TUTORIAL_SQUARE",
    "square_mask",
    "brush_mask",
    "rectangle_mask",
    "random_mask",
    "mask_batch",
    "canvas_to_mask",
]

#: How far (grey levels, any channel) a painted canvas pixel may be from the brush colour and count.
BRUSH_TOLERANCE = 100
#: The families the generator can draw from.
MASK_KINDS = ("square", "brush", "rectangle", "mixed")
#: The tutorial's hole: a 50x50 square in a 228x228 image.
TUTORIAL_SQUARE = 50 / 228


def _check_shape(shape):
    try:
        h, w = (int(v) for v in shape[:2])
    except (TypeError, ValueError):
        raise ValueError(f"`shape` must be an (H, W) pair, got {shape!r}.") from None
    if h < 4 or w < 4:
        raise ValueError(f"`shape` must be at least 4x4 pixels, got {(h, w)}.")
    return h, w


def _rng(seed):
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def square_mask(shape, seed=None, side_fraction=TUTORIAL_SQUARE):
    """One square hole, placed at random, like the tutorial.

    Parameters
    ----------
    shape : (int, int)
        Image height and width.
    seed : int or numpy.random.Generator, optional
    side_fraction : float, optional
        Side of the square as a fraction of the shorter image side
        (default 50 / 228).

    Returns
    -------
    mask : ndarray of bool, shape (H, W)

    Examples
    --------
    >>> square_mask((228, 228), seed=0).sum()
    2500
    """
    h, w = _check_shape(shape)
    if not 0 < side_fraction <= 1:
        raise ValueError(f"`side_fraction` must be in (0, 1], got {side_fraction}.")
    rng = _rng(seed)
    side = max(1, round(side_fraction * min(h, w)))
    y = int(rng.integers(0, h - side + 1))
    x = int(rng.integers(0, w - side + 1))
    mask = np.zeros((h, w), dtype=bool)
    mask[y:y + side, x:x + side] = True
    return mask


def _draw_stroke(canvas, rng, scale):
    """One free-form stroke: a polyline of 4-12 vertices with round joints."""
    h, w = canvas.shape
    n_vertices = int(rng.integers(4, 13))
    width = max(1, round(rng.uniform(8, 40) * scale))
    max_step = 0.25 * min(h, w)
    y, x = rng.uniform(0, h), rng.uniform(0, w)
    angle = rng.uniform(0, 2 * np.pi)
    points = [(x, y)]
    for _ in range(n_vertices - 1):
        angle += rng.uniform(-np.pi / 2, np.pi / 2)  # wander, mostly forward
        step = rng.uniform(0.3, 1.0) * max_step
        x = float(np.clip(x + step * np.cos(angle), 0, w - 1))
        y = float(np.clip(y + step * np.sin(angle), 0, h - 1))
        points.append((x, y))
    pts = [(round(px), round(py)) for px, py in points]
    for a, b in zip(pts[:-1], pts[1:]):
        cv2.line(canvas, a, b, 1, thickness=width, lineType=cv2.LINE_8)
    for p in pts:  # round joints and caps
        cv2.circle(canvas, p, width // 2, 1, thickness=-1)


def brush_mask(shape, seed=None, strokes=None):
    """Free-form brush strokes, like a person paints over an object.

    Parameters
    ----------
    shape : (int, int)
    seed : int or numpy.random.Generator, optional
    strokes : int, optional
        Number of strokes; random in 1..5 when omitted.

    Returns
    -------
    mask : ndarray of bool, shape (H, W)

    Notes
    -----
    Widths are 8-40 px for a 256-pixel image side, scaled with the
    shorter side for other sizes.
    """
    h, w = _check_shape(shape)
    rng = _rng(seed)
    n = int(rng.integers(1, 6)) if strokes is None else int(strokes)
    if n < 1:
        raise ValueError(f"`strokes` must be at least 1, got {strokes}.")
    canvas = np.zeros((h, w), dtype=np.uint8)
    scale = min(h, w) / 256
    for _ in range(n):
        _draw_stroke(canvas, rng, scale)
    return canvas.astype(bool)


def rectangle_mask(shape, seed=None):
    """One axis-aligned rectangle, each side 10-40 % of the image side."""
    h, w = _check_shape(shape)
    rng = _rng(seed)
    rh = max(1, round(rng.uniform(0.1, 0.4) * h))
    rw = max(1, round(rng.uniform(0.1, 0.4) * w))
    y = int(rng.integers(0, h - rh + 1))
    x = int(rng.integers(0, w - rw + 1))
    mask = np.zeros((h, w), dtype=bool)
    mask[y:y + rh, x:x + rw] = True
    return mask


def random_mask(shape, seed=None, kind="mixed", min_fraction=0.05, max_fraction=0.5, square_share=None):
    """A random hole from one family, with a bounded masked fraction.

    Parameters
    ----------
    shape : (int, int)
        Image height and width (at least 4x4).
    seed : int or numpy.random.Generator, optional
        The same seed gives the same mask.
    kind : {'square', 'brush', 'rectangle', 'mixed'}, optional
        ``'square'`` is exactly the tutorial's single square (about 4.8 %
        of a square image, whatever the bounds). The other kinds add
        shapes until at least ``min_fraction`` is masked and redraw when
        more than ``max_fraction`` is; ``'mixed'`` picks a square, brush
        strokes, or strokes with rectangles.
    min_fraction, max_fraction : float, optional
    square_share : float, optional
        For ``'mixed'``: the chance of a tutorial square; the rest is
        brush strokes (2/3) or strokes with a rectangle (1/3). The default,
        None, draws one of four (square, brush, brush, brush and rectangle)
        as the first models were trained with.

    Returns
    -------
    mask : ndarray of bool, shape (H, W)

    Examples
    --------
    >>> m = random_mask((256, 256), seed=1, kind="brush")
    >>> 0.05 <= m.mean() <= 0.5
    True
    """
    h, w = _check_shape(shape)
    if kind not in MASK_KINDS:
        raise ValueError(f"`kind` must be one of {', '.join(MASK_KINDS)}; got {kind!r}.")
    if not 0 <= min_fraction < max_fraction <= 1:
        raise ValueError(
            f"`min_fraction` and `max_fraction` must satisfy 0 <= min < max <= 1, "
            f"got {min_fraction} and {max_fraction}."
        )
    if square_share is not None and not 0 <= square_share <= 1:
        raise ValueError(f"`square_share` must be between 0 and 1, got {square_share}.")
    rng = _rng(seed)
    if kind == "mixed" and square_share is None:
        kind = rng.choice(["square", "brush", "brush", "brush+rectangle"])
    elif kind == "mixed":
        kind = "square" if rng.random() < square_share else rng.choice(["brush", "brush", "brush+rectangle"])
    if kind == "square":
        return square_mask((h, w), rng)
    for _attempt in range(50):
        mask = np.zeros((h, w), dtype=bool)
        while mask.mean() < min_fraction:
            if kind == "rectangle":
                mask |= rectangle_mask((h, w), rng)
            elif kind == "brush":
                mask |= brush_mask((h, w), rng)
            else:  # brush strokes and a rectangle
                mask |= brush_mask((h, w), rng) | rectangle_mask((h, w), rng)
        if mask.mean() <= max_fraction:
            return mask
    # Extremely unlikely: thin the last attempt down to the bound.
    keep = np.flatnonzero(mask)[: int(max_fraction * h * w)]
    mask = np.zeros(h * w, dtype=bool)
    mask[keep] = True
    return mask.reshape(h, w)


def mask_batch(n, shape, seed=None, kind="mixed", **kwargs):
    """``n`` masks from one seeded stream, stacked to ``(n, H, W)``."""
    rng = _rng(seed)
    return np.stack([random_mask(shape, rng, kind, **kwargs) for _ in range(int(n))])


def canvas_to_mask(rgba, image_shape, fit=None, threshold=0, brush=None):
    """Map a canvas drawing onto the image's pixel grid.

    Parameters
    ----------
    rgba : ndarray of uint8, shape (canvas_h, canvas_w, 4)
        The strokes as the canvas returns them; a pixel is painted where
        its alpha is above ``threshold``.
    image_shape : tuple
        ``(H, W)`` or ``(H, W, C)`` of the image under the canvas.
    fit : dict, optional
        How the image was placed on the canvas: canvas px = natural px *
        ``scale_x/scale_y`` + ``offset_x/offset_y``, with the image's
        natural size ``natural_width, natural_height``. When omitted the
        image is assumed stretched over the whole canvas.
    threshold : int, optional
    brush : (int, int, int), optional
        The brush's colour. When given, a painted pixel counts only where
        its colour is still close to the brush's (no channel more than 100
        grey levels off): strokes of another colour on top, such as an
        eraser's semi-transparent white, take pixels out of the mask, and
        brush strokes over those put them back. The brush's own soft edges
        keep its colour, so they count.

    Returns
    -------
    mask : ndarray of bool, shape (H, W)
        ``True`` where any painted canvas pixel falls inside the image
        pixel's footprint, or, when image pixels are smaller than canvas
        pixels, where the canvas pixel under the image pixel's centre is
        painted.

    Notes
    -----
    Computed exactly from a summed-area table of the painted pixels, so it
    costs O(canvas + image) whatever the two sizes.

    Examples
    --------
    >>> rgba = np.zeros((100, 200, 4), np.uint8)
    >>> rgba[:50, :100, 3] = 255  # the top-left quarter of the canvas
    >>> m = canvas_to_mask(rgba, (10, 10))
    >>> int(m.sum()), bool(m[4, 4]), bool(m[5, 5])
    (25, True, False)
    """
    rgba = np.asarray(rgba)
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.shape[0] < 1 or rgba.shape[1] < 1:
        raise ValueError(
            f"`rgba` must be a canvas drawing of shape (height, width, 4), got {rgba.shape}."
        )
    try:
        h, w = (int(v) for v in tuple(image_shape)[:2])
    except (TypeError, ValueError):
        raise ValueError(f"`image_shape` must start with (H, W), got {image_shape!r}.") from None
    if h < 1 or w < 1:
        raise ValueError(f"`image_shape` must be positive, got {(h, w)}.")
    ch, cw = rgba.shape[:2]
    if fit:
        nat_w = float(fit.get("natural_width") or w)
        nat_h = float(fit.get("natural_height") or h)
        sx = float(fit["scale_x"]) * nat_w / w
        sy = float(fit["scale_y"]) * nat_h / h
        ox, oy = float(fit.get("offset_x", 0.0)), float(fit.get("offset_y", 0.0))
        if sx <= 0 or sy <= 0:
            raise ValueError(f"`fit` has a non-positive scale: {fit!r}.")
    else:
        sx, sy, ox, oy = cw / w, ch / h, 0.0, 0.0

    painted = rgba[:, :, 3] > threshold
    if brush is not None:
        try:
            colour = np.asarray(brush, dtype=np.int16).reshape(3)
        except (TypeError, ValueError):
            raise ValueError(f"`brush` must be an (r, g, b) colour, got {brush!r}.") from None
        painted &= (np.abs(rgba[:, :, :3].astype(np.int16) - colour).max(axis=-1) <= BRUSH_TOLERANCE)
    painted = painted.astype(np.int64)
    table = np.zeros((ch + 1, cw + 1), dtype=np.int64)
    table[1:, 1:] = painted.cumsum(0).cumsum(1)
    r0, r1 = _footprint(h, sy, oy, ch)
    c0, c1 = _footprint(w, sx, ox, cw)
    counts = (table[r1][:, c1] - table[r0][:, c1] - table[r1][:, c0] + table[r0][:, c0])
    return counts > 0


def _footprint(n, scale, offset, limit):
    """Canvas index ranges [lo, hi) covered by image pixels 0..n-1 on one axis."""
    edges = np.arange(n + 1) * scale + offset
    lo = np.floor(edges[:-1] + 1e-9)
    hi = np.ceil(edges[1:] - 1e-9)
    centre = np.floor((np.arange(n) + 0.5) * scale + offset)
    small = hi - lo <= 1  # image pixel within one canvas pixel: use its centre
    lo = np.where(small, centre, lo)
    hi = np.where(small, centre + 1, hi)
    lo = np.clip(lo, 0, limit).astype(np.int64)
    hi = np.clip(hi, 0, limit).astype(np.int64)
    return lo, np.maximum(hi, lo)
