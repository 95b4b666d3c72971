"""A bigger room: several PatchLab app processes behind haproxy, on one port.

    python scripts/room.py [--replicas 2] [--port 8501] [--address 0.0.0.0] [--state run/room]
    python scripts/room.py --replicas 2 --port 0 --warm -- CMD ARG ...   # run CMD ({url} filled in), then stop

(``make room REPLICAS=N PORT=P`` runs the first form.) The supervisor starts N
Streamlit processes ("replicas") on free loopback ports and Debian's haproxy in
front of them, configured from ``deploy/haproxy.cfg.in``:

- **Affinity.** The proxy balances a participant's first request round robin
  and sets the cookie ``SERVERID``; every later request of that browser (the
  page, the WebSocket, uploads, media, downloads) reaches the same replica.
  Streamlit keeps sessions, uploads and media in the memory of one process, and
  participants behind a venue's NAT share one address, so address hashing
  would not do. Each response says which replica answered
  (``X-PatchLab-Replica``).
- **Health.** haproxy checks ``/_stcore/health`` on every replica: a dead one
  is out within about 3 s (its participants' browsers reconnect to a live
  replica and get a fresh session), and back 2 s after it answers again. The
  supervisor restarts a replica that exits (1 s, then longer if it keeps
  failing).
- **One cookie secret per room**, generated once into ``<state>/cookie_secret``
  (mode 0600; ``run/`` is ignored by git) and given to every replica in its
  environment, so any replica accepts cookies signed by another.
- **Bad input stops at the proxy**: uploads over the app's cap
  (``server.maxUploadSize`` in ``.streamlit/config.toml``) get 413, uploads
  without Streamlit's XSRF cookie 403, paths with dot segments or NUL bytes
  400, each with a short page and no internals (``deploy/error-page.html.in``).
- **Cores.** Replicas on one machine share its cores: unless set, each gets
  ``PATCHLAB_SLOTS`` and ``PATCHLAB_TF_THREADS`` = cores // replicas (at least 1).

- **The room's shared state** lives in Debian's ``redis-server``, started
  first on a free loopback port with a password made anew at each start and
  no persistence (``deploy/redis.conf.in``, rendered into ``<state>/redis.conf``,
  mode 0600); every replica gets its address in ``PATCHLAB_REDIS_URL``. The
  password is in no command line, message or log. If Redis exits, it is
  started again on the same port with the same password, and the replicas
  reconnect by themselves.
- **The instructor's link** (the Room page with its key, from
  ``patchlab.room.instructor``) is printed when the room is ready; every
  replica gets the key in ``PATCHLAB_INSTRUCTOR_KEY``.

Ctrl-C (or SIGTERM) stops the proxy, then the replicas, then Redis (which
deletes the room's data: it was never written to disk); the children also
get SIGTERM if the supervisor itself is killed. ``<state>/room.json`` says what is
running (ports, process ids, restarts, peak memory of each replica), and
``<state>/logs/`` holds each process's output.

Python standard library, and ``patchlab.room.instructor`` for the key (Playwright
for ``--warm``, from the project's environment).
"""

from __future__ import annotations

import argparse
import csv
import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
DEFAULT_STATE = ROOT / "run" / "room"
HAPROXY_CANDIDATES = ("haproxy", "/usr/sbin/haproxy")
REDIS_CANDIDATES = ("redis-server", "/usr/bin/redis-server", "/usr/sbin/redis-server")

#: status code -> (reason phrase, page title, message, seconds before the page reloads itself or None)
ERROR_PAGES = {
    400: ("Bad Request", "This address is not one PatchLab knows",
          "The link is malformed. Start again from PatchLab's first page.", None),
    403: ("Forbidden", "This request was refused",
          "Your browser did not send PatchLab's security cookie with it. Reload the page and try again.", None),
    408: ("Request Timeout", "The request took too long",
          "Your browser took too long to send it. Reload the page and try again.", None),
    413: ("Payload Too Large", "This file is too large",
          "Uploads are limited to {cap} MB. Choose a smaller photo, or save it at a lower resolution.", None),
    500: ("Internal Server Error", "Something went wrong",
          "PatchLab could not answer this request. Reload the page in a moment.", 10),
    502: ("Bad Gateway", "PatchLab is restarting",
          "The app process serving you stopped. This page reloads itself in a few seconds.", 5),
    503: ("Service Unavailable", "PatchLab is starting or busy",
          "No app process can take you right now. This page reloads itself in a few seconds.", 5),
    504: ("Gateway Timeout", "PatchLab is busy",
          "The app took too long to answer. This page reloads itself in a few seconds.", 5),
}


