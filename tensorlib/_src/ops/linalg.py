"""Linear-algebra primitives: cholesky, triangular_solve, lu, qr, eigh and svd.

Every primitive works on the last two axes and maps over any leading batch axes; the two
operands of ``triangular_solve`` need equal batch shapes (``tensorlib.numpy.linalg``
broadcasts). The JVP and VJP rules use tensorlib primitives only, so they differentiate again.

Outputs, in order: ``lu -> (lu, pivots, permutation)`` (as ``jax.lax.linalg.lu``),
``qr -> (q, r)``, ``eigh -> (v, w)`` (eigenvectors, then ascending real eigenvalues, as
``jax.lax.linalg.eigh``) and ``svd -> (s, u, vt)`` (singular values first, as JAX's
``svd_p``; only ``(s,)`` when ``compute_uv=False``).

Complex cotangents follow JAX's convention: a VJP returns the *transpose* of the linearized
map, which equals ``conj . adjoint . conj``. Rules whose formulas are easiest as adjoints
(cholesky, qr, eigh, svd) conjugate the cotangents, apply the adjoint and conjugate back.
"""

from __future__ import annotations

from tensorlib._src import dtypes
from tensorlib._src.core import WEAK_NEVER, AbstractArray, Primitive, get_aval
from tensorlib._src.ops.elementwise import (
    add,
    conj,
    convert_element_type,
    div,
    eq,
    full,
    ge,
    le,
    mul,
    neg,
    select_n,
    sub,
    zeros_like,
)
from tensorlib._src.ops.index import scatter_add_along, take_along
from tensorlib._src.ops.reduce import dot_general, reduce_sum
from tensorlib._src.ops.shape import (
    broadcast_in_dim,
    broadcasted_iota,
    concatenate,
    pad,
    slice_in_dim,
    transpose,
)
from tensorlib._src.rules import def_batch, def_jvp, def_shape, def_vjp, shape_rules
from tensorlib.errors import DTypeError, ShapeError, TensorlibError


class DerivativeNotImplementedError(TensorlibError, NotImplementedError):
    """The derivative of this decomposition is not unique or not implemented here."""


_DTYPES = (dtypes.float32, dtypes.float64, dtypes.complex64, dtypes.complex128)

# --------------------------------------------------------------------------------------------
# checks


def _check_dtype(op, x, what="operand"):
    if x.dtype not in _DTYPES:
        raise DTypeError(f"{op}: {what} has {x.str_short()} but {op} needs float32, float64, "
                         "complex64 or complex128; convert it first, e.g. "
                         "x.astype(tensorlib.numpy.float32)")


def _check_matrix(op, x, *, square=False, what="operand"):
    if x.ndim < 2:
        raise ShapeError(f"{op}: {what} must have at least 2 dimensions (a matrix or a batch "
                         f"of matrices in the last two axes), got {x.str_short()}")
    if square and x.shape[-1] != x.shape[-2]:
        raise ShapeError(f"{op}: {what} must be square in its last two axes, got "
                         f"{x.str_short()}")
    _check_dtype(op, x, what)


def real_dtype(dt):
    """The real dtype of the same precision (float32 for complex64)."""
    if dt == dtypes.complex64:
        return dtypes.float32
    if dt == dtypes.complex128:
        return dtypes.float64
    return dt


def _is_complex(x):
    return dtypes.is_complex(x.dtype)


# --------------------------------------------------------------------------------------------
# matrix helpers built from primitives (used by the rules below and by tensorlib.numpy.linalg)


def _batch(x):
    return tuple(range(x.ndim - 2))


def mm(a, b):
    """Batched matrix product over equal leading batch axes."""
    bd = _batch(a)
    return dot_general(a, b, (((a.ndim - 1,), (a.ndim - 2,)), (bd, bd)))


def mT(x):
    nd = x.ndim
    return transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def conj_if_complex(x):
    return conj(x) if _is_complex(x) else x


def mH(x):
    return conj_if_complex(mT(x))


