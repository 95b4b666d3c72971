"""The Classification page's logic (patchlab.classification.demo), without Streamlit or TensorFlow."""

from __future__ import annotations

from dataclasses import replace

from pathlib import Path

import numpy as np
import pytest

from patchlab.classification import demo
from patchlab.classification.data import gallery_digits
from patchlab.classification.figures import outlined_input
from patchlab.classification.inference import DigitClassifier
from patchlab.classification.preprocess import EMPTY_MESSAGE
from patchlab.classification.report import EVAL_PATH, read_classification_report
from patchlab.runtime import ModelUnavailable


class FakeModel:
    def count_params(self):
        return 160298


class FixedClassifier(DigitClassifier):
    """The real prediction and fusion code on fixed patch probabilities (no network)."""

    def __init__(self, probs, patch_size=18, card=None):
        super().__init__(FakeModel(), patch_size, card)
        self.probs = np.asarray(probs, dtype=np.float64)

    def patch_probabilities(self, x28):
        return self.probs


def one_hot_ish(labels, p=0.82):
    probs = np.full((len(labels), 10), (1 - p) / 9)
    probs[np.arange(len(labels)), labels] = p
    return probs


def canvas_with_a_bar():
    rgba = np.zeros((280, 280, 4), np.uint8)
    rgba[60:220, 130:150] = 255
    return rgba


# --- the every-rule table -------------------------------------------------------------

def test_rule_table_answers_and_confidence_of_every_rule():
    # One patch is sure of 0, three lean to 1: the vote says 1, the other rules 0.
    probs = np.array([[0.9, 0.1], [0.4, 0.6], [0.4, 0.6], [0.4, 0.6]])
    assert demo.rule_table(probs) == [
        {"fusion rule": "mean of probabilities", "answer": 0, "confidence %": 52.5},
        {"fusion rule": "normalised product (geometric mean)", "answer": 0, "confidence %": 56.1},
        {"fusion rule": "max per class", "answer": 0, "confidence %": 60.0},
        {"fusion rule": "majority vote", "answer": 1, "confidence %": 75.0},
    ]


def test_rule_table_vote_tie_goes_to_the_higher_mean():
    probs = np.array([[0.0, 0.45, 0.55], [0.0, 0.45, 0.55], [0.0, 0.9, 0.1], [0.0, 0.8, 0.2]])
    vote = demo.rule_table(probs)[3]
    assert vote == {"fusion rule": "majority vote", "answer": 1, "confidence %": 50.0}


# --- settings -------------------------------------------------------------------------

def test_settings_defaults_are_the_pages():
    s = demo.Settings()
    assert (s.patch_size, s.rule, s.source, s.digit, s.brush) == (18, "mean", "Draw", 0, 26)


@pytest.mark.parametrize("name, value", [("patch_size", 20), ("patch_size", True), ("rule", "median"),
                                         ("source", "Upload"), ("digit", "3"), ("brush", 2.5),
                                         ("model", "theirs")])
def test_bad_settings_name_the_argument(name, value):
    with pytest.raises(ValueError, match=name):
        demo.Settings(**{name: value})


def test_clamp_settings_fits_the_gallery_and_the_brush():
    s, notes = demo.clamp_settings(demo.Settings(digit=5000, brush=100), 1000)
    assert (s.digit, s.brush) == (999, 40) and len(notes) == 2 and "#5000" in notes[0]
    s, notes = demo.clamp_settings(demo.Settings(digit=-1, brush=1), 1000)
    assert (s.digit, s.brush) == (0, 6) and len(notes) == 2
    s, notes = demo.clamp_settings(demo.Settings(digit=7), 1000)
    assert s == demo.Settings(digit=7) and notes == []
    with pytest.raises(ValueError, match="n_digits"):
        demo.clamp_settings(demo.Settings(), 0)


def test_read_link_reads_a_shared_link():
    values, ignored = demo.read_link({"patch": "14", "rule": "vote", "input": "Test digit gallery", "digit": "12",
                                      "present": "1", "img": "coffee"}, 1000)  # other parameters: not looked at
    assert values == {"patch": 14, "rule": "vote", "input": "Test digit gallery", "digit": 12} and ignored == []
    assert demo.read_link({}, 1000) == ({}, [])
    assert demo.read_link({"patch": " 22 ", "rule": "Mean"}, 1000)[0] == {"patch": 22, "rule": "mean"}
    assert demo.read_link({"patch": ["14", "22"]}, 1000)[0] == {"patch": 22}  # given twice: the last counts


