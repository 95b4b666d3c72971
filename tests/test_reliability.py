"""A shared server: the Fill queue, memory release, model-path refusal,
malformed links on every page, and the metrics' shortcut."""

import os
import threading
import time
from pathlib import Path

import numpy as np

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from skimage.metrics import structural_similarity
from streamlit.testing.v1 import AppTest

from patchlab import MODELS_DIR
from patchlab.gate import Gate, default_slots
from patchlab.memory import limit_arenas, release_free_memory
from patchlab.ui.registry import DEMOS

ROOT = Path(__file__).resolve().parents[1]


# --- the gate -------------------------------------------------------------------

def test_gate_runs_at_most_slots_at_once_and_serves_in_arrival_order():
    gate = Gate(slots=2)
    lock = threading.Lock()
    running, peak, started = 0, 0, []
    release = threading.Event()

    def worker(k):
        nonlocal running, peak
        with gate.slot():
            with lock:
                running += 1
                peak = max(peak, running)
                started.append(k)
            release.wait(5)
            with lock:
                running -= 1

    threads = []
    for k in range(6):
        t = threading.Thread(target=worker, args=(k,))
        t.start()
        threads.append(t)
        deadline = time.monotonic() + 5  # each arrives after the previous one is counted
        while gate.running + gate.waiting < k + 1 and time.monotonic() < deadline:
            time.sleep(0.005)
    assert gate.running == 2 and gate.waiting == 4
    release.set()
    for t in threads:
        t.join(10)
    assert peak == 2
    assert started == list(range(6))
    assert gate.running == 0 and gate.waiting == 0


def test_gate_tells_waiters_their_place_and_forgets_those_who_leave():
    gate = Gate(slots=1)
    seen = []
    holding, done = threading.Event(), threading.Event()

    def holder():
        with gate.slot():
            holding.set()
            done.wait(5)

    t = threading.Thread(target=holder)
    t.start()
    holding.wait(5)

    def leave(ahead):
        seen.append(ahead)
        raise KeyboardInterrupt("the user pressed something else")

    with pytest.raises(KeyboardInterrupt):
        with gate.slot(on_wait=leave):
            pytest.fail("must not run while the slot is held")
    assert seen == [1]
    assert gate.waiting == 0  # the one who left is out of the queue
    done.set()
    t.join(5)
    with gate.slot():  # and the slot is free again
        assert gate.running == 1


def test_gate_releases_its_slot_when_the_work_fails():
    gate = Gate(slots=1)
    with pytest.raises(RuntimeError):
        with gate.slot():
            raise RuntimeError("boom")
    assert gate.running == 0
    with gate.slot():
        pass


def test_gate_slots_are_checked_and_configurable(monkeypatch):
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match="slots"):
            Gate(slots=bad)
    monkeypatch.setenv("PATCHLAB_SLOTS", "3")
    assert default_slots() == 3
    monkeypatch.setenv("PATCHLAB_SLOTS", "many")
    assert 1 <= default_slots() <= 2


# --- memory -----------------------------------------------------------------------

def test_malloc_controls_work_on_glibc_and_are_harmless_elsewhere():
    import platform

    with pytest.raises(ValueError):
        limit_arenas(0)
    limited = limit_arenas(2)
    assert limit_arenas(2) == limited  # idempotent
    released = release_free_memory()
    assert isinstance(released, bool)
    if platform.libc_ver()[0] == "glibc":
        assert limited is True
    else:
        assert limited is False and released is False


@pytest.mark.skipif(__import__("platform").libc_ver()[0] != "glibc", reason="glibc's malloc_trim")
def test_release_free_memory_hands_freed_heap_pages_back():
    """Freed memory in the middle of the heap (kept there by live neighbours) goes back to the system."""

    def resident_bytes():
        return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    chunks = [bytearray(64 * 1024) for _ in range(3200)]  # 200 MB in heap-sized blocks, touched
    keep = chunks[::16]  # every 16th stays alive, so free() alone cannot shrink the heap
    del chunks
    before = resident_bytes()
    assert release_free_memory() is True
    assert before - resident_bytes() > 100e6
    assert len(keep) == 200


