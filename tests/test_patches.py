"""Unit and property tests of the patch engine (patchlab.patches)."""

from __future__ import annotations

import doctest
import threading
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import patchlab.patches as engine
from patchlab.patches import (
    EDGES,
    WINDOWS,
    coverage,
    grid_shape,
    patch_origins,
    patchify,
    tent,
    unpatchify,
    weight_map,
    window_1d,
)

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------
# an independent reference: origins, coverage and window sums by brute force
# --------------------------------------------------------------------------
def reference_origins(length, patch, stride, edge):
    """Patch starts along one axis, written out from the edge-policy rules."""
    if edge == "pad":
        starts = [0]
        while starts[-1] + patch < length:  # keep adding until the image is covered
            starts.append(starts[-1] + stride)
        return starts
    starts = list(range(0, length - patch + 1, stride))
    if edge == "shift" and starts[-1] + patch < length:
        starts.append(length - patch)
    return starts


def brute_force_sums(shape, patch, stride, edge, window="uniform"):
    """Loop over every patch origin, adding its 2-D window into place."""
    h, w = shape[:2]
    ys = reference_origins(h, patch[0], stride[0], edge)
    xs = reference_origins(w, patch[1], stride[1], edge)
    w2 = np.outer(window_1d(window, patch[0]), window_1d(window, patch[1]))
    big = np.zeros((max(h, ys[-1] + patch[0]), max(w, xs[-1] + patch[1])))
    count = np.zeros_like(big, dtype=np.int64)
    for oy in ys:
        for ox in xs:
            big[oy:oy + patch[0], ox:ox + patch[1]] += w2
            count[oy:oy + patch[0], ox:ox + patch[1]] += 1
    return count[:h, :w], big[:h, :w], (len(ys), len(xs))


def padded_reference(image, patch, stride):
    h, w = image.shape[:2]
    ys = reference_origins(h, patch[0], stride[0], "pad")
    xs = reference_origins(w, patch[1], stride[1], "pad")
    pad = [(0, ys[-1] + patch[0] - h), (0, xs[-1] + patch[1] - w)] + [(0, 0)] * (image.ndim - 2)
    return np.pad(image, pad, mode="symmetric")


# --------------------------------------------------------------------------
# random geometries
# --------------------------------------------------------------------------
@st.composite
def geometries(draw, max_side=36):
    h = draw(st.integers(1, max_side))
    w = draw(st.integers(1, max_side))
    patch = (draw(st.integers(1, h)), draw(st.integers(1, w)))  # non-square, up to the image
    stride = (draw(st.integers(1, 14)), draw(st.integers(1, 14)))  # may exceed the patch
    channels = draw(st.sampled_from([None, 1, 3]))
    shape = (h, w) if channels is None else (h, w, channels)
    return shape, patch, stride


