"""AppTest: the router, the home page and the Patches page run without exceptions."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from patchlab.ui.registry import DEMOS
from conftest import read_number as number

ROOT = Path(__file__).resolve().parents[1]


def run_page(path, query=None, timeout=120):
    at = AppTest.from_file(str(ROOT / path), default_timeout=timeout)
    if query:
        at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at):
    return {m.label: m.value for m in at.metric}


def test_router_opens_home_and_links_every_demo():
    at = run_page("app.py")
    assert at.title[0].value == "PatchLab"
    text = " ".join(m.value for m in at.markdown)
    for demo in DEMOS:
        assert demo.summary in text


def test_registered_pages_exist():
    for demo in DEMOS:
        assert (ROOT / demo.path).is_file(), demo.path


def test_patches_page_defaults_cover_the_image_and_roundtrip():
    at = run_page("pages/patches.py")
    m = metrics(at)
    assert m["Patches"] == "225"  # 512x512, p64 s32, pad: 15 x 15
    assert number(m["Round-trip max error"]) < 1e-5
    assert not at.warning  # the default edge policy covers every pixel


def test_patches_page_slider_changes_update_counts():
    at = run_page("pages/patches.py")
    before = metrics(at)["Patches"]
    at.sidebar.slider(key="pt_sh").set_value(16).run()
    assert not at.exception
    assert metrics(at)["Patches"] == f"{29 * 29:,}"
    assert metrics(at)["Patches"] != before
    assert at.query_params["s"] == ["16"] or at.query_params["s"] == "16"


def test_patches_page_reads_settings_from_the_url():
    at = run_page("pages/patches.py", {"img": "coffee", "p": "40x20", "s": "10x5", "win": "tent", "edge": "valid"})
    m = metrics(at)
    # coffee is 400x600: rows (400-40)//10+1 = 37, columns (600-20)//5+1 = 117... after downscale to 512 wide
    assert at.sidebar.selectbox(key="pt_window").value == "tent"
    assert at.sidebar.selectbox(key="pt_edge").value == "valid"
    assert m["Patches"] == f"{((341 - 40) // 10 + 1) * ((512 - 20) // 5 + 1):,}"


def test_patches_page_ignores_a_malformed_url():
    at = run_page("pages/patches.py", {"p": "banana", "s": "-3", "win": "<script>", "hi": "x"})
    assert metrics(at)["Patches"] == "225"


def test_stride_larger_than_patch_shows_gaps_not_an_error():
    at = run_page("pages/patches.py", {"p": "16", "s": "30", "edge": "valid"})
    assert any("covered by no patch" in w.value for w in at.warning)
    assert not at.error


def test_huge_geometry_skips_the_merge_with_a_reason():
    at = run_page("pages/patches.py", {"p": "64", "s": "1"})
    assert metrics(at)["Round-trip max error"] == "skipped"
    assert any("merges at most" in i.value for i in at.info)


@pytest.mark.parametrize("edge", ["valid", "pad", "shift"])
@pytest.mark.parametrize("window", ["uniform", "tent", "gaussian"])
def test_every_window_and_edge_roundtrips(window, edge):
    at = run_page("pages/patches.py", {"p": "48x30", "s": "20x25", "win": window, "edge": edge})
    assert number(metrics(at)["Round-trip max error"]) < 1e-5
