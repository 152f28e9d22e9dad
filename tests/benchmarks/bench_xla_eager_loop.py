"""An eager Python loop over integer indices on the XLA backend (issue #14, item 4).

Each of ``--steps`` (default 10,000) steps reads a row ``X[i]`` and an element ``X[i, j]``
with Python ints and scales by a Python float: ``acc = acc + X[i] * (1 / (i + 1))`` and
``t = t + X[i, i % d]``. Every ``i`` is new, so an eager kernel keyed by the slice's start
would compile one executable per step; tensorlib passes the starts (and Python scalars) as
runtime arguments, so the loop needs a fixed handful of executables.

Printed for tensorlib on XLA (``with tl.backend("xla")``, an empty executable cache in a
temporary ``TENSORLIB_CACHE_DIR``): the executables compiled and loaded (``compiler.STATS``)
by a first loop of 20 steps and by the following full loop (where an index-keyed cache
would compile one per step), the disk-cache files written, and the process RSS
(``/proc/self/statm``) before the full loop, after it, and after a second and a third loop
(memory must stay flat; the first loop fills the bounded caches of small device constants).
Then the loop's time, median of interleaved rounds, for tensorlib on XLA, tensorlib on the
NumPy backend, NumPy and JAX eager (no jit; its loop waits for the result at the end, as
tensorlib's does), with ratios against NumPy and JAX.

Run: ``python tests/benchmarks/bench_xla_eager_loop.py [--quick] [--steps N] [--threads N]``
"""

from __future__ import annotations

import os
import sys
import tempfile

import _harness as H

H.setup_threads()  # before numpy, jax and jaxlib are imported

_CACHE = tempfile.mkdtemp(prefix="tensorlib-bench-eager-loop-")
os.environ["TENSORLIB_CACHE_DIR"] = _CACHE  # an empty cache: every executable is compiled

import numpy as np  # noqa: E402

D = 16


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def loop(X, acc, t, steps, wait=None):
    for i in range(steps):
        acc = acc + X[i] * (1.0 / (i + 1))
        t = t + X[i, i % D]
    if wait is not None:
        wait(acc)
        wait(t)
    return acc, t


def cache_files() -> int:
    return sum(len(files) for _, _, files in os.walk(_CACHE))


def main(quick=False, steps=10_000):
    from tensorlib.backends.xla_backend import compiler

    import tensorlib as tl
    import tensorlib.numpy as tnp

    H.header(f"eager loop of {steps} steps with Python int indices (s per loop, median of "
             "interleaved rounds)")
    rng = np.random.default_rng(0)
    Xn = rng.standard_normal((steps, D)).astype(np.float32)
    ref = loop(Xn, np.zeros(D, np.float32), np.float32(0), steps)

    def tl_case(backend):
        with tl.backend(backend):
            X, acc0, t0 = tnp.asarray(Xn), tnp.zeros(D), tnp.asarray(0.0)

        def run():
            with tl.backend(backend):
                return loop(X, acc0, t0, steps, wait=lambda a: a.block_until_ready())
        return run

    run_xla = tl_case("xla")
    with tl.backend("xla"):  # 20 steps: the loop's executables, and XLA's compiler warms up
        first = dict(compiler.STATS)
        loop(tnp.asarray(Xn), tnp.zeros(D), tnp.asarray(0.0), 20)
        warm = {k: compiler.STATS[k] - first[k] for k in ("compiles", "disk_loads")}
    before, files, rss = dict(compiler.STATS), cache_files(), [rss_mb()]
    for _ in range(3):
        got = run_xla()
        rss.append(rss_mb())
        if len(rss) == 2:
            new = {k: compiler.STATS[k] - before[k] for k in ("compiles", "disk_loads")}
            written = cache_files() - files
    for g, r in zip(got, ref, strict=True):
        np.testing.assert_allclose(np.asarray(g), r, rtol=1e-4, atol=1e-4)
    print(f"\n  tensorlib on XLA: {warm['compiles']} executables compiled and "
          f"{warm['disk_loads']} loaded from disk by a first loop of 20 steps; then in a loop "
          f"of {steps} steps: {new['compiles']} compiled, {new['disk_loads']} loaded, "
          f"{written} disk-cache files written (target: none per step)")
    print(f"  process RSS: {rss[0]:.1f} MB before that loop, {rss[1]:.1f} MB after it "
          f"({(rss[1] - rss[0]) * 1024 / steps:.2f} KB per step: bounded caches filling), "
          f"{rss[2]:.1f} and {rss[3]:.1f} MB after a second and a third loop (target: flat)")

    cases = {"tensorlib xla": run_xla, "tensorlib numpy backend": tl_case("numpy")}
    Xnp = Xn.copy()
    cases["numpy"] = lambda: loop(Xnp, np.zeros(D, np.float32), np.float32(0), steps)
    try:
        import jax
        import jax.numpy as jnp

        Xj = jnp.asarray(Xn)
        cases["jax eager"] = lambda: loop(Xj, jnp.zeros(D, jnp.float32), jnp.float32(0), steps,
                                          wait=jax.block_until_ready)
    except ImportError as e:
        print(f"  (skipping jax: {e})")
    for name, fn in cases.items():
        for g, r in zip(fn(), ref, strict=True):
            if not np.allclose(np.asarray(g), r, rtol=1e-4, atol=1e-4):
                raise SystemExit(f"{name} disagrees with numpy")
    res = H.interleaved_calls(cases, rounds=3 if quick else 7)
    print()
    np_t, jax_t = res["numpy"], res.get("jax eager")
    tlnp_t = res["tensorlib numpy backend"]
    rows = [[name, f"{t:.3f}", f"{t / steps * 1e6:.1f}", H.ratio(t, np_t), H.ratio(t, jax_t),
             H.ratio(t, tlnp_t)] for name, t in res.items()]
    H.table(["case", "s/loop", "µs/step", "vs numpy", "vs jax eager", "vs tl numpy backend"],
            rows)
    print(f"\n  tensorlib STATS of this process: {compiler.STATS}")


if __name__ == "__main__":
    n = int(sys.argv[sys.argv.index("--steps") + 1]) if "--steps" in sys.argv else 10_000
    main(quick="--quick" in sys.argv, steps=n)
