"""Patches: cut a photo into patches, weight them, merge them back."""

import pandas as pd
import streamlit as st

from patchlab import patches as engine
from patchlab.images import SAMPLES
from patchlab.patches.demo import (
    ERROR_SCALE_EPS,
    MAX_SIDE,
    Settings,
    analyse_photo,
    clamp_settings,
    count_options,
    grid_size,
    intro,
    read_link,
    slider_limits,
    to_query,
    warm_up,
)
from patchlab.ui.code import show_code
from patchlab.notebooks import patches_notebook
from patchlab.ui.link import PageLink, arrive, publish, show_notice
from patchlab.ui.notebook import download_notebook
from patchlab.ui.picker import pick_image
from patchlab.ui.room import details, key_figure, presenter_toggle, revealed, share_bar, sidebar_note
from patchlab.ui.router import ensure_router
from patchlab.visualize import human_number

DEFAULTS = Settings()
#: Every setting's widget key and default value (Reset puts these back).
WIDGET_DEFAULTS = {
    "pt_choice": DEFAULTS.image,
    "pt_linked": True,
    "pt_ph": DEFAULTS.patch[0],
    "pt_pw": DEFAULTS.patch[1],
    "pt_sh": DEFAULTS.stride[0],
    "pt_sw": DEFAULTS.stride[1],
    "pt_window": DEFAULTS.window,
    "pt_edge": DEFAULTS.edge,
    "pt_hi": DEFAULTS.highlight,
}
QUERY_KEYS = tuple(to_query(DEFAULTS))  # img, p, s, win, edge, hi
PHOTO = "pt_photo"  # the photo choice, kept when the participant goes to another page
EDGE_LABELS = {  # short enough to fit a sidebar's select box without being cut
    "valid": "valid: drop the rest",
    "pad": "pad: mirror the edges",
    "shift": "shift: last patch at the edge",
}


@st.cache_resource(show_spinner="Compiling the patch engine (once per server)…")
def engine_ready():
    warm_up()
    return True


def link_values(params):
    """A link's settings as the widgets' values (``pt_*`` keys), and what it could not use."""
    fields, ignored = read_link(params, SAMPLES)
    state, values = st.session_state, {}
    if "image" in fields:
        values["pt_choice"] = values[PHOTO] = fields["image"]
    if "patch" in fields:
        values["pt_ph"], values["pt_pw"] = fields["patch"]
    if "stride" in fields:
        values["pt_sh"], values["pt_sw"] = fields["stride"]
    for field, key in (("window", "pt_window"), ("edge", "pt_edge"), ("highlight", "pt_hi")):
        if field in fields:
            values[key] = fields[field]
    if "patch" in fields or "stride" in fields:  # one size for both axes when the link's are square
        now = lambda key: values.get(key, state.get(key, WIDGET_DEFAULTS[key]))  # noqa: E731
        values["pt_linked"] = now("pt_ph") == now("pt_pw") and now("pt_sh") == now("pt_sw")
    return values, ignored


LINK = PageLink("patches", link_values, WIDGET_DEFAULTS, QUERY_KEYS, to_query(DEFAULTS))


def fit_to_photo(name, image_shape):
    """The settings in the widgets' state, fitted to the photo and written back before drawing.

    Only what no longer fits the photo changes (:func:`clamp_settings`), so a
    slider never shows a value other than the one the page uses, and a slider
    whose range changes with the photo keeps its value.
    """
    state = st.session_state
    value = lambda key: state.get(key, WIDGET_DEFAULTS[key])  # noqa: E731
    linked = value("pt_linked")
    ph, sh = value("pt_ph"), value("pt_sh")
    raw = Settings(name, (ph, ph if linked else value("pt_pw")), (sh, sh if linked else value("pt_sw")),
                   value("pt_window"), value("pt_edge"), value("pt_hi"))
    settings, notes = clamp_settings(raw, image_shape, square=linked)
    fitted = {"pt_linked": linked, "pt_ph": settings.patch[0], "pt_pw": settings.patch[1],
              "pt_sh": settings.stride[0], "pt_sw": settings.stride[1], "pt_window": settings.window,
              "pt_edge": settings.edge, "pt_hi": settings.highlight}
    limits = (image_shape[:2], slider_limits(settings.patch, image_shape, square=linked))
    new_sliders = state.get("pt_limits") != limits  # a slider with another range is a new widget
    state["pt_limits"] = limits
    for key, fitted_value in fitted.items():
        # Write what changed, and every value when the sliders' ranges change (a new widget
        # takes its value from here). Writing a widget's own value back on every run would
        # send it to the browser again and undo slider steps made while the run was going.
        if new_sliders or key not in state or state[key] != fitted_value:
            state[key] = fitted_value
    return settings, notes


