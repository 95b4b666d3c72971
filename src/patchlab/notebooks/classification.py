"""The Classification page's notebook: four corner patches, one CNN, the probabilities fused.

Its code cells are PatchLab's own: the canvas preprocessing
(:mod:`patchlab.classification.preprocess`, for a drawn digit), the corner
patches (:mod:`patchlab.classification.corners`, ``tf.image.extract_patches``)
and the fusion rules (:mod:`patchlab.classification.fusion`). The model that
answered (the shipped one for the patch size, or the participant's own)
travels beside the notebook.
"""

from __future__ import annotations

import numpy as np

from patchlab import MODELS_DIR
from patchlab.classification import corners, fusion, preprocess
from patchlab.i18n import _
from patchlab.notebooks.book import Draft, NotebookError, array_digest, function_source, png_bytes
from patchlab.notebooks.models import load_model_cell, participant_model, shipped_model

__all__ = ["classification_notebook", "add_digit_cells", "add_patch_cells", "add_fusion_cells", "IMPORTS"]

#: The libraries the classification notebooks use.
IMPORTS = """import hashlib
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow: errors only

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from PIL import Image
from scipy import ndimage"""


def add_digit_cells(draft, x28, drawing=None, gallery_index=None):
    """Cells that rebuild the 28x28 digit ``x28``: from the drawing (preprocessed) or from a PNG of it."""
    if drawing is not None:
        draft.add_file("drawing.png", png_bytes(np.asarray(drawing, np.uint8)))
        draft.code(f"BOX, SIZE, INK_THRESHOLD = {preprocess.BOX}, {preprocess.SIZE}, {preprocess.INK_THRESHOLD}\n"
                   f"EMPTY_MESSAGE = {preprocess.EMPTY_MESSAGE!r}\n\n"
                   + function_source(preprocess.ink_strength, preprocess.preprocess_canvas, preprocess._resize),
                   intro=("## 1 · Your drawing, as MNIST digits are\n\nMNIST's digits were scaled to fit a "
                          "20×20 box and centred by their centre of mass in a 28×28 field. Your drawing gets "
                          "the same treatment: the ink is found, cropped, scaled and centred."))
        draft.code("""
            drawing = np.asarray(Image.open("drawing.png"))  # the canvas, RGBA, as the page received it
            x28 = preprocess_canvas(drawing)
            fig, axes = plt.subplots(1, 2, figsize=(6, 3))
            axes[0].imshow(drawing); axes[0].set_title("your drawing"); axes[0].axis("off")
            axes[1].imshow(x28, cmap="gray"); axes[1].set_title("28 x 28, as the network gets it")
            axes[1].axis("off"); plt.show()
            """)
    else:
        digit = np.clip(np.rint(np.asarray(x28) * 255), 0, 255).astype(np.uint8)
        if not np.array_equal(digit.astype(np.float32) / 255.0, np.asarray(x28, np.float32)):
            raise NotebookError(_("This digit cannot be saved exactly as a picture, so its notebook cannot be made."))
        draft.add_file("digit.png", png_bytes(digit))
        where = f"held-out test digit #{gallery_index}" if gallery_index is not None else "the digit"
        draft.code("""
            x28 = np.asarray(Image.open("digit.png"), np.float32) / 255.0  # white on black, in [0, 1]
            plt.figure(figsize=(3, 3)); plt.imshow(x28, cmap="gray"); plt.axis("off"); plt.show()
            """, intro=f"## 1 · The digit\n\nThe {where}, 28×28 pixels, saved beside this notebook as `digit.png`.")
    draft.code("print('digit fingerprint', array_digest(x28))")


