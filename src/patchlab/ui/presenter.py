"""Presenter mode's storyboard: the current scene's talking point, *Previous* / *Next*.

The storyboards are the ``.toml`` files in ``presentations/`` (format and
checks in :mod:`patchlab.storyboard`). The scene being shown is in the URL
(``?present=1&scene=3``, plus ``story=<file stem>`` for a storyboard other
than the first), so a reload or a shared link stays on the same scene.
*Next* (the right arrow key) and *Previous* (the left arrow key) open the
scene's page with the scene's settings, the way a shared link opens it
(:func:`patchlab.ui.link.enter`).

:func:`scene_bar` is drawn by :func:`patchlab.ui.room.presenter_toggle`; pages
do not call it themselves.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from patchlab.i18n import _
from patchlab.storyboard import Storyboard, StoryboardError, find_storyboards, load_storyboard
from patchlab.ui.classroom import send_scene
from patchlab.ui.link import enter
from patchlab.ui.registry import page_names, page_path

__all__ = ["PRESENTATIONS", "page_names", "page_path", "storyboards", "scene_bar", "scene_link"]

ROOT = Path(__file__).resolve().parents[3]
PRESENTATIONS = ROOT / "presentations"
SCENE_KEY = "scene"
STORY_KEY = "story"
_STATE_SCENE = "present_scene"  # the scene shown, kept in the session too: a page may rewrite its URL
_STATE_STORY = "present_story"
_CHOICE = "present_story_choice"  # the sidebar selector's key
_SWITCHED = "present_story_switched"
_cache: dict[Path, tuple[float, Storyboard | StoryboardError]] = {}


def storyboards(folder: Path | None = None) -> tuple[list[Storyboard], list[str]]:
    """The valid storyboards in ``folder`` (default :data:`PRESENTATIONS`) and one message per invalid file.

    Files are read again only when they change, so an instructor can edit one
    while the app runs.
    """
    boards, problems = [], []
    names = page_names()
    for path in find_storyboards(PRESENTATIONS if folder is None else folder):
        try:
            mtime = path.stat().st_mtime
        except OSError:
            continue
        cached = _cache.get(path)
        if cached is None or cached[0] != mtime:
            try:
                loaded = load_storyboard(path, pages=names)
            except StoryboardError as exc:
                loaded = exc
            cached = _cache[path] = (mtime, loaded)
        if isinstance(cached[1], StoryboardError):
            problems.append(str(cached[1]))
        else:
            boards.append(cached[1])
    return boards, problems


def _scene_from_url() -> int | None:
    raw = st.query_params.get(SCENE_KEY)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return 0


def scene_link(board: Storyboard, number: int, default: str | None = None) -> dict[str, str]:
    """The query parameters of scene ``number`` (1-based) of ``board``."""
    params = dict(board.scenes[number - 1].settings)
    params.update({"present": "1", SCENE_KEY: str(number)})
    if board.name != default:
        params[STORY_KEY] = board.name
    return params


def _go(board: Storyboard, number: int, default: str) -> None:
    """Switch to scene ``number``: its page, with its settings, through the page's one way in (a link)."""
    scene = board.scenes[number - 1]
    st.session_state[_STATE_SCENE] = number
    st.session_state[_STATE_STORY] = board.name
    app_params = {k: v for k, v in scene_link(board, number, default).items() if k not in scene.settings}
    send_scene(board.name, number, scene.page, scene.settings)  # the room's followers come along
    enter(scene.page, page_path(scene.page), scene.settings, extra=app_params)


def _story_chosen() -> None:
    """The sidebar selector changed: start that storyboard from the beginning."""
    st.session_state[_STATE_STORY] = st.session_state[_CHOICE]
    st.session_state[_STATE_SCENE] = 0
    st.session_state[_SWITCHED] = True


def _choose_board(boards: list[Storyboard]) -> tuple[Storyboard, bool]:
    """The storyboard in use (selector, URL, session, first) and whether the selector just changed it."""
    names = [b.name for b in boards]
    switched = st.session_state.pop(_SWITCHED, False)
    if switched:
        wanted = st.session_state.get(_STATE_STORY)
    else:
        wanted = st.query_params.get(STORY_KEY) or st.session_state.get(_STATE_STORY)
    if wanted not in names:
        wanted = names[0]
    if len(boards) > 1:
        titles = {b.name: b.title_in() for b in boards}
        st.session_state[_CHOICE] = wanted
        st.sidebar.selectbox(_("Storyboard"), names, format_func=titles.get, key=_CHOICE, on_change=_story_chosen,
                             help=_("The storyboards in presentations/; add your own as a .toml file."))
    return boards[names.index(wanted)], switched


def scene_bar() -> None:
    """The storyboard's bar: the scene's talking point, *Previous* and *Next*."""
    boards, problems = storyboards()
    for problem in problems:
        st.sidebar.warning(_("Storyboard not loaded: {problem}").format(problem=problem), icon=":material/error:")
    if not boards:
        return
    board, switched = _choose_board(boards)
    default = boards[0].name
    number = _scene_from_url()
    if number is None:
        number = st.session_state.get(_STATE_SCENE, 0)
    if switched:
        number = 0
    number = number if 1 <= number <= len(board) else 0
    st.session_state[_STATE_SCENE] = number
    st.session_state[_STATE_STORY] = board.name
    # keep the scene in the URL (a page may have rewritten its query string)
    wanted = {SCENE_KEY: str(number), STORY_KEY: board.name if board.name != default else None}
    for key, value in wanted.items():
        if value is None or (key == SCENE_KEY and number == 0):
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get(key) != value:
            st.query_params[key] = value

    # one row that stays a row on a phone (columns would stack the buttons above and below the text)
    with st.container(border=True, key="scene_bar", horizontal=True, vertical_alignment="center", wrap=False):
        # no tooltips: a tooltip stays over the bar after the click, on the next scene's point
        back = st.button(_("Previous"), key="scene_previous", shortcut="Left", disabled=number <= 1,
                         icon=":material/arrow_back:")
        if number:
            st.markdown(_("**Scene {number} of {total}** · {point}").format(
                number=number, total=len(board), point=board.scenes[number - 1].point_in()), width="stretch")
        else:
            st.markdown(_("**{title}** · {total} scenes. Press *Next* (→) to start.").format(
                title=board.title_in(), total=len(board)), width="stretch")
        forward = st.button(_("Next"), key="scene_next", shortcut="Right", disabled=number >= len(board),
                            icon=":material/arrow_forward:")
    if back:
        _go(board, number - 1, default)
    if forward:
        _go(board, number + 1, default)
