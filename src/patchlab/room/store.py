"""The room's store: one small interface, the checks and limits shared by both back ends.

:class:`RoomStore` is what the pages call; :class:`~patchlab.room.local.LocalRoom`
(one server process, ``make run``) and :class:`~patchlab.room.redis_room.RedisRoom`
(every replica of ``make room``) keep the data. Everything a participant sends
is checked here first (:mod:`patchlab.room.events`, :mod:`patchlab.room.text`)
and counted against the participant's rate (:mod:`patchlab.room.ratelimit`);
the back ends only store and read.

Identity: every call names the participant (``pid``) it is for, and that name
comes from the server (the page derives it from the browser's session), never
from what a participant typed; nothing here lets one participant write as
another. Who may read the room (the Room page) and move the scene (the
presenter) is the page's check (:mod:`patchlab.room.instructor`).
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from typing import NamedTuple

from patchlab.i18n import _
from patchlab.room.events import RoomRefused, check_answer, check_event, check_question
from patchlab.room.ratelimit import RateLimiter
from patchlab.room.text import clean_name

__all__ = ["RoomStore", "RoomRefused", "RoomUnavailable", "Participant", "Event", "Scene", "RoomSnapshot",
           "TTL_S", "PRESENT_S", "SEEN_EVERY_S", "MAX_PARTICIPANTS", "EVENTS_PER_PARTICIPANT", "GUESSES_PER_PARTICIPANT",
           "SHARES_KEPT", "SETTINGS_MAX_BYTES", "check_pid", "check_page"]

#: The room's data is deleted this long after its last write (seconds): 12 hours.
TTL_S = 12 * 3600
#: A participant seen within this many seconds is "here now".
PRESENT_S = 30.0
#: A heartbeat on the same page within this many seconds of the last one is not written again.
SEEN_EVERY_S = 5.0
#: Participants a room takes (a new one beyond that is refused).
MAX_PARTICIPANTS = 500
#: Events one participant can have in the room (guesses and heartbeats apart).
EVENTS_PER_PARTICIPANT = 500
#: Questions one participant can have answered.
GUESSES_PER_PARTICIPANT = 200
#: Shared pictures the room keeps (the newest; an older one's event stays, without its picture).
SHARES_KEPT = 48
#: Largest scene settings, as JSON.
SETTINGS_MAX_BYTES = 4000

_PID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_PAGE = re.compile(r"[A-Za-z0-9_-]{1,40}")
_STORY = re.compile(r"[A-Za-z0-9_. -]{1,80}")


class RoomUnavailable(RuntimeError):
    """The room's store cannot be reached (Redis stopped); the message is a plain sentence."""


@dataclass(frozen=True)
class Participant:
    """Someone in the room, as the Room page lists them."""

    pid: str
    number: int  # stable and small: "Participant 7"
    name: str | None  # their display name, if they chose one
    joined: float  # when they joined (seconds since the epoch)
    last_seen: float | None = None  # their last heartbeat
    page: str | None = None  # the page of their last heartbeat

    @property
    def display_name(self) -> str:
        return self.name or _("Participant {number}").format(number=self.number)

    def present(self, now: float, within: float = PRESENT_S) -> bool:
        """Whether they were seen within ``within`` seconds of ``now``."""
        return self.last_seen is not None and now - self.last_seen <= within


class Event(NamedTuple):
    """One result a participant sent (guesses apart: see :attr:`RoomSnapshot.guesses`).

    A named tuple: a full room holds thousands, made at every first read.
    """

    seq: int  # the room's order of arrival
    pid: str
    kind: str
    t: float  # when it arrived (seconds since the epoch)
    data: dict  # for a share: the picture's id and size, not its bytes


class Scene(NamedTuple):
    """The presenter's scene: what followers open."""

    revision: int  # goes up at every set_scene
    story: str
    number: int
    page: str
    settings: dict


class Question(NamedTuple):
    """What the presenter asks the room before revealing an answer (*predict, then reveal*)."""

    question: str  # its id: the same one the presenter's page reveals and the guesses are filed under
    prompt: str  # the question in words, e.g. "Which digit will the network answer?"
    options: tuple  # the answers a participant may choose from (text)


