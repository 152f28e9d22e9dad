"""Memory saved by ``tl.checkpoint``, and what the recomputation costs in time.

A chain of ``DEPTH`` layers ``h = tanh(h @ W_i)`` on f32[BATCH, WIDTH], loss ``sum(h)``,
differentiated with ``tl.grad`` with respect to every ``W_i``. Without checkpointing the tape
keeps two activations per layer (``h @ W`` for tanh's VJP, ``tanh`` for the next matmul's VJP);
with ``tl.checkpoint`` around blocks of ``k`` layers it keeps only each block's input and
recomputes the block in the backward pass (one extra forward pass in total). The weights
are passed to the checkpointed block as arguments, not closed over: a closed-over traced value
would be recorded on the outer tape and defeat the checkpoint.

Peak memory is traced Python memory (``tracemalloc``, which sees NumPy's buffers) allocated
during one gradient call, above what existed before it (so it includes the returned
gradients: DEPTH x f32[WIDTH, WIDTH]). Time is measured separately, without tracemalloc,
round-robin across the variants.

Run: ``python tests/benchmarks/bench_checkpoint.py [--quick] [--threads N]``
"""

from __future__ import annotations

import gc
import sys
import tracemalloc

import _harness as H

H.setup_threads()  # before numpy is imported

import numpy as np  # noqa: E402

import tensorlib as tl  # noqa: E402
import tensorlib.numpy as tnp  # noqa: E402

DEPTH, BATCH, WIDTH = 50, 1024, 128
BLOCKS = (1, 5, 7, 10, 25, 50)


def layers(h, *ws):
    for w in ws:
        h = tnp.tanh(h @ w)
    return h


def make_loss(block):
    """Loss of the chain; ``block=None`` is no checkpointing, else layers per checkpoint."""
    step = layers if block is None else tl.checkpoint(layers)
    k = DEPTH if block is None else block

    def loss(ws, x):
        h = x
        for i in range(0, DEPTH, k):
            h = step(h, *ws[i:i + k])
        return tnp.sum(h)

    return loss


def peak_bytes(fn):
    """Peak traced bytes allocated by ``fn()`` above what was live before it."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        out = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del out
    return peak - base


def main(quick=False):
    H.header(f"tl.checkpoint: grad of {DEPTH} layers tanh(h @ W), h f32[{BATCH},{WIDTH}], "
             f"W f32[{WIDTH},{WIDTH}]")
    rng = np.random.default_rng(0)
    ws = [tnp.asarray((rng.standard_normal((WIDTH, WIDTH)) / np.sqrt(WIDTH)).astype(np.float32))
          for _ in range(DEPTH)]
    x = tnp.asarray(rng.standard_normal((BATCH, WIDTH)).astype(np.float32))
    act_mb = BATCH * WIDTH * 4 / 2**20
    grads_mb = DEPTH * WIDTH * WIDTH * 4 / 2**20
    print(f"  one activation = {act_mb:.2f} MiB; the returned gradients = {grads_mb:.2f} MiB")

    variants = {"forward only (no grad)": lambda: make_loss(None)(ws, x)}
    variants["grad, no checkpoint"] = (lambda g=tl.grad(make_loss(None)): g(ws, x))
    for k in BLOCKS:
        g = tl.grad(make_loss(k))
        variants[f"grad, checkpoint every {k} layer{'s' if k > 1 else ''}"] = \
            (lambda g=g: g(ws, x))

    ref = [np.asarray(g) for g in variants["grad, no checkpoint"]()]
    for name, fn in variants.items():
        if name.startswith("grad, checkpoint"):
            got = [np.asarray(g) for g in fn()]
            err = max(float(np.max(np.abs(a - b)) / np.max(np.abs(b)))
                      for a, b in zip(got, ref, strict=True))
            if err > 1e-5:
                raise SystemExit(f"{name}: gradients differ from no checkpoint by {err:.1e}")
    print("  checkpointed gradients equal the plain ones (max relative difference <= 1e-5)")

    mem = {}
    for name, fn in variants.items():
        mem[name] = min(peak_bytes(fn) for _ in range(2))
    times = H.interleaved_calls(variants, rounds=3 if quick else 9)
    base_mem, base_t = mem["grad, no checkpoint"], times["grad, no checkpoint"]
    print()
    H.table(["variant", "peak MiB", "vs no ckpt", "activations kept", "ms/step", "vs no ckpt"],
            [[n, f"{mem[n] / 2**20:.1f}", H.ratio(mem[n], base_mem),
              f"{(mem[n] / 2**20 - (grads_mb if n.startswith('grad') else 0)) / act_mb:.1f}",
              f"{times[n] * 1e3:.1f}", H.ratio(times[n], base_t)] for n in variants])
    print("\nactivations kept = (peak - returned gradients) / one activation: how many "
          f"f32[{BATCH},{WIDTH}] buffers were alive at the peak.")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
