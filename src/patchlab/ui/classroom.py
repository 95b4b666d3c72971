"""The room as a class, from a participant's page: joining, a name, following the presenter, guessing.

Every page takes part through :func:`take_part` (called by
:func:`patchlab.ui.room.presenter_toggle`, which every page calls): the
participant is in the room as soon as a page opens (``seen``), the sidebar
holds *Follow the presenter* and a small *In the room* box (an optional
display name, *Leave the room*), and a fragment that reruns every
:data:`PULSE_S` seconds without a page reload

- moves a follower's page to the presenter's scene (through the page's one
  way in, :func:`patchlab.ui.link.enter`, as a shared link and a storyboard
  scene arrive: a drawing, a fill, a trained model or a running training
  stay, since they belong to the participant's session and the server),
- shows the presenter's open question (*predict, then reveal*) and takes
  the participant's guess, then the answer once it is revealed,
- keeps the participant's presence fresh.

Pages send the room their results with :func:`record` (a finished training,
a Fill, a shared fill, a Spot-the-fill guess); the presenter's page sends
its scene (:func:`send_scene`) and its questions (:func:`ask_room`,
:func:`reveal_to_room`), only when the session is the instructor's
(:func:`is_instructor`). Nothing here holds numerics: the store, its checks
and the Room page's summaries are :mod:`patchlab.room`.

When the room's store does not answer (Redis stopped), pages keep working:
following switches itself off with a sentence, results are not sent, and
the next pulse tries again.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from urllib.parse import urlsplit

import streamlit as st

from patchlab.i18n import _
from patchlab.room import RoomRefused, RoomStore, RoomUnavailable, open_room
from patchlab.room.instructor import instructor_key
from patchlab.room.instructor import is_instructor as key_is_right
from patchlab.ui.language import fragment

__all__ = ["PULSE_S", "room", "me", "page_name", "is_instructor", "admit_instructor", "take_part", "record",
           "send_scene", "ask_room", "reveal_to_room", "question_id"]

#: Seconds between two pulses of a page (a follower reaches a new scene within this, plus a page load).
PULSE_S = 2.0
#: A page's presence is written again at most this often from its pulse (a full run always writes it).
PRESENCE_EVERY_S = 10.0
FOLLOW_KEY = "room_follow"
NAME_KEY = "room_name"
_LEFT = "room_left"  # the participant left the room: nothing more is sent until they join again
_FOLLOWED = "room_followed_revision"
_FOLLOWING = "room_following"  # the Follow switch's value, kept where a page switch cannot drop it
_GO = "room_go"  # a scene the pulse found, for the next full run to open
_GO_AT = "room_go_at"
_OFF_REASON = "room_follow_off"  # why following switched itself off (shown once)
_INSTRUCTOR = "room_instructor"
_SEEN_AT = "room_seen_at"
_ASKED = "room_asked"  # questions this instructor session has put to the room


@st.cache_resource(show_spinner=False)
def room() -> RoomStore:
    """The room's store, once per server process: Redis under ``make room``, else in this process."""
    return open_room()


def me() -> str:
    """This browser's id in the room: the same in every tab and on every replica of the room.

    A hash of the browser's secret token (Streamlit's XSRF cookie, see
    :func:`patchlab.ui.jobs.browser_token`) keyed with the room's
    instructor key, which every replica of a room shares; without the
    cookie (AppTest), the session.
    """
    from patchlab.ui.jobs import _session_id, browser_token

    try:
        cookie = st.context.cookies.get("_streamlit_xsrf")
    except Exception:  # noqa: BLE001 - no request (bare mode)
        cookie = None
    if isinstance(cookie, str) and cookie:
        secret = _salt() + "|" + browser_token(cookie)
        return "b-" + hashlib.blake2b(secret.encode(), digest_size=12).hexdigest()
    return "s-" + hashlib.blake2b((_session_id() or "none").encode(), digest_size=12).hexdigest()


@functools.lru_cache(maxsize=1)
def _salt() -> str:
    """The room's shared secret for hashing browsers' tokens (the instructor key: every replica has it)."""
    try:
        return instructor_key()
    except (OSError, ValueError):  # a key that cannot be read or made: ids stay per process
        import secrets

        return secrets.token_hex(16)


def page_name() -> str:
    """The running page's name in its URL (``home`` for the home page), from the router's own record of it.

    (``st.context.url`` is the address the session opened with: after a move to another page it is stale.)
    """
    try:
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        ctx = get_script_run_ctx(suppress_warning=True)
        info = ctx.pages_manager.get_pages().get(ctx.page_script_hash) if ctx is not None else None
        name = (info or {}).get("url_pathname") or ""
    except Exception:  # noqa: BLE001 - a Streamlit laid out differently: ask the address instead
        name = ""
    if not name:
        try:
            name = urlsplit(st.context.url or "").path.rstrip("/").rsplit("/", 1)[-1]
        except Exception:  # noqa: BLE001 - no request (AppTest)
            name = ""
    return name or "home"


