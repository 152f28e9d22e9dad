"""NumPy kernels of the linear-algebra and FFT primitives (``tensorlib._src.ops.linalg``/``fft``).

Every kernel keeps the precision of its input (float32 in, float32 out; NumPy's ``linalg`` and
``fft`` already do on NumPy 2, the casts cover NumPy 1.26) and returns ndarrays. NumPy has no
LU or triangular solve, so both are written here: recursive (blocked) algorithms whose bulk
is matrix products, with short substitution / elimination loops at the leaves, vectorized
over the batch axes.

The kernels are written against an array module ``xp`` (``register_kernels(xp, ndarray)``), so
the CuPy backend registers the same code for ``cupy.ndarray``: CuPy has ``linalg.cholesky``,
``qr``, ``eigh``, ``svd`` and ``fft`` with NumPy's signatures, and the recursive LU and
triangular solve are plain array code.
"""

from __future__ import annotations

import contextlib

import numpy as np
from tensorlib.backends.xp_kernels import bind_xp as _bind

from tensorlib._src.dispatch import register_impl
from tensorlib._src.ops import fft as fo
from tensorlib._src.ops import linalg as la

_LEAF = 16  # below this size the leaf loops beat the recursion's matmul calls


def _swap(xp, x):
    return xp.swapaxes(x, -1, -2)


def _hermitian_part(xp, x):
    return (x + xp.conj(_swap(xp, x))) / x.dtype.type(2)


def _per_matrix(xp, fn, x, out_shapes_dtypes):
    """Apply ``fn`` to each matrix of the batch; a matrix whose factorization fails gives NaNs
    (as XLA does) instead of failing the whole batch."""
    flat = x.reshape((int(np.prod(x.shape[:-2], dtype=np.int64)),) + x.shape[-2:])
    outs = [xp.empty((flat.shape[0],) + s, d) for s, d in out_shapes_dtypes]
    for i, mat in enumerate(flat):
        try:
            res = fn(mat)
        except np.linalg.LinAlgError:
            res = [xp.full(s, np.nan, d) for s, d in out_shapes_dtypes]
        for o, r in zip(outs, res, strict=True):
            o[i] = r
    return [o.reshape(x.shape[:-2] + o.shape[1:]) for o in outs]


# --------------------------------------------------------------------------------------------
# cholesky


def _cholesky(xp, x, *, symmetrize_input):
    a = _hermitian_part(xp, x) if symmetrize_input else x
    try:
        # CuPy does not raise on a matrix that is not positive definite (unless
        # cupyx.errstate(linalg="raise")): its factor holds NaNs there, as XLA's does
        out = xp.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        out = _per_matrix(xp, lambda m: [xp.linalg.cholesky(m)], a,
                          [(x.shape[-2:], x.dtype)])[0]
    return xp.ascontiguousarray(out, dtype=x.dtype)


# --------------------------------------------------------------------------------------------
# triangular solve


def _solve_lower(xp, low, b):
    """``low @ x = b`` for lower-triangular ``low`` (..., m, m), by recursive halving."""
    m = low.shape[-1]
    if m <= _LEAF:
        x = xp.empty(np.broadcast_shapes(low.shape[:-2], b.shape[:-2]) + b.shape[-2:],
                     np.result_type(low.dtype, b.dtype))
        for i in range(m):
            r = b[..., i, :]
            if i:
                r = r - (low[..., i:i + 1, :i] @ x[..., :i, :])[..., 0, :]
            x[..., i, :] = r / low[..., i, i, None]
        return x
    h = m // 2
    x1 = _solve_lower(xp, low[..., :h, :h], b[..., :h, :])
    x2 = _solve_lower(xp, low[..., h:, h:], b[..., h:, :] - low[..., h:, :h] @ x1)
    return xp.concatenate([x1, x2], axis=-2)


