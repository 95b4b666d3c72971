"""The live domain training's pure logic: the request, the config, the seeded evaluation, what the page shows.

One test runs the job itself for two steps on the brick demo domain; the
others need no training.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from patchlab.inpainting import live
from patchlab.inpainting.domain import demo_photo_set
from patchlab.inpainting.infer import DEFAULT_MODEL
from patchlab.jobs import JobError

needs_model = pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no trained model committed")


@pytest.fixture(scope="module")
def brick():
    return demo_photo_set("brick")


def test_request_checks_its_fields_and_names_itself(brick):
    r = live.DomainRequest(brick)
    assert (r.arch, r.seconds) == ("unet", 120.0)
    assert r.settings == {"lr": 1e-4, "batch": 8, "size": 128}
    assert live.DomainRequest(brick, "seed").settings["size"] == 124  # the tutorial's net: 8 k + 4
    assert r.name == "fine-tune the U-Net on Brick wall, 2 min"
    assert live.DomainRequest(brick, "seed", steps=3).name == "train the tutorial's autoencoder on Brick wall, 3 steps"
    for bad in (dict(arch="vgg"), dict(seconds=0), dict(seconds=601), dict(seconds=float("nan")), dict(steps=0),
                dict(lr=2.0), dict(batch=0), dict(crop_size=256)):
        with pytest.raises(ValueError, match=next(iter(bad))):
            live.DomainRequest(brick, **bad)
    with pytest.raises(ValueError, match="photos"):
        live.DomainRequest([1, 2, 3])


def test_the_environment_shortens_runs_and_says_so(brick):
    r, note = live.request_from_env(live.DomainRequest(brick), {"PATCHLAB_TRAIN_STEPS": "2"})
    assert r.steps == 2 and "PATCHLAB_TRAIN_STEPS=2" in note
    r, note = live.request_from_env(live.DomainRequest(brick), {"PATCHLAB_TRAIN_SECONDS": "0.5"})
    assert r.seconds == 0.5 and "0.5 s" in note
    assert live.request_from_env(live.DomainRequest(brick), {"PATCHLAB_TRAIN_STEPS": "x"}) == (
        live.DomainRequest(brick), None)


@needs_model
def test_the_fine_tune_continues_from_the_shipped_model_and_plans_its_steps(brick, tmp_path):
    clock = live.StepClock()
    config, every = live.training_config(live.DomainRequest(brick, seconds=120), tmp_path / "m.keras", clock)
    assert config.init.endswith("inpainting.keras") and config.arch == "unet" and config.context_blocks == 2
    assert (config.lr, config.batch, config.crop_size, config.steps) == (1e-4, 8, 128, 480)
    assert every == 80  # about every 20 s at 0.25 s a step
    clock.record("unet", 128, 8, steps=100, seconds=50.0)  # measured: twice as slow
    config, every = live.training_config(live.DomainRequest(brick, seconds=120), tmp_path / "m.keras", clock)
    assert (config.steps, every) == (240, 40)
    seed, _ = live.training_config(live.DomainRequest(brick, "seed", steps=3), tmp_path / "s.keras", clock)
    assert (seed.arch, seed.init, seed.crop_size, seed.steps) == ("seed", None, 124, 3)


@needs_model
def test_the_fine_tune_computes_in_bfloat16_only_where_the_machine_does_natively(brick, tmp_path, monkeypatch):
    request = live.DomainRequest(brick, seconds=120)
    monkeypatch.setenv("PATCHLAB_BFLOAT16", "0")  # an AVX2-only CPU: emulated bfloat16 is ~6x slower
    assert not live.training_config(request, tmp_path / "m.keras", live.StepClock())[0].bfloat16
    monkeypatch.setenv("PATCHLAB_BFLOAT16", "1")
    assert live.training_config(request, tmp_path / "m.keras", live.StepClock())[0].bfloat16
    seed = live.training_config(live.DomainRequest(brick, "seed", steps=3), tmp_path / "s.keras", live.StepClock())
    assert not seed[0].bfloat16  # the autoencoder always trains in float32


def test_evaluation_cases_are_the_same_seeded_masks_every_time(brick):
    a = live.evaluation_cases(brick.held_out, masks_per_view=2, seed=0)
    b = live.evaluation_cases(brick.held_out, masks_per_view=2, seed=0)
    assert [c[0] for c in a] == ["square"] * 6 + ["brush"] * 6
    assert all(x[2].shape == (128, 128, 3) and np.array_equal(x[3], y[3]) for x, y in zip(a, b))
    other = live.evaluation_cases(brick.held_out, masks_per_view=2, seed=1)
    assert not all(np.array_equal(x[3], y[3]) for x, y in zip(a, other))
    with pytest.raises(ValueError, match="`photos`"):
        live.evaluation_cases([])


def test_the_standard_cases_are_the_evaluation_scripts_own():
    """With 4 masks per view they are exactly python -m patchlab.inpainting.evaluate's cases."""
    from patchlab.inpainting import data
    from patchlab.inpainting.masks import random_mask

    cases = live.standard_cases(masks_per_view=4)
    views = data.evaluation_views(data.held_out_photos(), 256, 2, 0)
    assert len(cases) == 2 * 4 * len(views) == 72
    rng = np.random.default_rng([0, 1])  # evaluate_methods: the brush family's generator
    first_brush = random_mask((256, 256), rng, "brush")
    assert np.array_equal(next(c for c in cases if c[0] == "brush")[3], first_brush)