def add_patch_cells(draft, patch_size, cut=True):
    """Cells defining the corner patches (``extract_patches``); with ``cut``, cutting ``x28`` into ``patches``."""
    draft.code(f"DIGIT_SIZE = {corners.DIGIT_SIZE}\nPATCH_NAMES = {corners.PATCH_NAMES!r}\n\n"
               + function_source(corners.check_patch_size, corners.patch_stride, corners.n_patches, corners.corner_origins,
                                 corners.extract_patches, replace={"    tf = tensorflow()\n": ""}),
               intro=("## 2 · Four overlapping corner patches\n\nWith patch size *p* and stride 28 − *p*, a "
                      "VALID sliding window fits exactly twice along each axis: `tf.image.extract_patches` "
                      "returns the four corner patches in reading order (top-left, top-right, bottom-left, "
                      "bottom-right). *p* = 28 is the whole image: one patch."))
    if not cut:
        return
    draft.code(f"""
        P = {int(patch_size)}
        patches = extract_patches(x28[None, :, :, None], P)  # (4, P, P, 1): one batch for the CNN
        fig, axes = plt.subplots(1, len(patches), figsize=(3 * len(patches), 3), squeeze=False)
        for ax, patch, name, origin in zip(axes[0], np.asarray(patches), PATCH_NAMES, corner_origins(P)):
            ax.imshow(patch[:, :, 0], cmap="gray", vmin=0, vmax=1); ax.set_title(f"{{name}} {{origin}}")
            ax.axis("off")
        plt.show()
        """)


def add_fusion_cells(draft):
    """Cells defining the fusion rules (``fuse``, ``fused_label``)."""
    draft.code(f"RULES = {fusion.RULES!r}\nRULE_NAMES = {fusion.RULE_NAMES!r}\nEPS = {fusion.EPS!r}\n\n"
               + function_source(fusion._check, fusion.fuse, fusion.fused_label),
               intro=("## 4 · Fusing the four answers\n\nEach patch gives a probability vector. **mean** "
                      "averages them (the source material's rule); **product** takes their normalised "
                      "product (a geometric mean, floored so one patch cannot veto a class); **max** keeps "
                      "each class's most confident patch; **vote** counts each patch's top class (ties go "
                      "to the higher mean probability)."))


