"""Choose the shipped classifiers' recipe on the validation split only.

Trains candidate configurations of one patch size and prints what each
reaches on the 5,000 validation digits (taken from MNIST's training set,
``patchlab.classification.data.validation_indices``): fused (mean) and best single patch
accuracy, as MNIST gives them and redrawn as synthetic mouse drawings
(seed 2027; the test split's redrawings use another seed, 2026). No test
figure is computed here: the test split is scored once, after the choice,
by ``python -m patchlab.classification.evaluate``.

    python scripts/select_classifier_recipe.py --patch-size 18                 # every candidate
    python scripts/select_classifier_recipe.py --patch-size 18 --only shipped e3 e3_all_drawn

A candidate changes one or two settings of the shipped configuration
(``patchlab.classification.recipe.shipped_config``); the number of epochs is
kept the same within a group (3 epochs, 520 steps, or the shipped model's
full length) so that the choice is about the recipe, not the length of training.

Each trained candidate is saved with its card under ``--out-dir`` (not in
``models/``); the figures are appended as JSON lines to ``--out-dir/selection.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

#: Candidate settings (TrainConfig fields) beside the patch size; "shipped" scores the shipped model untrained.
CANDIDATES = {
    "shipped": None,
    # the shipped recipe, 3 epochs: 50 % of every batch a synthetic drawing of one of the first 10,000 digits
    "e3": dict(epochs=3),
    # every one of the 55,000 training digits has its drawing (more kinds of drawing, same share)
    "e3_all_drawn": dict(epochs=3, redrawn_digits=55000),
    # two drawings of each of the first 25,000 digits
    "e3_two_drawings": dict(epochs=3, redrawings=2, redrawn_digits=25000),
    # the page's one-minute run, as a budget of steps (520: what 60 s gave at p = 18 on a quiet
    # 2-core Xeon), and variants of it; the learning rate decays over those steps
    "m1": dict(epochs=1, steps=520),
    "m1_drawn70": dict(epochs=1, steps=520, redrawn=0.7),
    "m1_lr4": dict(epochs=1, steps=520, learning_rate=4e-3),
    "m1_drawn70_lr4": dict(epochs=1, steps=520, redrawn=0.7, learning_rate=4e-3),
    "m1_drawn90_lr4": dict(epochs=1, steps=520, redrawn=0.9, learning_rate=4e-3),
    "m1_drawn70_lr6": dict(epochs=1, steps=520, redrawn=0.7, learning_rate=6e-3),
    "m1_drawn70_lr4_ls0": dict(epochs=1, steps=520, redrawn=0.7, learning_rate=4e-3, label_smoothing=0.0),
    "m1_drawn80_lr4_ls0": dict(epochs=1, steps=520, redrawn=0.8, learning_rate=4e-3, label_smoothing=0.0),
    "m1_drawn70_lr4_ls0_pool30k": dict(epochs=1, steps=520, redrawn=0.7, learning_rate=4e-3, label_smoothing=0.0,
                                       redrawn_digits=30000),
    # the one-minute recipe with the fused (mean) answer's own cross-entropy beside the patches' loss
    "m1_drawn80_lr4_ls0_fused1": dict(epochs=1, steps=520, redrawn=0.8, learning_rate=4e-3, label_smoothing=0.0,
                                      fused_weight=1.0),
    # the shipped model's full length (recipe.EPOCHS: 12 epochs at p = 18, 10 at p = 14, 8 at p = 22), for
    # the fused target: the fused answer's own cross-entropy beside the patches' loss (weighted 1 or 3),
    # fewer synthetic drawings per batch, or both (the first p = 18 runs of full_fused1 and full_drawn25
    # were logged as e12_fused1 and e12_drawn25)
    "full_fused1": dict(fused_weight=1.0),
    "full_fused3": dict(fused_weight=3.0),
    "full_drawn25": dict(redrawn=0.25),
    "full_fused1_drawn25": dict(fused_weight=1.0, redrawn=0.25),
    # the fused loss for longer (at p = 18 its validation accuracy was still rising at the 12th and last epoch)
    "e20_fused1": dict(fused_weight=1.0, epochs=20),
}
VAL_DRAWN_SEED = 2027


def validation_figures(model, patch_size: int, x_val, y_val, drawn_val) -> dict:
    from patchlab.classification.accuracy import accuracies, batch_patch_probabilities

    out = {}
    for name, images in (("val", x_val), ("val_drawn", drawn_val)):
        acc = accuracies(batch_patch_probabilities(model, images, patch_size), y_val)
        out[name] = {"fused_mean": acc["fused"]["mean"], "fused_product": acc["fused"]["product"],
                     "best_single": max(acc["single_patch"]), "single_patch": acc["single_patch"]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patch-size", type=int, required=True)
    parser.add_argument("--only", nargs="+", choices=sorted(CANDIDATES), default=list(CANDIDATES))
    parser.add_argument("--out-dir", type=Path, default=Path("bench") / "classifier_selection")
    args = parser.parse_args()

    from patchlab.classification.config import TrainConfig, default_model_path
    from patchlab.classification.data import load_split
    from patchlab.classification.evaluate import drawn_test_digits
    from patchlab.classification.inference import DigitClassifier
    from patchlab.classification.recipe import shipped_config
    from patchlab.classification.train import save_classifier, train_classifier

    x_val, y_val = load_split("val")
    x_val_f = x_val.astype(np.float32) / 255.0
    drawn_val = drawn_test_digits(x_val, seed=VAL_DRAWN_SEED)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    p = args.patch_size
    base = shipped_config(p)
    for name in args.only:
        began = time.perf_counter()
        if CANDIDATES[name] is None:
            model = DigitClassifier.load(p).model
            config_text, path = "the shipped model", default_model_path(p)
        else:
            fields = {f: getattr(base, f) for f in ("epochs", "batch_size", "learning_rate", "seed", "redrawn",
                                                      "redrawings", "redrawn_digits", "label_smoothing")}
            config = TrainConfig(p, **{**fields, **CANDIDATES[name]})
            run = train_classifier(config)
            path = args.out_dir / f"p{p}_{name}.keras"
            save_classifier(run, path)
            model, config_text = run.model, config.command()
        row = {"patch_size": p, "candidate": name, "command": config_text, "path": str(path),
               "seconds": round(time.perf_counter() - began, 1),
               **validation_figures(model, p, x_val_f, y_val, drawn_val)}
        with open(args.out_dir / "selection.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")
        print(f"p={p} {name:16s} val fused(mean) {100 * row['val']['fused_mean']:.2f}% "
              f"best single {100 * row['val']['best_single']:.2f}% | val drawn fused(mean) "
              f"{100 * row['val_drawn']['fused_mean']:.2f}% best single {100 * row['val_drawn']['best_single']:.2f}%"
              f"  ({row['seconds']} s)", flush=True)


if __name__ == "__main__":
    main()
