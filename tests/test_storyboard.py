"""The storyboard loader (pure): good files load, bad files say what is wrong and where."""

from pathlib import Path

import pytest

from patchlab.storyboard import (
    MAX_POINT,
    Scene,
    StoryboardError,
    find_storyboards,
    load_storyboard,
    parse_storyboard,
)

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("home", "patches", "upsampling", "inpainting", "classification")

GOOD = """
title = "Two scenes"

[[scene]]
page = "patches"
settings = { img = "astronaut", p = 48, s = 16, linked = true, gain = 0.5 }
point = "Patches overlap."

[[scene]]
page = "/Upsampling"
settings = "factor=3&init=bilinear"
point = "  A transposed convolution.  "

[[scene]]
page = "home"
point = "Questions?"
"""


def test_a_good_storyboard_loads_with_settings_as_strings():
    board = parse_storyboard(GOOD, name="two", pages=PAGES)
    assert board.name == "two" and board.title == "Two scenes" and len(board) == 3
    assert board.scenes[0] == Scene("patches", {"img": "astronaut", "p": "48", "s": "16",
                                                "linked": "true", "gain": "0.5"}, "Patches overlap.")
    assert board.scenes[1] == Scene("upsampling", {"factor": "3", "init": "bilinear"}, "A transposed convolution.")
    assert board.scenes[2].settings == {}


def test_a_whole_link_from_copy_link_is_accepted_as_settings():
    text = '[[scene]]\npage = "patches"\nsettings = "http://localhost:8501/patches?p=48&s=16"\npoint = "x"\n'
    assert parse_storyboard(text, pages=PAGES).scenes[0].settings == {"p": "48", "s": "16"}


def test_a_list_or_a_repeated_parameter_is_a_tuple():
    text = ('[[scene]]\npage = "inpainting"\nsettings = { methods = ["telea", "seed"], none = [] }\npoint = "a"\n'
            '[[scene]]\npage = "inpainting"\nsettings = "methods=telea&methods=seed&methods=ns"\npoint = "b"\n')
    first, second = parse_storyboard(text, pages=PAGES).scenes
    assert first.settings == {"methods": ("telea", "seed"), "none": ()}
    assert second.settings == {"methods": ("telea", "seed", "ns")}


def test_title_defaults_to_the_name():
    text = '[[scene]]\npage = "home"\npoint = "Hello"\n'
    assert parse_storyboard(text, name="mine").title == "mine"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("title = [", "not valid TOML"),
        ('title = "x"\n', "no scenes"),
        ("scene = []\n", "no scenes"),
        ('titel = "x"\n[[scene]]\npage = "home"\npoint = "a"\n', "unknown field 'titel'"),
        ("title = 3\n[[scene]]\npage = 'home'\npoint = 'a'\n", "field 'title' must be text"),
        ("scene = [1]\n", "scene 1: must be a [[scene]] table"),
        ('[[scene]]\npoint = "a"\n', "scene 1: field 'page' is missing"),
        ('[[scene]]\npage = "home"\npoint = "a"\n[[scene]]\npage = "nowhere"\npoint = "b"\n',
         "scene 2: field 'page': no page 'nowhere'"),
        ('[[scene]]\npage = "home"\n', "scene 1 (home): field 'point' is missing"),
        ('[[scene]]\npage = "home"\npoint = "   "\n', "scene 1 (home): field 'point' is missing"),
        ('[[scene]]\npage = "home"\npoint = """two\nlines"""\n', "field 'point' must be one line"),
        (f'[[scene]]\npage = "home"\npoint = "{"x" * (MAX_POINT + 1)}"\n', "keep it under"),
        ('[[scene]]\npage = "home"\npoint = "a"\nnote = "b"\n', "scene 1: unknown field 'note'"),
        ('[[scene]]\npage = "patches"\npoint = "a"\nsettings = 48\n', "field 'settings': must be a table"),
        ('[[scene]]\npage = "patches"\npoint = "a"\nsettings = { p = [1, [2]] }\n', "'p': must be text"),
        ('[[scene]]\npage = "patches"\npoint = "a"\nsettings = { p = { q = 1 } }\n', "'p': must be text"),
        ('[[scene]]\npage = "patches"\npoint = "a"\nsettings = { scene = 2 }\n', "'scene' is set by presenter"),
        ('[[scene]]\npage = "patches"\npoint = "a"\nsettings = "present=1"\n', "'present' is set by presenter"),
        ('[[scene]]\npage = "patches"\npoint = "a"\nsettings = "p"\n', "is not a query string"),
        ('[[scene]]\npage = "patches"\npoint = "a"\nclaims = ["patches are many"]\n', "is not a claim like"),
        ('[[scene]]\npage = "patches"\npoint = "a"\nclaims = ["checkerboard strength > 0"]\n',
         "patches has no measure 'checkerboard strength'"),
        ('[[scene]]\npage = "home"\npoint = "a"\nclaims = ["patches > 1"]\n', "has no measures"),
        ('[[scene]]\npage = "patches"\npoint = "a"\nclaims = 3\n', "field 'claims' must be a list"),
    ],
)
def test_a_bad_storyboard_names_the_problem(text, message):
    with pytest.raises(StoryboardError, match=None) as info:
        parse_storyboard(text, name="bad", pages=PAGES)
    assert message in str(info.value)
    assert str(info.value).startswith("bad")


