"""Take-home notebooks, built but not run: schema, files, pins, no PatchLab, errors as sentences.

Running them in a fresh kernel, and comparing their numbers with the pages',
is tests/test_notebooks_run.py.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile

import nbformat
import numpy as np
import pytest

from patchlab import ROOT
from patchlab.images import load_sample
from patchlab.notebooks import (Download, NotebookError, classification_notebook, inpainting_notebook,
                                patches_notebook, upsampling_notebook)
from patchlab.notebooks import book, models
from patchlab.notebooks.inpainter_training import inpainter_training_notebook
from patchlab.patches.demo import Settings as PatchSettings, analyse_photo

DAY = datetime.date(2026, 5, 4)


def read(download):
    """The notebook and the names of the files beside it."""
    if download.file_name.endswith(".ipynb"):
        return nbformat.reads(download.data.decode(), as_version=4), []
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        names = archive.namelist()
        text = next(archive.read(n) for n in names if n.endswith(".ipynb"))
    return nbformat.reads(text.decode(), as_version=4), names


def requirement_pins():
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().split():
        name, version = line.split("==")
        pins[name.lower().replace("_", "-")] = version
    return pins


@pytest.fixture(scope="module")
def astronaut_patches():
    photo = load_sample("astronaut", max_side=512)
    return photo, analyse_photo(photo, PatchSettings("astronaut", (64, 64), (32, 32), "hann", "pad", 3))


def test_a_sample_photo_gives_one_valid_notebook_that_needs_no_patchlab(astronaut_patches):
    photo, result = astronaut_patches
    download = patches_notebook(photo, result, today=DAY)
    assert isinstance(download, Download)
    assert download.file_name == "patchlab_patches_2026_05_04_astronaut_p64x64_s32x32_hann_pad.ipynb"
    assert download.mime == "application/x-ipynb+json" and download.files == ()
    nb, _ = read(download)
    nbformat.validate(nb)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert not any(re.search(r"^\s*(from|import)\s+patchlab", s, re.M) for s in code)
    assert all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code")
    # the real engine code, not a call into it: the strided view and the reference merge
    assert any("def patchify(" in s and "as_strided" in s for s in code)
    assert any("def unpatchify_reference(" in s for s in code)
    # what the page showed is embedded, readable before anything runs
    pictures = [c for c in nb.cells if c.cell_type == "markdown" and c.get("attachments")]
    assert len(pictures) >= 3
    first = next(iter(pictures[0].attachments.values()))["image/png"]
    assert first.startswith("iVBORw0KGgo")  # base64 of a PNG header


def test_the_first_cell_installs_the_versions_of_requirements_txt(astronaut_patches):
    nb, _ = read(patches_notebook(*astronaut_patches))
    first_code = next(c.source for c in nb.cells if c.cell_type == "code")
    assert first_code.startswith("%pip install")
    pins = requirement_pins()
    asked = dict(p.split("==") for p in first_code.split() if "==" in p)
    assert set(asked) >= {"numpy", "scipy", "pillow", "matplotlib", "scikit-image"}
    for name, version in asked.items():
        assert pins[name.lower()] == version, name


def test_an_upload_travels_as_a_lossless_png_inside_a_zip():
    rng = np.random.default_rng(3)
    photo = rng.integers(0, 256, (61, 83, 3), dtype=np.uint8)
    result = analyse_photo(photo, PatchSettings("upload", (10, 12), (7, 20), "tent", "valid", 2))
    download = patches_notebook(photo, result, today=DAY)
    assert download.file_name.endswith(".zip") and download.mime == "application/zip"
    nb, names = read(download)
    stem = download.file_name[:-4]
    assert sorted(names) == sorted([f"{stem}/{stem}.ipynb", f"{stem}/photo.png"])
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        from PIL import Image

        again = np.asarray(Image.open(io.BytesIO(archive.read(f"{stem}/photo.png"))))
    np.testing.assert_array_equal(again, photo)
    assert "your own photo" in nb.cells[0].source


def test_function_source_is_the_real_code_without_docstrings_or_patchlab_imports():
    from patchlab.inpainting import prefill
    from patchlab.patches import api

    text = book.function_source(api.tent)
    assert text.startswith("def tent(size):\n    # The 1-D bilinear-interpolation kernel")
    assert '"""' not in text and "return 1.0 - np.abs" in text
    namespace = {"np": np}
    exec(text, namespace)  # the cell runs, and computes what the engine computes
    np.testing.assert_array_equal(namespace["tent"](5), api.tent(5))
    assert "import" not in book.function_source(prefill.prefill_function)
    with pytest.raises(ValueError, match="not in the source"):
        book.function_source(api.tent, replace={"no such text": ""})


