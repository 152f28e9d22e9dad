"""Structured control flow under composed transformations: a program x composition grid.

Each program is a small model whose control flow (``lax.scan``, ``fori_loop``, ``while_loop``,
``switch``, ``cond``, ``map``, ``checkpoint``) *closes over* its float64 parameters, as real
models do. It is written once, generic over a namespace ``(np, lax, checkpoint)``, and run

* on tensorlib (``tensorlib.numpy``, ``tensorlib.lax``, ``tensorlib.checkpoint``): the code
  under test, under every composition of ``jit``, ``vmap``, ``grad``, ``jacfwd``, ``jacrev``
  and ``hessian`` in ``COMPOSITIONS``;
* on JAX (``jax.numpy``, ``jax.lax``, ``jax.checkpoint``): the oracle, where JAX is installed
  and supports the composition;
* on NumPy with a plain-Python ``lax`` (``_RefLax``): the value oracle where JAX is missing.

Where JAX cannot give the answer (reverse mode through ``while_loop``) or is not installed,
derivatives are checked against float64 central finite differences of tensorlib's own (eager)
value function: the full gradient/Hessian for small parameter vectors, random directional
projections ``g.v`` and ``v.H.w`` for large ones.

The file ends with a check that reverse mode through ``scan`` is not unrolled in the staged
graph, and with bad-input tests (error messages, no staging level left behind), eagerly and
under ``jit``.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.numpy as tnp
from tensorlib import lax
from tensorlib._src import core

try:  # the oracle; without it the tests fall back to NumPy references and finite differences
    import jax
    import jax.numpy as jnp
except ImportError:  # pragma: no cover - depends on the environment
    jax = jnp = None

RTOL_JAX, ATOL_JAX = 1e-6, 1e-9
RTOL_FD, ATOL_FD = 1e-4, 1e-6
T = 5  # scan length of the sequence programs
H = 8  # RNN width


# ============================================================================================
# The programs: written once, generic over (np, lax, checkpoint). ``p`` is the parameter pytree
# (what the compositions differentiate / batch over), ``x`` fixed data; the control flow
# closes over ``p``. Each returns a small float64 array; the scalar loss is ``sum(out**2)``.
# ============================================================================================


def rnn(np, lax, ckpt, p, xs):
    """8-wide tanh RNN over T steps; W, U, b closed over by the scan body."""
    W, U, b = p["W"], p["U"], p["b"]

    def step(h, x):
        h = np.tanh(W @ h + U @ x + b)
        return h, h

    _, ys = lax.scan(step, np.zeros(H), xs)
    return ys


def ode(np, lax, ckpt, p, y0):
    """RK2 (midpoint) integration of dy/dt = -k*y + 0.5*sin(y) + 0.01*i, 10 steps, rates k."""
    dt = 0.1

    def rhs(y):
        return -p * y + 0.5 * np.sin(y)

    def body(i, y):
        k1 = rhs(y)
        k2 = rhs(y + 0.5 * dt * k1)
        return y + dt * k2 + 0.01 * i

    return lax.fori_loop(0, 10, body, y0)


def newton(np, lax, ckpt, p, x0):
    """while_loop: Newton's iteration for the cube roots of ``a = p`` until |x**3 - a| < tol.

    The root depends smoothly on ``a``, and so (after convergence) does the iterate, so the
    output ``x * a`` is differentiable; the trip count varies with ``a`` and across lanes.
    """

    def cond(c):
        x, i = c
        return np.logical_and(np.max(np.abs(x ** 3 - p)) > 1e-13, i < 60)

    def body(c):
        x, i = c
        return x - (x ** 3 - p) / (3.0 * x ** 2), i + 1

    x, _ = lax.while_loop(cond, body, (x0, 0))
    return x * p


def test_unbounded_while_under_jit_grad():
    """Staged reverse mode learns the trip count when the program runs (tensorlib extension)."""
    from tensorlib._src.core import trace_depth

    def f(a):
        return tl.lax.while_loop(lambda x: x < 10.0 * a, lambda x: x * 1.5 + a, a)

    np.testing.assert_allclose(tl.jit(tl.grad(f))(1.0), tl.grad(f)(1.0), rtol=1e-6)
    assert float(tl.grad(f)(1.0)) > 0
    assert trace_depth() == 0


def piecewise(np, lax, ckpt, p, x):
    """switch over 3 branches, the index computed from the input; branches close over p."""
    k = np.clip(np.floor(p[0]), 0, 2).astype(np.int32)
    branches = [lambda v: np.sin(p * v) + p,
                lambda v: np.cos(p) * v ** 2,
                lambda v: np.exp(-p * v) * p[1]]
    return lax.switch(k, branches, x)


def cond(np, lax, ckpt, p, x):
    """cond on a data- (and parameter-) dependent predicate; both branches close over p."""
    return lax.cond(np.sum(p * x) > 0,
                    lambda v: np.tanh(p * v) * 2.0,
                    lambda v: p ** 2 * v - 1.0,
                    x)


def nested_scan(np, lax, ckpt, p, xs):
    """A scan whose body is a scan; both close over p. xs: (4, 3, 3)."""

    def inner(c, x):
        c = np.sin(c * p + x)
        return c, np.sum(c * p)

    def outer(c, rows):
        c2, ys = lax.scan(inner, c, rows)
        return 0.9 * c2 + p, ys

    c, ys = lax.scan(outer, np.zeros(3), xs)
    return np.concatenate([c, np.reshape(ys, (-1,))])


def reverse_unroll(np, lax, ckpt, p, xs):
    """scan(reverse=True, unroll=2) over T=5 steps (an odd length: a remainder step)."""

    def step(c, x):
        c = c * np.cos(p) + x * p
        return c, c[0] * x

    c, ys = lax.scan(step, np.ones(3), xs, reverse=True, unroll=2)
    return np.concatenate([c, np.reshape(ys, (-1,))])


def map_(np, lax, ckpt, p, xs):
    """lax.map over the rows of xs, the mapped function closing over p."""
    return lax.map(lambda row: np.sum(np.tanh(row * p) * p) + row * p[0], xs).reshape(-1)


def cond_in_scan(np, lax, ckpt, p, xs):
    """A cond in a scan body; the predicate depends on the step's x and on p."""

    def step(c, x):
        c = lax.cond(np.sum(x * p) > 0,
                     lambda c: c * p + x,
                     lambda c: np.sin(c) - p * x,
                     c)
        return c, np.sum(c)

    c, ys = lax.scan(step, np.zeros(3), xs)
    return np.concatenate([c, ys])


