"""The Upsampling page's notebook: the bilinear kernel, the transposed convolution, its checkerboards.

Its code cells are PatchLab's own (:mod:`patchlab.upsampling`): the tent and
the kernels, the polyphase sums and the checkerboard strength, the stamps'
overlap count (the patch engine's ``coverage`` on the output grid), the
Keras ``Conv2DTranspose`` set to a kernel, ``tf.image.resize`` for
comparison, and the conv → max-pool → transposed-conv pipeline. The
notebook recomputes what the page showed for the participant's factor,
initialisation, kernel size and input, and compares.
"""

from __future__ import annotations

import numpy as np

from patchlab.notebooks.book import Draft, array_digest, function_source
from patchlab.notebooks.photo import add_photo, photo_packages
from patchlab.patches import api
from patchlab.upsampling import _checks, demo, kernels, layers, patterns, pipeline, stamps

__all__ = ["upsampling_notebook"]

IMPORTS = """import hashlib
import numbers
import os
from dataclasses import dataclass

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow: errors only
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from PIL import Image"""

_NO_RUNTIME = {"    tensorflow()  # TensorFlow with capped thread pools, before Keras starts it\n": ""}

_ANALYSIS = '''\
FACTOR, INIT, SIZE = {factor}, {init!r}, {size}
COUNT_SIDE, RESPONSE_SIDE, CONSTANT_SIDE, EDGE_SIDE = {count_side}, {response_side}, {constant_side}, {edge_side}
kernel = make_kernel(INIT, FACTOR, SIZE)
layer = transposed_conv_layer(kernel, FACTOR, 3)
print(np.round(kernel, 3))

counts = overlap_count((COUNT_SIDE, COUNT_SIDE), SIZE, FACTOR)
inner = interior(counts, SIZE + FACTOR)
small = (RESPONSE_SIDE // FACTOR, RESPONSE_SIDE // FACTOR)
overlap_counts = overlap_count(small, SIZE, FACTOR)
summed_weights = upsample(np.ones(small + (3,), np.float32), "transposed", FACTOR, layer)[:, :, 0]
strength = kernel_checkerboard_strength(kernel, FACTOR)
print("stamps overlapping in the interior:", inner.min(), "to", inner.max())
print("divides evenly:", SIZE % FACTOR == 0, "| the kernel's checkerboard strength:", round(strength, 3))
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
axes[0].imshow(overlap_counts, cmap="magma"); axes[0].set_title("stamps per output pixel")
axes[1].imshow(summed_weights, cmap="magma"); axes[1].set_title("output for a constant image of 1")
plt.show()
'''

_METHODS = '''\
k = kernel_size(FACTOR)
methods = [
    ("Nearest (tf.image.resize)", "nearest", None),
    ("Bilinear (tf.image.resize)", "bilinear", None),
    (f"Transposed conv, bilinear init, {{k}}x{{k}}", "transposed", transposed_conv_layer(make_kernel("bilinear", FACTOR, k), FACTOR, 3)),
    (f"Transposed conv, random init, {{SIZE}}x{{SIZE}}", "transposed", transposed_conv_layer(make_kernel("random", FACTOR, SIZE), FACTOR, 3)),
    (f"Resize, then convolve with that random {{SIZE}}x{{SIZE}}", "resize_conv", resize_conv_layer(make_kernel("random", FACTOR, SIZE), 3)),
    ("Transposed conv, your kernel", "transposed", layer),
]
constant = np.full((CONSTANT_SIDE, CONSTANT_SIDE, 3), 0.5, np.float32)
margin = max(SIZE, kernel_size(FACTOR)) + FACTOR
strengths = []
fig, axes = plt.subplots(2, 3, figsize=(13, 9))
for ax, (label, method, lay) in zip(axes.flat, methods):
    strengths.append(round(checkerboard_strength(upsample(constant, method, FACTOR, lay), margin), 4))
    ax.imshow(np.clip(upsample(image, method, FACTOR, lay), 0, 1), interpolation="nearest")
    ax.set_title(f"{{label}}\\ncheckerboard {{strengths[-1]:g}}", fontsize=9); ax.axis("off")
plt.show()

cmp = compare_with_resize(image, FACTOR)
bilinear = transposed_conv_layer(make_kernel("bilinear", FACTOR, k), FACTOR, 3)
edge_weight = float(upsample(np.ones((EDGE_SIDE, EDGE_SIDE, 3), np.float32), "transposed", FACTOR,
                             bilinear)[0, EDGE_SIDE // 2 * FACTOR, 0])
print(f"interior: max |transposed conv - resize| = {{cmp['interior_max']:.1e}}")
print(f"on the {{cmp['border'][0]}}-pixel border: {{cmp['border_max']:.3f}}; weight reaching the top edge {{edge_weight:.3g}}")
'''