@pytest.mark.parametrize("key, raw, what", [
    ("patch", "99999", "patch size `99999` (expected 14, 18, 22 or 28)"), ("patch", "1e9", "expected 14, 18"),
    ("patch", "", "patch size (empty)"), ("rule", "median", "fusion rule `median` (expected mean, product, max or vote)"),
    ("input", "Upload", "digit source `Upload` (expected Draw or Test digit gallery)"),
    ("digit", "1000", "test digit number `1000` (expected a whole number from 0 to 999)"),
    ("digit", "-1", "from 0 to 999"), ("digit", "3.5", "from 0 to 999"), ("digit", "9" * 400, "from 0 to 999"),
])
def test_read_link_leaves_what_it_cannot_use_at_the_default(key, raw, what):
    values, ignored = demo.read_link({key: raw, "rule": "max"} if key != "rule" else {key: raw}, 1000)
    assert values[key] == getattr(demo.Settings(), demo.QUERY_KEYS[key])
    assert len(ignored) == 1 and what in ignored[0].phrase()
    assert len(ignored[0].phrase()) < 120  # a hostile value is cut short
    if key != "rule":
        assert values["rule"] == "max"  # the good parameter is kept
    with pytest.raises(ValueError, match="n_digits"):
        demo.read_link({}, 0)


def test_to_query_is_read_back_as_the_same_settings():
    for settings in (demo.Settings(), demo.Settings(patch_size=14, rule="vote", source="Test digit gallery", digit=7)):
        query = {k: str(v) for k, v in demo.to_query(settings).items()}
        values, ignored = demo.read_link(query, 1000)
        assert ignored == []
        assert demo.Settings(**{demo.QUERY_KEYS[k]: v for k, v in values.items()}) == settings


def test_random_digit_is_seeded_and_in_range():
    a = [demo.random_digit(1000, np.random.default_rng(3)) for _ in range(2)]
    assert a[0] == a[1] and 0 <= a[0] < 1000


# --- the input --------------------------------------------------------------------------

def test_nothing_drawn_or_an_empty_canvas_is_a_hint():
    assert demo.digit_input(demo.Settings()).hint == demo.NOTHING_DRAWN
    empty = demo.digit_input(demo.Settings(), drawing=np.zeros((280, 280, 4), np.uint8))
    assert empty.hint == EMPTY_MESSAGE and empty.x28 is None


def test_drawing_is_preprocessed():
    got = demo.digit_input(demo.Settings(), drawing=canvas_with_a_bar())
    assert got.x28.shape == (28, 28) and got.truth is None and got.hint is None and got.gallery is None


def test_gallery_digit_its_label_and_the_next_ones():
    images, labels = gallery_digits()
    n = len(images)  # MNIST's official test set: 10,000 digits
    got = demo.digit_input(demo.Settings(source="Test digit gallery", digit=n - 2), gallery=(images, labels))
    np.testing.assert_array_equal(got.x28, images[n - 2] / np.float32(255))
    assert got.truth == int(labels[n - 2]) and got.hint is None
    assert got.gallery.image.shape == (280, 280)
    np.testing.assert_array_equal(got.gallery.image[::10, ::10], images[n - 2])
    assert got.gallery.thumbnail_captions == [f"#{n - 1}", "#0", "#1", "#2", "#3", "#4"]  # wraps around
    np.testing.assert_array_equal(got.gallery.thumbnails[1][::2, ::2], images[0])
    assert got.gallery.caption.startswith(f"Held-out test digit #{n - 2} ")
    with pytest.raises(ValueError, match="gallery"):
        demo.digit_input(demo.Settings(source="Test digit gallery"))


# --- the whole view ---------------------------------------------------------------------

CARD = {"training": {"epochs": 20, "steps": 2500, "wall_time_s": 464.2, "seed": 1234}}


def test_disagreeing_patches_view():
    probs = one_hot_ish([3, 3, 5, 3])
    images, labels = gallery_digits()
    settings = demo.Settings(source="Test digit gallery", rule="vote", digit=0)
    view = demo.analyse_digit(settings, gallery=(images, labels),
                              load_classifier=lambda p: FixedClassifier(probs, p, CARD))
    assert view.error is None and view.prediction.label == 3
    assert view.metric == "3" and view.metric_delta == "confidence 75% (vote)"
    assert view.truth_correct == (int(labels[0]) == 3) and view.truth_message == f"True label: {labels[0]}"
    assert view.agreement == ("warning", "The patches disagree: top-left → 3, top-right → 3, "
                                         "bottom-left → 5, bottom-right → 3. Fusion settles it.")
    assert [caption for _, caption in view.tiles] == ["top-left: 3 (82%)", "top-right: 3 (82%)",
                                                      "bottom-left: 5 (82%)", "bottom-right: 3 (82%)"]
    assert view.tiles[3][0].shape == (18 * 8 + 8, 18 * 8 + 8, 3)
    corners = [(0, 0), (0, 10), (10, 0), (10, 10)]
    np.testing.assert_array_equal(view.outlined, outlined_input(view.input.x28, corners, 18))
    assert view.outlined_caption == "What the network gets: 28×28, 4 patches of 18×18"
    assert view.rules == demo.rule_table(probs)
    assert view.model_caption == ("Model `classifier_p18.keras`: 160,298 weights, 20 epochs (2500 steps, "
                                  "464.2 s on 2 CPU threads), seed 1234; model card beside it.")
    assert view.chart_spec["facet"]["column"]["sort"][-1] == "fused (vote): 3"
    assert [panel["title"]["text"] for panel in view.chart_panels] == view.chart_spec["facet"]["column"]["sort"]
    assert len(view.chart_rows) == 50