def scan_in_cond(np, lax, ckpt, p, xs):
    """A scan in each branch of a cond; the scan bodies close over p (and over xs)."""

    def run_a(c):
        return lax.scan(lambda c, x: (np.tanh(c * p + x), c), c, xs)[0]

    def run_b(c):
        return lax.scan(lambda c, x: (c * np.cos(p) - x, c), c, xs, reverse=True)[0]

    return lax.cond(p[0] > 0.5, run_a, run_b, np.full(3, 0.1))


def checkpoint_body(np, lax, ckpt, p, xs):
    """checkpoint(step) used as the body of a scan."""

    @ckpt
    def step(c, x):
        c = np.sin(c * p) + x
        return c, np.sum(c ** 2)

    c, ys = lax.scan(step, 0.5 * p, xs)
    return np.concatenate([c, ys])


def checkpoint_whole(np, lax, ckpt, p, xs):
    """checkpoint around a whole scan (whose body closes over p)."""

    def whole(c0):
        return lax.scan(lambda c, x: (np.sin(c * p) + x, np.sum(c * x)), c0, xs)

    c, ys = ckpt(whole)(0.5 * p)
    return np.concatenate([c, ys])


def fori_traced(np, lax, ckpt, p, y0):
    """fori_loop whose upper bound is computed from p: traced under jit/vmap (a while_loop)."""
    n = np.floor(p[0]).astype(np.int32)
    return lax.fori_loop(0, n, lambda i, y: y * np.cos(p) + 0.1 * i, y0)


# --------------------------------------------------------------------------------------------
# Parameters, data and batches (NumPy float64; fixed, independent of the per-test seed).


def _rs(name):
    return np.random.RandomState(sum(name.encode()))


