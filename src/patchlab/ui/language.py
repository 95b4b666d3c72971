"""The language of each device: chosen per session, applied at the start of every run and fragment run.

Which language a run speaks (:func:`patchlab.i18n.choose`):

1. ``?lang=zh`` / ``?lang=en`` in the link wins (a projector kept English
   while the phones follow their owners, or the reverse);
2. else the session's choice with the sidebar's switch (:func:`language_switch`);
3. else the browser's language (``st.context.locale``); English for any
   language PatchLab does not speak.

A link's ``lang`` becomes the session's choice, so it lasts when the menu
opens another page (a menu link has no query), and the address keeps it
(:func:`apply_language` writes it back), so *Copy link*, *Reset* and the
storyboard carry it. Switching language is no link arrival: it changes the
words, never a setting, the drawing or a result (widgets are keyed, so a
new label is the same widget).

:func:`apply_language` runs first in every script run (``app.py`` and
:func:`patchlab.ui.router.ensure_router`, which every page calls first);
a fragment's own reruns do not pass there, so fragments are made with
:func:`fragment`, which applies the session's language before the body.
"""

from __future__ import annotations

import functools

import streamlit as st

from patchlab.i18n import DEFAULT, LANGUAGES, _, choose, current_language, language_of, set_language

__all__ = ["PARAM", "apply_language", "language_switch", "fragment", "declare_language", "HTML_LANG"]

#: The link's parameter (one of the app's own, :data:`patchlab.links.RESERVED`).
PARAM = "lang"
#: How each language is declared to the browser (``<html lang>``: screen readers, fonts, axe-core).
HTML_LANG = {"en": "en", "zh": "zh-CN"}
_CHOSEN = "lang_chosen"  # the session's choice: the switch, or a link's lang
_CURRENT = "lang_current"  # the language of this session's last full run (for fragments)
_SWITCH = "lang_switch"  # the sidebar switch's key
_BAD = "lang_bad"  # a link's lang PatchLab does not speak: said once
_components: dict = {}


def _browser_locale() -> str | None:
    try:
        return st.context.locale
    except Exception:  # noqa: BLE001 - no request (bare mode)
        return None


def apply_language() -> str:
    """Choose this run's language, speak it from now on, and keep an explicit choice in the address."""
    state = st.session_state
    raw = st.query_params.get(PARAM)
    link = raw.strip().lower() if isinstance(raw, str) else None
    if link is not None and link not in LANGUAGES:
        link = language_of(link)  # ?lang=zh-CN reads as zh
        if link is None:
            state[_BAD] = raw
            del st.query_params[PARAM]
    if link is not None:
        state[_CHOSEN] = link
    language = choose(link=link, chosen=state.get(_CHOSEN), browser=_browser_locale())
    set_language(language)
    state[_CURRENT] = language
    if state.get(_CHOSEN) in LANGUAGES and st.query_params.get(PARAM) != state[_CHOSEN]:
        st.query_params[PARAM] = state[_CHOSEN]
    if language != DEFAULT:
        from patchlab.fonts import use_in_figures

        use_in_figures()
    return language


def _switched() -> None:
    """The sidebar switch moved: that language is the session's choice, and the address says it."""
    wanted = st.session_state.get(_SWITCH)
    if wanted in LANGUAGES:
        st.session_state[_CHOSEN] = wanted
        st.query_params[PARAM] = wanted


def language_switch(box=None) -> str:
    """The sidebar's language switch (its label in both languages), and the page's declared language.

    Returns the language of this run.
    """
    box = box if box is not None else st.sidebar
    language = current_language()
    if st.session_state.get(_SWITCH) != language:
        st.session_state[_SWITCH] = language
    box.segmented_control("Language · 语言", list(LANGUAGES), format_func=LANGUAGES.get, key=_SWITCH,
                          on_change=_switched, required=True, width="stretch")
    bad = st.session_state.pop(_BAD, None)
    if bad is not None:
        from patchlab.links import Ignored, link_notice

        box.warning(link_notice([Ignored(_("language"), bad, " / ".join(LANGUAGES))]),
                    icon=":material/link_off:")
    declare_language(language, box)
    return language


_DECLARE_JS = """
export default function(component) {
    const { data } = component;
    if (data && data.lang && document.documentElement.lang !== data.lang) {
        document.documentElement.lang = data.lang;
    }
}
"""


def declare_language(language: str, box=None) -> None:
    """Declare the page's language to the browser (``<html lang>``), for screen readers, fonts and axe-core."""
    if "declare" not in _components:
        _components["declare"] = st.components.v2.component("patchlab.page_language", js=_DECLARE_JS,
                                                            isolate_styles=False)
    box = box if box is not None else st.sidebar
    with box:
        _components["declare"](key="page_language", data={"lang": HTML_LANG.get(language, "en")},
                               width="stretch", height="content")


def fragment(func=None, **options):
    """``st.fragment`` whose every run speaks the session's language (``@fragment(run_every=2)``)."""
    if func is None:
        return lambda f: fragment(f, **options)

    @functools.wraps(func)
    def speaking_fragment(*args, **kwargs):
        set_language(st.session_state.get(_CURRENT, DEFAULT))
        return func(*args, **kwargs)

    return st.fragment(speaking_fragment, **options)
