"""Uploads through the pages, and the server configuration participants rely on."""

import io
import os
import tempfile
import tomllib
from pathlib import Path

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def png_bytes(h, w, seed=0):
    arr = np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def patches_page_with_upload(name, data, mime="image/png"):
    at = AppTest.from_file(str(ROOT / "pages" / "patches.py"), default_timeout=120)
    at.run()
    at.sidebar.selectbox(key="pt_choice").set_value("Upload your own…").run()
    at.sidebar.file_uploader[0].set_value((name, data, mime)).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_upload_is_used_and_large_ones_are_downscaled_with_a_notice():
    at = patches_page_with_upload("big.png", png_bytes(900, 1200))
    assert any("downscaled to 512×384" in c.value for c in at.sidebar.caption)
    assert any("512×384" in c.value for c in at.caption)  # engine timings name the working size


def test_bad_upload_gets_a_message_and_the_page_keeps_working():
    at = patches_page_with_upload("notes.png", b"this is not an image")
    assert any("not an image" in e.value for e in at.sidebar.error)
    assert any(m.label == "Patches" for m in at.metric)  # fell back to the default photo


def test_upload_touches_no_disk():
    tmp = tempfile.gettempdir()
    before = set(os.listdir(tmp))
    patches_page_with_upload("photo.png", png_bytes(200, 300, seed=1))
    assert set(os.listdir(tmp)) - before == set()


def test_upload_is_not_put_in_the_url():
    """The link a participant shares never carries their upload: no file name, no
    'upload' marker, no image data; only a bundled sample's name, or no photo at all."""
    from patchlab.images import SAMPLES

    at = patches_page_with_upload("my-holiday-photo.png", png_bytes(200, 300, seed=2))
    at.sidebar.slider(key="pt_sh").set_value(16).run()
    params = {key: str(at.query_params[key]) for key in at.query_params}
    assert params, "the page writes its settings to the URL (those not at their defaults)"
    assert params.get("img", "astronaut") in SAMPLES
    assert not any("holiday" in v or "upload" in v.lower() or len(v) > 64 for v in params.values()), params


def test_server_config_protects_participants():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert cfg["server"]["enableXsrfProtection"] is True
    assert 1 <= cfg["server"]["maxUploadSize"] <= 50
    assert cfg["server"]["headless"] is True
    assert cfg["browser"]["gatherUsageStats"] is False
    assert cfg["client"]["showErrorDetails"] in ("none", False)
    assert cfg["runner"]["postScriptGC"] is False  # no full collection after every participant's run


def test_no_page_renders_raw_html():
    for path in [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("src/patchlab/ui/*.py")]:
        text = path.read_text()
        assert "unsafe_allow_html=True" not in text, path
        assert "st.html(" not in text, path


def inpainting_page_with_upload(name, data, mime="image/png"):
    at = AppTest.from_file(str(ROOT / "pages" / "inpainting.py"), default_timeout=120)
    at.run()
    at.radio[0].set_value("Upload your own").run()
    at.file_uploader[0].set_value((name, data, mime)).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_inpainting_upload_is_downscaled_decoded_once_and_filled(monkeypatch):
    from patchlab.images import read_image as real_read_image
    from patchlab.inpainting.display import canvas_size
    from patchlab.ui import picker
    from patchlab.ui.canvas import inject_key

    calls = []
    monkeypatch.setattr(picker, "read_image", lambda data: calls.append(1) or real_read_image(data))
    at = inpainting_page_with_upload("big.png", png_bytes(900, 1200, seed=3))
    assert any("downscaled to 512×384" in c.value for c in at.caption)
    width, height = canvas_size((384, 512, 3))
    rgba = np.zeros((height, width, 4), np.uint8)
    rgba[height // 3: height // 2, width // 3: width // 2] = (255, 0, 255, 200)
    at.session_state[inject_key("mask")] = rgba
    at.run()
    at.button(key="fill").click().run()
    assert not at.exception and not at.error
    assert len(at.table) == 1
    assert len(calls) == 1  # decoded once, though the page ran four times with it


def test_inpainting_bad_upload_gets_a_message():
    at = inpainting_page_with_upload("notes.png", b"this is not an image")
    assert at.error and "image" in at.error[0].value.lower()
    assert not [b for b in at.button if b.key == "fill"]  # nothing to fill
