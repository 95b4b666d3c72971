"""Classical inpainting, for comparison: OpenCV's Telea and Navier-Stokes,
scikit-image's biharmonic, the harmonic fill that is the U-Net's own first
guess (shown so that what the network adds to it can be seen), and
exemplar-based inpainting (Criminisi et al. 2004), which copies whole
patches from the known part of the photo instead of smoothing colours in.

All take and return what :meth:`patchlab.inpainting.Inpainter.inpaint`
does: an (H, W, 3) uint8 photo and an (H, W) boolean mask, and return the
photo with only the masked pixels changed.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np
from skimage.restoration import inpaint_biharmonic

from patchlab.i18n import N_
from patchlab.inpainting.exemplar import exemplar_inpaint
from patchlab.inpainting.infer import check_inputs
from patchlab.inpainting.prefill import harmonic_fill

__all__ = ["telea", "navier_stokes", "biharmonic", "harmonic", "exemplar", "CLASSICAL"]


# One biharmonic solve at a time per server: each builds a sparse system of
# hundreds of MB for a large hole, and a room full of simultaneous Fills would
# otherwise multiply that peak (two cores gain nothing from running more).
_BIHARMONIC_SLOT = threading.Lock()


def _composite(image, mask, filled):
    out = image.copy()
    out[mask] = filled[mask]
    return out


def telea(image, mask, radius=3):
    """OpenCV ``INPAINT_TELEA`` (fast marching), radius ``radius`` px."""
    image, mask = check_inputs(image, mask)
    filled = cv2.inpaint(image, mask.astype(np.uint8), radius, cv2.INPAINT_TELEA)
    return _composite(image, mask, filled)


def navier_stokes(image, mask, radius=3):
    """OpenCV ``INPAINT_NS`` (Navier-Stokes), radius ``radius`` px."""
    image, mask = check_inputs(image, mask)
    filled = cv2.inpaint(image, mask.astype(np.uint8), radius, cv2.INPAINT_NS)
    return _composite(image, mask, filled)


def biharmonic(image, mask):
    """scikit-image ``inpaint_biharmonic`` (smooth biharmonic interpolation).

    Notes
    -----
    Solves a sparse linear system per connected hole: a second or more for
    large holes in megapixel photos. Calls are serialised (one at a time per
    process) to bound peak memory on a shared server.
    """
    image, mask = check_inputs(image, mask)
    with _BIHARMONIC_SLOT:
        filled = inpaint_biharmonic(image.astype(np.float64) / 255.0, mask, channel_axis=-1)
    filled = np.clip(np.rint(filled * 255.0), 0, 255).astype(np.uint8)
    return _composite(image, mask, filled)


def harmonic(image, mask):
    """The harmonic fill (:func:`patchlab.inpainting.prefill.harmonic_fill`) alone.

    It is the U-Net's first guess, which the network then corrects.
    """
    image, mask = check_inputs(image, mask)
    filled = harmonic_fill(image.astype(np.float32), mask)
    return _composite(image, mask, np.clip(np.rint(filled), 0, 255).astype(np.uint8))


def exemplar(image, mask):
    """Exemplar-based inpainting (:func:`patchlab.inpainting.exemplar.exemplar_inpaint`, 9x9 patches).

    Notes
    -----
    Copies patches found by an exhaustive search of the photo, one patch
    per step: about a second for the tutorial's square in a 256x256 photo,
    several seconds for large holes.
    """
    return exemplar_inpaint(image, mask)


#: name -> (label, function), in display order.
CLASSICAL = {
    "telea": (N_("OpenCV Telea"), telea),
    "ns": (N_("OpenCV Navier-Stokes"), navier_stokes),
    "biharmonic": (N_("scikit-image biharmonic"), biharmonic),
    "harmonic": (N_("Harmonic fill (the U-Net's first guess)"), harmonic),
    "exemplar": (N_("Exemplar-based (Criminisi 2004)"), exemplar),
}
