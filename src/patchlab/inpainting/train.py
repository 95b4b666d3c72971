"""Train an inpainting model from one seeded command.

    python -m patchlab.inpainting.train --arch unet --steps 3000 --out models/inpainting.keras
    python -m patchlab.inpainting.train --arch seed --steps 300 --out models/inpainting_seed.keras
    python -m patchlab.inpainting.train --data ~/mountains --out models/inpainting.keras

Every batch is made fresh: a random photo, cropped at a random scale,
flipped, colour-jittered, and given a random hole (:mod:`.masks`). The
``unet`` learns on mixed holes (tutorial squares, brush strokes,
rectangles) with an L1 loss weighted toward the hole; the ``seed`` network
learns the tutorial's way: square holes zeroed, mean squared error.

The model is checkpointed every ``--checkpoint-every`` steps, so a usable
model exists while training runs; a JSON model card is written beside it
(data sources, held-out photos, steps, wall time, seed, evaluation).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from patchlab.inpainting import data as _data
from patchlab.inpainting.masks import random_mask
from patchlab.inpainting.prefill import PREFILLS, prefill_function

__all__ = ["make_batch", "hole_weighted_l1", "train_inpainter", "main", "card_path"]

#: Crop size the networks train on (the U-Net's tile size at inference).
TRAIN_SIZE = {"unet": 256, "seed": 228}
#: Tile size at inference: a 512x512 photo is exactly 2x2 overlapping 288-px tiles
#: (64 px overlap). The network is fully convolutional, so tiles may exceed the crops.
TILE_SIZE = {"unet": 288, "seed": 228}
HOLE_WEIGHT = 6.0


def card_path(model_path):
    """The JSON model card beside a ``.keras`` file."""
    model_path = Path(model_path)
    return model_path.with_suffix(".json")


def limit_threads(threads=2):
    """Keep TensorFlow to ``threads`` intra-op threads and one inter-op thread."""
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(int(threads))
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # already initialised in this process
        pass


def make_batch(photos, batch, size, rng, arch="unet", mask_kind="mixed", prefill="harmonic",
               square_share=None):
    """One training batch.

    Returns
    -------
    inputs : dict or ndarray
        ``unet``: ``{"image": photos with the hole given the ``prefill``
        first guess, "mask": (B, S, S, 1)}``;
        ``seed``: photos with the hole zeroed, (B, S, S, 3).
    target : ndarray of float32, (B, S, S, 3)
        The original crops, in [0, 1].
    mask : ndarray of float32, (B, S, S, 1)

    ``square_share`` is passed to :func:`~patchlab.inpainting.masks.random_mask`.
    """
    targets, masks = [], []
    for _ in range(batch):
        photo = photos[int(rng.integers(len(photos)))]
        targets.append(_data.augment(photo.image, size, rng))
        kind = "square" if arch == "seed" else mask_kind
        masks.append(random_mask((size, size), rng, kind, square_share=square_share))
    target = np.stack(targets).astype(np.float32)
    mask = np.stack(masks)[..., None].astype(np.float32)
    if arch == "seed":
        return target * (1 - mask), target, mask
    guess = prefill_function(prefill)
    filled = np.stack([guess(t, m[..., 0] > 0) for t, m in zip(target, mask)])
    return {"image": filled, "mask": mask}, target, mask


def hole_weighted_l1(target, output, mask, hole_weight=HOLE_WEIGHT, squared=False, per_sample=False):
    """Mean absolute error, with pixels in the hole weighted ``hole_weight`` x.

    With ``squared=True``, the same weighting of the squared error. With
    ``per_sample=True`` each image's weighted mean is taken first and the
    batch's images count equally, as they do in the evaluation (a mean of
    per-image scores); otherwise every pixel of the batch counts equally, so
    an image with a large hole outweighs one with a small hole (a tutorial
    square, 5 % of the image, against brush strokes of up to 50 %).

    The U-Net's output is composited (known pixels are the input's), so in
    practice the known pixels contribute no error and this is the hole's L1.
    """
    import tensorflow as tf

    weight = 1.0 + (hole_weight - 1.0) * mask
    error = tf.square(target - output) if squared else tf.abs(target - output)
    channels = tf.cast(tf.shape(target)[-1], tf.float32)
    if per_sample:
        per_image = tf.reduce_sum(error * weight, axis=[1, 2, 3]) / (
            tf.reduce_sum(weight, axis=[1, 2, 3]) * channels)
        return tf.reduce_mean(per_image)
    return tf.reduce_sum(error * weight) / (tf.reduce_sum(weight) * channels)


def copy_weights_by_name(source, target):
    """Give ``target``'s layers the weights of ``source``'s layers of the same name.

    Every layer of ``source`` that has weights must exist in ``target`` with
    the same shapes (a model can grow, not lose or reshape layers).

    Returns
    -------
    new : list of str
        The names of ``target``'s weighted layers that ``source`` lacks; they
        keep their initial weights.
    """
    theirs = {layer.name: layer for layer in source.layers if layer.weights}
    ours = {layer.name: layer for layer in target.layers if layer.weights}
    missing = sorted(set(theirs) - set(ours))
    if missing:
        raise ValueError(f"the model to continue from has layers this one lacks: {', '.join(missing)}")
    for name, layer in theirs.items():
        weights = layer.get_weights()
        shapes = [w.shape for w in weights]
        expected = [tuple(v.shape) for v in ours[name].weights]
        if shapes != expected:
            raise ValueError(f"layer {name!r} has weights of shapes {shapes} in the model to continue "
                             f"from, {expected} here")
        ours[name].set_weights(weights)
    return [name for name in ours if name not in theirs]


def _save(model, out):
    """Save atomically: a crash mid-write never leaves a broken model."""
    tmp = out.with_name(out.stem + ".partial.keras")
    model.save(tmp)
    os.replace(tmp, out)


def _write_card(path, card):
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(json.dumps(card, indent=2) + "\n")
    os.replace(tmp, path)


def _downloaded_photos(module, option, what, host, archive):
    """``module.load()``, its failure told as a human message naming ``option``."""
    try:
        return module.load()
    except (OSError, ValueError) as exc:  # offline, blocked, or a damaged download
        raise RuntimeError(
            f"{option}: could not get {what} ({exc}). They are downloaded once from {host} "
            f"into {module.CACHE}; train without the option (or with --data DIR) where "
            f"{archive} cannot be reached."
        ) from exc


def unet_loss(target, output, mask, loss="l1", per_sample=False):
    """The U-Net's training loss: :func:`hole_weighted_l1`, plus 5x its squared form for ``'l1+l2'``."""
    value = hole_weighted_l1(target, output, mask, per_sample=per_sample)
    if loss == "l1+l2":
        value += 5.0 * hole_weighted_l1(target, output, mask, squared=True, per_sample=per_sample)
    return value


