"""A domain of photos to teach the inpainter: the participant's own, or a bundled demo domain.

The tutorial trains its autoencoder on one domain, mountains, because "a
wider set of images would make the model perform worse". The *Train an
inpainter* page lets a room try it: a participant uploads 2-200 photos
(several files or one ``.zip``) or picks a demo domain, and the photos are
split into training and held-out photos, 80/20 like the tutorial.

:func:`read_photo_set` turns uploaded files into a :class:`PhotoSet`:

- caps on the number of files, the bytes of each and the bytes in all
  (:data:`MAX_PHOTOS`, :data:`MAX_FILE_BYTES`, :data:`MAX_TOTAL_BYTES`);
  a zip's members are checked on the sizes its directory declares *and*
  on the bytes actually read (a zip bomb that lies in its directory is
  caught while it is read, never unpacked past the cap);
- files that are not images are skipped and listed by name; duplicates
  (the same bytes, or the same pixels) are dropped and listed; photos
  whose short side is under the crop size are refused, each with its size;
- photos are decoded by :func:`patchlab.images.read_image` (bounded
  decoding, EXIF orientation) into a bounded working size, in memory:
  nothing is written to disk;
- a seeded split (:func:`split_photos`) holds out a fifth, at least one.

:func:`demo_photo_set` builds a demo domain from photos that ship inside
scikit-image (:data:`DEMO_DOMAINS`): no download at run time.

Every problem is a :class:`PhotoSetError` whose message a participant can
act on. No Streamlit here.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import cv2
import numpy as np

from patchlab.i18n import N_, _, ngettext
from patchlab.images import ImageError, read_image
from patchlab.inpainting.data import Photo

__all__ = ["PhotoSetError", "PhotoSet", "DemoDomain", "DEMO_DOMAINS", "MIN_PHOTOS", "ADVISED_PHOTOS", "MAX_PHOTOS",
           "MAX_FILE_BYTES", "MAX_TOTAL_BYTES", "MAX_ZIP_MEMBERS", "MAX_WORKING_BYTES", "UPLOAD_CROP",
           "WORKING_SHORT_SIDE", "WORKING_LONG_SIDE", "HELD_OUT_SHARE", "read_photo_set", "split_photos",
           "working_size", "demo_photo_set", "crop_size_for"]

#: Fewest photos: one to learn from and one held out to score on.
MIN_PHOTOS = 2
#: Fewer photos than this work but are said to be few (the held-out score then rests on one photo).
ADVISED_PHOTOS = 5
#: Most photos in one set.
MAX_PHOTOS = 200
#: Most bytes of one file (an uploaded photo, or a member of a zip once unpacked).
MAX_FILE_BYTES = 20 * 2 ** 20
#: Most bytes in all: the uploads together, or a zip's members once unpacked.
MAX_TOTAL_BYTES = 100 * 2 ** 20
#: Most entries a zip may list (folders and skipped files included).
MAX_ZIP_MEMBERS = 1000
#: Most bytes the decoded working photos of one set may hold (200 photos of 320 x 480 fit).
MAX_WORKING_BYTES = 96 * 2 ** 20
#: Training crop of an uploaded set (the U-Net's training size): photos need this short side.
UPLOAD_CROP = 256
#: Photos are downscaled to at most this short side and this long side (never below the crop size).
WORKING_SHORT_SIDE = 320
WORKING_LONG_SIDE = 480
#: Share of the photos held out (the tutorial's 80/20 split), at least one photo.
HELD_OUT_SHARE = 0.2
#: File names a zip made on a Mac or Windows carries besides the photos; skipped without a word.
_NOISE = ("__MACOSX/", ".DS_Store", "Thumbs.db", "desktop.ini")


class PhotoSetError(ValueError):
    """The photos cannot be used as they are; the message says why and what to do."""


@dataclass(frozen=True)
class PhotoSet:
    """Photos of one domain, split into training and held-out photos.

    Attributes
    ----------
    name : str
        What the domain is called on the page ("your 12 photos", "Brick wall").
    train, held_out : tuple of Photo
        Each :class:`~patchlab.inpainting.data.Photo` holds an ``(H, W, 3)``
        uint8 image at the working size; at least one of each.
    crop_size : int
        The side of the square crops training takes (every photo's short
        side is at least this).
    skipped : tuple of (str, str)
        ``(file name, why)`` for every file not used: not an image, too
        small, too large.
    duplicates : tuple of (str, str)
        ``(file name, the file it repeats)`` for every duplicate dropped.
    notes : tuple of str
        Sentences for the page (few photos, photos downscaled, ...).
    digest : str
        Identifies the set (its photos' pixels and the split).
    """

    name: str
    train: tuple
    held_out: tuple
    crop_size: int
    skipped: tuple = ()
    duplicates: tuple = ()
    notes: tuple = ()
    digest: str = ""
    source: str = "upload"

    @property
    def n_photos(self) -> int:
        return len(self.train) + len(self.held_out)

    @property
    def nbytes(self) -> int:
        """Bytes the decoded photos hold."""
        return sum(p.image.nbytes for p in (*self.train, *self.held_out))

    def summary(self) -> str:
        """One sentence: how many photos, how they were split, the crop size."""
        return (_("{n_photos} photos: {n_train} to train on, {n_held_out} held out "
                "to score on (never trained on); training crops of {crop_size}×{crop_size} px.").format(n_photos=self.n_photos, n_train=len(self.train), n_held_out=len(self.held_out), crop_size=self.crop_size))


# ------------------------------------------------------------------ reading uploads


def _name_and_bytes(item):
    """``(name, bytes)`` of a ``(name, data)`` pair or of an object with ``.name`` and ``.getvalue()``."""
    if isinstance(item, tuple) and len(item) == 2:
        name, data = item
    elif hasattr(item, "getvalue") and hasattr(item, "name"):
        name, data = item.name, item.getvalue()
    else:
        raise PhotoSetError(_("Each upload must be a file (a name and its bytes)."))
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise PhotoSetError(_("The upload “{name}” holds no bytes.").format(name=name))
    return str(name), data


def _mb(n: int) -> str:
    return f"{n / 2 ** 20:.0f} MB" if n >= 2 ** 20 else f"{n / 1024:.0f} kB"


def _is_noise(name: str) -> bool:
    base = PurePosixPath(name).name
    return any(name.startswith(n) or base == n for n in _NOISE) or base.startswith("._")


def _zip_members(name: str, data: bytes, budget: int):
    """The files of the zip ``data``: ``[(member name, bytes)]``, and ``[(member, why)]`` skipped.

    ``budget`` is how many unpacked bytes the zip may still give.

    Raises
    ------
    PhotoSetError
        Not a zip, too many entries, more bytes than the caps (declared
        or found while reading), encrypted or damaged.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, IndexError, KeyError,
            UnicodeDecodeError, NotImplementedError, RuntimeError, TypeError, zlib.error, OverflowError,
            MemoryError) as exc:
        raise PhotoSetError(_("“{name}” is not a zip archive PatchLab can open ({value}). Upload the "
                            "photos themselves, or a .zip made with your computer's “compress” command.").format(name=name, value=_why_zip(exc))) from None
    with archive:
        try:
            infos = archive.infolist()
        except Exception:  # noqa: BLE001 - any failure of a damaged directory is the same sentence
            infos = None
        if infos is None:
            raise PhotoSetError(_("“{name}”: the zip's list of files is damaged.").format(name=name))
        if len(infos) > MAX_ZIP_MEMBERS:
            raise PhotoSetError(_("“{name}” lists {n_infos} entries; a zip may hold at most "
                                "{max_zip_members} (and at most {max_photos} photos).").format(name=name, n_infos=f"{len(infos):,}", max_zip_members=f"{MAX_ZIP_MEMBERS:,}", max_photos=MAX_PHOTOS))
        files = [i for i in infos if not i.is_dir() and not _is_noise(i.filename)]
        declared = sum(max(0, int(i.file_size)) for i in files if i.file_size <= MAX_FILE_BYTES)
        if declared > budget:
            raise PhotoSetError(_("“{name}” unpacks to {value}; the limit is {value2} in all. "
                                "Use fewer or smaller photos.").format(name=name, value=_mb(declared), value2=_mb(MAX_TOTAL_BYTES)))
        members, skipped, total = [], [], 0
        for info in files:
            member = info.filename
            if info.file_size > MAX_FILE_BYTES:
                skipped.append((member, _("{value} unpacked; the limit is {value2} a file").format(value=_mb(info.file_size), value2=_mb(MAX_FILE_BYTES))))
                continue
            if info.flag_bits & 0x1:
                raise PhotoSetError(_("“{name}” is password-protected; upload a zip without a password.").format(name=name))
            try:
                with archive.open(info) as handle:
                    content = handle.read(MAX_FILE_BYTES + 1)  # never more than the cap, whatever it declares
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, IndexError, KeyError,
                    NotImplementedError, RuntimeError, TypeError, zlib.error, OverflowError, MemoryError) as exc:
                raise PhotoSetError(_("“{name}”: the file “{member}” in it could not be unpacked "
                                    "({value}).").format(name=name, member=member, value=_why_zip(exc))) from None
            if len(content) > MAX_FILE_BYTES or len(content) > max(0, info.file_size):
                raise PhotoSetError(_("“{name}” looks like a zip bomb: “{member}” unpacks to more than the "
                                    "{value} its header declares. Nothing was used.").format(name=name, member=member, value=_mb(max(0, info.file_size))))
            total += len(content)
            if total > budget:
                raise PhotoSetError(_("“{name}” unpacks to more than {value} in all; "
                                    "use fewer or smaller photos.").format(name=name, value=_mb(MAX_TOTAL_BYTES)))
            members.append((member, content))
    return members, skipped