def _rnn_setup():
    r = _rs("rnn")

    def params(r):
        return {"W": 0.4 * r.randn(H, H), "U": 0.5 * r.randn(H, 2), "b": 0.1 * r.randn(H)}

    return params(r), r.randn(T, 2), [params(r) for _ in range(2)]


def _vec_setup(name, data_shape, p, *lanes):
    r = _rs(name)
    return np.asarray(p, np.float64), r.randn(*data_shape), [np.asarray(q, np.float64)
                                                           for q in lanes]


# Every lane of a batch sits away from the kinks (floor, predicates), so finite differences
# are valid, and the lanes take different branches / trip counts where the program has them.
SETUPS = {
    "rnn": _rnn_setup,
    "ode": lambda: _vec_setup("ode", (3,), [0.7, 1.3, 0.2], [0.5, 1.0, 2.0], [2.0, 0.1, 0.9]),
    "newton": lambda: (np.array([2.0, 0.7, 5.0]), np.array([1.0, 1.2, 1.5]),
                       [np.array([3.0, 0.2, 9.0]), np.array([1.1, 1.4, 0.6])]),
    "piecewise": lambda: _vec_setup("piecewise", (3,), [1.3, 0.6, -0.4],
                                    [0.4, 0.8, 0.3], [2.6, -0.5, 1.2], [1.7, 0.2, 0.9]),
    "cond": lambda: (np.array([0.8, -0.3, 0.5]), np.array([1.0, 0.5, 0.2]),
                     [np.array([0.6, 0.4, -0.2]), np.array([-0.9, 0.3, 0.1])]),
    "nested_scan": lambda: _vec_setup("nested_scan", (4, 3, 3), [0.7, -0.4, 1.1],
                                      [0.3, 0.9, -0.6], [1.2, 0.1, 0.5]),
    "reverse_unroll": lambda: _vec_setup("reverse_unroll", (T, 3), [0.7, -0.4, 1.1],
                                         [0.3, 0.9, -0.6], [1.2, 0.1, 0.5]),
    "map": lambda: _vec_setup("map", (4, 3), [0.7, -0.4, 1.1], [0.3, 0.9, -0.6],
                              [1.2, 0.1, 0.5]),
    "cond_in_scan": lambda: _vec_setup("cond_in_scan", (T, 3), [0.7, -0.4, 1.1],
                                       [-0.3, 0.9, -0.6], [1.2, 0.1, 0.5]),
    "scan_in_cond": lambda: _vec_setup("scan_in_cond", (T, 3), [0.8, -0.4, 1.1],
                                       [0.2, 0.9, -0.6], [1.2, 0.1, 0.5]),
    "checkpoint_body": lambda: _vec_setup("checkpoint_body", (T, 3), [0.7, -0.4, 1.1],
                                          [0.3, 0.9, -0.6], [1.2, 0.1, 0.5]),
    "checkpoint_whole": lambda: _vec_setup("checkpoint_whole", (T, 3), [0.7, -0.4, 1.1],
                                           [0.3, 0.9, -0.6], [1.2, 0.1, 0.5]),
    "fori_traced": lambda: _vec_setup("fori_traced", (3,), [3.3, 0.4, -0.7], [1.6, 0.2, 0.3],
                                      [4.5, -0.6, 1.0]),
}

PROGRAMS = {
    "rnn": rnn, "ode": ode, "newton": newton, "piecewise": piecewise, "cond": cond,
    "nested_scan": nested_scan, "reverse_unroll": reverse_unroll, "map": map_,
    "cond_in_scan": cond_in_scan, "scan_in_cond": scan_in_cond,
    "checkpoint_body": checkpoint_body, "checkpoint_whole": checkpoint_whole,
    "fori_traced": fori_traced,
}
WHILE_PROGRAMS = {"newton", "fori_traced"}  # contain a while_loop (under jit/vmap at least)
FORWARD_ONLY = {"fori_traced"}  # only value and forward-mode compositions


# ============================================================================================
# Namespaces


