"""*Download as a notebook*: one button per page, built only when pressed.

A page passes a function that builds its notebook (one of
:mod:`patchlab.notebooks`) from what it shows now. Pressing the button
builds it, in memory; a :class:`~patchlab.notebooks.NotebookError` becomes
a sentence on the page, never a traceback. The built file is offered by a
second button, *Save …*, until what the page shows changes.
"""

from __future__ import annotations

import streamlit as st

from patchlab.i18n import N_, _
from patchlab.notebooks import NotebookError

__all__ = ["download_notebook"]


def download_notebook(build, key, fingerprint=None, label=N_("Download as a notebook"), container=None):
    """A button that builds the page's notebook when pressed, then a button that saves it.

    Parameters
    ----------
    build : callable
        ``build()`` returns a :class:`~patchlab.notebooks.Download`, e.g.
        ``lambda: patches_notebook(image, result)``; called only when the
        button is pressed.
    key : str
        A key unique on the page.
    fingerprint : hashable, optional
        What the notebook depends on (the settings, the result's id): a
        notebook built for another fingerprint is no longer offered.
    label : str, optional
    container : optional
        Where to draw (default: the main area).

    Returns
    -------
    Download or None
        The notebook on offer, or None.
    """
    box = container if container is not None else st
    state = st.session_state
    slot = f"notebook_{key}"
    built = state.get(slot)
    if built is not None and built[0] != fingerprint:
        state.pop(slot, None)
        built = None
    if box.button(_(label), key=f"{slot}_build", icon=":material/menu_book:",
                  help=_("A Jupyter notebook of what this page shows now: your settings, your photo or drawing, "
                         "the model, and the code that recomputes every number (the notebook is in English).")):
        try:
            with st.spinner(_("Writing your notebook…")):
                built = (fingerprint, build())
        except NotebookError as exc:
            state.pop(slot, None)
            box.warning(str(exc), icon=":material/menu_book:")
            return None
        state[slot] = built
    if built is None:
        return None
    download = built[1]
    box.download_button(_("Save {file}").format(file=download.file_name), download.data, download.file_name, mime=download.mime,
                        key=f"{slot}_save", on_click="ignore", icon=":material/download:")
    return download
