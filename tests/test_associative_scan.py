"""``lax.associative_scan`` against ``jax.lax.associative_scan``: values for every length
(odd, even, 1, powers of two), a non-commutative operator, pytrees, ``reverse``, ``axis``;
gradients, ``jit`` and ``vmap``; and its errors."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.numpy as tnp
from tensorlib.errors import ShapeError

jax = pytest.importorskip("jax")
jnp = jax.numpy


def affine(p, q):
    """Composition of affine maps x -> a x + b: associative, not commutative."""
    return p[0] * q[0], p[1] * q[0] + q[1]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 16, 33])
@pytest.mark.parametrize("reverse", [False, True])
def test_matches_jax(n, reverse):
    rng = np.random.default_rng(n)
    a, b = (rng.random((n, 3)).astype(np.float32) for _ in range(2))
    got = tl.lax.associative_scan(affine, (tnp.asarray(a), tnp.asarray(b)), reverse=reverse)
    want = jax.lax.associative_scan(affine, (jnp.asarray(a), jnp.asarray(b)), reverse=reverse)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5)
    g2 = tl.lax.associative_scan(tnp.add, tnp.asarray(a.T), axis=-1, reverse=reverse)
    w2 = jax.lax.associative_scan(jnp.add, jnp.asarray(a.T), axis=1, reverse=reverse)
    np.testing.assert_allclose(np.asarray(g2), np.asarray(w2), rtol=1e-5)  # (JAX: -1 fails)


def test_dict_pytree_integers_and_jit():
    x = {"s": np.arange(10, dtype=np.int32), "m": np.array([3, 1, 4, 1, 5, 9, 2, 6, 5, 3],
                                                           np.int32)}

    def op(m):
        return lambda p, q: {"s": p["s"] + q["s"], "m": m.maximum(p["m"], q["m"])}

    want = jax.lax.associative_scan(op(jnp), {k: jnp.asarray(v) for k, v in x.items()})
    for run in (lambda e: tl.lax.associative_scan(op(tnp), e),
                tl.jit(lambda e: tl.lax.associative_scan(op(tnp), e))):
        got = run({k: tnp.asarray(v) for k, v in x.items()})
        for k in x:
            assert got[k].dtype == want[k].dtype
            np.testing.assert_array_equal(got[k], want[k])


def test_gradients_and_vmap_match_jax():
    rng = np.random.default_rng(0)
    a, b = rng.random(9), rng.random(9)

    def loss(m, scan):
        return lambda a, b: m.sum(scan(affine, (a, b))[1] ** 2)

    with tl.enable_x64():
        got = tl.grad(loss(tnp, tl.lax.associative_scan), argnums=(0, 1))(a, b)
    jax.config.update("jax_enable_x64", True)
    try:
        want = jax.grad(loss(jnp, jax.lax.associative_scan), argnums=(0, 1))(a, b)
    finally:
        jax.config.update("jax_enable_x64", False)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-10)
    xs = rng.random((4, 6)).astype(np.float32)
    got = tl.vmap(lambda r: tl.lax.associative_scan(tnp.multiply, r))(tnp.asarray(xs))
    np.testing.assert_allclose(np.asarray(got), np.cumprod(xs, axis=1), rtol=1e-5)


def test_errors():
    with pytest.raises(ShapeError, match=r"associative_scan: every leaf needs length 3 along "
                                         r"axis 0; leaf 1 has shape \(4,\)"):
        tl.lax.associative_scan(lambda p, q: p, (tnp.ones(3), tnp.ones(4)))
    with pytest.raises(ShapeError, match="associative_scan: elems must have at least one axis"):
        tl.lax.associative_scan(tnp.add, tnp.asarray(1.0))
    with pytest.raises(ShapeError, match=r"associative_scan: fn must return the structure"):
        tl.lax.associative_scan(lambda p, q: (p, q), tnp.ones(4))
