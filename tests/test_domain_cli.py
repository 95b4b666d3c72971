"""The command line trains on a folder of photos for a time budget, and the result loads as an Inpainter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """``python -m patchlab.inpainting.train --data DIR --seconds S --out PATH`` on three tiny photos."""
    folder = tmp_path_factory.mktemp("domain")
    photos = folder / "photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        Image.fromarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)).save(photos / f"p{i}.png")
    (photos / "notes.txt").write_text("not a photo")
    out = folder / "out" / "mine.keras"
    cmd = [sys.executable, "-m", "patchlab.inpainting.train", "--data", str(photos), "--seconds", "1",
           "--steps", "500", "--batch", "1", "--size", "32", "--threads", "1", "--out", str(out)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return out, json.loads(done.stdout[done.stdout.index("{"):])


def test_the_cli_stops_on_its_time_budget_and_writes_the_model_and_its_card(trained):
    out, printed = trained
    assert out.is_file() and out.with_suffix(".json").is_file()
    assert printed["model"] == "mine.keras" and 1 <= printed["steps_done"] < 500
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["status"] == f"stopped at step {card['steps_done']} of 500"
    assert card["data_dir"].endswith("photos") and [p["name"] for p in card["training_photos"]] == ["p0", "p1", "p2"]
    assert card["held_out_photos"] == [] and "--seconds 1" in card["command"] and "--data" in card["command"]


def test_inpainter_load_takes_any_such_file_when_told_it_may(trained):
    from patchlab.inpainting import Inpainter

    out, _ = trained
    with pytest.raises(ValueError, match="Models are only loaded from"):
        Inpainter.load(path=out)  # a page never loads a file from elsewhere by accident
    model = Inpainter.load(path=out, allow_outside_models=True)
    assert model.arch == "unet" and model.card["model"] == "mine.keras"
    photo = np.random.default_rng(1).integers(0, 255, (40, 50, 3), dtype=np.uint8)
    mask = np.zeros((40, 50), bool)
    mask[10:20, 10:25] = True
    filled = model.inpaint(photo, mask)
    assert filled.shape == photo.shape and np.array_equal(filled[~mask], photo[~mask])
