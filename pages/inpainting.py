"""Inpainting: paint over part of a photo, fill it with the trained U-Net, compare."""

import contextlib
import importlib.util
import json
from pathlib import Path

import pandas as pd
import streamlit as st

from patchlab.gate import Gate
from patchlab.i18n import DEFAULT, N_, _, current_language
from patchlab.images import sample_names
from patchlab.inpainting import Inpainter, ModelUnavailable, demo, prefill
from patchlab.inpainting.demo import (BRUSH_COLOUR, BRUSH_SIZES, FAMILIES, METHODS, PHOTO_SIDE, SEED_MODEL, SOURCES, TOOLS,
                                      Settings, drawing_mask, evaluation_summary, fill_timings, mask_id,
                                      mask_problem, method_label, photo_problem, queue_message, read_link,
                                      result_view, retrain_note, room_fill, run_fill, sample_label,
                                      shipped_first_guess, to_query, winner)
from patchlab.inpainting.display import canvas_size, error_colour_bar, to_jpeg
from patchlab.inpainting.evaluate import read_inpainting_report
from patchlab.inpainting.infer import DEFAULT_MODEL
from patchlab.inpainting.live import DEMO as DOMAIN_DEMO
from patchlab.inpainting.masks import canvas_to_mask
from patchlab.inpainting.tradeoff import WHY_SMOOTH_WINS, held_out_points, zoomed_before_after
from patchlab.inpainting.tradeoff import chart as tradeoff_chart
from patchlab.jobs import interactive
from patchlab.runtime import read_card
from patchlab.ui.canvas import ERASER_COLOUR, canvas_width, drawing, scroll_into_view
from patchlab.ui.classroom import record
from patchlab.ui.code import show_code
from patchlab.ui.jobs import participant, runner
from patchlab.ui.layout import picture_grid
from patchlab.ui.picker import UPLOADER_NOTE, decode_upload
from patchlab.notebooks import inpainting_notebook
from patchlab.ui.link import PageLink, arrive, publish, show_notice
from patchlab.ui.notebook import download_notebook
from patchlab.ui.room import details, key_figure, presenter_toggle, revealed, share_bar
from patchlab.ui.router import ensure_router
from patchlab.ui.server import read_only

RESULT_KEY = "inpainting_result"
SHARE_KEY = "inp_share"  # "Share my fill with the room"
UPLOAD_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"]
#: The settings in the URL: widget key (= query parameter) -> default value.
DEFAULTS = {"photo": Settings().sample, "tool": Settings().tool, "brush": Settings().brush,
            "methods": list(Settings().methods)}
LINK = PageLink("inpainting", lambda params: read_link(params, sample_names()), DEFAULTS, tuple(DEFAULTS),
                to_query(Settings()))
#: From this column width (CSS px) on, the photo's controls sit beside the canvas (the results below both).
WIDE = 1000
BRUSH = "rgba({}, {}, {}, 0.7)".format(*BRUSH_COLOUR)
#: The switch between the participant's domain model (page "Train an inpainter") and the shipped U-Net.
FILL_WITH = (N_("My domain model"), N_("Shipped U-Net"))  # keys, shown with _()
FILLED_WITH = "inpainting_filled_with"  # which model filled the last result: None (shipped) or (photo set, steps)


@st.cache_resource(show_spinner=False)
def _load_inpainter():
    model = Inpainter.load()
    model.warm_up()
    return model


def load_inpainter():
    """One model per server process, shared by every session (thread-safe), warmed up."""
    with st.spinner(_("Loading the inpainting model…")):  # in the participant's language
        return _load_inpainter()


@st.cache_resource(show_spinner=False)
def warm_sharp_fill():
    """The sharp fill's model and compiled search, ready before the first Fill (once per server)."""
    from patchlab.inpainting.sharp import warm_up

    warm_up()
    return True


@st.cache_resource(show_spinner=False)
def load_seed():
    """The tutorial's autoencoder (recipe ``inpainting_seed``), loaded when first chosen."""
    return Inpainter.load(SEED_MODEL)


@st.cache_resource
def fill_gate():
    """One queue per server: a room of Fills runs a couple at a time, first come first served."""
    return Gate()