def test_the_comparison_cell_says_when_a_number_differs(capsys):
    namespace = {"OURS": {"a": 1.0, "b": [1, 2], "c": "x"}, "PAGE": {"a": 1.004, "b": [1, 3], "c": "x"},
                 "TOLERANCES": {"a": 0.01}}
    exec(book.COMPARE_SOURCE, namespace)
    out = capsys.readouterr().out
    assert "agrees   a:" in out and "DIFFERS  b:" in out and "agrees   c:" in out
    assert out.strip().endswith("1 of 3 numbers differ from what the page showed.")
    assert namespace["compare"]({"a": 1.0}, {"a": 1.0}, {}) is True


def test_upsampling_gives_a_lone_notebook_for_a_pattern():
    from patchlab.upsampling.demo import Settings, analyse, input_image

    settings = Settings(factor=3, init="nearest", source="pattern", pattern="checkerboard")
    download = upsampling_notebook(analyse(settings, input_image(settings)), today=DAY)
    assert download.file_name == "patchlab_upsampling_2026_05_04_f3_nearest_k3_checkerboard.ipynb"
    nb, _ = read(download)
    nbformat.validate(nb)
    assert any("Conv2DTranspose(" in c.source for c in nb.cells if c.cell_type == "code")


def test_a_download_over_the_limit_is_a_sentence(monkeypatch, astronaut_patches):
    monkeypatch.setattr(book, "MAX_DOWNLOAD_BYTES", 1000)
    with pytest.raises(NotebookError, match=r"MB download; the limit is"):
        patches_notebook(*astronaut_patches)


def test_a_model_gone_from_the_server_is_a_sentence(tmp_path):
    with pytest.raises(NotebookError, match="no longer on the server"):
        models.shipped_model(tmp_path / "classifier_p18.keras", "the shipped classifier")
    with pytest.raises(NotebookError, match="Train it again"):
        models.participant_model(None, "your model")


def test_nothing_to_take_home_yet_is_a_sentence():
    from patchlab.classification import demo

    view = demo.analyse_digit(demo.Settings(18, "mean", "Draw"), drawing=None)
    with pytest.raises(NotebookError, match="draw a digit"):
        classification_notebook(view)
    with pytest.raises(NotebookError, match="press Fill first"):
        inpainting_notebook(None)
    with pytest.raises(NotebookError, match="press Train first"):
        inpainter_training_notebook(None, None)


def test_other_photos_on_the_page_than_the_domain_model_was_scored_on_is_a_sentence():
    from types import SimpleNamespace

    from patchlab.inpainting.domain import demo_photo_set

    brick, grass = demo_photo_set("brick"), demo_photo_set("grass")
    model = SimpleNamespace(request=SimpleNamespace(photos=brick))
    with pytest.raises(NotebookError, match="choose those photos again"):
        inpainter_training_notebook(model, grass)


def test_a_custom_layer_travels_in_the_notebook_and_an_unknown_one_is_refused(tmp_path):
    from patchlab.inpainting.model import build_unet

    path = tmp_path / "fourier.keras"
    build_unet(widths=(4, 8), fourier_blocks=1).save(path)
    source = models.custom_layer_source(path.read_bytes())
    assert "class FourierUnit(layers.Layer):" in source and "register_keras_serializable" in source
    assert "runtime" not in source
    plain = tmp_path / "plain.keras"
    build_unet(widths=(4, 8)).save(plain)
    assert models.custom_layer_source(plain.read_bytes()) == ""
    with zipfile.ZipFile(path) as archive:
        entries = {n: archive.read(n) for n in archive.namelist()}
    entries["config.json"] = entries["config.json"].replace(b"FourierUnit", b"MysteryLayer")
    odd = io.BytesIO()
    with zipfile.ZipFile(odd, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    with pytest.raises(NotebookError, match="cannot define"):
        models.custom_layer_source(odd.getvalue())


def test_the_page_button_turns_a_notebook_error_into_a_sentence_and_offers_a_built_notebook():
    from streamlit.testing.v1 import AppTest

    def page():
        import streamlit as st

        from patchlab.notebooks import Download, NotebookError
        from patchlab.ui.notebook import download_notebook

        def broken():
            raise NotebookError("The model is no longer on the server.")

        download_notebook(broken, "broken")
        download_notebook(lambda: Download("x.ipynb", b"{}", "application/x-ipynb+json"), "fine",
                          fingerprint=st.session_state.get("fp", 1))

    at = AppTest.from_function(page).run()
    assert not at.exception and len(at.warning) == 0
    at.button(key="notebook_broken_build").click().run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["The model is no longer on the server."]
    at.button(key="notebook_fine_build").click().run()
    assert not at.exception and "notebook_fine" in at.session_state
    saves = [e for e in at.get("download_button")]
    assert len(saves) == 1 and "x.ipynb" in saves[0].proto.label
    at.session_state["fp"] = 2  # what the page shows changed: the old notebook is no longer offered
    at.run()
    assert len(at.get("download_button")) == 0