def test_score_is_the_mean_masked_psnr_per_family(brick):
    cases = live.evaluation_cases(brick.held_out, views=2)
    perfect = live.score(lambda img, mask: img, cases)
    assert perfect == {"square": 100.0, "brush": 100.0}  # an exact fill counts as 100 dB
    grey = live.score(lambda img, mask: np.where(mask[..., None], 128, img).astype(np.uint8), cases)
    assert set(grey) == {"square", "brush"} and all(5 < v < 40 for v in grey.values())


def test_comparison_rows_put_the_domain_beside_the_standard_photos():
    figures = {"domain": {"mine": {"square": 31.0, "brush": 27.0}, "shipped": {"square": 29.0, "brush": 26.0}},
               "standard": {"mine": {"square": 19.0, "brush": 18.5}, "shipped": {"square": 19.6, "brush": 19.2}}}
    rows = live.comparison_rows(figures, "Brick wall")
    assert list(rows[0]) == ["photos", "masks", "yours (dB)", "shipped (dB)", "change (dB)"]
    assert [r["photos"] for r in rows] == ["Brick wall"] * 2 + ["standard"] * 2
    assert [r["masks"] for r in rows] == ["squares", "brush strokes"] * 2
    assert [r["change (dB)"] for r in rows] == [2.0, 1.0, -0.6, -0.7]


def _events():
    return [
        {"kind": "phase", "text": "Loading…"},
        {"kind": "hole", "image": np.full((8, 8, 3), 255, np.uint8)},
        {"kind": "check", "step": 0, "seconds": 0.0, "mine": {"square": 28.0, "brush": 25.0},
         "shipped": {"square": 28.0, "brush": 25.0}, "classical": {"square": 24.0, "brush": 22.0},
         "classical_name": "telea", "strip": np.zeros((8, 8, 3), np.uint8)},
        {"kind": "phase", "text": "Building the network…"},
        {"kind": "step", "step": 1, "seconds": 3.0, "loss": 0.05},
        {"kind": "step", "step": 40, "seconds": 21.0, "loss": 0.03, "left": 30.2},
        {"kind": "check", "step": 40, "seconds": 22.0, "mine": {"square": 29.0, "brush": 25.5},
         "shipped": {"square": 28.0, "brush": 25.0}, "classical": {"square": 24.0, "brush": 22.0},
         "classical_name": "telea", "strip": np.ones((8, 8, 3), np.uint8)},
    ]


