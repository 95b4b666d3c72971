"""The Patches page's notebook: cut the participant's photo into patches, weigh them, merge them back.

Its code cells are the patch engine's own functions (:mod:`patchlab.patches.api`):
the argument checks, the 1-D windows, the grid, the strided-view
``patchify``, the separable coverage and weight map, and the merge written
as a plain loop (``unpatchify_reference``, the definition the compiled merge
is tested against). The notebook recomputes the page's numbers with them
and compares.
"""

from __future__ import annotations

import numpy as np

from patchlab.images import SAMPLES
from patchlab.patches import api
from patchlab.patches.demo import MAX_SIDE, MERGE_BUDGET_BYTES, intro
from patchlab.notebooks.book import Draft, array_digest, function_source
from patchlab.notebooks.photo import add_photo, photo_packages

__all__ = ["patches_notebook"]


def _page_numbers(photo, result):
    report, s = result.report, result.settings
    i, j = result.highlight_index
    covered = report.coverage > 0
    weights = report.weights[covered]
    return {
        "photo fingerprint": array_digest(photo),
        "patch rows, columns": list(report.grid),
        "patches": int(report.n_patches),
        "patch elements": int(report.n_elements),
        "contiguous copy, bytes": int(report.copy_bytes),
        "patches are a view of the image": bool(report.is_view),
        "coverage fingerprint": array_digest(report.coverage.astype(np.int64)),
        "pixels no patch covers": int(report.uncovered),
        "smallest merge weight": float(weights.min()) if weights.size else 0.0,
        "largest merge weight": float(weights.max()) if weights.size else 0.0,
        "highlighted patch origin (y, x)": [int(report.origins_y[i]), int(report.origins_x[j])],
        "round-trip max error": None if report.max_error is None else float(report.max_error),
    }


def patches_notebook(photo, result, today=None):
    """The take-home notebook of the Patches page.

    Parameters
    ----------
    photo : ndarray of uint8, shape (H, W, 3)
        The photo the page works on (a sample at the page's size, or the
        participant's upload).
    result : patchlab.patches.demo.PatchesResult
        What :func:`~patchlab.patches.demo.analyse_photo` returned for it;
        ``result.settings.image`` names the sample (``"upload"`` for an upload).
    today : datetime.date, optional
        The date in the file name (default: today).

    Returns
    -------
    Download
        A lone ``.ipynb`` for a sample photo (the notebook reads it from
        scikit-image or scikit-learn by name); a ``.zip`` with the photo as
        a PNG for an upload.

    Raises
    ------
    NotebookError
        When the download would be too large.

    Examples
    --------
    The page's call, after ``result = analyse_photo(image, settings)``:

    >>> download = patches_notebook(image, result)  # doctest: +SKIP
    """
    s = result.settings
    (ph, pw), (sh, sw) = s.patch, s.stride
    name = s.image
    page = _page_numbers(photo, result)
    report = result.report
    draft = Draft("Patches", f"{name} p{ph}x{pw} s{sh}x{sw} {s.window} {s.edge}",
                  ["numpy", "scipy", "pillow", "matplotlib", *photo_packages(name)], f"""# Patches: your session

What the Patches page showed you, recomputed step by step with the patch engine's own code.
Your settings: **{name if name in SAMPLES else 'your own photo'}**, patch {ph}×{pw}, stride {sh}×{sw},
blending window *{s.window}*, edges *{s.edge}*, highlighted patch {s.highlight}.

{intro(s)}""")
    draft.code("""
        import numbers

        import matplotlib.pyplot as plt
        import numpy as np
        from PIL import Image
        from scipy.signal import windows as _sig_windows
        """, intro="The libraries: NumPy for the arrays, SciPy for the Hann and Gaussian windows, Pillow to "
                   "read the photo, Matplotlib to draw.")
    draft.record(page, {"smallest merge weight": 1e-9 * page["smallest merge weight"],
                        "largest merge weight": 1e-9 * page["largest merge weight"],
                        "round-trip max error": 1e-6},
                 f"The page measured these on the photo ({result.image_shape[1]}×{result.image_shape[0]}) "
                 "with your settings.")
    add_photo(draft, photo, name, MAX_SIDE)
    draft.code(f"""
        P, S, WINDOW, EDGE = ({ph}, {pw}), ({sh}, {sw}), {s.window!r}, {s.edge!r}
        HIGHLIGHT = {int(s.highlight)}
        x = photo.astype(np.float32) / 255.0  # the page works on float32 in [0, 1]
        """, intro="Your settings, and the photo as the page works on it.")

    _cutting_cells(draft, result)
    _merging_cells(draft, result)
    draft.code("""
        weights_covered = weights[covered]
        OURS = {
            "photo fingerprint": array_digest(photo),
            "patch rows, columns": [nh, nw],
            "patches": n_patches,
            "patch elements": n_elements,
            "contiguous copy, bytes": n_elements * 4,
            "patches are a view of the image": bool(np.shares_memory(patches, x)),
            "coverage fingerprint": array_digest(cov.astype(np.int64)),
            "pixels no patch covers": int((~covered).sum()),
            "smallest merge weight": float(weights_covered.min()) if weights_covered.size else 0.0,
            "largest merge weight": float(weights_covered.max()) if weights_covered.size else 0.0,
            "highlighted patch origin (y, x)": [int(oy[i]), int(ox[j])],
            "round-trip max error": max_error,
        }
        """, intro="## 7 · The notebook's numbers")
    draft.compare()
    return draft.finish(today)


