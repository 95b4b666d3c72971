"""The languages PatchLab speaks, and each sentence in the language of whoever is reading it.

One server process serves every participant, each from threads of its own,
and each device chooses its language: the projector may stay English while
the phones in the room read Chinese. So the language is never a global
switch (``gettext.install`` would change everyone's): it is a
:class:`~contextvars.ContextVar`, set at the start of every script run
(:func:`set_language`, called by :mod:`patchlab.ui.language`), and
:func:`_` / :func:`ngettext` look a sentence up in that language's
catalogue. Pure modules (a page's ``demo.py``, the link notice, figure
labels) call them too: they produce the sentence for the run they are
called from.

The catalogues are gettext ``.po`` files under ``locales/`` (managed with
Babel: ``make messages`` extracts and updates them, ``make catalogue``
compiles them; the glossary of terms is ``docs/i18n.md``). A catalogue whose
compiled ``.mo`` is missing or older than its ``.po`` is compiled in memory
from the ``.po``, so a fresh clone run without ``make`` speaks Chinese too.

Sentences use placeholders, never concatenation, so that a translation can
put the numbers where its grammar wants them::

    _("{n} patches of {p} px").format(n=n, p=p)

:func:`N_` only marks a sentence for the catalogue (a module-level label
that is translated where it is shown, with :func:`_`).

Examples
--------
>>> with speaking("en"):
...     _("Patches")
'Patches'
>>> language_of("zh-CN"), language_of("en_GB"), language_of("fr-FR"), language_of(None)
('zh', 'en', None, None)
>>> choose(link="en", chosen="zh", browser="zh-CN"), choose(chosen="zh", browser="en-US"), choose(browser="zh-TW")
('en', 'zh', 'zh')
"""

from __future__ import annotations

import contextvars
import gettext
import io
import re
import threading
from contextlib import contextmanager
from pathlib import Path

__all__ = ["LANGUAGES", "DEFAULT", "DOMAIN", "LOCALES", "language_of", "choose", "set_language",
           "current_language", "speaking", "translations", "catalogue_path", "_", "ngettext", "N_"]

#: Every language PatchLab speaks: its code (as in ``?lang=``) -> its own name for itself.
LANGUAGES = {"en": "English", "zh": "简体中文"}
#: The language of the source strings, and of a browser whose language PatchLab does not speak.
DEFAULT = "en"
#: The gettext domain: ``locales/<lang>/LC_MESSAGES/patchlab.po``.
DOMAIN = "patchlab"
#: The catalogues' folder (``locales/`` at the repository root).
LOCALES = Path(__file__).resolve().parents[2] / "locales"

_language: contextvars.ContextVar[str] = contextvars.ContextVar("patchlab_language", default=DEFAULT)
_loaded: dict[str, tuple[float, gettext.NullTranslations]] = {}
_lock = threading.Lock()


def language_of(locale: str | None) -> str | None:
    """The language PatchLab speaks for a browser locale (``zh-CN``, ``zh_Hans``, ``en-US``), else None.

    Every Chinese locale gets Simplified Chinese (the only Chinese catalogue).

    >>> language_of("zh-Hans-CN"), language_of("EN"), language_of("de")
    ('zh', 'en', None)
    """
    if not locale or not isinstance(locale, str):
        return None
    code = re.split(r"[-_.@]", locale.strip().lower(), maxsplit=1)[0]
    return code if code in LANGUAGES else None


def choose(link: str | None = None, chosen: str | None = None, browser: str | None = None) -> str:
    """The language of a run: the link's ``?lang=`` wins, then the session's switch, then the browser's.

    Parameters
    ----------
    link : str, optional
        The ``lang`` parameter of the page's link (``"zh"``, ``"en"``).
    chosen : str, optional
        The language this session chose with the sidebar's switch.
    browser : str, optional
        The browser's locale (``st.context.locale``, e.g. ``"zh-CN"``).

    Returns
    -------
    str
        A key of :data:`LANGUAGES`; :data:`DEFAULT` when none of them names one.
    """
    for candidate in (link, chosen):
        if candidate in LANGUAGES:
            return candidate
    return language_of(browser) or DEFAULT


