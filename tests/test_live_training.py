"""The live training panel's logic (patchlab.classification.live) and the training loop's hooks it uses."""

from __future__ import annotations

import math

import numpy as np
import pytest

from patchlab.classification import live
from patchlab.classification.config import TrainConfig, from_command
from patchlab.classification.recipe import ONE_MINUTE, minute_command, shipped_config
from patchlab.jobs import JobError, JobRunner

TINY = dict(epochs=1, batch_size=16, max_train=32, max_eval=20)  # 2 steps


def seven(size=200):
    import cv2

    rgba = np.zeros((size, size, 4), np.uint8)
    rgba[..., 3] = 255
    cv2.line(rgba, (50, 40), (150, 40), (255, 255, 255, 255), 16)
    cv2.line(rgba, (150, 40), (85, 165), (255, 255, 255, 255), 16)
    return rgba


# --- the request and its training configuration -------------------------------------------

def test_request_checks_every_choice():
    assert live.TrainRequest().name == "train p=18, 1 min"
    assert live.TrainRequest(10, steps=3).name == "train p=10, 3 steps"
    for bad in (dict(patch_size=7), dict(patch_size=29), dict(rule="median"), dict(seconds=0),
                dict(seconds=601), dict(seconds=float("nan")), dict(augment="yes"), dict(steps=0),
                dict(own=[(np.zeros((27, 28)), 1)]), dict(own=[(np.zeros((28, 28)), 10)])):
        name = next(iter(bad))
        with pytest.raises(ValueError, match=name if name != "own" else "own"):
            live.TrainRequest(**bad)


def test_budgeted_config_decays_over_its_budget_and_plans_epochs_beyond_it():
    clock = live.StepClock()
    config, check_every = live.training_config(live.TrainRequest(18, seconds=60), clock)
    per_step = clock.seconds_per_step(18)
    assert config.seconds == 60 and config.augment
    assert (config.learning_rate, config.redrawn, config.label_smoothing) == (0.004, 0.8, 0.0)  # ONE_MINUTE
    cli = from_command(minute_command(18))  # the command the docs give for the page's minute
    assert all(getattr(cli, k) == getattr(config, k) for k in ONE_MINUTE) and cli.seconds == 60
    assert config.redrawn_digits == TrainConfig.redrawn_digits and config.max_train is None
    assert config.decay_steps is None  # the learning rate follows the budget's clock
    expected = int((60 - live.SETUP_S) / (per_step * 1.08))
    assert config.epochs * math.ceil(live.TRAIN_DIGITS / 64) >= 2 * expected  # the run never ends before the budget
    assert check_every == round(live.CHECK_INTERVAL_S / per_step)
    plain, _ = live.training_config(live.TrainRequest(18, seconds=60, augment=False), clock)
    assert plain.augment is False and plain.redrawn == 0.0
    assert from_command(config.command()) == config  # the card's command reproduces the run


def test_step_clock_uses_what_it_measured():
    clock = live.StepClock()
    assert clock.seconds_per_step(18) == pytest.approx(live.StepClock.REFERENCE_S)
    assert clock.seconds_per_step(10) < clock.seconds_per_step(14) < clock.seconds_per_step(22)
    clock.record(18, 100, 30.0)
    assert clock.seconds_per_step(18) == pytest.approx(0.3)
    clock.record(14, 2, 100.0)  # too few steps to trust
    assert clock.seconds_per_step(14) == clock.estimate(14)


def test_environment_overrides_are_said():
    request, note = live.request_from_env(live.TrainRequest(), {"PATCHLAB_TRAIN_STEPS": "3"})
    assert request.steps == 3 and "PATCHLAB_TRAIN_STEPS=3" in note
    config, _ = live.training_config(request)
    assert config.max_train == 3 * 64 and config.epochs == 1 and config.max_eval == live.TINY_EVAL_DIGITS
    assert config.steps == 3  # a budget in steps: its learning rate never follows the clock
    request, note = live.request_from_env(live.TrainRequest(), {"PATCHLAB_TRAIN_SECONDS": "0.5"})
    assert request.seconds == 0.5 and "0.5 s" in note
    assert live.request_from_env(live.TrainRequest(), {}) == (live.TrainRequest(), None)


