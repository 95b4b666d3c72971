"""Bilinear kernels, transposed-convolution upsampling and where checkerboards come from."""

import numpy as np
import pytest

from patchlab import upsampling as up
from patchlab.upsampling import figures
from patchlab.patches import coverage, tent

FACTORS = (1, 2, 3, 4)


# --------------------------------------------------------------------------
# an independent reference: transposed convolution by explicit stamping
# --------------------------------------------------------------------------
def full_stamps(image, kernel, stride):
    """The full transposed-convolution output, before any crop, written as loops.

    Input pixel ``(i, j)`` adds ``image[i, j] * kernel`` at ``(i * stride, j * stride)``;
    the result is ``((h - 1) * stride + k, (w - 1) * stride + k)``.
    """
    h, w = image.shape
    k = kernel.shape[0]
    full = np.zeros(((h - 1) * stride + k, (w - 1) * stride + k))
    for i in range(h):
        for j in range(w):
            full[i * stride: i * stride + k, j * stride: j * stride + k] += image[i, j] * kernel
    return full


def stamp_reference(image, kernel, stride):
    """Transposed convolution, 'same' padding as TensorFlow, written as loops."""
    h, w = image.shape
    k = kernel.shape[0]
    full = full_stamps(image, kernel, stride)
    before = max(k - stride, 0) // 2
    out = np.zeros((h * stride, w * stride))
    crop = full[before: before + h * stride, before: before + w * stride]
    out[: crop.shape[0], : crop.shape[1]] = crop
    return out


def count_reference(shape, k, stride):
    return stamp_reference(np.ones(shape), np.ones((k, k)), stride).round().astype(int)


# --------------------------------------------------------------------------
# kernels
# --------------------------------------------------------------------------
def test_kernel_size():
    assert [up.kernel_size(f) for f in (1, 2, 3, 4, 5)] == [1, 4, 5, 8, 9]


def test_bilinear_kernel_known_values():
    np.testing.assert_allclose(up.bilinear_kernel(1), [[1.0]])
    t2 = np.array([0.25, 0.75, 0.75, 0.25])
    np.testing.assert_allclose(up.bilinear_kernel(2), np.outer(t2, t2))
    t3 = np.array([1, 2, 3, 2, 1]) / 3
    np.testing.assert_allclose(up.bilinear_kernel(3), np.outer(t3, t3))
    t4 = np.array([1, 3, 5, 7, 7, 5, 3, 1]) / 8
    np.testing.assert_allclose(up.bilinear_kernel(4), np.outer(t4, t4))


@pytest.mark.parametrize("factor", FACTORS)
def test_bilinear_kernel_symmetry_and_sums(factor):
    k = up.bilinear_kernel(factor)
    assert k.shape == (up.kernel_size(factor),) * 2
    np.testing.assert_allclose(k, k.T)  # symmetric about the diagonal
    np.testing.assert_allclose(k, k[::-1, ::-1])  # and about the centre
    np.testing.assert_allclose(k, np.outer(tent(k.shape[0]), tent(k.shape[0])))
    assert np.all(k > 0)
    np.testing.assert_allclose(k.sum(), factor**2)  # n stamps add f**2 per input pixel
    # each polyphase component sums to 1: stamps every f pixels add up to 1 exactly
    np.testing.assert_allclose(up.phase_sums(k, factor), np.ones((factor, factor)))
    assert up.kernel_checkerboard_strength(k, factor) == 0.0