def train_inpainter(arch="unet", steps=3000, batch=4, lr=1e-3, seed=0, out="models/inpainting.keras",
                    data_dir=None, checkpoint_every=250, threads=2, evaluate=True, progress=True, size=None,
                    loss="l1", init=None, stop_at=None, prefill="harmonic", opencv_photos=False,
                    loss_average="pixel", context_blocks=0, square_share=None, debian_photos=False,
                    bfloat16=False):
    """Train ``arch`` for ``steps`` steps and save it with its model card.

    ``loss`` is ``'l1'`` (hole-weighted L1) or ``'l1+l2'`` (plus 5x the
    hole-weighted squared error, which PSNR measures); the seed always uses
    MSE. ``init`` continues from the weights of a saved model of the same
    architecture (its card is recorded in the new one). ``size`` overrides the crop size (256 for ``unet``, 228 for ``seed``;
    a seed size must be ``8 k + 4``), for quick smoke tests. ``stop_at`` ends
    training after that many steps while keeping the learning-rate schedule of
    ``steps`` (how an interrupted run is reproduced). ``prefill`` names the
    U-Net's first guess of the hole (:data:`patchlab.inpainting.prefill.PREFILLS`),
    recorded in the card so inference uses the same. ``opencv_photos`` adds
    the photos of :mod:`patchlab.inpainting.opencv_photos` (downloaded from
    PyPI once) to the bundled ones. ``loss_average`` is ``'pixel'`` (every
    pixel of a batch counts equally) or ``'image'`` (every image does; see
    :func:`hole_weighted_l1`). ``context_blocks`` adds residual dilated
    blocks at the U-Net's bottleneck (:func:`~patchlab.inpainting.model.build_unet`);
    ``init`` may then be a model without them: layers are matched by name and
    the new blocks start as the identity. ``square_share`` sets the chance of
    a tutorial square among the mixed training masks (default: one in four).
    ``debian_photos`` adds the photographs of
    :mod:`patchlab.inpainting.debian_photos` (downloaded from the Debian
    archive once). ``bfloat16`` computes in mixed bfloat16 precision (Keras's
    ``mixed_bfloat16`` policy: float32 weights, bfloat16 arithmetic), about
    1.8x faster on a CPU with AVX-512 BF16; the saved model is float32 all
    the same, so inference does not change.

    Returns
    -------
    card : dict
        The model card as written.
    """
    if arch not in TRAIN_SIZE:
        raise ValueError(f"`arch` must be one of {', '.join(TRAIN_SIZE)}; got {arch!r}.")
    if int(steps) < 1 or int(batch) < 1:
        raise ValueError(f"`steps` and `batch` must be at least 1, got {steps} and {batch}.")
    stop_at = int(steps) if stop_at is None else int(stop_at)
    if not 1 <= stop_at <= int(steps):
        raise ValueError(f"`stop_at` must be between 1 and `steps` ({steps}), got {stop_at}.")
    out = Path(out)
    if out.suffix != ".keras":
        raise ValueError(f"`out` must end in .keras, got {str(out)!r}.")
    out.parent.mkdir(parents=True, exist_ok=True)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    limit_threads(threads)
    import keras
    import tensorflow as tf
    from tqdm import tqdm

    from patchlab.inpainting.model import build_model

    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    if prefill not in PREFILLS:
        raise ValueError(f"`prefill` must be one of {', '.join(PREFILLS)}; got {prefill!r}.")
    photos = _data.load_folder(data_dir) if data_dir else _data.training_photos()
    if opencv_photos:
        from patchlab.inpainting import opencv_photos as _opencv

        photos = photos + _downloaded_photos(_opencv, "--opencv-photos", "OpenCV's sample photos",
                                             "PyPI", "PyPI")
    if debian_photos:
        from patchlab.inpainting import debian_photos as _debian

        photos = photos + _downloaded_photos(_debian, "--debian-photos", "the Debian wallpaper photos",
                                             "deb.debian.org", "the Debian archive")
    held_out = [] if data_dir else _data.held_out_photos()
    size = int(size or TRAIN_SIZE[arch])

    if int(context_blocks) and arch != "unet":
        raise ValueError("`context_blocks` is a U-Net option; the seed is the tutorial's network.")
    arch_kwargs = {"context_blocks": int(context_blocks)} if arch == "unet" else {}

    def build(policy):
        """``arch`` built under the Keras dtype ``policy``, leaving the global policy as it was."""
        before = keras.mixed_precision.global_policy()
        keras.mixed_precision.set_global_policy(policy)
        try:
            return build_model(arch, **arch_kwargs)
        finally:
            keras.mixed_precision.set_global_policy(before)

    model = build("mixed_bfloat16" if bfloat16 else "float32")
    plain = build("float32") if bfloat16 else model

    def save(path):
        """Save ``model``; a bfloat16-trained one as the same network in float32."""
        if plain is not model:
            copy_weights_by_name(model, plain)
        _save(plain, path)

    previous, new_layers = None, []
    if init:
        init = Path(init)
        start_from = keras.models.load_model(init, safe_mode=True, compile=False)
        new_layers = copy_weights_by_name(start_from, model)
        try:
            previous = json.loads(card_path(init).read_text())
        except (OSError, ValueError):
            previous = {}
        previous = {k: previous.get(k) for k in ("command", "steps_done", "wall_time_s", "loss", "prefill",
                                                 "batch", "train_size", "initialised_from")}
        previous["path"] = str(init)
    warmup = min(100, max(1, steps // 10))
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=max(1, steps - warmup), alpha=0.02,
        warmup_target=lr, warmup_steps=warmup,
    )
    optimizer = keras.optimizers.Adam(schedule)

    if loss not in ("l1", "l1+l2"):
        raise ValueError(f"`loss` must be 'l1' or 'l1+l2', got {loss!r}.")
    if loss_average not in ("pixel", "image"):
        raise ValueError(f"`loss_average` must be 'pixel' or 'image', got {loss_average!r}.")
    per_sample = loss_average == "image"
    if arch == "unet":
        def loss_fn(target, output, mask):
            return unet_loss(target, output, mask, loss, per_sample)
    else:
        def loss_fn(target, output, mask):  # the tutorial: plain MSE
            return tf.reduce_mean(tf.square(target - output))

    @tf.function(reduce_retracing=True)
    def train_step(inputs, target, mask):
        with tf.GradientTape() as tape:
            output = tf.cast(model(inputs, training=True), tf.float32)
            loss = loss_fn(target, output, mask)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    card = {
        "model": out.name,
        "arch": arch,
        "description": (
            f"U-Net inpainter: mask as 4th input channel, {prefill} first guess, "
            + (f"{int(context_blocks)} dilated residual blocks at the bottleneck, " if context_blocks else "")
            + "bilinear-initialised transposed-convolution upsampling, output composited"
            if arch == "unet" else
            "The tutorial's convolutional autoencoder with skip connections (valid convolutions)"
        ),
        "train_size": size,
        "tile_size": TILE_SIZE[arch] if arch == "unet" else size,
        "tile_overlap": 64,
        "prefill": prefill if arch == "unet" else None,
        "loss": (f"L1, hole weighted x{HOLE_WEIGHT:g}" + (" + 5 x MSE, same weights" if loss == "l1+l2" else "")
                 + (", averaged per image" if loss_average == "image" else "")
                 if arch == "unet" else "MSE"),
        "context_blocks": int(context_blocks) if arch == "unet" else None,
        "square_share": square_share if arch == "unet" else None,
        "new_layers_at_init": new_layers or None,
        "masks": "mixed: tutorial squares, brush strokes (1-5 strokes, 4-12 vertices, "
                 "8-40 px at 256), rectangles; 5-50% masked"
                 + (f"; squares drawn with probability {square_share:g}" if square_share is not None else "")
                 if arch == "unet"
                 else "tutorial squares (side 50/228 of the image), zeroed",
        "augmentation": "random square crops at scales from 1/4 of the short side to the "
                        "whole photo, resized; horizontal (p=0.5) and vertical (p=0.1) flips; "
                        "brightness/contrast/saturation/white-balance jitter of +-10%",
        "optimizer": f"Adam, cosine decay from {lr:g} with {warmup} warm-up steps",
        "precision": ("mixed bfloat16 (float32 weights, bfloat16 arithmetic); saved as float32"
                      if bfloat16 else "float32"),
        "steps": int(steps),
        "batch": int(batch),
        "seed": int(seed),
        "parameters": int(model.count_params()),
        "command": "python -m patchlab.inpainting.train " + " ".join(sys.argv[1:])
                   if sys.argv and sys.argv[0].endswith("train.py") else None,
        "training_photos": [
            {"name": p.name, "source": p.source, "size": list(p.image.shape[:2])} for p in photos
        ],
        "held_out_photos": [
            {"name": p.name, "source": p.source, "size": list(p.image.shape[:2])} for p in held_out
        ],
        "data_dir": str(data_dir) if data_dir else None,
        "initialised_from": previous,
        "versions": {"python": platform.python_version(), "tensorflow": tf.__version__,
                     "keras": keras.__version__},
    }

    start = time.perf_counter()
    losses, history = [], []
    bar = tqdm(range(1, stop_at + 1), desc=f"train {arch}", unit="step", disable=not progress,
               mininterval=2.0)
    for step in bar:
        inputs, target, mask = make_batch(photos, batch, size, rng, arch, prefill=prefill,
                                          square_share=square_share)
        loss = float(train_step(inputs, target, mask))
        losses.append(loss)
        if step % 50 == 0:
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}")
        if step % 100 == 0 or step == stop_at:
            history.append({"step": step, "loss": round(float(np.mean(losses[-100:])), 5),
                            "elapsed_s": round(time.perf_counter() - start, 1)})
        if step % checkpoint_every == 0 and step < stop_at:
            save(out)
            _write_card(card_path(out), {**card, "status": f"checkpoint at step {step}",
                                         "steps_done": step, "loss_history": history,
                                         "wall_time_s": round(time.perf_counter() - start, 1)})
    wall = time.perf_counter() - start
    save(out)
    card.update({
        "status": "trained" if stop_at == int(steps) else f"stopped at step {stop_at} of {steps}",
        "steps_done": stop_at,
        "loss_history": history,
        "wall_time_s": round(wall, 1),
        "trained_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "file_bytes": out.stat().st_size,
    })
    _write_card(card_path(out), card)

    if evaluate and held_out:
        from patchlab.inpainting.evaluate import evaluate_model

        card["evaluation"] = evaluate_model(out, arch=arch)
        _write_card(card_path(out), card)
    return card


