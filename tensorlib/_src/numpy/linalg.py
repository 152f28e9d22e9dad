"""``tensorlib.numpy.linalg``: NumPy's linear algebra (and the Array API extension) on top of the
decomposition primitives of ``tensorlib._src.ops.linalg``. This module holds the result types,
the shared helpers and the decompositions (``cholesky``, ``qr``, ``eigh``, ``eigvalsh``, ``svd``,
``svdvals``); solving and inverting are in ``linalg_solve``, norms in ``linalg_norms`` and the
Array API names in ``linalg_array_api``.

Every function maps over leading batch axes where NumPy's does, promotes integer inputs to the
default float, and differentiates through the primitives' rules. ``solve``, ``inv`` and
``det`` go through the LU primitive; ``pinv``, ``lstsq``, ``matrix_rank``, ``cond`` and the
spectral norms through the SVD.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import Array
from tensorlib._src.numpy import indexing as _indexing
from tensorlib._src.numpy.exp_log import sqrt
from tensorlib._src.numpy.promotion import (
    asarray,
)
from tensorlib._src.numpy.reductions import sum as _sum
from tensorlib._src.numpy.shape_ops import expand_dims
from tensorlib._src.numpy.sorting import argsort
from tensorlib._src.numpy.ufuncs import sign, where
from tensorlib._src.ops import linalg as la
from tensorlib._src.ops.elementwise import convert_element_type
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


