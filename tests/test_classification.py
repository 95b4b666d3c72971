"""Classification: patches, fusion rules, preprocessing, data, model loading, training smoke test."""

from __future__ import annotations

import json

import numpy as np
import pytest

from patchlab.classification import DigitClassifier, ModelUnavailable, fuse, fused_label, preprocess_canvas
from patchlab.classification.augment import augment_digits
from patchlab.classification.data import load_split
from patchlab.classification.corners import corner_origins, extract_patches, extract_patches_numpy
from patchlab.classification.preprocess import EMPTY_MESSAGE


# --- corner patches -----------------------------------------------------------------

@pytest.mark.parametrize("p", [14, 18, 22, 28])
def test_extract_patches_matches_slicing(p):
    rng = np.random.default_rng(p)
    images = rng.random((3, 28, 28, 1)).astype(np.float32)
    got = np.asarray(extract_patches(images, p))
    expected = extract_patches_numpy(images, p)
    n = 1 if p == 28 else 4
    assert got.shape == (3 * n, p, p, 1)
    np.testing.assert_array_equal(got, expected)
    # Order: top-left, top-right, bottom-left, bottom-right.
    for k, (r, c) in enumerate(corner_origins(p)):
        np.testing.assert_array_equal(got[n + k, :, :, 0], images[1, r:r + p, c:c + p, 0])


def test_corner_origins_are_the_corners():
    assert corner_origins(18) == [(0, 0), (0, 10), (10, 0), (10, 10)]
    assert corner_origins(28) == [(0, 0)]


@pytest.mark.parametrize("bad", [0, 7, 29, 18.0, "18", True])
def test_bad_patch_size_names_the_argument(bad):
    with pytest.raises(ValueError, match="patch_size"):
        corner_origins(bad)


# --- fusion ------------------------------------------------------------------

PROBS = np.array([
    [0.7, 0.2, 0.1],
    [0.1, 0.6, 0.3],
    [0.6, 0.3, 0.1],
    [0.2, 0.2, 0.6],
])


def test_mean_rule():
    np.testing.assert_allclose(fuse(PROBS, "mean"), [0.4, 0.325, 0.275])
    assert fused_label(PROBS, "mean") == 0


def test_product_rule_is_normalised_geometric_mean():
    geo = np.prod(PROBS, axis=0) ** 0.25
    np.testing.assert_allclose(fuse(PROBS, "product"), geo / geo.sum())


def test_product_rule_survives_a_zero_probability():
    probs = np.array([[0.0, 1.0, 0.0], [0.9, 0.1, 0.0], [0.9, 0.1, 0.0], [0.9, 0.1, 0.0]])
    fused = fuse(probs, "product")
    assert np.all(np.isfinite(fused)) and fused.sum() == pytest.approx(1.0)
    assert fused[2] < 1e-4  # a class no patch believes in stays (near) zero
    assert fused_label(probs, "product") == 1


def test_product_rule_floor_keeps_a_class_one_patch_rules_out():
    # Three patches are sure of class 0, one gives it exactly 0. With the floor of 1e-6 the
    # zero costs log(1e-6) and class 0 still wins; without it, one zero would veto class 0
    # and class 1 (0.005 from three patches) would win.
    probs = np.array([[0.0, 0.9, 0.1], [0.99, 0.005, 0.005], [0.99, 0.005, 0.005], [0.99, 0.005, 0.005]])
    assert fused_label(probs, "product") == 0
    geo = np.exp(np.log(np.maximum(probs, 1e-6)).mean(axis=0))
    np.testing.assert_allclose(fuse(probs, "product"), geo / geo.sum())


def test_max_rule():
    np.testing.assert_allclose(fuse(PROBS, "max"), np.array([0.7, 0.6, 0.6]) / 1.9)
    assert fused_label(PROBS, "max") == 0


def test_vote_rule_counts_votes():
    np.testing.assert_allclose(fuse(PROBS, "vote"), [0.5, 0.25, 0.25])
    assert fused_label(PROBS, "vote") == 0


def test_vote_tie_goes_to_highest_mean_probability():
    # Two votes for class 2, two for class 1; class 1 has the higher mean probability.
    probs = np.array([[0.0, 0.45, 0.55], [0.0, 0.45, 0.55], [0.0, 0.9, 0.1], [0.0, 0.8, 0.2]])
    assert fused_label(probs, "vote") == 1
    probs[2:, 1] = [0.51, 0.51]
    probs[2:, 2] = [0.49, 0.49]
    assert fused_label(probs, "vote") == 2


def test_exact_tie_goes_to_the_smallest_digit():
    probs = np.full((4, 10), 0.1)
    for rule in ("mean", "product", "max", "vote"):
        assert fused_label(probs, rule) == 0


def test_fusion_is_batched():
    batch = np.stack([PROBS, PROBS[::-1]])
    assert fuse(batch, "mean").shape == (2, 3)
    assert list(fused_label(batch, "vote")) == [0, 0]


