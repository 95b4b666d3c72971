"""Inpainting training speed: float32 against mixed bfloat16, side by side.

    python benchmarks/bench_training_precision.py --json bench/training_precision.json

Builds the shipped U-Net (two context blocks) twice, once under Keras's
``float32`` policy and once under ``mixed_bfloat16`` (float32 weights,
bfloat16 arithmetic: what ``train --bfloat16`` uses), and times one
training step (forward, hole-weighted L1 + 5x L2, backward, Adam update) on
the same batch of 8 crops of 256 px, alternating the two so that a slower
moment of a shared CPU hits both. TensorFlow uses 2 intra-op threads. The
speed-up needs a CPU with bfloat16 instructions (AVX-512 BF16 or AMX);
elsewhere bfloat16 may be slower than float32.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from patchlab.inpainting import data as _data
from patchlab.inpainting.train import make_batch, unet_loss
from patchlab.runtime import tensorflow

POLICIES = ("float32", "mixed_bfloat16")


def _step_function(policy, context_blocks):
    import keras

    from patchlab.inpainting.model import build_unet

    tf = tensorflow()

    keras.mixed_precision.set_global_policy(policy)
    try:
        model = build_unet(context_blocks=context_blocks)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    optimizer = keras.optimizers.Adam(1e-5)

    @tf.function
    def step(inputs, target, mask):
        with tf.GradientTape() as tape:
            output = tf.cast(model(inputs, training=True), tf.float32)
            loss = unet_loss(target, output, mask, "l1+l2", per_sample=True)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    return step


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=6)
    parser.add_argument("--context-blocks", type=int, default=2)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)

    tf = tensorflow(threads=2)

    rng = np.random.default_rng(0)
    inputs, target, mask = make_batch(_data.training_photos(), args.batch, args.size, rng)
    inputs = {k: tf.constant(v) for k, v in inputs.items()}
    target, mask = tf.constant(target), tf.constant(mask)
    steps = {p: _step_function(p, args.context_blocks) for p in POLICIES}
    for step in steps.values():  # trace and warm up
        step(inputs, target, mask)
        step(inputs, target, mask)
    times = {p: [] for p in POLICIES}
    for _ in range(args.repeats):
        for policy, step in steps.items():
            t = time.perf_counter()
            float(step(inputs, target, mask))
            times[policy].append(time.perf_counter() - t)
    rows = {p: {"median_s": round(statistics.median(v), 4), "min_s": round(min(v), 4)}
            for p, v in times.items()}
    ratio = rows["float32"]["median_s"] / rows["mixed_bfloat16"]["median_s"]
    print(f"one training step, batch {args.batch} x {args.size} px, {args.repeats} runs each (alternating):")
    for policy, row in rows.items():
        print(f"  {policy:15s} median {row['median_s'] * 1000:7.0f} ms   min {row['min_s'] * 1000:7.0f} ms")
    print(f"  mixed bfloat16 is {ratio:.2f}x as fast as float32")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({
            "batch": args.batch, "size": args.size, "repeats": args.repeats,
            "context_blocks": args.context_blocks, "policies": rows,
            "speedup_bfloat16": round(ratio, 3), "machine": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(), "tensorflow": tf.__version__,
        }, indent=2) + "\n")


if __name__ == "__main__":
    main()
