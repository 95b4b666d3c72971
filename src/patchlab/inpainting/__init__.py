"""Inpainting: fill a missing region of a photo with a trained U-Net.

``from patchlab.inpainting import Inpainter`` is the entry point the page
uses; TensorFlow is imported only when a model is loaded.
"""

from patchlab.inpainting.infer import Inpainter, ModelUnavailable

__all__ = ["Inpainter", "ModelUnavailable"]
