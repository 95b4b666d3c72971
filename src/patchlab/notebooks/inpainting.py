"""The Inpainting page's notebook: the participant's photo, their mask, the U-Net's fill, scored.

Its code cells are PatchLab's own where they are plain functions: the first
guess of the hole (:mod:`patchlab.inpainting.prefill`, harmonic or
pull-push, as the model's card says), the padding and context box of
:mod:`patchlab.inpainting.infer`, the patch engine's ``patchify`` and its
reference merge (for a hole larger than one tile), and the classical
methods of :mod:`patchlab.inpainting.baselines` that need no search. The
inference itself (:class:`~patchlab.inpainting.Inpainter`, a class holding a
shared model and locks) is written out as a few short functions that do
what its methods do: pad, run the network on the hole and its mirror
images, average, composite. The final comparison shows they agree.
"""

from __future__ import annotations

import numpy as np

from patchlab.i18n import _, speaking
from patchlab.inpainting import baselines, infer, prefill
from patchlab.inpainting.demo import PHOTO_SIDE, result_view
from patchlab.notebooks.book import Draft, NotebookError, array_digest, function_source, png_bytes
from patchlab.notebooks.models import load_model_cell, participant_model, shipped_model
from patchlab.notebooks.photo import add_photo, photo_packages
from patchlab.patches import api

__all__ = ["inpainting_notebook", "add_inference_cells", "needs_tiles", "IMPORTS", "RECOMPUTED"]

#: The libraries the inpainting notebooks use.
IMPORTS = """import hashlib
import json
import numbers
import os
import threading

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow: errors only
import cv2
import keras
import matplotlib.pyplot as plt
import numpy as np
import scipy.sparse as sparse
import scipy.sparse.linalg as sparse_linalg
import tensorflow as tf
from PIL import Image
from scipy.signal import windows as _sig_windows
from skimage.metrics import peak_signal_noise_ratio
from skimage.restoration import inpaint_biharmonic"""

#: The page's methods the notebook recomputes besides the U-Net (the others are described, not rerun).
RECOMPUTED = ("telea", "ns", "biharmonic", "harmonic")

