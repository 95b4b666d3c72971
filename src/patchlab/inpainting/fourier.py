"""Fast Fourier convolution: a layer whose every output pixel sees the whole feature map.

A U-Net's receptive field is local: the middle of a large square hole is
filled from what a few convolutions can reach. LaMa (Suvorov et al.,
"Resolution-robust large mask inpainting with Fourier convolutions",
WACV 2022) widens it to the whole image at small cost: take the 2-D
Fourier transform of a feature map, apply a 1x1 convolution to its
stacked real and imaginary parts, and transform back. A 1x1 convolution
in the frequency domain mixes every frequency of every channel, which in
the spatial domain is a filter as large as the map.

- :class:`FourierUnit` is that layer: real FFT over the two spatial axes
  (``tf.signal.rfft2d``, orthonormal scaling), a 1x1 convolution with
  ReLU on ``[real, imag]``, inverse real FFT to the input's size. It is a
  registered Keras layer, so a model holding it saves and loads with
  ``keras.models.load_model(path, safe_mode=True)`` (no Lambda layer).
- :func:`fourier_block` is LaMa's residual fast-Fourier-convolution block
  in a small form: half the channels go through a local 3x3 convolution,
  half through the :class:`FourierUnit` (with its own input added back,
  as in LaMa's spectral transform), and a 1x1 convolution merges them
  into a correction added to the block's input. That last convolution
  starts at zero, so a new block is the identity and can be added to a
  trained network without changing what it computes.

The transform runs in float32 whatever the layer's dtype policy (FFTs
need it); under ``mixed_bfloat16`` the result is cast back.
"""

from __future__ import annotations

import keras
from keras import layers

from patchlab import runtime

__all__ = ["FourierUnit", "fourier_block"]


@keras.saving.register_keras_serializable(package="patchlab")
class FourierUnit(layers.Layer):
    """A 1x1 convolution in the frequency domain (LaMa's Fourier unit).

    Parameters
    ----------
    filters : int
        Output channels.

    Input ``(batch, H, W, C)``; output ``(batch, H, W, filters)``, any H
    and W (the transform is taken at the input's own size).

    Notes
    -----
    With ``X = rfft2d(x)`` (orthonormal, ``H x (W // 2 + 1)`` frequencies
    per channel), the unit computes ``irfft2d(relu([Re X, Im X] @ kernel +
    bias))``: the kernel is ``(2 C, 2 filters)``, so it costs what a 1x1
    convolution of ``2 C`` channels does, and each output pixel depends on
    every input pixel.
    """

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        if int(filters) < 1:
            raise ValueError(f"`filters` must be at least 1, got {filters}.")
        self.filters = int(filters)

    def build(self, input_shape):
        channels = int(input_shape[-1])
        # float32 even under mixed precision: the frequency mixing runs in float32 with the FFT
        self.kernel = self.add_weight(shape=(2 * channels, 2 * self.filters), name="kernel",
                                      initializer="he_normal", autocast=False)
        self.bias = self.add_weight(shape=(2 * self.filters,), name="bias", initializer="zeros",
                                    autocast=False)

    def call(self, x):
        tf = runtime.tensorflow()
        x = tf.cast(x, tf.float32)
        shape = tf.shape(x)
        size = tf.cast(shape[1] * shape[2], tf.float32)
        channels_first = tf.transpose(x, [0, 3, 1, 2])  # rfft2d transforms the last two axes
        spectrum = tf.signal.rfft2d(channels_first) / tf.cast(tf.sqrt(size), tf.complex64)
        stacked = tf.concat([tf.math.real(spectrum), tf.math.imag(spectrum)], axis=1)
        stacked = tf.transpose(stacked, [0, 2, 3, 1])  # (B, H, W//2+1, 2C)
        mixed = tf.nn.relu(tf.tensordot(stacked, self.kernel, axes=1) + self.bias)
        real, imag = tf.split(tf.transpose(mixed, [0, 3, 1, 2]), 2, axis=1)
        spectrum = tf.complex(real, imag) * tf.cast(tf.sqrt(size), tf.complex64)
        y = tf.signal.irfft2d(spectrum, fft_length=shape[1:3])
        return tf.cast(tf.transpose(y, [0, 2, 3, 1]), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}


def fourier_block(x, name):
    """A residual fast-Fourier-convolution block: ``x + merge([local(x), spectral(x)])``.

    Parameters
    ----------
    x : KerasTensor, (batch, H, W, C)
        C at least 2.
    name : str
        Prefix of the block's layer names (``{name}_local``, ``{name}_reduce``,
        ``{name}_fourier``, ``{name}_merge``, ...).

    Returns
    -------
    y : KerasTensor, the shape of ``x``
        Exactly ``x`` while ``{name}_merge`` is zero, as it starts.
    """
    channels = int(x.shape[-1])
    if channels < 2:
        raise ValueError(f"`x` needs at least 2 channels for a Fourier block, got {channels}.")
    half = channels // 2
    local = layers.Conv2D(half, 3, padding="same", activation="relu", kernel_initializer="he_normal",
                          name=f"{name}_local")(x)
    reduced = layers.Conv2D(half, 1, activation="relu", kernel_initializer="he_normal",
                            name=f"{name}_reduce")(x)
    spectral = FourierUnit(half, name=f"{name}_fourier")(reduced)
    spectral = layers.Add(name=f"{name}_spectral")([reduced, spectral])
    both = layers.Concatenate(name=f"{name}_concat")([local, spectral])
    correction = layers.Conv2D(channels, 1, kernel_initializer="zeros", name=f"{name}_merge")(both)
    return layers.Add(name=f"{name}_add")([x, correction])
