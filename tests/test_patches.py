"""Unit and property tests of the patch engine (patchlab.patches)."""

from __future__ import annotations

import doctest
import threading
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patchlab.patches import _kernels, _merge, api
from patchlab.patches import (
    EDGES,
    WINDOWS,
    coverage,
    grid_shape,
    patch_origins,
    patchify,
    tent,
    unpatchify,
    unpatchify_reference,
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
        m.setattr(_merge, "_FORCED_THREADS", 2)
        threaded = unpatchify(patches, shape, stride, window=window, edge="shift")
    with monkeypatch_module.context() as m:  # numba missing: the pure-NumPy fallback
        m.setattr(_kernels, "AVAILABLE", False)
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
    result = doctest.testmod(api, optionflags=doctest.NORMALIZE_WHITESPACE)
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


def test_one_thread_unless_the_merge_is_large_and_a_core_is_idle(monkeypatch):
    monkeypatch.setattr(_merge, "_THREADS", 2)
    monkeypatch.setattr(_merge, "_CORES", 2)
    monkeypatch.setattr(_merge, "_FORCED_THREADS", None)
    big, values, bands = 1 << 30, 1 << 20, 64
    monkeypatch.setattr(_merge, "_runnable_tasks", lambda: 1)  # only this thread runs
    assert _merge.choose_threads(10, values, bands) == 1  # small merges stay on one thread
    assert _merge.choose_threads(_merge._PARALLEL_BYTES - 1, values, bands) == 1
    assert _merge.choose_threads(big, _merge._PARALLEL_VALUES - 1, bands) == 1  # a small output
    assert _merge.choose_threads(big, values, 7) == 1  # too few bands to share
    assert _merge.choose_threads(big, values, bands) == 2
    monkeypatch.setattr(_merge, "_runnable_tasks", lambda: 2)  # the other core is busy
    assert _merge.choose_threads(big, values, bands) == 1
    monkeypatch.setattr(_merge, "_runnable_tasks", lambda: None)  # no way to tell
    assert _merge.choose_threads(big, values, bands) == 1
    with _merge.forced_threads(2):
        assert _merge.choose_threads(10, 1, 1) == 2
    assert _merge._FORCED_THREADS is None


def test_runnable_tasks_reads_this_machine():
    runnable = _merge._runnable_tasks()
    assert runnable is None or runnable >= 1  # at least this thread is running


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


# --------------------------------------------------------------------------
# the reference merge, the batch axis and out=
# --------------------------------------------------------------------------
def loop_merge(patches, shape, stride, window, edge):
    """Overlap-add written out pixel by pixel, independent of the engine's merge."""
    h, w = shape[:2]
    ph, pw = patches.shape[2:4]
    big_h = max(h, reference_origins(h, ph, stride[0], edge)[-1] + ph)
    big_w = max(w, reference_origins(w, pw, stride[1], edge)[-1] + pw)
    total = np.zeros((big_h, big_w) + patches.shape[4:])
    weight = np.zeros((big_h, big_w))
    wy, wx = window_1d(window, ph), window_1d(window, pw)
    for i, oy in enumerate(reference_origins(h, ph, stride[0], edge)):
        for j, ox in enumerate(reference_origins(w, pw, stride[1], edge)):
            for y in range(ph):
                for x in range(pw):
                    total[oy + y, ox + x] += wy[y] * wx[x] * patches[i, j, y, x]
                    weight[oy + y, ox + x] += wy[y] * wx[x]
    covered = weight > 0
    image = np.zeros_like(total)
    image[covered] = total[covered] / (weight[covered][:, None] if total.ndim == 3 else weight[covered])
    return image[:h, :w]


@settings(max_examples=40, deadline=None)
@given(
    geometry=geometries(max_side=24),
    edge=st.sampled_from(EDGES),
    window=st.sampled_from(WINDOWS),
    seed=st.integers(0, 2**32 - 1),
)
def test_reference_merge_matches_a_pixel_loop_on_arbitrary_patches(geometry, edge, window, seed):
    shape, patch, stride = geometry
    grid = grid_shape(shape, patch, stride, edge=edge)
    patches = random_image(grid + tuple(patch) + shape[2:], np.float64, seed)  # not cut from any image
    np.testing.assert_allclose(unpatchify_reference(patches, shape, stride, window, edge),
                               loop_merge(patches, shape, stride, window, edge), rtol=1e-10, atol=1e-9)


@PROPERTY
@given(
    geometry=geometries(),
    dtype=st.sampled_from([np.float32, np.float64, np.uint8, np.int16]),
    edge=st.sampled_from(EDGES),
    window=st.sampled_from(WINDOWS),
    layout=st.sampled_from(["C", "F", "negative"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_unpatchify_matches_the_reference_merge_on_arbitrary_patches(geometry, dtype, edge, window,
                                                                     layout, seed):
    shape, patch, stride = geometry
    grid = grid_shape(shape, patch, stride, edge=edge)
    patches = as_layout(random_image(grid + tuple(patch) + shape[2:], dtype, seed), layout)
    merged = unpatchify(patches, shape, stride, window=window, edge=edge)
    expected = unpatchify_reference(patches, shape, stride, window=window, edge=edge)
    assert merged.shape == expected.shape == shape
    np.testing.assert_allclose(merged, expected, **tolerance(dtype))


@PROPERTY
@given(
    geometry=geometries(max_side=24),
    n_images=st.integers(1, 4),
    dtype=st.sampled_from([np.float32, np.float64, np.uint8]),
    edge=st.sampled_from(EDGES),
    window=st.sampled_from(WINDOWS),
    layout=st.sampled_from(["view", "C", "F", "negative"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_a_batch_gives_what_each_image_gives_alone(geometry, n_images, dtype, edge, window, layout, seed):
    shape, patch, stride = geometry
    images = random_image((n_images,) + shape, dtype, seed)
    patches = patchify(images, patch, stride, edge=edge, batch=True)
    alone = [patchify(image, patch, stride, edge=edge) for image in images]
    assert patches.shape == (n_images,) + alone[0].shape
    assert not patches.flags.writeable
    for b in range(n_images):
        np.testing.assert_array_equal(patches[b], alone[b])
    if edge == "valid":
        assert np.shares_memory(patches, images)

    if dtype != np.uint8:  # what a model returns: changed patches, so the merge really averages
        patches = patches + random_image(patches.shape, dtype, seed + 1)
    if layout == "negative":  # reversed along the grid rows, so each image's patches are too
        patches = np.ascontiguousarray(patches[:, ::-1])[:, ::-1]
    else:
        patches = as_layout(patches, layout)
    merged = unpatchify(patches, images.shape, stride, window=window, edge=edge, batch=True)
    assert merged.shape == images.shape
    for b in range(n_images):
        single = unpatchify(patches[b], shape, stride, window=window, edge=edge)
        np.testing.assert_array_equal(merged[b], single)


@PROPERTY
@given(
    geometry=geometries(max_side=24),
    n_images=st.sampled_from([None, 1, 3]),
    dtype=st.sampled_from([np.float32, np.float64, np.uint8]),
    edge=st.sampled_from(EDGES),
    window=st.sampled_from(WINDOWS),
    seed=st.integers(0, 2**32 - 1),
)
def test_out_is_written_in_place_with_the_same_result(geometry, n_images, dtype, edge, window, seed):
    shape, patch, stride = geometry
    batch = n_images is not None
    if batch:
        shape = (n_images,) + shape
    patches = patchify(random_image(shape, dtype, seed), patch, stride, edge=edge, batch=batch)
    fresh = unpatchify(patches, shape, stride, window=window, edge=edge, batch=batch)
    out = np.full(shape, np.nan, fresh.dtype)  # stale contents must not leak through
    result = unpatchify(patches, shape, stride, window=window, edge=edge, batch=batch, out=out)
    assert result is out
    np.testing.assert_array_equal(out, fresh)


def test_colour_batch_shapes_follow_the_contract():
    images = np.random.default_rng(5).random((16, 64, 64, 3), dtype=np.float32)
    p = patchify(images, 32, 16, batch=True)
    assert p.shape == (16, 3, 3, 32, 32, 3)
    merged = unpatchify(p, images.shape, 16, batch=True)
    assert merged.shape == (16, 64, 64, 3) and merged.dtype == np.float32
    np.testing.assert_allclose(merged, images, rtol=1e-6)
    gray = images[..., 0]  # (B, H, W) only with batch=True; without, 3-D is one colour image
    assert patchify(gray, 32, 16, batch=True).shape == (16, 3, 3, 32, 32)
    assert patchify(gray, 8, 8).shape == (2, 8, 8, 8, 64)  # one 16x64 image with 64 channels
    assert coverage(images.shape, 32, 16, batch=True).shape == (64, 64)
    assert weight_map(images.shape, 32, 16, batch=True).shape == (64, 64)
    assert grid_shape(images.shape, 32, 16, batch=True) == (3, 3)


def test_numpy_path_handles_batches(monkeypatch):
    images = np.random.default_rng(6).random((3, 21, 17, 3))
    patches = patchify(images, (6, 5), (4, 3), edge="shift", batch=True)
    expected = unpatchify(patches, images.shape, (4, 3), "hann", "shift", batch=True)
    monkeypatch.setattr(_kernels, "AVAILABLE", False)
    plain = unpatchify(patches, images.shape, (4, 3), "hann", "shift", batch=True)
    np.testing.assert_allclose(plain, expected, rtol=1e-12)
    np.testing.assert_allclose(plain, images, rtol=1e-12)


def test_batch_merge_on_two_threads_matches_one(monkeypatch):
    images = np.random.default_rng(8).random((5, 40, 33, 3), dtype=np.float32)
    patches = np.ascontiguousarray(patchify(images, 8, 4, batch=True)) * 2
    with _merge.forced_threads(1):
        one = unpatchify(patches, images.shape, 4, "tent", batch=True)
    with _merge.forced_threads(2):
        two = unpatchify(patches, images.shape, 4, "tent", batch=True)
    np.testing.assert_array_equal(one, two)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda p, o: unpatchify(p, (10, 10), 2, out=np.empty((10, 11), np.float32)), "`out` must have shape"),
        (lambda p, o: unpatchify(p, (10, 10), 2, out=np.empty((10, 10), np.float64)), "dtype float32"),
        (lambda p, o: unpatchify(p, (10, 10), 2, out=np.empty((10, 20), np.float32)[:, ::2]), "C-contiguous"),
        (lambda p, o: unpatchify(p, (10, 10), 2, out=o), "writable"),
        (lambda p, o: unpatchify(p, (10, 10), 2, out=[[0.0] * 10] * 10), "NumPy array"),
        (lambda p, o: unpatchify(p, (10, 10), 2, out=p.reshape(-1)[:100].reshape(10, 10)), "share memory"),
        (lambda p, o: unpatchify(p[None], (2, 10, 10), 2, batch=True, out=np.empty((2, 10, 10), np.float32)),
         "batch of 1 images"),
        (lambda p, o: patchify(np.zeros((2, 10, 10, 3)), 4, 2), "batch=True"),
        (lambda p, o: patchify(np.zeros((10, 10)), 4, 2, batch=True), "`image`"),
        (lambda p, o: coverage((2, 10, 10, 3), 4, 2), "batch=True"),
        (lambda p, o: unpatchify(p, (1, 10, 10), 2), "`patches`"),
    ],
)
def test_bad_out_and_batch_arguments_say_what_is_wrong(call, message):
    patches = np.zeros((4, 4, 4, 4), np.float32)
    read_only = np.empty((10, 10), np.float32)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        call(patches, read_only)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("vectors", range(1, 7))
@pytest.mark.parametrize("edge", EDGES)
def test_rows_of_a_fixed_number_of_vectors_merge_like_the_reference(dtype, vectors, edge):
    # Whole patches whose rows are 1 to 4 full vectors take the fixed-length adders of
    # merge_simd (longer rows: the general loop); grayscale rows of `vectors` vectors and
    # colour rows (3 channels) of `vectors` or 3 * `vectors` vectors. Clipped last patches
    # (edge='pad') fall back to the general loop.
    lanes = _kernels.VECTOR_BYTES // np.dtype(dtype).itemsize
    for channels in (1, 3):
        pw = vectors * lanes // channels if vectors * lanes % channels == 0 else vectors * lanes
        shape = (37, 3 * pw + 5) + ((channels,) if channels == 3 else ())
        stride = (5, max(1, pw // 4))
        assert not _merge.row_sweep(stride[1] * channels, pw * channels, np.dtype(dtype).itemsize)
        grid = grid_shape(shape, (9, pw), stride, edge=edge)
        patches = random_image(grid + (9, pw) + shape[2:], dtype, vectors * 10 + channels)
        merged = unpatchify(patches, shape, stride, edge=edge)
        expected = unpatchify_reference(patches, shape, stride, edge=edge)
        np.testing.assert_allclose(merged, expected, **tolerance(dtype))
