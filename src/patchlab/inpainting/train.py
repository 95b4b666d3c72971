"""Train an inpainting network: one seeded run of a :class:`~patchlab.inpainting.config.TrainConfig`.

    python -m patchlab.inpainting.train --arch unet --steps 3000 --out models/inpainting.keras
    python -m patchlab.inpainting.train --arch seed --steps 300 --out models/inpainting_seed.keras
    python -m patchlab.inpainting.train --data ~/mountains --out models/inpainting.keras
    python -m patchlab.inpainting.train --seconds 600 --out models/inpainting_try.keras

The shipped models are several such runs in a row: their recipes are in
:mod:`patchlab.inpainting.recipe` (``python -m patchlab.inpainting.recipe inpainting``).

Every batch is made fresh: a random photo, cropped at a random scale,
flipped, colour-jittered, and given a random hole (:mod:`.masks`). The
``unet`` learns on mixed holes (tutorial squares, brush strokes,
rectangles) with an L1 loss weighted toward the hole; the ``seed`` network
learns the tutorial's way: square holes zeroed, mean squared error.

The model is checkpointed every ``--checkpoint-every`` steps, so a usable
model exists while training runs; a JSON model card is written beside it
(:mod:`.card`: data sources, held-out photos, steps, wall time, seed, evaluation).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import shlex
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from patchlab import runtime
from patchlab.inpainting import data as _data
from patchlab.inpainting.card import HOLE_WEIGHT, TrainingRun, model_card, previous_card
from patchlab.inpainting.config import LOSS_AVERAGES, LOSSES, TRAIN_MODULE, TRAIN_SIZE, TrainConfig
from patchlab.inpainting.masks import brush_mask, random_mask, square_mask
from patchlab.inpainting.prefill import PREFILLS, prefill_function

__all__ = ["make_batch", "wide_mask", "hole_weighted_l1", "unet_loss", "copy_weights_by_name", "given_photos",
           "train_inpainter", "build_parser", "config_from_args", "fine_tune_config", "main"]


def wide_mask(shape, rng, min_fraction=0.1, max_fraction=0.5):
    """A wide, large training hole, as LaMa trains with: a big square, big boxes, or thick strokes.

    One of three, equally likely: one square of side 25-45 % of the short
    side (the tutorial's is 22 %); 1-3 boxes with sides 20-50 % of the
    image's; or brush strokes (:func:`~patchlab.inpainting.masks.brush_mask`)
    thickened by 8-40 px (at 256 px; scaled with the short side), so
    16-80 px wide instead of 8-40.

    Parameters
    ----------
    shape : (int, int)
        Image height and width (at least 4x4).
    rng : numpy.random.Generator
    min_fraction, max_fraction : float, optional
        Boxes and strokes are redrawn until the masked share lies between
        the two (a square is kept as drawn).

    Returns
    -------
    mask : ndarray of bool, shape (H, W)

    Notes
    -----
    Suvorov et al. (WACV 2022) found that training on wider and larger
    holes helps even on small ones: the network learns to bring in
    context from far away.
    """
    h, w = (int(v) for v in shape[:2])
    if h < 4 or w < 4:
        raise ValueError(f"`shape` must be at least 4x4 pixels, got {(h, w)}.")
    kind = rng.integers(3)
    if kind == 0:
        return square_mask((h, w), rng, side_fraction=float(rng.uniform(0.25, 0.45)))
    scale = min(h, w) / 256
    for _attempt in range(50):
        mask = np.zeros((h, w), dtype=bool)
        if kind == 1:
            for _ in range(int(rng.integers(1, 4))):
                bh, bw = (max(1, round(rng.uniform(0.2, 0.5) * n)) for n in (h, w))
                y, x = int(rng.integers(0, h - bh + 1)), int(rng.integers(0, w - bw + 1))
                mask[y:y + bh, x:x + bw] = True
        else:
            grow = max(1, round(rng.uniform(4, 20) * scale))
            disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
            mask = cv2.dilate(brush_mask((h, w), rng).astype(np.uint8), disc).astype(bool)
        if min_fraction <= mask.mean() <= max_fraction:
            return mask
    return mask


def make_batch(photos, batch, size, rng, arch="unet", mask_kind="mixed", prefill="harmonic",
               square_share=None, wide_share=0.0):
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

    ``square_share`` is passed to :func:`~patchlab.inpainting.masks.random_mask`;
    a share ``wide_share`` of the U-Net's holes are :func:`wide_mask` instead
    (with 0, the default, the generator draws exactly what it drew before).
    """
    targets, masks = [], []
    for _ in range(batch):
        photo = photos[int(rng.integers(len(photos)))]
        targets.append(_data.augment(photo.image, size, rng))
        kind = "square" if arch == "seed" else mask_kind
        if arch != "seed" and wide_share and rng.random() < wide_share:
            masks.append(wide_mask((size, size), rng))
        else:
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


def _downloaded_photos(module, option, what):
    """``module.load()``, its failure told as a human message naming ``option``."""
    try:
        return module.load()
    except (OSError, ValueError) as exc:  # offline, blocked, no client, or a damaged download
        raise RuntimeError(
            f"{option}: could not get {what} ({exc}). They are fetched once with {module.CLIENT} "
            f"into {module.CACHE}; train without the option (or with --data DIR) where "
            f"{module.CLIENT} cannot fetch packages."
        ) from exc


def unet_loss(target, output, mask, loss="l1", per_sample=False):
    """The U-Net's training loss: :func:`hole_weighted_l1`, plus 5x its squared form for ``'l1+l2'``."""
    value = hole_weighted_l1(target, output, mask, per_sample=per_sample)
    if loss == "l1+l2":
        value += 5.0 * hole_weighted_l1(target, output, mask, squared=True, per_sample=per_sample)
    return value


def given_photos(photos, argument="photos"):
    """Photos handed over in memory, as :class:`~patchlab.inpainting.data.Photo` objects.

    Parameters
    ----------
    photos : sequence of ndarray or Photo
        Each an (H, W, 3) uint8 array (named ``photo 1``, ``photo 2``, ...
        on the model card, source ``in memory``) or a ``Photo`` (its own
        name and source are kept).
    argument : str
        The argument's name in error messages.

    Returns
    -------
    photos : list of Photo

    Raises
    ------
    ValueError
        Naming ``argument``, if it is empty or a photo is not (H, W, 3) uint8.
    """
    if isinstance(photos, np.ndarray) or not len(photos):
        raise ValueError(f"`{argument}` must be a non-empty list of (H, W, 3) uint8 photos.")
    checked = []
    for k, photo in enumerate(photos, start=1):
        if isinstance(photo, _data.Photo):
            name, source, image = photo.name, photo.source, photo.image
        else:
            name, source, image = f"photo {k}", "in memory", photo
        image = np.asarray(image)
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3 or min(image.shape[:2]) < 1:
            raise ValueError(f"`{argument}`: photo {k} must be an (H, W, 3) uint8 array, got "
                             f"{image.dtype} of shape {image.shape}.")
        checked.append(_data.Photo(str(name), str(source), image))
    return checked


def _training_photos(config, photos=None, held_out_photos=None):
    """The photos ``config`` trains on, those held out (none with ``data_dir``), and those set aside.

    ``photos`` given in memory replace the ones the config names (then
    ``held_out_photos``, if any, are the held-out ones).
    """
    if photos is not None:
        if config.data_dir or config.opencv_photos or config.debian_photos:
            raise ValueError("`photos` replace the config's photos: leave `data_dir`, `opencv_photos` "
                             "and `debian_photos` unset when giving them.")
        held_out = [] if held_out_photos is None else given_photos(held_out_photos, "held_out_photos")
        return given_photos(photos), held_out, []
    if held_out_photos is not None:
        raise ValueError("`held_out_photos` go with `photos`: give the training photos too.")
    photos = _data.load_folder(config.data_dir) if config.data_dir else _data.training_photos()
    if config.opencv_photos:
        from patchlab.inpainting import opencv_photos as _opencv

        photos = photos + _downloaded_photos(_opencv, "--opencv-photos", "OpenCV's sample photos")
    if config.debian_photos:
        from patchlab.inpainting import debian_photos as _debian

        photos = photos + _downloaded_photos(_debian, "--debian-photos", "the Debian wallpaper photos")
    held_out = [] if config.data_dir else _data.held_out_photos()
    validation = []
    if config.set_aside_validation:
        photos, validation = _data.set_aside(photos)
    return photos, held_out, validation


def training_device(tf, threads):
    """What trains: the first GPU TensorFlow sees (name and count), else the CPU's cores and threads."""
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        try:
            name = tf.config.experimental.get_device_details(gpus[0]).get("device_name") or "GPU"
        except (RuntimeError, ValueError):
            name = "GPU"
        return f"GPU: {len(gpus)} x {name}"
    return f"CPU: {os.cpu_count()} cores ({platform.machine()}), {threads} TensorFlow threads"


def train_inpainter(config, progress=None, should_stop=None, *, photos=None, held_out_photos=None):
    """Train the network ``config`` describes and save it with its model card.

    Parameters
    ----------
    config : TrainConfig
        What to train (checked when it was made).
    progress : callable, optional
        Called after every step as ``progress(step, loss, seconds)``: the
        step just done (from 1), its training loss and the seconds since
        the first step began.
    should_stop : callable, optional
        Called after every step; when it returns True, training stops there
        (as it does when ``config.seconds`` runs out), and the model learnt
        so far is saved with a card saying so (``stopped at step n of
        steps``; ``--stop-at n`` reproduces it).
    photos : sequence of ndarray or Photo, optional
        Train on these photos, held in memory (nothing is read from or
        written to disk for them): (H, W, 3) uint8 arrays or
        :class:`~patchlab.inpainting.data.Photo` objects, each at least
        one pixel (smaller than the crop size is upscaled). They replace
        the photos the config names; ``data_dir``, ``opencv_photos`` and
        ``debian_photos`` must then be unset. The card lists them by name
        and size.
    held_out_photos : sequence of ndarray or Photo, optional
        With ``photos``: the photos kept out of training, listed as such
        on the card. The loop does not score them (``config.evaluate``
        scores only the bundled held-out photos, and only when training on
        the bundled photos); the caller evaluates.

    Returns
    -------
    card : dict
        The model card as written (:func:`patchlab.inpainting.card.model_card`).

    Notes
    -----
    Seeded: the same config trains the same model (NumPy, Python and
    TensorFlow are seeded with ``config.seed``; batches are drawn from one
    NumPy generator). A checkpoint and its card are saved every
    ``config.checkpoint_every`` steps; saves are atomic
    (:func:`patchlab.runtime.save_model`). With ``config.bfloat16`` the
    network computes under Keras's ``mixed_bfloat16`` policy and is saved
    as the same network in float32.
    """
    if not isinstance(config, TrainConfig):
        raise ValueError(f"`config` must be a TrainConfig, got {type(config).__name__}.")
    given = photos is not None
    photos, held_out, validation = _training_photos(config, photos, held_out_photos)
    out = Path(config.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tf = runtime.tensorflow(threads=config.threads)
    import keras

    keras.utils.set_random_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    model, plain = _build_networks(config, keras)

    def save():
        """Save ``model``; a bfloat16-trained one as the same network in float32."""
        if plain is not model:
            copy_weights_by_name(model, plain)
        runtime.save_model(plain, out)

    run = _start_run(config, model, photos, held_out, validation, tf, keras)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=max(1, config.steps - config.warmup_steps), alpha=0.02,
        warmup_target=config.lr, warmup_steps=config.warmup_steps,
    )
    train_step = _train_step(model, keras.optimizers.Adam(schedule), config, tf)
    start = time.perf_counter()
    step = _training_loop(config, run, train_step, photos, rng, save, out, progress, should_stop, start)
    return _finish_run(config, run, step, save, out, start, evaluate=bool(config.evaluate and held_out and not given))


def _build_networks(config, keras):
    """The network to train and the float32 one it is saved as (the same object unless ``config.bfloat16``)."""
    from patchlab.inpainting.model import build_model

    arch_kwargs = ({"context_blocks": int(config.context_blocks), "fourier_blocks": int(config.fourier_blocks)}
                   if config.arch == "unet" else {})

    def build(policy):
        """The network built under the Keras dtype ``policy``, leaving the global policy as it was."""
        before = keras.mixed_precision.global_policy()
        keras.mixed_precision.set_global_policy(policy)
        try:
            return build_model(config.arch, **arch_kwargs)
        finally:
            keras.mixed_precision.set_global_policy(before)

    model = build("mixed_bfloat16" if config.bfloat16 else "float32")
    return model, build("float32") if config.bfloat16 else model


def _start_run(config, model, photos, held_out, validation, tf, keras):
    """The run's record before the first step; with ``config.init``, the weights it continues from are copied in."""
    run = TrainingRun(parameters=model.count_params(), photos=photos, held_out=held_out, validation=validation,
                      versions={"python": platform.python_version(), "tensorflow": tf.__version__,
                                "keras": keras.__version__},
                      device=training_device(tf, config.threads))
    if config.init:
        start_from, start_card = runtime.load_model(config.init, what="model to continue from",
                                                    allow_outside_models=True)
        run.new_layers = copy_weights_by_name(start_from, model)
        run.initialised_from = previous_card(start_card, config.init)
    return run


def _training_loop(config, run, train_step, photos, rng, save, out, progress, should_stop, start):
    """Take the steps (checkpointing on the way) until the last one or a stop; return the last step taken."""
    from tqdm import tqdm

    last = config.last_step
    losses = []
    bar = tqdm(total=last, desc=f"train {config.arch}", unit="step", disable=not config.progress_bar,
               mininterval=2.0)
    step = 0
    while step < last:
        step += 1
        inputs, target, mask = make_batch(photos, config.batch, config.crop_size, rng, config.arch,
                                          prefill=config.prefill, square_share=config.square_share,
                                          wide_share=float(config.wide_masks))
        loss = float(train_step(inputs, target, mask))
        losses.append(loss)
        elapsed = time.perf_counter() - start
        bar.update(1)
        if step % 50 == 0:
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}")
        if progress is not None:
            progress(step, loss, elapsed)
        stopping = bool((should_stop is not None and should_stop())
                        or (config.seconds is not None and elapsed >= config.seconds))
        if step % 100 == 0 or step == last or stopping:
            run.loss_history.append({"step": step, "loss": round(float(np.mean(losses[-100:])), 5),
                                     "elapsed_s": round(elapsed, 1)})
        if stopping:
            break
        if step % config.checkpoint_every == 0 and step < last:
            save()
            run.status, run.steps_done, run.wall_time_s = f"checkpoint at step {step}", step, elapsed
            runtime.write_card(out, model_card(config, run))
    bar.close()
    return step


