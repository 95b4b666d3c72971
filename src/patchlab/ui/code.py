""""Show the code": the real source of the functions a page runs."""

import inspect

import streamlit as st


def show_code(*objects, label="Show the code", expanded=False, notebook=True):
    """An expander with the source of each function, class or module given.

    ``notebook``: say that *Download as a notebook* (the page's button above
    it) gives this code to run at home, with the page's own settings.
    """
    with st.expander(label, expanded=expanded):
        if notebook:
            st.caption(":material/menu_book: To run this code on your own computer, with what this page shows now, "
                       "use **Download as a notebook** above: a Jupyter notebook that recomputes every number.")
        for obj in objects:
            try:
                source = inspect.getsource(obj)
            except (OSError, TypeError):  # pragma: no cover - builtins, C code
                continue
            module = getattr(obj, "__module__", None) or getattr(obj, "__name__", "")
            name = getattr(obj, "__qualname__", getattr(obj, "__name__", ""))
            st.caption(f"`{module}.{name}`" if module != name else f"`{name}`")
            st.code(source, language="python")
