"""Home: what PatchLab teaches, and a link to every demo."""

import streamlit as st

from patchlab.i18n import _
from patchlab.ui.link import NO_SETTINGS, arrive
from patchlab.ui.registry import DEMOS
from patchlab.ui.room import presenter_toggle
from patchlab.ui.router import ensure_router


def main():
    ensure_router()
    arrive(NO_SETTINGS)  # a scene or a followed presenter arrives here too (nothing to set)
    presenter_toggle()
    st.title("PatchLab")
    st.markdown(_(
        "Patch-based deep learning on images, hands on. Every demo here runs the "
        "real code on real data: trained models that ship with the app, timings "
        "measured as you watch, and a *Show the code* box with the source that "
        "produced what you see."
    ))

    st.subheader(_("The demos"))
    for demo in DEMOS:
        with st.container(border=True):
            st.page_link(demo.path, label=_(demo.title), icon=demo.icon)
            st.write(_(demo.summary))

    st.caption(_(
        "Everything runs on this server, offline. Your uploads stay in memory for "
        "your session only and are never written to disk."
    ))


main()