def _cutting_cells(draft, result):
    """Sections 1-4: the checks, the windows, the grid, the strided view (and the page's grid picture)."""
    s = result.settings
    draft.code("EDGES = ('valid', 'pad', 'shift')\nWINDOWS = ('uniform', 'tent', 'hann', 'gaussian')\n\n"
               + function_source(api._pair, api._image_shape, api._geometry, api._check_edge,
                                 api._check_window, api._check_geometry),
               intro="## 1 · Argument checks\n\nThe same checks the app runs: a bad size or an unknown "
                     "edge policy is refused with a sentence, never a deep error.")
    draft.code(function_source(api.tent, api.window_1d), intro=(
        "## 2 · Blending windows\n\nWhen patches are merged back, each one is multiplied by a *window*: "
        "flat (`uniform`), a tent, a Hann bell or a Gaussian. Every window stays strictly positive, so "
        "every pixel a patch covers keeps some weight."))
    draft.code(function_source(api.patch_origins, api._padded_length, api.grid_shape), intro=(
        "## 3 · The grid\n\nWhere the patches start along one axis. `valid` drops the remainder, `pad` "
        "reflect-pads the image until the grid reaches its edge, `shift` adds one row or column flush "
        "with the far edge."))
    draft.code(function_source(api._irregular, api._regular_view, api.patchify), intro=(
        "## 4 · Patches as a strided view\n\nNo pixel is copied: `as_strided` describes every patch "
        "as a window into the image's own memory, so cutting costs microseconds whatever the "
        "geometry. Only `pad` (a padded copy) and an irregular `shift` grid (a gather) copy."))
    draft.code("""
        patches = patchify(x, P, S, EDGE)
        nh, nw = patches.shape[:2]
        n_patches = nh * nw
        n_elements = n_patches * P[0] * P[1] * x.shape[2]
        print(f"{nh} rows x {nw} columns = {n_patches:,} patches of shape {patches.shape[2:]}")
        print("a view of the image itself:", np.shares_memory(patches, x))
        print(f"a contiguous copy would hold {n_elements:,} values ({n_elements * 4:,} bytes of float32)")
        i, j = divmod(HIGHLIGHT, nw)
        oy = patch_origins(x.shape[0], P[0], S[0], EDGE)
        ox = patch_origins(x.shape[1], P[1], S[1], EDGE)
        plt.figure(figsize=(3, 3)); plt.imshow(patches[i, j]); plt.axis("off")
        plt.title(f"patch {HIGHLIGHT}: origin (y={oy[i]}, x={ox[j]})"); plt.show()
        """)
    draft.markdown("**What the page showed**: the grid of patch outlines and your highlighted patch.",
                   [(result.grid_caption, result.grid_picture),
                    (f"Patch {s.highlight}, enlarged on the page", result.patch_picture)])



def _merging_cells(draft, result):
    """Sections 5-6: coverage and weights, the merge (and the page's pictures of them)."""
    s, report = result.settings, result.report
    draft.code(function_source(api._summed_1d, api._safe_reciprocal, api.coverage, api.weight_map), intro=(
        "## 5 · Coverage and the weight map\n\nHow many patches cover each pixel, and the weight the "
        "merge divides by: `1 / (sum of the windows reaching the pixel)`. Both are separable, one "
        "1-D count per axis and an outer product, so no patch is ever built."))
    draft.code("""
        cov = coverage(x.shape, P, S, EDGE)
        weights = weight_map(x.shape, P, S, WINDOW, EDGE)
        covered = cov > 0
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        axes[0].imshow(np.where(covered, cov, np.nan)); axes[0].set_title("patches per pixel")
        shown = axes[1].imshow(np.where(covered, weights, np.nan), cmap="magma_r")
        axes[1].set_title("merge weight"); fig.colorbar(shown, ax=axes[1]); plt.show()
        print("pixels no patch covers:", int((~covered).sum()))
        print("merge weights from", weights[covered].min(), "to", weights[covered].max())
        """)
    draft.markdown("**What the page showed**: the coverage and the weight map.",
                   [("Coverage: how many patches cover each pixel (grey: none)", result.coverage_picture),
                    (f"Weight map of the {s.window} window, {result.weights_scale} scale", result.weights_picture)])

    draft.code(function_source(api.unpatchify_reference), intro=(
        "## 6 · The merge: overlap-add and divide\n\nEvery patch is multiplied by the 2-D window (the "
        "outer product of two 1-D windows) and added into place; each pixel is then divided by the "
        "window weight that reached it. The app runs a compiled version of this loop; this plain one "
        "is its definition (float64, slower)."))
    draft.code(f"""
        MERGE_BUDGET_BYTES = {MERGE_BUDGET_BYTES}  # the page merges at most this many bytes of patches
        if n_elements * 4 > MERGE_BUDGET_BYTES:
            merged, max_error = None, None
            print("Over the page's merge budget: the page skipped the merge, so does this notebook.")
        else:
            merged = unpatchify_reference(patches, x.shape, S, WINDOW, EDGE)
            max_error = float(np.abs(merged - x)[covered].max()) if covered.any() else 0.0
            fig, axes = plt.subplots(1, 2, figsize=(10, 4))
            axes[0].imshow(np.clip(merged, 0, 1)); axes[0].set_title("unpatchify(patchify(x))")
            axes[1].imshow(np.abs(merged - x).max(axis=2)); axes[1].set_title("|merged - x|"); plt.show()
            print(f"round-trip max error {{max_error:.1e}}: rounding only (float64 here, float32 on the page)")
        """)
    if result.merged_picture is not None:
        draft.markdown("**What the page showed**: the merge and its error (float32, the compiled merge).",
                       [(f"unpatchify(patchify(x)), {s.window} window", result.merged_picture),
                        (f"|merged − original|, max {report.max_error:.1e}", result.error_picture)])