def _why_zip(exc: BaseException) -> str:
    if isinstance(exc, zipfile.BadZipFile):
        return _("it is not a zip file, or it is damaged")
    if isinstance(exc, NotImplementedError):
        return _("it uses a compression method PatchLab does not read")
    if isinstance(exc, RuntimeError) and "encrypt" in str(exc).lower():
        return _("it is password-protected")
    return _("it is damaged")


def working_size(shape, min_side: int) -> tuple[int, int]:
    """The ``(height, width)`` a photo of ``shape`` is decoded to.

    Downscaled (never upscaled) so the short side is at most
    :data:`WORKING_SHORT_SIDE` and the long side at most
    :data:`WORKING_LONG_SIDE`, but never below ``min_side`` on the short side.

    Examples
    --------
    >>> working_size((3000, 4000), 256)
    (320, 427)
    >>> working_size((1000, 4000), 256)
    (256, 1024)
    >>> working_size((300, 200), 128)
    (300, 200)
    """
    h, w = int(shape[0]), int(shape[1])
    if h < 1 or w < 1:
        raise ValueError(f"`shape` must have positive sides, got {shape!r}.")
    if min_side < 1:
        raise ValueError(f"`min_side` must be at least 1, got {min_side}.")
    short, long = min(h, w), max(h, w)
    scale = min(1.0, WORKING_SHORT_SIDE / short, WORKING_LONG_SIDE / long)
    scale = min(1.0, max(scale, min_side / short))
    if scale == 1.0:
        return h, w
    return max(min_side if h == short else 1, round(h * scale)), max(min_side if w == short else 1, round(w * scale))


