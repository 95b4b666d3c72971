"""The model that answered on a page, as files that travel with its notebook.

A shipped model is read from ``models/`` (its ``.keras`` file and the JSON
card beside it); a participant's model comes as the ``files()`` of its
training result (``{"keras": bytes, "json": bytes, "stem": str}``), the
same bytes the page's *Download the model* button offers. Either way the
notebook loads it with ``keras.models.load_model(..., safe_mode=True)``.

PatchLab's only custom Keras layer, the Fourier unit of the inpainting
U-Net's optional Fourier blocks, must be defined before such a model
loads: :func:`custom_layer_source` returns its source for the notebook when
the model holds one, and refuses any other unknown layer.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from patchlab.i18n import _
from patchlab.notebooks.book import NotebookError, function_source

__all__ = ["ModelFiles", "shipped_model", "participant_model", "custom_layer_source", "load_model_cell"]


class ModelFiles:
    """A model's ``.keras`` bytes, its card (a dict), the file name stem and a description for the notebook."""

    def __init__(self, keras_bytes, card, stem, described):
        self.keras = bytes(keras_bytes)
        self.card = dict(card or {})
        self.stem = stem
        self.described = described

    def add_to(self, draft):
        """Put ``<stem>.keras`` and ``<stem>.json`` beside the notebook."""
        draft.add_file(f"{self.stem}.keras", self.keras)
        draft.add_file(f"{self.stem}.json", (json.dumps(self.card, indent=2, default=str) + "\n").encode())


def shipped_model(path, described):
    """The shipped model at ``path`` (and its card), or NotebookError when the server no longer has it."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError:
        raise NotebookError(_("The model {name} is no longer on the server, so its notebook cannot be "
                            "made. Ask the organiser to restore the models, then try again.").format(name=path.name)) from None
    try:
        card = json.loads(path.with_suffix(".json").read_text())
    except (OSError, ValueError):
        card = {}
    return ModelFiles(data, card, path.stem, described)


def participant_model(files, described):
    """A participant's model from its training result's ``files()``, or NotebookError when it is gone."""
    if not files or not files.get("keras"):
        raise NotebookError(_("Your trained model is no longer on the server (it keeps a few per room), so its "
                            "notebook cannot be made. Train it again, then download the notebook."))
    try:
        card = json.loads(files.get("json") or b"{}")
    except ValueError:
        card = {}
    return ModelFiles(files["keras"], card, files.get("stem") or "my_model", described)


def _custom_classes(keras_bytes):
    """The registered names of the classes in a ``.keras`` file's config that Keras itself does not provide."""
    try:
        with zipfile.ZipFile(io.BytesIO(keras_bytes)) as archive:
            config = json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, KeyError, ValueError):
        raise NotebookError(_("The model file is damaged, so its notebook cannot be made.")) from None
    found = set()

    def walk(node):
        if isinstance(node, dict):
            module = node.get("module")
            if "class_name" in node and isinstance(module, str) and not module.startswith("keras"):
                found.add((node.get("registered_name") or node["class_name"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(config)
    return found


def custom_layer_source(keras_bytes):
    """Source of the custom layers a ``.keras`` model needs ("" when it needs none).

    Raises
    ------
    NotebookError
        For a custom layer PatchLab does not define.
    """
    custom = _custom_classes(keras_bytes)
    if not custom:
        return ""
    unknown = custom - {"patchlab>FourierUnit"}
    if unknown:
        raise NotebookError(_("The model uses layers this notebook cannot define ({value}).").format(value=', '.join(sorted(unknown))))
    from patchlab.inpainting.fourier import FourierUnit

    return function_source(FourierUnit, replace={"tf = runtime.tensorflow()": "import tensorflow as tf"})


def load_model_cell(draft, model, variable="model"):
    """The cells that define any custom layer, then load ``model`` (a :class:`ModelFiles`) into ``variable``."""
    custom = custom_layer_source(model.keras)
    if custom:
        draft.code("import keras\nfrom keras import layers\n\n" + custom, intro=(
            "This model holds a **Fourier unit** (LaMa's fast Fourier convolution), PatchLab's one custom "
            "Keras layer: it must be defined, and registered, before the model loads."))
    draft.code(f"""
        {variable} = keras.models.load_model({model.stem + '.keras'!r}, safe_mode=True, compile=False)
        with open({model.stem + '.json'!r}) as f:
            card = json.load(f)
        print({variable}.name, f"{{{variable}.count_params():,}} weights")
        """, intro=f"**The model that answered**: {model.described}. It travels beside this notebook as "
                   f"`{model.stem}.keras`, with its card `{model.stem}.json` (how it was trained, how well it "
                   "did). `safe_mode=True`: loading runs no code from the file.")
