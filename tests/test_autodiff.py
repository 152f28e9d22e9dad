"""The differentiation transforms: nesting, pytrees, custom rules, control flow, tape hygiene."""

import gc
import threading
import weakref

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.numpy as tnp
from tensorlib import lax
from tensorlib._src import core
from tensorlib.errors import NonDifferentiableError, ShapeError
from tensorlib.test_util import check_grads


def test_grad_scalar_and_higher_order():
    f = lambda x: x ** 3
    assert float(tl.grad(f)(2.0)) == pytest.approx(12.0)
    assert float(tl.grad(tl.grad(f))(2.0)) == pytest.approx(12.0)
    assert float(tl.grad(tl.grad(tl.grad(f)))(2.0)) == pytest.approx(6.0)
    assert float(tl.grad(tl.grad(tl.grad(tl.grad(f))))(2.0)) == pytest.approx(0.0)


def test_value_and_grad_argnums_and_aux():
    def f(x, y):
        return (x * y).sum(), {"prod": x * y}

    (v, aux), (gx, gy) = tl.value_and_grad(f, argnums=(0, 1), has_aux=True)(
        tnp.array([1.0, 2.0]), tnp.array([3.0, 4.0]))
    assert float(v) == 11.0
    np.testing.assert_allclose(gx, [3.0, 4.0])
    np.testing.assert_allclose(gy, [1.0, 2.0])
    np.testing.assert_allclose(aux["prod"], [3.0, 8.0])
    assert type(aux["prod"]) is core.Array  # aux is returned as plain values


def test_grad_pytree_inputs():
    params = {"w": tnp.ones((2, 3)), "b": [tnp.zeros(3), (tnp.ones(()),)]}

    def loss(p):
        return (p["w"].sum(0) * p["b"][0] + p["b"][1][0]).sum()

    g = tl.grad(loss)(params)
    assert tl.tree_util.tree_structure(g) == tl.tree_util.tree_structure(params)
    np.testing.assert_allclose(g["w"], np.zeros((2, 3)))
    np.testing.assert_allclose(g["b"][0], [2.0, 2.0, 2.0])
    assert float(g["b"][1][0]) == 3.0


def test_perturbation_confusion():
    # d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1; a confused implementation gives 2.
    def f(x):
        return x * tl.grad(lambda y: x + y)(1.0)

    assert float(tl.grad(f)(1.0)) == 1.0
    # the same in forward mode, and mixed
    g = lambda x: x * tl.jvp(lambda y: x + y, (1.0,), (1.0,))[1]
    assert float(tl.jvp(g, (1.0,), (1.0,))[1]) == 1.0
    assert float(tl.grad(g)(1.0)) == 1.0


def test_grad_closure_over_outer_tracer():
    def outer(x):
        inner = tl.grad(lambda y: tnp.sin(x * y))
        return inner(2.0)  # = x cos(2x)

    x = 0.3
    want = np.cos(2 * x) - 2 * x * np.sin(2 * x)
    assert float(tl.grad(outer)(x)) == pytest.approx(want, rel=1e-5)


def test_jvp_is_forward_mode_and_matches_vjp():
    f = lambda x: tnp.tanh(x) @ tnp.arange(6.0).reshape(3, 2)
    x = tnp.array([0.1, -0.2, 0.3])
    v = tnp.array([1.0, 0.5, -1.0])
    y, t = tl.jvp(f, (x,), (v,))
    _, pullback = tl.vjp(f, x)
    u = tnp.array([0.3, -0.7])
    (ct,) = pullback(u)
    assert float(tnp.vdot(u, t)) == pytest.approx(float(tnp.vdot(ct, v)), rel=1e-5)


def test_jacobians_and_hessian(x64):
    def f(x):
        return tnp.stack([x[0] * x[1], tnp.sin(x[2]), x.sum() ** 2])

    x = tnp.array([0.5, -1.0, 2.0])
    jf, jr = tl.jacfwd(f)(x), tl.jacrev(f)(x)
    assert jf.shape == (3, 3)
    np.testing.assert_allclose(jf, jr, rtol=1e-12)
    s = 1.5
    want = [[-1.0, 0.5, 0], [0, 0, np.cos(2.0)], [2 * s, 2 * s, 2 * s]]
    np.testing.assert_allclose(jf, want, rtol=1e-12)
    h = tl.hessian(lambda x: (x ** 3).sum() + x[0] * x[1])(x)
    np.testing.assert_allclose(h, [[3.0, 1, 0], [1, -6.0, 0], [0, 0, 12.0]], rtol=1e-12)
    # jacfwd(jacrev) and jacrev(jacfwd) agree
    g = lambda x: tnp.sin(x).prod()
    np.testing.assert_allclose(tl.jacfwd(tl.jacrev(g))(x), tl.jacrev(tl.jacfwd(g))(x), rtol=1e-10)


