"""``tensorlib.numpy.linalg``: NumPy's linear algebra (and the Array API extension) on top of the
decomposition primitives of ``tensorlib._src.ops.linalg``.

Every function maps over leading batch axes where NumPy's does, promotes integer inputs to the
default float, and differentiates through the primitives' rules. ``solve``, ``inv`` and
``det`` go through the LU primitive; ``pinv``, ``lstsq``, ``matrix_rank``, ``cond`` and the
spectral norms through the SVD.
"""

from __future__ import annotations

import builtins
import math
import operator
from typing import NamedTuple

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import Array
from tensorlib._src.numpy import indexing as _indexing
from tensorlib._src.numpy import products as _products
from tensorlib._src.numpy.promotion import (
    asarray,
    broadcast_shapes,
    broadcast_to,
    canonicalize_axis,
    promote_dtypes,
)
from tensorlib._src.numpy.reductions import max as _max
from tensorlib._src.numpy.reductions import min as _min
from tensorlib._src.numpy.reductions import prod as _prod
from tensorlib._src.numpy.reductions import sum as _sum
from tensorlib._src.numpy.shape_ops import expand_dims, moveaxis, reshape
from tensorlib._src.numpy.shape_ops import matrix_transpose as _matrix_transpose
from tensorlib._src.numpy.sorting import argsort
from tensorlib._src.numpy.ufuncs import isnan, log, power, sign, sqrt, where
from tensorlib._src.ops import linalg as la
from tensorlib._src.ops.elementwise import convert_element_type, full
from tensorlib.errors import DTypeError, ShapeError


class EighResult(NamedTuple):
    eigenvalues: Array
    eigenvectors: Array


class QRResult(NamedTuple):
    Q: Array
    R: Array


class SlogdetResult(NamedTuple):
    sign: Array
    logabsdet: Array


class SVDResult(NamedTuple):
    U: Array
    S: Array
    Vh: Array


# --------------------------------------------------------------------------------------------
# helpers


def _inexact(x):
    """``x`` as an Array of a dtype the decompositions accept (ints -> the default float)."""
    x = asarray(x)
    if dtypes.is_bool(x.dtype) or dtypes.is_integer(x.dtype):
        return convert_element_type(x, dtypes.default_float())
    if x.dtype in (dtypes.float16, dtypes.bfloat16):
        return convert_element_type(x, dtypes.float32)
    if not dtypes.is_inexact(x.dtype):
        raise DTypeError(f"linalg: unsupported dtype {x.aval.str_short()}")
    return x


def _matrix(op, x, square=False):
    x = _inexact(x)
    if x.ndim < 2:
        raise ShapeError(f"{op}: needs an array of at least 2 dimensions (a matrix or a stack "
                         f"of them), got {x.aval.str_short()}")
    if square and x.shape[-1] != x.shape[-2]:
        raise ShapeError(f"{op}: the last two axes must be square, got {x.aval.str_short()}")
    return x


def _H(x):
    return la.mH(x)


def _abs2(x):
    """``|x| ** 2`` in the real dtype (differentiable for complex ``x`` too)."""
    if dtypes.is_complex(x.dtype):
        return la.real_part(x * la.conj_if_complex(x))
    return x * x


def _abs(x):
    if dtypes.is_complex(x.dtype):
        return sqrt(_abs2(x))
    return asarray(x).__abs__()


def _eps(dt):
    return float(np.finfo(la.real_dtype(np.dtype(dt))).eps)


def _pivot_sign(pivots, dt):
    """(-1) ** (number of row swaps) from LAPACK-style pivots."""
    k = pivots.shape[-1]
    swaps = _sum(pivots != asarray(np.arange(k, dtype=np.int32)), axis=-1)
    return where((swaps & 1) == 1, asarray(-1, dt), asarray(1, dt))


# --------------------------------------------------------------------------------------------
# decompositions


def cholesky(a, *, upper=False, symmetrize_input=True):
    """Cholesky factor of a Hermitian positive-definite matrix: ``L`` with ``a = L @ L^H``
    (``U`` with ``a = U^H @ U`` if ``upper``). NaNs where ``a`` is not positive definite.

    Examples
    --------
    >>> import tensorlib.numpy as tnp
    >>> import tensorlib.numpy.linalg
    >>> tnp.linalg.cholesky(tnp.asarray([[4.0, 2.0], [2.0, 5.0]]))
    Array([[2., 0.],
           [1., 2.]], dtype=float32)
    """
    L = la.cholesky(_matrix("cholesky", a, True), symmetrize_input=symmetrize_input)
    return _H(L) if upper else L