_instructors: set[str] = set()  # browsers (room ids) that gave this server the instructor's key
_instructors_lock = threading.Lock()


def is_instructor() -> bool:
    """Whether this browser opened the Room page with the instructor's key (on this server).

    Remembered per browser, not per tab: the instructor's other tabs, and
    the pages they open with a link or a reload, present to the room too.
    """
    if st.session_state.get(_INSTRUCTOR):
        return True
    with _instructors_lock:
        known = me() in _instructors
    if known:
        st.session_state[_INSTRUCTOR] = True
    return known


def admit_instructor(given) -> bool:
    """Check a key given to the Room page (in constant time); this browser is remembered when it is right."""
    if key_is_right(given):
        st.session_state[_INSTRUCTOR] = True
        with _instructors_lock:
            _instructors.add(me())
    return is_instructor()


def question_id(name: str) -> str:
    """A question's id in the room: the page's own name for it, or a short hash of it when that is too long."""
    import re

    if re.fullmatch(r"[A-Za-z0-9_.:/=-]{1,80}", name):
        return name
    return "q-" + hashlib.sha1(name.encode()).hexdigest()[:24]


# ---------------------------------------------------------------- the participant's side of every page


def take_part() -> None:
    """Join the room (or stay in it), draw the sidebar's room controls and start the page's pulse."""
    state = st.session_state
    if state.pop(_OFF_REASON, None) is not None:  # the pulse found the room gone: the toggle goes off
        state[FOLLOW_KEY] = state[_FOLLOWING] = False
        st.toast(_("Following stopped: the room's data is unavailable right now."), icon=":material/cloud_off:")
    if FOLLOW_KEY not in state:  # a page switch may drop a widget's state: the choice is kept beside it
        state[FOLLOW_KEY] = bool(state.get(_FOLLOWING, False))
    scene = state.get(_GO)
    if scene is not None:  # the pulse saw a new scene: open it from a full run, until its page has read it
        from patchlab.ui.link import ARRIVED

        if state.get(ARRIVED) == scene.revision:
            state.pop(_GO, None)
            state[_FOLLOWED] = scene.revision
        elif state.get(_FOLLOWING):
            _open_scene(scene)
    left = state.get(_LEFT, False)
    number = None
    if is_instructor():  # the instructor leads the room; the room does not count them among the participants
        st.sidebar.caption(_(":material/groups: You lead the room: presenter mode moves the followers, and "
                             "*Predict, then reveal* asks the room."))
        _pulse_fragment()
        return
    if not left:
        try:
            room().seen(me(), page_name())
            state[_SEEN_AT] = time.monotonic()
            number = room().participant(me())
        except (RoomUnavailable, RoomRefused):
            number = None
    box = st.sidebar.container(border=True)
    box.toggle(_("Follow the presenter"), key=FOLLOW_KEY, disabled=left, on_change=_follow_changed,
               persist_state="session",  # on every page: a follower moved to another page still follows
               help=_("Your page moves with the presenter's scenes. Your drawings, fills and trained models stay."))
    with box.popover(_("In the room"), icon=":material/groups:", width="stretch"):
        _membership(number, left)
    _pulse_fragment()


def _follow_changed() -> None:
    st.session_state[_FOLLOWING] = bool(st.session_state.get(FOLLOW_KEY))
    if st.session_state[_FOLLOWING]:
        st.session_state[_FOLLOWED] = None  # the current scene, at the next pulse


def _membership(participant, left: bool) -> None:
    if left:
        st.caption(_("You left the room: it holds nothing about you. Your pages work as before."))
        st.button(_("Join the room again"), key="room_join", on_click=_join_again)
        return
    if participant is None:
        st.caption(_("The room's data is unavailable right now; everything else works as before."))
        return
    st.caption(_("The room sees you as **{name}** (plain text, at most 24 characters).").format(
        name=participant.display_name))
    st.text_input(_("Your name (optional)"), key=NAME_KEY, max_chars=24, on_change=_rename, persist_state="session",
                  placeholder=_("Participant {number}").format(number=participant.number))
    st.button(_("Leave the room"), key="room_leave", icon=":material/logout:", on_click=_leave,
              help=_("The room forgets your name, results, shared fills and guesses."))


def _rename() -> None:
    name = (st.session_state.get(NAME_KEY) or "").strip()
    try:
        room().rename(me(), name or None)
    except RoomRefused as exc:
        st.session_state["room_name_problem"] = str(exc)
    except RoomUnavailable:
        pass


def _leave() -> None:
    try:
        room().leave(me())
    except RoomUnavailable:
        st.session_state["room_name_problem"] = _("The room's data is unavailable right now: try again in a moment.")
        return
    st.session_state[_LEFT] = True
    st.session_state[FOLLOW_KEY] = st.session_state[_FOLLOWING] = False
    st.session_state.pop(NAME_KEY, None)


def _join_again() -> None:
    st.session_state[_LEFT] = False


