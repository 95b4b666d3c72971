"""Streamlit settings for one server shared by a room of participants.

After every script run, Streamlit "cleans" Keras by calling
``keras.backend.clear_session()``. With TensorFlow loaded that costs a full
garbage collection (about 0.3 s, holding the interpreter lock, so every
other participant waits) and drops TensorFlow's kernel cache, so the next
model call is slower. PatchLab builds its models once per server
(``st.cache_resource``) and never creates layers during a run, so there is
no per-run Keras state to clean: :func:`share_models` keeps Streamlit's
other clean-up (closing ``pyplot`` figures) and skips the Keras reset.
``runner.postScriptGC = false`` in ``.streamlit/config.toml`` removes the
other forced collection after each run; Python's own collector still runs.

Images that every session uses (sample photos, test digits, geometry maps)
are cached with ``st.cache_resource`` and made read-only (:func:`read_only`):
one copy per server. ``st.cache_data`` would hand each run its own copy,
which costs a copy per rerun and memory per session.
"""

from __future__ import annotations

import sys

__all__ = ["share_models", "read_only"]

_done = False


def _close_pyplot_figures():
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        try:
            plt.close("all")
        except Exception:  # noqa: BLE001, S110 - never stop a run over clean-up
            pass


def share_models() -> bool:
    """Skip Streamlit's per-run Keras reset (once per process). Returns True if applied."""
    global _done
    if _done:
        return True
    try:
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:  # pragma: no cover - a Streamlit laid out differently
        return False
    if not hasattr(script_runner, "_clean_problem_modules"):
        return False
    script_runner._clean_problem_modules = _close_pyplot_figures
    _done = True
    return True


def read_only(value):
    """Mark an array, or the arrays in a tuple or list, read-only; return ``value``.

    For values shared by every session through ``st.cache_resource``: a page
    that tried to change one in place would get a ``ValueError`` instead of
    silently changing it for everybody.
    """
    items = value if isinstance(value, (tuple, list)) else (value,)
    for item in items:
        if hasattr(item, "flags"):
            item.flags.writeable = False
    return value