class _RefLax:
    """Plain-Python structured control flow over NumPy: the value oracle without JAX."""

    @staticmethod
    def _leaves(t):
        if isinstance(t, dict):
            return [v for k in sorted(t) for v in _RefLax._leaves(t[k])]
        if isinstance(t, (tuple, list)):
            return [v for e in t for v in _RefLax._leaves(e)]
        return [] if t is None else [t]

    @staticmethod
    def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
        n = len(xs) if xs is not None else length
        order = range(n - 1, -1, -1) if reverse else range(n)
        carry, ys = init, [None] * n
        for i in order:
            carry, ys[i] = f(carry, None if xs is None else xs[i])
        if ys and ys[0] is None:
            return carry, None
        return carry, np.stack(ys) if n else None

    @staticmethod
    def fori_loop(lo, hi, body, init):
        v = init
        for i in range(int(lo), int(hi)):
            v = body(np.int32(i), v)
        return v

    @staticmethod
    def while_loop(cond_fun, body_fun, init):
        v = init
        while bool(cond_fun(v)):
            v = body_fun(v)
        return v

    @staticmethod
    def switch(index, branches, *ops):
        return branches[int(np.clip(index, 0, len(branches) - 1))](*ops)

    @staticmethod
    def cond(pred, t, f, *ops):
        return t(*ops) if bool(pred) else f(*ops)

    @staticmethod
    def map(f, xs):
        return np.stack([f(x) for x in xs])


def _identity(f):
    return f


def _tl_ns():
    return tnp, tl.lax, tl.checkpoint


def _jax_ns():
    return jnp, jax.lax, jax.checkpoint


def _tree_map(f, t):
    if isinstance(t, dict):
        return {k: _tree_map(f, v) for k, v in t.items()}
    if isinstance(t, (tuple, list)):
        return type(t)(_tree_map(f, v) for v in t)
    return f(t)


def _stack(trees):
    if isinstance(trees[0], dict):
        return {k: _stack([t[k] for t in trees]) for k in trees[0]}
    return np.stack(trees)


def _bind(name, ns, xnp):
    """The program's output and scalar loss as functions of p, on namespace ``ns``."""
    np_, lax_, ckpt = ns
    prog = PROGRAMS[name]
    _, data, _ = SETUPS[name]()
    x = xnp(data)

    def out(p):
        return prog(np_, lax_, ckpt, p, x)

    def loss(p):
        return np_.sum(out(p) ** 2)

    return out, loss


# ============================================================================================
# Compositions, as functions of (transformation namespace, out, loss) -> callable on p or P.

COMPOSITIONS = {
    # name: (reverse-mode?, batched input?, build(t, out, loss))
    "value": (False, False, lambda t, out, loss: out),
    "jit": (False, False, lambda t, out, loss: t.jit(out)),
    "vmap": (False, True, lambda t, out, loss: t.vmap(out)),
    "jit_vmap": (False, True, lambda t, out, loss: t.jit(t.vmap(out))),
    "grad": (True, False, lambda t, out, loss: t.grad(loss)),
    "jit_grad": (True, False, lambda t, out, loss: t.jit(t.grad(loss))),
    "grad_jit": (True, False, lambda t, out, loss: t.grad(t.jit(loss))),
    "vmap_grad": (True, True, lambda t, out, loss: t.vmap(t.grad(loss))),
    "jit_vmap_grad": (True, True, lambda t, out, loss: t.jit(t.vmap(t.grad(loss)))),
    "jacfwd": (False, False, lambda t, out, loss: t.jacfwd(loss)),
    "jacrev": (True, False, lambda t, out, loss: t.jacrev(loss)),
    "hessian": (True, False, lambda t, out, loss: t.hessian(loss)),
    "jit_jacfwd": (False, False, lambda t, out, loss: t.jit(t.jacfwd(loss))),
    "jit_jacrev": (True, False, lambda t, out, loss: t.jit(t.jacrev(loss))),
    "jit_hessian": (True, False, lambda t, out, loss: t.jit(t.hessian(loss))),
    # beyond the scalar loss: Jacobians of the program's (small) vector output
    "jacfwd_out": (False, False, lambda t, out, loss: t.jacfwd(out)),
    "jacrev_out": (True, False, lambda t, out, loss: t.jacrev(out)),
}

