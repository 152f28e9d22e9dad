"""Places where tensorlib used to differ from JAX, each checked against JAX."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.numpy as tnp

jax = pytest.importorskip("jax")
jnp = jax.numpy


@pytest.mark.parametrize("fn", ["logaddexp", "logaddexp2"])
@pytest.mark.parametrize("a,b", [(1.0, 1.0), (0.5, -2.0), (-3.0, 4.0), (np.inf, 1.0),
                                 (-np.inf, 3.0), (-np.inf, -np.inf)])
def test_logaddexp_derivatives_match_jax(fn, a, b):
    """The second derivative at a tie is 1/4 (for logaddexp), not 0: the custom JVP's
    weights are differentiable where max/abs are not."""
    t, j = (lambda x: getattr(tnp, fn)(x, b)), (lambda x: getattr(jnp, fn)(x, b))
    for _ in range(3):
        np.testing.assert_allclose(float(t(a)), float(j(a)), rtol=1e-5, equal_nan=True)
        t, j = tl.grad(t), jax.grad(j)


def test_jit_takes_pytrees_with_unhashable_aux_data():
    class Node:
        def __init__(self, v, meta):
            self.v, self.meta = v, meta

    tl.tree_util.register_pytree_node(Node, lambda n: ((n.v,), n.meta),
                                      lambda meta, ch: Node(ch[0], meta))
    f = tl.jit(lambda n: n.v * n.meta["scale"])
    np.testing.assert_array_equal(f(Node(tnp.ones(2), {"scale": 2.0})), [2.0, 2.0])
    np.testing.assert_array_equal(f(Node(tnp.ones(2), {"scale": 2.0})), [2.0, 2.0])
    assert f.trace_count == 1
    np.testing.assert_array_equal(f(Node(tnp.ones(2), {"scale": 3.0})), [3.0, 3.0])
    assert f.trace_count == 2
    t1 = tl.tree_util.tree_structure(Node(1, {"a": 1}))
    assert t1 == tl.tree_util.tree_structure(Node(2, {"a": 1})) and hash(t1) == hash(
        tl.tree_util.tree_structure(Node(2, {"a": 1})))


@pytest.mark.parametrize("call,name,kind", [
    (lambda m: m.sum([1, 2, 3]), "sum", "list"),
    (lambda m: m.mean((1.0, 2.0)), "mean", "tuple"),
    (lambda m: m.max([1, 2]), "max", "list"),
    (lambda m: m.sin([1.0, 2.0]), "sin", "list"),
    (lambda m: m.add([1.0], 2.0), "add", "list"),
    (lambda m: m.cumsum([1, 2]), "cumsum", "list"),
])
def test_lists_are_refused_as_in_jax(call, name, kind):
    with pytest.raises(TypeError):
        call(jnp)
    with pytest.raises(TypeError, match=rf"{name} requires ndarray or scalar arguments, got "
                                        rf"{kind} at position 0\. Convert it with tnp\.asarray"):
        call(tnp)
    assert float(tnp.sum(tnp.asarray([1, 2, 3]))) == 6  # converted first, it works
    assert float(tnp.sin(1.0)) == pytest.approx(np.sin(1.0), rel=1e-6)  # scalars are fine


def test_logistic_keeps_both_tails():
    x = np.array([-80.0, -40.0, -19.9, -5.0, 0.0, 5.0, 19.9, 40.0], np.float32)
    want = 1 / (1 + np.exp(-x.astype(np.float64)))
    for got in (tl.lax.logistic(tnp.asarray(x)), tl.jit(tl.lax.logistic)(tnp.asarray(x))):
        np.testing.assert_allclose(np.asarray(got), want, rtol=2e-6)
    np.testing.assert_allclose(np.asarray(tl.nn.sigmoid(tnp.asarray(x))),
                               np.asarray(jax.nn.sigmoid(jnp.asarray(x))), rtol=2e-6)


@pytest.mark.parametrize("pw", [3, (3,), (1, 2), ((1, 2),), ((1, 2), (0, 1))])
def test_pad_width_broadcasts_as_in_jax(pw):
    x = np.arange(6).reshape(2, 3)
    want = jnp.pad(jnp.asarray(x), pw)
    got = tnp.pad(tnp.asarray(x), pw)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("pw,cls,msg", [
    (-1, ValueError, r"pad: pad_width -1 has a negative width; index can't contain negative"),
    ((1, -2), ValueError, r"pad: pad_width \(1, -2\) has a negative width"),
    (((1, 2, 3),), ValueError, r"pad: pad_width \(\(1, 2, 3\),\) must be an int, a \(before, "
                               r"after\) pair or one pair per axis of the 2-d array"),
    (1.5, TypeError, r"pad: pad_width must be of integral type, got 1.5"),
])
def test_pad_width_errors(pw, cls, msg):
    with pytest.raises(cls):
        jnp.pad(jnp.ones((2, 3)), pw)
    with pytest.raises(cls, match=msg):
        tnp.pad(tnp.ones((2, 3)), pw)


@pytest.mark.parametrize("make", [
    lambda m: m.ones(3),                                   # one array: a sequence of rows
    lambda m: [m.ones(3), m.zeros(3)],
    lambda m: m.arange(6).reshape(2, 3),
    lambda m: [m.ones((2, 2)), m.arange(2.0)],
])
def test_column_stack_matches_jax(make):
    want = jnp.column_stack(make(jnp))
    got = tnp.column_stack(make(tnp))
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want)


@pytest.mark.parametrize("shape,axis", [((200000, 4), 0), ((1000, 1000), 0), ((60, 50, 70), (0, 2)),
                                        ((1000, 1000), None), ((300000,), 0)])
def test_float32_sums_are_as_accurate_as_jax(shape, axis):
    """NumPy adds slices one after another along an outer axis; a float32 sum over 10^6 rows
    drifted by hundreds. tensorlib's error stays within JAX's (which sums pairwise)."""
    x = (np.random.default_rng(0).random(shape) * 10).astype(np.float32)
    exact = x.astype(np.float64).sum(axis=axis)
    err_jax = np.abs(np.asarray(jnp.sum(jnp.asarray(x), axis=axis), np.float64) - exact).max()
    for got in (tnp.sum(tnp.asarray(x), axis=axis),
                tl.jit(lambda a: tnp.sum(a, axis=axis))(tnp.asarray(x)),
                tnp.mean(tnp.asarray(x), axis=axis) * (x.size / np.size(exact))):
        assert got.dtype == np.float32
        err = np.abs(np.asarray(got, np.float64) - exact).max()
        assert err <= max(1.5 * err_jax, 1e-6 * np.abs(exact).max()), (err, err_jax)


@pytest.mark.parametrize("a,b", [(-0.0, 3.0), (0.0, -3.0), (-0.0, -3.0), (-3.0, 3.0), (3.0, -3.0),
                                 (5.5, 2.0), (-5.5, 2.0)])
def test_remainder_zero_takes_the_divisors_sign(a, b):
    """As Python, NumPy and the Array API (JAX returns -0.0 for -0.0 % 3)."""
    want = np.remainder(np.float32(a), np.float32(b))
    got = np.asarray(tnp.remainder(tnp.float32(a), tnp.float32(b)))
    assert got == want and np.signbit(got) == np.signbit(want)


def test_cumulative_functions_follow_jax():
    with pytest.raises(ValueError, match="cumulative_prod: axis is required for arrays with "
                                         "more than 1 dim"):
        tnp.cumulative_prod(tnp.ones((2, 2)))
    for dt in ("uint8", "int8", "bool", "float32"):
        x = np.array([1, 2, 1], dt)
        for name in ("cumulative_prod", "cumulative_sum"):
            got = getattr(tnp, name)(tnp.asarray(x), include_initial=True)
            want = getattr(jnp, name)(jnp.asarray(x), include_initial=True)
            assert got.dtype == want.dtype, (name, dt)
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("precision", [None, "default", "high", "highest", "bfloat16",
                                       "tensorfloat32", "float32", ("high", "highest"),
                                       "PRECISION"])
def test_precision_is_accepted_wherever_jax_takes_it(precision):
    p = tl.lax.Precision.HIGHEST if precision == "PRECISION" else precision
    a = tnp.arange(6.0).reshape(2, 3)
    want = np.arange(6.0).reshape(2, 3) @ np.arange(6.0).reshape(2, 3).T
    for got in (tnp.dot(a, a.T, precision=p), tnp.matmul(a, a.T, precision=p),
                tnp.einsum("ij,kj->ik", a, a, precision=p), tnp.tensordot(a, a.T, 1,
                                                                          precision=p),
                tnp.inner(a, a, precision=p), tl.lax.dot(a, a.T, precision=p),
                tl.lax.dot_general(a, a, (((1,), (1,)), ((), ())), precision=p)):
        np.testing.assert_allclose(got, want)
    assert tl.lax.Precision("highest") is tl.lax.Precision.HIGHEST
    assert [m.name for m in tl.lax.Precision] == [m.name for m in jax.lax.Precision]


def test_bad_precision_is_refused():
    a = tnp.ones((2, 2))
    with pytest.raises(ValueError, match=r"matmul: unknown precision 'bogus'; use None, a "
                                         r"lax.Precision or one of"):
        tnp.matmul(a, a, precision="bogus")
    with pytest.raises(ValueError, match=r"dot_general: precision must be None, a "
                                         r"lax.Precision or a pair of them, got \(1, 2, 3\)"):
        tl.lax.dot_general(a, a, (((1,), (0,)), ((), ())), precision=(1, 2, 3))


def test_preferred_element_type_in_tensordot_and_inner():
    a = np.ones((2, 3), np.int8)
    for name, args in (("tensordot", (a, a.T, 1)), ("inner", (a, a))):
        got = getattr(tnp, name)(*[tnp.asarray(x) if isinstance(x, np.ndarray) else x
                                   for x in args], preferred_element_type=tnp.int32)
        want = getattr(jnp, name)(*args, preferred_element_type=jnp.int32)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_linear_transpose_matches_jax():
    m = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)

    def f(mod):
        return lambda x, y: (mod.asarray(m) @ x + 2 * y, mod.sum(x))

    t = tl.linear_transpose(f(tnp), tnp.zeros(3), tl.ShapeDtypeStruct((2,), np.float32))
    j = jax.linear_transpose(f(jnp), jnp.zeros(3), jnp.zeros(2))
    ct = (np.array([1.0, -1.0], np.float32), np.float32(2.0))
    got, want = t(tuple(tnp.asarray(c) for c in ct)), j(ct)
    assert len(got) == len(want) == 2
    for a, b in zip(got, want):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(np.asarray(a), np.asarray(b))


def test_named_scope_is_a_context_manager_and_a_decorator():
    with tl.named_scope("block"):
        y = tnp.ones(2) * 2
    np.testing.assert_array_equal(y, [2.0, 2.0])
    assert float(tl.jit(tl.named_scope("inc")(lambda a: a + 1))(1.0)) == 2.0
    with pytest.raises(TypeError, match="named_scope: the name must be a string, got 3"):
        tl.named_scope(3)


@pytest.mark.parametrize("backend", ["numpy", "xla"])
def test_array_devices_and_sharding(backend):
    pytest.importorskip("jaxlib")
    with tl.backend(backend):
        x = tnp.ones(2)
        d = tl.devices()[-1]
        y = tl.device_put(tnp.ones(2), d)
        assert x.devices() == {x.device} and y.devices() == {y.device}
        if backend == "xla":  # (NumPy buffers carry no device: they report the first one)
            assert y.devices() == {d}
        assert x.sharding.device_set == x.devices() and x.sharding.num_devices == 1
        assert x.sharding.is_fully_replicated
        assert (y.sharding == x.sharding) == (y.device == x.device)
        assert "SingleDeviceSharding(device=" in repr(y.sharding)
    jx = jnp.ones(2)
    assert len(jx.devices()) == 1 and jx.sharding.device_set == jx.devices()  # JAX's contract
