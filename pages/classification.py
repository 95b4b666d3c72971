"""Classification: four overlapping patches, one CNN, fused probabilities."""

import time

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from patchlab.classification import DigitClassifier, fuse, fused_label, preprocess_canvas
from patchlab.classification import demo
from patchlab.classification.corners import extract_patches
from patchlab.classification.data import gallery_digits
from patchlab.classification.figures import accuracy_figure, figure_png
from patchlab.classification.fusion import RULE_NAMES, RULES
from patchlab.classification.recipe import PATCH_SIZES
from patchlab.classification.failures import read_test_answers
from patchlab.classification.report import (EVAL_PATH, in_words, interval_table, published_comparison,
                                            read_classification_report, size_table)
from patchlab.i18n import N_, _, current_language
from patchlab.jobs import interactive
from patchlab.ui.canvas import canvas_width, drawing
from patchlab.ui.code import show_code
from patchlab.ui.jobs import participant, runner
from patchlab.ui.layout import picture_grid
from patchlab.notebooks import classification_notebook
from patchlab.ui.link import PageLink, arrive, publish, show_notice
from patchlab.ui.notebook import download_notebook
from patchlab.ui.room import details, key_figure, presenter_toggle, revealed, share_bar, sidebar_note
from patchlab.ui.router import ensure_router
from patchlab.ui.server import read_only

DEFAULT = demo.Settings()
#: Every setting's widget key and default (Reset); the first four are the link's parameters.
DEFAULTS = {"patch": DEFAULT.patch_size, "rule": DEFAULT.rule, "input": DEFAULT.source,
            "digit": DEFAULT.digit, "cl_brush": DEFAULT.brush}
MODEL_KEY, MODEL_OF = "cl_model", "cl_model_of"  # the Model choice; the job number of the model it was made for
TRAIN_PAGE = "pages/train.py"
MODEL_NAMES = {"mine": N_("mine"), "shipped": N_("shipped")}  # the Model choice's options, as the page names them


@st.cache_resource(show_spinner=False)
def _load_classifier(patch_size):
    return DigitClassifier.load(patch_size)


def load_classifier(patch_size):
    """A shipped classifier, loaded once per server (a spinner in the participant's language meanwhile)."""
    with st.spinner(_("Loading the classifier…")):
        return _load_classifier(patch_size)


@st.cache_data(show_spinner=False)
def eval_report(mtime):
    return read_classification_report(EVAL_PATH)


@st.cache_data(show_spinner=False, max_entries=4)
def accuracy_png(mtime, language):
    """The accuracy-vs-patch-size chart, drawn once per evaluation file and language (not on every stroke)."""
    return figure_png(accuracy_figure(size_table(eval_report(mtime))), dpi=110)


@st.cache_resource(show_spinner=False)
def test_digits():
    """(images, labels): one read-only copy per server, shared by every session."""
    return read_only(gallery_digits())


def page_link(n_digits):
    """How this page reads a link (the gallery's size bounds the digit number)."""
    return PageLink("classification", lambda params: demo.read_link(params, n_digits), DEFAULTS,
                    tuple(demo.QUERY_KEYS), demo.to_query(DEFAULT))


def random_digit(n_digits):
    """*Random test digit* (before the next run, so the bound number input takes it)."""
    st.session_state.digit = demo.random_digit(n_digits)


def own_model():
    """The participant's latest model trained on the Train page (any tab of this browser), or why it is gone."""
    jobs = runner().jobs(participant(record=False), demo.TRAINING_DEMO)
    if jobs:
        participant()  # this tab keeps their model too: it is forgotten only when no tab of theirs is open
    return demo.own_model(jobs)


def train_link(box):
    """A link to the Train page (a plain Markdown link where the router is not running, e.g. in AppTest)."""
    box.caption(_("The shipped model answers here. Train your own model and it answers instead:"))
    label = _("Train a classifier")  # a link's label does not wrap: short enough for a phone
    try:
        box.page_link(TRAIN_PAGE, label=label, icon=":material/model_training:")
    except StreamlitPageNotFoundError:  # no router (AppTest runs the page on its own)
        box.markdown(f"[{label}](train)")