def test_fusion_rejects_bad_input():
    with pytest.raises(ValueError, match="rule"):
        fuse(PROBS, "median")
    with pytest.raises(ValueError, match="patch_probs"):
        fuse(np.array([0.5, 0.5]), "mean")
    with pytest.raises(ValueError, match="non-negative"):
        fuse(-PROBS, "mean")


# --- preprocessing -----------------------------------------------------------

def _canvas(opaque_black=False):
    rgba = np.zeros((280, 280, 4), np.uint8)
    if opaque_black:
        rgba[..., 3] = 255
    return rgba


def test_preprocess_vertical_bar_keeps_aspect_and_centres():
    rgba = _canvas()
    rgba[40:240, 20:60] = (200, 30, 30, 255)  # tall bar near the left edge, any colour
    rgba[140:240, 40:60] = 0  # its lower half half as wide: the mass lies above the box's centre
    x = preprocess_canvas(rgba)
    assert x.shape == (28, 28) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0
    rows = np.flatnonzero(x.max(axis=1) > 0.5)
    cols = np.flatnonzero(x.max(axis=0) > 0.5)
    assert rows[-1] - rows[0] + 1 == 20  # longer side scaled to 20 px
    assert 3 <= cols[-1] - cols[0] + 1 <= 5  # 200x40 -> 20x4: aspect kept
    com = np.array(np.nonzero(x > 0.5)).mean(axis=1)
    np.testing.assert_allclose(com, [13.5, 13.5], atol=1.0)  # centred by mass, not left
    # Centring the bounding box instead would leave the mass 1.7 px above the middle.
    np.testing.assert_allclose(com, [13.5, 13.5], atol=0.5)


def test_preprocess_centres_by_centre_of_mass():
    rgba = _canvas()
    rgba[100:200, 100:110, 3] = 255  # thin stem
    rgba[100:130, 100:140, 3] = 255  # a blob at the top-left: mass off the box centre
    x = preprocess_canvas(rgba)
    rows = np.flatnonzero(x.max(axis=1) > 0.5)
    assert rows[0] > 0 and rows[-1] < 27  # nothing cut off
    from scipy import ndimage

    np.testing.assert_allclose(ndimage.center_of_mass(x), [13.5, 13.5], atol=0.75)


def test_white_ink_on_opaque_black_equals_transparent_drawing():
    black = _canvas(opaque_black=True)
    black[60:220, 120:160, :3] = 255
    transparent = _canvas()
    transparent[60:220, 120:160] = (10, 200, 90, 255)
    np.testing.assert_allclose(preprocess_canvas(black), preprocess_canvas(transparent), atol=1e-6)


@pytest.mark.parametrize("opaque", [False, True])
def test_empty_drawing_raises_a_friendly_error(opaque):
    with pytest.raises(ValueError) as info:
        preprocess_canvas(_canvas(opaque_black=opaque))
    assert str(info.value) == EMPTY_MESSAGE


def test_preprocess_rejects_wrong_shape():
    with pytest.raises(ValueError, match="rgba"):
        preprocess_canvas(np.zeros((28, 28), np.uint8))


# --- data and augmentation ---------------------------------------------------

def test_augmentation_is_seeded_and_bounded():
    x, _ = load_split("val")
    a = augment_digits(x[:16], np.random.default_rng(0))
    b = augment_digits(x[:16], np.random.default_rng(0))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (16, 28, 28) and a.min() >= 0 and a.max() <= 1
    assert np.all(a.reshape(16, -1).max(axis=1) > 0.3)  # no digit erased


# --- model: load and a one-step training smoke test ---------------------------

def test_missing_model_names_the_retrain_command(tmp_path):
    with pytest.raises(ModelUnavailable, match="patchlab.classification.train --patch-size 18"):
        DigitClassifier.load(18, path=tmp_path / "nope.keras", allow_outside_models=True)


def test_corrupt_model_names_the_retrain_command(tmp_path):
    bad = tmp_path / "classifier_p18.keras"
    bad.write_bytes(b"not a keras file")
    with pytest.raises(ModelUnavailable, match="--patch-size 18"):
        DigitClassifier.load(18, path=bad, allow_outside_models=True)


@pytest.mark.slow
def test_training_smoke_then_load_safe_mode(tmp_path):
    from patchlab.classification.train import TrainConfig, save_classifier, train_classifier

    path = tmp_path / "classifier_p18.keras"
    run = train_classifier(TrainConfig(18, epochs=1, batch_size=16, max_train=32, max_eval=20))
    card = save_classifier(run, path)
    assert path.exists() and (tmp_path / "classifier_p18.json").exists()
    saved = json.loads((tmp_path / "classifier_p18.json").read_text())
    assert saved["training"]["steps"] == 2 and saved == json.loads(json.dumps(card))
    assert len(saved["evaluation"]["test"]["single_patch"]) == 4

    clf = DigitClassifier.load(18, path=path, allow_outside_models=True)  # safe_mode=True
    x, _ = load_split("test")
    pred = clf.predict(x[0] / 255.0, rule="product")
    assert pred.patch_probs.shape == (4, 10)
    np.testing.assert_allclose(pred.patch_probs.sum(axis=1), 1.0, atol=1e-5)
    assert pred.fused.shape == (10,) and pred.fused.sum() == pytest.approx(1.0)
    assert pred.label == int(np.argmax(pred.fused)) and pred.confidence == pytest.approx(pred.fused[pred.label])


