"""Per-op eager overhead: ``a + b`` and ``sin(a)`` on f32[8] and f32[256,256].

Libraries, measured side by side and round-robin in one process: tensorlib (NumPy backend,
the operator ``a + b`` and the function ``tnp.add``), NumPy, PyTorch (CPU), JAX (eager, no jit;
every op waits with ``block_until_ready`` so asynchronous dispatch is not counted as free) and
HIPS autograd's ``autograd.numpy`` wrappers called outside any ``grad``.

Run: ``python tests/benchmarks/bench_eager_overhead.py [--quick] [--threads N]``
"""

from __future__ import annotations

import sys

import _harness as H

H.setup_threads()  # before numpy, torch and jax are imported

import numpy as np  # noqa: E402


def _libraries():
    libs = {"numpy": np}
    for name in ("tensorlib", "torch", "jax", "autograd"):
        try:
            libs[name] = __import__(name)
            if name == "torch":
                H.setup_torch(libs[name])
        except ImportError as e:
            print(f"  (skipping {name}: {e})")
    return libs


def cases_for(libs, shape, op):
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal(shape).astype(np.float32)
    b_np = rng.standard_normal(shape).astype(np.float32)
    cases = {}
    cases["numpy"] = ("a + b", {"a": a_np, "b": b_np}) if op == "add" else \
        ("sin(a)", {"a": a_np, "sin": np.sin})
    if "tensorlib" in libs:
        import tensorlib.numpy as tnp

        a, b = tnp.asarray(a_np), tnp.asarray(b_np)
        if op == "add":
            cases["tensorlib a+b"] = ("a + b", {"a": a, "b": b})
            cases["tensorlib tnp.add"] = ("add(a, b)", {"a": a, "b": b, "add": tnp.add})
        else:
            cases["tensorlib tnp.sin"] = ("sin(a)", {"a": a, "sin": tnp.sin})
    if "torch" in libs:
        import torch

        a, b = torch.from_numpy(a_np.copy()), torch.from_numpy(b_np.copy())
        cases["torch"] = ("a + b", {"a": a, "b": b}) if op == "add" else \
            ("sin(a)", {"a": a, "sin": torch.sin})
    if "jax" in libs:
        import jax.numpy as jnp

        a, b = jnp.asarray(a_np), jnp.asarray(b_np)
        cases["jax eager"] = ("(a + b).block_until_ready()", {"a": a, "b": b}) if op == "add" \
            else ("sin(a).block_until_ready()", {"a": a, "sin": jnp.sin})
    if "autograd" in libs:
        import autograd.numpy as anp

        cases["autograd anp"] = ("add(a, b)", {"a": a_np, "b": b_np, "add": anp.add}) \
            if op == "add" else ("sin(a)", {"a": a_np, "sin": anp.sin})
    return cases


def check_results(cases):
    """Every case computes the same numbers (catches a benchmark measuring the wrong thing)."""
    ref = None
    for name, (stmt, env) in cases.items():
        val = np.asarray(eval(stmt.replace(".block_until_ready()", ""), dict(env)))
        if ref is None:
            ref = val
        elif not np.allclose(val, ref, rtol=1e-5, atol=1e-6):
            raise SystemExit(f"{name} disagrees with numpy")


def main(quick=False):
    H.header("eager per-op overhead (µs per op, median of interleaved rounds)")
    libs = _libraries()
    rounds = 9 if quick else 41
    for shape in ((8,), (256, 256)):
        for op in ("add", "sin"):
            cases = cases_for(libs, shape, op)
            check_results(cases)
            res = H.interleaved(cases, rounds=rounds, target_s=0.004)
            label = f"{'a + b' if op == 'add' else 'sin(a)'}  f32{list(shape)}"
            print(f"\n{label}")
            np_t = res["numpy"]
            torch_t = res.get("torch")
            rows = [[name, f"{t * 1e6:.3f}", H.ratio(t, np_t), H.ratio(t, torch_t)]
                    for name, t in res.items()]
            H.table(["library", "µs/op", "vs numpy", "vs torch"], rows)


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
