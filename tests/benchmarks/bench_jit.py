"""``tl.jit`` against NumPy eager, tensorlib eager, PyTorch eager and ``jax.jit``, float32.

a. Elementwise chain ``sin(x)*2 + exp(-x*x) - tanh(x)*0.5`` on f32[10,000,000]. Under
   ``tl.jit`` the NumPy backend runs it as one *blocked* group (NumPy ufuncs over cache-sized
   tiles, since the chain has transcendental functions). For reference, the same tiles
   written by hand in NumPy (``out=`` into three reused scratch tiles): what blocking can reach
   without the executor's Python overhead.
b. One Adam update (``m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g*g;
   p = p - lr*m/(sqrt(v)+eps)``, returning ``p, m, v``) on f32[10,000,000]. Under ``tl.jit``
   it is one generated Numba loop. The floor is the memory traffic, 4 arrays read + 3
   written, at the bandwidth of a NumPy copy measured in the same run (``np.copyto`` into an
   existing buffer: 1 read + 1 write; also ``x.copy()``, which adds a fresh allocation's page
   faults, as every un-donated output pays). For reference, the same loop written by hand in
   Numba, into fresh outputs and into existing buffers (what ``donate_argnums`` would allow).
c. One SGD step ``p - lr * grad(loss)(p, x, y)`` of the 784-512-512-10 tanh MLP of
   ``bench_mlp_grad.py`` (batch 128, softmax cross-entropy): ``tl.jit(step)``, ``jax.jit(step)``,
   PyTorch eager (``autograd.grad``, then the update under ``no_grad``), the hand-written
   NumPy backward, and tensorlib eager (``tl.grad`` without jit). Then the first-call latency
   (trace + compile + run) of ``tl.jit`` and ``jax.jit``: in a fresh process (tensorlib with an
   empty Numba kernel cache, ``TENSORLIB_CACHE_DIR`` set to a new temporary directory, and with
   the warm one under ``~/.cache/tensorlib``), and in this process with a fresh function
   object each time (Numba kernels already loaded; JAX re-traces and re-compiles).
d. Dispatch overhead of a cached jitted call with three f32[8] arguments,
   ``f(a, b, c) = a + b + c``: ``tl.jit`` vs ``jax.jit`` (with and without waiting for the
   result), with NumPy and tensorlib eager for the kernel's own cost.

Results are checked across libraries before timing. ``NUMBA_NUM_THREADS`` is set to the
``--threads`` count (the harness pins BLAS, OpenMP and XLA; Numba's ``parallel=True`` loops,
which tensorlib uses from 4M elements, would otherwise take every core).

Run: ``python tests/benchmarks/bench_jit.py [--quick] [--threads N] [--cpu-time] [--profile]``
(``--profile``: cProfile of the tensorlib cases after the tables).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile

import _harness as H

H.setup_threads()  # before numpy, numba, torch and jax are imported
os.environ["NUMBA_NUM_THREADS"] = str(H.THREADS)

import numpy as np  # noqa: E402

N = 10_000_000
LR = 0.1  # SGD step of part c
ADAM = {"lr": 1e-3, "b1": 0.9, "b2": 0.999, "eps": 1e-8}
HERE = os.path.dirname(os.path.abspath(__file__))


def chain(x, m):
    return m.sin(x) * 2 + m.exp(-x * x) - m.tanh(x) * 0.5


def chain_blocked(x, tile):
    """The chain by hand, tile by tile with ``out=`` (what ``tl.jit``'s blocked group does)."""
    out = np.empty_like(x)
    s = [np.empty(tile, x.dtype) for _ in range(3)]
    two, half = np.float32(2), np.float32(0.5)
    for i in range(0, x.size, tile):
        xt, o = x[i:i + tile], out[i:i + tile]
        a, b, c = (t[:xt.size] for t in s)
        np.sin(xt, out=a)
        np.multiply(a, two, out=a)
        np.negative(xt, out=b)
        np.multiply(b, xt, out=b)
        np.exp(b, out=b)
        np.add(a, b, out=a)
        np.tanh(xt, out=c)
        np.multiply(c, half, out=c)
        np.subtract(a, c, out=o)
    return out


def adam(p, m, v, g, sqrt):
    b1, b2, lr, eps = ADAM["b1"], ADAM["b2"], ADAM["lr"], ADAM["eps"]
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    p = p - lr * m / (sqrt(v) + eps)
    return p, m, v


def numba_adam():
    """The Adam loop by hand in Numba, writing into given buffers (what donation would allow)."""
    import numba

    f32 = np.float32
    b1, b2, lr, eps = (f32(ADAM[k]) for k in ("b1", "b2", "lr", "eps"))
    c1, c2 = f32(1 - ADAM["b1"]), f32(1 - ADAM["b2"])

    @numba.njit(nogil=True, error_model="numpy")
    def loop(p, m, v, g, po, mo, vo):
        for i in range(p.size):
            gi = g[i]
            mi = b1 * m[i] + c1 * gi
            vi = b2 * v[i] + c2 * gi * gi
            po[i] = p[i] - lr * mi / (np.sqrt(vi) + eps)
            mo[i] = mi
            vo[i] = vi

    return loop


def rel_err(got, ref):
    got = np.asarray(got.detach().numpy() if hasattr(got, "detach") else got)
    if got.shape != ref.shape or got.dtype != ref.dtype:
        raise SystemExit(f"result {got.dtype}{got.shape} vs reference {ref.dtype}{ref.shape}")
    return float(np.max(np.abs(got - ref)) / max(float(np.max(np.abs(ref))), 1e-30))


def check(name, outs, refs, tol):
    err = max(rel_err(o, r) for o, r in zip(outs, refs, strict=True))
    if not err <= tol:
        raise SystemExit(f"{name}: disagrees with NumPy by {err:.2e} (relative to max |ref|)")
    return err


def ms(t):
    return f"{t * 1e3:.2f}"


def us(t):
    return f"{t * 1e6:.2f}"


# ------------------------------------------------------------------------------------------
# a. the elementwise chain


def part_a(quick, tl, tnp, jax, jnp):
    from tensorlib.backends.blocked import TILE

    print(f"\n-- a. sin(x)*2 + exp(-x*x) - tanh(x)*0.5 on f32[{N:,}] --")
    x = np.random.default_rng(0).standard_normal(N).astype(np.float32)
    xt, xj = tnp.asarray(x), jnp.asarray(x)
    f_tl = tl.jit(lambda a: chain(a, tnp))
    f_j = jax.jit(lambda a: chain(a, jnp))
    cases = {
        "numpy eager": lambda: chain(x, np),
        "tensorlib eager": lambda: chain(xt, tnp),
        "tensorlib jit (blocked)": lambda: f_tl(xt),
        "jax jit": lambda: jax.block_until_ready(f_j(xj)),
        f"numpy by hand, blocked ({TILE} elem tiles)": lambda: chain_blocked(x, TILE),
    }
    ref = chain(x, np)
    errs = {n: check(n, [c()], [ref], 1e-5) for n, c in cases.items()}
    units = f_tl_units(f_tl)
    print("  tl.jit program: " + "; ".join(units) + f"; tensorlib's tile: {TILE} elements")
    print("  agree with NumPy (max |diff| / max |ref|): "
          + ", ".join(f"{n} {e:.1e}" for n, e in errs.items()))
    res = H.interleaved_calls(cases, rounds=4 if quick else 15)
    np_t, j_t = res["numpy eager"], res["jax jit"]
    H.table(["library", "ms/call", "vs numpy eager", "vs jax jit", "GB/s (8 B/elem)"],
            [[n, ms(t), H.ratio(t, np_t), H.ratio(t, j_t), f"{8 * N / t / 1e9:.1f}"]
             for n, t in res.items()])
    jit_t = res["tensorlib jit (blocked)"]
    print(f"  target: jit >= 2x faster than NumPy eager (is {np_t / jit_t:.2f}x) and <= 0.8x "
          f"JAX jit's time (is {jit_t / j_t:.2f}x)")
    return {"a": res}, (f_tl, xt)


def f_tl_units(jf):
    """The compiled program of a ``tl.jit`` function's (single) cache entry, as unit names."""
    entry = next(iter(jf._cache.values()))
    out = []
    for kind, obj, _, _ in getattr(entry.exe.run, "units", []):
        if kind == "group":
            from tensorlib.backends import blocked

            names = "+".join(e.prim.name for e in obj.eqns if e.prim.name != "broadcast_in_dim")
            how = ("blocked" if any(e.prim in blocked.TRANSCENDENTAL for e in obj.eqns)
                   else "numba")
            out.append(f"{how} group[{names}]")
        else:
            out.append(obj.prim.name)
    return out


# ------------------------------------------------------------------------------------------
# b. Adam


def part_b(quick, tl, tnp, jax, jnp):
    print(f"\n-- b. Adam update (returns p, m, v) on f32[{N:,}] --")
    rng = np.random.default_rng(1)
    p, m, g = (rng.standard_normal(N).astype(np.float32) for _ in range(3))
    v = np.abs(rng.standard_normal(N)).astype(np.float32)
    args_np = (p, m, v, g)
    args_tl = tuple(tnp.asarray(a) for a in args_np)
    args_j = tuple(jnp.asarray(a) for a in args_np)
    a_tl = tl.jit(lambda *a: adam(*a, tnp.sqrt))
    a_j = jax.jit(lambda *a: adam(*a, jnp.sqrt))
    dst = np.empty_like(p)
    loop = numba_adam()
    outs = tuple(np.empty_like(p) for _ in range(3))

    def numba_fresh():
        o = tuple(np.empty_like(p) for _ in range(3))
        loop(*args_np, *o)
        return o

    def numba_into():
        loop(*args_np, *outs)
        return outs

    a_don = tl.jit(lambda *a: adam(*a, tnp.sqrt), donate_argnums=(0, 1, 2))
    state, state_don = [list(args_tl[:3])], [[a + 0 for a in args_tl[:3]]]

    def loop_step():  # a training loop: the state is rebound, the old one dropped
        state[0] = list(a_tl(*state[0], args_tl[3]))
        return state[0]

    def donating_step():
        state_don[0] = list(a_don(*state_don[0], args_tl[3]))
        return state_don[0]

    cases = {
        "numpy eager": lambda: adam(*args_np, np.sqrt),
        "tensorlib eager": lambda: adam(*args_tl, tnp.sqrt),
        "tensorlib jit (numba)": lambda: a_tl(*args_tl),
        "tensorlib jit, state rebound": loop_step,
        "tensorlib jit, donate_argnums": donating_step,
        "jax jit": lambda: jax.block_until_ready(a_j(*args_j)),
        "numba by hand, fresh outputs": numba_fresh,
        "numba by hand, into existing buffers": numba_into,
        "np.copyto(dst, x)": lambda: np.copyto(dst, p),
        "x.copy()": lambda: p.copy(),
    }
    ref = adam(*args_np, np.sqrt)
    errs = {n: check(n, cases[n](), ref, 1e-5) for n in list(cases)[:8]
            if "state" not in n and "donate" not in n}  # those move their state on
    print("  tl.jit program: " + "; ".join(f_tl_units(a_tl)))
    print("  agree with NumPy: " + ", ".join(f"{n} {e:.1e}" for n, e in errs.items()))
    res = H.interleaved_calls(cases, rounds=4 if quick else 15)
    bw = 2 * 4 * N / res["np.copyto(dst, x)"]
    bw_alloc = 2 * 4 * N / res["x.copy()"]
    floor, floor_alloc = 7 * 4 * N / bw, 7 * 4 * N / bw_alloc
    np_t, j_t = res["numpy eager"], res["jax jit"]
    rows = [[n, ms(t), H.ratio(t, np_t), H.ratio(t, j_t), H.ratio(t, floor),
             f"{7 * 4 * N / t / 1e9:.1f}"] for n, t in list(res.items())[:8]]
    rows.append(["floor: 7 x 40 MB at copyto's bandwidth", ms(floor), H.ratio(floor, np_t),
                 H.ratio(floor, j_t), "1.00x", f"{bw / 1e9:.1f}"])
    rows.append(["floor at x.copy()'s bandwidth", ms(floor_alloc), H.ratio(floor_alloc, np_t),
                 H.ratio(floor_alloc, j_t), H.ratio(floor_alloc, floor), f"{bw_alloc / 1e9:.1f}"])
    H.table(["library", "ms/call", "vs numpy eager", "vs jax jit", "vs floor", "GB/s (28 B/elem)"],
            rows)
    print(f"  copies: np.copyto {ms(res['np.copyto(dst, x)'])} ms ({bw / 1e9:.1f} GB/s), "
          f"x.copy() {ms(res['x.copy()'])} ms ({bw_alloc / 1e9:.1f} GB/s)")
    jit_t = res["tensorlib jit (numba)"]
    print(f"  target: jit >= 2x faster than NumPy eager (is {np_t / jit_t:.2f}x) and within "
          f"1.5x of the bandwidth floor (is {jit_t / floor:.2f}x; {jit_t / floor_alloc:.2f}x of "
          "the floor with allocation)")
    return {"b": res}, (a_tl, args_tl)


# ------------------------------------------------------------------------------------------
# c. MLP SGD step


def mlp_setup():
    import bench_mlp_grad as M

    params, x, y = M.make_data()
    return M, params, x, y


def tl_step_factory(tl, tnp, M):
    """A fresh ``step`` function object (so ``jit`` caches nothing across calls of this)."""
    loss = M.make_loss(tnp, tnp.tanh, lambda z: tnp.max(z, axis=1, keepdims=True), tnp.exp,
                       tnp.log, lambda z: tnp.sum(z, axis=1, keepdims=True), tnp.mean)

    def step(p, x, y):
        g = tl.grad(loss)(p, x, y)
        return [a - LR * b for a, b in zip(p, g, strict=True)]

    return step


def jax_step_factory(jax, jnp, M):
    loss = M.make_loss(jnp, jnp.tanh, lambda z: jnp.max(z, axis=1, keepdims=True), jnp.exp,
                       jnp.log, lambda z: jnp.sum(z, axis=1, keepdims=True), jnp.mean)

    def step(p, x, y):
        g = jax.grad(loss)(p, x, y)
        return [a - LR * b for a, b in zip(p, g, strict=True)]

    return step


def part_c(quick, tl, tnp, jax, jnp, torch):
    M, params, x, y = mlp_setup()
    print("\n-- c. SGD step p - 0.1 * grad(loss): MLP 784-512-512-10 tanh, batch 128, "
          "softmax cross-entropy, f32 --")
    p_tl, x_tl, y_tl = [tnp.asarray(a) for a in params], tnp.asarray(x), tnp.asarray(y)
    p_j, x_j, y_j = [jnp.asarray(a) for a in params], jnp.asarray(x), jnp.asarray(y)
    step_tl = tl_step_factory(tl, tnp, M)
    jit_tl = tl.jit(step_tl)
    jit_j = jax.jit(jax_step_factory(jax, jnp, M))

    p_t = [torch.from_numpy(a.copy()).requires_grad_(True) for a in params]
    x_t, y_t = torch.from_numpy(x.copy()), torch.from_numpy(y.copy())
    loss_t = M.make_loss(torch, torch.tanh, lambda z: torch.amax(z, dim=1, keepdim=True),
                         torch.exp, torch.log, lambda z: torch.sum(z, dim=1, keepdim=True),
                         torch.mean)

    def torch_step():
        g = torch.autograd.grad(loss_t(p_t, x_t, y_t), p_t)
        with torch.no_grad():
            return [a - LR * b for a, b in zip(p_t, g, strict=True)]

    def numpy_step():
        return [a - np.float32(LR) * b
                for a, b in zip(params, M.numpy_step(params, x, y)[1], strict=True)]

    cases = {
        "numpy (by hand)": numpy_step,
        "tensorlib jit": lambda: jit_tl(p_tl, x_tl, y_tl),
        "jax jit": lambda: jax.block_until_ready(jit_j(p_j, x_j, y_j)),
        "torch eager": torch_step,
        "tensorlib eager (tl.grad)": lambda: step_tl(p_tl, x_tl, y_tl),
    }
    # compare the implied gradients (p - p_new) / lr with the hand-written backward pass
    _, ref_g = M.numpy_step(params, x, y)
    errs = {}
    for n, c in cases.items():
        got = [np.asarray(o.detach().numpy() if hasattr(o, "detach") else o) for o in c()]
        implied = [(a - b) / np.float32(LR) for a, b in zip(params, got, strict=True)]
        errs[n] = check(n, implied, ref_g, 1e-3)
    print("  implied gradients agree with the hand-written backward (relative): "
          + ", ".join(f"{n} {e:.1e}" for n, e in errs.items()))
    print("  tl.jit program: " + "; ".join(f_tl_units(jit_tl)))
    res = H.interleaved_calls(cases, rounds=10 if quick else 40)
    ref_t, j_t = res["numpy (by hand)"], res["jax jit"]
    H.table(["library", "ms/step", "vs numpy", "vs jax jit", "vs torch"],
            [[n, ms(t), H.ratio(t, ref_t), H.ratio(t, j_t), H.ratio(t, res["torch eager"])]
             for n, t in res.items()])
    first = first_calls(quick, tl, tnp, jax, jnp, M, p_tl, x_tl, y_tl, p_j, x_j, y_j)
    return {"c": res, "first": first}, (jit_tl, p_tl, x_tl, y_tl)


def run_child(which, env_extra, profile=False):
    """First-call seconds of ``which`` ('tl' or 'jax') in a fresh Python process."""
    env = dict(os.environ, **env_extra)
    env.pop("JAX_COMPILATION_CACHE_DIR", None)  # no persistent XLA cache: a real first compile
    args = [sys.executable, os.path.abspath(__file__), "--child-first-call", which,
            "--threads", str(H.THREADS)]
    if "--cpu-time" in sys.argv:
        args.append("--cpu-time")
    if profile:
        args.append("--profile")
    r = subprocess.run(args, capture_output=True, text=True, env=env, cwd=HERE)
    if r.returncode != 0:
        raise SystemExit(f"first-call child {which} failed:\n{r.stdout}\n{r.stderr}")
    lines = r.stdout.strip().splitlines()
    if profile:
        print("\n".join(lines[:-1]))
    return json.loads(lines[-1])


def child_first_call(which):
    """Body of the child process: import, build data, time one first call, print JSON."""
    import time

    M, params, x, y = mlp_setup()
    w0 = time.perf_counter()
    if which == "tl":
        import tensorlib as tl
        import tensorlib.numpy as tnp

        args = ([tnp.asarray(a) for a in params], tnp.asarray(x), tnp.asarray(y))
        f = tl.jit(tl_step_factory(tl, tnp, M))
        call = lambda: f(*args)
    else:
        import jax
        import jax.numpy as jnp

        args = ([jnp.asarray(a) for a in params], jnp.asarray(x), jnp.asarray(y))
        jax.block_until_ready(args)
        f = jax.jit(jax_step_factory(jax, jnp, M))
        call = lambda: jax.block_until_ready(f(*args))
    import_s = time.perf_counter() - w0
    prof = None
    if "--profile" in sys.argv:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    w0, t0 = time.perf_counter(), H.CLOCK()
    call()
    t, w = H.CLOCK() - t0, time.perf_counter() - w0
    if prof is not None:
        prof.disable()
        print_profile(prof, f"cProfile: first call of {which} jit(step) in a fresh process", 25,
                      by="cum")
    print(json.dumps({"first_s": t, "wall_s": w, "import_s": import_s}))


def first_calls(quick, tl, tnp, jax, jnp, M, p_tl, x_tl, y_tl, p_j, x_j, y_j):
    n_proc, n_same = (1, 2) if quick else (3, 5)
    warm_env = {}  # the cache this process used (default ~/.cache/tensorlib): warm by now
    samples = {"tensorlib, fresh process, empty kernel cache": [],
               "tensorlib, fresh process, warm kernel cache": [],
               "jax, fresh process": []}
    walls = {k: [] for k in samples}
    for _ in range(n_proc):
        with tempfile.TemporaryDirectory(prefix="tl-cold-cache-") as d:
            r = run_child("tl", {"TENSORLIB_CACHE_DIR": d})
        for k, rr in (("tensorlib, fresh process, empty kernel cache", r),
                      ("tensorlib, fresh process, warm kernel cache", run_child("tl", warm_env)),
                      ("jax, fresh process", run_child("jax", {}))):
            samples[k].append(rr["first_s"])
            walls[k].append(rr["wall_s"])
    same = {"tensorlib, this process, fresh function": [],
            "jax, this process, fresh function": []}
    for _ in range(n_same):
        f = tl.jit(tl_step_factory(tl, tnp, M))
        t0 = H.CLOCK()
        f(p_tl, x_tl, y_tl)
        same["tensorlib, this process, fresh function"].append(H.CLOCK() - t0)
        g = jax.jit(jax_step_factory(jax, jnp, M))
        t0 = H.CLOCK()
        jax.block_until_ready(g(p_j, x_j, y_j))
        same["jax, this process, fresh function"].append(H.CLOCK() - t0)
    samples.update(same)
    med = {k: statistics.median(v) for k, v in samples.items()}
    print(f"\n  first call (trace + compile + run), median of {n_proc} fresh processes / "
          f"{n_same} fresh functions; clock: {H.CLOCK_NAME}")
    jref = {"fresh process": med["jax, fresh process"],
            "this process": med["jax, this process, fresh function"]}
    rows = []
    for k, t in med.items():
        ref = jref["fresh process" if "fresh process" in k else "this process"]
        wall = f"{statistics.median(walls[k]):.3f}" if k in walls else "-"
        rows.append([k, f"{t:.3f}", wall, H.ratio(t, ref)])
    H.table(["first call", "s", "wall s", "vs jax (same setting)"], rows)
    return med


# ------------------------------------------------------------------------------------------
# d. dispatch overhead


def part_d(quick, tl, tnp, jax, jnp):
    print("\n-- d. cached jitted call f(a, b, c) = a + b + c, three f32[8] arguments --")
    a_np, b_np, c_np = (np.arange(8, dtype=np.float32) * k for k in (1.0, 2.0, 3.0))

    def add3(a, b, c):
        return a + b + c

    env = {"a_np": a_np, "b_np": b_np, "c_np": c_np,
           "a": tnp.asarray(a_np), "b": tnp.asarray(b_np), "c": tnp.asarray(c_np),
           "aj": jnp.asarray(a_np), "bj": jnp.asarray(b_np), "cj": jnp.asarray(c_np),
           "f_tl": tl.jit(add3), "f_j": jax.jit(add3)}
    cases = {
        "numpy a + b + c (eager)": ("a_np + b_np + c_np", env),
        "tensorlib a + b + c (eager)": ("a + b + c", env),
        "tensorlib jit": ("f_tl(a, b, c)", env),
        "jax jit (async, no wait)": ("f_j(aj, bj, cj)", env),
        "jax jit + block_until_ready": ("f_j(aj, bj, cj).block_until_ready()", env),
    }
    ref = add3(a_np, b_np, c_np)
    for n, (stmt, e) in cases.items():
        check(n, [eval(stmt.replace(".block_until_ready()", ""), e)], [ref], 0.0)
    res = H.interleaved(cases, rounds=7 if quick else 25, target_s=0.02)
    j_t = res["jax jit + block_until_ready"]
    H.table(["case", "µs/call", "vs numpy", "vs jax jit + wait"],
            [[n, us(t), H.ratio(t, res["numpy a + b + c (eager)"]), H.ratio(t, j_t)]
             for n, t in res.items()])
    return {"d": res}, (env,)


# ------------------------------------------------------------------------------------------
# cProfile of the tensorlib side


def print_profile(prof, title, top=14, by="own"):
    """Top functions of a profile, by own time or (``by="cum"``) cumulative time."""
    import pstats

    st = prof if isinstance(prof, pstats.Stats) else pstats.Stats(prof)
    total = st.total_tt
    root = os.path.dirname(os.path.dirname(HERE))
    rows = []
    col = 2 if by == "own" else 3
    items = [kv for kv in st.stats.items() if by == "own" or not kv[0][0].startswith("<frozen")]
    for (fname, line, func), (_, nc, tt, ct, _) in sorted(items, key=lambda kv: -kv[1][col])[:top]:
        if fname.startswith(root):
            fname = os.path.relpath(fname, root)
        elif "site-packages" in fname:
            fname = fname.split("site-packages" + os.sep, 1)[1]
        rows.append([f"{fname}:{line}({func})", str(nc), f"{tt * 1e3:.1f}", f"{ct * 1e3:.1f}",
                     f"{100 * tt / total:.0f}%"])
    print(f"\n  {title} (total {total * 1e3:.1f} ms, by {by} time)")
    H.table(["function", "calls", "own ms", "cum ms", "own %"], rows)


def profile_all(tl, ctx):
    import cProfile

    def prof(title, fn, n, top=12):
        fn()
        p = cProfile.Profile()
        p.enable()
        for _ in range(n):
            fn()
        p.disable()
        print_profile(p, f"cProfile: {title}, {n} calls", top)

    print("\n== cProfile of the tensorlib cases ==")
    f_a, xt = ctx["a"]
    prof("a. tl.jit chain (blocked)", lambda: f_a(xt), 5)
    f_b, args_b = ctx["b"]
    prof("b. tl.jit Adam (numba)", lambda: f_b(*args_b), 5)
    f_c, p, x, y = ctx["c"]
    prof("c. tl.jit MLP step", lambda: f_c(p, x, y), 30)
    (env,) = ctx["d"]
    prof("d. tl.jit dispatch a + b + c", lambda: env["f_tl"](env["a"], env["b"], env["c"]),
         20000)
    run_child("tl", {}, profile=True)


# ------------------------------------------------------------------------------------------


def main(quick=False):
    H.header(f"tl.jit vs NumPy / tensorlib eager / PyTorch / jax.jit, f32; NUMBA_NUM_THREADS "
             f"{os.environ['NUMBA_NUM_THREADS']}")
    import jax
    import jax.numpy as jnp
    import torch

    import tensorlib as tl
    import tensorlib.numpy as tnp

    H.setup_torch(torch)
    results, ctx = {}, {}
    for key, part in (("a", part_a), ("b", part_b)):
        r, ctx[key] = part(quick, tl, tnp, jax, jnp)
        results.update(r)
    r, ctx["c"] = part_c(quick, tl, tnp, jax, jnp, torch)
    results.update(r)
    r, ctx["d"] = part_d(quick, tl, tnp, jax, jnp)
    results.update(r)
    summary(results)
    if "--profile" in sys.argv:
        profile_all(tl, ctx)


def summary(res):
    a, b, c, first = res["a"], res["b"], res["c"], res["first"]
    floor = 7 * 4 * N / (2 * 4 * N / b["np.copyto(dst, x)"])
    jf = first["jax, fresh process"]
    rows = [  # (target, measured ratio, >= or <=, limit)
        ("a. NumPy eager / jit >= 2", a["numpy eager"] / a["tensorlib jit (blocked)"], 2.0),
        ("a. jit / JAX jit <= 0.8", a["tensorlib jit (blocked)"] / a["jax jit"], -0.8),
        ("b. NumPy eager / jit >= 2", b["numpy eager"] / b["tensorlib jit (numba)"], 2.0),
        ("b. jit / bandwidth floor <= 1.5", b["tensorlib jit (numba)"] / floor, -1.5),
        ("c. jit step / JAX jit step <= 1", c["tensorlib jit"] / c["jax jit"], -1.0),
        ("c. first call / JAX's, fresh process, empty kernel cache <= 1",
         first["tensorlib, fresh process, empty kernel cache"] / jf, -1.0),
        ("c. first call / JAX's, fresh process, warm kernel cache <= 1",
         first["tensorlib, fresh process, warm kernel cache"] / jf, -1.0),
        ("c. first call / JAX's, same process, fresh function <= 1",
         first["tensorlib, this process, fresh function"]
         / first["jax, this process, fresh function"], -1.0),
    ]
    print("\n-- targets --")
    H.table(["target", "measured", ""],
            [[t, f"{v:.2f}", "met" if (v >= lim if lim > 0 else v <= -lim) else "MISSED"]
             for t, v, lim in rows])


if __name__ == "__main__":
    if "--child-first-call" in sys.argv:
        child_first_call(sys.argv[sys.argv.index("--child-first-call") + 1])
    else:
        main(quick="--quick" in sys.argv)