def test_runs_do_not_reset_keras_or_drop_the_shared_model(monkeypatch):
    """Streamlit's per-run Keras reset is skipped (it cost a full GC per run) and models keep working."""
    import keras
    from streamlit.runtime.scriptrunner import script_runner

    from patchlab.ui.server import _close_pyplot_figures, share_models

    assert share_models() is True
    resets = []
    monkeypatch.setattr(keras.backend, "clear_session", lambda *a, **k: resets.append(1))
    at = AppTest.from_file(str(ROOT / "pages" / "classification.py"), default_timeout=120)
    at.run()
    at.sidebar.radio(key="input").set_value("Test digit gallery").run()
    at.run()
    assert script_runner._clean_problem_modules is _close_pyplot_figures
    assert not at.exception and resets == []
    assert at.metric[0].value in list("0123456789")


# --- model files --------------------------------------------------------------------

def test_loaders_refuse_models_outside_the_models_folder(tmp_path):
    from patchlab.classification import DigitClassifier
    from patchlab.inpainting import Inpainter
    from patchlab.runtime import check_model_path

    outside = tmp_path / "classifier_p18.keras"
    outside.write_bytes((MODELS_DIR / "classifier_p18.keras").read_bytes())  # a perfectly good model
    with pytest.raises(ValueError, match="only loaded from"):
        DigitClassifier.load(18, path=outside)
    with pytest.raises(ValueError, match="only loaded from"):
        Inpainter.load(outside)
    # a symbolic link or a '..' path out of models/ is refused too
    link = MODELS_DIR / "_test_link.keras"
    try:
        link.symlink_to(outside)
        with pytest.raises(ValueError, match="only loaded from"):
            check_model_path(link)
    finally:
        link.unlink(missing_ok=True)
    with pytest.raises(ValueError, match="only loaded from"):
        check_model_path(MODELS_DIR / ".." / "README.md")
    assert check_model_path(MODELS_DIR / "classifier_p18.keras") == (MODELS_DIR / "classifier_p18.keras").resolve()
    # explicitly allowed (training and evaluation tools): loads
    assert DigitClassifier.load(18, path=outside, allow_outside_models=True).patch_size == 18


# --- every page survives a hostile link ------------------------------------------------

HOSTILE_QUERIES = [
    {"p": "banana", "s": "-3", "win": "<script>alert(1)</script>", "edge": "\x00"},
    {"img": "../../etc/passwd", "p": "99999999999999999999", "s": "0"},
    {"f": "nan", "k": "inf", "rule": "drop table", "digit": "-1", "size": "1e309"},
    {"": "", "=": "=", "p": ["1", "2"]},
]


@pytest.mark.parametrize("page", ["app.py"] + [d.path for d in DEMOS])  # app.py shows the home page
@pytest.mark.parametrize("query", range(len(HOSTILE_QUERIES)))
def test_every_page_ignores_a_malformed_link(page, query):
    at = AppTest.from_file(str(ROOT / page), default_timeout=120)
    at.query_params.update(HOSTILE_QUERIES[query])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, "the page rendered nothing"
    if page != "app.py":  # a demo page says what it ignored, in the same words as every other page
        notices = [w.value for w in at.warning if "link" in w.value]
        assert len(notices) == 1 and notices[0].startswith("Part of this link could not be used: "), notices


# --- the metrics' shortcut is exact -------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(
    shape=st.tuples(st.integers(7, 70), st.integers(7, 70)),
    boxes=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.integers(1, 25), st.integers(1, 25)),
                   max_size=3),
    seed=st.integers(0, 2**16),
)
def test_local_ssim_equals_scikit_image_on_the_whole_image(shape, boxes, seed):
    from patchlab.inpainting.evaluate import local_ssim

    rng = np.random.default_rng(seed)
    original = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    result = original.copy()
    for fy, fx, bh, bw in boxes:
        y, x = int(fy * (shape[0] - 1)), int(fx * (shape[1] - 1))
        region = result[y:y + bh, x:x + bw]
        region[...] = rng.integers(0, 256, region.shape)
    want, want_map = structural_similarity(original, result, channel_axis=-1, data_range=255, full=True)
    got, got_map = local_ssim(original, result)
    assert abs(got - want) < 1e-12
    np.testing.assert_allclose(got_map, want_map, rtol=0, atol=1e-12)


# --- the canvas background is encoded once -----------------------------------------------

def test_canvas_background_is_a_cached_jpeg():
    from PIL import Image

    from patchlab.ui.canvas import background_jpeg

    photo = np.random.default_rng(0).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    first = background_jpeg(photo)
    assert first[:3] == b"\xff\xd8\xff"
    assert background_jpeg(photo.copy()) is first  # same pixels: not encoded again
    assert Image.open(__import__("io").BytesIO(first)).size == (60, 40)
    other = photo.copy()
    other[0, 0] ^= 1
    assert background_jpeg(other) is not first