_INFERENCE = '''\
TILE = int(card.get("tile_size") or 288)  # the network's tile side
OVERLAP, BATCH, CONTEXT = {overlap}, {batch}, {context}  # tile overlap, images per call, context band (px)
SEED_MIN_SIDE = {seed_min_side}
ARCH = "unet" if len(model.inputs) == 2 else "seed"  # the U-Net takes (image, mask); the autoencoder one input
FLIPS = {flips} if ARCH == "unet" else 1  # most mirrored views of the hole averaged
FLIP_AXES = ((), (2,), (1,), (1, 2))  # as-is, left-right, top-bottom, both: axes of (B, H, W, C)
first_guess = PREFILLS[card.get("prefill") or "pull-push"]
print("network:", ARCH, "| first guess:", first_guess.__name__, "| tile", TILE)


def flips_for(tiles):
    """How many mirrored views a region of `tiles` tiles gets: as many as fit one batch (1, 2 or 4)."""
    fit = min(FLIPS, BATCH // max(1, int(tiles)))
    return max(k for k in (1, 2, 4) if k <= max(1, fit))


def run_network(images, masks):
    """The network on a batch (B, h, w, 3) in [0, 1], padded to the sizes it takes, cropped back."""
    if ARCH == "unet":
        x, (h, w) = pad_to_multiple(images, 16)
        m, _ = pad_to_multiple(masks, 16)
        out = model({{"image": tf.constant(x), "mask": tf.constant(m)}}, training=False)
    else:  # the tutorial's valid convolutions need sides 8 k + 4, at least 44; the hole is zeroed
        x, (h, w) = pad_to_multiple(images * (1 - masks), 8, offset=4, minimum=SEED_MIN_SIDE)
        out = model(tf.constant(x), training=False)
    return np.asarray(out)[:, :h, :w]


def run_flipped(images, masks, flips):
    """The network on the images and their first `flips` mirror images, mirrored back and averaged."""
    if flips == 1:
        return run_network(images, masks)
    axes = FLIP_AXES[:flips]
    views = run_network(np.concatenate([np.flip(images, a) if a else images for a in axes]),
                        np.concatenate([np.flip(masks, a) if a else masks for a in axes]))
    n = len(images)
    return np.mean([np.flip(views[k * n:(k + 1) * n], a) if a else views[:n] for k, a in enumerate(axes)], axis=0)


def tiled(x, m):
    """A region larger than a tile: overlapping tiles (skipped where nothing is missing), Hann-blended."""
    h, w = m.shape[:2]
    tile = (min(TILE, h), min(TILE, w))
    stride = tuple(t - min(OVERLAP, t // 4) for t in tile)
    tiles_x = patchify(x, tile, stride, edge="shift")
    tiles_m = patchify(m, tile, stride, edge="shift")
    nh, nw = tiles_x.shape[:2]
    out = np.array(tiles_x, dtype=np.float32)  # tiles with no hole keep the input
    todo = [(i, j) for i in range(nh) for j in range(nw) if tiles_m[i, j].any()]
    flips = flips_for(len(todo))
    per_call = max(1, BATCH // flips)
    for start in range(0, len(todo), per_call):
        chunk = todo[start:start + per_call]
        ys = run_flipped(np.stack([tiles_x[i, j] for i, j in chunk]), np.stack([tiles_m[i, j] for i, j in chunk]),
                         flips)
        for (i, j), y in zip(chunk, ys):
            out[i, j] = y
    return unpatchify_reference(out, x.shape, stride, window="hann", edge="shift")


def inpaint(image, mask):
    """Fill the masked pixels of a uint8 photo: first guess, the network on the hole and its context, composite."""
    x = image.astype(np.float32) / 255.0
    m = mask.astype(np.float32)[:, :, None]
    if ARCH == "unet":
        x = first_guess(x, mask)
    h, w = mask.shape
    if ARCH == "seed" or (h <= TILE and w <= TILE):
        y0, y1, x0, x1 = 0, h, 0, w
    else:  # only the hole and a band of context around it go through the network
        y0, y1, x0, x1 = context_box(mask, CONTEXT)
    part_x, part_m = x[y0:y1, x0:x1], m[y0:y1, x0:x1]
    if ARCH == "seed" or (y1 - y0 <= TILE and x1 - x0 <= TILE):
        part = run_flipped(part_x[None], part_m[None], flips_for(1))[0]
    else:
        part = tiled(part_x, part_m)
    filled = x.copy()
    filled[y0:y1, x0:x1] = part
    result = image.copy()
    result[mask] = np.clip(np.rint(filled[mask] * 255.0), 0, 255).astype(np.uint8)  # known pixels unchanged
    return result
'''


def needs_tiles(shape, mask, tile_size=288, context=infer.DEFAULT_CONTEXT):
    """Whether the U-Net fills this hole tile by tile (the region around it is larger than a tile)."""
    h, w = shape[:2]
    if h <= tile_size and w <= tile_size:
        return False
    y0, y1, x0, x1 = infer.context_box(np.asarray(mask, bool), context)
    return y1 - y0 > tile_size or x1 - x0 > tile_size


