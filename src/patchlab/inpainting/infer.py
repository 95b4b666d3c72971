"""Inference: fill the masked pixels of a photo of any size.

    from patchlab.inpainting import Inpainter
    result = Inpainter.load().inpaint(image, mask)   # uint8 (H, W, 3), bool (H, W)

The whole photo first gets a smooth guess of its hole, the one the model
was trained with (its card's ``prefill``: harmonic interpolation,
:func:`~patchlab.inpainting.prefill.harmonic_fill`; pull-push for older
models). Photos up to the
model's tile size go through the network in one piece (reflect-padded to a
multiple of its stride, cropped after). Of a larger photo, only the hole
and a band of context around it (:data:`DEFAULT_CONTEXT`) goes through the
network; where that is still larger than a tile, it is cut into
overlapping tiles with the patch engine (:func:`patchlab.patches.patchify`,
``edge='shift'``); tiles that hold no missing pixel are skipped; the
others are filled in batches and merged back with a Hann blending window
(:func:`patchlab.patches.unpatchify`), so no seam shows. Finally the known
pixels are copied back from the input: they are returned exactly
unchanged.

Test-time flips (:data:`FLIPS`): while the work fits one batch, the U-Net
also fills the hole mirrored left-right, top-bottom and both ways, and the
four fills, mirrored back, are averaged. A hole that fits one tile gets all
four; a region of two tiles gets two (as-is and left-right); larger
regions, such as brush strokes over a whole 512-px photo, get one, so the
slowest Fill costs what it did without flips.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from patchlab import MODELS_DIR
from patchlab.i18n import N_
from patchlab.inpainting.prefill import PREFILLS, prefill_function
from patchlab.inpainting.recipe import SHIPPED, retrain_advice
from patchlab.patches import patchify, unpatchify
from patchlab.runtime import ModelUnavailable, card_path, load_model, short_path, tensorflow

__all__ = ["Inpainter", "ModelUnavailable", "MODELS_DIR", "DEFAULT_MODEL", "DEFAULT_CONTEXT", "FLIPS",
           "recipe_for", "retrain_message", "check_inputs", "context_box", "pad_to_multiple"]

DEFAULT_MODEL = MODELS_DIR / "inpainting.keras"
#: Smallest image side the model accepts.
MIN_SIDE = 16
#: Smallest side the tutorial's network can run on (three pairs of valid 3x3 convolutions and
#: two poolings leave at least one pixel); smaller photos are reflect-padded up to it.
SEED_MIN_SIDE = 44
#: Pixels of context kept around the hole of a photo larger than a tile. Measured on
#: the held-out photos at 512 px (squares, brush strokes, rectangles; 4 masks each):
#: masked PSNR as good as running every tile or better (the region then fits one batch
#: with its mirrored views), and faster for a square hole
#: (benchmarks/bench_inpainting_context.py).
DEFAULT_CONTEXT = 96
#: Most views of the hole the U-Net averages (1, 2 or 4; see :meth:`Inpainter.flips_for`).
FLIPS = 4
_FLIP_AXES = ((), (2,), (1,), (1, 2))  # as-is, left-right, top-bottom, both: axes of (B, H, W, C)


def recipe_for(path):
    """The name of the recipe that reproduces the model file at ``path``.

    The tutorial's network for ``models/inpainting_seed.keras``; the shipped
    U-Net's for ``models/inpainting.keras`` and any other path.
    """
    return SHIPPED.get(short_path(path), "inpainting")


def retrain_message(path):
    """How to get a working model at ``path`` back: the command, indented on its own line, then its cost.

    What every :class:`ModelUnavailable` of :meth:`Inpainter.load` ends
    with (after "Retrain it with:"): the command that reproduces the model
    (:func:`patchlab.inpainting.recipe.retrain_command`), then how long it
    takes on this CPU and, for the U-Net, what the shorter recipe gives
    (:func:`patchlab.inpainting.recipe.retrain_advice`).
    """
    command, *about = retrain_advice(recipe_for(path)).splitlines()
    note = " ".join(about)
    return f"{command}\n\n{note[:1].upper()}{note[1:]}" if note else command


def check_inputs(image, mask):
    """Validate an (image, mask) pair; return them as uint8 and bool arrays.

    Raises
    ------
    ValueError
        Naming the argument: wrong dtype/shape, sides under 16 pixels, or
        a mask that covers every pixel (nothing left to fill from).
    """
    image = np.asarray(image)
    mask = np.asarray(mask)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"`image` must be an (H, W, 3) RGB array, got shape {image.shape}.")
    if image.dtype != np.uint8:
        raise ValueError(f"`image` must be uint8 (0-255), got {image.dtype}.")
    if mask.shape != image.shape[:2]:
        raise ValueError(f"`mask` must have the image's shape {image.shape[:2]}, got {mask.shape}.")
    if mask.dtype != bool:
        raise ValueError(f"`mask` must be boolean (True = missing), got {mask.dtype}.")
    if min(image.shape[:2]) < MIN_SIDE:
        raise ValueError(
            f"`image` is {image.shape[1]}x{image.shape[0]} pixels; inpainting needs at "
            f"least {MIN_SIDE}x{MIN_SIDE}."
        )
    if mask.all():
        raise ValueError("`mask` covers the whole image: nothing is left to fill the hole from.")
    return image, mask


def context_box(mask, margin):
    """The hole's bounding box grown by ``margin`` pixels, clipped to the image.

    Returns
    -------
    y0, y1, x0, x1 : int
        Rows ``y0:y1`` and columns ``x0:x1``; the whole image if nothing is masked.
    """
    if margin < 0:
        raise ValueError(f"`margin` must be >= 0, got {margin}.")
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    h, w = mask.shape
    if rows.size == 0:
        return 0, h, 0, w
    return (max(0, rows[0] - margin), min(h, rows[-1] + 1 + margin),
            max(0, cols[0] - margin), min(w, cols[-1] + 1 + margin))


def pad_to_multiple(x, multiple, offset=0, minimum=0):
    """Reflect-pad a batch ``(B, H, W, C)`` at the bottom/right.

    Pads each side to the next ``multiple * k + offset`` at or above it
    (and at or above ``minimum``).

    Returns
    -------
    padded : ndarray
    (h, w) : the original size, to crop back to.
    """
    h, w = x.shape[1:3]
    th, tw = max(h, minimum), max(w, minimum)
    th += (offset - th) % multiple
    tw += (offset - tw) % multiple
    if (th, tw) == (h, w):
        return x, (h, w)
    return np.pad(x, ((0, 0), (0, th - h), (0, tw - w), (0, 0)), mode="symmetric"), (h, w)


class Inpainter:
    """A loaded inpainting model, shared by every user of the server.

    Use :meth:`load`; :meth:`inpaint` is thread-safe.
    """

    def __init__(self, model, arch="unet", tile_size=288, overlap=64, batch=4, card=None,
                 context=DEFAULT_CONTEXT, flips=None):
        if flips is None:
            flips = FLIPS if arch == "unet" else 1  # the tutorial's network stays as it was
        if flips not in (1, 2, 4):
            raise ValueError(f"`flips` must be 1, 2 or 4, got {flips!r}.")
        self.flips = flips
        self.model = model
        self.context = None if context is None else int(context)
        self.arch = arch
        self.tile_size = int(tile_size)
        self.overlap = int(overlap)
        self.batch = int(batch)
        self.card = card or {}
        self.prefill = prefill_function(self.card.get("prefill"))
        self._lock = threading.Lock()
        # One first guess at a time: a harmonic solve holds up to ~27 MB (20,000 unknowns),
        # and a room of simultaneous Fills would otherwise add those peaks up.
        self._prefill_lock = threading.Lock()
        self._forward = None

    # ----------------------------------------------------------------- load
    @classmethod
    def load(cls, path=None, allow_outside_models=False, tile_size=None, context=DEFAULT_CONTEXT,
             flips=None):
        """Load a model saved by :mod:`patchlab.inpainting.train`.

        Parameters
        ----------
        path : str or Path, optional
            Default ``models/inpainting.keras``.
        allow_outside_models : bool, optional
            Paths outside the repository's ``models/`` folder are refused
            unless this is True (a page must never load arbitrary files).
        tile_size : int, optional
            Override the tile size from the model card.
        context : int or None, optional
            For photos larger than a tile, only the hole's bounding box grown
            by this many pixels goes through the network; None runs every
            tile that holds a missing pixel.
        flips : {1, 2, 4}, optional
            Most mirrored views of the hole to average (default
            :data:`FLIPS` for the U-Net, 1 for the tutorial's network).

        Raises
        ------
        ValueError
            For a path outside ``models/``.
        ModelUnavailable
            If the file is missing or cannot be loaded; the message names
            the command that retrains it.
        """
        if path is None:  # the shipped file, named here
            path, allow_outside_models = DEFAULT_MODEL, True
        from patchlab.inpainting import fourier  # noqa: F401  (registers the Fourier layer for loading)
        model, card = load_model(path, what=N_("inpainting model"), retrain=retrain_message(path),
                                 allow_outside_models=allow_outside_models)
        try:
            prefill_function(card.get("prefill"))
        except ValueError as exc:  # a hand-edited card
            raise ModelUnavailable(
                f"The model card {short_path(card_path(path))} names an unknown first guess "
                f"{card['prefill']!r} (known: {', '.join(PREFILLS)}). Retrain the model with:\n\n"
                f"    {retrain_message(path)}"
            ) from exc
        arch = "unet" if isinstance(model.input, dict) or len(model.inputs) == 2 else "seed"
        tile = tile_size or card.get("tile_size") or 288
        return cls(model, arch=arch, tile_size=tile, card=card, context=context, flips=flips)

    # ------------------------------------------------------------ inference
    def flips_for(self, tiles):
        """How many mirrored views a region of ``tiles`` tiles gets.

        As many as fit one batch of the network (``batch // tiles``), at
        most :attr:`flips`, rounded down to 1, 2 or 4.
        """
        fit = min(self.flips, self.batch // max(1, int(tiles)))
        return max(k for k in (1, 2, 4) if k <= max(1, fit))

    def _run_flipped(self, images, masks, flips):
        """The network on ``images`` and their first ``flips`` mirror images, mirrored back and averaged."""
        if flips == 1:
            return self._run(images, masks)
        axes = _FLIP_AXES[:flips]
        views = self._run(np.concatenate([np.flip(images, a) if a else images for a in axes]),
                          np.concatenate([np.flip(masks, a) if a else masks for a in axes]))
        n = len(images)
        return np.mean([np.flip(views[k * n:(k + 1) * n], a) if a else views[:n]
                        for k, a in enumerate(axes)], axis=0)

    def _run(self, images, masks):
        """The network on a batch: (B, h, w, 3) float in [0, 1] -> same."""
        tf = tensorflow()

        if self._forward is None:
            if self.arch == "unet":
                spec = (tf.TensorSpec((None, None, None, 3), tf.float32),
                        tf.TensorSpec((None, None, None, 1), tf.float32))

                @tf.function(input_signature=spec)
                def forward(image, mask):
                    return self.model({"image": image, "mask": mask}, training=False)
            else:
                @tf.function(input_signature=(tf.TensorSpec((None, None, None, 3), tf.float32),))
                def forward(masked):
                    return self.model(masked, training=False)
            self._forward = forward

        if self.arch == "unet":
            x, (h, w) = pad_to_multiple(images, 16)
            m, _ = pad_to_multiple(masks, 16)
            out = self._forward(tf.constant(x), tf.constant(m))
        else:  # the tutorial's valid convolutions need sides 8 k + 4, at least 44
            x, (h, w) = pad_to_multiple(images * (1 - masks), 8, offset=4, minimum=SEED_MIN_SIDE)
            out = self._forward(tf.constant(x))
        return np.asarray(out)[:, :h, :w]

    def warm_up(self):
        """Run the network once on the largest job it gets: a full batch of tiles.

        This traces the graph and lets TensorFlow reserve its working memory
        at load time rather than during somebody's Fill, so the first Fill is
        as quick as the others and the server's memory does not climb later.

        Returns
        -------
        seconds : float
        """
        t = time.perf_counter()
        side = self.tile_size if self.arch == "unet" else 228
        x = np.zeros((self.batch if self.arch == "unet" else 1, side, side, 3), np.float32)
        m = np.zeros(x.shape[:3] + (1,), np.float32)
        m[:, side // 4: side // 2, side // 4: side // 2] = 1.0
        with self._lock:
            self._run(x, m)
        return time.perf_counter() - t

    def inpaint(self, image, mask, progress=None):
        """Fill the masked pixels of ``image``.

        Parameters
        ----------
        image : ndarray of uint8, shape (H, W, 3)
            Any H, W >= 16.
        mask : ndarray of bool, shape (H, W)
            True where pixels are missing.
        progress : callable, optional
            Called as ``progress(done, total)`` after each batch of tiles.

        Returns
        -------
        result : ndarray of uint8, shape (H, W, 3)
            Equal to ``image`` wherever ``mask`` is False.

        Raises
        ------
        ValueError
            For invalid inputs (see :func:`check_inputs`).
        """
        image, mask = check_inputs(image, mask)
        if not mask.any():
            if progress:
                progress(1, 1)
            return image.copy()
        x = image.astype(np.float32) / 255.0
        m = mask.astype(np.float32)[:, :, None]
        if self.arch == "unet":
            with self._prefill_lock:
                x = self.prefill(x, mask)

        h, w = mask.shape
        fits = h <= self.tile_size and w <= self.tile_size
        if self.arch == "seed" or self.context is None or fits:
            y0, y1, x0, x1 = 0, h, 0, w
        else:  # only the hole and a band of context around it go through the network
            y0, y1, x0, x1 = context_box(mask, self.context)
        part_x, part_m = x[y0:y1, x0:x1], m[y0:y1, x0:x1]
        with self._lock:
            if self.arch == "seed" or (y1 - y0 <= self.tile_size and x1 - x0 <= self.tile_size):
                part = self._run_flipped(part_x[None], part_m[None], self.flips_for(1))[0]
                if progress:
                    progress(1, 1)
            else:
                part = self._tiled(part_x, part_m, progress)
        filled = x.copy()
        filled[y0:y1, x0:x1] = part
        result = image.copy()
        result[mask] = np.clip(np.rint(filled[mask] * 255.0), 0, 255).astype(np.uint8)
        return result

    def _tiled(self, x, m, progress):
        """Overlapping tiles, skipped where nothing is missing, Hann-blended."""
        h, w = m.shape[:2]
        tile = (min(self.tile_size, h), min(self.tile_size, w))
        stride = tuple(t - min(self.overlap, t // 4) for t in tile)  # overlap at most 1/4 tile
        tiles_x = patchify(x, tile, stride, edge="shift")
        tiles_m = patchify(m, tile, stride, edge="shift")
        nh, nw = tiles_x.shape[:2]
        out = np.array(tiles_x, dtype=np.float32)  # tiles with no hole keep the input
        todo = [(i, j) for i in range(nh) for j in range(nw) if tiles_m[i, j].any()]
        flips = self.flips_for(len(todo))
        per_call = max(1, self.batch // flips)  # tiles per network call, each with its mirror images
        for start in range(0, len(todo), per_call):
            chunk = todo[start:start + per_call]
            xs = np.stack([tiles_x[i, j] for i, j in chunk])
            ms = np.stack([tiles_m[i, j] for i, j in chunk])
            for (i, j), y in zip(chunk, self._run_flipped(xs, ms, flips)):
                out[i, j] = y
            if progress:
                progress(min(start + per_call, len(todo)), len(todo))
        return unpatchify(out, x.shape, stride, window="hann", edge="shift")

    def __repr__(self):
        return (f"Inpainter(arch={self.arch!r}, tile_size={self.tile_size}, overlap={self.overlap}, "
                f"flips={self.flips})")

