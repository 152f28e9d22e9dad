"""Output buffers of fused kernels are reused across calls only once nothing else holds them
(``backends/output_pool.py``): a result the caller still holds, or a view or export of it,
is never written again."""

import gc

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.numpy as tnp

pytestmark = pytest.mark.skipif(tl.default_backend() != "numpy",
                                reason="the NumPy backend's fused kernels")

N = 300_000  # 1.2 MB of float32: above POOL_MIN_BYTES


@pytest.fixture(autouse=True)
def compiled_tier():
    tier = tl.config.compile_tier
    tl.config.update("compile_tier", "compiled")  # the Numba loop from the first call
    yield
    tl.config.update("compile_tier", tier)


def arith(x, y):  # one Numba loop
    return (x * 2.0 + y) * x - 1.0, x - y * 0.5


def transcendental(x, y):  # one blocked group
    return tnp.sin(x) * 2.0 + tnp.exp(-y), tnp.tanh(x) - y


def _inputs(seed):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(N).astype(np.float32),
            rng.standard_normal(N).astype(np.float32))


def _want(fn, x, y):
    if fn is arith:
        return [(x * 2 + y) * x - 1, x - y * np.float32(0.5)]
    return [np.sin(x) * 2 + np.exp(-y), np.tanh(x) - y]


def _addr(a):
    return np.asarray(a).__array_interface__["data"][0]


def _kernel_kind(jf):
    (entry,) = jf._cache.values()
    return {type(k).__name__ for k in entry.exe.run.kernels}


@pytest.mark.parametrize("fn", [arith, transcendental], ids=["numba", "blocked"])
def test_held_results_are_never_overwritten(fn):
    jf, (x1, y1), (x2, y2) = tl.jit(fn), _inputs(1), _inputs(2)
    first = jf(x1, y1)
    assert _kernel_kind(jf) & {"FusedKernel", "BlockedGroup", "_Tiered"}
    copies = [np.array(o) for o in first]
    for _ in range(4):  # the pool hands out only buffers nobody holds
        jf(x2, y2)
    for o, c in zip(first, copies):
        np.testing.assert_array_equal(np.asarray(o), c)
    np.testing.assert_allclose(np.asarray(first[0]), _want(fn, x1, y1)[0], rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("fn", [arith, transcendental], ids=["numba", "blocked"])
def test_dropped_results_are_reused(fn):
    jf, (x1, y1), (x2, y2) = tl.jit(fn), _inputs(1), _inputs(2)
    a = jf(x1, y1)
    addrs = {_addr(o) for o in a}
    del a
    gc.collect()
    b = jf(x2, y2)
    assert {_addr(o) for o in b} == addrs, "the dropped buffers were not reused"
    for got, want in zip(b, _want(fn, x2, y2)):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("keep", ["numpy view", "tensorlib slice", "dlpack", "memoryview"])
def test_views_and_exports_keep_a_buffer_alive(keep):
    jf, (x1, y1), (x2, y2) = tl.jit(arith), _inputs(1), _inputs(2)
    out = jf(x1, y1)[0]
    if keep == "numpy view":
        held = np.asarray(out)[::3]
    elif keep == "tensorlib slice":
        held = out[10:20]
    elif keep == "dlpack":
        held = np.from_dlpack(out)
    else:
        held = memoryview(np.asarray(out))
    snapshot = np.array(held)
    del out
    gc.collect()
    for _ in range(3):
        jf(x2, y2)
    np.testing.assert_array_equal(np.asarray(held), snapshot)


def test_a_training_loop_alternates_between_two_buffer_sets():
    """``p, m = update(p, m, g)``: the state is rebound every step, so the buffers of two steps
    ago are free; the results equal NumPy's step by step."""
    def update(p, m, g):
        m = 0.9 * m + 0.1 * g
        return p - 0.01 * m, m

    jf = tl.jit(update)
    rng = np.random.default_rng(0)
    p, m, g = (rng.standard_normal(N).astype(np.float32) for _ in range(3))
    pn, mn = p.copy(), m.copy()
    state = (tnp.asarray(p), tnp.asarray(m))
    seen = set()
    for _ in range(6):
        state = jf(*state, g)
        mn = np.float32(0.9) * mn + np.float32(0.1) * g
        pn = pn - np.float32(0.01) * mn
        seen.add(_addr(state[0]))
    np.testing.assert_allclose(np.asarray(state[0]), pn, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(state[1]), mn, rtol=1e-5, atol=1e-6)
    assert len(seen) <= 3, f"{len(seen)} buffers for one output over 6 steps"


def test_small_outputs_are_not_pooled():
    from tensorlib.backends.output_pool import OutputPool

    small = OutputPool((100,), [np.float32])
    a = small.take()[0]
    del a
    assert small._spare == [None]
    big = OutputPool((N,), [np.float32, np.float64])
    first = big.take()
    ids = [id(o) for o in first]
    again = big.take()  # ``first`` is still held: new buffers
    assert [id(o) for o in again] != ids
    del first
    third = big.take()
    assert [id(o) for o in third] == ids
    assert [o.dtype for o in third] == [np.float32, np.float64]