def real_part(x):
    """Real part, as a conversion (its VJP embeds real cotangents back in the complex plane)."""
    return convert_element_type(x, real_dtype(x.dtype)) if _is_complex(x) else x


def _as(x, dt):
    return x if x.dtype == dt else convert_element_type(x, dt)


def _tri_mask(shape, k, lower):
    """Boolean mask of ``tril(., k)`` (or ``triu(., k)``) broadcast to ``shape``."""
    m, n = shape[-2:]
    r = broadcasted_iota(dtypes.int32, (m, n), 0)
    c = broadcasted_iota(dtypes.int32, (m, n), 1)
    rk = add(r, full((m, n), k, dtypes.int32))
    mask = ge(rk, c) if lower else le(rk, c)
    nd = len(shape)
    return broadcast_in_dim(mask, shape, (nd - 2, nd - 1))


def tril(x, k=0):
    return select_n(_tri_mask(x.shape, k, True), zeros_like(x), x)


def triu(x, k=0):
    return select_n(_tri_mask(x.shape, k, False), zeros_like(x), x)


def eye_like(x, m=None, n=None, offset=0):
    """Identity pattern of ``x``'s dtype and batch shape, ``(..., m, n)``, ones at ``i + offset
    == j`` (the default is ``x``'s own matrix shape)."""
    m = x.shape[-2] if m is None else m
    n = x.shape[-1] if n is None else n
    r = broadcasted_iota(dtypes.int32, (m, n), 0)
    c = broadcasted_iota(dtypes.int32, (m, n), 1)
    e = convert_element_type(eq(add(r, full((m, n), offset, dtypes.int32)), c), x.dtype)
    shape = x.shape[:-2] + (m, n)
    return broadcast_in_dim(e, shape, (len(shape) - 2, len(shape) - 1))


def diag_part(x):
    """The main diagonal of the last two axes, ``(..., min(m, n))``."""
    m, n = x.shape[-2:]
    d = reduce_sum(mul(x, eye_like(x)), (x.ndim - 1,))
    return slice_in_dim(d, 0, min(m, n), axis=d.ndim - 1) if m > n else d


def diag_embed(d):
    """``(..., k) -> (..., k, k)`` with ``d`` on the diagonal."""
    k = d.shape[-1]
    nd = d.ndim
    rows = broadcast_in_dim(d, d.shape + (k,), tuple(range(nd)))
    return mul(rows, eye_like(rows))


def scale_cols(x, s):
    """``x @ diag(s)``."""
    nd = x.ndim
    return mul(x, broadcast_in_dim(_as(s, x.dtype), x.shape, tuple(range(nd - 2)) + (nd - 1,)))


def scale_rows(x, s):
    """``diag(s) @ x``."""
    nd = x.ndim
    return mul(x, broadcast_in_dim(_as(s, x.dtype), x.shape, tuple(range(nd - 2)) + (nd - 2,)))


def _half(x):
    return mul(x, full(x.shape, 0.5, x.dtype))


def _addn(*xs):
    xs = [x for x in xs if x is not None]
    out = xs[0]
    for x in xs[1:]:
        out = add(out, x)
    return out


def _imag_diag(x):
    """``i * Im(diag(x))`` as a diagonal matrix (zero for real ``x``): the part of the diagonal
    that a complex unitary gauge leaves free."""
    return mul(_half(sub(x, conj(x))), eye_like(x))


def _gap_inverse(w):
    """``F[..., i, j] = 1 / (w[j] - w[i])`` off the diagonal and 0 on it."""
    n = w.shape[-1]
    nd = w.ndim
    shape = w.shape + (n,)
    wj = broadcast_in_dim(w, shape, tuple(range(nd - 1)) + (nd,))
    wi = broadcast_in_dim(w, shape, tuple(range(nd)))
    e = eye_like(wj)
    return sub(div(full(shape, 1, w.dtype), add(sub(wj, wi), e)), e)


