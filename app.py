"""PatchLab: the router. Run with `streamlit run app.py` (or `make run`)."""

import streamlit as st

from patchlab.memory import limit_arenas, release_free_memory
from patchlab.ui.registry import DEMOS

limit_arenas(2)  # many participant threads, one process: keep the heap from fanning out

st.set_page_config(page_title="PatchLab", page_icon=":material/grid_on:", layout="wide")

home = st.Page("pages/home.py", title="Home", icon=":material/home:", default=True)
demos = [st.Page(d.path, title=d.title, icon=d.icon) for d in DEMOS]

try:
    st.navigation({"PatchLab": [home], "Demos": demos}).run()
finally:
    release_free_memory()  # hand freed heap pages back after every run (~15 us when there are none)
