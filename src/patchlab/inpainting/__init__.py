"""Inpainting: fill a missing region of a photo with a trained U-Net.

``from patchlab.inpainting import Inpainter`` is the entry point the page
uses; ``sharp_fill`` adds the photo's own texture to the U-Net's smooth
fill (:mod:`patchlab.inpainting.sharp`). TensorFlow is imported only when
a model is loaded. A missing or
broken model raises :class:`ModelUnavailable` (the runtime's one exception
for every model), whose message names the command that retrains it.
"""

from patchlab.inpainting.infer import Inpainter
from patchlab.inpainting.sharp import sharp_fill
from patchlab.runtime import ModelUnavailable

__all__ = ["Inpainter", "ModelUnavailable", "sharp_fill"]
