"""Inpainting: paint over part of a photo, fill it with the trained U-Net, compare."""

import hashlib
import importlib.util
import time
from pathlib import Path

import streamlit as st

from patchlab.gate import Gate
from patchlab.images import limit_size, load_sample, sample_names
from patchlab.inpainting import Inpainter, ModelUnavailable
from patchlab.inpainting.baselines import CLASSICAL
from patchlab.inpainting.data import HELD_OUT
from patchlab.inpainting.display import (canvas_size, colour_levels, error_levels, error_scale, hole_box,
                                         overlay_mask, to_png)
from patchlab.inpainting.evaluate import LABELS, format_table, load_report, region_metrics
from patchlab.inpainting.infer import DEFAULT_MODEL, MIN_SIDE, RETRAIN
from patchlab.inpainting.masks import canvas_to_mask
from patchlab.inpainting import prefill
from patchlab.memory import release_free_memory
from patchlab.runtime import read_card
from patchlab.ui.canvas import drawing
from patchlab.ui.code import show_code
from patchlab.ui.picker import decode_upload
from patchlab.ui.router import ensure_router
from patchlab.ui.server import read_only

ensure_router()

WORKING_SIDE = 512  # photos are downscaled to this, so Fill answers within about a second
RESULT_KEY = "inpainting_result"


@st.cache_resource(show_spinner="Loading the inpainting model...")
def load_inpainter():
    """One model per server process, shared by every session (thread-safe), warmed up."""
    model = Inpainter.load()
    model.warm_up()
    return model


@st.cache_resource
def fill_gate():
    """One queue per server: a room of Fills runs a couple at a time, first come first served."""
    return Gate()


@st.cache_resource(show_spinner=False, max_entries=32)
def sample_photo(name):
    """(photo, note): one read-only copy per server, shared by every session."""
    return read_only(limit_size(load_sample(name), WORKING_SIDE))


def run_fill(photo, mask, chosen):
    """The U-Net and the chosen classical methods on one photo, each timed and scored."""
    results, errors = {}, []
    try:
        model = load_inpainter()
    except (ModelUnavailable, ValueError) as exc:
        model = None
        errors.append(f"The U-Net is not available: {exc}")
    if model is not None:
        bar = st.progress(0.0, text="Filling with the U-Net...")

        def report(done, total):
            bar.progress(done / max(total, 1), text=f"U-Net: tile {done} of {total}")

        t = time.perf_counter()
        results["unet"] = (model.inpaint(photo, mask, progress=report), time.perf_counter() - t)
        bar.empty()
    for key in chosen:
        with st.spinner(f"Filling with {CLASSICAL[key][0]}..."):
            t = time.perf_counter()
            results[key] = (CLASSICAL[key][1](photo, mask), time.perf_counter() - t)
    metrics = {k: region_metrics(photo, img, mask) for k, (img, _) in results.items()}
    return results, errors, metrics


st.title("Inpainting")
st.markdown(
    "Paint over the part of the photo you want to remove, then press **Fill**. "
    "A U-Net trained on other photos fills the hole; the classical methods fill it "
    "too. Because you masked a complete photo, the truth is known, so every result "
    "is scored against it."
)

# ---------------------------------------------------------------- the photo
source = st.radio("Photo", ["Sample photo", "Upload your own"], horizontal=True)
photo, photo_id = None, None
if source == "Sample photo":
    names = sample_names()
    name = st.selectbox("Sample", names, index=names.index(HELD_OUT[0]),
                        format_func=lambda n: f"{n} (never seen in training)" if n in HELD_OUT else n)
    photo, _ = sample_photo(name)
    photo_id = f"sample:{name}"
else:
    upload = st.file_uploader("A photo (PNG, JPEG, WebP, ...)",
                              type=["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"])
    if upload is None:
        st.info("Choose a photo to upload, or pick a sample photo above.")
        st.stop()
    decoded = decode_upload(upload, "inpainting", WORKING_SIDE)  # once per upload, not per stroke
    if isinstance(decoded, str):
        st.error(decoded)
        st.stop()
    photo, note = decoded
    photo_id = f"upload:{upload.file_id}"
    if note:
        st.caption(note)

