"""What the Inpainting page computes (patchlab.inpainting.demo), without Streamlit or a trained model."""

import contextlib
import io

import numpy as np
import pytest
from PIL import Image

from patchlab.inpainting import ModelUnavailable, demo
from patchlab.inpainting.baselines import CLASSICAL
from patchlab.inpainting.data import HELD_OUT
from patchlab.inpainting.demo import (FillResult, Settings, clamp_settings, drawing_mask, evaluation_summary,
                                      mask_id, mask_problem, photo_problem, queue_message, result_view, run_fill,
                                      sample_label)
from patchlab.inpainting.display import error_levels, error_scale, hole_box
from patchlab.inpainting.evaluate import format_table, region_metrics
from patchlab.inpainting.masks import canvas_to_mask


def _photo(h=48, w=64, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _mask(h=48, w=64):
    mask = np.zeros((h, w), bool)
    mask[10:22, 20:36] = True
    return mask


class FakeUNet:
    """Stands in for the shared Inpainter: fills the hole with grey, in two progress steps."""

    def __init__(self):
        self.calls = 0

    def inpaint(self, image, mask, progress=None):
        self.calls += 1
        out = image.copy()
        out[mask] = 128
        if progress:
            progress(1, 2)
            progress(2, 2)
        return out


# ---------------------------------------------------------------- settings

def test_settings_defaults_are_the_pages():
    s = Settings()
    assert (s.source, s.sample, s.tool, s.brush, s.methods, s.zoom) == (
        "Sample photo", HELD_OUT[0], "Brush", 24, ("sharp", "telea"), True)  # the sharp fill beside the smooth U-Net, by default
    assert (s.drawing_mode, s.stroke_width) == ("freedraw", 24)
    rect = Settings(tool="Rectangle", brush=40)
    assert (rect.drawing_mode, rect.stroke_width) == ("rect", 1)


@pytest.mark.parametrize("kwargs, name", [
    ({"source": "Camera"}, "`source`"),
    ({"tool": "Lasso"}, "`tool`"),
    ({"brush": 12.5}, "`brush`"),
    ({"brush": True}, "`brush`"),
    ({"methods": "telea"}, "`methods`"),
    ({"methods": ["telea", 3]}, "`methods`"),
])
def test_settings_refuse_what_no_widget_can_give(kwargs, name):
    with pytest.raises(ValueError, match=name):
        Settings(**kwargs)


def test_settings_keep_methods_as_a_tuple():
    assert Settings(methods=["ns", "telea"]).methods == ("ns", "telea")


def test_clamp_settings_brings_each_field_into_range():
    samples = ["astronaut", "coffee", HELD_OUT[0]]
    s, notes = clamp_settings(
        Settings(sample="nope", brush=1, methods=("biharmonic", "magic", "telea", "biharmonic")), samples)
    assert (s.sample, s.brush, s.methods) == (HELD_OUT[0], 5, ("biharmonic", "telea"))
    assert notes == ["The brush size 1 px was limited to 5 px.",
                     "Unknown methods were left out: magic (known: sharp, seed, telea, ns, biharmonic, harmonic, exemplar).",
                     f"There is no sample photo 'nope'; showing {HELD_OUT[0]!r}."]
    assert clamp_settings(Settings(brush=61), samples)[0].brush == 60
    kept = Settings(source="Upload your own", sample="coffee", tool="Rectangle", brush=33, methods=("ns",), zoom=False)
    assert clamp_settings(kept, samples) == (kept, [])
    assert clamp_settings(Settings(sample="nope"), ["coffee", "astronaut"])[0].sample in ("coffee", HELD_OUT[0])
    with pytest.raises(ValueError, match="`samples`"):
        clamp_settings(Settings(), [])


def test_sample_label_marks_held_out_photos():
    assert sample_label(HELD_OUT[0]) == f"{HELD_OUT[0]} (never seen in training)"
    assert sample_label("not-a-held-out-name") == "not-a-held-out-name"


def test_sample_photo_is_at_most_the_page_size():
    photo, _ = demo.sample_photo(HELD_OUT[0])
    assert photo.dtype == np.uint8 and photo.ndim == 3 and max(photo.shape[:2]) <= demo.PHOTO_SIDE


# ---------------------------------------------------------------- photo and mask checks

def test_photo_problem_names_the_size_and_the_minimum():
    assert photo_problem(np.zeros((16, 16, 3), np.uint8)) is None
    message = photo_problem(np.zeros((15, 40, 3), np.uint8))
    assert "40x15 pixels" in message and "at least 16x16" in message


def test_drawing_mask_maps_the_canvas_and_tolerates_no_drawing():
    assert drawing_mask(None, None, (48, 64, 3)) is None
    assert drawing_mask(np.zeros((10, 10, 3), np.uint8), None, (48, 64, 3)) is None  # not RGBA
    rgba = np.zeros((96, 128, 4), np.uint8)
    rgba[20:44, 40:72] = (255, 0, 255, 255)  # the page's brush colour
    fit = {"scale_x": 2.0, "scale_y": 2.0, "offset_x": 0, "offset_y": 0, "natural_width": 64, "natural_height": 48}
    mask = drawing_mask(rgba, fit, (48, 64, 3))
    np.testing.assert_array_equal(mask, canvas_to_mask(rgba, (48, 64), fit))
    np.testing.assert_array_equal(mask, _mask())


def test_mask_id_tells_drawings_apart():
    a, b = _mask(), _mask()
    assert mask_id(a) == mask_id(b) and mask_id(None) is None
    b[0, 0] = True
    assert mask_id(a) != mask_id(b)


def test_mask_problem_refuses_empty_and_full_masks():
    assert "Nothing is painted" in mask_problem(None)
    assert "Nothing is painted" in mask_problem(np.zeros((8, 8), bool))
    assert "covers the whole photo" in mask_problem(np.ones((8, 8), bool))
    assert mask_problem(_mask()) is None


def test_queue_message_counts_the_fills_ahead():
    assert "1 Fill ahead of yours" in queue_message(1)
    assert "3 Fills ahead of yours" in queue_message(3)


# ---------------------------------------------------------------- the Fill

def test_run_fill_times_and_scores_every_method():
    photo, mask = _photo(), _mask()
    unet = FakeUNet()
    steps, progress = [], []

    @contextlib.contextmanager
    def working(method, message):
        steps.append((method, message))
        yield (lambda fraction, text: progress.append((fraction, text))) if method == "unet" else None

    result = run_fill(photo, mask, ["ns", "telea"], lambda: unet, photo_id="sample:x", working=working)
    assert isinstance(result, FillResult) and unet.calls == 1
    assert list(result.images) == list(result.seconds) == list(result.metrics) == ["unet", "ns", "telea"]
    assert steps == [("unet", "Filling with the U-Net..."), ("ns", "Filling with OpenCV Navier-Stokes..."),
                     ("telea", "Filling with OpenCV Telea...")]
    assert progress == [(0.5, "U-Net: tile 1 of 2"), (1.0, "U-Net: tile 2 of 2")]
    for key in ("ns", "telea"):
        np.testing.assert_array_equal(result.images[key], CLASSICAL[key][1](photo, mask))
    for key, image in result.images.items():
        assert result.metrics[key] == region_metrics(photo, image, mask)
        assert result.seconds[key] >= 0
    assert result.vmax == error_scale(photo, list(result.images.values()))
    for key, image in result.images.items():
        np.testing.assert_array_equal(result.error_levels[key], error_levels(photo, image, vmax=result.vmax))
    assert result.errors == [] and result.server_s >= sum(result.seconds.values()) and result.queued_s >= 0
    assert (result.photo_id, result.mask_id) == ("sample:x", mask_id(mask))
    assert result.is_for("sample:x") and not result.is_for("sample:y")
    assert not result.drawing_changed(mask_id(mask)) and result.drawing_changed(None)
    saved_mask = np.asarray(Image.open(io.BytesIO(result.downloads["mask"])))
    np.testing.assert_array_equal(saved_mask > 0, mask)
    saved_fill = np.asarray(Image.open(io.BytesIO(result.downloads["unet"])))
    np.testing.assert_array_equal(saved_fill, result.images["unet"])


@pytest.mark.parametrize("error", [ModelUnavailable("No inpainting model at models/x.keras."),
                                   ValueError("Models are only loaded from models/")])
def test_run_fill_without_the_unet_still_runs_the_classical_methods(error):
    def load():
        raise error

    result = run_fill(_photo(), _mask(), ["telea"], load)
    assert result.errors == [f"The U-Net is not available: {error}"]
    assert list(result.images) == ["telea"] and set(result.downloads) == {"mask"}


def test_run_fill_waits_for_the_gate_and_reports_it():
    events = []

    class Gate:
        @contextlib.contextmanager
        def slot(self, on_wait=None):
            on_wait(2)
            events.append("slot")
            yield

    result = run_fill(_photo(), _mask(), [], FakeUNet, gate=Gate(),
                      on_wait=lambda ahead: events.append(("wait", ahead)),
                      on_start=lambda: events.append("start"))
    assert events == [("wait", 2), "slot", "start"]
    assert list(result.images) == ["unet"]


def test_run_fill_checks_its_arguments():
    with pytest.raises(ValueError, match="`mask`: Nothing is painted"):
        run_fill(_photo(), np.zeros((48, 64), bool), [], FakeUNet)
    with pytest.raises(ValueError, match="`mask`: The mask covers"):
        run_fill(_photo(), np.ones((48, 64), bool), [], FakeUNet)
    with pytest.raises(ValueError, match="`methods`.*'magic'"):
        run_fill(_photo(), _mask(), ["magic"], FakeUNet)


# ---------------------------------------------------------------- what the page shows

def test_result_view_zooms_on_the_hole_and_formats_the_scores():
    photo, mask = _photo(128, 160), _mask(128, 160)
    result = run_fill(photo, mask, ["telea"], FakeUNet)
    view = result_view(result, zoom=True)
    y0, y1, x0, x1 = hole_box(mask)
    assert (y1 - y0, x1 - x0) != mask.shape  # the zoom crops
    assert [c for c, _ in view.pictures] == ["Masked input", "U-Net (PatchLab)", "OpenCV Telea"]
    assert [c for c, _ in view.error_pictures] == ["Original", "U-Net (PatchLab)", "OpenCV Telea"]
    assert all(img.shape[:2] == (y1 - y0, x1 - x0) for _, img in view.pictures + view.error_pictures)
    masked_input = view.pictures[0][1]
    assert (masked_input[mask[y0:y1, x0:x1]] == (255, 0, 255)).all()
    np.testing.assert_array_equal(view.pictures[2][1], result.images["telea"][y0:y1, x0:x1])
    np.testing.assert_array_equal(view.error_pictures[0][1], photo[y0:y1, x0:x1])
    assert view.error_pictures[1][1].shape == (y1 - y0, x1 - x0, 3)
    assert view.per_row == 3
    m = result.metrics["telea"]
    detail = {p["method"]: p["detail"] for p in result.points}
    assert view.table[1] == {"method": "OpenCV Telea", "PSNR masked (dB)": f"{m['psnr_masked']:.2f}",
                             "SSIM masked": f"{m['ssim_masked']:.3f}", "PSNR whole (dB)": f"{m['psnr_whole']:.2f}",
                             "SSIM whole": f"{m['ssim_whole']:.4f}", "detail ratio": f"{detail['telea']:.2f}",
                             "time (ms)": f"{result.seconds['telea'] * 1000:.0f}"}
    # Telea smooths: far less fine detail in the hole than the photo had there
    assert detail["telea"] < 0.3
    assert f"brightest = {result.vmax:.0f} grey levels" in view.scale_note
    assert view.summary.startswith(f"{mask.mean():.1%} of the photo was masked.")
    assert f"took {result.server_s:.2f} s on the server" in view.summary

    whole = result_view(result, zoom=False)
    assert all(img.shape[:2] == mask.shape for _, img in whole.pictures + whole.error_pictures)


@pytest.mark.parametrize("methods, per_row", [([], 2), (["telea"], 3), (["telea", "ns"], 2),
                                              (["telea", "ns", "biharmonic"], 3)])
def test_result_view_puts_two_or_four_pictures_two_to_a_row(methods, per_row):
    result = run_fill(_photo(), _mask(), methods, FakeUNet)
    assert result_view(result).per_row == per_row


def _report(first_guess_gain=True):
    target = {"psnr_gain_db": 1.17, "best_classical": "biharmonic", "met": True}
    if first_guess_gain:
        target["psnr_gain_over_first_guess_db"] = 0.4
    row = {"psnr_masked": 19.59, "ssim_masked": 0.5, "psnr_whole": 30.0, "ssim_whole": 0.95,
           "seconds_per_image": 0.2}
    return {"families": {"square": {"unet": row}, "brush": {"unet": row}},
            "target": {"square": target, "brush": {"psnr_gain_db": 0.5, "best_classical": "telea", "met": False}},
            "held_out_photos": ["astronaut", "coffee"], "views": [1, 2, 3], "masks_per_view": 4,
            "view_size": 256}


def test_evaluation_summary_says_what_was_measured_and_no_verdict():
    assert evaluation_summary(None) is None
    summary = evaluation_summary(_report())
    assert summary.table == format_table(_report())
    square, brush, measured = summary.notes
    assert square == ("square masks: the U-Net is +1.17 dB over the best classical method "
                      "(scikit-image biharmonic). Over its own first guess (the harmonic fill) it gains +0.40 dB.")
    assert brush == "brush masks: the U-Net is +0.50 dB over the best classical method (OpenCV Telea)."
    assert measured == ("Held-out photos (never used in training): astronaut, coffee; 3 views x 4 seeded "
                        "masks per family, 256x256 pixels. Times are medians on this server.")


def test_shipped_first_guess_follows_the_card(tmp_path, monkeypatch):
    import json

    import patchlab.inpainting.infer as infer

    path = tmp_path / "inpainting.keras"
    monkeypatch.setattr(infer, "DEFAULT_MODEL", path)
    assert demo.shipped_first_guess() == "pull_push_fill"  # no card: the oldest models' guess
    path.with_suffix(".json").write_text(json.dumps({"prefill": "harmonic"}))
    assert demo.shipped_first_guess() == "harmonic_fill"


def test_retrain_note_names_the_shipped_recipe_its_time_and_the_shorter_one():
    from patchlab.inpainting.recipe import RECIPES, retrain_advice, retrain_command

    note = demo.retrain_note()
    assert note.startswith(f"Retrain the model: `{retrain_command('inpainting')}` — ")
    assert RECIPES["inpainting"].about in note and retrain_command("inpainting_quick") in note
    assert note.endswith(retrain_advice("inpainting").splitlines()[-1])


# ---------------------------------------------------------------- issue 17: link, eraser, seed, best values

def test_read_link_reads_keys_or_labels_and_names_each_bad_value():
    samples = ["astronaut", "coffee", HELD_OUT[0]]
    values, ignored = demo.read_link(
        {"photo": "coffee", "tool": "Eraser", "brush": "40", "methods": ["seed", "OpenCV Navier-Stokes"]}, samples)
    assert (values, ignored) == ({"photo": "coffee", "tool": "Eraser", "brush": 40, "methods": ["seed", "ns"]}, [])
    values, ignored = demo.read_link({"photo": sample_label("coffee")}, samples)
    assert values == {"photo": "coffee"} and ignored == []
    assert demo.read_link({}, samples) == ({}, [])
    values, ignored = demo.read_link({"photo": "x" * 500, "tool": "<b>", "brush": "1e9x", "methods": "telea"}, samples)
    assert values == {"photo": HELD_OUT[0], "tool": "Brush", "brush": 24, "methods": ["telea"]}
    phrases = [i.phrase() for i in ignored]
    assert len(phrases) == 3 and phrases[0].startswith("sample photo `xxxxx") and "(expected one of the sample" in phrases[0]
    assert phrases[1] == "tool `<b>` (expected Brush, Rectangle or Eraser)"
    assert phrases[2] == "brush size `1e9x` (expected a whole number from 5 to 60 px)"
    values, ignored = demo.read_link({"brush": "-3"}, samples)
    assert values == {"brush": 5} and [i.phrase() for i in ignored] == [
        "brush size `-3` (expected a whole number from 5 to 60 px; using 5 px)"]
    # unknown methods are named with the page's words for the methods, never its internal keys
    _, ignored = demo.read_link({"methods": ["magic"]}, samples)
    assert "OpenCV Telea" in ignored[0].expected and "telea" not in ignored[0].expected.replace("Telea", "")


def test_to_query_is_read_back_as_the_same_settings():
    samples = ["astronaut", "coffee", HELD_OUT[0]]
    settings = Settings(sample="coffee", tool="Rectangle", brush=33, methods=("ns", "seed"))
    query = demo.to_query(settings)
    values, ignored = demo.read_link({k: v if isinstance(v, list) else str(v) for k, v in query.items()}, samples)
    assert ignored == [] and values == {"photo": "coffee", "tool": "Rectangle", "brush": 33, "methods": ["ns", "seed"]}
    assert "photo" not in demo.to_query(Settings(source=demo.SOURCES[1]))  # an upload cannot travel in a link


def test_the_eraser_is_a_brush_that_draws_free_hand():
    eraser = Settings(tool="Eraser", brush=30)
    assert (eraser.drawing_mode, eraser.stroke_width) == ("freedraw", 30)
    assert (Settings(tool="Rectangle").drawing_mode, Settings(tool="Rectangle").stroke_width) == ("rect", 1)


def test_drawing_mask_leaves_out_what_the_eraser_covers():
    rgba = np.zeros((48, 64, 4), np.uint8)
    rgba[10:22, 20:36] = (255, 0, 255, 179)  # the brush
    rgba[10:22, 28:36] = (255, 174, 255, 225)  # semi-transparent white over it (the eraser)
    mask = drawing_mask(rgba, None, (48, 64, 3))
    assert mask.sum() == 12 * 8 and mask[10:22, 20:28].all()


class FakeSeed:
    def inpaint(self, image, mask):
        out = image.copy()
        out[mask] = 0
        return out


def test_run_fill_runs_the_tutorial_autoencoder_when_chosen():
    result = run_fill(_photo(), _mask(), ["seed", "telea"], FakeUNet, load_seed=FakeSeed)
    assert list(result.images) == ["unet", "seed", "telea"]
    assert (result.images["seed"][_mask()] == 0).all()
    assert result_view(result).table[1]["method"] == "Tutorial autoencoder"
    with pytest.raises(ValueError, match="`load_seed`"):
        run_fill(_photo(), _mask(), ["seed"], FakeUNet)


def test_run_fill_without_the_seed_model_explains_and_runs_the_rest():
    def missing():
        raise ModelUnavailable("No inpainting model at models/inpainting_seed.keras.")

    result = run_fill(_photo(), _mask(), ["seed", "telea"], FakeUNet, load_seed=missing)
    assert list(result.images) == ["unet", "telea"]
    assert result.errors == ["The tutorial autoencoder is not available: "
                             "No inpainting model at models/inpainting_seed.keras."]


def test_best_rows_marks_the_highest_scores_and_the_shortest_time():
    metrics = {"unet": dict(psnr_masked=25.004, ssim_masked=0.8, psnr_whole=40.0, ssim_whole=0.99),
               "telea": dict(psnr_masked=25.001, ssim_masked=0.9, psnr_whole=41.0, ssim_whole=0.99),
               "ns": dict(psnr_masked=20.0, ssim_masked=0.7, psnr_whole=39.0, ssim_whole=0.98)}
    best = demo.best_rows(metrics, {"unet": 0.2, "telea": 0.01, "ns": 0.01})
    assert best == {"PSNR masked (dB)": [0, 1],  # 25.00 and 25.00 as printed: a tie
                    "SSIM masked": [1], "PSNR whole (dB)": [1], "SSIM whole": [0, 1], "time (ms)": [1, 2]}
    assert demo.best_rows({}, {}) == {}
    result = run_fill(_photo(), _mask(), ["telea"], FakeUNet)
    view = result_view(result)
    assert view.best == demo.best_rows(result.metrics, result.seconds) and view.vmax == result.vmax
    # the detail ratio is best near 1, not at its highest: no column marks it
    assert set(view.best) == set(view.table[0]) - {"method", "detail ratio"}


def test_result_view_before_shows_the_masked_input_in_place_of_each_result():
    result = run_fill(_photo(), _mask(), ["telea"], FakeUNet)
    after, before = result_view(result), result_view(result, before=True)
    assert [c for c, _ in before.pictures] == ["Masked input", "U-Net (PatchLab) (before)", "OpenCV Telea (before)"]
    for (_, masked), (_, shown) in zip(before.pictures[:1] * 3, before.pictures):
        np.testing.assert_array_equal(shown, masked)
    assert not np.array_equal(after.pictures[1][1], before.pictures[1][1])
    assert after.table == before.table and len(after.error_pictures) == len(before.error_pictures)


def test_fill_timings_name_every_method():
    result = run_fill(_photo(), _mask(), ["telea"], FakeUNet)
    lines = demo.fill_timings(result)
    assert [line.split(":")[0] for line in lines] == ["U-Net (PatchLab)", "OpenCV Telea"]
    assert all(line.endswith(" ms") for line in lines)


def test_error_colour_bar_is_a_png_and_needs_a_scale():
    from patchlab.inpainting.display import error_colour_bar

    png = error_colour_bar(87.0)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width > 4 * image.height
    with pytest.raises(ValueError, match="`vmax`"):
        error_colour_bar(0)


def test_evaluation_summary_rows_match_the_table_and_mark_the_best_per_family():
    report = _report()
    report["families"]["square"]["telea"] = {"psnr_masked": 17.0, "ssim_masked": 0.6, "psnr_whole": 31.0,
                                             "ssim_whole": 0.95, "seconds_per_image": 0.003}
    summary = evaluation_summary(report)
    assert summary.table == format_table(report)
    assert [(r["masks"], r["method"]) for r in summary.rows] == [
        ("square", "U-Net (PatchLab)"), ("square", "OpenCV Telea"), ("brush", "U-Net (PatchLab)")]
    for row, line in zip(summary.rows, summary.table.splitlines()[2:]):
        assert [c.strip() for c in line.strip("|").split("|")] == list(row.values())
    assert summary.best == {"PSNR masked (dB)": [0, 2], "SSIM masked": [1, 2], "PSNR whole (dB)": [1, 2],
                            "SSIM whole": [0, 1, 2], "s / image": [1, 2]}
    marked = summary.marked_table.splitlines()
    assert marked[0] == summary.table.splitlines()[0] and len(marked) == len(summary.table.splitlines())
    assert marked[3] == "| square | OpenCV Telea | 17.00 | **0.600** | **31.00** | **0.9500** | **0.003** |"
    assert "**19.59**" in marked[2] and "**19.59**" in marked[4]  # alone in its family: the best
    assert "17.00" in marked[3] and "**17.00**" not in marked[3]
