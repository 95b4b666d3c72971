"""The one place that talks to ``streamlit_drawable_canvas``, and where a canvas sits.

API
---
``drawing(key, *, width, height, background_image=None, ..., controls=False, keep=False) -> Drawing``
    Render the canvas and return what the user drew (:class:`Drawing`:
    ``rgba`` strokes only, ``fit`` of the background photo, ``objects``:
    how many strokes/shapes). Every argument of earlier versions works as
    before. New, keyword-only, off by default:

    - ``controls=True``: visible, labelled **Undo** and **Clear** buttons
      under the canvas (the component's own toolbar only shows on mouse
      hover, so never on a touch screen); ``controls_container=`` draws
      them somewhere else than a row right under the canvas. Their keys are
      ``f"{key}_undo"`` and ``f"{key}_clear"``; they are disabled while
      the canvas is empty. Both work by redrawing the canvas from its stored
      strokes (the component's ``initial_drawing``), minus the last / none.
    - ``keep=True``: the drawing survives navigating away and back (it is
      drawn again from the stored strokes) and a change of canvas size (the
      strokes are scaled with the canvas, so they stay on the same photo
      pixels).
    - ``owner=``: what the drawing belongs to (a photo's id). Another owner
      starts with an empty canvas; the last :data:`OWNERS_KEPT` owners'
      drawings are kept, and coming back to one draws it again. A drawing
      never moves to another photo.

``ERASER_COLOUR``
    An eraser for a coloured brush: draw with ``stroke_color=ERASER_COLOUR``
    (semi-transparent white) and read the mask with
    ``patchlab.inpainting.masks.canvas_to_mask(..., brush=(r, g, b))``,
    which counts a pixel only where the brush's colour is on top.

``canvas_width(key, *, default=700) -> Space``
    The width (CSS px) of the column it is drawn in and the browser window's
    inner height, measured in the browser (a tiny component; the server
    cannot see the viewport). Until the browser has reported (first run, and
    in ``AppTest``), a guess: narrow on phones (``User-Agent``), else
    ``default``. Size a canvas with it so it fits a 390-px phone and fills a
    projector; the page reruns when the column is resized.

``scroll_into_view(key, token, block="nearest")``
    Scroll the browser to where this is drawn once per new ``token`` (e.g. a
    result's id): only as far as needed (nothing when already in view), or
    to the top of the window (``block="start"``).

``inject_key(key, owner=None)``
    Tests inject a drawing without a browser: put an RGBA array (canvas
    sized, uint8) in ``st.session_state[inject_key(key)]``, or a *list* of
    such arrays, one layer per stroke (composited in order, see
    :func:`composite`; **Undo** drops the last layer, **Clear** all). With
    ``owner``, the drawing is on that owner's canvas only.

Typical use (a canvas that fills its column, at the photo's aspect ratio)::

    space = canvas_width("my_space")
    width, height = canvas_size(photo.shape, max_width=space.width, max_height=space.height - 300)
    drawn = drawing("my_canvas", width=width, height=height, background_image=photo,
                    controls=True, keep=True)

The component can only be imported inside a running Streamlit app (or
``AppTest``), so its import happens inside :func:`drawing`.
"""

from __future__ import annotations

import copy
import hashlib
import io
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from patchlab.i18n import _

__all__ = ["Drawing", "drawing", "inject_key", "composite", "background_jpeg", "Space", "canvas_width",
           "scroll_into_view", "scaled_drawing", "ERASER_COLOUR"]

#: A stroke colour for an eraser on a coloured brush: semi-transparent white. See
#: :func:`patchlab.inpainting.masks.canvas_to_mask` (``brush=``): a pixel counts as painted only
#: where the top colour is still the brush's, so erased pixels drop out and paint over them re-adds.
ERASER_COLOUR = "rgba(255, 255, 255, 0.6)"


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
    objects : int
        How many strokes and shapes are on the canvas (0 when unknown).
    """

    rgba: np.ndarray | None
    fit: dict | None
    objects: int = 0


@dataclass
class _State:
    """One canvas's memory in the session (not a widget: it survives leaving the page)."""

    base: dict = field(default_factory=lambda: {"objects": []})  # what the canvas is (re)loaded with
    objects: list = field(default_factory=list)  # the strokes now on the canvas, as far as known
    expect: int | None = None  # object count the canvas must report before its image is current
    rgba: np.ndarray | None = None  # the last image the canvas reported, and its fit
    fit: dict | None = None
    size: tuple | None = None  # (width, height) the canvas was last drawn at
    layers: int | None = None  # tests: how many injected layers are in use
    injected: int | None = None  # tests: which injected drawing that count is for
    redrawn: int | None = None  # object count of a drawing redrawn at another size: its image stays the old one
    owner: str | None = None  # what the drawing belongs to (a photo), when the page says


