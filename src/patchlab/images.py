"""Reading and validating images, and the sample photos bundled with the app.

Uploads enter the app through :func:`read_image` only: it returns an
``(H, W, 3)`` uint8 array or raises :class:`ImageError` with a message a
workshop participant can act on. Sample photos come from packages already in
the dependency set (scikit-image and scikit-learn), so nothing is downloaded.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from patchlab.i18n import N_, _

__all__ = [
    "ImageError",
    "read_image",
    "limit_size",
    "Sample",
    "SAMPLES",
    "sample_names",
    "load_sample",
    "MAX_PIXELS",
    "WORKING_SIDE",
]

#: Refuse images with more pixels than this (decompression-bomb guard).
MAX_PIXELS = 40_000_000
#: Largest side the app works on; bigger images are downscaled.
WORKING_SIDE = 1024
#: Refuse uploads larger than this many bytes.
MAX_BYTES = 20 * 1024 * 1024


class ImageError(ValueError):
    """An image could not be used; the message says why, in plain words."""


def read_image(data, max_pixels=MAX_PIXELS):
    """Decode image bytes into an RGB uint8 array.

    Parameters
    ----------
    data : bytes
        The file's content (PNG, JPEG, GIF, WebP, TIFF, BMP, ...).
    max_pixels : int, optional
        Images with more pixels are refused before they are decoded.

    Returns
    -------
    image : ndarray of uint8, shape (H, W, 3)
        EXIF orientation applied; transparency composited on white; the
        first frame of an animation; 16-bit and float images scaled to
        8 bits.

    Raises
    ------
    ImageError
        For anything that is not a readable image, with a human message.

    Examples
    --------
    >>> buf = io.BytesIO()
    >>> Image.new("L", (3, 2), 128).save(buf, format="PNG")
    >>> read_image(buf.getvalue()).shape
    (2, 3, 3)
    """
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise ImageError(_("Expected the bytes of an image file."))
    if len(data) == 0:
        raise ImageError(_("The file is empty. Please choose a photo (PNG or JPEG)."))
    if len(data) > MAX_BYTES:
        raise ImageError(
            _("The file is {size} MB; the limit is {limit} MB. Please upload a smaller photo.").format(
                size=f"{len(data) / 2**20:.0f}", limit=MAX_BYTES // 2**20)
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            width, height = img.size
            if width < 1 or height < 1:
                raise ImageError(_("The image has no pixels."))
            if width * height > max_pixels:
                raise ImageError(
                    _("The image is {width}x{height} pixels ({megapixels} megapixels); the limit is {limit} "
                      "megapixels. Please resize it first.").format(
                        width=width, height=height, megapixels=f"{width * height / 1e6:.0f}",
                        limit=f"{max_pixels / 1e6:.0f}")
                )
            img.seek(0)  # first frame of an animation
            img.load()
            img = ImageOps.exif_transpose(img)
            return _to_rgb_uint8(img)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(
            _("The image has too many pixels to open safely (the limit is "
            "{limit} megapixels). Please resize it first.").format(limit=f"{max_pixels / 1e6:.0f}")
        ) from None
    except UnidentifiedImageError:
        raise ImageError(
            _("This file is not an image PatchLab can read. Please upload a PNG, "
            "JPEG, GIF, WebP, BMP or TIFF photo.")
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError,
            KeyError, struct.error, MemoryError, ZeroDivisionError, AttributeError, RuntimeError):
        raise ImageError(
            _("The image file seems damaged or truncated and could not be decoded. "
            "Please try another file.")
        ) from None


def _to_rgb_uint8(img):
    """Convert any PIL mode to an RGB uint8 array."""
    mode = img.mode
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB")).copy()
    if mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F") or mode.startswith("I;"):
        arr = np.asarray(img, dtype=np.float64)
        return _stretch_to_uint8(arr)
    if mode in ("RGB", "L"):
        arr = np.asarray(img.convert("RGB"))
        return np.ascontiguousarray(arr)
    return np.ascontiguousarray(np.asarray(img.convert("RGB")))


def _stretch_to_uint8(arr):
    """Scale a high-bit-depth or float single-channel image to 0..255."""
    arr = np.nan_to_num(arr, nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = float(arr.min()), float(arr.max())
    if hi <= 255 and lo >= 0 and hi > 1:
        scaled = arr
    elif hi - lo < 1e-12:
        scaled = np.zeros_like(arr)
    else:
        scaled = (arr - lo) / (hi - lo) * 255.0
    gray = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    return np.repeat(gray[:, :, None], 3, axis=2)


def limit_size(image, max_side=WORKING_SIDE):
    """Downscale an image so its longer side is at most ``max_side``.

    Parameters
    ----------
    image : ndarray of uint8, shape (H, W, 3)
    max_side : int

    Returns
    -------
    image : ndarray of uint8
        The same array when it already fits.
    scale : float
        The factor applied (1.0 when unchanged).
    """
    if max_side < 1:
        raise ValueError(f"`max_side` must be at least 1, got {max_side}.")
    h, w = image.shape[:2]
    longest = max(h, w)
    if longest <= max_side:
        return image, 1.0
    scale = max_side / longest
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = Image.fromarray(image).resize(size, Image.Resampling.LANCZOS)
    return np.asarray(small), scale


# --------------------------------------------------------------------------
# bundled samples
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Sample:
    """A photo that ships inside an installed package."""

    name: str
    package: str
    filename: str
    description: str

    @property
    def path(self) -> Path:
        if self.package == "skimage":
            import skimage.data

            return Path(skimage.data.__file__).parent / self.filename
        import sklearn.datasets

        return Path(sklearn.datasets.__file__).parent / "images" / self.filename

    @property
    def source(self) -> str:
        where = "skimage.data" if self.package == "skimage" else "sklearn.datasets"
        return f"{where} ({self.filename})"


SAMPLES = {
    s.name: s
    for s in [
        Sample("astronaut", "skimage", "astronaut.png", N_("Eileen Collins, NASA portrait (public domain)")),
        Sample("coffee", "skimage", "coffee.png", N_("A cup of coffee (Rachel Michetti, CC0)")),
        Sample("chelsea", "skimage", "chelsea.png", N_("Chelsea the cat (Stefan van der Walt, CC0)")),
        Sample("rocket", "skimage", "rocket.jpg", N_("Falcon 9 launch (SpaceX, CC0)")),
        Sample("china", "sklearn", "china.jpg", N_("A temple in China (scikit-learn sample)")),
        Sample("flower", "sklearn", "flower.jpg", N_("A flower (scikit-learn sample)")),
        Sample("motorcycle", "skimage", "motorcycle_left.png", N_("Motorcycle, Middlebury stereo set")),
        Sample("hubble", "skimage", "hubble_deep_field.jpg", N_("Hubble eXtreme Deep Field (NASA, public domain)")),
        Sample("immunohistochemistry", "skimage", "ihc.png", N_("Immunohistochemistry stain (CC0)")),
        Sample("retina", "skimage", "retina.jpg", N_("Human retina (CC BY)")),
        Sample("camera", "skimage", "camera.png", N_("The cameraman, grayscale (CC0)")),
        Sample("brick", "skimage", "brick.png", N_("A brick wall, grayscale texture (CC0)")),
        Sample("grass", "skimage", "grass.png", N_("Grass, grayscale texture (CC0)")),
        Sample("gravel", "skimage", "gravel.png", N_("Gravel, grayscale texture (CC0)")),
        Sample("moon", "skimage", "moon.png", N_("Surface of the moon, grayscale (public domain)")),
        Sample("coins", "skimage", "coins.png", N_("Greek coins, grayscale (public domain)")),
    ]
}


def sample_names():
    """Names of the bundled sample photos, in display order."""
    return list(SAMPLES)


def load_sample(name, max_side=None):
    """Load a bundled sample photo as an RGB uint8 array.

    Parameters
    ----------
    name : str
        One of :func:`sample_names`.
    max_side : int, optional
        Downscale so the longer side is at most this.

    Raises
    ------
    ValueError
        If ``name`` is not a known sample.
    """
    if name not in SAMPLES:
        raise ValueError(f"Unknown sample {name!r}; choose one of {', '.join(SAMPLES)}.")
    image = read_image(SAMPLES[name].path.read_bytes())
    if max_side is not None:
        image, _ = limit_size(image, max_side)
    return image
