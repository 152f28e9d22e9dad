"""``tl.vmap`` and ``tl.pmap`` against PyTorch (``torch.func``), JAX and hand-written NumPy.

a. Per-example gradients of the MLP loss of ``bench_mlp_grad.py`` (784-512-512-10, tanh,
   softmax cross-entropy, f32) over a batch of 128: the gradient of each example's own loss
   with respect to all six parameters (outputs f32[128, 784, 512], f32[128, 512], ...: about
   340 MB per call). ``tl.jit(tl.vmap(tl.grad(loss), in_axes=(None, 0, 0)))``, the same without
   ``jit``, ``torch.func.vmap(torch.func.grad(loss))``, ``jax.jit(jax.vmap(jax.grad(loss)))``,
   Python loops of ``tl.grad`` and of ``tl.jit(tl.grad)`` over a subset of the examples
   (scaled to 128), and a hand-written NumPy backward pass with ``np.einsum`` outer products
   (the reference every result is checked against).
b. One data-parallel SGD step of the same MLP on a global batch of 512: ``tl.pmap`` over 4
   virtual CPU devices (``TENSORLIB_NUM_CPU_DEVICES=4``; 128 examples per device, gradients
   averaged with ``lax.pmean``, parameters replicated on a leading axis of 4), the same
   ``pmap`` on 1 device (all 512 examples), ``tl.jit`` of the plain step on 512 examples,
   ``jax.pmap`` over 4 host devices (``XLA_FLAGS=--xla_force_host_platform_device_count=4``;
   inputs placed on the devices once, as a training loop keeps them, and also passed as one
   host array that pmap shards on every call) and ``jax.jit`` of the plain step. All updates
   are checked against the hand-written NumPy step on 512 examples.

The machine has 2 cores, so 4 devices cannot run more than 2 at a time. With ``--cpu-time``
the clock sums the CPU time of every thread, so it shows total work, not parallel speedup:
compare pmap's wall clock with its CPU time to see how much ran in parallel.

Run: ``python tests/benchmarks/bench_vmap_pmap.py [--quick] [--threads N] [--cpu-time]
[--profile]`` (``--profile``: cProfile of the tensorlib cases after the tables).
"""

from __future__ import annotations

import os
import sys

import _harness as H

DEVICES = 4
os.environ["TENSORLIB_NUM_CPU_DEVICES"] = str(DEVICES)
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                           + f" --xla_force_host_platform_device_count={DEVICES}").strip()
H.setup_threads()  # before numpy, numba, torch and jax are imported
os.environ["NUMBA_NUM_THREADS"] = str(H.THREADS)

import bench_mlp_grad as M  # noqa: E402
import numpy as np  # noqa: E402
from bench_jit import print_profile  # noqa: E402

LR = 0.1
SUBSET = 16  # examples the Python loops of tl.grad run (their time is scaled to the batch)


def make_losses(tl, tnp, torch, jnp):
    def mk(xnp, maxk, sumk, **fns):
        return M.make_loss(xnp, fns["tanh"], maxk, fns["exp"], fns["log"], sumk, fns["mean"])

    loss_tl = mk(tnp, lambda z: tnp.max(z, axis=1, keepdims=True),
                 lambda z: tnp.sum(z, axis=1, keepdims=True), tanh=tnp.tanh, exp=tnp.exp,
                 log=tnp.log, mean=tnp.mean)
    loss_t = mk(torch, lambda z: torch.amax(z, dim=1, keepdim=True),
                lambda z: torch.sum(z, dim=1, keepdim=True), tanh=torch.tanh, exp=torch.exp,
                log=torch.log, mean=torch.mean)
    loss_j = mk(jnp, lambda z: jnp.max(z, axis=1, keepdims=True),
                lambda z: jnp.sum(z, axis=1, keepdims=True), tanh=jnp.tanh, exp=jnp.exp,
                log=jnp.log, mean=jnp.mean)
    return loss_tl, loss_t, loss_j