def _shrink(image: np.ndarray, min_side: int) -> np.ndarray:
    h, w = working_size(image.shape, min_side)
    if (h, w) == image.shape[:2]:
        return np.ascontiguousarray(image)
    return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)


def read_photo_set(files, *, min_side: int = UPLOAD_CROP, seed: int = 0, name: str | None = None) -> PhotoSet:
    """Read uploaded photos (several files, or zips of them) into a :class:`PhotoSet`.

    Parameters
    ----------
    files : sequence
        The uploads: ``(name, bytes)`` pairs, or objects with ``.name`` and
        ``.getvalue()`` (Streamlit's uploaded files). A file whose name
        ends in ``.zip`` is unpacked (in memory) and its members are read
        as photos; folders in it are flattened.
    min_side : int, optional
        The training crop size: a photo with a shorter short side is
        refused (and listed with its size). Default :data:`UPLOAD_CROP`.
    seed : int, optional
        Seeds the training / held-out split.
    name : str, optional
        What the set is called; default "your N photos".

    Returns
    -------
    PhotoSet
        Photos at the working size (:func:`working_size`), split by
        :func:`split_photos`; files not used are listed in ``skipped`` and
        ``duplicates``.

    Raises
    ------
    PhotoSetError
        No file; more than :data:`MAX_PHOTOS` photos or more bytes than
        :data:`MAX_FILE_BYTES` / :data:`MAX_TOTAL_BYTES`; a ``.zip`` that is
        not a zip, is encrypted, or unpacks to more than it declares; fewer
        than :data:`MIN_PHOTOS` usable photos. The message names the files.

    Notes
    -----
    Memory: the files are read one at a time; each is decoded at full size
    (at most :data:`patchlab.images.MAX_PIXELS` pixels) and at once reduced
    to the working size, so the set holds at most about 0.5 MB per photo
    (:data:`MAX_WORKING_BYTES` in all). Nothing is written to disk.

    Examples
    --------
    >>> from PIL import Image
    >>> def png(colour):
    ...     buf = io.BytesIO(); Image.new("RGB", (300, 260), colour).save(buf, "PNG"); return buf.getvalue()
    >>> photos = read_photo_set([("a.png", png("red")), ("b.png", png("blue")), ("c.txt", b"hello")])
    >>> len(photos.train), len(photos.held_out), photos.skipped
    (1, 1, (('c.txt', 'not an image PatchLab can read'),))
    """
    if isinstance(min_side, bool) or not isinstance(min_side, (int, np.integer)) or min_side < 16:
        raise ValueError(f"`min_side` must be an int of at least 16, got {min_side!r}.")
    candidates, skipped = _unpacked_uploads(files)
    photos, duplicates = _decoded_photos(candidates, skipped, min_side)
    if len(photos) < MIN_PHOTOS:
        raise PhotoSetError(_too_few(len(photos), skipped, duplicates, min_side))
    train, held_out = split_photos(photos, seed)
    notes = []
    if len(photos) < ADVISED_PHOTOS:
        notes.append(ngettext("Only {n} photos: training works, but the held-out score rests on {held_out} photo. "
                              "{advised}–{most} photos of one kind of scene give a fairer picture.",
                              "Only {n} photos: training works, but the held-out score rests on {held_out} photos. "
                              "{advised}–{most} photos of one kind of scene give a fairer picture.",
                              len(held_out)).format(n=len(photos), held_out=len(held_out), advised=ADVISED_PHOTOS,
                                                    most=MAX_PHOTOS))
    return PhotoSet(name=name or _("your {n} photos").format(n=len(photos)), train=tuple(train), held_out=tuple(held_out),
                    crop_size=int(min_side), skipped=tuple(skipped), duplicates=tuple(duplicates), notes=tuple(notes),
                    digest=_digest(train, held_out), source="upload")


