"""vmap: equivalence with a Python loop over a table of functions, composition, collectives."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.numpy as tnp
from tensorlib import lax
from tensorlib._src import core
from tensorlib.errors import ShapeError

R = np.random.default_rng(0)


def _r(*shape):
    return R.standard_normal(shape).astype(np.float32)


# name, function of one example, example argument shapes
CASES = [
    ("unary", lambda x: tnp.tanh(x) + tnp.exp(-x * x), [(3, 4)]),
    ("binary-broadcast", lambda x, y: x * y + 1.0, [(3, 4), (4,)]),
    ("where", lambda x: tnp.where(x > 0, x, -2 * x), [(5,)]),
    ("reductions", lambda x: (x.sum(0), x.max(1), x.argmin(0), x.mean()), [(3, 4)]),
    ("cumulative", lambda x: (tnp.cumsum(x, 1), tnp.cumprod(x, 0)), [(3, 4)]),
    ("reshape-transpose", lambda x: x.reshape(2, 6).T[::-1, 1:], [(3, 4)]),
    ("concat-pad", lambda x, y: tnp.concatenate([x, y], 0) + tnp.pad(x, 1)[1:-1, 1:-1].sum(),
     [(3, 4), (2, 4)]),
    ("matmul", lambda a, b: a @ b, [(3, 4), (4, 2)]),
    ("matvec", lambda a, v: a @ v, [(3, 4), (4,)]),
    ("einsum", lambda a, b: tnp.einsum("ij,jk->ik", a, b), [(2, 3), (3, 2)]),
    ("basic-index", lambda x: x[1, ::2] + x[-1, 1:3].sum(), [(3, 4)]),
    ("int-array-index", lambda x: x[tnp.array([2, 0, 2]), 1:], [(3, 4)]),
    ("at-set-add", lambda x: x.at[1].set(0.0).at[tnp.array([0, 0])].add(1.0), [(3, 4)]),
    ("sort", lambda x: (tnp.sort(x, axis=0), tnp.argsort(x, axis=1)), [(3, 4)]),
    ("dynamic-slice", lambda x: lax.dynamic_slice(x, (1, 0), (2, 2)), [(3, 4)]),
    ("dynamic-update", lambda x: lax.dynamic_update_slice(x, tnp.ones((1, 2)), (2, 1)),
     [(3, 4)]),
    ("cond", lambda x: lax.cond(x.sum() > 0, lambda a: a * 2, lambda a: -a, x), [(4,)]),
    ("switch", lambda x: lax.switch((x[0] > 0).astype(tnp.int32) + (x[1] > 0),
                                    [lambda a: a, lambda a: a * 2, lambda a: a - 5], x), [(3,)]),
    ("while", lambda x: lax.while_loop(lambda c: c[0] < 10.0, lambda c: (c[0] * 2 + 1, c[1] + 1),
                                       (tnp.abs(x[0]), 0))[1], [(3,)]),
    ("scan", lambda x: lax.scan(lambda c, a: (c * 0.5 + a, c), 0.0, x), [(5,)]),
    ("fori", lambda x: lax.fori_loop(0, 3, lambda i, v: v * x + i, x), [(3,)]),
    ("grad-inside", lambda x: tl.grad(lambda v: (tnp.sin(v) ** 2).sum())(x), [(4,)]),
    ("jit-inside", lambda x: tl.jit(lambda v: v @ v.T)(x), [(2, 3)]),
]


@pytest.mark.parametrize("name,fn,shapes", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("axis", [0, -1])
def test_vmap_equals_loop(name, fn, shapes, axis):
    n = 3
    examples = [[_r(*s) for s in shapes] for _ in range(n)]
    want = [fn(*[tnp.asarray(a) for a in ex]) for ex in examples]
    stacked = [np.stack([ex[k] for ex in examples], axis=axis) for k in range(len(shapes))]
    got = tl.vmap(fn, in_axes=axis)(*[tnp.asarray(s) for s in stacked])
    for g, w in zip(tl.tree_util.tree_leaves(got), zip(*[tl.tree_util.tree_leaves(x)
                                                         for x in want])):
        np.testing.assert_allclose(np.asarray(g), np.stack([np.asarray(v) for v in w]),
                                   rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name,fn,shapes", [c for c in CASES if len(c[2]) == 2],
                         ids=[c[0] for c in CASES if len(c[2]) == 2])
def test_vmap_with_unmapped_argument(name, fn, shapes):
    a = [_r(*shapes[0]) for _ in range(3)]
    b = _r(*shapes[1])
    want = np.stack([np.asarray(fn(tnp.asarray(x), tnp.asarray(b))) for x in a])
    got = tl.vmap(fn, in_axes=(0, None))(tnp.asarray(np.stack(a)), tnp.asarray(b))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_compositions():
    f = lambda x: (tnp.sin(x) * x).sum()
    xs = tnp.asarray(_r(4, 3))
    per_example = tl.vmap(tl.grad(f))(xs)
    np.testing.assert_allclose(per_example, tl.grad(lambda x: tl.vmap(f)(x).sum())(xs),
                               rtol=1e-6)
    np.testing.assert_allclose(tl.jit(tl.vmap(f))(xs), tl.vmap(f)(xs), rtol=1e-6)
    np.testing.assert_allclose(tl.vmap(tl.jit(f))(xs), tl.vmap(f)(xs), rtol=1e-6)
    mm = tl.vmap(tl.vmap(lambda a, b: a * b, in_axes=(0, None)), in_axes=(None, 0))
    np.testing.assert_allclose(mm(tnp.arange(3.0), tnp.arange(4.0)),
                               np.outer(np.arange(4.0), np.arange(3.0)))
    jac = tl.vmap(tl.jacrev(lambda v: tnp.tanh(v) * 2))(xs)
    assert jac.shape == (4, 3, 3)


def test_pytree_axes_and_out_axes():
    def f(p, x):
        return {"y": p["w"] * x, "s": (p["w"] * x).sum()}

    p = {"w": tnp.ones(3)}
    xs = tnp.asarray(_r(5, 3))
    out = tl.vmap(f, in_axes=({"w": None}, 0), out_axes={"y": 1, "s": 0})(p, xs)
    assert out["y"].shape == (3, 5) and out["s"].shape == (5,)
    out2 = tl.vmap(lambda x: x * 2, axis_size=None)(xs)
    assert out2.shape == (5, 3)
    const = tl.vmap(lambda x: tnp.ones(2), axis_size=4, in_axes=None)(xs)
    assert const.shape == (4, 2)


def test_mismatched_sizes_error():
    with pytest.raises(ShapeError, match=r"inconsistent sizes.*size 3 for argument leaves "
                                         r"\[0\]; size 4 for argument leaves \[1\]"):
        tl.vmap(lambda a, b: a + b)(tnp.ones(3), tnp.ones(4))
    with pytest.raises(ValueError, match="out_axes=None but the output depends"):
        tl.vmap(lambda a: a, out_axes=None)(tnp.ones(3))
    assert core.trace_depth() == 0


def test_random_keys_batched():
    keys = tl.random.split(tl.random.PRNGKey(0), 8)
    samples = tl.vmap(lambda k: tl.random.normal(k, (3,)))(keys)
    want = np.stack([np.asarray(tl.random.normal(k, (3,))) for k in keys])
    np.testing.assert_allclose(samples, want, rtol=1e-6)


def test_collectives_over_named_axis():
    x = tnp.asarray(np.arange(12.0, dtype=np.float32).reshape(4, 3))
    np.testing.assert_allclose(tl.vmap(lambda v: v / lax.psum(v, "i"), axis_name="i")(x),
                               x / x.sum(0))
    np.testing.assert_allclose(tl.vmap(lambda v: lax.pmean(v, "i"), axis_name="i")(x),
                               np.broadcast_to(np.asarray(x).mean(0), (4, 3)))
    np.testing.assert_allclose(tl.vmap(lambda v: lax.pmax(v, "i") - v, axis_name="i")(x),
                               np.asarray(x).max(0) - np.asarray(x))
    assert tl.vmap(lambda v: lax.axis_index("i"), axis_name="i")(x).tolist() == [0, 1, 2, 3]
    g = tl.vmap(lambda v: lax.all_gather(v, "i"), axis_name="i")(x)
    assert g.shape == (4, 4, 3)
    np.testing.assert_allclose(g[2], x)
    p = tl.vmap(lambda v: lax.ppermute(v, "i", [(i, (i + 1) % 4) for i in range(4)]),
                axis_name="i")(x)
    np.testing.assert_allclose(p, np.roll(np.asarray(x), 1, axis=0))
    nested = tl.vmap(tl.vmap(lambda a: lax.psum(a, "j") + lax.psum(a, "i"), axis_name="j"),
                     axis_name="i")(x)
    np.testing.assert_allclose(nested, np.asarray(x).sum(1, keepdims=True)
                               + np.asarray(x).sum(0, keepdims=True))
    with pytest.raises(NameError, match="unbound axis name 'k'"):
        lax.psum(x, "k")


def test_grad_through_collectives():
    x = tnp.asarray(np.arange(12.0, dtype=np.float32).reshape(4, 3))
    f = lambda v: (v * lax.pmax(v, "i")).sum()
    g1 = tl.grad(lambda x: tl.vmap(f, axis_name="i")(x).sum())(x)
    g2 = tl.vmap(tl.grad(f), axis_name="i")(x)
    want = np.broadcast_to(np.asarray(x).max(0), (4, 3)).copy()
    want[3] += np.asarray(x).sum(0)
    np.testing.assert_allclose(g1, want)
    np.testing.assert_allclose(g2, want)
