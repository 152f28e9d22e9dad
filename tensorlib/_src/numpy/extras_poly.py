"""Polynomial functions that ``jax.numpy`` has beyond ``polynomials``: ``poly``, ``polyint``,
``polydiv`` and ``polyfit`` (coefficients highest power first).

``poly`` of a square matrix is its characteristic polynomial. JAX takes it from the
eigenvalues; tensorlib has no general eigensolver, so it comes from the Faddeev-LeVerrier
recurrence (matrix products and traces: differentiable, stageable), returned as complex
coefficients like JAX's.
"""

from __future__ import annotations

import builtins
import operator

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import concrete_or_none
from tensorlib._src.numpy import (
    creation,
    exp_log,
    indexing,
    products,
    reductions,
    shape_ops,
    ufuncs,
)
from tensorlib._src.numpy.linalg_solve import inv, lstsq
from tensorlib._src.numpy.polynomials import vander
from tensorlib._src.numpy.promotion import asarray, check_arraylike, promote_dtypes
from tensorlib._src.ops import elementwise as ew
from tensorlib.errors import ShapeError


def _inexact_1d(op, *args):
    """The arguments in one inexact dtype (no broadcasting), strongly typed as JAX's are."""
    check_arraylike(op, *args)
    arrs = promote_dtypes(*(asarray(a) for a in args))
    dt = dtypes.to_inexact(arrs[0].dtype)
    return [ew.convert_element_type(a, dt, False) for a in arrs]


def _static_int(x, op, what):
    return operator.index(creation._static(x, op, what))


def _charpoly(a):
    """Coefficients of ``det(t I - a)`` by Faddeev-LeVerrier: ``M_k = a M_{k-1} + c I``,
    ``c_k = -tr(a M_k) / k``."""
    n = a.shape[0]
    eye = creation.eye(n, dtype=a.dtype)
    m = creation.zeros((n, n), a.dtype)
    c = ew.full((), 1, a.dtype)
    coeffs = [c]
    for k in range(1, n + 1):
        m = ufuncs.add(products.matmul(a, m), ufuncs.multiply(c, eye))
        c = ufuncs.true_divide(ufuncs.negative(indexing.trace(products.matmul(a, m))), k)
        coeffs.append(c)
    return shape_ops.stack(coeffs)


def poly(seq_of_zeros):
    """Coefficients of the monic polynomial with the given roots, or, for a square matrix,
    its characteristic polynomial (as complex numbers, like JAX's eigenvalue route).

    Examples
    --------
    >>> tnp.poly(tnp.array([1., 2.]))
    Array([ 1., -3.,  2.], dtype=float32)
    >>> tnp.poly(tnp.array([[1., 2.], [0., 3.]]))
    Array([ 1.+0.j, -4.+0.j,  3.+0.j], dtype=complex64)
    """
    (z,) = _inexact_1d("poly", seq_of_zeros)
    z = shape_ops.atleast_1d(z)
    if z.ndim == 2 and z.shape[0] == z.shape[1] and z.shape[0] != 0:
        cdt = dtypes.complex128 if z.dtype in (dtypes.float64, dtypes.complex128) \
            else dtypes.complex64
        return ew.convert_element_type(_charpoly(z), cdt)
    if z.ndim != 1:
        raise ShapeError(f"poly: needs a 1-d array of roots or a non-empty square matrix, got "
                         f"{z.aval.str_short()}")
    if z.shape[0] == 0:
        return creation.ones((), z.dtype)
    a = creation.ones((1,), z.dtype)
    for k in range(z.shape[0]):
        # a(t) * (t - z_k): shift up, subtract z_k times the old coefficients
        zero = creation.zeros((1,), z.dtype)
        a = ufuncs.subtract(shape_ops.concatenate([a, zero]),
                            ufuncs.multiply(z[k], shape_ops.concatenate([zero, a])))
    return a


def polyint(p, m=1, k=None):
    """Coefficients of the ``m``-th antiderivative of ``p``, with integration constants ``k``
    (a scalar for all, or one per order, the first for the first integration).

    Examples
    --------
    >>> tnp.polyint(tnp.array([3., 2., 1.]))
    Array([1., 1., 1., 0.], dtype=float32)
    >>> tnp.polyint(tnp.array([6., 2.]), m=2, k=tnp.array([1., 2.]))
    Array([1., 1., 1., 2.], dtype=float32)
    """
    m = _static_int(m, "polyint", "m")
    p, k = _inexact_1d("polyint", p, 0 if k is None else k)
    if m < 0:
        raise ValueError(f"polyint: the order m must be non-negative, got {m} (see polyder)")
    k = shape_ops.atleast_1d(k)
    if k.shape[0] == 1:
        k = creation.full((m,), k[0], k.dtype)
    if k.shape != (m,):
        raise ShapeError(f"polyint: k must be a scalar or 1-d of length 1 or m={m}, got "
                         f"{k.aval.str_short()}")
    if m == 0:
        return p
    n = p.shape[0]
    # the divisor of each coefficient: (power + 1) (power + 2) ... (power + m), exact integers
    powers = np.arange(n + m - 1, -1, -1)
    div = np.prod(np.maximum(1, powers[:, None] - np.arange(m)[None, :]), axis=1)
    return ufuncs.true_divide(shape_ops.concatenate([p, k]), asarray(div.astype(p.dtype)))


