"""Patch-based digit classification with probability fusion.

Four overlapping corner patches are cut from a 28x28 digit, one shared CNN
classifies each patch, and the four probability vectors are fused into one
answer. TensorFlow is imported only inside the functions that need it, so
importing this package is cheap.

>>> from patchlab.classification import DigitClassifier, preprocess_canvas
>>> x28 = preprocess_canvas(rgba)                      # doctest: +SKIP
>>> DigitClassifier.load(patch_size=18).predict(x28).label   # doctest: +SKIP
"""

from patchlab.classification.fusion import RULES, fuse, fused_label
from patchlab.classification.inference import DigitClassifier, ModelUnavailableError, Prediction
from patchlab.classification.patches import patch_origins
from patchlab.classification.preprocess import preprocess_canvas

__all__ = [
    "DigitClassifier",
    "ModelUnavailableError",
    "Prediction",
    "RULES",
    "fuse",
    "fused_label",
    "patch_origins",
    "preprocess_canvas",
]
