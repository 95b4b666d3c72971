"""The image reader: every kind of file a participant might upload."""

import io
import os
import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from patchlab.images import SAMPLES, ImageError, limit_size, load_sample, read_image


def encode(img, fmt, **kw):
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


RGB = Image.fromarray(np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3) * 3)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP", "WEBP", "TIFF", "GIF"])
def test_common_formats_decode_to_rgb_uint8(fmt):
    out = read_image(encode(RGB, fmt))
    assert out.shape == (4, 6, 3) and out.dtype == np.uint8


def test_png_is_lossless():
    np.testing.assert_array_equal(read_image(encode(RGB, "PNG")), np.asarray(RGB))


def test_rgba_is_composited_on_white():
    rgba = Image.new("RGBA", (3, 3), (255, 0, 0, 0))
    rgba.putpixel((1, 1), (0, 0, 255, 255))
    out = read_image(encode(rgba, "PNG"))
    assert tuple(out[0, 0]) == (255, 255, 255)
    assert tuple(out[1, 1]) == (0, 0, 255)


def test_la_and_palette_with_transparency():
    la = Image.new("LA", (2, 2), (0, 0))
    assert tuple(read_image(encode(la, "PNG"))[0, 0]) == (255, 255, 255)
    pal = Image.new("P", (2, 2), 0)
    pal.putpalette([10, 20, 30] * 256)
    assert tuple(read_image(encode(pal, "PNG"))[0, 0]) == (10, 20, 30)


def test_palette_transparency_is_composited_on_white():
    pal = Image.new("P", (2, 1), 0)
    pal.putpalette([10, 20, 30, 200, 100, 50] + [0, 0, 0] * 254)
    pal.putpixel((1, 0), 1)
    out = read_image(encode(pal, "PNG", transparency=0))  # palette entry 0 is see-through
    assert tuple(out[0, 0]) == (255, 255, 255) and tuple(out[0, 1]) == (200, 100, 50)


def test_16_bit_png_is_scaled_to_8_bits():
    arr = np.array([[0, 65535], [32768, 1000]], dtype=np.uint16)
    out = read_image(encode(Image.fromarray(arr), "PNG"))
    assert out[0, 0, 0] == 0 and out[0, 1, 0] == 255 and 120 < out[1, 0, 0] < 135


def test_float_tiff_is_scaled():
    arr = np.array([[0.0, 0.5], [1.0, 0.25]], dtype=np.float32)
    out = read_image(encode(Image.fromarray(arr, mode="F"), "TIFF"))
    assert out[0, 0, 0] == 0 and out[1, 0, 0] == 255


def read_gray16(values):
    """Read a 16-bit grayscale PNG holding ``values``; return its first channel."""
    arr = np.asarray(values, dtype=np.uint16)
    out = read_image(encode(Image.fromarray(arr), "PNG"))
    assert out.shape == arr.shape + (3,) and out.dtype == np.uint8 and (out == out[..., :1]).all()
    return out[..., 0].astype(int).tolist()


def test_high_bit_depth_is_stretched_from_its_own_range():
    # lo = 1000 -> 0, hi = 3000 -> 255, in between linearly (rounded to nearest)
    assert read_gray16([[1000, 2500], [3000, 1500]]) == [[0, 191], [255, 64]]


@pytest.mark.parametrize(
    "values, expected",
    [
        ([[10, 100], [255, 10]], [[10, 100], [255, 10]]),  # already 0..255 (hi = 255, lo > 0): kept
        ([[0, 100], [200, 0]], [[0, 100], [200, 0]]),  # lo = 0 is inside 0..255: kept
        ([[0, 1], [2, 0]], [[0, 1], [2, 0]]),  # hi = 2 > 1: kept, not stretched to 0..255
        ([[10, 256], [10, 10]], [[0, 255], [0, 0]]),  # hi = 256 is outside: stretched
    ],
    ids=["hi-255", "lo-0", "hi-2", "hi-256"],
)
def test_values_already_in_the_8_bit_range_are_kept(values, expected):
    assert read_gray16(values) == expected


