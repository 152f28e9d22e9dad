"""Tests for ``tensorlib.example_libraries.optimizers`` and ``tensorlib.example_libraries.stax``.

Update rules are checked against hand-written NumPy formulas and, when JAX is importable,
against ``jax.example_libraries`` step by step.
"""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn as nn
import tensorlib.numpy as tnp
from tensorlib.example_libraries import optimizers, stax
from tensorlib.tree_util import tree_flatten, tree_leaves, tree_map, tree_structure

try:
    import jax
    import jax.numpy as jnp
    from jax.example_libraries import optimizers as jax_optimizers

    HAVE_JAX = True
except ImportError:  # pragma: no cover - depends on the environment
    jax = jnp = jax_optimizers = None
    HAVE_JAX = False

needs_jax = pytest.mark.skipif(not HAVE_JAX, reason="jax is not installed (used as an oracle)")


def _random():
    return pytest.importorskip("tensorlib.random", reason="tensorlib.random is not available")


# name, constructor arguments (step size first)
OPTIMIZERS = [
    ("sgd", (0.05,)),
    ("momentum", (0.02, 0.9)),
    ("nesterov", (0.02, 0.9)),
    ("adagrad", (0.3,)),
    ("rmsprop", (0.02,)),
    ("rmsprop_momentum", (0.005,)),
    ("adam", (0.05,)),
    ("adamax", (0.05,)),
    ("sm3", (0.3,)),
]
OPT_IDS = [o[0] for o in OPTIMIZERS]


def _quadratic_problem():
    target = {"w": np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]], np.float32),
              "b": np.array([0.5, -0.25, 2.0], np.float32)}
    scale = {"w": np.array([[1.0, 2.0, 0.5], [3.0, 1.0, 1.5]], np.float32),
             "b": np.array([2.0, 1.0, 0.7], np.float32)}

    def loss(params):
        return sum(tnp.sum(tnp.asarray(scale[k]) * (params[k] - tnp.asarray(target[k])) ** 2)
                   for k in ("b", "w"))

    params = {"w": tnp.zeros((2, 3)), "b": tnp.zeros(3)}
    return loss, params, target


@pytest.mark.parametrize("name,args", OPTIMIZERS, ids=OPT_IDS)
def test_optimizer_reduces_quadratic(name, args):
    loss, params, target = _quadratic_problem()
    opt_init, opt_update, get_params = getattr(optimizers, name)(*args)
    state = opt_init(params)
    first = float(loss(get_params(state)))
    for i in range(60):
        g = tl.grad(loss)(get_params(state))
        state = opt_update(i, g, state)
    final = get_params(state)
    assert tree_structure(final) == tree_structure(params)
    assert final["w"].shape == (2, 3) and final["w"].dtype == np.float32
    assert float(loss(final)) < 0.2 * first, (first, float(loss(final)))


@pytest.mark.parametrize("name,args", OPTIMIZERS, ids=OPT_IDS)
def test_get_params_of_init_is_identity(name, args):
    params = {"a": tnp.asarray([1.0, 2.0]), "b": [tnp.asarray(3.0), tnp.ones((2, 2))]}
    opt_init, _, get_params = getattr(optimizers, name)(*args)
    back = get_params(opt_init(params))
    assert tree_structure(back) == tree_structure(params)
    for x, y in zip(tree_leaves(back), tree_leaves(params), strict=True):
        assert x.shape == y.shape
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


# --------------------------------------------------------------------------------------------
# update rules against NumPy formulas