def _finish_run(config, run, step, save, out, start, evaluate):
    """Save the model and its final card (scored on the held-out photos when ``evaluate``); return the card."""
    run.wall_time_s = time.perf_counter() - start
    save()
    run.status = "trained" if step == int(config.steps) else f"stopped at step {step} of {config.steps}"
    run.steps_done = step
    run.trained_at = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    run.file_bytes = out.stat().st_size
    runtime.write_card(out, model_card(config, run))
    if evaluate:
        from patchlab.inpainting.evaluate import evaluate_model

        run.evaluation = evaluate_model(out, arch=config.arch)
        runtime.write_card(out, model_card(config, run))
    return model_card(config, run)


def _train_step(model, optimizer, config, tf):
    """One traced optimisation step of ``model`` on a batch, returning its loss."""
    per_sample = config.loss_average == "image"
    if config.arch == "unet":
        def loss_fn(target, output, mask):
            return unet_loss(target, output, mask, config.loss, per_sample)
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

    return train_step


def build_parser():
    """The command line of ``python -m patchlab.inpainting.train``: one option per TrainConfig field."""
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(prog="python -m patchlab.inpainting.train",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=sorted(TRAIN_SIZE), default=defaults.arch)
    parser.add_argument("--steps", type=int, default=defaults.steps)
    parser.add_argument("--batch", type=int, default=defaults.batch)
    parser.add_argument("--lr", type=float, default=defaults.lr)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--out", default=defaults.out)
    parser.add_argument("--data", default=None, help="train on a folder of JPG/PNG photos instead")
    parser.add_argument("--checkpoint-every", type=int, default=defaults.checkpoint_every)
    parser.add_argument("--threads", type=int, default=defaults.threads)
    parser.add_argument("--no-eval", action="store_true", help="skip the held-out evaluation")
    parser.add_argument("--loss", choices=LOSSES, default=defaults.loss)
    parser.add_argument("--size", type=int, default=None, help="crop size (default 256; seed 228)")
    parser.add_argument("--init", default=None, help="continue from this saved model's weights")
    parser.add_argument("--stop-at", type=int, default=None,
                        help="stop after this many steps, keeping the schedule of --steps")
    parser.add_argument("--prefill", choices=sorted(PREFILLS), default=defaults.prefill,
                        help="the U-Net's first guess of the hole (default harmonic)")
    parser.add_argument("--loss-average", choices=LOSS_AVERAGES, default=defaults.loss_average,
                        help="weigh every pixel of a batch equally, or every image (as the evaluation does)")
    parser.add_argument("--opencv-photos", action="store_true",
                        help="add OpenCV's sample photos (downloaded once with pip) to the training set")
    parser.add_argument("--context-blocks", type=int, default=defaults.context_blocks,
                        help="residual dilated blocks at the U-Net's bottleneck (default 0)")
    parser.add_argument("--square-share", type=float, default=None,
                        help="chance of a tutorial square among the mixed masks (default: one in four)")
    parser.add_argument("--debian-photos", action="store_true",
                        help="add the photographs among Debian's wallpaper packages (downloaded once "
                             "with apt-get) to the training set")
    parser.add_argument("--bfloat16", action="store_true",
                        help="compute in mixed bfloat16 precision (faster on CPUs with AVX-512 BF16 or AMX, "
                             "much slower on others: see patchlab.runtime.fast_bfloat16); "
                             "the model is saved in float32")
    parser.add_argument("--seconds", type=float, default=None,
                        help="wall-clock budget: stop, and save, after the step that ends past it")
    parser.add_argument("--fourier-blocks", type=int, default=defaults.fourier_blocks,
                        help="fast Fourier convolution residual blocks at the U-Net's bottleneck (default 0)")
    parser.add_argument("--wide-masks", type=float, default=defaults.wide_masks,
                        help="share of training holes drawn wide and large: big squares, boxes, thick "
                             "strokes (default 0)")
    parser.add_argument("--set-aside-validation", action="store_true",
                        help="keep the validation photos (patchlab.inpainting.data.VALIDATION) out of training")
    return parser