# --- synthetic mouse drawings and the evaluation tables -----------------------

def test_synthetic_drawings_are_canvas_like_and_seeded():
    from patchlab.classification.drawn import drawn_digits, same_topology

    x, _ = load_split("test")
    a = drawn_digits(x[:5], seed=3)
    b = drawn_digits(x[:5], seed=3)
    for rgba, again, original in zip(a, b, x[:5]):
        assert rgba.shape == (280, 280, 4) and rgba.dtype == np.uint8
        np.testing.assert_array_equal(rgba, again)
        digit = preprocess_canvas(rgba)
        assert digit.shape == (28, 28) and digit.max() == pytest.approx(1.0)
        assert isinstance(same_topology(original, digit), (bool, np.bool_))
    # A zero with its loop kept has the same topology; a filled blob does not.
    ring = np.zeros((28, 28), np.float32)
    ring[6:22, 8:20] = 1
    ring[9:19, 11:17] = 0
    blob = np.zeros((28, 28), np.float32)
    blob[6:22, 8:20] = 1
    assert same_topology(ring, ring) and not same_topology(ring, blob)


def test_evaluation_tables_from_a_report():
    from patchlab.classification.report import markdown_table, patch_table, size_table

    acc = {"single_patch": [0.9, 0.8, 0.7, 0.6], "fused": {r: 0.95 for r in ("mean", "product", "max", "vote")}}
    report = {
        "rules": ["mean", "product", "max", "vote"],
        "patch_sizes": {
            "18": {"n_patches": 4, "patch_names": ["a", "b", "c", "d"], "test": acc, "drawn": acc, "drawn_faithful": acc},
            "22": {"missing": "no model"},
        },
    }
    rows = size_table(report)
    assert rows[0]["best single patch %"] == pytest.approx(90.0) and rows[0]["mean %"] == pytest.approx(95.0)
    assert rows[1]["note"] == "model missing"
    assert len(patch_table(report, 18)) == 8 and patch_table(report, 22) == []
    table = markdown_table(rows)
    assert table.splitlines()[0].startswith("| patch size |") and "95.0" in table


def test_the_comparison_with_lenet5_reads_the_report_in_both_languages():
    from patchlab.classification.report import published_comparison
    from patchlab.i18n import speaking

    fused = {"fused": {"mean": 0.98765}}
    report = {"patch_sizes": {"18": {"test": fused, "n_patches": 4, "parameters": 160298},
                              "28": {"test": fused, "n_patches": 1, "parameters": 202538},
                              "14": {"test": fused, "n_patches": 4}, "22": {"missing": "no model"}}}
    four, whole, bare = (published_comparison(report, p) for p in (18, 28, 14))
    assert "99.05 %" in four and "160,298 weights shared by its four patches, reads 98.77 %" in four
    assert "202,538 weights on the whole digit, reads 98.77 %." in whole
    assert bare.endswith("The shipped p = 14 model reads 98.77 % fused by the mean.")
    assert published_comparison(report, 22) is None and published_comparison({}, 18) is None
    with speaking("zh"):
        chinese = published_comparison(report, 18)
    assert "LeNet-5" in chinese and "98.77 %" in chinese and "160,298" in chinese and "For comparison" not in chinese


def test_figures_for_the_page():
    from patchlab.classification.figures import (accuracy_figure, figure_png, outlined_input, patch_tile,
                                                 probability_chart)

    x, _ = load_split("test")
    digit = x[0] / 255.0
    picture = outlined_input(digit, corner_origins(18), 18)
    assert picture.shape == (280, 280, 3) and picture.dtype == np.uint8
    assert tuple(picture[0, 0]) == (0xE6, 0x9F, 0x00)  # the top-left patch's outline colour
    tile = patch_tile(digit, (10, 10), 18, "#cc79a7", scale=8, border=4)
    assert tile.shape == (18 * 8 + 8, 18 * 8 + 8, 3)
    probs = np.full((4, 10), 0.02)
    probs[np.arange(4), [3, 3, 5, 3]] = 0.82
    rows, spec = probability_chart(probs, probs.mean(0), 3, ["a", "b", "c", "d"], "mean")
    assert len(rows) == 50
    titles = spec["facet"]["column"]["sort"]
    assert titles == ["a: 3", "b: 3", "c: 5", "d: 3", "fused (mean): 3"]
    assert [r["digit"] for r in rows if r["top"]] == [3, 3, 5, 3, 3]  # one solid bar per chart
    with pytest.raises(ValueError):
        probability_chart(probs[:, :9], probs[0], 0, ["a"] * 4, "mean")
    rows = [{"patch size": p, "best single patch %": 90.0, "worst single patch %": 80.0, "mean %": 95.0,
             "product %": 96.0, "mouse-drawn (mean) %": 91.0} for p in (14, 18)]
    assert len(accuracy_figure(rows).axes[0].lines) == 5
    assert figure_png(accuracy_figure(rows))[:8] == b"\x89PNG\r\n\x1a\n"
