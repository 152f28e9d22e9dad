"""pmap over virtual CPU devices (NumPy backend): collectives, data-parallel training."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.numpy as tnp
from tensorlib import lax
from tensorlib.errors import ShapeError


def _x():
    return tnp.asarray(np.arange(12.0, dtype=np.float32).reshape(4, 3))


def test_devices_and_size_error():
    assert len(tl.devices()) == 4
    with pytest.raises(ShapeError, match="mapped axis has size 8 but only 4 devices"):
        tl.pmap(lambda v: v)(tnp.ones((8, 2)))


def test_collectives_match_vmap():
    x = _x()

    def f(v):
        return {"sum": lax.psum(v, "i"), "mean": lax.pmean(v, "i"), "max": lax.pmax(v, "i"),
                "min": lax.pmin(v, "i"), "idx": lax.axis_index("i"),
                "gather": lax.all_gather(v, "i"),
                "perm": lax.ppermute(v, "i", [(i, (i + 1) % 4) for i in range(4)])}

    got = tl.pmap(f, axis_name="i")(x)
    want = tl.vmap(f, axis_name="i")(x)
    for k in want:
        np.testing.assert_allclose(got[k], want[k], err_msg=k)


def test_in_axes_out_axes_and_static():
    def f(a, b, n):
        return a * b * n

    g = tl.pmap(f, in_axes=(0, None, None), out_axes=1, static_broadcasted_argnums=2)
    out = g(_x(), tnp.ones(3), 2.0)
    assert out.shape == (3, 4)
    np.testing.assert_allclose(out, 2 * np.asarray(_x()).T)


def test_data_parallel_training_matches_single_device():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 3)).astype(np.float32)
    w_true = np.array([1.0, -2.0, 0.5], np.float32)
    Y = X @ w_true

    def loss(w, xb, yb):
        return ((xb @ w - yb) ** 2).mean()

    @tl.pmap(axis_name="batch", in_axes=(None, 0, 0))
    def step(w, xb, yb):
        g = lax.pmean(tl.grad(loss)(w, xb, yb), "batch")
        return w - 0.1 * g

    w = tnp.zeros(3)
    w_single = tnp.zeros(3)
    xs, ys = tnp.asarray(X.reshape(4, 8, 3)), tnp.asarray(Y.reshape(4, 8))
    for _ in range(50):
        w = step(w, xs, ys)[0]  # every device holds the same parameters
        w_single = w_single - 0.1 * tl.grad(loss)(w_single, tnp.asarray(X), tnp.asarray(Y))
    np.testing.assert_allclose(w, w_single, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w, w_true, atol=1e-2)


def test_pmap_composes():
    x = _x()
    f = lambda v: (v * lax.psum(v, "i")).sum()
    g_outer = tl.grad(lambda x: tl.pmap(f, axis_name="i")(x).sum())(x)
    np.testing.assert_allclose(g_outer, tl.grad(lambda x: tl.vmap(f, axis_name="i")(x).sum())(x))
    inner = tl.pmap(lambda v: tl.vmap(lambda a: lax.psum(a, "j") * lax.psum(a, "i"),
                                      axis_name="j")(v), axis_name="i")(x)
    np.testing.assert_allclose(inner, np.asarray(x).sum(1, keepdims=True)
                               * np.asarray(x).sum(0, keepdims=True))
    np.testing.assert_allclose(tl.jit(tl.pmap(lambda v: v * 2))(x), 2 * np.asarray(x))


def test_error_in_one_device_surfaces_and_releases_the_others():
    from tensorlib._src.collectives import psum_p
    from tensorlib._src.transforms.pmap import _run_spmd

    class Exe:  # device 2 fails before the collective; the others must not hang
        def run(self, x):
            if int(x) == 2:
                raise ZeroDivisionError("device 2 failed")
            return [psum_p.bind(x, axis_name="i")]

    shards = [[tnp.float32(i)] for i in range(4)]
    with pytest.raises(ZeroDivisionError, match="device 2 failed"):
        _run_spmd(Exe(), shards, "i", 4)
    np.testing.assert_allclose(tl.pmap(lambda v: lax.psum(v, "i"), axis_name="i")(_x())[0],
                               np.asarray(_x()).sum(0))
