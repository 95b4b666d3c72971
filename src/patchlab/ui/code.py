""""Show the code": the real source of the functions a page runs."""

import inspect

import streamlit as st

from patchlab.i18n import N_, _


def show_code(*objects, label=N_("Show the code"), expanded=False, notebook=True):
    """An expander with the source of each function, class or module given.

    ``notebook``: say that *Download as a notebook* (the page's button above
    it) gives this code to run at home, with the page's own settings.
    """
    with st.expander(_(label), expanded=expanded):
        if notebook:
            st.caption(_(":material/menu_book: To run this code on your own computer, with what this page shows now, "
                         "use **Download as a notebook** above: a Jupyter notebook that recomputes every number. "
                         "The code and the notebooks are in English."))
        for obj in objects:
            try:
                source = inspect.getsource(obj)
            except (OSError, TypeError):  # pragma: no cover - builtins, C code
                continue
            module = getattr(obj, "__module__", None) or getattr(obj, "__name__", "")
            name = getattr(obj, "__qualname__", getattr(obj, "__name__", ""))
            st.caption(f"`{module}.{name}`" if module != name else f"`{name}`")
            st.code(source, language="python")