def _np_steps(name, x, grads, lr):
    """Reference updates written out with NumPy (float64), following the JAX definitions."""
    x = x.astype(np.float64)
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    out = []
    for i, g in enumerate(grads):
        if name == "sgd":
            x = x - lr * g
        elif name == "momentum":
            m = 0.9 * m + g
            x = x - lr * m
        elif name == "nesterov":
            m = 0.9 * m + g
            x = x - lr * (0.9 * m + g)
        elif name == "rmsprop":
            v = 0.9 * v + 0.1 * g**2
            x = x - lr * g / np.sqrt(v + 1e-8)
        elif name == "rmsprop_momentum":
            v = 0.9 * v + 0.1 * g**2
            m = 0.9 * m + lr * g / np.sqrt(v + 1e-8)
            x = x - m
        elif name == "adam":
            m = 0.1 * g + 0.9 * m
            v = 0.001 * g**2 + 0.999 * v
            mhat = m / (1 - 0.9 ** (i + 1))
            vhat = v / (1 - 0.999 ** (i + 1))
            x = x - lr * mhat / (np.sqrt(vhat) + 1e-8)
        elif name == "adamax":
            m = 0.1 * g + 0.9 * m
            v = np.maximum(0.999 * v, np.abs(g))
            x = x - lr / (1 - 0.9 ** (i + 1)) * m / (v + 1e-8)
        elif name == "adagrad":
            v = v + g**2
            m = 0.1 * (g / np.sqrt(v)) + 0.9 * m
            x = x - lr * m
        out.append(x.copy())
    return out


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "rmsprop", "rmsprop_momentum",
                                  "adam", "adamax", "adagrad"])
def test_update_matches_numpy_formula(name):
    x0 = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], np.float32)
    grads = [np.random.randn(2, 3).astype(np.float32) for _ in range(4)]
    lr = 0.1
    extra = (0.9,) if name in ("momentum", "nesterov") else ()
    opt_init, opt_update, get_params = getattr(optimizers, name)(lr, *extra)
    state = opt_init(tnp.asarray(x0))
    want = _np_steps(name, x0, [g.astype(np.float64) for g in grads], lr)
    for i, g in enumerate(grads):
        state = opt_update(i, tnp.asarray(g), state)
        np.testing.assert_allclose(np.asarray(get_params(state)), want[i], rtol=2e-5, atol=2e-6)


def test_adam_single_step_is_lr_times_sign():
    # After one step, bias correction makes Adam's move lr * g / (|g| + eps) ~ lr * sign(g).
    opt_init, opt_update, get_params = optimizers.adam(0.01)
    state = opt_update(0, tnp.asarray([3.0, -0.5, 0.0]), opt_init(tnp.asarray([1.0, 1.0, 1.0])))
    np.testing.assert_allclose(np.asarray(get_params(state)), [0.99, 1.01, 1.0], rtol=1e-6)


@needs_jax
@pytest.mark.parametrize("name,args", OPTIMIZERS, ids=OPT_IDS)
def test_update_matches_jax_example_libraries(name, args):
    params = {"w": np.random.randn(3, 4).astype(np.float32),
              "b": np.random.randn(4).astype(np.float32)}
    grads = [{k: np.random.randn(*v.shape).astype(np.float32) for k, v in params.items()}
             for _ in range(4)]
    schedule = optimizers.exponential_decay(args[0], 2, 0.5)
    jschedule = jax_optimizers.exponential_decay(args[0], 2, 0.5)
    ours = getattr(optimizers, name)(schedule, *args[1:])
    theirs = getattr(jax_optimizers, name)(jschedule, *args[1:])
    s = ours.init_fn(tree_map(tnp.asarray, params))
    js = theirs.init_fn(jax.tree.map(jnp.asarray, params))
    for i, g in enumerate(grads):
        s = ours.update_fn(i, tree_map(tnp.asarray, g), s)
        js = theirs.update_fn(i, jax.tree.map(jnp.asarray, g), js)
        p, jp = ours.params_fn(s), theirs.params_fn(js)
        for k in params:
            np.testing.assert_allclose(np.asarray(p[k]), np.asarray(jp[k]), rtol=1e-5,
                                       atol=1e-6)


