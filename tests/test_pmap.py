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
    from tensorlib._src.pmap import _run_spmd

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


# --------------------------------------------------------------------------------------------
# donate_argnums


def _step(w, xs):
    return w - 0.5 * lax.pmean(xs * w, "i"), xs.sum()


def test_donation_matches_the_undonated_call_and_deletes_the_donated_input():
    from tensorlib.errors import DeletedArrayError

    keep = tl.pmap(_step, axis_name="i")
    give = tl.pmap(_step, axis_name="i", donate_argnums=0)
    w, xs = tnp.ones((4, 3)), _x()
    want = keep(tnp.ones((4, 3)), xs)
    got = give(w, xs)
    for g, k in zip(got, want, strict=True):
        np.testing.assert_array_equal(np.asarray(g), np.asarray(k))
    with pytest.raises(DeletedArrayError, match=r"f32\[4,3\].*donated.*donate_argnums"):
        w + 1
    with pytest.raises(DeletedArrayError, match="donate_argnums"):
        repr(w)
    with pytest.raises(DeletedArrayError, match="donate_argnums"):
        give(w, xs)  # a donated array cannot be passed again
    np.testing.assert_array_equal(np.asarray(xs), np.asarray(_x()))  # not donated: alive
    # the training-loop pattern: each step's result is the next step's donated input
    wd, wk = got[0], want[0]
    for _ in range(3):
        wd, wk = give(wd, xs)[0], keep(wk, xs)[0]
    np.testing.assert_allclose(np.asarray(wd), np.asarray(wk), rtol=1e-6)
    # a negative position counts from the end, as in jit
    v = tnp.ones((4, 3))
    tl.pmap(lambda a: a * 2, donate_argnums=-1)(v)
    with pytest.raises(DeletedArrayError):
        v + 1


def test_donation_reuses_the_devices_buffers_on_xla():
    if tl.default_backend() != "xla":
        pytest.skip("XLA's buffer aliasing; the NumPy backend only deletes the inputs")
    from tensorlib.backends.xla_backend import spmd

    f = tl.pmap(lambda a, b: a * 2 + b, donate_argnums=0)
    w = tl.pmap(lambda a: a + 0)(tnp.ones((4, 3)))  # a pmap result: stays on its devices
    stacked = w._buf.stacked
    out = f(w, tnp.ones((4, 3)))
    exe = next(iter(f._cache.values()))[0]
    assert isinstance(exe, spmd.SpmdCall) and exe.donated == (0,)
    assert "tf.aliasing_output" in exe.text
    assert stacked.is_deleted()  # XLA wrote the output into the donated buffers
    np.testing.assert_array_equal(np.asarray(out), np.full((4, 3), 3.0))


def test_donated_pytree_and_unmapped_argument():
    from tensorlib.errors import DeletedArrayError

    def update(params, xs, lr):
        g = lax.pmean(xs.mean(0) * params["w"] + params["b"], "i")
        return {"w": params["w"] - lr * g, "b": params["b"] - lr * g.sum()}

    def fresh():
        return {"w": tnp.ones(3), "b": tnp.float32(0.5)}

    xs = tnp.asarray(np.arange(24.0, dtype=np.float32).reshape(4, 2, 3))
    lr = tnp.float32(0.1)
    kw = dict(axis_name="i", in_axes=(None, 0, None), out_axes=None)
    want = tl.pmap(update, **kw)(fresh(), xs, lr)
    params = fresh()
    got = tl.pmap(update, donate_argnums=(0, 2), **kw)(params, xs, lr)
    for k in want:
        np.testing.assert_allclose(np.asarray(got[k]), np.asarray(want[k]), rtol=1e-6)
    for leaf in (params["w"], params["b"], lr):  # every leaf of the donated arguments
        with pytest.raises(DeletedArrayError, match="donate_argnums"):
            leaf * 1
    assert float(xs.sum()) == float(np.arange(24.0).sum())
    # a leaf that is not an Array (a NumPy array, a Python number) has nothing to delete
    host = {"w": np.ones(3, np.float32), "b": 0.5}
    got = tl.pmap(update, donate_argnums=0, **kw)(host, xs, 0.1)
    np.testing.assert_allclose(np.asarray(got["w"]), np.asarray(want["w"]), rtol=1e-6)
    np.testing.assert_array_equal(host["w"], np.ones(3))


def test_bad_donate_argnums_are_clear_errors():
    f = lambda a: a * 2  # noqa: E731
    x = tnp.ones((4, 3))
    with pytest.raises(ValueError, match=r"pmap: donate_argnums=3 names argument 3, but the "
                                         r"pmapped function was called with 1 positional "
                                         r"argument$"):
        tl.pmap(f, donate_argnums=3)(x)
    with pytest.raises(ValueError, match=r"donate_argnums=\(0, -3\) names argument -3, but "
                                         r".* called with 2 positional arguments"):
        tl.pmap(lambda a, b: a + b, donate_argnums=(0, -3))(x, x + 1)
    with pytest.raises(TypeError, match=r"pmap: donate_argnums must be an int or a tuple of "
                                        r"ints .*got 'a'"):
        tl.pmap(f, donate_argnums="a")
    with pytest.raises(ValueError, match=r"pmap: arguments \[1\] are both static"):
        tl.pmap(lambda a, n: a * n, static_broadcasted_argnums=1, donate_argnums=1)
    with pytest.raises(ValueError, match=r"pmap: arguments \[1\] are both static"):
        tl.pmap(lambda a, n: a * n, static_broadcasted_argnums=1, donate_argnums=-1)(x, 2)
    assert float(x.sum()) == 12.0  # nothing ran, nothing was donated


def test_donating_an_array_that_is_also_passed_elsewhere_is_an_error():
    x = tnp.ones((4, 3))
    with pytest.raises(ValueError, match=r"pmap: argument 0 is donated .* f32\[4,3\] is also "
                                         r"passed as argument 1"):
        tl.pmap(lambda a, b: a + b, donate_argnums=0)(x, x)
    with pytest.raises(ValueError, match=r"argument 0 is donated .* as argument 0 more than "
                                         r"once"):
        tl.pmap(lambda t: t[0] + t[1], donate_argnums=0)((x, x))
    assert float(x.sum()) == 12.0  # the call was refused before running: x is alive
    # under another transformation pmap runs as vmap, inlined: nothing is donated (as jit)
    np.testing.assert_array_equal(
        np.asarray(tl.jit(tl.pmap(lambda a: a * 2, donate_argnums=0))(x)), np.full((4, 3), 2.0))
    assert float(x.sum()) == 12.0


def test_an_empty_mapped_axis_is_a_clear_error():
    from tensorlib.errors import ShapeError

    with pytest.raises(ShapeError, match=r"pmap: the mapped axis is empty \(size 0, arguments "
                                         r"\['f32\[0,3\]'\]\); pmap runs one slice per device"):
        tl.pmap(lambda x: x * 2)(tnp.zeros((0, 3)))