def test_settings_round_trip_through_the_link():
    settings = live.PanelSettings(12, "vote", "5 min", False)
    values, ignored = live.read_link(live.settings_to_query(settings))
    assert ignored == [] and live.PanelSettings(*(values[live.QUERY[k]] for k in live.QUERY)) == settings
    values, ignored = live.read_link({"tp": "x", "trule": "vote", "tbudget": "7min"})
    assert values == {"tp": 18, "trule": "vote", "tbudget": "1 min"}
    assert [i.setting for i in ignored] == ["patch size", "time budget"]
    assert settings.request().seconds == 300.0


# --- what the page shows ------------------------------------------------------------------

EVENTS = [
    {"kind": "phase", "text": "Building…"},
    {"kind": "step", "step": 1, "seconds": 2.0, "loss": 2.3, "epoch": 1},
    {"kind": "check", "step": 5, "seconds": 3.0, "single_patch": [0.5, 0.6, 0.4, 0.3],
     "fused": {"mean": 0.7, "product": 0.72, "max": 0.65, "vote": 0.6}, "n_digits": 200},
    {"kind": "step", "step": 9, "seconds": 4.5, "loss": 1.1, "epoch": 1},
]


def test_live_curves_and_status():
    curves = live.live_curves(EVENTS, "product", 18)
    assert [r["loss"] for r in curves["loss"]] == [2.3, 1.1]
    series = {r["series"]: r["accuracy %"] for r in curves["accuracy"]}
    assert series["top-left patch"] == 50 and series["fused (product)"] == 72
    assert len(series) == 5
    whole = live.live_curves(EVENTS[:3], "mean", 28)["accuracy"]
    assert [r["series"] for r in whole] == ["whole image patch"]  # one patch, nothing to fuse
    request = live.TrainRequest(18, "product", seconds=30)
    status = live.live_status("running", 0, 5, EVENTS, request)
    assert status.headline.startswith("26 s left") and status.fraction == pytest.approx(4.5 / 30)
    assert (status.loss, status.fused, status.best_single) == (1.1, 72.0, 60.0)
    assert "number 3 in the queue" in live.live_status("queued", 3, 0, [], request).headline
    assert "next in line" in live.live_status("queued", 1, 0, [], request).headline
    assert live.live_status("running", 0, 1, EVENTS[:1], request).headline == "Building…"
    for kind in ("loss", "accuracy"):
        spec = live.curve_spec(kind, 60)
        assert spec["config"]["axis"]["labelFontSize"] >= 16 and spec["encoding"]["x"]["scale"]["domain"] == [0, 60]
    with pytest.raises(ValueError, match="kind"):
        live.curve_spec("speed")


def test_comparison_table_against_the_shipped_card():
    mine = {"single_patch": [0.9, 0.91, 0.92, 0.93], "fused": {"mean": 0.95, "product": 0.96, "max": 0.94, "vote": 0.93}}
    card = {"evaluation": {"test": {"single_patch": [0.97, 0.975, 0.957, 0.953],
                                    "fused": {"mean": 0.984, "product": 0.988, "max": 0.982, "vote": 0.984}}}}
    rows = live.comparison_table(mine, card, 18)
    assert [r[""] for r in rows][:4] == ["top-left patch", "top-right patch", "bottom-left patch", "bottom-right patch"]
    assert len(rows) == 8
    mean = next(r for r in rows if r[""] == "fused: mean of probabilities")
    assert (mean["your model %"], mean["shipped model %"], mean["difference (points)"]) == (95.0, 98.4, -3.4)
    alone = live.comparison_table(mine, None, 10)
    assert all(r["shipped model %"] is None and r["difference (points)"] is None for r in alone)
    assert len(live.comparison_table({"single_patch": [0.9], "fused": mine["fused"]}, None, 28)) == 1
    assert live.shipped_patch_size(18) == 18 and live.shipped_patch_size(10) == 14
    assert live.shipped_patch_size(25) == 22 and live.shipped_patch_size(8) == 14


