"""The text an AppTest run shows, and the English left in it (for the Chinese page tests).

:func:`shown_text` walks every element the run drew (main area and sidebar)
and collects the strings a participant can read: bodies, labels, help,
captions, options, placeholders, table headers and cells, chart titles.
:func:`english_left` finds the English words in them, after taking out what
stays English by design (docs/i18n.md): code spans, icons, links, file names,
and an allow-list of names, code and units.
"""

from __future__ import annotations

import io
import json
import re

from google.protobuf.message import Message

#: Proto fields that are never read by a participant (ids, icons, code, component internals, raw data).
SKIPPED_FIELDS = {"id", "form_id", "tag", "icon", "page", "page_script_hash", "js_content", "js_source_path",
                  "html_content", "css_content", "css_source_path", "component_name", "json", "raw_values",
                  "url", "src", "code_text", "language", "default", "value", "type", "format", "width_config",
                  "height_config", "data", "styler", "uuid", "caption_html", "display_values", "set_value",
                  "selection_mode", "theme", "datasets", "name", "mime", "file_id", "deprecated_url", "shortcut", "columns"}  # columns: a data frame's column config (JSON)
#: Stays English by design: names of methods, models, data and photos; code; units (docs/i18n.md).
ALLOWED = {
    # names
    "PatchLab", "U-Net", "Telea", "Navier", "Stokes", "Navier–Stokes", "OpenCV", "MNIST", "CNN", "Keras", "TensorFlow",
    "Jupyter", "NASA", "SpaceX", "Eileen", "Collins", "Rachel", "Michetti", "Chelsea", "Stefan", "van", "der",
    "Walt", "Middlebury", "Hubble", "eXtreme", "scikit-learn", "scikit-image", "skimage", "Adam", "ReLU",
    "LeakyReLU", "GCompris", "Debian", "Redis", "PSNR", "SSIM", "MSE", "CSV", "PNG", "JPEG", "WebP", "BMP",
    "GIF", "TIFF", "CC0", "CC", "BY", "GPL", "SA", "zip", "Browse", "files", "Drag", "English", "Wilson",
    "Language",  # the switch's label says it in both languages
    "Markdown", "Criminisi", "Navier-Stokes", "LeNet-5", "LeCun",
    "python", "pip", "apt-get", "gcompris-qt-data", "sddm-theme-maldives",  # a command; packages and their clients
    "astronaut", "coffee", "chelsea", "rocket", "china", "flower", "motorcycle", "hubble", "immunohistochemistry",
    "retina", "camera", "brick", "grass", "gravel", "moon", "coins", "seed", "demo",
    # code and settings named as in code
    "patchify", "unpatchify", "coverage", "weight_map", "float32", "float16", "uint8", "valid", "same", "pad",
    "shift", "uniform", "tent", "hann", "gaussian", "padding", "stride", "strides", "kernel_size", "true",
    "false", "mean", "product", "max", "vote", "bilinear", "nearest", "patches", "Conv2DTranspose", "MaxPool",
    "Conv2D", "keras", "tf", "np", "png", "jpg", "toml", "ipynb", "dB", "px", "ms", "MB", "GB", "KB", "µs",
    "min", "log", "epoch", "epochs", "biharmonic", "inpaint", "mod",
}
_CODE = re.compile(r"`+[^`]*`+")
_ICON = re.compile(r":material/[a-z_]+:")
_LINK = re.compile(r"\]\([^)]*\)|https?://\S+|\b\w+\.(?:py|keras|json|npz|toml|ipynb|csv|png|jpg|zip)\b|\b[\w/]+/\S*"
                   r"|\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")  # links, files, dotted names (tf.image.resize)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_'’-]*[A-Za-z0-9]|[A-Za-z]")


def _strings(message: Message, path: str = ""):
    for field, value in message.ListFields():
        if field.name in SKIPPED_FIELDS:
            continue
        values = list(value) if type(value).__name__.startswith("Repeated") else [value]
        for item in values:
            if isinstance(item, Message):
                yield from _strings(item, f"{path}.{field.name}")
            elif isinstance(item, str):
                yield f"{path}.{field.name}", item
            elif isinstance(item, bytes) and field.name == "data" and "arrow" in path:
                yield from _arrow_text(item, path)


def _arrow_text(data: bytes, path: str):
    import pyarrow as pa

    try:
        table = pa.ipc.open_stream(io.BytesIO(data)).read_all()
    except Exception:  # noqa: BLE001 - not an arrow stream
        return
    for name in table.column_names:
        if not name.startswith("__index_level"):
            yield f"{path}.column", str(name)
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            for cell in column.to_pylist():
                if cell:
                    yield f"{path}.cell", str(cell)


def _spec_text(spec: str):
    try:
        tree = json.loads(spec)
    except ValueError:
        return
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "tooltip":  # Streamlit's own chart tooltips ("value", "color"): English (docs/i18n.md)
                    continue
                if key in ("title", "text", "description", "subtitle") and isinstance(value, (str, list)):
                    for t in value if isinstance(value, list) else [value]:
                        if isinstance(t, str):
                            yield t
                elif isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)


def _nodes(node):
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _nodes(child)


def shown_text(at) -> list[tuple[str, str]]:
    """``(where, text)`` for every string the run shows, main area and sidebar."""
    found = []
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        if not isinstance(proto, Message):
            continue
        kind = type(node).__name__
        for where, text in _strings(proto):
            if where.endswith(".spec"):
                found.extend((f"{kind}{where}", t) for t in _spec_text(text))
            else:
                found.append((f"{kind}{where}", text))
    return found


def english_words(text: str) -> list[str]:
    """The English words of ``text`` that are not names, code or units."""
    text = _ICON.sub(" ", _CODE.sub(" ", text))
    text = _LINK.sub(" ", text)
    words = []
    for word in _WORD.findall(text):
        bare = word.strip("'’-")
        if len(bare) < 2 or bare in ALLOWED or bare.lower() in ALLOWED:
            continue
        if re.fullmatch(r"[A-Z]{1,3}\d*|[a-z]\d*|\d+[a-z]+", bare):  # p, s, x, RGB-like symbols and units
            continue
        if "_" in bare or re.search(r"[a-z]\d|\d[a-z]", bare):  # identifiers: max_pool_2x2, conv3x3, float32
            continue
        words.append(bare)
    return words


def english_left(at) -> list[str]:
    """Every shown string that still holds an English word, as ``where: text``."""
    return [f"{where}: {text[:160]}" for where, text in shown_text(at) if english_words(text)]
