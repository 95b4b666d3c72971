"""How often one participant may write to the room: a token bucket per participant.

A participant starts with :data:`BURST` tokens; each write takes one, and
tokens come back at :data:`RATE` per second up to the burst. A write with no
token left is refused at once (not queued): a browser that floods the room
gets sentences back, and the room keeps its pace for everyone else.

The buckets live in the server process that serves the participant (a
participant's browser stays on one replica in ``make room``), so they cost
no round trip to Redis.
"""

from __future__ import annotations

import threading
import time

__all__ = ["BURST", "RATE", "RateLimiter"]

#: Writes a participant can make at once.
BURST = 20
#: Writes per second a participant gets back after a burst.
RATE = 2.0


class RateLimiter:
    """Token buckets, one per key (a participant), thread-safe.

    Parameters
    ----------
    burst : int
        Tokens a bucket holds (and starts with).
    rate : float
        Tokens per second a bucket gets back.

    Examples
    --------
    >>> limit = RateLimiter(burst=2, rate=1.0)
    >>> [limit.allow("ana", now=0.0) for _ in range(3)]
    [True, True, False]
    >>> limit.allow("ana", now=1.0)
    True
    """

    def __init__(self, burst: int = BURST, rate: float = RATE):
        if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
            raise ValueError(f"burst must be a positive int, got {burst!r}")
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not rate > 0:
            raise ValueError(f"rate must be a positive number, got {rate!r}")
        self.burst, self.rate = burst, float(rate)
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when counted)

    def allow(self, key: str, now: float | None = None) -> bool:
        """Take a token from ``key``'s bucket; return whether there was one."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, then = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + max(0.0, now - then) * self.rate)
            allowed = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
            if len(self._buckets) > 10_000:  # forget the buckets that are full again
                full = self.burst / self.rate
                self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full}
            return allowed

    def wait_s(self, key: str, now: float | None = None) -> float:
        """Seconds until ``key`` has a token again (0 when it has one now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, then = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + max(0.0, now - then) * self.rate)
        return max(0.0, (1.0 - tokens) / self.rate)
