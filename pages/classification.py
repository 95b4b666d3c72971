"""Classification: four overlapping patches, one CNN, fused probabilities."""

import numpy as np
import pandas as pd
import streamlit as st

from patchlab.classification import DigitClassifier, ModelUnavailableError, preprocess_canvas
from patchlab.classification.data import gallery_digits
from patchlab.classification.evaluate import EVAL_PATH, load_report, markdown, patch_table, size_table
from patchlab.classification.figures import (
    PATCH_COLOURS,
    accuracy_figure,
    figure_png,
    outlined_input,
    patch_tile,
    probability_chart,
)
from patchlab.classification.fusion import RULE_NAMES, RULES, fuse, fused_label
from patchlab.classification.patches import PATCH_NAMES, extract_patches
from patchlab.ui.canvas import drawing
from patchlab.ui.code import show_code
from patchlab.ui.router import ensure_router
from patchlab.ui.server import read_only

PATCH_SIZES = (14, 18, 22, 28)

ensure_router()


@st.cache_resource(show_spinner="Loading the classifier…")
def load_classifier(patch_size):
    return DigitClassifier.load(patch_size)


@st.cache_data(show_spinner=False)
def eval_report(mtime):
    return load_report(EVAL_PATH)


@st.cache_data(show_spinner=False, max_entries=4)
def accuracy_png(mtime):
    """The accuracy-vs-patch-size chart, drawn once per evaluation file (not on every stroke)."""
    return figure_png(accuracy_figure(size_table(eval_report(mtime))), dpi=110)


@st.cache_resource(show_spinner=False)
def test_digits():
    """(images, labels): one read-only copy per server, shared by every session."""
    return read_only(gallery_digits())


def controls():
    st.sidebar.header("Classifier")
    patch_size = st.sidebar.select_slider(
        "Patch size", PATCH_SIZES, value=18, key="cl_patch",
        help="Side of the four corner patches (stride 28 − p). 28 = the whole image, one patch.",
    )
    rule = st.sidebar.radio("Fusion rule", RULES, format_func=RULE_NAMES.get, key="cl_rule")
    st.sidebar.header("Input")
    source = st.sidebar.radio("Digit", ("Draw", "Test digit gallery"), key="cl_source")
    return patch_size, rule, source


def input_digit(source):
    """The 28x28 digit to classify and its true label (gallery only); None if nothing is drawn yet."""
    if source == "Draw":
        width = st.sidebar.slider("Brush width", 6, 40, 26, key="cl_brush")
        result = drawing(
            key="digit", width=280, height=280, background_color="#000000",
            stroke_color="#ffffff", stroke_width=width, drawing_mode="freedraw",
        )
        st.caption("Draw one digit, large. The toolbar above the canvas undoes and clears.")
        if result.rgba is None:
            st.info("Draw a digit (0–9) on the black square with the mouse.")
            return None, None
        try:
            return preprocess_canvas(result.rgba), None
        except ValueError as err:
            st.info(str(err))
            return None, None
    images, labels = test_digits()
    st.session_state.setdefault("cl_index", 0)
    if st.sidebar.button("Random test digit"):
        st.session_state.cl_index = int(np.random.default_rng().integers(len(images)))
    index = st.sidebar.number_input("Test digit number", 0, len(images) - 1, key="cl_index")
    st.image(np.kron(images[index], np.ones((10, 10), np.uint8)), width=280)
    st.caption(f"Held-out test digit #{index} (never seen in training). The next ones:")
    following = [(index + k) % len(images) for k in range(1, 7)]
    st.image([np.kron(images[i], np.ones((2, 2), np.uint8)) for i in following],
             caption=[f"#{i}" for i in following], width=44)
    return images[index].astype(np.float32) / 255.0, int(labels[index])