def classification_notebook(view, drawing=None, model_files=None, gallery_index=None, today=None):
    """The take-home notebook of the Classification page.

    Parameters
    ----------
    view : patchlab.classification.demo.DigitView
        What :func:`~patchlab.classification.demo.analyse_digit` returned,
        with a prediction.
    drawing : ndarray of uint8, shape (H, W, 4), optional
        The canvas the digit was drawn on (source "Draw"); the notebook
        preprocesses it itself.
    model_files : dict, optional
        The participant's own model when it answered (``view.model ==
        "mine"``): the ``files()`` of its training result. Default: the
        shipped model for ``view.settings.patch_size``.
    gallery_index : int, optional
        The test digit's number, for the notebook's words (default
        ``view.settings.digit`` for a gallery digit).
    today : datetime.date, optional

    Returns
    -------
    Download
        A ``.zip``: the notebook, the model and its card, and the drawing
        (``drawing.png``) or the digit (``digit.png``).

    Raises
    ------
    NotebookError
        With a sentence for the page: nothing to classify yet, or the model
        is gone from the server.

    Examples
    --------
    The page's call, after ``view = demo.analyse_digit(...)``:

    >>> download = classification_notebook(view, drawing=rgba,  # doctest: +SKIP
    ...     model_files=status.job.result.files() if view.model == "mine" else None)
    """
    pred, s = view.prediction, view.settings
    if pred is None or view.input.x28 is None:
        raise NotebookError(_("There is no answer to take home yet: draw a digit (or pick a test digit) first."))
    if view.model == "mine":
        model = participant_model(model_files, "your own model, trained on the Train a classifier page")
        p = int(model.card.get("patch_size") or 0)
        if p not in range(8, 29):
            raise NotebookError(_("Your model's card does not say its patch size, so its notebook cannot be made."))
    else:
        p = s.patch_size
        model = shipped_model(MODELS_DIR / f"classifier_p{p}.keras", f"the shipped classifier for patch size {p}")
    drawn = s.source == "Draw" and drawing is not None
    if gallery_index is None and not drawn:
        gallery_index = s.digit
    page = {
        "digit fingerprint": array_digest(np.asarray(view.input.x28, np.float32)),
        "patch probabilities": np.asarray(pred.patch_probs).tolist(),
        "fused probabilities": np.asarray(pred.fused).tolist(),
        "answer": int(pred.label),
        "each patch's answer": np.asarray(pred.patch_labels).tolist(),
        "every rule's answer": [row["answer"] for row in view.rules],
    }
    who = "your model" if view.model == "mine" else f"the shipped model for p = {p}"
    draft = Draft("Classification", f"p{p} {s.rule} {'drawing' if drawn else f'digit{gallery_index}'}",
                  ["numpy", "scipy", "pillow", "matplotlib", "tensorflow", "keras",
                   *(["opencv-python-headless"] if drawn else [])],
                  f"""# Classification with patches: your session

A digit is cut into **four overlapping corner patches** (size *p* = {p}, stride {max(28 - p, 1)}); **one** small
CNN classifies every patch, and the four probability vectors are **fused** into one answer with the rule
*{s.rule}* ({fusion.RULE_NAMES[s.rule]}). On the page, {who} answered **{pred.label}**
({pred.confidence:.0%} sure).""")
    draft.markdown("**What the page showed**: the 28×28 digit with its four patches outlined, and each patch "
                   "with its own answer.",
                   [(view.outlined_caption, view.outlined)] + [(caption, tile) for tile, caption in view.tiles])
    draft.code(IMPORTS + "\n\n" + function_source(array_digest),
        intro="The libraries, and a fingerprint of an array (to check the notebook works on exactly the "
              "page's digit).")
    draft.record(page, {"patch probabilities": 1e-5, "fused probabilities": 1e-5},
                 f"Each patch's probabilities, the fused ones (rule *{s.rule}*) and the answers.")
    add_digit_cells(draft, view.input.x28, drawing if drawn else None, gallery_index)
    add_patch_cells(draft, p)
    model.add_to(draft)
    draft.markdown("## 3 · One CNN for every patch\n\nThe four patches go through the network as one batch "
                   "of four; it answers ten probabilities per patch.")
    load_model_cell(draft, model)
    draft.code("""
        patch_probs = np.asarray(model(patches, training=False), dtype=np.float64)
        print(np.round(patch_probs, 3))
        """)
    add_fusion_cells(draft)
    draft.code(f"""
        RULE = {s.rule!r}
        fused = fuse(patch_probs, RULE)
        answer = fused_label(patch_probs, RULE)
        print(f"fused ({{RULE}}):", np.round(fused, 3), "-> answer", answer)
        for rule in RULES:
            label = fused_label(patch_probs, rule)
            print(f"{{RULE_NAMES[rule]:40}} {{label}}  ({{fuse(patch_probs, rule)[label]:.1%}})")
        plt.figure(figsize=(7, 3))
        for k, probs in enumerate(patch_probs):
            plt.plot(range(10), probs, "o--", label=PATCH_NAMES[k] if len(patch_probs) == 4 else "whole image")
        plt.bar(range(10), fused, alpha=0.3, label=f"fused ({{RULE}})"); plt.xticks(range(10))
        plt.xlabel("digit"); plt.ylabel("probability"); plt.legend(); plt.show()
        OURS = {{
            "digit fingerprint": array_digest(np.asarray(x28, np.float32)),
            "patch probabilities": patch_probs.tolist(),
            "fused probabilities": fused.tolist(),
            "answer": int(answer),
            "each patch's answer": patch_probs.argmax(axis=-1).tolist(),
            "every rule's answer": [int(fused_label(patch_probs, r)) for r in RULES] if len(patch_probs) > 1 else [],
        }}
        """)
    draft.compare()
    return draft.finish(today)
