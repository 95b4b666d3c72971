"""Upsampling with a transposed convolution initialised as bilinear interpolation.

A transposed convolution with stride ``f`` stamps a weighted copy of its
kernel into the output for every input pixel, every ``f`` output pixels;
overlapping stamps add up. That is the overlap-add the patch engine uses to
merge patches (:mod:`patchlab.patches`): the stamps are kernel-sized
"patches" on the output grid, so :func:`overlap_count` is just
:func:`patchlab.patches.coverage` of that grid.

With the bilinear kernel of size ``2 f - f % 2`` the stamps that reach any
output pixel have weights summing to exactly 1, and the result equals
bilinear interpolation (``tf.image.resize``, half-pixel centres) everywhere
but a thin border. With a kernel size that the stride does not divide, the
number of overlapping stamps alternates from pixel to pixel and, unless the
weights compensate, a checkerboard appears (:func:`checkerboard_strength`).

The package, one concept per module:

- :mod:`~patchlab.upsampling.kernels`: bilinear, box and random kernels,
  the multi-channel weights, their polyphase sums;
- :mod:`~patchlab.upsampling.stamps`: where the stamps land, how many
  overlap, the checkerboard strength of a response;
- :mod:`~patchlab.upsampling.layers`: the Keras layers and running them;
- :mod:`~patchlab.upsampling.pipeline`: the source material's
  convolution -> max-pool -> transposed convolution;
- :mod:`~patchlab.upsampling.patterns`: synthetic test images;
- :mod:`~patchlab.upsampling.figures`: what the page draws (not imported here);
- :mod:`~patchlab.upsampling.demo`: everything the page shows, from its settings.

Layout conventions: images are ``(H, W)`` or ``(H, W, C)`` float arrays in
[0, 1]; 2-D kernels are ``(k, k)``; Keras ``Conv2DTranspose`` kernels are
``(k, k, out_channels, in_channels)``. TensorFlow is imported, through
:func:`patchlab.runtime.tensorflow`, only when a layer is built or run, so
importing this package is cheap.
"""

from patchlab.upsampling.kernels import (
    INITS,
    bilinear_kernel,
    bilinear_weights,
    diagonal_weights,
    kernel_checkerboard_strength,
    kernel_profile,
    kernel_size,
    make_kernel,
    nearest_kernel,
    phase_sums,
    random_kernel,
)
from patchlab.upsampling.layers import (
    METHODS,
    bilinear_upsampling_layer,
    compare_with_resize,
    resize_conv_layer,
    transposed_conv_layer,
    upsample,
)
from patchlab.upsampling.patterns import PATTERNS, pattern_image
from patchlab.upsampling.pipeline import Stage, pipeline_model, run_pipeline
from patchlab.upsampling.stamps import (
    border_widths,
    checkerboard_strength,
    interior,
    overlap_count,
    same_padding,
    stamp_origins,
)

__all__ = [
    "INITS",
    "METHODS",
    "PATTERNS",
    "kernel_size",
    "bilinear_kernel",
    "nearest_kernel",
    "random_kernel",
    "make_kernel",
    "diagonal_weights",
    "bilinear_weights",
    "kernel_profile",
    "phase_sums",
    "kernel_checkerboard_strength",
    "same_padding",
    "border_widths",
    "stamp_origins",
    "overlap_count",
    "interior",
    "checkerboard_strength",
    "transposed_conv_layer",
    "bilinear_upsampling_layer",
    "resize_conv_layer",
    "upsample",
    "compare_with_resize",
    "pattern_image",
    "pipeline_model",
    "Stage",
    "run_pipeline",
]
