"""One background thread for the compilers: the NumPy backend's Numba loops and the XLA
backend's executables, built while calls run on a slower tier (``compile_tier``).

One worker, not a pool: a compile already uses the cores it can (XLA's is multithreaded and
releases the GIL), and a second worker would only compete with the calls it is meant to
unblock. Work still queued at interpreter exit is finished first (``ThreadPoolExecutor``
joins its worker), so a short script's background compile still fills the disk cache.
"""

from __future__ import annotations

import threading

_executor = []
_lock = threading.Lock()


def submit(fn, *args):
    """A ``concurrent.futures.Future`` of ``fn(*args)`` run on the compile thread."""
    if not _executor:
        with _lock:
            if not _executor:
                from concurrent.futures import ThreadPoolExecutor

                _executor.append(ThreadPoolExecutor(max_workers=1,
                                                    thread_name_prefix="tensorlib-compile"))
    return _executor[0].submit(fn, *args)
