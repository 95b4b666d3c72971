"""Patch-based digit classification with probability fusion.

Four overlapping corner patches are cut from a 28x28 digit, one shared CNN
classifies each patch, and the four probability vectors are fused into one
answer. TensorFlow is imported only inside the functions that need it, so
importing this package is cheap.

>>> from patchlab.classification import DigitClassifier, preprocess_canvas
>>> x28 = preprocess_canvas(rgba)                      # doctest: +SKIP
>>> DigitClassifier.load(patch_size=18).predict(x28).label   # doctest: +SKIP

Modules, in the order a digit meets them: ``preprocess`` (canvas -> 28x28),
``corners`` (the four corner patches), ``model`` (the shared CNN),
``fusion`` (the rules), ``inference`` (:class:`DigitClassifier`); for
training ``data``, ``augment``, ``drawn``, ``config``, ``recipe``, ``train``;
for the figures ``accuracy``, ``evaluate``, ``report``, ``figures``; the
page's logic is ``demo``.
"""

from patchlab.classification.corners import corner_origins
from patchlab.classification.fusion import RULES, fuse, fused_label
from patchlab.classification.inference import DigitClassifier, Prediction
from patchlab.classification.preprocess import preprocess_canvas
from patchlab.runtime import ModelUnavailable

__all__ = [
    "DigitClassifier",
    "ModelUnavailable",
    "Prediction",
    "RULES",
    "corner_origins",
    "fuse",
    "fused_label",
    "preprocess_canvas",
]