@st.cache_resource(show_spinner=False, max_entries=32)
def sample_photo(name):
    """(photo, note): one read-only copy per server, shared by every session."""
    return read_only(demo.sample_photo(name))


@contextlib.contextmanager
def working(slot, method, message):
    """In ``slot`` (next to Fill): a progress bar while the U-Net fills (tile by tile), else a spinner."""
    with slot.container():
        if method != "unet":
            with st.spinner(message, show_time=True):
                yield None
            return
        bar = st.progress(0.0, text=message)
        yield bar.progress
    slot.empty()


def choose_photo():
    """The photo widgets: ``(source, sample, photo, photo_id)``; stops the page until there is a photo."""
    source = st.radio(_("Photo"), SOURCES, horizontal=True, key="source", format_func=_, persist_state="session")
    names = sample_names()
    if source == SOURCES[0]:
        sample = st.selectbox(_("Sample"), names, format_func=sample_label, key="photo", persist_state="session")
        photo = sample_photo(sample)[0]
        photo_id = f"sample:{sample}"
    else:
        sample = st.session_state.get("photo", Settings().sample)
        upload = st.file_uploader(_("A photo (PNG, JPEG, WebP, …)"), type=UPLOAD_TYPES)
        if upload is None:
            if current_language() != DEFAULT:  # the uploader's own words are English (docs/i18n.md)
                st.caption(_(UPLOADER_NOTE))
            st.info(_("Choose a photo to upload, or pick a sample photo above."))
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
    return source, sample, photo, photo_id


def choose_methods():
    """What to compare with the U-Net: the tutorial's autoencoder and the classical methods."""
    return st.multiselect(
        _("Compare with"), list(METHODS), format_func=method_label, key="methods", persist_state="session",
        help=_("The tutorial autoencoder is the network of the tutorial this app starts from "
               "(models/inpainting_seed.keras). Biharmonic is the strongest classical method on the "
               "held-out photos, but it takes about a second per Fill on this server (the others take "
               "a tenth of that), so it is off until you add it."))


def domain_model():
    """The participant's domain model from the Train an inpainter page (any tab of this browser), or None."""
    for job in reversed(runner().jobs(participant(), DOMAIN_DEMO)):
        if job.result is not None:
            return job
    return None


def domain_words(described):
    """A domain model, ``(photo set, steps)``, in words."""
    photos, steps = described
    return _("your domain model ({photos}, {steps} steps)").format(photos=photos, steps=steps)


def choose_fill_model():
    """``(load, described)``: what Fill uses for the U-Net's place, and ``(photo set, steps)`` for a domain model.

    Only a participant who has trained a domain model sees the switch; everybody else fills with the shipped U-Net.
    """
    job = domain_model()
    if job is None:
        return load_inpainter, None
    choice = st.segmented_control(
        _("Fill with"), FILL_WITH, default=FILL_WITH[0], key="inp_fill_with", required=True, format_func=_,
        help=_("Your model from the Train an inpainter page, or the shipped U-Net (switch back any time)."))
    model = job.result
    described = (model.request.photos.name, model.steps)  # worded at display, in the reader's language
    if choice != FILL_WITH[0]:
        st.caption(_("Filling with the shipped U-Net. Switch to **My domain model** to use {model}.").format(
            model=domain_words(described)))
        return load_inpainter, None
    st.caption(_("Filling with {model}: its results appear where the U-Net's would.").format(
        model=domain_words(described)))

    def load():
        job.touch()  # recently used: the server keeps it longer
        return model.inpainter

    return load, described


def choose_tool():
    """The drawing tool and the brush (and eraser) width, in one row."""
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    tool = left.segmented_control(_("Tool"), TOOLS, key="tool", persist_state="session", format_func=_,
                                  required=True, help=_("Brush paints the hole; Eraser takes paint back out; "
                                                        "Rectangle drags out a box."))
    brush = right.slider(_("Brush size (px)"), *BRUSH_SIZES, key="brush", persist_state="session",
                         disabled=tool == "Rectangle")
    return tool or Settings().tool, brush


def picture_rows(key, pictures, per_row):
    """Captioned pictures, ``per_row`` to a row (two on a phone)."""
    picture_grid(key, [(img, label, label) for label, img in pictures], per_row=per_row, narrow_per_row=2)


