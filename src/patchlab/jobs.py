"""Background jobs for one server shared by a room: a queue, progress, stop, bounded memory.

Training a model takes seconds to minutes; a Streamlit script run must not
wait for it (a rerun or a click elsewhere would cancel it, and the page
would freeze). A :class:`JobRunner` runs such work in background threads of
the server process instead, one job at a time by default, and keeps what
the pages need to poll:

- ``submit(owner, name, fn)`` queues ``fn(progress, should_stop) -> result``;
  the job reports progress with ``progress(dict)`` (kept, thread-safe and
  bounded, in :attr:`Job.events`) and returns early when ``should_stop()``
  says so, keeping what it has so far;
- a **server-wide queue**: at most ``slots`` jobs run at once
  (``PATCHLAB_TRAIN_SLOTS``, default 1); the others wait in arrival order and
  know their place (:attr:`Job.place`);
- **one job per owner and demo**: a second submit while the first is queued
  or running raises :class:`JobRefused` with a message for the page (Train
  pressed twice, a second tab of the same participant);
- **bounded memory**: each owner keeps one finished result per demo (a new
  one replaces the old when it arrives), and the results that hold a model
  are kept server-wide up to a memory budget (``PATCHLAB_TRAIN_KEEP_MB``,
  default :data:`DEFAULT_KEEP_MB` MB), each counted by its real size
  (:func:`result_nbytes`: the model's weights and optimizer state, and the
  arrays and bytes its result holds); beyond that the least recently used
  are dropped and their owners get a notice (:attr:`Job.notice`);
- **errors** never reach a page as a traceback: :attr:`Job.error` is a
  sentence (the traceback goes to the server log);
- **clean-up**: :meth:`JobRunner.cleanup` stops and forgets an owner's
  jobs; :meth:`JobRunner.expire` does it for every owner not seen alive for
  a grace period, and :meth:`JobRunner.start_janitor` calls it regularly
  with a liveness test the caller provides (``patchlab.ui.jobs`` asks
  Streamlit which sessions are still connected).

- **interactive work first**: jobs share the server's cores (and
  TensorFlow's one intra-op thread pool, see ``docs/training.md``) with
  every participant's clicks. Wrap a participant's short computation in
  ``with interactive():`` and a job that calls :func:`pause_for_interactive`
  between its steps waits (up to a second at a time) until no such
  computation is in progress.

No Streamlit here: the inpainting's domain training can use it unchanged.

>>> runner = JobRunner(slots=1)
>>> job = runner.submit("ana", "count", lambda progress, should_stop: sum(range(10)))
>>> job.wait(5) and (job.status, job.result)
('done', 45)
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
import os
import threading
import time
from collections import deque
from contextlib import contextmanager
from typing import Callable, Iterable

from patchlab.i18n import _, current_language, speaking

__all__ = ["Job", "JobRunner", "JobRefused", "JobError", "STATUSES", "FINISHED", "default_slots", "default_keep_mb",
           "DEFAULT_KEEP_MB", "result_nbytes", "interactive", "pause_for_interactive", "budget_label",
           "overrides_from_env"]

LOG = logging.getLogger(__name__)

#: A job's life: ``queued`` -> ``running`` -> one of ``done``, ``stopped`` (Stop pressed:
#: it kept what it had) or ``failed`` (see :attr:`Job.error`). A job stopped while still
#: queued goes straight to ``stopped`` without running.
STATUSES = ("queued", "running", "done", "stopped", "failed")
FINISHED = ("done", "stopped", "failed")


class JobRefused(ValueError):
    """A job was not queued; the message says why, for the page."""


class JobError(RuntimeError):
    """Raised inside a job for a failure its message explains to a participant.

    Any other exception becomes a generic sentence (its traceback goes to the log).
    """


def _env_int(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value >= 1 else default


def default_slots() -> int:
    """Jobs that run at once: ``PATCHLAB_TRAIN_SLOTS``, else 1."""
    return _env_int("PATCHLAB_TRAIN_SLOTS", 1)


#: The memory budget of the kept models, in MB (10**6 bytes): 100 classifiers of the Train page counted
#: with their Download files (about 1.7 MB each, docs/reliability.md) and a few domain models (about 16 MB each).
DEFAULT_KEEP_MB = 300


def default_keep_mb() -> float:
    """The memory budget of the kept models in MB: ``PATCHLAB_TRAIN_KEEP_MB``, else :data:`DEFAULT_KEEP_MB`."""
    try:
        value = float(os.environ.get("PATCHLAB_TRAIN_KEEP_MB", ""))
    except ValueError:
        return float(DEFAULT_KEEP_MB)
    return value if math.isfinite(value) and value > 0 else float(DEFAULT_KEEP_MB)


def _is_model(obj) -> bool:
    """A Keras (or TensorFlow) model: its weights are counted, its internals are not walked."""
    return type(obj).__module__.split(".")[0] in ("keras", "tensorflow", "tf_keras") and hasattr(obj, "weights")


def _itemsize(dtype) -> int:
    import numpy as np

    for name in (dtype, getattr(dtype, "name", None), str(dtype)):
        try:
            return np.dtype(name).itemsize
        except TypeError:
            continue
    return 4


def _model_nbytes(model) -> int:
    variables = list(getattr(model, "weights", ()))
    optimizer = getattr(model, "optimizer", None)
    variables += list(getattr(optimizer, "variables", ()) or ())
    seen, total = set(), 0
    for v in variables:
        if id(v) not in seen:
            seen.add(id(v))
            total += math.prod(int(d) for d in v.shape) * _itemsize(v.dtype)
    return total


def result_nbytes(result) -> int:
    """The memory a finished job's result holds, in bytes, as the runner counts it against its budget.

    Counted: a Keras model's weights and optimizer state (not its Python
    objects or traced functions), numpy arrays (``nbytes``), ``bytes`` and
    ``str`` (their length). Walked: dicts, lists, tuples, sets, dataclasses
    and PatchLab's own objects; anything else (functions, locks, other
    libraries' objects) counts nothing. An object reached twice counts once.

    Parameters
    ----------
    result : object
        What a job returned (e.g. a ``LiveModel`` or a ``DomainModel``).

    Returns
    -------
    int
        Bytes.

    Examples
    --------
    >>> import numpy as np
    >>> result_nbytes({"weights": np.zeros((100, 10), np.float32), "file": b"x" * 500, "steps": 3})  # keys too
    4516
    """
    import numpy as np

    total, seen, stack = 0, set(), [result]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or obj is None or isinstance(obj, (bool, int, float, complex)):
            continue
        seen.add(id(obj))
        if isinstance(obj, (bytes, bytearray, str)):
            total += len(obj)
        elif isinstance(obj, (np.ndarray, memoryview)):
            total += obj.nbytes
        elif _is_model(obj):
            total += _model_nbytes(obj)
        elif isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset, deque)):
            stack.extend(obj)
        elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            stack.extend(getattr(obj, f.name, None) for f in dataclasses.fields(obj))
        elif type(obj).__module__.split(".")[0] == "patchlab" and hasattr(obj, "__dict__"):
            stack.extend(vars(obj).values())
    return total


class Job:
    """One piece of background work, as its owner's page sees it.

    Read its state through the properties (each takes the job's lock); the
    runner and the job's own thread change it.
    """

    def __init__(self, runner: "JobRunner", job_id: int, owner: str, demo: str, name: str, fn: Callable,
                 keeps_model: bool, max_events: int, meta: dict | None = None):
        self.id = job_id
        self.meta = dict(meta or {})  # what the submitter wants to read back (e.g. the request)
        self.owner = owner
        self.demo = demo
        self.name = name
        self.keeps_model = keeps_model
        self.language = current_language()  # the job's messages speak its owner's language (docs/i18n.md)
        self.submitted = time.time()
        self._runner = runner
        self._fn = fn
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._finished = threading.Event()
        self._status = "queued"
        self._events: deque = deque(maxlen=max_events)
        self._n_events = 0
        self._result = None
        self._error: str | None = None
        self._notice: str | None = None
        self.nbytes = 0  # what its kept result counts against the runner's budget (result_nbytes)
        self.started: float | None = None
        self.ended: float | None = None
        self.last_used = self.submitted

    # ---------------------------------------------------------------- what a page reads

    @property
    def status(self) -> str:
        """One of :data:`STATUSES`."""
        with self._lock:
            return self._status

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def place(self) -> int:
        """Place in the queue (1 = next to start) while queued; 0 otherwise."""
        return self._runner._place(self)

    @property
    def result(self):
        """What the job returned (None until it finished, on failure, or once dropped)."""
        with self._lock:
            return self._result

    @property
    def error(self) -> str | None:
        """Why the job failed, as a sentence for the page (never a traceback)."""
        with self._lock:
            return self._error

    @property
    def notice(self) -> str | None:
        """A message for the owner about what happened to the job since (e.g. its model was dropped)."""
        with self._lock:
            return self._notice

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def n_events(self) -> int:
        """How many progress events the job has reported in all (older ones may be dropped)."""
        with self._lock:
            return self._n_events

    def events(self, since: int = 0) -> list:
        """Progress events numbered ``since`` and later that are still kept, oldest first.

        At most ``max_events`` (of the runner) are kept; older ones are dropped.
        """
        with self._lock:
            first = self._n_events - len(self._events)
            return list(self._events)[max(since - first, 0):]

    @property
    def latest(self) -> dict | None:
        """The last progress event, or None."""
        with self._lock:
            return self._events[-1] if self._events else None

    def elapsed(self, now: float | None = None) -> float:
        """Seconds since the job started running (0 while queued)."""
        if self.started is None:
            return 0.0
        return (self.ended or (now or time.time())) - self.started

    def touch(self) -> None:
        """Mark the job's result as just used (the least recently used is dropped first)."""
        self.last_used = time.time()

    def stop(self) -> bool:
        """Ask the job to stop. Idempotent: returns True only the first time it changes anything.

        A running job finishes its current step and ends as ``stopped``,
        keeping what it returns; a queued job never starts.
        """
        if self.finished or self._stop.is_set():
            return False
        self._stop.set()
        self._runner._stopped_while_queued(self)
        return True

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has finished; returns whether it did within ``timeout`` seconds."""
        return self._finished.wait(timeout)

    # ---------------------------------------------------------------- for the runner and the job

    def _progress(self, data: dict) -> None:
        if not isinstance(data, dict):
            data = {"value": data}
        with self._lock:
            self._events.append(dict(data))
            self._n_events += 1

    def _set(self, status: str, *, result=None, error: str | None = None, signal: bool = True) -> None:
        with self._lock:
            self._status = status
            self._result = result
            self._error = error
            if status in FINISHED:
                self.ended = time.time()
                self._fn = None  # the closure may hold data; nothing runs it again
        if status in FINISHED and signal:
            self._finished.set()

    def _drop(self, notice: str | None) -> None:
        """Forget the result (and the closure), keep the record; say why to the owner."""
        with self._lock:
            self._result = None
            self._fn = None
            if notice:
                self._notice = notice

    def __repr__(self) -> str:
        return f"Job({self.id}, owner={self.owner!r}, demo={self.demo!r}, name={self.name!r}, {self.status})"


class JobRunner:
    """A server-wide queue of background jobs (see the module docstring).

    Parameters
    ----------
    slots : int, optional
        Jobs that run at once (default :func:`default_slots`: 1).
    keep_mb : float, optional
        The memory budget of the finished results holding a model, kept
        server-wide, in MB (default :func:`default_keep_mb`). The attribute
        :attr:`keep_bytes` holds it in bytes.
    max_events : int, optional
        Progress events kept per job (older ones are dropped).
    """

    def __init__(self, slots: int | None = None, keep_mb: float | None = None, max_events: int = 5000):
        slots = default_slots() if slots is None else slots
        keep_mb = default_keep_mb() if keep_mb is None else keep_mb
        for name, value in (("slots", slots), ("max_events", max_events)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if isinstance(keep_mb, bool) or not isinstance(keep_mb, (int, float)) or not 0 < keep_mb < math.inf:
            raise ValueError(f"keep_mb must be a positive number of MB, got {keep_mb!r}")
        self.slots, self.max_events = slots, max_events
        self.keep_bytes = int(keep_mb * 1e6)
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self._pending: deque[Job] = deque()
        self._running: set[Job] = set()
        self._jobs: list[Job] = []  # every job not yet forgotten, in submission order
        self._workers = 0
        self._last_seen: dict[str, float] = {}
        self._janitor: threading.Thread | None = None
        self._closing = threading.Event()

    # ---------------------------------------------------------------- submitting and finding jobs

    def submit(self, owner: str, name: str, fn: Callable, *, demo: str = "default",
               keeps_model: bool = True, meta: dict | None = None) -> Job:
        """Queue ``fn(progress, should_stop)`` for ``owner``; return its :class:`Job`.

        Parameters
        ----------
        owner : str
            Who the job is for (a participant); also what :meth:`cleanup` forgets.
        name : str
            What it is, for the queue's display ("train p=18").
        fn : callable
            ``fn(progress, should_stop) -> result``. ``progress(dict)`` records
            an event; ``should_stop()`` becomes True when Stop was pressed
            (then return what you have). Raise :class:`JobError` for a
            failure the participant should read.
        demo : str
            Jobs of one owner in one demo are exclusive: one at a time, one result kept.
        keeps_model : bool
            Whether the result counts against the server-wide memory budget (:attr:`keep_bytes`).
        meta : dict, optional
            Anything the page wants to read back from the job (:attr:`Job.meta`).

        Raises
        ------
        JobRefused
            The owner already has a job of this demo queued or running.
        ValueError
            For a bad argument.
        """
        if not isinstance(owner, str) or not owner:
            raise ValueError(f"owner must be a non-empty string, got {owner!r}")
        if not callable(fn):
            raise ValueError(f"fn must be callable, got {type(fn).__name__}")
        with self._cond:
            if self._closing.is_set():
                raise JobRefused(_("The server is shutting down; no new jobs are started."))
            for job in self._jobs:
                if job.owner == owner and job.demo == demo and not job.finished:
                    what = (_("running") if job.status == "running"
                            else _("waiting in the queue (place {place})").format(place=self._place_locked(job)))
                    raise JobRefused(_("You already have “{name}” {what}. Stop it or wait for it "
                                     "to finish before starting another (one at a time per participant, "
                                     "also across browser tabs).").format(name=job.name, what=what))
            for old in [j for j in self._jobs if j.owner == owner and j.demo == demo and j.result is None]:
                self._jobs.remove(old)  # finished without a result: only its record would pile up
            job = Job(self, next(self._ids), owner, demo, str(name), fn, keeps_model, self.max_events, meta)
            self._jobs.append(job)
            self._pending.append(job)
            self._last_seen[owner] = time.time()
            self._start_workers_locked()
        return job

    def jobs(self, owner: str | None = None, demo: str | None = None) -> list[Job]:
        """Jobs not yet forgotten, oldest first, optionally of one owner and/or demo."""
        with self._cond:
            return [j for j in self._jobs if (owner is None or j.owner == owner) and (demo is None or j.demo == demo)]

    def latest(self, owner: str, demo: str = "default") -> Job | None:
        """The owner's most recent job of ``demo``, or None."""
        found = self.jobs(owner, demo)
        return found[-1] if found else None

    def queue(self) -> list[Job]:
        """Running jobs, then queued ones in the order they will start."""
        with self._cond:
            return sorted(self._running, key=lambda j: j.id) + list(self._pending)

    def kept_models(self) -> list[Job]:
        """Finished jobs whose result (a model) is kept, least recently used first."""
        with self._cond:
            return self._kept_locked()

    def kept_bytes(self) -> int:
        """The memory the kept models hold, in bytes, as counted against :attr:`keep_bytes`."""
        with self._cond:
            return sum(j.nbytes for j in self._kept_locked())

    # ---------------------------------------------------------------- running

    def _start_workers_locked(self) -> None:
        while self._workers < self.slots and self._workers < len(self._pending):
            self._workers += 1
            threading.Thread(target=self._work, name=f"patchlab-job-worker-{self._workers}", daemon=True).start()

    def _work(self) -> None:
        while True:
            with self._cond:
                if not self._pending:
                    self._workers -= 1
                    self._cond.notify_all()
                    return
                job = self._pending.popleft()
                self._running.add(job)
                job.started = time.time()
                job._set("running")
                self._cond.notify_all()
            try:
                self._run(job)
            finally:
                with self._cond:
                    self._running.discard(job)
                    self._cond.notify_all()

    def _run(self, job: Job) -> None:
        fn = job._fn
        should_stop = lambda: job._stop.is_set() or self._closing.is_set()  # noqa: E731
        try:
            with speaking(job.language):
                result = fn(job._progress, should_stop)
        except JobError as exc:
            job._set("failed", error=str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - a page shows a sentence, the log the traceback
            LOG.exception("job %s failed", job)
            with speaking(job.language):
                error = _("“{name}” failed ({kind}: {message}). Nothing was kept; you can try again.").format(
                    name=job.name, kind=type(exc).__name__, message=str(exc)[:200])
            job._set("failed", error=error)
            return
        # Whoever waits on the job sees it finished only once its result has replaced the
        # owner's previous one (and the server-wide budget is applied), never in between.
        job._set("stopped" if should_stop() else "done", result=result, signal=False)
        try:
            if result is not None:
                self._keep(job)
        finally:
            job._finished.set()

    def _keep(self, job: Job) -> None:
        """One result per owner and demo; models kept within ``keep_bytes`` server-wide (LRU dropped)."""
        job.touch()
        if job.keeps_model:
            try:
                job.nbytes = result_nbytes(job.result)
            except Exception:  # noqa: BLE001 - not measured: it counts nothing (and the log says why)
                LOG.exception("could not measure the result of %s", job)
                job.nbytes = 0
        with self._cond:
            if job not in self._jobs:  # cleaned up while it ran: nobody will read it
                job._drop(None)
                return
            for old in [j for j in self._jobs if j.owner == job.owner and j.demo == job.demo and j is not job
                        and j.finished]:
                old._drop(None)  # replaced by the new result
                self._jobs.remove(old)
            kept = self._kept_locked()
            total = sum(j.nbytes for j in kept)
            # the least recently used go first; the new one stays even alone over the budget
            for old in [j for j in kept if j is not job]:
                if total <= self.keep_bytes:
                    break
                total -= old.nbytes
                with speaking(old.language):
                    old._drop(_("Your model from “{name}” was removed to make room: the server keeps trained "
                                "models up to {mb} MB in all (PATCHLAB_TRAIN_KEEP_MB), and yours was the least "
                                "recently used. Train again to get one back.").format(
                        name=old.name, mb=f"{self.keep_bytes / 1e6:.0f}"))
            self._cond.notify_all()

    def _kept_locked(self) -> list[Job]:
        return sorted((j for j in self._jobs if j.keeps_model and j.finished and j.result is not None),
                      key=lambda j: j.last_used)

    def _place(self, job: Job) -> int:
        with self._cond:
            return self._place_locked(job)

    def _place_locked(self, job: Job) -> int:
        try:
            return self._pending.index(job) + 1
        except ValueError:
            return 0

    def _stopped_while_queued(self, job: Job) -> None:
        with self._cond:
            if job in self._pending:
                self._pending.remove(job)
                job._set("stopped")
                self._cond.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no job is queued or running; returns whether that happened in time."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._pending or self._running:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left if left is not None else 1.0)
        return True

    # ---------------------------------------------------------------- clean-up

    def cleanup(self, owner: str, wait_s: float = 0.0) -> int:
        """Stop ``owner``'s jobs and forget them (results included); return how many were forgotten.

        A running job is asked to stop and is forgotten at once (its thread
        ends after its current step; its result is dropped). ``wait_s``
        waits that long for running jobs to end.
        """
        with self._cond:
            mine = [j for j in self._jobs if j.owner == owner]
            for job in mine:
                self._jobs.remove(job)
            self._last_seen.pop(owner, None)
        for job in mine:
            job.stop()
            job._drop(None)
        if wait_s:
            deadline = time.monotonic() + wait_s
            for job in mine:
                job.wait(max(0.0, deadline - time.monotonic()))
                job._drop(None)  # a result that arrived meanwhile
        _release_memory()
        return len(mine)

    def seen(self, owners: Iterable[str]) -> None:
        """Note that these owners are alive now (see :meth:`expire`)."""
        now = time.time()
        with self._cond:
            for owner in owners:
                self._last_seen[owner] = now

    def owners(self) -> list[str]:
        """Owners that have jobs."""
        with self._cond:
            return sorted({j.owner for j in self._jobs})

    def expire(self, alive: Callable[[str], bool], grace_s: float = 30.0) -> list[str]:
        """Clean up every owner for whom ``alive(owner)`` has been False for ``grace_s`` seconds.

        Returns the owners cleaned up. The grace period lets a participant
        reload the page (briefly no session) without losing their job.
        """
        now = time.time()
        gone = []
        for owner in self.owners():
            try:
                is_alive = bool(alive(owner))
            except Exception:  # noqa: BLE001 - a liveness test that fails keeps the owner
                LOG.exception("liveness test failed for %s", owner)
                is_alive = True
            with self._cond:
                if is_alive:
                    self._last_seen[owner] = now
                    continue
                last = self._last_seen.setdefault(owner, now)
            if now - last >= grace_s:
                self.cleanup(owner)
                gone.append(owner)
        return gone

    def start_janitor(self, alive: Callable[[str], bool], every_s: float = 10.0, grace_s: float = 30.0) -> bool:
        """Call :meth:`expire` every ``every_s`` seconds in a daemon thread (once; later calls do nothing).

        Returns True if this call started it.
        """
        with self._cond:
            if self._janitor is not None:
                return False

            def loop():
                while not self._closing.wait(every_s):
                    try:
                        self.expire(alive, grace_s)
                    except Exception:  # noqa: BLE001 - the janitor must keep going
                        LOG.exception("job janitor")

            self._janitor = threading.Thread(target=loop, name="patchlab-job-janitor", daemon=True)
            self._janitor.start()
            return True

    def shutdown(self, wait_s: float = 5.0) -> None:
        """Stop every job and the janitor; refuse new jobs."""
        self._closing.set()
        for owner in self.owners():
            self.cleanup(owner)
        self.wait_idle(wait_s)


_interactive = 0
_interactive_cond = threading.Condition()


def budget_label(seconds: float, budgets: dict) -> str:
    """``seconds`` as the page's label for it (a key of ``budgets``: label -> seconds), else "N s"."""
    for label, value in budgets.items():
        if value == seconds:
            return label
    return f"{seconds:g} s"


def overrides_from_env(request, scored_on: str, environ=None):
    """Apply the test and demonstration overrides to a training request; return it and a note for the page.

    ``request`` is a dataclass with ``steps`` and ``seconds`` fields (a
    classifier's or an inpainter's request). ``PATCHLAB_TRAIN_STEPS=N``:
    every run takes exactly N steps and is scored on ``scored_on`` only
    (AppTest, browser tests, a very slow machine). ``PATCHLAB_TRAIN_SECONDS=S``
    replaces the chosen budget (tests of a budget that ends before the first
    step). A value that is not a number is ignored. The note is None when
    nothing was overridden.
    """
    from dataclasses import replace

    environ = os.environ if environ is None else environ
    notes = []
    steps = environ.get("PATCHLAB_TRAIN_STEPS", "").strip()
    if steps:
        try:
            request = replace(request, steps=int(steps))
            notes.append(_("Short runs for testing: each run takes {steps} step(s) and is scored on "
                           "{scored_on} (PATCHLAB_TRAIN_STEPS={steps}).").format(steps=int(steps), scored_on=scored_on))
        except ValueError:
            pass
    seconds = environ.get("PATCHLAB_TRAIN_SECONDS", "").strip()
    if seconds:
        try:
            request = replace(request, seconds=float(seconds))
            notes.append(_("The time budget is {seconds} s (PATCHLAB_TRAIN_SECONDS).").format(seconds=f"{float(seconds):g}"))
        except ValueError:
            pass
    return request, " ".join(notes) or None


@contextmanager
def interactive():
    """Mark a participant's short computation (a prediction, a fill) as in progress.

    Background jobs that call :func:`pause_for_interactive` between steps
    hold back while any such block runs, so a click is answered at the
    speed of an idle server, not shared with a training run.
    """
    global _interactive
    with _interactive_cond:
        _interactive += 1
    try:
        yield
    finally:
        with _interactive_cond:
            _interactive -= 1
            _interactive_cond.notify_all()


def pause_for_interactive(max_wait_s: float = 1.0) -> float:
    """Wait while interactive work is in progress, at most ``max_wait_s``; return the seconds waited.

    The limit keeps a job moving even when participants click without pause.
    """
    began = time.perf_counter()
    deadline = began + max_wait_s
    with _interactive_cond:
        while _interactive > 0:
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            _interactive_cond.wait(left)
    return time.perf_counter() - began


def _release_memory() -> None:
    """Collect the dropped results (models hold reference cycles) and give free pages back."""
    import gc

    from patchlab.memory import release_free_memory

    gc.collect()
    release_free_memory()
