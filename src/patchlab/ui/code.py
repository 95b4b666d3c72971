""""Show the code": the real source of the functions a page runs."""

import inspect

import streamlit as st


def show_code(*objects, label="Show the code", expanded=False):
    """An expander with the source of each function, class or module given."""
    with st.expander(label, expanded=expanded):
        for obj in objects:
            try:
                source = inspect.getsource(obj)
            except (OSError, TypeError):  # pragma: no cover - builtins, C code
                continue
            module = getattr(obj, "__module__", None) or getattr(obj, "__name__", "")
            name = getattr(obj, "__qualname__", getattr(obj, "__name__", ""))
            st.caption(f"`{module}.{name}`" if module != name else f"`{name}`")
            st.code(source, language="python")
