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
from patchlab.i18n import N_, _
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
    "valid": N_("valid: drop the rest"),
    "pad": N_("pad: mirror the edges"),
    "shift": N_("shift: last patch at the edge"),
}
WINDOW_NAMES = {"uniform": N_("uniform"), "tent": N_("tent"), "hann": N_("hann"), "gaussian": N_("gaussian")}


def window_name(window):
    """The blending window as the page names it (its code name in English)."""
    return _(WINDOW_NAMES.get(window, window))


@st.cache_resource(show_spinner=False)
def _engine_compiled():
    warm_up()
    return True


def engine_ready():
    """Compile the patch engine once per server, with a spinner in the participant's language."""
    with st.spinner(_("Compiling the patch engine (once per server)…")):
        return _engine_compiled()


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
    linked = st.sidebar.toggle(_("Same height and width"), key="pt_linked", **keep)
    max_patch, max_stride = slider_limits(settings.patch, image_shape, square=linked)
    stride_help = _("Step between patch origins; above the patch size, gaps appear. At most twice the patch.")
    if linked:
        st.sidebar.slider(_("Patch size"), 1, max_patch[0], key="pt_ph", **keep)
        st.sidebar.slider(_("Stride"), 1, max_stride[0], key="pt_sh", help=stride_help, **keep)
    else:
        st.sidebar.slider(_("Patch height"), 1, max_patch[0], key="pt_ph", **keep)
        st.sidebar.slider(_("Patch width"), 1, max_patch[1], key="pt_pw", **keep)
        st.sidebar.slider(_("Stride down"), 1, max_stride[0], key="pt_sh", help=stride_help, **keep)
        st.sidebar.slider(_("Stride across"), 1, max_stride[1], key="pt_sw", help=stride_help, **keep)
    st.sidebar.selectbox(_("Blending window"), engine.WINDOWS, key="pt_window", format_func=window_name, **keep)
    st.sidebar.selectbox(_("Edges the stride does not reach"), engine.EDGES, key="pt_edge",
                         format_func=lambda edge: _(EDGE_LABELS[edge]), **keep,
                         help=_("valid: the grid starts at the top left and drops what the stride does not reach "
                              "(the patches are a true view of the photo); pad: the photo is mirror-padded so the "
                              "grid covers it, and the merge is cropped back; shift: one more row and column of "
                              "patches flush with the far edges."))


def highlight_slider(n):
    """The highlighted patch number (already inside ``0..n-1``)."""
    if n <= 1:
        return 0
    return st.sidebar.slider(_("Highlighted patch"), 0, n - 1, key="pt_hi", persist_state="session")


def show_metrics(r):
    report, (ph, pw), channels = r.report, r.settings.patch, r.image_shape[2]
    nh, nw = report.grid
    c1, c2, c3, c4 = st.columns(4)
    (h, w), (sh, sw) = r.image_shape[:2], r.settings.stride
    question = f"patches_{h}x{w}_p{ph}x{pw}_s{sh}x{sw}_{r.settings.edge}"
    ask = (N_("How many patches does this geometry give?"),  # the room translates it on each device
           count_options(report.n_patches, report.grid), f"{report.n_patches:,}")
    with c1:  # predict, then reveal: how many patches does this geometry give? (the room guesses too)
        if revealed(question, ask=ask):
            key_figure(_("Patches"), f"{report.n_patches:,}", help=_("Patch rows × patch columns"))
            st.caption(_("{nh} rows × {nw} columns").format(nh=nh, nw=nw))
    c2.metric(_("Patch elements"), f"{report.n_elements:,}", _("{ph}×{pw}×{channels} each").format(ph=ph, pw=pw, channels=channels), delta_color="off", delta_arrow="off")
    c3.metric(
        _("A contiguous copy would need"),
        r.copy_size,
        _("the view itself: 0 bytes") if report.is_view else _("padded/gathered copy"),
        delta_color="off", delta_arrow="off",
    )
    if report.max_error is not None:
        c4.metric(_("Round-trip max error"), human_number(report.max_error, 2), _("unpatchify(patchify(x)) vs x"),
                  delta_color="off", delta_arrow="off")
    else:
        c4.metric(_("Round-trip max error"), _("skipped"), _("over the merge budget"), delta_color="off", delta_arrow="off")