def set_language(language: str) -> contextvars.Token:
    """Speak ``language`` in this run (this thread's context) from now on; returns the token to undo it.

    Raises
    ------
    ValueError
        If ``language`` is not a key of :data:`LANGUAGES`.
    """
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    return _language.set(language)


def current_language() -> str:
    """The language of the current run (:data:`DEFAULT` where none was set)."""
    return _language.get()


@contextmanager
def speaking(language: str):
    """Speak ``language`` inside a ``with`` block (tests, a background job's messages)."""
    token = set_language(language)
    try:
        yield
    finally:
        _language.reset(token)


def catalogue_path(language: str, suffix: str = ".po") -> Path:
    """``locales/<language>/LC_MESSAGES/patchlab.po`` (or ``.mo``)."""
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


def translations(language: str) -> gettext.NullTranslations:
    """The translations object of ``language``: the compiled catalogue, read again when its ``.po`` changes.

    English (the source language) and a language without a catalogue get
    :class:`gettext.NullTranslations`, which returns every sentence as it is.
    """
    if language == DEFAULT or language not in LANGUAGES:
        return _NULL
    po, mo = catalogue_path(language), catalogue_path(language, ".mo")
    try:
        stamp = po.stat().st_mtime
    except OSError:
        stamp = -1.0
    cached = _loaded.get(language)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with _lock:
        cached = _loaded.get(language)
        if cached is None or cached[0] != stamp:
            cached = _loaded[language] = (stamp, _read(po, mo))
    return cached[1]


def _read(po: Path, mo: Path) -> gettext.NullTranslations:
    """The compiled ``.mo`` when it is at least as new as the ``.po``, else the ``.po`` compiled in memory."""
    try:
        if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
            with mo.open("rb") as file:
                return gettext.GNUTranslations(file)
        if po.exists():
            return gettext.GNUTranslations(io.BytesIO(_compiled(po)[0]))
    except (OSError, ValueError, ImportError):  # a broken catalogue: the page stays readable, in English
        pass
    return _NULL


_NULL = gettext.NullTranslations()


def compile_catalogue(language: str) -> tuple[int, int]:
    """Write ``language``'s ``.mo`` from its ``.po`` (fuzzy entries left out); ``(translated, total)``.

    ``pybabel compile`` would refuse this catalogue: it takes a "%" followed
    by a letter ("95 % interval", "30 % of") for a %-format placeholder that
    the translation lacks. PatchLab's sentences use ``{brace}`` placeholders
    only (``tests/test_i18n.py`` checks that they match), so the check does
    not apply here.

    Raises
    ------
    ValueError
        If ``language`` has no catalogue.
    """
    po, mo = catalogue_path(language), catalogue_path(language, ".mo")
    if language not in LANGUAGES or not po.exists():
        raise ValueError(f"`language` {language!r} has no catalogue under {LOCALES}.")
    compiled, translated, total = _compiled(po)
    partial = mo.with_suffix(".mo.partial")
    partial.write_bytes(compiled)
    partial.replace(mo)  # atomically: a running app never reads half a catalogue
    return translated, total


def _compiled(po: Path) -> tuple[bytes, int, int]:
    """``po`` compiled to ``.mo`` bytes (fuzzy entries left out, as pybabel compile does), its counts."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as file:
        catalog = read_po(file)
    messages = [m for m in catalog if m.id]
    translated = sum(1 for m in messages if m.string and "fuzzy" not in m.flags)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue(), translated, len(messages)


if __name__ == "__main__":  # make catalogue: python -m patchlab.i18n LANGUAGE...
    import sys

    for name in sys.argv[1:]:
        done, total = compile_catalogue(name)
        print(f"{catalogue_path(name, '.mo')}: {done} of {total} messages translated")


def _(message: str) -> str:
    """``message`` in the language of the current run (an empty message stays empty: never the catalogue's header)."""
    if not message:
        return message
    return translations(_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural sentence for ``n``, in the language of the current run.

    >>> with speaking("en"):
    ...     ngettext("{n} patch", "{n} patches", 3).format(n=3)
    '3 patches'
    """
    return translations(_language.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it (translate it with :func:`_` where it is shown)."""
    return message
