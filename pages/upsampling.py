"""Upsampling: a transposed convolution stamps its kernel; bilinear init, and checkerboards."""

import io

import numpy as np
import pandas as pd
import streamlit as st

from patchlab import upsampling as up
from patchlab.upsampling.figures import pixelate, stamps_figure
from patchlab.images import load_sample, sample_names
from patchlab.ui.code import show_code
from patchlab.ui.router import ensure_router
from patchlab.ui.server import read_only

ensure_router()

INPUT_SIDE = 48  # input pixels per side: keeps every interaction well under a second
DISPLAY_SIDE = 384  # displayed size of the upsampled images (pixel repetition)
PIPELINE_SIDE = 128
INIT_LABELS = {"bilinear": "Bilinear", "random": "Random", "nearest": "Nearest-neighbour (box)"}
PATTERN_LABELS = {
    "constant": "Constant grey",
    "ramp": "Ramp",
    "checkerboard": "Checkerboard",
    "disc": "Disc",
}


@st.cache_resource(show_spinner=False, max_entries=32)
def input_image(source, name):
    """The picture to upsample, float32 (H, W, 3) in [0, 1] (shared, read-only)."""
    if source == "photo":
        return read_only(load_sample(name, max_side=INPUT_SIDE).astype(np.float32) / 255.0)
    return read_only(up.pattern_image(name, INPUT_SIDE, 3))


@st.cache_resource(show_spinner=False, max_entries=16)
def pipeline_photo(name):
    return read_only(load_sample(name, max_side=PIPELINE_SIDE))


@st.cache_resource(show_spinner=False, max_entries=64)
def upsampling_layer(init, factor, size, channels=3):
    """A Conv2DTranspose (stride ``factor``) initialised with one kernel; built once per setting."""
    return up.transposed_conv_layer(up.make_kernel(init, factor, size), factor, channels)


@st.cache_resource(show_spinner=False, max_entries=64)
def smoothing_layer(init, factor, size, channels=3):
    """The stride-1 Conv2D of resize-then-convolve, with the same kernel."""
    return up.resize_conv_layer(up.make_kernel(init, factor, size), channels)


@st.cache_resource(show_spinner=False)
def pipeline():
    return up.pipeline_model(3)


def png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


@st.cache_data(show_spinner=False, max_entries=128)
def stamps_png(init, factor, size):
    """The stamps figure as PNG bytes, rendered once per setting."""
    return png(stamps_figure(up.make_kernel(init, factor, size), factor, n=5))


def heatmap(values, fmt, cmap):
    """A small array as a table coloured by value: a heatmap that shows its numbers."""
    table = pd.DataFrame(np.asarray(values))
    table.columns = [str(c) for c in table.columns]
    style = table.style.background_gradient(cmap=cmap, axis=None).format(fmt)
    st.table(style.hide(axis="index").hide(axis="columns"))