def build_parser():
    """The command line of ``python -m patchlab.inpainting.train``."""
    parser = argparse.ArgumentParser(prog="python -m patchlab.inpainting.train",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=sorted(TRAIN_SIZE), default="unet")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="models/inpainting.keras")
    parser.add_argument("--data", default=None, help="train on a folder of JPG/PNG photos instead")
    parser.add_argument("--checkpoint-every", type=int, default=250)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-eval", action="store_true", help="skip the held-out evaluation")
    parser.add_argument("--loss", choices=["l1", "l1+l2"], default="l1")
    parser.add_argument("--size", type=int, default=None, help="crop size (default 256; seed 228)")
    parser.add_argument("--init", default=None, help="continue from this saved model's weights")
    parser.add_argument("--stop-at", type=int, default=None,
                        help="stop after this many steps, keeping the schedule of --steps")
    parser.add_argument("--prefill", choices=sorted(PREFILLS), default="harmonic",
                        help="the U-Net's first guess of the hole (default harmonic)")
    parser.add_argument("--loss-average", choices=["pixel", "image"], default="pixel",
                        help="weigh every pixel of a batch equally, or every image (as the evaluation does)")
    parser.add_argument("--opencv-photos", action="store_true",
                        help="add OpenCV's sample photos (downloaded from PyPI once) to the training set")
    parser.add_argument("--context-blocks", type=int, default=0,
                        help="residual dilated blocks at the U-Net's bottleneck (default 0)")
    parser.add_argument("--square-share", type=float, default=None,
                        help="chance of a tutorial square among the mixed masks (default: one in four)")
    parser.add_argument("--debian-photos", action="store_true",
                        help="add the photographs among Debian's wallpaper packages (downloaded once) "
                             "to the training set")
    parser.add_argument("--bfloat16", action="store_true",
                        help="compute in mixed bfloat16 precision (faster on CPUs with AVX-512 BF16); "
                             "the model is saved in float32")
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        card = train_inpainter(args.arch, args.steps, args.batch, args.lr, args.seed, args.out, args.data,
                               args.checkpoint_every, args.threads, evaluate=not args.no_eval, size=args.size,
                               loss=args.loss, init=args.init, stop_at=args.stop_at, prefill=args.prefill,
                               opencv_photos=args.opencv_photos, loss_average=args.loss_average,
                               context_blocks=args.context_blocks, square_share=args.square_share,
                               debian_photos=args.debian_photos, bfloat16=args.bfloat16)
    except (RuntimeError, ValueError) as exc:
        parser.exit(2, f"error: {exc}\n")
    print(json.dumps({k: card[k] for k in ("model", "steps_done", "wall_time_s")}
                     | ({"evaluation": card["evaluation"]} if "evaluation" in card else {}), indent=2))


if __name__ == "__main__":
    main()