def test_agreeing_patches_and_the_whole_image():
    x = demo.Settings(patch_size=18)
    view = demo.analyse_digit(x, drawing=canvas_with_a_bar(),
                              load_classifier=lambda p: FixedClassifier(one_hot_ish([1] * 4), p))
    assert view.agreement[0] == "success" and view.agreement[1].startswith("All four patches agree: top-left → 1")
    assert view.truth_correct is None and view.model_caption is None  # a drawing; no card
    whole = demo.analyse_digit(demo.Settings(patch_size=28), drawing=canvas_with_a_bar(),
                               load_classifier=lambda p: FixedClassifier(one_hot_ish([1]), p))
    assert whole.agreement == ("info", "Patch size 28 is the whole-image baseline: one patch, nothing to fuse.")
    assert whole.tiles == [] and whole.rules == [] and whole.patch_names == ["whole image"]
    assert whole.outlined_caption == "What the network gets: 28×28, 1 patch of 28×28"


def test_question_name_changes_with_the_question():
    images, labels = gallery_digits()
    load = lambda p: FixedClassifier(one_hot_ish([1] * 4), p)  # noqa: E731
    gallery = demo.Settings(source="Test digit gallery", digit=3)

    def name(settings, drawing=None):
        return demo.question_name(demo.analyse_digit(settings, drawing=drawing, gallery=(images, labels),
                                                     load_classifier=load))

    assert name(gallery) == name(gallery) == "classification-p18-mean-gallery3"
    other = [name(demo.Settings(source="Test digit gallery", digit=4)), name(replace(gallery, rule="vote")),
             name(replace(gallery, patch_size=14))]
    bar, longer = canvas_with_a_bar(), canvas_with_a_bar()
    longer[60:80, 60:150] = 255  # a flag on top: another digit
    drawn = [name(demo.Settings(), bar), name(demo.Settings(), longer)]
    assert len({name(gallery), *other, *drawn}) == 6 and drawn[0] == name(demo.Settings(), bar.copy())


def test_missing_model_becomes_the_error_and_no_digit_loads_nothing():
    def missing(p):
        raise ModelUnavailable(f"No classifier for patch size {p}. Retrain it with: ...")

    view = demo.analyse_digit(demo.Settings(patch_size=22), drawing=canvas_with_a_bar(), load_classifier=missing)
    assert view.error.startswith("No classifier for patch size 22") and view.prediction is None
    calls = []
    view = demo.analyse_digit(demo.Settings(), load_classifier=calls.append)
    assert calls == [] and view.input.hint == demo.NOTHING_DRAWN and view.error is None


# --- the participant's own model -----------------------------------------------------------

def job(job_id, result=None, notice=None, ended=1000.0):
    """A finished (or running: ended None) job of the runner as the page sees it."""
    from types import SimpleNamespace

    return SimpleNamespace(id=job_id, result=result, notice=notice, ended=ended, submitted=900.0)


def live_model(patch_size=10, steps=40, seconds=12.3):
    from types import SimpleNamespace

    return SimpleNamespace(classifier=FixedClassifier(one_hot_ish([7] * 4), patch_size), steps=steps,
                           seconds=seconds, patch_size=patch_size)


def test_own_model_is_the_latest_trained_one_or_says_why_it_is_gone():
    assert demo.own_model([]) == demo.OwnModelStatus()
    first, second = live_model(14), live_model(10)
    status = demo.own_model([job(1, first), job(2, second, ended=1500.0), job(3, ended=None)])  # 3: running
    assert status.job.id == 2 and status.notice is None
    assert status.model == demo.OwnModel(second.classifier, 2, 1500.0, 40, 12.3) and status.model.patch_size == 10
    dropped = "Your model from “train p=14, 1 min” was removed to make room: ... Train again to get one back."
    status = demo.own_model([job(4, notice=dropped), job(5, ended=None)])
    assert status.model is None and status.job is None
    assert status.notice == dropped + " Until then the shipped model answers here."
    assert demo.own_model([job(6, ended=None)]) == demo.OwnModelStatus()  # still training: nothing yet


