"""The instructor's key: who may open the Room page.

The key is made once per room and kept in ``run/instructor_key`` (mode 0600;
``run/`` is ignored by git), or set with ``PATCHLAB_INSTRUCTOR_KEY``.
``make run`` and ``make room`` print the link that carries it::

    python -m patchlab.room.instructor --link http://localhost:8501

The Room page compares what its ``key`` parameter holds with
:func:`is_instructor` (in constant time), then takes the key out of the
address bar (a projector shows it to the whole room).
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import re
import secrets
import sys
from pathlib import Path
from urllib.parse import quote

from patchlab import ROOT

__all__ = ["KEY_FILE", "ENV", "instructor_key", "is_instructor", "instructor_link"]

LOG = logging.getLogger(__name__)

#: Where the generated key is kept.
KEY_FILE = ROOT / "run" / "instructor_key"
#: The environment variable that sets the key instead.
ENV = "PATCHLAB_INSTRUCTOR_KEY"
#: The Room page's address (its URL name).
ROOM_PAGE = "room"
_KEY = re.compile(r"[A-Za-z0-9_~.-]{16,128}")


def instructor_key(path: Path | str | None = None, environ=None) -> str:
    """The room's instructor key: ``PATCHLAB_INSTRUCTOR_KEY``, else the one kept in ``path`` (made there once).

    Parameters
    ----------
    path : path, optional
        The key's file (default :data:`KEY_FILE`); created with mode 0600
        and a new random key (24 URL-safe characters) when missing.
    environ : mapping, optional
        Where to look for ``PATCHLAB_INSTRUCTOR_KEY`` (default: the process's environment).

    Returns
    -------
    str
        The key: 16 to 128 characters from ``A-Z a-z 0-9 _ ~ . -``.

    Raises
    ------
    ValueError
        ``PATCHLAB_INSTRUCTOR_KEY`` (or the file) holds something that cannot be a key.

    Examples
    --------
    >>> instructor_key(environ={"PATCHLAB_INSTRUCTOR_KEY": "correct-horse-battery"})
    'correct-horse-battery'
    """
    environ = os.environ if environ is None else environ
    given = environ.get(ENV, "").strip()
    if given:
        if not _KEY.fullmatch(given):
            raise ValueError(f"{ENV} must be 16 to 128 letters, digits or _ ~ . - (it is {len(given)} characters "
                             "long or holds others)")
        return given
    path = Path(KEY_FILE if path is None else path)
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        key = _make(path)
    if not _KEY.fullmatch(key):
        raise ValueError(f"{path} does not hold an instructor key; delete it and a new one is made")
    return key


def _make(path: Path) -> str:
    """Write a new key to ``path`` (mode 0600); if another process was first, read its key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(18)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key


def is_instructor(given, path: Path | str | None = None, environ=None) -> bool:
    """Whether ``given`` (the page's ``key`` parameter) is the instructor key; compared in constant time.

    Anything that is not a string (None, a list) is not the key. Never
    raises: when the key cannot be read, nobody is the instructor (the
    reason goes to the log).

    Examples
    --------
    >>> env = {"PATCHLAB_INSTRUCTOR_KEY": "correct-horse-battery"}
    >>> is_instructor("correct-horse-battery", environ=env), is_instructor("wrong", environ=env)
    (True, False)
    """
    if not isinstance(given, str) or not given:
        return False
    try:
        key = instructor_key(path, environ)
    except (OSError, ValueError) as exc:
        LOG.warning("the instructor key cannot be read: %s", exc)
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), key.encode("utf-8"))


def instructor_link(base_url: str, path: Path | str | None = None, environ=None) -> str:
    """The Room page's link with the key, e.g. ``http://localhost:8501/room?key=...``.

    Examples
    --------
    >>> instructor_link("http://localhost:8501/", environ={"PATCHLAB_INSTRUCTOR_KEY": "correct-horse-battery"})
    'http://localhost:8501/room?key=correct-horse-battery'
    """
    if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
        raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")
    return f"{base_url.rstrip('/')}/{ROOM_PAGE}?key={quote(instructor_key(path, environ), safe='')}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Print the instructor's link to the Room page (makes the key once).")
    parser.add_argument("--link", default="http://localhost:8501", help="the app's address (default %(default)s)")
    args = parser.parse_args(argv)
    try:
        link = instructor_link(args.link)
    except (OSError, ValueError) as exc:
        print(f"instructor key: {exc}", file=sys.stderr)
        return 2
    print(f"Instructor (the Room page; keep this link to yourself): {link}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
