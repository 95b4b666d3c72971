"""Background jobs from a Streamlit page: who the participant is, the server's runner, polling, clean-up.

- :func:`runner` is the server's one :class:`~patchlab.jobs.JobRunner`
  (``st.cache_resource``), with its janitor started.
- :func:`participant` names the participant a job belongs to: the same in
  every tab of one browser, so a second tab sees (and cannot duplicate)
  the first tab's training. It is a hash of the secret token in the
  browser's XSRF cookie, which Streamlit creates once per browser and sends
  with every session. The cookie's text is not the same in every tab:
  Streamlit writes it anew, with a fresh random mask over the same token
  (``2|mask|masked token|time``), on each health check, i.e. whenever a tab
  connects, so the token is unmasked first (:func:`browser_token`).
  Without that cookie (AppTest, XSRF protection off) it is the session id,
  i.e. one tab.
- :func:`poll` draws a function as a fragment that reruns every second
  while a job is active (``st.fragment(run_every=...)``), and once more,
  as a full rerun, when the job ends, so the rest of the page shows the
  result.

**Clean-up when a participant leaves.** Streamlit has no "session ended"
callback. Each script run records its session id under its participant
(:func:`participant`); the janitor thread of :func:`runner` asks
Streamlit's runtime every 10 s whether any of a participant's sessions is
still connected (``Runtime.instance().is_active_session``, thread-safe).
A participant with no connected session for 30 s (a reload or a short
network drop reconnects well within that) has their jobs stopped and
forgotten, models included (:meth:`~patchlab.jobs.JobRunner.expire`). When
the runtime cannot be asked (no server: AppTest, scripts) nobody is
cleaned up.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from typing import Callable

import streamlit as st

from patchlab.jobs import JobRunner

__all__ = ["runner", "participant", "browser_token", "poll", "finished", "JANITOR_EVERY_S", "GRACE_S"]

JANITOR_EVERY_S = 10.0
GRACE_S = 30.0

_sessions: dict[str, set[str]] = {}  # participant -> session ids seen
_sessions_lock = threading.Lock()
_salt = secrets.token_hex(16)  # the cookie is hashed with a per-server salt, never stored


def _runtime():
    try:
        from streamlit.runtime import Runtime

        return Runtime.instance() if Runtime.exists() else None
    except Exception:  # noqa: BLE001 - a Streamlit laid out differently: no clean-up, never a crash
        return None


def _alive(owner: str) -> bool:
    """Whether any session of ``owner`` is still connected (True when that cannot be known)."""
    rt = _runtime()
    if rt is None:
        return True
    with _sessions_lock:
        sessions = set(_sessions.get(owner, ()))
    alive = {s for s in sessions if rt.is_active_session(s)}
    with _sessions_lock:
        if alive:
            _sessions[owner] = alive | (_sessions.get(owner, set()) - sessions)
        elif owner in _sessions and _sessions[owner] <= sessions:
            del _sessions[owner]
    return bool(alive)


@st.cache_resource(show_spinner=False)
def runner() -> JobRunner:
    """The server's job runner (one per process), its janitor running."""
    jobs = JobRunner()
    jobs.start_janitor(_alive, every_s=JANITOR_EVERY_S, grace_s=GRACE_S)
    return jobs


def _session_id() -> str | None:
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    return ctx.session_id if ctx is not None else None


def browser_token(cookie: str) -> str:
    """The secret token of Streamlit's XSRF cookie, the same in every tab of one browser.

    A version-2 cookie reads ``2|<mask>|<token XOR mask>|<timestamp>`` (hex;
    the 4-byte mask repeats over the token); the mask is new each time the
    server writes the cookie, the token is not. Any other text is returned
    as it is.

    >>> browser_token("2|01020304|6060606062|1700000000") == browser_token("2|00000000|6162636463|1700000000")
    True
    """
    parts = cookie.strip("\"'").split("|")
    if len(parts) == 4 and parts[0] == "2":
        try:
            mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
        except ValueError:
            return cookie
        if mask and masked:
            return bytes(b ^ mask[i % len(mask)] for i, b in enumerate(masked)).hex()
    return cookie


def participant(record: bool = True) -> str:
    """This browser's participant id (see the module docstring).

    ``record``: note this session under the participant, so that the
    janitor knows when they have left (pages that start jobs must; a page
    that only reads a participant's results need not).
    """
    session = _session_id() or "no-session"
    try:
        cookie = st.context.cookies.get("_streamlit_xsrf")
    except Exception:  # noqa: BLE001 - no request (bare mode)
        cookie = None
    if isinstance(cookie, str) and cookie:
        secret = browser_token(cookie)
        owner = "browser-" + hashlib.blake2b((_salt + secret).encode(), digest_size=12).hexdigest()
    else:
        owner = "session-" + session
    if record:
        with _sessions_lock:
            _sessions.setdefault(owner, set()).add(session)
    return owner


def poll(active: bool, draw: Callable[[], None], every_s: float = 1.0) -> None:
    """Draw ``draw()`` in a fragment that reruns every ``every_s`` seconds while ``active``.

    Only the fragment reruns (the canvas and the rest of the page stay as
    they are). ``draw`` should call :func:`finished` when it finds its job
    finished, so the whole page is redrawn once with the result.
    """
    from patchlab.ui.language import fragment

    fragment(draw, run_every=every_s if active else None)()


def finished(key: str, job_id) -> None:
    """Rerun the whole page once when job ``job_id`` is seen finished for the first time (under ``key``)."""
    seen = f"_jobs_seen_{key}"
    if st.session_state.get(seen) != job_id:
        st.session_state[seen] = job_id
        time.sleep(0.05)
        st.rerun()
