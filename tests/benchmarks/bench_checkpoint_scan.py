"""Peak memory of ``grad`` through a long ``scan``, with and without ``checkpoint`` on the step.

The step widens its 64-wide carry to a 1024-wide hidden layer and back
(``h = tanh(tanh(h @ W1) @ W2 + x)``), so what reverse mode saves per step depends on the
policy: everything (the two 1024-wide activations and the 64-wide ones: the default without
``checkpoint``), only the step's inputs (``checkpoint_policies.nothing_saveable``, the
default of ``tl.checkpoint``: the hidden layer is recomputed in the backward scan), or the
matmul outputs (``dots_saveable``).

Peak memory is traced Python memory (``tracemalloc`` sees NumPy's buffers) allocated during
one ``jit(grad)`` call on the NumPy backend, above what was live before it, for T = 100 ..
1600 steps; the slope per step is what each policy keeps. Time per call is measured
separately, without tracemalloc.

Run: ``python tests/benchmarks/bench_checkpoint_scan.py [--quick] [--threads N]``
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc

import _harness as H

H.setup_threads()  # before numpy is imported

import numpy as np  # noqa: E402

import tensorlib as tl  # noqa: E402
import tensorlib.numpy as tnp  # noqa: E402
from tensorlib import lax  # noqa: E402

BATCH, WIDTH, HIDDEN = 8, 64, 1024
POLICIES = {
    "save everything (no checkpoint)": None,
    "checkpoint, nothing_saveable": tl.checkpoint_policies.nothing_saveable,
    "checkpoint, dots_saveable": tl.checkpoint_policies.dots_saveable,
}


def make_grad(policy):
    def step(params, h, x):
        w1, w2 = params
        return tnp.tanh(tnp.tanh(h @ w1) @ w2 + x)

    body = step if policy is None else tl.checkpoint(step, policy=policy)

    def loss(params, xs):
        def f(h, x):
            h = body(params, h, x)
            return h, None

        h, _ = lax.scan(f, tnp.zeros((BATCH, WIDTH)), xs)
        return tnp.sum(h ** 2)

    return tl.jit(tl.grad(loss))


def peak_bytes(fn):
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    out = fn()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    del out
    return peak


def main():
    quick = "--quick" in sys.argv
    steps = (100, 200, 400) if quick else (100, 200, 400, 800, 1600)
    rng = np.random.default_rng(0)
    params = (tnp.asarray(rng.normal(size=(WIDTH, HIDDEN)).astype(np.float32) * 0.05),
              tnp.asarray(rng.normal(size=(HIDDEN, WIDTH)).astype(np.float32) * 0.05))
    print(f"jit(grad) of a scan whose step is {WIDTH} -> {HIDDEN} -> {WIDTH} wide, batch "
          f"{BATCH}; NumPy backend; peak MB above the inputs (tracemalloc), ms per call")
    print(f"{'policy':34s}" + "".join(f"  T={t:<5d}" for t in steps) + "  MB/step  ms@T="
          f"{steps[-1]}")
    data = {t: tnp.asarray(rng.normal(size=(t, BATCH, WIDTH)).astype(np.float32)) for t in steps}
    grads = {}
    for name, policy in POLICIES.items():
        g = make_grad(policy)
        peaks = []
        for t in steps:
            xs = data[t]
            g(params, xs)  # compile outside the measurement
            peaks.append(peak_bytes(lambda g=g, xs=xs: g(params, xs)) / 2**20)
        slope = (peaks[-1] - peaks[0]) / (steps[-1] - steps[0])
        start = time.perf_counter()
        n = 3
        for _ in range(n):
            out = g(params, xs)
        ms = (time.perf_counter() - start) / n * 1e3
        grads[name] = out
        print(f"{name:34s}" + "".join(f"  {p:7.1f}" for p in peaks) + f"  {slope:7.3f}  {ms:7.1f}")
    ref = grads["save everything (no checkpoint)"]
    for name, got in grads.items():
        for a, b in zip(got, ref):
            np.testing.assert_allclose(a, b, rtol=2e-4, atol=1e-6, err_msg=name)
    print("gradients agree across policies")


if __name__ == "__main__":
    main()