def log(message: str) -> None:
    print(time.strftime("%H:%M:%S"), "room:", message, flush=True)


# ---------------------------------------------------------------- configuration


def upload_cap_mb(config: Path = ROOT / ".streamlit" / "config.toml") -> int:
    """The app's upload cap in MB (``server.maxUploadSize``; Streamlit's default 200 if unset)."""
    with open(config, "rb") as f:
        cap = tomllib.load(f).get("server", {}).get("maxUploadSize", 200)
    if not isinstance(cap, int) or cap < 1:
        raise ValueError(f"server.maxUploadSize in {config} must be a positive whole number of MB, not {cap!r}")
    return cap


def cookie_secret(state: Path) -> str:
    """The room's cookie secret: read from ``state/cookie_secret``, created there (mode 0600) the first time."""
    path = state / "cookie_secret"
    if path.exists():
        secret = path.read_text().strip()
        if len(secret) >= 32:
            return secret
    state.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secret + "\n")
    return secret


def write_proxy_config(state: Path, address: str, port: int, replicas: list[tuple[str, int]], cap_mb: int) -> Path:
    """Render ``deploy/haproxy.cfg.in`` and the error pages into ``state``; return the config's path."""
    errors = state / "errors"
    errors.mkdir(parents=True, exist_ok=True)
    page = string.Template((DEPLOY / "error-page.html.in").read_text())
    for code, (reason, title, message, refresh) in ERROR_PAGES.items():
        body = page.substitute(
            TITLE=title, MESSAGE=message.format(cap=cap_mb),
            REFRESH=f'<meta http-equiv="refresh" content="{refresh}">\n' if refresh else "").encode()
        head = (f"HTTP/1.1 {code} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n").encode()
        (errors / f"{code}.http").write_bytes(head + body)
    servers = "\n".join(f"    server {name} 127.0.0.1:{p} check cookie {name}" for name, p in replicas)
    text = string.Template((DEPLOY / "haproxy.cfg.in").read_text()).substitute(
        STATE=str(state), ADDRESS=address, PORT=port, MAX_BODY_BYTES=cap_mb * 1024 * 1024, SERVERS=servers)
    path = state / "haproxy.cfg"
    path.write_text(text)
    return path


def haproxy_binary() -> str | None:
    for name in HAPROXY_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def redis_binary() -> str | None:
    for name in REDIS_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def write_redis_config(state: Path, port: int, password: str) -> Path:
    """Render ``deploy/redis.conf.in`` into ``state/redis.conf`` (mode 0600: it holds the password)."""
    folder = state / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    text = string.Template((DEPLOY / "redis.conf.in").read_text()).substitute(
        PORT=port, PASSWORD=password, DIR=str(folder))
    path = state / "redis.conf"
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def redis_url(port: int, password: str) -> str:
    """The address the replicas get in ``PATCHLAB_REDIS_URL`` (it holds the password: never print it)."""
    return f"redis://:{password}@127.0.0.1:{port}/0"


def redis_ping(port: int, password: str, timeout: float = 1.0) -> bool:
    """Whether a Redis on loopback ``port`` takes ``password`` and answers PING (RESP over a socket)."""
    def bulk(*words: str) -> bytes:
        return f"*{len(words)}\r\n".encode() + b"".join(f"${len(w.encode())}\r\n{w}\r\n".encode() for w in words)

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(bulk("AUTH", password) + bulk("PING"))
            answer = b""
            while answer.count(b"\r\n") < 2:
                chunk = s.recv(256)
                if not chunk:
                    break
                answer += chunk
        return answer == b"+OK\r\n+PONG\r\n"
    except OSError:
        return False