def controls(settings, image_shape):
    """The geometry widgets, drawn with the values :func:`fit_to_photo` left in their state."""
    keep = {"persist_state": "session"}  # back from another page: the same values
    linked = st.sidebar.toggle("Same height and width", key="pt_linked", **keep)
    max_patch, max_stride = slider_limits(settings.patch, image_shape, square=linked)
    stride_help = "Step between patch origins; above the patch size, gaps appear. At most twice the patch."
    if linked:
        st.sidebar.slider("Patch size", 1, max_patch[0], key="pt_ph", **keep)
        st.sidebar.slider("Stride", 1, max_stride[0], key="pt_sh", help=stride_help, **keep)
    else:
        st.sidebar.slider("Patch height", 1, max_patch[0], key="pt_ph", **keep)
        st.sidebar.slider("Patch width", 1, max_patch[1], key="pt_pw", **keep)
        st.sidebar.slider("Stride down", 1, max_stride[0], key="pt_sh", help=stride_help, **keep)
        st.sidebar.slider("Stride across", 1, max_stride[1], key="pt_sw", help=stride_help, **keep)
    st.sidebar.selectbox("Blending window", engine.WINDOWS, key="pt_window", **keep)
    st.sidebar.selectbox("Edges the stride does not reach", engine.EDGES, key="pt_edge",
                         format_func=EDGE_LABELS.get, **keep,
                         help="valid: the grid starts at the top left and drops what the stride does not reach "
                              "(the patches are a true view of the photo); pad: the photo is mirror-padded so the "
                              "grid covers it, and the merge is cropped back; shift: one more row and column of "
                              "patches flush with the far edges.")


def highlight_slider(n):
    """The highlighted patch number (already inside ``0..n-1``)."""
    if n <= 1:
        return 0
    return st.sidebar.slider("Highlighted patch", 0, n - 1, key="pt_hi", persist_state="session")


def show_metrics(r):
    report, (ph, pw), channels = r.report, r.settings.patch, r.image_shape[2]
    nh, nw = report.grid
    c1, c2, c3, c4 = st.columns(4)
    (h, w), (sh, sw) = r.image_shape[:2], r.settings.stride
    question = f"patches_{h}x{w}_p{ph}x{pw}_s{sh}x{sw}_{r.settings.edge}"
    ask = ("How many patches does this geometry give?", count_options(report.n_patches, report.grid),
           f"{report.n_patches:,}")
    with c1:  # predict, then reveal: how many patches does this geometry give? (the room guesses too)
        if revealed(question, ask=ask):
            key_figure("Patches", f"{report.n_patches:,}", help="Patch rows × patch columns")
            st.caption(f"{nh} rows × {nw} columns")
    c2.metric("Patch elements", f"{report.n_elements:,}", f"{ph}×{pw}×{channels} each", delta_color="off", delta_arrow="off")
    c3.metric(
        "A contiguous copy would need",
        r.copy_size,
        "the view itself: 0 bytes" if report.is_view else "padded/gathered copy",
        delta_color="off", delta_arrow="off",
    )
    if report.max_error is not None:
        c4.metric("Round-trip max error", human_number(report.max_error, 2), "unpatchify(patchify(x)) vs x",
                  delta_color="off", delta_arrow="off")
    else:
        c4.metric("Round-trip max error", "skipped", "over the merge budget", delta_color="off", delta_arrow="off")


