"""Pictures for the Classification page: the input with its patches, tiles, probability bars.

Pure functions returning arrays or matplotlib figures (no Streamlit).
"""

from __future__ import annotations

import copy

import numpy as np

from patchlab.i18n import _
from patchlab.visualize import figure_png  # noqa: F401 - one renderer for every page's figures

#: One colour per patch (top-left, top-right, bottom-left, bottom-right), colour-blind safe.
PATCH_COLOURS = ("#e69f00", "#56b4e9", "#009e73", "#cc79a7")
FUSED_COLOUR = "#d55e00"


def _rgb(hex_colour: str) -> np.ndarray:
    h = hex_colour.lstrip("#")
    return np.array([int(h[i:i + 2], 16) for i in (0, 2, 4)], np.uint8)


def _gray_to_rgb(x: np.ndarray, scale: int) -> np.ndarray:
    big = np.kron(np.clip(np.asarray(x, np.float32), 0, 1), np.ones((scale, scale), np.float32))
    return np.repeat((big * 255).astype(np.uint8)[..., None], 3, axis=2)


def outlined_input(x28: np.ndarray, origins, patch_size: int, scale: int = 10, line: int = 3) -> np.ndarray:
    """The 28x28 input, enlarged, with each patch outlined in its colour.

    Outlines are inset by a different amount per patch so overlapping edges stay visible.

    Returns
    -------
    ndarray of uint8, shape (28 * scale, 28 * scale, 3)
    """
    image = _gray_to_rgb(x28, scale)
    for k, (r, c) in enumerate(origins):
        colour = _rgb(PATCH_COLOURS[k % len(PATCH_COLOURS)])
        inset = k * (line // 2 + 1) if len(origins) > 1 else 0
        top, left = r * scale + inset, c * scale + inset
        bottom, right = (r + patch_size) * scale - 1 - inset, (c + patch_size) * scale - 1 - inset
        image[top:top + line, left:right + 1] = colour
        image[bottom - line + 1:bottom + 1, left:right + 1] = colour
        image[top:bottom + 1, left:left + line] = colour
        image[top:bottom + 1, right - line + 1:right + 1] = colour
    return image


def patch_tile(x28: np.ndarray, origin, patch_size: int, colour: str, scale: int = 8, border: int = 4) -> np.ndarray:
    """One patch, enlarged, framed in its colour; uint8 RGB."""
    r, c = origin
    tile = _gray_to_rgb(np.asarray(x28)[r:r + patch_size, c:c + patch_size], scale)
    framed = np.pad(tile, ((border, border), (border, border), (0, 0)))
    framed[:border], framed[-border:] = _rgb(colour), _rgb(colour)
    framed[:, :border], framed[:, -border:] = _rgb(colour), _rgb(colour)
    return framed


#: Text on the charts: near-black on white (light grey labels cannot be read on a projector).
INK = "#1a1a1a"


def probability_chart(patch_probs: np.ndarray, fused: np.ndarray, label: int, names, rule: str):
    """Bar charts of the class probabilities: one per patch and one fused, as a Vega-Lite chart.

    The browser draws it, so a stroke on the canvas costs the server a few
    milliseconds instead of rendering a figure (large type for projectors).
    The bar of each chart's top class is solid, the others pale.

    Returns
    -------
    rows : list of dict
        ``chart, digit, probability, top`` for every chart and digit.
    spec : dict
        A Vega-Lite specification for those rows (for ``st.vega_lite_chart``).
    """
    patch_probs = np.asarray(patch_probs, dtype=float)
    fused = np.asarray(fused, dtype=float)
    if patch_probs.ndim != 2 or patch_probs.shape[1] != 10 or fused.shape != (10,):
        raise ValueError(f"expected (n, 10) patch probabilities and 10 fused ones, got "
                         f"{patch_probs.shape} and {fused.shape}")
    charts = [(p, PATCH_COLOURS[k % 4], names[k], int(np.argmax(p))) for k, p in enumerate(patch_probs)]
    charts.append((fused, FUSED_COLOUR, _("fused ({rule})").format(rule=rule), int(label)))
    titles = [f"{name}: {top}" for _, _, name, top in charts]
    rows = [
        {"chart": title, "digit": d, "probability": round(float(probs[d]), 4), "top": d == top}
        for (probs, _, _, top), title in zip(charts, titles)
        for d in range(10)
    ]
    spec = {
        "facet": {"column": {"field": "chart", "type": "nominal", "sort": titles, "title": None,
                             "header": {"labelFontSize": 16, "labelFontWeight": "bold"}}},
        "spec": {
            "width": 150 if len(charts) > 2 else 240,
            "height": 260,  # read from the back of a room
            "mark": {"type": "bar"},
            "encoding": {
                "x": {"field": "digit", "type": "ordinal", "title": None,
                      "axis": {"labelAngle": 0, "labelFontSize": 16, "labelOverlap": False, "labelColor": INK}},
                "y": {"field": "probability", "type": "quantitative", "scale": {"domain": [0, 1]}, "title": _("probability"),
                      "axis": {"labelFontSize": 15, "titleFontSize": 15, "format": ".0%", "labelColor": INK,
                               "titleColor": INK, "tickCount": 5}},
                "color": {"field": "chart", "type": "nominal", "legend": None,
                          "scale": {"domain": titles, "range": [c for _, c, _, _ in charts]}},
                "opacity": {"condition": {"test": "datum.top", "value": 1.0}, "value": 0.35},
                "tooltip": [{"field": "chart", "title": _("chart")}, {"field": "digit", "title": _("digit")},
                            {"field": "probability", "format": ".1%", "title": _("probability")}],
            },
        },
    }
    return rows, spec


def probability_panels(spec: dict) -> list[dict]:
    """The chart of :func:`probability_chart` as one Vega-Lite chart per panel, each as wide as its container.

    A faceted chart has a fixed width (five panels need about 850 px and are
    cut off on a phone); the page puts these panels in columns instead,
    side by side on a wide screen, one under another on a phone. Each panel
    keeps the facet's bars, colours and title; use it with the same rows.

    Returns
    -------
    list of dict
        One Vega-Lite specification per panel, in the facet's order.
    """
    try:
        titles, inner = spec["facet"]["column"]["sort"], spec["spec"]
    except (KeyError, TypeError):
        raise ValueError("spec must be a chart from probability_chart") from None
    header = spec["facet"]["column"].get("header", {})
    panels = []
    for title in titles:
        panel = copy.deepcopy({k: v for k, v in inner.items() if k != "width"})
        panel["width"] = "container"
        panel["title"] = {"text": title, "fontSize": max(18, header.get("labelFontSize", 16)),
                          "fontWeight": header.get("labelFontWeight", "bold"), "color": INK}
        panel["transform"] = [{"filter": {"field": "chart", "equal": title}}]
        panels.append(panel)
    return panels


def accuracy_figure(rows: list[dict]):
    """Accuracy vs. patch size from :func:`patchlab.classification.evaluate.size_table` rows."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    rows = [r for r in rows if "mean %" in r]
    sizes = [r["patch size"] for r in rows]
    fig = Figure(figsize=(8, 3.6), layout="constrained")
    ax = fig.subplots()
    curves = [
        ("worst single patch %", _("worst single patch"), "#999999", "--"),
        ("best single patch %", _("best single patch"), "#555555", "-"),
        ("mean %", _("fused: mean"), FUSED_COLOUR, "-"),
        ("product %", _("fused: product"), "#0072b2", "-"),
        ("mouse-drawn (mean) %", _("mouse-drawn, fused: mean"), FUSED_COLOUR, ":"),
    ]
    for key, label, colour, style in curves:
        if all(key in r for r in rows):
            ax.plot(sizes, [r[key] for r in rows], style, color=colour, marker="o", lw=2.5, label=label)
    ax.set_xticks(sizes, [_("{size}\n(whole)").format(size=s) if s == 28 else str(s) for s in sizes])
    ax.set_xlabel(_("patch size"), fontsize=13)
    ax.set_ylabel(_("test accuracy %"), fontsize=13)
    ax.tick_params(labelsize=12)
    low = min([r[k] for r in rows for k, *_ in curves if k in r] or [90])
    ax.set_ylim(max(0, low - 3), 100.5)
    ax.grid(alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=11, loc="lower right")
    return fig