def config_from_args(args) -> TrainConfig:
    """The :class:`TrainConfig` of parsed command-line ``args`` (checked on the way)."""
    return TrainConfig(
        arch=args.arch, steps=args.steps, batch=args.batch, lr=args.lr, seed=args.seed, out=args.out,
        data_dir=args.data, checkpoint_every=args.checkpoint_every, threads=args.threads,
        evaluate=not args.no_eval, size=args.size, loss=args.loss, init=args.init, stop_at=args.stop_at,
        prefill=args.prefill, opencv_photos=args.opencv_photos, loss_average=args.loss_average,
        context_blocks=args.context_blocks, square_share=args.square_share,
        debian_photos=args.debian_photos, bfloat16=args.bfloat16, seconds=args.seconds,
        fourier_blocks=args.fourier_blocks, wide_masks=args.wide_masks,
        set_aside_validation=args.set_aside_validation,
    )


#: What a fine-tuning run takes from the command that trained the model it starts from.
_NETWORK_OPTIONS = ("arch", "context_blocks", "fourier_blocks", "prefill", "loss", "loss_average", "square_share",
                    "wide_masks", "size")


def fine_tune_config(init, out, **options) -> TrainConfig:
    """A run that continues from the saved model ``init``, with that model's network and loss.

    The network's shape (``context_blocks`` and any other added blocks),
    its first guess, loss and masks are read from the command on ``init``'s
    model card, so the new run builds the same network and the weights
    carry over; everything else is a fresh run: no photo downloads, no
    ``--stop-at``, no evaluation, no progress bar.

    Parameters
    ----------
    init : str or Path
        The ``.keras`` model to continue from (its card must name its command).
    out : str or Path
        Where the fine-tuned model goes.
    **options
        Any other :class:`TrainConfig` field (``steps``, ``seconds``,
        ``batch``, ``lr``, ``bfloat16``, ...); they win over the card's.

    Returns
    -------
    config : TrainConfig

    Raises
    ------
    ValueError
        If ``init``'s card does not record the command that trained it.

    Examples
    --------
    >>> fine_tune_config("models/inpainting.keras", "/tmp/mine.keras", seconds=120, lr=1e-4)
    ... # doctest: +SKIP
    """
    command = runtime.read_card(init).get("command")
    if not isinstance(command, str) or f"-m {TRAIN_MODULE}" not in command:
        raise ValueError(f"`init`: the model card of {str(init)!r} does not record the command that "
                         f"trained it, so its network is unknown.")
    words = shlex.split(command)
    trained = config_from_args(build_parser().parse_args(words[words.index(TRAIN_MODULE) + 1:]))
    network = {name: getattr(trained, name) for name in _NETWORK_OPTIONS}
    fresh = {"init": str(init), "out": str(out), "evaluate": False, "progress_bar": False}
    return TrainConfig(**{**network, **fresh, **options})


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.bfloat16 and not runtime.fast_bfloat16():
        print("warning: this CPU has no bfloat16 instructions (avx512_bf16, amx_bf16), so --bfloat16 is "
              "emulated and several times slower than float32; leave it out here (PATCHLAB_BFLOAT16=1 "
              "silences this on a GPU).", file=sys.stderr)
    try:
        card = train_inpainter(config_from_args(args))
    except (RuntimeError, ValueError) as exc:
        parser.exit(2, f"error: {exc}\n")
    print(json.dumps({k: card[k] for k in ("model", "steps_done", "wall_time_s")}
                     | ({"evaluation": card["evaluation"]} if "evaluation" in card else {}), indent=2))


if __name__ == "__main__":
    main()
