"""What the Upsampling page draws: pixelated enlargements, value tables, matplotlib figures.

Pure functions returning arrays, pandas ``Styler`` tables or matplotlib
``Figure`` objects (no pyplot state, no Streamlit); matplotlib and pandas
are imported inside the functions that need them.
"""

from __future__ import annotations

import numpy as np

from patchlab.i18n import _
from patchlab.upsampling._checks import check_factor, check_image, check_kernel, whole
from patchlab.upsampling.kernels import kernel_profile
from patchlab.upsampling.stamps import overlap_count, stamp_origins
from patchlab.visualize import figure_png  # noqa: F401 - one renderer for every page's figures

__all__ = [
    "pixelate",
    "coloured_value_table",
    "strengths_table",
    "annotated_heatmap_figure",
    "stamps_figure",
    "figure_png",
    "STAMP_COLOURS",
]

# Okabe and Ito's colour-blind-safe palette (without black and yellow, which the
# dots and the white bar edges would hide), ordered so neighbouring stamps differ
# in lightness as well as hue.
COMPACT_CELLS = "font-size: min(0.875rem, 2.7vw); padding: min(0.375rem, 0.6vw) min(0.75rem, 0.6vw)"
STAMP_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")


def pixelate(image, scale):
    """Enlarge by repeating every pixel ``scale`` times (no smoothing), for display.

    A browser scaling a small image smooths it and would hide the very
    checkerboards this page is about.

    Examples
    --------
    >>> pixelate(np.eye(2), 2)
    array([[1., 1., 0., 0.],
           [1., 1., 0., 0.],
           [0., 0., 1., 1.],
           [0., 0., 1., 1.]])
    """
    image = check_image(image)
    scale = whole(scale, "scale")
    return np.repeat(np.repeat(image, scale, axis=0), scale, axis=1)



def _relative_luminance(rgb):
    """WCAG 2 relative luminance of sRGB colours in [0, 1], shape (..., 3)."""
    rgb = np.asarray(rgb, dtype=np.float64)
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])


def _cell_colours(values, cmap):
    """CSS per cell: the colour map's colour over the table's range, and black or white text.

    The text colour is whichever contrasts more with the cell: black above a
    relative luminance of 0.179, white below, which keeps every cell at a
    contrast ratio of at least 4.58:1 (WCAG AA asks 4.5:1).
    """
    from matplotlib import colormaps

    values = np.asarray(values, dtype=np.float64)
    lo, hi = float(values.min()), float(values.max())
    scaled = (values - lo) / (hi - lo) if hi > lo else np.zeros_like(values)
    rgb = colormaps[cmap](scaled)[..., :3]
    dark_text = _relative_luminance(rgb) > 0.179
    hexes = np.vectorize(lambda r, g, b: f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}")(
        rgb[..., 0], rgb[..., 1], rgb[..., 2])
    return np.where(dark_text, "background-color: " + hexes + "; color: #000000",
                    "background-color: " + hexes + "; color: #ffffff")


def coloured_value_table(values, fmt, cmap):
    """A small 2-D array as a table of its values, each cell coloured by its value.

    A heat map that shows its numbers, for ``st.table``: one colour scale
    over the whole table, no index or header, and black or white text,
    whichever contrasts more with the cell (at least 4.5:1).

    Parameters
    ----------
    values : ndarray, shape (h, w)
    fmt : str
        Format of each value, e.g. ``"{:.3f}"`` or ``"{:d}"``.
    cmap : str
        A matplotlib colour map name.

    Returns
    -------
    table : pandas.io.formats.style.Styler
    """
    import pandas as pd

    values = np.asarray(values)
    if values.ndim != 2 or values.size == 0:
        raise ValueError(f"`values` must be a non-empty 2-D array, got shape {values.shape}.")
    table = pd.DataFrame(values)
    table.columns = [str(c) for c in table.columns]
    style = table.style.apply(lambda _: pd.DataFrame(_cell_colours(values, cmap), index=table.index,
                                                     columns=table.columns), axis=None).format(fmt)
    # Cells shrink with a narrow screen (a 12-column table fits 390 px) and keep the usual size on a wide one.
    style = style.set_table_styles([{"selector": "td", "props": COMPACT_CELLS}])
    return style.hide(axis="index").hide(axis="columns")


