"""What the Upsampling page shows, computed without Streamlit: settings, analyse() and the figures."""

import re

import numpy as np
import pytest

from patchlab import upsampling as up
from patchlab.upsampling import demo, figures
from patchlab.upsampling.demo import Settings, analyse, clamp_settings, input_image

pytest.importorskip("tensorflow")


def stamped_ones(shape, kernel, stride):
    """The 'same' transposed convolution of an image of ones, by explicit stamping (TensorFlow's crop)."""
    h, w = shape
    k = kernel.shape[0]
    full = np.zeros(((h - 1) * stride + k, (w - 1) * stride + k))
    for i in range(h):
        for j in range(w):
            full[i * stride: i * stride + k, j * stride: j * stride + k] += kernel
    before = max(k - stride, 0) // 2
    out = np.zeros((h * stride, w * stride))
    crop = full[before: before + h * stride, before: before + w * stride]
    out[: crop.shape[0], : crop.shape[1]] = crop
    return out


@pytest.fixture(scope="module")
def default():
    settings = Settings()
    return analyse(settings, input_image(settings))


# --------------------------------------------------------------------------
# settings
# --------------------------------------------------------------------------
def test_settings_defaults_are_the_pages_first_view():
    s = Settings()
    assert (s.factor, s.init, s.custom_size, s.source, s.photo) == (2, "bilinear", None, "photo", "astronaut")
    assert s.size == s.recommended_size == 4
    assert s.input_name == "astronaut"
    assert Settings(source="pattern", pattern="disc").input_name == "disc"
    assert Settings(factor=3, init="nearest").size == 3
    assert Settings(factor=3, custom_size=7).size == 7


