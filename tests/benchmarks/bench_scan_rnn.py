"""Gradient of a ``lax.scan`` RNN: ``jit(grad(loss))`` and eager ``grad(loss)``, tensorlib vs JAX.

The model: a 64-wide tanh RNN over ``T`` steps, batch 8, float32. Parameters ``W`` f32[64,64],
``U`` f32[64,64] (input width 64), ``b`` f32[64]; inputs ``xs`` f32[T,8,64]; ``h0 = 0``;
one step ``h = tanh(h @ W + x @ U + b)``, ``y = h``, written with ``lax.scan``;
``loss = mean(ys ** 2)``. The gradient is taken with respect to ``(W, U, b)``. The step
closes over ``W, U, b``; with ``--weights-in-carry`` the scan carries ``(h, W, U, b)`` instead
(the same gradient; a variant for when capturing differentiated values in a scan body fails).

For each ``T`` (``--T``, default 10,100,1000) and each library -- JAX, tensorlib on the NumPy
backend, tensorlib on the XLA backend -- two modes:

- ``jit``: ``jit(grad(loss))`` (``jax.jit(jax.grad(loss))``, ``tl.jit(tl.grad(loss))``);
- ``eager``: ``grad(loss)`` without jit (JAX's for reference: ``lax.scan`` compiles its body
  even outside jit, so JAX eager is not a per-op interpreter like tensorlib eager).

Two numbers per case:

- **first call** (trace + compile + run) in a fresh Python process with empty caches:
  tensorlib with ``TENSORLIB_CACHE_DIR`` (Numba kernels and XLA
  executables) set to a new temporary directory and ``TENSORLIB_BACKEND`` set to the backend;
  JAX with ``JAX_COMPILATION_CACHE_DIR`` removed from the environment and
  ``jax_enable_compilation_cache`` off. Importing the libraries and building the data are not
  counted. Each child process runs under a timeout (``--timeout``, default 120 s); a case
  whose child runs past it shows ``>timeout`` and is not timed further (its steady state
  would be at least as slow).
- **steady call**: in this process, all cases of one ``T`` side by side, round-robin (one
  sample of every case per round, rotating order, garbage collector off during a sample, as
  ``_harness.interleaved_calls``), after two warm-up calls; each sample loops the call enough
  times to last ~2 ms and every call waits for its result (``block_until_ready``). The median
  of ``--repeats`` samples (default 20; 5 with ``--quick``), fewer for a slow case: a case
  gets at most ``--timeout / 4`` seconds of samples (at least 3 samples). A case whose
  fresh-process first call took over ``--timeout / 4`` is not run here at all: its steady
  figure is the child's second call (marked ``*``; the child makes it only when the first
  call took under ``--timeout / 3``, else the cell says ``(slow)``).

Gradients are checked in every run: every child's and every in-process case's gradients
must match JAX's ``jit(grad(loss))`` computed in this process (``np.allclose`` with
``rtol=1e-3`` and ``atol = 1e-3 * max|JAX's gradient|``, so entries near zero compare on the
gradient's own scale); the table's ``grad`` column shows ``ok`` or ``MISMATCH`` with the largest
error relative to ``max|ref|``. A mismatch does not stop the run.

Run: ``python tests/benchmarks/bench_scan_rnn.py [--T 10,100,1000] [--timeout SECONDS]
[--repeats N] [--quick] [--threads N] [--cpu-time] [--weights-in-carry]``
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import _harness as H

H.setup_threads()  # before numpy, numba and jax are imported
os.environ["NUMBA_NUM_THREADS"] = str(H.THREADS)  # tensorlib's Numba loops, as bench_jit

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BATCH, HIDDEN, INPUT = 8, 64, 64
LIBS = ("jax", "numpy", "xla")  # "numpy" / "xla": tensorlib on that backend
MODES = ("jit", "eager")
SAMPLE_S = 0.002  # each steady sample loops the call to last about this long
RTOL = 1e-3
# --weights-in-carry: the scan carries (h, W, U, b) instead of closing over W, U, b
WEIGHTS_IN_CARRY = "--weights-in-carry" in sys.argv


def make_data(T):
    """``(W, U, b), xs`` as NumPy float32, the same in every process for a given T."""
    rng = np.random.default_rng(0)
    W = (rng.standard_normal((HIDDEN, HIDDEN)) / np.sqrt(HIDDEN)).astype(np.float32)
    U = (rng.standard_normal((INPUT, HIDDEN)) / np.sqrt(INPUT)).astype(np.float32)
    b = (0.1 * rng.standard_normal(HIDDEN)).astype(np.float32)
    xs = np.random.default_rng(T).standard_normal((T, BATCH, INPUT)).astype(np.float32)
    return (W, U, b), xs


def make_loss(lax, m):
    """The RNN loss written against ``lax`` / ``m`` (jax.lax + jax.numpy or tensorlib's)."""

    def loss(params, xs):
        W, U, b = params
        h0 = m.zeros((xs.shape[1], W.shape[1]), dtype=xs.dtype)

        def step(h, x):  # W, U, b closed over
            h = m.tanh(h @ W + x @ U + b)
            return h, h

        _, ys = lax.scan(step, h0, xs)
        return m.mean(ys ** 2)

    def loss_carry(params, xs):
        W, U, b = params
        h0 = m.zeros((xs.shape[1], W.shape[1]), dtype=xs.dtype)

        def step(c, x):  # W, U, b carried through unchanged
            h, W, U, b = c
            h = m.tanh(h @ W + x @ U + b)
            return (h, W, U, b), h

        _, ys = lax.scan(step, (h0, W, U, b), xs)
        return m.mean(ys ** 2)

    return loss_carry if WEIGHTS_IN_CARRY else loss


def build(lib, mode, T):
    """A no-argument call computing the gradient and waiting for it, and a function turning
    its result into NumPy arrays. Imports the library (in a child: not timed)."""
    params, xs = make_data(T)
    if lib == "jax":
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_compilation_cache", False)
        g = jax.grad(make_loss(jax.lax, jnp))
        if mode == "jit":
            g = jax.jit(g)
        p = tuple(jnp.asarray(a) for a in params)
        x = jnp.asarray(xs)
        jax.block_until_ready((p, x))

        def call():
            return jax.block_until_ready(g(p, x))
    else:
        import tensorlib as tl
        import tensorlib.numpy as tnp
        from tensorlib import lax

        with tl.backend(lib):
            g = tl.grad(make_loss(lax, tnp))
            if mode == "jit":
                g = tl.jit(g)
            p = tuple(tnp.asarray(a) for a in params)
            x = tnp.asarray(xs)
            for a in (*p, x):
                a.block_until_ready()

        def call():
            with tl.backend(lib):  # h0 = zeros(..) is created on the case's backend
                out = g(p, x)
            for a in out:
                a.block_until_ready()
            return out

    return call, lambda out: [np.asarray(a) for a in out]


# ------------------------------------------------------------------------------------------
# first call, in a fresh process


def child(lib, mode, T, npz, timeout):
    """Body of the child process: build, time the first call, save the gradients, and time a
    second call if the first took under a third of the timeout; print JSON."""
    call, to_np = build(lib, mode, T)
    w0, t0 = time.perf_counter(), H.CLOCK()
    out = call()
    t, w = H.CLOCK() - t0, time.perf_counter() - w0
    np.savez(npz, *to_np(out))
    res = {"first_s": t, "wall_s": w, "second_s": None}
    if w < timeout / 3:
        t0 = H.CLOCK()
        call()
        res["second_s"] = H.CLOCK() - t0
    print(json.dumps(res))


def run_child(lib, mode, T, timeout):
    """``{"first_s", "wall_s", "grads"}`` of a fresh process, ``"timeout"``, or ``"error: .."``."""
    with tempfile.TemporaryDirectory(prefix="tl-scan-cold-") as d:
        env = dict(os.environ)
        env["TENSORLIB_CACHE_DIR"] = d
        env.pop("JAX_COMPILATION_CACHE_DIR", None)  # no persistent cache: JAX really compiles
        env["JAX_ENABLE_COMPILATION_CACHE"] = "false"
        if lib != "jax":
            env["TENSORLIB_BACKEND"] = lib
        npz = os.path.join(d, "grads.npz")
        args = [sys.executable, os.path.abspath(__file__), "--child", lib, mode, str(T), npz,
                str(timeout), "--threads", str(H.THREADS)]
        args += [f for f in ("--cpu-time", "--weights-in-carry") if f in sys.argv]
        try:
            r = subprocess.run(args, capture_output=True, text=True, env=env, cwd=HERE,
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            return "timeout"
        if r.returncode != 0:
            last = (r.stderr.strip() or r.stdout.strip() or "?").splitlines()[-1]
            return f"error: {last}"
        res = json.loads(r.stdout.strip().splitlines()[-1])
        with np.load(npz) as f:
            res["grads"] = [f[f"arr_{i}"] for i in range(len(f.files))]
    return res


# ------------------------------------------------------------------------------------------
# steady state, in this process


def steady(cases, *, repeats, budget_s):
    """Median seconds per call of each case, round-robin (see the module docstring)."""
    loops, rounds = {}, {}
    for name, fn in cases.items():
        fn()  # the first call: trace + compile in this process
        t0 = H.CLOCK()
        fn()
        t = max(H.CLOCK() - t0, 1e-7)
        loops[name] = max(1, int(SAMPLE_S / t))
        rounds[name] = min(repeats, max(3, int(budget_s / (t * loops[name]))))
    samples = {name: [] for name in cases}
    names = list(cases)
    enabled = gc.isenabled()
    try:
        for r in range(max(rounds.values(), default=0)):
            gc.collect()
            k = r % len(names)
            for name in names[k:] + names[:k]:
                if r >= rounds[name]:
                    continue
                fn, n = cases[name], loops[name]
                gc.disable()
                t0 = H.CLOCK()
                for _ in range(n):
                    fn()
                samples[name].append((H.CLOCK() - t0) / n)
                gc.enable()
    finally:
        if enabled:
            gc.enable()
    return {name: statistics.median(s) for name, s in samples.items()}, rounds


def grad_check(got, ref):
    """(ok, largest |got - ref| relative to max |ref|) over the three gradients."""
    ok, err = True, 0.0
    for a, r in zip(got, ref, strict=True):
        if a.shape != r.shape:
            return False, float("inf")
        scale = max(float(np.max(np.abs(r))), 1e-30)
        ok &= bool(np.allclose(a, r, rtol=RTOL, atol=RTOL * scale))
        err = max(err, float(np.max(np.abs(a.astype(np.float64) - r)) / scale))
    return ok, err


# ------------------------------------------------------------------------------------------


def fmt_ms(t):
    if isinstance(t, str):
        return t
    v = t * 1e3
    return f"{v:.3f}" if v < 1 else f"{v:.2f}" if v < 100 else f"{v:.0f}"


def ratio(x, ref):
    return H.ratio(x, ref) if isinstance(x, float) and isinstance(ref, float) else "-"


def status(res):
    """What a table cell shows for a child that did not finish."""
    return ">timeout" if res == "timeout" else "error"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--T", default="10,100,1000", help="comma-separated sequence lengths")
    ap.add_argument("--timeout", type=float, default=120.0,
                    help="seconds per child process (first call); a quarter of it caps the "
                         "steady samples of one case")
    ap.add_argument("--repeats", type=int, default=None,
                    help="steady samples per case (default 20, 5 with --quick)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threads", type=int, default=1)  # read by _harness.setup_threads
    ap.add_argument("--cpu-time", action="store_true")  # read by _harness
    ap.add_argument("--weights-in-carry", action="store_true",
                    help="pass W, U, b through the scan's carry instead of closing over them")
    a = ap.parse_args()
    Ts = [int(t) for t in a.T.split(",") if t.strip()]
    repeats = a.repeats or (5 if a.quick else 20)

    H.header(f"jit(grad) / grad of a lax.scan tanh RNN (hidden {HIDDEN}, input {INPUT}, "
             f"batch {BATCH}, f32): tensorlib (numpy, xla backends) vs JAX")
    print("  step closes over W, U, b" if not WEIGHTS_IN_CARRY else
          "  --weights-in-carry: the scan carries (h, W, U, b)")
    print(f"  T = {Ts}; child timeout {a.timeout:g} s; steady: median of up to {repeats} "
          f"samples per case")
    sys.stdout.flush()

    table_rows, notes = [], []
    for T in Ts:
        print(f"\n-- T = {T} --")
        ref = build("jax", "jit", T)
        ref_grads = ref[1](ref[0]())
        first, cases, to_np = {}, {}, {}
        for mode in MODES:
            for lib in LIBS:
                key = (lib, mode)
                t0 = time.perf_counter()
                res = run_child(lib, mode, T, a.timeout)
                first[key] = res
                shown = (f"first call {fmt_ms(res['first_s'])} ms" if isinstance(res, dict)
                         else res if res == "timeout" else "error (listed under the table)")
                print(f"  fresh process {lib:5s} {mode:5s}: {shown} "
                      f"(process {time.perf_counter() - t0:.1f} s)")
                sys.stdout.flush()
                if isinstance(res, str) and res.startswith("error"):
                    notes.append(f"T={T} {lib} {mode}: {res}")
                if isinstance(res, dict) and res["wall_s"] < a.timeout / 4:
                    cases[key], to_np[key] = build(lib, mode, T)
        checks = {}
        for key, res in first.items():
            if isinstance(res, dict):
                checks[key] = grad_check(res["grads"], ref_grads)
        for key, fn in list(cases.items()):
            try:
                ok, err = grad_check(to_np[key](fn()), ref_grads)
            except Exception as e:  # failed here though the fresh process did not
                notes.append(f"T={T} {' '.join(key)}, this process: error: "
                             f"{type(e).__name__}: {e}")
                del cases[key]
                first[key] = "error"
                continue
            checks[key] = (checks[key][0] and ok, max(checks[key][1], err))
        times, rounds = steady({k: cases[k] for k in cases}, repeats=repeats,
                               budget_s=a.timeout / 4)
        print("  steady samples: " + ", ".join(f"{lib} {mode} {n}"
                                               for (lib, mode), n in rounds.items()))
        starred = set()
        for mode in MODES:
            def cell(lib, what, mode=mode, first=first, times=times, starred=starred):
                key = (lib, mode)
                res = first[key]
                if not isinstance(res, dict):
                    return status(res)
                if what == "first":
                    return res["first_s"]
                if key in times:
                    return times[key]
                # too slow to time here: the child's second call, if it made one
                if res["second_s"] is None:
                    return "(slow)"
                starred.add(key)
                return res["second_s"]

            def star(lib, mode=mode, starred=starred):
                return "*" if (lib, mode) in starred else ""

            jf, js = cell("jax", "first"), cell("jax", "steady")
            row = [f"{T} {mode}", fmt_ms(jf), fmt_ms(js) + star("jax")]
            rat = []
            for lib in ("numpy", "xla"):
                f, s = cell(lib, "first"), cell(lib, "steady")
                row += [fmt_ms(f), fmt_ms(s) + star(lib)]
                rat += [ratio(f, jf), ratio(s, js)]
            marks = []
            for lib in LIBS:
                c = checks.get((lib, mode))
                if c is not None:
                    marks.append(f"{lib} ok" if c[0] else f"{lib} MISMATCH {c[1]:.1e}")
            row += rat + [", ".join(marks) or "-"]
            table_rows.append(row)

    print(f"\nms per call; first = trace + compile + run in a fresh process with empty caches, "
          f"steady = median in this process; clock: {H.CLOCK_NAME}")
    H.table(["T mode", "JAX first", "JAX steady", "tl-numpy first", "steady", "tl-xla first",
             "steady", "np/JAX first", "np/JAX steady", "xla/JAX first", "xla/JAX steady",
             "grad vs JAX jit (rtol 1e-3)"], table_rows)
    print("  jit rows: jit(grad(loss)); eager rows: grad(loss) without jit, against JAX's "
          "grad without jit, which compiles the forward and the transposed scan as XLA "
          "programs, again at every call (the step closure is new each call).")
    print(f"  >timeout: the fresh process ran past --timeout {a.timeout:g} s; the case is "
          "not timed further.")
    print("  *: a first call over --timeout / 4 is not repeated here; the steady figure is "
          "the fresh process's second call (none when the first took over --timeout / 3: "
          "'(slow)').")
    for n in notes:
        print(f"  {n}")


if __name__ == "__main__":
    if "--child" in sys.argv:
        i = sys.argv.index("--child")
        lib, mode, T, npz, timeout = sys.argv[i + 1:i + 6]
        child(lib, mode, int(T), npz, float(timeout))
    else:
        main()