class RedisServer:
    """Debian's redis-server on a loopback port with a password and no persistence.

    Used by the room (supervised as a :class:`Child`) and by the tests
    (``tests/redis_fixture.py``), which stop and start it again on the same
    port to play a fault.
    """

    def __init__(self, state: Path, port: int | None = None, password: str | None = None):
        binary = redis_binary()
        if binary is None:
            raise RuntimeError("redis-server is missing: install Debian's 'redis-server' package "
                               "(`make room` and `make test` do, as root)")
        self.state = Path(state)
        self.port = port or free_port()
        self.password = password or secrets.token_urlsafe(32)
        self.config = write_redis_config(self.state, self.port, self.password)
        self.argv = [binary, str(self.config)]
        self.logfile = self.state / "logs" / "redis.log"

    @property
    def url(self) -> str:
        return redis_url(self.port, self.password)

    def wait(self, proc: subprocess.Popen | None = None, timeout: float = 15.0) -> None:
        """Wait until it answers; RuntimeError if ``proc`` exits first or time runs out."""
        deadline = time.monotonic() + timeout
        while not redis_ping(self.port, self.password):
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with code {proc.returncode} at start "
                                   f"(port {self.port} taken?): see {self.logfile}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not answer within {timeout:.0f} s (see {self.logfile})")
            time.sleep(0.05)

    def remove_files(self) -> None:
        """Delete the config (it holds the password) and the data folder (empty: nothing is saved)."""
        self.config.unlink(missing_ok=True)
        shutil.rmtree(self.state / "redis", ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- looking at a running room


def proxy_command(sock: Path, command: str, timeout: float = 2.0) -> str:
    """Send one command to the proxy's runtime API (its admin stats socket); return its answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(sock))
        s.sendall(command.encode() + b"\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data.decode()


def proxy_states(sock: Path, timeout: float = 2.0) -> dict[str, str]:
    """Each replica's state as the proxy sees it (``{"r1": "UP", "r2": "DOWN", ...}``), from its stats socket."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(sock))
        s.sendall(b"show stat\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    rows = csv.DictReader(data.decode().lstrip("# ").splitlines())
    return {r["svname"]: r["status"] for r in rows
            if r.get("pxname") == "replicas" and r.get("svname") not in ("FRONTEND", "BACKEND")}


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=timeout) as r:
            return r.status == 200
    except OSError:
        return False


# ---------------------------------------------------------------- the supervisor


def _die_with_parent():
    """In the child, before exec: get SIGTERM when the supervisor dies (Linux), whatever kills it."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Child:
    """One supervised process: started again when it exits, after a delay that grows while it keeps failing."""

    def __init__(self, name: str, argv: list[str], env: dict, logfile: Path, port: int | None = None):
        self.name, self.argv, self.env, self.logfile, self.port = name, argv, env, logfile, port
        self.proc: subprocess.Popen | None = None
        self.started = 0.0
        self.restarts = 0
        self.exited = False
        self.delay = 1.0
        self.due = 0.0  # when to start it again after it exited
        self.peak_rss = 0.0

    def start(self):
        self.logfile.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.logfile, "ab")
        self.proc = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_die_with_parent)
        out.close()
        self.started = time.monotonic()
        self.peak_rss = 0.0

    def check(self, stopping: bool) -> None:
        """Restart the process if it has exited (not while the room stops)."""
        if self.proc is None or stopping:
            return
        code = self.proc.poll()
        if code is None:
            self.peak_rss = max(self.peak_rss, rss_mb(self.proc.pid))
            if time.monotonic() - self.started > 60:
                self.delay = 1.0  # it ran a minute: a later exit is a new problem
            return
        now = time.monotonic()
        if not self.due:
            self.exited = True  # news for the proxy (Room.tick): it need not find out by failed checks
            self.due = now + self.delay
            log(f"{self.name} exited with code {code}; starting it again in {self.delay:.0f} s "
                f"(log: {self.logfile.relative_to(ROOT) if self.logfile.is_relative_to(ROOT) else self.logfile})")
            return
        if now >= self.due:
            self.due = 0.0
            self.delay = min(30.0, self.delay * 2)
            self.restarts += 1
            self.start()
            log(f"{self.name} started again (pid {self.proc.pid}, restart {self.restarts})")

    def stop(self, sig=signal.SIGTERM):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait(self, deadline: float):
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Room:
    """N replicas and a proxy; :meth:`run` supervises them until stopped."""

    def __init__(self, replicas: int = 2, port: int = 8501, address: str = "0.0.0.0", state: Path = DEFAULT_STATE):
        if not 1 <= replicas <= 64:
            raise ValueError(f"replicas must be between 1 and 64, not {replicas}")
        self.state = Path(state).resolve()
        self.port = port or free_port()
        self.address = address
        self.cap_mb = upload_cap_mb()
        self.stopping = False
        self.states: dict[str, str] = {}
        haproxy = haproxy_binary()
        if haproxy is None:
            raise RuntimeError("haproxy is missing: install Debian's 'haproxy' package (`make room` does, as root)")
        self.state.mkdir(parents=True, exist_ok=True)
        secret = cookie_secret(self.state)
        share = str(max(1, (os.cpu_count() or 1) // replicas))
        self.redis = RedisServer(self.state)
        self.redis_child = Child("redis", self.redis.argv, dict(os.environ), self.redis.logfile)
        self.instructor_key = instructor_key()
        env = {**os.environ, "STREAMLIT_SERVER_COOKIE_SECRET": secret, "PATCHLAB_REDIS_URL": self.redis.url,
               "PATCHLAB_INSTRUCTOR_KEY": self.instructor_key}
        env.setdefault("MALLOC_ARENA_MAX", "2")  # as `make run`
        env.setdefault("PATCHLAB_SLOTS", share)
        env.setdefault("PATCHLAB_TF_THREADS", share)
        self.replicas = []
        for i in range(1, replicas + 1):
            name, rport = f"r{i}", free_port()
            argv = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
                    "--server.port", str(rport), "--server.address", "127.0.0.1",
                    "--server.headless", "true", "--browser.gatherUsageStats", "false"]
            self.replicas.append(Child(name, argv, env, self.state / "logs" / f"{name}.log", rport))
        config = write_proxy_config(self.state, address, self.port, [(c.name, c.port) for c in self.replicas],
                                    self.cap_mb)
        check = subprocess.run([haproxy, "-c", "-q", "-f", str(config)], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"haproxy refused {config}:\n{check.stdout}{check.stderr}")
        self.proxy = Child("proxy", [haproxy, "-db", "-f", str(config)], dict(os.environ),
                           self.state / "logs" / "proxy.log")
        self.socket = self.state / "haproxy.sock"
        host = "127.0.0.1" if address in ("0.0.0.0", "::", "") else address
        self.url = f"http://{host}:{self.port}"

    # -- start and stop

    def start(self, timeout: float = 90.0) -> None:
        """Start Redis and wait for it; start the replicas, wait until each is healthy; then start the proxy."""
        self.redis_child.start()
        self.redis.wait(self.redis_child.proc)
        for child in self.replicas:
            child.start()
        deadline = time.monotonic() + timeout
        for child in self.replicas:
            while not healthy(f"http://127.0.0.1:{child.port}"):
                if child.proc.poll() is not None:
                    raise RuntimeError(f"replica {child.name} exited with code {child.proc.returncode} "
                                       f"at start (see {child.logfile})")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"replica {child.name} did not answer within {timeout:.0f} s")
                time.sleep(0.3)
        self.socket.unlink(missing_ok=True)
        self.proxy.start()
        while not self._all_up():
            if self.proxy.proc.poll() is not None:
                raise RuntimeError(f"haproxy exited at start (port {self.port} taken?): see {self.proxy.logfile}")
            if time.monotonic() > deadline:
                raise RuntimeError("the proxy did not see every replica healthy in time")
            time.sleep(0.2)
        self.write_status()

    def _all_up(self) -> bool:
        try:
            self.states = proxy_states(self.socket)
        except OSError:
            return False
        return len(self.states) == len(self.replicas) and all(s == "UP" for s in self.states.values())

    def stop(self) -> None:
        """The proxy first (no new requests), then the replicas, then Redis (its data goes with it).

        SIGKILL for any still there after 10 s.
        """
        self.stopping = True
        self.proxy.stop()
        for child in self.replicas:
            child.stop()
        deadline = time.monotonic() + 10
        for child in [self.proxy, *self.replicas]:
            child.wait(deadline)
        self.redis_child.stop()
        self.redis_child.wait(time.monotonic() + 10)
        self.redis.remove_files()
        self.socket.unlink(missing_ok=True)
        self.write_status()

    # -- supervision

    def tick(self) -> None:
        """One round: restart what exited, note the proxy's view of each replica, write room.json."""
        for child in [self.redis_child, *self.replicas, self.proxy]:
            child.check(self.stopping)
        for child in self.replicas:
            if child.exited:  # take it out now; its health checks bring it back once it answers again
                child.exited = False
                try:
                    proxy_command(self.socket, f"set server replicas/{child.name} health down")
                    log(f"proxy: {child.name} taken out (its process exited)")
                except OSError:
                    pass  # the proxy is not up (yet): its checks will find out
        try:
            states = proxy_states(self.socket, timeout=1.0)
        except OSError:
            states = {}
        for name, status in states.items():
            old = self.states.get(name)
            if old is not None and old.split()[0] != status.split()[0]:
                log(f"proxy: {name} {old} -> {status}")
        self.states = states or self.states
        self.write_status()

    def status(self) -> dict:
        def alive(c):
            return c.proc is not None and c.proc.poll() is None

        return {
            "url": self.url, "port": self.port, "state": str(self.state), "upload_cap_mb": self.cap_mb,
            "stopped": self.stopping,
            "proxy": {"pid": self.proxy.proc.pid if alive(self.proxy) else None, "socket": str(self.socket)},
            "redis": {"pid": self.redis_child.proc.pid if alive(self.redis_child) else None,
                      "port": self.redis.port, "restarts": self.redis_child.restarts},
            "replicas": [{"name": c.name, "port": c.port, "pid": c.proc.pid if alive(c) else None,
                          "restarts": c.restarts, "peak_rss_mb": round(c.peak_rss),
                          "proxy_state": self.states.get(c.name)} for c in self.replicas],
        }

    def write_status(self) -> None:
        path = self.state / "room.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.status(), indent=2))
        tmp.replace(path)

    def run(self, command: list[str] | None = None, warm: bool = False) -> int:
        """Start, supervise until Ctrl-C / SIGTERM (or until ``command`` exits), stop. Returns an exit code."""
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGINT, _interrupt)  # also when started in the background, where it is ignored
        code, job = 0, None
        try:
            log(f"starting {len(self.replicas)} replicas and the proxy (state and logs in {self.state})")
            self.start()
            ports = ", ".join(f"{c.name} 127.0.0.1:{c.port}" for c in self.replicas)
            log(f"ready: {self.url} (listening on {self.address}:{self.port}; {ports}; the room's store "
                f"127.0.0.1:{self.redis.port}); Ctrl-C stops the room and deletes its data")
            log(f"instructor (the Room page; keep this link to yourself): {self.url}/room?key={self.instructor_key}")
            if warm:
                warm_up(self)
            if command:
                job = subprocess.Popen([a.replace("{url}", self.url) for a in command], cwd=ROOT)
            while True:
                self.tick()
                if job is not None and job.poll() is not None:
                    code = job.returncode
                    break
                time.sleep(0.5)
        except KeyboardInterrupt:
            log("stopping")
            code = 130 if command else 0
        except RuntimeError as err:
            log(f"failed: {err}")
            code = 1
        finally:
            if job is not None and job.poll() is None:
                job.terminate()
                job.wait()
            self.stop()
            log("stopped")
        return code