def _safe_reciprocal(s):
    zero = eq(s, zeros_like(s))
    one = full(s.shape, 1, s.dtype)
    return select_n(zero, div(one, select_n(zero, s, one)), zeros_like(s))


def checked_bind(prim, *args, **params):
    """Bind after running the shape rule, so eager calls fail with the rule's message (naming
    the op and the shapes) rather than with whatever the backend kernel raises."""
    shape_rules[prim](*[get_aval(a) for a in args], **params)
    return prim.bind(*args, **params)


def def_batch_leading(prim):
    """Batching rule: the mapped axis becomes one more leading batch axis (unmapped operands
    are broadcast), since every primitive here maps over its leading axes."""

    @def_batch(prim)
    def _batch_rule(info, vals, bdims, **params):
        moved = []
        for a, d in zip(vals, bdims, strict=True):
            aval = get_aval(a)
            if d is None:
                moved.append(broadcast_in_dim(a, (info.size,) + aval.shape,
                                              tuple(range(1, aval.ndim + 1))))
            else:
                moved.append(transpose(a, (d,) + tuple(i for i in range(aval.ndim) if i != d)))
        out = prim.bind(*moved, **params)
        return out, ([0] * len(out) if prim.multiple_results else 0)

    return _batch_rule


# --------------------------------------------------------------------------------------------
# triangular_solve


triangular_solve_p = Primitive("triangular_solve", weak=WEAK_NEVER)


def triangular_solve(a, b, *, left_side=False, lower=False, transpose_a=False,
                     conjugate_a=False, unit_diagonal=False):
    """Solve ``op(a) @ x = b`` (``left_side``) or ``x @ op(a) = b`` for triangular ``a``.

    Only the ``lower`` (or upper) triangle of ``a`` is read; with ``unit_diagonal`` its
    diagonal is taken to be ones. ``op`` transposes and/or conjugates ``a``. As
    ``jax.lax.linalg.triangular_solve``.
    """
    return checked_bind(
        triangular_solve_p, a, b, left_side=bool(left_side), lower=bool(lower),
        transpose_a=bool(transpose_a), conjugate_a=bool(conjugate_a),
        unit_diagonal=bool(unit_diagonal))


@def_shape(triangular_solve_p)
def _triangular_solve_shape(a, b, *, left_side, lower, transpose_a, conjugate_a,
                            unit_diagonal):
    op = "triangular_solve"
    _check_matrix(op, a, square=True, what="a")
    _check_matrix(op, b, what="b")
    if a.dtype != b.dtype:
        raise DTypeError(f"{op}: a {a.str_short()} and b {b.str_short()} need one dtype; "
                         "tensorlib.numpy.linalg.solve promotes")
    m = a.shape[-1]
    k = b.shape[-2] if left_side else b.shape[-1]
    if k != m or a.shape[:-2] != b.shape[:-2]:
        side = "rows" if left_side else "columns"
        raise ShapeError(f"{op}: a {a.str_short()} and b {b.str_short()} do not fit: with "
                         f"left_side={left_side} b needs {m} {side} and the same batch shape "
                         f"{a.shape[:-2]} as a")
    return AbstractArray(b.shape, b.dtype, False)


def _solve_like(a, rhs, p, **changes):
    params = dict(p)
    params.update(changes)
    return triangular_solve_p.bind(a, rhs, **params)


def _op_a(g, transpose_a, conjugate_a):
    g = mT(g) if transpose_a else g
    return conj_if_complex(g) if conjugate_a else g


def _triangle(g, lower, unit_diagonal):
    k = 1 if unit_diagonal else 0
    return tril(g, -k) if lower else triu(g, k)


@def_jvp(triangular_solve_p)
def _triangular_solve_jvp(primals, tangents, **p):
    a, b = primals
    ta, tb = tangents
    x = triangular_solve_p.bind(a, b, **p)
    t = None if tb is None else triangular_solve_p.bind(a, tb, **p)
    if ta is not None:
        g = _op_a(_triangle(ta, p["lower"], p["unit_diagonal"]), p["transpose_a"],
                  p["conjugate_a"])
        # left: op(a) dx = -op(da) x; right: dx op(a) = -x op(da)
        rhs = mm(g, x) if p["left_side"] else mm(x, g)
        t = _addn(t, neg(triangular_solve_p.bind(a, rhs, **p)))
    return x, t


