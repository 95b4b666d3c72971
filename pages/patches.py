"""Patches: cut a photo into overlapping patches, weight them, merge them back."""

import pandas as pd
import streamlit as st

from patchlab import patches as engine
from patchlab.images import SAMPLES
from patchlab.patches.demo import (
    Settings,
    analyse_photo,
    clamp_settings,
    grid_size,
    parse_query,
    to_query,
    warm_up,
)
from patchlab.ui.code import show_code
from patchlab.ui.picker import pick_image
from patchlab.ui.router import ensure_router

MAX_SIDE = 512  # the page works on images of at most 512 px per side
INTRO = (
    "An image is cut into overlapping **patches** (size *p*, stride *s*). Each patch "
    "can be processed on its own; to merge them back, every patch is multiplied by a "
    "**window**, added into place (*overlap-add*) and each pixel is divided by the "
    "window weight that reached it — the **weight map**. Unchanged patches give the "
    "image back exactly."
)
EDGE_LABELS = {
    "valid": "valid — drop the remainder (a true view)",
    "pad": "pad — reflect-pad, crop after merging",
    "shift": "shift — extra patches flush with the far edge",
}


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


def controls(name, image_shape):
    """The geometry widgets, read into :class:`Settings` (not yet fitted to the image)."""
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
    edge = st.sidebar.selectbox("Edges the stride does not reach", engine.EDGES, key="pt_edge",
                                format_func=EDGE_LABELS.get)
    return Settings(name, patch, stride, window, edge)


def highlight_slider(n):
    """The highlighted patch number, kept inside ``0..n-1``."""
    if n <= 1:
        return 0
    if st.session_state.get("pt_hi", 0) > n - 1:
        st.session_state.pt_hi = n - 1
    return st.sidebar.slider("Highlighted patch", 0, n - 1, key="pt_hi")


def show_metrics(r):
    report, (ph, pw), channels = r.report, r.settings.patch, r.image_shape[2]
    nh, nw = report.grid
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Patches", f"{report.n_patches:,}", f"{nh} rows × {nw} columns", delta_color="off", delta_arrow="off")
    c2.metric("Patch elements", f"{report.n_elements:,}", f"{ph}×{pw}×{channels} each", delta_color="off", delta_arrow="off")
    c3.metric(
        "A contiguous copy would need",
        r.copy_size,
        "the view itself: 0 bytes" if report.is_view else "padded/gathered copy",
        delta_color="off", delta_arrow="off",
    )
    if report.max_error is not None:
        c4.metric("Round-trip max error", f"{report.max_error:.1e}", "unpatchify(patchify(x)) vs x", delta_color="off", delta_arrow="off")
    else:
        c4.metric("Round-trip max error", "skipped", "over the merge budget", delta_color="off", delta_arrow="off")


def show_tabs(r):
    s, report = r.settings, r.report
    n, hi, (i, j) = report.n_patches, s.highlight, r.highlight_index
    grid_tab, patches_tab, cov_tab, merge_tab = st.tabs(["Grid", "Patches", "Coverage & weights", "Merge back"])
    with grid_tab:
        left, right = st.columns([3, 2])
        caption = f"All {n:,} patch outlines" if r.grid_step == 1 else f"Outlines of every {r.grid_step}th patch row and column"
        left.image(r.grid_picture, caption=f"{caption}; highlighted: patch {hi} (row {i}, column {j})")
        right.image(
            r.patch_picture,
            caption=f"Patch {hi}: origin (y={report.origins_y[i]}, x={report.origins_x[j]}), "
            f"{'a view into the image' if report.is_view else 'from the padded/gathered copy'}",
            width=256,
        )
    with patches_tab:
        what = f"all {n}" if r.montage_count == n else f"{r.montage_count} of {n:,}, evenly spaced"
        st.image(r.montage, caption=f"Patches, {what} (row-major order; patches[0] is the top-left one)")
    with cov_tab:
        a, b = st.columns(2)
        a.image(r.coverage_picture, caption="Coverage: how many patches cover each pixel (grey: none)")
        b.image(r.weights_picture, caption=f"Weight map: 1 / (sum of the {s.window} windows reaching the pixel)")
        profile = pd.DataFrame(r.window_profile).set_index("pixel")
        st.markdown(f"**The {s.window} window along a patch row**, placed every "
                    f"{s.stride[1]} px, and the sum the merge divides by")
        st.line_chart(profile, height=260, x_label="pixel along the width", y_label="weight")
    with merge_tab:
        if r.merged_picture is None:
            st.info(report.skipped)
        else:
            a, b = st.columns(2)
            a.image(r.merged_picture, caption=f"unpatchify(patchify(x)), {s.window} window")
            b.image(r.error_picture, caption=f"|merged − original|, max {report.max_error:.1e} (float32 rounding)")


def main():
    ensure_router()
    st.title("Patches")
    st.markdown(INTRO)
    load_query_once()
    engine_ready()
    image, name = pick_image("pt", default=st.session_state.get("pt_choice", "astronaut"), max_side=MAX_SIDE)
    settings, notes = clamp_settings(controls(name, image.shape), image.shape)
    for note in notes:
        st.info(note)
    try:
        nh, nw = grid_size(settings, image.shape)
        settings.highlight = highlight_slider(nh * nw)
        result = analyse_photo(image, settings)
    except ValueError as err:  # geometry the engine refuses: explain, keep the page
        st.error(f"This geometry does not work: {err}")
        return
    if name != "upload":  # an upload cannot be shared by link
        st.query_params.from_dict(to_query(settings))

    show_metrics(result)
    st.caption(result.timing_caption)
    if result.uncovered_warning:
        st.warning(result.uncovered_warning)
    show_tabs(result)
    show_code(engine.patchify, engine.unpatchify, engine.unpatchify_reference, engine.coverage,
              engine.weight_map, engine.window_1d)


main()
