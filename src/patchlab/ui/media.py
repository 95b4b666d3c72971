"""A picture whose first request failed is asked for again.

Streamlit serves a page's pictures from its media store and drops a picture
when a run ends that did not draw it. A run that a newer one interrupted
before it reached its pictures (a column's width arriving, a stroke on the
canvas, a second click) ends that way: the picture the browser is still
showing from the run before is dropped, and if the browser had not fetched
it yet, its request gets 404. The next run draws the very same picture
again (same bytes, same address), so the browser sees no change and never
asks again: the picture stays broken until something else changes it.

:func:`ask_again_for_failed_pictures` puts one small listener in the
browser's window (once per tab): a media picture that fails to load is
requested again, 0.25, 0.5, 1, 2, 4 and 8 s after each failure, with ``?again=N`` added to
its address (Streamlit's media route ignores the query) so that the browser
does not answer from its memory of the failure. By then the next run has
registered the picture again and it loads. A picture the page has replaced
meanwhile (its address changed) is left alone; one that failed before the
listener was installed (the tab's first run) is found and asked for too.

Call it once per run of the app (``app.py`` does, after the page).
"""

from __future__ import annotations

import streamlit as st

__all__ = ["ask_again_for_failed_pictures", "RETRY_DELAYS_MS"]

#: When a failed media picture is asked for again, in ms after each failure (then it is left broken).
RETRY_DELAYS_MS = (250, 500, 1000, 2000, 4000, 8000)

_JS = """
export default function(component) {
    if (window.__patchlabAskAgain) return;
    window.__patchlabAskAgain = true;
    const delays = %s;
    const tries = new WeakMap();  // picture -> {base: its address without the query, n: requests so far}
    const base = (img) => (img.getAttribute("src") || "").split("?")[0];
    const isMedia = (address) => /\/media\/[^/]+$/.test(address) && !address.includes("/static/");  // not the app's own files
    const askAgain = (img) => {
        if (!(img instanceof HTMLImageElement) || !isMedia(base(img))) return;
        const address = base(img);
        const seen = tries.get(img);
        const n = seen && seen.base === address ? seen.n : 0;
        if (n >= delays.length) return;
        tries.set(img, {base: address, n: n + 1});
        setTimeout(() => {
            if (img.isConnected && base(img) === address) img.src = address + "?again=" + (n + 1);
        }, delays[n]);
    };
    // an <img>'s error does not bubble: listen on the way down
    document.addEventListener("error", (event) => askAgain(event.target), true);
    // pictures that failed before this listener was there (the first run of a tab)
    for (const img of document.images) if (img.complete && !img.naturalWidth) askAgain(img);
}
""" % list(RETRY_DELAYS_MS)

_component = None


def ask_again_for_failed_pictures() -> None:
    """Install the browser's retry of failed media pictures (see the module docstring); draws nothing."""
    global _component
    if _component is None:
        _component = st.components.v2.component("patchlab.ask_again", js=_JS, isolate_styles=False)
    _component(key="patchlab_ask_again", width="stretch", height="content")
