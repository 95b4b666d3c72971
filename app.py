"""PatchLab: the router. Run with `streamlit run app.py` (or `make run`)."""

from pathlib import Path

import streamlit as st

from patchlab.i18n import _
from patchlab.jobs import interactive
from patchlab.memory import limit_arenas, release_free_memory
from patchlab.ui.language import apply_language
from patchlab.ui.media import ask_again_for_failed_pictures
from patchlab.ui.registry import DEMOS

limit_arenas(2)  # many participant threads, one process: keep the heap from fanning out

# The tab icon ships with the app: a ":material/...:" page icon would be fetched from an outside font server
ICON = Path(__file__).parent / "src" / "patchlab" / "ui" / "icon.png"
st.set_page_config(page_title="PatchLab", page_icon=str(ICON), layout="wide")

apply_language()  # this device's language, for the menu too (docs/i18n.md)
home = st.Page("pages/home.py", title=_("Home"), icon=":material/home:", default=True)
demos = [st.Page(d.path, title=_(d.title), icon=d.icon) for d in DEMOS]
# The instructor's live view of the room: reached by the instructor's link, in the menu only for that session
room = st.Page("pages/room.py", title=_("Room"), icon=":material/groups:",
               visibility="visible" if st.session_state.get("room_instructor") else "hidden")

try:
    # A background training waits between its steps while any participant's page runs (at most 1 s a
    # step: it keeps moving); a fragment's own reruns (the live charts' polling) do not pass here.
    with interactive():
        # one flat list: with sections, Streamlit puts <div>s between the menu's <ul> and its <li>s (axe: list, listitem)
        st.navigation([home, *demos, room]).run()
    ask_again_for_failed_pictures()  # a picture dropped by an interrupted run and drawn again must load
finally:
    release_free_memory()  # hand freed heap pages back after every run (~15 us when there are none)