def read_model(status, box):
    """The *Model* choice, in ``box``, when the participant has trained one ("mine" or "shipped"); else "shipped"."""
    own = status.model
    if own is None:
        train_link(box)
        return "shipped"
    if st.session_state.get(MODEL_OF) != own.job_id:  # a new model of theirs: it answers first
        st.session_state[MODEL_OF] = own.job_id
        st.session_state[MODEL_KEY] = "mine"
    captions = demo.model_captions(own, st.session_state.get("patch", DEFAULT.patch_size), time.time())
    return box.radio(_("Model"), demo.MODELS, key=MODEL_KEY, persist_state="session", horizontal=True,
                     format_func=lambda m: _(MODEL_NAMES[m]),
                     captions=[captions[m] for m in demo.MODELS],
                     help=_("Your own model, trained on the Train page, or the one shipped with the app."))


def read_settings(n_digits, status, model_box):
    """The widgets, as demo settings (in the URL, and kept when you leave the page and come back).

    The *Model* choice goes in ``model_box`` on the page (where a phone shows it too); the rest in the sidebar.
    """
    model = read_model(status, model_box)
    st.sidebar.header(_("Classifier"))
    mine = model == "mine"
    patch_size = st.sidebar.select_slider(
        _("Patch size"), PATCH_SIZES, key="patch", persist_state="session",
        help=_("Side of the four corner patches (stride 28 − p). 28 = the whole image, one patch."), disabled=mine,
    )
    if mine:
        st.sidebar.caption(demo.own_patch_note(status.model))
    rule = st.sidebar.radio(_("Fusion rule"), RULES, key="rule", persist_state="session",
                            captions=[_(RULE_NAMES[r]) for r in RULES])
    st.sidebar.header(_("Input"))
    source = st.sidebar.radio(_("Digit"), demo.SOURCES, key="input", persist_state="session", format_func=_)
    if source == "Draw":
        low, high = demo.BRUSH_WIDTHS
        brush = st.sidebar.slider(_("Brush width"), low, high, key="cl_brush", persist_state="session")
        return demo.Settings(patch_size, rule, source, brush=brush, model=model)
    st.sidebar.button(_("Random test digit"), on_click=random_digit, args=(n_digits,))
    index = st.sidebar.number_input(_("Test digit number"), 0, n_digits - 1, key="digit", persist_state="session")
    return demo.Settings(patch_size, rule, source, digit=index, model=model)


def canvas_side():
    """The canvas's side in CSS px: the column's width, at most what fits the window's height (and 640)."""
    space = canvas_width("cl_canvas_space", default=480)
    return max(200, min(space.width, space.height - 220, 640))


def draw_canvas(settings):
    """The black canvas (source "Draw") with Undo and Clear; its RGBA image, or None before anything is drawn."""
    side = canvas_side()
    result = drawing(
        key="cl_canvas", width=side, height=side, background_color="#000000", stroke_color="#ffffff",
        stroke_width=max(1, round(settings.brush * side / demo.CANVAS_SIDE)),  # the brush scales with the canvas
        drawing_mode="freedraw", controls=True, keep=True,
    )
    st.caption(_("Draw one digit, large, with your finger or the mouse. *Undo* takes back the last stroke, "
               "*Clear* starts again."))
    return result.rgba


def show_input(digit):
    """The gallery digit and its followers, or the hint when there is nothing to classify."""
    if digit.gallery is not None:
        st.image(digit.gallery.image, width=280, alt=_("Held-out test digit: {caption}").format(caption=digit.gallery.caption))
        st.caption(digit.gallery.caption)
        st.image(digit.gallery.thumbnails, caption=digit.gallery.thumbnail_captions, width=44,
                 alt=[_("The next test digit, {c}").format(c=c) for c in digit.gallery.thumbnail_captions])
    if digit.hint:
        st.info(digit.hint)


def show_error(view):
    """The model for this patch size is missing: how to retrain it (folded away when presenting)."""
    with details(_("No classifier for patch size {patch_size}: how to retrain it").format(patch_size=view.settings.patch_size)):
        st.error(view.error)


