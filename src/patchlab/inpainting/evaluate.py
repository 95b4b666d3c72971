"""Evaluate the inpainting models against the classical methods.

    python -m patchlab.inpainting.evaluate --json

Held-out photos only (:data:`patchlab.inpainting.data.HELD_OUT`, never
seen in training), each as the whole photo and seeded close-ups at
256x256; every view gets the same seeded masks for every method, in two
families: the tutorial's squares and brush strokes. Reported per method
and family: PSNR and SSIM on the masked region and on the whole image,
and seconds per image. ``--json`` writes ``models/inpainting_eval.json``
and the figures go into the U-Net's model card too.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import time
from pathlib import Path

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from patchlab import runtime
from patchlab.inpainting import data as _data
from patchlab.inpainting.baselines import CLASSICAL
from patchlab.inpainting.infer import MODELS_DIR, Inpainter, ModelUnavailable
from patchlab.inpainting.masks import random_mask

__all__ = ["FAMILIES", "METHODS", "TARGET_BASELINES", "region_metrics", "evaluate_methods", "evaluate_model",
           "format_table", "read_inpainting_report", "EVAL_JSON"]

FAMILIES = ("square", "brush")
METHODS = ("unet", "seed", "telea", "ns", "biharmonic", "harmonic")
#: The classical methods the target is set against (the harmonic fill is reported
#: beside them as the U-Net's own first guess, not as a competitor).
TARGET_BASELINES = ("telea", "ns", "biharmonic")
MODEL_FILES = {"unet": "inpainting.keras", "seed": "inpainting_seed.keras"}
EVAL_JSON = MODELS_DIR / "inpainting_eval.json"
LABELS = {"unet": "U-Net (PatchLab)", "seed": "Tutorial autoencoder",
          **{k: v[0] for k, v in CLASSICAL.items()}}


SSIM_WINDOW = 7  # scikit-image's default window


def local_ssim(original, result):
    """scikit-image's SSIM and its map, computed only where the images differ.

    A 7x7 window whose pixels are identical in both images has SSIM exactly
    1, so the filters only need to run on a box around the changed pixels:
    for a hole in a 512x512 photo this is several times faster than
    :func:`skimage.metrics.structural_similarity` on the whole image, with
    the same result (to rounding).

    Parameters
    ----------
    original, result : ndarray of uint8, shape (H, W, 3)

    Returns
    -------
    mssim : float
        The mean SSIM, as ``structural_similarity(..., channel_axis=-1,
        data_range=255)`` reports it (borders of 3 px excluded).
    ssim_map : ndarray of float64, shape (H, W, 3)
    """
    from scipy.ndimage import maximum_filter

    h, w = original.shape[:2]
    full = np.ones(original.shape, dtype=np.float64)
    changed = np.any(original != result, axis=-1)
    if changed.any():
        rows, cols = np.flatnonzero(changed.any(1)), np.flatnonzero(changed.any(0))
        margin = 2 * SSIM_WINDOW  # the windows touching a change, plus the filters' own reach
        y0, y1 = max(0, rows[0] - margin), min(h, rows[-1] + 1 + margin)
        x0, x1 = max(0, cols[0] - margin), min(w, cols[-1] + 1 + margin)
        if min(y1 - y0, x1 - x0) < SSIM_WINDOW:  # too thin a box for the window: do it all
            y0, y1, x0, x1 = 0, h, 0, w
        _, box = structural_similarity(original[y0:y1, x0:x1], result[y0:y1, x0:x1],
                                       channel_axis=-1, data_range=255, full=True)
        touched = maximum_filter(changed[y0:y1, x0:x1], size=SSIM_WINDOW)
        full[y0:y1, x0:x1][touched] = box[touched]
    pad = (SSIM_WINDOW - 1) // 2
    return float(full[pad:h - pad, pad:w - pad].mean()), full


def region_metrics(original, result, mask):
    """PSNR (dB) and SSIM of a result, on the masked region and on the whole image.

    Parameters
    ----------
    original, result : ndarray of uint8, shape (H, W, 3)
    mask : ndarray of bool, shape (H, W)
        The region that was filled (must not be empty).

    Returns
    -------
    metrics : dict
        ``psnr_masked, ssim_masked, psnr_whole, ssim_whole``. A perfect
        match has PSNR ``inf``. Masked SSIM is the mean of the SSIM map
        (7x7 windows) over the masked pixels.

    Examples
    --------
    >>> a = np.zeros((16, 16, 3), np.uint8); b = a.copy(); b[4:8, 4:8] = 10
    >>> m = np.zeros((16, 16), bool); m[4:8, 4:8] = True
    >>> round(region_metrics(a, b, m)["psnr_masked"], 2)
    28.13
    """
    original = np.asarray(original)
    result = np.asarray(result)
    mask = np.asarray(mask, dtype=bool)
    if original.shape != result.shape or original.shape[:2] != mask.shape:
        raise ValueError(
            f"`original` {original.shape}, `result` {result.shape} and `mask` {mask.shape} "
            f"must describe the same image."
        )
    if not mask.any():
        raise ValueError("`mask` is empty: there is no filled region to measure.")

    def psnr(a, b):
        if np.array_equal(a, b):
            return math.inf
        return float(peak_signal_noise_ratio(a, b, data_range=255))

    ssim_whole, ssim_map = local_ssim(original, result)
    return {
        "psnr_masked": psnr(original[mask], result[mask]),
        "ssim_masked": float(ssim_map[mask].mean()),
        "psnr_whole": psnr(original, result),
        "ssim_whole": float(ssim_whole),
    }


def _methods(names, models_dir=MODELS_DIR):
    """name -> fill function, skipping models that are not there."""
    found, missing = {}, {}
    for name in names:
        if name in CLASSICAL:
            found[name] = CLASSICAL[name][1]
        elif name in MODEL_FILES:
            try:
                found[name] = Inpainter.load(Path(models_dir) / MODEL_FILES[name],
                                             allow_outside_models=True).inpaint
            except ModelUnavailable as exc:
                missing[name] = str(exc).splitlines()[0]
        else:
            raise ValueError(f"`methods` must be among {', '.join(METHODS)}; got {name!r}.")
    return found, missing


def evaluate_methods(methods=METHODS, masks_per_view=4, size=256, crops=2, seed=0,
                     models_dir=MODELS_DIR, progress=True):
    """Every method on every held-out view and seeded mask.

    Returns
    -------
    report : dict
        ``families[family][method]`` holds the mean metrics and
        ``seconds_per_image``; plus the views, the mask counts and the
        target check (U-Net vs the best classical method).
    """
    from tqdm import tqdm

    views = _data.evaluation_views(_data.held_out_photos(), size, crops, seed)
    fill, missing = _methods(methods, models_dir)
    families = {}
    for family in FAMILIES:
        rng = np.random.default_rng([seed, FAMILIES.index(family)])
        cases = [(name, img, random_mask(img.shape[:2], rng, family))
                 for name, img in views for _ in range(masks_per_view)]
        rows = {}
        for method, fn in fill.items():
            scores, seconds = [], []
            fn(cases[0][1], cases[0][2])  # warm-up: the first model call traces the graph
            for _name, img, mask in tqdm(cases, desc=f"{family:6s} {method}", disable=not progress,
                                         leave=False):
                t = time.perf_counter()
                out = fn(img, mask)
                seconds.append(time.perf_counter() - t)
                scores.append(region_metrics(img, out, mask))
            rows[method] = _mean_scores(scores)
            rows[method]["seconds_per_image"] = round(float(np.median(seconds)), 4)
            rows[method]["n"] = len(scores)
        families[family] = rows
    report = {
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "held_out_photos": list(_data.HELD_OUT),
        "views": [name for name, _ in views],
        "view_size": size,
        "masks_per_view": masks_per_view,
        "seed": seed,
        "families": families,
        "missing": missing,
        "labels": {m: LABELS[m] for m in fill},
        "unet_flips": ("up to 4 mirrored views of the hole averaged (patchlab.inpainting.infer.FLIPS); "
                       "every 256-px case here gets all 4"),
    }
    report["target"] = target_check(families)
    return report


def _mean_scores(scores):
    """Mean of each metric over cases (a perfect, infinite PSNR counts as 100 dB)."""
    return {k: round(float(np.mean([min(s[k], 100.0) for s in scores])), 4) for k in scores[0]}


def target_check(families, margin_db=1.0):
    """Does the U-Net beat the best classical method by ``margin_db`` masked PSNR, with higher SSIM?"""
    out = {}
    for family, rows in families.items():
        classical = {k: v for k, v in rows.items() if k in TARGET_BASELINES}
        if "unet" not in rows or not classical:
            continue
        best = max(classical, key=lambda k: classical[k]["psnr_masked"])
        best_ssim = max(v["ssim_masked"] for v in classical.values())
        gain = rows["unet"]["psnr_masked"] - classical[best]["psnr_masked"]
        out[family] = {
            "best_classical": best,
            "psnr_gain_db": round(gain, 3),
            "ssim_masked_unet": rows["unet"]["ssim_masked"],
            "ssim_masked_best_classical": best_ssim,
            "met": bool(gain >= margin_db and rows["unet"]["ssim_masked"] > best_ssim),
        }
        if "harmonic" in rows:  # what the network adds to its own first guess
            out[family]["psnr_gain_over_first_guess_db"] = round(
                rows["unet"]["psnr_masked"] - rows["harmonic"]["psnr_masked"], 3)
    return out


def evaluate_model(path, arch="unet", masks_per_view=4, seed=0):
    """Just one saved model's figures (for its model card)."""
    path = Path(path)
    model = Inpainter.load(path, allow_outside_models=True)
    views = _data.evaluation_views(_data.held_out_photos(), 256, 2, seed)
    figures = {}
    for family in FAMILIES:
        rng = np.random.default_rng([seed, FAMILIES.index(family)])
        scores = []
        for _name, img in views:
            for _ in range(masks_per_view):
                mask = random_mask(img.shape[:2], rng, family)
                scores.append(region_metrics(img, model.inpaint(img, mask), mask))
        figures[family] = _mean_scores(scores)
    return {"held_out_photos": list(_data.HELD_OUT), "views": len(views),
            "masks_per_view": masks_per_view, "arch": arch, "families": figures}


