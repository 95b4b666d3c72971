"""Reading a participant's photos for domain training: caps, zips, bombs, junk, duplicates, the split."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from patchlab.inpainting import domain
from patchlab.inpainting.domain import (DEMO_DOMAINS, MAX_FILE_BYTES, MAX_PHOTOS, MIN_PHOTOS, PhotoSet,
                                        PhotoSetError, demo_photo_set, read_photo_set, split_photos, working_size)


def photo(h=300, w=400, seed=0, fmt="PNG"):
    arr = np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format=fmt)
    return buf.getvalue()


def zipped(members, compression=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


def test_several_files_are_read_split_and_kept_in_memory_at_the_working_size():
    files = [(f"p{i}.png", photo(300 + i, 400, seed=i)) for i in range(10)]
    photos = read_photo_set(files, seed=3)
    assert isinstance(photos, PhotoSet)
    assert (len(photos.train), len(photos.held_out)) == (8, 2)
    assert photos.crop_size == 256 and photos.skipped == () and photos.duplicates == () and photos.notes == ()
    for p in photos.train + photos.held_out:
        assert p.image.dtype == np.uint8 and p.image.shape[2] == 3
        assert min(p.image.shape[:2]) >= 256 and max(p.image.shape[:2]) <= 480
    assert read_photo_set(files, seed=3).digest == photos.digest  # seeded: the same split again
    assert read_photo_set(files, seed=4).digest != photos.digest
    assert "10 photos: 8 to train on, 2 held out" in photos.summary()


def test_streamlit_uploaded_files_are_read_by_name_and_bytes():
    class Upload:
        def __init__(self, name, data):
            self.name, self._data = name, data

        def getvalue(self):
            return self._data

    photos = read_photo_set([Upload("a.jpg", photo(seed=1, fmt="JPEG")), Upload("b.png", photo(seed=2))])
    assert {p.name for p in photos.train + photos.held_out} == {"a", "b"}


def test_a_zip_is_unpacked_in_memory_non_images_listed_mac_noise_ignored():
    data = zipped([("trip/one.png", photo(seed=1)), ("trip/two.jpg", photo(seed=2, fmt="JPEG")),
                   ("trip/three.png", photo(seed=3)), ("trip/notes.txt", b"hello"),
                   ("__MACOSX/trip/._one.png", b"\x00\x05junk"), ("trip/.DS_Store", b"junk")])
    photos = read_photo_set([("holiday.zip", data)])
    assert photos.n_photos == 3
    assert photos.skipped == (("trip/notes.txt", "not an image PatchLab can read"),)


def test_a_zip_that_is_not_a_zip_gets_a_sentence():
    with pytest.raises(PhotoSetError, match="“photos.zip” is not a zip archive"):
        read_photo_set([("photos.zip", b"this is a text file, not a zip")])


def test_a_zip_bomb_is_refused_on_its_declared_size():
    big = b"\x00" * (MAX_FILE_BYTES // 2 + 1)  # compresses to a few kB each
    data = zipped([(f"{i}.png", big) for i in range(11)])
    assert len(data) < 5 * 2 ** 20
    with pytest.raises(PhotoSetError, match="unpacks to .* the limit is 100 MB in all"):
        read_photo_set([("bomb.zip", data)])


def test_a_zip_member_larger_than_the_cap_is_skipped_and_listed():
    data = zipped([("a.png", photo(seed=1)), ("b.png", photo(seed=2)), ("huge.png", b"\x00" * (MAX_FILE_BYTES + 1))])
    photos = read_photo_set([("set.zip", data)])
    assert photos.n_photos == 2
    assert photos.skipped[0][0] == "huge.png" and "the limit is 20 MB a file" in photos.skipped[0][1]


def test_a_zip_that_lies_about_its_sizes_is_caught_while_reading():
    """The directory says 100 bytes; the member inflates to 5 MB: never read past what it declares."""
    real = zipped([("a.png", photo(seed=1)), ("lie.png", b"\x00" * (5 * 2 ** 20))])
    archive = bytearray(real)
    with zipfile.ZipFile(io.BytesIO(real)) as z:
        info = z.getinfo("lie.png")
    # patch the uncompressed size in the central directory entry of lie.png
    central = archive.rfind(b"PK\x01\x02")
    assert archive[central + 46:central + 46 + 7] == b"lie.png"
    archive[central + 24:central + 28] = (100).to_bytes(4, "little")
    assert info.file_size == 5 * 2 ** 20
    with pytest.raises(PhotoSetError) as caught:
        read_photo_set([("lie.zip", bytes(archive))])
    assert "lie.png" in str(caught.value)


def test_too_many_photos_and_too_many_bytes_are_refused():
    with pytest.raises(PhotoSetError, match=f"the limit is {MAX_PHOTOS} photos"):
        read_photo_set([(f"{i}.png", b"x") for i in range(MAX_PHOTOS + 1)])
    with pytest.raises(PhotoSetError, match="the limit is 100 MB in all"):
        read_photo_set([(f"{i}.png", b"\x00" * (15 * 2 ** 20)) for i in range(7)])


def test_one_photo_only_is_refused_with_what_is_needed():
    with pytest.raises(PhotoSetError, match=f"Only one usable photo.*at least {MIN_PHOTOS} different photos"):
        read_photo_set([("only.png", photo())])


def test_photos_smaller_than_the_crop_are_refused_with_their_size():
    files = [("big1.png", photo(seed=1)), ("big2.png", photo(seed=2)), ("small.png", photo(200, 150, seed=3))]
    photos = read_photo_set(files)
    assert photos.skipped == (("small.png", "150×200 pixels: too small; training crops are 256×256, so a photo "
                                            "needs at least 256 pixels on its shorter side"),)
    with pytest.raises(PhotoSetError, match=r"No usable photo \(2 files were skipped"):
        read_photo_set([("s1.png", photo(100, 100, seed=1)), ("s2.png", photo(120, 90, seed=2))])


def test_duplicates_are_dropped_and_listed_by_bytes_and_by_pixels():
    a = photo(seed=1)
    same_pixels = io.BytesIO()
    Image.open(io.BytesIO(a)).save(same_pixels, format="PNG", compress_level=1)  # other bytes, same pixels
    assert same_pixels.getvalue() != a
    photos = read_photo_set([("a.png", a), ("copy.png", a), ("again.png", same_pixels.getvalue()),
                             ("b.png", photo(seed=2))])
    assert photos.duplicates == (("copy.png", "a.png"), ("again.png", "a.png"))
    assert photos.n_photos == 2
    with pytest.raises(PhotoSetError, match="1 duplicate was dropped"):
        read_photo_set([("a.png", a), ("copy.png", a)])


def test_few_photos_work_with_a_note_and_no_files_get_a_sentence():
    photos = read_photo_set([(f"{i}.png", photo(seed=i)) for i in range(3)])
    assert (len(photos.train), len(photos.held_out)) == (2, 1)
    assert "Only 3 photos" in photos.notes[0]
    with pytest.raises(PhotoSetError, match="No photos yet"):
        read_photo_set([])


def test_split_holds_out_a_fifth_at_least_one_and_is_seeded():
    for n in range(2, 40):
        train, held = split_photos(range(n), seed=n)
        assert len(held) == max(1, min(n - 1, round(0.2 * n))) and len(train) == n - len(held)
        assert sorted(train + held) == list(range(n))
    assert split_photos(range(10), 5) == split_photos(range(10), 5)
    with pytest.raises(ValueError, match="`photos` must hold at least 2"):
        split_photos([1])


def test_working_size_keeps_the_crop_and_bounds_the_rest():
    assert working_size((4000, 3000), 256) == (427, 320)
    assert working_size((256, 4000), 256) == (256, 4000)  # never below the crop
    assert working_size((200, 300), 128) == (200, 300)  # never upscaled
    with pytest.raises(ValueError, match="`min_side`"):
        working_size((10, 10), 0)


@pytest.mark.parametrize("key", sorted(DEMO_DOMAINS))
def test_demo_domains_are_tiles_of_a_packaged_photo_split_without_overlap(key):
    photos = demo_photo_set(key)
    assert (len(photos.train), len(photos.held_out), photos.crop_size) == (13, 3, 128)
    names = [p.name for p in photos.train + photos.held_out]
    assert len(set(names)) == 16 and not set(p.name for p in photos.train) & set(p.name for p in photos.held_out)
    assert all(p.image.shape == (128, 128, 3) for p in photos.train + photos.held_out)
    assert photos.source == f"demo:{key}" and DEMO_DOMAINS[key].filename in photos.held_out[0].source


def test_the_shipped_model_saw_the_demo_photos_whole_as_the_docs_say():
    """The demo domains' photos are among the shipped U-Net's training photos (its card lists them)."""
    import json

    from patchlab import MODELS_DIR

    card = json.loads((MODELS_DIR / "inpainting.json").read_text())
    sources = " ".join(p["source"] for p in card["training_photos"])
    for d in DEMO_DOMAINS.values():
        assert d.filename in sources


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=4096), name=st.sampled_from(["x.zip", "x.png", "x.jpg", "x"]))
def test_random_bytes_never_raise_anything_but_the_modules_own_error(data, name):
    with pytest.raises(PhotoSetError):
        read_photo_set([(name, data), ("y.zip", data)])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(0, 2000), flip=st.integers(0, 2000), value=st.integers(0, 255))
def test_a_damaged_zip_never_raises_anything_but_the_modules_own_error(cut, flip, value):
    data = bytearray(zipped([("a.png", photo(40, 40, seed=1)), ("b.png", photo(40, 40, seed=2))]))
    if flip < len(data):
        data[flip] = value
    data = bytes(data[:max(1, len(data) - cut)])
    try:
        read_photo_set([("set.zip", data)], min_side=16)
    except PhotoSetError:
        pass


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="`min_side`"):
        read_photo_set([("a.png", photo())], min_side=True)
    with pytest.raises(ValueError, match="`key`"):
        demo_photo_set("mountains")
    with pytest.raises(PhotoSetError, match="a name and its bytes"):
        read_photo_set([42])
    assert domain.crop_size_for("seed", demo_photo_set("brick")) == 124
