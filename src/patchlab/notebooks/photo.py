"""The photo a notebook starts from: a sample loaded by name, or the participant's own pixels.

A sample photo ships inside scikit-image or scikit-learn, so the notebook
reads it from the installed package exactly as PatchLab does (EXIF
orientation, RGB, the same Lanczos downscaling): nothing travels with the
notebook. An uploaded photo (or a sample whose pixels differ from the
package's) travels beside it as a lossless PNG, inside the participant's
own download only. Either way the notebook checks that its pixels are the
page's (:func:`~patchlab.notebooks.book.array_digest`).
"""

from __future__ import annotations

import numpy as np

from patchlab.images import SAMPLES, limit_size, load_sample
from patchlab.notebooks.book import array_digest, function_source, png_bytes

__all__ = ["add_photo", "photo_packages"]


def photo_packages(name):
    """The distributions a notebook needs to read the photo ``name`` (a sample) or an upload (None)."""
    sample = SAMPLES.get(name)
    if sample is None:
        return []
    return ["scikit-image"] if sample.package == "skimage" else ["scikit-learn"]


def _is_sample(photo, name, max_side):
    if name not in SAMPLES:
        return False
    try:
        return array_digest(load_sample(name, max_side=max_side)) == array_digest(photo)
    except (OSError, ValueError):
        return False


def add_photo(draft, photo, name, max_side, variable="photo", file_name="photo.png", words="the photo",
              define_digest=True):
    """Cells that load ``photo`` into ``variable`` and check its fingerprint; returns True for a sample.

    Parameters
    ----------
    draft : Draft
    photo : ndarray of uint8, shape (H, W, 3)
        The pixels the page worked on.
    name : str or None
        The sample's name, or anything else (``"upload"``, None) for the
        participant's own photo.
    max_side : int
        The longer side the page limits the sample to.
    define_digest : bool
        Define ``array_digest`` first (once per notebook).
    """
    photo = np.asarray(photo)
    if photo.dtype != np.uint8 or photo.ndim != 3 or photo.shape[2] != 3:
        raise ValueError(f"`photo` must be an (H, W, 3) uint8 array, got {photo.dtype} {photo.shape}.")
    digest = array_digest(photo)
    if define_digest:
        draft.code("import hashlib\n\n" + function_source(array_digest), intro=(
            "A fingerprint of an array (its shape, type and every value): the notebook compares "
            "fingerprints with the page's to check that it works on exactly the same pixels."))
    if _is_sample(photo, name, max_side):
        sample = SAMPLES[name]
        module = "skimage.data" if sample.package == "skimage" else "sklearn.datasets"
        folder = "Path(skimage.data.__file__).parent" if sample.package == "skimage" else \
            "Path(sklearn.datasets.__file__).parent / 'images'"
        draft.code("WORKING_SIDE = 1024\n\n" + function_source(limit_size) + f"""

import {module}
from pathlib import Path
from PIL import ImageOps

with Image.open({folder} / {sample.filename!r}) as img:
    {variable} = np.asarray(ImageOps.exif_transpose(img).convert("RGB")).copy()
{variable}, scale = limit_size({variable}, {int(max_side)})
print({variable}.shape, "fingerprint", array_digest({variable}), "(the page's: {digest})")
""", intro=(f"**{words.capitalize()}**: the sample *{name}* ({sample.description}), read from "
            f"`{sample.source}` as PatchLab reads it, its longer side limited to {int(max_side)} px."))
        return True
    draft.add_file(file_name, png_bytes(photo))
    draft.code(f"""
{variable} = np.asarray(Image.open({file_name!r}).convert("RGB"))
print({variable}.shape, "fingerprint", array_digest({variable}), "(the page's: {digest})")
""", intro=f"**{words.capitalize()}**: your own photo, as the page used it ({photo.shape[1]}×{photo.shape[0]} "
           f"pixels), saved beside this notebook as `{file_name}` (lossless PNG).")
    return False