def test_a_bad_file_is_named_by_its_file_name(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('[[scene]]\npage = "patches"\n[[scene]]\npage = "home"\npoint = "b"\n')
    with pytest.raises(StoryboardError, match=r"^mine\.toml, scene 1 \(patches\): field 'point' is missing"):
        load_storyboard(path, pages=PAGES)
    with pytest.raises(StoryboardError, match=r"^missing\.toml: cannot be read"):
        load_storyboard(tmp_path / "missing.toml")
    (tmp_path / "latin1.toml").write_bytes(b'title = "caf\xe9"\n')
    with pytest.raises(StoryboardError, match="cannot be read"):
        load_storyboard(tmp_path / "latin1.toml")


def test_find_storyboards_lists_toml_files_by_name(tmp_path):
    assert find_storyboards(tmp_path / "absent") == []
    for name in ("b.toml", "a.toml", "notes.md"):
        (tmp_path / name).write_text("")
    assert [p.name for p in find_storyboards(tmp_path)] == ["a.toml", "b.toml"]


def test_the_shipped_storyboards_are_valid_and_tell_the_whole_story():
    from patchlab.ui.registry import DEMOS

    stems = ["home"] + [d.path.rsplit("/", 1)[-1].removesuffix(".py") for d in DEMOS]
    files = find_storyboards(ROOT / "presentations")
    assert [p.name for p in files].count("workshop.toml") == 1
    for path in files:
        board = load_storyboard(path, pages=stems)
        assert len(board) >= 1
    workshop = load_storyboard(ROOT / "presentations" / "workshop.toml", pages=stems)
    assert 8 <= len(workshop) <= 14
    assert {s.page for s in workshop.scenes} >= set(stems[1:]), "every demo page has a scene"


def _shipped_scenes():
    from patchlab.ui.registry import DEMOS

    stems = ["home"] + [d.path.rsplit("/", 1)[-1].removesuffix(".py") for d in DEMOS]
    return [(f"{path.stem}-{n}", scene) for path in find_storyboards(ROOT / "presentations")
            for n, scene in enumerate(load_storyboard(path, pages=stems).scenes, 1)]


def test_a_title_holds_no_count_the_bar_counts_the_scenes():
    import re

    for path in find_storyboards(ROOT / "presentations"):
        title = load_storyboard(path).title
        assert not re.search(r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
                             r"fourteen)\b scenes", title, re.I), title


def test_the_points_that_claim_something_carry_their_claims():
    """A scene whose point states a fact about the screen checks it (patchlab.claims)."""
    for name, scene in _shipped_scenes():
        said = scene.point.lower()
        if any(word in said for word in ("checkerboard appears", "disagree", "covered exactly once",
                                         "covered nine times")):
            assert scene.claims, f"{name}: '{scene.point}' claims something but carries no claims"


@pytest.mark.parametrize("name, scene", _shipped_scenes(), ids=[n for n, _ in _shipped_scenes()])
def test_every_scene_opens_its_page_as_a_link_would_and_its_claims_hold(name, scene):
    """Render the scene (its page, through the page's own link) and check what it claims against what the page
    computes: a wrong claim, or a setting the page cannot use, fails CI."""
    from streamlit.testing.v1 import AppTest

    from patchlab.claims import holds, measure
    from patchlab.ui.presenter import page_path

    at = AppTest.from_file(str(ROOT / ("app.py" if scene.page == "home" else page_path(scene.page))),
                           default_timeout=180)  # home links every page: it runs in the router
    for key, value in scene.settings.items():
        at.query_params[key] = list(value) if isinstance(value, tuple) else value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not [w.value for w in at.warning if "link could not be used" in w.value], "a scene's setting is unusable"
    if scene.claims:
        measured = measure(scene.page, scene.settings, [c.measure for c in scene.claims])
        for claim in scene.claims:
            assert holds(claim, measured[claim.measure]), f"{name}: {claim} is false ({measured[claim.measure]})"


def test_a_claim_is_checked_against_the_page():
    """The measures agree with what the pages show (a false claim fails)."""
    from patchlab.claims import Claim, holds, measure

    got = measure("upsampling", {"up_factor": "2", "up_init": "bilinear", "up_rec": "false", "up_k": "3"},
                  ["checkerboard strength", "most stamps on a pixel"])
    assert got == {"checkerboard strength": 0.0, "most stamps on a pixel": 4}  # bilinear weights compensate
    assert not holds(Claim("checkerboard strength", ">", 0.1), got["checkerboard strength"])
    assert measure("patches", {"img": "astronaut", "p": "48", "s": "16", "edge": "shift"},
                   ["patches", "most patches on a pixel"]) == {"patches": 900, "most patches on a pixel": 9}


# ---------------------------------------------------------------- the presenter bar on a page (AppTest, no browser)

TWO_SCENES = '[[scene]]\npage = "home"\npoint = "First point."\n[[scene]]\npage = "patches"\npoint = "Second point."\n'


def _home(monkeypatch, folder, **query):
    from streamlit.testing.v1 import AppTest

    import patchlab.ui.presenter as presenter

    monkeypatch.setattr(presenter, "PRESENTATIONS", folder)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)  # the router: home is its default page
    at.query_params.update(query)
    return at.run()


