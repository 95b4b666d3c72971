"""The one path into a page: a shared link, a storyboard scene and the presenter a participant follows.

Every page calls :func:`arrive` first, with its :class:`PageLink`, and
:func:`publish` once its settings are known:

- :func:`arrive` reads the page's settings from a link when one *arrives*:
  the address a session opens with (a shared link), a scene sent by
  :func:`enter` (the storyboard's *Next*, the presenter a participant
  follows) or the browser's *Back*. The page's pure reader turns the
  query into widget values and the parameters it could not use; the values
  go into the widgets' state (so the widgets show them), the parameters
  it could not use leave the address bar and get one notice
  (:func:`show_notice`), worded the same on every page
  (:func:`patchlab.links.link_notice`). A rerun of the page (a slider
  moved) is no arrival: what the page wrote into its own address is not
  read back.
- :func:`publish` writes the page's current settings into the address bar,
  so that the address is always a link to share (*Copy link*).
- :func:`enter` opens a page with settings: a scene's, or the
  presenter's. Whoever sends them, they reach the page through
  :func:`arrive`, like a shared link.

The widgets are not bound to the URL (``bind="query-params"``): a bound
widget drops a value it cannot read without saying so, reads only its own
spelling of a value (a label, not the key a scene or an older link uses),
and cannot be set by a scene while it is on screen. Here the page's reader
says what it could not use, every spelling a link may carry is read, and
a scene can change the settings of the page it is on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import streamlit as st

from patchlab.links import RESERVED, link_notice, unknown_parameters

__all__ = ["PageLink", "arrive", "publish", "show_notice", "enter", "link_params", "ARRIVED", "NO_SETTINGS"]

_PENDING = "link_pending"  # (page, params, token): settings sent by enter(), for the page to read on arrival
ARRIVED = "link_arrived"  # the token of the last link sent by enter() that its page read
_SEEN = "link_seen"  # the pages this session has arrived on
_NOTICES = "link_notices"  # page -> (notice, the widget values it was shown with)


@dataclass(frozen=True)
class PageLink:
    """How one page reads a link.

    Attributes
    ----------
    page : str
        The page's name in its URL (``"patches"``).
    read : callable
        ``read(params) -> (values, ignored)``: the link's query parameters
        (name -> list of values) to widget values (widget key -> value, for
        the settings the link names) and the :class:`~patchlab.links.Ignored`
        it could not use. Pure: the demo module's reader.
    defaults : dict
        Every setting's widget key and default value: a first visit starts
        from them, and *Reset* puts them back.
    params : tuple of str
        The query parameters the page owns (written by :func:`publish`);
        any other parameter but the app's own is reported and dropped.
    default_query : dict
        The parameters of the default settings: :func:`publish` leaves a
        setting at its default out of the address, so a page at its
        defaults has a clean one.
    """

    page: str
    read: Callable[[Mapping[str, list]], tuple[dict, list]]
    defaults: dict = field(default_factory=dict)
    params: tuple = ()
    default_query: dict = field(default_factory=dict)


def _no_settings(params):
    return {}, []


NO_SETTINGS = PageLink("home", _no_settings)


def link_params() -> dict[str, list[str]]:
    """The address bar's query parameters: name -> every value given (a multiselect's choices repeat)."""
    return {name: st.query_params.get_all(name) for name in st.query_params}


def _history_navigation() -> bool:
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        ctx = get_script_run_ctx()
        return bool(ctx is not None and ctx.is_history_navigation)
    except (ImportError, AttributeError):  # pragma: no cover - another Streamlit
        return False


def arrive(link: PageLink) -> bool:
    """Read the page's settings from a link that arrives now; True when one did.

    Call it first in the page's ``main()``, before any widget of the page.
    Settings the link does not name keep the values they had (their
    defaults on a first visit).
    """
    state = st.session_state
    seen = state.setdefault(_SEEN, set())
    pending = state.get(_PENDING)
    if pending is not None and pending[0] == link.page:
        del state[_PENDING]
        state[ARRIVED] = pending[2]
        params = {k: (list(v) if isinstance(v, (list, tuple)) else [str(v)]) for k, v in pending[1].items()}
    elif link.page not in seen or _history_navigation():
        params = link_params()
    else:
        params = None
    seen.add(link.page)
    for key, value in link.defaults.items():
        if key not in state:
            state[key] = value
    if not params:
        return False
    values, ignored = link.read(params)
    ignored = list(ignored) + unknown_parameters(params, link.params)
    for key, value in values.items():
        state[key] = value
    notice = link_notice(ignored)
    notices = state.setdefault(_NOTICES, {})
    if notice:
        notices[link.page] = (notice, None)
    else:
        notices.pop(link.page, None)
    for name in params:  # what could not be used leaves the address; publish() writes the rest back
        if name not in RESERVED and name not in link.params and name in st.query_params:
            del st.query_params[name]
    return True


def publish(link: PageLink, query: Mapping[str, object]) -> None:
    """Write the page's settings into the address bar (only what changed).

    ``query`` maps each of the page's parameters to its value (a list for a
    parameter given several times); a parameter mapped to None, or left
    out, is removed (a setting no widget on screen holds), and so is one at
    its default (:attr:`PageLink.default_query`).
    """
    for name in link.params:
        value = query.get(name)
        if value is None or (name in link.default_query and _same(value, link.default_query[name])):
            if name in st.query_params:
                del st.query_params[name]
            continue
        wanted = [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
        if st.query_params.get_all(name) != wanted:
            st.query_params[name] = wanted if isinstance(value, (list, tuple)) else wanted[0]


def _same(a, b) -> bool:
    as_list = lambda v: [str(x) for x in v] if isinstance(v, (list, tuple)) else [str(v)]  # noqa: E731
    return as_list(a) == as_list(b)


def show_notice(link: PageLink, box=None) -> None:
    """The notice about this page's last link, in ``box``, until one of the page's settings changes."""
    notices = st.session_state.get(_NOTICES, {})
    if link.page not in notices:
        return
    notice, shown_with = notices[link.page]
    now = {key: st.session_state.get(key) for key in link.defaults}
    if shown_with is not None and shown_with != now:
        del notices[link.page]
        return
    notices[link.page] = (notice, now)
    (box or st).warning(notice, icon=":material/link_off:")


def enter(page: str, path: str, params: Mapping[str, object], extra: Mapping[str, str] | None = None,
          token=None) -> None:
    """Open page ``page`` (its file ``path``) with ``params`` as its link's settings.

    ``extra`` holds the app's own parameters for the address (presenter
    mode, the scene); the device's ``lang`` comes along. The page reads ``params`` on arrival, as it reads a
    shared link; it then leaves ``token`` in ``st.session_state[ARRIVED]``
    (the sender can see that it arrived). Ends the current run.
    """
    from streamlit.errors import StreamlitPageNotFoundError

    st.session_state[_PENDING] = (page, dict(params), token)
    extra = dict(extra or {})
    if "lang" in st.query_params and "lang" not in extra:  # the device's language goes along (docs/i18n.md)
        extra["lang"] = st.query_params["lang"]
    query = {**{k: (list(v) if isinstance(v, (list, tuple)) else str(v)) for k, v in params.items()},
             **extra}
    try:
        st.switch_page(path, query_params=query)
    except StreamlitPageNotFoundError:  # no router (AppTest runs one page on its own): stay, with the link
        st.query_params.from_dict(query)
        st.rerun()