@pytest.mark.parametrize("name,args", OPTIMIZERS, ids=OPT_IDS)
def test_jitted_update_matches_eager(name, args):
    loss, params, _ = _quadratic_problem()
    opt_init, opt_update, get_params = getattr(optimizers, name)(*args)

    def step(i, state):
        return opt_update(i, tl.grad(loss)(get_params(state)), state)

    jstep = tl.jit(step)
    s_eager = s_jit = opt_init(params)
    for i in range(3):
        s_eager, s_jit = step(i, s_eager), jstep(i, s_jit)
    assert tree_structure(s_jit) == tree_structure(s_eager)
    for a, b in zip(tree_leaves(s_jit), tree_leaves(s_eager), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)


def test_sm3_on_scalar_and_matrix():
    opt_init, opt_update, get_params = optimizers.sm3(0.1)
    state = opt_init({"s": tnp.asarray(2.0), "m": tnp.ones((2, 3))})
    state = opt_update(0, {"s": tnp.asarray(1.0), "m": tnp.ones((2, 3))}, state)
    p = get_params(state)
    assert p["s"].shape == () and p["m"].shape == (2, 3)
    # first step: accum = g**2, m = 0.1 * g / |g|, so x moves by lr * 0.1 * sign(g)
    np.testing.assert_allclose(float(p["s"]), 2.0 - 0.01, rtol=1e-6)


def test_update_rejects_mismatched_gradient_tree():
    opt_init, opt_update, _ = optimizers.sgd(0.1)
    state = opt_init({"a": tnp.zeros(2), "b": tnp.zeros(2)})
    with pytest.raises(TypeError, match="did not match"):
        opt_update(0, {"a": tnp.zeros(2)}, state)


# --------------------------------------------------------------------------------------------
# OptimizerState as a pytree; pack / unpack


def test_optimizer_state_is_a_pytree():
    opt_init, _, _ = optimizers.adam(0.1)
    state = opt_init({"w": tnp.ones((2, 2)), "b": tnp.zeros(2)})
    leaves, treedef = tree_flatten(state)
    assert len(leaves) == 6  # (x, m, v) for each of two parameters
    assert all(isinstance(x, tl.Array) for x in leaves)
    doubled = tree_map(lambda x: x * 2, state)
    assert isinstance(doubled, optimizers.OptimizerState)
    assert doubled.tree_def == state.tree_def and doubled.subtree_defs == state.subtree_defs


