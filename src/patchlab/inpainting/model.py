"""The inpainting networks: the tutorial's autoencoder and PatchLab's U-Net.

``seed``
    The tutorial's convolutional autoencoder with skip connections,
    reproduced layer for layer: 3x3 *valid* convolutions 32, 32 -> max-pool
    -> 64, 64 -> max-pool -> 128, 128 -> max-pool -> two 1x1 convolutions
    of 256 -> three times: 2x upsampling, concatenation with the matching
    encoder map, two 3x3 transposed convolutions (128, 128 / 64, 64 /
    32, 3). LeakyReLU(0.2) after every layer, ReLU on the output. Input:
    the photo with the hole zeroed, 228x228 (any side ``8 k + 4`` works).

``unet``
    What the page uses. The mask is the 4th input channel; 'same' padding
    (inputs padded to a multiple of :data:`STRIDE`, cropped after);
    decoder upsampling by transposed convolutions initialised as bilinear
    interpolation (:func:`patchlab.upsampling.bilinear_weights`); the
    network predicts a correction to a smooth first guess of the hole
    (:mod:`patchlab.inpainting.prefill`),
    and its output is composited so that known pixels pass through
    unchanged. Optional blocks at the bottleneck widen what the middle of
    a large hole sees: dilated residual blocks (:func:`context_block`)
    and LaMa's fast Fourier convolution blocks
    (:func:`patchlab.inpainting.fourier.fourier_block`, whose layer is
    registered with Keras).

Both are plain Keras functional models (no Lambda layers), so they load
with ``keras.models.load_model(path, safe_mode=True)``.
"""

from __future__ import annotations

import keras
from keras import layers

from patchlab.inpainting.fourier import fourier_block
from patchlab.upsampling import bilinear_weights, kernel_size

__all__ = ["ARCHS", "STRIDE", "build_unet", "build_seed", "build_model", "encoder_block", "context_block"]

ARCHS = ("unet", "seed")
#: Total downsampling of the U-Net: inputs are padded to a multiple of it.
STRIDE = 16


# --------------------------------------------------------------------------
# the U-Net
# --------------------------------------------------------------------------
def conv_block(x, filters, name):
    """Two 3x3 'same' convolutions with ReLU, He-initialised (so deep layers still learn)."""
    for k in (1, 2):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu",
                          kernel_initializer="he_normal", name=f"{name}_conv{k}")(x)
    return x


def encoder_block(x, filters, name):
    """A conv block, kept for the skip connection, then 2x max-pooling."""
    skip = conv_block(x, filters, name)
    return layers.MaxPooling2D(2, name=f"{name}_pool")(skip), skip


def context_block(x, dilation, name):
    """A residual pair of dilated 3x3 convolutions: ``x + conv(relu(conv(x)))``.

    At the bottleneck (1/16 of the image) a dilation of 4 lets one 3x3
    convolution see 144 px of a photo, so the middle of a 56-px hole gets
    evidence from well beyond its rim. The second convolution starts at
    zero, so a new block is the identity and can be added to a trained
    network without changing what it computes.
    """
    filters = x.shape[-1]
    y = layers.Conv2D(filters, 3, padding="same", dilation_rate=dilation, activation="relu",
                      kernel_initializer="he_normal", name=f"{name}_conv1")(x)
    y = layers.Conv2D(filters, 3, padding="same", dilation_rate=dilation,
                      kernel_initializer="zeros", name=f"{name}_conv2")(y)
    return layers.Add(name=f"{name}_add")([x, y])


def bilinear_upsampling(x, name):
    """A 2x transposed convolution, to be initialised as bilinear interpolation.

    Its kernel is set by :func:`init_bilinear` once the model is built;
    it stays trainable.
    """
    channels = x.shape[-1]
    return layers.Conv2DTranspose(
        channels, kernel_size(2), strides=2, padding="same", use_bias=False,
        name=f"{name}_upsample",
    )(x)


def decoder_block(x, skip, filters, name):
    """Upsample 2x, concatenate the encoder's map, two convolutions."""
    x = bilinear_upsampling(x, name)
    x = layers.Concatenate(name=f"{name}_concat")([x, skip])
    return conv_block(x, filters, name)


def init_bilinear(model):
    """Set every ``*_upsample`` transposed convolution to bilinear 2x upsampling."""
    for layer in model.layers:
        if isinstance(layer, layers.Conv2DTranspose) and layer.name.endswith("_upsample"):
            factor = layer.strides[0]
            layer.kernel.assign(bilinear_weights(factor, layer.filters))
    return model


