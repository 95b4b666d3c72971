"""Inpainting: paint over part of a photo, fill it with the trained U-Net, compare."""

import contextlib
import importlib.util
from pathlib import Path

import streamlit as st

from patchlab.gate import Gate
from patchlab.images import sample_names
from patchlab.inpainting import Inpainter, ModelUnavailable, demo, prefill
from patchlab.inpainting.baselines import CLASSICAL
from patchlab.inpainting.demo import (BRUSH_SIZES, PHOTO_SIDE, SOURCES, TOOLS, Settings, clamp_settings,
                                      drawing_mask, evaluation_summary, mask_id, mask_problem, photo_problem,
                                      queue_message, result_view, retrain_note, run_fill, sample_label,
                                      shipped_first_guess)
from patchlab.inpainting.display import canvas_size
from patchlab.inpainting.evaluate import read_inpainting_report
from patchlab.inpainting.masks import canvas_to_mask
from patchlab.ui.canvas import drawing
from patchlab.ui.code import show_code
from patchlab.ui.picker import decode_upload
from patchlab.ui.router import ensure_router
from patchlab.ui.server import read_only

RESULT_KEY = "inpainting_result"
UPLOAD_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"]


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
    return read_only(demo.sample_photo(name))


@contextlib.contextmanager
def working(method, message):
    """A progress bar while the U-Net fills (tile by tile), a spinner while a classical method does."""
    if method != "unet":
        with st.spinner(message):
            yield None
        return
    bar = st.progress(0.0, text=message)
    yield bar.progress
    bar.empty()


def choose_photo(defaults):
    """The photo widgets: ``(settings, photo, photo_id)``; stops the page until there is a photo."""
    source = st.radio("Photo", SOURCES, horizontal=True)
    sample = defaults.sample
    if source == SOURCES[0]:
        names = sample_names()
        sample = st.selectbox("Sample", names, index=names.index(defaults.sample), format_func=sample_label)
        photo, _ = sample_photo(sample)
        photo_id = f"sample:{sample}"
    else:
        upload = st.file_uploader("A photo (PNG, JPEG, WebP, ...)", type=UPLOAD_TYPES)
        if upload is None:
            st.info("Choose a photo to upload, or pick a sample photo above.")
            st.stop()
        decoded = decode_upload(upload, "inpainting", PHOTO_SIDE)  # once per upload, not per stroke
        if isinstance(decoded, str):
            st.error(decoded)
            st.stop()
        photo, note = decoded
        photo_id = f"upload:{upload.file_id}"
        if note:
            st.caption(note)
    problem = photo_problem(photo)
    if problem:
        st.warning(problem)
        st.stop()
    return Settings(source=source, sample=sample), photo, photo_id


def choose_tools(settings):
    """The drawing tool, brush size and classical methods, read into ``settings``."""
    tools = st.columns([1, 2, 3])
    tool = tools[0].radio("Tool", TOOLS, horizontal=True)
    brush = tools[1].slider("Brush size (px)", *BRUSH_SIZES, settings.brush, disabled=tool != "Brush")
    methods = tools[2].multiselect(
        "Classical methods to compare", list(CLASSICAL), default=list(settings.methods),
        format_func=lambda k: CLASSICAL[k][0] + (" (slow)" if k == "biharmonic" else ""),
        help="Biharmonic is the strongest classical method on the held-out photos, "
             "but it takes about a second per Fill on this server (the others take "
             "a tenth of that), so it is off until you add it.")
    settings, _ = clamp_settings(Settings(settings.source, settings.sample, tool, brush, methods), sample_names())
    return settings  # the widgets offer nothing out of range: no notes


def picture_rows(pictures, per_row):
    """Captioned pictures, ``per_row`` to a row."""
    for start in range(0, len(pictures), per_row):
        cols = st.columns(per_row)
        for col, (label, img) in zip(cols, pictures[start:start + per_row]):
            col.image(img, caption=label, width="stretch")