# What each composition computes, for the oracle (jit and composition order don't matter).
_ORACLE_KIND = {
    "value": "value", "jit": "value", "vmap": "vmap", "jit_vmap": "vmap",
    "grad": "grad", "jit_grad": "grad", "grad_jit": "grad",
    "vmap_grad": "vmap_grad", "jit_vmap_grad": "vmap_grad",
    "jacfwd": "jacfwd", "jit_jacfwd": "jacfwd", "jacrev": "jacrev", "jit_jacrev": "jacrev",
    "hessian": "hessian", "jit_hessian": "hessian",
    "jacfwd_out": "jacfwd_out", "jacrev_out": "jacrev_out",
}


def _grid():
    out = []
    for prog in PROGRAMS:
        for comp, (reverse, _, _) in COMPOSITIONS.items():
            if prog in FORWARD_ONLY and reverse:
                continue
            out.append(pytest.param(prog, comp, id=f"{prog}-{comp}"))
    return out


# ============================================================================================
# Oracles


class _JaxX64:
    def __enter__(self):
        self.prev = bool(jax.config.jax_enable_x64)
        jax.config.update("jax_enable_x64", True)

    def __exit__(self, *exc):
        jax.config.update("jax_enable_x64", self.prev)


def _to_np_tree(t):
    return _tree_map(lambda a: np.asarray(a), t)


# What JAX computes for each oracle kind: jacrev of the scalar loss is its gradient, and both
# Jacobians of the output are one matrix (computed in forward mode, which JAX can do through
# while_loop), so those share one oracle.
_JAX_KIND = {"jacfwd": "grad_fwd", "jacrev": "grad", "jacrev_out": "jac_out",
             "jacfwd_out": "jac_out"}
_JAX_FNS = {
    "value": lambda j, out, loss, p, P: out(p),
    "vmap": lambda j, out, loss, p, P: j.vmap(out)(P),
    "grad": lambda j, out, loss, p, P: j.grad(loss)(p),
    "grad_fwd": lambda j, out, loss, p, P: j.jacfwd(loss)(p),
    "vmap_grad": lambda j, out, loss, p, P: j.vmap(j.grad(loss))(P),
    "hessian": lambda j, out, loss, p, P: j.hessian(loss)(p),
    "jac_out": lambda j, out, loss, p, P: j.jacfwd(out)(p),
}


@functools.cache
def _jax_oracles(name):
    """JAX's answers for every kind it supports on ``name``, from one jitted function (one XLA
    compilation per program keeps the oracle's cost a few seconds for the whole grid)."""
    with _JaxX64():
        out, loss = _bind(name, _jax_ns(), lambda d: jnp.asarray(d, jnp.float64))
        p, _, lanes = SETUPS[name]()
        kinds = [k for k in _JAX_FNS if _jax_can(name, k)]

        @jax.jit
        def all_kinds(p, P):
            return {k: _JAX_FNS[k](jax, out, loss, p, P) for k in kinds}

        return _to_np_tree(all_kinds(_tree_map(jnp.asarray, p),
                                     _tree_map(jnp.asarray, _stack(lanes))))


def _jax_oracle(name, kind):
    return _jax_oracles(name)[_JAX_KIND.get(kind, kind)]


def _ref_value(name, p):
    out, _ = _bind(name, (np, _RefLax, _identity), lambda d: np.asarray(d, np.float64))
    return np.asarray(out(p), np.float64)


def _jax_can(name, kind):
    if jax is None:
        return False
    if name in WHILE_PROGRAMS and kind in ("grad", "vmap_grad", "jacrev", "hessian",
                                          "jacrev_out"):
        return False  # JAX refuses reverse mode through while_loop
    return True


# --- finite differences of tensorlib's eager value function --------------------------------


def _flatten_params(p):
    leaves = _RefLax._leaves(p)
    shapes = [np.shape(a) for a in leaves]
    vec = np.concatenate([np.ravel(a) for a in leaves]).astype(np.float64)

    def unflatten(v):
        out, k = [], 0
        for s in shapes:
            n = int(np.prod(s, dtype=int))
            out.append(np.reshape(v[k:k + n], s))
            k += n
        if isinstance(p, dict):
            return dict(zip(sorted(p), out))
        return out[0]

    return vec, unflatten, shapes


