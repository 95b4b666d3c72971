"""A real redis-server for the tests: Debian's, started the way ``make room`` starts it.

``redis_server`` (session fixture) starts ``scripts/room.py``'s
:class:`RedisServer` on a free loopback port with a password and no
persistence, and stops it at the end. Without redis-server the tests that
use it are skipped locally, but fail in CI (``CI`` set), where ``make test``
installs it. No mock Redis anywhere.

Import it into a test module: ``from redis_fixture import redis_server  # noqa: F401``.
:func:`make_store` gives a test a room of its own on either back end.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import uuid

import pytest

from apprunner import ROOT
from patchlab.room import open_room
from patchlab.room.ratelimit import RateLimiter

_spec = importlib.util.spec_from_file_location("room_script", ROOT / "scripts" / "room.py")
room_py = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(room_py)


def require_redis() -> str:
    found = room_py.redis_binary()
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("redis-server is missing; `make test` installs Debian's redis-server")
    pytest.skip("redis-server is missing (run `make test` as root to install it)")


class RunningRedis:
    """A redis-server process the tests can stop and start again on the same port and password."""

    def __init__(self, state):
        self.server = room_py.RedisServer(state)
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def password(self) -> str:
        return self.server.password

    def start(self) -> None:
        self.server.logfile.parent.mkdir(parents=True, exist_ok=True)
        with open(self.server.logfile, "ab") as log:
            self.proc = subprocess.Popen(self.server.argv, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        self.server.wait(self.proc)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A running redis-server (:class:`RunningRedis`); a test that stops it must start it again."""
    require_redis()
    server = RunningRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()
    server.server.remove_files()


#: A rate no test reaches (for the tests that are not about the rate).
GENEROUS = dict(burst=100_000, rate=100_000.0)


def make_store(kind, request, **kwargs):
    """A new room of its own for one test: ``kind`` "memory" or "redis" (on the ``redis_server`` fixture)."""
    kwargs.setdefault("limiter", RateLimiter(**GENEROUS))
    name = "t" + uuid.uuid4().hex[:12]
    if kind == "memory":
        return open_room("", room=name, **kwargs)
    server = request.getfixturevalue("redis_server")
    store = open_room(server.url, room=name, **kwargs)
    request.addfinalizer(lambda: server.running and store.clear())
    return store
