"""The CuPy backend.

Runs everywhere: backend selection and its errors (CuPy missing; CuPy present without a GPU),
the CUDA code generator (every fusible primitive x dtype, and the groups the fusion pass finds
in realistic programs, compiled with ``nvcc``; the same per-element code built for the host and
compared with the NumPy backend), and the registry check that every elementwise primitive has
a CUDA template or a stated exclusion. Needs a GPU (skipped otherwise, with the reason): eager
kernels and jit against NumPy, devices, transfers, DLPack, pmap with NCCL.
"""

from __future__ import annotations

import ctypes
import importlib
import os
import shutil
import subprocess
import sys
import types

import numpy as np
import pytest
from tensorlib.backends.cupy_backend import codegen

import tensorlib as tl
import tensorlib.numpy as tnp
from tensorlib._src import core
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops import shape as sh
from tensorlib._src.ops.family import FAMILY
from tensorlib._src.passes import fusion_groups
from tensorlib.errors import BackendNotAvailableError


def _gpu_available():
    try:
        import cupy
    except ImportError:
        return False, "CuPy is not installed (pip install cupy-cuda12x)"
    try:
        ok = cupy.cuda.is_available()
    except Exception as e:  # noqa: BLE001
        return False, f"CuPy cannot reach a GPU ({e})"
    return bool(ok), "CuPy is installed but no GPU is visible"


gpu_available, _why_no_gpu = _gpu_available()
needs_gpu = pytest.mark.skipif(not gpu_available, reason=_why_no_gpu)
def _n_gpus():
    if not gpu_available:
        return 0
    import cupy

    return cupy.cuda.runtime.getDeviceCount()


NVCC = shutil.which("nvcc")
needs_nvcc = pytest.mark.skipif(NVCC is None, reason="nvcc is not on PATH")
try:
    importlib.import_module("cupy")
    cupy_installed = True
except ImportError:
    cupy_installed = False


# --------------------------------------------------------------------------------------------
# selection and error paths


@pytest.fixture
def restore_backend():
    from tensorlib._src import loader

    prev_cfg, prev_cur, prev_loaded = tl.config.backend, core._current[0], loader.loaded()
    yield
    tl.config.backend, core._current[0] = prev_cfg, prev_cur
    loader._loaded.clear()
    loader._loaded.update(prev_loaded)


_START_BACKEND = os.environ.get("TENSORLIB_BACKEND", "numpy") or "numpy"


def _assert_state_unchanged():
    assert tl.config.backend == _START_BACKEND
    assert tl.default_backend() == _START_BACKEND
    assert tnp.ones(2).backend.name == _START_BACKEND


@pytest.mark.skipif(cupy_installed, reason="CuPy is installed: the missing-package path")
def test_config_update_without_cupy_names_the_package(restore_backend):
    with pytest.raises(BackendNotAvailableError) as e:
        tl.config.update("backend", "cupy")
    msg = str(e.value)
    assert "backend 'cupy' needs the package 'cupy'" in msg
    assert "pip install cupy-cuda12x" in msg
    assert isinstance(e.value, ImportError)
    _assert_state_unchanged()


@pytest.mark.skipif(cupy_installed, reason="CuPy is installed: the missing-package path")
def test_backend_context_without_cupy(restore_backend):
    prev = core._current[0]
    with pytest.raises(BackendNotAvailableError, match="pip install cupy-cuda12x"):
        with tl.backend("cupy"):
            raise AssertionError("the body must not run")
    assert core._current[0] is prev
    _assert_state_unchanged()


@pytest.mark.skipif(cupy_installed, reason="CuPy is installed: the missing-package path")
def test_env_var_without_cupy():
    env = dict(os.environ, TENSORLIB_BACKEND="cupy")
    code = "import tensorlib.numpy as tnp; tnp.ones(2)"
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode != 0
    assert "BackendNotAvailableError" in r.stderr
    assert "needs the package 'cupy'" in r.stderr and "pip install cupy-cuda12x" in r.stderr


def _fake_cupy(is_available):
    mod = types.ModuleType("cupy")
    mod.cuda = types.SimpleNamespace(is_available=is_available)
    return mod