@dataclass(frozen=True)
class RoomSnapshot:
    """Everything the Room page's panels need, read at once."""

    now: float
    participants: tuple  # of Participant, by number
    events: tuple  # of Event, by seq
    guesses: dict  # question -> {pid: answer}
    revealed: dict  # question -> the true answer, once revealed
    scene: Scene | None


def check_pid(pid) -> str:
    """A participant id from the server: 1..64 of ``[A-Za-z0-9_.:-]``; ValueError otherwise."""
    if not isinstance(pid, str) or not _PID.fullmatch(pid):
        raise ValueError(f"pid must be 1 to 64 letters, digits or _ . : -, got {pid!r}")
    return pid


def check_page(page) -> str:
    """A page's URL name (1..40 of ``[A-Za-z0-9_-]``); :class:`RoomRefused` otherwise."""
    if not isinstance(page, str) or not _PAGE.fullmatch(page):
        raise RoomRefused(f"A page is named by its address (letters, digits, _ and -), not {page!r}.")
    return page


def _check_settings(settings) -> dict:
    if isinstance(settings, str):
        from urllib.parse import parse_qs

        settings = {k: v[0] if len(v) == 1 else v for k, v in parse_qs(settings.lstrip("?")).items()}
    if not isinstance(settings, dict):
        raise RoomRefused("A scene's settings are a table of names and values, or a query string.")
    for key, value in settings.items():
        values = value if isinstance(value, list) else [value]
        if not isinstance(key, str) or not all(isinstance(v, (str, int, float, bool)) for v in values):
            raise RoomRefused(f"A scene setting is text, a number, true/false or a list of them; {key!r} is not.")
    if len(json.dumps(settings)) > SETTINGS_MAX_BYTES:
        raise RoomRefused(f"A scene's settings take at most {SETTINGS_MAX_BYTES} characters.")
    return dict(settings)


