"""The room in Redis (``make room``): every replica reads and writes the same room.

Data shapes, all under ``patchlab:room:<room>:`` (a fixed set of keys, so
:meth:`RedisRoom.clear` knows them all, and each write refreshes their
expiry, :data:`~patchlab.room.store.TTL_S`, in the same step):

============  ======  =====================================================================
key           type    what
============  ======  =====================================================================
``members``   hash    pid -> ``"<number>|<joined>"``
``names``     hash    pid -> display name
``seen``      hash    pid -> ``"<time>|<page>"`` (the last heartbeat)
``counts``    hash    pid -> results sent; ``g|<pid>`` -> questions answered
``events``    list    ``[<seq>, "<pid>", {"kind", "t", "data"}]`` (JSON), in order of arrival
``seq``       string  the last event's number
``next``      string  the last participant number given
``guesses``   hash    ``<question>|<pid>`` -> answer (the last one wins)
``reveals``   hash    question -> true answer
``scene``     hash    ``revision``, ``story``, ``number``, ``page``, ``settings`` (JSON); ``ask``: the open question (JSON)
``shares``    list    event numbers of the kept pictures, newest first (at most SHARES_KEPT)
``pictures``  hash    event number -> picture bytes
``epoch``     string  changes whenever events are removed (leave) or the room starts anew
============  ======  =====================================================================

Each write is one Lua script (one round trip, atomic: the participant's
number, the per-participant caps, the event's number and the expiry are
decided together); :meth:`RedisRoom.snapshot` is one pipelined round trip,
in which a script joins the events into one JSON array. Events are only
appended within an ``epoch``, so a :class:`RedisRoom` keeps the events it
has parsed and reads only the new ones while the epoch stays the same: a
refresh of a full room every 2 s costs the new events, not all of them
(``benchmarks/bench_room.py`` measures both).

Faults: the client has short socket timeouts and one retry of a broken
connection, so a Redis that is down costs a call milliseconds (refused) or
well under a second (hung). Every failure becomes :class:`RoomUnavailable`,
and for :data:`PAUSE_S` after one the room does not try again (a page that
calls it several times pays once). The next call after that reconnects by
itself: nothing has to be restarted. The URL's password is never logged
or put in a message.
"""

from __future__ import annotations

import gc
import json
import logging
import threading
import time
from contextlib import contextmanager

from patchlab.room.store import (EVENTS_PER_PARTICIPANT, FULL, GUESSES_PER_PARTICIPANT, MAX_PARTICIPANTS, SHARES_KEPT,
                                 TOO_MANY, TOO_MANY_GUESSES, Event, Participant, Question, RoomRefused, RoomSnapshot,
                                 RoomStore, RoomUnavailable, Scene)

__all__ = ["RedisRoom", "KEYS", "SOCKET_TIMEOUT_S", "CONNECT_TIMEOUT_S", "PAUSE_S", "UNAVAILABLE"]

LOG = logging.getLogger(__name__)

KEYS = ("members", "names", "seen", "counts", "events", "seq", "next", "guesses", "reveals", "scene", "shares",
        "pictures", "epoch")
#: Seconds a command may wait for Redis's answer.
SOCKET_TIMEOUT_S = 0.5
#: Seconds a connection may take to open.
CONNECT_TIMEOUT_S = 0.25
#: After a failure, calls fail at once for this many seconds.
PAUSE_S = 1.0
UNAVAILABLE = "The room's data is unavailable right now (its store does not answer); everything else works as before."

# Every script gets KEYS in the order of KEYS above, ARGV[1] = ttl (s), ARGV[2] = now, ARGV[3] = pid.
_PRELUDE = """
local members, names, seen, counts, events, seq, nxt, guesses, reveals, scene, shares, pictures, epoch =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11], KEYS[12],
  KEYS[13]
local ttl, now, pid = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local function new_epoch()  -- the server's clock in µs, and one more than the last epoch's count
  local t = redis.call('TIME')
  local count = tonumber(string.match(redis.call('GET', epoch) or '', '/(%%d+)$') or '0') + 1
  return t[1] .. '.' .. t[2] .. '/' .. count
end
local function refresh()
  if redis.call('EXISTS', epoch) == 0 then redis.call('SET', epoch, new_epoch()) end
  for i = 1, #KEYS do redis.call('EXPIRE', KEYS[i], ttl) end
end
local function ensure()
  local m = redis.call('HGET', members, pid)
  if m then return m end
  if redis.call('HLEN', members) >= %(max_participants)d then return false end
  m = redis.call('INCR', nxt) .. '|' .. now
  redis.call('HSET', members, pid, m)
  return m
end
local function who(m)
  return {m, redis.call('HGET', names, pid) or '', redis.call('HGET', seen, pid) or ''}
end
""" % {"max_participants": MAX_PARTICIPANTS}