def _unpacked_uploads(files) -> tuple[list, list]:
    """The uploads as ``(name, bytes)`` candidates, zips unpacked, and the files skipped with why.

    Raises :class:`PhotoSetError` for no file, too many files or too many bytes in all.
    """
    files = list(files or ())
    if not files:
        raise PhotoSetError(_("No photos yet: choose 2–200 photos, or one .zip of them."))
    if len(files) > MAX_PHOTOS:
        raise PhotoSetError(_("{n_files} files were uploaded; the limit is {max_photos} photos.").format(n_files=len(files), max_photos=MAX_PHOTOS))
    pairs = [_name_and_bytes(f) for f in files]
    uploaded = sum(len(d) for _, d in pairs)
    if uploaded > MAX_TOTAL_BYTES:
        raise PhotoSetError(_("The uploads hold {value}; the limit is {value2} in all. "
                            "Use fewer or smaller photos.").format(value=_mb(uploaded), value2=_mb(MAX_TOTAL_BYTES)))

    candidates, skipped = [], []
    budget = MAX_TOTAL_BYTES
    for file_name, data in pairs:
        if len(data) > MAX_FILE_BYTES:
            skipped.append((file_name, _("{value}; the limit is {value2} a file").format(value=_mb(len(data)), value2=_mb(MAX_FILE_BYTES))))
            continue
        if file_name.lower().endswith(".zip"):
            members, zip_skipped = _zip_members(file_name, data, budget)
            budget -= sum(len(d) for _, d in members)
            candidates += members
            skipped += zip_skipped
        else:
            candidates.append((file_name, data))
    if len(candidates) > MAX_ZIP_MEMBERS:
        raise PhotoSetError(_("{n_candidates} files in all; at most {max_photos} photos can be used.").format(
            n_candidates=f"{len(candidates):,}", max_photos=MAX_PHOTOS))
    return candidates, skipped


