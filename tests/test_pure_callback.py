"""``tl.pure_callback``: eager, staged on every backend, batched three ways, pytrees and
keyword arguments, and its errors; JAX as the oracle for the values."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.numpy as tnp
from tensorlib.errors import NonDifferentiableError, ShapeError

S = tl.ShapeDtypeStruct


def _desc(x):
    return np.sort(x)[::-1].copy()


def test_eager_and_jit():
    x = np.array([2.0, 3.0, 1.0], np.float32)
    spec = S((3,), np.float32)
    np.testing.assert_array_equal(tl.pure_callback(_desc, spec, tnp.asarray(x)), [3, 2, 1])
    f = tl.jit(lambda v: tl.pure_callback(_desc, spec, v * 2) + 1)
    for _ in range(2):  # first call and compiled call (XLA: run on the host between segments)
        np.testing.assert_array_equal(f(tnp.asarray(x)), [7, 5, 3])
    assert "pure_callback" in str(tl.make_jaxpr(lambda v: tl.pure_callback(_desc, spec, v))(x))


def test_pytrees_kwargs_and_jax_oracle():
    jax = pytest.importorskip("jax")

    def cb(d, scale):
        return {"s": (d["a"] * scale).astype(np.float32), "n": np.int32(d["b"].size)}

    spec = {"s": S((2,), np.float32), "n": S((), np.int32)}
    args = {"a": np.array([1.0, 2.0], np.float32), "b": np.zeros((3, 4), np.float32)}
    got = tl.jit(lambda d: tl.pure_callback(cb, spec, d, scale=3.0))(
        {k: tnp.asarray(v) for k, v in args.items()})
    jspec = {"s": jax.ShapeDtypeStruct((2,), np.float32), "n": jax.ShapeDtypeStruct((), np.int32)}
    want = jax.jit(lambda d: jax.pure_callback(cb, jspec, d, scale=3.0))(args)
    for k in want:
        assert got[k].dtype == want[k].dtype
        np.testing.assert_array_equal(got[k], want[k])


@pytest.mark.parametrize("method", ["sequential", "expand_dims", "broadcast_all"])
def test_vmap_methods(method):
    calls = []

    def cb(x, w):
        calls.append((x.shape, w.shape))
        return (x * w).astype(np.float32)

    xs = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    w = np.array([1.0, 2.0, 3.0], np.float32)

    def f(x):
        shape = x.shape
        return tl.pure_callback(cb, S(shape, np.float32), x, tnp.asarray(w), vmap_method=method)

    out = tl.vmap(f)(tnp.asarray(xs))
    np.testing.assert_array_equal(out, xs * w)
    shapes = {"sequential": [((3,), (3,))] * 4, "expand_dims": [((4, 3), (1, 3))],
              "broadcast_all": [((4, 3), (4, 3))]}[method]
    assert calls == shapes


def test_errors():
    x = tnp.array([1.0, 2.0])
    with pytest.raises(ShapeError, match=r"pure_callback: <lambda> returned float64\[2\] for "
                                         r"result 0 but result_shape_dtypes declares f32\[2\]"):
        tl.pure_callback(lambda v: v.astype(np.float64), S((2,), np.float32), x)
    with pytest.raises(ShapeError, match=r"pure_callback: <lambda> returned .* but "
                                         r"result_shape_dtypes declares"):
        tl.pure_callback(lambda v: (v, v), S((2,), np.float32), x)
    with pytest.raises(NonDifferentiableError, match=r"pure_callback: _desc is a Python "
                                                     r"function on host arrays.*custom_jvp"):
        tl.grad(lambda v: tl.pure_callback(_desc, S((2,), np.float32), v).sum())(x)
    with pytest.raises(NotImplementedError, match=r"pure_callback: _desc under vmap needs "
                                                  r"vmap_method="):
        tl.vmap(lambda v: tl.pure_callback(_desc, S((2,), np.float32), v))(tnp.ones((3, 2)))
    with pytest.raises(ValueError, match=r"pure_callback: vmap_method must be None or one of"):
        tl.pure_callback(_desc, S((2,), np.float32), x, vmap_method="bogus")
    with pytest.raises(TypeError, match=r"pure_callback: result_shape_dtypes must be a pytree "
                                        r"of objects with shape and dtype"):
        tl.pure_callback(_desc, 3, x)
