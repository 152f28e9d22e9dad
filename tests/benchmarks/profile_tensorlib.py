"""Where tensorlib's eager and tape time goes: a cost ladder for ``a + b`` and cProfile tables.

1. The ``a + b`` ladder on f32[8]: the same add entered at each layer of the call path, from
   the NumPy ufunc up to the ``Array`` operator; each step's difference is that layer's cost.
   The same for one add recorded on the tape (``y + c``, y a tape tracer), and the backward
   pass's cost per recorded add.
2. cProfile of many ``a + b`` calls (the functions behind the ladder).
3. cProfile of ``tl.grad`` over the add chain (tape record + backward, per op).
4. One MLP gradient step (``bench_mlp_grad``): wall time split into backend kernels (timed by
   wrapping the cached kernels) and tensorlib's Python, per primitive and shape; then cProfile
   by own time and by cumulative time.

Run: ``python tests/benchmarks/profile_tensorlib.py [--quick] [--threads N]``
"""

from __future__ import annotations

import cProfile
import io
import pstats
import statistics
import sys
from collections import defaultdict

import _harness as H

H.setup_threads()  # before numpy is imported

import numpy as np  # noqa: E402

import tensorlib as tl  # noqa: E402
import tensorlib.numpy as tnp  # noqa: E402
from tensorlib._src import core  # noqa: E402
from tensorlib._src.ops import elementwise as ew  # noqa: E402


def ladder(quick):
    a_np = np.arange(8, dtype=np.float32)
    b_np = np.ones(8, np.float32)
    a, b = tnp.asarray(a_np), tnp.asarray(b_np)
    p = ew.add_p
    key = (np.ndarray, np.ndarray)
    p._impl_cache.get(key) or (a + b)
    kernel = p._impl_cache[key]
    env = {"a": a, "b": b, "a_np": a_np, "b_np": b_np, "np": np, "kernel": kernel, "p": p,
           "core": core, "tnp": tnp, "args": (a, b), "params": {}, "key": key}
    steps = {
        "np.add(a_np, b_np)                         NumPy ufunc": "np.add(a_np, b_np)",
        "kernel(a._buf, b._buf)                     backend kernel (_arr wrapper)":
            "kernel(a._buf, b._buf)",
        "core.Array(kernel(...), False)             + Array() wrap":
            "core.Array(kernel(a._buf, b._buf), False)",
        "core.eval_primitive(p, args, params)       + eager interpreter":
            "core.eval_primitive(p, args, params)",
        "core.bind(p, args, params)                 + trace-stack check":
            "core.bind(p, args, params)",
        "p.bind(a, b)                               + Primitive.bind (*args/**params)":
            "p.bind(a, b)",
        "tnp.add(a, b)                              + NumPy-API fast path": "tnp.add(a, b)",
        "a + b                                      + Array.__add__ (_binop checks)": "a + b",
    }
    # The best of the rounds, not the median: the steps are 0.1-1 µs apart, and the minimum
    # is what the code costs when nothing else interferes.
    res = H.interleaved({k: (v, env) for k, v in steps.items()}, rounds=9 if quick else 41,
                        target_s=0.004, stat=min)
    rows, prev = [], 0.0
    for name, t in res.items():
        rows.append([name, f"{t * 1e9:.0f}", f"{(t - prev) * 1e9:+.0f}"])
        prev = t
    H.table(["entry point (f32[8] add), best of rounds", "ns/call", "step ns"], rows)


def tape_ladder(quick):
    """The cost of one recorded ``y + c`` (y a tape tracer, c a constant Array), by layer."""
    from tensorlib._src.ir import Var
    from tensorlib._src.numpy.promotion import promote_args
    from tensorlib._src.transforms import ad

    c = tnp.asarray(np.ones(8, np.float32))
    x = tnp.asarray(np.arange(8, dtype=np.float32))
    with core.new_trace(ad.TapeTrace, []) as tr:
        y = ad.TapeTracer(tr, x, Var())
        yc = ad.TapeTracer(tr, c, None)
        env = {"tr": tr, "y": y, "c": c, "yc": yc, "p": ew.add_p, "core": core, "tnp": tnp,
               "promote_args": promote_args}
        steps = {
            "y.aval                      one AbstractArray (tracer metadata)": "y.aval",
            "promote_args('add', y, c)   NumPy-API promotion (tracers miss the fast path)":
                "promote_args('add', y, c)",
            "tr.process_primitive(p, [y, yc], {})  run + record":
                "tr.process_primitive(p, [y, yc], {})",
            "core.bind(p, (y, c), {})    + find trace, lift c": "core.bind(p, (y, c), {})",
            "tnp.add(y, c)               + promotion": "tnp.add(y, c)",
            "y + c                       + Array.__add__": "y + c",
        }
        cases = {k: (v + "; tr.tape.clear()", env) for k, v in steps.items()}
        res = H.interleaved(cases, rounds=9 if quick else 31, target_s=0.004, stat=min)
    rows = [[name, f"{t * 1e9:.0f}"] for name, t in res.items()]
    H.table(["recorded op (f32[8] add under the tape), best of rounds", "ns/call"], rows)

    def chain(n):
        with core.new_trace(ad.TapeTrace, []) as tr:
            y = ad.TapeTracer(tr, x, Var())
            for _ in range(n):
                y = y + c
        return tr.tape, y.var

    tape, out_var = chain(1000)
    seed = tnp.asarray(np.ones(8, np.float32))
    bw = H.interleaved({"bw": lambda: ad.backward_pass(tape, {out_var: seed})},
                       rounds=9 if quick else 31, target_s=0.01, stat=min)["bw"]
    print(f"backward_pass, per recorded add: {bw / 1000 * 1e9:.0f} ns (best of rounds)")