def test_sweep_rows_and_requests():
    requests = live.sweep_requests(steps=2)
    assert [r.patch_size for r in requests] == [10, 14, 18, 22, 28] and all(r.steps == 2 for r in requests)
    events = [{"kind": "phase", "text": "x"},
              {"kind": "sweep", "patch_size": 10, "single_patch": [0.6, 0.7, 0.5, 0.4],
               "fused": {"mean": 0.8, "product": 0.82, "max": 0.7, "vote": 0.6}}]
    rows = live.sweep_rows(events, "mean")
    assert {r["series"]: r["accuracy %"] for r in rows} == {
        "best single patch": 70.0, "mean of the single patches": pytest.approx(55.0), "fused (mean)": 80.0}
    assert live.sweep_spec()["encoding"]["x"]["scale"]["domain"] == [8, 28]


def test_own_digit_messages_and_training_examples():
    assert "Choose which digit" in live.own_digit(seven(), None)[1]
    assert "Choose which digit" in live.own_digit(seven(), True)[1]
    assert "empty" in live.own_digit(None, 3)[1]
    assert "empty" in live.own_digit(np.zeros((200, 200, 4), np.uint8), 3)[1]
    x28, problem = live.own_digit(seven(), 7)
    assert problem is None and x28.shape == (28, 28) and x28.max() > 0.5
    images, labels = live.own_training_set([(x28, 7), (x28, 1)])
    assert images.shape == (2 * live.OWN_REPEATS, 28, 28) and labels.tolist().count(7) == live.OWN_REPEATS
    with pytest.raises(ValueError, match="own"):
        live.own_training_set([])
    assert live.thumbnails([(x28, 7)])[0].shape == (56, 56)


def test_before_after_counts_right_answers():
    class Fixed:
        def __init__(self, label):
            self.label = label

        def predict(self, x28, rule):
            return type("P", (), {"label": self.label})()

    own = [(np.zeros((28, 28)), 7), (np.zeros((28, 28)), 1)]
    result = live.before_after(own, Fixed(1), Fixed(7), "mean")
    assert (result["shipped_right"], result["mine_right"], result["n"]) == (1, 1, 2)
    assert result["rows"][0] == {"#": 1, "your label": 7, "shipped model": "1 ✗", "your model": "7 ✓"}
    assert live.before_after(own, None, Fixed(7))["rows"][0]["shipped model"] == "—"


# --- the job itself (TensorFlow; a few steps) ---------------------------------------------

def test_training_job_reports_progress_and_returns_a_downloadable_model(tmp_path):
    from patchlab.classification import DigitClassifier

    x28, _ = live.own_digit(seven(), 7)
    request = live.TrainRequest(14, steps=2, own=[(x28, 7)], augment=False)
    runner = JobRunner(slots=1)
    job = runner.submit("ana", request.name, live.training_job(request, live.StepClock()))
    assert job.wait(300), "the tiny run did not finish"
    assert job.status == "done", job.error
    model = job.result
    assert model.steps >= 2 and model.n_test == live.TINY_EVAL_DIGITS and model.patch_size == 14
    assert not model.stopped_early  # the run ended by itself: the page must not say "stopped early"
    kinds = [e["kind"] for e in job.events()]
    assert kinds[0] == "phase" and "step" in kinds and "check" in kinds and "epoch" in kinds
    assert model.card["training"]["own_digits"] == 1 and model.card["data"]["used"]["extra"] == live.OWN_REPEATS
    assert "none (no random rotation" in model.card["training"]["augmentation"]
    files = model.files()
    assert files["stem"] == "my_classifier_p14" and files["keras"][:2] == b"PK"  # a .keras file is a zip
    (tmp_path / "mine.keras").write_bytes(files["keras"])
    loaded = DigitClassifier.load(14, path=tmp_path / "mine.keras", allow_outside_models=True)
    assert loaded.predict(x28).label == model.classifier.predict(x28).label
    assert model.files() is files  # written once


def test_budget_before_the_first_step_and_stop_before_training_are_sentences():
    request = live.TrainRequest(28, seconds=1e-6, augment=False)
    runner = JobRunner(slots=1)
    job = runner.submit("ana", request.name, live.training_job(request, live.StepClock()))
    assert job.wait(300) and job.status == "failed"
    assert "ended before the first training step" in job.error and "longer budget" in job.error
    with pytest.raises(JobError, match="Stopped before"):
        live._train(live.TrainRequest(28, steps=2, augment=False), lambda e: None, lambda: True)