def add_inference_cells(draft, model, tiles):
    """Cells that define the first guesses, the inference functions and load ``model`` (a ModelFiles)."""
    draft.code(f"MAX_UNKNOWNS = {prefill.MAX_UNKNOWNS}\n\n" + function_source(
        prefill._check, prefill.pull_push_fill, prefill._down, prefill.harmonic_fill, prefill._solve_laplace,
        prefill._coarse_harmonic) + '\n\nPREFILLS = {"pull-push": pull_push_fill, "harmonic": harmonic_fill}',
        intro=("## A first guess of the hole\n\nBefore the U-Net sees the photo, every missing pixel gets a "
               "smooth guess from the known pixels around it, so the network only learns the correction. "
               "**Harmonic**: every missing pixel is the mean of its four neighbours, solved exactly as one "
               "sparse linear system (what the current model uses). **Pull-push**: a multi-scale average "
               "(the first models)."))
    if tiles:
        draft.code("EDGES = ('valid', 'pad', 'shift')\nWINDOWS = ('uniform', 'tent', 'hann', 'gaussian')\n\n"
                   + function_source(api._pair, api._image_shape, api._check_edge, api._check_window,
                                     api._check_geometry, api.tent, api.window_1d, api.patch_origins,
                                     api._padded_length, api.grid_shape, api._geometry, api._irregular,
                                     api._regular_view, api.patchify, api.unpatchify_reference),
                   intro=("## Tiles for a large hole\n\nYour hole and its context are larger than one tile of "
                          "the network, so the region is cut into overlapping tiles with the patch engine "
                          "(`edge='shift'`), and the filled tiles are merged back with a Hann window, so no "
                          "seam shows: the Patches page's overlap-add. The app runs a compiled merge; this "
                          "is its plain definition."))
    model.add_to(draft)
    load_model_cell(draft, model)
    draft.code(function_source(infer.pad_to_multiple, infer.context_box) + "\n\n" + _INFERENCE.format(
        overlap=64, batch=4, context=infer.DEFAULT_CONTEXT, seed_min_side=infer.SEED_MIN_SIDE, flips=infer.FLIPS),
        intro=("## Filling the hole\n\nThe U-Net takes the photo (hole pre-filled with the first guess) and the "
               "mask, padded to a multiple of 16 and cropped after. A hole that fits one batch is also filled "
               "mirrored left-right, top-bottom and both ways, and the fills, mirrored back, are averaged. Of a "
               "photo larger than a tile only the hole and 96 px of context go through the network. Finally "
               "the known pixels are copied back: they come out exactly unchanged."))


def _classical_cells(draft, methods):
    draft.code(f"MIN_SIDE = {infer.MIN_SIDE}\n_BIHARMONIC_SLOT = threading.Lock()\n\n" + function_source(
        infer.check_inputs, baselines._composite, baselines.telea, baselines.navier_stokes, baselines.biharmonic,
        baselines.harmonic),
        intro=("## The classical methods you compared with\n\nOpenCV's Telea and Navier–Stokes, scikit-image's "
               "biharmonic, and the harmonic fill alone (the U-Net's own first guess). Each changes only the "
               "masked pixels."))
    names = {"telea": "telea", "ns": "navier_stokes", "biharmonic": "biharmonic", "harmonic": "harmonic"}
    draft.code("CLASSICAL = {" + ", ".join(f"{k!r}: {names[k]}" for k in methods) + "}\n"
               "classical = {name: fill(photo, mask) for name, fill in CLASSICAL.items()}\n"
               "for name, other in classical.items():\n"
               "    print(f\"{name:12} masked PSNR {psnr(photo[mask], other[mask]):.2f} dB\")")