def test_pack_unpack_round_trip():
    loss, params, _ = _quadratic_problem()
    opt_init, opt_update, get_params = optimizers.adam(0.1)
    state = opt_init(params)
    for i in range(3):
        state = opt_update(i, tl.grad(loss)(get_params(state)), state)
    marked = optimizers.unpack_optimizer_state(state)
    assert set(marked) == {"w", "b"}
    assert all(isinstance(j, optimizers.JoinPoint) for j in marked.values())
    x, m, v = marked["w"].subtree
    np.testing.assert_array_equal(np.asarray(x), np.asarray(get_params(state)["w"]))
    repacked = optimizers.pack_optimizer_state(marked)
    assert repacked.tree_def == state.tree_def
    assert repacked.subtree_defs == state.subtree_defs
    for a, b in zip(tree_leaves(repacked), tree_leaves(state), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # the repacked state keeps training exactly like the original
    g = tl.grad(loss)(get_params(state))
    s1, s2 = opt_update(3, g, state), opt_update(3, g, repacked)
    for a, b in zip(tree_leaves(s1), tree_leaves(s2), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    with pytest.raises(TypeError, match="JoinPoint"):
        optimizers.pack_optimizer_state({"w": 1.0})


# --------------------------------------------------------------------------------------------
# schedules and utilities


def test_schedules():
    assert optimizers.constant(0.3)(17) == 0.3
    assert np.isclose(float(optimizers.exponential_decay(1.0, 10, 0.5)(20)), 0.25)
    assert np.isclose(float(optimizers.inverse_time_decay(1.0, 10, 0.5)(15)), 1 / 1.75)
    assert np.isclose(float(optimizers.inverse_time_decay(1.0, 10, 0.5, staircase=True)(15)),
                      1 / 1.5)
    poly = optimizers.polynomial_decay(1.0, 10, 0.1, power=2.0)
    assert np.isclose(float(poly(5)), 0.25 * 0.9 + 0.1)
    assert np.isclose(float(poly(50)), 0.1)
    pc = optimizers.piecewise_constant([5, 10], [1.0, 0.5, 0.25])
    assert [float(pc(i)) for i in (0, 5, 6, 10, 11, 100)] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    with pytest.raises(ValueError, match="one shorter"):
        optimizers.piecewise_constant([5, 10], [1.0, 0.5])
    assert optimizers.make_schedule(0.1)(3) == 0.1
    sched = optimizers.make_schedule(lambda i: 1.0 / (i + 1))
    assert sched(1) == 0.5
    with pytest.raises(TypeError):
        optimizers.make_schedule([0.1, 0.2])


def test_schedule_drives_sgd():
    opt_init, opt_update, get_params = optimizers.sgd(optimizers.piecewise_constant([0], [1.0,
                                                                                        0.5]))
    state = opt_init(tnp.asarray(0.0))
    state = opt_update(0, tnp.asarray(1.0), state)   # step size 1.0
    state = opt_update(1, tnp.asarray(1.0), state)   # step size 0.5
    assert float(get_params(state)) == -1.5


def test_l2_norm_and_clip_grads():
    tree = {"a": tnp.asarray([3.0, 0.0]), "b": [tnp.asarray([[4.0]])]}
    assert np.isclose(float(optimizers.l2_norm(tree)), 5.0)
    clipped = optimizers.clip_grads(tree, 1.0)
    assert np.isclose(float(optimizers.l2_norm(clipped)), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(clipped["a"]), [0.6, 0.0], rtol=1e-6)
    kept = optimizers.clip_grads(tree, 10.0)
    np.testing.assert_array_equal(np.asarray(kept["b"][0]), [[4.0]])


def test_optimizer_docstring_examples():
    res = doctest.testmod(optimizers, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0


# --------------------------------------------------------------------------------------------
# stax


def _mlp():
    return stax.serial(stax.Dense(32), stax.Relu, stax.Dense(16), stax.Relu, stax.Dense(10),
                       stax.LogSoftmax)


def test_stax_serial_shapes():
    random = _random()
    init_fun, apply_fun = _mlp()
    out_shape, params = init_fun(random.PRNGKey(0), (-1, 64))
    assert out_shape == (-1, 10)
    assert len(params) == 6
    assert [tuple(p.shape for p in layer) for layer in params] == [
        ((64, 32), (32,)), (), ((32, 16), (16,)), (), ((16, 10), (10,)), ()]
    x = random.normal(random.PRNGKey(1), (5, 64))
    out = apply_fun(params, x)
    assert out.shape == (5, 10) and out.dtype == np.float32
    np.testing.assert_allclose(np.asarray(nn.logsumexp(out, axis=-1)), 0.0, atol=1e-5)


def test_stax_sgd_decreases_loss():
    random = _random()
    init_fun, apply_fun = _mlp()
    _, params = init_fun(random.PRNGKey(0), (-1, 8))
    x = random.normal(random.PRNGKey(1), (32, 8))
    y = nn.one_hot(tnp.argmax(x[:, :4], axis=1), 10)

    def loss(p):
        return -tnp.mean(tnp.sum(apply_fun(p, x) * y, axis=-1))

    opt_init, opt_update, get_params = optimizers.sgd(0.5)
    state = opt_init(params)
    losses = []
    for i in range(8):
        value, g = tl.value_and_grad(loss)(get_params(state))
        losses.append(float(value))
        state = opt_update(i, g, state)
    assert losses[-1] < losses[0] * 0.8, losses
    assert all(np.isfinite(losses))


def test_dense_uses_initializers():
    random = _random()
    init_fun, apply_fun = stax.Dense(3, W_init=nn.initializers.ones,
                                     b_init=nn.initializers.constant(0.5))
    out_shape, (W, b) = init_fun(random.PRNGKey(0), (2, 7, 4))
    assert out_shape == (2, 7, 3)
    np.testing.assert_array_equal(np.asarray(W), np.ones((4, 3)))
    out = apply_fun((W, b), tnp.ones((2, 7, 4)))
    np.testing.assert_array_equal(np.asarray(out), np.full((2, 7, 3), 4.5))


@pytest.mark.parametrize("layer,ref", [
    (stax.Tanh, np.tanh),
    (stax.Relu, lambda x: np.maximum(x, 0)),
    (stax.Sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    (stax.Softplus, lambda x: np.logaddexp(0, x)),
    (stax.Elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0)))),
    (stax.LeakyRelu, lambda x: np.where(x >= 0, x, 0.01 * x)),
    (stax.Gelu, lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))),
    (stax.Exp, np.exp),
    (stax.Softmax, lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
    (stax.LogSoftmax, lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True))),
    (stax.Identity, lambda x: x),
], ids=["Tanh", "Relu", "Sigmoid", "Softplus", "Elu", "LeakyRelu", "Gelu", "Exp", "Softmax",
        "LogSoftmax", "Identity"])
