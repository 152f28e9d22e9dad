"""Shapes without values (``eval_shape``, ``make_jaxpr``, ``ShapeDtypeStruct``) and the host
helpers ``block_until_ready`` / ``device_get``, with JAX as the oracle."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.numpy as tnp
from tensorlib.errors import ConcretizationTypeError

jax = pytest.importorskip("jax")
jnp = jax.numpy

S = tl.ShapeDtypeStruct

# (name, f(m, *args) with m the numpy module, args as (shape, dtype) or Python scalars)
CASES = [
    ("matmul-sum", lambda m, a, b: (a @ b).sum(0), [((4, 3), "float32"), ((3, 5), "float32")]),
    ("pytree-out", lambda m, a: {"s": a + 1, "t": (a.T, m.tanh(a).mean())}, [((2, 6), "float32")]),
    ("int-promotion", lambda m, a, b: a * b, [((3,), "int32"), ((3,), "float32")]),
    ("weak-scalar", lambda m, a, s: a * s, [((2,), "float32"), 2.0]),
    ("python-scalar-out", lambda m, a: (a.shape[0] * 2, a.sum()), [((7, 2), "float32")]),
    ("reduction-dtype", lambda m, a: (m.argmax(a, axis=1), a.mean()), [((5, 4), "int32")]),
    ("bool", lambda m, a: (a > 0).all(), [((3, 3), "float32")]),
]


def _args(m, spec, struct):
    out = []
    for s in spec:
        if isinstance(s, tuple):
            out.append(struct(*s))
        else:
            out.append(s)
    return out


def _flat_structs(tree, mod):
    leaves = mod.tree_util.tree_leaves(tree)
    return [(tuple(x.shape), np.dtype(x.dtype).name, bool(getattr(x, "weak_type", False)))
            for x in leaves]


@pytest.mark.parametrize("name,f,spec", CASES, ids=[c[0] for c in CASES])
def test_eval_shape_matches_jax(name, f, spec):
    got = tl.eval_shape(lambda *a: f(tnp, *a), *_args(tnp, spec, S))
    want = jax.eval_shape(lambda *a: f(jnp, *a), *_args(jnp, spec, jax.ShapeDtypeStruct))
    assert _flat_structs(got, tl) == _flat_structs(want, jax)
    assert tl.tree_util.tree_structure(got) == tl.tree_util.tree_structure(
        jax.tree_util.tree_map(lambda _: 0, want))
    # arrays work as arguments too, and give the same answer
    arrays = [tnp.zeros(s[0], s[1]) if isinstance(s, tuple) else s for s in spec]
    assert _flat_structs(tl.eval_shape(lambda *a: f(tnp, *a), *arrays), tl) == \
        _flat_structs(got, tl)


@pytest.mark.parametrize("name,f,spec", CASES, ids=[c[0] for c in CASES])
def test_make_jaxpr_avals_match_jax(name, f, spec):
    g = tl.make_jaxpr(lambda *a: f(tnp, *a))(*_args(tnp, spec, S))
    j = jax.make_jaxpr(lambda *a: f(jnp, *a))(*_args(jnp, spec, jax.ShapeDtypeStruct))
    assert [(a.shape, a.dtype) for a in g.in_avals] == [(a.shape, a.dtype) for a in j.in_avals]
    assert [(a.shape, a.dtype) for a in g.out_avals] == \
        [(a.shape, a.dtype) for a in j.out_avals]
    assert g.jaxpr is g and len(g.jaxpr.invars) == len(j.jaxpr.invars)
    assert len(g.jaxpr.outvars) == len(j.jaxpr.outvars)


def test_make_jaxpr_equations_read_like_jax():
    g = tl.make_jaxpr(lambda x, y: tnp.sin(x) * y + 1.0)(tnp.ones(3), tnp.ones(3))
    names = [e.primitive.name for e in g.eqns]
    assert names[0] == "sin" and "mul" in names and names[-1] == "add"
    e = g.eqns[0]
    assert e.invars == [g.invars[0]] and e.outvars == e.outputs and e.params == {}
    assert str(g).startswith("{ lambda ; a:f32[3] b:f32[3]. let")


def test_make_jaxpr_static_argnums_and_return_shape():
    def f(x, n):
        return tnp.tile(x, n), n

    g, shape = tl.make_jaxpr(f, static_argnums=1, return_shape=True)(tnp.ones(2), 3)
    jg, jshape = jax.make_jaxpr(lambda x, n: (jnp.tile(x, n), n), static_argnums=1,
                                return_shape=True)(jnp.ones(2), 3)
    assert _flat_structs(shape, tl) == _flat_structs(jshape, jax)
    assert [a.shape for a in g.out_avals] == [a.shape for a in jg.out_avals]
    assert len(g.invars) == 1  # the static argument is a constant of the graph


def test_nothing_is_allocated_or_run(capsys):
    """A (10^6, 10^6) float32 value would need 4 TB: tracing never builds it, and nothing
    runs (a debug print is staged, not printed)."""
    x = S((10**6, 10**6), "float32")
    assert tl.eval_shape(lambda a: (a + 1).sum(0), x) == S((10**6,), "float32")

    def f(a):
        tl.debug.print("a[0, 0] = {}", a[0, 0])
        return a * 2

    g = tl.make_jaxpr(f)(x)
    assert "debug_print" in [e.primitive.name for e in g.eqns]
    assert capsys.readouterr().out == ""


def test_shape_dtype_struct_follows_jax():
    a = S((2, 3), np.float64)
    j = jax.ShapeDtypeStruct((2, 3), np.float64)
    assert a.dtype == j.dtype  # kept as given, as JAX
    assert tl.eval_shape(lambda v: v, a).dtype == jax.eval_shape(lambda v: v, j).dtype
    assert a.shape == j.shape and a.ndim == 2 and a.size == 6
    assert repr(S((2,), "int32")) == "ShapeDtypeStruct(shape=(2,), dtype=int32)"
    assert S((2,), "int32") == S([2], np.int32) and hash(S((2,), "int32")) == hash(
        S((2,), np.int32))
    assert S((2,), "int32") != S((2,), "int32", weak_type=True)
    with pytest.raises(TypeError, match=r"ShapeDtypeStruct: shape must be a sequence of "
                                        r"ints, got 3"):
        S(3, "float32")
    with pytest.raises(ValueError, match=r"ShapeDtypeStruct: shape \(2, -1\) has a negative "
                                         r"dimension"):
        S((2, -1), "float32")
    with pytest.raises(TypeError, match="ShapeDtypeStruct: dtype must be given, got None"):
        S((2,), None)


def test_block_until_ready_and_device_get():
    tree = {"y": tnp.arange(3) * 2, "n": 1, "t": (tnp.ones(2),)}
    assert tl.block_until_ready(tree) is tree
    host = tl.device_get(tree)
    assert type(host["y"]) is np.ndarray and type(host["t"][0]) is np.ndarray
    np.testing.assert_array_equal(host["y"], [0, 2, 4])
    assert host["n"] == 1
    jhost = jax.device_get({"y": jnp.arange(3) * 2, "n": 1, "t": (jnp.ones(2),)})
    assert host["y"].dtype == jhost["y"].dtype


def test_device_get_of_a_traced_value_says_so():
    with pytest.raises(ConcretizationTypeError, match=r"device_get: got a traced value "
                                                      r"f32\[3\]; its value is not known"):
        tl.jit(lambda x: tl.device_get(x))(tnp.ones(3))


def test_jacobian_is_jacrev():
    assert tl.jacobian is tl.jacrev
    x = np.array([0.5, -1.0, 2.0], np.float32)
    np.testing.assert_allclose(tl.jacobian(lambda v: tnp.sin(v) * v[0])(x),
                               jax.jacobian(lambda v: jnp.sin(v) * v[0])(x), rtol=1e-6)