def qr(a, mode="reduced"):
    """QR decomposition. ``mode``: ``"reduced"`` (k = min(m, n) columns), ``"complete"`` or
    ``"r"`` (only R, reduced).

    Returns ``QRResult(Q, R)``; the signs of Q's columns may differ between backends.

    Examples
    --------
    >>> a = tnp.array([[3., 1.], [4., 2.], [0., 2.]])
    >>> q, r = tnp.linalg.qr(a)
    >>> q.shape, r.shape
    ((3, 2), (2, 2))
    >>> tnp.allclose(q @ r, a, atol=1e-5)
    Array(True, dtype=bool)
    >>> tnp.round(tnp.abs(tnp.linalg.qr(a, mode="r")), 4)
    Array([[5.    , 2.2   ],
           [0.    , 2.0396]], dtype=float32)
    """
    a = _matrix("qr", a)
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    q, r = la.qr(a, full_matrices=mode == "complete")
    return r if mode == "r" else QRResult(q, r)


def eigh(a, UPLO=None, symmetrize_input=True):
    """Eigenvalues (ascending) and eigenvectors of a Hermitian matrix, as
    ``EighResult(eigenvalues, eigenvectors)``.

    Examples
    --------
    >>> a = tnp.array([[2., 1.], [1., 2.]])
    >>> w, v = tnp.linalg.eigh(a)
    >>> tnp.round(w, 4)
    Array([1., 3.], dtype=float32)
    >>> tnp.allclose(a @ v, v * w, atol=1e-5)
    Array(True, dtype=bool)
    """
    a = _matrix("eigh", a, True)
    if UPLO not in (None, "L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    v, w = la.eigh(a, lower=UPLO != "U", symmetrize_input=symmetrize_input)
    return EighResult(w, v)


def eigvalsh(a, UPLO="L", *, symmetrize_input=True):
    """Eigenvalues (ascending) of a Hermitian matrix.

    Examples
    --------
    >>> tnp.round(tnp.linalg.eigvalsh(tnp.array([[2., 1.], [1., 2.]])), 4)
    Array([1., 3.], dtype=float32)
    """
    return eigh(a, UPLO, symmetrize_input).eigenvalues


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """Singular value decomposition ``a = U @ diag(S) @ Vh`` (``S`` descending).

    With ``hermitian`` it is computed from ``eigh``. Derivatives need ``full_matrices=False``
    unless ``a`` is square.

    Examples
    --------
    >>> a = tnp.array([[3., 0.], [0., -4.], [0., 0.]])
    >>> u, s, vh = tnp.linalg.svd(a, full_matrices=False)
    >>> u.shape, tnp.round(s, 4), vh.shape
    ((3, 2), Array([4., 3.], dtype=float32), (2, 2))
    >>> tnp.allclose((u * s) @ vh, a, atol=1e-5)
    Array(True, dtype=bool)
    >>> tnp.round(tnp.linalg.svd(a, compute_uv=False), 4)
    Array([4., 3.], dtype=float32)
    """
    a = _matrix("svd", a)
    if hermitian:
        return _svd_hermitian(a, compute_uv)
    if not compute_uv:
        return la.svd(a, full_matrices=False, compute_uv=False)[0]
    s, u, vt = la.svd(a, full_matrices=full_matrices, compute_uv=True)
    return SVDResult(u, s, vt)


def _svd_hermitian(a, compute_uv):
    if a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"svd: hermitian=True needs square matrices, got {a.aval.str_short()}")
    v, w = la.eigh(a)
    s = _abs(w)
    order = argsort(-s, axis=-1)
    s = _indexing.take_along_axis(s, order, axis=-1)
    if not compute_uv:
        return s
    sgn = _indexing.take_along_axis(sign(w), order, axis=-1)
    u = _indexing.take_along_axis(v, order[..., None, :], axis=-1)
    vh = _H(u * expand_dims(sgn, -2).astype(u.dtype))
    return SVDResult(u, s, vh)


def svdvals(x, /):
    """Singular values, descending (Array API).

    Examples
    --------
    >>> tnp.round(tnp.linalg.svdvals(tnp.array([[0., 2.], [-3., 0.]])), 4)
    Array([3., 2.], dtype=float32)
    """
    return svd(x, compute_uv=False)


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


# --------------------------------------------------------------------------------------------
# norms


