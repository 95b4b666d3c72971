"""Links into a page: reading a link's settings, and the one notice about what could not be used.

A page's settings reach it one way, whoever sends them: a shared link, a
storyboard scene, the presenter a participant follows. Each page's demo
module reads the link's query parameters with its own pure function and
reports every parameter it could not use as an :class:`Ignored`; this
module words them, the same way on every page (:func:`link_notice`), and
gives the readers their common pieces (:func:`last`, :func:`choice`,
:func:`whole_number`, :func:`flag`, :func:`unknown_parameters`).

The Streamlit side (when a page reads its link, the notice on the page, the
address bar) is :mod:`patchlab.ui.link`.

Examples
--------
>>> print(link_notice([Ignored("fusion rule", "evil", "mean, product, max or vote")]))
Part of this link could not be used: fusion rule `evil` (expected mean, product, max or vote). The page shows the default instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from patchlab.i18n import N_, _

__all__ = ["RESERVED", "MAX_SHOWN", "Ignored", "link_notice", "last", "choice", "whole_number", "flag",
           "unknown_parameters", "words"]

#: Query parameters that belong to the app, not to a page: presenter mode, the storyboard, the language.
RESERVED = ("present", "scene", "story", "lang")
#: A link's value is quoted with at most this many characters.
MAX_SHOWN = 40


@dataclass(frozen=True)
class Ignored:
    """One setting of a link the page could not use.

    Attributes
    ----------
    setting : str
        The setting as the page names it ("patch size", "fusion rule"), or
        the parameter itself when it is not a setting of the page.
    value : str
        What the link said (shortened to :data:`MAX_SHOWN` characters when quoted).
    expected : str
        What the page takes, in words a participant knows ("a whole number
        from 1 to 512", "mean, product, max or vote").
    used : str, optional
        What the page uses instead when it is not the default (a value
        limited to its range: "60 px").

    An ``expected`` of None marks a parameter that is no setting of the page.
    """

    setting: str
    value: str
    expected: str | None
    used: str | None = None

    def phrase(self) -> str:
        """The setting, its value as typed (a code span: never a link, HTML or formula) and what was expected."""
        setting, value = _(self.setting), _code(self.value)
        if self.expected is None:
            return _("{setting} {value} (not a setting of this page)").format(setting=setting, value=value)
        expected = _(self.expected)
        if self.used:
            return _("{setting} {value} (expected {expected}; using {used})").format(
                setting=setting, value=value, expected=expected, used=self.used)
        return _("{setting} {value} (expected {expected})").format(setting=setting, value=value, expected=expected)


def _code(value: str) -> str:
    value = str(value)
    if len(value) > MAX_SHOWN:
        value = value[:MAX_SHOWN] + "…"
    value = " ".join(value.split())  # no line breaks, tabs or runs of blanks
    if not value:
        return _("(empty)")
    fence = "`" * (max((len(run) for run in re.findall("`+", value)), default=0) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def link_notice(ignored: Sequence[Ignored]) -> str | None:
    """The one notice about a link's unusable settings (Markdown), or None when everything was used.

    Every page words it the same way: each ignored setting with its value
    and what was expected, then what the page did about it.

    Examples
    --------
    >>> link_notice([]) is None
    True
    >>> print(link_notice([Ignored("brush size", "80", "5 to 60 px", used="60 px"),
    ...                    Ignored("photo", "moon", "one of the sample photos")]))
    Part of this link could not be used: brush size `80` (expected 5 to 60 px; using 60 px); photo `moon` (expected one of the sample photos). The page shows the default instead.
    """
    if not ignored:
        return None
    defaults = any(item.used is None and item.expected is not None for item in ignored)
    phrases = _("; ").join(i.phrase() for i in ignored)
    if defaults:
        return _("Part of this link could not be used: {phrases}. The page shows the default instead.").format(
            phrases=phrases)
    return _("Part of this link could not be used: {phrases}.").format(phrases=phrases)


_JOINS = {"or": N_("{items} or {last}"), "and": N_("{items} and {last}")}


def words(options: Iterable[str], last_word: str = "or") -> str:
    """``a, b or c``: options as a sentence lists them (``last_word``: ``"or"`` or ``"and"``), in the run's language.

    >>> words(["mean", "product", "max", "vote"])
    'mean, product, max or vote'
    """
    options = [str(o) for o in options]
    if len(options) <= 1:
        return "".join(options)
    join = _(_JOINS[last_word]) if last_word in _JOINS else "{items} " + last_word + " {last}"
    return join.format(items=_(", ").join(options[:-1]), last=options[-1])


def last(raw) -> str:
    """The value of a parameter given once (a string) or several times (a list: the last counts)."""
    if isinstance(raw, (list, tuple)):
        return str(raw[-1]) if raw else ""
    return str(raw)


def choice(params: Mapping, param: str, setting: str, options: Mapping[str, str], ignored: list,
           *, expected: str | None = None):
    """The option a link names by its key or by its label, else None (and an :class:`Ignored`).

    Parameters
    ----------
    params : mapping
        The link's query parameters.
    param : str
        The parameter to read.
    setting : str
        How the page names the setting, for the notice.
    options : mapping of str to str
        ``key -> label`` of every option; the link may give either
        (case-insensitively), the key is returned.
    ignored : list
        Where an :class:`Ignored` is appended when the value is no option.
    expected : str, optional
        How the notice words the options (default: their labels).

    Examples
    --------
    >>> problems = []
    >>> choice({"init": "Bilinear"}, "init", "initialisation", {"bilinear": "Bilinear", "random": "Random"}, problems)
    'bilinear'
    >>> choice({"init": "x"}, "init", "initialisation", {"bilinear": "Bilinear"}, problems), problems[0].expected
    (None, 'Bilinear')
    """
    if param not in params:
        return None
    raw = last(params[param]).strip()
    lookup = {}
    for key, label in options.items():
        lookup.setdefault(str(label).lower(), key)
        lookup.setdefault(str(key).lower(), key)
    if raw.lower() in lookup:
        return lookup[raw.lower()]
    ignored.append(Ignored(setting, raw, expected or words(_(str(v)) for v in options.values())))
    return None


def whole_number(params: Mapping, param: str, setting: str, low: int, high: int, ignored: list,
                 *, unit: str = "", clamp: bool = False):
    """A whole number from ``low`` to ``high`` (plain digits, an optional sign), else None.

    With ``clamp``, a number outside the range is limited to it (and noted
    with the value used); otherwise it is ignored.

    Examples
    --------
    >>> problems = []
    >>> whole_number({"brush": "80"}, "brush", "brush size", 5, 60, problems, unit=" px", clamp=True)
    60
    >>> problems[0].phrase()
    'brush size `80` (expected a whole number from 5 to 60 px; using 60 px)'
    >>> whole_number({"digit": "-5"}, "digit", "test digit", 0, 9999, problems) is None
    True
    """
    if param not in params:
        return None
    raw = last(params[param]).strip()
    expected = _("a whole number from {low} to {high}{unit}").format(low=f"{low:,}", high=f"{high:,}", unit=unit)
    if not re.fullmatch(r"[+-]?[0-9]{1,12}", raw):
        ignored.append(Ignored(setting, raw, expected))
        return None
    value = int(raw)
    if low <= value <= high:
        return value
    if clamp:
        used = min(max(value, low), high)
        ignored.append(Ignored(setting, raw, expected, used=f"{used:,}{unit}"))
        return used
    ignored.append(Ignored(setting, raw, expected))
    return None


def flag(params: Mapping, param: str, setting: str, ignored: list):
    """``true`` / ``false`` (also on/off, yes/no, 1/0), else None.

    >>> flag({"aug": "yes"}, "aug", "augmentation", [])
    True
    """
    if param not in params:
        return None
    raw = last(params[param]).strip()
    value = {"true": True, "1": True, "yes": True, "on": True,
             "false": False, "0": False, "no": False, "off": False}.get(raw.lower())
    if value is None:
        ignored.append(Ignored(setting, raw, N_("on or off (true or false)")))
    return value


def unknown_parameters(params: Mapping, known: Iterable[str]) -> list[Ignored]:
    """An :class:`Ignored` for every parameter that is neither the page's nor the app's (:data:`RESERVED`).

    >>> [i.phrase() for i in unknown_parameters({"patc": "14", "present": "1"}, ["patch"])]
    ['patc `14` (not a setting of this page)']
    """
    known = set(known) | set(RESERVED)
    return [Ignored(name, last(value), None)
            for name, value in params.items() if name not in known]
