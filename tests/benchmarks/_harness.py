"""Shared helpers of the benchmark scripts: interleaved timing, environment header, tables.

Not a test module (pytest ignores tests/benchmarks). Every script imports it as ``_harness``,
which works because ``python tests/benchmarks/<name>.py`` puts this folder on ``sys.path``.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import timeit
from collections.abc import Callable

Case = Callable[[], object] | tuple[str, dict]


def _timer(case: Case) -> timeit.Timer:
    # A string statement avoids the extra Python call of a lambda: that call (~40 ns) is as
    # large as NumPy's whole overhead on an 8-element add.
    if isinstance(case, tuple):
        stmt, env = case
        return timeit.Timer(stmt, globals=env)
    return timeit.Timer(case)


def calibrate(timer: timeit.Timer, target_s: float) -> int:
    """Loop count that makes one sample last about ``target_s``."""
    number = 1
    while True:
        t = timer.timeit(number)
        if t >= target_s / 4 or number >= 1 << 24:
            return max(1, int(number * target_s / max(t, 1e-9)))
        number *= 4


def interleaved(cases: dict[str, Case], *, rounds: int, target_s: float = 0.01,
                warmup: int = 3) -> dict[str, float]:
    """Median seconds per call of each case, measured round-robin.

    Each round runs every case once (``number`` loops calibrated per case to last about
    ``target_s``), in a rotating order, so slow drifts of the machine (frequency, the other
    core's load) hit every library alike.
    """
    timers = {name: _timer(c) for name, c in cases.items()}
    for t in timers.values():
        t.timeit(warmup)
    numbers = {name: calibrate(t, target_s) for name, t in timers.items()}
    samples: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            n = numbers[name]
            samples[name].append(timers[name].timeit(n) / n)
    return {name: statistics.median(s) for name, s in samples.items()}


def interleaved_calls(cases: dict[str, Callable[[], object]], *, rounds: int) -> dict:
    """Median seconds of one call of each (slow) case, round-robin, one call per round."""
    import gc
    import time

    for fn in cases.values():
        fn()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for r in range(rounds):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            gc.collect()
            t0 = time.perf_counter()
            cases[name]()
            samples[name].append(time.perf_counter() - t0)
    return {name: statistics.median(s) for name, s in samples.items()}


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for mod in ("numpy", "tensorlib", "torch", "jax", "autograd"):
        try:
            m = __import__(mod)
            out[mod] = getattr(m, "__version__", None) or _dist_version(mod)
        except ImportError:
            out[mod] = "missing"
    return out


def _dist_version(mod: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(mod)
    except PackageNotFoundError:
        return "?"


def header(title: str) -> None:
    print(f"== {title} ==")
    print("  " + "  ".join(f"{k} {v}" for k, v in versions().items()))
    blas = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    shown = ", ".join(f"{k}={v}" if v is not None else f"{k} unset" for k, v in blas.items())
    print(f"  {platform.machine()}, {os.cpu_count()} CPUs; {shown}")
    try:
        from threadpoolctl import threadpool_info

        for info in threadpool_info():
            if info.get("user_api") == "blas":
                print(f"  BLAS: {info.get('internal_api')} {info.get('version')} "
                      f"{info.get('architecture')} kernel, {info.get('num_threads')} threads "
                      f"({os.path.basename(info.get('filepath', ''))})")
    except ImportError:
        pass
    sys.stdout.flush()


def table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(r):
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(r, widths)))

    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))
    sys.stdout.flush()


def ratio(x: float | None, ref: float | None) -> str:
    if x is None or ref is None or ref == 0:
        return "-"
    return f"{x / ref:.2f}x"