def test_elementwise_layers(layer, ref):
    init_fun, apply_fun = layer
    shape, params = init_fun(None, (3, 4))
    assert shape == (3, 4) and params == ()
    x = np.random.randn(3, 4).astype(np.float32)
    np.testing.assert_allclose(np.asarray(apply_fun(params, tnp.asarray(x))), ref(x),
                               rtol=1e-5, atol=1e-6)


def test_flatten():
    init_fun, apply_fun = stax.Flatten
    assert init_fun(None, (5, 2, 3, 4)) == ((5, 24), ())
    assert apply_fun((), tnp.ones((5, 2, 3, 4))).shape == (5, 24)


def test_fan_out_parallel_fan_in():
    random = _random()
    init_fun, apply_fun = stax.serial(
        stax.FanOut(2), stax.parallel(stax.Dense(3), stax.Identity), stax.FanInConcat())
    out_shape, params = init_fun(random.PRNGKey(0), (4, 5))
    assert out_shape == (4, 8)
    x = random.normal(random.PRNGKey(1), (4, 5))
    out = apply_fun(params, x)
    assert out.shape == (4, 8)
    np.testing.assert_array_equal(np.asarray(out[:, 3:]), np.asarray(x))

    init_sum, apply_sum = stax.serial(stax.FanOut(3), stax.parallel(stax.Identity, stax.Identity,
                                                                    stax.Identity),
                                      stax.FanInSum)
    shape, p = init_sum(random.PRNGKey(0), (2, 2))
    assert shape == (2, 2)
    np.testing.assert_allclose(np.asarray(apply_sum(p, tnp.ones((2, 2)))), np.full((2, 2), 3.0))


def test_fan_in_concat_axis():
    init_fun, apply_fun = stax.FanInConcat(axis=0)
    assert init_fun(None, [(2, 3), (4, 3)]) == ((6, 3), ())
    assert apply_fun((), [tnp.ones((2, 3)), tnp.zeros((4, 3))]).shape == (6, 3)


def test_dropout():
    random = _random()
    init_fun, apply_fun = stax.Dropout(0.75)
    shape, params = init_fun(None, (200, 50))
    x = tnp.ones((200, 50))
    with pytest.raises(ValueError, match="PRNG key"):
        apply_fun(params, x)
    out = np.asarray(apply_fun(params, x, rng=random.PRNGKey(0)))
    kept = out != 0
    assert abs(kept.mean() - 0.75) < 0.02  # rate is the keep probability, as in JAX's stax
    np.testing.assert_allclose(out[kept], 1 / 0.75, rtol=1e-6)
    # As in JAX, the key is required in every mode; outside "train" the layer is the identity.
    _, apply_test = stax.Dropout(0.75, mode="test")
    out_test = apply_test(params, x, rng=random.PRNGKey(0))
    np.testing.assert_array_equal(np.asarray(out_test), np.asarray(x))