def one(loss):
    """The loss of a single example (x f32[784], y f32[10]) as a batch of one."""
    return lambda p, x, y: loss(p, x[None], y[None])


def numpy_per_example(params, x, y):
    """Per-example gradients by hand: batched forward, einsum outer products backward."""
    w1, b1, w2, b2, w3, b3 = params
    h1 = np.tanh(x @ w1 + b1)
    h2 = np.tanh(h1 @ w2 + b2)
    logits = h2 @ w3 + b3
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    d_logits = e / e.sum(axis=1, keepdims=True) - y  # each example's loss is a mean over 1
    d_a2 = (d_logits @ w3.T) * (1 - h2 * h2)
    d_a1 = (d_a2 @ w2.T) * (1 - h1 * h1)
    return [np.einsum("bi,bj->bij", x, d_a1), d_a1, np.einsum("bi,bj->bij", h1, d_a2), d_a2,
            np.einsum("bi,bj->bij", h2, d_logits), d_logits]


def as_np(a):
    return np.asarray(a.detach().numpy() if hasattr(a, "detach") else a)


def max_rel_err(got, ref):
    err = 0.0
    for g, r in zip(got, ref, strict=True):
        g = as_np(g)
        if g.shape != r.shape or g.dtype != np.float32:
            raise SystemExit(f"result {g.dtype}{g.shape} vs reference {r.dtype}{r.shape}")
        err = max(err, float(np.max(np.abs(g - r)) / np.max(np.abs(r))))
    return err


def checked(name, got, ref, tol=1e-4):
    err = max_rel_err(got, ref)
    if not err <= tol:
        raise SystemExit(f"{name}: disagrees with the NumPy reference by {err:.2e} (relative)")
    return err


def ready(out):
    """Wait for tensorlib results, nested lists too (the XLA backend is asynchronous)."""
    if isinstance(out, (list, tuple)):
        for a in out:
            ready(a)
    else:
        out.block_until_ready()
    return out


def ms(t):
    return f"{t * 1e3:.2f}"


# ------------------------------------------------------------------------------------------
# a. per-example gradients


