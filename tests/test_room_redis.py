"""``make room``'s Redis (scripts/room.py): loopback, a password nobody sees, no persistence, supervised.

The replicas themselves are not started here (tests/test_room_proxy.py runs a
whole room); these tests drive the supervisor's Redis part on its own.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from redis_fixture import require_redis, room_py
from redis_fixture import redis_server  # noqa: F401 (a fixture)


def _client(url):
    import redis

    return redis.Redis.from_url(url, socket_timeout=2)


def test_redis_runs_on_loopback_with_a_password_and_writes_nothing_to_disk(redis_server):
    import redis

    server = redis_server.server
    assert server.config.stat().st_mode & 0o077 == 0  # the config holds the password: 0600
    assert server.password not in " ".join(server.argv)  # not on a command line (ps shows those)
    client = _client(redis_server.url)
    assert client.ping()
    assert client.config_get("save") == {"save": ""}
    assert client.config_get("appendonly") == {"appendonly": "no"}
    assert client.config_get("bind")["bind"] == "127.0.0.1"
    with pytest.raises(redis.exceptions.AuthenticationError):
        _client(f"redis://127.0.0.1:{redis_server.port}/0").ping()
    assert server.password not in server.logfile.read_text()
    assert room_py.redis_ping(redis_server.port, redis_server.password)
    assert not room_py.redis_ping(redis_server.port, "wrong")


@pytest.fixture
def supervisor(tmp_path, monkeypatch):
    """A Room (haproxy needed for its config) whose replicas and proxy are never started."""
    require_redis()
    if room_py.haproxy_binary() is None:
        if os.environ.get("CI"):
            pytest.fail("haproxy is missing; `make test` installs Debian's haproxy")
        pytest.skip("haproxy is missing (run `make test` as root to install it)")
    monkeypatch.setenv("PATCHLAB_INSTRUCTOR_KEY", "a-key-for-this-test-only")
    room = room_py.Room(replicas=2, port=0, address="127.0.0.1", state=tmp_path / "room")
    yield room
    room.stop()


def test_every_replica_gets_the_rooms_redis_and_the_instructor_key(supervisor):
    urls = {child.env["PATCHLAB_REDIS_URL"] for child in supervisor.replicas}
    assert urls == {supervisor.redis.url} and f":{supervisor.redis.port}/" in supervisor.redis.url
    assert all(child.env["PATCHLAB_INSTRUCTOR_KEY"] == "a-key-for-this-test-only" for child in supervisor.replicas)
    assert "PATCHLAB_REDIS_URL" not in supervisor.proxy.env  # the proxy needs no password
    status = supervisor.status()
    assert status["redis"]["port"] == supervisor.redis.port
    assert supervisor.redis.password not in str(status)


def test_a_redis_that_dies_is_started_again_on_the_same_port_and_stopping_deletes_the_data(supervisor):
    supervisor.redis_child.start()
    supervisor.redis.wait(supervisor.redis_child.proc)
    url = supervisor.redis.url
    _client(url).set("patchlab:room:default:seq", 7)
    first = supervisor.redis_child.proc.pid
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + 15
    while supervisor.redis_child.restarts == 0 or not room_py.redis_ping(supervisor.redis.port,
                                                                          supervisor.redis.password):
        assert time.monotonic() < deadline, "redis-server was not started again within 15 s"
        supervisor.redis_child.check(stopping=False)
        time.sleep(0.1)
    assert supervisor.redis_child.proc.pid != first
    assert _client(url).get("patchlab:room:default:seq") is None  # nothing was saved: the room starts empty
    _client(url).set("patchlab:room:default:seq", 8)
    pid = supervisor.redis_child.proc.pid
    supervisor.stop()
    assert not os.path.exists(f"/proc/{pid}") or "zombie" in open(f"/proc/{pid}/status").read().lower()
    assert not supervisor.redis.config.exists()  # the password's file is gone with it
    assert list((supervisor.state / "redis").glob("*")) == []
    assert supervisor.redis.password not in supervisor.redis.logfile.read_text()
