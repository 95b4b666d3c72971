"""The U-Net on a hole's neighbourhood versus on every tile the hole touches.

    python benchmarks/bench_inpainting_context.py [--json bench/inpainting_context.json]

For photos larger than one tile, ``Inpainter`` runs the network on the hole's
bounding box grown by ``context`` pixels (``DEFAULT_CONTEXT``) instead of on
every 288-px tile that holds a missing pixel. This checks, side by side in one
run, that the answer does not get worse and says how much time it saves: the
three held-out photos at 512 px, four seeded masks per family (tutorial
squares, brush strokes, rectangles), masked-region PSNR and time per image for
each context setting (``tiles`` = every tile).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from patchlab.images import limit_size  # noqa: E402
from patchlab.inpainting import Inpainter  # noqa: E402
from patchlab.inpainting.data import held_out_photos  # noqa: E402
from patchlab.inpainting.evaluate import region_metrics  # noqa: E402
from patchlab.inpainting.infer import DEFAULT_CONTEXT  # noqa: E402
from patchlab.inpainting.masks import brush_mask, rectangle_mask, square_mask  # noqa: E402
from patchlab.runtime import tensorflow  # noqa: E402

FAMILIES = {"square": square_mask, "brush": brush_mask, "rectangle": rectangle_mask}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--masks", type=int, default=4, help="seeded masks per photo and family")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    tensorflow(threads=2)
    model = Inpainter.load()
    settings = {"tiles": None, "64": 64, str(DEFAULT_CONTEXT): DEFAULT_CONTEXT, "128": 128}
    scores = {}
    for photo in held_out_photos():
        image, _ = limit_size(photo.image, 512)
        for family, make in FAMILIES.items():
            for seed in range(args.masks):
                mask = make(image.shape[:2], seed=seed)
                for name, context in settings.items():
                    model.context = context
                    model.inpaint(image, mask)  # warm: the first call of a new shape is slower
                    t = time.perf_counter()
                    out = model.inpaint(image, mask)
                    elapsed = time.perf_counter() - t
                    entry = scores.setdefault(family, {}).setdefault(name, {"psnr": [], "ms": []})
                    entry["psnr"].append(region_metrics(image, out, mask)["psnr_masked"])
                    entry["ms"].append(elapsed * 1000)
    table = {family: {name: {"psnr_masked_db": round(statistics.mean(v["psnr"]), 3),
                             "median_ms": round(statistics.median(v["ms"]), 1)}
                      for name, v in per.items()}
             for family, per in scores.items()}
    print(f"Held-out photos at 512 px, {args.masks} masks each; masked PSNR (dB) / median time (ms)")
    print(f"{'family':<11}" + "".join(f"{name:>18}" for name in settings))
    for family, per in table.items():
        print(f"{family:<11}" + "".join(f"{per[n]['psnr_masked_db']:>10.2f} /{per[n]['median_ms']:>5.0f}"
                                        for n in settings))
    print(f"(the page uses context = {DEFAULT_CONTEXT})")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"default_context": DEFAULT_CONTEXT, "families": table}, indent=2))


if __name__ == "__main__":
    main()
