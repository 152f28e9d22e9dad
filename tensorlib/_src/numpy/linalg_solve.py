"""``tensorlib.numpy.linalg`` solving and inverting: ``solve``, ``inv``, ``det``, ``slogdet``,
``pinv``, ``matrix_power``, ``lstsq``, ``matrix_rank``, ``cond``, ``multi_dot``, ``tensorinv`` and
``tensorsolve``. ``solve``, ``inv`` and ``det`` go through one LU factorization.
"""

from __future__ import annotations

import builtins
import math
import operator

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import Array
from tensorlib._src.numpy import products as _products
from tensorlib._src.numpy.exp_log import log
from tensorlib._src.numpy.floating import isnan
from tensorlib._src.numpy.linalg import (
    _H,
    SlogdetResult,
    _abs,
    _abs2,
    _eps,
    _inexact,
    _matrix,
    _pivot_sign,
    svd,
    svdvals,
)
from tensorlib._src.numpy.linalg_norms import norm
from tensorlib._src.numpy.promotion import (
    asarray,
    broadcast_shapes,
    broadcast_to,
    canonicalize_axis,
    promote_dtypes,
)
from tensorlib._src.numpy.reductions import max as _max
from tensorlib._src.numpy.reductions import prod as _prod
from tensorlib._src.numpy.reductions import sum as _sum
from tensorlib._src.numpy.shape_ops import expand_dims, reshape
from tensorlib._src.numpy.ufuncs import sign, where
from tensorlib._src.ops import linalg as la
from tensorlib._src.ops.elementwise import full
from tensorlib.errors import ShapeError

# --------------------------------------------------------------------------------------------
# solving and inverting


def _lu_solve(lu_, perm, b):
    pb = la.permute_rows(b, perm)
    y = la.triangular_solve(lu_, pb, left_side=True, lower=True, unit_diagonal=True)
    return la.triangular_solve(lu_, y, left_side=True, lower=False)


def solve(a, b):
    """Solve ``a @ x = b``. ``b`` is a vector if 1-d, else a stack of matrices (NumPy 2 rules);
    batch axes broadcast.

    Examples
    --------
    >>> a = tnp.array([[2., 1.], [1., 3.]])
    >>> tnp.round(tnp.linalg.solve(a, tnp.array([3., 5.])), 4)
    Array([0.8, 1.4], dtype=float32)
    >>> tnp.round(tnp.linalg.solve(a, tnp.array([[3., 1.], [5., 2.]])), 4)
    Array([[0.8, 0.2],
           [1.4, 0.6]], dtype=float32)
    """
    a = _matrix("solve", a, True)
    a, b = promote_dtypes(a, _inexact(b))
    n = a.shape[-1]
    vec = b.ndim == 1
    if vec:
        b = b[:, None]
    if b.ndim < 2 or b.shape[-2] != n:
        raise ShapeError(f"solve: b {b.aval.str_short()} does not fit a {a.aval.str_short()}; "
                         f"b needs {n} rows (shape (..., {n}, k), or ({n},))")
    batch = broadcast_shapes(a.shape[:-2], b.shape[:-2], op="solve")
    a = broadcast_to(a, batch + a.shape[-2:])
    b = broadcast_to(b, batch + b.shape[-2:])
    lu_, _, perm = la.lu(a)
    x = _lu_solve(lu_, perm, b)
    return x[..., 0] if vec else x


def inv(a):
    """Inverse of each square matrix (through LU; singular matrices give inf/NaN).

    Examples
    --------
    >>> tnp.round(tnp.linalg.inv(tnp.array([[2., 0.], [1., 4.]])), 4)
    Array([[ 0.5  ,  0.   ],
           [-0.125,  0.25 ]], dtype=float32)
    >>> tnp.linalg.inv(tnp.ones((5, 3, 3)) + tnp.eye(3)).shape
    (5, 3, 3)
    """
    a = _matrix("inv", a, True)
    eye = la.eye_like(a)
    return solve(a, eye)


