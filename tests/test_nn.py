"""Tests for ``tensorlib.nn`` and ``tensorlib.nn.initializers``.

Activations are compared with closed-form NumPy values, with ``jax.nn`` (values and
gradients, when JAX is importable) and with finite differences (``check_grads`` in float64).
"""

from __future__ import annotations

import doctest
import functools
import math

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn as nn
import tensorlib.nn.initializers as init
import tensorlib.numpy as tnp
from tensorlib.test_util import check_grads

try:
    import jax
    import jax.numpy as jnp

    HAVE_JAX = True
except ImportError:  # pragma: no cover - depends on the environment
    jax = jnp = None
    HAVE_JAX = False

needs_jax = pytest.mark.skipif(not HAVE_JAX, reason="jax is not installed (used as an oracle)")

_erf = np.vectorize(math.erf)
_SELU_A = 1.6732632423543772848170429916717
_SELU_S = 1.0507009873554804934193349852946


def _np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _np_softplus(x):
    return np.logaddexp(0.0, x)


# name, tensorlib function, NumPy reference (float64), jax.nn counterpart (or None)
ACTIVATIONS = [
    ("relu", nn.relu, lambda x: np.maximum(x, 0), "relu"),
    ("relu6", nn.relu6, lambda x: np.clip(x, 0, 6), "relu6"),
    ("gelu_tanh", nn.gelu,
     lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))), "gelu"),
    ("gelu_exact", functools.partial(nn.gelu, approximate=False),
     lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))), ("gelu", {"approximate": False})),
    ("sigmoid", nn.sigmoid, _np_sigmoid, "sigmoid"),
    ("log_sigmoid", nn.log_sigmoid, lambda x: -_np_softplus(-x), "log_sigmoid"),
    ("softplus", nn.softplus, _np_softplus, "softplus"),
    ("silu", nn.silu, lambda x: x * _np_sigmoid(x), "silu"),
    ("swish", nn.swish, lambda x: x * _np_sigmoid(x), "swish"),
    ("elu", nn.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))), "elu"),
    ("elu_alpha", functools.partial(nn.elu, alpha=0.5),
     lambda x: np.where(x > 0, x, 0.5 * np.expm1(np.minimum(x, 0))), ("elu", {"alpha": 0.5})),
    ("celu", functools.partial(nn.celu, alpha=1.5),
     lambda x: np.maximum(x, 0) + 1.5 * np.expm1(np.minimum(x, 0) / 1.5),
     ("celu", {"alpha": 1.5})),
    ("selu", nn.selu,
     lambda x: _SELU_S * np.where(x > 0, x, _SELU_A * np.expm1(np.minimum(x, 0))), "selu"),
    ("leaky_relu", nn.leaky_relu, lambda x: np.where(x >= 0, x, 0.01 * x), "leaky_relu"),
    ("leaky_relu_slope", functools.partial(nn.leaky_relu, negative_slope=0.2),
     lambda x: np.where(x >= 0, x, 0.2 * x), ("leaky_relu", {"negative_slope": 0.2})),
    ("hard_tanh", nn.hard_tanh, lambda x: np.clip(x, -1, 1), "hard_tanh"),
    ("hard_sigmoid", nn.hard_sigmoid, lambda x: np.clip(x + 3, 0, 6) / 6, "hard_sigmoid"),
    ("hard_silu", nn.hard_silu, lambda x: x * np.clip(x + 3, 0, 6) / 6, "hard_silu"),
    ("soft_sign", nn.soft_sign, lambda x: x / (np.abs(x) + 1), "soft_sign"),
    ("squareplus", nn.squareplus, lambda x: (x + np.sqrt(x * x + 4)) / 2, "squareplus"),
    ("mish", nn.mish, lambda x: x * np.tanh(_np_softplus(x)), "mish"),
    ("identity", nn.identity, lambda x: x, "identity"),
]
ACT_IDS = [a[0] for a in ACTIVATIONS]

# Includes the kinks (0, +-1, 6) and values large enough to overflow a naive exp in float32.
X_GRID = np.array([-100.0, -30.0, -6.5, -3.0, -1.0, -0.5, 0.0, 0.25, 1.0, 2.0, 3.0, 6.0, 6.5,
                   30.0, 100.0])


def _jax_fn(spec):
    name, kwargs = (spec, {}) if isinstance(spec, str) else spec
    return functools.partial(getattr(jax.nn, name), **kwargs)