def test_live_curves_status_and_strip_from_the_events(brick):
    curves = live.live_curves(_events())
    assert [r["loss"] for r in curves["loss"]] == [0.05, 0.03]
    assert len(curves["psnr"]) == 2 * 3 * 2  # two checks, three models, two families
    assert {r["series"] for r in curves["psnr"]} == {"your model", "shipped model", "best classical (Telea)"}
    request = live.DomainRequest(brick, seconds=60)
    status = live.live_status("running", 0, _events(), request)
    assert status.headline == "about 30 s left · step 40" and status.fraction == pytest.approx(1 - 30.2 / 60)
    assert status.mine == {"square": 29.0, "brush": 25.5} and status.loss == 0.03
    assert live.live_status("running", 0, _events()[:4], request).headline == "Building the network…"
    assert "number 3 in the queue" in live.live_status("queued", 3, [], request).headline
    tiny = live.live_status("running", 0, _events(), replace(request, steps=80))
    assert (tiny.headline, tiny.fraction) == ("Step 40 of 80", 0.5)
    pictures = live.strip(_events())
    assert [c for c, _ in pictures] == ["the hole", "step 0 · 0 s", "step 40 · 22 s"]
    many = [dict(_events()[2], step=i, seconds=float(i)) for i in range(20)]
    assert [c for c, _ in live.strip(many, most=4)] == ["step 0 · 0 s", "step 6 · 6 s", "step 13 · 13 s",
                                                         "step 19 · 19 s"]
    assert live.curve_spec("loss", 60)["encoding"]["x"]["scale"] == {"domain": [0, 60]}
    brush = live.curve_spec("psnr", 60, "brush")
    assert brush["transform"] == [{"filter": {"field": "masks", "equal": "brush strokes"}}]
    assert brush["title"] == "Quick check, brush"
    with pytest.raises(ValueError, match="kind"):
        live.curve_spec("accuracy")
    with pytest.raises(ValueError, match="family"):
        live.curve_spec("psnr", 60)


@needs_model
def test_stop_before_training_and_a_budget_gone_before_the_first_step_are_clear_errors(brick):
    from patchlab.inpainting import Inpainter

    shipped = Inpainter.load()
    events = []
    job = live.training_job(live.DomainRequest(brick, steps=2), lambda: shipped)
    with pytest.raises(JobError, match="Stopped before training began: nothing was learnt"):
        job(events.append, lambda: True)
    assert events[0]["kind"] == "phase" and events[-1]["kind"] == "check"  # the shipped model was scored first
    job = live.training_job(live.DomainRequest(brick, seconds=0.01), lambda: shipped)
    with pytest.raises(JobError, match=r"The time budget \(0.01 s\) ran out before the first training step ended"):
        job(lambda e: None, lambda: False)


@needs_model
def test_three_steps_give_a_model_its_table_card_and_files(brick):
    from patchlab.inpainting import Inpainter

    events = []
    request = live.DomainRequest(brick, steps=3)
    model = live.training_job(request, Inpainter.load)(events.append, lambda: False)
    assert model.steps == 3 and not model.stopped_early
    assert model.request.photos.train == () and model.request.photos.name == "Brick wall"  # no pixels kept
    assert [r["masks"] for r in model.rows] == ["squares", "brush strokes"] * 2
    assert all(10 < r["yours (dB)"] < 60 and 10 < r["shipped (dB)"] < 60 for r in model.rows)
    kinds = [e["kind"] for e in events]
    checks = [e for e in events if e["kind"] == "check"]
    assert [c["step"] for c in checks] == [0, 1, 2]  # the shipped weights, then a checkpoint after each step
    assert checks[1]["mine"] != checks[2]["mine"], "the second checkpoint's weights were loaded into the network"
    assert events[-1] == {"kind": "phase", "text": "Scoring your model and the shipped one on the held-out photos…"}
    assert model.card["domain"]["training_photos"] == 13 and model.card["domain"]["held_out_photos"] == 3
    files = model.files()
    assert files["stem"] == "my_inpainter_brick_wall" and files["keras"][:2] == b"PK"
    assert b'"model": "my_inpainter_brick_wall.keras"' in files["json"]
    assert b"/work/" not in files["json"] and b"--init models/inpainting.keras" in files["json"]  # no server folder
    assert kinds[1] == "hole"
    photo = brick.held_out[0].image
    mask = np.zeros(photo.shape[:2], bool)
    mask[40:70, 40:70] = True
    out = model.inpainter.inpaint(photo, mask)
    assert np.array_equal(out[~mask], photo[~mask])
