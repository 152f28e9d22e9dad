"""NumPy kernels of the linear-algebra and FFT primitives (``tensorlib._src.ops.linalg``/``fft``).

Every kernel keeps the precision of its input (float32 in, float32 out; NumPy's ``linalg`` and
``fft`` already do on NumPy 2, the casts cover NumPy 1.26) and returns ndarrays. NumPy has no
LU or triangular solve, so both are written here: recursive (blocked) algorithms whose bulk
is matrix products, with short substitution / elimination loops at the leaves, vectorized
over the batch axes.
"""

from __future__ import annotations

import numpy as np

from tensorlib._src.dispatch import register_impl
from tensorlib._src.ops import fft as fo
from tensorlib._src.ops import linalg as la

_LEAF = 16  # below this size the leaf loops beat the recursion's matmul calls


def _reg(prim, fn, n=1):
    register_impl(prim, (np.ndarray,) * n, fn)


def _swap(x):
    return np.swapaxes(x, -1, -2)


def _hermitian_part(x):
    return (x + np.conj(_swap(x))) / x.dtype.type(2)


def _per_matrix(fn, x, out_shapes_dtypes):
    """Apply ``fn`` to each matrix of the batch; a matrix whose factorization fails gives NaNs
    (as XLA does) instead of failing the whole batch."""
    flat = x.reshape((int(np.prod(x.shape[:-2], dtype=np.int64)),) + x.shape[-2:])
    outs = [np.empty((flat.shape[0],) + s, d) for s, d in out_shapes_dtypes]
    for i, mat in enumerate(flat):
        try:
            res = fn(mat)
        except np.linalg.LinAlgError:
            res = [np.full(s, np.nan, d) for s, d in out_shapes_dtypes]
        for o, r in zip(outs, res, strict=True):
            o[i] = r
    return [o.reshape(x.shape[:-2] + o.shape[1:]) for o in outs]


# --------------------------------------------------------------------------------------------
# cholesky


def _cholesky(x, *, symmetrize_input):
    a = _hermitian_part(x) if symmetrize_input else x
    try:
        out = np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        out = _per_matrix(lambda m: [np.linalg.cholesky(m)], a, [(x.shape[-2:], x.dtype)])[0]
    return np.ascontiguousarray(out, dtype=x.dtype)


# --------------------------------------------------------------------------------------------
# triangular solve


def _solve_lower(low, b):
    """``low @ x = b`` for lower-triangular ``low`` (..., m, m), by recursive halving."""
    m = low.shape[-1]
    if m <= _LEAF:
        x = np.empty(np.broadcast_shapes(low.shape[:-2], b.shape[:-2]) + b.shape[-2:],
                     np.result_type(low, b))
        for i in range(m):
            r = b[..., i, :]
            if i:
                r = r - (low[..., i:i + 1, :i] @ x[..., :i, :])[..., 0, :]
            x[..., i, :] = r / low[..., i, i, None]
        return x
    h = m // 2
    x1 = _solve_lower(low[..., :h, :h], b[..., :h, :])
    x2 = _solve_lower(low[..., h:, h:], b[..., h:, :] - low[..., h:, :h] @ x1)
    return np.concatenate([x1, x2], axis=-2)


def _triangular_solve(a, b, *, left_side, lower, transpose_a, conjugate_a, unit_diagonal):
    t = np.tril(a) if lower else np.triu(a)
    if unit_diagonal:
        idx = np.arange(a.shape[-1])
        t[..., idx, idx] = 1
    if conjugate_a:
        t = np.conj(t)
    if transpose_a:
        t, lower = _swap(t), not lower
    rhs = b
    if not left_side:  # x op(a) = b  <=>  op(a)^T x^T = b^T
        t, lower, rhs = _swap(t), not lower, _swap(b)
    if not lower:  # reverse rows and columns: upper becomes lower
        t, rhs = t[..., ::-1, ::-1], rhs[..., ::-1, :]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        x = _solve_lower(t, rhs)
    if not lower:
        x = x[..., ::-1, :]
    if not left_side:
        x = _swap(x)
    return np.ascontiguousarray(x, dtype=b.dtype)


# --------------------------------------------------------------------------------------------
# LU with partial pivoting


def _cabs1(x):
    """LAPACK's pivot size (``izamax``): ``|re| + |im|`` for complex numbers."""
    if x.dtype.kind == "c":
        return np.abs(x.real) + np.abs(x.imag)
    return np.abs(x)


def _lu_leaf(a):
    """Unblocked right-looking elimination on a (B, m, n) copy; returns (lu, perm)."""
    nb, m, n = a.shape
    perm = np.broadcast_to(np.arange(m), (nb, m)).copy()
    rows = np.arange(nb)
    for j in range(min(m, n)):
        p = j + np.argmax(_cabs1(a[:, j:, j]), axis=1)
        a[rows, j], a[rows, p] = a[rows, p], a[rows, j].copy()
        perm[rows, j], perm[rows, p] = perm[rows, p], perm[rows, j].copy()
        piv = a[:, j, j]
        zero = piv == 0
        mult = a[:, j + 1:, j] / np.where(zero, 1, piv)[:, None]
        a[:, j + 1:, j] = mult
        a[:, j + 1:, j + 1:] -= mult[:, :, None] * a[:, j, None, j + 1:]
    return a, perm


