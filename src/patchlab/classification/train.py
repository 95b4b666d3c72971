"""Train the patch classifier for one patch size.

    python -m patchlab.classification.train --patch-size 18

Each training digit is augmented, cut into its four corner patches with
``tf.image.extract_patches``, and the patches go through the one shared CNN
as a batch; the loss of every patch is taken against the digit's label
(repeated 4 times) and averaged. After every epoch the fused (mean)
accuracy on the 1,000 validation digits picks the weights to keep; the test
split is only used for the figures in the model card.
Writes ``models/classifier_p{P}.keras`` and ``models/classifier_p{P}.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from patchlab import MODELS_DIR
from patchlab.classification.augment import augment_digits, redrawn_pool
from patchlab.classification.data import MNIST_PATH, dataset_info, load_split
from patchlab.classification.fusion import RULES, fused_label
from patchlab.classification.patches import extract_patches, n_patches, patch_stride

DEFAULTS = dict(epochs=20, batch_size=64, learning_rate=2e-3, seed=1234, redrawn=0.3, redrawings=1, label_smoothing=0.05)


def model_path(patch_size: int, models_dir: Path = MODELS_DIR) -> Path:
    return Path(models_dir) / f"classifier_p{patch_size}.keras"


def limit_threads(intra: int = 2, inter: int = 1) -> None:
    """Share the CPU: at most ``intra`` threads per op, ``inter`` ops at once."""
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(intra)
        tf.config.threading.set_inter_op_parallelism_threads(inter)
    except RuntimeError:  # already initialised (e.g. inside a test session)
        pass


def to_batch(images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) uint8 or float -> (N, 28, 28, 1) float32 in [0, 1]."""
    x = np.asarray(images, dtype=np.float32)
    if np.asarray(images).dtype == np.uint8:
        x = x / 255.0
    return x[..., None]


def patch_probabilities(model, images: np.ndarray, patch_size: int, batch_size: int = 250) -> np.ndarray:
    """Every patch's probabilities for a set of digits, shape (N, n_patches, 10)."""
    n = n_patches(patch_size)
    out = []
    for start in range(0, len(images), batch_size):
        patches = extract_patches(to_batch(images[start:start + batch_size]), patch_size)
        out.append(np.asarray(model(patches, training=False)))
    probs = np.concatenate(out) if out else np.zeros((0, 10), np.float32)
    return probs.reshape(-1, n, probs.shape[-1])


def accuracies(probs: np.ndarray, labels: np.ndarray) -> dict:
    """Accuracy of each single patch and of each fusion rule."""
    labels = np.asarray(labels)
    single = [float(np.mean(probs[:, i].argmax(-1) == labels)) for i in range(probs.shape[1])]
    fused = {rule: float(np.mean(fused_label(probs, rule) == labels)) for rule in RULES}
    return {"single_patch": single, "fused": fused}


