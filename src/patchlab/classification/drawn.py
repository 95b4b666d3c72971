"""Synthetic "mouse-drawn" digits, to test the canvas path without a person.

A held-out MNIST digit is reduced to its skeleton (a one-pixel-wide centre
line, ``skimage.morphology.skeletonize``) and redrawn on a 280x280 RGBA canvas
the way a mouse would: uniform strokes of a random width, at a random size,
position, slant and rotation, with a little hand jitter, either white on an
opaque black background (the page's canvas) or a random colour on a
transparent background. The result goes through
:func:`~patchlab.classification.preprocess.preprocess_canvas` like a real
drawing.
"""

from __future__ import annotations

import cv2
import numpy as np
from skimage.morphology import skeletonize

CANVAS = 280
NEIGHBOURS = ((0, 1), (1, 0), (1, 1), (1, -1))


def skeleton_segments(digit: np.ndarray, threshold: float = 0.35) -> np.ndarray:
    """Line segments joining 8-connected skeleton pixels, shape (K, 2, 2) as (row, col)."""
    x = np.asarray(digit, dtype=np.float32)
    if x.max() > 1.0:
        x = x / 255.0
    skeleton = skeletonize(x > threshold)
    segments = []
    rows, cols = np.nonzero(skeleton)
    h, w = skeleton.shape
    for r, c in zip(rows, cols):
        for dr, dc in NEIGHBOURS:
            rr, cc = r + dr, c + dc
            if 0 <= rr < h and 0 <= cc < w and skeleton[rr, cc]:
                segments.append(((r, c), (rr, cc)))
    if not segments:  # a single dot
        segments = [((r, c), (r, c)) for r, c in zip(rows, cols)]
    return np.asarray(segments, dtype=np.float64).reshape(-1, 2, 2)


def draw_digit(digit: np.ndarray, rng: np.random.Generator, canvas: int = CANVAS) -> np.ndarray:
    """Redraw one 28x28 digit as a mouse drawing, RGBA uint8 of shape (canvas, canvas, 4)."""
    segments = skeleton_segments(digit)
    points = segments.reshape(-1, 2)[:, ::-1]  # (x, y)
    centre = points.mean(axis=0)
    height = rng.uniform(0.35, 0.85) * canvas  # digit height on the canvas
    extent = max(np.ptp(points[:, 1]), 1.0)
    scale = height / extent
    theta = np.deg2rad(rng.uniform(-12, 12))
    shear = rng.uniform(-0.3, 0.3)
    linear = scale * np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]]) @ np.array(
        [[1.0, shear], [0.0, 1.0]]
    )
    width = int(rng.integers(8, 33))
    moved = (points - centre) @ linear.T
    span_lo, span_hi = moved.min(axis=0) - width, moved.max(axis=0) + width
    lo = -span_lo
    hi = canvas - span_hi
    offset = np.where(hi > lo, rng.uniform(np.minimum(lo, hi), np.maximum(lo, hi)), canvas / 2)
    moved = moved + offset + rng.normal(0, 1.5, moved.shape)  # hand jitter
    ends = np.rint(moved).astype(np.int32).reshape(-1, 2, 2)

    white_on_black = rng.uniform() < 0.5
    if white_on_black:
        colour = (255, 255, 255, 255)
        image = np.zeros((canvas, canvas, 4), np.uint8)
        image[..., 3] = 255
    else:
        colour = tuple(int(v) for v in rng.integers(0, 256, 3)) + (255,)
        image = np.zeros((canvas, canvas, 4), np.uint8)
    for (x0, y0), (x1, y1) in ends:
        cv2.line(image, (int(x0), int(y0)), (int(x1), int(y1)), colour, width, lineType=cv2.LINE_AA)
    return image


def drawn_digits(images: np.ndarray, seed: int = 0) -> list[np.ndarray]:
    """Mouse-style RGBA drawings of a batch of 28x28 digits (seeded)."""
    rng = np.random.default_rng(seed)
    return [draw_digit(d, rng) for d in images]


def same_topology(original: np.ndarray, drawn28: np.ndarray) -> bool:
    """Whether a redrawing kept the digit's loops and pieces (equal Euler numbers).

    Skeletonising a digit whose loop is filled in (a blotted "6" or "8")
    loses the loop, and very wide strokes can fill one in: such redrawings no
    longer show the digit they are labelled with. The evaluation reports the
    accuracy on all redrawings and on those that pass this check.
    """
    from skimage.measure import euler_number

    a = np.asarray(original, dtype=np.float32)
    if a.max() > 1.0:
        a = a / 255.0
    return euler_number(a > 0.5, connectivity=2) == euler_number(np.asarray(drawn28) > 0.5, connectivity=2)