def _take_rows(x, perm):
    # x[b, perm[b], :] for every b; plain fancy indexing copies whole rows (take_along_axis
    # would build an index per element and is ~20x slower here)
    return x[np.arange(x.shape[0])[:, None], perm]


def _lu_rec(a):
    """Recursive LU (Toledo 1997) of a (B, m, n) array: split the columns in two, factor the
    left panel, update the right block with a triangular solve and a matrix product, recurse."""
    nb, m, n = a.shape
    k = min(m, n)
    if k <= _LEAF:
        return _lu_leaf(a)
    n1 = k // 2
    lu1, p1 = _lu_rec(a[:, :, :n1].copy())
    right = _take_rows(a[:, :, n1:], p1)
    l11 = np.tril(lu1[:, :n1, :n1], -1) + np.eye(n1, dtype=a.dtype)
    u12 = _solve_lower(l11, right[:, :n1, :])
    a22 = right[:, n1:, :] - lu1[:, n1:, :n1] @ u12
    lu2, p2 = _lu_rec(a22)
    l21 = _take_rows(lu1[:, n1:, :n1], p2)
    top = np.concatenate([lu1[:, :n1, :n1], u12], axis=2)
    bottom = np.concatenate([l21, lu2], axis=2)
    perm = np.concatenate([p1[:, :n1], np.take_along_axis(p1[:, n1:], p2, axis=1)], axis=1)
    return np.concatenate([top, bottom], axis=1), perm


def _pivots_from_perm(perm, k):
    """LAPACK-style row swaps (``ipiv``, 0-based) that produce the permutation ``perm``."""
    nb, m = perm.shape
    rows = np.arange(nb)
    cur = np.broadcast_to(np.arange(m), (nb, m)).copy()  # row currently at each position
    pos = cur.copy()  # position of each original row
    piv = np.empty((nb, k), np.int32)
    for j in range(k):
        target = perm[:, j]
        p = pos[rows, target]
        piv[:, j] = p
        displaced = cur[rows, j]
        cur[rows, j], cur[rows, p] = target, displaced
        pos[rows, target], pos[rows, displaced] = j, p
    return piv


def _lu(x):
    m, n = x.shape[-2:]
    batch = x.shape[:-2]
    a = np.array(x.reshape((int(np.prod(batch, dtype=np.int64)), m, n)), copy=True)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        packed, perm = _lu_rec(a)
    piv = _pivots_from_perm(perm, min(m, n))
    return [np.ascontiguousarray(packed.reshape(x.shape), dtype=x.dtype),
            piv.reshape(batch + (min(m, n),)),
            perm.astype(np.int32).reshape(batch + (m,))]


# --------------------------------------------------------------------------------------------
# qr, eigh, svd


def _qr(x, *, full_matrices):
    q, r = np.linalg.qr(x, mode="complete" if full_matrices else "reduced")
    return [np.ascontiguousarray(q, dtype=x.dtype), np.ascontiguousarray(r, dtype=x.dtype)]


def _eigh(x, *, lower, symmetrize_input):
    a = _hermitian_part(x) if symmetrize_input else x
    w, v = np.linalg.eigh(a, UPLO="L" if lower else "U")
    return [np.ascontiguousarray(v, dtype=x.dtype),
            np.ascontiguousarray(w, dtype=la.real_dtype(x.dtype))]


def _svd(x, *, full_matrices, compute_uv):
    rdt = la.real_dtype(x.dtype)
    if not compute_uv:
        return [np.ascontiguousarray(np.linalg.svd(x, compute_uv=False), dtype=rdt)]
    u, s, vt = np.linalg.svd(x, full_matrices=full_matrices, compute_uv=True)
    return [np.ascontiguousarray(s, dtype=rdt), np.ascontiguousarray(u, dtype=x.dtype),
            np.ascontiguousarray(vt, dtype=x.dtype)]


# --------------------------------------------------------------------------------------------
# fft


def _fft(x, *, fft_type, fft_lengths):
    axes = tuple(range(-len(fft_lengths), 0))
    if fft_type == "FFT":
        y, dt = np.fft.fftn(x, axes=axes), x.dtype
    elif fft_type == "IFFT":
        y, dt = np.fft.ifftn(x, axes=axes), x.dtype
    elif fft_type == "RFFT":
        y, dt = np.fft.rfftn(x, axes=axes), fo.complex_dtype(x.dtype)
    else:
        y, dt = np.fft.irfftn(x, s=fft_lengths, axes=axes), fo.real_dtype(x.dtype)
    return np.ascontiguousarray(y, dtype=dt)


_reg(la.cholesky_p, _cholesky)
_reg(la.triangular_solve_p, _triangular_solve, 2)
_reg(la.lu_p, _lu)
_reg(la.qr_p, _qr)
_reg(la.eigh_p, _eigh)
_reg(la.svd_p, _svd)
_reg(fo.fft_p, _fft)
