"""The held-out photo list: pinned sources, licences, variety, and no photo the shipped model trained on."""

import json
import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from patchlab.inpainting import data, heldout
from patchlab.inpainting.data import Photo
from patchlab.inpainting.heldout import PACKAGES, PHOTOS, TAGS, near_duplicates, rcc_members

CARD = Path(__file__).resolve().parents[1] / "models" / "inpainting.json"


def test_at_least_30_photos_from_at_least_3_pinned_packages():
    assert len(PHOTOS) >= 30
    used = {p.package for p in PHOTOS.values()}
    assert len(used) >= 3 and used <= set(PACKAGES)
    for name, package in PACKAGES.items():
        assert package.client in ("pip", "apt-get") and package.version
        if package.client == "apt-get":
            assert re.fullmatch(r"[0-9a-f]{64}", package.sha256), name
    for name, photo in PHOTOS.items():
        if PACKAGES[photo.package].client == "pip":  # checked file by file in the installed package
            assert re.fullmatch(r"[0-9a-f]{64}", photo.sha256), name


def test_every_photo_has_source_version_licence_and_content():
    for record in heldout.records():
        assert record["package"] in PACKAGES and record["version"] == PACKAGES[record["package"]].version
        assert record["file"] and record["licence"] and record["what"], record["name"]
        assert record["tags"] and set(record["tags"]) <= set(TAGS), record["name"]
    counts = {tag: sum(tag in p.tags for p in PHOTOS.values()) for tag in TAGS}
    assert min(counts.values()) >= 2, counts  # landscape, foliage, water, sky, buildings, faces, objects, texture


def test_the_old_held_out_photos_stay_in_the_set():
    assert set(data.HELD_OUT) <= set(heldout.names())


@pytest.mark.skipif(not CARD.exists(), reason="no model card committed")
def test_no_photo_was_used_to_train_the_shipped_model():
    card = json.loads(CARD.read_text())
    training = card["training_photos"]
    assert training, "the card lists the training photos"
    assert not set(heldout.names()) & {t["name"] for t in training}
    sources = " ".join(t["source"] for t in training)
    for name, photo in PHOTOS.items():
        if photo.package != "scikit-image":  # a package the training photos never came from
            assert photo.package not in sources, name
        # and no training photo is this file
        assert Path(photo.file.split(":")[-1]).name not in sources, name


def _rcc(files):
    """A Qt resource file (format 3) holding ``files`` (name -> (bytes, compress)) in one folder 'res'."""
    names, name_at = b"", {}
    for n in ["res", *files]:
        name_at[n] = len(names)
        text = n.encode("utf-16-be")
        names += struct.pack(">HI", len(n), 0) + text
    data, data_at = b"", {}
    for n, (content, compress) in files.items():
        stored = struct.pack(">I", len(content)) + zlib.compress(content) if compress else content
        data_at[n] = len(data)
        data += struct.pack(">I", len(stored)) + stored
    entry = 22
    tree = struct.pack(">IHII", 0, 2, 1, 1) + bytes(8)  # root: a folder with one child (index 1)
    tree += struct.pack(">IHII", name_at["res"], 2, len(files), 2) + bytes(8)
    for n, (_, compress) in files.items():
        tree += struct.pack(">IHHHI", name_at[n], 1 if compress else 0, 0, 0, data_at[n]) + bytes(8)
    assert len(tree) == entry * (2 + len(files))
    head = 24
    return (b"qres" + struct.pack(">IIIII", 3, head, head + len(tree) + len(names), head + len(tree), 0)
            + tree + names + data)


def test_rcc_members_reads_plain_and_compressed_entries():
    blob = _rcc({"a.webp": (b"plain bytes", False), "b.jpg": (b"squeezed " * 20, True)})
    assert rcc_members(blob) == {"/res/a.webp": b"plain bytes", "/res/b.jpg": b"squeezed " * 20}
    with pytest.raises(ValueError, match="Qt resource"):
        rcc_members(b"PK\x03\x04 not a resource file")


def _picture(seed, h=120, w=160):
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (6, 8, 3)).astype(np.uint8)
    return np.kron(small, np.ones((20, 20, 1), np.uint8))[:h, :w]


def test_near_duplicates_finds_a_resized_crop_and_not_a_different_photo():
    original = _picture(0)
    crop = original[:, 20:140]  # the centred square
    resized = np.asarray(__import__("PIL.Image", fromlist=["Image"]).fromarray(crop).resize((60, 60)))
    pairs = near_duplicates([Photo("held", "", original)], [Photo("copy", "", resized),
                                                            Photo("other", "", _picture(1))])
    assert [(a, b) for a, b, _ in pairs] == [("held", "copy")]
    with pytest.raises(ValueError, match="threshold"):
        near_duplicates([], [], threshold=0)


def test_fetch_refuses_a_package_whose_sha256_differs(tmp_path, monkeypatch):
    monkeypatch.setattr(heldout, "apt_download", lambda name, version, timeout: (f"{name}.deb", b"not it"))
    with pytest.raises(OSError, match=r"gcompris-qt-data=3\.1-2 .*SHA-256"):
        heldout.fetch(tmp_path)
    assert (tmp_path / ".gitignore").read_text().strip().endswith("*")  # the cache never shows up in git
    assert (tmp_path / "astronaut.png").is_file()  # the pip-installed photos were checked and kept


def test_load_without_download_names_the_missing_photo(tmp_path):
    with pytest.raises(OSError):
        heldout.load(tmp_path, download=False)
