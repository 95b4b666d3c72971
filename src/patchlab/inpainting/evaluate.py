"""Evaluate the inpainting models against the classical methods.

    python -m patchlab.inpainting.evaluate --json

Two tables, both on photos never seen in training, every view with the
same seeded masks for every method, in two families: the tutorial's
squares and brush strokes. Reported per method and family: PSNR and SSIM
on the masked region and on the whole image, and seconds per image.

* **The held-out set** (:mod:`patchlab.inpainting.heldout`: 42 photos
  from three packages, fetched once by this command): each photo as the
  whole photo and one seeded close-up at 256x256, two masks each, so four
  cases per photo and family. The U-Net is scored on one view (no
  test-time flips; the four mirrored views are a second row), and its
  margin over the best classical method comes with a 95 % percentile
  bootstrap interval over *photos* (:func:`bootstrap_interval`). The
  figure ``docs/images/inpainting_held_out.png`` shows six of the photos.
* **The original three photos** (:data:`patchlab.inpainting.data.HELD_OUT`),
  as before, for continuity: the whole photo and two close-ups, four masks
  each, the U-Net with its four mirrored views.

``--json`` writes ``models/inpainting_eval.json`` and the figures go into
the U-Net's model card too; ``--sets held-out`` re-runs only the held-out
set and keeps the rest of the report (and the card) as it was.
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

from patchlab import ROOT, runtime
from patchlab.i18n import N_
from patchlab.images import limit_size
from patchlab.inpainting import data as _data
from patchlab.inpainting import heldout
from patchlab.inpainting.baselines import CLASSICAL
from patchlab.inpainting import detail
from patchlab.inpainting.detail import detail_ratio
from patchlab.inpainting.infer import MODELS_DIR, Inpainter, ModelUnavailable
from patchlab.inpainting.masks import random_mask

__all__ = ["FAMILIES", "METHODS", "TARGET_BASELINES", "region_metrics", "evaluate_methods", "evaluate_model",
           "format_table", "read_inpainting_report", "EVAL_JSON", "HELD_OUT_METHODS", "CLASSICAL_RIVALS",
           "HELD_OUT_TARGET", "RESAMPLES", "FIGURE", "bootstrap_interval", "margin_check", "evaluate_held_out",
           "format_held_out_table", "held_out_figure", "held_out_verdicts", "SHARP_TARGET", "detail_summary",
           "format_detail_table",
           "sharp_margin", "sharp_verdicts"]

FAMILIES = ("square", "brush")
METHODS = ("unet", "sharp", "seed", "telea", "ns", "biharmonic", "harmonic", "exemplar")
#: The classical methods the target is set against (the harmonic fill is reported
#: beside them as the U-Net's own first guess, not as a competitor).
TARGET_BASELINES = ("telea", "ns", "biharmonic")
#: On the held-out set: the U-Net on one view (the headline), with four mirrored views, and the rest.
HELD_OUT_METHODS = ("unet", "unet_flips", "sharp", "seed", *CLASSICAL)
#: The classical methods the held-out margin is taken over: all of them, the harmonic fill
#: and the exemplar-based method included (whichever is best on the set, per family).
CLASSICAL_RIVALS = tuple(CLASSICAL)
#: The held-out target: the U-Net's masked PSNR at least this far over the best classical
#: method, the lower end of its 95 % interval above ``lower_end_db``, and a higher masked SSIM
#: than every classical method.
HELD_OUT_TARGET = {"margin_db": 1.5, "lower_end_db": 1.0}
#: The sharp fill's target on the held-out set (issue 28): a median detail ratio of at least
#: ``detail_ratio_median`` and a masked PSNR at most ``psnr_below_best_classical_db`` under the
#: best classical method, on both mask families.
SHARP_TARGET = {"detail_ratio_median": 0.6, "psnr_below_best_classical_db": 0.5}
#: Bootstrap resamples of the photos.
RESAMPLES = 10_000
MODEL_FILES = {"unet": "inpainting.keras", "seed": "inpainting_seed.keras", "unet_flips": "inpainting.keras"}
EVAL_JSON = MODELS_DIR / "inpainting_eval.json"
FIGURE = ROOT / "docs" / "images" / "inpainting_held_out.png"
LABELS = {"unet": N_("U-Net (PatchLab)"), "unet_flips": N_("U-Net, 4 mirrored views"), "seed": N_("Tutorial autoencoder"),
          "sharp": N_("Sharp fill (U-Net + the photo's texture)"),
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


def _methods(names, models_dir=MODELS_DIR, one_view=False):
    """name -> fill function, skipping models that are not there.

    ``'unet'`` averages its default mirrored views unless ``one_view``;
    ``'unet_flips'`` always averages four.
    """
    found, missing = {}, {}
    for name in names:
        if name in CLASSICAL:
            found[name] = CLASSICAL[name][1]
        elif name == "sharp":  # always the shipped U-Net's structure (patchlab.inpainting.sharp)
            from patchlab.inpainting.sharp import sharp_fill, structure_model

            try:
                structure_model()
                found[name] = sharp_fill
            except ModelUnavailable as exc:
                missing[name] = str(exc).splitlines()[0]
        elif name in MODEL_FILES:
            flips = 4 if name == "unet_flips" else (1 if one_view and name == "unet" else None)
            try:
                found[name] = Inpainter.load(Path(models_dir) / MODEL_FILES[name],
                                             allow_outside_models=True, flips=flips).inpaint
            except ModelUnavailable as exc:
                missing[name] = str(exc).splitlines()[0]
        else:
            raise ValueError(f"`methods` must be among {', '.join(HELD_OUT_METHODS)}; got {name!r}.")
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
            scores, seconds, ratios = [], [], []
            fn(cases[0][1], cases[0][2])  # warm-up: the first model call traces the graph
            for _name, img, mask in tqdm(cases, desc=f"{family:6s} {method}", disable=not progress,
                                         leave=False):
                t = time.perf_counter()
                out = fn(img, mask)
                seconds.append(time.perf_counter() - t)
                scores.append(region_metrics(img, out, mask))
                ratios.append(detail_ratio(img, out, mask))
            rows[method] = _mean_scores(scores)
            rows[method].update(detail_summary(ratios))
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


def detail_summary(ratios, owners=None, resamples=RESAMPLES, seed=0):
    """The detail ratios of a method's cases (:func:`patchlab.inpainting.detail.detail_ratio`), summarised.

    Parameters
    ----------
    ratios : sequence of float, shape (n_cases,)
        NaN for a case skipped (its original is flat in the hole).
    owners : sequence of str, shape (n_cases,), optional
        The photo of each case. Given, the mean is taken over photos (each
        photo's mean over its counted cases) and both the mean and the
        median get a 95 % percentile bootstrap interval over photos.

    Returns
    -------
    dict
        ``detail_ratio_median`` (over the counted cases), ``detail_ratio``
        (the mean), ``detail_ratio_cases`` (cases counted); with ``owners``
        also ``detail_ratio_ci``, ``detail_ratio_median_ci`` and
        ``detail_ratio_photos``. None for a figure with no case to count.

    Examples
    --------
    >>> detail_summary([0.5, float("nan"), 1.0])
    {'detail_ratio_median': 0.75, 'detail_ratio': 0.75, 'detail_ratio_cases': 2}
    """
    values = np.asarray(ratios, dtype=np.float64)
    counted = ~np.isnan(values)
    out = {"detail_ratio_median": round(float(np.median(values[counted])), 4) if counted.any() else None,
           "detail_ratio": round(float(values[counted].mean()), 4) if counted.any() else None,
           "detail_ratio_cases": int(counted.sum())}
    if owners is None:
        return out
    owners = np.asarray(owners)
    if owners.shape != values.shape:
        raise ValueError(f"`owners` must name the photo of each of the {values.size} cases, got {owners.shape}.")
    photos = [p for p in dict.fromkeys(owners.tolist()) if counted[owners == p].any()]
    out["detail_ratio_photos"] = len(photos)
    if len(photos) < 2:
        out["detail_ratio"], out["detail_ratio_ci"], out["detail_ratio_median_ci"] = out["detail_ratio"], None, None
        return out
    per_photo = np.array([np.nanmean(values[owners == p]) for p in photos])
    out["detail_ratio"] = round(float(per_photo.mean()), 4)
    out["detail_ratio_ci"] = [round(v, 4) for v in bootstrap_interval(per_photo, resamples=resamples, seed=seed)]
    # the median's interval: photos drawn with replacement, the median of all their cases
    width = max(int((owners == p).sum()) for p in photos)
    table = np.full((len(photos), width), np.nan)
    for i, p in enumerate(photos):
        mine = values[owners == p]
        table[i, :mine.size] = mine
    picks = np.random.default_rng(seed).integers(0, len(photos), size=(int(resamples), len(photos)))
    medians = np.nanmedian(table[picks].reshape(int(resamples), -1), axis=1)
    out["detail_ratio_median_ci"] = [round(float(v), 4) for v in np.quantile(medians, [0.025, 0.975])]
    return out


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


# --------------------------------------------------------------------------
# the held-out set: 42 photos, bootstrap intervals over photos
# --------------------------------------------------------------------------
def bootstrap_interval(per_photo, statistic=None, resamples=RESAMPLES, level=0.95, seed=0):
    """Percentile bootstrap interval of a mean over photos (photos resampled, not cases).

    Parameters
    ----------
    per_photo : array_like, shape (n_photos,) or (n_photos, k)
        One value (or one row of ``k`` values, e.g. one per method) per photo:
        the photo's mean over its cases.
    statistic : callable, optional
        Maps the resampled means, shape ``(resamples,)`` or ``(resamples, k)``,
        to one value per resample (e.g. the U-Net's margin over the best of
        ``k - 1`` rivals). Default: the mean itself (``k`` must be 1).
    resamples : int, optional
        How many times ``n_photos`` photos are drawn with replacement.
    level : float, optional
        Coverage of the interval (0.95: the 2.5th and 97.5th percentiles).
    seed : int, optional
        Seeds the draws, so the interval is reproducible.

    Returns
    -------
    low, high : float

    Examples
    --------
    Two photos scoring 0 and 2: a resample's mean is 0, 1 or 2 with
    probabilities 1/4, 1/2, 1/4, so the 95 % interval is [0, 2].

    >>> bootstrap_interval([0.0, 2.0])
    (0.0, 2.0)
    """
    values = np.asarray(per_photo, dtype=np.float64)
    if values.ndim not in (1, 2) or values.shape[0] < 2:
        raise ValueError(f"`per_photo` must hold at least two photos (rows), got shape {values.shape}.")
    if statistic is None and values.ndim == 2 and values.shape[1] != 1:
        raise ValueError("`statistic` must be given for several values per photo.")
    if not 0 < level < 1:
        raise ValueError(f"`level` must be between 0 and 1, got {level}.")
    if int(resamples) < 1:
        raise ValueError(f"`resamples` must be at least 1, got {resamples}.")
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, values.shape[0], size=(int(resamples), values.shape[0]))
    means = values[picks].mean(axis=1)
    stats = np.asarray(statistic(means) if statistic is not None else means, dtype=np.float64).reshape(-1)
    low, high = np.quantile(stats, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def _margin_over_best(means):
    """Column 0 minus the best of the other columns, per resample."""
    return means[:, 0] - means[:, 1:].max(axis=1)


def margin_check(per_photo, target=HELD_OUT_TARGET, resamples=RESAMPLES, seed=0):
    """The U-Net's margin over the best classical method, with bootstrap intervals over photos.

    Parameters
    ----------
    per_photo : dict
        ``method -> {'psnr_masked': [...], 'ssim_masked': [...]}``: each
        method's mean per photo, photos in the same order. Needs ``'unet'``
        and at least one of :data:`CLASSICAL_RIVALS`.

    Returns
    -------
    dict
        ``best_classical`` (by mean masked PSNR), ``psnr_margin_db`` and its
        ``psnr_margin_ci``; ``best_classical_ssim``, ``ssim_margin`` and
        ``ssim_margin_ci``; ``target_met``; the same margin for
        ``'unet_flips'`` when present. In every resample the best
        classical method is chosen again, so the interval includes the
        luck of which method comes out best.
    """
    rivals = [m for m in CLASSICAL_RIVALS if m in per_photo]
    if "unet" not in per_photo or not rivals:
        raise ValueError("`per_photo` must hold 'unet' and at least one classical method.")
    out = {}
    for metric, key in (("psnr_masked", "psnr"), ("ssim_masked", "ssim")):
        means = {m: float(np.mean(per_photo[m][metric])) for m in rivals}
        best = max(rivals, key=means.get)
        for unet in ("unet", "unet_flips"):
            if unet not in per_photo:
                continue
            matrix = np.column_stack([per_photo[unet][metric]] + [per_photo[m][metric] for m in rivals])
            margin = float(np.mean(per_photo[unet][metric])) - means[best]
            low, high = bootstrap_interval(matrix, _margin_over_best, resamples, seed=seed)
            suffix = "" if unet == "unet" else "_flips"
            digits = 3 if key == "psnr" else 4
            out[f"{key}_margin{'_db' if key == 'psnr' else ''}{suffix}"] = round(margin, digits)
            out[f"{key}_margin_ci{suffix}"] = [round(low, digits), round(high, digits)]
        out["best_classical" if key == "psnr" else "best_classical_ssim"] = best
    out["target_met"] = bool(out["psnr_margin_db"] >= target["margin_db"]
                             and out["psnr_margin_ci"][0] > target["lower_end_db"]
                             and out["ssim_margin"] > 0)
    return out


def sharp_margin(per_photo, row, target=SHARP_TARGET, resamples=RESAMPLES, seed=0):
    """The sharp fill against the best classical method and the one-view U-Net, with intervals over photos.

    Parameters
    ----------
    per_photo : dict
        ``method -> {'psnr_masked': [...], ...}`` as :func:`margin_check`
        takes it; needs ``'sharp'`` and at least one classical method.
    row : dict
        The sharp fill's row of the table (its ``detail_ratio_median``).

    Returns
    -------
    dict
        ``best_classical``, ``psnr_margin_db`` (sharp minus the best
        classical, negative when below) and ``psnr_margin_ci`` (the best
        chosen again in each resample); ``psnr_vs_unet_db`` and its
        ``psnr_vs_unet_ci`` when the U-Net was scored; the
        ``detail_ratio_median`` and ``target_met``.
    """
    rivals = [m for m in CLASSICAL_RIVALS if m in per_photo]
    if "sharp" not in per_photo or not rivals:
        raise ValueError("`per_photo` must hold 'sharp' and at least one classical method.")
    sharp = np.asarray(per_photo["sharp"]["psnr_masked"], dtype=np.float64)
    means = {m: float(np.mean(per_photo[m]["psnr_masked"])) for m in rivals}
    best = max(rivals, key=means.get)
    matrix = np.column_stack([sharp] + [per_photo[m]["psnr_masked"] for m in rivals])
    low, high = bootstrap_interval(matrix, _margin_over_best, resamples, seed=seed)
    out = {"best_classical": best, "psnr_margin_db": round(float(sharp.mean()) - means[best], 3),
           "psnr_margin_ci": [round(low, 3), round(high, 3)]}
    if "unet" in per_photo:
        change = sharp - np.asarray(per_photo["unet"]["psnr_masked"], dtype=np.float64)
        low, high = bootstrap_interval(change, resamples=resamples, seed=seed)
        out["psnr_vs_unet_db"] = round(float(change.mean()), 3)
        out["psnr_vs_unet_ci"] = [round(low, 3), round(high, 3)]
    median = row.get("detail_ratio_median")
    out["detail_ratio_median"] = median
    out["target_met"] = bool(median is not None and median >= target["detail_ratio_median"]
                             and out["psnr_margin_db"] >= -target["psnr_below_best_classical_db"])
    return out


#: The figure's photos and mask families: faces, buildings, landscape, water, texture, sky.
FIGURE_CASES = (("astronaut", "square"), ("hawa_mahal", "brush"), ("machu_picchu", "square"),
                ("swans", "brush"), ("cheetah", "square"), ("maldives", "brush"))
#: The figure works on photos at the page's size (its longer side), as a participant sees them.
FIGURE_SIDE = 512


def evaluate_held_out(methods=HELD_OUT_METHODS, masks_per_view=2, crops=1, size=256, seed=0,
                      resamples=RESAMPLES, models_dir=MODELS_DIR, photos=None, progress=True):
    """Every method on the held-out set (:mod:`patchlab.inpainting.heldout`), with intervals over photos.

    Parameters
    ----------
    methods : sequence of str, optional
        Among :data:`HELD_OUT_METHODS`; models that are missing are listed
        under ``missing`` instead.
    masks_per_view, crops, size, seed : optional
        Each photo gives its whole view and ``crops`` seeded close-ups at
        ``size`` x ``size``, each with ``masks_per_view`` seeded masks per
        family (default: 2 views x 2 masks = 4 cases per photo and family).
    resamples : int, optional
        Bootstrap resamples of the photos (:func:`bootstrap_interval`).
    photos : list of Photo, optional
        Default: :func:`patchlab.inpainting.heldout.load` (fetched once).

    Returns
    -------
    dict
        ``families[family][method]``: mean metrics, their 95 % intervals
        (``psnr_masked_ci``, ``ssim_masked_ci``), median seconds and the
        number of cases, the detail ratio (:func:`detail_summary`);
        ``margins[family]``: :func:`margin_check`; ``sharp_margins[family]``:
        :func:`sharp_margin`;
        ``per_photo[family][method]``: masked PSNR per photo; the photos
        with their sources; how the cases and intervals were made.
    """
    from tqdm import tqdm

    photos = heldout.load() if photos is None else photos
    names = [p.name for p in photos]
    views = _data.evaluation_views(photos, size, crops, seed)
    fill, missing = _methods(methods, models_dir, one_view=True)
    families, per_photo, margins, sharp, cases_by_family = {}, {}, {}, {}, {}
    for family in FAMILIES:
        rng = np.random.default_rng([seed, 10 + FAMILIES.index(family)])
        cases = [(name.split("/")[0], img, random_mask(img.shape[:2], rng, family))
                 for name, img in views for _ in range(masks_per_view)]
        cases_by_family[family] = len(cases)
        rows, photo_means = {}, {}
        for method, fn in fill.items():
            if method not in CLASSICAL:
                fn(cases[0][1], cases[0][2])  # warm-up: the first model call traces the graph
            scores, seconds, owner, ratios = [], [], [], []
            for photo, img, mask in tqdm(cases, desc=f"held-out {family:6s} {method}", disable=not progress,
                                         leave=False):
                t = time.perf_counter()
                out = fn(img, mask)
                seconds.append(time.perf_counter() - t)
                scores.append(region_metrics(img, out, mask))
                ratios.append(detail_ratio(img, out, mask))
                owner.append(photo)
            row = _mean_scores(scores)
            photo_means[method] = {
                metric: [float(np.mean([min(s[metric], 100.0) for s, o in zip(scores, owner) if o == name]))
                         for name in names] for metric in ("psnr_masked", "ssim_masked")}
            for metric in ("psnr_masked", "ssim_masked"):
                low, high = bootstrap_interval(photo_means[method][metric], resamples=resamples, seed=seed)
                row[f"{metric}_ci"] = [round(low, 4), round(high, 4)]
            row.update(detail_summary(ratios, owner, resamples=resamples, seed=seed))
            row["seconds_per_image"] = round(float(np.median(seconds)), 4)
            row["n"] = len(scores)
            rows[method] = row
        families[family] = rows
        per_photo[family] = {m: [round(v, 3) for v in d["psnr_masked"]] for m, d in photo_means.items()}
        if "unet" in photo_means and any(m in photo_means for m in CLASSICAL_RIVALS):
            margins[family] = margin_check(photo_means, resamples=resamples, seed=seed)
        if "sharp" in photo_means and any(m in photo_means for m in CLASSICAL_RIVALS):
            sharp[family] = sharp_margin(photo_means, rows["sharp"], resamples=resamples, seed=seed)
    return {
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "photos": heldout.records(),
        "sources": {name: {"client": p.client, "version": p.version, "sha256": p.sha256, "about": p.about}
                    for name, p in heldout.PACKAGES.items()},
        "view_size": size,
        "views_per_photo": 1 + crops,
        "masks_per_view": masks_per_view,
        "cases_per_photo_and_family": (1 + crops) * masks_per_view,
        "cases": cases_by_family,
        "seed": seed,
        "bootstrap": {"resamples": int(resamples), "level": 0.95, "unit": "photo", "kind": "percentile",
                      "seed": seed},
        "unet_views": "'unet' is one view (no test-time flips); 'unet_flips' averages 4 mirrored views",
        "rivals": [m for m in CLASSICAL_RIVALS if m in fill],
        "target": dict(HELD_OUT_TARGET, ssim="higher masked SSIM than every classical method"),
        "families": families,
        "margins": margins,
        "sharp_target": dict(SHARP_TARGET),
        "sharp_margins": sharp,
        "detail_ratio": {"sigma": detail.SIGMA, "erode_px": detail.ERODE, "flat_energy": detail.FLAT_ENERGY,
                         "about": "energy of the grey image minus its Gaussian blur inside the hole eroded by "
                                  "erode_px, fill over original; cases whose original is flat there (mean "
                                  "squared detail under flat_energy) are skipped"},
        "per_photo_psnr_masked": per_photo,
        "missing": missing,
        "labels": {m: LABELS[m] for m in fill},
    }


def format_held_out_table(section):
    """The held-out section of the report as a Markdown table (intervals in brackets)."""
    lines = ["| masks | method | PSNR masked (dB) [95 % interval] | SSIM masked [95 % interval] | "
             "PSNR whole (dB) | SSIM whole | s / image |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for family, rows in section["families"].items():
        for method, r in rows.items():
            lo, hi = r["psnr_masked_ci"]
            slo, shi = r["ssim_masked_ci"]
            lines.append(
                f"| {family} | {LABELS.get(method, method)} | {r['psnr_masked']:.2f} [{lo:.2f}, {hi:.2f}] | "
                f"{r['ssim_masked']:.3f} [{slo:.3f}, {shi:.3f}] | {r['psnr_whole']:.2f} | "
                f"{r['ssim_whole']:.4f} | {r['seconds_per_image']:.3f} |")
    return "\n".join(lines)


def format_detail_table(families):
    """Masked PSNR and SSIM beside the detail ratio, per family and method, as a Markdown table.

    Parameters
    ----------
    families : dict
        ``family -> method -> row`` (a report's ``families``, or its held-out
        section's). A row's intervals are shown where it has them; a method
        measured before the detail ratio existed gets dashes.

    Returns
    -------
    str
    """
    def interval(row, key, digits):
        pair = row.get(key)
        return f" [{pair[0]:.{digits}f}, {pair[1]:.{digits}f}]" if pair else ""

    lines = ["| masks | method | PSNR masked (dB) | SSIM masked | detail ratio: median | detail ratio: mean | "
             "cases counted |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for family, rows in families.items():
        for method, r in rows.items():
            if r.get("detail_ratio_median") is None:
                median = mean = counted = "–"
            else:
                median = f"{r['detail_ratio_median']:.2f}{interval(r, 'detail_ratio_median_ci', 2)}"
                mean = f"{r['detail_ratio']:.2f}{interval(r, 'detail_ratio_ci', 2)}"
                counted = f"{r['detail_ratio_cases']} of {r.get('n', '?')}"
            lines.append(f"| {family} | {LABELS.get(method, method)} | {r['psnr_masked']:.2f}"
                         f"{interval(r, 'psnr_masked_ci', 2)} | {r['ssim_masked']:.3f}"
                         f"{interval(r, 'ssim_masked_ci', 3)} | {median} | {mean} | {counted} |")
    return "\n".join(lines)


#: The height of each row of the held-out figure, in pixels.
FIGURE_ROW_HEIGHT = 240


def held_out_figure(section, photos=None, models_dir=MODELS_DIR, seed=0, path=FIGURE):
    """Six held-out photos, each masked / U-Net / sharp fill / best classical / original, cropped to the hole.

    Each photo is taken at the page's size (longer side :data:`FIGURE_SIDE`)
    with a seeded mask of the family in :data:`FIGURE_CASES`; the U-Net
    runs on one view (as the headline figures), the sharp fill
    (:func:`patchlab.inpainting.sharp.sharp_fill`, seed 0) adds the photo's
    texture to it, and the classical method is
    the best one of that family on the whole held-out set (``section``'s
    margins). Each row is scaled to :data:`FIGURE_ROW_HEIGHT` pixels (a small
    hole's pixels enlarged whole), so that every photo reads at one size.

    Returns
    -------
    path : Path
        The PNG written (atomically).
    """
    from patchlab.inpainting.display import comparison_grid, hole_box, overlay_mask
    from patchlab.inpainting.sharp import sharp_fill

    photos = {p.name: p for p in (heldout.load() if photos is None else photos)}
    unet = Inpainter.load(Path(models_dir) / MODEL_FILES["unet"], allow_outside_models=True, flips=1)
    rows = []
    for i, (name, family) in enumerate(FIGURE_CASES):
        image, _ = limit_size(photos[name].image, FIGURE_SIDE)
        mask = random_mask(image.shape[:2], np.random.default_rng([seed, 99, i]), family)
        best = section["margins"][family]["best_classical"]
        y0, y1, x0, x1 = hole_box(mask, margin=0.35)
        crop = np.s_[y0:y1, x0:x1]
        rows.append((f"{name} ({family} hole)",
                     [("masked", overlay_mask(image, mask)[crop]), ("U-Net", unet.inpaint(image, mask)[crop]),
                      ("sharp fill", sharp_fill(image, mask)[crop]),
                      (f"best classical: {LABELS[best].split(' (')[0]}", CLASSICAL[best][1](image, mask)[crop]),
                      ("original", image[crop])]))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    import io

    from PIL import Image

    png = io.BytesIO()
    Image.fromarray(comparison_grid(rows, row_height=FIGURE_ROW_HEIGHT)).save(png, format="PNG", optimize=True)  # a docs file: small beats fast
    runtime.write_atomically(path, png.getvalue())
    return path


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
    parser.add_argument("--sets", choices=("all", "held-out", "original"), default="all",
                        help="which tables to (re)compute; with --json the others are kept from the last report")
    parser.add_argument("--methods", default=",".join(METHODS), help="methods of the original three photos' table")
    parser.add_argument("--masks-per-view", type=int, default=4, help="masks per view, original three photos")
    parser.add_argument("--held-out-masks-per-view", type=int, default=2,
                        help="masks per view on the held-out set (2 views per photo)")
    parser.add_argument("--resamples", type=int, default=RESAMPLES, help="bootstrap resamples of the photos")
    parser.add_argument("--no-figure", action="store_true", help=f"do not write {FIGURE.relative_to(ROOT)}")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(EVAL_JSON))
    args = parser.parse_args(argv)

    runtime.tensorflow(threads=2)
    out = Path(args.out)
    report = (read_inpainting_report(out) or {}) if args.sets != "all" else {}
    if args.sets in ("all", "original"):
        report.update(evaluate_methods(tuple(m for m in args.methods.split(",") if m), args.masks_per_view,
                                       seed=args.seed))
        print(format_table(report))
        print(format_detail_table(report["families"]))
        for family, t in report["target"].items():
            print(f"{family}: U-Net vs {t['best_classical']}: {t['psnr_gain_db']:+.2f} dB masked PSNR, "
                  f"SSIM {t['ssim_masked_unet']:.3f} vs {t['ssim_masked_best_classical']:.3f} -> "
                  f"{'target met' if t['met'] else 'target MISSED'}"
                  + (f"; {t['psnr_gain_over_first_guess_db']:+.2f} dB over its harmonic first guess"
                     if "psnr_gain_over_first_guess_db" in t else ""))
    if args.sets in ("all", "held-out"):
        photos = heldout.load()
        section = evaluate_held_out(masks_per_view=args.held_out_masks_per_view, seed=args.seed,
                                    resamples=args.resamples, photos=photos)
        section["near_duplicates"] = _near_duplicate_check(photos)
        section["model"] = _model_fingerprint()
        if not args.no_figure and section["margins"]:
            section["figure"] = str(held_out_figure(section, photos, seed=args.seed).relative_to(ROOT))
        report["held_out_set"] = section
        print(format_held_out_table(section))
        print(format_detail_table(section["families"]))
        for line in held_out_verdicts(section) + sharp_verdicts(section):
            print(line)
    if args.json:
        runtime.write_atomically(out, (json.dumps(report, indent=2, allow_nan=False, default=str) + "\n").encode())
        if args.sets == "all":
            _update_card(report)
        print(f"wrote {out}")


def held_out_verdicts(section):
    """One sentence per mask family: the U-Net's margins with their intervals, and the verdict."""
    target = section.get("target", HELD_OUT_TARGET)
    lines = []
    for family, m in section["margins"].items():
        lo, hi = m["psnr_margin_ci"]
        line = (f"{family}: U-Net {m['psnr_margin_db']:+.2f} dB over the best classical method "
                f"({LABELS.get(m['best_classical'], m['best_classical'])}), 95 % interval "
                f"[{lo:+.2f}, {hi:+.2f}] dB; masked SSIM {m['ssim_margin']:+.3f} over the best classical "
                f"({LABELS.get(m['best_classical_ssim'], m['best_classical_ssim'])}); target "
                f"(+{target['margin_db']:g} dB, interval above +{target['lower_end_db']:g} dB, higher SSIM) "
                f"{'met' if m['target_met'] else 'MISSED'}.")
        if "psnr_margin_db_flips" in m:
            flo, fhi = m["psnr_margin_ci_flips"]
            line += (f" With 4 mirrored views: {m['psnr_margin_db_flips']:+.2f} dB "
                     f"[{flo:+.2f}, {fhi:+.2f}].")
        lines.append(line)
    return lines


def sharp_verdicts(section):
    """One sentence per mask family: the sharp fill's PSNR margin and detail ratio, and the verdict."""
    target = section.get("sharp_target", SHARP_TARGET)
    lines = []
    for family, m in section.get("sharp_margins", {}).items():
        lo, hi = m["psnr_margin_ci"]
        line = (f"{family}: sharp fill {m['psnr_margin_db']:+.2f} dB against the best classical method "
                f"({LABELS.get(m['best_classical'], m['best_classical'])}), 95 % interval [{lo:+.2f}, {hi:+.2f}] dB")
        if "psnr_vs_unet_db" in m:
            ulo, uhi = m["psnr_vs_unet_ci"]
            line += f"; {m['psnr_vs_unet_db']:+.2f} dB [{ulo:+.2f}, {uhi:+.2f}] against the one-view U-Net"
        median = m.get("detail_ratio_median")
        line += (f"; median detail ratio {median:.2f}" if median is not None else "; no detail ratio") + (
            f"; target (median detail ratio >= {target['detail_ratio_median']:g}, at most "
            f"{target['psnr_below_best_classical_db']:g} dB below the best classical) "
            f"{'met' if m['target_met'] else 'MISSED'}.")
        lines.append(line)
    return lines


def _model_fingerprint(model=MODELS_DIR / MODEL_FILES["unet"]):
    """Which U-Net was scored: its file's SHA-256 and its card's training date."""
    import hashlib

    try:
        digest = hashlib.sha256(Path(model).read_bytes()).hexdigest()
    except OSError:
        return None
    card = runtime.read_card(model) or {}
    return {"file": Path(model).name, "sha256": digest, "trained_at": card.get("trained_at")}


def _near_duplicate_check(photos):
    """The held-out photos against every training photo this machine has (the packaged ones, the caches)."""
    from patchlab.inpainting import debian_photos, opencv_photos

    training = list(_data.training_photos())
    for module in (opencv_photos, debian_photos):
        try:
            training += module.load(download=False)
        except OSError:
            pass
    return {"training_photos_checked": len(training), "threshold": 0.95,
            "pairs": [list(p) for p in heldout.near_duplicates(photos, training)]}


def _update_card(report, model=MODELS_DIR / MODEL_FILES["unet"]):
    """Copy the figures into the U-Net's model card (atomically; nothing if it has no card)."""
    card = runtime.read_card(model)
    if not card:
        return
    card["evaluation_vs_classical"] = {"families": report["families"], "target": report["target"],
                                       "created": report["created"], "views": report["views"],
                                       "masks_per_view": report["masks_per_view"]}
    if "held_out_set" in report:
        section = report["held_out_set"]
        card["evaluation_held_out_set"] = {
            "photos": [{k: p[k] for k in ("name", "package", "version", "file", "licence")}
                       for p in section["photos"]],
            "cases": section["cases"], "margins": section["margins"], "bootstrap": section["bootstrap"],
            "created": section["created"]}
    runtime.write_card(model, card)


if __name__ == "__main__":
    main()
