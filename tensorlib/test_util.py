"""Testing helpers: ``check_grads`` compares JVPs and VJPs with central finite differences.

Run it in float64 (``tl.config.update("enable_x64", True)``) for tight tolerances.
"""

from __future__ import annotations

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.api import jvp, vjp
from tensorlib._src.core import Array, asarray
from tensorlib._src.tree_util import tree_flatten, tree_map, tree_unflatten

_DEFAULT_EPS = {np.dtype(np.float64): 1e-4, np.dtype(np.float32): 1e-2}
_DEFAULT_TOL = {np.dtype(np.float64): 1e-5, np.dtype(np.float32): 2e-2}


def _rand_like(rng, x):
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.inexact):
        return None
    v = rng.standard_normal(x.shape)
    if np.issubdtype(x.dtype, np.complexfloating):
        v = v + 1j * rng.standard_normal(x.shape)
    return asarray(v.astype(x.dtype))


def _inner(xs, ys):
    tot = 0.0
    for x, y in zip(xs, ys):
        if x is None or y is None:
            continue
        tot += float(np.real(np.vdot(np.asarray(x, np.complex128).ravel(),
                                     np.asarray(y, np.complex128).ravel())))
    return tot


def _axpy(a, v, x):
    return tree_map(lambda vi, xi: xi if vi is None else asarray(np.asarray(xi) + a * np.asarray(vi)
                                                              ).astype(xi.dtype), v, x,
                    is_leaf=lambda z: z is None)


def _numerical_jvp(f, args, tangents, eps):
    plus = f(*_axpy(eps, tangents, args))
    minus = f(*_axpy(-eps, tangents, args))
    return tree_map(lambda p, m: (np.asarray(p, np.float64 if not np.iscomplexobj(p)
                                             else np.complex128) - np.asarray(m)) / (2 * eps),
                    plus, minus)


def _check_close(name, got, want, tol):
    g = np.asarray(got, np.complex128)
    w = np.asarray(want, np.complex128)
    if g.shape != w.shape:
        raise AssertionError(f"{name}: shape {g.shape} != expected {w.shape}")
    err = np.max(np.abs(g - w), initial=0.0)
    scale = 1.0 + np.max(np.abs(w), initial=0.0)
    if not err <= tol * scale:
        raise AssertionError(f"{name}: max abs error {err:.3g} exceeds {tol:.1g} * {scale:.3g}"
                             f"\n got: {g}\nwant: {w}")


def check_jvp(f, args, eps=None, tol=None, rng=None):
    rng = rng or np.random.default_rng(0)
    args = [asarray(a) if not isinstance(a, Array) else a for a in args]
    dt = args[0].dtype
    eps = eps or _DEFAULT_EPS.get(np.dtype(dt), 1e-4)
    tol = tol or _DEFAULT_TOL.get(np.dtype(dt), 1e-5)
    tangents = [_rand_like(rng, a) for a in args]
    tangents_in = [t if t is not None else np.zeros(np.shape(a), dtypes.float0)
                   for t, a in zip(tangents, args)]
    out, t_out = jvp(f, tuple(args), tuple(tangents_in))
    num = _numerical_jvp(f, args, tangents, eps)
    for i, (a, b) in enumerate(zip(tree_flatten(t_out)[0], tree_flatten(num)[0])):
        _check_close(f"JVP of {getattr(f, '__name__', f)} output {i}", a, b, tol)


def check_vjp(f, args, eps=None, tol=None, rng=None):
    rng = rng or np.random.default_rng(1)
    args = [asarray(a) if not isinstance(a, Array) else a for a in args]
    dt = args[0].dtype
    eps = eps or _DEFAULT_EPS.get(np.dtype(dt), 1e-4)
    tol = tol or _DEFAULT_TOL.get(np.dtype(dt), 1e-5)
    out, pullback = vjp(f, *args)
    out_flat, out_tree = tree_flatten(out)
    cts = [_rand_like(rng, o) for o in out_flat]
    cts = [c if c is not None else asarray(np.zeros(np.shape(o), np.float32))
           for c, o in zip(cts, out_flat)]
    tangents = [_rand_like(rng, a) for a in args]
    ct_in = pullback(tree_unflatten(out_tree, cts))
    num = tree_flatten(_numerical_jvp(f, args, tangents, eps))[0]
    lhs = _inner([np.asarray(c) for c in cts], num)
    rhs = _inner(tangents, [None if t is None else c for t, c in zip(tangents, ct_in)])
    _check_close(f"VJP of {getattr(f, '__name__', f)} (<u, J v> vs <J^T u, v>)", rhs, lhs, tol)


def check_grads(f, args, order, modes=("fwd", "rev"), atol=None, rtol=None, eps=None):
    """Check derivatives of ``f`` at ``args`` up to ``order`` against finite differences.

    Examples
    --------
    >>> import tensorlib as tl, tensorlib.numpy as tnp
    >>> from tensorlib.test_util import check_grads
    >>> check_grads(tnp.sin, (tnp.asarray(0.5),), order=2)
    """
    tol = atol or rtol
    args = tuple(args)
    if "fwd" in modes:
        check_jvp(f, args, eps, tol)
        if order > 1:
            rng = np.random.default_rng(2)
            ts = [_rand_like(rng, a) for a in args]

            def f_jvp(*xs):
                return jvp(f, xs, tuple(t if t is not None else
                                        np.zeros(np.shape(x), dtypes.float0)
                                        for t, x in zip(ts, xs)))[1]

            check_grads(f_jvp, args, order - 1, ("fwd",), atol, rtol, eps)
    if "rev" in modes:
        check_vjp(f, args, eps, tol)
        if order > 1:
            rng = np.random.default_rng(3)
            out = f(*args)
            out_flat, out_tree = tree_flatten(out)
            cts = tree_unflatten(out_tree, [_rand_like(rng, o) for o in out_flat])

            def f_vjp(*xs):
                return vjp(f, *xs)[1](cts)

            check_grads(f_vjp, args, order - 1, ("rev",), atol, rtol, eps)