def best_highlighted(rows, best_rows):
    """A table of scores with the best value of each column in bold on a light green."""
    import pandas as pd  # Streamlit's own dependency

    table = pd.DataFrame(rows)

    def mark(column):
        best = set(best_rows.get(column.name, ()))
        return ["font-weight: bold; background-color: #d3f9d8" if i in best else "" for i in range(len(column))]

    return table.style.apply(mark, axis=0)


def show_result(result):
    """The pictures, error maps, scores and downloads of the last Fill."""
    unet = result.metrics.get("unet")
    if unet is not None:
        name = _(result.labels.get("unet", "U-Net"))  # a participant's domain model goes by its own name
        key_figure(_("{model}: PSNR in the hole").format(model=name), f"{unet['psnr_masked']:.2f} dB",
                   help=_("Peak signal-to-noise ratio of the fill by {model} against the original, "
                          "over the painted pixels only. Higher is better.").format(model=name))
    options = st.columns(2)
    zoom = options[0].toggle(_("Zoom in on the hole"), value=Settings().zoom, key="zoom", persist_state="session")
    before = options[1].toggle(_("Show before (the masked input)"), key="before",
                               help=_("Flip every result back to the masked input, to compare before and after."))
    view = result_view(result, zoom=zoom, before=before)
    picture_rows("inp_pictures_space", view.pictures, view.per_row)
    st.markdown(_("**Error against the original**"))
    picture_rows("inp_errors_space", view.error_pictures, view.per_row)
    st.image(error_colour_bar(view.vmax), width="stretch",
             alt=_("Colour bar of the error maps: black is exact, the brightest colour is {vmax} grey "
                   "levels.").format(vmax=f"{view.vmax:.0f}"))
    st.caption(view.scale_note)
    st.table(best_highlighted(view.table, view.best), hide_index=True)
    st.caption(view.summary + _(" The best value in each column is in bold on green. *Detail ratio*: the fill's "
                                "fine detail in the hole against the photo's (1 = as much as the photo, 0 = "
                                "smooth)."))
    show_tradeoff(result)
    download = st.columns(2)
    if "unet" in result.downloads:
        download[0].download_button(_("Download the U-Net result (PNG)"), result.downloads["unet"],
                                    file_name="inpainted.png", mime="image/png", on_click="ignore")
    download[1].download_button(_("Download the mask (PNG)"), result.downloads["mask"],
                                file_name="mask.png", mime="image/png", on_click="ignore")


def tell_the_room(result, source):
    """The room gets every Fill's scores, and the result picture when the participant shares it."""
    if not isinstance(result, demo.FillResult) or not result.images:
        return
    record("fill", room_fill(result, source), once=f"fill-{result.mask_id}-{result.server_s:.6f}")
    if st.session_state.get(SHARE_KEY):
        share_last_fill()


def share_last_fill():
    """Share the last Fill's result picture (the U-Net's, or the domain model's in its place), once."""
    result = st.session_state.get(RESULT_KEY)
    if not st.session_state.get(SHARE_KEY) or not isinstance(result, demo.FillResult) or "unet" not in result.images:
        return
    record("share", {"picture": to_jpeg(result.images["unet"]), "method": "unet"},
           once=f"share-{result.mask_id}-{result.server_s:.6f}")


def show_tradeoff(result):
    """Smooth or sharp: the hole zoomed in (the U-Net's smooth fill beside the sharp one), and each method as a
    point, PSNR against detail ratio, for this fill and for the held-out set."""
    st.markdown(_("**Smooth or sharp?** The hole, enlarged:"))
    if "sharp" in result.images and "unet" in result.images:
        crops = zoomed_before_after(result.photo, {_(result.label("unet")): result.images["unet"],
                                                   _(result.label("sharp")): result.images["sharp"]}, result.mask)
        picture_grid("inp_zoom_space", [(crop, name, _("The hole and its surroundings, enlarged: {name}").format(
            name=name)) for name, crop in crops], per_row=3, narrow_per_row=3)
    family = "square" if st.session_state.get("tool") == "Rectangle" else "brush"
    section = (read_inpainting_report() or {}).get("held_out_set")
    held = held_out_points(section, family) if section else []
    rows, spec = tradeoff_chart(result.points + held)
    if rows:
        st.vega_lite_chart(pd.DataFrame(rows), spec, width="stretch")
        st.caption(_("Each method twice: on your fill, and on the held-out set's {family} holes (means over photos, "
                     "with 95 % intervals).").format(family=_(FAMILIES[family])) + " " + _(WHY_SMOOTH_WINS))


