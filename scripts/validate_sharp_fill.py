"""Choose the sharp fill's recipe on the 12 validation photos only (never the held-out set).

    python scripts/validate_sharp_fill.py [--part all|recipes|512] [--json bench/sharp_fill_variants.json]

The sharp fill (:mod:`patchlab.inpainting.sharp`) keeps the one-view
U-Net's low frequencies and copies fine detail from the known part of the
photo. Its recipe (:class:`patchlab.inpainting.synthesis.Recipe`: where
the detail is split off, what the search compares, how much detail is
added) trades PSNR against detail, so the variants below are scored the
way the held-out table scores methods, on the 12 validation photos of
:mod:`patchlab.inpainting.validation` (each photo whole and one seeded
close-up at 256 px, 2 seeded masks per view and family: 48 cases per
family; masks drawn from other seeds than the held-out set's):

* masked PSNR, and its margin over the best classical method (every method
  of :data:`patchlab.inpainting.baselines.CLASSICAL`, the best chosen again
  in each bootstrap resample), 95 % intervals over photos;
* the detail ratio (:func:`patchlab.inpainting.detail.detail_ratio`): the
  median over cases and the mean over photos, with 95 % intervals.

The rule, fixed before the run and applied to these figures only: among the
variants whose masked PSNR is at most 0.5 dB under the best classical
method on both families, the one with the highest median detail ratio on
its weaker family. A second part checks the choice made for the page's
512-px photos (the U-Net's structure at half size, texture in 2x2 cells)
against the full-size structure on the same photos at 512 px, one mask per
view and family, with the time each takes.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from patchlab.inpainting import data as _data
from patchlab.inpainting import validation
from patchlab.inpainting.baselines import CLASSICAL
from patchlab.inpainting.detail import detail_ratio
from patchlab.inpainting.evaluate import FAMILIES, bootstrap_interval, detail_summary, region_metrics
from patchlab.inpainting.masks import random_mask
from patchlab.inpainting.sharp import smooth_structure, structure_model
from patchlab.inpainting.synthesis import RECIPE, Recipe, texture_transfer

#: The recipe tried first; every variant changes it in one or two places.
FIRST = Recipe(sigma_split=1.5, sigma_match=4.0, energy_weight=2.0, coherence=0.3, radius=3, step=1, tries=6,
               near=24, gain=1.0)
VARIANTS = {
    "first tried": {},
    "no coherence term": {"coherence": 0.0},
    "coherence 1": {"coherence": 1.0},
    "coherence 2": {"coherence": 2.0},
    "no detail-strength term": {"energy_weight": 0.0},
    "detail-strength weight 4": {"energy_weight": 4.0},
    "no detail-strength term, coherence 1": {"energy_weight": 0.0, "coherence": 1.0},
    "colours blurred at 3 px": {"sigma_match": 3.0},
    "colours blurred at 6 px": {"sigma_match": 6.0},
    "5x5 neighbourhood": {"radius": 2},
    "9x9 neighbourhood, every 2nd pixel": {"radius": 4, "step": 2},
    "2 random tries": {"tries": 2},
    "detail split at 2 px": {"sigma_split": 2.0},
    "detail split at 2 px, coherence 1": {"sigma_split": 2.0, "coherence": 1.0},
    "detail x 0.85": {"gain": 0.85},
}
#: The rule's PSNR allowance under the best classical method (dB), as the held-out target's.
ALLOWANCE_DB = 0.5


def _rounded(pair, digits=3):
    return [round(float(v), digits) for v in pair]


def cases_for(photos, size, crops, masks_per_view, seed):
    """Seeded (photo, image, mask) cases per family, with other seeds than the held-out set's."""
    views = _data.evaluation_views(photos, size, crops, seed)
    out = {}
    for index, family in enumerate(FAMILIES):
        rng = np.random.default_rng([seed, 20 + index])
        out[family] = [(name.split("/")[0], image, random_mask(image.shape[:2], rng, family))
                       for name, image in views for _ in range(masks_per_view)]
    return out


def score(cases, fills):
    """Per case: photo, masked PSNR, detail ratio, seconds, for each fill function."""
    rows = {}
    for method, fill in fills.items():
        fill(cases[0][1], cases[0][2])  # warm-up (the network's graph, numba's machine code)
        rows[method] = []
        for owner, image, mask in cases:
            began = time.perf_counter()
            out = fill(image, mask)
            seconds = time.perf_counter() - began
            rows[method].append((owner, min(region_metrics(image, out, mask)["psnr_masked"], 100.0),
                                 detail_ratio(image, out, mask), seconds))
    return rows


def summarise(rows, names, rivals):
    """Each method's figures with intervals over photos; the margin over the best rival per resample."""
    per_photo = {m: np.array([np.mean([p for o, p, _, _ in r if o == n]) for n in names]) for m, r in rows.items()}
    best = max(rivals, key=lambda m: per_photo[m].mean())
    table = {}
    for method, r in rows.items():
        psnr = per_photo[method]
        row = {"psnr_masked": round(float(psnr.mean()), 3), "psnr_masked_ci": _rounded(bootstrap_interval(psnr)),
               "seconds_per_case": round(float(np.median([s for *_, s in r])), 4)}
        row.update(detail_summary([d for _, _, d, _ in r], [o for o, *_ in r]))
        if method not in rivals:
            matrix = np.column_stack([psnr] + [per_photo[m] for m in rivals])
            margin = float(psnr.mean() - per_photo[best].mean())
            row["margin_over_best_classical_db"] = [round(margin, 3), *_rounded(bootstrap_interval(
                matrix, lambda means: means[:, 0] - means[:, 1:].max(axis=1)))]
            if "unet" in per_photo and method != "unet":
                change = psnr - per_photo["unet"]
                row["vs_unet_db"] = [round(float(change.mean()), 3), *_rounded(bootstrap_interval(change))]
        table[method] = row
    return best, table