class RoomStore:
    """The room's shared state: participants, their results and guesses, the presenter's scene.

    Use :func:`patchlab.room.open_room`; the back ends implement the
    methods starting with ``_``. Every public method can raise
    :class:`RoomUnavailable` (the Redis back end, when Redis cannot be
    reached); every write can raise :class:`RoomRefused` (a sentence for
    the participant). Times are seconds since the epoch; ``now`` defaults
    to the clock.

    Parameters
    ----------
    room : str
        The room's name (several rooms can share one Redis).
    ttl_s : float
        Seconds after the room's last write when its data is deleted.
    limiter : RateLimiter, optional
        Each participant's write rate (default: a burst of 20, then 2 a second).
    """

    backend = "abstract"

    def __init__(self, room: str = "default", *, ttl_s: float = TTL_S, limiter: RateLimiter | None = None):
        if not isinstance(room, str) or not _PAGE.fullmatch(room):
            raise ValueError(f"room must be 1 to 40 letters, digits, _ or -, got {room!r}")
        if isinstance(ttl_s, bool) or not isinstance(ttl_s, (int, float)) or not ttl_s >= 1:
            raise ValueError(f"ttl_s must be a number of seconds >= 1, got {ttl_s!r}")
        self.room, self.ttl_s = room, ttl_s
        self.limiter = limiter or RateLimiter()
        self._seen_lock = threading.Lock()
        self._seen_written: dict[str, tuple[float, str]] = {}

    # ---------------------------------------------------------------- participants

    def join(self, pid: str, now: float | None = None) -> Participant:
        """Put ``pid`` in the room (nothing changes if they are in it); return them.

        Raises :class:`RoomRefused` when the room already has :data:`MAX_PARTICIPANTS`.
        """
        check_pid(pid)
        return self._join(pid, _now(now))

    def participant(self, pid: str) -> Participant | None:
        """``pid`` as the room knows them, or None."""
        check_pid(pid)
        return self._participant(pid)

    def rename(self, pid: str, name: str | None, now: float | None = None) -> Participant:
        """Set ``pid``'s display name (None: back to "Participant N"); return them.

        The name is plain text: control characters are dropped, spaces
        collapsed; over :data:`~patchlab.room.text.NAME_MAX` characters, or
        holding markup characters, it is refused (:class:`RoomRefused`).
        """
        check_pid(pid)
        if name is not None:
            try:
                name = clean_name(name)
            except ValueError as exc:
                raise RoomRefused(str(exc)) from None
        self._spend(pid)
        return self._set_name(pid, name, _now(now))

    def seen(self, pid: str, page: str, now: float | None = None) -> None:
        """Heartbeat: ``pid`` is on ``page`` now (joins them if needed).

        Cheap to call on every script run: the same page within
        :data:`SEEN_EVERY_S` of the last write is not written again.
        """
        check_pid(pid)
        page = check_page(page)
        now = _now(now)
        with self._seen_lock:
            last = self._seen_written.get(pid)
            if last is not None and last[1] == page and 0 <= now - last[0] < SEEN_EVERY_S:
                return
        self._touch(pid, page, now)
        with self._seen_lock:
            self._seen_written[pid] = (now, page)
            if len(self._seen_written) > 4 * MAX_PARTICIPANTS:
                self._seen_written.clear()

    def leave(self, pid: str) -> None:
        """Remove everything the room holds about ``pid``: their entry, events, shares and guesses."""
        check_pid(pid)
        with self._seen_lock:
            self._seen_written.pop(pid, None)
        self._remove(pid)

    def participants(self, now: float | None = None) -> list[Participant]:
        """Everyone in the room since the start, by number (:meth:`Participant.present`: here now)."""
        return list(self.snapshot(now).participants)

    # ---------------------------------------------------------------- results

    def record(self, pid: str, kind: str, data: dict, now: float | None = None) -> int | None:
        """Check and store one result of ``pid``; return its number in the room (None for a guess).

        ``kind`` and ``data`` as in :mod:`patchlab.room.events`. A ``guess``
        replaces ``pid``'s earlier answer to the same question. Raises
        :class:`RoomRefused` for bad data, when ``pid`` writes too fast
        (a burst of 20, then 2 a second), or has sent
        :data:`EVENTS_PER_PARTICIPANT` results already.
        """
        check_pid(pid)
        data = check_event(kind, data)
        self._spend(pid)
        now = round(_now(now), 3)
        if kind == "guess":
            self._put_guess(pid, data["question"], data["answer"], now)
            return None
        picture = data.pop("picture", None)
        return self._append(pid, kind, data, picture, now)

    def events(self, kind: str | None = None) -> list[Event]:
        """The room's events in order of arrival, optionally of one kind."""
        return [e for e in self.snapshot().events if kind is None or e.kind == kind]

    def pictures(self, ids) -> dict[str, bytes]:
        """The shared pictures with these ids (``event.data["picture"]``) that the room still keeps."""
        ids = [i for i in dict.fromkeys(ids) if isinstance(i, str)]
        return self._pictures(ids) if ids else {}

    def guesses(self, question: str) -> dict[str, str]:
        """Every participant's answer to ``question``: ``{pid: answer}``."""
        return dict(self.snapshot().guesses.get(check_question(question), {}))

    def snapshot(self, now: float | None = None) -> RoomSnapshot:
        """Everything the Room page shows, read at once (a few round trips on Redis)."""
        return self._snapshot(_now(now))

    # ---------------------------------------------------------------- the presenter

    def set_scene(self, story: str, number: int, page: str, settings) -> int:
        """Move the room to a scene; return its revision.

        The revision goes up at every call: one more than the last one, or
        the time in milliseconds when that is larger (so a scene set after
        :meth:`clear` is still newer than any a follower saw). ``settings``:
        a dict of text, numbers, booleans or lists of them, or a query
        string. Only the presenter's page calls this.
        """
        if not isinstance(story, str) or not _STORY.fullmatch(story):
            raise RoomRefused(f"A storyboard is named with 1 to 80 letters, digits, spaces or _ . -, not {story!r}.")
        if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= 999:
            raise RoomRefused(f"A scene number is a whole number from 0 to 999, not {number!r}.")
        return self._set_scene(story, number, check_page(page), _check_settings(settings), _now(None))

    def scene(self) -> Scene | None:
        """The presenter's current scene, or None before the first one."""
        return self._scene()

    def reveal(self, question: str, answer) -> None:
        """Record the true answer to ``question`` (the room's guesses are shown against it)."""
        self._reveal(check_question(question), check_answer(answer), _now(None))

    def revealed(self, question: str) -> str | None:
        """The true answer to ``question`` once revealed, else None."""
        return self._revealed(check_question(question))

    def ask(self, question: str | None, prompt: str = "", options=()) -> None:
        """Open ``question`` to the room's guesses (None: no question open).

        ``prompt`` (at most 120 characters) is what participants read,
        ``options`` (2 to 12, each at most 40 characters) what they choose
        from. Only the presenter's page calls this.
        """
        if question is None:
            self._ask(None, _now(None))
            return
        if not isinstance(prompt, str) or not 1 <= len(prompt.strip()) <= 120:
            raise RoomRefused("A question's prompt is 1 to 120 characters of text.")
        options = tuple(check_answer(o) for o in options)
        if not 2 <= len(options) <= 12:
            raise RoomRefused("A question offers 2 to 12 answers.")
        self._ask(Question(check_question(question), prompt.strip(), options), _now(None))

    def asked(self) -> Question | None:
        """The question open to the room's guesses, or None."""
        return self._asked()

    # ---------------------------------------------------------------- the instructor

    def clear(self) -> None:
        """Delete everything the room holds."""
        with self._seen_lock:
            self._seen_written.clear()
        self._clear()

    def export_csv(self, now: float | None = None) -> bytes:
        """The room's numbers as CSV: one row per event and per guess (see :mod:`patchlab.room.export`)."""
        from patchlab.room.export import snapshot_csv

        return snapshot_csv(self.snapshot(now))

    # ---------------------------------------------------------------- shared by the back ends

    def _spend(self, pid: str) -> None:
        if not self.limiter.allow(pid):
            wait = self.limiter.wait_s(pid)
            raise RoomRefused(f"Too many results at once: the room takes up to {self.limiter.burst} in a burst, "
                              f"then {self.limiter.rate:g} a second. Try again in {max(wait, 0.5):.0f} s.")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(room={self.room!r})"

    # the back end's part
    def _join(self, pid, now): raise NotImplementedError  # noqa: E704
    def _participant(self, pid): raise NotImplementedError  # noqa: E704
    def _set_name(self, pid, name, now): raise NotImplementedError  # noqa: E704
    def _touch(self, pid, page, now): raise NotImplementedError  # noqa: E704
    def _remove(self, pid): raise NotImplementedError  # noqa: E704
    def _append(self, pid, kind, data, picture, now): raise NotImplementedError  # noqa: E704
    def _put_guess(self, pid, question, answer, now): raise NotImplementedError  # noqa: E704
    def _pictures(self, ids): raise NotImplementedError  # noqa: E704
    def _snapshot(self, now): raise NotImplementedError  # noqa: E704
    def _set_scene(self, story, number, page, settings, now): raise NotImplementedError  # noqa: E704
    def _scene(self): raise NotImplementedError  # noqa: E704
    def _reveal(self, question, answer, now): raise NotImplementedError  # noqa: E704
    def _revealed(self, question): raise NotImplementedError  # noqa: E704
    def _ask(self, question, now): raise NotImplementedError  # noqa: E704
    def _asked(self): raise NotImplementedError  # noqa: E704
    def _clear(self): raise NotImplementedError  # noqa: E704


def _now(now: float | None) -> float:
    return time.time() if now is None else float(now)


#: Refusals the back ends raise, as sentences.
FULL = (f"The room is full ({MAX_PARTICIPANTS} participants); the app works as before, without the room.")
TOO_MANY = (f"You have sent the room {EVENTS_PER_PARTICIPANT} results already, the most it keeps per participant.")
TOO_MANY_GUESSES = f"You have answered {GUESSES_PER_PARTICIPANT} questions already, the most the room keeps."