class _FD:
    """Central differences of the tensorlib eager function ``fn`` (of p) around p."""

    def __init__(self, fn, p):
        self.vec, self.unflat, self.shapes = _flatten_params(p)
        self.fn = fn
        self.n = self.vec.size

    def f(self, v):
        return np.asarray(self.fn(_tree_map(tnp.asarray, self.unflat(v))), np.float64)

    def dir1(self, v, h=1e-6):
        return (self.f(self.vec + h * v) - self.f(self.vec - h * v)) / (2 * h)

    def dir2(self, v, w, h=1e-4):
        f = self.f
        x = self.vec
        return (f(x + h * v + h * w) - f(x + h * v - h * w) - f(x - h * v + h * w)
                + f(x - h * v - h * w)) / (4 * h * h)


def _dense(leaves, shapes, out_shape=()):
    """Assemble a Jacobian (per-leaf blocks of shape out_shape + leaf shape) as a matrix."""
    m = int(np.prod(out_shape, dtype=int))
    return np.concatenate([np.reshape(np.asarray(b), (m, -1)) for b in leaves], axis=1)


def _dense_hessian(leaves, shapes):
    k = len(shapes)
    sizes = [int(np.prod(s, dtype=int)) for s in shapes]
    rows = []
    for i in range(k):
        rows.append(np.concatenate([np.reshape(np.asarray(leaves[i * k + j]),
                                               (sizes[i], sizes[j])) for j in range(k)],
                                   axis=1))
    return np.concatenate(rows, axis=0)


def _fd_check(name, kind, got, p, lanes):
    """Compare a derivative ``got`` (tensorlib's, as a NumPy pytree) with finite differences."""
    out_np, loss_np = _bind(name, _tl_ns(), lambda d: tnp.asarray(d, tnp.float64))
    r = np.random.RandomState(1)

    def check_jac(fd, J, out_shape=()):
        # J: dense (m, n) Jacobian; full differences for small n, random projections otherwise
        m = J.shape[0]
        dirs = np.eye(fd.n) if fd.n <= 12 else r.randn(4, fd.n)
        for v in dirs:
            want = np.reshape(fd.dir1(v), (m,))
            np.testing.assert_allclose(J @ v, want, rtol=RTOL_FD, atol=ATOL_FD,
                                       err_msg=f"{name}-{kind}: J.v vs finite differences")

    def check_hess(fd, Hm):
        if fd.n <= 12:
            pairs = [(np.eye(fd.n)[i], np.eye(fd.n)[j]) for i in range(fd.n)
                     for j in range(i, fd.n)]
        else:
            pairs = [(r.randn(fd.n), r.randn(fd.n)) for _ in range(3)]
        for v, w in pairs:
            np.testing.assert_allclose(v @ Hm @ w, fd.dir2(v, w), rtol=RTOL_FD, atol=ATOL_FD,
                                       err_msg=f"{name}-{kind}: v.H.w vs finite differences")

    if kind in ("grad", "jacfwd", "jacrev"):
        fd = _FD(loss_np, p)
        check_jac(fd, _dense(_RefLax._leaves(got), fd.shapes))
    elif kind == "vmap_grad":
        for i, q in enumerate(lanes):
            fd = _FD(loss_np, q)
            lane = _RefLax._leaves(_tree_map(lambda a, i=i: np.asarray(a)[i], got))
            check_jac(fd, _dense(lane, fd.shapes))
    elif kind == "hessian":
        fd = _FD(loss_np, p)
        check_hess(fd, _dense_hessian(_RefLax._leaves(got), fd.shapes))
    elif kind in ("jacfwd_out", "jacrev_out"):
        fd = _FD(out_np, p)
        out_shape = np.shape(_ref_value(name, p))
        check_jac(fd, _dense(_RefLax._leaves(got), fd.shapes, out_shape), out_shape)
    else:  # pragma: no cover
        raise AssertionError(kind)


# ============================================================================================
# The grid


