"""How big a kept model is: what the job runner counts (``result_nbytes``) and what the process holds.

For the Train page's classifiers: short live trainings (``--steps``, the
Train page's own job) of patch sizes 10, 18 and 28 are measured with
``patchlab.jobs.result_nbytes`` before and after Download (which keeps the
``.keras`` file and the card with the model); then ``--keep`` classifiers of
p = 18 are built and each answers one drawing (as on the Classification
page), all kept, and the process's RSS growth per model is printed beside
the counted size (trained ones hold the same: the optimizer's state stays
with the reused training step, not with the model). For *Train an inpainter*: a domain model as the
page keeps it (the model and its ``.keras`` file), for the shipped U-Net
and the tutorial's autoencoder. These are the figures behind the runner's
default budget (``PATCHLAB_TRAIN_KEEP_MB``, docs/reliability.md).

    python benchmarks/bench_kept_models.py [--steps 5] [--keep 40] [--json bench/kept_models.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--keep", type=int, default=40)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "kept_models.json")
    args = parser.parse_args()

    import numpy as np

    from patchlab.classification import DigitClassifier, live
    from patchlab.classification.model import build_patch_classifier
    from patchlab.inpainting.infer import Inpainter
    from patchlab.inpainting.live import DomainModel
    from patchlab.jobs import DEFAULT_KEEP_MB, result_nbytes
    from patchlab.memory import release_free_memory

    def train(patch_size: int, seed: int):
        request = live.TrainRequest(patch_size, steps=args.steps, augment=True, seed=seed)
        return live._train(request, lambda e: None, lambda: False, live.StepClock())

    out = {"machine": {"cpu_model": next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                                          if line.startswith("model name")), platform.processor()),
                       "cpu_count": os.cpu_count(), "load_average_at_start": list(os.getloadavg())},
           "steps": args.steps, "classifiers": {}, "domain_models": {}}
    print(f"CPU {out['machine']['cpu_model']}, {out['machine']['cpu_count']} cores, "
          f"load {out['machine']['load_average_at_start']}")
    for p in (10, 18, 28):
        model = train(p, 1234)
        weights = model.classifier.model.count_params() * 4
        counted = result_nbytes(model)
        model.files()
        with_files = result_nbytes(model)
        out["classifiers"][p] = {"weights_bytes": weights, "counted_bytes": counted,
                                 "counted_with_download_bytes": with_files}
        print(f"classifier p = {p:2d}: weights {weights / 1e6:.2f} MB; counted {counted / 1e6:.2f} MB, "
              f"with its Download files {with_files / 1e6:.2f} MB")
        del model
    gc.collect()
    release_free_memory()
    drawing = np.zeros((28, 28), np.float32)
    drawing[6:22, 12:16] = 1.0
    DigitClassifier(build_patch_classifier(18), 18, {}).predict(drawing)  # the first one traces and allocates
    gc.collect()
    release_free_memory()
    before = rss_mb()
    kept = []
    for _ in range(args.keep):
        kept.append(DigitClassifier(build_patch_classifier(18), 18, {"training": {}}))
        kept[-1].predict(drawing)
    gc.collect()
    release_free_memory()
    grew = (rss_mb() - before) / args.keep
    counted = sum(result_nbytes(m) for m in kept) / args.keep
    out["classifiers"]["rss_per_kept_p18_mb"] = round(grew, 2)
    print(f"{args.keep} kept p = 18 classifiers, each used once: RSS {grew:+.2f} MB each "
          f"(counted {counted / 1e6:.2f} MB each)")
    del kept
    for arch, path in (("unet", ROOT / "models" / "inpainting.keras"), ("seed", ROOT / "models" / "inpainting_seed.keras")):
        inpainter = Inpainter.load(path, allow_outside_models=True)
        domain = DomainModel(None, inpainter, {}, [], steps=0, seconds=0.0, stopped_early=False,
                             keras_bytes=path.read_bytes())
        weights = inpainter.model.count_params() * 4
        size = result_nbytes(domain)
        out["domain_models"][arch] = {"weights_bytes": weights, "counted_bytes": size}
        print(f"domain model ({arch}): weights {weights / 1e6:.2f} MB; counted with its .keras file {size / 1e6:.2f} MB")
    largest = out["classifiers"][28]["counted_with_download_bytes"]
    print(f"default budget {DEFAULT_KEEP_MB} MB: {DEFAULT_KEEP_MB * 1e6 // largest:.0f} classifiers of p = 28 with "
          f"their Download files")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
