"""Start and stop the real app server on loopback (tests and the load test share it)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port: int | None = None, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    """Start ``streamlit run app.py`` on loopback; return (process, base URL)."""
    port = port or _free_port()
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]
    log_path = ARTIFACTS / f"server-{port}.log" if ARTIFACTS.exists() else None
    log = open(log_path, "w") if log_path else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env={"MALLOC_ARENA_MAX": "2", **os.environ, **(env or {})})  # as `make run`
    proc.log_path = log_path
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("streamlit did not become healthy within 60 s")


def stop_app(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


#: Lines a server may log that are not the app's: TensorFlow's start-up notes on a machine without a GPU
#: (its C++ logging ignores TF_CPP_MIN_LOG_LEVEL for these; on a CPU with AVX-512 or AMX it also says that
#: oneDNN's operations are on, "... floating-point round-off errors ..."), and Streamlit's own start and stop.
HARMLESS = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "cudart_stub.cc", "cuda_platform.cc", "failed call to cuInit", "Could not find cuda drivers",
    "port.cc:153] oneDNN custom operations are on",
    "Uvicorn server started", "You can now view your Streamlit app", "URL: http", "Stopping...",
)
_TROUBLE = ("traceback", "error", "warning", "exception", "missing scriptruncontext", "deprecat")


def log_problems(text: str, secrets=()) -> list[str]:
    """The lines of a server's log an operator should not see: a stack, an error or warning that is not
    in :data:`HARMLESS`, or any of ``secrets`` (their values must never reach a log)."""
    problems = [f"a secret's value is in the log: {s[:4]}…" for s in secrets if s and s in text]
    for line in text.splitlines():
        if any(h in line for h in HARMLESS):
            continue
        if any(word in line.lower() for word in _TROUBLE):
            problems.append(line.strip()[:200])
    return problems