# --------------------------------------------------------------------------------------------
# activations: values


@pytest.mark.parametrize("name,fn,ref,jax_name", ACTIVATIONS, ids=ACT_IDS)
def test_activation_matches_closed_form(name, fn, ref, jax_name):
    x = X_GRID.astype(np.float32)
    out = fn(tnp.asarray(x))
    assert out.shape == x.shape
    assert out.dtype == np.float32
    np.testing.assert_allclose(np.asarray(out), ref(x.astype(np.float64)), rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("name,fn,ref,jax_name", ACTIVATIONS, ids=ACT_IDS)
def test_activation_float64(x64, name, fn, ref, jax_name):
    x = np.linspace(-8, 8, 41)
    out = fn(tnp.asarray(x))
    assert out.dtype == np.float64
    np.testing.assert_allclose(np.asarray(out), ref(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name,fn,ref,jax_name", ACTIVATIONS, ids=ACT_IDS)
def test_activation_accepts_scalars_and_ints(name, fn, ref, jax_name):
    out = fn(tnp.asarray(2.0, tnp.float32))
    assert out.shape == ()
    np.testing.assert_allclose(float(out), ref(np.float64(2.0)), rtol=1e-6)
    if name not in ("relu", "relu6", "leaky_relu", "leaky_relu_slope", "hard_tanh",
                    "hard_sigmoid", "hard_silu", "identity"):
        # Smooth activations promote integers to the default float, as jax.nn does.
        assert fn(tnp.asarray([1, 2])).dtype == np.float32


@pytest.mark.parametrize("name,fn,ref,jax_name", ACTIVATIONS, ids=ACT_IDS)
def test_activation_of_python_scalar(name, fn, ref, jax_name):
    for v in (-1.5, 2.0):
        np.testing.assert_allclose(float(fn(v)), ref(np.float64(v)), rtol=1e-6)


@needs_jax
@pytest.mark.parametrize("name,fn,ref,jax_name", ACTIVATIONS, ids=ACT_IDS)
def test_activation_matches_jax(name, fn, ref, jax_name):
    x = X_GRID.astype(np.float32)
    want = np.asarray(_jax_fn(jax_name)(jnp.asarray(x)))
    np.testing.assert_allclose(np.asarray(fn(tnp.asarray(x))), want, rtol=1e-5, atol=1e-6)


@needs_jax
@pytest.mark.parametrize("name,fn,ref,jax_name", ACTIVATIONS, ids=ACT_IDS)
def test_activation_gradient_matches_jax(name, fn, ref, jax_name):
    """Elementwise derivatives, including at the kinks, where JAX pins a value down."""
    x = X_GRID.astype(np.float32)
    jf = _jax_fn(jax_name)
    want = np.asarray(jax.grad(lambda v: jf(v).sum())(jnp.asarray(x)))
    got = tl.grad(lambda v: fn(v).sum())(tnp.asarray(x))
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,fn,ref,jax_name", ACTIVATIONS, ids=ACT_IDS)
def test_activation_under_jit_and_vmap(name, fn, ref, jax_name):
    x = tnp.asarray(np.random.randn(3, 5).astype(np.float32) * 3)
    want = np.asarray(fn(x))
    np.testing.assert_allclose(np.asarray(tl.jit(fn)(x)), want, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(np.asarray(tl.vmap(fn)(x)), want, rtol=1e-6, atol=1e-7)
    g = tl.grad(lambda v: fn(v).sum())
    np.testing.assert_allclose(np.asarray(tl.jit(g)(x)), np.asarray(g(x)), rtol=1e-6,
                               atol=1e-7)


def test_softmax_family_under_jit_and_vmap():
    x = tnp.asarray(np.random.randn(4, 6).astype(np.float32))
    for f in (nn.softmax, nn.log_softmax, lambda v: nn.logsumexp(v, axis=-1),
              lambda v: nn.standardize(v), lambda v: nn.one_hot(tnp.argmax(v, -1), 6)):
        want = np.asarray(f(x))
        np.testing.assert_allclose(np.asarray(tl.jit(f)(x)), want, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(np.asarray(tl.vmap(f)(x)), want, rtol=1e-6, atol=1e-6)


def test_relu_derivative_at_zero_is_zero():
    g = tl.grad(lambda v: nn.relu(v).sum())(tnp.asarray([-1.0, 0.0, 1.0]))
    np.testing.assert_array_equal(np.asarray(g), [0.0, 0.0, 1.0])
    g6 = tl.grad(lambda v: nn.relu6(v).sum())(tnp.asarray([0.0, 3.0, 6.0, 7.0]))
    np.testing.assert_array_equal(np.asarray(g6), [0.0, 1.0, 0.0, 0.0])
    t = tl.jvp(nn.relu, (tnp.asarray([0.0, 2.0]),), (tnp.asarray([1.0, 1.0]),))[1]
    np.testing.assert_array_equal(np.asarray(t), [0.0, 1.0])


def test_softplus_derivative_is_sigmoid():
    x = tnp.asarray([-50.0, -1.0, 0.0, 1.0, 50.0])
    g = tl.grad(lambda v: nn.softplus(v).sum())(x)
    np.testing.assert_allclose(np.asarray(g), _np_sigmoid(np.asarray(x, np.float64)),
                               rtol=1e-6, atol=1e-30)
    assert float(tl.grad(nn.softplus)(0.0)) == 0.5


def test_elu_gradient_finite_for_large_inputs():
    g = tl.grad(lambda v: nn.elu(v).sum())(tnp.asarray([-1000.0, 1000.0]))
    assert np.all(np.isfinite(np.asarray(g)))
    np.testing.assert_allclose(np.asarray(g), [0.0, 1.0])


# --------------------------------------------------------------------------------------------
# activations: gradients by finite differences (float64)

# Points stay away from kinks, where a finite difference straddles two pieces.
GRAD_X = np.array([-2.7, -1.3, -0.4, 0.35, 1.1, 2.4, 4.2])
SMOOTH_GRAD = [a for a in ACTIVATIONS if a[0] not in ("identity",)]


@pytest.mark.parametrize("name,fn,ref,jax_name", SMOOTH_GRAD, ids=[a[0] for a in SMOOTH_GRAD])
def test_activation_check_grads(x64, name, fn, ref, jax_name):
    check_grads(fn, (tnp.asarray(GRAD_X),), order=2, modes=("fwd", "rev"))


# --------------------------------------------------------------------------------------------
# softmax, log_softmax, logsumexp


def _np_logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


AXES = [-1, 0, 1, (0, 2), None]


@pytest.mark.parametrize("axis", AXES, ids=str)
def test_softmax_and_log_softmax_match_numpy(axis):
    x = np.random.randn(3, 4, 5).astype(np.float32) * 3
    lse = _np_logsumexp(x.astype(np.float64), axis, keepdims=True)
    np.testing.assert_allclose(np.asarray(nn.log_softmax(tnp.asarray(x), axis=axis)),
                               x - lse, rtol=1e-5, atol=1e-5)
    sm = nn.softmax(tnp.asarray(x), axis=axis)
    np.testing.assert_allclose(np.asarray(sm), np.exp(x - lse), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(np.asarray(sm).sum(axis=axis), 1.0, rtol=1e-5)


@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_matches_numpy(axis, keepdims):
    x = np.random.randn(3, 4, 5) * 3
    got = nn.logsumexp(tnp.asarray(x.astype(np.float32)), axis=axis, keepdims=keepdims)
    want = _np_logsumexp(x, axis, keepdims)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5)


def test_softmax_family_is_numerically_stable():
    x = tnp.asarray([[1000.0, 1000.0, -1000.0], [-1e4, -1e4 + 1, -1e4 + 2]])
    ls = np.asarray(nn.log_softmax(x))
    sm = np.asarray(nn.softmax(x))
    lse = np.asarray(nn.logsumexp(x, axis=-1))
    for a in (ls, sm, lse):
        assert np.all(np.isfinite(a[np.isfinite(a)])) and not np.any(np.isnan(a))
    np.testing.assert_allclose(sm[0], [0.5, 0.5, 0.0], atol=1e-7)
    np.testing.assert_allclose(lse, [1000 + np.log(2), -1e4 + 2 + np.log1p(np.exp(-1) +
                                                                          np.exp(-2))],
                               rtol=1e-6)
    g = tl.grad(lambda v: nn.logsumexp(v))(tnp.asarray([1000.0, 1000.0]))
    np.testing.assert_allclose(np.asarray(g), [0.5, 0.5])


def test_logsumexp_infinities():
    assert float(nn.logsumexp(tnp.asarray([-np.inf, -np.inf]))) == -np.inf
    assert float(nn.logsumexp(tnp.asarray([np.inf, 0.0]))) == np.inf
    assert float(nn.logsumexp(tnp.asarray([-np.inf, 0.0]))) == 0.0


def test_logsumexp_b_and_return_sign():
    a = np.array([[0.5, 1.0, -2.0], [0.0, 3.0, 1.0]])
    b = np.array([2.0, -1.0, 0.5])
    s = np.sum(b * np.exp(a), axis=1)
    out, sign = nn.logsumexp(tnp.asarray(a), axis=1, b=tnp.asarray(b), return_sign=True)
    np.testing.assert_allclose(np.asarray(out), np.log(np.abs(s)), rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(sign), np.sign(s))
    plain = np.asarray(nn.logsumexp(tnp.asarray(a), axis=1, b=tnp.asarray(b)))
    assert np.isnan(plain[s < 0]).all()
    np.testing.assert_allclose(plain[s > 0], np.log(s[s > 0]), rtol=1e-6)
    # b == 0 removes a term even where exp(a) is huge
    z = nn.logsumexp(tnp.asarray([1e4, 0.0]), b=tnp.asarray([0.0, 1.0]))
    assert float(z) == 0.0


def test_logsumexp_where():
    x = np.array([[1.0, 2.0, 50.0], [0.0, -1.0, 3.0]])
    mask = np.array([[True, True, False], [True, False, True]])
    got = nn.logsumexp(tnp.asarray(x), axis=1, where=tnp.asarray(mask))
    want = [np.log(np.exp(1) + np.exp(2)), np.log(1 + np.exp(3))]
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)


def test_softmax_where_masks():
    x = tnp.asarray([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    mask = tnp.asarray([[True, False, True], [True, True, True]])
    sm = np.asarray(nn.softmax(x, where=mask))
    np.testing.assert_allclose(sm[0], [1 / (1 + np.e**2), 0.0, np.e**2 / (1 + np.e**2)],
                               rtol=1e-6)
    np.testing.assert_allclose(sm.sum(-1), 1.0, rtol=1e-6)
    ls = np.asarray(nn.log_softmax(x, where=mask))
    assert ls[0, 1] == -np.inf
    np.testing.assert_allclose(ls[0, [0, 2]], np.log(sm[0, [0, 2]]), rtol=1e-6)
    g = tl.grad(lambda v: (nn.softmax(v, where=mask) * tnp.asarray([1.0, 2.0, 3.0])).sum())(x)
    assert np.asarray(g)[0, 1] == 0.0


def test_logsumexp_gradient_is_softmax():
    x = tnp.asarray(np.random.randn(4, 6).astype(np.float32))
    g = tl.grad(lambda v: nn.logsumexp(v, axis=1).sum())(x)
    np.testing.assert_allclose(np.asarray(g), np.asarray(nn.softmax(x, axis=1)), rtol=1e-5,
                               atol=1e-7)


@pytest.mark.parametrize("axis", [-1, 0, (0, 1)], ids=str)
def test_softmax_family_check_grads(x64, axis):
    x = tnp.asarray(np.random.randn(3, 4))
    w = tnp.asarray(np.random.randn(3, 4))
    check_grads(lambda v: nn.softmax(v, axis=axis) * w, (x,), order=2)
    check_grads(lambda v: nn.log_softmax(v, axis=axis), (x,), order=2)
    check_grads(lambda v: nn.logsumexp(v, axis=axis), (x,), order=2)


def test_logsumexp_b_check_grads(x64):
    a = tnp.asarray(np.random.randn(3, 4))
    b = tnp.asarray(np.random.rand(3, 4) + 0.5)
    check_grads(lambda x, y: nn.logsumexp(x, axis=1, b=y), (a, b), order=2)


def test_softmax_jvp_formula():
    x = tnp.asarray([0.3, -1.2, 2.0])
    t = tnp.asarray([1.0, 0.5, -0.25])
    y, ty = tl.jvp(nn.softmax, (x,), (t,))
    yn, tn = np.asarray(y), np.asarray(t)
    np.testing.assert_allclose(np.asarray(ty), yn * (tn - np.sum(yn * tn)), rtol=1e-6)


@needs_jax
@pytest.mark.parametrize("axis", [-1, 0, None], ids=str)
def test_softmax_family_matches_jax(axis):
    x = (np.random.randn(4, 5) * 4).astype(np.float32)
    w = np.random.randn(4, 5).astype(np.float32)
    for ours, theirs in [(nn.softmax, jax.nn.softmax), (nn.log_softmax, jax.nn.log_softmax)]:
        np.testing.assert_allclose(np.asarray(ours(tnp.asarray(x), axis=axis)),
                                   np.asarray(theirs(jnp.asarray(x), axis=axis)),
                                   rtol=1e-5, atol=1e-6)
        g = tl.grad(lambda v, f=ours: (f(v, axis=axis) * tnp.asarray(w)).sum())(tnp.asarray(x))
        gj = jax.grad(lambda v, f=theirs: (f(v, axis=axis) * w).sum())(jnp.asarray(x))
        np.testing.assert_allclose(np.asarray(g), np.asarray(gj), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.asarray(nn.logsumexp(tnp.asarray(x), axis=axis)),
                               np.asarray(jax.nn.logsumexp(jnp.asarray(x), axis=axis)),
                               rtol=1e-6)


# --------------------------------------------------------------------------------------------
# one_hot, standardize, glu


def test_one_hot():
    out = nn.one_hot(tnp.asarray([0, 2, 1]), 3)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(out), np.eye(3)[[0, 2, 1]])
    np.testing.assert_array_equal(np.asarray(nn.one_hot(tnp.asarray([-1, 3]), 3)),
                                  np.zeros((2, 3)))
    ints = nn.one_hot(tnp.asarray([1]), 4, dtype=tnp.int32)
    assert ints.dtype == np.int32
    x = tnp.asarray([[0, 1, 2], [3, 4, 0]])
    assert nn.one_hot(x, 5).shape == (2, 3, 5)
    a0 = nn.one_hot(x, 5, axis=0)
    assert a0.shape == (5, 2, 3)
    np.testing.assert_array_equal(np.asarray(a0), np.moveaxis(np.eye(5)[np.asarray(x)], -1, 0))
    assert nn.one_hot(x, 5, axis=1).shape == (2, 5, 3)


@needs_jax
def test_one_hot_matches_jax():
    x = np.array([[0, 4, 2], [1, -1, 7]], np.int32)
    for axis in (-1, 0, 1):
        np.testing.assert_array_equal(np.asarray(nn.one_hot(tnp.asarray(x), 5, axis=axis)),
                                      np.asarray(jax.nn.one_hot(x, 5, axis=axis)))


@pytest.mark.parametrize("algorithm", ["fast", "stable"])
def test_standardize(algorithm):
    x = np.random.randn(4, 7) * 3 + 2
    z = np.asarray(nn.standardize(tnp.asarray(x), axis=-1, algorithm=algorithm))
    want = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(z, want, rtol=1e-4, atol=1e-5)
    z0 = np.asarray(nn.standardize(tnp.asarray(x), axis=0, epsilon=0.0, algorithm=algorithm))
    np.testing.assert_allclose(z0.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(z0.std(0), 1.0, rtol=1e-4)
    given = nn.standardize(tnp.asarray(x), mean=1.0, variance=4.0, epsilon=0.0)
    np.testing.assert_allclose(np.asarray(given), (x - 1) / 2, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="algorithm"):
        nn.standardize(tnp.asarray(x), algorithm="bogus")


def test_standardize_check_grads(x64):
    x = tnp.asarray(np.random.randn(3, 5))
    check_grads(lambda v: nn.standardize(v, axis=-1, algorithm="stable"), (x,), order=1)
    check_grads(lambda v: nn.standardize(v, axis=0), (x,), order=1)


def test_glu():
    x = np.random.randn(3, 6)
    out = np.asarray(nn.glu(tnp.asarray(x), axis=1))
    np.testing.assert_allclose(out, x[:, :3] * _np_sigmoid(x[:, 3:]), rtol=1e-6)
    with pytest.raises(ValueError, match="odd"):
        nn.glu(tnp.asarray(np.ones((2, 3))))


# --------------------------------------------------------------------------------------------
# initializers


def _random():
    return pytest.importorskip("tensorlib.random", reason="tensorlib.random is not available")


def _key(seed=0):
    return _random().PRNGKey(seed)


# constructor, expected variance of a (fan_in=400, fan_out=300) weight, support half-width
VARIANCE_CASES = [
    ("glorot_normal", init.glorot_normal(), 2 / 700, 2 * np.sqrt(2 / 700) / 0.8796),
    ("glorot_uniform", init.glorot_uniform(), 2 / 700, np.sqrt(3 * 2 / 700)),
    ("xavier_normal", init.xavier_normal(), 2 / 700, 2 * np.sqrt(2 / 700) / 0.8796),
    ("xavier_uniform", init.xavier_uniform(), 2 / 700, np.sqrt(3 * 2 / 700)),
    ("he_normal", init.he_normal(), 2 / 400, 2 * np.sqrt(2 / 400) / 0.8796),
    ("he_uniform", init.he_uniform(), 2 / 400, np.sqrt(3 * 2 / 400)),
    ("kaiming_normal", init.kaiming_normal(), 2 / 400, 2 * np.sqrt(2 / 400) / 0.8796),
    ("kaiming_uniform", init.kaiming_uniform(), 2 / 400, np.sqrt(3 * 2 / 400)),
    ("lecun_normal", init.lecun_normal(), 1 / 400, 2 * np.sqrt(1 / 400) / 0.8796),
    ("lecun_uniform", init.lecun_uniform(), 1 / 400, np.sqrt(3 / 400)),
    ("vs_fan_out_normal", init.variance_scaling(3.0, "fan_out", "normal"), 3 / 300, None),
    ("vs_geo_avg", init.variance_scaling(1.0, "fan_geo_avg", "uniform"),
     1 / np.sqrt(400 * 300), np.sqrt(3 / np.sqrt(400 * 300))),
    ("normal", init.normal(0.05), 0.05**2, None),
    ("truncated_normal", init.truncated_normal(0.05), (0.05 * 0.87962566) ** 2, 0.1),
    ("uniform", init.uniform(0.3), 0.3**2 / 12, None),
]


@pytest.mark.parametrize("name,fn,var,bound", VARIANCE_CASES, ids=[c[0] for c in VARIANCE_CASES])
def test_initializer_statistics(name, fn, var, bound):
    w = fn(_key(1), (400, 300))
    assert w.shape == (400, 300)
    assert w.dtype == np.float32
    a = np.asarray(w, np.float64)
    assert abs(a.var() / var - 1) < 0.05, (a.var(), var)
    if name == "uniform":
        assert 0 <= a.min() and a.max() < 0.3
        assert abs(a.mean() - 0.15) < 0.005
    else:
        assert abs(a.mean()) < 4 * np.sqrt(var / a.size) + 1e-6
    if bound is not None:
        assert np.abs(a).max() <= bound * (1 + 1e-5)


@pytest.mark.parametrize("name,fn,var,bound", VARIANCE_CASES, ids=[c[0] for c in VARIANCE_CASES])
def test_initializer_dtypes(x64, name, fn, var, bound):
    assert fn(_key(), (4, 3)).dtype == np.float64  # the default float under x64
    assert fn(_key(), (4, 3), tnp.float32).dtype == np.float32
    assert fn(_key(), [2, 5]).shape == (2, 5)


def test_initializer_dtype_at_construction():
    assert init.glorot_normal(dtype=tnp.float16)(_key(), (3, 4)).dtype == np.float16
    assert init.normal(dtype=tnp.float16)(_key(), (3, 4)).dtype == np.float16
    with pytest.raises(TypeError, match="floating"):
        init.normal()(_key(), (3,), tnp.int32)


def test_initializers_deterministic_per_key():
    f = init.he_uniform()
    np.testing.assert_array_equal(np.asarray(f(_key(3), (5, 4))), np.asarray(f(_key(3), (5, 4))))
    assert not np.array_equal(np.asarray(f(_key(3), (5, 4))), np.asarray(f(_key(4), (5, 4))))


def test_constant_zeros_ones():
    z = init.zeros(_key(), (2, 3))
    o = init.ones(_key(), (4,), tnp.int32)
    c = init.constant(-1.5)(_key(), (2, 2))
    assert z.dtype == np.float32 and np.asarray(z).sum() == 0 and z.shape == (2, 3)
    assert o.dtype == np.int32 and np.asarray(o).tolist() == [1, 1, 1, 1]
    np.testing.assert_array_equal(np.asarray(c), np.full((2, 2), -1.5, np.float32))
    assert init.constant(2, dtype=tnp.int32)(None, (3,)).dtype == np.int32


def test_compute_fans():
    assert init.compute_fans((400, 300)) == (400, 300)
    # HWIO convolution kernel: the receptive field (3*3) multiplies both fans
    assert init.compute_fans((3, 3, 16, 32)) == (144, 288)
    assert init.compute_fans((3, 3, 16, 32), in_axis=(0, 2), out_axis=3) == (144, 96)
    assert init.compute_fans((8, 5, 6), batch_axis=0) == (5, 6)
    with pytest.raises(ValueError, match="at least 2D"):
        init.compute_fans((5,))
    with pytest.raises(ValueError, match="at least 2D"):
        init.glorot_uniform()(_key(), (5,))


def test_variance_scaling_uses_fans_of_conv_kernels():
    w = init.he_normal()(_key(2), (3, 3, 64, 128))
    a = np.asarray(w, np.float64)
    assert abs(a.var() * (3 * 3 * 64) / 2 - 1) < 0.05
    with pytest.raises(ValueError, match="mode"):
        init.variance_scaling(1.0, "fan_sideways", "normal")
    with pytest.raises(ValueError, match="distribution"):
        init.variance_scaling(1.0, "fan_in", "cauchy")


def _is_semi_orthogonal(m, atol):
    m = np.asarray(m, np.float64)
    if m.shape[0] >= m.shape[1]:
        return np.allclose(m.T @ m, np.eye(m.shape[1]), atol=atol)
    return np.allclose(m @ m.T, np.eye(m.shape[0]), atol=atol)


@pytest.mark.parametrize("shape", [(5, 5), (3, 7), (7, 3), (64, 64), (2, 3, 4), (4, 3, 2)],
                         ids=str)
@pytest.mark.parametrize("column_axis", [-1, 0])
def test_orthogonal(shape, column_axis):
    w = init.orthogonal(scale=2.0, column_axis=column_axis)(_key(5), shape)
    assert w.shape == shape and w.dtype == np.float32
    m = np.moveaxis(np.asarray(w), column_axis, -1).reshape(-1, shape[column_axis]) / 2.0
    assert _is_semi_orthogonal(m, atol=1e-5)


def test_orthogonal_float64_and_errors(x64):
    w = init.orthogonal()(_key(), (30, 20))
    assert w.dtype == np.float64
    assert _is_semi_orthogonal(w, atol=1e-12)
    with pytest.raises(ValueError, match="2D"):
        init.orthogonal()(_key(), (4,))
    assert init.orthogonal()(_key(), (0, 3)).shape == (0, 3)


def test_orthonormal_columns_match_numpy_qr(x64):
    """Gram-Schmidt Q equals LAPACK's Q with R's diagonal made positive (JAX's convention)."""
    from tensorlib._src.nn_initializers import _orthonormal_columns

    for n, m in [(6, 6), (9, 4)]:
        z = np.random.randn(n, m)
        q, r = np.linalg.qr(z)
        want = q * np.sign(np.diag(r))
        np.testing.assert_allclose(np.asarray(_orthonormal_columns(tnp.asarray(z))), want,
                                   atol=1e-10)


def test_delta_orthogonal():
    w = np.array(init.delta_orthogonal()(_key(), (3, 3, 4, 6)))  # a writable copy
    centre = w[1, 1].copy()
    assert _is_semi_orthogonal(centre, atol=1e-5)
    w[1, 1] = 0
    assert not w.any()
    with pytest.raises(ValueError, match="3D, 4D or 5D"):
        init.delta_orthogonal()(_key(), (4, 4))


@needs_jax
@pytest.mark.parametrize("name", ["glorot_uniform", "he_uniform", "lecun_uniform",
                                  "glorot_normal", "he_normal", "lecun_normal", "orthogonal"])
def test_initializer_matches_jax_for_the_same_key(name):
    """tensorlib.random draws JAX's bits, so equal keys give (nearly) equal weights."""
    random = _random()
    if getattr(random, "__standin__", False) or not hasattr(random, "bits"):
        pytest.skip("needs the JAX-compatible tensorlib.random")
    ours = getattr(init, name)()(random.PRNGKey(7), (6, 5))
    theirs = getattr(jax.nn.initializers, name)()(jax.random.PRNGKey(7), (6, 5))
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------------------------------------
# docstring examples


@pytest.mark.parametrize("modname", ["tensorlib._src.nn", "tensorlib._src.nn_initializers"])
def test_docstring_examples(modname):
    import importlib

    if modname.endswith("initializers"):
        _random()
    mod = importlib.import_module(modname)
    res = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0
