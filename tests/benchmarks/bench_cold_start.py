"""First-call latency of ``tl.jit`` against ``jax.jit`` in fresh processes, cold and warm caches.

Three programs, each on tensorlib's NumPy backend (``TENSORLIB_BACKEND=numpy``), its XLA
backend (``TENSORLIB_BACKEND=xla``) and JAX, side by side in one run:

1. ``mlp``: one SGD step ``p - 0.1 * grad(loss)(p, x, y)`` of the 784-512-512-10 tanh MLP of
   ``bench_mlp_grad.py`` (batch 128, softmax cross-entropy, f32); the step functions are
   ``bench_jit.tl_step_factory`` / ``jax_step_factory`` (part c of ``bench_jit.py``).
2. ``chain``: a jitted 10-op elementwise chain on f32[1,000,000]
   (``mul, add, tanh, mul, sub, exp, maximum, add, sqrt, mul``; see ``chain10``).
3. ``demo``: the README demo's training step, ``examples/train_digits.py``: its
   ``make_model``, ``optimizers.adam(3e-3)`` and ``make_train_step`` imported from the example
   and jitted as its ``train`` does, called as ``train_step(0, opt_state, xb, yb)`` on a
   64-image batch (the example's default batch size). The batch is random data of the
   digits' shapes and dtypes (f32[64,64], int32[64]), not scikit-learn's digits: the first
   call's cost depends only on shapes and dtypes, and loading scikit-learn would add a second
   to every process. JAX runs the same step written with ``jax.example_libraries.stax`` /
   ``optimizers`` and ``jax.value_and_grad(has_aux=True)`` (a line-by-line port).

Every case runs in a fresh Python process; only the calls are timed (not importing the
libraries, building the data or initializing the parameters). Settings:

- cold: empty caches. tensorlib: ``TENSORLIB_CACHE_DIR`` set to a new temporary directory
  (its on-disk Numba kernels and XLA executables); JAX: no persistent compilation cache
  (``JAX_COMPILATION_CACHE_DIR`` dropped, ``JAX_ENABLE_COMPILATION_CACHE=false``).
- warm: a second fresh process on the cache the cold one filled (tensorlib: the same
  ``TENSORLIB_CACHE_DIR``). JAX: a persistent compilation cache in its own temporary
  directory (``jax_compilation_cache_dir``, ``jax_persistent_cache_min_compile_time_secs=0``,
  ``jax_persistent_cache_min_entry_size_bytes=-1`` so every program is cached), filled by a
  previous process; that filling process is shown too ("jax, empty persistent cache"), the
  setting that compares with tensorlib's cold run, which also writes its cache.
- steady: the median of later calls in the warm process.

On the NumPy backend the first call of a fused arithmetic group runs unfused (NumPy, one op
at a time) and Numba compiles the loop on the second call (``numpy_compiler._Tiered``), so
the second call is shown as its own row, in the cold process (Numba compiles, writing the
disk cache) and in the warm one (Numba loads from it). Chains with transcendental functions
run *blocked* (NumPy ufuncs over tiles) from the first call, with no Numba at all. The notes
column says which tier ran.

Each number is the median of ``--runs N`` fresh processes per case (default 3; ``--quick``:
1). Targets: first call, cold, <= 1.0x JAX's cold; warm <= 0.5x JAX's warm.

Run: ``python tests/benchmarks/bench_cold_start.py [--quick] [--runs N] [--threads N]
[--cpu-time] [--programs mlp,chain,demo]``
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

import _harness as H

H.setup_threads()  # before numpy, numba and jax are imported; children inherit the env
os.environ["NUMBA_NUM_THREADS"] = str(H.THREADS)

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(HERE)), "examples")
PROGRAMS = {
    "mlp": "jit SGD step, MLP 784-512-512-10 tanh, batch 128, softmax CE, f32",
    "chain": "jit 10-op elementwise chain on f32[1,000,000]",
    "demo": "examples/train_digits.py training step (MLP 64-128-128-10, adam, batch 64)",
}
LIBS = ("numpy", "xla", "jax")  # tensorlib backends, then JAX
N_CHAIN = 1_000_000
DEMO_BATCH, DEMO_FEATURES, DEMO_CLASSES, DEMO_LR = 64, 64, 10, 3e-3


def chain10(x, m):
    """10 elementwise ops: mul, add, tanh, mul, sub, exp, maximum, add, sqrt, mul."""
    c = m.tanh(x * 1.5 + 0.5)
    e = m.exp(c * c - 1.0)
    g = m.sqrt(m.maximum(x, 0.0) + 1.0)
    return e * g


# ------------------------------------------------------------------------------------------
# the child process: build one program, time its first, second and later calls


def cache_files(d):
    """Number of files under ``d`` (cache entries), 0 when unset or missing."""
    if not d or not os.path.isdir(d):
        return 0
    return sum(len(files) for _, _, files in os.walk(d))


def tiers():
    """NumPy backend: fused groups still unfused (Numba not built yet), built Numba loops,
    blocked groups, over every compiled program of this process."""
    import gc

    from tensorlib.backends import blocked, numpy_compiler

    objs = gc.get_objects()
    tiered = [o for o in objs if isinstance(o, numpy_compiler._Tiered)]
    return {"unfused": sum(o._build is not None for o in tiered),
            "numba": sum(o._build is None for o in tiered),
            "blocked": sum(isinstance(o, blocked.BlockedGroup) for o in objs)}


def build_tl(prog):
    """``(call, check)`` for tensorlib on the backend of ``TENSORLIB_BACKEND``."""
    import tensorlib as tl
    import tensorlib.numpy as tnp

    def ready(out):
        for leaf in tl.tree_util.tree_leaves(out):
            if hasattr(leaf, "block_until_ready"):
                leaf.block_until_ready()
        return out

    if prog == "mlp":
        import bench_mlp_grad as M
        from bench_jit import tl_step_factory

        params, x, y = M.make_data()
        args = ([tnp.asarray(a) for a in params], tnp.asarray(x), tnp.asarray(y))
        f = tl.jit(tl_step_factory(tl, tnp, M))
    elif prog == "chain":
        x = np.random.default_rng(0).standard_normal(N_CHAIN).astype(np.float32)
        args = (tnp.asarray(x),)
        f = tl.jit(lambda a: chain10(a, tnp))
    else:
        sys.path.insert(0, EXAMPLES)
        import train_digits as T

        from tensorlib.example_libraries import optimizers

        init_fun, apply_fun = T.make_model()
        opt_init, opt_update, get_params = optimizers.adam(DEMO_LR)
        f = tl.jit(T.make_train_step(apply_fun, opt_update, get_params))  # as T.train does
        init_key, _ = tl.random.split(tl.random.PRNGKey(0))
        _, params = init_fun(init_key, (-1, DEMO_FEATURES))
        rng = np.random.default_rng(0)
        xb = tnp.asarray(rng.random((DEMO_BATCH, DEMO_FEATURES), dtype=np.float32))
        yb = tnp.asarray(rng.integers(0, DEMO_CLASSES, DEMO_BATCH).astype(np.int32))
        args = (0, opt_init(params), xb, yb)
    ready(args)
    return (lambda: ready(f(*args))), lambda out: checksum(tl.tree_util.tree_leaves(out))


def build_jax(prog):
    import jax
    import jax.numpy as jnp

    if prog == "mlp":
        import bench_mlp_grad as M
        from bench_jit import jax_step_factory

        params, x, y = M.make_data()
        args = ([jnp.asarray(a) for a in params], jnp.asarray(x), jnp.asarray(y))
        f = jax.jit(jax_step_factory(jax, jnp, M))
    elif prog == "chain":
        x = np.random.default_rng(0).standard_normal(N_CHAIN).astype(np.float32)
        args = (jnp.asarray(x),)
        f = jax.jit(lambda a: chain10(a, jnp))
    else:  # train_digits.py's step, ported line by line
        from jax.example_libraries import optimizers, stax

        init_fun, apply_fun = stax.serial(stax.Dense(128), stax.Relu, stax.Dense(128),
                                          stax.Relu, stax.Dense(DEMO_CLASSES), stax.LogSoftmax)
        opt_init, opt_update, get_params = optimizers.adam(DEMO_LR)

        def loss(params, x, y):
            log_probs = apply_fun(params, x)
            nll = -jnp.mean(jnp.sum(log_probs * jax.nn.one_hot(y, DEMO_CLASSES), axis=-1))
            return nll, log_probs

        value_and_grad = jax.value_and_grad(loss, has_aux=True)

        def train_step(i, opt_state, x, y):
            (loss_v, log_probs), grads = value_and_grad(get_params(opt_state), x, y)
            correct = jnp.sum(jnp.argmax(log_probs, axis=-1) == y)
            return opt_update(i, grads, opt_state), loss_v, correct

        f = jax.jit(train_step)
        init_key, _ = jax.random.split(jax.random.PRNGKey(0))
        _, params = init_fun(init_key, (-1, DEMO_FEATURES))
        rng = np.random.default_rng(0)
        xb = jnp.asarray(rng.random((DEMO_BATCH, DEMO_FEATURES), dtype=np.float32))
        yb = jnp.asarray(rng.integers(0, DEMO_CLASSES, DEMO_BATCH).astype(np.int32))
        args = (0, opt_init(params), xb, yb)
    jax.block_until_ready(args)
    return (lambda: jax.block_until_ready(f(*args))), \
        lambda out: checksum(jax.tree_util.tree_leaves(out))


def checksum(leaves):
    """Sum and sum of |.| of every output (float64), to compare libraries."""
    arrs = [np.asarray(a, dtype=np.float64) for a in leaves]
    return [float(sum(a.sum() for a in arrs)), float(sum(np.abs(a).sum() for a in arrs))]


def child(prog, lib, jax_cache, steady_n):
    """Body of a fresh process: build (untimed), time calls, print one JSON line."""
    import gc
    import time

    if lib == "jax":
        import jax

        if jax_cache:
            jax.config.update("jax_enable_compilation_cache", True)
            jax.config.update("jax_compilation_cache_dir", jax_cache)
            jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
            jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
        else:
            jax.config.update("jax_enable_compilation_cache", False)
        call, check = build_jax(prog)
        cache_dir = jax_cache
    else:
        call, check = build_tl(prog)
        cache_dir = os.environ["TENSORLIB_CACHE_DIR"]
        if lib == "xla":
            from tensorlib.backends.xla_backend import compiler
    out = {"files0": cache_files(cache_dir)}
    samples = []
    for k in range(2 + steady_n):
        if lib == "xla" and k < 2:
            before = dict(compiler.STATS)
        gc.collect()
        gc.disable()
        w0, t0 = time.perf_counter(), H.CLOCK()
        res = call()
        t, w = H.CLOCK() - t0, time.perf_counter() - w0
        gc.enable()
        samples.append(t)
        if k < 2:
            out[f"call{k + 1}_s"], out[f"call{k + 1}_wall_s"] = t, w
            out[f"files{k + 1}"] = cache_files(cache_dir)
            if lib == "numpy":
                out[f"tiers{k + 1}"] = tiers()
            elif lib == "xla":
                out[f"xla{k + 1}"] = {key: compiler.STATS[key] - before[key]
                                      for key in ("compiles", "disk_loads")}
        if k == 0:
            out["check"] = check(res)
    out["steady_s"] = statistics.median(samples[2:])
    print(json.dumps(out))


# ------------------------------------------------------------------------------------------
# the parent: start the children, tabulate


_PYCACHE = []


def bytecode_env():
    """Children read tensorlib from compiled bytecode, as an installed package (and JAX) is:
    with ``PYTHONDONTWRITEBYTECODE`` set (as on some machines) an editable checkout is
    compiled from source on every import, and the lazily imported modules of a first call
    would be timed compiling. The bytecode goes to a temporary ``PYTHONPYCACHEPREFIX``,
    filled once here, so the checkout is not written to."""
    if not _PYCACHE:
        prefix = tempfile.mkdtemp(prefix="tl-cold-start-pycache-")
        env = dict(os.environ, PYTHONPYCACHEPREFIX=prefix)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        root = os.path.dirname(os.path.dirname(HERE))
        dirs = [d for d in (os.path.join(root, "tensorlib"), os.path.join(root, "backends"))
                if os.path.isdir(d)]
        subprocess.run([sys.executable, "-m", "compileall", "-q", *dirs], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        _PYCACHE.append(env)
    return _PYCACHE[0]


def run_child(prog, lib, env_extra, jax_cache=None, steady_n=5):
    env = dict(bytecode_env(), **env_extra)
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    env["JAX_ENABLE_COMPILATION_CACHE"] = "false"  # the child turns it on where asked
    if lib != "jax":
        env["TENSORLIB_BACKEND"] = lib
    args = [sys.executable, os.path.abspath(__file__), "--child", prog, lib,
            "--threads", str(H.THREADS), "--steady", str(steady_n)]
    if jax_cache:
        args += ["--jax-cache", jax_cache]
    if "--cpu-time" in sys.argv:
        args.append("--cpu-time")
    r = subprocess.run(args, capture_output=True, text=True, env=env, cwd=HERE)
    if r.returncode != 0:
        raise SystemExit(f"child {prog} {lib} failed:\n{r.stdout}\n{r.stderr}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def one_round(prog, steady_n):
    """One fresh process per setting: tensorlib cold + warm per backend, JAX cold, JAX with
    an empty persistent cache (which fills it), JAX warm."""
    res = {}
    for lib in ("numpy", "xla"):
        d = tempfile.mkdtemp(prefix="tl-cold-start-")
        try:
            res[f"{lib} cold"] = run_child(prog, lib, {"TENSORLIB_CACHE_DIR": d}, None, steady_n)
            res[f"{lib} warm"] = run_child(prog, lib, {"TENSORLIB_CACHE_DIR": d}, None, steady_n)
        finally:
            shutil.rmtree(d, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="tl-cold-start-unused-") as unused:
        # JAX children get an empty TENSORLIB_CACHE_DIR too: they never import tensorlib
        env = {"TENSORLIB_CACHE_DIR": unused}
        res["jax cold"] = run_child(prog, "jax", env, None, steady_n)
        with tempfile.TemporaryDirectory(prefix="jax-cold-start-") as dj:
            res["jax fill"] = run_child(prog, "jax", env, dj, steady_n)
            res["jax warm"] = run_child(prog, "jax", env, dj, steady_n)
    return res


def med(samples, key, sub=None):
    vals = [s[key] if sub is None else s[key][sub] for s in samples]
    return statistics.median(vals)


def ms(t):
    return f"{t * 1e3:.1f}"


def tier_note(s, k):
    t = s[f"tiers{k}"]
    parts = []
    if k == 1:
        if t["unfused"] or t["numba"]:
            parts.append(f"{t['unfused']} fused group(s) ran unfused (NumPy ops)")
    elif t["numba"]:
        parts.append(f"{t['numba']} Numba loop(s) built")
    if t["blocked"]:
        parts.append(f"{t['blocked']} blocked group(s)")
    return "; ".join(parts) or "no fused groups"


def report(prog, runs):
    """Table of one program, from ``runs`` (a list of ``one_round`` results)."""
    s = {k: [r[k] for r in runs] for k in runs[0]}
    jc, jw = med(s["jax cold"], "call1_s"), med(s["jax warm"], "call1_s")
    jfill = med(s["jax fill"], "call1_s")
    js = med(s["jax warm"], "steady_s")
    rows, summary = [], {}

    def files(k, lo, hi):
        return int(statistics.median(x[f"files{hi}"] - x[f"files{lo}"] for x in s[k]))

    for lib in ("numpy", "xla"):
        cold, warm = s[f"{lib} cold"], s[f"{lib} warm"]
        c1, w1 = med(cold, "call1_s"), med(warm, "call1_s")
        c2, w2 = med(cold, "call2_s"), med(warm, "call2_s")
        st = med(warm, "steady_s")
        if lib == "numpy":
            n1c, n1w = tier_note(cold[0], 1), tier_note(warm[0], 1)
            n2c = tier_note(cold[0], 2) + f"; {files(f'{lib} cold', 1, 2)} cache files written"
            n2w = tier_note(warm[0], 2) + f"; {files(f'{lib} warm', 1, 2)} cache files written"
            if warm[0]["tiers2"]["numba"]:
                n2w = n2w.replace("built", "loaded from the disk cache")
            n1c += f"; {files(f'{lib} cold', 0, 1)} cache files written"
            n1w += f"; cache held {int(med(warm, 'files0'))} files"
        else:
            def xn(samples, k):
                return (f"{med(samples, f'xla{k}', 'compiles'):.0f} XLA compiles, "
                        f"{med(samples, f'xla{k}', 'disk_loads'):.0f} disk loads")
            n1c, n1w = xn(cold, 1), xn(warm, 1)
            n2c, n2w = xn(cold, 2), xn(warm, 2)
        name = f"tensorlib {lib}"
        rows += [
            [f"{name}, cold: 1st call", ms(c1), ms(med(cold, "call1_wall_s")), "jax cold",
             H.ratio(c1, jc), n1c],
            [f"{name}, cold: 2nd call", ms(c2), ms(med(cold, "call2_wall_s")), "-", "-", n2c],
            [f"{name}, warm: 1st call", ms(w1), ms(med(warm, "call1_wall_s")), "jax warm",
             H.ratio(w1, jw), n1w],
            [f"{name}, warm: 2nd call", ms(w2), ms(med(warm, "call2_wall_s")), "-", "-", n2w],
            [f"{name}, steady (median)", ms(st), "-", "jax steady", H.ratio(st, js), ""],
        ]
        summary[lib] = (c1 / jc, w1 / jw, st / js)
    rows += [
        ["jax, cold (no persistent cache): 1st call", ms(jc), ms(med(s["jax cold"],
         "call1_wall_s")), "", "1.00x", ""],
        ["jax, empty persistent cache: 1st call", ms(jfill),
         ms(med(s["jax fill"], "call1_wall_s")), "jax cold", H.ratio(jfill, jc),
         f"{files('jax fill', 0, 1)} cache files written"],
        ["jax, 2nd call (cold process)", ms(med(s["jax cold"], "call2_s")), "-", "-", "-", ""],
        ["jax, warm persistent cache: 1st call", ms(jw), ms(med(s["jax warm"], "call1_wall_s")),
         "", "1.00x", f"cache held {int(med(s['jax warm'], 'files0'))} files"],
        ["jax, steady (median)", ms(js), "-", "", "1.00x", ""],
    ]
    print(f"\n-- {prog}: {PROGRAMS[prog]} --")
    H.table(["case", "ms", "wall ms", "vs", "ratio", "notes"], rows)
    return summary


def check_results(prog, runs):
    """The first call's outputs of every tensorlib backend agree with JAX's (sum of every
    output, relative to the sum of their magnitudes; the demo's initial weights come from
    each library's PRNG with the same key, and tensorlib's draws the same bits)."""
    sums = {k: runs[0][k]["check"] for k in ("numpy cold", "xla cold")}
    ref = runs[0]["jax cold"]["check"]
    errs = {}
    for k, (total, mag) in sums.items():
        errs[k] = abs(total - ref[0]) / max(mag, 1e-30)
        if errs[k] > 1e-4:
            raise SystemExit(f"{prog}: {k} disagrees with JAX (sum {total} vs {ref[0]})")
    return ", ".join(f"{k.split()[0]} {e:.1e}" for k, e in errs.items())


def main():
    quick = "--quick" in sys.argv
    n = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 1 if quick else 3
    steady_n = 3 if quick else 7
    H.header(f"first-call latency, fresh processes: tensorlib (numpy / xla backends) vs JAX, "
             f"f32; NUMBA_NUM_THREADS {os.environ['NUMBA_NUM_THREADS']}")
    print(f"  median of {n} fresh process(es) per case (--runs N); steady: median of "
          f"{steady_n} calls after the 2nd; times are the {H.CLOCK_NAME} of the calls alone "
          "(no imports, data or parameter init); 'wall ms' is always the wall clock")
    print("  tensorlib runs from bytecode compiled beforehand (as an installed package does), "
          "in a temporary PYTHONPYCACHEPREFIX")
    if "--programs" in sys.argv:  # a comma-separated subset of PROGRAMS
        keep = sys.argv[sys.argv.index("--programs") + 1].split(",")
        for p in [p for p in PROGRAMS if p not in keep]:
            del PROGRAMS[p]
    runs = {p: [] for p in PROGRAMS}
    try:
        for _ in range(n):
            for prog in PROGRAMS:
                runs[prog].append(one_round(prog, steady_n))
    finally:
        if _PYCACHE:
            shutil.rmtree(_PYCACHE[0]["PYTHONPYCACHEPREFIX"], ignore_errors=True)
    summary = {}
    for prog in PROGRAMS:
        agree = check_results(prog, runs[prog])
        summary[prog] = report(prog, runs[prog])
        print(f"  first call's outputs agree with JAX's (|sum diff| / sum |.|): {agree}")
    print("\n-- targets (first call vs JAX's same setting) --")
    rows = []
    for prog, by_lib in summary.items():
        for lib, (cold, warm, steady) in by_lib.items():
            rows.append([f"{prog}, tensorlib {lib}", f"{cold:.2f}x",
                         "met" if cold <= 1.0 else "MISSED", f"{warm:.2f}x",
                         "met" if warm <= 0.5 else "MISSED", f"{steady:.2f}x"])
    H.table(["program, backend", "cold", "cold <= 1.0x", "warm", "warm <= 0.5x",
             "steady (no target)"], rows)
    for prog, by_lib in summary.items():
        for lib, (cold, warm, _) in by_lib.items():
            print(f"  {prog}, {lib}: target: cold <= 1.0x JAX "
                  f"({'met' if cold <= 1.0 else 'MISSED'}, {cold:.3f}x), warm <= 0.5x JAX "
                  f"({'met' if warm <= 0.5 else 'MISSED'}, {warm:.3f}x)")


if __name__ == "__main__":
    if "--child" in sys.argv:
        i = sys.argv.index("--child")
        jc = sys.argv[sys.argv.index("--jax-cache") + 1] if "--jax-cache" in sys.argv else None
        child(sys.argv[i + 1], sys.argv[i + 2], jc,
              int(sys.argv[sys.argv.index("--steady") + 1]))
    else:
        main()