def show_answer(view):
    """What the network answers and sees, beside the canvas (right under it on a phone); False while hidden."""
    # the question goes to the room in English: each device shows it in its own language
    ask = (N_("Which digit will the network answer?"), [str(d) for d in range(10)], view.metric)
    shown = revealed(demo.question_name(view), ask=ask)  # the room guesses on its own devices too
    if shown:  # the answer first: on a phone it is the first thing under the canvas
        key_figure(_("Prediction"), view.metric, delta=view.metric_delta)
        st.markdown(f"{':material/person:' if view.model == 'mine' else ':material/inventory_2:'} "
                    f"**{view.answered_by}**")
        if view.truth_correct is not None:
            (st.success if view.truth_correct else st.error)(view.truth_message)
        kind, text = view.agreement
        getattr(st, kind)(text)
    else:
        st.caption(_("What will the network answer? Guess, then reveal."))
    st.image(view.outlined, width=280, caption=view.outlined_caption,
             alt=_("The 28×28 digit the network receives, with its four overlapping corner patches outlined"))
    return shown


def show_prediction(view, input_column):
    with input_column:
        if not show_answer(view):
            return
    if view.tiles:
        st.markdown(_("**The four patches, as the CNN sees them** (each patch's own answer below it)"))
        picture_grid("cl_tiles_space", [(tile, caption, _("One corner patch as the network sees it: {caption}").format(caption=caption))
                                        for tile, caption in view.tiles], per_row=4, narrow_per_row=4, most=200)
    if view.model_caption:
        with details(_("The model card")):
            st.caption(view.model_caption)
    st.markdown(_("**Class probabilities**: each patch, and fused"))
    rows = pd.DataFrame(view.chart_rows)
    for panel, column in zip(view.chart_panels, st.columns(len(view.chart_panels))):
        column.vega_lite_chart(rows, panel, width="stretch")
    if view.rules:
        st.markdown(_("**Every fusion rule on this digit** (majority-vote ties go to the higher mean probability)"))
        # a static table: its text wraps on a phone, and no toolbar covers the heading above it
        st.table(pd.DataFrame(in_words(view.rules)).style.hide(axis="index").format({_("confidence %"): "{:.1f}"}))


def percent_columns(table):
    """Show every percentage column with one decimal."""
    return {c: st.column_config.NumberColumn(format="%.1f") for c in table.columns if c.endswith("%")}


def load_misread(n_digits):
    """*Load this digit*: the chosen misread test digit, in the gallery (before the next run)."""
    chosen = st.session_state.get("cl_misread")
    if chosen is not None:
        st.session_state.input = demo.SOURCES[1]
        st.session_state.digit = int(chosen)


def show_failures(settings, n_digits):
    """Where the shipped classifier fails on the official test set: the confusion matrix, the misread digits."""
    view = demo.failure_view(read_test_answers(settings.patch_size), settings.rule, test_digits()[0])
    if view is None:
        return
    # folded, and computed only once opened: the page stays short on a phone and fast for everyone
    box = st.expander(_("Where it fails: the confusion matrix and the misread test digits"), key="cl_failures",
                      on_change="rerun", icon=":material/troubleshoot:")
    if box.open:
        with box:
            show_failure_view(view, n_digits)


def show_failure_view(view, n_digits):
    """The open *Where it fails* section: the confusion matrix, the most confidently misread digits."""
    st.subheader(_("{n_wrong} of {n_test} test digits misread").format(n_wrong=f"{view.n_wrong:,}",
                                                                        n_test=f"{view.n_test:,}"))
    st.markdown(_("The shipped model for p = {patch_size}, fused by **{rule}**, on MNIST's official test "
                "set (never seen in training). Rows: the true digit; columns: the answer. The diagonal (grey) is "
                "right; every other cell counts digits read as another.").format(patch_size=view.patch_size, rule=view.rule))
    st.vega_lite_chart(pd.DataFrame(view.chart_rows), view.chart_spec, width="stretch")
    if view.pictures:
        st.markdown(_("**The {n_pictures} most confidently misread digits** (true → answer)").format(n_pictures=len(view.pictures)))
        picture_grid("cl_misread_space", view.pictures, per_row=8, narrow_per_row=4, most=120)
        st.selectbox(_("Load one into the page (with each patch's answer)"), list(view.choices), index=None,
                     format_func=view.choices.get, key="cl_misread", on_change=load_misread, args=(n_digits,),
                     placeholder=_("choose a misread digit"))


