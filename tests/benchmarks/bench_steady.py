"""Steady-state cost of jitted calls against ``jax.jit``, on both tensorlib backends.

Three cases, each timed side by side with JAX in one process per tensorlib backend
(``TENSORLIB_BACKEND=numpy`` and ``xla``; the backend is chosen at import, so each runs in a
child process):

1. ``deep``: ``jit(grad(loss))`` of a 200-layer tanh MLP written as a Python loop
   (H=32, batch 16, ``sum(h * h)``): many small operations, where the executor's per-step
   cost shows (the NumPy backend runs ~1,000 NumPy calls per step, XLA one executable).
2. ``pytree``: a jitted ``d["x"] + p[0][1]`` whose arguments are a 21-leaf pytree (10
   ``(W, b)`` pairs and a dict): the per-call cost of flattening and of the cache key.
3. ``one-array``: a jitted ``a * 2 + 1`` on f32[8]: the call path alone.

Results are checked against JAX before timing. Targets (issue 19): deep <= 1.0x JAX on the
NumPy backend and <= 1.05x on XLA; the two call-overhead cases <= 1.0x.

Run: ``python tests/benchmarks/bench_steady.py [--quick] [--cpu-time] [--threads N]``
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import _harness as H

H.setup_threads()

import numpy as np  # noqa: E402

L, HID, B = 200, 32, 16


def deep_params(m):
    rng = np.random.default_rng(0)
    ws = [(rng.standard_normal((HID, HID)) * 0.2).astype(np.float32) for _ in range(L)]
    params = [(m.asarray(w), m.asarray(np.zeros(HID, np.float32))) for w in ws]
    x = m.asarray(rng.standard_normal((B, HID)).astype(np.float32))
    return params, x


def deep_loss(m):
    def loss(params, x):
        h = x
        for w, b in params:
            h = m.tanh(h @ w + b)
        return m.sum(h * h)
    return loss


def tree_args(m):
    return [(m.ones((4, 4)), m.ones(4)) for _ in range(10)], {"x": m.ones(4)}


def child(quick):
    """One process: tensorlib on the backend of TENSORLIB_BACKEND, and JAX."""
    import jax
    import jax.numpy as jnp

    import tensorlib as tl
    import tensorlib.numpy as tnp

    tl.config.update("compile_tier", "compiled")
    p_t, x_t = deep_params(tnp)
    p_j, x_j = deep_params(jnp)
    g_t, g_j = tl.jit(tl.grad(deep_loss(tnp))), jax.jit(jax.grad(deep_loss(jnp)))
    a_t, d_t = tree_args(tnp)
    a_j, d_j = tree_args(jnp)
    f_t = tl.jit(lambda p, d: d["x"] + p[0][1])
    f_j = jax.jit(lambda p, d: d["x"] + p[0][1])
    o_t, o_j = tnp.ones(8), jnp.ones(8)
    h_t, h_j = tl.jit(lambda a: a * 2.0 + 1.0), jax.jit(lambda a: a * 2.0 + 1.0)

    got = np.asarray(g_t(p_t, x_t)[0][0])
    want = np.asarray(g_j(p_j, x_j)[0][0])
    err = float(np.abs(got - want).max() / np.abs(want).max())
    if err > 2e-3:  # 200 float32 layers: XLA's tanh differs from NumPy's in the last bits
        raise SystemExit(f"deep: tensorlib and JAX disagree ({err:.1e})")
    np.testing.assert_allclose(np.asarray(f_t(a_t, d_t)), np.asarray(f_j(a_j, d_j)))
    np.testing.assert_allclose(np.asarray(h_t(o_t)), np.asarray(h_j(o_j)))

    def ready_t(out):
        return tl.block_until_ready(out)

    cases = {
        "deep tensorlib": lambda: ready_t(g_t(p_t, x_t)),
        "deep jax": lambda: jax.block_until_ready(g_j(p_j, x_j)),
    }
    res = H.interleaved_calls(cases, rounds=5 if quick else 20)
    small = {
        "pytree tensorlib": ("f(a, d)", {"f": f_t, "a": a_t, "d": d_t}),
        "pytree jax": ("f(a, d)", {"f": f_j, "a": a_j, "d": d_j}),
        "one-array tensorlib": ("f(o)", {"f": h_t, "o": o_t}),
        "one-array jax": ("f(o)", {"f": h_j, "o": o_j}),
    }
    res.update(H.interleaved(small, rounds=5 if quick else 15))
    res["deep_err"] = err
    print(json.dumps(res))


def main():
    H.header("steady-state jitted calls: tensorlib (numpy / xla backends) vs jax.jit, f32")
    rows, targets = [], []
    for backend in ("numpy", "xla"):
        args = [sys.executable, os.path.abspath(__file__), "--child"] + sys.argv[1:]
        r = subprocess.run(args, capture_output=True, text=True,
                           env=dict(os.environ, TENSORLIB_BACKEND=backend),
                           cwd=os.path.dirname(os.path.abspath(__file__)))
        if r.returncode != 0:
            raise SystemExit(f"child ({backend}) failed:\n{r.stdout}\n{r.stderr}")
        res = json.loads(r.stdout.strip().splitlines()[-1])
        for case, unit, scale, limit in (("deep", "ms", 1e3, 1.0 if backend == "numpy" else 1.05),
                                         ("pytree", "us", 1e6, 1.0),
                                         ("one-array", "us", 1e6, 1.0)):
            t, j = res[f"{case} tensorlib"], res[f"{case} jax"]
            rows.append([f"{case} ({backend})", f"{t * scale:.2f} {unit}",
                         f"{j * scale:.2f} {unit}", H.ratio(t, j)])
            targets.append((f"{case}, {backend} backend: <= {limit:.2f}x JAX", t / j, limit))
        rows.append([f"  deep: max |tl - jax| / max |jax| = {res['deep_err']:.1e}", "", "", ""])
    H.table(["case (backend)", "tensorlib", "jax", "ratio"], rows)
    print("\n-- targets --")
    H.table(["target", "measured", ""],
            [[name, f"{v:.2f}x", "met" if v <= lim else "MISSED"] for name, v, lim in targets])


if __name__ == "__main__":
    if "--child" in sys.argv:
        child("--quick" in sys.argv)
    else:
        main()
