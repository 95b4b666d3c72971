"""Plain text that comes from a participant: display names, answers, domain names.

The room shows such text to everyone (at the projector, in a CSV file), so it
is cleaned once, where it is written: control and formatting characters
(newlines, tabs, bidirectional overrides, zero-width joiners) are removed,
runs of spaces become one space, and the result is cut to a length. What is
left is stored as it is; the Room page renders it as plain text, never as
Markdown or HTML. A text that cannot be a name (nothing printable left, or
markup such as ``<b>``) is refused with a sentence instead of being "fixed"
behind the participant's back.
"""

from __future__ import annotations

import re
import unicodedata

from patchlab.i18n import _

__all__ = ["clean_text", "clean_name", "csv_cell", "NAME_MAX", "ANSWER_MAX", "DOMAIN_MAX"]

#: Longest display name, in characters.
NAME_MAX = 24
#: Longest guess (an answer to a question), in characters.
ANSWER_MAX = 40
#: Longest domain name of an inpainter run, in characters.
DOMAIN_MAX = 40

_SPACES = re.compile(r"\s+")
#: Characters that would let a name pose as markup (HTML tags, Markdown links and emphasis, backticks).
_MARKUP = re.compile(r"[<>\[\]`*_|\\]")


def clean_text(text, what: str, max_chars: int) -> str:
    """``text`` without control or formatting characters, spaces collapsed, stripped.

    Parameters
    ----------
    text : str
        What the participant typed.
    what : str
        How to call it in an error message ("display name").
    max_chars : int
        The most characters allowed after cleaning.

    Returns
    -------
    str
        The cleaned text (at least one character).

    Raises
    ------
    ValueError
        ``text`` is not a string, is empty once cleaned, or is longer than ``max_chars``.

    Examples
    --------
    >>> clean_text("  Ana\\n\\u202eMaria ", "display name", 24)
    'Ana Maria'
    """
    if not isinstance(text, str):
        raise ValueError(f"The {what} must be text, not {type(text).__name__}.")
    # whitespace of any kind becomes a space; control, format (bidi overrides, zero-width),
    # private-use and unassigned characters are dropped
    kept = "".join(" " if c.isspace() else c for c in text if c.isspace() or unicodedata.category(c)[0] != "C")
    kept = _SPACES.sub(" ", kept).strip()
    if not kept:
        raise ValueError(_("The {what} is empty: type at least one letter or digit.").format(what=what))
    if len(kept) > max_chars:
        raise ValueError(_("The {what} is {n_kept} characters long; at most {max_chars} are allowed.").format(what=what, n_kept=len(kept), max_chars=max_chars))
    return kept


def clean_name(name) -> str:
    """A display name: :func:`clean_text`, at most :data:`NAME_MAX` characters, no markup characters.

    Raises
    ------
    ValueError
        As :func:`clean_text`, and for a name holding ``< > [ ] ` * _ | \\``.

    Examples
    --------
    >>> clean_name("  Zoë  K. ")
    'Zoë K.'
    >>> clean_name("<b>boss</b>")
    Traceback (most recent call last):
    ...
    ValueError: A display name cannot hold the characters < > [ ] ` * _ | \\ : use letters, digits, spaces and simple punctuation.
    """
    name = clean_text(name, _("display name"), NAME_MAX)
    if _MARKUP.search(name):
        raise ValueError(_("A display name cannot hold the characters < > [ ] ` * _ | \\ : use letters, digits, "
                         "spaces and simple punctuation."))
    if not any(c.isalnum() for c in name):
        raise ValueError(_("A display name needs at least one letter or digit."))
    return name


def csv_cell(value) -> str:
    """``value`` as a CSV cell that a spreadsheet shows as text, never runs as a formula.

    A cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
    return, which some spreadsheets skip before looking) gets a leading
    apostrophe. Numbers are written as they are (a negative gain stays a
    number).

    Examples
    --------
    >>> csv_cell("=HYPERLINK(\\"x\\")"), csv_cell(-1.5), csv_cell("Ana")
    ('\\'=HYPERLINK("x")', '-1.5', 'Ana')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text