def show_prediction(clf, x28, rule, truth, input_column):
    pred = clf.predict(x28, rule=rule)
    n = len(pred.patch_probs)
    names = list(PATCH_NAMES) if n == 4 else ["whole image"]

    input_column.image(
        outlined_input(x28, clf.origins, clf.patch_size), width=280,
        caption=f"What the network gets: 28×28, {n} patch{'es' if n > 1 else ''} of "
        f"{clf.patch_size}×{clf.patch_size}",
    )
    metric_column, answer_column = st.columns([1, 2])
    metric_column.metric(
        "Prediction", str(pred.label), f"confidence {pred.confidence:.0%} ({rule})",
        delta_color="off", delta_arrow="off",
    )
    with answer_column:
        if truth is not None:
            (st.success if truth == pred.label else st.error)(f"True label: {truth}")
        if n > 1:
            votes = ", ".join(f"{name} → {d}" for name, d in zip(names, pred.patch_labels))
            if pred.patches_agree:
                st.success(f"All four patches agree: {votes}.")
            else:
                st.warning(f"The patches disagree: {votes}. Fusion settles it.")
        else:
            st.info("Patch size 28 is the whole-image baseline: one patch, nothing to fuse.")

    if n > 1:
        st.markdown("**The four patches, as the CNN sees them** (each patch's own answer below it)")
        for k, col in enumerate(st.columns(n)):
            p = pred.patch_probs[k]
            col.image(
                patch_tile(x28, clf.origins[k], clf.patch_size, PATCH_COLOURS[k]), width=160,
                caption=f"{names[k]}: {pred.patch_labels[k]} ({p[pred.patch_labels[k]]:.0%})",
            )
    training = clf.card.get("training", {})
    if training:
        st.caption(
            f"Model `classifier_p{clf.patch_size}.keras`: {clf.model.count_params():,} weights, "
            f"{training.get('epochs')} epochs ({training.get('steps')} steps, {training.get('wall_time_s')} s on "
            f"2 CPU threads), seed {training.get('seed')}; model card beside it."
        )
    st.markdown("**Class probabilities**: each patch, and fused")
    rows, spec = probability_chart(pred.patch_probs, pred.fused, pred.label, names, rule)
    st.vega_lite_chart(pd.DataFrame(rows), spec)
    if n > 1:
        rows = []
        for r in RULES:
            label = fused_label(pred.patch_probs, r)
            rows.append({"fusion rule": RULE_NAMES[r], "answer": int(label),
                         "confidence %": round(100 * float(fuse(pred.patch_probs, r)[label]), 1)})
        st.markdown("**Every fusion rule on this digit** (majority-vote ties go to the higher mean probability)")
        st.dataframe(pd.DataFrame(rows), hide_index=True)


def percent_columns(table):
    """Show every percentage column with one decimal."""
    return {c: st.column_config.NumberColumn(format="%.1f") for c in table.columns if c.endswith("%")}


def show_tables(patch_size):
    mtime = EVAL_PATH.stat().st_mtime if EVAL_PATH.exists() else 0
    report = eval_report(mtime)
    st.subheader("Measured accuracy (1,000 held-out test digits)")
    if report is None:
        st.info("No evaluation yet. Run: `python -m patchlab.classification.evaluate`")
        return
    st.markdown("**Accuracy vs. patch size** (percent; *mouse-drawn*: the same test digits "
                "redrawn as synthetic mouse strokes, then preprocessed like your drawing)")
    sizes = pd.DataFrame(size_table(report))
    st.dataframe(sizes, hide_index=True, column_config=percent_columns(sizes))
    if "mean %" in sizes.columns:
        st.image(accuracy_png(mtime), width="stretch")
    rows = patch_table(report, patch_size)
    if rows:
        st.markdown(f"**Single patches vs. fusion rules, patch size {patch_size}**")
        table = pd.DataFrame(rows)
        st.dataframe(table, hide_index=True, column_config=percent_columns(table))
    with st.expander("As Markdown"):
        st.code(markdown(size_table(report)), language="markdown")


def main():
    st.title("Classification with patches")
    st.markdown(
        "A digit is cut into **four overlapping corner patches** (size *p*, stride 28 − *p*, "
        "`tf.image.extract_patches`). **One** small CNN classifies every patch, and the four "
        "probability vectors are **fused** into one answer. Small patches see only part of the "
        "digit and often disagree; fusion usually settles it."
    )
    patch_size, rule, source = controls()
    canvas_column, input_column = st.columns(2)
    with canvas_column:
        x28, truth = input_digit(source)
    if x28 is not None:
        try:
            clf = load_classifier(patch_size)
        except ModelUnavailableError as err:
            st.error(str(err))
        else:
            show_prediction(clf, x28, rule, truth, input_column)
    show_tables(patch_size)
    show_code(extract_patches, fuse, fused_label, preprocess_canvas)


main()