def choose(families):
    """The rule: PSNR within the allowance on both families, then the best weaker-family median detail ratio."""
    eligible = [v for v in VARIANTS
                if all(f["methods"][v]["margin_over_best_classical_db"][0] >= -ALLOWANCE_DB for f in families.values())]
    if not eligible:
        return None
    return max(eligible, key=lambda v: (min(f["methods"][v]["detail_ratio_median"] for f in families.values()),
                                        min(f["methods"][v]["psnr_masked"] for f in families.values())))


def part_one(photos, args, inpainter):
    names = [p.name for p in photos]
    report = {}
    for family, cases in cases_for(photos, 256, 1, args.masks_per_view, args.seed).items():
        guides = {id(mask): smooth_structure(image, mask, inpainter) for _, image, mask in cases}

        def variant(changes):
            recipe = replace(FIRST, **changes)

            def fill(image, mask):
                out = texture_transfer(guides[id(mask)], mask, seed=0, recipe=recipe)
                result = image.copy()
                result[mask] = np.clip(np.rint(out[mask]), 0, 255).astype(np.uint8)
                return result
            return fill

        fills = {"unet": lambda image, mask: inpainter.inpaint(image, mask)}
        fills.update({k: CLASSICAL[k][1] for k in CLASSICAL})
        fills.update({name: variant(changes) for name, changes in VARIANTS.items()})
        best, table = summarise(score(cases, fills), names, tuple(CLASSICAL))
        report[family] = {"cases": len(cases), "best_classical": best, "methods": table}
        print(f"{family}: {len(cases)} cases on {len(names)} photos; best classical: {best}", flush=True)
        for method, row in table.items():
            print("  " + _line(method, row), flush=True)
    return report


def _line(method, row):
    lo, hi = row["psnr_masked_ci"]
    text = f"{method:38s} {row['psnr_masked']:6.2f} dB [{lo:.2f}, {hi:.2f}]"
    if "margin_over_best_classical_db" in row:
        m, mlo, mhi = row["margin_over_best_classical_db"]
        text += f"  vs best classical {m:+.2f} [{mlo:+.2f}, {mhi:+.2f}]"
    if row["detail_ratio_median"] is not None:
        dlo, dhi = row["detail_ratio_median_ci"]
        text += f"  detail median {row['detail_ratio_median']:.2f} [{dlo:.2f}, {dhi:.2f}]"
    return text + f"  {row['seconds_per_case'] * 1000:6.0f} ms"


def part_two(photos, args, inpainter, recipe):
    """At 512 px: the U-Net's structure at full size (cells of 1) against half size (cells of 2)."""
    names = [p.name for p in photos]
    report = {}
    for family, cases in cases_for(photos, 512, 1, 1, args.seed).items():
        def fill_at(scale):
            def fill(image, mask):
                guide = smooth_structure(image, mask, inpainter, scale)
                out = texture_transfer(guide, mask, seed=0, cell=scale, recipe=recipe)
                result = image.copy()
                result[mask] = np.clip(np.rint(out[mask]), 0, 255).astype(np.uint8)
                return result
            return fill

        fills = {"unet": lambda image, mask: inpainter.inpaint(image, mask),
                 "sharp, structure at full size, 1x1 cells": fill_at(1),
                 "sharp, structure at half size, 2x2 cells": fill_at(2)}
        fills.update({k: CLASSICAL[k][1] for k in ("harmonic", "telea")})
        _, table = summarise(score(cases, fills), names, ("harmonic", "telea"))
        report[family] = {"cases": len(cases), "methods": table}
        print(f"512 px, {family}: {len(cases)} cases on {len(names)} photos", flush=True)
        for method, row in table.items():
            print("  " + _line(method, row), flush=True)
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--masks-per-view", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--part", choices=("all", "recipes", "512"), default="all",
                        help="the recipe variants at 256 px, the 512-px check of the shipped recipe, or both")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)

    from patchlab.runtime import tensorflow

    tensorflow(threads=2)
    photos = validation.load()
    inpainter = structure_model()
    shipped = [v for v, changes in VARIANTS.items() if replace(FIRST, **changes) == RECIPE]
    report = {"photos": [p.name for p in photos], "first_recipe": asdict(FIRST), "variants": VARIANTS,
              "rule": f"masked PSNR at most {ALLOWANCE_DB} dB under the best classical method on both families; "
                      "then the highest median detail ratio on the weaker family",
              "shipped": shipped, "shipped_recipe": asdict(RECIPE)}
    if args.part in ("all", "recipes"):
        report["families_256"] = part_one(photos, args, inpainter)
        report["chosen"] = choose(report["families_256"])
        print(f"Chosen by the rule: {report['chosen']}; shipped recipe (synthesis.RECIPE): "
              f"{', '.join(shipped) or 'none of these'}")
    if args.part in ("all", "512"):
        report["families_512"] = part_two(photos, args, inpainter, RECIPE)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