def _decoded_photos(candidates, skipped: list, min_side: int) -> tuple[list, list]:
    """Decode each candidate once, at the working size; return the photos and the duplicates.

    Unreadable and too small files are appended to ``skipped`` (with why).
    Raises :class:`PhotoSetError` past :data:`MAX_PHOTOS` photos or :data:`MAX_WORKING_BYTES`.
    """
    photos, duplicates, seen_bytes, seen_pixels = [], [], {}, {}
    working = 0
    for file_name, data in candidates:
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen_bytes:
            duplicates.append((file_name, seen_bytes[digest]))
            continue
        seen_bytes[digest] = file_name
        try:
            image = read_image(data)
        except ImageError:
            skipped.append((file_name, _("not an image PatchLab can read")))
            continue
        h, w = image.shape[:2]
        if min(h, w) < min_side:
            skipped.append((file_name, _("{w}×{h} pixels: too small; training crops are {min_side}×{min_side}, "
                                         "so a photo needs at least {min_side} pixels on its shorter side").format(
                w=w, h=h, min_side=min_side)))
            continue
        image = _shrink(image, min_side)
        pixels = hashlib.sha256(image.tobytes() + bytes(str(image.shape), "ascii")).hexdigest()
        if pixels in seen_pixels:
            duplicates.append((file_name, seen_pixels[pixels]))
            continue
        seen_pixels[pixels] = file_name
        working += image.nbytes
        if len(photos) >= MAX_PHOTOS:
            raise PhotoSetError(_("More than {max_photos} photos; the limit is {max_photos}. Use fewer photos.").format(max_photos=MAX_PHOTOS))
        if working > MAX_WORKING_BYTES:
            raise PhotoSetError(_("These photos take more than {value} even at the working size; "
                                  "use fewer photos (or less elongated ones).").format(value=_mb(MAX_WORKING_BYTES)))
        photos.append(Photo(PurePosixPath(file_name).stem or file_name,
                            _("upload ({file_name})").format(file_name=file_name), image))
    return photos, duplicates


def _too_few(n: int, skipped, duplicates, min_side: int) -> str:
    found = _("No usable photo") if n == 0 else _("Only one usable photo")
    why = []
    if skipped:
        why.append(ngettext("{n} file was skipped", "{n} files were skipped", len(skipped)).format(n=len(skipped)))
    if duplicates:
        why.append(ngettext("{n} duplicate was dropped", "{n} duplicates were dropped", len(duplicates)).format(
            n=len(duplicates)))
    reason = _(" ({why}: see the list below)").format(why=_("; ").join(why)) if why else ""
    return _("{found}{reason}. Training needs at least {least} different photos, each at least {min_side} pixels on "
             "its shorter side: one to learn from and one held out to score on; {advised}–{most} work best.").format(
        found=found, reason=reason, least=MIN_PHOTOS, min_side=min_side, advised=ADVISED_PHOTOS, most=MAX_PHOTOS)


def split_photos(photos, seed: int = 0, held_out_share: float = HELD_OUT_SHARE):
    """A seeded training / held-out split: ``(train, held_out)``, lists in the input's order.

    ``round(held_out_share * n)`` photos are held out, at least one, and at
    least one is left to train on.

    Raises
    ------
    ValueError
        For fewer than two photos or a share outside (0, 1).

    Examples
    --------
    >>> train, held = split_photos(list(range(10)), seed=0)
    >>> len(train), len(held)
    (8, 2)
    >>> split_photos(list(range(10)), seed=0) == (train, held)
    True
    """
    photos = list(photos)
    if len(photos) < 2:
        raise ValueError(f"`photos` must hold at least 2 photos to split, got {len(photos)}.")
    if not 0 < held_out_share < 1:
        raise ValueError(f"`held_out_share` must lie in (0, 1), got {held_out_share}.")
    n_held = min(len(photos) - 1, max(1, round(held_out_share * len(photos))))
    held = set(np.random.default_rng(seed).permutation(len(photos))[:n_held].tolist())
    return ([p for i, p in enumerate(photos) if i not in held], [p for i, p in enumerate(photos) if i in held])