def part_a(quick, tl, tnp, torch, jax, jnp):
    n_par = sum(m * n + n for m, n in zip(M.SIZES[:-1], M.SIZES[1:], strict=True))
    print(f"\n-- a. per-example gradients, MLP {'-'.join(map(str, M.SIZES))} tanh, batch "
          f"{M.BATCH}, f32 ({4 * M.BATCH * n_par / 1e6:.0f} MB of gradients per call) --")
    params, x, y = M.make_data()
    loss_tl, loss_t, loss_j = make_losses(tl, tnp, torch, jnp)
    p_tl, x_tl, y_tl = [tnp.asarray(a) for a in params], tnp.asarray(x), tnp.asarray(y)
    pe_tl = tl.vmap(tl.grad(one(loss_tl)), in_axes=(None, 0, 0))
    pe_tl_jit = tl.jit(pe_tl)

    p_t = [torch.from_numpy(a.copy()) for a in params]
    x_t, y_t = torch.from_numpy(x.copy()), torch.from_numpy(y.copy())
    pe_t = torch.func.vmap(torch.func.grad(one(loss_t)), in_dims=(None, 0, 0))

    p_j, x_j, y_j = [jnp.asarray(a) for a in params], jnp.asarray(x), jnp.asarray(y)
    pe_j = jax.jit(jax.vmap(jax.grad(one(loss_j)), in_axes=(None, 0, 0)))

    g_tl = tl.grad(one(loss_tl))
    g_tl_jit = tl.jit(g_tl)
    xs_tl = [x_tl[i] for i in range(SUBSET)]
    ys_tl = [y_tl[i] for i in range(SUBSET)]

    def loop(g):
        return ready([g(p_tl, xi, yi) for xi, yi in zip(xs_tl, ys_tl, strict=True)])

    scale = M.BATCH / SUBSET
    cases = {
        "numpy einsum (by hand)": lambda: numpy_per_example(params, x, y),
        "tensorlib jit(vmap(grad))": lambda: ready(pe_tl_jit(p_tl, x_tl, y_tl)),
        "tensorlib vmap(grad), no jit": lambda: ready(pe_tl(p_tl, x_tl, y_tl)),
        "torch.func vmap(grad)": lambda: pe_t(p_t, x_t, y_t),
        "jax jit(vmap(grad))": lambda: jax.block_until_ready(pe_j(p_j, x_j, y_j)),
        f"tensorlib loop of grad ({SUBSET} ex., x{scale:g})": lambda: loop(g_tl),
        f"tensorlib loop of jit(grad) ({SUBSET} ex., x{scale:g})": lambda: loop(g_tl_jit),
    }
    ref = numpy_per_example(params, x, y)
    errs = {}
    for n, c in cases.items():
        if "loop" in n:
            per = c()
            got = [np.stack([as_np(per[i][k]) for i in range(SUBSET)]) for k in range(6)]
            errs[n] = checked(n, got, [r[:SUBSET] for r in ref])
        else:
            errs[n] = checked(n, c(), ref)
    print("  agree with the hand-written NumPy per-example gradients (max relative error): "
          + ", ".join(f"{n} {e:.1e}" for n, e in errs.items()))
    del ref
    res = H.interleaved_calls(cases, rounds=3 if quick else 10)
    res = {n: t * scale if "loop" in n else t for n, t in res.items()}
    ref_t, t_t = res["numpy einsum (by hand)"], res["torch.func vmap(grad)"]
    H.table(["library", "ms/batch", "vs numpy", "vs torch.func", "vs jax jit"],
            [[n, ms(t), H.ratio(t, ref_t), H.ratio(t, t_t), H.ratio(t, res["jax jit(vmap(grad))"])]
             for n, t in res.items()])
    tl_t = res["tensorlib jit(vmap(grad))"]
    print(f"  target: per-example grads no slower than torch.func: tl.jit(vmap(grad)) / "
          f"torch.func = {tl_t / t_t:.2f} ({'met' if tl_t <= t_t else 'MISSED'})")
    return {"a": res}, (pe_tl_jit, p_tl, x_tl, y_tl)


# ------------------------------------------------------------------------------------------
# b. pmap data-parallel SGD step