#: How many owners' drawings one canvas keeps in a session (the photos a participant painted on).
OWNERS_KEPT = 8

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


def inject_key(key: str, owner: str | None = None) -> str:
    """The session-state key through which tests inject a drawing (on ``owner``'s canvas only, when given)."""
    return f"_canvas_inject_{key}" + (f"@{owner}" if owner is not None else "")


def _state_key(key: str) -> str:
    return f"_canvas_state_{key}"


def _owners_key(key: str) -> str:
    return f"_canvas_owners_{key}"


def _state_for(key: str, owner) -> _State:
    """The canvas's state for ``owner``: this owner's drawing, kept aside while another owner had the canvas."""
    state = st.session_state.setdefault(_state_key(key), _State())
    if owner is None or state.owner == owner:
        state.owner = owner if owner is not None else state.owner
        return state
    kept = st.session_state.setdefault(_owners_key(key), OrderedDict())
    if state.owner is not None or state.objects:
        kept[state.owner] = state  # set aside, as it is
        kept.move_to_end(state.owner)
        while len(kept) > OWNERS_KEPT:
            kept.popitem(last=False)
    mine = kept.pop(owner, None) or _State()
    fresh = _State(owner=owner, size=state.size)
    # the same component stays on the page: have it drawn again with this owner's strokes (or none)
    _load(fresh, mine.objects, revision=state.base.get("_revision", 0))
    if mine.rgba is not None and mine.size == fresh.size:
        fresh.rgba, fresh.fit, fresh.redrawn = mine.rgba, mine.fit, len(mine.objects)
    elif mine.objects and mine.size and fresh.size and mine.size != fresh.size:
        fx, fy = fresh.size[0] / mine.size[0], fresh.size[1] / mine.size[1]
        _load(fresh, scaled_drawing({"objects": mine.objects}, fx, fy)["objects"], revision=fresh.base["_revision"])
    st.session_state[_state_key(key)] = fresh
    return fresh


def composite(layers) -> np.ndarray:
    """Stack RGBA layers, later ones on top ("source over"), as a canvas does.

    Parameters
    ----------
    layers : sequence of ndarray of uint8, shape (H, W, 4)
        Non-premultiplied RGBA, like the canvas's PNG. At least one.

    Returns
    -------
    rgba : ndarray of uint8, shape (H, W, 4)
        Non-premultiplied; colour 0 where nothing is painted.

    Examples
    --------
    >>> red = np.zeros((1, 1, 4), np.uint8); red[...] = (255, 0, 0, 255)
    >>> white = np.zeros((1, 1, 4), np.uint8); white[...] = (255, 255, 255, 128)
    >>> composite([red, white])[0, 0].tolist()
    [255, 128, 128, 255]
    """
    layers = [np.asarray(layer) for layer in layers]
    if not layers:
        raise ValueError("`layers` must hold at least one RGBA layer.")
    shape = layers[0].shape
    if len(shape) != 3 or shape[2] != 4 or any(layer.shape != shape for layer in layers):
        raise ValueError(f"`layers` must be RGBA arrays of one shape (H, W, 4), got {[l.shape for l in layers]}.")
    colour = np.zeros(shape[:2] + (3,), np.float64)  # premultiplied
    alpha = np.zeros(shape[:2] + (1,), np.float64)
    for layer in layers:
        a = layer[..., 3:].astype(np.float64) / 255.0
        colour = layer[..., :3] * a + colour * (1 - a)
        alpha = a + alpha * (1 - a)
    safe = np.where(alpha > 0, alpha, 1.0)
    rgb = np.where(alpha > 0, colour / safe, 0.0)
    return np.concatenate([np.rint(rgb), np.rint(alpha * 255)], axis=-1).clip(0, 255).astype(np.uint8)


def scaled_drawing(drawing_json: dict, factor_x: float, factor_y: float) -> dict:
    """A fabric.js drawing (the canvas's ``json_data``) scaled about the canvas's top-left corner.

    Every object's position and scale are multiplied, so strokes stay on
    the same photo pixels when the canvas is drawn at another size.
    """
    out = copy.deepcopy(dict(drawing_json or {}))
    for obj in out.get("objects", []) or []:
        obj["left"] = float(obj.get("left", 0)) * factor_x
        obj["top"] = float(obj.get("top", 0)) * factor_y
        obj["scaleX"] = float(obj.get("scaleX", 1)) * factor_x
        obj["scaleY"] = float(obj.get("scaleY", 1)) * factor_y
    return out