def test_float_image_not_a_number_and_infinities_read_as_black():
    arr = np.array([[np.nan, np.inf, -np.inf], [0.5, 1.0, 0.0]], dtype=np.float32)
    out = read_image(encode(Image.fromarray(arr, mode="F"), "TIFF"))[..., 0]
    assert out.tolist() == [[0, 0, 0], [128, 255, 0]]


@pytest.mark.parametrize("value", [0.5, 1000])
def test_a_flat_image_reads_as_black_without_dividing_by_zero(value):
    arr = np.full((3, 4), value, dtype=np.float32)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        out = read_image(encode(Image.fromarray(arr, mode="F"), "TIFF"))
    assert out.shape == (3, 4, 3) and not out.any()


def test_bytes_like_inputs_are_read():
    data = encode(RGB, "PNG")
    for wrapped in (bytearray(data), memoryview(data)):
        np.testing.assert_array_equal(read_image(wrapped), np.asarray(RGB))
    with pytest.raises(ImageError, match="bytes of an image"):
        read_image("photo.png")


def test_an_empty_file_is_called_empty():
    with pytest.raises(ImageError, match="empty"):
        read_image(b"")


def test_the_file_size_limit_is_inclusive():
    from patchlab.images import MAX_BYTES

    png = encode(RGB, "PNG")
    at_limit = png + b"\0" * (MAX_BYTES - len(png))  # PNG readers ignore bytes after the end
    assert read_image(at_limit).shape == (4, 6, 3)
    with pytest.raises(ImageError, match=f"limit is {MAX_BYTES // 2**20} MB"):
        read_image(at_limit + b"\0")


def test_cmyk_jpeg():
    out = read_image(encode(RGB.convert("CMYK"), "JPEG"))
    assert out.shape == (4, 6, 3)


def test_exif_orientation_is_applied():
    img = Image.new("RGB", (6, 2), (0, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    out = read_image(encode(img, "JPEG", exif=exif.tobytes()))
    assert out.shape == (6, 2, 3)


@pytest.mark.parametrize(
    "orientation, corner",
    [(1, (0, 0)), (3, (-1, -1)), (6, (0, -1)), (8, (-1, 0)), (2, (0, -1)), (4, (-1, 0))],
    ids=["as-stored", "rotate-180", "rotate-90-clockwise", "rotate-90-anticlockwise", "mirror", "flip"],
)
def test_exif_orientation_turns_the_photo_the_right_way(orientation, corner):
    # A 48x16 photo, black but for a red 8x8 block at its stored top-left corner.
    # EXIF orientation 6 means "turn 90 degrees clockwise to display": the stored
    # top-left corner ends up top-right; 8 (anticlockwise) puts it bottom-left.
    stored = np.zeros((16, 48, 3), np.uint8)
    stored[:8, :8] = (255, 0, 0)
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = read_image(encode(Image.fromarray(stored), "PNG", exif=exif.tobytes()))
    turned = orientation in (6, 8)
    assert out.shape == ((48, 16, 3) if turned else (16, 48, 3))
    h, w = out.shape[:2]
    r0 = 0 if corner[0] == 0 else h - 8
    c0 = 0 if corner[1] == 0 else w - 8
    red = (out[..., 0] > 200) & (out[..., 1] < 50)
    assert red[r0:r0 + 8, c0:c0 + 8].all()
    assert red.sum() == 64


def test_animated_gif_gives_the_first_frame():
    frames = [Image.new("RGB", (4, 4), c) for c in [(255, 0, 0), (0, 255, 0)]]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:])
    out = read_image(buf.getvalue())
    assert out[0, 0, 0] > 200 and out[0, 0, 1] < 50


def test_one_pixel_image():
    assert read_image(encode(Image.new("RGB", (1, 1), (1, 2, 3)), "PNG")).shape == (1, 1, 3)


@pytest.mark.parametrize(
    "data",
    [b"", b"hello world", b"\x89PNG\r\n\x1a\n" + b"\0" * 20, b'<svg xmlns="http://www.w3.org/2000/svg"></svg>'],
    ids=["empty", "text", "png-header-only", "svg"],
)
def test_non_images_raise_a_human_message(data):
    with pytest.raises(ImageError) as err:
        read_image(data)
    assert "image" in str(err.value).lower() or "empty" in str(err.value).lower()