@def_vjp(triangular_solve_p)
def _triangular_solve_vjp(ct, x, a, b, **p):
    # Linear in b: the transpose solves with op(a)^T. For a, transpose da -> -op(da) x.
    ct_b = _solve_like(a, ct, p, transpose_a=not p["transpose_a"])
    g = neg(mm(ct_b, mT(x)) if p["left_side"] else mm(mT(x), ct_b))
    g = conj_if_complex(g) if p["conjugate_a"] else g
    g = mT(g) if p["transpose_a"] else g
    return _triangle(g, p["lower"], p["unit_diagonal"]), ct_b


def_batch_leading(triangular_solve_p)

# --------------------------------------------------------------------------------------------
# cholesky


cholesky_p = Primitive("cholesky", weak=WEAK_NEVER)


def cholesky(x, *, symmetrize_input=True):
    """Lower Cholesky factor ``L`` with ``L @ L^H = A``.

    With ``symmetrize_input`` (default) ``A = (x + x^H) / 2``; otherwise ``A`` is the
    Hermitian matrix read from the lower triangle of ``x``. Matrices that are not positive
    definite give NaNs (as in JAX).
    """
    return checked_bind(cholesky_p, x, symmetrize_input=bool(symmetrize_input))


@def_shape(cholesky_p)
def _cholesky_shape(x, *, symmetrize_input):
    _check_matrix("cholesky", x, square=True)
    return AbstractArray(x.shape, x.dtype, False)


def _real_diag(x):
    """The real part of the diagonal, as a diagonal matrix."""
    d = mul(x, eye_like(x))
    return _half(add(d, conj(d))) if _is_complex(d) else d


def hermitian_tangent(t, symmetrize_input, lower=True):
    """The perturbation of the Hermitian matrix a kernel sees when its input moves by ``t``:
    ``(t + t^H) / 2``, or the Hermitian matrix read from one triangle (LAPACK reads only the
    real part of the diagonal)."""
    if symmetrize_input:
        return _half(add(t, mH(t)))
    off = tril(t, -1) if lower else triu(t, 1)
    return _addn(off, mH(off), _real_diag(t))


def _hermitian_adjoint(c, symmetrize_input, lower=True):
    """Adjoint of ``hermitian_tangent``."""
    if symmetrize_input:
        return _half(add(c, mH(c)))
    both = add(c, mH(c))
    return add(tril(both, -1) if lower else triu(both, 1), _real_diag(c))


def _phi(x):
    """Lower triangle with the diagonal halved (Murray 2016)."""
    return sub(tril(x), _half(mul(x, eye_like(x))))


@def_jvp(cholesky_p)
def _cholesky_jvp(primals, tangents, *, symmetrize_input):
    (x,), (t,) = primals, tangents
    L = cholesky_p.bind(x, symmetrize_input=symmetrize_input)
    if t is None:
        return L, None
    s = hermitian_tangent(t, symmetrize_input)
    # dL = L phi(L^-1 dA L^-H)
    tmp = triangular_solve(L, s, left_side=True, lower=True)
    tmp = triangular_solve(L, tmp, left_side=False, lower=True, transpose_a=True,
                           conjugate_a=True)
    return L, mm(L, _phi(tmp))


@def_vjp(cholesky_p)
def _cholesky_vjp(ct, L, x, *, symmetrize_input):
    ct = conj_if_complex(ct)
    # adjoint: dA_bar = sym(L^-H phi(L^H L_bar) L^-1)
    p = _phi(mm(mH(L), ct))
    tmp = triangular_solve(L, p, left_side=True, lower=True, transpose_a=True, conjugate_a=True)
    s = triangular_solve(L, tmp, left_side=False, lower=True)
    return (conj_if_complex(_hermitian_adjoint(s, symmetrize_input)),)