def test_sweep_job_reports_each_run_and_stops_between_runs():
    runs = live.sweep_requests(steps=1, seconds=60, augment=False)[:2]
    runner = JobRunner(slots=1)
    job = runner.submit("ana", "sweep", live.sweep_job(runs, live.StepClock()), keeps_model=False)
    assert job.wait(300) and job.status == "done", job.error
    assert [r["patch_size"] for r in job.result] == [10, 14]
    assert [e["patch_size"] for e in job.events() if e["kind"] == "sweep"] == [10, 14]
    assert runner.kept_models() == []  # a sweep keeps no model


# --- the loop's hooks (train_classifier) ----------------------------------------------------

def test_hooks_extra_digits_checks_and_no_augmentation():
    from patchlab.classification.train import train_classifier

    reports = []
    extra = (np.zeros((16, 28, 28), np.float32), np.full(16, 3))
    config = TrainConfig(18, augment=False, redrawn=0.0, decay_steps=5, **TINY)
    run = train_classifier(config, progress=reports.append, extra_digits=extra, check_every=1, check_digits=10)
    assert run.total_steps == 3 and run.steps == 3 and run.used["extra"] == 16  # 32 + 16 digits, 16 a step
    checks = [r.check for r in reports if r.check is not None]
    assert [c["step"] for c in checks] == [1, 2, 3] and all(c["n_digits"] == 10 for c in checks)
    assert len(checks[0]["single_patch"]) == 4 and set(checks[0]["fused"]) == {"mean", "product", "max", "vote"}
    for bad, match in (((np.zeros((2, 27, 28)), np.zeros(2)), "extra_digits"), ((np.zeros((1, 28, 28)), [10]),
                                                                                  "0-9"), (5, "pair")):
        with pytest.raises(ValueError, match=match):
            train_classifier(config, extra_digits=bad)
    with pytest.raises(ValueError, match="check_every"):
        train_classifier(config, check_every=0)
    with pytest.raises(ValueError, match="redrawn_pools"):
        train_classifier(TrainConfig(18, **TINY), redrawn_pools=[np.zeros((5, 28, 28))])


def test_new_settings_keep_the_shipped_command_and_parse_back():
    assert shipped_config(18).command() == ("python -m patchlab.classification.train --patch-size 18 --epochs 12 "
                                            "--fused-weight 1.0")
    config = TrainConfig(12, augment=False, decay_steps=40, seconds=60.0)
    assert "--augment False" in config.command() and "--decay-steps 40" in config.command()
    assert from_command(config.command()) == config
    for bad in (dict(augment=1), dict(decay_steps=0)):
        with pytest.raises(ValueError, match=next(iter(bad))):
            TrainConfig(18, **bad)
    assert math.isfinite(live.StepClock().estimate(8))


def test_learning_rate_follows_steps_or_the_budget_whichever_is_further():
    from patchlab.classification.train import learning_rate_at

    config = TrainConfig(18, learning_rate=1e-3)
    assert learning_rate_at(config, 0, 100) == pytest.approx(1e-3)
    assert learning_rate_at(config, 50, 100) == pytest.approx(1e-3 * (0.02 + 0.98 * 0.5))
    assert learning_rate_at(config, 100, 100) == pytest.approx(2e-5)
    assert learning_rate_at(config, 500, 100) == pytest.approx(2e-5)  # stays at its floor
    # a budgeted run: half the budget spent after 10 of 100 steps -> half-way down
    assert learning_rate_at(config, 10, 100, elapsed_s=15, budget_s=30) == pytest.approx(1e-3 * 0.51)
    assert learning_rate_at(config, 10, 100, elapsed_s=45, budget_s=30) == pytest.approx(2e-5)
    # explicit decay_steps win over the planned steps
    assert learning_rate_at(TrainConfig(18, learning_rate=1e-3, decay_steps=10), 10, 100) == pytest.approx(2e-5)
    rates = [learning_rate_at(config, s, 100, elapsed_s=s * 0.2, budget_s=30) for s in range(120)]
    assert all(a >= b for a, b in zip(rates, rates[1:]))  # never rises


def test_stop_pressed_during_training_is_stopped_early():
    pressed = []

    def progress(event):
        if event["kind"] == "step":
            pressed.append(True)  # Stop pressed once the first step is taken

    model = live._train(live.TrainRequest(28, steps=50, augment=False), progress, lambda: bool(pressed),
                        live.StepClock())
    assert 1 <= model.steps < 50 and model.stopped_early