def strengths_table(rows):
    """The checkerboard strength of each method as a two-column table, for ``st.table``.

    Unlike an interactive data frame, a table wraps long method names, so
    both columns fit a phone's width.

    Parameters
    ----------
    rows : list of dict
        ``{"method": str, "checkerboard strength": float}`` per method.

    Returns
    -------
    table : pandas.io.formats.style.Styler
        The strengths written with four decimals; no index.
    """
    import pandas as pd

    table = pd.DataFrame(list(rows), columns=["method", "checkerboard strength"])
    if table.empty:
        raise ValueError("`rows` must name at least one method.")
    names = {"method": _("method"), "checkerboard strength": _("checkerboard strength")}  # the headers, translated
    return table.rename(columns=names).style.format({names["checkerboard strength"]: "{:.4f}"}).hide(axis="index")


def annotated_heatmap_figure(values, title, fmt="{:.2f}", annotate=None, size=3.2, cmap="viridis"):
    """A heatmap of a small 2-D array with its values written in the cells.

    Parameters
    ----------
    values : ndarray, shape (h, w)
    title : str
    fmt : str
        Format of the written values.
    annotate : bool, optional
        Write the values; default when the array has at most 400 cells.
    size : float
        Figure width and height in inches.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.size == 0:
        raise ValueError(f"`values` must be a non-empty 2-D array, got shape {values.shape}.")
    fig = Figure(figsize=(size, size), layout="constrained")
    ax = fig.subplots()
    lo, hi = float(values.min()), float(values.max())
    ax.imshow(values, cmap=cmap, vmin=lo, vmax=hi if hi > lo else lo + 1, interpolation="nearest")
    if annotate is None:
        annotate = values.size <= 400
    if annotate:
        n = max(values.shape)
        fontsize = max(4.0, min(10.0, 90.0 / n))
        mid = (lo + hi) / 2
        for (y, x), v in np.ndenumerate(values):
            ax.text(x, y, fmt.format(v), ha="center", va="center", fontsize=fontsize,
                    color="black" if v > mid else "white")
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    return fig


def stamps_figure(kernel, factor, n=5):
    """1-D picture of the overlap-add: ``n`` input pixels of value 1 each stamp the kernel.

    Top: the stamps (the kernel's :func:`kernel_profile`) stacked where
    they overlap, so the height of each column is the output there; the
    grey parts are cropped by ``padding='same'``. Bottom: how many stamps
    overlap at each output pixel (:func:`overlap_count`). The stamps take
    their colours from :data:`STAMP_COLOURS`, which colour-blind viewers
    can tell apart.

    Returns
    -------
    fig : matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    kernel = check_kernel(kernel)
    factor = check_factor(factor)
    n = whole(n, "n")
    k = kernel.shape[0]
    profile = kernel_profile(kernel, factor)
    origins = stamp_origins(n, k, factor)
    length = n * factor
    lo, hi = int(min(origins.min(), 0)), int(max(origins.max() + k, length))
    xs = np.arange(lo, hi)
    fig = Figure(figsize=(6.4, 3.6), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1.3])
    base = np.zeros(hi - lo)
    colours = [STAMP_COLOURS[i % len(STAMP_COLOURS)] for i in range(n)]
    for i, o in enumerate(origins):
        h = np.zeros(hi - lo)
        h[o - lo: o - lo + k] = profile
        top.bar(xs, h, bottom=base, width=0.92, color=colours[i], edgecolor="white", linewidth=0.5,
                label=_("stamp of input pixel {i}").format(i=i))
        base += h
    top.plot(xs, base, "k.", markersize=4)
    for ax in (top, bottom):
        ax.axvspan(lo - 0.5, -0.5, color="0.85", zorder=0)
        ax.axvspan(length - 0.5, hi - 0.5, color="0.85", zorder=0)
    top.set_ylabel(_("summed weight"))
    top.set_title(_("{n} input pixels of value 1, kernel size {k}, stride {factor} "
                  "(grey: cropped by padding='same')").format(n=n, k=k, factor=factor), fontsize=9)
    counts = overlap_count((1, n), k, factor)[0]
    bottom.bar(np.arange(length), counts, width=0.92, color="0.35")
    for x, c in enumerate(counts):
        bottom.text(x, c, str(c), ha="center", va="bottom", fontsize=7)
    bottom.set_ylim(0, max(int(counts.max()), 1) * 1.4)
    bottom.set_ylabel(_("stamps"))
    bottom.set_xlabel(_("output pixel"))
    return fig