@fragment(run_every=PULSE_S)
def _pulse_fragment() -> None:
    """The page's pulse: follow the presenter, show the room's question, keep the presence fresh."""
    state = st.session_state
    problem = state.pop("room_name_problem", None)
    if problem:
        st.warning(problem)
    if state.get(_LEFT) or is_instructor():
        return
    try:
        if time.monotonic() - state.get(_SEEN_AT, 0.0) >= PRESENCE_EVERY_S:
            room().seen(me(), page_name())
            state[_SEEN_AT] = time.monotonic()
        if state.get(_FOLLOWING):
            _follow(room().scene())
        _question(room().asked())
    except RoomUnavailable:
        if state.get(_FOLLOWING):
            state[_OFF_REASON] = True
            st.rerun(scope="app")
    except RoomRefused:
        pass


def _follow(scene) -> None:
    """A new scene: rerun the whole page, which opens it (a page switch from a fragment's own run would lose
    the widgets' state of the page it leaves, the *Follow* switch among them). Until the scene's page has
    read it, the pulse asks again every few seconds (a page switch can be lost to a rerun racing it)."""
    state = st.session_state
    if scene is None or state.get(_FOLLOWED) == scene.revision:
        return
    pending = state.get(_GO)
    if pending is not None and pending.revision == scene.revision and time.monotonic() - state.get(_GO_AT, 0) < 6:
        return
    state[_GO], state[_GO_AT] = scene, time.monotonic()
    st.rerun(scope="app")


def _open_scene(scene) -> None:
    from patchlab.ui.link import enter
    from patchlab.ui.registry import page_path

    try:
        path = page_path(scene.page)
    except ValueError:  # a page this server does not have
        return
    enter(scene.page, path, scene.settings, token=scene.revision)


def _question(asked) -> None:
    """The presenter's open question, for this participant to guess (or the answer, once revealed)."""
    if asked is None:
        return
    pid = me()
    try:
        answer = room().revealed(asked.question)
    except RoomUnavailable:
        return
    mine = st.session_state.get(f"room_guess_{asked.question}")
    with st.container(border=True):
        if answer is not None:
            said = _(" You guessed **{guess}**.").format(guess=_(mine)) if mine else ""
            st.markdown(_(":material/visibility: **{prompt}** The answer: **{answer}**.{said}").format(
                prompt=_(asked.prompt), answer=_(answer), said=said))
            return
        choice = st.pills(_("The presenter asks: {prompt}").format(prompt=_(asked.prompt)), list(asked.options),
                          key=f"room_pick_{asked.question}", format_func=_,  # options stay English (method names)
                          help=_("Your guess goes to the Room page; the answer comes when the presenter reveals it."))
        if choice is not None and choice != mine:
            try:
                room().record(pid, "guess", {"question": asked.question, "answer": choice})
                st.session_state[f"room_guess_{asked.question}"] = choice
            except (RoomRefused, RoomUnavailable) as exc:
                st.caption(str(exc))
        if st.session_state.get(f"room_guess_{asked.question}"):
            st.caption(_("Your guess: {guess}. Wait for the reveal.").format(
                guess=_(st.session_state[f"room_guess_{asked.question}"])))


# ---------------------------------------------------------------- what pages send the room


def record(kind: str, data: dict, *, once: str | None = None) -> bool:
    """Send the room one result of this participant; True when it arrived.

    ``once``: a key under which the result is sent at most once per session
    (a finished training seen on several reruns). Nothing is sent after
    *Leave the room*; a refusal or an unavailable room is not the page's
    business (the page works as before).
    """
    state = st.session_state
    if state.get(_LEFT):
        return False
    sent = state.setdefault("room_sent", set())
    if once is not None and once in sent:
        return False
    try:
        room().record(me(), kind, data)
    except (RoomRefused, RoomUnavailable):
        return False
    if once is not None:
        sent.add(once)
    return True


def send_scene(story: str, number: int, page: str, settings) -> None:
    """The presenter moved to a scene: followers follow (only an instructor's session sends it)."""
    if not is_instructor():
        return
    try:
        # a storyboard keeps a repeated parameter as a tuple; the room takes lists
        settings = {k: list(v) if isinstance(v, tuple) else v for k, v in dict(settings).items()}
        room().set_scene(story, number, page, settings)
        room().ask(None)  # a new scene: the last question (and its answer) leaves the participants' pages
        st.session_state.pop(_ASKED, None)
    except (RoomRefused, RoomUnavailable):
        pass


def ask_room(name: str, prompt: str, options) -> None:
    """Put the presenter's hidden answer to the room as a question (an instructor's session only, once)."""
    if not is_instructor():
        return
    question = question_id(name)
    if st.session_state.get(_ASKED) == question:
        return
    try:
        room().ask(question, prompt, [str(o) for o in options])
        st.session_state[_ASKED] = question
    except (RoomRefused, RoomUnavailable):
        pass


def reveal_to_room(name: str, answer) -> None:
    """The presenter revealed the answer: the room sees it beside its guesses."""
    if not is_instructor():
        return
    try:
        room().reveal(question_id(name), str(answer))
    except (RoomRefused, RoomUnavailable):
        pass