def show_image(image, caption):
    """Show an upsampled image enlarged by pixel repetition (no browser smoothing)."""
    scale = max(1, DISPLAY_SIDE // max(image.shape[:2]))
    st.image(pixelate(np.clip(image, 0.0, 1.0), scale), caption=caption, clamp=True)


st.title("Upsampling")
st.markdown(
    "A **transposed convolution** with stride *f* enlarges an image by *f*: every input "
    "pixel stamps a copy of the kernel, weighted by the pixel's value, every *f* output "
    "pixels, and overlapping stamps add up — the same overlap-add that merges patches on "
    "the Patches page. With the **bilinear kernel** of size 2*f* − *f* % 2 the stamps "
    "reaching every pixel weigh exactly 1 in total and the layer *is* bilinear "
    "interpolation. With a kernel size the stride does not divide, pixels receive "
    "alternately more and fewer stamps, and unless the weights compensate, a "
    "**checkerboard** appears."
)

# ----------------------------------------------------------------- controls
with st.container(border=True):
    c1, c2, c3, c4 = st.columns([1, 1.3, 1.4, 1.6])
    factor = c1.select_slider("Upsampling factor *f* (stride)", options=[2, 3, 4], value=2, key="factor")
    init = c2.radio(
        "Initialisation", list(INIT_LABELS), format_func=INIT_LABELS.get, key="init"
    )
    recommended = up.kernel_size(factor) if init != "nearest" else factor
    rec_name = "2f − f % 2" if init != "nearest" else "f"
    use_rec = c3.checkbox(f"Kernel size {rec_name} = {recommended}", value=True, key="use_rec")
    if use_rec:
        size = recommended
    else:
        size = c3.slider("Kernel size", 1, 3 * 4, value=min(recommended + 1, 12), key="size")
    source = c4.radio("Input", ["photo", "pattern"], horizontal=True, key="source",
                      format_func={"photo": "A photo", "pattern": "A test pattern"}.get)
    if source == "photo":
        names = sample_names()
        name = c4.selectbox("Photo", names, index=names.index("astronaut") if "astronaut" in names else 0,
                            key="photo")
    else:
        name = c4.selectbox("Pattern", list(PATTERN_LABELS), format_func=PATTERN_LABELS.get,
                            key="pattern")

try:
    kernel = up.make_kernel(init, factor, size)
    image = input_image(source, name)
except (ValueError, OSError) as err:
    st.error(f"Could not prepare the input: {err}")
    st.stop()

# ------------------------------------------------------ 1. kernel and stamps
try:
    layer = upsampling_layer(init, factor, size)
except ImportError as err:
    st.error(f"TensorFlow is not available ({err}); install the requirements with `make run`.")
    st.stop()

st.header("1 · The kernel and its stamps")
left, right = st.columns([1, 1.4])
with left:
    st.markdown(f"**{INIT_LABELS[init]} kernel, {size}×{size}**")
    heatmap(kernel, "{:.3f}", "viridis")
with right:
    st.image(stamps_png(init, factor, size))
    st.caption(
        "Each colour is one input pixel's stamp (the kernel, summed over one axis); "
        "the height of a column is the output there. Uneven heights in the white "
        "region are the checkerboard, in one dimension."
    )

counts = up.overlap_count((16, 16), size, factor)  # large enough for a 12-pixel kernel's border
inner_counts = up.interior(counts, size + factor)
strength = up.kernel_checkerboard_strength(kernel, factor)
m1, m2, m3 = st.columns(3)
m1.metric("Stamps overlapping (interior)", f"{inner_counts.min()} – {inner_counts.max()}",
          help="Computed with the patch engine's coverage() on the output grid.")
m2.metric("Divides evenly?", "yes" if size % factor == 0 else "no",
          help="Is the kernel size a multiple of the stride?")
m3.metric("Kernel's checkerboard strength", f"{strength:.3f}",
          help="(max − min) / max of the response to a constant image, from the kernel's "
               "polyphase sums: 0 = none, 1 = gaps no stamp reaches.")

small = (12 // factor, 12 // factor)
response = up.upsample(np.ones(small + (3,), np.float32), "transposed", factor, layer)[:, :, 0]
a, b = st.columns(2)
with a:
    st.markdown(f"**Overlap count**: stamps per output pixel ({small[0]}×{small[1]} input)")
    heatmap(up.overlap_count(small, size, factor), "{:d}", "magma")
    st.caption(
        "`overlap_count` = `patchlab.patches.coverage` of kernel-sized patches every "
        f"{factor} pixels on the output grid: uniform when {factor} divides the kernel "
        "size, a checkerboard otherwise (the edges get fewer)."
    )
with b:
    st.markdown("**Summed weights**: the output for a constant image of 1")
    heatmap(response, "{:.2f}", "magma")
    st.caption(
        "What each pixel really receives: the weights of the overlapping stamps. A "
        "kernel can compensate uneven counts (try bilinear with size 3 at f = 2) — "
        "or not (nearest-neighbour, random)."
    )

# --------------------------------------------------------- 2. upsampled images
st.header("2 · Upsampled images")
bilinear_layer = upsampling_layer("bilinear", factor, up.kernel_size(factor))
random_layer = upsampling_layer("random", factor, size)
resize_conv = smoothing_layer("random", factor, size)
rows = [
    ("Nearest (tf.image.resize)", "nearest", None, None),
    ("Bilinear (tf.image.resize)", "bilinear", None, None),
    (f"Transposed conv, bilinear init, {up.kernel_size(factor)}×{up.kernel_size(factor)}",
     "transposed", bilinear_layer, up.make_kernel("bilinear", factor)),
    (f"Transposed conv, random init, {size}×{size}", "transposed", random_layer,
     up.make_kernel("random", factor, size)),
    (f"Resize, then convolve with that random {size}×{size}", "resize_conv", resize_conv, None),
    (f"Transposed conv, your kernel ({INIT_LABELS[init].lower()}, {size}×{size})",
     "transposed", layer, kernel),
]
constant = np.full((24, 24, 3), 0.5, np.float32)
margin = max(size, up.kernel_size(factor)) + factor
table = []
cols = st.columns(3)
for i, (label, method, lay, _) in enumerate(rows):
    out = up.upsample(image, method, factor, lay)
    with cols[i % 3]:
        show_image(out, label)
    flat = up.upsample(constant, method, factor, lay)
    table.append({"method": label, "checkerboard strength": round(up.checkerboard_strength(flat, margin), 4)})

st.dataframe(table, hide_index=True, width="stretch")
st.caption(
    "Checkerboard strength, computed live: upsample a constant grey image with each "
    f"method and measure (max − min) / max away from the border ({margin} pixels at each "
    "edge). 0 means flat. Resize-then-convolve is flat even with random weights: after "
    "a resize every output pixel sees the same number of kernel taps."
)

cmp = up.compare_with_resize(image, factor)
bw = cmp["border"][0]
edge_weight = up.upsample(np.ones((8, 8, 3), np.float32), "transposed", factor, bilinear_layer)[0, 4 * factor, 0]
d1, d2 = st.columns(2)
d1.metric("Interior: max |transposed conv − resize|", f"{cmp['interior_max']:.1e}",
          help="Largest absolute difference between the bilinear-initialised transposed "
               "convolution and tf.image.resize(..., 'bilinear'), away from the border; "
               "pixel values in [0, 1].")
d2.metric(f"… on the {bw}-pixel border", f"{cmp['border_max']:.3f}")
st.markdown(
    f"In the interior the two agree to float32 rounding: the layer **is** bilinear "
    f"interpolation with half-pixel centres. They differ on the outer {bw} pixel(s) "
    f"(*f* // 2): there, some stamps would come from pixels outside the image. The "
    "transposed convolution treats those as 0, so the weights that arrive sum to less "
    f"than 1 ({edge_weight:.3g} along the top edge, less in the corners) "
    "and the border is darker, while `tf.image.resize` clamps to the "
    "edge pixel."
)

# ------------------------------------------------------------- 3. pipeline
st.header("3 · Convolution → 2×2 max-pool → stride-2 transposed convolution")
photo_name = name if source == "photo" else "astronaut"
try:
    stages = up.run_pipeline(pipeline_photo(photo_name), pipeline())
except (ValueError, OSError) as err:
    st.error(f"Could not run the pipeline: {err}")
else:
    st.code("\n".join(f"{s.name:<24} {s.shape}" for s in stages), language="text")
    pcols = st.columns(len(stages))
    for col, s in zip(pcols, stages):
        with col:
            # twice the real size, so the pool's halving shows
            st.image(pixelate(np.clip(s.image, 0.0, 1.0), 2), width=2 * s.shape[2],
                     caption=f"{s.name} {s.shape[1]}×{s.shape[2]}", clamp=True)
    st.caption(
        "Real tensors: a 3×3 smoothing convolution keeps the size ('same'), the 2×2 "
        "max-pool halves it, and a Conv2DTranspose with stride 2, padding 'same' and a "
        "bilinear 4×4 kernel restores it."
    )

show_code(up.bilinear_kernel, up.bilinear_weights, up.transposed_conv_layer,
          up.bilinear_upsampling_layer, up.overlap_count)