def _assert_tree_close(got, want, rtol, atol, what):
    g_leaves, w_leaves = _RefLax._leaves(got), _RefLax._leaves(want)
    assert len(g_leaves) == len(w_leaves), f"{what}: {len(g_leaves)} leaves, want {len(w_leaves)}"
    for i, (g, w) in enumerate(zip(g_leaves, w_leaves)):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape, f"{what}: leaf {i} has shape {g.shape}, want {w.shape}"
        assert g.dtype == w.dtype, f"{what}: leaf {i} has dtype {g.dtype}, want {w.dtype}"
        scale = max(1.0, float(np.max(np.abs(w)))) if w.size else 1.0
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol * scale, err_msg=f"{what}: leaf {i}")


def _to_np(t):
    if isinstance(t, dict):
        return {k: _to_np(v) for k, v in t.items()}
    if isinstance(t, (tuple, list)):
        return type(t)(_to_np(v) for v in t)
    return np.asarray(t)


@pytest.mark.parametrize("name,comp", _grid())
def test_grid(name, comp, x64):
    reverse, batched, build = COMPOSITIONS[comp]
    kind = _ORACLE_KIND[comp]
    out, loss = _bind(name, _tl_ns(), lambda d: tnp.asarray(d, tnp.float64))
    p, _, lanes = SETUPS[name]()
    arg = _stack(lanes) if batched else p
    fn = build(tl, out, loss)
    got = _to_np(fn(_tree_map(tnp.asarray, arg)))
    assert core.trace_depth() == 0

    what = f"{name}-{comp}"
    if _jax_can(name, kind):
        _assert_tree_close(got, _jax_oracle(name, kind), RTOL_JAX, ATOL_JAX, what)
    elif kind == "value":
        _assert_tree_close(got, _ref_value(name, p), RTOL_JAX, ATOL_JAX, what)
    elif kind == "vmap":
        want = np.stack([_ref_value(name, q) for q in lanes])
        _assert_tree_close(got, want, RTOL_JAX, ATOL_JAX, what)
    else:
        _fd_check(name, kind, got, p, lanes)


def test_reference_programs_agree(x64):
    """The NumPy reference (the fallback oracle) and JAX agree on every program's value."""
    if jax is None:
        pytest.skip("JAX is not installed: nothing to compare the NumPy reference with")
    for name in PROGRAMS:
        p, _, lanes = SETUPS[name]()
        _assert_tree_close(_ref_value(name, p), _jax_oracle(name, "value"), 1e-12, 1e-12, name)
        want = np.stack([_ref_value(name, q) for q in lanes])
        _assert_tree_close(want, _jax_oracle(name, "vmap"), 1e-12, 1e-12, name + " lanes")


# ============================================================================================
# Reverse mode through scan stays a loop in the staged graph


def _rnn_grad_graph(steps):
    p, _, _ = SETUPS["rnn"]()
    xs = np.random.RandomState(0).randn(steps, 2)

    def rnn_loss(params):
        return tnp.sum(rnn(tnp, tl.lax, tl.checkpoint, params, tnp.asarray(xs)) ** 2)

    return tl.make_graph(tl.grad(rnn_loss))(_tree_map(tnp.asarray, p))


def test_scan_grad_graph_is_not_unrolled(x64):
    g10 = _rnn_grad_graph(10)
    text = str(g10)
    assert "scan[" in text, f"no scan equation in the graph of grad(rnn_loss):\n{text}"
    n10 = len(g10.eqns)
    # T=20 first (cheap): an unrolled graph already differs there
    n20 = len(_rnn_grad_graph(20).eqns)
    assert n20 == n10, f"grad(rnn_loss) has {n10} equations for T=10 but {n20} for T=20"
    n1000 = len(_rnn_grad_graph(1000).eqns)
    assert n1000 == n10, f"grad(rnn_loss) has {n10} equations for T=10 but {n1000} for T=1000"
    assert core.trace_depth() == 0


# ============================================================================================
# Bad inputs: the error names the primitive and the types, and no staging level is left behind

_MODES = ["eager", "jit"]


def _run(mode, f, *args):
    if mode == "jit":
        return tl.jit(f)(*args)
    return f(*args)


def _raises(mode, exc, match, f, *args):
    try:
        with pytest.raises(exc, match=match):
            _run(mode, f, *args)
    finally:
        depth = core.trace_depth()
    assert depth == 0, f"{depth} staging level(s) left behind after the error"


