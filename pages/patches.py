"""Patches: cut a photo into overlapping patches, weight them, merge them back."""

import numpy as np
import streamlit as st

from patchlab import patches as engine
from patchlab.images import SAMPLES
from patchlab.patches.demo import Settings, analyse, clamp_settings, parse_query, to_query, warm_up
from patchlab.ui.code import show_code
from patchlab.ui.picker import pick_image
from patchlab.ui.router import ensure_router
from patchlab.ui.server import read_only
import pandas as pd

from patchlab.visualize import draw_patch_grid, error_map, heatmap, montage, to_uint8, window_profile

MAX_SIDE = 512  # the page works on images of at most 512 px per side


@st.cache_resource(max_entries=64, show_spinner=False)
def geometry_pictures(shape, patch, stride, window, edge):
    """Coverage and weight-map heat maps: they depend on the geometry only (shared, read-only)."""
    cov = engine.coverage(shape, patch, stride, edge).astype(float)
    wmap = engine.weight_map(shape, patch, stride, window, edge)
    cov[cov == 0] = np.nan
    wmap[wmap == 0] = np.nan
    return read_only((heatmap(cov, "viridis", "patches per pixel"), heatmap(wmap, "magma", "merge weight")))


@st.cache_resource(show_spinner="Compiling the patch engine (once per server)…")
def engine_ready():
    warm_up()
    return True


def load_query_once():
    """Seed the widgets from the URL the first time this session opens the page."""
    if st.session_state.get("pt_seeded"):
        return
    st.session_state.pt_seeded = True
    settings, problems = parse_query(dict(st.query_params), SAMPLES)
    for problem in problems:
        st.toast(problem)
    st.session_state.pt_choice = settings.image
    st.session_state.pt_linked = settings.patch[0] == settings.patch[1] and settings.stride[0] == settings.stride[1]
    st.session_state.pt_ph, st.session_state.pt_pw = settings.patch
    st.session_state.pt_sh, st.session_state.pt_sw = settings.stride
    st.session_state.pt_window = settings.window
    st.session_state.pt_edge = settings.edge
    st.session_state.pt_hi = settings.highlight


def size_slider(label, key, limit, help=None):
    """A slider whose stored value is kept inside ``1..limit``."""
    if st.session_state.get(key, 1) > limit:
        st.session_state[key] = limit
    return st.sidebar.slider(label, 1, limit, key=key, help=help)


def controls(image_shape):
    h, w = image_shape[:2]
    side = min(h, w)
    linked = st.sidebar.toggle("Same height and width", key="pt_linked")
    if linked:
        p = size_slider("Patch size", "pt_ph", side)
        s = size_slider("Stride", "pt_sh", side, help="Step between patch origins. Above the patch size, gaps appear.")
        patch, stride = (p, p), (s, s)
    else:
        patch = (size_slider("Patch height", "pt_ph", h), size_slider("Patch width", "pt_pw", w))
        stride = (size_slider("Stride down", "pt_sh", h), size_slider("Stride across", "pt_sw", w))
    window = st.sidebar.selectbox("Blending window", engine.WINDOWS, key="pt_window")
    edge = st.sidebar.selectbox(
        "Edges the stride does not reach",
        engine.EDGES,
        key="pt_edge",
        format_func={
            "valid": "valid — drop the remainder (a true view)",
            "pad": "pad — reflect-pad, crop after merging",
            "shift": "shift — extra patches flush with the far edge",
        }.get,
    )
    return patch, stride, window, edge


