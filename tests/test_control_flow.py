"""Control flow as closed graphs: what the composition grid (test_control_flow_grid.py) does
not show: the structure of staged gradients (two scans, residuals not stacked twice,
loop-invariant residuals hoisted), checkpoint policies, unroll, reverse-mode while_loop, the
examples of docs/control-flow.md, and parameters that are hashable graphs."""

from __future__ import annotations

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.numpy as tnp
from tensorlib import lax
from tensorlib._src.core import trace_depth
from tensorlib._src.ir import Graph


def _rnn_loss(T, H=4):
    def loss(params, xs):
        W, U = params

        def step(h, x):
            h = tnp.tanh(h @ W + x @ U)
            return h, h

        _, hs = lax.scan(step, tnp.zeros((2, H)), xs)
        return tnp.sum(hs ** 2)

    rng = np.random.default_rng(0)
    params = (tnp.asarray(rng.normal(size=(H, H)) * 0.3, dtype=tnp.float32),
              tnp.asarray(rng.normal(size=(3, H)) * 0.3, dtype=tnp.float32))
    return loss, params, tnp.asarray(rng.normal(size=(T, 2, 3)), dtype=tnp.float32)


def _eqns(graph, name):
    return [e for e in graph.eqns if e.prim.name == name]


def test_grad_of_scan_is_two_scans_whose_residuals_are_not_weights():
    loss, params, xs = _rnn_loss(50)
    g = tl.make_graph(tl.grad(loss))(params, xs)
    fwd, bwd = _eqns(g, "scan")
    assert not fwd.params["reverse"] and bwd.params["reverse"]
    # W and U are read by the backward scan as constants, never stacked 50 times
    stacked = [v.aval.shape for v in fwd.outputs[1:]]
    assert all(s[0] == 50 for s in stacked)
    assert (50, 4, 4) not in stacked and (50, 3, 4) not in stacked
    # the tanh output the backward pass reads is the ys output, not a second stacked copy
    assert len(stacked) == 2, stacked


def test_loop_invariant_residuals_are_hoisted():
    def loss(w, xs):
        return tnp.sum(lax.scan(lambda h, x: (tnp.tanh(tnp.exp(w) * h + x),) * 2, 0.0, xs)[1])

    g = tl.make_graph(tl.grad(loss))(tnp.float32(0.3), tnp.ones(20))
    fwd, bwd = _eqns(g, "scan")
    assert any(e.prim.name == "exp" for e in g.eqns)  # exp(w): once, outside the loops
    assert bwd.params["num_consts"] >= 1
    np.testing.assert_allclose(tl.grad(loss)(0.3, tnp.ones(20)),
                               tl.jit(tl.grad(loss))(0.3, tnp.ones(20)), rtol=1e-6)


def test_control_flow_params_are_hashable_graphs():
    loss, params, xs = _rnn_loss(5)
    for g in (tl.make_graph(loss)(params, xs), tl.make_graph(tl.grad(loss))(params, xs)):
        for e in _eqns(g, "scan"):
            hash(tuple(sorted(e.params.items())))
            assert isinstance(e.params["graph"], Graph)
            assert not any(callable(v) and not isinstance(v, Graph) for v in e.params.values())
    g = tl.make_graph(lambda x: lax.cond(x > 0, tnp.sin, tnp.cos, x))(1.0)
    (c,) = _eqns(g, "cond")
    assert all(isinstance(b, Graph) for b in c.params["branches"])
    assert "cond[branches=({ lambda" in str(g)