def show_results(result, photo_id, mask, side_column):
    """The last Fill of this photo, at the page's whole width (or the hint to draw and Fill)."""
    if not isinstance(result, demo.FillResult) or not result.is_for(photo_id):
        with side_column:
            st.info(_("Paint over part of the photo, then press **Fill**."))
    else:
        with st.container():
            # each new Fill brings its results to the top of the window, on a projector and on a phone
            scroll_into_view("inpainting_results", f"{result.mask_id}-{result.server_s:.6f}", block="start")
            st.subheader(_("Results"))
            for message in result.errors:
                st.error(message)
            if st.session_state.get(FILLED_WITH):
                st.caption(_("“{name}” below is {model}.").format(name=_(FILL_WITH[0]),
                                                                  model=domain_words(st.session_state[FILLED_WITH])))
            if result.drawing_changed(mask_id(mask)):
                st.caption(_("The drawing changed since the last Fill: press Fill again to update."))
            # the question and its options go to the room in English; each device shows them in its language
            ask = (N_("Which method fills the hole best (highest PSNR in it)?"),
                   [result.label(k) for k in result.metrics], winner(result))
            if result.images and revealed(f"inpainting-fill-{result.photo_id}-{result.mask_id}", ask=ask):
                show_result(result)


def show_evaluation():
    """How the methods compare on the held-out photos (from the evaluation's report)."""
    st.subheader(_("How the methods compare on held-out photos"))
    summary = evaluation_summary(read_inpainting_report())
    if summary is None:
        st.info(_("No evaluation has been run yet. Run `python -m patchlab.inpainting.evaluate --json`."))
    else:
        # A data frame scrolls inside its own box: seven columns fit a phone's width this way.
        st.dataframe(best_highlighted(summary.rows, summary.best), hide_index=True, width="stretch")
        st.caption(_("The best value of each column within a mask family is in bold on green."))
        for note in summary.notes:
            st.caption(note)
        if summary.figure:
            st.image(summary.figure, caption=summary.figure_caption, alt=summary.figure_caption)
        if summary.original_rows:
            with st.expander(_("The original three held-out photos (for continuity)")):
                st.dataframe(best_highlighted(summary.original_rows, summary.original_best),
                             hide_index=True, width="stretch")
                for note in summary.original_notes:
                    st.caption(note)


def show_details(result, photo_id, settings):
    """Timings, the model card, the notebook and the code that runs."""
    with details(_("Timings, the model card and how to retrain")):
        if isinstance(result, demo.FillResult) and result.images:
            st.caption(_("Last Fill, per method: {timings}.").format(timings=_("; ").join(fill_timings(result))))
        st.caption(_("The shipped model's first guess of the hole: `{function}`.").format(
            function=shipped_first_guess()))
        st.caption(retrain_note())
        with st.popover(_("The shipped model's card")):
            st.code(json.dumps(read_card(DEFAULT_MODEL), indent=2, default=str), language="json")
    if isinstance(result, demo.FillResult) and result.is_for(photo_id):
        domain = domain_model() if st.session_state.get(FILLED_WITH) else None
        download_notebook(lambda: inpainting_notebook(
            result, sample=settings.sample if settings.source == SOURCES[0] else None,
            model_files=domain.result.files() if domain is not None else None),
            "inpainting", fingerprint=(result.mask_id, result.server_s))
    else:
        st.caption(_(":material/menu_book: After a Fill, *Download as a notebook* gives you this page's code with "
                     "your photo, your hole and the model that filled it."))
    with st.expander(_("Show the code: the model definition")):
        spec = importlib.util.find_spec("patchlab.inpainting.model")  # read, not imported: no TensorFlow
        st.code(Path(spec.origin).read_text(), language="python")
    show_code(Inpainter.inpaint, Inpainter._run_flipped, Inpainter._tiled, prefill, canvas_to_mask,
              label=_("Show the code: the inference path"))


