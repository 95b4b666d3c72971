"""A room of two app processes behind haproxy (``make room``, scripts/room.py).

Starts the real supervisor with 2 replicas on loopback and checks what a room
relies on: each browser session's page, uploads, media and downloads reach its
own replica (the proxy's ``SERVERID`` cookie, and the ``X-PatchLab-Replica``
header it adds to every response) and new sessions spread over both; a killed
replica is taken out by the proxy within a few seconds, its participant's page
reconnects to the other one, and it is taken back once restarted; bad input is
refused at the proxy with a short page and no internals; Ctrl-C stops
everything the supervisor started.
"""

from __future__ import annotations

import http.client
import importlib.util
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from apprunner import ARTIFACTS, ROOT
from conftest import assert_no_exception, wait_for_app

spec = importlib.util.spec_from_file_location("room", ROOT / "scripts" / "room.py")
room_py = importlib.util.module_from_spec(spec)
spec.loader.exec_module(room_py)

needs_model = pytest.mark.skipif(not (ROOT / "models" / "inpainting.keras").exists(),
                                 reason="models/inpainting.keras is not in this checkout")
#: words that would give away what runs behind the proxy
INTERNALS = ("haproxy", "starlette", "uvicorn", "tornado", "traceback", "python", "streamlit", 'file "')


def _require_haproxy():
    """haproxy, and Redis (make room starts both)."""
    from redis_fixture import require_redis

    require_redis()
    if room_py.haproxy_binary():
        return
    if os.environ.get("CI"):
        pytest.fail("haproxy is missing; `make test` installs Debian's haproxy")
    pytest.skip("haproxy is missing (run `make test` as root to install it)")


# ---------------------------------------------------------------- the configuration alone (fast)


def test_proxy_config_carries_the_apps_upload_cap_affinity_and_health_checks(tmp_path):
    _require_haproxy()
    cap = room_py.upload_cap_mb()
    assert cap == 20  # .streamlit/config.toml
    config = room_py.write_proxy_config(tmp_path, "127.0.0.1", 18999, [("r1", 18998), ("r2", 18997)], cap)
    text = config.read_text()
    assert f"gt {cap * 1024 * 1024} }}" in text
    assert "cookie SERVERID insert indirect nocache" in text
    assert "option httpchk GET /_stcore/health" in text
    assert "server r1 127.0.0.1:18998 check cookie r1" in text and "server r2 127.0.0.1:18997 check cookie r2" in text
    check = subprocess.run([room_py.haproxy_binary(), "-c", "-q", "-f", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    for code in (400, 403, 413, 502, 503):
        raw = (tmp_path / "errors" / f"{code}.http").read_bytes()
        head, body = raw.split(b"\r\n\r\n", 1)
        assert head.startswith(f"HTTP/1.1 {code} ".encode())
        assert f"Content-Length: {len(body)}".encode() in head
        assert not any(word in body.decode().lower() for word in INTERNALS)
    assert b"limited to 20 MB" in (tmp_path / "errors" / "413.http").read_bytes()


def test_the_cookie_secret_is_made_once_private_and_never_committed(tmp_path):
    first = room_py.cookie_secret(tmp_path)
    assert len(first) >= 32 and room_py.cookie_secret(tmp_path) == first
    assert (tmp_path / "cookie_secret").stat().st_mode & 0o077 == 0
    ignored = subprocess.run(["git", "check-ignore", "-q", "run/room/cookie_secret"], cwd=ROOT)
    assert ignored.returncode == 0, "run/ (the room's state) must be ignored by git"


# ---------------------------------------------------------------- a running room


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    """``scripts/room.py`` with 2 replicas on a free loopback port; yields its status dict (+ process, state)."""
    _require_haproxy()
    state = tmp_path_factory.mktemp("room")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = open(ARTIFACTS / "room-supervisor.log", "w")
    proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "room.py"), "--replicas", "2", "--port", "0",
                             "--address", "127.0.0.1", "--state", str(state)],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    status = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"scripts/room.py exited with {proc.returncode}: see {ARTIFACTS / 'room-supervisor.log'}")
        try:
            status = json.loads((state / "room.json").read_text())
        except (OSError, ValueError):
            status = None
        if status and all(r["proxy_state"] == "UP" for r in status["replicas"]):
            break
        time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("the room did not come up within 120 s")
    yield {**status, "process": proc, "state_dir": state}
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    log.close()