@pytest.mark.parametrize("unroll", [1, 2, 3, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_scan_unroll_and_reverse_in_every_mode(unroll, reverse, x64):
    def f(w, xs):
        c, ys = lax.scan(lambda c, x: (tnp.sin(c * w) + x, c * x), 0.3, xs, reverse=reverse,
                         unroll=unroll)
        return c + tnp.sum(ys ** 2)

    xs = tnp.linspace(-1.0, 1.0, 6)

    def ref(w):
        c, total = 0.3, 0.0
        for x in (xs.to_numpy()[::-1] if reverse else xs.to_numpy()):
            total += (c * x) ** 2
            c = np.sin(c * w) + x
        return c + total

    np.testing.assert_allclose(f(0.7, xs), ref(0.7), rtol=1e-12)
    np.testing.assert_allclose(tl.jit(f)(0.7, xs), ref(0.7), rtol=1e-12)
    fd = (ref(0.7 + 1e-6) - ref(0.7 - 1e-6)) / 2e-6
    for g in (tl.grad(f), tl.jit(tl.grad(f)), tl.jacfwd(f)):
        np.testing.assert_allclose(g(0.7, xs), fd, rtol=1e-6)
    ws = tnp.array([0.1, 0.7, 1.3])
    np.testing.assert_allclose(tl.vmap(tl.grad(f), in_axes=(0, None))(ws, xs),
                               [tl.grad(f)(w, xs) for w in ws], rtol=1e-12)


@pytest.mark.parametrize("policy", ["nothing_saveable", "everything_saveable",
                                    "dots_saveable", "names"])
def test_checkpoint_policies(policy, x64):
    pol = (tl.checkpoint_policies.save_only_these_names("h") if policy == "names"
           else getattr(tl.checkpoint_policies, policy))
    rng = np.random.default_rng(1)
    W = tnp.asarray(rng.normal(size=(3, 3)))

    def step(h, x):
        h = tl.checkpoint_name(tnp.tanh(h @ W + x), "h")
        return h, tnp.sum(tnp.sin(h))

    def loss(W_, xs, ckpt):
        s = tl.checkpoint(step, policy=pol) if ckpt else step
        return tnp.sum(lax.scan(s, tnp.zeros(3), xs)[1])

    xs = tnp.asarray(rng.normal(size=(7, 3)))
    want = tl.grad(lambda w: loss(w, xs, False))(W)
    for g in (tl.grad(lambda w: loss(w, xs, True)), tl.jit(tl.grad(lambda w: loss(w, xs, True)))):
        np.testing.assert_allclose(g(W), want, rtol=1e-12)
    graph = tl.make_graph(tl.grad(lambda xs: loss(W, xs, True)))(xs)
    fwd_scan = _eqns(graph, "scan")[0]
    (ck,) = _eqns(fwd_scan.params["graph"], "checkpoint")
    saved = len(ck.outputs) - 2  # beyond the step's two outputs
    assert saved == {"nothing_saveable": 0, "dots_saveable": 1, "names": 1}.get(policy, saved)
    if policy == "everything_saveable":
        assert saved >= 3


def test_checkpoint_closing_over_a_differentiated_value_around_a_scan(x64):
    def f(p):
        whole = tl.checkpoint(lambda c0: lax.scan(lambda c, x: (tnp.sin(c * p) + x, c), c0,
                                                  tnp.ones(4)))
        c, ys = whole(p)
        return c + tnp.sum(ys)

    fd = (f(0.7 + 1e-6) - f(0.7 - 1e-6)) / 2e-6
    for g in (tl.grad(f), tl.jit(tl.grad(f)), tl.grad(tl.jit(f)), tl.jacfwd(f)):
        np.testing.assert_allclose(g(0.7), fd, rtol=1e-6)
    np.testing.assert_allclose(tl.grad(tl.grad(f))(0.7),
                               (tl.grad(f)(0.7 + 1e-5) - tl.grad(f)(0.7 - 1e-5)) / 2e-5,
                               rtol=1e-5)


def test_checkpoint_static_argnums():
    f = tl.checkpoint(lambda x, n: x ** n, static_argnums=(1,))
    assert float(tl.grad(f)(2.0, 3)) == 12.0


def test_reverse_mode_while_loop(x64):
    def f(a):
        return lax.while_loop(lambda x: x < 10.0, lambda x: x * a, 1.0)

    # a = 1.5: 6 steps, x = a**6; d/da = 6 a**5
    assert float(f(1.5)) == pytest.approx(1.5 ** 6)
    assert float(tl.grad(f)(1.5)) == pytest.approx(6 * 1.5 ** 5)
    # lanes with different trip counts (2, 4 and 7 steps)
    a = tnp.array([4.0, 2.0, 1.4])
    steps = np.array([2, 4, 7])
    np.testing.assert_allclose(tl.vmap(tl.grad(f))(a), steps * a.to_numpy() ** (steps - 1))
    np.testing.assert_allclose(tl.jacrev(lambda v: tl.vmap(f)(v))(a),
                               np.diag(steps * a.to_numpy() ** (steps - 1)))
    bounded = lambda a: lax.while_loop(lambda x: x < 10.0, lambda x: x * a, 1.0,  # noqa: E731
                                       max_steps=20)
    np.testing.assert_allclose(tl.jit(tl.vmap(tl.grad(bounded)))(a),
                               steps * a.to_numpy() ** (steps - 1))
    assert float(tl.jit(tl.grad(bounded))(1.5)) == pytest.approx(6 * 1.5 ** 5)
    # max_steps is a bound the loop never exceeds, differentiated or not
    short = lambda a: lax.while_loop(lambda x: x < 10.0, lambda x: x * a, 1.0,  # noqa: E731
                                     max_steps=3)
    assert float(short(1.5)) == pytest.approx(1.5 ** 3)
    assert float(tl.jit(tl.grad(short))(1.5)) == pytest.approx(3 * 1.5 ** 2)


def test_docs_control_flow_examples():
    """The numbers docs/control-flow.md prints."""
    f = lambda a: lax.while_loop(lambda x: x < 10.0, lambda x: x * a, 1.0)  # noqa: E731
    assert (float(f(1.5)), float(tl.grad(f)(1.5))) == (11.390625, 45.5625)
    assert float(tl.jit(tl.grad(f))(1.5)) == 45.5625
    g = lambda a: lax.while_loop(lambda x: x < 10.0, lambda x: x * a, 1.0,  # noqa: E731
                                 max_steps=20)
    assert float(tl.jit(tl.grad(g))(1.5)) == 45.5625
    assert "while_grad[" in str(tl.make_graph(tl.grad(f))(1.5))
    assert "while_grad[" not in str(tl.make_graph(tl.grad(g))(1.5))

    def loss(w, xs):
        def step(h, x):
            h = tnp.tanh(w * h + x)
            return h, h

        _, hs = lax.scan(step, 0.0, xs)
        return tnp.sum(hs)

    text = str(tl.make_graph(tl.grad(loss))(0.5, tnp.ones(1000)))
    assert text.count("scan[") == 2 and "reverse=True" in text and "length=1000" in text


def test_body_errors_leave_no_level_behind():
    def bad(c, x):
        if c > 0:  # Python control flow on a traced carry
            return c, x
        return c, x

    for run in (lambda: lax.scan(bad, 0.0, tnp.ones(3)),
                lambda: tl.jit(lambda xs: lax.scan(bad, 0.0, xs))(tnp.ones(3)),
                lambda: tl.grad(lambda w: lax.scan(bad, w, tnp.ones(3))[0])(1.0)):
        with pytest.raises(tl.errors.ConcretizationError, match="scan|concrete"):
            run()
        assert trace_depth() == 0


@pytest.mark.parametrize("batch_size", [None, 1, 2, 5, 7])
def test_map_batch_size_and_fori_unroll(batch_size, x64):
    xs = tnp.linspace(-1.0, 1.0, 5)

    def f(w):
        return lax.map(lambda x: tnp.sin(x * w) * x, xs, batch_size=batch_size)

    want = np.sin(xs.to_numpy() * 0.5) * xs.to_numpy()
    np.testing.assert_allclose(f(0.5), want, rtol=1e-12)
    np.testing.assert_allclose(tl.jit(f)(0.5), want, rtol=1e-12)
    np.testing.assert_allclose(tl.jacrev(f)(0.5), np.cos(xs.to_numpy() * 0.5) * xs.to_numpy()
                               ** 2, rtol=1e-12)
    g = lambda w: lax.fori_loop(0, 5, lambda i, c: c * w + i, 1.0, unroll=2)  # noqa: E731
    assert float(g(2.0)) == 2.0 ** 5 + sum(i * 2.0 ** (4 - i) for i in range(5))
    with pytest.raises(ValueError, match="fori_loop: unroll needs Python-int"):
        tl.jit(lambda n: lax.fori_loop(0, n, lambda i, c: c + i, 0, unroll=2))(3)


def _clipped():
    @tl.custom_vjp
    def f(x, w):
        return tnp.sin(x) * w

    f.defvjp(lambda x, w: (f(x, w), (x, w)),
             lambda res, g: (tnp.cos(res[0]) * res[1] * g * 0.5, tnp.sin(res[0]) * g))
    return f


def _scaled_exp():
    @tl.custom_jvp
    def f(x):
        return tnp.exp(x)

    f.defjvp(lambda p, t: (f(p[0]), 3.0 * f(p[0]) * t[0]))
    return f


def test_custom_rules_are_graphs_and_compose(x64):
    """custom_jvp/custom_vjp hold closed graphs of the function and its rules; the rules hold
    inside a scan under every composition, and under vmap."""
    f, g = _clipped(), _scaled_exp()

    def prog(p):
        def step(c, x):
            c = f(c + x, p) + g(c * 0.1)
            return c, c
        c, ys = lax.scan(step, 0.3, tnp.linspace(0, 1, 4))
        return c + ys.sum()

    text = str(tl.make_graph(prog)(0.7))
    assert "custom_vjp_call[bwd={ lambda" in text and "custom_jvp_call[call={ lambda" in text
    # the rules are not the functions' derivatives: compare each composition with itself
    want = float(tl.grad(prog)(0.7))
    for h in (tl.jit(tl.grad(prog)), tl.grad(tl.jit(prog)), tl.jacrev(prog)):
        np.testing.assert_allclose(h(0.7), want, rtol=1e-12)
    ws = tnp.array([0.7, 0.8])
    np.testing.assert_allclose(tl.vmap(tl.grad(prog))(ws), [tl.grad(prog)(w) for w in ws],
                               rtol=1e-12)
    np.testing.assert_allclose(tl.jit(tl.vmap(tl.grad(prog)))(ws),
                               [tl.grad(prog)(w) for w in ws], rtol=1e-12)
    # the custom JVP holds under vmap and jit
    assert float(tl.grad(g)(0.0)) == 3.0
    np.testing.assert_allclose(tl.vmap(tl.grad(g))(tnp.zeros(2)), [3.0, 3.0])
    np.testing.assert_allclose(tl.jit(tl.vmap(tl.jacfwd(g)))(tnp.zeros(2)), [3.0, 3.0])


def test_custom_rule_closing_over_a_differentiated_value_is_an_error():
    def h(w):
        f = tl.custom_jvp(lambda x: x * w)
        f.defjvp(lambda p, t: (f(p[0]), t[0] * w))
        return f(2.0)

    with pytest.raises(TypeError, match="custom_jvp: the function closes over a value that is "
                                        "being differentiated"):
        tl.grad(h)(1.0)
    assert trace_depth() == 0


def test_eager_loops_keep_no_graph_alive():
    """Each eager call traces new body graphs; the compiled-program caches are keyed weakly
    by them, so nothing accumulates across calls."""
    import gc

    w = tnp.ones((4, 4)) * 0.1
    xs = tnp.ones((5, 4))

    def loss(w):
        return lax.scan(lambda h, x: (tnp.tanh(h @ w + x), h.sum()), tnp.zeros(4), xs)[1].sum()

    g = tl.grad(loss)
    g(w)
    gc.collect()
    before = sum(type(o) is Graph for o in gc.get_objects())
    for _ in range(20):
        g(w)
    gc.collect()
    assert sum(type(o) is Graph for o in gc.get_objects()) <= before


def test_disable_jit_runs_control_flow_in_python(capsys):
    """Under tl.disable_jit(), control flow runs the Python bodies step by step on concrete
    values (as JAX does), so print and pdb inside a body see numbers; results are the same."""

    def f(x):
        def step(c, v):
            print("step", float(c))  # float() needs a concrete value
            return c + v, c * v

        c, ys = lax.scan(step, 0.0, x)
        c = lax.cond(c > 1.0, lambda a: a * 2, lambda a: a, c)
        c = lax.while_loop(lambda a: a < 100.0, lambda a: a * 3, c)
        c = lax.fori_loop(0, 2, lambda i, a: a + float(i), c)
        return tl.checkpoint(lambda a: a + 1.0)(c), ys

    x = tnp.arange(1.0, 4.0)
    with pytest.raises(tl.errors.ConcretizationError, match="inside a scan body"):
        tl.jit(f)(x)  # staged, float() of a traced value cannot work
    capsys.readouterr()
    with tl.disable_jit():
        c, ys = tl.jit(f)(x)
    assert capsys.readouterr().out.split() == ["step", "0.0", "step", "1.0", "step", "3.0"]
    # c: 0 -> 1 -> 3 -> 6; cond doubles (12); while triples past 100 (108); fori adds 0, 1
    assert float(c) == 110.0
    np.testing.assert_allclose(ys, [0.0, 2.0, 9.0])