def test_serial_splits_rng_per_layer():
    random = _random()
    init_fun, apply_fun = stax.serial(stax.Dropout(0.5), stax.Dropout(0.5))
    _, params = init_fun(random.PRNGKey(0), (100,))
    x = tnp.ones((100,))
    a = np.asarray(apply_fun(params, x, rng=random.PRNGKey(1)))
    b = np.asarray(apply_fun(params, x, rng=random.PRNGKey(1)))
    np.testing.assert_array_equal(a, b)
    assert set(np.unique(a)) <= {0.0, 4.0}
    assert 0.1 < (a != 0).mean() < 0.4


def test_batch_norm():
    random = _random()
    init_fun, apply_fun = stax.BatchNorm(axis=(0,))
    shape, (beta, gamma) = init_fun(random.PRNGKey(0), (16, 3))
    assert shape == (16, 3) and beta.shape == (3,) and gamma.shape == (3,)
    x = random.normal(random.PRNGKey(1), (16, 3)) * 4 + 2
    z = np.asarray(apply_fun((beta, gamma), x))
    np.testing.assert_allclose(z.mean(0), 0.0, atol=1e-5)
    np.testing.assert_allclose(z.std(0), 1.0, rtol=1e-3)
    shifted = np.asarray(apply_fun((beta + 1.0, gamma * 2.0), x))
    np.testing.assert_allclose(shifted, 2 * z + 1, rtol=1e-5, atol=1e-5)
    # NHWC image batch, statistics over (N, H, W): one beta/gamma per channel
    init4, apply4 = stax.BatchNorm()
    shape4, (b4, g4) = init4(random.PRNGKey(0), (2, 4, 4, 3))
    assert b4.shape == (3,) and g4.shape == (3,)
    assert apply4((b4, g4), tnp.ones((2, 4, 4, 3))).shape == (2, 4, 4, 3)
    _, p_plain = stax.BatchNorm(axis=0, center=False, scale=False)[0](random.PRNGKey(0), (8, 2))
    assert p_plain == ((), ())


def test_shape_dependent():
    random = _random()
    layer = stax.shape_dependent(lambda shape: stax.Dense(shape[-1] * 2))
    init_fun, apply_fun = layer
    out_shape, params = init_fun(random.PRNGKey(0), (3, 4))
    assert out_shape == (3, 8)
    assert apply_fun(params, tnp.ones((3, 4))).shape == (3, 8)


@needs_jax
def test_stax_matches_jax_for_the_same_key():
    """With JAX-compatible PRNG bits, the same key gives the same initial network."""
    random = _random()
    if not hasattr(random, "bits"):
        pytest.skip("needs the JAX-compatible tensorlib.random")
    from jax.example_libraries import stax as jax_stax

    init_fun, apply_fun = _mlp()
    jinit, japply = jax_stax.serial(jax_stax.Dense(32), jax_stax.Relu, jax_stax.Dense(16),
                                    jax_stax.Relu, jax_stax.Dense(10), jax_stax.LogSoftmax)
    _, params = init_fun(random.PRNGKey(3), (-1, 6))
    _, jparams = jinit(jax.random.PRNGKey(3), (-1, 6))
    for a, b in zip(tree_leaves(params), jax.tree.leaves(jparams), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
    x = np.random.randn(4, 6).astype(np.float32)
    np.testing.assert_allclose(np.asarray(apply_fun(params, tnp.asarray(x))),
                               np.asarray(japply(jparams, jnp.asarray(x))), rtol=1e-4,
                               atol=1e-5)
