"""The validation photos: from the held-out set's pinned package, but neither held out nor trained on."""

import json
from pathlib import Path

import pytest

from patchlab.inpainting import heldout, validation

CARD = Path(__file__).resolve().parents[1] / "models" / "inpainting.json"


def test_twelve_photos_none_held_out():
    assert len(validation.PHOTOS) == 12
    assert not set(validation.names()) & set(heldout.names())
    files = {p.file for p in heldout.PHOTOS.values()}
    assert not {p.file for p in validation.PHOTOS.values()} & files


def test_every_photo_is_pinned_and_described():
    for record in validation.records():
        assert record["package"] in heldout.PACKAGES and record["client"] == "apt-get"
        assert record["version"] == heldout.PACKAGES[record["package"]].version
        assert record["licence"] and record["what"] and record["tags"]
        assert set(record["tags"]) <= set(heldout.TAGS)


@pytest.mark.skipif(not CARD.exists(), reason="no model card committed")
def test_no_photo_was_used_to_train_the_shipped_model():
    training = json.loads(CARD.read_text())["training_photos"]
    assert not set(validation.names()) & {t["name"] for t in training}
    sources = " ".join(t["source"] for t in training)
    assert "gcompris" not in sources


def test_fetch_goes_through_the_pinned_package_and_its_check(tmp_path, monkeypatch):
    asked = []

    def download(name, version, timeout):
        asked.append((name, version))
        return f"{name}.deb", b"not the package"

    monkeypatch.setattr(heldout, "apt_download", download)
    with pytest.raises(OSError, match="SHA-256"):
        validation.load(tmp_path)
    assert asked == [("gcompris-qt-data", "3.1-2")]
    with pytest.raises(OSError):
        validation.load(tmp_path, download=False)


@pytest.mark.skipif(not (validation.CACHE.is_dir() and heldout.CACHE.is_dir()),
                    reason="the photos have not been fetched on this machine")
def test_no_validation_photo_is_a_copy_of_a_held_out_one():
    try:
        mine, theirs = validation.load(download=False), heldout.load(download=False)
    except OSError:
        pytest.skip("some photos are missing from the caches")
    assert heldout.near_duplicates(mine, theirs, threshold=0.9) == []