def_batch_leading(cholesky_p)

# --------------------------------------------------------------------------------------------
# lu


lu_p = Primitive("lu", multiple_results=True, weak=WEAK_NEVER)


def lu(x):
    """LU decomposition with partial pivoting: ``(lu, pivots, permutation)``.

    ``lu`` packs the unit lower factor (below the diagonal) and the upper factor; ``pivots``
    (int32, ``min(m, n)``) are LAPACK-style row swaps (0-based) and ``permutation`` (int32,
    ``m``) the resulting row order: ``x[..., permutation, :] == L @ U``.
    """
    return checked_bind(lu_p, x)


@def_shape(lu_p)
def _lu_shape(x):
    _check_matrix("lu", x)
    m, n = x.shape[-2:]
    batch = x.shape[:-2]
    return [AbstractArray(x.shape, x.dtype, False),
            AbstractArray(batch + (min(m, n),), dtypes.int32, False),
            AbstractArray(batch + (m,), dtypes.int32, False)]


def _lu_factors(packed):
    """Square unit-lower ``L`` (m x m) and upper ``U`` (n x n), padded with the identity."""
    m, n = packed.shape[-2:]
    k = min(m, n)
    nd = packed.ndim
    zero = full((), 0, packed.dtype)
    low = tril(slice_in_dim(packed, 0, k, axis=nd - 1), -1)
    if m > k:
        low = pad(low, zero, [(0, 0, 0)] * (nd - 1) + [(0, m - k, 0)])
    low = add(low, eye_like(low))
    up = triu(slice_in_dim(packed, 0, k, axis=nd - 2))
    if n > k:
        up = pad(up, zero, [(0, 0, 0)] * (nd - 2) + [(0, n - k, 0), (0, 0, 0)])
        up = add(up, mul(eye_like(up), _rows_from(up, k)))
    return low, up


def _rows_from(x, k):
    """Ones on rows (and columns) ``>= k``: the identity block that pads ``U``."""
    n = x.shape[-1]
    r = broadcasted_iota(dtypes.int32, (n, n), 0)
    keep = convert_element_type(ge(r, full((n, n), k, dtypes.int32)), x.dtype)
    nd = x.ndim
    return broadcast_in_dim(keep, x.shape, (nd - 2, nd - 1))


def _row_index(perm, shape):
    nd = len(shape)
    return broadcast_in_dim(perm, shape, tuple(range(nd - 2)) + (nd - 2,))


def permute_rows(x, perm):
    """``x[..., perm, :]`` for a batch of row permutations ``perm`` (..., m)."""
    return take_along(x, _row_index(perm, x.shape), x.ndim - 2)


@def_jvp(lu_p)
def _lu_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    packed, pivots, perm = lu_p.bind(x)
    if t is None:
        return [packed, pivots, perm], [None, None, None]
    # De Hoog, Anderssen & Lukas: with X = L^-1 P dA U^-1,
    # dL = L tril(X, -1) and dU = triu(X) U.
    low, up = _lu_factors(packed)
    pt = permute_rows(t, perm)
    la = triangular_solve(low, pt, left_side=True, lower=True, unit_diagonal=True)
    xx = triangular_solve(up, la, left_side=False, lower=False)
    dlu = add(mm(low, tril(xx, -1)), mm(triu(xx), up))
    return [packed, pivots, perm], [dlu, None, None]


@def_vjp(lu_p)
def _lu_vjp(cts, outs, x):
    ct = cts[0]
    if ct is None:
        return (None,)
    packed, _, perm = outs
    low, up = _lu_factors(packed)
    # Transpose of the JVP (every step is complex-linear, so no conjugation).
    xbar = add(tril(mm(mT(low), ct), -1), triu(mm(ct, mT(up))))
    y = triangular_solve(low, xbar, left_side=True, lower=True, transpose_a=True,
                         unit_diagonal=True)
    y = triangular_solve(up, y, left_side=False, lower=False, transpose_a=True)
    return (scatter_add_along(zeros_like(x), _row_index(perm, x.shape), y, x.ndim - 2),)


