"""The room's shared state: participants, their results, guesses, the presenter's scene.

One small interface (:class:`RoomStore`), two back ends: in the server's own
process (``make run``: :class:`~patchlab.room.local.LocalRoom`) or in Redis,
shared by every replica (``make room``: :class:`~patchlab.room.redis_room.RedisRoom`).
No Streamlit here: the Room page and the participants' pages call it.

::

    room = open_room()                       # Redis if PATCHLAB_REDIS_URL is set, else in-process
    # a participant (pid: derived by the server from the browser's session, never typed)
    room.join(pid) -> Participant            # .number, .display_name ("Participant 7"), .name
    room.rename(pid, "Ana") -> Participant   # plain text, <= 24 characters; None: back to the number
    room.seen(pid, "inpainting")             # heartbeat: on which page, now (joins if needed)
    room.record(pid, kind, data) -> int      # classifier_run, inpainter_run, fill, share, guess, spot
    room.leave(pid)                          # removes everything the room holds about them
    # the presenter
    room.set_scene(story, number, page, settings) -> revision
    room.scene() -> Scene(revision, story, number, page, settings) | None
    room.ask(question, prompt, options); room.asked() -> Question | None   # predict, then reveal
    room.reveal(question, answer); room.revealed(question) -> str | None
    # the instructor (the Room page, behind patchlab.room.instructor.is_instructor)
    snap = room.snapshot()                   # one read: participants, events, guesses, reveals, scene
    panels.room_panels(snap)                 # every panel's summary
    room.pictures([item.picture for item in panels.gallery(snap)]) -> {id: bytes}
    room.participants() -> [Participant]     # .present(now): seen in the last 30 s
    room.clear(); room.export_csv() -> bytes

Every write is checked (:mod:`patchlab.room.events`: types, ranges, sizes)
and rate-limited per participant; a refusal is :class:`RoomRefused` (a
ValueError whose message is a sentence for the participant). With Redis,
every failure to reach it is :class:`RoomUnavailable` (a sentence too); the
next call after Redis is back works again. The data expires
:data:`TTL_S` (12 hours) after the room's last write; :meth:`RoomStore.clear`
deletes it at once. ``docs/room.md`` says what is stored, where, and for how long.

>>> room = open_room(url="")
>>> room.backend, room.join("ana", now=0.0).display_name
('memory', 'Participant 1')
"""

from __future__ import annotations

import os

from patchlab.room.events import KINDS, RoomRefused
from patchlab.room.store import (PRESENT_S, TTL_S, Event, Participant, Question, RoomSnapshot, RoomStore,
                                 RoomUnavailable, Scene)

__all__ = ["open_room", "RoomStore", "RoomRefused", "RoomUnavailable", "Participant", "Event", "Scene", "Question",
           "RoomSnapshot", "KINDS", "TTL_S", "PRESENT_S", "REDIS_URL_ENV"]

#: The environment variable ``make room`` sets for every replica.
REDIS_URL_ENV = "PATCHLAB_REDIS_URL"


def open_room(url: str | None = None, *, room: str = "default", **kwargs) -> RoomStore:
    """The room's store: Redis at ``url`` (default ``PATCHLAB_REDIS_URL``), else one in this process.

    Call it once per server process and keep what it returns (the page
    wraps it in ``st.cache_resource``): the in-process store *is* the room,
    and the Redis one holds a connection pool.

    Parameters
    ----------
    url : str, optional
        ``redis://:PASSWORD@127.0.0.1:PORT/0``. None: read
        ``PATCHLAB_REDIS_URL``; empty (either way): the in-process store.
    room : str
        The room's name (letters, digits, ``_``, ``-``).
    **kwargs
        ``ttl_s`` (seconds the data outlives its last write) and ``limiter``
        (a :class:`~patchlab.room.ratelimit.RateLimiter`).

    Returns
    -------
    RoomStore
        A :class:`~patchlab.room.redis_room.RedisRoom` or a
        :class:`~patchlab.room.local.LocalRoom`. Opening does not contact
        Redis; the first call does (and raises :class:`RoomUnavailable` if
        it does not answer).
    """
    url = os.environ.get(REDIS_URL_ENV, "") if url is None else url
    if url:
        from patchlab.room.redis_room import RedisRoom

        return RedisRoom(url, room=room, **kwargs)
    from patchlab.room.local import LocalRoom

    return LocalRoom(room, **kwargs)
