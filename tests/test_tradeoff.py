"""The perception–distortion chart's points and the zoomed before/after (pure functions for the page)."""

from __future__ import annotations

import numpy as np
import pytest

from patchlab.inpainting.evaluate import EVAL_JSON, read_inpainting_report
from patchlab.inpainting.tradeoff import WHY_SMOOTH_WINS, chart, fill_points, held_out_points, zoomed_before_after


def _case(seed=0):
    rng = np.random.default_rng(seed)
    photo = np.clip(rng.normal(128, 25, (64, 64, 1)), 0, 255).astype(np.uint8).repeat(3, axis=2)
    hole = np.zeros((64, 64), bool)
    hole[16:48, 20:52] = True
    return photo, hole


def test_a_smooth_fill_wins_psnr_and_loses_detail_against_a_textured_one():
    photo, hole = _case()
    smooth = photo.copy()
    smooth[hole] = int(photo[~hole].mean())
    grain = photo.copy()
    grain[hole] = _case(seed=1)[0][hole]  # the same kind of grain, not in the same place
    points = {p["method"]: p for p in fill_points(photo, {"smooth": smooth, "grain": grain}, hole)}
    assert points["smooth"]["psnr"] > points["grain"]["psnr"] + 2  # the perception–distortion trade-off
    assert points["smooth"]["detail"] < 0.05 and 0.8 < points["grain"]["detail"] < 1.2
    assert {p["set"] for p in points.values()} == {"your fill"}
    flat = np.full_like(photo, 100)
    assert fill_points(flat, {"smooth": flat}, hole)[0]["detail"] is None  # nothing to measure
    rows, spec = chart(list(points.values()) + fill_points(flat, {"x": flat}, hole))
    assert [r["method"] for r in rows] == ["smooth", "grain"]
    assert spec["layer"][-1]["encoding"]["x"]["field"] == "detail" and spec["width"] == "container"
    assert "blurry mean" in WHY_SMOOTH_WINS


def test_held_out_points_carry_the_set_and_intervals_and_skip_old_rows():
    row = {"psnr_masked": 20.0, "psnr_masked_ci": [19.0, 21.0], "detail_ratio": 0.8, "detail_ratio_ci": [0.7, 0.9]}
    section = {"photos": [{}] * 42, "cases": {"square": 168},
               "families": {"square": {"sharp": row, "old": {"psnr_masked": 19.0}}}}
    (point,) = held_out_points(section, "square")
    assert point["method"] == "sharp" and point["set"] == "held-out set (42 photos, 168 cases)"
    assert (point["psnr_low"], point["detail_high"]) == (19.0, 0.9)
    with pytest.raises(ValueError, match="family"):
        held_out_points(section, "brush")


@pytest.mark.skipif(not (read_inpainting_report(EVAL_JSON) or {}).get("held_out_set", {}).get("sharp_margins"),
                    reason="no evaluation with the sharp fill committed yet")
def test_the_committed_report_gives_a_point_per_method_on_both_families():
    section = read_inpainting_report(EVAL_JSON)["held_out_set"]
    for family in ("square", "brush"):
        points = {p["method"]: p for p in held_out_points(section, family)}
        assert {"unet", "sharp", "harmonic", "telea", "exemplar"} <= set(points)
        assert points["sharp"]["detail"] > 5 * points["unet"]["detail"]
        assert points["sharp"]["detail_low"] <= points["sharp"]["detail"] <= points["sharp"]["detail_high"]


def test_the_zoom_is_pixel_for_pixel_around_the_hole():
    photo, hole = _case()
    other = 255 - photo
    crops = zoomed_before_after(photo, {"inverted": other}, hole, margin=0.25, side=240)
    assert [name for name, _ in crops] == ["photo", "inverted"]
    (_, a), (_, b) = crops
    assert a.shape == b.shape and a.shape[0] % 48 == 0  # a 32-px hole and 8 px around it, enlarged 5x
    zoom = a.shape[0] // 48
    np.testing.assert_array_equal(a[::zoom, ::zoom], photo[8:56, 12:60])
    np.testing.assert_array_equal(b[::zoom, ::zoom], other[8:56, 12:60])
    with pytest.raises(ValueError, match="`mask`"):
        zoomed_before_after(photo, {}, np.zeros((64, 64), bool))