def _no_gpu():
    return False


def _driver_error():
    raise RuntimeError("CUDA driver version is insufficient for CUDA runtime version")


@pytest.mark.parametrize("is_available", [_no_gpu, _driver_error], ids=["false", "raises"])
def test_cupy_without_gpu(monkeypatch, restore_backend, is_available):
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(is_available))
    for how in ("config", "context"):
        with pytest.raises(BackendNotAvailableError) as e:
            if how == "config":
                tl.config.update("backend", "cupy")
            else:
                with tl.backend("cupy"):
                    pass
        msg = str(e.value)
        assert "CuPy is installed but no GPU is visible" in msg
        assert "cupy.cuda.is_available() is False" in msg
        assert "tensorlib.config.update('backend', 'numpy')" in msg
        _assert_state_unchanged()
    # the failed import left nothing half-registered behind
    assert "tensorlib.backends.cupy_backend.backend" not in sys.modules
    from tensorlib._src import loader

    assert "cupy" not in loader.loaded()


def test_registry_entry():
    from tensorlib.backends import BACKENDS

    assert BACKENDS["cupy"] == ("tensorlib.backends.cupy_backend", "cupy",
                                "pip install cupy-cuda12x")


def test_codegen_imports_without_cupy():
    code = ("import sys; import tensorlib.backends.cupy_backend.codegen; "
            "assert 'cupy' not in sys.modules, sorted(m for m in sys.modules if 'cupy' in m)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr


# --------------------------------------------------------------------------------------------
# the code generator: which primitives


def _elementwise_prims():
    return {p for p in vars(ew).values() if isinstance(p, core.Primitive)}


def test_every_elementwise_primitive_has_a_template_or_an_exclusion():
    """A new elementwise primitive must get a CUDA template or a stated reason to stay out."""
    from tensorlib.backends import blocked, numba_fusion

    groupable = _elementwise_prims() | set(FAMILY) | {sh.broadcast_in_dim_p}
    groupable |= set(numba_fusion._EXPR) | set(blocked._UFUNC)
    # a table entry without a CUDA spelling says so itself: it runs as an eager CuPy kernel
    unspelled = {p for p, op in FAMILY.items() if op.cuda is None and op.cuda_math is None}
    covered = set(codegen.TEMPLATES) | set(codegen.EXCLUDED) | codegen.INDEX_REMAPS | unspelled
    assert groupable - covered == set()
    assert set(codegen.TEMPLATES) & set(codegen.EXCLUDED) == set()
    assert all(isinstance(r, str) and r for r in codegen.EXCLUDED.values())


def test_can_fuse_refuses_what_it_cannot_type():
    g = tl.make_graph(lambda x: tnp.sin(x) + 1)(np.ones(3, np.complex64))
    assert not any(codegen.can_fuse(e) for e in g.eqns if e.prim.name != "broadcast_in_dim")
    g = tl.make_graph(lambda x: ew.bitcast_convert_type(x, np.int32))(np.ones(3, np.float32))
    assert not codegen.can_fuse(g.eqns[0])
    with pytest.raises(ValueError, match="cannot fuse bitcast_convert_type"):
        codegen.generate(g.eqns, g.invars, g.outvars)


# --------------------------------------------------------------------------------------------
# the grid: every template x every dtype it accepts, as one-equation groups

_DTYPES = list(codegen.CTYPES)
_UNARY_PARAMS = {"round": [{"rounding_method": 0}, {"rounding_method": 1}],
                 "integer_pow": [{"y": 0}, {"y": 3}, {"y": 7}, {"y": -2}]}


def _grid_cases():
    cases = []
    for prim in sorted(codegen.TEMPLATES, key=lambda p: p.name):
        name = prim.name
        if name == "select_n":
            cases += [(prim, (np.bool_, dt, dt), {}) for dt in _DTYPES]
            cases += [(prim, (np.int32, dt, dt, dt), {}) for dt in _DTYPES]
        elif name == "convert_element_type":
            cases += [(prim, (src,), {"new_dtype": dst, "weak_type": False})
                      for src in _DTYPES for dst in _DTYPES]
        else:
            arity = FAMILY[prim].arity
            for params in _UNARY_PARAMS.get(name, [{}]):
                cases += [(prim, (dt,) * arity, params) for dt in _DTYPES]
    return cases


def _one_eqn_graph(prim, dts, params, n=37):
    args = [np.zeros(n, dt) for dt in dts]
    try:
        g = tl.make_graph(lambda *xs: prim.bind(*xs, **params))(*args)
    except (TypeError, ValueError):  # the shape rule refuses these dtypes: nothing to fuse
        return None
    e = g.eqns[-1]
    return g if len(g.eqns) == 1 and codegen.can_fuse(e) else None


def _grid_graphs():
    out = []
    for prim, dts, params in _grid_cases():
        g = _one_eqn_graph(prim, dts, params)
        if g is not None:
            out.append((f"{prim.name}-{'-'.join(np.dtype(d).name for d in dts)}-{params}", g))
    return out


GRID = _grid_graphs()


def test_grid_covers_every_template():
    prims = {g.eqns[0].prim for _, g in GRID}
    assert prims == set(codegen.TEMPLATES)
    assert len(GRID) > 300


def _sources(graphs):
    """One KernelSource per fusion group of each graph (every group must be fusible)."""
    out = []
    for _, g in graphs:
        for grp in fusion_groups(g, codegen.can_fuse, min_ops=1):
            out.append((g, grp, codegen.generate(grp.eqns, grp.inputs, grp.outputs, grp.shape)))
    return out


def _nvcc_ptx(kernels, tmp_path):
    """Compile all kernels in one translation unit to PTX; returns the PTX text."""
    unique = {ks.name: ks for ks in kernels}
    cu = tmp_path / "kernels.cu"
    cu.write_text(codegen.PRELUDE + "\n".join(ks.kernel_source for ks in unique.values()))
    ptx = tmp_path / "kernels.ptx"
    r = subprocess.run([NVCC, "-arch=sm_80", "--ptx", "-o", str(ptx), str(cu)],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-4000:]
    text = ptx.read_text()
    for name in unique:
        assert f".entry {name}(" in text, f"kernel {name} missing from the PTX"
    return text


@needs_nvcc
def test_grid_compiles_with_nvcc(tmp_path):
    _nvcc_ptx([ks for _, _, ks in _sources(GRID)], tmp_path)


# --------------------------------------------------------------------------------------------
# realistic programs: the groups the fusion pass actually finds


def _transcendental(x):
    return tnp.tanh(tnp.sin(x) * tnp.exp(-x * x)) + tnp.log1p(tnp.abs(x))


def _adam(p, g, m, v):
    b1, b2, lr, eps = 0.9, 0.999, 1e-3, 1e-8
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    return p - lr * m / (tnp.sqrt(v) + eps), m, v


def _bias_gelu(x, b):
    y = x + b
    return 0.5 * y * (1 + tnp.tanh(0.7978845608 * (y + 0.044715 * y ** 3)))


def _mlp_layer(x, w, b):
    # ReLU written out: tl.nn.relu is a custom_jvp_call, which the fusion pass does not enter
    return tnp.maximum(x @ w + b, 0.0)


def _broadcasting(x, row, col):
    return (x - row) * col + tnp.maximum(x, 0.0)


def _mixed(x, i):
    y = x.astype(np.float64) * 2.0 + i.astype(np.float64)
    return tnp.where(y > 1.0, y, -y).astype(np.float32), (i * 3) // 2, tnp.isfinite(y)


def _r(*shape, dtype=np.float32, lo=-2.0, hi=2.0):
    return np.random.uniform(lo, hi, shape).astype(dtype)


REALISTIC = {
    "transcendental": (_transcendental, lambda: (_r(6, 7),)),
    "adam": (_adam, lambda: (_r(50), _r(50), _r(50), _r(50, lo=0.0, hi=1.0))),
    "bias_gelu": (_bias_gelu, lambda: (_r(8, 16), _r(16))),
    "mlp_layer": (_mlp_layer, lambda: (_r(8, 5), _r(5, 16), _r(16))),
    "broadcasting": (_broadcasting, lambda: (_r(4, 5, 6), _r(6), _r(4, 5, 1))),
    "mixed_dtypes": (_mixed, lambda: (_r(30), np.random.randint(-9, 9, 30).astype(np.int32))),
}


def _realistic_graphs():
    return [(name, tl.make_graph(f)(*make())) for name, (f, make) in REALISTIC.items()]


def test_fusion_pass_finds_groups_in_realistic_programs():
    for name, g in _realistic_graphs():
        groups = fusion_groups(g, codegen.can_fuse, min_ops=2)
        assert groups, f"{name}: no fusion group found\n{g}"
        fused = sum(len(grp.eqns) for grp in groups)
        if name != "mlp_layer":  # everything but the matmul is elementwise
            assert fused == len(g.eqns), f"{name}: {fused} of {len(g.eqns)} fused\n{g}"


@needs_nvcc
def test_realistic_groups_compile_with_nvcc(tmp_path):
    kernels = [ks for _, _, ks in _sources(_realistic_graphs())]
    assert len(kernels) >= len(REALISTIC)
    _nvcc_ptx(kernels, tmp_path)


# --------------------------------------------------------------------------------------------
# numerics without a GPU: the generated per-element code built for the host


def _host_library(kernels, tmp_path):
    unique = {ks.name: ks for ks in kernels}
    cu = tmp_path / "host.cu"
    cu.write_text(codegen.PRELUDE + "\n".join(ks.kernel_source + codegen.host_loop(ks)
                                              for ks in unique.values()))
    so = tmp_path / "host.so"
    r = subprocess.run([NVCC, "-shared", "-Xcompiler", "-fPIC", "-o", str(so), str(cu)],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-4000:]
    return ctypes.CDLL(str(so))


def _run_host(lib, ks, inputs):
    ins = [np.ascontiguousarray(np.broadcast_to(x, x.shape), dtype=a.dtype)
           for x, a in zip(inputs, ks.in_avals, strict=True)]
    outs = [np.empty(ks.shape, dt) for dt in ks.out_dtypes]
    fn = getattr(lib, f"{ks.name}_host")
    fn(*[ctypes.c_void_p(a.ctypes.data) for a in ins + outs], ctypes.c_longlong(ks.size))
    return outs


def _grid_data(g):
    e = g.eqns[0]
    name = e.prim.name
    data = []
    for k, v in enumerate(g.invars):
        dt, n = np.dtype(v.aval.dtype), v.aval.shape[0]
        if dt.kind == "b":
            x = np.random.rand(n) < 0.5
        elif dt.kind == "f":
            scale = 1e10 if name == "convert_element_type" else 3.0
            x = (np.random.uniform(-scale, scale, n)).astype(dt)
            if name in ("acosh",):
                x = np.abs(x) + 1
            if name in ("pow",) and k == 0:
                x = np.abs(x)
        elif name.startswith("shift") and k == 1:
            x = np.random.randint(-2, dt.itemsize * 8 + 3, n).astype(dt) if dt.kind == "i" \
                else np.random.randint(0, dt.itemsize * 8 + 3, n).astype(dt)
        elif name == "pow" and k == 1:
            x = np.random.randint(0, 5, n).astype(dt)
        elif name == "select_n" and k == 0:
            x = np.random.randint(-1, 4, n).astype(dt)
        else:
            lo = 0 if dt.kind == "u" else -50
            x = np.random.randint(lo, 50, n).astype(dt)  # includes 0: division by zero
        data.append(x)
    return data


def _close(got, want, dt, what):
    assert got.dtype == want.dtype and got.shape == want.shape, what
    if dt.kind == "f":
        tol = {4: 2e-6, 8: 1e-13}[dt.itemsize]
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(got, want, err_msg=what)


@needs_nvcc
def test_grid_numerics_on_the_host(tmp_path):
    """Every one-equation kernel of the grid, run on the host, against the NumPy kernel."""
    srcs = _sources(GRID)
    lib = _host_library([ks for _, _, ks in srcs], tmp_path)
    failures = []
    with np.errstate(all="ignore"):
        for (label, g), (_, grp, ks) in zip(GRID, srcs, strict=True):
            data = _grid_data(g)
            e = g.eqns[0]
            want = core.eval_primitive(e.prim, [tnp.asarray(x) for x in data], e.params)
            by_var = dict(zip(map(id, g.invars), data, strict=True))
            got = _run_host(lib, ks, [by_var[id(v)] for v in grp.inputs])[0]
            try:
                _close(got, np.asarray(want), np.dtype(ks.out_dtypes[0]), label)
            except AssertionError as err:
                failures.append(str(err)[:600])
    assert not failures, f"{len(failures)} of {len(GRID)} kernels differ:\n" + "\n".join(
        failures)


@needs_nvcc
def test_realistic_numerics_on_the_host(tmp_path):
    """Fully elementwise programs: the generated kernels, on the host, against eager NumPy."""
    cases = []
    for name, (f, make) in REALISTIC.items():
        if name == "mlp_layer":
            continue
        args = make()
        g = tl.make_graph(f)(*args)
        groups = fusion_groups(g, codegen.can_fuse, min_ops=2)
        assert len(groups) == 1, name
        grp = groups[0]
        cases.append((name, f, args, g, grp, codegen.generate(grp.eqns, grp.inputs, grp.outputs,
                                                              grp.shape)))
    lib = _host_library([c[-1] for c in cases], tmp_path)
    for name, f, args, g, grp, ks in cases:
        env = {id(v): np.asarray(a) for v, a in zip(g.invars, args, strict=True)}
        env.update({id(v): np.asarray(c.to_numpy()) for v, c in zip(g.constvars, g.consts,
                                                                      strict=True)})
        got = _run_host(lib, ks, [env[id(v)] for v in grp.inputs])
        want = f(*args)
        want = [np.asarray(w) for w in (want if isinstance(want, tuple) else (want,))]
        by_var = dict(zip(map(id, grp.outputs), got, strict=True))
        for k, v in enumerate(g.outvars):
            _close(by_var[id(v)], want[k], want[k].dtype, f"{name} output {k}")


# --------------------------------------------------------------------------------------------
# on a GPU


@pytest.fixture
def on_cupy():
    import cupy

    with tl.backend("cupy") as be:
        yield be, cupy


_EAGER_CASES = [
    ("sin", lambda x: tnp.sin(x), [(3, 4)]),
    ("add_bcast", lambda x, y: x + y, [(3, 4), (4,)]),
    ("erf", lambda x: tl.scipy.special.erf(x) if hasattr(tl, "scipy") else tl.lax.erf(x),
     [(7,)]),
    ("matmul", lambda x, y: x @ y, [(5, 3), (3, 2)]),
    ("sum", lambda x: tnp.sum(x, axis=1), [(4, 6)]),
    ("cummax", lambda x: tl.lax.cummax(x, axis=1), [(3, 9)]),
    ("sort", lambda x: tnp.sort(x, axis=-1), [(4, 7)]),
    ("gather", lambda x: x[tnp.array([2, 0, 1])], [(3, 5)]),
    ("scatter_mul", lambda x: x.at[tnp.array([0, 0, 2])].multiply(2.0), [(4,)]),
    ("cholesky", lambda x: tnp.linalg.cholesky(x @ x.T + 4 * tnp.eye(4)), [(4, 4)]),
    ("fft", lambda x: tnp.abs(tnp.fft.fft(x)), [(8,)]),
    ("conv", lambda x, w: tl.lax.conv(x, w, (1, 1), "SAME"), [(1, 2, 6, 6), (3, 2, 3, 3)]),
]


@needs_gpu
@pytest.mark.parametrize("name,fn,shapes", _EAGER_CASES, ids=[c[0] for c in _EAGER_CASES])
def test_eager_matches_numpy(on_cupy, name, fn, shapes):
    be, cupy = on_cupy
    args = [_r(*s) for s in shapes]
    with tl.backend("numpy"):
        want = np.asarray(fn(*[tnp.asarray(a) for a in args]))
    out = fn(*[tnp.asarray(a) for a in args])
    assert type(out._buf) is cupy.ndarray
    got = out.to_numpy()
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5)