def _undo(key: str) -> None:
    state = st.session_state[_state_key(key)]
    if state.layers:  # an injected test drawing
        state.layers -= 1
    _load(state, state.objects[:-1])


def _clear(key: str) -> None:
    state = st.session_state[_state_key(key)]
    if state.layers is not None:
        state.layers = 0
    _load(state, [])


def _load(state: _State, objects: list, revision: int | None = None) -> None:
    """Have the canvas drawn again with ``objects``; its image is stale until it reports them."""
    state.objects = list(objects)
    state.redrawn = None
    revision = state.base.get("_revision", 0) if revision is None else revision
    state.base = {"objects": copy.deepcopy(state.objects), "_revision": revision + 1}
    state.expect = len(state.objects)
    state.rgba = None


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
    controls: bool = False,
    controls_container=None,
    keep: bool = False,
    owner: str | None = None,
) -> Drawing:
    """Render the drawing canvas and return the user's drawing.

    Parameters
    ----------
    key : str
        The canvas's widget key (also the prefix of its buttons' keys:
        ``f"{key}_undo"``, ``f"{key}_clear"``).
    width, height : int
        Canvas size in CSS pixels (see :func:`canvas_width`).
    background_image : PIL image or uint8 array, optional
        Sent as a cached JPEG (:func:`background_jpeg`).
    controls : bool, optional
        Draw labelled *Undo* and *Clear* buttons (they work with a finger).
    controls_container : Streamlit container, optional
        Where to draw them (default: a row right under the canvas).
    keep : bool, optional
        Restore the drawing after the page was left and opened again, and
        keep strokes on the same photo pixels when ``width``/``height`` change.
    owner : str, optional
        What the drawing belongs to (a photo's id): each owner has its own
        drawing; another owner starts empty (see the module's notes).
    """
    from streamlit_drawable_canvas import st_canvas  # needs a running app

    state = _state_for(key, owner)
    size = (int(width), int(height))
    mounted = key in st.session_state  # the component was on the page in the previous run
    if keep and state.objects and (not mounted or (state.size and state.size != size)):
        fx, fy = (size[0] / state.size[0], size[1] / state.size[1]) if state.size else (1.0, 1.0)
        objects = scaled_drawing({"objects": state.objects}, fx, fy)["objects"]
        rgba, fit = state.rgba, state.fit
        _load(state, objects)
        if rgba is not None:
            # The same strokes, drawn again (scaled): the image they were drawn as stays the truth, so
            # the hole does not shift by a pixel of antialiasing, until a stroke is added or taken back.
            state.rgba, state.fit, state.redrawn = rgba, fit, len(objects)
    state.size = size

    if isinstance(background_image, np.ndarray):
        background_image = background_jpeg(background_image)
    result = st_canvas(
        fill_color=fill_color,
        stroke_width=int(stroke_width),
        stroke_color=stroke_color,
        background_color=background_color,
        background_image=background_image,
        height=size[1],
        width=size[0],
        drawing_mode=drawing_mode,
        initial_drawing=state.base,
        return_image_data=True,
        background_image_fit=background_image_fit,
        key=key,
    )
    injected = st.session_state.get(inject_key(key, owner)) if owner is not None else None
    if injected is None:
        injected = st.session_state.get(inject_key(key))
    result = _injected(state, injected) if injected is not None else _reported(state, result)
    if controls:
        box = controls_container if controls_container is not None else st.container(horizontal=True)
        empty = result.objects == 0 and result.rgba is None
        box.button(_("Undo"), key=f"{key}_undo", icon=":material/undo:", on_click=_undo, args=(key,),
                   help=_("Take back the last stroke"), disabled=empty)
        box.button(_("Clear"), key=f"{key}_clear", icon=":material/delete:", on_click=_clear, args=(key,),
                   help=_("Remove every stroke"), disabled=empty)
    return result


def _reported(state: _State, result) -> Drawing:
    """What the canvas reported, or what is known while its report is stale."""
    reported = (result.json_data or {}).get("objects") or []
    try:
        rgba = result.image_data
    except Exception:  # noqa: BLE001 - a malformed payload from the browser
        rgba = None
    fit = result.background_fit
    if state.expect is not None and len(reported) != state.expect:
        # the canvas has not yet drawn what Undo/Clear/restore gave it: its report is stale
        return Drawing(state.rgba, state.fit, len(state.objects))
    state.expect = None
    if rgba is None:  # a freshly mounted canvas reports no image until it is drawn on
        return Drawing(state.rgba, state.fit, len(state.objects))
    state.objects = copy.deepcopy(list(reported))
    if state.redrawn == len(reported):
        return Drawing(state.rgba, state.fit, len(reported))
    state.redrawn = None
    state.rgba, state.fit = np.asarray(rgba), fit
    return Drawing(state.rgba, fit, len(reported))