@pytest.mark.parametrize("kwargs, name", [
    ({"init": "cubic"}, "init"),
    ({"source": "webcam"}, "source"),
    ({"pattern": "stripes"}, "pattern"),
    ({"photo": ""}, "photo"),
    ({"factor": 2.5}, "factor"),
    ({"factor": 0}, "factor"),
    ({"custom_size": 0}, "custom_size"),
    ({"custom_size": True}, "custom_size"),
])
def test_settings_reject_what_the_page_cannot_show_naming_the_field(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        Settings(**kwargs)


@pytest.mark.parametrize("factor", (2, 3, 4))
def test_recommended_kernel_size_and_slider_default(factor):
    assert demo.recommended_kernel_size(factor, "bilinear") == (2 * factor - factor % 2, "2f − f % 2")
    assert demo.recommended_kernel_size(factor, "random") == (2 * factor - factor % 2, "2f − f % 2")
    assert demo.recommended_kernel_size(factor, "nearest") == (factor, "f")
    assert demo.custom_size_default(factor, "bilinear") == 2 * factor - factor % 2 + 1
    assert demo.custom_size_default(factor, "nearest") == factor + 1
    assert demo.custom_size_default(6, "bilinear") == demo.MAX_KERNEL_SIZE == 12  # 13 capped


def test_clamp_settings_fits_the_ranges_and_says_so():
    s, notes = clamp_settings(Settings(factor=3, init="random", custom_size=5, source="pattern"), ["astronaut"])
    assert s == Settings(factor=3, init="random", custom_size=5, source="pattern") and notes == []
    s, notes = clamp_settings(Settings(factor=9, custom_size=40))
    assert (s.factor, s.custom_size) == (4, 12) and len(notes) == 2
    assert "factor 9" in notes[0] and "40" in notes[1]
    s, notes = clamp_settings(Settings(factor=1))
    assert s.factor == 2 and len(notes) == 1
    s, notes = clamp_settings(Settings(photo="nowhere"), ["coffee", "astronaut"])
    assert s.photo == "astronaut" and "nowhere" in notes[0]
    s, _ = clamp_settings(Settings(photo="nowhere"), ["coffee"])
    assert s.photo == "coffee"


def test_input_image_is_the_48_pixel_picture_shared_read_only():
    photo = input_image(Settings())
    assert photo.shape == (48, 48, 3) and photo.dtype == np.float32
    assert 0.0 <= photo.min() and photo.max() <= 1.0 and photo.std() > 0.05
    assert not photo.flags.writeable
    assert input_image(Settings()) is photo  # loaded once
    pattern = input_image(Settings(source="pattern", pattern="checkerboard"))
    np.testing.assert_array_equal(pattern, up.pattern_image("checkerboard", 48, 3))
    with pytest.raises((ValueError, OSError)):
        input_image(Settings(photo="no-such-photo"))


# --------------------------------------------------------------------------
# analyse: 1. the kernel and its stamps
# --------------------------------------------------------------------------
def test_default_kernel_stamps_and_counts(default):
    np.testing.assert_array_equal(default.kernel, up.bilinear_kernel(2))
    assert default.stamps_png[:8] == b"\x89PNG\r\n\x1a\n"
    assert default.stamps_png == figures.figure_png(figures.stamps_figure(up.bilinear_kernel(2), 2, n=5))
    assert default.overlap_range == (4, 4)  # (4 / 2) ** 2 stamps everywhere inside
    assert default.divides_evenly and default.kernel_strength == 0.0
    assert default.count_shape == (6, 6)
    np.testing.assert_array_equal(default.overlap_counts, up.overlap_count((6, 6), 4, 2))
    assert default.summed_weights.shape == (12, 12)
    np.testing.assert_allclose(default.summed_weights, stamped_ones((6, 6), up.bilinear_kernel(2), 2), atol=1e-6)
    np.testing.assert_allclose(default.summed_weights[1:-1, 1:-1], 1.0, atol=1e-6)


@pytest.mark.parametrize("factor, init, size, overlaps, strength", [
    (2, "nearest", 3, (1, 4), 0.75),  # counts 1, 2, 2, 4: the box shows them
    (2, "bilinear", 3, (1, 4), 0.0),  # the same uneven counts, compensated by the tent's weights
    (3, "bilinear", 4, (1, 4), 0.3056),
    (4, "nearest", 12, (9, 9), 0.0),
    (4, "bilinear", 1, (0, 1), 1.0),  # gaps no stamp reaches
])
def test_uneven_kernels_show_their_overlaps(factor, init, size, overlaps, strength):
    s = Settings(factor=factor, init=init, custom_size=size, source="pattern")
    r = analyse(s, input_image(s))
    kernel = up.make_kernel(init, factor, size)
    np.testing.assert_array_equal(r.kernel, kernel)
    assert r.overlap_range == overlaps
    assert r.divides_evenly == (size % factor == 0)
    assert r.kernel_strength == pytest.approx(strength, abs=1e-4)
    small = (12 // factor, 12 // factor)
    assert r.count_shape == small
    np.testing.assert_array_equal(r.overlap_counts, up.overlap_count(small, size, factor))
    np.testing.assert_allclose(r.summed_weights, stamped_ones(small, kernel, factor), atol=1e-5)


# --------------------------------------------------------------------------
# analyse: 2. upsampled pictures, checkerboard table, comparison with resize
# --------------------------------------------------------------------------
def test_six_upsampled_pictures_as_displayed(default):
    labels = [p.label for p in default.pictures]
    assert labels == [
        "Nearest (tf.image.resize)",
        "Bilinear (tf.image.resize)",
        "Transposed conv, bilinear init, 4×4",
        "Transposed conv, random init, 4×4",
        "Resize, then convolve with that random 4×4",
        "Transposed conv, your kernel (bilinear, 4×4)",
    ]
    image = input_image(Settings())
    for p in default.pictures:
        assert p.picture.shape == (384, 384, 3)  # 48 px × 2, repeated 4 times
        assert 0.0 <= p.picture.min() and p.picture.max() <= 1.0
    # a displayed picture is the method's output clipped and pixel-repeated: no smoothing
    resized = up.upsample(image, "bilinear", 2)
    np.testing.assert_array_equal(default.pictures[1].picture,
                                  np.repeat(np.repeat(np.clip(resized, 0, 1), 4, 0), 4, 1))
    # your bilinear kernel at its size is the bilinear transposed convolution
    np.testing.assert_allclose(default.pictures[5].picture, default.pictures[2].picture, atol=1e-6)


def test_checkerboard_table_matches_the_kernels_polyphase_sums(default):
    assert [row["method"] for row in default.strengths] == [p.label for p in default.pictures]
    values = [row["checkerboard strength"] for row in default.strengths]
    assert default.strength_margin == 4 + 2
    assert values[0] == values[1] == values[2] == values[4] == values[5] == 0
    random = up.make_kernel("random", 2, 4)
    assert values[3] == pytest.approx(up.kernel_checkerboard_strength(random, 2), abs=1e-4)
    assert values[3] > 0.05


def test_uneven_random_kernel_checkerboards_and_resize_then_convolve_does_not():
    s = Settings(factor=3, init="nearest", custom_size=4)
    r = analyse(s, input_image(s))
    strengths = {row["method"]: row["checkerboard strength"] for row in r.strengths}
    assert r.strength_margin == max(4, 5) + 3
    assert strengths["Transposed conv, your kernel (nearest-neighbour (box), 4×4)"] == pytest.approx(0.75)
    assert strengths["Transposed conv, random init, 4×4"] == pytest.approx(
        up.kernel_checkerboard_strength(up.make_kernel("random", 3, 4), 3), abs=1e-4)
    assert strengths["Resize, then convolve with that random 4×4"] == 0


@pytest.mark.parametrize("factor, edge", [(2, 3 / 4), (3, 2 / 3), (4, 5 / 8)])
def test_comparison_with_resize_and_the_darker_border(factor, edge):
    s = Settings(factor=factor)
    r = analyse(s, input_image(s))
    assert r.interior_max < 1e-5
    assert r.border_max > 0.05
    assert r.border_width == factor // 2
    # the top edge gets only the tent's taps from the first row's stamps, none from a row above
    assert r.edge_weight == pytest.approx(edge, abs=1e-6)
    assert r.edge_weight == pytest.approx(stamped_ones((8, 8), up.bilinear_kernel(factor), factor)[0, 4 * factor],
                                          abs=1e-6)


# --------------------------------------------------------------------------
# analyse: 3. the pipeline
# --------------------------------------------------------------------------
def test_pipeline_stages_with_their_real_shapes(default):
    assert default.pipeline_error is None
    lines = default.pipeline_shapes.splitlines()
    assert [re.split(r"\s+", line, maxsplit=1) for line in lines] == [
        ["input", "(1, 128, 128, 3)"],
        ["conv3x3", "(1, 128, 128, 3)"],
        ["max_pool_2x2", "(1, 64, 64, 3)"],
        ["conv_transpose_stride2", "(1, 128, 128, 3)"],
    ]
    assert [p.caption for p in default.pipeline_pictures] == [
        "input 128×128", "conv3x3 128×128", "max_pool_2x2 64×64", "conv_transpose_stride2 128×128"]
    assert [p.width for p in default.pipeline_pictures] == [256, 256, 128, 256]  # twice the real size
    assert [p.picture.shape for p in default.pipeline_pictures] == [(256, 256, 3)] * 2 + [(128, 128, 3), (256, 256, 3)]
    stages = up.run_pipeline(demo._pipeline_photo("astronaut"), demo._pipeline())
    np.testing.assert_array_equal(default.pipeline_pictures[2].picture,
                                  figures.pixelate(np.clip(stages[2].image, 0, 1), 2))


def test_pipeline_uses_the_chosen_photo_or_the_astronaut_for_patterns():
    coffee = analyse(Settings(photo="coffee"), input_image(Settings()))
    pattern = analyse(Settings(source="pattern", photo="coffee"), input_image(Settings()))
    default = analyse(Settings(), input_image(Settings()))
    assert not np.array_equal(coffee.pipeline_pictures[0].picture, default.pipeline_pictures[0].picture)
    np.testing.assert_array_equal(pattern.pipeline_pictures[0].picture, default.pipeline_pictures[0].picture)


def test_a_pipeline_that_cannot_run_is_reported_and_the_rest_is_shown():
    r = analyse(Settings(photo="no-such-photo"), input_image(Settings()))
    assert r.pipeline_error and "no-such-photo" in r.pipeline_error
    assert r.pipeline_pictures == () and r.pipeline_shapes == ""
    assert len(r.pictures) == 6 and r.interior_max < 1e-5


# --------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------
def test_coloured_value_table_shows_the_numbers_coloured_by_value():
    values = np.array([[0, 1], [2, 3]])
    style = figures.coloured_value_table(values, "{:d}", "magma")
    np.testing.assert_array_equal(style.data.to_numpy(), values)
    html = style.to_html()
    cells = re.findall(r">\s*(\d+)\s*</td>", html)
    assert cells == ["0", "1", "2", "3"]
    colours = re.findall(r"background-color: (#[0-9a-f]{6})", html)
    assert len(set(colours)) == 4  # one colour scale over the whole table: four values, four colours
    assert "<th" not in html.split("<tbody>")[1]  # no index column
    floats = figures.coloured_value_table(np.array([[0.0625, 0.1875]]), "{:.3f}", "viridis").to_html()
    assert "0.062" in floats and "0.188" in floats
    with pytest.raises(ValueError, match="`values`"):
        figures.coloured_value_table(np.zeros(3), "{:d}", "magma")


def test_figure_png_renders_at_the_requested_resolution():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1))
    fig.subplots().plot([0, 1])
    png = figures.figure_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (200, 100)
    png = figures.figure_png(fig, dpi=50)
    assert (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")) == (100, 50)


# --------------------------------------------------------------------------
# the settings in a link
# --------------------------------------------------------------------------
PHOTOS = ["astronaut", "coffee"]


def settings_of(values):
    """The Settings the widgets hold after a link set ``values`` (the rest at their defaults)."""
    state = {**demo.widget_defaults(), **values}
    q = demo.QUERY_NAMES
    return Settings(factor=state[q["factor"]], init=state[q["init"]],
                    custom_size=None if state[q["use_recommended"]] else state[q["custom_size"]],
                    source=state[q["source"]], photo=state[q["photo"]], pattern=state[q["pattern"]])


def test_read_link_reads_keys_and_what_the_widgets_show():
    values, ignored = demo.read_link({"up_factor": "4", "up_init": "Nearest-neighbour (box)", "up_rec": "false",
                                      "up_k": "9", "up_input": "Test pattern", "up_pattern": "Ramp",
                                      "up_photo": "coffee"}, PHOTOS)
    assert ignored == []
    assert settings_of(values) == Settings(factor=4, init="nearest", custom_size=9, source="pattern",
                                           photo="coffee", pattern="ramp")
    assert demo.read_link({}, PHOTOS) == ({}, [])
    assert demo.read_link({"up_init": "nearest", "up_input": "pattern"}, PHOTOS)[0] == {
        "up_init": "nearest", "up_input": "pattern"}


def test_read_link_without_a_size_uses_the_sliders_first_value():
    values, _ = demo.read_link({"up_factor": "3", "up_rec": "false"}, PHOTOS)
    assert settings_of(values).custom_size == demo.custom_size_default(3, "bilinear") == 6
    values, _ = demo.read_link({"up_k": "9"}, PHOTOS)  # the size counts only when the choice is off
    assert settings_of(values).custom_size is None


@pytest.mark.parametrize("name, raw", [
    ("up_factor", "9"), ("up_factor", "2.0"), ("up_factor", "-2"), ("up_factor", "٣"), ("up_factor", "9" * 5000),
    ("up_init", "bilinearx"), ("up_init", "<script>"), ("up_rec", "maybe"), ("up_k", "0"), ("up_k", "13"),
    ("up_input", "photos"), ("up_photo", "../etc/passwd"), ("up_pattern", ""),
])
def test_read_link_ignores_anything_malformed_naming_it(name, raw):
    values, ignored = demo.read_link({name: raw, "up_rec": "false"} if name == "up_k" else {name: raw}, PHOTOS)
    field = next(f for f, q in demo.QUERY_NAMES.items() if q == name)
    assert len(ignored) == 1 and ignored[0].setting == demo.SETTING_NAMES[field]
    assert len(ignored[0].phrase()) < 130
    s = settings_of(values)
    assert s.factor == 2 and s.init == "bilinear" and s.source == "photo" and s.photo == "astronaut"
    assert s.size == (5 if name == "up_k" else 4)


def test_read_link_takes_the_last_of_repeated_values():
    values, ignored = demo.read_link({"up_factor": ["2", "3"]}, PHOTOS)
    assert values == {"up_factor": 3} and ignored == []


def test_to_query_is_read_back_as_the_same_settings():
    for s in (Settings(), Settings(factor=3, init="random", custom_size=7, source="pattern", pattern="disc"),
              Settings(factor=4, init="nearest", source="photo", photo="coffee")):
        query = {k: str(v) for k, v in demo.to_query(s).items()}
        values, ignored = demo.read_link(query, PHOTOS)
        assert ignored == [] and settings_of(values) == s
    assert "up_k" not in demo.to_query(Settings()) and "up_pattern" not in demo.to_query(Settings())


def test_widget_defaults_are_the_default_settings():
    defaults = demo.widget_defaults()
    assert set(defaults) == set(demo.QUERY_NAMES.values())
    assert defaults == {"up_factor": 2, "up_init": "bilinear", "up_rec": True, "up_k": 5, "up_input": "photo",
                        "up_photo": "astronaut", "up_pattern": "constant"}


def test_stamps_use_the_colour_blind_safe_palette():
    from matplotlib.colors import to_hex

    fig = figures.stamps_figure(up.bilinear_kernel(2), 2, n=5)
    top = fig.axes[0]
    used = []
    for patch in top.patches:
        colour = to_hex(patch.get_facecolor())
        if colour not in used and colour.upper() in figures.STAMP_COLOURS:
            used.append(colour)
    assert [c.upper() for c in used] == list(figures.STAMP_COLOURS[:5])


def test_every_picture_has_a_description(default):
    assert "bilinear 4×4 kernel every 2 output pixels" in default.stamps_alt
    assert "2 stamps and the columns have the same height everywhere" in default.stamps_alt
    assert all(p.alt.startswith("The photo astronaut, 48×48 pixels, enlarged 2 times by ") for p in default.pictures)
    assert all(p.alt.startswith("The photo astronaut after the stage ") for p in default.pipeline_pictures)


def test_strengths_table_writes_four_decimals_without_an_index():
    style = figures.strengths_table([{"method": "a", "checkerboard strength": 0.5},
                                     {"method": "b", "checkerboard strength": 0.0}])
    html = style.to_html()
    assert "0.5000" in html and "0.0000" in html and "checkerboard strength" in html
    assert list(style.data["method"]) == ["a", "b"]
    with pytest.raises(ValueError, match="`rows`"):
        figures.strengths_table([])


@pytest.mark.parametrize("cmap", ["viridis", "magma"])
def test_coloured_value_table_text_contrasts_with_every_cell(cmap):
    values = np.linspace(0.0, 1.0, 256).reshape(16, 16)
    html = figures.coloured_value_table(values, "{:.2f}", cmap).to_html()
    pairs = set(re.findall(r"background-color: (#[0-9a-f]{6});\s*color: (#[0-9a-f]{6})", html))
    assert len(pairs) > 100

    def luminance(colour):
        rgb = np.array([int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
        linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
        return linear @ [0.2126, 0.7152, 0.0722]

    ratios = [(max(luminance(b), luminance(t)) + 0.05) / (min(luminance(b), luminance(t)) + 0.05) for b, t in pairs]
    assert min(ratios) >= 4.5  # WCAG AA for normal text


def test_an_unknown_photo_is_named_briefly():
    _, ignored = demo.read_link({"up_photo": "lena"}, PHOTOS)
    assert [i.phrase() for i in ignored] == ["photo `lena` (expected one of the sample photos)"]
