"""Evaluate the shipped classifiers on the held-out test split.

    python -m patchlab.classification.evaluate            # tables
    python -m patchlab.classification.evaluate --json     # the JSON report

For every patch size: the accuracy of each single patch, of each fusion rule
and (patch size 28) of the whole-image model, on the 1,000 test digits as
MNIST gives them, and on the same digits redrawn as synthetic mouse drawings
(see :mod:`patchlab.classification.drawn`) and preprocessed like a canvas
drawing. Writes ``models/classification_eval.json``, which the page shows
(:mod:`patchlab.classification.report` reads it and builds the tables).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from patchlab import MODELS_DIR
from patchlab.classification.accuracy import accuracies, batch_patch_probabilities
from patchlab.classification.config import default_model_path
from patchlab.classification.corners import PATCH_NAMES, n_patches
from patchlab.classification.data import load_split
from patchlab.classification.drawn import drawn_digits, same_topology
from patchlab.classification.fusion import RULES
from patchlab.classification.inference import DigitClassifier
from patchlab.classification.preprocess import preprocess_canvas
from patchlab.classification.recipe import PATCH_SIZES
from patchlab.classification.report import EVAL_PATH, markdown_table, patch_table, size_table
from patchlab.runtime import ModelUnavailable, tensorflow, write_atomically

DRAWN_SEED = 2026
#: Intra-op threads of the evaluation (as for training).
THREADS = 2


def drawn_test_digits(images: np.ndarray, seed: int = DRAWN_SEED) -> np.ndarray:
    """The test digits redrawn as mouse drawings and preprocessed, shape (N, 28, 28) float32."""
    return np.stack([preprocess_canvas(rgba) for rgba in drawn_digits(images, seed=seed)])


def evaluate_classifiers(patch_sizes=PATCH_SIZES, models_dir: Path = MODELS_DIR,
                         max_digits: int | None = None) -> dict:
    """Accuracies of every available classifier; a missing model is reported, not fatal."""
    tensorflow(threads=THREADS)
    x_test, y_test = load_split("test")
    if max_digits:
        x_test, y_test = x_test[:max_digits], y_test[:max_digits]
    drawn = drawn_test_digits(x_test)
    faithful = np.array([same_topology(a, b) for a, b in zip(x_test, drawn)])
    report = {
        "split": "test",
        "n_digits": int(len(y_test)),
        "rules": list(RULES),
        "drawn": f"the same test digits redrawn as synthetic mouse drawings (seed {DRAWN_SEED}), "
                 "preprocessed with preprocess_canvas",
        "drawn_faithful": "the redrawn digits whose Euler number (pieces minus loops) equals the "
                          "original's: the redrawing kept the digit's loops",
        "n_drawn_faithful": int(faithful.sum()),
        "patch_sizes": {},
    }
    for p in patch_sizes:
        try:
            clf = DigitClassifier.load(p, path=default_model_path(p, models_dir), allow_outside_models=True)
        except ModelUnavailable as exc:
            report["patch_sizes"][str(p)] = {"missing": str(exc)}
            continue
        started = time.perf_counter()
        mnist = accuracies(batch_patch_probabilities(clf.model, x_test, p), y_test)
        drawn_probs = batch_patch_probabilities(clf.model, drawn, p)
        mouse = accuracies(drawn_probs, y_test)
        mouse_faithful = accuracies(drawn_probs[faithful], y_test[faithful])
        entry = {
            "n_patches": n_patches(p),
            "patch_names": list(PATCH_NAMES) if n_patches(p) == 4 else ["whole image"],
            "test": mnist,
            "drawn": mouse,
            "drawn_faithful": mouse_faithful,
            "best_single_patch": max(mnist["single_patch"]),
            "fusion_gain_points": round(100 * (mnist["fused"]["mean"] - max(mnist["single_patch"])), 2),
            "training": {k: clf.card.get("training", {}).get(k) for k in ("epochs", "steps", "wall_time_s", "seed")},
            "eval_time_s": round(time.perf_counter() - started, 2),
        }
        report["patch_sizes"][str(p)] = entry
    whole = report["patch_sizes"].get("28", {})
    if "test" in whole:
        report["whole_image"] = {
            "test": whole["test"]["single_patch"][0],
            "drawn": whole["drawn"]["single_patch"][0],
            "drawn_faithful": whole["drawn_faithful"]["single_patch"][0],
        }
    return report


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Evaluate the patch classifiers on the test split.")
    parser.add_argument("--json", action="store_true", help="print the JSON report instead of tables")
    parser.add_argument("--out", type=Path, default=EVAL_PATH)
    parser.add_argument("--patch-sizes", type=int, nargs="+", default=list(PATCH_SIZES))
    parser.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    args = parser.parse_args(argv)
    report = evaluate_classifiers(args.patch_sizes, args.models_dir)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(args.out, (json.dumps(report, indent=2) + "\n").encode())
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"Accuracy on the {report['n_digits']} test digits (percent):\n")
    print(markdown_table(size_table(report)))
    for p in args.patch_sizes:
        rows = patch_table(report, p)
        if rows:
            print(f"\nPatch size {p}:\n")
            print(markdown_table(rows))
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
