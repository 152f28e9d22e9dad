"""The NumPy backend's compiler: fusion groups and generated Numba loops."""

import numpy as np
import pytest
from tensorlib.backends import numba_fusion

import tensorlib as tl
import tensorlib.numpy as tnp
from tensorlib._src.passes import fusion_groups

pytestmark = pytest.mark.skipif(tl.default_backend() != "numpy",
                                reason="tests the NumPy backend's compiler")


@pytest.fixture
def always_fuse(monkeypatch):
    monkeypatch.setenv("TENSORLIB_FUSION", "always")


def _units(jf):
    (entry,) = jf._cache.values()
    return entry.exe.run.units


def test_grouping_finds_elementwise_runs():
    def f(x, b):
        y = (x * 2.0 + b) * x          # one run: mul, add (b broadcast), mul
        z = y @ tnp.ones((4, 4))       # dot_general breaks the run
        return tnp.maximum(z - 1.0, 0.0), y

    g = tl.make_graph(f)(tnp.ones((3, 4)), tnp.ones(4))
    groups = fusion_groups(g, numba_fusion.can_fuse, min_ops=2)
    assert len(groups) == 2
    first, second = groups
    assert [e.prim.name for e in first.eqns if e.prim.name != "broadcast_in_dim"] == \
        ["mul", "add", "mul"]
    assert len(first.outputs) == 1 and first.shape == (3, 4)
    assert [e.prim.name for e in second.eqns if e.prim.name != "broadcast_in_dim"] == \
        ["sub", "max"]
    # the cost model: nothing is fused below the size threshold
    assert fusion_groups(g, numba_fusion.can_fuse, min_ops=2, min_size=10**6) == []


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_fused_results_match_eager(always_fuse, dtype):
    def f(x, b):
        y = (x * 3 + b) * x - tnp.abs(b)
        return tnp.where(y > 2, y, x - 1), y * 2

    x = tnp.asarray(np.arange(12).reshape(3, 4) - 5).astype(dtype)
    b = tnp.asarray(np.array([1, -2, 3, 4])).astype(dtype)
    jf = tl.jit(f)
    got, want = jf(x, b), f(x, b)
    for a, w in zip(got, want):
        assert a.dtype == w.dtype and a.shape == w.shape
        np.testing.assert_allclose(a, w, rtol=1e-6)
    kinds = [u[0] for u in _units(jf)]
    assert "group" in kinds
    groups = [u[1] for u in _units(jf) if u[0] == "group"]
    # abs(b) (another shape) does not break the run: one group, two values written back
    assert len(groups) == 1 and len(groups[0].outputs) == 2


def test_fused_scalar_and_0d(always_fuse):
    f = tl.jit(lambda x: tnp.sqrt(x * x + 1.0) - x)
    np.testing.assert_allclose(f(tnp.float32(3.0)), np.sqrt(10.0) - 3.0, rtol=1e-6)
    np.testing.assert_allclose(f(tnp.arange(5.0)), np.sqrt(np.arange(5.0) ** 2 + 1)
                               - np.arange(5.0), rtol=1e-6)


def test_generated_source_is_one_loop_nest(always_fuse):
    jf = tl.jit(lambda x, y: (x + y) * (x - y))
    jf(tnp.ones((2, 3)), tnp.ones((2, 3)))
    group = next(u[1] for u in _units(jf) if u[0] == "group")
    kernel = numba_fusion.build_kernel(group.eqns, group.inputs, group.outputs)
    src = kernel.source
    assert src.count("for i0 in") == 1 and src.count("for i1 in") == 1
    assert "o0[i0, i1] =" in src


def test_grad_of_fused_jit(always_fuse):
    f = tl.jit(lambda x: ((x * 2.0 - 1.0) * x).sum())
    np.testing.assert_allclose(tl.grad(f)(tnp.arange(3.0)), 4 * np.arange(3.0) - 1, rtol=1e-6)
    g = tl.jit(tl.grad(lambda x: ((x * 2.0 - 1.0) * x).sum()))
    np.testing.assert_allclose(g(tnp.arange(3.0)), 4 * np.arange(3.0) - 1, rtol=1e-6)


def test_transcendental_chain_runs_blocked(always_fuse, monkeypatch):
    from tensorlib.backends import blocked

    monkeypatch.setattr(blocked, "TILE", 64)  # several tiles on a small array
    f = lambda x: tnp.sin(x) * 2 + tnp.exp(-x * x) - tnp.tanh(x) * 0.5
    jf = tl.jit(f)
    x = tnp.asarray(np.linspace(-3, 3, 1000, dtype=np.float32).reshape(10, 100))
    out = jf(x)
    (unit,) = [u for u in _units(jf) if u[0] == "group"]
    assert len([e for e in unit[1].eqns if e.prim.name != "broadcast_in_dim"]) == 9
    # bit-identical to eager: the same ufuncs on the same values
    np.testing.assert_array_equal(out, f(x))


def test_constants_are_staged_as_scalars():
    g = tl.make_graph(lambda x: x * 0.9 + 0.1)(tnp.ones(1000))
    consts = [c for c in g.consts]
    assert all(c.ndim == 0 for c in consts)  # no 1000-element constant arrays in the graph


def test_kernels_are_keyed_by_structure_not_sizes(always_fuse):
    """A fused group's loop is generated from its operations, dtypes, ranks and broadcasting
    pattern, with the sizes read at run time: a new program made of known groups compiles
    nothing."""
    def f(x, b):
        return (x * 3.0 + b) * x - 1.0

    jf = tl.jit(f)
    for _ in range(2):  # the second call builds the Numba kernel (tiered)
        jf(tnp.ones((3, 4)), tnp.ones(4))
    before = len(numba_fusion._loaded)
    g = tl.jit(f)  # another program, other sizes, the same structure
    for n in (5, 7):
        x, b = np.arange(n * 6.0, dtype=np.float32).reshape(n, 6), np.arange(6.0, dtype=np.float32)
        for _ in range(2):
            got = g(tnp.asarray(x), tnp.asarray(b))
        np.testing.assert_allclose(got, (x * 3 + b) * x - 1, rtol=1e-6)
    assert len(numba_fusion._loaded) == before