@needs_gpu
@pytest.mark.parametrize("name", sorted(REALISTIC))
def test_jit_matches_eager(on_cupy, name):
    be, cupy = on_cupy
    f, make = REALISTIC[name]
    args = [tnp.asarray(a) for a in make()]
    want = f(*args)
    got = tl.jit(f)(*args)
    for w, g in zip(tl.tree_util.tree_leaves(want), tl.tree_util.tree_leaves(got), strict=True):
        assert type(g._buf) is cupy.ndarray
        np.testing.assert_allclose(g.to_numpy(), w.to_numpy(), rtol=2e-6, atol=2e-6)


@needs_gpu
def test_jit_fuses_into_generated_kernels(on_cupy):
    from tensorlib.backends.cupy_backend.compiler import FusedKernel, compile_graph

    be, cupy = on_cupy
    g = tl.make_graph(_adam)(*[_r(50) for _ in range(4)])
    run = compile_graph(be, g)
    assert sum(kind == "group" for kind, *_ in run.units) == 1
    steps_fused = [u for u in run.units if u[0] == "group"]
    assert isinstance(FusedKernel(codegen.generate(steps_fused[0][1].eqns,
                                                   steps_fused[0][1].inputs,
                                                   steps_fused[0][1].outputs)), FusedKernel)


