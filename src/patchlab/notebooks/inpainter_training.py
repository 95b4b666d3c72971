"""The *Train an inpainter* page's notebook: the participant's domain model, scored again.

The domain model travels beside the notebook with its card, and so do the
cases the page scored it on: the domain's held-out photos and the standard
held-out photos (astronaut, coffee, chelsea), each with its seeded hole, as
lossless arrays. The notebook fills every hole with the same inference as
the Inpainting page (:mod:`patchlab.notebooks.inpainting`: first guess,
network, mirrored views, composite), averages the masked PSNR per mask
family, and compares with the "yours" column of the page's table.
"""

from __future__ import annotations

import io

import numpy as np

from patchlab.i18n import _
from patchlab.inpainting import live
from patchlab.notebooks.book import Draft, NotebookError, array_digest, function_source
from patchlab.notebooks.inpainting import IMPORTS, add_inference_cells
from patchlab.notebooks.models import participant_model

__all__ = ["inpainter_training_notebook"]


def _cases(model, photos):
    """The page's two sets of scoring cases, rebuilt exactly as the training job drew them."""
    request = model.request
    tiny = request.steps is not None
    domain = live.evaluation_cases(photos.held_out, 2 if tiny else live.FINAL_VIEWS,
                                   1 if tiny else live.FINAL_MASKS, request.seed)
    standard = live.standard_cases(1 if tiny else live.STANDARD_MASKS, views=2 if tiny else None, seed=0)
    return {"domain": domain, "standard": standard}


