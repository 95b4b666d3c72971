"""*Spot the fill*: a game of telling a photo from a filled one, and its score.

Each round shows two crops of the same place in a photo: one is the
photo, the other had a hole there that a method filled (the sharp fill,
the smooth U-Net or a classical method, drawn at random). The player picks
the real one. How often a method *fools* people is the standard test of
realism in the inpainting literature (a two-alternative forced choice:
50 % means the fill cannot be told from the photo).

Everything here is pure and seeded: :func:`draw_round` gives the same
round for the same ``(seed, index)`` on any machine, so a room playing
one link sees the same rounds; :func:`round_pictures` makes its two
crops; :class:`Score` keeps a player's results and
:meth:`Score.fooling_rates` gives, per method, how often it fooled them,
with a 95 % interval.

The photos are the sample photos that ship with the app and that no model
was trained on (:data:`patchlab.inpainting.data.HELD_OUT`). Each round
takes a :data:`VIEW`-pixel square of the photo at its own resolution,
cuts a hole in it (the tutorial's square or a brush stroke, placed where
the photo has detail: a hole in a flat background would leave nothing to
spot), fills it, and shows the :data:`CROP`-pixel square around the hole.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from patchlab.i18n import N_
from patchlab.inpainting.data import HELD_OUT
from patchlab.inpainting.detail import high_pass
from patchlab.inpainting.masks import brush_mask

__all__ = ["PHOTOS", "METHODS", "VIEW", "CROP", "ZOOM", "Round", "RoundPictures", "Score", "draw_round",
           "round_pictures", "side_by_side", "fill_functions", "play_round", "read_link", "wilson_interval", "MAX_GAME"]

#: The photos rounds are drawn from: bundled, never trained on.
PHOTOS = tuple(HELD_OUT)
#: method key -> what the reveal calls it (marked: shown as ``_(METHODS[key])``).
METHODS = {
    "sharp": N_("the sharp fill (U-Net + the photo's own texture)"),
    "unet": N_("the U-Net alone (smooth)"),
    "telea": N_("OpenCV Telea (classical diffusion)"),
    "exemplar": N_("exemplar-based copying (classical, Criminisi 2004)"),
}
#: Side of the square of the photo each method sees (the evaluation's view size).
VIEW = 256
#: Side of the square shown, centred on the hole.
CROP = 112
#: The crops are enlarged this many times, pixel for pixel, so the grain can be seen.
ZOOM = 3
#: Side of the square hole (the tutorial's 50/228 of the view, in a crop of its own).
HOLE = 48
#: A hole whose photo has less fine detail than this (mean squared, grey levels²) is drawn again.
MIN_DETAIL = 25.0
#: Game numbers a link may carry.
MAX_GAME = 2**31 - 1
_SIDES = ("A", "B")


@dataclass(frozen=True)
class Round:
    """One round: where the hole is, what fills it, which side shows the photo."""

    seed: int
    index: int
    photo: str
    method: str
    family: str  # 'square' or 'brush'
    view: tuple  # (y, x) of the view's top-left corner in the photo
    crop: tuple  # (y, x) of the crop's top-left corner in the view
    real: str  # 'A' or 'B'
    mask_seed: int

    @property
    def key(self):
        """A name for this round (for caches and reveal buttons)."""
        return f"{self.seed}-{self.index}"

    def mask(self):
        """The hole, ``(VIEW, VIEW)`` bool, inside the crop."""
        y, x = self.crop
        mask = np.zeros((VIEW, VIEW), bool)
        inner = np.zeros((CROP, CROP), bool)
        if self.family == "square":
            rng = np.random.default_rng(self.mask_seed)
            top, left = rng.integers(CROP // 2 - HOLE // 2 - 12, CROP // 2 - HOLE // 2 + 13, size=2)
            inner[top:top + HOLE, left:left + HOLE] = True
        else:
            inner = brush_mask((CROP, CROP), seed=self.mask_seed, strokes=2)
        mask[y:y + CROP, x:x + CROP] = inner
        return mask


@dataclass(frozen=True)
class RoundPictures:
    """What the page shows for a round."""

    a: np.ndarray  # (CROP * ZOOM, CROP * ZOOM, 3) uint8
    b: np.ndarray
    pair: np.ndarray  # A and B side by side under their letters: one picture, so a phone shows both at once
    outline: np.ndarray  # the filled crop with the hole's outline, for the reveal
    hole_share: float  # share of the crop that was filled


def _photo(name):
    from patchlab.images import load_sample

    return load_sample(name)


def draw_round(seed, index, photos=None):
    """The round number ``index`` of the game ``seed``.

    Parameters
    ----------
    seed, index : int
    photos : dict of name -> ndarray, optional
        The photos (default: the bundled :data:`PHOTOS`, read on demand);
        needed to place the hole where there is detail.

    Returns
    -------
    Round

    Examples
    --------
    >>> draw_round(7, 0) == draw_round(7, 0)
    True
    """
    for name, value in (("seed", seed), ("index", index)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"`{name}` must be a whole number >= 0, got {value!r}.")
    rng = np.random.default_rng([int(seed), int(index)])
    name = PHOTOS[int(rng.integers(len(PHOTOS)))]
    method = tuple(METHODS)[int(rng.integers(len(METHODS)))]
    family = ("square", "brush")[int(rng.integers(2))]
    real = _SIDES[int(rng.integers(2))]
    image = (photos or {}).get(name)
    image = _photo(name) if image is None else image
    h, w = image.shape[:2]
    for attempt in range(50):  # a place with detail; the last draw is kept whatever it is
        view = (int(rng.integers(0, h - VIEW + 1)), int(rng.integers(0, w - VIEW + 1)))
        crop = (int(rng.integers(16, VIEW - CROP - 15)), int(rng.integers(16, VIEW - CROP - 15)))
        candidate = Round(int(seed), int(index), name, method, family, view, crop, real,
                          int(rng.integers(2**31)))
        part = image[view[0]:view[0] + VIEW, view[1]:view[1] + VIEW]
        detail = high_pass(part)[candidate.mask()]
        if float(np.mean(detail * detail)) >= MIN_DETAIL:
            break
    return candidate


def round_pictures(round_, image, fill):
    """The two crops of a round: the photo and its fill, in the round's order.

    Parameters
    ----------
    round_ : Round
    image : ndarray of uint8, shape (H, W, 3)
        The round's photo.
    fill : callable
        ``fill(view, mask) -> filled view`` (uint8 ``(VIEW, VIEW, 3)``).

    Returns
    -------
    RoundPictures
    """
    (vy, vx), (cy, cx) = round_.view, round_.crop
    view = np.ascontiguousarray(image[vy:vy + VIEW, vx:vx + VIEW])
    mask = round_.mask()
    filled = fill(view, mask)
    box = np.s_[cy:cy + CROP, cx:cx + CROP]
    real, fake = _zoom(view[box]), _zoom(filled[box])
    outline = fake.copy()
    edge = cv2.morphologyEx(_zoom(mask[box].astype(np.uint8)), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0
    outline[edge] = (255, 0, 255)
    a, b = (real, fake) if round_.real == "A" else (fake, real)
    return RoundPictures(a, b, side_by_side(a, b), outline, float(mask[box].mean()))


def _zoom(crop):
    return cv2.resize(crop, (crop.shape[1] * ZOOM, crop.shape[0] * ZOOM), interpolation=cv2.INTER_NEAREST)


def side_by_side(a, b, gap=16, header=56):
    """``a`` and ``b`` side by side on white, each under its letter (A, B), pixel for pixel."""
    from PIL import Image, ImageDraw, ImageFont

    h, w = a.shape[:2]
    canvas = np.full((header + h, 2 * w + gap, 3), 255, np.uint8)
    canvas[header:, :w], canvas[header:, w + gap:] = a, b
    picture = Image.fromarray(canvas)
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=int(header * 0.8))
    for letter, left in zip(_SIDES, (0, w + gap)):
        draw.text((left + w // 2, header // 2), letter, fill=(0, 0, 0), font=font, anchor="mm")
    return np.asarray(picture)


def fill_functions():
    """method key -> ``fill(view, mask)``; the U-Net is loaded once per process (TensorFlow on first use)."""
    from patchlab.inpainting.baselines import exemplar, telea
    from patchlab.inpainting.sharp import sharp_fill, structure_model

    return {"sharp": lambda view, mask: sharp_fill(view, mask, seed=0),
            "unet": lambda view, mask: structure_model().inpaint(view, mask),
            "telea": telea, "exemplar": exemplar}


def play_round(seed, index):
    """Draw round ``index`` of game ``seed`` and make its pictures: ``(Round, RoundPictures)``."""
    round_ = draw_round(seed, index)
    return round_, round_pictures(round_, _photo(round_.photo), fill_functions()[round_.method])


def read_link(params):
    """A link's game number (``?game=N``): ``({"game": N}, [])``, or ``({}, [Ignored])`` for a bad one.

    Examples
    --------
    >>> read_link({"game": "65"})
    ({'game': 65}, [])
    >>> read_link({"game": "-1"})[1][0].phrase()
    'game `-1` (expected a whole number from 0 to 2,147,483,647)'
    """
    from patchlab.links import whole_number

    ignored = []
    game = whole_number(params, "game", N_("game"), 0, MAX_GAME, ignored)
    return ({} if game is None else {"game": game}), ignored


def wilson_interval(successes, trials, level=0.95):
    """Wilson score interval of a proportion (sound for a handful of trials, unlike p ± 2 se).

    Examples
    --------
    >>> [round(v, 3) for v in wilson_interval(5, 10)]
    [0.237, 0.763]
    """
    if trials < 1 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= `successes` <= `trials` and `trials` >= 1, got {successes}/{trials}.")
    from scipy.stats import norm

    z = float(norm.ppf(0.5 + level / 2))
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Score:
    """A player's results: rounds played and, per method, rounds shown and times it fooled them."""

    shown: dict = field(default_factory=dict)
    fooled: dict = field(default_factory=dict)

    @property
    def played(self):
        return sum(self.shown.values())

    @property
    def right(self):
        return self.played - sum(self.fooled.values())

    def record(self, round_, picked):
        """Score a guess: ``picked`` is 'A' or 'B'. Returns True when the fill fooled the player."""
        if picked not in _SIDES:
            raise ValueError(f"`picked` must be 'A' or 'B', got {picked!r}.")
        fooled = picked != round_.real
        self.shown[round_.method] = self.shown.get(round_.method, 0) + 1
        self.fooled[round_.method] = self.fooled.get(round_.method, 0) + int(fooled)
        return fooled

    def fooling_rates(self):
        """Per method shown: ``(method, shown, fooled, rate, low, high)``, rate with a 95 % Wilson interval."""
        rows = []
        for method in METHODS:
            n = self.shown.get(method, 0)
            if n:
                k = self.fooled.get(method, 0)
                rows.append((method, n, k, k / n, *wilson_interval(k, n)))
        return rows