if min(photo.shape[:2]) < MIN_SIDE:
    st.warning(f"This photo is {photo.shape[1]}x{photo.shape[0]} pixels: too small to inpaint. "
               f"Please use a photo of at least {MIN_SIDE}x{MIN_SIDE} pixels.")
    st.stop()

# ----------------------------------------------------------------- the mask
tools = st.columns([1, 2, 3])
tool = tools[0].radio("Tool", ["Brush", "Rectangle"], horizontal=True)
brush = tools[1].slider("Brush size (px)", 5, 60, 24, disabled=tool != "Brush")
chosen = tools[2].multiselect("Classical methods to compare", list(CLASSICAL), default=["telea"],
                              format_func=lambda k: CLASSICAL[k][0] + (" (slow)" if k == "biharmonic" else ""),
                              help="Biharmonic is the strongest classical method on the held-out photos, "
                                   "but it takes about a second per Fill on this server (the others take "
                                   "a tenth of that), so it is off until you add it.")

width, height = canvas_size(photo.shape)
st.caption("Paint the region to remove. The canvas toolbar below it has undo, redo and clear.")
canvas = drawing(
    key="mask", width=width, height=height, background_image=photo,
    drawing_mode="freedraw" if tool == "Brush" else "rect",
    stroke_width=brush if tool == "Brush" else 1,
    stroke_color="rgba(255, 0, 255, 0.7)", fill_color="rgba(255, 0, 255, 0.7)",
)
mask = None
if canvas.rgba is not None:
    try:
        mask = canvas_to_mask(canvas.rgba, photo.shape, canvas.fit)
    except ValueError:
        mask = None

fill = st.button("Fill", type="primary", key="fill")
mask_id = None if mask is None else hashlib.sha1(mask.tobytes()).hexdigest()

if fill:
    if mask is None or not mask.any():
        st.warning("Nothing is painted yet: paint over part of the photo first, then press Fill.")
    elif mask.all():
        st.warning("The mask covers the whole photo, so nothing is left to fill it from. "
                   "Leave some of the photo unpainted.")
    else:
        queue_note = st.empty()

        def waiting(ahead):
            queue_note.info(f"The server is busy: {ahead} Fill{'s' if ahead != 1 else ''} ahead of "
                            f"yours. Yours starts by itself; please keep this page open.")

        asked = time.perf_counter()
        with fill_gate().slot(on_wait=waiting):
            queue_note.empty()
            started = time.perf_counter()
            results, errors, metrics = run_fill(photo, mask, chosen)
            finished = time.perf_counter()
        # what every later rerun shows, computed once (outside the queue: it is light)
        vmax = error_scale(photo, [img for img, _ in results.values()])
        st.session_state[RESULT_KEY] = {
            "photo_id": photo_id, "mask_id": mask_id, "photo": photo, "mask": mask,
            "results": results, "errors": errors, "metrics": metrics, "vmax": vmax,
            "server_s": finished - started, "queued_s": started - asked,
            "error_levels": {k: error_levels(photo, img, vmax=vmax) for k, (img, _) in results.items()},
            "downloads": {"mask": to_png(mask), **({"unet": to_png(results["unet"][0])} if "unet" in results else {})},
        }
        del results, metrics
        release_free_memory()

# -------------------------------------------------------------- the results
state = st.session_state.get(RESULT_KEY)
if state is None or state["photo_id"] != photo_id:
    st.info("Paint over part of the photo, then press **Fill**.")
