"""Storyboards: an ordered list of scenes for presenter mode.

A storyboard is a small TOML file in ``presentations/``. Each scene names a
page, that page's settings (the query parameters a shared link would carry)
and one line for the presenter to say::

    title = "PatchLab in ten scenes"

    [[scene]]
    page = "patches"
    settings = { img = "astronaut", p = 48, s = 16 }
    point = "Overlapping patches: every pixel is covered several times."

    [[scene]]
    page = "inpainting"
    settings = { methods = ["telea", "seed"] }   # a list: the parameter repeated
    point = "A U-Net fills the hole; the tutorial's autoencoder and OpenCV beside it."

    [[scene]]
    page = "upsampling"
    settings = "up_factor=2&up_init=nearest&up_rec=false&up_k=3"   # or a query string, as Copy link gives it
    point = "A box kernel the stride does not divide: a checkerboard appears."
    point_zh = "步长不能整除的方框卷积核：出现了棋盘格。"   # the point in Chinese (optional; docs/i18n.md)
    claims = ["checkerboard strength > 0.1"]   # what the point says, checked (patchlab.claims)

This module is pure (no Streamlit): :func:`parse_storyboard` checks a text,
:func:`load_storyboard` a file, :func:`find_storyboards` lists a folder.
Every problem raises :class:`StoryboardError` naming the file, the scene
(1-based, as the presenter counts them) and the field.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from patchlab.claims import ClaimError, parse_claim
from patchlab.i18n import DEFAULT, LANGUAGES, current_language

__all__ = [
    "RESERVED",
    "MAX_POINT",
    "Scene",
    "Storyboard",
    "StoryboardError",
    "parse_storyboard",
    "load_storyboard",
    "find_storyboards",
]

RESERVED = ("present", "scene", "story")  # query parameters presenter mode itself uses
MAX_POINT = 200  # characters in a talking point: one line on a slide
#: The other languages' fields: ``title_zh`` and each scene's ``point_zh`` (the same line, translated).
_TRANSLATED = tuple(language for language in LANGUAGES if language != DEFAULT)
_TOP_FIELDS = {"title", "scene", *(f"title_{lang}" for lang in _TRANSLATED)}
_SCENE_FIELDS = {"page", "settings", "point", "claims", *(f"point_{lang}" for lang in _TRANSLATED)}


class StoryboardError(ValueError):
    """A storyboard that cannot be used; the message names the file, scene and field."""


@dataclass(frozen=True)
class Scene:
    """One step of a storyboard.

    Attributes
    ----------
    page : str
        The page's name as in its URL (``"patches"``; ``"home"`` for the home page).
    settings : dict of str to str or tuple of str
        Query parameters for the page, as in a shared link; a tuple is a
        parameter given several times (a multiselect's choices; empty: none).
    point : str
        The talking point: one line.
    claims : tuple of Claim
        What the point says about the screen, in a form a test checks
        against what the page computes (:mod:`patchlab.claims`).
    translations : dict of str to str
        The point in other languages (``point_zh``): language -> line.
    """

    page: str
    settings: dict[str, str | tuple[str, ...]] = field(default_factory=dict)
    point: str = ""
    claims: tuple = ()
    translations: dict[str, str] = field(default_factory=dict)

    def point_in(self, language: str | None = None) -> str:
        """The point in ``language`` (default: the current run's), else in English."""
        return self.translations.get(language or current_language(), self.point)


@dataclass(frozen=True)
class Storyboard:
    """A named, ordered tuple of scenes (at least one)."""

    name: str  # the file's stem: what ``?story=`` names
    title: str
    scenes: tuple[Scene, ...]
    titles: dict[str, str] = field(default_factory=dict)  # the title in other languages (``title_zh``)

    def title_in(self, language: str | None = None) -> str:
        """The title in ``language`` (default: the current run's), else in English."""
        return self.titles.get(language or current_language(), self.title)

    def __len__(self) -> int:
        return len(self.scenes)


def _setting_text(value, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise StoryboardError(f"{where}: must be text, a number or true/false, not {type(value).__name__}")


def _parse_settings(raw, where: str) -> dict[str, str | tuple[str, ...]]:
    if isinstance(raw, str):
        text = raw.strip()
        if "?" in text or text.startswith(("http://", "https://", "/")):
            text = urlsplit(text).query  # a whole link, as Copy link gives it
        try:
            pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
        except ValueError:
            raise StoryboardError(f"{where}: {raw!r} is not a query string like 'p=48&s=16'") from None
        settings = {}
        for key, value in pairs:  # a repeated key is a list (a multiselect's choices)
            if key in settings:
                old = settings[key]
                settings[key] = (*old, value) if isinstance(old, tuple) else (old, value)
            else:
                settings[key] = value
    elif isinstance(raw, dict):
        settings = {}
        for k, v in raw.items():
            if isinstance(v, list):
                settings[str(k)] = tuple(_setting_text(x, f"{where}, {k!r}") for x in v)
            else:
                settings[str(k)] = _setting_text(v, f"{where}, {k!r}")
    else:
        raise StoryboardError(f"{where}: must be a table like {{ p = 48 }} or a query string like 'p=48&s=16'")
    for key in settings:
        if not key or key != key.strip():
            raise StoryboardError(f"{where}: {key!r} is not a parameter name")
        if key in RESERVED:
            raise StoryboardError(f"{where}: {key!r} is set by presenter mode itself; leave it out")
    return settings


def _parse_scene(raw, number: int, source: str, pages) -> Scene:
    where = f"{source}, scene {number}"
    if not isinstance(raw, dict):
        raise StoryboardError(f"{where}: must be a [[scene]] table")
    unknown = sorted(set(raw) - _SCENE_FIELDS)
    if unknown:
        raise StoryboardError(f"{where}: unknown field {unknown[0]!r} (a scene has page, settings, point, claims)")
    page = raw.get("page")
    if not isinstance(page, str) or not page.strip():
        raise StoryboardError(f"{where}: field 'page' is missing (the page's name, e.g. \"patches\")")
    page = page.strip().strip("/").lower()
    if pages is not None and page not in pages:
        raise StoryboardError(f"{where}: field 'page': no page {page!r} (pages: {', '.join(pages)})")
    where = f"{where} ({page})"
    point = _point(raw.get("point"), "point", where)
    translations = {lang: _point(raw[f"point_{lang}"], f"point_{lang}", where)
                    for lang in _TRANSLATED if f"point_{lang}" in raw}
    settings = _parse_settings(raw.get("settings", {}), f"{where}: field 'settings'")
    claims = raw.get("claims", [])
    if isinstance(claims, str):
        claims = [claims]
    if not isinstance(claims, list):
        raise StoryboardError(f"{where}: field 'claims' must be a list like [\"patches > 100\"]")
    try:
        claims = tuple(parse_claim(c, page) for c in claims)
    except ClaimError as exc:
        raise StoryboardError(f"{where}: field 'claims': {exc}") from None
    return Scene(page=page, settings=settings, point=point, claims=claims, translations=translations)


def _point(point, name: str, where: str) -> str:
    if not isinstance(point, str) or not point.strip():
        raise StoryboardError(f"{where}: field {name!r} is missing (one line to say)")
    point = point.strip()
    if "\n" in point:
        raise StoryboardError(f"{where}: field {name!r} must be one line")
    if len(point) > MAX_POINT:
        raise StoryboardError(f"{where}: field {name!r} has {len(point)} characters; keep it under {MAX_POINT}")
    return point


def parse_storyboard(text: str, name: str = "storyboard", pages=None, *, source: str | None = None) -> Storyboard:
    """A storyboard from TOML text.

    Parameters
    ----------
    text : str
        The TOML: an optional ``title`` and one ``[[scene]]`` table per scene.
    name : str
        The storyboard's name (its file stem), used in messages and links.
    pages : iterable of str, optional
        The page names a scene may use; ``None`` accepts any name.
    source : str, optional
        What messages call the storyboard (default: ``name``; a file name for files).

    Returns
    -------
    Storyboard

    Raises
    ------
    StoryboardError
        Invalid TOML, no scene, an unknown field, a missing page or point, a
        page that does not exist, settings that are not simple values, or a
        parameter presenter mode reserves (``present``, ``scene``, ``story``).
    """
    if not isinstance(name, str) or not name:
        raise ValueError("name must be a non-empty string")
    pages = None if pages is None else tuple(pages)
    source = source or name
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StoryboardError(f"{source}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - _TOP_FIELDS)
    if unknown:
        raise StoryboardError(f"{source}: unknown field {unknown[0]!r} (a storyboard has title and [[scene]] tables)")
    title = data.get("title", name)
    if not isinstance(title, str) or not title.strip():
        raise StoryboardError(f"{source}: field 'title' must be text")
    scenes = data.get("scene")
    if not isinstance(scenes, list) or not scenes:
        raise StoryboardError(f"{source}: no scenes (add [[scene]] tables with page and point)")
    titles = {}
    for lang in _TRANSLATED:
        if f"title_{lang}" in data:
            if not isinstance(data[f"title_{lang}"], str) or not data[f"title_{lang}"].strip():
                raise StoryboardError(f"{source}: field 'title_{lang}' must be text")
            titles[lang] = data[f"title_{lang}"].strip()
    return Storyboard(name=name, title=title.strip(), titles=titles,
                      scenes=tuple(_parse_scene(s, i, source, pages) for i, s in enumerate(scenes, 1)))


def load_storyboard(path, pages=None) -> Storyboard:
    """:func:`parse_storyboard` of a ``.toml`` file; its stem is the name."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StoryboardError(f"{path.name}: cannot be read ({exc})") from None
    return parse_storyboard(text, name=path.stem, pages=pages, source=path.name)


def find_storyboards(folder) -> list[Path]:
    """The ``.toml`` files in ``folder``, sorted by name (none if it does not exist)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.toml") if p.is_file())
