"""Training and evaluation photos, and the augmentation that stretches them.

Photos come from packages already installed (scikit-image, scikit-learn,
Matplotlib), so training needs no download. Whole photos are held out for
evaluation (:data:`HELD_OUT`); everything else trains. A workshop can train
on its own domain instead with :func:`load_folder` (``--data DIR``), as the
original tutorial did with a folder of mountain photos.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from patchlab.images import SAMPLES, ImageError, read_image

__all__ = [
    "HELD_OUT",
    "VALIDATION",
    "Photo",
    "set_aside",
    "training_photos",
    "held_out_photos",
    "load_folder",
    "random_crop",
    "colour_jitter",
    "augment",
    "square_view",
    "evaluation_views",
]

#: Colour photos never seen in training; evaluation uses only these.
HELD_OUT = ("astronaut", "coffee", "chelsea")
#: Training-source photos set aside (``--set-aside-validation``) to choose between training runs:
#: a building, objects, a face, a meadow, water, foliage; from OpenCV's samples, Matplotlib and
#: the Debian wallpapers. Never the held-out photos, which only measure a model once it is chosen.
VALIDATION = ("castle", "fruits", "grace_hopper", "green_meadow", "stream", "forest_path")
#: Extra freely licensed photos that ship inside installed packages.
_EXTRA = {
    "motorcycle_right": ("skimage", "motorcycle_right.png", "Motorcycle, right view, Middlebury stereo set"),
    "grace_hopper": ("matplotlib", "grace_hopper.jpg", "Grace Hopper portrait (US Navy, public domain)"),
}
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


@dataclass
class Photo:
    """A photo with where it came from."""

    name: str
    source: str
    image: np.ndarray  # (H, W, 3) uint8


def _extra_path(package, filename):
    if package == "skimage":
        import skimage.data

        return Path(skimage.data.__file__).parent / filename
    import matplotlib

    return Path(matplotlib.get_data_path()) / "sample_data" / filename


def _load_extra(name):
    package, filename, _ = _EXTRA[name]
    path = _extra_path(package, filename)
    where = "skimage.data" if package == "skimage" else "matplotlib sample_data"
    return Photo(name, f"{where} ({filename})", read_image(path.read_bytes()))


def training_photos():
    """Every bundled photo except :data:`HELD_OUT`, plus the package extras."""
    photos = [
        Photo(name, sample.source, read_image(sample.path.read_bytes()))
        for name, sample in SAMPLES.items()
        if name not in HELD_OUT
    ]
    for name in _EXTRA:
        try:
            photos.append(_load_extra(name))
        except (OSError, ImageError):  # an optional extra missing from this install
            continue
    return photos


def held_out_photos():
    """The held-out evaluation photos."""
    return [Photo(n, SAMPLES[n].source, read_image(SAMPLES[n].path.read_bytes())) for n in HELD_OUT]


def set_aside(photos, names=VALIDATION):
    """Split ``photos`` into those to train on and those named in ``names``.

    Parameters
    ----------
    photos : list of Photo
    names : sequence of str
        Every name must be among ``photos``.

    Returns
    -------
    training, set_aside : list of Photo, list of Photo
        ``set_aside`` in the order of ``names``.

    Raises
    ------
    ValueError
        Naming the photos of ``names`` that ``photos`` lacks.
    """
    by_name = {p.name: p for p in photos}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise ValueError(f"`names`: {', '.join(missing)} not among the training photos (the validation "
                         f"photos come from the bundled, OpenCV and Debian photos: train with "
                         f"--opencv-photos --debian-photos).")
    return [p for p in photos if p.name not in set(names)], [by_name[n] for n in names]


def load_folder(folder):
    """Every readable photo in a folder (recursively), for ``--data DIR``.

    Parameters
    ----------
    folder : str or Path

    Returns
    -------
    photos : list of Photo
        Sorted by path; unreadable files are skipped.

    Raises
    ------
    ValueError
        If ``folder`` is not a directory or holds no readable photo.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"`folder` {str(folder)!r} is not a directory.")
    photos = []
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() not in _IMAGE_SUFFIXES or not path.is_file():
            continue
        try:
            photos.append(Photo(path.stem, str(path), read_image(path.read_bytes())))
        except (OSError, ImageError):
            continue
    if not photos:
        raise ValueError(f"`folder` {str(folder)!r} holds no readable JPG/PNG photo.")
    return photos


# --------------------------------------------------------------------------
# augmentation
# --------------------------------------------------------------------------
def random_crop(image, size, rng, min_scale=0.25):
    """A square crop at a random scale, resized to ``size`` x ``size``.

    The crop side is drawn log-uniformly between ``max(size, min_scale *
    short side)`` and the short side, so the model sees the photo both
    whole and in close-up. Photos smaller than ``size`` are upscaled first.

    Returns
    -------
    crop : ndarray of uint8, shape (size, size, 3)
    """
    h, w = image.shape[:2]
    short = min(h, w)
    if short < size:
        f = size / short
        image = cv2.resize(image, (max(size, round(w * f)), max(size, round(h * f))),
                           interpolation=cv2.INTER_LINEAR)
        h, w = image.shape[:2]
        short = min(h, w)
    lo = max(size, min_scale * short)
    side = int(round(np.exp(rng.uniform(np.log(lo), np.log(short))))) if short > lo else short
    side = min(max(side, size), short)
    y = int(rng.integers(0, h - side + 1))
    x = int(rng.integers(0, w - side + 1))
    crop = image[y:y + side, x:x + side]
    if side != size:
        crop = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
    return crop


def colour_jitter(image, rng, strength=0.1):
    """Small random brightness, contrast, saturation and per-channel gain.

    Parameters
    ----------
    image : ndarray of float32 in [0, 1], shape (H, W, 3)
    """
    x = image * (1 + rng.uniform(-strength, strength))  # brightness
    mean = x.mean()
    x = (x - mean) * (1 + rng.uniform(-strength, strength)) + mean  # contrast
    grey = x.mean(axis=2, keepdims=True)
    x = (x - grey) * (1 + rng.uniform(-strength, strength)) + grey  # saturation
    x = x * (1 + rng.uniform(-strength / 2, strength / 2, size=3))  # white balance
    return np.clip(x, 0, 1).astype(np.float32)


def augment(image, size, rng):
    """Crop at a random scale, flip, jitter: float32 in [0, 1], (size, size, 3)."""
    crop = random_crop(image, size, rng)
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    if rng.random() < 0.1:
        crop = crop[::-1]
    return colour_jitter(crop.astype(np.float32) / 255.0, rng)


# --------------------------------------------------------------------------
# evaluation views
# --------------------------------------------------------------------------
def square_view(image, size):
    """The centred square of a photo, resized to ``size`` x ``size`` (uint8)."""
    h, w = image.shape[:2]
    side = min(h, w)
    y, x = (h - side) // 2, (w - side) // 2
    crop = image[y:y + side, x:x + side]
    return cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)


def evaluation_views(photos, size=256, crops=2, seed=0):
    """Fixed views of the held-out photos: the whole photo and seeded close-ups.

    Returns
    -------
    views : list of (name, ndarray uint8 (size, size, 3))
    """
    rng = np.random.default_rng(seed)
    views = []
    for photo in photos:
        views.append((f"{photo.name}/whole", square_view(photo.image, size)))
        for k in range(crops):
            views.append((f"{photo.name}/crop{k}", random_crop(photo.image, size, rng, min_scale=0.5)))
    return views