def inpainting_notebook(result, sample=None, model_files=None, today=None):
    """The take-home notebook of the Inpainting page, for its last Fill.

    Parameters
    ----------
    result : patchlab.inpainting.demo.FillResult
        The Fill the page shows (its photo, mask, fills and scores).
    sample : str, optional
        The sample photo's name; None for an uploaded photo (which then
        travels, as a PNG, inside this download only).
    model_files : dict, optional
        The participant's domain model when it filled in the U-Net's place:
        the ``files()`` of the *Train an inpainter* result. Default: the
        shipped U-Net (``models/inpainting.keras``).
    today : datetime.date, optional

    Returns
    -------
    Download
        A ``.zip``: the notebook, the mask (``mask.png``), the model and its
        card, and the photo for an upload.

    Raises
    ------
    NotebookError
        With a sentence for the page: no U-Net result in this Fill, or the
        model is gone from the server.

    Examples
    --------
    The page's call, once ``result`` holds the last Fill:

    >>> download = inpainting_notebook(result,  # doctest: +SKIP
    ...     sample=settings.sample if settings.source == SOURCES[0] else None,
    ...     model_files=domain_model().result.files() if filled_with else None)
    """
    if result is None or "unet" not in result.images:
        raise NotebookError(_("There is no U-Net fill to take home yet: paint a hole and press Fill first."))
    if model_files is not None:
        model = participant_model(model_files, "your domain model, trained on the Train an inpainter page")
    else:
        model = shipped_model(infer.DEFAULT_MODEL, "the shipped U-Net")
    photo, mask = np.asarray(result.photo), np.asarray(result.mask, bool)
    methods = [k for k in result.images if k in RECOMPUTED]
    others = [result.label(k) for k in result.images if k != "unet" and k not in RECOMPUTED]
    name = result.label("unet")
    page = {"photo fingerprint": array_digest(photo), "mask fingerprint": array_digest(mask),
            "masked pixels": int(mask.sum())}
    for k in ["unet", *methods]:
        page[f"{result.label(k)}: PSNR in the hole (dB)"] = result.metrics[k]["psnr_masked"]
    page[f"{name}: PSNR of the whole photo (dB)"] = result.metrics["unet"]["psnr_whole"]
    tolerances = {key: 0.01 for key in page if key.endswith("(dB)")}
    tiles = needs_tiles(photo.shape, mask, int(model.card.get("tile_size") or 288))
    draft = Draft("Inpainting", f"{sample or 'upload'} {int(mask.sum())}px",
                  ["numpy", "scipy", "pillow", "matplotlib", "opencv-python-headless", "scikit-image",
                   "tensorflow", "keras", *photo_packages(sample)],
                  f"""# Inpainting: your session

You painted over {mask.mean():.1%} of {f'the photo *{sample}*' if sample else 'your own photo'} and pressed
**Fill**: {model.described} filled the hole, and every result was scored against the original, which is
known because you masked a complete photo. This notebook fills the same hole with the same model and the
same steps, and scores it again.""")
    with speaking("en"):  # the notebook's text is English (docs/i18n.md); the pictures' captions too
        view = result_view(result, zoom=True)
    draft.markdown("**What the page showed**: the masked input and each method's fill (zoomed on the hole), "
                   "then each one's error against the original.", view.pictures + view.error_pictures)
    draft.code(IMPORTS, intro="The libraries.")
    draft.record(page, tolerances, "The PSNR (peak signal-to-noise ratio, higher is better) of each fill, "
                                   "over the painted pixels and over the whole photo.")
    add_photo(draft, photo, sample, PHOTO_SIDE)
    draft.add_file("mask.png", png_bytes(mask))
    draft.code("""
        mask = np.asarray(Image.open("mask.png")) > 127  # True where you painted
        print("fingerprint", array_digest(mask), f"| {mask.sum():,} pixels to fill ({mask.mean():.1%})")
        shown = photo.copy(); shown[mask] = (255, 0, 255)
        plt.figure(figsize=(6, 6)); plt.imshow(shown); plt.axis("off"); plt.title("the hole"); plt.show()
        """, intro="**Your mask**, drawn on the page's canvas and saved beside this notebook as `mask.png`.")
    add_inference_cells(draft, model, tiles)
    draft.code("""
        def psnr(a, b):
            return float("inf") if np.array_equal(a, b) else float(peak_signal_noise_ratio(a, b, data_range=255))

        filled = inpaint(photo, mask)
        print(f"PSNR in the hole {psnr(photo[mask], filled[mask]):.2f} dB, whole photo {psnr(photo, filled):.2f} dB")
        fig, axes = plt.subplots(1, 2, figsize=(12, 6))
        axes[0].imshow(filled); axes[0].set_title("filled by the network"); axes[0].axis("off")
        axes[1].imshow(np.abs(filled.astype(int) - photo).mean(axis=2), cmap="magma")
        axes[1].set_title("error against the original"); axes[1].axis("off"); plt.show()
        """, intro="**The fill**, scored like the page scores it: PSNR over the painted pixels "
                   "(`skimage.metrics.peak_signal_noise_ratio`, 8-bit range).")
    if methods:
        _classical_cells(draft, methods)
    if others:
        draft.markdown(f"The page also compared with {', '.join(others)}: they are not recomputed here "
                       "(the tutorial's autoencoder needs its own model file; exemplar copying is a long search).")
    labels = {k: result.label(k) for k in ["unet", *methods]}
    draft.code(f"""
        OURS = {{"photo fingerprint": array_digest(photo), "mask fingerprint": array_digest(mask),
                "masked pixels": int(mask.sum())}}
        fills = {{"unet": filled, **({'classical' if methods else '{}'})}}
        for key, label in {labels!r}.items():
            OURS[f"{{label}}: PSNR in the hole (dB)"] = psnr(photo[mask], fills[key][mask])
        OURS[{name + ': PSNR of the whole photo (dB)'!r}] = psnr(photo, filled)
        """, intro="## The notebook's numbers")
    draft.compare()
    return draft.finish(today)

