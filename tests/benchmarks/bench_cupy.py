"""The CuPy backend on a GPU: fused elementwise chains against the memory-bandwidth floor, and
an MLP SGD step against PyTorch CUDA and JAX (each when installed with GPU support).

    python tests/benchmarks/bench_cupy.py [--n 100000000] [--rounds 5]

- floor: bytes the fused kernel must move (every input read once, every output written once)
  divided by the device bandwidth measured here with a CuPy device-to-device copy;
- "eager": the same program unfused, one CuPy kernel per primitive.

Exits with a message (status 1) where CuPy or a GPU is missing. Not run this session: the
machine it was written on has no GPU (see docs/backends.md).
"""

from __future__ import annotations

import statistics
import sys
import time

import _harness


def _gpu_or_exit():
    try:
        import cupy
    except ImportError:
        sys.exit("bench_cupy: CuPy is not installed (pip install cupy-cuda12x); nothing to run")
    try:
        ok = cupy.cuda.is_available()
    except Exception as e:  # noqa: BLE001
        sys.exit(f"bench_cupy: CuPy cannot reach a GPU ({e}); nothing to run")
    if not ok:
        sys.exit("bench_cupy: CuPy is installed but no GPU is visible; nothing to run")
    return cupy


def _arg(name, default):
    return type(default)(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def _time_gpu(cupy, fn, rounds):
    """Median seconds per call, timed with CUDA events around each call (after a warm-up)."""
    fn()
    cupy.cuda.get_current_stream().synchronize()
    times = []
    for _ in range(rounds):
        start, end = cupy.cuda.Event(), cupy.cuda.Event()
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(cupy.cuda.get_elapsed_time(start, end) / 1e3)
    return statistics.median(times)


def _bandwidth(cupy, n, rounds):
    """Device bandwidth in bytes/s: a copy reads and writes ``n`` float32 once each."""
    a = cupy.ones(n, cupy.float32)
    b = cupy.empty_like(a)
    t = _time_gpu(cupy, lambda: cupy.copyto(b, a), rounds)
    return 2 * a.nbytes / t


def _chain(x, y):
    import tensorlib.numpy as tnp

    return tnp.tanh(x * 1.5 + y) * tnp.exp(-x * x) + 0.5 * y


def _adam(p, g, m, v):
    import tensorlib.numpy as tnp

    b1, b2, lr, eps = 0.9, 0.999, 1e-3, 1e-8
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    return p - lr * m / (tnp.sqrt(v) + eps), m, v


def _fused_rows(cupy, n, rounds, bw):
    import numpy as np

    import tensorlib as tl
    import tensorlib.numpy as tnp

    rows = []
    progs = {"chain (2 in, 1 out)": (_chain, 2, 1), "adam (4 in, 3 out)": (_adam, 4, 3)}
    for label, (f, n_in, n_out) in progs.items():
        args = [tnp.asarray(cupy.random.rand(n, dtype=np.float32)) for _ in range(n_in)]
        jf = tl.jit(f)
        t_jit = _time_gpu(cupy, lambda jf=jf, args=args: jf(*args), rounds)
        t_eager = _time_gpu(cupy, lambda f=f, args=args: f(*args), rounds)
        floor = (n_in + n_out) * n * 4 / bw
        rows.append([label, f"{t_jit * 1e3:.2f} ms", f"{t_eager * 1e3:.2f} ms",
                     f"{floor * 1e3:.2f} ms", f"{t_jit / floor:.2f}x"])
    return rows


def _mlp_rows(cupy, rounds):
    import numpy as np

    import tensorlib as tl
    import tensorlib.numpy as tnp

    batch, sizes = 256, [784, 1024, 1024, 10]
    rng = np.random.default_rng(0)
    params = [(rng.standard_normal((a, b), np.float32) * 0.05, np.zeros(b, np.float32))
              for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    x = rng.standard_normal((batch, sizes[0]), np.float32)
    y = rng.integers(0, 10, batch)

    def loss(ps, x, y):
        h = x
        for w, b in ps[:-1]:
            h = tnp.maximum(h @ w + b, 0.0)
        logits = h @ ps[-1][0] + ps[-1][1]
        return -tnp.mean(tl.nn.log_softmax(logits)[tnp.arange(batch), y])

    @tl.jit
    def step(ps, x, y):
        g = tl.grad(loss)(ps, x, y)
        return tl.tree_util.tree_map(lambda p, d: p - 0.01 * d, ps, g)

    ps = tl.device_put(params)
    xd, yd = tl.device_put(x), tl.device_put(y.astype(np.int32))
    t = _time_gpu(cupy, lambda: step(ps, xd, yd), rounds)
    rows = [["tensorlib cupy jit", f"{t * 1e3:.3f} ms"]]
    rows += _torch_row(params, x, y, rounds) + _jax_row(params, x, y, rounds)
    return rows


def _torch_row(params, x, y, rounds):
    try:
        import torch
    except ImportError:
        return [["pytorch cuda", "not installed"]]
    if not torch.cuda.is_available():
        return [["pytorch cuda", "no CUDA device for torch"]]
    dev = torch.device("cuda")
    ps = [(torch.tensor(w, device=dev, requires_grad=True),
           torch.tensor(b, device=dev, requires_grad=True)) for w, b in params]
    xt, yt = torch.tensor(x, device=dev), torch.tensor(y, device=dev)

    def step():
        h = xt
        for w, b in ps[:-1]:
            h = torch.relu(h @ w + b)
        loss = torch.nn.functional.cross_entropy(h @ ps[-1][0] + ps[-1][1], yt)
        grads = torch.autograd.grad(loss, [t for pair in ps for t in pair])
        with torch.no_grad():
            for t, g in zip([t for pair in ps for t in pair], grads, strict=True):
                t -= 0.01 * g

    times = []
    for _ in range(rounds + 1):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        step()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return [["pytorch cuda (eager)", f"{statistics.median(times[1:]) * 1e3:.3f} ms"]]


def _jax_row(params, x, y, rounds):
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return [["jax", "not installed"]]
    if not any(d.platform == "gpu" for d in jax.devices()):
        return [["jax", "no GPU device for jax"]]

    def loss(ps, x, y):
        h = x
        for w, b in ps[:-1]:
            h = jnp.maximum(h @ w + b, 0.0)
        logits = h @ ps[-1][0] + ps[-1][1]
        return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(x.shape[0]), y])

    @jax.jit
    def step(ps, x, y):
        g = jax.grad(loss)(ps, x, y)
        return jax.tree_util.tree_map(lambda p, d: p - 0.01 * d, ps, g)

    ps, xd, yd = jax.device_put(params), jax.device_put(x), jax.device_put(y)
    step(ps, xd, yd)[0][0].block_until_ready()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        step(ps, xd, yd)[0][0].block_until_ready()
        times.append(time.perf_counter() - t0)
    return [["jax jit", f"{statistics.median(times) * 1e3:.3f} ms"]]


def main():
    cupy = _gpu_or_exit()
    import tensorlib as tl

    tl.config.update("backend", "cupy")
    n, rounds = _arg("--n", 100_000_000), _arg("--rounds", 5)
    _harness.header(f"CuPy backend on {cupy.cuda.runtime.getDeviceProperties(0)['name']}")
    bw = _bandwidth(cupy, n, rounds)
    print(f"device bandwidth (copy of {n} float32): {bw / 1e9:.0f} GB/s\n")
    _harness.table(["program", "jit (fused)", "eager", "bandwidth floor", "jit / floor"],
                   _fused_rows(cupy, n, rounds, bw))
    print()
    _harness.table(["MLP SGD step (256 x 784-1024-1024-10)", "median"], _mlp_rows(cupy, rounds))


if __name__ == "__main__":
    main()