def _status(room):
    return json.loads((room["state_dir"] / "room.json").read_text())


def _request(room, method, path, headers=None, body=b"", cookie_replica=None):
    """One raw HTTP request to the proxy: ``(status, headers, body text)``."""
    conn = http.client.HTTPConnection("127.0.0.1", room["port"], timeout=15)
    headers = dict(headers or {})
    if cookie_replica:
        headers["Cookie"] = "; ".join(filter(None, [headers.get("Cookie"), f"SERVERID={cookie_replica}"]))
    conn.putrequest(method, path, skip_accept_encoding=True)
    for k, v in headers.items():
        conn.putheader(k, v)
    conn.endheaders()
    if body:
        try:
            conn.send(body)
        except OSError:
            pass  # the proxy may answer (and close) before the body is sent
    resp = conn.getresponse()
    text = resp.read().decode("utf-8", "replace")
    conn.close()
    found = {k.lower(): v for k, v in resp.getheaders()}
    found["set-cookie"] = "; ".join(resp.msg.get_all("Set-Cookie") or [])
    return resp.status, found, text


def _photo(path, width, height):
    """A sample photo cropped to ``width`` x ``height``: each session's own size, so its result is recognisable."""
    from PIL import Image

    from patchlab.images import load_sample

    image = Image.fromarray(load_sample("astronaut")).resize((width, height))
    image.save(path)
    return path


def _replica_of(context):
    return {c["name"]: c["value"] for c in context.cookies()}.get("SERVERID")


class Session:
    """A participant: a browser context on the Inpainting page, with every response's replica logged."""

    def __init__(self, browser, url):
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.page = self.context.new_page()
        self.page.set_default_timeout(90_000)
        self.responses = []  # (url, status, X-PatchLab-Replica)
        self.page.on("response", lambda r: self.responses.append((r.url, r.status, r.headers.get("x-patchlab-replica"))))
        self.page.goto(f"{url}/inpainting")

    @property
    def replica(self):
        return _replica_of(self.context)


def _broken_pictures(page, settle_s: float = 10.0) -> list:
    """The pictures on ``page`` that failed to load and are still shown after up to ``settle_s`` seconds.

    A rerun replaces its pictures one element at a time: for a moment the page may still hold a picture of the
    run it superseded, whose file the server has dropped. Such a picture is gone when the rerun's own arrives;
    one that stays is a picture the page shows and could not load.
    """
    script = "() => [...document.images].filter(i => i.complete && !i.naturalWidth).map(i => i.src)"
    deadline = time.monotonic() + settle_s
    broken = page.evaluate(script)
    while broken and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        broken = page.evaluate(script)
    return broken