def det(a):
    """Determinant, as the product of the diagonal of the LU factor and the pivots' sign.

    Examples
    --------
    >>> tnp.round(tnp.linalg.det(tnp.array([[1., 2.], [3., 4.]])), 4)
    Array(-2., dtype=float32)
    >>> tnp.round(tnp.linalg.det(tnp.stack([tnp.eye(2), 2 * tnp.eye(2)])), 4)
    Array([1., 4.], dtype=float32)
    """
    a = _matrix("det", a, True)
    if a.shape[-1] == 0:
        return full(a.shape[:-2], 1, a.dtype)
    lu_, piv, _ = la.lu(a)
    # + 0 turns the -0. of a singular matrix's sign * 0 into 0., as NumPy and JAX print it
    return _pivot_sign(piv, a.dtype) * _prod(la.diag_part(lu_), axis=-1) + 0


def slogdet(a, *, method=None):
    """``(sign, logabsdet)`` with ``det(a) = sign * exp(logabsdet)``; ``(0, -inf)`` if singular.

    Examples
    --------
    >>> sign, logdet = tnp.linalg.slogdet(tnp.array([[0., 2.], [3., 0.]]))
    >>> sign, tnp.round(logdet, 4)
    (Array(-1., dtype=float32), Array(1.7918, dtype=float32))
    >>> tnp.linalg.slogdet(tnp.array([[1., 2.], [2., 4.]])).logabsdet
    Array(-inf, dtype=float32)
    """
    a = _matrix("slogdet", a, True)
    if method not in (None, "lu"):
        raise ValueError(f"slogdet: method must be 'lu', got {method!r}")
    lu_, piv, _ = la.lu(a)
    d = la.diag_part(lu_)
    absd = _abs(d)
    zero = absd == 0
    # log(0) = -inf without NumPy's divide-by-zero warning (np.linalg.slogdet gives none)
    logabsdet = _sum(where(zero, -np.inf, log(where(zero, 1, absd))), axis=-1)
    if dtypes.is_complex(a.dtype):
        unit = d / where(zero, 1, absd).astype(d.dtype)
        unit = where(zero, asarray(0, d.dtype), unit)
    else:
        unit = sign(d)
    return SlogdetResult(_pivot_sign(piv, a.dtype) * _prod(unit, axis=-1) + 0, logabsdet)


def _rtol_cutoff(s, rtol, m, n):
    if rtol is None:
        rtol = builtins.max(m, n) * _eps(s.dtype)
    rtol = asarray(rtol, s.dtype) if not isinstance(rtol, Array) else rtol
    return expand_dims(rtol * _max(s, axis=-1), -1)


def pinv(a, rtol=None, hermitian=False, *, rcond=None):
    """Moore-Penrose pseudo-inverse via the SVD; singular values below ``rtol * max(s)`` are
    dropped (``rtol`` defaults to ``max(m, n) * eps``).

    Examples
    --------
    >>> tnp.round(tnp.linalg.pinv(tnp.array([[1., 0.], [0., 2.], [0., 0.]])), 4)
    Array([[1. , 0. , 0. ],
           [0. , 0.5, 0. ]], dtype=float32)
    >>> tnp.round(tnp.linalg.pinv(tnp.array([[1., 1.], [1., 1.]])), 4)
    Array([[0.25, 0.25],
           [0.25, 0.25]], dtype=float32)
    """
    a = _matrix("pinv", a)
    m, n = a.shape[-2:]
    if rtol is None:
        rtol = rcond
    if builtins.min(m, n) == 0:
        return full(a.shape[:-2] + (n, m), 0, a.dtype)
    if hermitian:
        u, s, vh = svd(a, hermitian=True)
    else:
        u, s, vh = svd(a, full_matrices=False)
    keep = s > _rtol_cutoff(s, rtol, m, n)
    s_inv = where(keep, 1 / where(keep, s, 1), 0)
    return _H(vh) * expand_dims(s_inv, -2).astype(a.dtype) @ _H(u)


def matrix_power(a, n):
    """``a`` multiplied by itself ``n`` times (``n < 0`` uses ``inv(a)``).

    Examples
    --------
    >>> a = tnp.array([[1, 1], [0, 1]])
    >>> tnp.linalg.matrix_power(a, 3)
    Array([[1, 3],
           [0, 1]], dtype=int32)
    >>> tnp.linalg.matrix_power(a, 0)
    Array([[1, 0],
           [0, 1]], dtype=int32)
    >>> tnp.round(tnp.linalg.matrix_power(tnp.array([[2., 0.], [0., 4.]]), -1), 4)
    Array([[0.5 , 0.  ],
           [0.  , 0.25]], dtype=float32)
    """
    a = asarray(a)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"matrix_power: needs square matrices, got {a.aval.str_short()}")
    try:
        n = operator.index(n)
    except TypeError as e:
        raise TypeError(f"matrix_power: exponent must be an integer, got {n!r}") from e
    if n == 0:
        return broadcast_to(la.eye_like(a), a.shape).astype(a.dtype)
    if n < 0:
        a, n = inv(a), -n
    result, z = None, a
    while n:
        if n & 1:
            result = z if result is None else _products.matmul(result, z)
        n >>= 1
        if n:
            z = _products.matmul(z, z)
    return result


