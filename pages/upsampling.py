"""Upsampling: a transposed convolution stamps its kernel; bilinear init, and checkerboards."""

import streamlit as st

from patchlab import upsampling as up
from patchlab.i18n import N_, _
from patchlab.images import sample_names
from patchlab.upsampling.demo import (
    FACTORS,
    INIT_LABELS,
    MAX_KERNEL_SIZE,
    PATTERN_LABELS,
    QUERY_NAMES,
    SOURCE_LABELS,
    Settings,
    analyse,
    clamp_settings,
    custom_size_default,
    input_image,
    kernel_size_choice_label,
    read_link,
    to_query,
    widget_defaults,
)
from patchlab.upsampling.figures import coloured_value_table, strengths_table
from patchlab.ui.canvas import canvas_width
from patchlab.ui.code import show_code
from patchlab.ui.layout import picture_grid
from patchlab.notebooks import upsampling_notebook
from patchlab.ui.link import PageLink, arrive, publish, show_notice
from patchlab.ui.notebook import download_notebook
from patchlab.ui.room import details, key_figure, presenter_toggle, share_bar
from patchlab.ui.router import ensure_router
from patchlab.visualize import human_number

# Every setting survives a visit to another page (and is written into the URL by publish()).
KEEP = dict(persist_state="session")
LINK = PageLink("upsampling", lambda params: read_link(params, sample_names()), widget_defaults(),
                tuple(QUERY_NAMES.values()), to_query(Settings()))

INTRO = (
    N_("A **transposed convolution** with stride *f* enlarges an image by *f*: every input "
    "pixel stamps a copy of the kernel, weighted by the pixel's value, every *f* output "
    "pixels, and overlapping stamps add up.")
)
INTRO_MORE = (
    N_("It is the same overlap-add that merges patches on the Patches page. With the **bilinear "
    "kernel** of size 2*f* − (*f* mod 2) the stamps reaching every pixel weigh exactly 1 in total "
    "and the layer *is* bilinear interpolation. With a kernel size the stride does not divide, "
    "pixels receive alternately more and fewer stamps, and unless the weights compensate, a "
    "**checkerboard** appears.")
)


def custom_size_chosen():
    """The kernel-size choice was switched off: the slider starts one above the recommended size."""
    q, state = QUERY_NAMES, st.session_state
    if not state.get(q["use_recommended"], True):
        state[q["custom_size"]] = custom_size_default(state.get(q["factor"], Settings.factor),
                                                      state.get(q["init"], Settings.init))


def controls():
    """The widgets, read into :class:`Settings`."""
    q = QUERY_NAMES
    with st.container(border=True):
        layer, init_col, source_col = st.columns(3)
        kernel = st.container()  # a row of its own: room for the kernel-size choice's whole label
        factor = layer.select_slider(_("Upsampling factor f (stride)"), options=list(FACTORS), key=q["factor"], **KEEP)
        init = init_col.radio(_("Initialisation"), list(INIT_LABELS), format_func=lambda k: _(INIT_LABELS[k]),
                              key=q["init"], **KEEP)
        custom_size = None
        if not kernel.checkbox(kernel_size_choice_label(factor, init), key=q["use_recommended"],
                               on_change=custom_size_chosen, **KEEP):
            custom_size = kernel.columns(2)[0].slider(_("Kernel size"), 1, MAX_KERNEL_SIZE, key=q["custom_size"], **KEEP)
        source = source_col.radio(_("Input"), list(SOURCE_LABELS), horizontal=True, key=q["source"],
                                  format_func=lambda k: _(SOURCE_LABELS[k]), **KEEP)
        photo, pattern = Settings.photo, Settings.pattern
        if source == "photo":
            names = sample_names()
            photo = source_col.selectbox(_("Photo"), names, key=q["photo"], **KEEP)
        else:
            pattern = source_col.selectbox(_("Pattern"), list(PATTERN_LABELS), format_func=lambda k: _(PATTERN_LABELS[k]),
                                           key=q["pattern"], **KEEP)
    return Settings(factor=factor, init=init, custom_size=custom_size, source=source, photo=photo,
                    pattern=pattern)


def show_kernel_and_stamps(r):
    s = r.settings
    st.header(_("1 · The kernel and its stamps"))
    left, right = st.columns([1, 1.4])
    with left:
        st.markdown(_("**{init} kernel, {size}×{size}**").format(init=_(INIT_LABELS[s.init]), size=s.size))
        st.table(coloured_value_table(r.kernel, "{:.3f}", "viridis"), hide_index=True, hide_header=True,
                 alt=_("The {size}×{size} kernel's weights, one cell per weight").format(size=s.size))
    with right:
        st.image(r.stamps_png, alt=r.stamps_alt)
        st.caption(
            _("Each colour is one input pixel's stamp (the kernel, summed over one axis); "
            "the height of a column is the output there. Uneven heights in the white "
            "region are the checkerboard, in one dimension.")
        )

    m1, m2, m3 = st.columns(3)
    lo, hi = r.overlap_range
    m1.metric(_("Stamps on an interior pixel"), f"{lo}" if lo == hi else _("{low} to {high}").format(low=lo, high=hi),
              help=_("Computed with the patch engine's coverage() on the output grid."))
    m2.metric(_("Divides evenly?"), _("yes") if r.divides_evenly else _("no"),
              help=_("Is the kernel size a multiple of the stride?"))
    key_figure(_("Kernel's checkerboard strength"), f"{r.kernel_strength:.3f}", container=m3,
               help=_("(max − min) / max of the response to a constant image, from the kernel's "
                    "polyphase sums: 0 = none, 1 = gaps no stamp reaches."))

    a, b = st.columns(2)
    with a:
        st.markdown(_("**Overlap count**: stamps per output pixel ({h}×{w} input)").format(h=r.count_shape[0],
                                                                                            w=r.count_shape[1]))
        st.table(coloured_value_table(r.overlap_counts, "{:d}", "magma"), hide_index=True, hide_header=True,
                 alt=_("Stamps per output pixel, one cell per pixel of the upsampled image"))
        st.caption(
            _("`overlap_count` = `patchlab.patches.coverage` of kernel-sized patches every "
            "{factor} pixels on the output grid: uniform when {factor} divides the kernel "
            "size, a checkerboard otherwise (the edges get fewer).").format(factor=s.factor)
        )
    with b:
        st.markdown(_("**Summed weights**: the output for a constant image of 1"))
        st.table(coloured_value_table(r.summed_weights, "{:.2f}", "magma"), hide_index=True, hide_header=True,
                 alt=_("Summed kernel weights per output pixel, one cell per pixel of the upsampled image"))
        st.caption(
            _("What each pixel really receives: the weights of the overlapping stamps. A "
            "kernel can compensate uneven counts (try bilinear with size 3 at f = 2) — "
            "or not (nearest-neighbour, random).")
        )


