"""The source material's pipeline: convolution, 2x2 max-pool, stride-2 transposed convolution.

A picture goes through a 3x3 smoothing convolution that keeps its size, a
max-pool that halves it, and a bilinear-initialised ``Conv2DTranspose``
with stride 2 that restores it; :func:`run_pipeline` keeps every real
intermediate tensor so the page can show them with their shapes.
TensorFlow is imported (through :func:`patchlab.runtime.tensorflow`) only
when the model is built.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from patchlab.runtime import tensorflow
from patchlab.upsampling._checks import check_image, whole
from patchlab.upsampling.kernels import diagonal_weights
from patchlab.upsampling.layers import bilinear_upsampling_layer

__all__ = ["pipeline_model", "Stage", "run_pipeline"]


def pipeline_model(channels=3):
    """The source material's pipeline: convolution, 2x2 max-pool, stride-2 transposed convolution.

    A 3x3 ``'same'`` convolution (a per-channel [1, 2, 1] x [1, 2, 1] / 16
    smoothing, so the intermediate pictures stay readable), a 2x2
    max-pool that halves the size, and a stride-2 ``Conv2DTranspose``
    (``'same'``, bilinear initialisation) that restores it.

    Returns
    -------
    model : keras.Sequential
        Input ``(None, None, channels)``.
    """
    channels = whole(channels, "channels")
    tensorflow()  # TensorFlow with capped thread pools, before Keras starts it
    import keras

    smooth = np.outer([1.0, 2.0, 1.0], [1.0, 2.0, 1.0]) / 16.0
    conv = keras.layers.Conv2D(channels, 3, padding="same", use_bias=False, name="conv3x3")
    model = keras.Sequential(
        [
            keras.Input((None, None, channels)),
            conv,
            keras.layers.MaxPooling2D(2, name="max_pool_2x2"),
            bilinear_upsampling_layer(2, channels, name="conv_transpose_stride2"),
        ],
        name="conv_pool_upsample",
    )
    conv.set_weights([diagonal_weights(smooth, channels)])
    return model


@dataclass(frozen=True)
class Stage:
    """One step of :func:`run_pipeline`: the layer name and its real output."""

    name: str
    shape: tuple
    image: np.ndarray  # (H, W, C) float32


def run_pipeline(image, model=None):
    """Run an image through :func:`pipeline_model`, keeping every intermediate tensor.

    Parameters
    ----------
    image : ndarray, shape (H, W, C)
        uint8 or float in [0, 1]. Odd sizes are cropped by one pixel so the
        2x2 pool and the stride-2 upsampling restore the size exactly.
    model : keras.Sequential, optional
        Default: a new :func:`pipeline_model`.

    Returns
    -------
    stages : list of Stage
        ``input``, then one per layer; ``shape`` is the real tensor shape
        including the batch axis, e.g. ``(1, 128, 128, 3)``.
    """
    image = check_image(image)
    if image.ndim != 3:
        raise ValueError(f"`image` must be (H, W, C), got shape {image.shape}.")
    h, w = image.shape[0] // 2 * 2, image.shape[1] // 2 * 2
    if h < 2 or w < 2:
        raise ValueError(f"`image` must be at least 2x2 pixels, got {image.shape[:2]}.")
    x = image[:h, :w].astype(np.float32) / (255.0 if image.dtype == np.uint8 else 1.0)
    model = pipeline_model(image.shape[2]) if model is None else model
    x = x[None]
    stages = [Stage("input", tuple(x.shape), x[0])]
    for layer in model.layers:
        x = np.asarray(layer(x, training=False))
        stages.append(Stage(layer.name, tuple(x.shape), x[0]))
    return stages
