"""Spot the fill: the game's pure logic, and its page in AppTest (a guess, the reveal, the score)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from patchlab.inpainting import spot
from patchlab.inpainting.detail import high_pass

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "spot_the_fill.py")


# ---------------------------------------------------------------- the pure part
def test_rounds_are_seeded_varied_and_drawn_from_photos_no_model_saw():
    from patchlab.inpainting.data import training_photos

    rounds = [spot.draw_round(11, i) for i in range(24)]
    assert rounds == [spot.draw_round(11, i) for i in range(24)]
    assert rounds != [spot.draw_round(12, i) for i in range(24)]
    assert {r.method for r in rounds} == set(spot.METHODS)
    assert {r.real for r in rounds} == {"A", "B"} and {r.family for r in rounds} == {"square", "brush"}
    assert set(spot.PHOTOS).isdisjoint(p.name for p in training_photos())
    for r in rounds[:6]:  # the hole lies in the crop and has detail to spot
        mask = r.mask()
        (cy, cx) = r.crop
        assert mask.any() and not mask[:cy].any() and not mask[cy + spot.CROP:].any()
        assert not mask[:, :cx].any() and not mask[:, cx + spot.CROP:].any()
        view = spot._photo(r.photo)[r.view[0]:r.view[0] + spot.VIEW, r.view[1]:r.view[1] + spot.VIEW]
        assert view.shape == (spot.VIEW, spot.VIEW, 3)
        assert float(np.mean(high_pass(view)[mask] ** 2)) >= spot.MIN_DETAIL
    with pytest.raises(ValueError, match="`index`"):
        spot.draw_round(1, -1)


def test_the_pictures_put_the_photo_on_the_drawn_side():
    from patchlab.inpainting.baselines import telea

    for index in range(4):
        r = spot.draw_round(3, index)
        photo = spot._photo(r.photo)
        pictures = spot.round_pictures(r, photo, telea)
        (vy, vx), (cy, cx) = r.view, r.crop
        crop = photo[vy + cy:vy + cy + spot.CROP, vx + cx:vx + cx + spot.CROP]
        real = pictures.a if r.real == "A" else pictures.b
        fake = pictures.b if r.real == "A" else pictures.a
        np.testing.assert_array_equal(real[::spot.ZOOM, ::spot.ZOOM], crop)
        mask = r.mask()[cy:cy + spot.CROP, cx:cx + spot.CROP]
        np.testing.assert_array_equal(fake[::spot.ZOOM, ::spot.ZOOM][~mask], crop[~mask])
        assert not np.array_equal(fake, real) and 0 < pictures.hole_share < 0.6
        assert (pictures.outline == (255, 0, 255)).all(axis=-1).any()


def test_the_score_counts_guesses_and_fooling_rates_with_intervals():
    score = spot.Score()
    r = spot.Round(0, 0, "coffee", "sharp", "square", (0, 0), (20, 20), "A", 1)
    assert score.record(r, "B") is True and score.record(r, "A") is False
    assert score.record(spot.Round(0, 1, "coffee", "telea", "square", (0, 0), (20, 20), "B", 1), "B") is False
    assert (score.played, score.right) == (3, 2)
    rows = {row[0]: row for row in score.fooling_rates()}
    assert rows["sharp"][:4] == ("sharp", 2, 1, 0.5) and rows["telea"][:4] == ("telea", 1, 0, 0.0)
    assert rows["sharp"][4] < 0.5 < rows["sharp"][5] and rows["telea"][4] == 0.0
    with pytest.raises(ValueError, match="`picked`"):
        score.record(r, "C")
    lo, hi = spot.wilson_interval(5, 10)
    assert round(lo, 3) == 0.237 and round(hi, 3) == 0.763


# ---------------------------------------------------------------- the page
def _game(first, second):
    """A game whose first two rounds use these methods (so the test knows what it plays)."""
    return next(g for g in range(5000)
                if spot.draw_round(g, 0).method == first and spot.draw_round(g, 1).method == second)


def test_a_guess_is_revealed_and_scored_and_the_room_hears_of_it(monkeypatch):
    import patchlab.ui.classroom as classroom
    from patchlab.room import open_room

    store = open_room("")  # a room of the test's own, in this process
    monkeypatch.setattr(classroom, "room", lambda: store)
    game = _game("sharp", "telea")
    first, second = spot.draw_round(game, 0), spot.draw_round(game, 1)
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.query_params["game"] = str(game)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Spot the fill" and at.subheader[0].value == "Round 1"
    assert len(at.image) == 1 and not at.success and not at.error  # the pair; nothing revealed before the guess
    at.button(key=f"sp_pick_{first.real.lower()}").click().run()  # the right answer
    assert not at.exception, [e.value for e in at.exception]
    assert "Right" in at.success[0].value and "sharp fill" in at.success[0].value
    assert at.button(key="sp_pick_a").disabled and at.button(key="sp_pick_b").disabled
    assert any(m.label == "Real photo found" and m.value == "1 of 1" for m in at.metric)
    at.button(key="sp_next").click().run()
    assert at.subheader[0].value == "Round 2" and not at.success
    wrong = "B" if second.real == "A" else "A"
    at.button(key=f"sp_pick_{wrong.lower()}").click().run()
    assert "Fooled" in at.error[0].value and "Telea" in at.error[0].value
    assert any(m.label == "Real photo found" and m.value == "1 of 2" for m in at.metric)
    table = at.dataframe[0].value
    assert list(table["fooled you"]) == [0, 1] and list(table["rounds"]) == [1, 1]
    spots = [e.data for e in store.snapshot().events if e.kind == "spot"]
    assert {"method": "telea", "fooled": True} in spots  # the room's tally of fooling rates got the guess
    assert at.query_params["game"] in (str(game), [str(game)])


def test_a_bad_game_number_gets_the_notice_and_a_fresh_game():
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.query_params["game"] = "-5"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "game `-5` (expected a whole number from 0 to 2,147,483,647)" in at.warning[0].value
    game = at.query_params["game"]
    game = game[0] if isinstance(game, list) else game
    assert game.isdigit() and at.subheader[0].value == "Round 1"
    assert spot.read_link({"game": ["3", "65"]}) == ({"game": 65}, [])  # the last of a repeated parameter


# ---------------------------------------------------------------- in the browser, on a phone
@pytest.mark.browser
def test_a_phone_plays_a_round_with_a_finger(app_url, browser):
    """390x844 with touch: both crops and their buttons fit the phone; a tap guesses, reveals and scores."""
    from apprunner import ARTIFACTS
    from conftest import assert_no_exception, wait_for_app

    game = _game("sharp", "unet")
    first = spot.draw_round(game, 0)
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True,
                                  device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(90_000)
    try:
        page.goto(f"{app_url}/spot_the_fill?game={game}")
        wait_for_app(page, timeout=180_000)
        pair = page.locator('[data-testid="stImage"] img')
        pair.first.wait_for(state="visible")
        assert pair.count() == 1  # A and B in one picture, both on the screen at once
        pair.first.scroll_into_view_if_needed()
        box = pair.first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["width"] >= 330, box
        buttons = page.locator('[data-testid^="stBaseButton"]').filter(has_text="is the photo")
        assert buttons.count() == 2
        for k in range(2):
            b = buttons.nth(k).bounding_box()
            assert b["x"] >= 0 and b["x"] + b["width"] <= 390 and b["height"] >= 40, (k, b)  # a finger's size
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(ARTIFACTS / "spot-the-fill-phone-round.png"), full_page=True)
        button = page.locator('[data-testid^="stBaseButton"]').filter(has_text=f"{first.real} is the photo")
        button.scroll_into_view_if_needed()
        button.tap()
        page.get_by_text("Right:").first.wait_for(timeout=60_000)
        wait_for_app(page)
        assert "sharp fill" in page.locator('[data-testid="stAlert"]').first.inner_text()
        assert page.get_by_text("1 of 1").first.is_visible()
        assert_no_exception(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(ARTIFACTS / "spot-the-fill-phone-revealed.png"), full_page=True)
        page.locator('[data-testid^="stBaseButton"]').filter(has_text="Next round").tap()
        page.get_by_role("heading", name="Round 2").wait_for(timeout=120_000)
        wait_for_app(page, timeout=180_000)
        assert_no_exception(page)
    finally:
        context.close()