def test_jacobian_of_pytree():
    def f(p):
        return {"a": p["x"] * 2.0, "b": (p["x"] ** 2).sum()}

    j = tl.jacrev(f)({"x": tnp.array([1.0, 2.0])})
    np.testing.assert_allclose(j["a"]["x"], 2 * np.eye(2))
    np.testing.assert_allclose(j["b"]["x"], [2.0, 4.0])
    j2 = tl.jacfwd(f)({"x": tnp.array([1.0, 2.0])})
    np.testing.assert_allclose(j2["a"]["x"], j["a"]["x"])


def test_hvp_forward_over_reverse(x64):
    f = lambda x: (tnp.sin(x) * x ** 2).sum()

    def hvp(x, v):
        return tl.jvp(tl.grad(f), (x,), (v,))[1]

    x = tnp.array([0.1, 0.7, -1.2])
    v = tnp.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(hvp(x, v), tl.hessian(f)(x) @ v, rtol=1e-10)


def test_linearize():
    f = lambda x: tnp.exp(x) * 2
    y, f_jvp = tl.linearize(f, tnp.array([0.0, 1.0]))
    np.testing.assert_allclose(f_jvp(tnp.array([1.0, 1.0])), 2 * np.exp([0.0, 1.0]), rtol=1e-6)


def test_nondifferentiable_input_errors():
    with pytest.raises(NonDifferentiableError, match="argument 0 has dtype int32"):
        tl.grad(lambda x: x * 2)(tnp.array(3))
    with pytest.raises(ShapeError, match=r"grad requires a scalar output.*f32\[2\]"):
        tl.grad(lambda x: x * 2)(tnp.array([1.0, 2.0]))
    # integer inputs get float0 tangents / zero cotangents through vjp
    _, pull = tl.vjp(lambda x, n: x * n, tnp.array(2.0), tnp.array(3))
    gx, gn = pull(tnp.array(1.0))
    assert float(gx) == 3.0 and gn.dtype == tl.numpy.dtype([("float0", "V", 0)])


def test_stop_gradient():
    f = lambda x: x * tl.stop_gradient(x)
    assert float(tl.grad(f)(3.0)) == 3.0
    assert float(tl.jvp(f, (3.0,), (1.0,))[1]) == 3.0


def test_custom_vjp_log1pexp_is_stable():
    @tl.custom_vjp
    def log1pexp(x):
        return tnp.log1p(tnp.exp(x))

    def fwd(x):
        return log1pexp(x), x

    def bwd(x, g):
        return (g * (1 - 1 / (1 + tnp.exp(x))),)

    log1pexp.defvjp(fwd, bwd)
    assert float(tl.grad(log1pexp)(100.0)) == 1.0  # naive: nan
    naive = tl.grad(lambda x: tnp.log1p(tnp.exp(x)))(100.0)
    assert np.isnan(float(naive))


def test_custom_vjp_gradient_clipping():
    @tl.custom_vjp
    def clip_gradient(lo, hi, x):
        return x

    def fwd(lo, hi, x):
        return x, (lo, hi)

    def bwd(res, g):
        lo, hi = res
        return (None, None, tnp.clip(g, lo, hi))

    clip_gradient.defvjp(fwd, bwd)
    f = lambda x: clip_gradient(-0.75, 0.75, tnp.sin(x) * 5)
    assert float(tl.grad(f)(0.0)) == pytest.approx(0.75 * 5)  # clipped, then chained
    assert float(tl.grad(lambda x: clip_gradient(-0.75, 0.75, x))(2.0)) == 0.75


def test_custom_jvp_both_modes():
    @tl.custom_jvp
    def f(x):
        return tnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return f(x), 2.0 * t  # deliberately not cos(x), to see the rule is used

    assert float(tl.jvp(f, (1.0,), (1.0,))[1]) == 2.0
    assert float(tl.grad(f)(1.0)) == 2.0  # reverse mode transposes the custom JVP