def polydiv(u, v, *, trim_leading_zeros=False):
    """Quotient and remainder of the polynomial division ``u / v``; the remainder keeps
    ``u``'s length unless ``trim_leading_zeros`` drops its (nearly) zero leading terms, which
    needs concrete values.

    Examples
    --------
    >>> q, r = tnp.polydiv(tnp.array([1., 3., 3.]), tnp.array([1., 1.]))
    >>> q, r
    (Array([1., 2.], dtype=float32), Array([0., 0., 1.], dtype=float32))
    """
    u, v = _inexact_1d("polydiv", u, v)
    if u.ndim != 1 or v.ndim != 1 or v.shape[0] == 0:
        raise ShapeError(f"polydiv: needs 1-d coefficient arrays (v non-empty), got "
                         f"{u.aval.str_short()} and {v.aval.str_short()}")
    m, n = u.shape[0] - 1, v.shape[0] - 1
    scale = ufuncs.true_divide(1, v[0])
    q = creation.zeros((builtins.max(m - n + 1, 1),), u.dtype)
    for i in range(m - n + 1):
        d = ufuncs.multiply(scale, u[i])
        q = q.at[i].set(d)
        u = u.at[i:i + n + 1].add(ufuncs.negative(ufuncs.multiply(d, v)))
    if trim_leading_zeros:
        c = concrete_or_none(u)
        if c is None:
            from tensorlib._src.errors_util import concretization_error

            raise concretization_error(u, "polydiv(trim_leading_zeros=True)")
        tol = float(np.sqrt(dtypes.finfo(u.dtype).eps))
        big = np.flatnonzero(np.abs(c.to_numpy()) >= tol)
        u = u[int(big[0]) if big.size else u.shape[0]:]
    return q, u


def _polyfit_checks(x, y, w, deg):
    if deg < 0:
        raise ValueError(f"polyfit: deg must be non-negative, got {deg}")
    if x.ndim != 1 or x.shape[0] == 0:
        raise ShapeError(f"polyfit: x must be a non-empty 1-d array, got {x.aval.str_short()}")
    if y.ndim not in (1, 2) or y.shape[0] != x.shape[0]:
        raise ShapeError(f"polyfit: y must be 1-d or 2-d with x's length {x.shape[0]}, got "
                         f"{y.aval.str_short()}")
    if w is not None and (w.ndim != 1 or w.shape[0] != x.shape[0]):
        raise ShapeError(f"polyfit: w must be 1-d with x's length {x.shape[0]}, got "
                         f"{w.aval.str_short()}")


def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):
    """Least-squares fit of a polynomial of degree ``deg`` to the points ``(x, y)`` (``y``
    may hold one data set per column); coefficients highest power first.

    ``full=True`` also returns the residuals, rank, singular values and ``rcond``;
    ``cov=True`` (or ``'unscaled'``) the coefficients' covariance matrix.

    Examples
    --------
    >>> x = tnp.array([0., 1., 2., 3.])
    >>> tnp.round(tnp.polyfit(x, 2 * x + 1, 1), 4)
    Array([2., 1.], dtype=float32)
    """
    deg = _static_int(deg, "polyfit", "deg")
    args = (x, y) if w is None else (x, y, w)
    x, y, *ws = _inexact_1d("polyfit", *args)
    w = ws[0] if ws else None
    _polyfit_checks(x, y, w, deg)
    order = deg + 1
    rcond = x.shape[0] * float(dtypes.finfo(x.dtype).eps) if rcond is None else float(rcond)
    lhs, rhs = vander(x, order), y
    if w is not None:
        lhs = ufuncs.multiply(lhs, w[:, None])
        rhs = ufuncs.multiply(rhs, w[:, None] if rhs.ndim == 2 else w)
    # columns scaled to unit norm: a better conditioned least-squares problem
    scale = exp_log.sqrt(reductions.sum(ufuncs.multiply(lhs, lhs), axis=0))
    lhs = ufuncs.true_divide(lhs, scale[None, :])
    c, resids, rank, s = lstsq(lhs, rhs, rcond)
    c = ufuncs.true_divide(c, scale[:, None] if c.ndim == 2 else scale)
    if full:
        return c, resids, rank, s, ew.full((), rcond, x.dtype, True)
    if not cov:
        return c
    base = ufuncs.true_divide(inv(products.matmul(lhs.T, lhs)), products.outer(scale, scale))
    if cov == "unscaled":
        fac = ew.full((), 1, base.dtype)
    elif x.shape[0] <= order:
        raise ValueError(f"polyfit: cov=True needs more data points ({x.shape[0]}) than "
                         f"coefficients ({order}) to scale the covariance")
    else:
        fac = ufuncs.true_divide(resids, x.shape[0] - order)
    if y.ndim == 1:
        return c, ufuncs.multiply(base, shape_ops.atleast_1d(fac)[None])
    return c, ufuncs.multiply(base[:, :, None], shape_ops.atleast_1d(fac)[None, None, :])
