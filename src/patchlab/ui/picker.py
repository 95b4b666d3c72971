"""Choosing a photo: a bundled sample or the participant's own upload.

Uploads are decoded in memory by :func:`patchlab.images.read_image` and kept
in this session's state only; nothing is written to disk or shared.
"""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from patchlab.i18n import DEFAULT, N_, _, current_language
from patchlab.images import SAMPLES, ImageError, limit_size, load_sample, read_image
from patchlab.ui.server import read_only

UPLOAD = N_("Upload your own…")  # the option's key (English); shown translated
#: Streamlit's file uploader speaks English only ("Drag and drop file here", "Browse files"): said beside it.
UPLOADER_NOTE = N_("Drag a file onto the box or press *Browse files* to choose one (at most 20 MB).")


@st.cache_resource(max_entries=32, show_spinner=False)
def cached_sample(name: str, max_side: int) -> np.ndarray:
    """A bundled sample, decoded once per server process (read-only, shared by every session)."""
    return read_only(load_sample(name, max_side=max_side))


def decode_upload(upload, key: str, max_side: int):
    """An uploaded photo, decoded once per session (not on every rerun).

    Returns ``(image, note)``, with ``note`` saying how it was downscaled
    (or None), or the participant-facing error message as a ``str``.
    Only the latest upload per ``key`` is kept, in this session's state.
    """
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    store = st.session_state.setdefault(f"{key}_decoded", {})
    if digest not in store:
        store.clear()  # one upload per picker per session: memory stays bounded
        try:
            image = read_image(data)
        except ImageError as err:
            store[digest] = str(err)
        else:
            small, scale = limit_size(image, max_side)
            note = None
            if scale < 1:
                note = _("Your photo ({width}×{height}) was downscaled to {new_width}×{new_height} to keep this "
                         "page fast.").format(width=image.shape[1], height=image.shape[0],
                                              new_width=small.shape[1], new_height=small.shape[0])
            store[digest] = (small, note)
    return store[digest]


def pick_image(key: str, *, default: str = "astronaut", max_side: int = 512, container=None):
    """Sample/upload selector; returns ``(image uint8 HxWx3, name)``.

    ``name`` is the sample name, or ``"upload"`` for an upload. A bad upload
    shows a clear error and falls back to the default sample.
    """
    box = container if container is not None else st.sidebar
    names = list(SAMPLES)
    options = names + [UPLOAD]
    if default not in names:
        default = names[0]
    if st.session_state.get(f"{key}_choice") not in options:
        st.session_state[f"{key}_choice"] = default
    choice = box.selectbox(
        _("Photo"),
        options,
        key=f"{key}_choice",
        format_func=lambda n: _(UPLOAD) if n == UPLOAD else f"{n} — {_(SAMPLES[n].description)}",
    )
    if choice != UPLOAD:
        return cached_sample(choice, max_side), choice

    upload = box.file_uploader(
        _("Your photo (PNG, JPEG, WebP, …)"),
        type=["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"],
        key=f"{key}_upload",
    )
    if upload is None:
        if current_language() != DEFAULT:
            box.caption(_(UPLOADER_NOTE))
        box.info(_("Choose a file; until then the default photo is shown."))
        return cached_sample(default, max_side), default
    entry = decode_upload(upload, key, max_side)
    if isinstance(entry, str):
        box.error(entry)
        return cached_sample(default, max_side), default
    image, note = entry
    if note:
        box.caption(note)
    return image, "upload"