def_batch_leading(lu_p)

# --------------------------------------------------------------------------------------------
# qr


qr_p = Primitive("qr", multiple_results=True, weak=WEAK_NEVER)


def qr(x, *, full_matrices=True):
    """QR decomposition ``(q, r)``: ``q`` (m x m, or m x k when not ``full_matrices``) has
    orthonormal columns and ``r`` is upper triangular."""
    return checked_bind(qr_p, x, full_matrices=bool(full_matrices))


@def_shape(qr_p)
def _qr_shape(x, *, full_matrices):
    _check_matrix("qr", x)
    m, n = x.shape[-2:]
    kq = m if full_matrices else min(m, n)
    b = x.shape[:-2]
    return [AbstractArray(b + (m, kq), x.dtype, False), AbstractArray(b + (kq, n), x.dtype,
                                                                      False)]


def _check_qr_diff(x, full_matrices):
    m, n = x.shape[-2:]
    if full_matrices and m > n:
        raise DerivativeNotImplementedError(
            f"qr: the complete QR of a tall matrix ({x.aval.str_short()}, "
            "full_matrices=True) has no unique derivative; differentiate the reduced QR "
            "(full_matrices=False, mode='reduced') instead")


def _qr_tall_jvp(q, r, dx):
    """(dq, dr) for m >= n (Walter & Lehmann; j-towns.github.io/papers/qr-derivative.pdf)."""
    y = triangular_solve(r, dx, left_side=False, lower=False)  # dx R^-1
    z = mm(mH(q), y)
    low = tril(z, -1)
    om = sub(low, mH(low))
    if _is_complex(z):
        om = add(om, _imag_diag(z))
    return add(mm(q, sub(om, z)), y), mm(sub(z, om), r)


def _qr_tall_adjoint(q, r, qbar, rbar):
    m_ = sub(mm(mH(q), qbar), mm(rbar, mH(r)))
    zbar = sub(tril(sub(m_, mH(m_)), -1), m_)
    if _is_complex(m_):
        zbar = add(zbar, _imag_diag(m_))
    ybar = add(qbar, mm(q, zbar))
    return triangular_solve(r, ybar, left_side=False, lower=False, transpose_a=True,
                            conjugate_a=True)


@def_jvp(qr_p)
def _qr_jvp(primals, tangents, *, full_matrices):
    (x,), (t,) = primals, tangents
    outs = qr_p.bind(x, full_matrices=full_matrices)
    if t is None:
        return outs, [None, None]
    _check_qr_diff(x, full_matrices)
    q, r = outs
    m, n = x.shape[-2:]
    if m >= n:
        return outs, list(_qr_tall_jvp(q, r, t))
    # wide: x = [x1 x2] with x1 square; q r1 = x1, r2 = q^H x2
    nd = x.ndim
    r1, r2 = slice_in_dim(r, 0, m, axis=nd - 1), slice_in_dim(r, m, n, axis=nd - 1)
    t1, t2 = slice_in_dim(t, 0, m, axis=nd - 1), slice_in_dim(t, m, n, axis=nd - 1)
    dq, dr1 = _qr_tall_jvp(q, r1, t1)
    dr2 = mm(mH(q), sub(t2, mm(dq, r2)))
    return outs, [dq, concatenate([dr1, dr2], nd - 1)]