def _triangular_solve(xp, a, b, *, left_side, lower, transpose_a, conjugate_a, unit_diagonal):
    t = xp.tril(a) if lower else xp.triu(a)
    if unit_diagonal:
        idx = xp.arange(a.shape[-1])
        t[..., idx, idx] = 1
    if conjugate_a:
        t = xp.conj(t)
    if transpose_a:
        t, lower = _swap(xp, t), not lower
    rhs = b
    if not left_side:  # x op(a) = b  <=>  op(a)^T x^T = b^T
        t, lower, rhs = _swap(xp, t), not lower, _swap(xp, b)
    if not lower:  # reverse rows and columns: upper becomes lower
        t, rhs = t[..., ::-1, ::-1], rhs[..., ::-1, :]
    with _errstate(xp):
        x = _solve_lower(xp, t, rhs)
    if not lower:
        x = x[..., ::-1, :]
    if not left_side:
        x = _swap(xp, x)
    return xp.ascontiguousarray(x, dtype=b.dtype)


# --------------------------------------------------------------------------------------------
# LU with partial pivoting


def _cabs1(xp, x):
    """LAPACK's pivot size (``izamax``): ``|re| + |im|`` for complex numbers."""
    if x.dtype.kind == "c":
        return xp.abs(x.real) + xp.abs(x.imag)
    return xp.abs(x)


def _lu_leaf(xp, a):
    """Unblocked right-looking elimination on a (B, m, n) copy; returns (lu, perm)."""
    nb, m, n = a.shape
    perm = xp.broadcast_to(xp.arange(m), (nb, m)).copy()
    rows = xp.arange(nb)
    for j in range(min(m, n)):
        p = j + xp.argmax(_cabs1(xp, a[:, j:, j]), axis=1)
        a[rows, j], a[rows, p] = a[rows, p], a[rows, j].copy()
        perm[rows, j], perm[rows, p] = perm[rows, p], perm[rows, j].copy()
        piv = a[:, j, j]
        zero = piv == 0
        mult = a[:, j + 1:, j] / xp.where(zero, 1, piv)[:, None]
        a[:, j + 1:, j] = mult
        a[:, j + 1:, j + 1:] -= mult[:, :, None] * a[:, j, None, j + 1:]
    return a, perm


def _take_rows(xp, x, perm):
    # x[b, perm[b], :] for every b; plain fancy indexing copies whole rows (take_along_axis
    # would build an index per element and is ~20x slower here)
    return x[xp.arange(x.shape[0])[:, None], perm]


def _lu_rec(xp, a):
    """Recursive LU (Toledo 1997) of a (B, m, n) array: split the columns in two, factor the
    left panel, update the right block with a triangular solve and a matrix product, recurse."""
    nb, m, n = a.shape
    k = min(m, n)
    if k <= _LEAF:
        return _lu_leaf(xp, a)
    n1 = k // 2
    lu1, p1 = _lu_rec(xp, a[:, :, :n1].copy())
    right = _take_rows(xp, a[:, :, n1:], p1)
    l11 = xp.tril(lu1[:, :n1, :n1], -1) + xp.eye(n1, dtype=a.dtype)
    u12 = _solve_lower(xp, l11, right[:, :n1, :])
    a22 = right[:, n1:, :] - lu1[:, n1:, :n1] @ u12
    lu2, p2 = _lu_rec(xp, a22)
    l21 = _take_rows(xp, lu1[:, n1:, :n1], p2)
    top = xp.concatenate([lu1[:, :n1, :n1], u12], axis=2)
    bottom = xp.concatenate([l21, lu2], axis=2)
    perm = xp.concatenate([p1[:, :n1], xp.take_along_axis(p1[:, n1:], p2, axis=1)], axis=1)
    return xp.concatenate([top, bottom], axis=1), perm