def _vector_norm(x, axes, ord, keepdims):
    if isinstance(ord, str):
        raise ValueError(f"norm: invalid norm order {ord!r} for vectors")
    if ord is None or ord == 2:
        return sqrt(_sum(_abs2(x), axis=axes, keepdims=keepdims))
    if ord == np.inf:
        return _max(_abs(x), axis=axes, keepdims=keepdims)
    if ord == -np.inf:
        return _min(_abs(x), axis=axes, keepdims=keepdims)
    if ord == 0:
        return _sum(x != 0, axis=axes, keepdims=keepdims).astype(la.real_dtype(x.dtype))
    if ord == 1:
        return _sum(_abs(x), axis=axes, keepdims=keepdims)
    p = float(ord)
    return power(_sum(power(_abs(x), p), axis=axes, keepdims=keepdims), 1.0 / p)


def _matrix_norm(x, axes, ord, keepdims):
    r, c = axes
    if r == c:
        raise ValueError(f"norm: duplicate axes {axes} for a matrix norm")
    if ord is None or ord == "fro":
        return sqrt(_sum(_abs2(x), axis=axes, keepdims=keepdims))
    if ord in ("nuc", 2, -2):
        s = svdvals(moveaxis(x, (r, c), (-2, -1)))
        out = _sum(s, axis=-1) if ord == "nuc" else (s[..., 0] if ord == 2 else s[..., -1])
        return expand_dims(out, sorted((r, c))) if keepdims else out
    red = {1: (_max, r), -1: (_min, r), np.inf: (_max, c), -np.inf: (_min, c)}
    if isinstance(ord, str) or ord not in red:
        raise ValueError(f"norm: invalid norm order {ord!r} for matrices")
    pick, summed = red[ord]
    other = c if summed == r else r
    out = pick(_sum(_abs(x), axis=summed, keepdims=True), axis=other, keepdims=True)
    return out if keepdims else reshape(out, [n for d, n in enumerate(out.shape)
                                              if d not in (r, c)])


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector or matrix norm, with NumPy's ``ord`` and ``axis`` rules.

    Examples
    --------
    >>> import tensorlib.numpy as tnp
    >>> import tensorlib.numpy.linalg
    >>> tnp.linalg.norm(tnp.asarray([3.0, 4.0]))
    Array(5., dtype=float32)
    """
    x = _inexact(x)
    if axis is None:
        if ord is None:
            out = sqrt(_sum(_abs2(x)))
            return reshape(out, (1,) * x.ndim) if keepdims else out
        if x.ndim not in (1, 2):
            raise ShapeError(f"norm: ord={ord!r} without axis needs a 1-d or 2-d array, got "
                             f"{x.aval.str_short()}")
        axis = tuple(range(x.ndim))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    axes = tuple(canonicalize_axis(a, x.ndim, "norm") for a in axes)
    if len(axes) == 1:
        return _vector_norm(x, axes, ord, keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, axes, ord, keepdims)
    raise ShapeError(f"norm: axis must name 1 or 2 axes, got {axis!r}")


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """Vector norm over ``axis`` (all axes, flattened, by default; a tuple of axes is treated
    as one flattened axis). Array API.

    Examples
    --------
    >>> x = tnp.array([[3., 4.], [-6., 8.]])
    >>> tnp.linalg.vector_norm(x, axis=1)
    Array([ 5., 10.], dtype=float32)
    >>> tnp.linalg.vector_norm(x, ord=1)
    Array(21., dtype=float32)
    >>> tnp.linalg.vector_norm(x, ord=tnp.inf, axis=0, keepdims=True)
    Array([[6., 8.]], dtype=float32)
    """
    x = _inexact(x)
    if axis is None:
        axes = tuple(range(x.ndim))
    else:
        axes = axis if isinstance(axis, (tuple, list)) else (axis,)
        axes = tuple(canonicalize_axis(a, x.ndim, "vector_norm") for a in axes)
    return _vector_norm(x, axes, ord, keepdims)


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """Matrix norm over the last two axes (Frobenius by default). Array API.

    Examples
    --------
    >>> x = tnp.array([[1., -2.], [3., 4.]])
    >>> tnp.round(tnp.linalg.matrix_norm(x), 4)
    Array(5.4772, dtype=float32)
    >>> tnp.linalg.matrix_norm(x, ord=1), tnp.linalg.matrix_norm(x, ord=tnp.inf)
    (Array(6., dtype=float32), Array(7., dtype=float32))
    """
    x = _matrix("matrix_norm", x)
    return _matrix_norm(x, (x.ndim - 2, x.ndim - 1), ord, keepdims)


# --------------------------------------------------------------------------------------------
# Array API names


def matmul(x1, x2, /):
    """Array API ``linalg.matmul``: the same as ``tnp.matmul``, positional arguments only.

    Examples
    --------
    >>> tnp.linalg.matmul(tnp.array([[1, 2], [3, 4]]), tnp.array([1, -1]))
    Array([-1, -1], dtype=int32)
    """
    return _products.matmul(x1, x2)


def matrix_transpose(x, /):
    """Array API: transpose of the last two axes.

    Examples
    --------
    >>> tnp.linalg.matrix_transpose(tnp.array([[1, 2, 3]]))
    Array([[1],
           [2],
           [3]], dtype=int32)
    """
    return _matrix_transpose(x)


def outer(x1, x2, /):
    """Array API: outer product of two 1-d arrays.

    Examples
    --------
    >>> tnp.linalg.outer(tnp.array([1, 2]), tnp.array([1, 10, 100]))
    Array([[  1,  10, 100],
           [  2,  20, 200]], dtype=int32)
    """
    x1, x2 = asarray(x1), asarray(x2)
    if x1.ndim != 1 or x2.ndim != 1:
        raise ShapeError(f"outer: needs 1-d arrays, got {x1.aval.str_short()} and "
                         f"{x2.aval.str_short()}")
    return _products.outer(x1, x2)


def tensordot(x1, x2, /, *, axes=2):
    """Array API ``tensordot``: contract the last ``axes`` axes of ``x1`` with the first of
    ``x2`` (``axes`` is keyword-only).

    Examples
    --------
    >>> tnp.linalg.tensordot(tnp.ones((2, 3)), tnp.ones((3, 4)), axes=1)
    Array([[3., 3., 3., 3.],
           [3., 3., 3., 3.]], dtype=float32)
    """
    return _products.tensordot(x1, x2, axes)


def vecdot(x1, x2, /, *, axis=-1):
    """Array API: vector dot product along ``axis`` (conjugating ``x1``).

    Examples
    --------
    >>> tnp.linalg.vecdot(tnp.array([[1, 2], [3, 4]]), tnp.array([1, 10]))
    Array([21, 43], dtype=int32)
    """
    return _products.vecdot(x1, x2, axis=axis)


def cross(x1, x2, /, *, axis=-1):
    """Array API: cross product of 3-vectors along ``axis`` (no 2-vectors, unlike NumPy's).

    Examples
    --------
    >>> tnp.linalg.cross(tnp.array([[1, 0, 0], [0, 1, 0]]), tnp.array([0, 0, 1]))
    Array([[ 0, -1,  0],
           [ 1,  0,  0]], dtype=int32)
    """
    x1, x2 = asarray(x1), asarray(x2)
    if x1.ndim == 0 or x2.ndim == 0 or x1.shape[axis] != 3 or x2.shape[axis] != 3:
        raise ShapeError(f"cross: needs size 3 along axis {axis}, got {x1.aval.str_short()} "
                         f"and {x2.aval.str_short()}")
    return _products.cross(x1, x2, axis=axis)


def diagonal(x, /, *, offset=0):
    """Diagonals of the last two axes (Array API; ``offset`` picks which).

    Examples
    --------
    >>> x = tnp.arange(8).reshape(2, 2, 2)
    >>> tnp.linalg.diagonal(x)
    Array([[0, 3],
           [4, 7]], dtype=int32)
    >>> tnp.linalg.diagonal(x, offset=1)
    Array([[1],
           [5]], dtype=int32)
    """
    x = asarray(x)
    if x.ndim < 2:
        raise ShapeError(f"diagonal: needs at least 2 dimensions, got {x.aval.str_short()}")
    return _indexing.diagonal(x, offset, -2, -1)


def trace(x, /, *, offset=0, dtype=None):
    """Traces of the last two axes (Array API; ``offset`` picks the diagonal).

    Examples
    --------
    >>> x = tnp.arange(8).reshape(2, 2, 2)
    >>> tnp.linalg.trace(x)
    Array([ 3, 11], dtype=int32)
    >>> tnp.linalg.trace(x, offset=-1)
    Array([2, 6], dtype=int32)
    """
    return _indexing.trace(x, offset, -2, -1, dtype)