@def_vjp(qr_p)
def _qr_vjp(cts, outs, x, *, full_matrices):
    _check_qr_diff(x, full_matrices)
    q, r = outs
    qbar = zeros_like(q) if cts[0] is None else conj_if_complex(cts[0])
    rbar = zeros_like(r) if cts[1] is None else conj_if_complex(cts[1])
    m, n = x.shape[-2:]
    if m >= n:
        return (conj_if_complex(_qr_tall_adjoint(q, r, qbar, rbar)),)
    nd = x.ndim
    r1, r2 = slice_in_dim(r, 0, m, axis=nd - 1), slice_in_dim(r, m, n, axis=nd - 1)
    rb1, rb2 = slice_in_dim(rbar, 0, m, axis=nd - 1), slice_in_dim(rbar, m, n, axis=nd - 1)
    qbar = sub(qbar, mm(q, mm(rb2, mH(r2))))
    x1bar = _qr_tall_adjoint(q, r1, qbar, rb1)
    return (conj_if_complex(concatenate([x1bar, mm(q, rb2)], nd - 1)),)


def_batch_leading(qr_p)

# --------------------------------------------------------------------------------------------
# eigh


eigh_p = Primitive("eigh", multiple_results=True, weak=WEAK_NEVER)


def eigh(x, *, lower=True, symmetrize_input=True):
    """Eigendecomposition of a Hermitian matrix: ``(v, w)`` with ``x @ v = v * w``.

    ``w`` (real, ascending) and the columns of ``v``. With ``symmetrize_input`` (default) the
    matrix is ``(x + x^H) / 2``; otherwise the Hermitian matrix read from the ``lower`` (or
    upper) triangle of ``x``.
    """
    return checked_bind(eigh_p, x, lower=bool(lower), symmetrize_input=bool(symmetrize_input))


@def_shape(eigh_p)
def _eigh_shape(x, *, lower, symmetrize_input):
    _check_matrix("eigh", x, square=True)
    return [AbstractArray(x.shape, x.dtype, False),
            AbstractArray(x.shape[:-1], real_dtype(x.dtype), False)]


@def_jvp(eigh_p)
def _eigh_jvp(primals, tangents, *, lower, symmetrize_input):
    (x,), (t,) = primals, tangents
    v, w = eigh_p.bind(x, lower=lower, symmetrize_input=symmetrize_input)
    if t is None:
        return [v, w], [None, None]
    s = mm(mm(mH(v), hermitian_tangent(t, symmetrize_input, lower)), v)
    dv = mm(v, mul(_as(_gap_inverse(w), x.dtype), s))
    return [v, w], [dv, real_part(diag_part(s))]


@def_vjp(eigh_p)
def _eigh_vjp(cts, outs, x, *, lower, symmetrize_input):
    v, w = outs
    vbar, wbar = cts
    sbar = None
    if vbar is not None:
        sbar = mul(_as(_gap_inverse(w), x.dtype), mm(mH(v), conj_if_complex(vbar)))
    if wbar is not None:
        sbar = _addn(sbar, diag_embed(_as(wbar, x.dtype)))
    if sbar is None:
        return (None,)
    c = mm(mm(v, sbar), mH(v))
    return (conj_if_complex(_hermitian_adjoint(c, symmetrize_input, lower)),)


def_batch_leading(eigh_p)

# --------------------------------------------------------------------------------------------
# svd


svd_p = Primitive("svd", multiple_results=True, weak=WEAK_NEVER)


def svd(x, *, full_matrices=True, compute_uv=True):
    """Singular value decomposition: ``(s, u, vt)`` with ``x = u @ diag(s) @ vt``, or ``(s,)``
    when not ``compute_uv``. ``s`` is real and descending."""
    return checked_bind(svd_p, x, full_matrices=bool(full_matrices),
                        compute_uv=bool(compute_uv))


@def_shape(svd_p)
def _svd_shape(x, *, full_matrices, compute_uv):
    _check_matrix("svd", x)
    m, n = x.shape[-2:]
    k = min(m, n)
    b = x.shape[:-2]
    s = AbstractArray(b + (k,), real_dtype(x.dtype), False)
    if not compute_uv:
        return [s]
    ku, kv = (m, n) if full_matrices else (k, k)
    return [s, AbstractArray(b + (m, ku), x.dtype, False),
            AbstractArray(b + (kv, n), x.dtype, False)]


