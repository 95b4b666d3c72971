"""What every page offers a room: a link to share, a reset, and presenter mode.

- :func:`share_bar`: *Copy link* (the page's URL, which carries its
  settings, in a box with a copy button) and *Reset* (forget this page's
  settings and go back to the defaults).
- :func:`presenting`: presenter mode is on (the sidebar toggle, or
  ``?present=1`` in a link).
- :func:`key_figure`: the figure a slide would show (the predicted digit, a
  PSNR, a patch count): a metric, in large type when presenting.
- :func:`details`: engineering details (timings in µs, model cards, retrain
  commands): shown inline, folded into an expander when presenting.
- :func:`revealed`: *predict, then reveal*: while the presenter has the
  switch on, an answer stays hidden until they click *Reveal*.
"""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from patchlab.i18n import _

__all__ = ["presenting", "presenter_toggle", "share_bar", "key_figure", "details", "revealed", "sidebar_note"]

PRESENT_KEY = "present"
HIDE_KEY = "present_hide_answers"


def presenting() -> bool:
    """True in presenter mode (toggle in the sidebar, or ``?present=1`` in the link)."""
    if PRESENT_KEY in st.session_state:
        return bool(st.session_state[PRESENT_KEY])
    return st.query_params.get(PRESENT_KEY, "") in ("1", "true", "yes")


def presenter_toggle() -> bool:
    """The presenter-mode switches in the sidebar; returns :func:`presenting`.

    When presenting, it also draws the storyboard's bar where it is called
    (the scene's talking point, *Previous* and *Next*, the arrow keys; see
    :mod:`patchlab.ui.presenter`): call it near the top of the page.
    """
    from patchlab.ui.classroom import take_part
    from patchlab.ui.presenter import SCENE_KEY, STORY_KEY, scene_bar

    take_part()  # every page is in the room: presence, Follow the presenter, the room's questions

    if PRESENT_KEY not in st.session_state:
        st.session_state[PRESENT_KEY] = presenting()  # a ?present=1 link starts in presenter mode
    on = st.sidebar.toggle(_("Presenter mode"), key=PRESENT_KEY, persist_state="session",
                           help=_("Large type for the key figures; details folded away; a storyboard "
                                  "to step through with the arrow keys."))
    if on:
        if st.query_params.get(PRESENT_KEY) != "1":
            st.query_params[PRESENT_KEY] = "1"
        st.sidebar.toggle(_("Predict, then reveal"), key=HIDE_KEY, persist_state="session",
                          help=_("Hide each answer until you click Reveal, so the room can guess first."))
        scene_bar()
    else:
        for key in (PRESENT_KEY, SCENE_KEY, STORY_KEY):
            if key in st.query_params:
                del st.query_params[key]
    return on


def share_bar(defaults: dict, *, container=None) -> None:
    """*Copy link* and *Reset* for one page.

    Parameters
    ----------
    defaults : dict
        ``widget key -> default value`` for this page's settings; *Reset*
        puts every one back (and, for widgets bound to the URL, the URL too).
    container : Streamlit container, optional
        Where to draw the two controls (default: the sidebar).
    """
    box = container if container is not None else st.sidebar
    left, right = box.columns([1.6, 1])  # "Copy link" with its icon needs the wider half of a sidebar
    with left.popover(_("Copy link"), icon=":material/link:", width="stretch"):
        st.caption(_("This page with its current settings:"))
        st.code(share_link(st.context.url or "", {k: st.query_params.get_all(k) for k in st.query_params}),
                language=None, wrap_lines=True)
    right.button(_("Reset"), key=f"reset_{next(iter(defaults), 'page')}",
                 width="stretch", help=_("Back to this page's default settings"),
                 on_click=_reset, args=(dict(defaults),))


def share_link(url: str, params: dict) -> str:
    """``url`` (its own query dropped) with ``params`` as its query, each value percent-encoded.

    ``params`` maps a name to a value or a list of values (a parameter given
    several times, as a multiselect's choices are).

    >>> share_link("http://host:8501/inpainting?x=1", {"photo": "coffee (held out)", "methods": ["a", "b"]})
    'http://host:8501/inpainting?photo=coffee+%28held+out%29&methods=a&methods=b'
    """
    base = url.split("?")[0].split("#")[0]
    query = urlencode([(k, v) for k, values in params.items()
                       for v in (values if isinstance(values, (list, tuple)) else [values])])
    return f"{base}?{query}" if query else base


def _reset(defaults: dict) -> None:
    """Before the next run: every setting of the page back to its default."""
    for key, value in defaults.items():
        st.session_state[key] = value


def key_figure(label: str, value, *, help: str | None = None, delta=None, container=None) -> None:
    """A key figure: ``st.metric``, or a large heading with its label when presenting."""
    box = container if container is not None else st
    if presenting():
        box.caption(label)
        box.markdown(f"# {value}")
        if delta is not None:
            box.caption(str(delta))
    else:
        box.metric(label, value, delta=delta, help=help)


def details(label: str):
    """A container for engineering details: inline, or a folded expander when presenting."""
    if presenting():
        return st.expander(label, expanded=False)
    return st.container()


def revealed(name: str, ask=None) -> bool:
    """Whether to show the answer called ``name`` now (*predict, then reveal*).

    Always True outside presenter mode or with the switch off. Otherwise a
    *Reveal* button is drawn and the answer stays hidden until it is clicked;
    a new question (another ``name``) hides it again.

    ``ask``: ``(prompt, options, answer)``. When the instructor presents, the
    question goes to the room while the answer is hidden (participants guess
    on their own devices) and the answer follows it when *Reveal* is clicked.
    """
    if not (presenting() and st.session_state.get(HIDE_KEY)):
        return True
    from patchlab.ui.classroom import ask_room, reveal_to_room

    shown = st.session_state.setdefault("present_revealed", set())
    if name in shown:
        return True
    if ask is not None:
        ask_room(name, ask[0], ask[1])
    if st.button(_("Reveal"), icon=":material/visibility:", key=f"reveal_{name}", type="primary"):
        shown.add(name)
        if ask is not None:
            reveal_to_room(name, ask[2])
        return True
    return False


def show_link_notice(box, settings, key: str) -> None:
    """A shared link's notice (kept in ``st.session_state[key]`` as ``(notice, None)``), in ``box``.

    It stays for as long as the settings are the ones it was first shown
    with (a rerun that changes nothing keeps it) and goes once one changes.
    """
    notice, shown_with = st.session_state.get(key, (None, None))
    if notice is None:
        return
    if shown_with is not None and shown_with != settings:
        del st.session_state[key]
        return
    st.session_state[key] = (notice, settings)
    box.warning(notice, icon=":material/link_off:")


def sidebar_note(what: str, box=None) -> None:
    """Say where a page's settings are: a phone hides the sidebar behind the » at its top left.

    ``what`` names them (translated), e.g. "The patch size, the stride and the photo".
    """
    (box or st).caption(_(":material/tune: {what} are in the sidebar (the » at the top left on a phone).").format(
        what=what))