def _pivots_from_perm(xp, perm, k):
    """LAPACK-style row swaps (``ipiv``, 0-based) that produce the permutation ``perm``."""
    nb, m = perm.shape
    rows = xp.arange(nb)
    cur = xp.broadcast_to(xp.arange(m), (nb, m)).copy()  # row currently at each position
    pos = cur.copy()  # position of each original row
    piv = xp.empty((nb, k), np.int32)
    for j in range(k):
        target = perm[:, j]
        p = pos[rows, target]
        piv[:, j] = p
        displaced = cur[rows, j]
        cur[rows, j], cur[rows, p] = target, displaced
        pos[rows, target], pos[rows, displaced] = j, p
    return piv


def _lu(xp, x):
    m, n = x.shape[-2:]
    batch = x.shape[:-2]
    a = xp.array(x.reshape((int(np.prod(batch, dtype=np.int64)), m, n)), copy=True)
    with _errstate(xp):
        packed, perm = _lu_rec(xp, a)
    piv = _pivots_from_perm(xp, perm, min(m, n))
    return [xp.ascontiguousarray(packed.reshape(x.shape), dtype=x.dtype),
            piv.reshape(batch + (min(m, n),)),
            perm.astype(np.int32).reshape(batch + (m,))]


# --------------------------------------------------------------------------------------------
# qr, eigh, svd


def _qr(xp, x, *, full_matrices):
    q, r = xp.linalg.qr(x, mode="complete" if full_matrices else "reduced")
    return [xp.ascontiguousarray(q, dtype=x.dtype), xp.ascontiguousarray(r, dtype=x.dtype)]


def _eigh(xp, x, *, lower, symmetrize_input):
    a = _hermitian_part(xp, x) if symmetrize_input else x
    w, v = xp.linalg.eigh(a, UPLO="L" if lower else "U")
    return [xp.ascontiguousarray(v, dtype=x.dtype),
            xp.ascontiguousarray(w, dtype=la.real_dtype(x.dtype))]


def _svd(xp, x, *, full_matrices, compute_uv):
    rdt = la.real_dtype(x.dtype)
    if not compute_uv:
        return [xp.ascontiguousarray(xp.linalg.svd(x, compute_uv=False), dtype=rdt)]
    u, s, vt = xp.linalg.svd(x, full_matrices=full_matrices, compute_uv=True)
    return [xp.ascontiguousarray(s, dtype=rdt), xp.ascontiguousarray(u, dtype=x.dtype),
            xp.ascontiguousarray(vt, dtype=x.dtype)]


# --------------------------------------------------------------------------------------------
# fft


def _fft(xp, x, *, fft_type, fft_lengths):
    axes = tuple(range(-len(fft_lengths), 0))
    if fft_type == "FFT":
        y, dt = xp.fft.fftn(x, axes=axes), x.dtype
    elif fft_type == "IFFT":
        y, dt = xp.fft.ifftn(x, axes=axes), x.dtype
    elif fft_type == "RFFT":
        y, dt = xp.fft.rfftn(x, axes=axes), fo.complex_dtype(x.dtype)
    else:
        y, dt = xp.fft.irfftn(x, s=fft_lengths, axes=axes), fo.real_dtype(x.dtype)
    return xp.ascontiguousarray(y, dtype=dt)


def _errstate(xp):
    # NumPy warns on floating-point errors in the substitutions; CuPy has no such warnings
    if xp is np:
        return np.errstate(divide="ignore", invalid="ignore", over="ignore")
    return contextlib.nullcontext()


def register_kernels(xp, ndarray, wrap=None):
    """Register the linear-algebra and FFT kernels for buffers of type ``ndarray`` of ``xp``
    (``wrap(prim, fn)``: see ``numpy_backend.register_kernels``)."""
    for prim, fn, n in [(la.cholesky_p, _cholesky, 1), (la.triangular_solve_p,
                                                         _triangular_solve, 2),
                        (la.lu_p, _lu, 1), (la.qr_p, _qr, 1), (la.eigh_p, _eigh, 1),
                        (la.svd_p, _svd, 1), (fo.fft_p, _fft, 1)]:
        kernel = _bind(xp, fn)
        register_impl(prim, (ndarray,) * n, kernel if wrap is None else wrap(prim, kernel))