def _check_svd_diff(x, full_matrices, compute_uv):
    m, n = x.shape[-2:]
    if compute_uv and full_matrices and m != n:
        raise DerivativeNotImplementedError(
            f"svd: the derivative of the full SVD of a non-square matrix "
            f"({x.aval.str_short()}, full_matrices=True) is not implemented; use "
            "full_matrices=False")


def _svd_gaps(s):
    """``F[i, j] = 1 / (s_j^2 - s_i^2)`` off the diagonal, 0 on it."""
    return _gap_inverse(mul(s, s))


@def_jvp(svd_p)
def _svd_jvp(primals, tangents, *, full_matrices, compute_uv):
    (x,), (t,) = primals, tangents
    outs = svd_p.bind(x, full_matrices=full_matrices, compute_uv=compute_uv)
    if t is None:
        return outs, [None] * len(outs)
    _check_svd_diff(x, full_matrices, compute_uv)
    s, u, vt = svd_p.bind(x, full_matrices=False, compute_uv=True)
    v = mH(vt)
    ds_mat = mm(mm(mH(u), t), v)
    ds = real_part(diag_part(ds_mat))
    if not compute_uv:
        return outs, [ds]
    f = _as(_svd_gaps(s), x.dtype)
    dss = scale_cols(ds_mat, s)  # dS S
    sds = scale_rows(ds_mat, s)  # S dS
    du_inner = mul(f, add(dss, mH(dss)))
    if _is_complex(x):
        du_inner = add(du_inner, scale_cols(mul(_half(sub(ds_mat, mH(ds_mat))), eye_like(ds_mat)),
                                            _safe_reciprocal(s)))
    du = mm(u, du_inner)
    dv = mm(v, mul(f, add(sds, mH(sds))))
    m, n = x.shape[-2:]
    s_inv = div(full(s.shape, 1, s.dtype), s)
    if m > n:
        dav = mm(t, v)
        du = add(du, scale_cols(sub(dav, mm(u, mm(mH(u), dav))), s_inv))
    if n > m:
        dahu = mm(mH(t), u)
        dv = add(dv, scale_cols(sub(dahu, mm(v, mm(vt, dahu))), s_inv))
    return outs, [ds, du, mH(dv)]


@def_vjp(svd_p)
def _svd_vjp(cts, outs, x, *, full_matrices, compute_uv):
    _check_svd_diff(x, full_matrices, compute_uv)
    if compute_uv:
        s, u, vt = outs
        sbar, ubar, vtbar = cts
    else:
        s, u, vt = svd_p.bind(x, full_matrices=False, compute_uv=True)
        sbar, ubar, vtbar = cts[0], None, None
    ubar = None if ubar is None else conj_if_complex(ubar)
    vbar = None if vtbar is None else mT(vtbar)  # conj(vt_bar)^H
    m, n = x.shape[-2:]
    sm = None if sbar is None else diag_embed(_as(sbar, x.dtype))
    f = _as(_svd_gaps(s), x.dtype)
    s_inv = div(full(s.shape, 1, s.dtype), s)
    extra = None
    if ubar is not None:
        g = mm(mH(u), ubar)
        p = mul(f, g)
        sm = _addn(sm, scale_cols(add(p, mH(p)), s))
        if _is_complex(x):
            qd = scale_cols(mul(g, eye_like(g)), _safe_reciprocal(s))
            sm = add(sm, _half(sub(qd, mH(qd))))
        if m > n:
            extra = mm(scale_cols(sub(ubar, mm(u, g)), s_inv), vt)
    if vbar is not None:
        h = mm(vt, vbar)
        p2 = mul(f, h)
        sm = _addn(sm, scale_rows(add(p2, mH(p2)), s))
        if n > m:
            vbh = mH(vbar)
            extra = _addn(extra, mm(u, scale_rows(sub(vbh, mm(mm(vbh, mH(vt)), vt)), s_inv)))
    if sm is None and extra is None:
        return (None,)
    out = None if sm is None else mm(mm(u, sm), vt)
    return (conj_if_complex(_addn(out, extra)),)


def_batch_leading(svd_p)