else:
    for message in state["errors"]:
        st.error(message)
    if state["mask_id"] != mask_id:
        st.caption("The drawing changed since the last Fill: press Fill again to update.")
    results, original, hole = state["results"], state["photo"], state["mask"]
    if results:
        st.subheader("Results")
        zoom = st.toggle("Zoom in on the hole", value=True)
        y0, y1, x0, x1 = hole_box(hole) if zoom else (0, hole.shape[0], 0, hole.shape[1])

        def crop(img):
            return img[y0:y1, x0:x1]

        shown = [("Masked input", overlay_mask(original, hole))]
        shown += [(LABELS[k], img) for k, (img, _) in results.items()]
        per_row = 2 if len(shown) in (2, 4) else 3
        for start in range(0, len(shown), per_row):
            cols = st.columns(per_row)
            for col, (label, img) in zip(cols, shown[start:start + per_row]):
                col.image(crop(img), caption=label, width="stretch")

        st.subheader("Error against the original")
        vmax = state["vmax"]
        maps = [("Original", crop(original))]
        maps += [(LABELS[k], colour_levels(crop(levels))) for k, levels in state["error_levels"].items()]
        for start in range(0, len(maps), per_row):
            cols = st.columns(per_row)
            for col, (label, img) in zip(cols, maps[start:start + per_row]):
                col.image(img, caption=label, width="stretch")
        st.caption(f"Mean absolute error over the colour channels; black = exact, "
                   f"brightest = {vmax:.0f} grey levels (same scale for every method).")

        rows = [{
            "method": LABELS[k],
            "PSNR masked (dB)": f"{m['psnr_masked']:.2f}",
            "SSIM masked": f"{m['ssim_masked']:.3f}",
            "PSNR whole (dB)": f"{m['psnr_whole']:.2f}",
            "SSIM whole": f"{m['ssim_whole']:.4f}",
            "time (ms)": f"{results[k][1] * 1000:.0f}",
        } for k, m in state["metrics"].items()]
        st.table(rows, hide_index=True)
        st.caption(f"{hole.mean():.1%} of the photo was masked. Higher is better; the "
                   f"masked-region figures are the ones that tell the methods apart. "
                   f"This Fill took {state['server_s']:.2f} s on the server, after "
                   f"{state['queued_s']:.2f} s in the queue.")

        download = st.columns(3)
        if "unet" in state["downloads"]:
            download[0].download_button("Download the U-Net result (PNG)", state["downloads"]["unet"],
                                        file_name="inpainted.png", mime="image/png", on_click="ignore")
        download[1].download_button("Download the mask (PNG)", state["downloads"]["mask"],
                                    file_name="mask.png", mime="image/png", on_click="ignore")

# ------------------------------------------------------------ evaluation
st.subheader("How the methods compare on held-out photos")
report = load_report()
if report is None:
    st.info("No evaluation has been run yet. Run `python -m patchlab.inpainting.evaluate --json`.")
else:
    st.markdown(format_table(report))
    for family, t in report.get("target", {}).items():
        verdict = "meets" if t["met"] else "misses"
        st.caption(f"{family} masks: the U-Net is {t['psnr_gain_db']:+.2f} dB over the best "
                   f"classical method ({LABELS.get(t['best_classical'])}); it {verdict} the "
                   f"target of +1 dB with a higher SSIM."
                   + (f" Over its own first guess (the harmonic fill) it gains "
                      f"{t['psnr_gain_over_first_guess_db']:+.2f} dB."
                      if "psnr_gain_over_first_guess_db" in t else ""))
    st.caption(f"Held-out photos (never used in training): {', '.join(report['held_out_photos'])}; "
               f"{len(report['views'])} views x {report['masks_per_view']} seeded masks per family, "
               f"{report['view_size']}x{report['view_size']} pixels. Times are medians on this server.")

with st.expander("Show the code: the model definition"):
    spec = importlib.util.find_spec("patchlab.inpainting.model")  # read, not imported: no TensorFlow
    st.code(Path(spec.origin).read_text(), language="python")
show_code(Inpainter.inpaint, Inpainter._run_flipped, Inpainter._tiled, prefill, canvas_to_mask,
          label="Show the code: the inference path")
first_guess = prefill.prefill_function(read_card(DEFAULT_MODEL).get("prefill"))  # what the shipped model was trained with
st.caption(f"The shipped model's first guess of the hole: `{first_guess.__name__}`.")
st.caption(f"Retrain the model: `{RETRAIN}`")

# Load (and warm up) the shared model while the participant draws, not when they press Fill;
# later sessions find it loaded. A missing or broken model is reported by Fill.
try:
    load_inpainter()
except (ModelUnavailable, ValueError):
    pass