_JOIN = _PRELUDE + """
local m = ensure()
if not m then return -1 end
refresh()
return who(m)
"""

_TOUCH = _PRELUDE + """
local m = ensure()
if not m then return -1 end
redis.call('HSET', seen, pid, now .. '|' .. ARGV[4])
refresh()
return 0
"""

_NAME = _PRELUDE + """
local m = ensure()
if not m then return -1 end
if ARGV[4] == '' then redis.call('HDEL', names, pid) else redis.call('HSET', names, pid, ARGV[4]) end
refresh()
return who(m)
"""

# ARGV[4] = the event's JSON (kind, t, data), ARGV[5] = a picture's bytes or ''
_APPEND = _PRELUDE + """
if not ensure() then return -1 end
if redis.call('HINCRBY', counts, pid, 1) > %(per_participant)d then
  redis.call('HINCRBY', counts, pid, -1)
  return -2
end
local n = redis.call('INCR', seq)
redis.call('RPUSH', events, '[' .. n .. ',"' .. pid .. '",' .. ARGV[4] .. ']')
if ARGV[5] ~= '' then
  redis.call('HSET', pictures, n, ARGV[5])
  redis.call('LPUSH', shares, n)
  for _, old in ipairs(redis.call('LRANGE', shares, %(shares_kept)d, -1)) do redis.call('HDEL', pictures, old) end
  redis.call('LTRIM', shares, 0, %(shares_kept)d - 1)
end
refresh()
return n
""" % {"per_participant": EVENTS_PER_PARTICIPANT, "shares_kept": SHARES_KEPT}

# ARGV[4] = question, ARGV[5] = answer
_GUESS = _PRELUDE + """
if not ensure() then return -1 end
local field = ARGV[4] .. '|' .. pid
if redis.call('HEXISTS', guesses, field) == 0 then
  if redis.call('HINCRBY', counts, 'g|' .. pid, 1) > %(guesses)d then
    redis.call('HINCRBY', counts, 'g|' .. pid, -1)
    return -3
  end
end
redis.call('HSET', guesses, field, ARGV[5])
refresh()
return 0
""" % {"guesses": GUESSES_PER_PARTICIPANT}

_REMOVE = _PRELUDE + """
redis.call('HDEL', members, pid)
redis.call('HDEL', names, pid)
redis.call('HDEL', seen, pid)
redis.call('HDEL', counts, pid, 'g|' .. pid)
for _, entry in ipairs(redis.call('LRANGE', events, 0, -1)) do
  local n, owner = string.match(entry, '^%[(%d+),"([^"]+)"')
  if owner == pid then
    redis.call('LREM', events, 1, entry)
    if redis.call('HDEL', pictures, n) == 1 then redis.call('LREM', shares, 0, n) end
  end
end
local tail = '|' .. pid
for _, field in ipairs(redis.call('HKEYS', guesses)) do
  if string.sub(field, -#tail) == tail then redis.call('HDEL', guesses, field) end
end
if redis.call('EXISTS', epoch) == 1 then  -- events may be gone: every reader parses them all again
  redis.call('SET', epoch, new_epoch(), 'KEEPTTL')
end
return 0
"""

# ARGV[2] = now in milliseconds, ARGV[4..7] = story, number, page, settings (JSON)
_SCENE = _PRELUDE + """
local revision = math.max(tonumber(redis.call('HGET', scene, 'revision') or '0') + 1, tonumber(now))
redis.call('HSET', scene, 'revision', revision, 'story', ARGV[4], 'number', ARGV[5], 'page', ARGV[6],
           'settings', ARGV[7])
refresh()
return revision
"""

_ASK = _PRELUDE + """
if ARGV[4] == '' then redis.call('HDEL', scene, 'ask') else redis.call('HSET', scene, 'ask', ARGV[4]) end
refresh()
return 0
"""

_REVEAL = _PRELUDE + """
redis.call('HSET', reveals, ARGV[4], ARGV[5])
refresh()
return 0
"""