@pytest.mark.parametrize("mode", _MODES)
def test_scan_carry_shape_change(mode):
    xs = tnp.ones((4, 2), tnp.float32)

    def f(xs):
        return lax.scan(lambda c, x: (tnp.concatenate([c, x[:1]]), None),
                        tnp.zeros(3, tnp.float32), xs)

    _raises(mode, (TypeError, ValueError), r"(?s)scan.*f32\[3\].*f32\[4\]", f, xs)


@pytest.mark.parametrize("mode", _MODES)
def test_scan_carry_dtype_change(mode):
    xs = tnp.ones((4, 3), tnp.float32)

    def f(xs):
        return lax.scan(lambda c, x: (c.astype(tnp.float32) + x, None),
                        tnp.zeros(3, tnp.int32), xs)

    _raises(mode, (TypeError, ValueError), r"(?s)scan.*i32\[3\].*f32\[3\]", f, xs)


@pytest.mark.parametrize("mode", _MODES)
@pytest.mark.parametrize("other,pattern", [
    (lambda v: v[:2], r"(?s)cond.*(f32\[3\].*f32\[2\]|f32\[2\].*f32\[3\])"),
    (lambda v: v.astype(tnp.int32), r"(?s)cond.*(f32\[3\].*i32\[3\]|i32\[3\].*f32\[3\])"),
], ids=["shape", "dtype"])
def test_cond_branches_differ(mode, other, pattern):
    x = tnp.ones(3, tnp.float32)

    def f(x):
        return lax.cond(tnp.sum(x) > 0, lambda v: v, other, x)

    _raises(mode, (TypeError, ValueError), pattern, f, x)


@pytest.mark.parametrize("mode", _MODES)
def test_switch_branches_differ(mode):
    x = tnp.ones(3, tnp.float32)

    def f(x):
        return lax.switch(1, [lambda v: v, lambda v: v, lambda v: tnp.sum(v)], x)

    _raises(mode, (TypeError, ValueError), r"(?s)(switch|cond).*f32\[\]", f, x)


@pytest.mark.parametrize("mode", _MODES)
def test_scan_xs_lengths_differ(mode):
    a, b = tnp.ones((3, 2)), tnp.ones((4, 2))

    def f(a, b):
        return lax.scan(lambda c, x: (c + tnp.sum(x[0]) + tnp.sum(x[1]), None), 0.0, (a, b))

    _raises(mode, (TypeError, ValueError), r"(?s)scan.*(3.*4|4.*3)", f, a, b)


@pytest.mark.parametrize("mode", _MODES)
def test_while_cond_not_scalar(mode):
    x = tnp.zeros(2, tnp.float32)

    def f(x):
        return lax.while_loop(lambda c: c < 3, lambda c: c + 1, x)

    _raises(mode, (TypeError, ValueError), r"(?s)cond_fun.*(scalar|bool)", f, x)


@pytest.mark.parametrize("mode", _MODES)
def test_while_cond_not_bool(mode):
    x = tnp.zeros(2, tnp.float32)

    def f(x):
        return lax.while_loop(lambda c: c[0] - 3.0, lambda c: c + 1, x)

    _raises(mode, (TypeError, ValueError), r"(?s)cond_fun.*(scalar|bool)", f, x)


@pytest.mark.parametrize("mode", _MODES)
def test_python_if_on_traced_value_in_scan_body(mode):
    xs = tnp.arange(4.0)

    def body(c, x):
        if x > 1:  # Python control flow on the loop's (traced) x
            c = c + x
        return c, None

    def f(xs):
        return lax.scan(body, 0.0, xs)

    _raises(mode, Exception, r"(?i)concrete|traced|tracer", f, xs)


@pytest.mark.parametrize("mode", _MODES)
def test_error_inside_scan_under_grad(mode):
    """An error raised while differentiating leaves no staging level behind either."""
    xs = tnp.ones((4, 2), tnp.float32)

    def loss(c0):
        c, _ = lax.scan(lambda c, x: (tnp.concatenate([c, x[:1]]), None), c0, xs)
        return tnp.sum(c)

    _raises(mode, (TypeError, ValueError), r"(?s)scan.*f32\[3\].*f32\[4\]", tl.grad(loss),
            tnp.zeros(3, tnp.float32))