def show_upsampled_pictures(r):
    st.header(_("2 · Upsampled images"))
    picture_grid("up_pictures_space", [(p.picture, p.label, p.alt) for p in r.pictures], per_row=3, narrow_per_row=2)
    st.table(strengths_table(r.strengths), hide_index=True,
             alt=_("Checkerboard strength of each of the six upsampling methods"))
    st.caption(
        _("Checkerboard strength, computed live: upsample a constant grey image with each "
        "method and measure (max − min) / max away from the border ({strength_margin} pixels at each "
        "edge). 0 means flat. Resize-then-convolve is flat even with random weights: after "
        "a resize every output pixel sees the same number of kernel taps.").format(strength_margin=r.strength_margin)
    )

    bw = r.border_width
    d1, d2 = st.columns(2)
    d1.metric(_("Interior: max |transposed conv − resize|"), human_number(r.interior_max, 2),
              help=_("Largest absolute difference between the bilinear-initialised transposed "
                   "convolution and tf.image.resize(..., 'bilinear'), away from the border; "
                   "pixel values in [0, 1]."))
    d2.metric(_("… on the {bw}-pixel border").format(bw=bw), f"{r.border_max:.3f}")
    st.markdown(
        _("In the interior the two agree to float32 rounding: the layer **is** bilinear "
        "interpolation with half-pixel centres. They differ on the outer {bw} pixel(s) "
        "(*f* // 2): there, some stamps would come from pixels outside the image. The "
        "transposed convolution treats those as 0, so the weights that arrive sum to less "
        "than 1 ({edge_weight} along the top edge, less in the corners) "
        "and the border is darker, while `tf.image.resize` clamps to the "
        "edge pixel.").format(bw=bw, edge_weight=f"{r.edge_weight:.3g}")
    )


def show_pipeline(r):
    st.header(_("3 · Convolution → 2×2 max-pool → stride-2 transposed convolution"))
    if r.pipeline_error is not None:
        st.error(_("Could not run the pipeline: {pipeline_error}").format(pipeline_error=r.pipeline_error))
        return
    with details(_("Tensor shapes")):
        st.code(r.pipeline_shapes, language="text", wrap_lines=True)
    space = canvas_width("up_pipeline_space", default=1200)
    scale = min(1.0, space.width / 560)  # on a phone the stages shrink together: their sizes keep their ratio
    with st.container(horizontal=True, gap="small"):
        for p in r.pipeline_pictures:
            st.image(p.picture, width=max(40, int(p.width * scale)), caption=p.caption, clamp=True, alt=p.alt)
    st.caption(
        _("Real tensors: a 3×3 smoothing convolution keeps the size ('same'), the 2×2 "
        "max-pool halves it, and a Conv2DTranspose with stride 2, padding 'same' and a "
        "bilinear 4×4 kernel restores it.")
    )


def main():
    ensure_router()
    arrive(LINK)
    presenter_toggle()
    share_bar(widget_defaults())
    st.title(_("Upsampling"))
    st.markdown(_(INTRO))
    with st.expander(_("Bilinear kernels and checkerboards, in short")):
        st.markdown(_(INTRO_MORE))
    notice_box = st.container()
    settings, _notes = clamp_settings(controls())  # the widgets only offer what the page can show
    publish(LINK, to_query(settings))  # the address carries what the page shows, and nothing hidden
    show_notice(LINK, notice_box)

    try:
        image = input_image(settings)
    except (ValueError, OSError) as err:
        st.error(_("Could not prepare the input: {err}").format(err=err))
        st.stop()
    try:
        result = analyse(settings, image)  # imports TensorFlow on the first run
    except ImportError as err:
        st.error(_("TensorFlow is not available ({err}); install the requirements with `make run`.").format(err=err))
        st.stop()

    show_kernel_and_stamps(result)
    show_upsampled_pictures(result)
    show_pipeline(result)
    download_notebook(lambda: upsampling_notebook(result), "upsampling", fingerprint=str(to_query(settings)))
    show_code(up.bilinear_kernel, up.bilinear_weights, up.transposed_conv_layer,
              up.bilinear_upsampling_layer, up.overlap_count)  # folded already: an expander


main()