def lstsq(a, b, rcond=None, *, numpy_resid=False):
    """Least squares ``argmin_x |a @ x - b|``: ``(x, residuals, rank, s)``.

    Residuals are returned always (as JAX does); with ``numpy_resid`` only when ``a`` has full
    column rank and more rows than columns, as NumPy does (needs concrete values).

    Examples
    --------
    >>> a = tnp.array([[1., 0.], [1., 1.], [1., 2.]])
    >>> x, resid, rank, s = tnp.linalg.lstsq(a, tnp.array([1., 2., 4.]))
    >>> tnp.round(x, 4), tnp.round(resid, 4), rank
    (Array([0.8333, 1.5   ], dtype=float32), Array([0.1667], dtype=float32), Array(2, dtype=int32))
    """
    a, b = promote_dtypes(_inexact(a), _inexact(b))
    if a.ndim != 2 or b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise ShapeError(f"lstsq: needs a 2-d a and a 1-d or 2-d b with a's number of rows, "
                         f"got {a.aval.str_short()} and {b.aval.str_short()}")
    m, n = a.shape
    vec = b.ndim == 1
    b2 = b[:, None] if vec else b
    if builtins.min(m, n) == 0:
        x = full((n, b2.shape[1]), 0, a.dtype)
        s = full((0,), 0, la.real_dtype(a.dtype))
        rank = asarray(0)
    else:
        u, s, vh = svd(a, full_matrices=False)
        cut = (builtins.max(m, n) * _eps(a.dtype) if rcond is None else rcond) * s[0]
        keep = s > cut
        rank = _sum(keep)
        s_inv = where(keep, 1 / where(keep, s, 1), 0).astype(a.dtype)
        x = _H(vh) @ (s_inv[:, None] * (_H(u) @ b2))
    resid = _sum(_abs2(b2 - a @ x), axis=0)
    if numpy_resid and not (int(rank) == n and m > n):
        resid = full((0,), 0, resid.dtype)
    return (x[:, 0] if vec else x), resid, rank, s


def matrix_rank(M, rtol=None, *, tol=None):
    """Number of singular values above ``tol`` (default ``rtol * max(s)`` with ``rtol =
    max(m, n) * eps``).

    Examples
    --------
    >>> tnp.linalg.matrix_rank(tnp.array([[1., 2.], [2., 4.]]))
    Array(1, dtype=int32)
    >>> tnp.linalg.matrix_rank(tnp.eye(3))
    Array(3, dtype=int32)
    """
    M = _inexact(M)
    if M.ndim < 2:
        return (_sum(M != 0) > 0).astype(dtypes.default_int())
    s = svdvals(M)
    m, n = M.shape[-2:]
    if tol is None:
        cut = _rtol_cutoff(s, rtol, m, n)
    else:
        cut = expand_dims(asarray(tol, s.dtype), -1)
    return _sum(s > cut, axis=-1).astype(dtypes.default_int())


def cond(x, p=None):
    """Condition number in the norm ``p`` (2-norm by default; inf for singular matrices).

    Examples
    --------
    >>> a = tnp.array([[2., 0.], [0., 0.5]])
    >>> tnp.round(tnp.linalg.cond(a), 4)
    Array(4., dtype=float32)
    >>> tnp.round(tnp.linalg.cond(a, p="fro"), 4)
    Array(4.25, dtype=float32)
    """
    x = _matrix("cond", x)
    if p in (None, 2, -2):
        s = svdvals(x)
        r = s[..., 0] / s[..., -1] if p != -2 else s[..., -1] / s[..., 0]
    else:
        if x.shape[-1] != x.shape[-2]:
            raise ShapeError(f"cond: p={p!r} needs square matrices, got {x.aval.str_short()}")
        r = norm(x, p, axis=(-2, -1)) * norm(inv(x), p, axis=(-2, -1))
    nan_in = _sum(isnan(x), axis=(-2, -1)) > 0
    return where(isnan(r) & ~nan_in, np.inf, r)