def _pack(cases):
    arrays = {}
    for where, group in cases.items():
        arrays[f"{where}_images"] = np.stack([img for _, _, img, _ in group])
        arrays[f"{where}_masks"] = np.stack([mask for _, _, _, mask in group])
        arrays[f"{where}_families"] = np.array([family for family, _, _, _ in group])
        arrays[f"{where}_names"] = np.array([name for _, name, _, _ in group])
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def inpainter_training_notebook(model, photos, today=None):
    """The take-home notebook of the *Train an inpainter* page: the domain model, scored again.

    Parameters
    ----------
    model : patchlab.inpainting.live.DomainModel
        The participant's finished training (the job's ``result``).
    photos : patchlab.inpainting.domain.PhotoSet
        The photos on the page now: the ones the model was trained and
        scored on (their held-out photos are needed again; the model keeps
        only their name and fingerprint).
    today : datetime.date, optional

    Returns
    -------
    Download
        A ``.zip``: the notebook, the model and its card, and the scoring
        cases (``cases.npz``: photos, holes, mask families).

    Raises
    ------
    NotebookError
        No trained model, other photos on the page now than the model was
        scored on, or a download too large.

    Examples
    --------
    The page's call, once ``found`` is the participant's finished job:

    >>> download = inpainter_training_notebook(found.result, photos)  # doctest: +SKIP
    """
    if model is None:
        raise NotebookError(_("There is no domain model to take home yet: press Train first."))
    scored = model.request.photos
    if photos is None or photos.name != scored.name or (scored.digest and photos.digest != scored.digest):
        raise NotebookError(_("Your model was scored on “{name}”, which is no longer the set of photos on "
                            "this page: choose those photos again to download its notebook.").format(name=scored.name))
    files = participant_model(model.files(), f"your domain model ({scored.name}, {model.steps} steps)")
    cases = _cases(model, photos)
    evaluation = model.card.get("domain", {}).get("evaluation", {})
    page = {}
    for where, key in (("domain", "domain_held_out"), ("standard", "standard_held_out")):
        for family, value in evaluation[key]["mine"].items():
            page[f"{scored.name if where == 'domain' else 'standard photos'}, {live.FAMILY_NAMES[family]}: "
                 "your model's masked PSNR (dB)"] = value
        page[f"{where} cases fingerprint"] = array_digest(np.stack([m for _, _, _, m in cases[where]]))
    arch = "the shipped U-Net fine-tuned" if model.request.arch == "unet" else "the tutorial's autoencoder trained"
    what = f"{model.steps} steps in {model.seconds:.0f} s" + (" (stopped early)" if model.stopped_early else "")
    draft = Draft("Train an inpainter", f"{scored.name} {model.request.arch} {model.steps}steps",
                  ["numpy", "scipy", "pillow", "matplotlib", "opencv-python-headless", "scikit-image",
                   "tensorflow", "keras"],
                  f"""# Train an inpainter: your domain model

On **{scored.name}**: {arch} for {what}. The page scored your model (and the shipped one) by the masked PSNR
of seeded holes on photos neither model trained on: the domain's held-out photos and the standard held-out
photos. This notebook fills the same holes with your model and the same inference, and checks the scores.""")
    draft.code(IMPORTS + "\n\n" + function_source(array_digest), intro="The libraries.")
    draft.record(page, {key: 0.01 for key in page if key.endswith("(dB)")},
                 "Your model's mean masked PSNR per set of photos and mask family (the page's table rounds "
                 "them to 2 decimals).")
    add_inference_cells(draft, files, tiles=False)
    draft.add_file("cases.npz", _pack(cases))
    draft.code("""
        with np.load("cases.npz") as f:
            cases = {where: list(zip(f[f"{where}_families"], f[f"{where}_names"], f[f"{where}_images"],
                                     f[f"{where}_masks"])) for where in ("domain", "standard")}
        for where, group in cases.items():
            print(where, len(group), "cases, holes fingerprint", array_digest(np.stack([m for *_, m in group])))
        fig, axes = plt.subplots(1, 4, figsize=(12, 3))
        for ax, (family, name, img, hole) in zip(axes, cases["domain"][:2] + cases["standard"][:2]):
            shown = img.copy(); shown[hole] = (255, 0, 255)
            ax.imshow(shown); ax.set_title(f"{name}, {family}", fontsize=9); ax.axis("off")
        plt.show()
        """, intro=("## The scoring cases\n\nEach held-out photo's centred square (at most 256 px) with a seeded "
                    "square hole and a seeded brush-stroke hole, saved beside this notebook (`cases.npz`)."))
    draft.code(f"""
        def psnr(a, b):
            return float("inf") if np.array_equal(a, b) else float(peak_signal_noise_ratio(a, b, data_range=255))


        def score(cases):
            # Mean masked PSNR (dB) per mask family; a perfect fill counts as 100 dB.
            found = {{}}
            for family, _name, img, hole in cases:
                found.setdefault(str(family), []).append(min(psnr(img[hole], inpaint(img, hole)[hole]), 100.0))
            return {{family: round(float(np.mean(v)), 3) for family, v in found.items()}}


        FAMILY_NAMES = {live.FAMILY_NAMES!r}
        OURS = {{}}
        for where, label in (("domain", {scored.name!r}), ("standard", "standard photos")):
            for family, value in score(cases[where]).items():
                OURS[f"{{label}}, {{FAMILY_NAMES[family]}}: your model's masked PSNR (dB)"] = value
                print(f"{{label}}, {{FAMILY_NAMES[family]}}: {{value:.2f}} dB")
            OURS[f"{{where}} cases fingerprint"] = array_digest(np.stack([m for *_, m in cases[where]]))
        """, intro="## Your model's scores")
    draft.markdown("**The page's table** (yours against the shipped model):\n\n"
                   + "\n".join(["| photos | masks | yours (dB) | shipped (dB) | change (dB) |", "|---|---|---:|---:|---:|"]
                               + [f"| {r['photos']} | {r['masks']} | {r['yours (dB)']:.2f} | {r['shipped (dB)']:.2f} "
                                  f"| {r['change (dB)']:+.2f} |" for r in model.rows]))
    draft.compare()
    return draft.finish(today)