def format_table(report):
    """The report as a Markdown table."""
    lines = ["| masks | method | PSNR masked (dB) | SSIM masked | PSNR whole (dB) | SSIM whole | s / image |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for family, rows in report["families"].items():
        for method, r in rows.items():
            lines.append(
                f"| {family} | {LABELS.get(method, method)} | {r['psnr_masked']:.2f} | "
                f"{r['ssim_masked']:.3f} | {r['psnr_whole']:.2f} | {r['ssim_whole']:.4f} | "
                f"{r['seconds_per_image']:.3f} |"
            )
    return "\n".join(lines)


def read_inpainting_report(path=EVAL_JSON):
    """The last written evaluation, or None."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def main(argv=None):
    parser = argparse.ArgumentParser(description="Evaluate inpainting on held-out photos.")
    parser.add_argument("--json", action="store_true",
                        help=f"print JSON and write {EVAL_JSON.relative_to(MODELS_DIR.parent)}")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--masks-per-view", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(EVAL_JSON))
    args = parser.parse_args(argv)

    runtime.tensorflow(threads=2)
    report = evaluate_methods(tuple(m for m in args.methods.split(",") if m), args.masks_per_view,
                              seed=args.seed)
    print(format_table(report))
    for family, t in report["target"].items():
        print(f"{family}: U-Net vs {t['best_classical']}: {t['psnr_gain_db']:+.2f} dB masked PSNR, "
              f"SSIM {t['ssim_masked_unet']:.3f} vs {t['ssim_masked_best_classical']:.3f} -> "
              f"{'target met' if t['met'] else 'target MISSED'}"
              + (f"; {t['psnr_gain_over_first_guess_db']:+.2f} dB over its harmonic first guess"
                 if "psnr_gain_over_first_guess_db" in t else ""))
    if args.json:
        out = Path(args.out)
        runtime.write_atomically(out, (json.dumps(report, indent=2, allow_nan=False, default=str) + "\n").encode())
        _update_card(report)
        print(json.dumps(report, indent=2, default=str))
        print(f"wrote {out}")


def _update_card(report, model=MODELS_DIR / MODEL_FILES["unet"]):
    """Copy the figures into the U-Net's model card (atomically; nothing if it has no card)."""
    card = runtime.read_card(model)
    if not card:
        return
    card["evaluation_vs_classical"] = {"families": report["families"], "target": report["target"],
                                       "created": report["created"], "views": report["views"],
                                       "masks_per_view": report["masks_per_view"]}
    runtime.write_card(model, card)


if __name__ == "__main__":
    main()