def _numba_entries():
    from tensorlib._src.ops.family import FAMILY

    return sorted((op for op in FAMILY.values() if op.numba is not None),
                  key=lambda op: op.prim.name)


@pytest.mark.parametrize("op", _numba_entries(), ids=lambda op: op.prim.name)
def test_tiers_agree(always_fuse, op):
    """The first call of a fused group runs it unfused, later calls run the Numba loop, and
    ``compile_tier="compiled"`` runs the loop from the first call: the three agree."""
    from tensorlib._src.ops.family import KINDS

    dt = next(d for d in (np.float32, np.int32, np.bool_) if KINDS[op.kind](np.dtype(d)))
    rng = np.random.default_rng(0)
    x = (rng.uniform(0.5, 2.0, (16, 8)) * (1 if dt == np.bool_ else 3)).astype(dt)
    y = (rng.uniform(0.5, 2.0, (16, 8)) * 3).astype(dt)

    def f(a, b):
        args = (a, b)[:op.arity]
        inner = op.prim.bind(*args)
        # one more operation of the group on the result, where the dtype allows
        return tnp.logical_not(inner) if inner.dtype == np.bool_ else inner + inner

    jf = tl.jit(f)
    first, second = np.asarray(jf(x, y)), np.asarray(jf(x, y))
    tl.config.update("compile_tier", "compiled")
    try:
        compiled = np.asarray(tl.jit(f)(x, y))
    finally:
        tl.config.update("compile_tier", "tiered")
    kinds = {u[0] for u in _units(jf)}
    assert "group" in kinds, "the chain was not fused"
    np.testing.assert_allclose(second, first, rtol=1e-6)
    np.testing.assert_allclose(compiled, first, rtol=1e-6)


def test_background_tier_switches_to_the_loop_without_waiting(always_fuse):
    """``compile_tier="background"``: calls run unfused while a thread compiles the loop, then
    switch to it; every call's result agrees."""
    tl.config.update("compile_tier", "background")
    try:
        jf = tl.jit(lambda x, y: (x * 1.25 + y) * x - y * 0.5)
        x = tnp.asarray(np.linspace(-2, 2, 96, dtype=np.float32).reshape(8, 12))
        want = (np.asarray(x) * 1.25 + np.asarray(x)) * np.asarray(x) - np.asarray(x) * 0.5
        np.testing.assert_allclose(jf(x, x), want, rtol=1e-6)  # unfused; the thread starts
        (entry,) = jf._cache.values()
        (tiered,) = [k for k in entry.exe.run.kernels if type(k).__name__ == "_Tiered"]
        assert tiered._build is not None  # not switched yet: the first call did not wait
        tiered._pending.result()  # the background compile (its errors surface here)
        np.testing.assert_allclose(jf(x, x), want, rtol=1e-6)  # the switch happens here
        assert tiered._build is None and type(tiered._run).__name__ == "FusedKernel"
        np.testing.assert_allclose(jf(x, x), want, rtol=1e-6)
    finally:
        tl.config.update("compile_tier", "tiered")


def test_compile_tier_is_checked():
    from tensorlib.errors import ConfigError

    with pytest.raises(ConfigError, match="compile_tier must be one of 'tiered', 'compiled', "
                                          "'background', got 'fast'"):
        tl.config.update("compile_tier", "fast")
    assert tl.config.compile_tier == "tiered"


def _prims(jf):
    (entry,) = jf._cache.values()
    return [u[1].prim.name for u in entry.exe.run.units if u[0] == "eqn"]


def test_trailing_broadcasts_are_left_to_numpy():
    """``h @ W + b``: the add reads ``b`` itself (NumPy broadcasts it) and the broadcast step
    is gone; a broadcast along a leading axis, or one whose sibling is broadcast too, stays."""
    rng = np.random.default_rng(0)
    h, W = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((3, 5)).astype(
        np.float32)
    b, c = rng.standard_normal(5).astype(np.float32), rng.standard_normal(4).astype(np.float32)

    jf = tl.jit(lambda h, W, b: tnp.tanh(h @ W + b))
    np.testing.assert_allclose(jf(h, W, b), np.tanh(h @ W + b), rtol=1e-5)
    assert "broadcast_in_dim" not in _prims(jf) and "add" in _prims(jf)

    lead = tl.jit(lambda h, W, c: h @ W + c[:, None])  # axis 0: not NumPy's alignment
    np.testing.assert_allclose(lead(h, W, c), h @ W + c[:, None], rtol=1e-5)

    both = tl.jit(lambda b, c: tnp.broadcast_to(b, (4, 5)) * tnp.broadcast_to(b, (4, 5)) + 1)
    np.testing.assert_allclose(both(b, c), np.broadcast_to(b * b + 1, (4, 5)), rtol=1e-6)
    assert both(b, c).shape == (4, 5)

    g = tl.jit(tl.grad(lambda W, b: tnp.sum(tnp.tanh(h @ W + b) ** 2), argnums=(0, 1)))
    gw, gb = g(W, b)
    t = np.tanh(h @ W + b)
    np.testing.assert_allclose(gb, (2 * t * (1 - t * t)).sum(0), rtol=1e-4)
    np.testing.assert_allclose(gw, h.T @ (2 * t * (1 - t * t)), rtol=1e-4)