def _page_numbers(result, image):
    return {
        "input fingerprint": array_digest(image),
        "kernel": np.asarray(result.kernel).tolist(),
        "stamps overlapping in the interior (min, max)": list(result.overlap_range),
        "kernel size divides evenly by the stride": bool(result.divides_evenly),
        "kernel's checkerboard strength": float(result.kernel_strength),
        "overlap count fingerprint": array_digest(np.asarray(result.overlap_counts, np.int64)),
        "summed weights": np.asarray(result.summed_weights, np.float64).tolist(),
        "checkerboard strength of the six methods": [row["checkerboard strength"] for row in result.strengths],
        "interior: max |transposed conv - resize|": float(result.interior_max),
        "border: max |transposed conv - resize|": float(result.border_max),
        "border width": int(result.border_width),
        "weight reaching the top edge": float(result.edge_weight),
        "pipeline shapes": result.pipeline_shapes.splitlines(),
    }


def upsampling_notebook(result, today=None):
    """The take-home notebook of the Upsampling page.

    Parameters
    ----------
    result : patchlab.upsampling.demo.UpsamplingResult
        What :func:`~patchlab.upsampling.demo.analyse` returned; its
        ``settings`` name the input (a sample photo or a test pattern).
    today : datetime.date, optional

    Returns
    -------
    Download
        A lone ``.ipynb``: the photo is read from its package by name, a
        pattern is drawn by the notebook.

    Examples
    --------
    The page's call, after ``result = analyse(settings, image)``:

    >>> download = upsampling_notebook(result)  # doctest: +SKIP
    """
    s = result.settings
    image = np.asarray(demo.input_image(s))
    pipeline_name = s.photo if s.source == "photo" else demo.PIPELINE_PHOTO
    packages = sorted(set(photo_packages(s.photo if s.source == "photo" else None) + photo_packages(pipeline_name)))
    what = f"the photo *{s.photo}*" if s.source == "photo" else f"the test pattern *{s.pattern}*"
    draft = Draft("Upsampling", f"f{s.factor} {s.init} k{s.size} {s.input_name}",
                  ["numpy", "pillow", "matplotlib", "tensorflow", "keras", *packages],
                  f"""# Upsampling: your session

A **transposed convolution** with stride *f* enlarges an image by *f*: every input pixel stamps a copy of the
kernel, weighted by its value, every *f* output pixels, and overlapping stamps add up — the overlap-add that
merges patches. Your settings: factor **{s.factor}**, **{demo.INIT_LABELS[s.init].lower()}** kernel of size
**{s.size}**, input {what} ({demo.INPUT_SIDE}×{demo.INPUT_SIDE} pixels).""")
    draft.markdown("**What the page showed**: the stamps of five input pixels, and the six upsampled pictures.",
                   [(result.stamps_alt, result.stamps_png)] + [(p.label, p.picture) for p in result.pictures])
    draft.code(IMPORTS, intro="The libraries.")
    draft.record(_page_numbers(result, image), {
        "kernel": 1e-9, "kernel's checkerboard strength": 1e-9, "summed weights": 1e-5,
        "checkerboard strength of the six methods": 1e-4, "interior: max |transposed conv - resize|": 1e-5,
        "border: max |transposed conv - resize|": 1e-5, "weight reaching the top edge": 1e-5},
        "The kernel, the overlap counts, the checkerboard strengths and the comparison with `tf.image.resize`.")
    if s.source == "photo":
        add_photo(draft, (image * 255).round().astype(np.uint8), s.photo, demo.INPUT_SIDE)
        draft.code("image = photo.astype(np.float32) / 255.0")
    else:
        draft.code("import hashlib\n\n" + function_source(array_digest))
        draft.code(function_source(_checks.whole, patterns.pattern_image) + f"\n\nimage = pattern_image({s.pattern!r}, "
                   f"{demo.INPUT_SIDE}, 3)\nprint(image.shape, 'fingerprint', array_digest(image))",
                   intro=f"**The input**: the test pattern *{s.pattern}*, drawn as the page draws it.")
    draft.code(function_source(_checks.whole, _checks.check_factor, _checks.check_kernel, _checks.check_image,
                               api.tent, kernels.kernel_size, kernels._tent_1d, kernels.bilinear_kernel,
                               kernels.nearest_kernel, kernels.random_kernel, kernels.make_kernel,
                               kernels.diagonal_weights, kernels.phase_sums, kernels.kernel_checkerboard_strength),
               intro=("## 1 · The kernels\n\nThe bilinear kernel for a factor *f* is the outer product of a 1-D "
                      "tent of size 2*f* − (*f* mod 2). Stamped every *f* pixels, the taps reaching any one "
                      "pixel (a *polyphase component*) sum to exactly 1, so a constant image stays constant. "
                      "The box (nearest-neighbour) and random kernels are scaled to the same total."))
    draft.code("EDGES = ('valid', 'pad', 'shift')\n\n" + function_source(
        api._pair, api._image_shape, api._check_edge, api._check_geometry, api._geometry, api.patch_origins,
        api._padded_length, api._summed_1d, api.coverage),
        intro=("## 2 · Stamps and their overlaps\n\nThe stamps of an *n*-pixel input are kernel-sized patches "
               "every *f* pixels on the full output grid, so how many overlap at each pixel is the patch "
               "engine's `coverage` (its code, with its argument checks, first), cropped to what "
               "`padding='same'` keeps."))
    draft.code(function_source(stamps.same_padding, stamps.border_widths, stamps.overlap_count, stamps.interior,
                               stamps.checkerboard_strength))
    draft.code(function_source(layers.transposed_conv_layer, layers.bilinear_upsampling_layer,
                               layers.resize_conv_layer, layers.upsample, layers.compare_with_resize,
                               replace={**_NO_RUNTIME, "    tf = tensorflow()\n": ""})
               + '\n\nMETHODS = ("nearest", "bilinear", "transposed", "resize_conv")',
               intro=("## 3 · The layers\n\nA Keras `Conv2DTranspose` with stride *f*, `padding='same'` and no "
                      "bias, set to the kernel with channel *i* mapping only to channel *i*; and "
                      "*resize-then-convolve*, a nearest resize followed by a stride-1 convolution."))
    draft.code(_ANALYSIS.format(factor=s.factor, init=s.init, size=s.size, count_side=demo.COUNT_SIDE,
                                response_side=demo.RESPONSE_SIDE, constant_side=demo.CONSTANT_SIDE,
                                edge_side=demo.EDGE_SIDE),
               intro="## 4 · Your kernel and its stamps")
    draft.code(_METHODS.format(), intro=(
        "## 5 · Six ways to upsample\n\nEach method enlarges your input; its *checkerboard strength* is "
        "(max − min) / max of a constant grey image upsampled the same way, away from the border. In the "
        "interior the bilinear transposed convolution *is* `tf.image.resize(..., 'bilinear')`."))
    draft.code(function_source(pipeline.pipeline_model, pipeline.Stage, pipeline.run_pipeline, replace=_NO_RUNTIME),
               intro=("## 6 · Convolution → 2×2 max-pool → stride-2 transposed convolution\n\nThe source "
                      "material's pipeline: a 3×3 smoothing convolution keeps the size, the max-pool halves it, a "
                      "bilinear-initialised transposed convolution restores it."))
    add_photo(draft, np.asarray(demo._pipeline_photo(pipeline_name)), pipeline_name, demo.PIPELINE_SIDE,
              variable="pipeline_photo", words="the pipeline's photo", define_digest=False)
    draft.code("""
        stages = run_pipeline(pipeline_photo)
        fig, axes = plt.subplots(1, len(stages), figsize=(4 * len(stages), 4))
        for ax, stage in zip(axes, stages):
            ax.imshow(np.clip(stage.image, 0, 1)); ax.set_title(f"{stage.name} {stage.shape}"); ax.axis("off")
        plt.show()
        """)
    if result.pipeline_pictures:
        draft.markdown("**What the page showed**: the pipeline's real tensors.",
                       [(p.caption, p.picture) for p in result.pipeline_pictures])
    draft.code("""
        OURS = {
            "input fingerprint": array_digest(image),
            "kernel": kernel.tolist(),
            "stamps overlapping in the interior (min, max)": [int(inner.min()), int(inner.max())],
            "kernel size divides evenly by the stride": SIZE % FACTOR == 0,
            "kernel's checkerboard strength": strength,
            "overlap count fingerprint": array_digest(overlap_counts.astype(np.int64)),
            "summed weights": np.asarray(summed_weights, np.float64).tolist(),
            "checkerboard strength of the six methods": strengths,
            "interior: max |transposed conv - resize|": cmp["interior_max"],
            "border: max |transposed conv - resize|": cmp["border_max"],
            "border width": int(cmp["border"][0]),
            "weight reaching the top edge": edge_weight,
            "pipeline shapes": [f"{s.name:<24} {s.shape}" for s in stages],
        }
        """, intro="## 7 · The notebook's numbers")
    draft.compare()
    return draft.finish(today)
