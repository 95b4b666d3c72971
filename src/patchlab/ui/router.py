"""Make every page run through the router in ``app.py``.

Streamlit still supports its older multipage mode, where each file in
``pages/`` is an app of its own. A fresh server starts in that mode whenever a
``pages/`` folder sits next to the entry script, and leaves it only once
``st.navigation`` has run. So if the first request after start-up is a link to
a page (``/patches?p=48``), that page would run on its own: no router, no
page config, a different menu. :func:`ensure_router` detects this and reruns
the session through ``app.py``. It costs one rerun, once per server.

It also applies the device's language and draws the sidebar's language
switch (:mod:`patchlab.ui.language`), first thing on every page.
"""

import streamlit as st

from patchlab.ui.language import apply_language, language_switch
from patchlab.ui.server import share_models


def ensure_router() -> None:
    """Call first in every page file (it also applies :func:`share_models` and the device's language)."""
    share_models()
    apply_language()
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # pragma: no cover - a Streamlit without it has no old mode
        PagesManager = None
    if PagesManager is not None and PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
    language_switch()