def part_b(quick, tl, tnp, torch, jax, jnp):
    gbatch = DEVICES * M.BATCH
    print(f"\n-- b. data-parallel SGD step p - {LR} * grad, MLP {'-'.join(map(str, M.SIZES))}, "
          f"global batch {gbatch}: {DEVICES} devices x {M.BATCH} vs 1 device --")
    print(f"  devices: tensorlib {len(tl.devices())} ({tl.devices()[0]}, ...), jax "
          f"{len(jax.devices())} ({jax.devices()[0]}, ...)")
    rng = np.random.default_rng(1)
    params, _, _ = M.make_data()
    x = rng.standard_normal((gbatch, M.SIZES[0])).astype(np.float32)
    y = np.eye(M.SIZES[-1], dtype=np.float32)[rng.integers(0, M.SIZES[-1], gbatch)]
    loss_tl, _, loss_j = make_losses(tl, tnp, torch, jnp)

    def tl_step(p, xb, yb):
        g = tl.grad(loss_tl)(p, xb, yb)
        return [a - LR * b for a, b in zip(p, g, strict=True)]

    def tl_dp_step(p, xb, yb):
        g = tl.grad(loss_tl)(p, xb, yb)
        return [a - LR * tl.lax.pmean(b, "d") for a, b in zip(p, g, strict=True)]

    def tl_dp_step_no_pmean(p, xb, yb):  # diagnostic: each replica steps on its own grads
        g = tl.grad(loss_tl)(p, xb, yb)
        return [a - LR * b for a, b in zip(p, g, strict=True)]

    def j_step(p, xb, yb):
        g = jax.grad(loss_j)(p, xb, yb)
        return [a - LR * b for a, b in zip(p, g, strict=True)]

    def j_dp_step(p, xb, yb):
        g = jax.grad(loss_j)(p, xb, yb)
        return [a - LR * jax.lax.pmean(b, "d") for a, b in zip(p, g, strict=True)]

    def rep(a, n):
        return np.ascontiguousarray(np.broadcast_to(a, (n,) + a.shape))

    def shard(a, n):
        return a.reshape((n, a.shape[0] // n) + a.shape[1:])

    pm_tl = tl.pmap(tl_dp_step, axis_name="d")
    pm_tl_nop = tl.pmap(tl_dp_step_no_pmean, axis_name="d")
    jit_tl = tl.jit(tl_step)
    args4_tl = ([tnp.asarray(rep(a, DEVICES)) for a in params], tnp.asarray(shard(x, DEVICES)),
                tnp.asarray(shard(y, DEVICES)))
    args1_tl = ([tnp.asarray(rep(a, 1)) for a in params], tnp.asarray(shard(x, 1)),
                tnp.asarray(shard(y, 1)))
    argsj_tl = ([tnp.asarray(a) for a in params], tnp.asarray(x), tnp.asarray(y))
    # as a training loop keeps them: each leaf split over the devices by an identity pmap (on
    # the XLA backend the shards stay on their devices; on NumPy it is the same host array)
    args4_dev_tl = tl.pmap(lambda t: t)(args4_tl)

    pm_j = jax.pmap(j_dp_step, axis_name="d")
    jit_j = jax.jit(j_step)
    args4_host = ([rep(a, DEVICES) for a in params], shard(x, DEVICES), shard(y, DEVICES))
    # an identity pmap leaves each leaf split over the devices, as pmap's own outputs are
    args4_j = jax.block_until_ready(jax.tree_util.tree_map(jax.pmap(lambda t: t), args4_host))
    argsj_j = ([jnp.asarray(a) for a in params], jnp.asarray(x), jnp.asarray(y))

    cases = {
        "numpy (by hand), 1 device": lambda: [
            a - np.float32(LR) * g for a, g in zip(params, M.numpy_step(params, x, y)[1],
                                                   strict=True)],
        f"tensorlib pmap, {DEVICES} devices (inputs on devices)":
            lambda: ready(pm_tl(*args4_dev_tl)),
        f"tensorlib pmap, {DEVICES} devices (host inputs)": lambda: ready(pm_tl(*args4_tl)),
        "tensorlib pmap, 1 device": lambda: ready(pm_tl(*args1_tl)),
        f"tensorlib pmap, {DEVICES} devices, no pmean (*)": lambda: ready(pm_tl_nop(*args4_tl)),
        "tensorlib jit, 1 device": lambda: ready(jit_tl(*argsj_tl)),
        f"jax pmap, {DEVICES} devices (inputs on devices)":
            lambda: jax.block_until_ready(pm_j(*args4_j)),
        f"jax pmap, {DEVICES} devices (host inputs)":
            lambda: jax.block_until_ready(pm_j(*args4_host)),
        "jax jit, 1 device": lambda: jax.block_until_ready(jit_j(*argsj_j)),
    }
    ref_g = M.numpy_step(params, x, y)[1]
    errs = {}
    for n, c in cases.items():
        out = c()
        for k in range(len(out)):
            o = as_np(out[k])
            if "pmap" in n:
                same = all(np.array_equal(o[0], o[i]) for i in range(1, o.shape[0]))
                if "(*)" not in n and not same:
                    raise SystemExit(f"{n}: the replicas' parameters differ")
                o = o[0]
            out[k] = (params[k] - o) / np.float32(LR)
        if "(*)" in n:  # each replica's gradient is that of its own 128 examples
            ref_0 = M.numpy_step(params, x[:M.BATCH], y[:M.BATCH])[1]
            errs[n] = checked(n, out, ref_0, 1e-3)
        else:
            errs[n] = checked(n, out, ref_g, 1e-3)
    print("  implied gradients agree with the hand-written NumPy step (relative): "
          + ", ".join(f"{n} {e:.1e}" for n, e in errs.items()))
    res = H.interleaved_calls(cases, rounds=5 if quick else 20)
    one_t = res["tensorlib jit, 1 device"]
    H.table(["case", "ms/step", "vs tensorlib jit 1 dev", "vs jax pmap 4 dev", "vs numpy"],
            [[n, ms(t), H.ratio(t, one_t),
              H.ratio(t, res[f"jax pmap, {DEVICES} devices (inputs on devices)"]),
              H.ratio(t, res["numpy (by hand), 1 device"])] for n, t in res.items()])
    print(f"  (*) diagnostic, not a data-parallel step: the same pmap without the pmean of the "
          f"gradients (each replica\n      steps on its own shard's gradient); the difference "
          f"is the cost of the {len(params)} pmean collectives. Clock: {H.CLOCK_NAME}")
    return {"b": res}, (pm_tl, args4_tl)


# ------------------------------------------------------------------------------------------


def main(quick=False):
    H.header(f"tl.vmap / tl.pmap vs torch.func, JAX, NumPy, f32; NUMBA_NUM_THREADS "
             f"{os.environ['NUMBA_NUM_THREADS']}, TENSORLIB_NUM_CPU_DEVICES {DEVICES}, "
             f"TENSORLIB_BACKEND {os.environ.get('TENSORLIB_BACKEND', 'numpy')}")
    import jax
    import jax.numpy as jnp
    import torch
    import torch.func  # noqa: F401

    import tensorlib as tl
    import tensorlib.numpy as tnp

    H.setup_torch(torch)
    ctx = {}
    _, ctx["a"] = part_a(quick, tl, tnp, torch, jax, jnp)
    _, ctx["b"] = part_b(quick, tl, tnp, torch, jax, jnp)
    if "--profile" in sys.argv:
        profile(ctx)


def profile(ctx):
    import cProfile
    import threading
    import time

    from tensorlib._src import pmap as pmap_mod

    print("\n== cProfile of the tensorlib cases ==")
    fn, args = ctx["a"][0], ctx["a"][1:]
    fn(*args)
    p = cProfile.Profile()
    p.enable()
    for _ in range(5):
        fn(*args)
    p.disable()
    print_profile(p, "cProfile: a. tl.jit(vmap(grad)), 5 calls", 14)

    # pmap runs each device on a thread of its pool; cProfile sees one thread, so every pool
    # thread gets its own profiler (a barrier makes each of the 4 tasks land on its own
    # thread), timed with the thread's CPU clock so that waiting at barriers costs nothing
    fn, args = ctx["b"]
    fn(*args)
    pool, profs = pmap_mod._pool(DEVICES), {}
    gate = threading.Barrier(DEVICES)

    def on_each_thread(action):
        def task(_):
            gate.wait()
            action()

        list(pool.map(task, range(DEVICES)))

    def start():
        q = profs[threading.get_ident()] = cProfile.Profile(time.thread_time)
        q.enable()

    on_each_thread(start)
    main_prof = cProfile.Profile(time.thread_time)
    main_prof.enable()
    for _ in range(20):
        fn(*args)
    main_prof.disable()
    on_each_thread(lambda: profs[threading.get_ident()].disable())
    import pstats

    merged = pstats.Stats(main_prof)
    for q in profs.values():
        merged.add(q)
    print_profile(merged, f"cProfile: b. tl.pmap step, {DEVICES} devices, 20 calls, the main "
                  f"thread and the {DEVICES} device threads together, thread CPU time", 16)


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