def instructor_key() -> str:
    """The room's instructor key (``patchlab.room.instructor``: run/instructor_key or PATCHLAB_INSTRUCTOR_KEY)."""
    try:
        from patchlab.room.instructor import instructor_key as key
    except ImportError:  # run with a Python that has not installed the package
        sys.path.insert(0, str(ROOT / "src"))
        from patchlab.room.instructor import instructor_key as key
    return key()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def warm_up(room: Room, page: str = "inpainting", timeout_s: float = 120.0) -> None:
    """Open ``page`` once on every replica (directly, not through the proxy) so each has loaded its models.

    Without it, the first participant the proxy sends to a replica waits for TensorFlow
    to load there. Needs Playwright and Chromium (the test environment).
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        log("warm-up skipped: Playwright is not installed")
        return
    chromium = os.environ.get("PATCHLAB_CHROMIUM", "/usr/bin/chromium")
    running = '[data-testid="stStatusWidgetRunningIcon"], [data-testid="stSkeleton"]'
    t0 = time.monotonic()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--headless=new"])
        pages = []
        for child in room.replicas:
            pg = browser.new_page()
            pg.goto(f"http://127.0.0.1:{child.port}/{page}")
            pages.append(pg)
        for pg in pages:
            pg.wait_for_selector('[data-testid="stApp"] h1', timeout=timeout_s * 1000)
            quiet = None
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                if pg.locator(running).count():
                    quiet = None
                elif (quiet := quiet or time.monotonic()) and time.monotonic() - quiet > 1.0:
                    break
                pg.wait_for_timeout(200)
        browser.close()
    log(f"warmed up every replica's {page} page in {time.monotonic() - t0:.0f} s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, default=2, help="app processes (default 2)")
    parser.add_argument("--port", type=int, default=8501, help="the proxy's port (0: a free one)")
    parser.add_argument("--address", default="0.0.0.0", help="the proxy's address (default: every interface)")
    parser.add_argument("--state", type=Path, default=DEFAULT_STATE, help="state folder (config, secret, logs)")
    parser.add_argument("--warm", action="store_true", help="open the Inpainting page on every replica first")
    parser.add_argument("command", nargs=argparse.REMAINDER,
                        help="after --: a command to run once the room is ready ({url} is replaced); "
                             "the room stops when it exits, with its exit code")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    try:
        room = Room(args.replicas, args.port, args.address, args.state)
    except (RuntimeError, ValueError) as err:
        print(f"room: {err}", file=sys.stderr)
        return 2
    return room.run(command or None, warm=args.warm)


if __name__ == "__main__":
    sys.exit(main())