@pytest.mark.parametrize("factor", FACTORS)
def test_stamps_of_a_constant_image_sum_to_the_constant(factor):
    c, n = 0.3, 7
    kernel = up.bilinear_kernel(factor)
    k = kernel.shape[0]
    # before the crop: the full output, stamped independently of the library's geometry
    full = full_stamps(np.full((n, n), c), kernel, factor)
    assert full.shape == ((n - 1) * factor + k,) * 2
    # every pixel that all of its stamps reach (from k - f on) receives exactly the constant ...
    np.testing.assert_allclose(full[k - factor: n * factor, k - factor: n * factor], c)
    if factor > 1:  # ... and the pixels at the ends of the full grid, which miss stamps, receive less
        assert full[0, 0] < c and full[-1, -1] < c and full[k - factor - 1, n * factor // 2] < c
    # total mass before the crop: nothing is lost, every input pixel adds f**2 times its value
    assert full.sum() == pytest.approx(c * n * n * factor**2, rel=1e-12)
    # after the crop: the layer's 'same' output is exactly the full output cropped by same_padding ...
    layer = up.bilinear_upsampling_layer(factor, 1)
    out = up.upsample(np.full((n, n), c, np.float32), "transposed", factor, layer)
    before, after = up.same_padding(k, factor)
    assert before + n * factor + after == full.shape[0]
    np.testing.assert_allclose(out, full[before: before + n * factor, before: before + n * factor], atol=1e-6)
    # ... whose interior, away from the borders border_widths names, is the constant
    np.testing.assert_allclose(up.interior(out, up.border_widths(k, factor)), c, atol=1e-6)


def test_bilinear_kernel_other_sizes():
    np.testing.assert_allclose(up.bilinear_kernel(2, size=3)[1], [0.5, 1.0, 0.5])
    # a tent of the wrong size no longer sums evenly: a (weak) checkerboard
    assert up.kernel_checkerboard_strength(up.bilinear_kernel(4, size=6), 4) > 0.1
    # size 3 at stride 2 is uneven in counts (1, 2) but even in weights
    assert up.kernel_checkerboard_strength(up.bilinear_kernel(2, size=3), 2) == 0.0


def test_nearest_and_random_kernels():
    np.testing.assert_array_equal(up.nearest_kernel(3), np.ones((3, 3)))
    for size in (2, 3, 5):
        assert up.nearest_kernel(2, size).sum() == pytest.approx(4.0)
        r = up.random_kernel(2, size, seed=3)
        assert r.shape == (size, size) and np.all(r > 0)
        assert r.sum() == pytest.approx(4.0)
    np.testing.assert_array_equal(up.random_kernel(3, seed=7), up.random_kernel(3, seed=7))
    assert not np.allclose(up.random_kernel(3, seed=7), up.random_kernel(3, seed=8))
    assert up.make_kernel("nearest", 2).shape == (2, 2)
    assert up.make_kernel("bilinear", 3).shape == (5, 5)


def test_kernel_profile():
    np.testing.assert_allclose(up.kernel_profile(up.bilinear_kernel(3), 3), tent(5))
    np.testing.assert_allclose(up.kernel_profile(up.nearest_kernel(2), 2), [1.0, 1.0])


def test_diagonal_weights_do_not_mix_channels():
    w = up.diagonal_weights(up.bilinear_kernel(2), 3)
    assert w.shape == (4, 4, 3, 3) and w.dtype == np.float32
    for i in range(3):
        for j in range(3):
            expected = up.bilinear_kernel(2) if i == j else 0
            np.testing.assert_allclose(w[:, :, i, j], expected)
    np.testing.assert_array_equal(up.bilinear_weights(2, 3), w)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: up.kernel_size(0), "factor"),
        (lambda: up.kernel_size(2.5), "factor"),
        (lambda: up.bilinear_weights(2, 0), "channels"),
        (lambda: up.make_kernel("cubic", 2), "init"),
        (lambda: up.bilinear_kernel(2, size=0), "size"),
        (lambda: up.phase_sums(np.ones((2, 3)), 2), "kernel"),
        (lambda: up.overlap_count((4, 4), 0, 2), "kernel_size"),
        (lambda: up.overlap_count((4, 4), 3, 0), "stride"),
        (lambda: up.overlap_count((4,), 3, 2), "input_shape"),
        (lambda: up.upsample(np.zeros((4, 4)), "cubic", 2), "method"),
        (lambda: up.upsample(np.zeros((4, 4)), "transposed", 2), "layer"),
        (lambda: up.upsample(np.zeros(4), "nearest", 2), "image"),
        (lambda: up.interior(np.zeros((4, 4)), 2), "border"),
        (lambda: up.pattern_image("stripes"), "name"),
        (lambda: figures.pixelate(np.zeros((2, 2)), 0), "scale"),
    ],
)
def test_argument_checks_name_the_argument(call, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        call()


# --------------------------------------------------------------------------
# geometry: overlap counts with the patch engine's coverage
# --------------------------------------------------------------------------
@pytest.mark.parametrize("stride", FACTORS)
@pytest.mark.parametrize("k", range(1, 10))
def test_overlap_count_matches_explicit_stamping(k, stride):
    shape = (5, 7)
    counts = up.overlap_count(shape, k, stride)
    assert counts.shape == (5 * stride, 7 * stride)
    np.testing.assert_array_equal(counts, count_reference(shape, k, stride))


def test_overlap_count_is_coverage_on_the_output_grid():
    # no padding to crop when k == stride: exactly the patch engine's coverage
    np.testing.assert_array_equal(up.overlap_count((4, 6), 2, 2), coverage((8, 12), 2, 2))
    np.testing.assert_array_equal(up.overlap_count((4, 6), 2, 2), np.ones((8, 12), int))


@pytest.mark.parametrize("stride", (2, 3, 4))
@pytest.mark.parametrize("k", range(1, 13))
def test_overlap_count_uniform_iff_stride_divides_kernel(k, stride):
    counts = up.overlap_count((16, 16), k, stride)
    inner = up.interior(counts, k + stride)
    if k % stride == 0:
        assert np.all(inner == (k // stride) ** 2)
    else:
        assert inner.min() != inner.max()  # a checkerboard
        lo, hi = k // stride, k // stride + 1  # per axis; the 2-D count is a product
        assert set(np.unique(inner).tolist()) == {lo * lo, lo * hi, hi * hi}


def test_border_widths_and_stamp_origins():
    assert [up.border_widths(up.kernel_size(f), f) for f in FACTORS] == [(0, 0), (1, 1), (1, 1), (2, 2)]
    assert up.same_padding(3, 2) == (0, 1)
    np.testing.assert_array_equal(up.stamp_origins(4, 5, 3), [-1, 2, 5, 8])


# --------------------------------------------------------------------------
# Keras layers
# --------------------------------------------------------------------------
@pytest.mark.parametrize("factor", FACTORS)
def test_bilinear_layer_reproduces_tf_image_resize_in_the_interior(factor):
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(factor)
    image = rng.random((11, 14, 3)).astype(np.float32)
    layer = up.bilinear_upsampling_layer(factor, 3)
    assert layer.strides == (factor, factor) and layer.padding == "same" and not layer.use_bias
    assert layer.kernel_size == (up.kernel_size(factor),) * 2
    out = np.asarray(layer(image[None], training=False))[0]
    ref = tf.image.resize(image[None], (11 * factor, 14 * factor), "bilinear").numpy()[0]
    assert out.shape == ref.shape == (11 * factor, 14 * factor, 3)
    border = up.border_widths(up.kernel_size(factor), factor)
    assert np.abs(up.interior(out, border) - up.interior(ref, border)).max() < 1e-5
    if factor > 1:  # the border is exactly where they differ: the stamps from outside are missing
        assert np.abs(out[0] - ref[0]).max() > 1e-3
        assert np.abs(out[-1] - ref[-1]).max() > 1e-3
        assert np.all(out[0, border[0]:-border[1]] < ref[0, border[0]:-border[1]] + 1e-6)


def test_compare_with_resize_reports_interior_and_border():
    image = np.random.default_rng(0).random((20, 20, 3)).astype(np.float32)
    result = up.compare_with_resize(image, 3)
    assert result["interior_max"] < 1e-5
    assert result["border_max"] > 0.05
    assert result["border"] == (1, 1)


@pytest.mark.parametrize("factor", (2, 3))
@pytest.mark.parametrize("init", up.INITS)
@pytest.mark.parametrize("size", (2, 3, 4, 5))
def test_layer_is_stamping_and_strength_matches_phase_sums(factor, init, size):
    kernel = up.make_kernel(init, factor, size, seed=1)
    layer = up.transposed_conv_layer(kernel, factor, 1)
    image = np.random.default_rng(2).random((6, 5)).astype(np.float32)
    out = up.upsample(image, "transposed", factor, layer)
    np.testing.assert_allclose(out, stamp_reference(image, kernel, factor), atol=1e-5)
    flat = up.upsample(np.ones((16, 16), np.float32), "transposed", factor, layer)
    measured = up.checkerboard_strength(flat, size + factor)
    assert measured == pytest.approx(up.kernel_checkerboard_strength(kernel, factor), abs=1e-5)
    if init == "nearest":  # the box kernel's response is the overlap count
        np.testing.assert_allclose(flat, up.overlap_count((16, 16), size, factor) * kernel[0, 0], atol=1e-5)


def test_checkerboard_from_uneven_kernel_and_none_from_resize_then_convolve():
    kernel = up.random_kernel(2, 3, seed=0)
    flat = np.full((16, 16, 3), 0.5, np.float32)
    tconv = up.upsample(flat, "transposed", 2, up.transposed_conv_layer(kernel, 2, 3))
    resized = up.upsample(flat, "resize_conv", 2, up.resize_conv_layer(kernel, 3))
    assert up.checkerboard_strength(tconv, 5) > 0.1
    assert up.checkerboard_strength(resized, 5) < 1e-6
    for method in ("nearest", "bilinear"):
        assert up.checkerboard_strength(up.upsample(flat, method, 3), 4) < 1e-6


def test_upsample_keeps_channels_apart_and_handles_gray_and_uint8():
    image = np.zeros((6, 6, 3), np.float32)
    image[..., 1] = 1.0
    out = up.upsample(image, "transposed", 2, up.bilinear_upsampling_layer(2, 3))
    assert np.all(out[..., 0] == 0) and np.all(out[..., 2] == 0) and out[..., 1].max() > 0.9
    gray = up.upsample(np.full((5, 5), 255, np.uint8), "bilinear", 3)
    assert gray.shape == (15, 15) and np.allclose(gray, 1.0)


def test_pipeline_restores_the_size(tmp_path):
    keras = pytest.importorskip("keras")
    photo = (np.random.default_rng(0).random((31, 40, 3)) * 255).astype(np.uint8)
    model = up.pipeline_model(3)
    stages = up.run_pipeline(photo, model)
    assert [s.name for s in stages] == ["input", "conv3x3", "max_pool_2x2", "conv_transpose_stride2"]
    assert [s.shape for s in stages] == [(1, 30, 40, 3), (1, 30, 40, 3), (1, 15, 20, 3), (1, 30, 40, 3)]
    assert all(s.image.shape == s.shape[1:] for s in stages)
    path = tmp_path / "pipeline.keras"
    model.save(path)
    again = keras.models.load_model(path, safe_mode=True)
    x = stages[0].image[None]
    np.testing.assert_allclose(np.asarray(again(x)), np.asarray(model(x)), atol=1e-6)


def test_pattern_image_and_pixelate():
    for name in up.PATTERNS:
        img = up.pattern_image(name, 16, 3)
        assert img.shape == (16, 16, 3) and img.dtype == np.float32
        assert 0.0 <= img.min() and img.max() <= 1.0
    assert np.all(up.pattern_image("constant", 8) == 0.5)
    big = figures.pixelate(up.pattern_image("ramp", 8), 3)
    assert big.shape == (24, 24, 3)
    np.testing.assert_array_equal(big[::3, ::3], up.pattern_image("ramp", 8))


def test_figures_render():
    stamps = figures.stamps_figure(up.bilinear_kernel(3), 3)
    heat = figures.annotated_heatmap_figure(up.bilinear_kernel(2), "kernel")
    assert len(stamps.axes) == 2 and len(heat.axes) == 1
    # one annotation per kernel value
    assert len(heat.axes[0].texts) == 16


# --------------------------------------------------------------------------
# the package: examples that run, and TensorFlow only when a layer is needed
# --------------------------------------------------------------------------
@pytest.mark.parametrize("module", ["kernels", "stamps", "patterns", "figures", "demo"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    mod = importlib.import_module(f"patchlab.upsampling.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    if module not in ("patterns",):  # patterns has no examples
        assert result.attempted > 0


def test_importing_the_package_its_demo_and_figures_does_not_import_tensorflow():
    import subprocess
    import sys

    code = ("import sys; from patchlab.upsampling import bilinear_weights, kernel_size; "
            "import patchlab.upsampling.demo, patchlab.upsampling.figures; "
            "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"