def random_image(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "u":
        return rng.integers(0, 256, size=shape).astype(dtype)
    return (rng.standard_normal(shape) * 50).astype(dtype)


def as_layout(patches, layout):
    """The same patch values in another memory layout (never the module's business)."""
    if layout == "view":
        return patches
    if layout == "C":
        return np.ascontiguousarray(patches)
    if layout == "F":
        return np.asfortranarray(patches)
    if layout == "negative":  # same values, reversed memory order along the grid rows
        return np.ascontiguousarray(patches[::-1])[::-1]
    raise AssertionError(layout)


def tolerance(dtype):
    return dict(rtol=1e-5, atol=1e-9) if dtype == np.float64 else dict(rtol=1e-4, atol=2e-3)


# --------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------
@PROPERTY
@given(
    geometry=geometries(),
    dtype=st.sampled_from([np.float32, np.float64, np.uint8]),
    edge=st.sampled_from(EDGES),
    window=st.sampled_from(WINDOWS),
    layout=st.sampled_from(["view", "C", "F", "negative"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_unmodified_patches_reconstruct_every_covered_pixel(geometry, dtype, edge, window, layout, seed):
    shape, patch, stride = geometry
    image = random_image(shape, dtype, seed)
    patches = as_layout(patchify(image, patch, stride, edge=edge), layout)
    merged = unpatchify(patches, shape, stride, window=window, edge=edge)

    assert merged.shape == shape
    assert merged.dtype == (np.float64 if dtype == np.float64 else np.float32)
    assert np.all(np.isfinite(merged))
    covered = coverage(shape, patch, stride, edge=edge) > 0
    if edge != "valid" and stride[0] <= patch[0] and stride[1] <= patch[1]:
        assert covered.all()  # pad/shift reach the far edges; only gaps between patches remain
    np.testing.assert_allclose(merged[covered], image[covered].astype(np.float64), **tolerance(dtype))
    assert np.all(merged[~covered] == 0)


@PROPERTY
@given(geometry=geometries(), edge=st.sampled_from(EDGES), window=st.sampled_from(WINDOWS))
def test_coverage_and_weights_match_a_brute_force_loop(geometry, edge, window):
    shape, patch, stride = geometry
    count, window_sum, grid = brute_force_sums(shape, patch, stride, edge, window)
    cov = coverage(shape, patch, stride, edge=edge)
    assert cov.shape == shape[:2]
    np.testing.assert_array_equal(cov, count)
    assert grid_shape(shape, patch, stride, edge=edge) == grid

    weights = weight_map(shape, patch, stride, window=window, edge=edge)
    assert weights.shape == shape[:2] and np.all(np.isfinite(weights))
    covered = count > 0
    np.testing.assert_allclose(weights[covered] * window_sum[covered], 1.0, rtol=1e-10)
    assert np.all(weights[~covered] == 0)
    if window == "uniform":
        np.testing.assert_allclose(weights[covered], 1.0 / count[covered], rtol=1e-12)


@PROPERTY
@given(
    geometry=geometries(),
    edge=st.sampled_from(EDGES),
    dtype=st.sampled_from([np.float32, np.uint8]),
    seed=st.integers(0, 2**32 - 1),
)
def test_patchify_is_a_read_only_grid_of_the_right_slices(geometry, edge, dtype, seed):
    shape, patch, stride = geometry
    image = random_image(shape, dtype, seed)
    p = patchify(image, patch, stride, edge=edge)
    ys = reference_origins(shape[0], patch[0], stride[0], edge)
    xs = reference_origins(shape[1], patch[1], stride[1], edge)

    assert p.shape == (len(ys), len(xs)) + tuple(patch) + shape[2:]
    assert p.dtype == image.dtype
    assert not p.flags.writeable
    with pytest.raises(ValueError):
        p[(0,) * p.ndim] = 1
    if edge == "valid":
        assert p.shape[:2] == ((shape[0] - patch[0]) // stride[0] + 1,
                               (shape[1] - patch[1]) // stride[1] + 1)
        assert np.shares_memory(p, image)
    source = padded_reference(image, patch, stride) if edge == "pad" else image
    for i in {0, len(ys) - 1, len(ys) // 2}:
        for j in {0, len(xs) - 1, len(xs) // 2}:
            expected = source[ys[i]:ys[i] + patch[0], xs[j]:xs[j] + patch[1]]
            np.testing.assert_array_equal(p[i, j], expected)
    if edge == "valid":  # the design's formula for a regular grid
        i, j = len(ys) - 1, len(xs) - 1
        np.testing.assert_array_equal(
            p[i, j], image[i * stride[0]:i * stride[0] + patch[0], j * stride[1]:j * stride[1] + patch[1]]
        )


@settings(max_examples=25, deadline=None)
@given(
    geometry=geometries(max_side=60),
    window=st.sampled_from(WINDOWS),
    dtype=st.sampled_from([np.float32, np.float64, np.uint8]),
    seed=st.integers(0, 2**32 - 1),
)
def test_threaded_and_numpy_paths_agree_with_the_default(geometry, window, dtype, seed, monkeypatch_module):
    shape, patch, stride = geometry
    image = random_image(shape, dtype, seed)
    patches = patchify(image, patch, stride, edge="shift")
    expected = unpatchify(patches, shape, stride, window=window, edge="shift")

    with monkeypatch_module.context() as m:  # bands shared out between 2 threads, however small
        m.setattr(engine, "_FORCED_THREADS", 2)
        threaded = unpatchify(patches, shape, stride, window=window, edge="shift")
    with monkeypatch_module.context() as m:  # numba missing: the pure-NumPy fallback
        m.setattr(engine, "_numba", None)
        plain = unpatchify(patches, shape, stride, window=window, edge="shift")
    np.testing.assert_allclose(threaded, expected, **tolerance(dtype))
    np.testing.assert_allclose(plain, expected, **tolerance(dtype))
    assert plain.dtype == expected.dtype == threaded.dtype


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as m:
        yield m


# --------------------------------------------------------------------------
# unit tests
# --------------------------------------------------------------------------
def test_module_doctests_pass():
    result = doctest.testmod(engine, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 10
    assert result.failed == 0


def test_classic_question_geometry():
    image = np.random.default_rng(0).random((100, 100), dtype=np.float32)
    p = patchify(image, 39, 1)
    assert p.shape == (62, 62, 39, 39)  # 3,844 patches
    assert p.shape[0] * p.shape[1] == 3844
    np.testing.assert_array_equal(p.reshape(-1, 39, 39)[0], image[:39, :39])  # C order
    np.testing.assert_allclose(unpatchify(p, image.shape, 1), image, rtol=1e-4, atol=1e-5)  # float32 sums of 1,521 terms
    assert coverage(image.shape, 39, 1).max() == 39 * 39


def test_colour_and_gray_share_the_same_geometry():
    rgb = np.random.default_rng(1).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    p = patchify(rgb, (5, 7), (3, 4))
    assert p.shape == (6, 6, 5, 7, 3)
    merged = unpatchify(p, rgb.shape, (3, 4), window="tent")
    covered = coverage(rgb.shape, (5, 7), (3, 4)) > 0
    np.testing.assert_allclose(merged[covered], rgb[covered], atol=1e-3)


def test_patch_equal_to_the_image_is_one_patch():
    image = np.arange(12.0).reshape(3, 4)
    for edge in EDGES:
        p = patchify(image, (3, 4), 5, edge=edge)
        assert p.shape == (1, 1, 3, 4)
        np.testing.assert_array_equal(unpatchify(p, image.shape, 5, edge=edge), image)


def test_stride_beyond_the_patch_leaves_gaps_of_zeros():
    image = np.ones((10, 10), np.float32)
    merged = unpatchify(patchify(image, 2, 4), image.shape, 4)
    assert merged[0, 0] == 1 and merged[2, 2] == 0 and merged[4, 4] == 1
    assert coverage(image.shape, 2, 4)[2, 2] == 0
    assert weight_map(image.shape, 2, 4)[2, 2] == 0


def test_pad_and_shift_cover_the_whole_image():
    for edge in ("pad", "shift"):
        assert coverage((10, 13), 4, 4, edge=edge).min() >= 1
    assert list(patch_origins(10, 4, 4, "shift")) == [0, 4, 6]
    assert list(patch_origins(10, 4, 4, "pad")) == [0, 4, 8]


def test_unpatchify_reads_a_view_in_place_without_copying_it():
    image = np.random.default_rng(2).random((256, 256), dtype=np.float32)
    view = patchify(image, 32, 1)  # 225 x 225 x 32 x 32: 207 MB if it were copied
    unpatchify(view, image.shape, 1)  # compile/warm up outside the measurement
    tracemalloc.start()
    try:
        merged = unpatchify(view, image.shape, 1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * image.nbytes  # the output and small bookkeeping only
    np.testing.assert_allclose(merged, image, rtol=1e-4)


def test_concurrent_calls_from_several_threads_are_correct():
    rng = np.random.default_rng(3)
    cases = [rng.random((96, 80, 3), dtype=np.float32) for _ in range(4)]
    errors = []

    def work(image):
        for window in WINDOWS:
            merged = unpatchify(patchify(image, 16, 4), image.shape, 4, window=window)
            if not np.allclose(merged, image, rtol=1e-4, atol=1e-5):
                errors.append(window)

    threads = [threading.Thread(target=work, args=(image,)) for image in cases]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_unsupported_dtypes_fall_back_and_stay_correct():
    image = np.random.default_rng(4).random((12, 9)).astype(np.float16)
    merged = unpatchify(patchify(image, 4, 2), image.shape, 2, window="hann")
    assert merged.dtype == np.float32
    covered = coverage(image.shape, 4, 2) > 0
    np.testing.assert_allclose(merged[covered], image[covered].astype(np.float32), rtol=1e-3)


@pytest.mark.parametrize("name", WINDOWS)
def test_windows_are_strictly_positive_and_at_most_one(name):
    for size in range(1, 65):
        w = window_1d(name, size)
        assert w.shape == (size,)
        assert np.all(w > 0), (name, size)
        assert w.max() <= 1.0 + 1e-12
        if size % 2 == 1:
            assert w.max() == pytest.approx(1.0)
        np.testing.assert_allclose(w, w[::-1])  # symmetric


@pytest.mark.parametrize("factor", range(1, 9))
def test_tent_is_the_bilinear_upsampling_kernel(factor):
    size = 2 * factor - factor % 2
    k = tent(size)
    center = (size - 1) / 2
    np.testing.assert_allclose(k, 1 - np.abs(np.arange(size) - center) / factor)
    # as a transposed convolution with stride `factor` it interpolates linearly:
    # a constant stays constant and a ramp stays a ramp, away from the borders
    for signal in (np.ones(12), np.arange(12.0)):
        out = np.zeros(12 * factor + size)
        for i, v in enumerate(signal):
            out[i * factor:i * factor + size] += v * k
        interior = out[2 * size:-2 * size]
        if signal[0] == signal[1]:
            np.testing.assert_allclose(interior, 1.0)
        else:
            np.testing.assert_allclose(np.diff(interior, 2), 0.0, atol=1e-12)
    assert tent(4).tolist() == [0.25, 0.75, 0.75, 0.25]
    assert tent(3).tolist() == [0.5, 1.0, 0.5]


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: patchify(np.zeros((5, 5)), 6, 1), "patch_size"),
        (lambda: patchify(np.zeros((5, 5)), (2, 6), 1), "patch_size"),
        (lambda: patchify(np.zeros((5, 5)), 0, 1), "patch_size"),
        (lambda: patchify(np.zeros((5, 5)), 2.5, 1), "patch_size"),
        (lambda: patchify(np.zeros((5, 5)), (2, 2, 2), 1), "patch_size"),
        (lambda: patchify(np.zeros((5, 5)), True, 1), "patch_size"),
        (lambda: patchify(np.zeros((5, 5)), 2, 0), "stride"),
        (lambda: patchify(np.zeros((5, 5)), 2, (1, -1)), "stride"),
        (lambda: patchify(np.zeros(5), 2, 1), "image"),
        (lambda: patchify(np.zeros((5, 5, 3, 2)), 2, 1), "image"),
        (lambda: patchify(np.zeros((5, 5)), 2, 1, edge="wrap"), "edge"),
        (lambda: coverage((5, 5), 2, 1, edge="nope"), "edge"),
        (lambda: coverage((5,), 2, 1), "image_shape"),
        (lambda: coverage((5, 5), 7, 1), "patch_size"),
        (lambda: weight_map((5, 5), 2, 1, window="box"), "window"),
        (lambda: weight_map((5, 5), 2, 0), "stride"),
        (lambda: unpatchify(np.zeros((4, 4, 2, 2)), (6, 6), 1), "patches"),
        (lambda: unpatchify(np.zeros((4, 4, 2, 2)), (5, 5, 3), 1), "patches"),
        (lambda: unpatchify(np.zeros((4, 4, 2, 2, 3)), (5, 5, 1), 1), "channels"),
        (lambda: unpatchify(np.zeros((4, 4, 2, 2)), (5, 5), 1, window="box"), "window"),
        (lambda: unpatchify(np.zeros((4, 4, 2, 2)), (5, 5), 1, edge="nope"), "edge"),
        (lambda: unpatchify(np.zeros((4, 4, 2, 2)), (5, 5), 0), "stride"),
        (lambda: unpatchify(np.zeros((4, 4, 6, 6)), (5, 5), 1), "patch_size"),
        (lambda: window_1d("box", 3), "window"),
        (lambda: window_1d("hann", 0), "size"),
        (lambda: tent(0), "size"),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_argument(call, argument):
    with pytest.raises(ValueError, match=f"`?{argument}`?"):
        call()


def test_thread_count_follows_the_faster_recent_timing(monkeypatch):
    monkeypatch.setattr(engine, "_THREADS", 2)
    monkeypatch.setattr(engine, "_FORCED_THREADS", None)
    plan = engine._merge_plan((64, 64), (8, 8), (4, 4), "valid", "uniform", "f")._replace(
        timing={"calls": 0, 1: None, 2: None}
    )
    big = 1 << 30
    assert engine._pick_threads(plan, 10) == 1  # small merges stay on one thread
    assert engine._pick_threads(plan, big) == 1  # then each count is tried once
    engine._record_time(plan, 1, 1.0)
    assert engine._pick_threads(plan, big) == 2
    engine._record_time(plan, 2, 0.5)
    picks = [engine._pick_threads(plan, big) for _ in range(16)]
    assert picks.count(2) == 14 and picks.count(1) == 2  # the faster, re-trying the other
    for _ in range(20):  # the machine gets busy: two threads become slow
        engine._record_time(plan, 2, 3.0)
    assert [engine._pick_threads(plan, big) for _ in range(7)].count(1) >= 6


@pytest.mark.parametrize("cmap", ["viridis", "magma"])
def test_colorize_matches_matplotlib_colour_maps(cmap):
    """The uint8 colour table gives exactly what matplotlib's colour map gives, NaN included."""
    from matplotlib import colormaps

    from patchlab.visualize import colorize

    values = np.random.default_rng(7).normal(size=(37, 53))
    values[0, 0], values[1, 1], values[2, 2] = np.nan, 5.0, -5.0  # NaN, above and below the range
    got = colorize(values, cmap, vmin=-1.0, vmax=1.0)
    want = (colormaps[cmap](np.clip((values + 1.0) / 2.0, 0.0, 1.0))[..., :3] * 255).astype(np.uint8)
    np.testing.assert_array_equal(got, want)
    masked = colorize(values, cmap, vmin=-1.0, vmax=1.0, mask=np.isnan(values))
    assert tuple(masked[0, 0]) == (225, 225, 225)
