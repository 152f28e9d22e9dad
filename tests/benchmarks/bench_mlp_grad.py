"""Reverse-mode gradient of an MLP loss, eager, float32.

Layers 784-512-512-10, tanh, batch 128, mean softmax cross-entropy (log-sum-exp with the row
max subtracted). One step = loss and gradient with respect to all six parameters:

- ``numpy (by hand)``: a hand-written NumPy forward and backward pass, the reference;
- ``tensorlib``: ``tl.grad`` (tape) on the NumPy backend;
- ``torch``: forward, then ``torch.autograd.grad``;
- ``autograd``: HIPS ``autograd.grad``;
- ``jax eager``: ``jax.grad`` without ``jit`` (every op dispatched on its own).

The gradients of every library are checked against the hand-written ones before timing.

Run: ``python tests/benchmarks/bench_mlp_grad.py [--quick] [--threads N]``
"""

from __future__ import annotations

import sys

import _harness as H

H.setup_threads()  # before numpy, torch and jax are imported

import numpy as np  # noqa: E402

SIZES = (784, 512, 512, 10)
BATCH = 128


def make_data(seed=0):
    rng = np.random.default_rng(seed)
    params = []
    for m, n in zip(SIZES[:-1], SIZES[1:], strict=True):
        params.append((rng.standard_normal((m, n)) / np.sqrt(m)).astype(np.float32))
        params.append((0.1 * rng.standard_normal(n)).astype(np.float32))
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    labels = rng.integers(0, SIZES[-1], BATCH)
    y = np.eye(SIZES[-1], dtype=np.float32)[labels]
    return params, x, y


# ------------------------------------------------------------------------------------------
# The reference: NumPy forward and backward by hand


def numpy_step(params, x, y):
    w1, b1, w2, b2, w3, b3 = params
    h1 = np.tanh(x @ w1 + b1)
    h2 = np.tanh(h1 @ w2 + b2)
    logits = h2 @ w3 + b3
    m = logits.max(axis=1, keepdims=True)
    lse = np.log(np.exp(logits - m).sum(axis=1, keepdims=True)) + m
    loss = -np.mean(np.sum(y * (logits - lse), axis=1))
    d_logits = (np.exp(logits - lse) - y) / np.float32(x.shape[0])
    d_w3, d_b3 = h2.T @ d_logits, d_logits.sum(0)
    d_a2 = (d_logits @ w3.T) * (1 - h2 * h2)
    d_w2, d_b2 = h1.T @ d_a2, d_a2.sum(0)
    d_a1 = (d_a2 @ w2.T) * (1 - h1 * h1)
    d_w1, d_b1 = x.T @ d_a1, d_a1.sum(0)
    return loss, [d_w1, d_b1, d_w2, d_b2, d_w3, d_b3]


# ------------------------------------------------------------------------------------------
# The same loss written once per library


def make_loss(xnp, tanh, maximum_keepdims, exp, log, sum_keepdims, mean):
    def loss(params, x, y):
        w1, b1, w2, b2, w3, b3 = params
        h1 = tanh(x @ w1 + b1)
        h2 = tanh(h1 @ w2 + b2)
        logits = h2 @ w3 + b3
        m = maximum_keepdims(logits)
        lse = log(sum_keepdims(exp(logits - m))) + m
        return -mean(xnp.sum(y * (logits - lse), axis=1))

    return loss


def make_steps(params_np, x_np, y_np):
    steps = {"numpy (by hand)": lambda: numpy_step(params_np, x_np, y_np)[1]}

    import tensorlib as tl
    import tensorlib.numpy as tnp

    p_tl = [tnp.asarray(p) for p in params_np]
    x_tl, y_tl = tnp.asarray(x_np), tnp.asarray(y_np)
    loss_tl = make_loss(tnp, tnp.tanh, lambda z: tnp.max(z, axis=1, keepdims=True), tnp.exp,
                        tnp.log, lambda z: tnp.sum(z, axis=1, keepdims=True), tnp.mean)
    grad_tl = tl.grad(loss_tl)
    steps["tensorlib"] = lambda: grad_tl(p_tl, x_tl, y_tl)

    import torch

    H.setup_torch(torch)
    p_t = [torch.from_numpy(p.copy()).requires_grad_(True) for p in params_np]
    x_t, y_t = torch.from_numpy(x_np.copy()), torch.from_numpy(y_np.copy())
    loss_t = make_loss(torch, torch.tanh, lambda z: torch.amax(z, dim=1, keepdim=True),
                       torch.exp, torch.log, lambda z: torch.sum(z, dim=1, keepdim=True),
                       torch.mean)

    def torch_step():
        return torch.autograd.grad(loss_t(p_t, x_t, y_t), p_t)

    steps["torch"] = torch_step

    import autograd
    import autograd.numpy as anp

    loss_ag = make_loss(anp, anp.tanh, lambda z: anp.max(z, axis=1, keepdims=True), anp.exp,
                        anp.log, lambda z: anp.sum(z, axis=1, keepdims=True), anp.mean)
    grad_ag = autograd.grad(loss_ag)
    steps["autograd"] = lambda: grad_ag(params_np, x_np, y_np)

    import jax
    import jax.numpy as jnp

    p_j = [jnp.asarray(p) for p in params_np]
    x_j, y_j = jnp.asarray(x_np), jnp.asarray(y_np)
    loss_j = make_loss(jnp, jnp.tanh, lambda z: jnp.max(z, axis=1, keepdims=True), jnp.exp,
                       jnp.log, lambda z: jnp.sum(z, axis=1, keepdims=True), jnp.mean)
    grad_j = jax.grad(loss_j)

    def jax_step():
        return jax.block_until_ready(grad_j(p_j, x_j, y_j))

    steps["jax eager"] = jax_step
    return steps


def _as_numpy(g):
    if hasattr(g, "detach"):
        return g.detach().numpy()
    return np.asarray(g)


def check_gradients(steps, ref):
    """Max over parameters of max|g - ref| / max|ref|, per library; exits on disagreement."""
    errs = {}
    for name, step in steps.items():
        got = [_as_numpy(g) for g in step()]
        err = 0.0
        for g, r in zip(got, ref, strict=True):
            if g.shape != r.shape or g.dtype != np.float32:
                raise SystemExit(f"{name}: gradient {g.dtype}{g.shape} vs {r.dtype}{r.shape}")
            err = max(err, float(np.max(np.abs(g - r)) / np.max(np.abs(r))))
        if err > 1e-4:
            raise SystemExit(f"{name}: gradients disagree with NumPy by {err:.2e} (relative)")
        errs[name] = err
    return errs


def main(quick=False):
    H.header("MLP 784-512-512-10 tanh, batch 128, softmax cross-entropy: loss + grad, f32")
    params, x, y = make_data()
    _, ref = numpy_step(params, x, y)
    steps = make_steps(params, x, y)
    errs = check_gradients(steps, ref)
    print("  gradients agree with the hand-written NumPy backward: max relative error "
          + ", ".join(f"{n} {e:.1e}" for n, e in errs.items()))
    res = H.interleaved_calls(steps, rounds=10 if quick else 40)
    ref_t, torch_t = res["numpy (by hand)"], res["torch"]
    print()
    H.table(["library", "ms/step", "vs numpy", "vs torch", "over numpy ms"],
            [[n, f"{t * 1e3:.2f}", H.ratio(t, ref_t), H.ratio(t, torch_t),
              f"{(t - ref_t) * 1e3:+.2f}"] for n, t in res.items()])


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