@needs_gpu
def test_devices_and_transfers(on_cupy):
    be, cupy = on_cupy
    devs = tl.devices("cupy")
    assert devs and all(d.platform == "gpu" for d in devs)
    x = tl.device_put(np.arange(6.0, dtype=np.float32), devs[-1])
    assert type(x._buf) is cupy.ndarray and x._buf.device.id == devs[-1].id
    assert x.block_until_ready() is x
    with tl.backend("numpy"):
        h = tl.device_put(x, "numpy")
        assert type(h._buf) is np.ndarray
        np.testing.assert_array_equal(h.to_numpy(), np.arange(6.0))
        with pytest.raises(tl.errors.BackendMismatchError, match="numpy and cupy|cupy and numpy"):
            _ = h + x


@pytest.mark.skipif(_n_gpus() < 2, reason="mixing GPUs needs two GPUs")
def test_mixing_gpus_is_an_error_naming_both(on_cupy):
    devs = tl.devices("cupy")
    a = tl.device_put(np.ones(3, np.float32), devs[0])
    b = tl.device_put(np.ones(3, np.float32), devs[1])
    with pytest.raises(tl.errors.BackendMismatchError, match=r"GpuDevice\(id=0.*GpuDevice\(id=1"):
        _ = a + b


@needs_gpu
def test_dlpack_round_trip(on_cupy):
    from tensorlib.backends.cupy_backend.backend import from_dlpack, to_dlpack

    be, cupy = on_cupy
    x = tnp.arange(5.0)
    y = from_dlpack(cupy.from_dlpack(to_dlpack(x)))
    np.testing.assert_array_equal(y.to_numpy(), x.to_numpy())


@pytest.mark.skipif(_n_gpus() < 2, reason="pmap with NCCL needs two GPUs")
def test_pmap_nccl_collectives(on_cupy):
    n = _n_gpus()
    x = tnp.arange(n * 3, dtype=np.float32).reshape(n, 3)

    def f(v):
        return (tl.lax.psum(v, "i"), tl.lax.pmax(v, "i"), tl.lax.all_gather(v, "i"),
                tl.lax.ppermute(v, "i", [(k, (k + 1) % n) for k in range(n)]))

    s, m, g, p = tl.pmap(f, axis_name="i")(x)
    xs = x.to_numpy()
    np.testing.assert_allclose(s.to_numpy(), np.broadcast_to(xs.sum(0), xs.shape))
    np.testing.assert_allclose(m.to_numpy(), np.broadcast_to(xs.max(0), xs.shape))
    np.testing.assert_allclose(g.to_numpy(), np.broadcast_to(xs, (n,) + xs.shape))
    np.testing.assert_allclose(p.to_numpy(), np.roll(xs, 1, axis=0))
