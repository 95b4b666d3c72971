"""A first-come, first-served gate in front of heavy computations.

Streamlit serves every participant from threads of one process. When twenty
people press *Fill* within a few seconds, running twenty fills at once on two
cores makes every one of them slow (and each holds its working memory at the
same time). The gate lets ``slots`` computations run and queues the rest in
arrival order, telling each waiting caller its place in the queue, so the
first in line is served first and memory stays bounded.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections import deque
from contextlib import contextmanager

__all__ = ["Gate", "default_slots"]


def default_slots():
    """Slots for this machine: ``PATCHLAB_SLOTS`` if set, else the core count, at most 2."""
    value = os.environ.get("PATCHLAB_SLOTS", "")
    try:
        slots = int(value)
    except ValueError:
        slots = 0
    return slots if slots >= 1 else max(1, min(2, os.cpu_count() or 1))


class Gate:
    """At most ``slots`` holders at once; the others wait in arrival order.

    Parameters
    ----------
    slots : int, optional
        How many callers may compute at once (default :func:`default_slots`).

    Examples
    --------
    >>> gate = Gate(slots=1)
    >>> with gate.slot():
    ...     gate.running
    1
    >>> gate.running, gate.waiting
    (0, 0)
    """

    def __init__(self, slots=None):
        slots = default_slots() if slots is None else slots
        if int(slots) != slots or slots < 1:
            raise ValueError(f"`slots` must be a positive integer, got {slots!r}.")
        self.slots = int(slots)
        self._cond = threading.Condition()
        self._queue = deque()
        self._tickets = itertools.count()
        self._running = 0

    @property
    def running(self):
        """How many callers hold a slot now."""
        with self._cond:
            return self._running

    @property
    def waiting(self):
        """How many callers are queued."""
        with self._cond:
            return len(self._queue)

    @contextmanager
    def slot(self, on_wait=None, poll_s=0.25):
        """Hold one slot for the ``with`` block, waiting in line if needed.

        Parameters
        ----------
        on_wait : callable, optional
            Called as ``on_wait(ahead)`` while waiting, with the number of
            callers that will be served first (running ones included):
            once when the caller starts waiting and again whenever that number
            changes. If it raises (for example, Streamlit stopping a script
            whose user pressed something else), the caller leaves the queue
            and the exception propagates.
        poll_s : float, optional
            The longest wait between two checks of the queue.
        """
        ticket = next(self._tickets)
        with self._cond:
            self._queue.append(ticket)
        acquired = False
        try:
            reported = None
            while True:
                with self._cond:
                    if self._queue[0] == ticket and self._running < self.slots:
                        self._queue.popleft()
                        self._running += 1
                        acquired = True
                        self._cond.notify_all()
                        break
                    ahead = self._running + self._queue.index(ticket)
                    if ahead == reported or on_wait is None:
                        self._cond.wait(poll_s)
                        continue
                reported = ahead
                on_wait(ahead)  # outside the lock: it may be slow or raise
            yield
        finally:
            with self._cond:
                if acquired:
                    self._running -= 1
                else:
                    self._queue.remove(ticket)
                self._cond.notify_all()
