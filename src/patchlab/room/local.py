"""The room in one server process (``make run``): plain Python objects under a lock.

Streamlit serves every participant from threads of one process, so one
:class:`LocalRoom` per process (the page keeps it with ``st.cache_resource``)
is the whole room. Nothing is written to disk; the data goes with the
process, and :data:`~patchlab.room.store.TTL_S` after the last write it is
deleted as Redis would delete it (checked on every call, by timestamps).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from patchlab.room.store import (EVENTS_PER_PARTICIPANT, FULL, GUESSES_PER_PARTICIPANT, MAX_PARTICIPANTS, SHARES_KEPT,
                                 TOO_MANY, TOO_MANY_GUESSES, Event, Participant, Question, RoomRefused, RoomSnapshot,
                                 RoomStore, Scene)

__all__ = ["LocalRoom"]


class LocalRoom(RoomStore):
    """The in-process back end (see :class:`~patchlab.room.store.RoomStore` for the methods).

    Examples
    --------
    >>> room = LocalRoom()
    >>> room.join("ana", now=0.0).display_name
    'Participant 1'
    >>> room.record("ana", "spot", {"method": "telea", "fooled": True}, now=1.0)
    1
    """

    backend = "memory"

    def __init__(self, room: str = "default", **kwargs):
        super().__init__(room, **kwargs)
        self._lock = threading.RLock()
        self._wipe()

    def _wipe(self) -> None:
        self._members: dict[str, Participant] = {}
        self._next_number = 0
        self._seq = 0
        self._events: list[Event] = []
        self._counts: dict[str, int] = {}
        self._guesses: dict[str, dict[str, str]] = {}
        self._guess_counts: dict[str, int] = {}
        self._reveals: dict[str, str] = {}
        self._scene_now: Scene | None = None
        self._question: Question | None = None
        self._pictures_kept: OrderedDict[str, bytes] = OrderedDict()
        self._last_write: float | None = None

    def _expire(self, now: float) -> None:
        """Forget everything once the room has had no write for ``ttl_s`` (call with the lock held)."""
        if self._last_write is not None and now - self._last_write > self.ttl_s:
            self._wipe()

    def _write(self, now: float) -> None:
        self._expire(now)
        self._last_write = max(now, self._last_write or now)

    def _member(self, pid: str, now: float) -> Participant:
        found = self._members.get(pid)
        if found is None:
            if len(self._members) >= MAX_PARTICIPANTS:
                raise RoomRefused(FULL)
            self._next_number += 1
            found = self._members[pid] = Participant(pid, self._next_number, None, now)
        return found

    # ---------------------------------------------------------------- participants

    def _join(self, pid, now):
        with self._lock:
            self._write(now)
            return self._member(pid, now)

    def _participant(self, pid):
        with self._lock:
            self._expire(time.time())
            return self._members.get(pid)

    def _set_name(self, pid, name, now):
        with self._lock:
            self._write(now)
            p = self._member(pid, now)
            p = self._members[pid] = Participant(pid, p.number, name, p.joined, p.last_seen, p.page)
            return p

    def _touch(self, pid, page, now):
        with self._lock:
            self._write(now)
            p = self._member(pid, now)
            self._members[pid] = Participant(pid, p.number, p.name, p.joined, now, page)

    def _remove(self, pid):
        with self._lock:
            self._members.pop(pid, None)
            self._counts.pop(pid, None)
            self._guess_counts.pop(pid, None)
            for event in [e for e in self._events if e.pid == pid]:
                self._events.remove(event)
                if event.kind == "share":
                    self._pictures_kept.pop(event.data["picture"], None)
            for answers in self._guesses.values():
                answers.pop(pid, None)

    # ---------------------------------------------------------------- results

    def _append(self, pid, kind, data, picture, now):
        with self._lock:
            self._write(now)
            self._member(pid, now)
            if self._counts.get(pid, 0) >= EVENTS_PER_PARTICIPANT:
                raise RoomRefused(TOO_MANY)
            self._counts[pid] = self._counts.get(pid, 0) + 1
            self._seq += 1
            if picture is not None:
                data = {**data, "picture": str(self._seq)}
                self._pictures_kept[str(self._seq)] = picture
                while len(self._pictures_kept) > SHARES_KEPT:
                    self._pictures_kept.popitem(last=False)
            self._events.append(Event(self._seq, pid, kind, now, data))
            return self._seq

    def _put_guess(self, pid, question, answer, now):
        with self._lock:
            self._write(now)
            self._member(pid, now)
            answers = self._guesses.setdefault(question, {})
            if pid not in answers:
                if self._guess_counts.get(pid, 0) >= GUESSES_PER_PARTICIPANT:
                    raise RoomRefused(TOO_MANY_GUESSES)
                self._guess_counts[pid] = self._guess_counts.get(pid, 0) + 1
            answers.pop(pid, None)  # the newest answer last
            answers[pid] = answer

    def _pictures(self, ids):
        with self._lock:
            self._expire(time.time())
            return {i: self._pictures_kept[i] for i in ids if i in self._pictures_kept}

    def _snapshot(self, now):
        with self._lock:
            self._expire(now)
            return RoomSnapshot(
                now=now,
                participants=tuple(sorted(self._members.values(), key=lambda p: p.number)),
                events=tuple(self._events),
                guesses={q: dict(a) for q, a in self._guesses.items() if a},
                revealed=dict(self._reveals),
                scene=self._scene_now,
            )

    # ---------------------------------------------------------------- the presenter and the instructor

    def _set_scene(self, story, number, page, settings, now):
        with self._lock:
            self._write(now)
            # one more than the last, and never below the clock in ms: a scene set after clear() is news
            revision = max((self._scene_now.revision if self._scene_now else 0) + 1, int(now * 1000))
            self._scene_now = Scene(revision, story, number, page, dict(settings))
            return revision

    def _scene(self):
        with self._lock:
            self._expire(time.time())
            return self._scene_now

    def _reveal(self, question, answer, now):
        with self._lock:
            self._write(now)
            self._reveals[question] = answer

    def _revealed(self, question):
        with self._lock:
            self._expire(time.time())
            return self._reveals.get(question)

    def _ask(self, question, now):
        with self._lock:
            self._write(now)
            self._question = question

    def _asked(self):
        with self._lock:
            self._expire(time.time())
            return self._question

    def _clear(self):
        with self._lock:
            self._wipe()
