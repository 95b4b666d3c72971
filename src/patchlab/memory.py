"""Keep a many-threaded server's resident memory flat (glibc's allocator).

glibc gives threads that allocate at the same time separate heaps
("arenas"), up to eight per core, and rarely hands their free pages back to
the system. Streamlit runs each participant's script in a thread of its own,
so a busy workshop can leave the server holding hundreds of megabytes of
freed-but-kept arena memory. :func:`limit_arenas` caps the number of arenas
(the same as ``MALLOC_ARENA_MAX``, which ``make run`` also sets), and
:func:`release_free_memory` returns free heap pages after a heavy computation.

Both do nothing, and return False, where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading

__all__ = ["limit_arenas", "release_free_memory"]

_M_ARENA_MAX = -8  # from glibc's malloc.h
_lock = threading.Lock()
_libc = None
_limited = False


def _glibc():
    global _libc
    if _libc is None:
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            libc.mallopt, libc.malloc_trim  # both exist only in glibc
            _libc = libc
        except (OSError, AttributeError):
            _libc = False
    return _libc


def limit_arenas(arenas=2):
    """Cap glibc's malloc arenas for this process (once; later calls are no-ops).

    Effective for arenas created afterwards, so call it early, before many
    threads allocate. Returns True when the limit is in force.
    """
    global _limited
    if int(arenas) < 1:
        raise ValueError(f"`arenas` must be at least 1, got {arenas}.")
    libc = _glibc()
    if not libc:
        return False
    with _lock:
        if not _limited:
            _limited = bool(libc.mallopt(_M_ARENA_MAX, int(arenas)))
    return _limited


def release_free_memory():
    """Give free heap pages back to the operating system (``malloc_trim``).

    Returns True if glibc released some memory.
    """
    libc = _glibc()
    if not libc:
        return False
    return bool(libc.malloc_trim(0))