def test_checkpoint_matches_plain_grad(x64):
    def block(x):
        return tnp.tanh(tnp.sin(x) * 2.0)

    f = lambda x: tl.checkpoint(block)(tl.checkpoint(block)(x)).sum()
    g = lambda x: block(block(x)).sum()
    x = tnp.linspace(-1, 1, 5)
    np.testing.assert_allclose(tl.grad(f)(x), tl.grad(g)(x), rtol=1e-12)
    np.testing.assert_allclose(tl.grad(tl.grad(lambda s: f(x * s)))(1.0),
                               tl.grad(tl.grad(lambda s: g(x * s)))(1.0), atol=1e-12)


def test_control_flow_grads(x64):
    def f(x):
        y = lax.fori_loop(0, 3, lambda i, v: tnp.sin(v) * x, x)
        z = lax.cond(y.sum() > 0, lambda a: a ** 2, lambda a: -a, y)
        c, ys = lax.scan(lambda c, xi: (c * xi + 1.0, c), z.sum(), tnp.arange(1.0, 4.0))
        return c + ys.sum() + lax.switch(1, [tnp.cos, tnp.sin, tnp.exp], x.sum())

    check_grads(f, (tnp.array([0.3, 0.4]),), order=2)


def test_while_loop_forward_and_reverse_mode():
    """Reverse mode through while_loop is a tensorlib extension: eagerly, under jit with
    max_steps (compiled), and under jit without a bound (the trip count is learned when the
    program runs)."""
    f = lambda x: lax.while_loop(lambda v: v < 10.0, lambda v: v * 2.0, x)
    assert float(tl.jvp(f, (1.0,), (1.0,))[1]) == 16.0
    assert float(tl.grad(f)(1.0)) == 16.0
    assert float(tl.grad(f)(3.0)) == 4.0
    bounded = lambda x: lax.while_loop(lambda v: v < 10.0, lambda v: v * 2.0, x, max_steps=8)
    assert float(tl.jit(tl.grad(bounded))(1.0)) == 16.0
    assert float(bounded(1.0)) == 16.0
    assert float(tl.jit(tl.grad(f))(1.0)) == 16.0
    assert float(tl.jit(tl.hessian(f))(3.0)) == 0.0


def test_python_control_flow_under_grad():
    def f(x):
        for _ in range(3):
            if x.sum() > 1:
                x = x * 0.5
            else:
                x = x * 3.0
        return x.sum()

    np.testing.assert_allclose(tl.grad(f)(tnp.array([1.0, 2.0])), [0.75, 0.75])


def test_tape_is_freed_after_backward():
    x = tnp.ones(1000)
    refs = []

    def f(x):
        y = tnp.sin(x) * 2
        refs.append(weakref.ref(y))
        return y.sum()

    tl.grad(f)(x)
    gc.collect()
    assert refs[0]() is None
    assert core.trace_depth() == 0


def test_exception_leaves_no_level_behind():
    def bad(x):
        tl.jvp(lambda y: y * x, (1.0,), (1.0,))
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        tl.grad(bad)(1.0)
    assert core.trace_depth() == 0
    assert float(tl.grad(lambda x: x * x)(3.0)) == 6.0


def test_leaked_tracer_is_an_error():
    box = []

    def f(x):
        box.append(x * 2)
        return x.sum()

    tl.grad(f)(tnp.ones(2))
    with pytest.raises(tl.errors.LeakedTracerError, match="used after the transformation"):
        box[0] + 1


def test_tape_is_thread_local():
    results = {}

    def worker(k):
        results[k] = float(tl.grad(lambda x: (x ** k).sum())(tnp.array(2.0)))

    threads = [threading.Thread(target=worker, args=(k,)) for k in (2, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {2: 4.0, 3: 12.0}


def test_per_example_mlp_param_grads(x64):
    from tensorlib.test_util import check_grads as cg

    rng = np.random.default_rng(0)
    params = [(tnp.asarray(rng.standard_normal((4, 3))), tnp.asarray(rng.standard_normal(3))),
              (tnp.asarray(rng.standard_normal((3, 2))), tnp.asarray(rng.standard_normal(2)))]
    x = tnp.asarray(rng.standard_normal((5, 4)))

    def loss(p, x):
        h = x
        for w, b in p:
            h = tnp.tanh(h @ w + b)
        return (h ** 2).mean()

    g = tl.grad(loss)(params, x)
    assert [tuple(a.shape) for wb in g for a in wb] == [(4, 3), (3,), (3, 2), (2,)]
    cg(lambda w0: loss([(w0, params[0][1]), params[1]], x), (params[0][0],), order=2)