def multi_dot(arrays, *, precision=None):
    """Product of a chain of matrices, in the cheapest association order (dynamic
    programming over the shapes). The first and last may be 1-d.

    Examples
    --------
    >>> a, b, c = tnp.ones((10, 2)), tnp.ones((2, 10)), tnp.ones((10, 3))
    >>> tnp.linalg.multi_dot([a, b, c]).shape
    (10, 3)
    >>> tnp.linalg.multi_dot([tnp.array([1, 2]), tnp.array([[1, 0], [0, 1]]), tnp.array([3, 4])])
    Array(11, dtype=int32)
    """
    arrs = [asarray(a) for a in arrays]
    if len(arrs) < 2:
        raise ValueError("multi_dot: needs at least two arrays")
    first_vec, last_vec = arrs[0].ndim == 1, arrs[-1].ndim == 1
    if first_vec:
        arrs[0] = arrs[0][None, :]
    if last_vec:
        arrs[-1] = arrs[-1][:, None]
    for i, x in enumerate(arrs):
        if x.ndim != 2:
            raise ShapeError(f"multi_dot: array {i} must be 2-d (only the first and last may "
                             f"be 1-d), got {x.aval.str_short()}")
    dims = [arrs[0].shape[0]] + [x.shape[1] for x in arrs]
    out = _chain(arrs, _chain_order(dims), 0, len(arrs) - 1)
    if first_vec:
        out = out[0]
    if last_vec:
        out = out[..., 0]
    return out


def _chain_order(dims):
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def _chain(arrs, split, i, j):
    if i == j:
        return arrs[i]
    k = split[i][j]
    return _products.matmul(_chain(arrs, split, i, k), _chain(arrs, split, k + 1, j))


def tensorinv(a, ind=2):
    """Inverse of ``a`` seen as a linear map from its last ``ndim - ind`` axes to the first
    ``ind``: ``tensordot(tensorinv(a, ind), a, ind)`` is the identity.

    Examples
    --------
    >>> a = tnp.eye(6).reshape(6, 2, 3) * 2
    >>> ainv = tnp.linalg.tensorinv(a, ind=1)
    >>> ainv.shape
    (2, 3, 6)
    >>> tnp.round(ainv[0, 0], 4)
    Array([0.5, 0. , 0. , 0. , 0. , 0. ], dtype=float32)
    """
    a = _inexact(a)
    if ind <= 0:
        raise ValueError(f"tensorinv: ind must be positive, got {ind}")
    out_shape, in_shape = a.shape[:ind], a.shape[ind:]
    rows = math.prod(out_shape)
    if rows != math.prod(in_shape):
        raise ShapeError(f"tensorinv: {a.aval.str_short()} with ind={ind} is not square "
                         f"({rows} vs {math.prod(in_shape)} elements)")
    return reshape(inv(reshape(a, (rows, rows))), in_shape + out_shape)


def tensorsolve(a, b, axes=None):
    """Solve ``tensordot(a, x, axes=x.ndim) = b`` for ``x``.

    Examples
    --------
    >>> a = tnp.eye(6).reshape(2, 3, 6) * 2
    >>> x = tnp.linalg.tensorsolve(a, tnp.ones((2, 3)))
    >>> x.shape, tnp.round(x[:3], 4)
    ((6,), Array([0.5, 0.5, 0.5], dtype=float32))
    """
    a, b = promote_dtypes(_inexact(a), _inexact(b))
    if axes is not None:
        order = [d for d in range(a.ndim) if d not in
                 [canonicalize_axis(k, a.ndim) for k in axes]]
        order += [canonicalize_axis(k, a.ndim) for k in axes]
        a = a.transpose(order)
    x_shape = a.shape[b.ndim:]
    size = math.prod(x_shape)
    if a.size != size * size or math.prod(a.shape[:b.ndim]) != size:
        raise ShapeError(f"tensorsolve: {a.aval.str_short()} and b {b.aval.str_short()} do not "
                         "give a square system")
    return reshape(solve(reshape(a, (size, size)), reshape(b, (size,))), x_shape)