def _bar_text(at):
    return " ".join(m.value for m in at.markdown)


def test_the_bar_shows_the_scene_in_the_link_and_only_when_presenting(monkeypatch, tmp_path):
    (tmp_path / "a.toml").write_text('title = "Story A"\n' + TWO_SCENES)
    at = _home(monkeypatch, tmp_path, present="1", scene="2")
    assert not at.exception
    assert "Scene 2 of 2" in _bar_text(at) and "Second point." in _bar_text(at)
    buttons = {b.label: b for b in at.button}
    assert buttons["Previous"].disabled is False and buttons["Next"].disabled is True
    assert not [s for s in at.sidebar.selectbox if s.label == "Storyboard"], "one storyboard: no selector"

    at = _home(monkeypatch, tmp_path, present="1")
    assert "Story A" in _bar_text(at) and "2 scenes" in _bar_text(at)
    assert {b.label: b.disabled for b in at.button if b.label in ("Previous", "Next")} == {"Previous": True,
                                                                                             "Next": False}

    at = _home(monkeypatch, tmp_path)
    assert not [b for b in at.button if b.label in ("Previous", "Next")], "not presenting: no bar"


def test_several_storyboards_get_a_selector_and_a_bad_one_is_named(monkeypatch, tmp_path):
    (tmp_path / "a.toml").write_text('title = "Story A"\n' + TWO_SCENES)
    (tmp_path / "b.toml").write_text('title = "Story B"\n' + TWO_SCENES.replace("First", "Other"))
    (tmp_path / "broken.toml").write_text('[[scene]]\npage = "nowhere"\npoint = "x"\n')
    at = _home(monkeypatch, tmp_path, present="1", story="b", scene="1")
    assert not at.exception
    (selector,) = [s for s in at.sidebar.selectbox if s.label == "Storyboard"]
    assert selector.options == ["Story A", "Story B"] and selector.value == "b"
    assert "Other point." in _bar_text(at)
    assert any("broken.toml, scene 1: field 'page': no page 'nowhere'" in w.value for w in at.sidebar.warning)
    at = selector.select("a").run()  # another storyboard starts from its beginning
    assert "Story A" in _bar_text(at) and "Scene" not in _bar_text(at)