def main():
    ensure_router()
    arrive(LINK)
    presenter_toggle()
    share_bar(DEFAULTS)
    st.title(_("Inpainting"))
    notice_box = st.container()
    st.markdown(_(
        "Paint over the part of the photo you want to remove, with your finger or the mouse, then press "
        "**Fill**. A U-Net trained on other photos fills the hole; the tutorial's autoencoder and the "
        "classical methods fill it too. Because you masked a complete photo, the truth is known, so every "
        "result is scored against it."
    ))
    space = canvas_width("inpainting_space", default=1200)
    wide = space.width >= WIDE
    if wide:
        draw_column, side_column = st.columns([11, 9], gap="medium")
    else:
        draw_column = side_column = st.container()

    # ------------------------------------------------------------ the photo, the methods, the mask
    with side_column if wide else draw_column:
        source, sample, photo, photo_id = choose_photo()
        methods = choose_methods()
        load_unet, filled_with = choose_fill_model()
        tool, brush = choose_tool()  # beside the canvas on a wide screen, so the canvas can be tall
        st.caption(_("Paint the region to remove with your finger or the mouse. **Eraser** takes paint back "
                     "out; **Undo** and **Clear** are under the photo. *Share my fill with the room* shows your "
                     "result picture (never your photo) on the instructor's Room page."))
    settings = demo.clamp_settings(Settings(source, sample, tool, brush, methods), sample_names())[0]
    publish(LINK, to_query(settings))
    show_notice(LINK, notice_box)
    with draw_column:
        if wide:
            max_width, max_height = int((space.width - 48) * 11 / 20), max(320, space.height - 350)
        else:
            max_width, max_height = space.width, max(300, int(space.height * 0.7))
        width, height = canvas_size(photo.shape, max_width=max_width, max_height=max_height)
        canvas_spot = st.container()
        row = st.container(horizontal=True, vertical_alignment="center")  # under the canvas
        with canvas_spot:
            canvas = drawing(
                key="mask", width=width, height=height, background_image=photo,
                drawing_mode=settings.drawing_mode, stroke_width=settings.stroke_width,
                stroke_color=ERASER_COLOUR if tool == "Eraser" else BRUSH,
                fill_color=BRUSH, controls=True, controls_container=row, keep=True,
                owner=photo_id,  # a drawing belongs to its photo: another photo starts with no hole
            )
        mask = drawing_mask(canvas.rgba, canvas.fit, photo.shape)
        fill = row.button(_("Fill"), type="primary", key="fill", icon=":material/auto_fix_high:")
        # no help icon: its button's name would hold "fill" beside the Fill button (the caption says it all)
        row.checkbox(_("Share my fill with the room"), key=SHARE_KEY, on_change=share_last_fill)
        slot = row.empty()  # the running indicator and any warning, next to the button

    if fill:
        problem = mask_problem(mask)
        if problem:
            slot.warning(problem)
        else:
            with interactive():  # a training running in the background waits while this Fill runs
                st.session_state[RESULT_KEY] = run_fill(
                    photo, mask, settings.methods, load_unet, photo_id=photo_id, gate=fill_gate(),
                    on_wait=lambda ahead: slot.info(queue_message(ahead)), on_start=slot.empty,
                    working=lambda method, message: working(slot, method, message), load_seed=load_seed,
                    unet_label=FILL_WITH[0] if filled_with else None)
            st.session_state[FILLED_WITH] = filled_with
            tell_the_room(st.session_state[RESULT_KEY], source)
            slot.success(_("Filled: the results are below."))

    # ------------------------------------------------------------ the results: the page's whole width
    result = st.session_state.get(RESULT_KEY)
    show_results(result, photo_id, mask, side_column)
    show_evaluation()
    show_details(result, photo_id, settings)

    # Load (and warm up) the shared model while the participant draws, not when they press Fill;
    # later sessions find it loaded. A missing or broken model is reported by Fill.
    try:
        load_inpainter()
        warm_sharp_fill()
    except (ModelUnavailable, ValueError):
        pass


main()