def _digest(train, held_out) -> str:
    h = hashlib.blake2b(digest_size=8)
    for group in (train, held_out):
        for p in group:
            h.update(p.image.tobytes())
        h.update(b"|")
    return h.hexdigest()


def crop_size_for(arch: str, photo_set: PhotoSet) -> int:
    """The training crop for ``arch`` on ``photo_set``: its crop size for the U-Net, ``8 k + 4`` at most that for the seed."""
    if arch == "unet":
        return int(photo_set.crop_size)
    if arch == "seed":
        return int(photo_set.crop_size - ((photo_set.crop_size - 4) % 8))
    raise ValueError(f"`arch` must be 'unet' or 'seed', got {arch!r}.")


# ------------------------------------------------------------------ bundled demo domains


@dataclass(frozen=True)
class DemoDomain:
    """A demo domain cut from one photo that ships inside scikit-image.

    The photo is cut into a grid of non-overlapping ``tile`` x ``tile``
    tiles; each tile is one "photo" of the domain, so held-out tiles share
    no pixel with the training tiles.
    """

    title: str
    filename: str
    description: str
    tile: int = 128

    @property
    def path(self) -> Path:
        import skimage.data

        return Path(skimage.data.__file__).parent / self.filename


#: The demo domains. The shipped U-Net saw these three texture photos whole, among some 70 others,
#: in its training (models/inpainting.json lists them); a domain model sees nothing else.
DEMO_DOMAINS = {
    "brick": DemoDomain(N_("Brick wall"), "brick.png", N_("16 tiles of scikit-image's brick-wall texture photo "
                                                    "(brick.png, grayscale, CC0)")),
    "gravel": DemoDomain(N_("Gravel"), "gravel.png", N_("16 tiles of scikit-image's gravel texture photo "
                                                  "(gravel.png, grayscale, CC0)")),
    "grass": DemoDomain(N_("Grass"), "grass.png", N_("16 tiles of scikit-image's grass texture photo "
                                               "(grass.png, grayscale, CC0)")),
}


def demo_photo_set(key: str, seed: int = 0) -> PhotoSet:
    """The demo domain ``key`` of :data:`DEMO_DOMAINS` as a :class:`PhotoSet` (tiles split 80/20).

    Raises
    ------
    ValueError
        For an unknown ``key``.
    PhotoSetError
        When the photo is missing from this installation of scikit-image.

    Examples
    --------
    >>> brick = demo_photo_set("brick")
    >>> len(brick.train), len(brick.held_out), brick.crop_size, brick.train[0].image.shape
    (13, 3, 128, (128, 128, 3))
    """
    if key not in DEMO_DOMAINS:
        raise ValueError(f"`key` must be one of {', '.join(DEMO_DOMAINS)}; got {key!r}.")
    domain = DEMO_DOMAINS[key]
    try:
        image = read_image(domain.path.read_bytes())
    except (OSError, ImageError) as exc:
        raise PhotoSetError(_("The demo domain “{title}” needs {filename} from scikit-image, "
                            "which this installation lacks ({value}).").format(title=domain.title, filename=domain.filename, value=type(exc).__name__)) from None
    t = domain.tile
    rows, cols = image.shape[0] // t, image.shape[1] // t
    tiles = [Photo(f"{key}_{r}_{c}", f"skimage.data ({domain.filename}), tile row {r} column {c} of {t} px",
                   np.ascontiguousarray(image[r * t:(r + 1) * t, c * t:(c + 1) * t]))
             for r in range(rows) for c in range(cols)]
    train, held_out = split_photos(tiles, seed)
    return PhotoSet(name=domain.title, train=tuple(train), held_out=tuple(held_out), crop_size=t,
                    notes=(domain.description,), digest=_digest(train, held_out), source=f"demo:{key}")
