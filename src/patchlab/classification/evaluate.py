"""Evaluate the shipped classifiers on MNIST's official test set.

    python -m patchlab.classification.evaluate            # tables
    python -m patchlab.classification.evaluate --json     # the JSON report

For every patch size: the accuracy of each single patch, of each fusion rule
and (patch size 28) of the whole-image model, with 95 % Wilson intervals, on
MNIST's official 10,000 test digits (never used in training or to choose a
recipe), and on the same digits redrawn as synthetic mouse drawings (see
:mod:`patchlab.classification.drawn`) and preprocessed like a canvas drawing.
Writes ``models/classification_eval.json``, which the page shows
(:mod:`patchlab.classification.report` reads it and builds the tables), and
``models/classification_test_answers.npz``, every patch's and rule's answer
per test digit (:mod:`patchlab.classification.failures`: the confusion
matrix and the misread digits).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from patchlab import MODELS_DIR
from patchlab.classification.accuracy import accuracies, accuracy_intervals, batch_patch_probabilities
from patchlab.classification.config import default_model_path
from patchlab.classification.corners import PATCH_NAMES, n_patches
from patchlab.classification.data import load_split
from patchlab.classification.drawn import drawn_digits, same_topology
from patchlab.classification.failures import ANSWERS_PATH, answers_from_probabilities, write_test_answers
from patchlab.classification.fusion import RULES
from patchlab.classification.inference import DigitClassifier
from patchlab.classification.preprocess import preprocess_canvas
from patchlab.classification.recipe import PATCH_SIZES
from patchlab.classification.report import EVAL_PATH, interval_table, markdown_table
from patchlab.runtime import ModelUnavailable, tensorflow, write_atomically

DRAWN_SEED = 2026
#: Intra-op threads of the evaluation (as for training).
THREADS = 2


def drawn_test_digits(images: np.ndarray, seed: int = DRAWN_SEED) -> np.ndarray:
    """The test digits redrawn as mouse drawings and preprocessed, shape (N, 28, 28) float32."""
    return np.stack([preprocess_canvas(rgba) for rgba in drawn_digits(images, seed=seed)])


def drawn_test_set(max_digits: int | None = None) -> dict:
    """The official test digits, their mouse-drawn redrawings and which redrawings kept their loops."""
    x_test, y_test = load_split("test")
    if max_digits:
        x_test, y_test = x_test[:max_digits], y_test[:max_digits]
    drawn = drawn_test_digits(x_test)
    faithful = np.array([same_topology(a, b) for a, b in zip(x_test, drawn)])
    return {"images": x_test, "labels": y_test, "drawn": drawn, "faithful": faithful}


def evaluate_model(model, patch_size: int, digits: dict) -> tuple[dict, object]:
    """One classifier's entry of the report, and its :class:`~patchlab.classification.failures.Answers`."""
    p, y = patch_size, digits["labels"]
    faithful = digits["faithful"]
    probs = batch_patch_probabilities(model, digits["images"], p)
    mnist = accuracies(probs, y)
    drawn_probs = batch_patch_probabilities(model, digits["drawn"], p)
    mouse = accuracies(drawn_probs, y)
    mouse_faithful = accuracies(drawn_probs[faithful], y[faithful])
    entry = {
        "n_patches": n_patches(p),
        "patch_names": list(PATCH_NAMES) if n_patches(p) == 4 else ["whole image"],
        "test": mnist,
        "drawn": mouse,
        "drawn_faithful": mouse_faithful,
        "intervals": {"test": accuracy_intervals(mnist, len(y)), "drawn": accuracy_intervals(mouse, len(y)),
                      "drawn_faithful": accuracy_intervals(mouse_faithful, int(faithful.sum()))},
        "best_single_patch": max(mnist["single_patch"]),
        "fusion_gain_points": round(100 * (mnist["fused"]["mean"] - max(mnist["single_patch"])), 2),
    }
    return entry, answers_from_probabilities(probs, y, p)


def evaluate_classifiers(patch_sizes=PATCH_SIZES, models_dir: Path = MODELS_DIR, max_digits: int | None = None,
                         answers_path: Path | None = None) -> dict:
    """Accuracies of every available classifier; a missing model is reported, not fatal.

    With ``answers_path``, every model's answers per test digit are saved there too.
    """
    tensorflow(threads=THREADS)
    digits = drawn_test_set(max_digits)
    report = {
        "split": "test",
        "test_set": "MNIST's official test set (t10k-images-idx3-ubyte), never used in training or to choose a recipe",
        "n_digits": int(len(digits["labels"])),
        "rules": list(RULES),
        "interval": "95 % Wilson score interval of each accuracy (intervals: [low, high] as fractions)",
        "drawn": f"the same test digits redrawn as synthetic mouse drawings (seed {DRAWN_SEED}), "
                 "preprocessed with preprocess_canvas",
        "drawn_faithful": "the redrawn digits whose Euler number (pieces minus loops) equals the "
                          "original's: the redrawing kept the digit's loops",
        "n_drawn_faithful": int(digits["faithful"].sum()),
        "patch_sizes": {},
    }
    answers, sources = [], {}
    for p in patch_sizes:
        path = default_model_path(p, models_dir)
        try:
            clf = DigitClassifier.load(p, path=path, allow_outside_models=True)
        except ModelUnavailable as exc:
            report["patch_sizes"][str(p)] = {"missing": str(exc)}
            continue
        started = time.perf_counter()
        entry, answer = evaluate_model(clf.model, p, digits)
        entry["parameters"] = clf.card.get("parameters")
        entry["training"] = {k: clf.card.get("training", {}).get(k)
                             for k in ("command", "epochs", "steps", "wall_time_s", "seed", "machine")}
        entry["eval_time_s"] = round(time.perf_counter() - started, 2)
        report["patch_sizes"][str(p)] = entry
        answers.append(answer)
        sources[p] = f"{path.name} sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}"
    if answers_path is not None and answers:
        write_test_answers(answers, answers_path, sources)
    whole = report["patch_sizes"].get("28", {})
    if "test" in whole:
        report["whole_image"] = {
            "test": whole["test"]["single_patch"][0],
            "drawn": whole["drawn"]["single_patch"][0],
            "drawn_faithful": whole["drawn_faithful"]["single_patch"][0],
        }
    return report


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Evaluate the patch classifiers on MNIST's official test set.")
    parser.add_argument("--json", action="store_true", help="print the JSON report instead of tables")
    parser.add_argument("--out", type=Path, default=EVAL_PATH)
    parser.add_argument("--patch-sizes", type=int, nargs="+", default=list(PATCH_SIZES))
    parser.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    parser.add_argument("--answers", type=Path, default=ANSWERS_PATH,
                        help="where every test digit's answers go (the confusion matrix, the misread digits)")
    args = parser.parse_args(argv)
    report = evaluate_classifiers(args.patch_sizes, args.models_dir, answers_path=args.answers)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(args.out, (json.dumps(report, indent=2) + "\n").encode())
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"Accuracy on MNIST's official {report['n_digits']} test digits and their mouse-drawn redrawings "
          "(percent, 95 % Wilson interval):\n")
    print(markdown_table(interval_table(report)))
    print(f"\nwrote {args.out} and {args.answers}")


if __name__ == "__main__":
    main()
