"""Shared helpers of the benchmark scripts: interleaved timing, environment header, tables.

Not a test module (pytest ignores tests/benchmarks). Every script imports it as ``_harness``,
which works because ``python tests/benchmarks/<name>.py`` puts this folder on ``sys.path``.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
import timeit
from collections.abc import Callable

Case = Callable[[], object] | tuple[str, dict]

THREADS = 1
# ``--cpu-time`` times with the process CPU clock instead of the wall clock: on a shared
# machine (other processes on the two cores) it does not count time spent descheduled.
CLOCK = time.process_time if "--cpu-time" in sys.argv else time.perf_counter
CLOCK_NAME = "process CPU time (--cpu-time)" if "--cpu-time" in sys.argv else "wall clock"


def setup_threads(default: int = 1) -> int:
    """Pin every library to ``--threads N`` threads (default 1); call before importing numpy.

    One thread is the default because this is a 2-core machine shared with other work: a
    2-thread OpenMP pool (PyTorch) whose second core is busy waits for it and turns a 30 µs
    add into milliseconds. One thread everywhere also makes the libraries comparable.
    OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are left as they are (they are only reported).
    """
    global THREADS
    n = default
    if "--threads" in sys.argv:
        n = int(sys.argv[sys.argv.index("--threads") + 1])
    THREADS = n
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    if n == 1:
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false "
                                   "intra_op_parallelism_threads=1").strip()
    return n


def setup_torch(torch) -> None:
    torch.set_num_threads(THREADS)


def _timer(case: Case) -> timeit.Timer:
    # A string statement avoids the extra Python call of a lambda: that call (~40 ns) is as
    # large as NumPy's whole overhead on an 8-element add.
    if isinstance(case, tuple):
        stmt, env = case
        return timeit.Timer(stmt, globals=env, timer=CLOCK)
    return timeit.Timer(case, timer=CLOCK)


def calibrate(timer: timeit.Timer, target_s: float) -> int:
    """Loop count that makes one sample last about ``target_s``."""
    number = 1
    while True:
        t = timer.timeit(number)
        if t >= target_s / 4 or number >= 1 << 24:
            return max(1, int(number * target_s / max(t, 1e-9)))
        number *= 4


def interleaved(cases: dict[str, Case], *, rounds: int, target_s: float = 0.01,
                warmup: int = 3, stat=statistics.median) -> dict[str, float]:
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
    return {name: stat(s) for name, s in samples.items()}


def interleaved_calls(cases: dict[str, Callable[[], object]], *, rounds: int) -> dict:
    """Median seconds of one call of each (slow) case, round-robin, one call per round.

    As in ``timeit``, the garbage collector is off during a call (a full collection, which
    the objects of torch and jax make slow, would land on whichever case triggered it); it
    runs once between rounds.
    """
    import gc

    for fn in cases.values():
        fn()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    enabled = gc.isenabled()
    try:
        for r in range(rounds):
            gc.collect()
            k = r % len(names)
            for name in names[k:] + names[:k]:
                gc.disable()
                t0 = CLOCK()
                cases[name]()
                samples[name].append(CLOCK() - t0)
                gc.enable()
    finally:
        if enabled:
            gc.enable()
    return {name: statistics.median(s) for name, s in samples.items()}


def versions() -> dict[str, str]:
    """Installed versions, read from package metadata (importing torch or jax takes seconds)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for dist in ("numpy", "tensorlib", "torch", "jax", "jaxlib", "autograd"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "missing"
    return out


def tensorlib_revision() -> str:
    """The tensorlib checkout's commit, with the count of modified files under the library."""
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
        rev = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--",
                                "tensorlib", "backends"],
                               capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    n = len(dirty.splitlines())
    return f"{rev}" + (f" + {n} modified/new library files" if n else "")


def header(title: str) -> None:
    print(f"== {title} ==")
    print("  " + "  ".join(f"{k} {v}" for k, v in versions().items()))
    print(f"  tensorlib checkout: {tensorlib_revision()}")
    blas = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    shown = ", ".join(f"{k}={v}" if v is not None else f"{k} unset" for k, v in blas.items())
    print(f"  {platform.machine()}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f}; threads per library: {THREADS} (--threads N); "
          f"clock: {CLOCK_NAME}")
    print(f"  {shown} (left as found)")
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
                         for i, (c, w) in enumerate(zip(r, widths, strict=True)))

    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))
    sys.stdout.flush()


def ratio(x: float | None, ref: float | None) -> str:
    if x is None or ref is None or ref == 0:
        return "-"
    return f"{x / ref:.2f}x"