def show_tabs(r):
    s, report = r.settings, r.report
    n, hi, (i, j) = report.n_patches, s.highlight, r.highlight_index
    grid_tab, patches_tab, cov_tab, merge_tab = st.tabs(["Grid", "Patches", "Coverage & weights", "Merge back"])
    with grid_tab:
        left, right = st.columns([3, 2])
        left.image(r.grid_picture, caption=r.grid_caption, width="stretch",  # the column's width, on a projector too
                   alt=f"The photo with the outline of every patch; {r.grid_caption}")
        right.image(
            r.patch_picture,
            caption=f"Patch {hi}: origin (y={report.origins_y[i]}, x={report.origins_x[j]}), "
            f"{'a view into the image' if report.is_view else 'from the padded/gathered copy'}",
            width="stretch", alt=f"The highlighted patch, number {hi}, enlarged",
        )
    with patches_tab:
        what = f"all {n}" if r.montage_count == n else f"{r.montage_count} of {n:,}, evenly spaced"
        st.image(r.montage, caption=f"Patches, {what} (row-major order; patches[0] is the top-left one)",
                 width="stretch", alt=f"A montage of patches, {what}")
    with cov_tab:
        a, b = st.columns(2)
        a.image(r.coverage_picture, caption="Coverage: how many patches cover each pixel (grey: none)",
                width="stretch", alt="Coverage map: brighter where more patches overlap")
        lo, top = r.weights_range
        b.image(r.weights_picture,
                caption=f"Weight map: 1 / (sum of the {s.window} windows reaching the pixel), on a "
                f"{r.weights_scale} scale; true range {human_number(lo)} to {human_number(top)}. Inside, the windows add up "
                "to an even weight; near a border only their tails reach a pixel, and its weight grows.",
                width="stretch", alt=f"Weight map of the {s.window} window with its colour bar, {r.weights_scale} scale")
        profile = pd.DataFrame(r.window_profile).set_index("pixel")
        st.markdown(f"**The {s.window} window along a patch row**, placed every "
                    f"{s.stride[1]} px, and the sum the merge divides by")
        st.line_chart(profile, height=260, x_label="pixel along the width", y_label="weight")
    with merge_tab:
        if r.merged_picture is None:
            st.info(report.skipped)
        else:
            a, b = st.columns(2)
            a.image(r.merged_picture, caption=f"unpatchify(patchify(x)), {s.window} window", width="stretch",
                    alt="The photo merged back from its patches")
            b.image(r.error_picture,
                    caption=f"|merged − original| on a fixed scale, 0 to {ERROR_SCALE_EPS} float32 ε "
                    f"(ε = 1.19 × 10⁻⁷); max {human_number(report.max_error, 2)}: float32 rounding, not an error",
                    width="stretch", alt="Round-trip error map with its colour bar, almost all dark")


def main():
    ensure_router()
    state = st.session_state
    if "pt_choice" not in state and PHOTO in state:  # back from another page: the picker forgot its choice
        state.pt_choice = state[PHOTO]
    arrive(LINK)
    presenter_toggle()
    st.title("Patches")
    intro_box = st.empty()
    notice_box = st.container()
    engine_ready()
    image, name = pick_image("pt", default=WIDGET_DEFAULTS["pt_choice"], max_side=MAX_SIDE)
    state[PHOTO] = state.pt_choice
    settings, notes = fit_to_photo(name, image.shape)
    intro_box.markdown(intro(settings))
    sidebar_note("The photo, the patch size, the stride and the blending window", notice_box)
    for note in notes:
        st.info(note)
    controls(settings, image.shape)
    try:
        nh, nw = grid_size(settings, image.shape)
    except ValueError as err:  # geometry the engine refuses: explain, keep the page
        st.error(f"This geometry does not work: {err}")
        share_bar(WIDGET_DEFAULTS)
        return
    settings.highlight = highlight_slider(nh * nw)
    query = to_query(settings)
    if name == "upload":  # an upload cannot travel in a link
        query["img"] = None
    publish(LINK, query)
    show_notice(LINK, notice_box)
    share_bar(WIDGET_DEFAULTS)
    result = analyse_photo(image, settings)

    show_metrics(result)
    with details("Engine timings"):
        st.caption(result.timing_caption)
    if result.uncovered_warning:
        st.warning(result.uncovered_warning)
    show_tabs(result)
    download_notebook(lambda: patches_notebook(image, result), "patches", fingerprint=(name, str(query)))
    show_code(engine.patchify, engine.unpatchify, engine.unpatchify_reference, engine.coverage,
              engine.weight_map, engine.window_1d)


main()