def test_truncated_jpeg_and_png():
    for fmt in ("JPEG", "PNG"):
        data = encode(Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)), fmt)
        with pytest.raises(ImageError, match="damaged or truncated"):
            read_image(data[: len(data) // 2])


def test_decompression_bomb_is_refused_before_decoding():
    data = encode(Image.new("L", (10000, 10000)), "PNG")  # 100 Mpx of zeros compress to ~100 KB
    with pytest.raises(ImageError, match="megapixels"):
        read_image(data)


def test_the_apps_own_pixel_cap_refuses_what_pillow_would_accept():
    # 7,000 x 7,000 = 49 megapixels: under Pillow's own bomb limit (~89 Mpx),
    # over PatchLab's MAX_PIXELS (40 Mpx). Only the app's cap can refuse it.
    from PIL import Image as PILImage

    from patchlab.images import MAX_PIXELS

    assert 7000 * 7000 > MAX_PIXELS and 7000 * 7000 < PILImage.MAX_IMAGE_PIXELS
    data = encode(Image.new("L", (7000, 7000)), "PNG")
    with pytest.raises(ImageError, match=f"limit is {MAX_PIXELS / 1e6:.0f} megapixels"):
        read_image(data)


def test_an_image_just_under_the_cap_is_read():
    data = encode(Image.new("L", (4000, 1000)), "PNG")  # 4 Mpx
    assert read_image(data, max_pixels=4_000_000).shape == (1000, 4000, 3)
    with pytest.raises(ImageError, match="megapixels"):
        read_image(data, max_pixels=3_999_999)


def test_image_error_is_a_value_error():
    assert issubclass(ImageError, ValueError)


def test_reading_writes_no_temporary_file():
    before = set(os.listdir(tempfile.gettempdir()))
    read_image(encode(RGB, "PNG"))
    read_image(encode(RGB, "JPEG"))
    assert set(os.listdir(tempfile.gettempdir())) == before


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_random_bytes_raise_only_image_error(data):
    try:
        out = read_image(data)
    except ImageError:
        return
    assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3


SEEDS = [encode(RGB, f) for f in ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEEDS), st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 255)), max_size=8),
       st.integers(0, 4000))
def test_mutated_images_raise_only_image_error(seed, flips, cut):
    data = bytearray(seed)
    for pos, value in flips:
        if pos < len(data):
            data[pos] = value
    data = bytes(data[: max(cut, 1)])
    try:
        out = read_image(data)
    except ImageError:
        return
    assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3


def test_limit_size_downscales_the_longer_side():
    img = np.zeros((300, 1200, 3), np.uint8)
    small, scale = limit_size(img, 600)
    assert small.shape == (150, 600, 3) and scale == 0.5
    same, scale = limit_size(img, 2000)
    assert same is img and scale == 1.0
    with pytest.raises(ValueError, match="max_side"):
        limit_size(img, 0)


def test_limit_size_keeps_an_image_that_fits_exactly_and_allows_one_pixel():
    image = np.zeros((30, 40, 3), np.uint8)
    same, scale = limit_size(image, 40)
    assert same is image and scale == 1.0
    tiny, scale = limit_size(image, 1)
    assert tiny.shape == (1, 1, 3) and scale == 1 / 40
    with pytest.raises(ValueError, match="max_side"):
        limit_size(image, 0)


def test_limit_size_downscales_with_lanczos():
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (64, 48, 3), np.uint8)
    small, _ = limit_size(image, 16)
    expected = np.asarray(Image.fromarray(image).resize((12, 16), Image.Resampling.LANCZOS))
    np.testing.assert_array_equal(small, expected)


def test_every_sample_loads():
    for name in SAMPLES:
        img = load_sample(name, max_side=128)
        assert img.dtype == np.uint8 and img.shape[2] == 3 and max(img.shape[:2]) <= 128
    with pytest.raises(ValueError, match="Unknown sample"):
        load_sample("nope")