@pytest.mark.browser
@needs_model
def test_four_sessions_upload_fill_and_download_on_their_own_replica(room, browser, tmp_path):
    from PIL import Image

    sizes = [(320, 240), (336, 256), (352, 264), (368, 280)]
    sessions = [Session(browser, room["url"]) for _ in sizes]  # the pages load together
    try:
        for s in sessions:
            wait_for_app(s.page, timeout=120_000)
            s.page.get_by_text("Upload your own").click()
            wait_for_app(s.page)
        for k, (s, (w, h)) in enumerate(zip(sessions, sizes)):
            s.page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
                str(_photo(tmp_path / f"photo{k}.png", w, h)))
        for s in sessions:
            wait_for_app(s.page, timeout=120_000)
            upper = s.page.locator("canvas.upper-canvas").first
            upper.wait_for(state="visible")
            upper.scroll_into_view_if_needed()
            box = upper.bounding_box()
            s.page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.4)
            s.page.mouse.down()
            for i in range(1, 10):
                s.page.mouse.move(box["x"] + box["width"] * (0.3 + 0.03 * i), box["y"] + box["height"] * 0.45, steps=3)
            s.page.mouse.up()
        for s in sessions:
            s.page.wait_for_timeout(1200)  # the canvas reports its drawing after a short debounce
            wait_for_app(s.page)
            s.page.get_by_role("button", name="Fill", exact=True).click()
        downloads = []
        for s in sessions:
            s.page.wait_for_selector('[data-testid="stTable"]', timeout=120_000)
            wait_for_app(s.page, timeout=120_000)
            assert_no_exception(s.page)
            with s.page.expect_download() as got:
                s.page.get_by_role("button", name="Download the U-Net result (PNG)").click()
            downloads.append(got.value)

        replicas = [s.replica for s in sessions]
        assert set(replicas) == {"r1", "r2"}, f"the sessions did not spread over both replicas: {replicas}"
        for k, (s, (w, h), download) in enumerate(zip(sessions, sizes, downloads)):
            uploads = [r for r in s.responses if "/_stcore/upload_file/" in r[0]]
            media = [r for r in s.responses if "/media/" in r[0]]
            assert uploads and media, f"session {k}: no upload or media requests seen"
            # a picture of a run that a newer run of the same page replaced (a column's width arriving, say)
            # is dropped by Streamlit, and a request for it still in flight gets 404 from the session's own
            # replica. When the next run draws the very same picture again (same content, same address), the
            # browser would keep it broken: patchlab.ui.media asks for such a picture again. So every picture
            # the page finally shows ("finally": once the page has settled) must have loaded.
            wait_for_app(s.page, timeout=120_000)
            stuck = set(_broken_pictures(s.page, settle_s=20.0))
            assert not stuck, f"session {k}: pictures shown broken: {stuck}"
            shown = {u.split("?")[0] for u in s.page.evaluate("() => [...document.images].map(i => i.src)")}
            for url, status, replica in uploads + media:
                address = url.split("?")[0]
                loaded_later = any(u.split("?")[0] == address and st < 400 for u, st, _ in s.responses)  # asked again
                superseded = status == 404 and "/media/" in url and (address not in shown or loaded_later)
                assert status < 400 or superseded, f"session {k}: {url} answered {status}"
                assert replica == s.replica, f"session {k} ({s.replica}): {url} came from {replica}"
            # the download is this session's own result, served by its own replica and by no other
            result = Image.open(io.BytesIO(Path(download.path()).read_bytes()))
            assert (result.format, result.size) == ("PNG", (w, h))
            path = "/" + download.url.split("/", 3)[3]
            status, headers, _ = _request(room, "GET", path, cookie_replica=s.replica)
            assert (status, headers.get("x-patchlab-replica")) == (200, s.replica)
            other = "r2" if s.replica == "r1" else "r1"
            status, headers, _ = _request(room, "GET", path, cookie_replica=other)
            assert (status, headers.get("x-patchlab-replica")) == (404, other), \
                "a result's media must live only on the replica that made it"
        sessions[0].page.screenshot(path=str(ARTIFACTS / "room-session-0.png"))
    finally:
        for s in sessions:
            s.context.close()


@pytest.mark.browser  # starts the room's servers: left out of `make test-fast`
def test_bad_input_is_refused_at_the_proxy_without_internals(room):
    cap = room["upload_cap_mb"] * 1024 * 1024
    upload = "/_stcore/upload_file/no-such-session/no-such-file"
    # an upload over the app's cap never reaches a replica
    status, headers, body = _request(room, "PUT", upload, {"Content-Length": str(cap + 1),
                                                           "Content-Type": "application/octet-stream"},
                                     body=b"x" * 65536)
    assert status == 413 and "limited to 20 MB" in body and "x-patchlab-replica" not in headers
    # an upload without Streamlit's XSRF cookie is refused
    status, headers, body = _request(room, "PUT", upload, {"Content-Length": "5"}, body=b"hello")
    assert status == 403 and "security cookie" in body and "x-patchlab-replica" not in headers
    # replicas accept each other's XSRF cookie: a token from r1 passes the check on r2 (which then
    # refuses the unknown session with 400, not 403)
    _, headers, _ = _request(room, "GET", "/_stcore/health", cookie_replica="r1")
    xsrf = headers["set-cookie"].split("_streamlit_xsrf=")[1].split(";")[0]
    status, headers, body = _request(room, "PUT", upload, {"Cookie": f"_streamlit_xsrf={xsrf}", "X-Xsrftoken": xsrf,
                                                           "Content-Length": "5"}, body=b"hello", cookie_replica="r2")
    assert (status, headers.get("x-patchlab-replica")) == (400, "r2") and "Invalid session_id" in body
    # malformed paths get a 4xx and a short page, never internals
    for path in ["/../etc/passwd", "/a/../../app.py", "/%2e%2e/%2e%2e/etc/passwd", "/media/..%2f..%2fapp.py",
                 "/%00", "/%zz", "//evil.example/x", "/static/../../.streamlit/config.toml"]:
        status, headers, body = _request(room, "GET", path)
        assert 400 <= status < 500, f"{path}: {status}"
        assert "server" not in headers, f"{path}: the Server header names the software"
        assert not any(word in body.lower() for word in INTERNALS), f"{path}: {body[:200]}"