def show_result(result):
    """The pictures, error maps, scores and downloads of the last Fill."""
    st.subheader("Results")
    view = result_view(result, zoom=st.toggle("Zoom in on the hole", value=Settings().zoom))
    picture_rows(view.pictures, view.per_row)
    st.subheader("Error against the original")
    picture_rows(view.error_pictures, view.per_row)
    st.caption(view.scale_note)
    st.table(view.table, hide_index=True)
    st.caption(view.summary)
    download = st.columns(3)
    if "unet" in result.downloads:
        download[0].download_button("Download the U-Net result (PNG)", result.downloads["unet"],
                                    file_name="inpainted.png", mime="image/png", on_click="ignore")
    download[1].download_button("Download the mask (PNG)", result.downloads["mask"],
                                file_name="mask.png", mime="image/png", on_click="ignore")


def main():
    ensure_router()
    st.title("Inpainting")
    st.markdown(
        "Paint over the part of the photo you want to remove, then press **Fill**. "
        "A U-Net trained on other photos fills the hole; the classical methods fill it "
        "too. Because you masked a complete photo, the truth is known, so every result "
        "is scored against it."
    )

    # ------------------------------------------------------------ the photo and the mask
    settings, photo, photo_id = choose_photo(Settings())
    settings = choose_tools(settings)
    width, height = canvas_size(photo.shape)
    st.caption("Paint the region to remove. The canvas toolbar below it has undo, redo and clear.")
    canvas = drawing(
        key="mask", width=width, height=height, background_image=photo,
        drawing_mode=settings.drawing_mode, stroke_width=settings.stroke_width,
        stroke_color="rgba(255, 0, 255, 0.7)", fill_color="rgba(255, 0, 255, 0.7)",
    )
    mask = drawing_mask(canvas.rgba, canvas.fit, photo.shape)

    if st.button("Fill", type="primary", key="fill"):
        problem = mask_problem(mask)
        if problem:
            st.warning(problem)
        else:
            queue_note = st.empty()
            st.session_state[RESULT_KEY] = run_fill(
                photo, mask, settings.methods, load_inpainter, photo_id=photo_id, gate=fill_gate(),
                on_wait=lambda ahead: queue_note.info(queue_message(ahead)), on_start=queue_note.empty,
                working=working)

    # ------------------------------------------------------------ the results
    result = st.session_state.get(RESULT_KEY)
    if not isinstance(result, demo.FillResult) or not result.is_for(photo_id):
        st.info("Paint over part of the photo, then press **Fill**.")
    else:
        for message in result.errors:
            st.error(message)
        if result.drawing_changed(mask_id(mask)):
            st.caption("The drawing changed since the last Fill: press Fill again to update.")
        if result.images:
            show_result(result)

    # ------------------------------------------------------------ evaluation
    st.subheader("How the methods compare on held-out photos")
    summary = evaluation_summary(read_inpainting_report())
    if summary is None:
        st.info("No evaluation has been run yet. Run `python -m patchlab.inpainting.evaluate --json`.")
    else:
        st.markdown(summary.table)
        for note in summary.notes:
            st.caption(note)

    with st.expander("Show the code: the model definition"):
        spec = importlib.util.find_spec("patchlab.inpainting.model")  # read, not imported: no TensorFlow
        st.code(Path(spec.origin).read_text(), language="python")
    show_code(Inpainter.inpaint, Inpainter._run_flipped, Inpainter._tiled, prefill, canvas_to_mask,
              label="Show the code: the inference path")
    st.caption(f"The shipped model's first guess of the hole: `{shipped_first_guess()}`.")
    st.caption(retrain_note())

    # Load (and warm up) the shared model while the participant draws, not when they press Fill;
    # later sessions find it loaded. A missing or broken model is reported by Fill.
    try:
        load_inpainter()
    except (ModelUnavailable, ValueError):
        pass


main()