def show_tables(patch_size):
    mtime = EVAL_PATH.stat().st_mtime if EVAL_PATH.exists() else 0
    tables = demo.accuracy_tables(eval_report(mtime), patch_size)
    report = eval_report(mtime)
    n_test = (report or {}).get("n_digits")
    st.subheader(_("Measured accuracy on MNIST's official test set") + (_(" ({n_test} digits)").format(n_test=f"{n_test:,}") if n_test else ""))
    if not tables.evaluated:
        with details(_("No evaluation yet: how to run it")):
            st.info(_("No evaluation yet. Run: `python -m patchlab.classification.evaluate`"))
        return
    with st.expander(_("Accuracy against patch size: every shipped model, a table and a chart"),
                     icon=":material/show_chart:"):  # folded: the rows for this patch size follow below
        st.markdown(_("**Accuracy vs. patch size** (percent; *mouse-drawn*: the same test digits "
                      "redrawn as synthetic mouse strokes, then preprocessed like your drawing)"))
        sizes = pd.DataFrame(in_words(tables.sizes))
        st.dataframe(sizes, hide_index=True, column_config=percent_columns(sizes))
        if tables.has_chart:
            st.image(accuracy_png(mtime, current_language()), width="stretch",
                     alt=_("Accuracy against patch size for single patches and the fused answer (table above)"))
    rows = interval_table(report, patch_size) if report else []
    if rows:
        st.markdown(_("**Single patches vs. fusion rules, patch size {patch_size}**, with 95 % intervals (Wilson)").format(patch_size=patch_size))
        st.dataframe(pd.DataFrame(in_words(rows)).drop(columns=[_("patch size")]), hide_index=True, width="stretch")
        comparison = published_comparison(report, patch_size)
        if comparison:
            st.caption(comparison)
    elif tables.patches:
        st.markdown(_("**Single patches vs. fusion rules, patch size {patch_size}**").format(patch_size=patch_size))
        table = pd.DataFrame(in_words(tables.patches))
        st.dataframe(table, hide_index=True, column_config=percent_columns(table))
    with st.expander(_("As Markdown")):
        st.code(tables.markdown, language="markdown")


def main():
    ensure_router()
    arrive(page_link(len(test_digits()[0])))
    presenter_toggle()
    share_bar(DEFAULTS)
    st.title(_("Classification with patches"))
    st.markdown(
        _("A digit is cut into **four overlapping corner patches** (size *p*, stride 28 − *p*, "
        "`tf.image.extract_patches`). **One** small CNN classifies every patch, and the four "
        "probability vectors are **fused** into one answer. Small patches see only part of the "
        "digit and often disagree; fusion usually settles it.")
    )
    sidebar_note(_("The patch size, the fusion rule and where the digit comes from"))
    n_digits = len(test_digits()[0])
    link = page_link(n_digits)
    notice_box = st.container()
    status = own_model()
    settings = read_settings(n_digits, status, st.container())
    publish(link, demo.to_query(settings))
    show_notice(link, notice_box)
    if status.notice:
        st.info(status.notice, icon=":material/delete_sweep:")
    drawn = settings.source == "Draw"
    canvas_column, input_column = st.columns(2)
    with canvas_column:
        rgba = draw_canvas(settings) if drawn else None
    with interactive():  # a training running in the background waits while this digit is classified
        view = demo.analyse_digit(settings, drawing=rgba, gallery=None if drawn else test_digits(),
                                  load_classifier=load_classifier, own=status.model, now=time.time())
    if view.model == "mine":
        status.job.touch()  # used: the server drops the least recently used models first
    with canvas_column:
        show_input(view.input)
    if view.error:
        show_error(view)
    elif view.prediction is not None:
        show_prediction(view, input_column)
    show_failures(settings, n_digits)
    show_tables(settings.patch_size)
    if view.prediction is not None:
        own_files = status.job.result.files() if view.model == "mine" and status.job is not None else None
        download_notebook(lambda: classification_notebook(view, drawing=rgba, model_files=own_files),
                          "classification", fingerprint=(demo.question_name(view), view.model))
    show_code(extract_patches, fuse, fused_label, preprocess_canvas)


main()