def main():
    st.title("Patches")
    st.markdown(
        "An image is cut into overlapping **patches** (size *p*, stride *s*). Each patch "
        "can be processed on its own; to merge them back, every patch is multiplied by a "
        "**window**, added into place (*overlap-add*) and each pixel is divided by the "
        "window weight that reached it — the **weight map**. Unchanged patches give the "
        "image back exactly."
    )
    load_query_once()
    engine_ready()
    image, name = pick_image("pt", default=st.session_state.get("pt_choice", "astronaut"), max_side=MAX_SIDE)
    patch, stride, window, edge = controls(image.shape)
    settings, notes = clamp_settings(Settings(name, patch, stride, window, edge), image.shape)
    for note in notes:
        st.info(note)

    x = image.astype(np.float32) / 255.0
    try:
        report = analyse(x, settings.patch, settings.stride, settings.window, settings.edge)
    except ValueError as err:  # geometry the engine refuses: explain, keep the page
        st.error(f"This geometry does not work: {err}")
        return

    n = report.n_patches
    nh, nw = report.grid
    if n > 1:
        if st.session_state.get("pt_hi", 0) > n - 1:
            st.session_state.pt_hi = n - 1
        hi = st.sidebar.slider("Highlighted patch", 0, n - 1, key="pt_hi")
    else:
        hi = 0
    settings.highlight = hi
    if name != "upload":  # an upload cannot be shared by link
        st.query_params.from_dict(to_query(settings))

    i, j = divmod(hi, nw)
    ph, pw = settings.patch
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Patches", f"{n:,}", f"{nh} rows × {nw} columns", delta_color="off", delta_arrow="off")
    c2.metric("Patch elements", f"{report.n_elements:,}", f"{ph}×{pw}×{x.shape[2]} each", delta_color="off", delta_arrow="off")
    c3.metric(
        "A contiguous copy would need",
        _bytes(report.copy_bytes),
        "the view itself: 0 bytes" if report.is_view else "padded/gathered copy",
        delta_color="off", delta_arrow="off",
    )
    if report.max_error is not None:
        c4.metric("Round-trip max error", f"{report.max_error:.1e}", "unpatchify(patchify(x)) vs x", delta_color="off", delta_arrow="off")
    else:
        c4.metric("Round-trip max error", "skipped", "over the merge budget", delta_color="off", delta_arrow="off")

    t = report.timings_ms
    timing = (
        f"Engine timings for this image ({x.shape[1]}×{x.shape[0]}×{x.shape[2]}, float32): "
        f"patchify {t['patchify'] * 1e3:.0f} µs · coverage {t['coverage'] * 1e3:.0f} µs · "
        f"weight map {t['weight_map'] * 1e3:.0f} µs"
    )
    if "unpatchify" in t:
        timing += f" · unpatchify {t['unpatchify']:.1f} ms"
    st.caption(timing)
    if report.uncovered:
        st.warning(
            f"{report.uncovered:,} pixels are covered by no patch (shown grey). "
            + ("The stride is larger than the patch. " if max(np.subtract(settings.stride, settings.patch)) > 0 else "")
            + ("Choose edge = pad or shift to cover the border." if settings.edge == "valid" else "")
        )

    grid_tab, patches_tab, cov_tab, merge_tab = st.tabs(["Grid", "Patches", "Coverage & weights", "Merge back"])
    with grid_tab:
        picture, step = draw_patch_grid(image, report.origins_y, report.origins_x, settings.patch, (i, j))
        left, right = st.columns([3, 2])
        caption = f"All {n:,} patch outlines" if step == 1 else f"Outlines of every {step}th patch row and column"
        left.image(picture, caption=f"{caption}; highlighted: patch {hi} (row {i}, column {j})")
        right.image(
            to_uint8(report.patches[i, j]),
            caption=f"Patch {hi}: origin (y={report.origins_y[i]}, x={report.origins_x[j]}), "
            f"{'a view into the image' if report.is_view else 'from the padded/gathered copy'}",
            width=256,
        )
    with patches_tab:
        tiles, picked = montage(report.patches, count=64)
        what = f"all {n}" if len(picked) == n else f"{len(picked)} of {n:,}, evenly spaced"
        st.image(tiles, caption=f"Patches, {what} (row-major order; patches[0] is the top-left one)")
    with cov_tab:
        cov_pic, w_pic = geometry_pictures(x.shape, settings.patch, settings.stride, settings.window, settings.edge)
        a, b = st.columns(2)
        a.image(cov_pic, caption="Coverage: how many patches cover each pixel (grey: none)")
        b.image(w_pic, caption=f"Weight map: 1 / (sum of the {settings.window} windows reaching the pixel)")
        profile = pd.DataFrame(window_profile(report.window_x, settings.stride[1])).set_index("pixel")
        st.markdown(f"**The {settings.window} window along a patch row**, placed every "
                    f"{settings.stride[1]} px, and the sum the merge divides by")
        st.line_chart(profile, height=260, x_label="pixel along the width", y_label="weight")
    with merge_tab:
        if report.merged is None:
            st.info(report.skipped)
        else:
            covered = report.coverage > 0
            err_img, _ = error_map(report.merged * covered[:, :, None], x * covered[:, :, None])
            a, b = st.columns(2)
            a.image(to_uint8(report.merged), caption=f"unpatchify(patchify(x)), {settings.window} window")
            b.image(err_img, caption=f"|merged − original|, max {report.max_error:.1e} (float32 rounding)")

    show_code(engine.patchify, engine.unpatchify, engine.coverage, engine.weight_map, engine.window_1d)


def _bytes(n):
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024


ensure_router()
main()
