"""Eager loops over Python ints and floats on the XLA backend compile a fixed set of
executables (issue #14, item 4): a slice's starts and Python scalars are runtime arguments,
and the in-memory caches of eager executables are bounded.

Compiles are counted with ``compiler.STATS`` (compiles plus disk-cache loads: an executable
another test process wrote to the shared disk cache is loaded instead of compiled). The same
operations are checked against NumPy on both backends.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("jaxlib", reason="the xla backend needs jaxlib (pip install 'jaxlib==0.10.*')")

import tensorlib as tl  # noqa: E402
import tensorlib.numpy as tnp  # noqa: E402
from tensorlib import lax  # noqa: E402
from tensorlib.errors import ShapeError  # noqa: E402

XN = np.arange(23 * 6, dtype=np.float32).reshape(23, 6)
N = 200


def _executables():
    from tensorlib.backends.xla_backend import compiler

    return compiler.STATS["compiles"] + compiler.STATS["disk_loads"]


def _at_set(x, i):
    return x.at[i % 23].set(float(i))


def _at_add_row(x, i):
    return x.at[i % 23, 1:4].add(x[0, :3])


LOOPS = {  # name: (tensorlib op, NumPy op) of the array and a step number i
    "x[i]": (lambda x, i: x[i % 23], lambda x, i: x[i % 23]),
    "x[-i]": (lambda x, i: x[-(i % 23) - 1], lambda x, i: x[-(i % 23) - 1]),
    "x[i, j]": (lambda x, i: x[i % 23, i % 6], lambda x, i: x[i % 23, i % 6]),
    "x[i:i+2]": (lambda x, i: x[i % 22:i % 22 + 2], lambda x, i: x[i % 22:i % 22 + 2]),
    "x[:, j]": (lambda x, i: x[:, i % 6], lambda x, i: x[:, i % 6]),
    "x[i, ::2]": (lambda x, i: x[i % 23, ::2], lambda x, i: x[i % 23, ::2]),
    "x[i:i+6:3]": (lambda x, i: x[i % 17:i % 17 + 6:3], lambda x, i: x[i % 17:i % 17 + 6:3]),
    "x.at[i].set(v)": (_at_set, None),
    "x.at[i, 1:4].add": (_at_add_row, None),
    "x * s": (lambda x, i: x * (0.5 + i / 7), lambda x, i: x * np.float32(0.5 + i / 7)),
    "x + n": (lambda x, i: x + i, lambda x, i: x + np.float32(i)),
}


def _numpy_at(name, x, i):
    y = x.copy()
    if name == "x.at[i].set(v)":
        y[i % 23] = float(i)
    else:
        y[i % 23, 1:4] += x[0, :3]
    return y


def _check(name, got, x, i):
    tl_fn, np_fn = LOOPS[name]
    want = np_fn(x, i) if np_fn is not None else _numpy_at(name, x, i)
    assert got.shape == want.shape, (name, i)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6, err_msg=f"{name} at i={i}")


@pytest.mark.parametrize("name", list(LOOPS))
def test_eager_loop_over_python_numbers_compiles_once_on_xla(name):
    fn = LOOPS[name][0]
    with tl.backend("xla"):
        x = tnp.asarray(XN)
        _check(name, fn(x, 0), XN, 0)  # the first step may compile its few executables
        _check(name, fn(x, 1), XN, 1)
        before = _executables()
        outs = [fn(x, i) for i in range(2, N)]
        added = _executables() - before
    assert added <= 2, f"{name}: {added} executables for {N - 2} new values"
    for i in (2, 3, 57, N - 1):
        _check(name, outs[i - 2], XN, i)


@pytest.mark.parametrize("backend", ["numpy", "xla"])
@pytest.mark.parametrize("name", list(LOOPS))
def test_eager_index_results_match_numpy(backend, name):
    fn = LOOPS[name][0]
    with tl.backend(backend):
        x = tnp.asarray(XN)
        for i in (0, 5, 22, 23, 41, 199):
            got = fn(x, i)
            assert got.backend.name == backend
            _check(name, got, XN, i)


@pytest.mark.parametrize("backend", ["numpy", "xla"])
def test_out_of_bounds_indices_follow_jax(backend):
    """Static integer indices out of bounds are clamped by a gather and dropped by a scatter,
    as in JAX (not NumPy's IndexError); a slice out of bounds is still an error."""
    with tl.backend(backend):
        x = tnp.asarray(XN[:5, :4])
        np.testing.assert_array_equal(x[10], XN[4, :4])
        np.testing.assert_array_equal(x[-6], XN[0, :4])
        np.testing.assert_array_equal(x[1, 7], XN[1, 3])
        np.testing.assert_array_equal(x.at[5].set(2.0), XN[:5, :4])
        np.testing.assert_array_equal(x.at[5].set(2.0, mode="clip")[4], np.full(4, 2.0))
        with pytest.raises(OverflowError, match=r"indexing: Python int 10000000000 too large "
                                                r"to convert to int32 \(axis 0 has size 5\)"):
            x[10**10]
        with pytest.raises(ShapeError, match=r"slice: start \(3, 0\) limit \(6, 4\) strides None"
                                             r" are out of bounds for f32\[5,4\]"):
            lax.slice(x, (3, 0), (6, 4))
        # empty and whole slices, a 0-d array
        assert x[3:3].shape == (0, 4) and x[:, :].shape == (5, 4)
        assert float(tnp.asarray(2.5)[()]) == 2.5


def test_xla_slices_keep_device_bf16_and_transforms():
    with tl.backend("xla"):
        x = tnp.asarray(XN)
        np.testing.assert_array_equal(np.asarray(x.astype("bfloat16")[3, 2:5]).astype(np.float32),
                                      XN[3, 2:5])
        np.testing.assert_array_equal(np.asarray(lax.slice(x, (1, 1), (20, 6), (4, 2))),
                                      XN[1:20:4, 1:6:2])
        np.testing.assert_array_equal(np.asarray(x[20:3:-3, 4]), XN[20:3:-3, 4])
        g = tl.grad(lambda a: (a[4, 2] * 3.0 + a[-1].sum()))(x)
        want = np.zeros_like(XN)
        want[4, 2] = 3.0
        want[-1] += 1.0
        np.testing.assert_array_equal(np.asarray(g), want)
        np.testing.assert_array_equal(np.asarray(tl.jit(lambda a: a[7, 1:3])(x)), XN[7, 1:3])
        np.testing.assert_array_equal(np.asarray(tl.vmap(lambda r: r[2:4])(x)), XN[:, 2:4])
        d = tl.devices("xla")[-1]
        y = tl.device_put(x, d)[9]
        assert y.device == d
        np.testing.assert_array_equal(np.asarray(y), XN[9])


def test_eager_executable_caches_are_bounded(monkeypatch):
    from tensorlib.backends.xla_backend import compiler

    from tensorlib._src.backend import get_backend

    be = get_backend("xla")
    monkeypatch.setattr(compiler, "EAGER_CACHE_SIZE", 8)
    monkeypatch.setattr(be, "modules_max", 12)
    with tl.backend("xla"):
        for n in range(1, 30):  # 29 signatures of cos (and of the arrays' uploads)
            v = tnp.cos(tnp.zeros(n + 50))
        assert len(compiler._eager_order) <= 8
        assert len(be._modules) <= 12
        np.testing.assert_array_equal(np.asarray(v), np.ones(79, np.float32))
        x = tnp.asarray(XN)
        for i in range(20):  # rows of one shape: the slice kernel's one signature
            np.testing.assert_array_equal(np.asarray(x[i]), XN[i])
