"""The patch classifier: one small CNN shared by all patches of a digit.

The network sees one ``p x p`` patch and returns 10 class probabilities;
the four patches of a digit go through it as a batch of 4. Plain Keras
layers only (no Lambda), so the saved model loads with ``safe_mode=True``.
"""

from __future__ import annotations

N_CLASSES = 10


def conv_block(x, filters: int, name: str):
    """Two 3x3 convolutions (batch-normalised, ReLU) and a 2x2 max-pool."""
    from keras import layers

    for i in (1, 2):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{i}")(x)
        x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn{i}")(x)
        x = layers.ReLU(name=f"{name}_relu{i}")(x)
    return layers.MaxPooling2D(2, name=f"{name}_pool")(x)


def build_patch_classifier(patch_size: int, dropout: float = 0.3):
    """A CNN classifying one ``patch_size x patch_size x 1`` patch into 10 digits.

    Two convolution blocks (32 and 64 filters), a 3x3 convolution with 128
    filters, then dropout and one dense softmax layer on the flattened
    features (which keep *where* in the patch a stroke is). About 150k
    weights: well under a megabyte on disk.

    Returns
    -------
    keras.Model
        Input ``(None, p, p, 1)`` in [0, 1]; output ``(None, 10)`` softmax probabilities.
    """
    import keras
    from keras import layers

    inputs = keras.Input((patch_size, patch_size, 1), name="patch")
    x = conv_block(inputs, 32, "block1")
    x = conv_block(x, 64, "block2")
    x = layers.Conv2D(128, 3, padding="same", use_bias=False, name="block3_conv")(x)
    x = layers.BatchNormalization(momentum=0.9, name="block3_bn")(x)
    x = layers.ReLU(name="block3_relu")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(N_CLASSES, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=f"patch_classifier_p{patch_size}")