def train(
    patch_size: int,
    *,
    epochs: int = DEFAULTS["epochs"],
    batch_size: int = DEFAULTS["batch_size"],
    learning_rate: float = DEFAULTS["learning_rate"],
    seed: int = DEFAULTS["seed"],
    redrawn: float = DEFAULTS["redrawn"],
    redrawings: int = DEFAULTS["redrawings"],
    label_smoothing: float = DEFAULTS["label_smoothing"],
    max_train: int | None = None,
    max_eval: int | None = None,
    models_dir: Path = MODELS_DIR,
    progress: bool = True,
) -> dict:
    """Train, keep the best-on-validation weights, save model and card; return the card."""
    limit_threads()
    import keras
    import tensorflow as tf
    from tqdm.auto import tqdm

    from patchlab.classification.model import build_patch_classifier

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x_train, y_train = load_split("train")
    x_val, y_val = load_split("val")
    x_test, y_test = load_split("test")
    if max_train:
        x_train, y_train = x_train[:max_train], y_train[:max_train]
    if max_eval:  # evenly spaced: the splits are sorted by label
        pick = np.linspace(0, len(x_val) - 1, max_eval).astype(int)
        x_val, y_val, x_test, y_test = x_val[pick], y_val[pick], x_test[pick], y_test[pick]

    n = n_patches(patch_size)
    model = build_patch_classifier(patch_size)
    steps_per_epoch = int(np.ceil(len(x_train) / batch_size))
    total_steps = epochs * steps_per_epoch
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=max(total_steps, 1), alpha=0.02)
    optimizer = keras.optimizers.Adam(schedule)
    loss_fn = keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing)

    @tf.function
    def train_step(images, labels):
        patches = extract_patches(images, patch_size)  # (B * n, p, p, 1)
        targets = tf.one_hot(tf.repeat(labels, n), 10)  # each patch gets its digit's label
        with tf.GradientTape() as tape:
            probs = model(patches, training=True)
            loss = loss_fn(targets, probs)  # averaged over all patches
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    # A share of each epoch's digits is replaced by the same digit redrawn as a
    # synthetic mouse drawing (uniform strokes), so canvas drawings look familiar.
    prepared = time.perf_counter()
    pools = [redrawn_pool(x_train, seed=seed + 1 + k) for k in range(redrawings)] if redrawn > 0 else []
    x_train_f = x_train.astype(np.float32) / 255.0

    best = {"val_fused_mean": -1.0, "epoch": 0, "weights": None}
    history = []
    started = time.perf_counter()
    bar = tqdm(total=total_steps, desc=f"train p={patch_size}", unit="step", disable=not progress)
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(x_train))
        x_source = x_train_f[order]
        if pools:
            use_redrawn = rng.uniform(size=len(order)) < redrawn
            which = rng.integers(len(pools), size=len(order)) if len(pools) > 1 else np.zeros(len(order), int)
            for k, pool in enumerate(pools):
                pick = use_redrawn & (which == k)
                x_source[pick] = pool[order][pick]
        x_epoch = augment_digits(x_source, rng)[..., None]
        y_epoch = y_train[order].astype(np.int32)
        losses = []
        for start in range(0, len(x_epoch), batch_size):
            loss = train_step(x_epoch[start:start + batch_size], y_epoch[start:start + batch_size])
            losses.append(float(loss))
            bar.update(1)
        val = accuracies(patch_probabilities(model, x_val, patch_size), y_val)
        record = {
            "epoch": epoch,
            "loss": float(np.mean(losses)),
            "val_fused_mean": val["fused"]["mean"],
            "val_best_single": max(val["single_patch"]),
        }
        history.append(record)
        bar.set_postfix(loss=f"{record['loss']:.3f}", val=f"{record['val_fused_mean']:.4f}")
        if record["val_fused_mean"] > best["val_fused_mean"]:
            best = {"val_fused_mean": record["val_fused_mean"], "epoch": epoch, "weights": model.get_weights()}
    bar.close()
    wall = time.perf_counter() - started
    model.set_weights(best["weights"])

    test = accuracies(patch_probabilities(model, x_test, patch_size), y_test)
    val = accuracies(patch_probabilities(model, x_val, patch_size), y_val)
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    path = model_path(patch_size, models_dir)
    model.save(path)
    card = {
        "model": path.name,
        "task": "MNIST digit classification from overlapping corner patches, probabilities fused",
        "patch_size": patch_size,
        "stride": patch_stride(patch_size),
        "n_patches": n,
        "input": f"{n} patches of {patch_size}x{patch_size}x1, float32 in [0, 1] (white digit on black)",
        "output": "softmax probabilities over the digits 0-9, per patch",
        "parameters": int(model.count_params()),
        "data": {
            "file": str(MNIST_PATH.relative_to(MNIST_PATH.parents[1])),
            **{k: v for k, v in dataset_info().items() if k != "pixel_scale"},
            "used": {"train": len(x_train), "val": len(x_val), "test": len(x_test)},
        },
        "training": {
            "command": f"python -m patchlab.classification.train --patch-size {patch_size}",
            "epochs": epochs,
            "steps": total_steps,
            "batch_size_digits": batch_size,
            "batch_size_patches": batch_size * n,
            "optimizer": f"Adam, cosine-decayed learning rate from {learning_rate}",
            "loss": f"cross-entropy (label smoothing {label_smoothing}) of every patch against the digit's "
                    "label, averaged over the patches",
            "augmentation": "random rotation (+-10 deg), slant (+-0.2), zoom (0.9-1.1), shift (+-1.5 px); "
                            "stroke dilation (p=0.3) or erosion (p=0.15); "
                            f"{redrawn:.0%} of the digits per epoch replaced by the same training digit "
                            "redrawn as a synthetic mouse drawing (patchlab.classification.drawn; "
                            f"{redrawings} fixed drawing(s) per digit, one picked at random) and "
                            "preprocessed with preprocess_canvas",
            "model_selection": "epoch with the best fused (mean) accuracy on the validation split",
            "best_epoch": best["epoch"],
            "seed": seed,
            "wall_time_s": round(wall, 1),
            "redrawing_time_s": round(started - prepared, 1),
            "threads": "TensorFlow intra-op 2, inter-op 1",
            "machine": f"{platform.machine()} CPU, {os.cpu_count()} cores visible",
            "history": history,
        },
        "evaluation": {
            "val": val,
            "test": test,
            "note": "accuracies on 28x28 MNIST digits of the held-out splits; "
                    "single_patch in the order top-left, top-right, bottom-left, bottom-right",
        },
    }
    path.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    return card


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Train the patch classifier for one patch size.")
    parser.add_argument("--patch-size", type=int, required=True, help="8..28 (28 = whole image)")
    parser.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    parser.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"])
    parser.add_argument("--learning-rate", type=float, default=DEFAULTS["learning_rate"])
    parser.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    parser.add_argument("--redrawn", type=float, default=DEFAULTS["redrawn"],
                        help="share of digits replaced by synthetic mouse drawings each epoch")
    parser.add_argument("--redrawings", type=int, default=DEFAULTS["redrawings"],
                        help="synthetic mouse drawings prepared per training digit")
    parser.add_argument("--label-smoothing", type=float, default=DEFAULTS["label_smoothing"])
    parser.add_argument("--max-train", type=int, default=None, help="use only the first N training digits")
    parser.add_argument("--max-eval", type=int, default=None, help="use only the first N val/test digits")
    parser.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    args = parser.parse_args(argv)
    card = train(
        args.patch_size, epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
        seed=args.seed, redrawn=args.redrawn, redrawings=args.redrawings, label_smoothing=args.label_smoothing, max_train=args.max_train, max_eval=args.max_eval, models_dir=args.models_dir,
    )
    test = card["evaluation"]["test"]
    print(f"saved {Path(args.models_dir) / card['model']} (best epoch {card['training']['best_epoch']}, "
          f"{card['training']['wall_time_s']} s)")
    print("test accuracy, single patches:", ", ".join(f"{a:.4f}" for a in test["single_patch"]))
    print("test accuracy, fused:", ", ".join(f"{r} {a:.4f}" for r, a in test["fused"].items()))


if __name__ == "__main__":
    main()
