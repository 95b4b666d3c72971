"""More training photos: the photographs among Debian's desktop wallpapers.

Debian ships desktop wallpapers as packages, and several of those are real
photographs under free licences (GPL-2+ for MATE's, LGPL-3 for KDE
Plasma's, CC BY and CC BY-SA for the Ubuntu wallpaper-contest photos in
Lomiri's).
:func:`fetch` fetches the pinned ``.deb`` files once with ``apt-get
download NAME=VERSION`` (the machine's apt configuration decides where
from) and checks each by SHA-256 (as listed in the archive's ``Packages`` index),
extracts only the photos listed in :data:`PHOTOS`, shrinks them so their
long side is at most :data:`LONG_SIDE` pixels (about the scale of the other
training photos) and keeps them as PNG in a cache folder; :func:`load` reads
them. Only training uses them (``python -m patchlab.inpainting.train
--debian-photos``); the app never downloads anything.

The list leaves out the artwork (gradients, vector drawings, renders) that
makes up most of these packages.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import numpy as np
from PIL import Image

from patchlab import ROOT
from patchlab.images import read_image
from patchlab.inpainting.data import Photo
from patchlab.inpainting.packages import apt_download
from patchlab.runtime import write_atomically

__all__ = ["PACKAGES", "PHOTOS", "CACHE", "CLIENT", "LONG_SIDE", "deb_members", "fetch", "load"]

#: The package client that fetches them.
CLIENT = "apt-get"

#: Debian 12 (bookworm) packages: name -> (version, ``.deb`` file name in the archive, SHA-256, licence of the photos).
PACKAGES = {
    "mate-backgrounds": (
        "1.26.0-1", "mate-backgrounds_1.26.0-1_all.deb",
        "7bf4c2209f34b4f61ba6d24c8b58c28b361e82e4b943aae6d42c030169af9e04", "GPL-2+"),
    "lomiri-wallpapers-16.04": (
        "20.04.0-2", "lomiri-wallpapers-16.04_20.04.0-2_all.deb",
        "a99ff6a3bfe451e4cc0682ecb3cc82e71740626d59e4845ae34a0a0e45421eab", "CC BY 4.0 / CC BY-SA 4.0"),
    "lomiri-wallpapers-20.04": (
        "20.04.0-2", "lomiri-wallpapers-20.04_20.04.0-2_all.deb",
        "d44e89b8473aafe64a5b678f014862dc31335aaaf18665c544d985d854f1a709", "CC BY-SA 4.0"),
    "plasma-workspace-wallpapers": (
        "4:5.27.5-2", "plasma-workspace-wallpapers_5.27.5-2_all.deb",
        "32cd18b71c8c938a18b3b351f217c02ac590e323caa3cf322fbb875ce8892f8b", "LGPL-3 (each wallpaper's metadata)"),
}

_MATE = "./usr/share/backgrounds/mate/nature/"
_LOMIRI = "./usr/share/backgrounds/"
_PLASMA = "./usr/share/wallpapers/{}/contents/images/2560x1600.jpg"

#: name -> (package, file in the package, what it shows).
PHOTOS = {
    "aqua": ("mate-backgrounds", _MATE + "Aqua.jpg", "a drop splashing into water"),
    "blinds": ("mate-backgrounds", _MATE + "Blinds.jpg", "a green leaf, close up"),
    "dune": ("mate-backgrounds", _MATE + "Dune.jpg", "dune grass by the sea"),
    "fresh_flower": ("mate-backgrounds", _MATE + "FreshFlower.jpg", "an orange flower, close up"),
    "garden": ("mate-backgrounds", _MATE + "Garden.jpg", "a red flower in a garden"),
    "green_meadow": ("mate-backgrounds", _MATE + "GreenMeadow.jpg", "blades of grass"),
    "ladybird": ("mate-backgrounds", _MATE + "LadyBird.jpg", "a ladybird among forget-me-nots"),
    "rain_drops": ("mate-backgrounds", _MATE + "RainDrops.jpg", "raindrops on leaves"),
    "storm": ("mate-backgrounds", _MATE + "Storm.jpg", "storm clouds over a plain"),
    "two_wings": ("mate-backgrounds", _MATE + "TwoWings.jpg", "dandelion seeds before flowers"),
    "wood": ("mate-backgrounds", _MATE + "Wood.jpg", "wood grain"),
    "yellow_flower": ("mate-backgrounds", _MATE + "YellowFlower.jpg", "a yellow flower, close up"),
    "bridge": ("lomiri-wallpapers-16.04", _LOMIRI + "Bridge_by_Sander_Klootwijk.jpg",
               "bridge cables over a beach (Sander Klootwijk)"),
    "dragonfly": ("lomiri-wallpapers-16.04", _LOMIRI + "Dragonfly_by_Bolly.jpg",
                  "foliage against the sky (Bolly)"),
    "fig": ("lomiri-wallpapers-16.04", _LOMIRI + "Picture_0B_by_freespace.jpg", "a fig in a red bowl (freespace)"),
    "brushes": ("lomiri-wallpapers-16.04", _LOMIRI + "Picture_1A_by_freespace.jpg", "paint brushes (freespace)"),
    "wine": ("lomiri-wallpapers-16.04", _LOMIRI + "Wine_by_Jakkub_Mede.jpg", "a room with a table (Jakkub Mede)"),
    "aitzgorri": ("lomiri-wallpapers-16.04", _LOMIRI + "aitzgorri_by_Aitzol_Berasategi.jpg",
                  "mountain meadow in autumn (Aitzol Berasategi)"),
    "lamps": ("lomiri-wallpapers-16.04", _LOMIRI + "free_by_Peter_Nerlich.jpg",
              "lamps and a paper bird (Peter Nerlich)"),
    "dogs": ("lomiri-wallpapers-16.04", _LOMIRI + "friends_by_Aitzol_Berasategi.jpg",
             "two dogs at a door (Aitzol Berasategi)"),
    "clock": ("lomiri-wallpapers-16.04", _LOMIRI + "greentock_by_Peter_Nerlich.jpg",
              "a wall clock (Peter Nerlich)"),
    "stream": ("lomiri-wallpapers-16.04", _LOMIRI + "life_by_Aitzol_Berasategi.jpg",
               "a stream over rocks in a forest (Aitzol Berasategi)"),
    "picos": ("lomiri-wallpapers-16.04", _LOMIRI + "picosdeeuropa_by_Aitzol_Berasategi.jpg",
              "Picos de Europa mountains (Aitzol Berasategi)"),
    "seeding": ("lomiri-wallpapers-16.04", _LOMIRI + "seeding_by_Clements_Engelhardt.jpg",
                "dandelion clocks at sunset (Clements Engelhardt)"),
    "sunset": ("lomiri-wallpapers-16.04", _LOMIRI + "sunset_by_Aitzol_Berasategi.jpg",
               "sunset over a hilltop (Aitzol Berasategi)"),
    "kleiber": ("lomiri-wallpapers-20.04", _LOMIRI + "Kleiber_by_Lukas_Baubkus.jpg",
                "a nuthatch on a tree trunk (Lukas Baubkus)"),
    "by_the_water": ("plasma-workspace-wallpapers", _PLASMA.format("BytheWater"), "a jetty on a lake (Maciej Wiklo)"),
    "cold_ripple": ("plasma-workspace-wallpapers", _PLASMA.format("ColdRipple"), "a pier in fog (Risto Saukonpää)"),
    "darkest_hour": ("plasma-workspace-wallpapers", _PLASMA.format("DarkestHour"), "a lake at dusk (Risto Saukonpää)"),
    "evening_glow": ("plasma-workspace-wallpapers", _PLASMA.format("EveningGlow"), "canoes on a shore at sunset (Ian Hex)"),
    "fallen_leaf": ("plasma-workspace-wallpapers", _PLASMA.format("FallenLeaf"), "autumn leaves on the ground (Martin Klapetek)"),
    "grey": ("plasma-workspace-wallpapers", _PLASMA.format("Grey"), "a curved building facade (Sigi Sagi)"),
    "kite": ("plasma-workspace-wallpapers", _PLASMA.format("Kite"), "a kite in a cloudy sky (Risto Saukonpää)"),
    "moss": ("plasma-workspace-wallpapers", _PLASMA.format("OneStandsOut"), "moss with one red sprout (Risto Saukonpää)"),
    "forest_path": ("plasma-workspace-wallpapers", _PLASMA.format("Path"), "a path through a forest (Risto Saukonpää)"),
}

#: Where the extracted photos are kept (ignored by git).
CACHE = ROOT / "data" / "debian-photos"
#: The cached photos' long side, at most (the bundled photos are 300-1400 px).
LONG_SIDE = 1024


def deb_members(blob):
    """The members of a Debian package (an ``ar`` archive): name -> bytes.

    Raises
    ------
    ValueError
        If ``blob`` is not an ``ar`` archive.
    """
    if not blob.startswith(b"!<arch>\n"):
        raise ValueError("Not a Debian package (no ar archive header).")
    members, offset = {}, 8
    while offset + 60 <= len(blob):
        header = blob[offset:offset + 60]
        if header[58:60] != b"`\n":
            raise ValueError(f"Damaged Debian package: bad member header at byte {offset}.")
        name = header[:16].decode("ascii").strip().rstrip("/")
        size = int(header[48:58].decode("ascii").strip())
        start = offset + 60
        if start + size > len(blob):
            raise ValueError(f"Damaged Debian package: member {name!r} is cut short.")
        members[name] = blob[start:start + size]
        offset = start + size + (size % 2)  # members are 2-byte aligned
    return members


def _cached_name(name):
    return f"{name}.png"


def _shrink(image, long_side=LONG_SIDE):
    """``image`` with its long side at most ``long_side`` px (area-averaged)."""
    scale = long_side / max(image.shape[:2])
    if scale >= 1:
        return image
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BOX))


def fetch(cache=None, timeout=600):
    """Fetch the pinned packages once (with ``apt-get download``) and extract :data:`PHOTOS`.

    Parameters
    ----------
    cache : str or Path, optional
        Default :data:`CACHE`.
    timeout : float, optional
        Seconds to wait for each ``apt-get download``.

    Returns
    -------
    cache : Path
        The folder holding the photos (PNG, long side at most
        :data:`LONG_SIDE`). Nothing is downloaded when every photo is
        already there.

    Raises
    ------
    OSError
        If apt-get is missing or fails, or a file's SHA-256 does not match :data:`PACKAGES`.
    ValueError
        If a package is not what it should be (no data archive, a photo missing).
    """
    cache = Path(CACHE if cache is None else cache)
    missing = {n: v for n, v in PHOTOS.items() if not (cache / _cached_name(n)).is_file()}
    if not missing:
        return cache
    for package in sorted({p for p, _, _ in missing.values()}):
        version, _deb, sha256, _licence = PACKAGES[package]
        _, blob = apt_download(package, version, timeout=timeout)
        pinned = f"{package}={version}"  # how the messages below name the package
        digest = hashlib.sha256(blob).hexdigest()
        if digest != sha256:
            raise OSError(f"{pinned} (apt-get download) has SHA-256 {digest}, expected {sha256}.")
        cache.mkdir(parents=True, exist_ok=True)
        data = [v for k, v in deb_members(blob).items() if k.startswith("data.tar")]
        if not data:
            raise ValueError(f"{pinned} has no data archive.")
        wanted = {path: name for name, (p, path, _) in missing.items() if p == package}
        with tarfile.open(fileobj=io.BytesIO(data[0]), mode="r:*") as archive:
            for member in archive:
                if member.name in wanted and (member.isfile() or member.islnk()):
                    image = _shrink(read_image(archive.extractfile(member).read()))
                    png = io.BytesIO()
                    Image.fromarray(image).save(png, format="PNG")
                    write_atomically(cache / _cached_name(wanted.pop(member.name)), png.getvalue())
        if wanted:
            raise ValueError(f"{pinned} lacks {', '.join(sorted(wanted))}.")
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
    for name, (package, path, what) in PHOTOS.items():
        version, _, _, licence = PACKAGES[package]
        source = f"Debian package {package} {version} ({Path(path).name}: {what}; {licence})"
        photos.append(Photo(name, source, read_image((Path(cache) / _cached_name(name)).read_bytes())))
    return photos
