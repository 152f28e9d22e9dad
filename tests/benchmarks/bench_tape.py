"""Tape overhead per recorded op: forward + backward of a chain of N adds on f32[8].

``f(x) = sum(x + c + c + ... + c)`` (N adds of a constant f32[8] ``c``), differentiated with
respect to ``x``: tensorlib ``tl.grad``, PyTorch autograd (``requires_grad`` and
``torch.autograd.grad``), HIPS autograd ``grad`` and JAX ``jax.grad`` without jit. Timing N = 10
and N = 100 gives the slope (µs per recorded op, forward record + backward VJP) and the
intercept (fixed cost of one grad call). The same chain without differentiation gives the
plain eager slope, so ``grad slope - eager slope`` is what recording and replaying one op
costs beyond running it.

Run: ``python tests/benchmarks/bench_tape.py [--quick] [--threads N]``
"""

from __future__ import annotations

import sys

import _harness as H

H.setup_threads()  # before numpy, torch and jax are imported

import numpy as np  # noqa: E402

NS = (10, 100)


def make_cases():
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal(8).astype(np.float32)
    c_np = rng.standard_normal(8).astype(np.float32)
    grads, evals = {}, {}

    import tensorlib as tl
    import tensorlib.numpy as tnp

    x_tl, c_tl = tnp.asarray(x_np), tnp.asarray(c_np)

    def chain_tl(x, n):
        y = x
        for _ in range(n):
            y = y + c_tl
        return tnp.sum(y)

    grads["tensorlib"] = lambda n: tl.grad(chain_tl)(x_tl, n)
    evals["tensorlib"] = lambda n: chain_tl(x_tl, n)

    import torch

    H.setup_torch(torch)
    c_t = torch.from_numpy(c_np.copy())

    def chain_t(x, n):
        y = x
        for _ in range(n):
            y = y + c_t
        return y.sum()

    def grad_t(n):
        x = torch.from_numpy(x_np.copy()).requires_grad_(True)
        return torch.autograd.grad(chain_t(x, n), x)[0]

    x_t = torch.from_numpy(x_np.copy())
    grads["torch"] = grad_t
    evals["torch"] = lambda n: chain_t(x_t, n)

    import autograd
    import autograd.numpy as anp

    def chain_ag(x, n):
        y = x
        for _ in range(n):
            y = y + c_np
        return anp.sum(y)

    def eval_ag(n):
        # Outside grad, ``y + c`` on ndarrays is plain NumPy; call the wrappers instead so
        # that the row shows what autograd.numpy costs untraced.
        y = x_np
        for _ in range(n):
            y = anp.add(y, c_np)
        return anp.sum(y)

    grad_ag = autograd.grad(chain_ag)
    grads["autograd"] = lambda n: grad_ag(x_np, n)
    evals["autograd"] = eval_ag

    import jax
    import jax.numpy as jnp

    x_j, c_j = jnp.asarray(x_np), jnp.asarray(c_np)

    def chain_j(x, n):
        y = x
        for _ in range(n):
            y = y + c_j
        return jnp.sum(y)

    grad_j = jax.grad(chain_j, argnums=0)
    grads["jax eager"] = lambda n: grad_j(x_j, n).block_until_ready()
    evals["jax eager"] = lambda n: chain_j(x_j, n).block_until_ready()
    return grads, evals


def main(quick=False):
    H.header("tape overhead per recorded op: grad of a chain of N adds, f32[8]")
    grads, evals = make_cases()
    for name, g in grads.items():
        val = np.asarray(g(10))
        if not np.allclose(val, 1.0):
            raise SystemExit(f"{name}: gradient {val} is not all ones")
    cases = {}
    for name in grads:
        for n in NS:
            cases[(name, "grad", n)] = (lambda g=grads[name], n=n: g(n))
            cases[(name, "eval", n)] = (lambda e=evals[name], n=n: e(n))
    res = H.interleaved(cases, rounds=7 if quick else 25, target_s=0.02)
    slope = {}
    rows = []
    n0, n1 = NS
    for name in grads:
        g0, g1 = res[(name, "grad", n0)], res[(name, "grad", n1)]
        e0, e1 = res[(name, "eval", n0)], res[(name, "eval", n1)]
        sg, se = (g1 - g0) / (n1 - n0), (e1 - e0) / (n1 - n0)
        slope[name] = sg
        rows.append([name, f"{g0 * 1e6:.1f}", f"{g1 * 1e6:.1f}", f"{sg * 1e6:.2f}",
                     f"{(g0 - n0 * sg) * 1e6:.1f}", f"{se * 1e6:.2f}", f"{(sg - se) * 1e6:.2f}"])
    print()
    H.table(["library", f"grad N={n0} µs", f"grad N={n1} µs", "grad µs/op",
             "grad fixed µs", "eager µs/op", "tape extra µs/op"], rows)
    print()
    H.table(["library", "grad µs/op", "vs torch"],
            [[n, f"{s * 1e6:.2f}", H.ratio(s, slope["torch"])] for n, s in slope.items()])
    print("\ngrad µs/op = slope of forward+backward time over N; fixed = intercept (one grad "
          "call);\neager µs/op = slope of the same chain without grad; tape extra = the "
          "difference.")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