def _injected(state: _State, injected) -> Drawing:
    """A test's drawing: one RGBA array (one stroke), or a list of layers (one per stroke)."""
    layers = list(injected) if isinstance(injected, (list, tuple)) else [injected]
    if state.injected != id(injected) or state.layers is None or state.layers > len(layers):
        state.injected, state.layers = id(injected), len(layers)  # a new test drawing
    layers = [np.asarray(layer, dtype=np.uint8) for layer in layers[:state.layers]]
    state.objects = [{"type": "path", "injected": i} for i in range(len(layers))]
    if not layers:
        return Drawing(None, None, 0)
    return Drawing(layers[0] if len(layers) == 1 else composite(layers), None, len(layers))


# ---------------------------------------------------------------- where the canvas sits


@dataclass(frozen=True)
class Space:
    """Room for a canvas, in CSS pixels.

    width : int
        The width of the column the measuring element is in.
    height : int
        The browser window's inner height.
    measured : bool
        False while these are a guess (before the browser reported).
    """

    width: int
    height: int
    measured: bool


_PHONE = re.compile(r"Mobi|Android|iPhone|iPod|Opera Mini|IEMobile", re.IGNORECASE)
_MEASURE_JS = """
export default function(component) {
    const { parentElement, setStateValue } = component;
    let last = "", timer = null;
    const report = () => {
        const width = Math.floor(parentElement.getBoundingClientRect().width);
        const height = Math.round(window.innerHeight / 40) * 40;  // ignore a phone's bar sliding in and out
        const now = width + "x" + height;
        if (width > 0 && now !== last) {
            last = now;
            setStateValue("space", {width: width, height: height});
        }
    };
    const later = () => { clearTimeout(timer); timer = setTimeout(report, 200); };
    const observer = new ResizeObserver(later);
    observer.observe(parentElement);
    window.addEventListener("resize", later);
    report();
    return () => { observer.disconnect(); window.removeEventListener("resize", later); clearTimeout(timer); };
}
"""
_SCROLL_JS = """
export default function(component) {
    const { parentElement, data } = component;
    window.__patchlabScrolled = window.__patchlabScrolled || {};
    if (!data || !data.token || window.__patchlabScrolled[data.key] === data.token) return;
    window.__patchlabScrolled[data.key] = data.token;
    // the app's header bar is drawn over the top of the page: land below it
    parentElement.style.scrollMarginTop = "4rem";
    setTimeout(() => parentElement.scrollIntoView({behavior: "smooth", block: data.block || "nearest"}), 300);
}
"""
_components = {}


def _component(name, js):
    if name not in _components:
        _components[name] = st.components.v2.component(f"patchlab.{name}", js=js, isolate_styles=False)
    return _components[name]


def _is_phone() -> bool:
    try:
        agent = st.context.headers.get("User-Agent", "") or ""
    except Exception:  # noqa: BLE001 - no request headers (bare mode, tests)
        agent = ""
    return bool(_PHONE.search(agent))


def canvas_width(key: str, *, default: int = 700) -> Space:
    """Measure the column this is drawn in (see the module docstring).

    Parameters
    ----------
    key : str
        A widget key, unique on the page.
    default : int, optional
        The width assumed on a computer until the browser reports (on a
        phone, 340 px: fits a 360-px screen).
    """
    measure = _component("column_width", _MEASURE_JS)
    result = measure(key=key, on_space_change=lambda: None, width="stretch", height="content")
    space = result.get("space") if result is not None else None
    if isinstance(space, dict):
        try:
            w, h = int(space["width"]), int(space["height"])
            if 100 <= w <= 10_000 and 100 <= h <= 10_000:
                return Space(w, h, True)
        except (KeyError, TypeError, ValueError):
            pass
    return Space(340, 700, False) if _is_phone() else Space(int(default), 1000, False)


def scroll_into_view(key: str, token, block: str = "nearest") -> None:
    """Scroll this spot into view once per new ``token`` (None: never).

    ``block`` is where it lands: ``"nearest"`` (scroll only if it is out
    of view, as little as needed) or ``"start"`` (at the top of the window).
    """
    if block not in ("nearest", "start", "center", "end"):
        raise ValueError(f"`block` must be 'nearest', 'start', 'center' or 'end', got {block!r}.")
    scroll = _component("scroll_into_view", _SCROLL_JS)
    scroll(key=key, data={"key": key, "token": None if token is None else str(token), "block": block},
           width="stretch", height="content")