# The events as the body of one JSON array: all of them, or those after the first ARGV[2] when the
# epoch is still ARGV[1] (KEYS[1] = events, KEYS[2] = epoch). Returns {epoch, first index, body}.
_EVENTS = """
local current = redis.call('GET', KEYS[2]) or ''
local start = 0
if current ~= '' and current == ARGV[1] and redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[2]) then
  start = tonumber(ARGV[2])
end
return {current, start, table.concat(redis.call('LRANGE', KEYS[1], start, -1), ',')}
"""

_REFUSALS = {-1: FULL, -2: TOO_MANY, -3: TOO_MANY_GUESSES}


class RedisRoom(RoomStore):
    """The Redis back end (see :class:`~patchlab.room.store.RoomStore` for the methods).

    Parameters
    ----------
    url : str
        ``redis://:PASSWORD@127.0.0.1:PORT/0`` (``make room`` passes it as
        ``PATCHLAB_REDIS_URL``). Never shown in a message or the log.
    room, ttl_s, limiter
        As :class:`~patchlab.room.store.RoomStore`.
    """

    backend = "redis"

    def __init__(self, url: str, room: str = "default", **kwargs):
        super().__init__(room, **kwargs)
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        if not isinstance(url, str) or not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("url must be a redis:// address (PATCHLAB_REDIS_URL)")
        self._errors = (redis.exceptions.RedisError, OSError)
        self._client = redis.Redis.from_url(
            url, socket_timeout=SOCKET_TIMEOUT_S, socket_connect_timeout=CONNECT_TIMEOUT_S, health_check_interval=0,
            retry=Retry(NoBackoff(), 1, supported_errors=(redis.exceptions.ConnectionError,)))
        self._keys = [f"patchlab:room:{room}:{k}" for k in KEYS]
        self._scripts = {name: self._client.register_script(code) for name, code in (
            ("join", _JOIN), ("touch", _TOUCH), ("name", _NAME), ("append", _APPEND), ("guess", _GUESS),
            ("remove", _REMOVE), ("scene", _SCENE), ("reveal", _REVEAL), ("ask", _ASK), ("events", _EVENTS))}
        self._pause_lock = threading.Lock()
        self._paused_until = 0.0
        self._parsed_lock = threading.Lock()
        self._parsed: tuple[bytes, tuple] = (b"", ())  # (epoch, the events parsed in it)

    # ---------------------------------------------------------------- talking to Redis

    def _call(self, what, fn):
        """Run ``fn()`` against Redis; any failure becomes :class:`RoomUnavailable`."""
        with self._pause_lock:
            if time.monotonic() < self._paused_until:
                raise RoomUnavailable(UNAVAILABLE)
        try:
            result = fn()
        except self._errors as exc:
            with self._pause_lock:
                first = self._paused_until == 0.0
                self._paused_until = time.monotonic() + PAUSE_S
            (LOG.warning if first else LOG.info)("room store unavailable during %s (%s)", what, type(exc).__name__)
            raise RoomUnavailable(UNAVAILABLE) from None
        if self._paused_until:
            with self._pause_lock:
                self._paused_until = 0.0  # it answers again: the next failure is news
            LOG.warning("room store available again")
        return result

    def _run(self, script: str, pid: str, now: float, *args):
        result = self._call(script, lambda: self._scripts[script](
            keys=self._keys, args=[int(self.ttl_s), repr(float(now)), pid, *args]))
        if isinstance(result, int) and result in _REFUSALS:
            raise RoomRefused(_REFUSALS[result])
        return result

    def ping(self) -> bool:
        """Whether Redis answers now (RoomUnavailable is not raised)."""
        try:
            return bool(self._call("ping", self._client.ping))
        except RoomUnavailable:
            return False

    # ---------------------------------------------------------------- participants

    def _join(self, pid, now):
        return _participant(pid, *self._run("join", pid, now))

    def _participant(self, pid):
        pipe = self._client.pipeline(transaction=False)
        for key in self._keys[:3]:
            pipe.hget(key, pid)
        member, name, seen = self._call("participant", pipe.execute)
        return None if member is None else _participant(pid, member, name or b"", seen or b"")

    def _set_name(self, pid, name, now):
        return _participant(pid, *self._run("name", pid, now, name or ""))

    def _touch(self, pid, page, now):
        self._run("touch", pid, now, page)

    def _remove(self, pid):
        self._run("remove", pid, time.time())

    # ---------------------------------------------------------------- results

    def _append(self, pid, kind, data, picture, now):
        body = json.dumps({"kind": kind, "t": now, "data": data}, separators=(",", ":"), allow_nan=False)
        return int(self._run("append", pid, now, body, picture or b""))

    def _put_guess(self, pid, question, answer, now):
        self._run("guess", pid, now, question, answer)

    def _pictures(self, ids):
        found = self._call("pictures", lambda: self._client.hmget(self._keys[KEYS.index("pictures")], ids))
        return {i: b for i, b in zip(ids, found) if b is not None}

    def _snapshot(self, now):
        k = dict(zip(KEYS, self._keys))
        pipe = self._client.pipeline(transaction=False)
        for name in ("members", "names", "seen"):
            pipe.hgetall(k[name])
        with self._parsed_lock:
            epoch, parsed = self._parsed
        self._scripts["events"](keys=[k["events"], k["epoch"]], args=[epoch, len(parsed)], client=pipe)
        for name in ("guesses", "reveals", "scene"):
            pipe.hgetall(k[name])
        members, names, seen, events, guesses, reveals, scene = self._call("snapshot", pipe.execute)
        people = sorted((_participant(p.decode(), m, names.get(p, b""), seen.get(p, b"")) for p, m in members.items()),
                        key=lambda p: p.number)
        answers: dict[str, dict[str, str]] = {}
        for field, answer in guesses.items():
            question, _, pid = field.decode().rpartition("|")
            answers.setdefault(question, {})[pid] = answer.decode()
        epoch, start, body = events
        with _collector_paused():
            new = tuple(_event(*e) for e in json.loads(b"[" + body + b"]"))
        events = parsed[:start] + new if start else new
        with self._parsed_lock:
            self._parsed = (epoch, events)
        return RoomSnapshot(now=now, participants=tuple(people), events=events,
                            guesses=answers, revealed={q.decode(): a.decode() for q, a in reveals.items()},
                            scene=_scene(scene))

    # ---------------------------------------------------------------- the presenter and the instructor

    def _set_scene(self, story, number, page, settings, now):
        return int(self._run("scene", "-", int(now * 1000), story, number, page, json.dumps(settings)))

    def _scene(self):
        return _scene(self._call("scene", lambda: self._client.hgetall(self._keys[KEYS.index("scene")])))

    def _reveal(self, question, answer, now):
        self._run("reveal", "-", now, question, answer)

    def _revealed(self, question):
        found = self._call("revealed", lambda: self._client.hget(self._keys[KEYS.index("reveals")], question))
        return None if found is None else found.decode()

    def _ask(self, question, now):
        text = "" if question is None else json.dumps([question.question, question.prompt, list(question.options)])
        self._run("ask", "-", now, text)

    def _asked(self):
        found = self._call("asked", lambda: self._client.hget(self._keys[KEYS.index("scene")], "ask"))
        if not found:
            return None
        question, prompt, options = json.loads(found.decode())
        return Question(question, prompt, tuple(options))

    def _clear(self):
        self._call("clear", lambda: self._client.delete(*self._keys))
        with self._parsed_lock:
            self._parsed = (b"", ())

    def close(self) -> None:
        """Close the connections (a new call opens them again)."""
        self._client.close()


@contextmanager
def _collector_paused():
    """No garbage collection while thousands of events are parsed (all of them live on; a collection of
    the server's whole heap, which holds the models, would only cost time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _participant(pid: str, member: bytes, name: bytes, seen: bytes) -> Participant:
    number, _, joined = member.decode().partition("|")
    last, _, page = seen.decode().partition("|") if seen else ("", "", "")
    return Participant(pid, int(number), name.decode() or None, float(joined),
                       float(last) if last else None, page or None)


def _event(seq: int, pid: str, body: dict) -> Event:
    data = body["data"]
    if body["kind"] == "share":
        data["picture"] = str(seq)
    return Event(seq, pid, body["kind"], body["t"], data)


def _scene(found: dict) -> Scene | None:
    get = {k.decode(): v.decode() for k, v in (found or {}).items()}
    if "revision" not in get:  # nothing yet, or only an open question
        return None
    return Scene(int(get["revision"]), get["story"], int(get["number"]), get["page"], json.loads(get["settings"]))