def build_unet(widths=(16, 32, 64, 96, 128), context_blocks=0, fourier_blocks=0, name="inpainting_unet"):
    """The U-Net inpainter.

    Parameters
    ----------
    widths : sequence of int, optional
        Filters of each encoder level, the last being the bottleneck; there
        are ``len(widths) - 1`` 2x downsamplings (4 by default, so
        ``STRIDE = 16``). The default keeps the weights near 5 MB.
    context_blocks : int, optional
        Residual dilated blocks (:func:`context_block`, dilations 2, 4, 2,
        4, ...) after the bottleneck, widening what the middle of a large
        hole sees. 0 (the default) is the original network.
    fourier_blocks : int, optional
        Residual fast Fourier convolution blocks
        (:func:`~patchlab.inpainting.fourier.fourier_block`) after the
        context blocks: every pixel of the bottleneck then sees the whole
        tile. They start as the identity. 0 (the default) adds none.

    Inputs
    ------
    image : (batch, H, W, 3) float32 in [0, 1]
        The photo with the hole already given a first guess
        (one of :data:`patchlab.inpainting.prefill.PREFILLS`; the model card
        records which the model was trained with).
    mask : (batch, H, W, 1) float32
        1 where pixels are missing. H and W must be multiples of
        ``2 ** (len(widths) - 1)``.

    Returns
    -------
    model : keras.Model
        Output ``image + mask * correction``: known pixels unchanged.
    """
    widths = [int(w) for w in widths]
    if len(widths) < 2 or min(widths) < 1:
        raise ValueError(f"`widths` needs at least two positive filter counts, got {widths}.")
    if int(context_blocks) < 0:
        raise ValueError(f"`context_blocks` must be 0 or more, got {context_blocks}.")
    if int(fourier_blocks) < 0:
        raise ValueError(f"`fourier_blocks` must be 0 or more, got {fourier_blocks}.")
    depth = len(widths) - 1
    image = keras.Input((None, None, 3), name="image")
    mask = keras.Input((None, None, 1), name="mask")
    centred = layers.Rescaling(1.0, offset=-0.5, name="centre")(image)
    x = layers.Concatenate(name="image_and_mask")([centred, mask])

    skips = []
    for level in range(depth):
        x, skip = encoder_block(x, widths[level], f"enc{level}")
        skips.append(skip)
    x = conv_block(x, widths[depth], "bottleneck")
    for i in range(int(context_blocks)):
        x = context_block(x, 2 if i % 2 == 0 else 4, f"context{i}")
    for i in range(int(fourier_blocks)):
        x = fourier_block(x, f"fourier{i}")
    for level in reversed(range(depth)):
        x = decoder_block(x, skips[level], widths[level], f"dec{level}")

    correction = layers.Conv2D(3, 1, kernel_initializer="zeros", name="correction")(x)
    hole_correction = layers.Multiply(name="only_in_hole")([mask, correction])
    output = layers.Add(name="composite")([image, hole_correction])
    model = keras.Model({"image": image, "mask": mask}, output, name=name)
    return init_bilinear(model)


# --------------------------------------------------------------------------
# the tutorial's network
# --------------------------------------------------------------------------
def _leaky(x, name):
    return layers.LeakyReLU(negative_slope=0.2, name=name)(x)


def build_seed(name="inpainting_seed"):
    """The tutorial's autoencoder, layer for layer (see the module docstring).

    Input ``masked_image`` (batch, H, W, 3) in [0, 1] with the hole zeroed;
    H and W of the form ``8 k + 4`` (the tutorial used 228). The output has
    the input's size.
    """
    masked = keras.Input((None, None, 3), name="masked_image")
    x = masked
    skips = []
    for i, filters in enumerate((32, 64, 128)):
        x = _leaky(layers.Conv2D(filters, 3, padding="valid", name=f"enc{i}_conv1")(x), f"enc{i}_act1")
        x = _leaky(layers.Conv2D(filters, 3, padding="valid", name=f"enc{i}_conv2")(x), f"enc{i}_act2")
        skips.append(x)
        x = layers.MaxPooling2D(2, name=f"enc{i}_pool")(x)
    x = _leaky(layers.Conv2D(256, 1, name="bottleneck_conv1")(x), "bottleneck_act1")
    x = _leaky(layers.Conv2D(256, 1, name="bottleneck_conv2")(x), "bottleneck_act2")
    for i, filters in zip((2, 1, 0), ((128, 128), (64, 64), (32, 3))):
        x = layers.UpSampling2D(2, name=f"dec{i}_upsample")(x)
        x = layers.Concatenate(name=f"dec{i}_concat")([x, skips[i]])
        x = _leaky(layers.Conv2DTranspose(filters[0], 3, padding="valid", name=f"dec{i}_deconv1")(x),
                   f"dec{i}_act1")
        x = layers.Conv2DTranspose(filters[1], 3, padding="valid", name=f"dec{i}_deconv2")(x)
        x = layers.ReLU(name="output_relu")(x) if i == 0 else _leaky(x, f"dec{i}_act2")
    return keras.Model(masked, x, name=name)


def build_model(arch="unet", **kwargs):
    """Build ``'unet'`` or ``'seed'``."""
    if arch == "unet":
        return build_unet(**kwargs)
    if arch == "seed":
        return build_seed(**kwargs)
    raise ValueError(f"`arch` must be one of {', '.join(ARCHS)}; got {arch!r}.")
