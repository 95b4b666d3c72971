"""The one place that talks to ``streamlit_drawable_canvas``.

The component can only be imported inside a running Streamlit app (or
``AppTest``), so the import happens inside :func:`drawing`. Tests inject a
drawing without a browser by putting an RGBA array (canvas-sized, uint8) in
``st.session_state[inject_key(key)]``; the real canvas is still rendered.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import streamlit as st


@dataclass
class Drawing:
    """What the user drew.

    rgba : ndarray of uint8, shape (canvas_h, canvas_w, 4), or None
        The strokes only (the background image is not included); alpha > 0
        where the user painted. None before the canvas first reports.
    fit : dict or None
        How the background image was placed on the canvas:
        ``natural_width, natural_height, scale_x, scale_y, offset_x, offset_y``
        (canvas px = image px * scale + offset).
    """

    rgba: np.ndarray | None
    fit: dict | None


_BACKGROUNDS: OrderedDict = OrderedDict()
_BACKGROUNDS_LOCK = threading.Lock()
_BACKGROUNDS_MAX = 32


def background_jpeg(image: np.ndarray) -> bytes:
    """JPEG bytes of a background photo, encoded once per distinct photo.

    The component would otherwise re-encode the photo as PNG on every
    rerun (about 100 ms for 512x512, and a 500 kB payload each time).
    A JPEG at quality 90 takes about 1 ms and a seventh of the bytes, and
    is only the backdrop the user paints on. Shared by every session (it
    holds no session data); at most 32 photos are kept.
    """
    image = np.ascontiguousarray(image, dtype=np.uint8)
    key = hashlib.blake2b(image.tobytes(), digest_size=16).hexdigest() + str(image.shape)
    with _BACKGROUNDS_LOCK:
        if key in _BACKGROUNDS:
            _BACKGROUNDS.move_to_end(key)
            return _BACKGROUNDS[key]
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).convert("RGB").save(buf, format="JPEG", quality=90)
    data = buf.getvalue()
    with _BACKGROUNDS_LOCK:
        _BACKGROUNDS[key] = data
        while len(_BACKGROUNDS) > _BACKGROUNDS_MAX:
            _BACKGROUNDS.popitem(last=False)
    return data


def inject_key(key: str) -> str:
    """The session-state key through which tests inject a drawing."""
    return f"_canvas_inject_{key}"


def drawing(
    key: str,
    *,
    width: int,
    height: int,
    background_image=None,
    background_color: str = "",
    drawing_mode: str = "freedraw",
    stroke_width: int = 20,
    stroke_color: str = "#ffffff",
    fill_color: str = "rgba(255, 255, 255, 1.0)",
    background_image_fit: str = "stretch",
) -> Drawing:
    """Render the drawing canvas and return the user's drawing.

    ``background_image`` may be a PIL image or a uint8 array (sent as a
    cached JPEG, :func:`background_jpeg`).
    """
    from streamlit_drawable_canvas import st_canvas  # needs a running app

    if isinstance(background_image, np.ndarray):
        background_image = background_jpeg(background_image)
    result = st_canvas(
        fill_color=fill_color,
        stroke_width=int(stroke_width),
        stroke_color=stroke_color,
        background_color=background_color,
        background_image=background_image,
        height=int(height),
        width=int(width),
        drawing_mode=drawing_mode,
        return_image_data=True,
        background_image_fit=background_image_fit,
        key=key,
    )
    injected = st.session_state.get(inject_key(key))
    if injected is not None:
        return Drawing(np.asarray(injected, dtype=np.uint8), None)
    try:
        rgba = result.image_data
    except Exception:  # noqa: BLE001 - a malformed payload from the browser
        rgba = None
    return Drawing(None if rgba is None else np.asarray(rgba), result.background_fit)