def _short(b):
    return f"{b.dtype.name[0]}{b.dtype.itemsize * 8}{list(b.shape)}".replace(" ", "")


def kernel_breakdown(step, n, title):
    """Split one call of ``step`` into backend-kernel time and everything else.

    Every kernel cached in a primitive's ``_impl_cache`` is wrapped (for this run only, then
    restored) with a timer keyed by primitive and operand shapes.
    """
    acc = defaultdict(lambda: [0, 0.0])
    clock = H.CLOCK
    saved = []
    step()  # fill the caches
    for prim in core.primitives().values():
        for key, fn in list(prim._impl_cache.items()):
            saved.append((prim, key, fn))

            def timed(*bufs, _fn=fn, _name=prim.name, **params):
                t0 = clock()
                out = _fn(*bufs, **params)
                dt = clock() - t0
                rec = acc[(_name, " ".join(_short(b) for b in bufs))]
                rec[0] += 1
                rec[1] += dt
                return out

            prim._impl_cache[key] = timed
    try:
        totals = []
        for _ in range(n):
            t0 = clock()
            step()
            totals.append(clock() - t0)
    finally:
        for prim, key, fn in saved:
            prim._impl_cache[key] = fn
    total = statistics.median(totals)
    kern = sum(t for _, t in acc.values()) / n
    calls = sum(c for c, _ in acc.values()) / n
    print(f"\n--- {title}: {H.CLOCK_NAME} split into backend kernels and the rest "
          f"(median of {n} steps; kernels summed, per step) ---")
    print(f"  step {total * 1e3:.2f} ms = kernels {kern * 1e3:.2f} ms ({calls:.0f} kernel calls) "
          f"+ tensorlib Python {max(total - kern, 0) * 1e3:.2f} ms "
          f"({max(total - kern, 0) / calls * 1e6:.1f} µs per primitive application)")
    rows = sorted(acc.items(), key=lambda kv: -kv[1][1])
    H.table(["primitive", "operands", "calls/step", "ms/step"],
            [[k[0], k[1], f"{c / n:g}", f"{t / n * 1e3:.3f}"] for k, (c, t) in rows[:16]])


def profile(stmt_fn, n, sort, limit, title):
    pr = cProfile.Profile()
    pr.enable()
    for _ in range(n):
        stmt_fn()
    pr.disable()
    s = io.StringIO()
    st = pstats.Stats(pr, stream=s).strip_dirs().sort_stats(sort)
    st.print_stats(limit)
    body = s.getvalue()
    body = body[body.index("   ncalls"):] if "   ncalls" in body else body
    print(f"\n--- {title}: cProfile, {n} calls, sorted by {sort} (per call = per iteration "
          f"x {n}) ---")
    print(body.rstrip())


def main(quick=False):
    H.header("tensorlib overhead breakdown")
    print()
    ladder(quick)

    print()
    tape_ladder(quick)

    a = tnp.asarray(np.arange(8, dtype=np.float32))
    b = tnp.asarray(np.ones(8, np.float32))
    profile(lambda: a + b, 20_000 if quick else 100_000, "tottime", 12, "a + b, f32[8]")

    c = tnp.asarray(np.ones(8, np.float32))

    def chain(x):
        y = x
        for _ in range(100):
            y = y + c
        return tnp.sum(y)

    g = tl.grad(chain)
    profile(lambda: g(a), 20 if quick else 100, "tottime", 20,
            "tl.grad of 100 chained adds, f32[8]")

    import bench_mlp_grad as M

    params, x, y = M.make_data()
    p_tl = [tnp.asarray(p) for p in params]
    x_tl, y_tl = tnp.asarray(x), tnp.asarray(y)
    loss = M.make_loss(tnp, tnp.tanh, lambda z: tnp.max(z, axis=1, keepdims=True), tnp.exp,
                       tnp.log, lambda z: tnp.sum(z, axis=1, keepdims=True), tnp.mean)
    gm = tl.grad(loss)
    gm(p_tl, x_tl, y_tl)
    n = 10 if quick else 40
    kernel_breakdown(lambda: gm(p_tl, x_tl, y_tl), n, "MLP grad step, tensorlib")
    ref = H.interleaved_calls({"numpy": lambda: M.numpy_step(params, x, y)}, rounds=n)
    print(f"  (hand-written NumPy step, same run: {ref['numpy'] * 1e3:.2f} ms)")
    profile(lambda: gm(p_tl, x_tl, y_tl), n, "tottime", 22, "MLP grad step")
    profile(lambda: gm(p_tl, x_tl, y_tl), n, "cumulative", 30, "MLP grad step")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
