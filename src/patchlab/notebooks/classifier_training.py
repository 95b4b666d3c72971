"""The *Train a classifier* page's notebook: the participant's own model, scored on the test digits again.

The participant's trained model travels beside the notebook with its card,
and so do the held-out test digits it was scored on. The notebook rebuilds
the network from PatchLab's own code (:mod:`patchlab.classification.model`)
to show what was trained, plots the training history from the card, cuts
the digits into corner patches and fuses the answers with PatchLab's own
functions, and checks that every accuracy the page's table showed, and
every single prediction, comes out the same.
"""

from __future__ import annotations

import io

import numpy as np

from patchlab.classification import accuracy, live, model as classifier_model
from patchlab.classification.fusion import RULE_NAMES, RULES, fused_label
from patchlab.classification.train import load_digits
from patchlab.i18n import _
from patchlab.notebooks.book import Draft, NotebookError, array_digest, function_source
from patchlab.notebooks.classification import IMPORTS, add_fusion_cells, add_patch_cells
from patchlab.notebooks.models import load_model_cell, participant_model

__all__ = ["classifier_training_notebook"]


def _test_digits(request):
    config, _ = live.training_config(request)
    return load_digits(config)["test"]


def classifier_training_notebook(model, today=None):
    """The take-home notebook of the *Train a classifier* page: the participant's model, checked again.

    Parameters
    ----------
    model : patchlab.classification.live.LiveModel
        The participant's finished training (the job's ``result``): its
        model, card and test accuracies, as the page's table shows them.
    today : datetime.date, optional

    Returns
    -------
    Download
        A ``.zip``: the notebook, the model (``my_classifier_p<P>.keras``)
        and its card, and the test digits it was scored on
        (``test_digits.npz``).

    Raises
    ------
    NotebookError
        When there is no trained model (never trained, or dropped by the server).

    Examples
    --------
    The page's call, once ``found`` is the participant's finished job:

    >>> download = classifier_training_notebook(found.result)  # doctest: +SKIP
    """
    if model is None:
        raise NotebookError(_("There is no trained model to take home yet: press Train first."))
    files = participant_model(model.files(), "your model, trained on the Train a classifier page")
    p, rule = model.patch_size, model.request.rule
    images, labels = _test_digits(model.request)
    if len(labels) != model.n_test:
        raise NotebookError(_("The test digits this model was scored on cannot be found again, so its notebook "
                            "cannot be made."))
    probs = accuracy.batch_patch_probabilities(model.classifier.model, images, p)
    names = [f"{n} patch" for n in (("top-left", "top-right", "bottom-left", "bottom-right") if len(
        model.test["single_patch"]) == 4 else ("whole image",))]
    page = {"test digits": int(model.n_test), "test digits fingerprint": array_digest(images)}
    for name, acc in zip(names, model.test["single_patch"]):
        page[f"{name}, accuracy"] = acc
    if len(names) > 1:
        for r in RULES:
            page[f"fused ({RULE_NAMES[r]}), accuracy"] = model.test["fused"][r]
    page[f"answers under the rule {rule}"] = np.asarray(fused_label(probs, rule)).tolist()
    page["parameters"] = int(model.classifier.model.count_params())
    buffer = io.BytesIO()
    np.savez_compressed(buffer, images=images, labels=labels)
    what = f"{model.steps} steps in {model.seconds:.0f} s" + (" (stopped early)" if model.stopped_early else "")
    draft = Draft("Train a classifier", f"p{p} {model.steps}steps", ["numpy", "scipy", "pillow", "matplotlib",
                                                                     "tensorflow", "keras"],
                  f"""# Train a classifier: your model

You trained the four-patch classifier with patch size **{p}** for {what} on the *Train a classifier* page.
The page scored it on {model.n_test:,} held-out test digits: each corner patch alone, and every fusion rule.
This notebook loads your model, scores it on the same digits with the same code, and checks every accuracy
and every answer.""")
    draft.code(IMPORTS + "\n\n" + function_source(array_digest), intro="The libraries.")
    draft.record(page, {}, f"The accuracies in the page's table (as fractions), and your model's answer for "
                           f"each test digit under the rule *{rule}*.")
    draft.code(function_source(classifier_model.conv_block, classifier_model.build_patch_classifier)
               + "\n\nN_CLASSES = 10", intro=(
        "## 1 · The network you trained\n\nOne small CNN sees one patch and answers ten probabilities: two "
        "convolution blocks (32 and 64 filters), a 3×3 convolution of 128, dropout and one dense softmax "
        "layer. The four patches of a digit go through it as a batch of four."))
    draft.code(f"rebuilt = build_patch_classifier({p})\nrebuilt.summary()")
    files.add_to(draft)
    load_model_cell(draft, files)
    draft.code("""
        print("the same network as the code above:", model.count_params() == rebuilt.count_params())
        history = card["training"]["history"]
        if history:
            plt.figure(figsize=(7, 3))
            plt.plot([h["epoch"] for h in history], [100 * h["val_fused_mean"] for h in history], "o-",
                     label="validation, fused (mean)")
            plt.plot([h["epoch"] for h in history], [100 * h["val_best_single"] for h in history], "s--",
                     label="validation, best single patch")
            plt.xlabel("epoch"); plt.ylabel("accuracy %"); plt.legend(); plt.show()
        print("trained with:", card["training"]["command"])
        """, intro="**How it was trained**, from its card: the command line that does the same, and the "
                   "validation accuracy after each epoch (the best epoch's weights were kept).")
    draft.add_file("test_digits.npz", buffer.getvalue())
    draft.code("""
        with np.load("test_digits.npz") as f:
            images, labels = f["images"], f["labels"]
        print(len(labels), "test digits, fingerprint", array_digest(images))
        fig, axes = plt.subplots(1, 10, figsize=(12, 1.6))
        for ax, img, label in zip(axes, images[::max(1, len(images) // 10)], labels[::max(1, len(images) // 10)]):
            ax.imshow(img, cmap="gray"); ax.set_title(int(label)); ax.axis("off")
        plt.show()
        """, intro="## 2 · The test digits\n\nHeld-out MNIST digits your model never saw in training, saved "
                   "beside this notebook (`test_digits.npz`).")
    add_patch_cells(draft, p, cut=False)
    add_fusion_cells(draft)
    draft.code(function_source(accuracy.to_batch, accuracy.batch_patch_probabilities, accuracy.accuracies),
               intro="## 5 · Scoring\n\nEvery patch's probabilities for every digit (250 digits per call of the "
                     "network), then the accuracy of each patch alone and of each fusion rule.")
    draft.code(f"""
        P, RULE = {p}, {rule!r}
        probs = batch_patch_probabilities(model, images, P)
        scores = accuracies(probs, labels)
        names = {names!r}
        OURS = {{"test digits": len(labels), "test digits fingerprint": array_digest(images)}}
        for name, acc in zip(names, scores["single_patch"]):
            OURS[f"{{name}}, accuracy"] = acc
            print(f"{{name:40}} {{100 * acc:5.1f}} %")
        if len(names) > 1:
            for r in RULES:
                OURS[f"fused ({{RULE_NAMES[r]}}), accuracy"] = scores["fused"][r]
                print(f"{{'fused: ' + RULE_NAMES[r]:40}} {{100 * scores['fused'][r]:5.1f}} %")
        OURS[f"answers under the rule {{RULE}}"] = np.asarray(fused_label(probs, RULE)).tolist()
        OURS["parameters"] = model.count_params()
        """)
    draft.compare()
    return draft.finish(today)