@pytest.mark.parametrize("seconds, words", [(0, "just now"), (9.9, "just now"), (-5, "just now"),
                                            (float("nan"), "just now"), (45.7, "45 s ago"), (60, "1 min ago"),
                                            (130, "2 min ago"), (3599, "59 min ago"), (7300, "2 h ago")])
def test_trained_ago_in_words(seconds, words):
    assert demo.trained_ago(seconds) == words


def test_model_captions_and_the_patch_size_note():
    own = demo.OwnModel(FixedClassifier(one_hot_ish([7] * 4), 14), 3, 1000.0, 40, 12.3)
    assert demo.model_captions(own, 22, now=1130.0) == {"mine": "yours: p = 14, trained 2 min ago",
                                                        "shipped": "trained for this app: p = 22"}
    assert demo.own_patch_note(own).startswith("Your model answers with its own patch size, p = 14.")


def test_my_model_answers_with_its_own_patch_size_and_says_so():
    images, labels = gallery_digits()
    own = demo.OwnModel(FixedClassifier(one_hot_ish([7, 7, 1, 7]), 10), 3, 1000.0, 40, 12.3)
    loaded = []

    def shipped(p):
        loaded.append(p)
        return FixedClassifier(one_hot_ish([2] * 4), p, CARD)

    settings = demo.Settings(source="Test digit gallery", digit=5, model="mine")
    view = demo.analyse_digit(settings, gallery=(images, labels), load_classifier=shipped, own=own, now=1130.0)
    assert loaded == [] and view.model == "mine" and view.metric == "7"
    assert view.answered_by == "Answered by your model (p = 10, trained 2 min ago on the Train page)."
    assert view.outlined_caption == "What the network gets: 28×28, 4 patches of 10×10"
    assert view.tiles[0][0].shape == (10 * 8 + 8, 10 * 8 + 8, 3)  # the tiles are the model's 10 x 10 patches
    assert view.model_caption.startswith("Your model `my_classifier_p10.keras`: 160,298 weights, 40 steps in 12 s")
    # the switch back: the shipped model for the slider's patch size answers
    view = demo.analyse_digit(replace(settings, model="shipped"), gallery=(images, labels), load_classifier=shipped,
                              own=own)
    assert loaded == [18] and view.model == "shipped" and view.metric == "2"
    assert view.answered_by == "Answered by the shipped model (p = 18)."
    assert view.model_caption.startswith("Model `classifier_p18.keras`")
    # "mine" without a model of theirs (never trained, or dropped): the shipped model answers, and says so
    view = demo.analyse_digit(settings, gallery=(images, labels), load_classifier=shipped, own=None)
    assert view.model == "shipped" and view.answered_by == "Answered by the shipped model (p = 18)."


def test_a_new_model_of_mine_is_a_new_question():
    images, labels = gallery_digits()
    load = lambda p: FixedClassifier(one_hot_ish([1] * 4), p)  # noqa: E731
    settings = demo.Settings(source="Test digit gallery", digit=3)

    def name(own, model="mine"):
        return demo.question_name(demo.analyse_digit(replace(settings, model=model), gallery=(images, labels),
                                                     load_classifier=load, own=own))

    first = demo.OwnModel(load(14), 3, 1000.0, 40, 12.3)
    second = demo.OwnModel(load(14), 4, 1900.0, 40, 12.3)
    assert name(first) == "classification-mine3-mean-gallery3"
    assert len({name(first), name(second), name(first, "shipped")}) == 3
    assert name(first, "shipped") == "classification-p18-mean-gallery3"  # the shipped model's name as before


# --- the measured tables ------------------------------------------------------------------

def test_accuracy_tables_from_the_saved_report():
    assert demo.accuracy_tables(None, 18) == demo.AccuracyTables()
    tables = demo.accuracy_tables(read_classification_report(EVAL_PATH), 14)
    assert tables.evaluated and tables.has_chart
    assert [row["patch size"] for row in tables.sizes] == [14, 18, 22, 28]
    assert [row["classifier"] for row in tables.patches][:2] == ["patch top-left", "patch top-right"]
    assert len(tables.patches) == 8 and tables.markdown.startswith("| patch size |")
    import re

    docs = (Path(__file__).resolve().parents[1] / "docs" / "classification.md").read_text()
    quoted = re.search(r"^\| 14 \| fused: product \| ([0-9.]+) ", docs, re.M)  # the docs quote the saved report
    assert quoted and tables.sizes[0]["product %"] == pytest.approx(float(quoted.group(1)), abs=0.005)