def show_tabs(r):
    s, report = r.settings, r.report
    n, hi, (i, j) = report.n_patches, s.highlight, r.highlight_index
    grid_tab, patches_tab, cov_tab, merge_tab = st.tabs([_("Grid"), _("Patches"), _("Coverage & weights"), _("Merge back")])
    with grid_tab:
        left, right = st.columns([3, 2])
        left.image(r.grid_picture, caption=r.grid_caption, width="stretch",  # the column's width, on a projector too
                   alt=_("The photo with the outline of every patch; {grid_caption}").format(grid_caption=r.grid_caption))
        right.image(
            r.patch_picture,
            caption=_("Patch {hi}: origin (y={y}, x={x}), {where}").format(
                hi=hi, y=report.origins_y[i], x=report.origins_x[j],
                where=_("a view into the image") if report.is_view else _("from the padded/gathered copy")),
            width="stretch", alt=_("The highlighted patch, number {hi}, enlarged").format(hi=hi),
        )
    with patches_tab:
        what = (_("all {n}").format(n=n) if r.montage_count == n
                else _("{shown} of {n}, evenly spaced").format(shown=r.montage_count, n=f"{n:,}"))
        st.image(r.montage, caption=_("Patches, {what} (row-major order; patches[0] is the top-left one)").format(what=what),
                 width="stretch", alt=_("A montage of patches, {what}").format(what=what))
    with cov_tab:
        a, b = st.columns(2)
        a.image(r.coverage_picture, caption=_("Coverage: how many patches cover each pixel (grey: none)"),
                width="stretch", alt=_("Coverage map: brighter where more patches overlap"))
        lo, top = r.weights_range
        b.image(r.weights_picture,
                caption=_("Weight map: 1 / (sum of the {window} windows reaching the pixel), on a "
                          "{scale} scale; true range {low} to {high}. Inside, the windows add up "
                          "to an even weight; near a border only their tails reach a pixel, and its weight grows.").format(
                    window=window_name(s.window), scale=_(r.weights_scale), low=human_number(lo), high=human_number(top)),
                width="stretch", alt=_("Weight map of the {window} window with its colour bar, {scale} scale").format(
                    window=window_name(s.window), scale=_(r.weights_scale)))
        profile = pd.DataFrame(r.window_profile).set_index("pixel")
        profile.columns = [_("sum") if c == "sum" else _("patch {k}").format(k=c.split()[-1]) for c in profile.columns]
        st.markdown(_("**The {window} window along a patch row**, placed every "
                      "{stride} px, and the sum the merge divides by").format(window=window_name(s.window),
                                                                              stride=s.stride[1]))
        st.line_chart(profile, height=260, x_label=_("pixel along the width"), y_label=_("weight"))
    with merge_tab:
        if r.merged_picture is None:
            st.info(report.skipped)
        else:
            a, b = st.columns(2)
            a.image(r.merged_picture, caption=_("unpatchify(patchify(x)), {window} window").format(window=window_name(s.window)), width="stretch",
                    alt=_("The photo merged back from its patches"))
            b.image(r.error_picture,
                    caption=_("|merged − original| on a fixed scale, 0 to {error_scale_eps} float32 ε "
                    "(ε = 1.19 × 10⁻⁷); max {value}: float32 rounding, not an error").format(error_scale_eps=ERROR_SCALE_EPS, value=human_number(report.max_error, 2)),
                    width="stretch", alt=_("Round-trip error map with its colour bar, almost all dark"))


def main():
    ensure_router()
    state = st.session_state
    if "pt_choice" not in state and PHOTO in state:  # back from another page: the picker forgot its choice
        state.pt_choice = state[PHOTO]
    arrive(LINK)
    presenter_toggle()
    st.title(_("Patches"))
    intro_box = st.empty()
    notice_box = st.container()
    engine_ready()
    image, name = pick_image("pt", default=WIDGET_DEFAULTS["pt_choice"], max_side=MAX_SIDE)
    state[PHOTO] = state.pt_choice
    settings, notes = fit_to_photo(name, image.shape)
    intro_box.markdown(intro(settings))
    sidebar_note(_("The photo, the patch size, the stride and the blending window"), notice_box)
    for note in notes:
        st.info(note)
    controls(settings, image.shape)
    try:
        nh, nw = grid_size(settings, image.shape)
    except ValueError as err:  # geometry the engine refuses: explain, keep the page
        st.error(_("This geometry does not work: {err}").format(err=err))
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
    with details(_("Engine timings")):
        st.caption(result.timing_caption)
    if result.uncovered_warning:
        st.warning(result.uncovered_warning)
    show_tabs(result)
    download_notebook(lambda: patches_notebook(image, result), "patches", fingerprint=(name, str(query)))
    show_code(engine.patchify, engine.unpatchify, engine.unpatchify_reference, engine.coverage,
              engine.weight_map, engine.window_1d)


main()
