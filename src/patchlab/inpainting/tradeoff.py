"""The perception–distortion trade-off, for the Inpainting page: a chart and a zoomed before/after.

PSNR rewards the fill with the smallest squared error, and when a hole
could hold many different textures that is their blurry average; a fill
with texture as fine as the photo's pays for every grain that is not
exactly in place (Blau & Michaeli, "The perception–distortion tradeoff",
CVPR 2018). Each method is a point: masked PSNR (up: closer to the photo
pixel for pixel) against the detail ratio (right: as much fine detail as
the photo, :func:`patchlab.inpainting.detail.detail_ratio`).

Pure functions (no Streamlit): :func:`fill_points` for a participant's own
fill, :func:`held_out_points` from the evaluation report, :func:`chart`
for a Vega-Lite specification of either or both, and
:func:`zoomed_before_after` for the hole's crop in each fill, enlarged
pixel for pixel.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from patchlab.i18n import N_, _
from patchlab.inpainting.detail import detail_ratio
from patchlab.inpainting.evaluate import LABELS, region_metrics

__all__ = ["WHY_SMOOTH_WINS", "fill_points", "held_out_points", "chart", "zoomed_before_after"]

#: The page's one sentence on why the smoothest fill wins PSNR (marked: shown as ``_(WHY_SMOOTH_WINS)``).
WHY_SMOOTH_WINS = N_("PSNR rewards the fill closest to the photo on average, and when the hole could hold many "
                   "different textures the closest on average is their blurry mean: a fill with real grain "
                   "loses points for every grain not exactly in place, though it looks more like a photo.")


def fill_points(original, fills, mask, labels=None):
    """One point per method for a participant's fill: masked PSNR and detail ratio.

    Parameters
    ----------
    original : ndarray of uint8, shape (H, W, 3)
    fills : dict of str -> ndarray of uint8, shape (H, W, 3)
        Method key -> its result.
    mask : ndarray of bool, shape (H, W)
        The hole (not empty).
    labels : dict, optional
        Method key -> name shown (default: the evaluation's labels).

    Returns
    -------
    list of dict
        ``method, label, set, psnr, detail`` (``detail`` is None where the
        photo is flat in the hole, or the hole too thin to measure), plus
        ``psnr_low, psnr_high, detail_low, detail_high`` as None (one case
        has no interval).

    Examples
    --------
    >>> photo = np.random.default_rng(0).integers(0, 256, (32, 32, 3)).astype(np.uint8)
    >>> hole = np.zeros((32, 32), bool); hole[8:24, 8:24] = True
    >>> flat = photo.copy(); flat[hole] = 128
    >>> [p["detail"] for p in fill_points(photo, {"flat": flat}, hole)]
    [0.0]
    """
    labels = {**LABELS, **(labels or {})}
    points = []
    for method, filled in fills.items():
        ratio = detail_ratio(original, filled, mask)
        psnr = region_metrics(original, filled, mask)["psnr_masked"]
        points.append({"method": method, "label": labels.get(method, method), "set": N_("your fill"),
                       "psnr": round(min(psnr, 100.0), 2), "detail": None if math.isnan(ratio) else round(ratio, 3),
                       "psnr_low": None, "psnr_high": None, "detail_low": None, "detail_high": None})
    return points


def held_out_points(section, family, methods=None):
    """One point per method from the held-out evaluation (``report['held_out_set']``), with 95 % intervals.

    Parameters
    ----------
    section : dict
        The report's held-out section (:func:`patchlab.inpainting.evaluate.evaluate_held_out`).
    family : {'square', 'brush'}
    methods : sequence of str, optional
        Which methods (default: every method with a detail ratio).

    Returns
    -------
    list of dict
        As :func:`fill_points`, with ``set`` naming the held-out set and its
        size; PSNR and detail ratio are means over the photos, with their
        intervals. Methods measured before the detail ratio existed are left out.
    """
    try:
        rows = section["families"][family]
    except (KeyError, TypeError):
        raise ValueError(f"`section` has no held-out results for the family {family!r}.") from None
    photos = len(section.get("photos", [])) or None
    cases = section.get("cases", {}).get(family)
    name = (_("held-out set ({photos} photos, {cases} cases)").format(photos=photos, cases=cases) if photos and cases
            else _("held-out set"))
    points = []
    for method, r in rows.items():
        if (methods is not None and method not in methods) or r.get("detail_ratio") is None:
            continue
        plo, phi = r.get("psnr_masked_ci") or (None, None)
        dlo, dhi = r.get("detail_ratio_ci") or (None, None)
        points.append({"method": method, "label": LABELS.get(method, method), "set": name,
                       "psnr": r["psnr_masked"], "detail": r["detail_ratio"], "psnr_low": plo, "psnr_high": phi,
                       "detail_low": dlo, "detail_high": dhi})
    return points


def _in_words(point):
    """A point with its method and its set named in the reader's language."""
    label, measured_on = point["label"], point["set"]
    return {**point, "label": _(label), "set": _(measured_on)}


def chart(points):
    """A Vega-Lite scatter of PSNR against detail ratio, with interval bars where the points have them.

    Returns
    -------
    rows : list of dict
        The points that can be drawn (those with a detail ratio).
    spec : dict
        For ``st.vega_lite_chart(rows, spec)``; as wide as its container.
    """
    # the names are shown in the reader's language (the points keep them in English)
    rows = [_in_words(p) for p in points if p.get("detail") is not None and p.get("psnr") is not None]
    colour = {"field": "label", "type": "nominal", "title": _("method"), "legend": {"orient": "bottom", "columns": 1}}
    x = {"field": "detail", "type": "quantitative", "title": _("detail ratio (1 = as much fine detail as the photo)")}
    y = {"field": "psnr", "type": "quantitative", "title": _("masked PSNR (dB)"), "scale": {"zero": False}}
    spec = {
        "width": "container",
        "height": 340,  # the plot's own height: the legends below add to it, never take from it
        "autosize": {"type": "fit-x", "contains": "padding"},
        "layer": [
            {"mark": {"type": "rule", "strokeWidth": 1.5},
             "transform": [{"filter": "datum.detail_low != null"}],
             "encoding": {"x": {"field": "detail_low", "type": "quantitative"}, "x2": {"field": "detail_high"},
                          "y": {"field": "psnr", "type": "quantitative"}, "color": colour}},
            {"mark": {"type": "rule", "strokeWidth": 1.5},
             "transform": [{"filter": "datum.psnr_low != null"}],
             "encoding": {"y": {"field": "psnr_low", "type": "quantitative"}, "y2": {"field": "psnr_high"},
                          "x": {"field": "detail", "type": "quantitative"}, "color": colour}},
            {"mark": {"type": "point", "filled": True, "size": 160},
             "encoding": {"x": x, "y": y, "color": colour,
                          "shape": {"field": "set", "type": "nominal", "title": _("measured on"),
                                    "legend": {"orient": "bottom"}},
                          "tooltip": [{"field": "label", "title": _("method")},
                                      {"field": "set", "title": _("measured on")},
                                      {"field": "psnr", "title": _("masked PSNR (dB)"), "format": ".2f"},
                                      {"field": "detail", "title": _("detail ratio"), "format": ".2f"}]}},
        ],
        # large dark type: read from the back of a room; legends whole
        "config": {"axis": {"labelFontSize": 16, "titleFontSize": 16, "labelColor": "#1a1a1a", "titleColor": "#1a1a1a"},
                   "legend": {"labelFontSize": 15, "titleFontSize": 15, "labelLimit": 0, "labelColor": "#1a1a1a",
                              "titleColor": "#1a1a1a"}},
    }
    return rows, spec


def zoomed_before_after(original, fills, mask, margin=0.25, side=360):
    """The hole's neighbourhood in the photo and in each fill, enlarged pixel for pixel.

    Parameters
    ----------
    original : ndarray of uint8, shape (H, W, 3)
    fills : dict of str -> ndarray of uint8, shape (H, W, 3)
        Name shown -> that fill (e.g. ``{"U-Net (smooth)": ..., "sharp fill": ...}``).
    mask : ndarray of bool, shape (H, W)
    margin : float, optional
        Context around the hole's box, as a share of the box's larger side.
    side : int, optional
        The crops are enlarged by the whole factor that brings their larger
        side closest to this (at least 1: never shrunk).

    Returns
    -------
    list of (str, ndarray of uint8)
        ``("photo", crop)`` first (the word in the reader's language), then one crop per fill, all the same shape.

    Examples
    --------
    >>> photo = np.zeros((64, 64, 3), np.uint8); hole = np.zeros((64, 64), bool); hole[30:34, 30:34] = True
    >>> [(name, crop.shape) for name, crop in zoomed_before_after(photo, {"x": photo}, hole, side=36)]
    [('photo', (36, 36, 3)), ('x', (36, 36, 3))]
    """
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        raise ValueError("`mask` is empty: there is no hole to zoom on.")
    if side < 1 or margin < 0:
        raise ValueError(f"`side` must be >= 1 and `margin` >= 0, got {side!r} and {margin!r}.")
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    extent = max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
    grow = max(4, int(round(margin * extent)))
    h, w = mask.shape
    y0, y1 = max(0, rows[0] - grow), min(h, rows[-1] + 1 + grow)
    x0, x1 = max(0, cols[0] - grow), min(w, cols[-1] + 1 + grow)
    zoom = max(1, int(round(side / max(y1 - y0, x1 - x0))))

    def enlarge(image):
        crop = np.ascontiguousarray(np.asarray(image)[y0:y1, x0:x1])
        return cv2.resize(crop, ((x1 - x0) * zoom, (y1 - y0) * zoom), interpolation=cv2.INTER_NEAREST)

    return [(_("photo"), enlarge(original))] + [(name, enlarge(image)) for name, image in fills.items()]