@pytest.mark.browser  # starts the room's servers: left out of `make test-fast`
def test_the_replicas_share_one_cookie_secret(room):
    secret = (room["state_dir"] / "cookie_secret").read_text().strip()
    for replica in _status(room)["replicas"]:
        environ = Path(f"/proc/{replica['pid']}/environ").read_bytes().split(b"\0")
        assert f"STREAMLIT_SERVER_COOKIE_SECRET={secret}".encode() in environ, replica["name"]


@pytest.mark.browser
def test_a_killed_replica_is_taken_out_its_participant_reconnects_and_it_comes_back(room, browser):
    participant = Session(browser, room["url"])
    try:
        wait_for_app(participant.page, timeout=120_000)
        victim = participant.replica
        survivor = "r2" if victim == "r1" else "r1"
        before = {r["name"]: r for r in _status(room)["replicas"]}
        t0 = time.monotonic()
        os.kill(before[victim]["pid"], signal.SIGKILL)
        # the proxy takes it out within a few seconds
        while room_py.proxy_states(Path(room["proxy"]["socket"]))[victim].split()[0] != "DOWN":
            assert time.monotonic() - t0 < 8, "the proxy did not notice the dead replica within 8 s"
            time.sleep(0.1)
        noticed = time.monotonic() - t0
        # meanwhile a request for it is served by the survivor
        status, headers, _ = _request(room, "GET", "/_stcore/health", cookie_replica=victim)
        assert (status, headers.get("x-patchlab-replica")) == (200, survivor)
        # the participant's page reconnects by itself, to the survivor (a fresh session)
        deadline = time.monotonic() + 30
        while participant.replica != survivor:
            assert time.monotonic() < deadline, "the participant's page did not move to the live replica"
            participant.page.wait_for_timeout(200)
        wait_for_app(participant.page, timeout=60_000)
        assert_no_exception(participant.page)
        # the supervisor starts it again and the proxy takes it back
        while room_py.proxy_states(Path(room["proxy"]["socket"]))[victim] != "UP":
            assert time.monotonic() - t0 < 45, "the restarted replica was not taken back within 45 s"
            time.sleep(0.2)
        back = time.monotonic() - t0
        after = {r["name"]: r for r in _status(room)["replicas"]}
        assert after[victim]["restarts"] == 1 and after[victim]["pid"] != before[victim]["pid"]
        assert after[survivor]["restarts"] == 0
        print(f"replica {victim} killed: out after {noticed:.1f} s, back after {back:.1f} s")
    finally:
        participant.context.close()


@pytest.mark.browser  # starts the room's servers: left out of `make test-fast`
def test_ctrl_c_stops_everything_the_room_started(room):
    pids = [r["pid"] for r in _status(room)["replicas"]] + [_status(room)["proxy"]["pid"]]
    assert all(pids)
    room["process"].send_signal(signal.SIGINT)
    assert room["process"].wait(timeout=20) == 0
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower(), pid
    with pytest.raises(OSError):
        _request(room, "GET", "/_stcore/health")
