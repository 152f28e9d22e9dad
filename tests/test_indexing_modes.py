"""Out-of-bounds indices and the ``mode=`` of ``.at[]``, with JAX as the oracle: gathers
clamp (or fill), scatters drop (or clip), ``dynamic_slice`` counts a negative start from the
end once and clamps; eager and under ``jit``."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.numpy as tnp

jax = pytest.importorskip("jax")
jnp = jax.numpy

X = np.arange(10.0, dtype=np.float32).reshape(5, 2)


def _lax(m):
    return tl.lax if m is tnp else jax.lax


CASES = {
    "x[7]": lambda m, a: a[7],
    "x[-9]": lambda m, a: a[-9],
    "x[5]": lambda m, a: a[5],
    "x[-6]": lambda m, a: a[-6],
    "x[7, 1]": lambda m, a: a[7, 1],
    "x[2, 5]": lambda m, a: a[2, 5],
    "x[7, :]": lambda m, a: a[7, :],
    "x[:, 3]": lambda m, a: a[:, 3],
    "x[[1, 9]]": lambda m, a: a[m.array([1, 9])],
    "set 7": lambda m, a: a.at[7].set(9.0),
    "set -9": lambda m, a: a.at[-9].set(9.0),
    "add 2,5": lambda m, a: a.at[2, 5].add(1.0),
    "get 7 fill": lambda m, a: a.at[7].get(mode="fill", fill_value=-1.0),
    "get 7 fill nan": lambda m, a: a.at[7].get(mode="fill"),
    "get 7 clip": lambda m, a: a.at[7].get(mode="clip"),
    "set 7 clip": lambda m, a: a.at[7].set(3.0, mode="clip"),
    "set 7 drop": lambda m, a: a.at[7].set(3.0, mode="drop"),
    "set [1, 9] clip": lambda m, a: a.at[m.array([1, 9])].set(5.0, mode="clip"),
    "get [1, 9] fill": lambda m, a: a.at[m.array([1, 9])].get(mode="fill", fill_value=-2.0),
    "mul [1, 9]": lambda m, a: a.at[m.array([1, 9])].multiply(3.0),
    "max [1, -7] clip": lambda m, a: a.at[m.array([1, -7])].max(20.0, mode="clip"),
    "power 6 clip": lambda m, a: a.at[6].power(2.0, mode="clip"),
    "dynamic_slice -1": lambda m, a: _lax(m).dynamic_slice(a, (-1, 0), (2, 2)),
    "dynamic_slice -7": lambda m, a: _lax(m).dynamic_slice(a, (-7, -1), (2, 1)),
    "dynamic_slice traced -2": lambda m, a: _lax(m).dynamic_slice(
        a, (m.int32(-2), m.int32(0)), (1, 2)),
    "dynamic_update_slice -1": lambda m, a: _lax(m).dynamic_update_slice(
        a, m.ones((2, 2), m.float32), (-1, 0)),
    "dynamic_index_in_dim -1": lambda m, a: _lax(m).dynamic_index_in_dim(a, -1, keepdims=False),
}


@pytest.mark.parametrize("staged", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize("name", list(CASES))
def test_matches_jax(name, staged):
    f = CASES[name]
    want = np.asarray(f(jnp, jnp.asarray(X)))
    run = (lambda a: tl.jit(lambda b: f(tnp, b))(a)) if staged else (lambda a: f(tnp, a))
    got = run(tnp.asarray(X))
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(np.asarray(got), want)


def test_gradients_through_clamped_and_dropped_indices_match_jax():
    def f(m, a):
        return (a[7] * 2.0).sum() + a.at[9].set(0.0).sum() + (a.at[m.array([1, 8])].get(
            mode="fill", fill_value=0.0) ** 2).sum()

    want = jax.grad(lambda a: f(jnp, a))(jnp.asarray(X))
    got = tl.grad(lambda a: f(tnp, a))(tnp.asarray(X))
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-6)
