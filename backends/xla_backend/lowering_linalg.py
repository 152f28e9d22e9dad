"""Lowerings of linear algebra, FFT, convolutions and windowed reductions.

``cholesky`` and ``triangular_solve`` are StableHLO ops that XLA's CPU compiler expands
itself. LU, QR, eigh and SVD have no StableHLO op: they lower, as ``jax.numpy.linalg`` does on
CPU, to the LAPACK custom calls that ship in jaxlib (typed-FFI handlers, registered with the
client by ``runtime.py``): ``lapack_?getrf_ffi``, ``lapack_?geqrf_ffi`` + ``lapack_?orgqr_ffi``
/ ``?ungqr``, ``lapack_?syevd_ffi`` / ``?heevd`` and ``lapack_?gesdd_ffi`` (``?`` is s, d, c
or z). The handlers take column-major matrices (the layouts below ask XLA for them) and
loop over leading batch axes themselves. The post-processing around them is JAX's
(``jax/_src/lax/linalg.py``, jax 0.10.2): 1-based pivots to 0-based ones and a row
permutation, ``info != 0`` to NaN, Householder vectors to ``q``. The NumPy kernels use the
same LAPACK routines (NumPy's ``qr``/``eigh``/``svd`` call geqrf+orgqr, syevd/heevd and
gesdd), so the results agree with the NumPy backend to rounding; only the signs of float32
eigenvectors were seen to differ (SciPy's and NumPy's LAPACK builds), and those are defined
up to sign. One difference: a failed SVD (gesdd rejects NaN input) gives NaNs, as in JAX,
where the NumPy kernel raises.
Dtypes LAPACK lacks (f16, bf16; the primitives reject them today) stay on the host fallback
through each rule's ``can_lower``.
"""

from __future__ import annotations

import numpy as np
from tensorlib.backends.xla_backend.lowering_core import (
    _BOOL_BINARY,
    highest,
    lowest,
    reduce_with,
    register,
)
from tensorlib.backends.xla_backend.mlir import i64_array

from tensorlib._src import dtypes
from tensorlib._src.ops import fft as fo
from tensorlib._src.ops import linalg as la


def _swap_last(em, x):
    perm = list(range(x.ndim))
    perm[-1], perm[-2] = perm[-2], perm[-1]
    return em.transpose(x, perm)


def _conj(em, x):
    if not dtypes.is_complex(x.dtype):
        return x
    rdt = dtypes.float64 if x.dtype == dtypes.complex128 else dtypes.float32
    re = em.op1("stablehlo.real", [x], x.shape, rdt)
    im = em.un("stablehlo.negate", em.op1("stablehlo.imag", [x], x.shape, rdt))
    return em.op1("stablehlo.complex", [re, im], x.shape, x.dtype)


def _nan_whole_matrices(em, x):
    """A matrix with any NaN becomes all NaN (as the NumPy kernel's failed factorizations)."""
    if x.shape[-1] == 0 or x.shape[-2] == 0:
        return x
    bad = em.un("stablehlo.not", em.op1("stablehlo.is_finite", [_abs_real(em, x)], x.shape,
                                         np.bool_))
    nd = x.ndim
    any_bad = reduce_with(em, bad, (nd - 2, nd - 1), "stablehlo.or", False)
    any_bad = em.broadcast(any_bad, x.shape, tuple(range(nd - 2)))
    return em.select(any_bad, em.full_like(x, np.nan), x)


def _abs_real(em, x):
    if not dtypes.is_complex(x.dtype):
        return x
    rdt = dtypes.float64 if x.dtype == dtypes.complex128 else dtypes.float32
    return em.op1("stablehlo.abs", [x], x.shape, rdt)


@register(la.cholesky_p)
def _cholesky_lower(em, args, outs, *, symmetrize_input):
    (x,) = args
    n = x.shape[-1]
    if n == 0:
        return x
    rows = em.iota(x.shape, np.int32, x.ndim - 2)
    cols = em.iota(x.shape, np.int32, x.ndim - 1)
    if symmetrize_input:
        s = em.bin("stablehlo.add", x, _conj(em, _swap_last(em, x)))
        x = em.bin("stablehlo.divide", s, em.full_like(s, 2))
    elif dtypes.is_complex(x.dtype):
        # LAPACK reads only the real part of a Hermitian matrix's diagonal; XLA reads all of it
        rdt = dtypes.float64 if x.dtype == dtypes.complex128 else dtypes.float32
        re = em.op1("stablehlo.real", [x], x.shape, rdt)
        diag = em.op1("stablehlo.complex", [re, em.full_like(re, 0)], x.shape, x.dtype)
        x = em.select(em.compare(rows, cols, "EQ"), diag, x)
    r = em.op1("stablehlo.cholesky", [x], x.shape, x.dtype, "lower = true")
    # XLA leaves the strict upper triangle unspecified: zero it, as LAPACK's result
    r = em.select(em.compare(cols, rows, "LE"), r, em.full_like(r, 0))
    return _nan_whole_matrices(em, r)


_cholesky_lower.can_lower = lambda params, avals: all(
    dtypes.is_inexact(a.dtype) and a.dtype not in (dtypes.float16, dtypes.bfloat16)
    for a in avals)


@register(la.triangular_solve_p)
def _triangular_solve_lower(em, args, outs, *, left_side, lower, transpose_a, conjugate_a,
                            unit_diagonal):
    a, b = args
    if conjugate_a and not transpose_a:
        a = _conj(em, a)
        mode = "NO_TRANSPOSE"
    elif transpose_a:
        mode = "ADJOINT" if conjugate_a else "TRANSPOSE"
    else:
        mode = "NO_TRANSPOSE"
    attrs = (f"left_side = {str(left_side).lower()}, lower = {str(lower).lower()}, "
             f"transpose_a = #stablehlo<transpose {mode}>, "
             f"unit_diagonal = {str(unit_diagonal).lower()}")
    return em.op1("stablehlo.triangular_solve", [a, b], b.shape, b.dtype, attrs)


_triangular_solve_lower.can_lower = _cholesky_lower.can_lower


# --------------------------------------------------------------------------------------------
# LAPACK custom calls: lu, qr, eigh, svd

_LAPACK_PREFIX = {np.dtype(np.float32): "s", np.dtype(np.float64): "d",
                  np.dtype(np.complex64): "c", np.dtype(np.complex128): "z"}


def _lapack_can_lower(params, avals):
    """The operand (avals[0]) has a LAPACK type; other dtypes run on the host."""
    return np.dtype(avals[0].dtype) in _LAPACK_PREFIX


def _layout(ndim, matrix_ndim):
    # column-major matrices (batch axes outermost) for arrays of the operand's rank, as JAX's
    # _column_major_matrix_layout; row-major (the default) for the rest
    if ndim == matrix_ndim:
        return (ndim - 2, ndim - 1) + tuple(range(ndim - 3, -1, -1))
    return tuple(range(ndim - 1, -1, -1))


def _lapack(em, routine, args, outs, config=""):
    """``lapack_<s|d|c|z><routine>_ffi`` on ``args``; result 0 updates operand 0 in place."""
    target = f"lapack_{_LAPACK_PREFIX[args[0].dtype]}{routine}_ffi"
    nd = max(a.ndim for a in args)
    return em.custom_call(target, args, outs,
                          operand_layouts=[_layout(a.ndim, nd) for a in args],
                          result_layouts=[_layout(len(s), nd) for s, _ in outs],
                          aliases=[(0, 0)], config=config)


def _char(name, c):
    return f"{name} = {ord(c)} : ui8"


def _nan_unless(em, ok, x):
    """``x`` where ``ok`` (one flag per matrix of the batch) holds, NaN elsewhere."""
    okb = em.broadcast(ok, x.shape, tuple(range(ok.ndim)))
    return em.select(okb, x, em.full_like(x, np.nan))


def _info_ok(em, info):
    return em.compare(info, em.full_like(info, 0), "EQ")


def _eye(em, shape, dtype):
    """A batch of (rectangular) identity matrices."""
    nd = len(shape)
    rows = em.iota(shape, np.int32, nd - 2)
    cols = em.iota(shape, np.int32, nd - 1)
    return em.convert(em.compare(rows, cols, "EQ"), dtype)


def _triu(em, x):
    rows = em.iota(x.shape, np.int32, x.ndim - 2)
    cols = em.iota(x.shape, np.int32, x.ndim - 1)
    return em.select(em.compare(cols, rows, "GE"), x, em.full_like(x, 0))


def _pick(em, x, mask):
    """``x`` at the one position per row of the last axis where ``mask`` is set."""
    return reduce_with(em, em.select(mask, x, em.full_like(x, 0)), (x.ndim - 1,),
                       "stablehlo.add", 0)


def _pivots_to_permutation(em, piv, m):
    """The row order (..., m) that applying LAPACK's row swaps ``piv`` (0-based, (..., k))
    in turn produces: a ``stablehlo.while`` over the swaps, as JAX's
    ``lu_pivots_to_permutation``. Each step reads and writes with one-hot selects over the
    rows (O(m) per step, no per-batch gather/scatter)."""
    *batch, k = piv.shape
    nb = len(batch)
    shape = tuple(batch) + (m,)
    perm0 = em.iota(shape, np.int32, nb)
    if k == 0:
        return perm0
    types = [((), np.int32), (shape, np.int32)]

    def cond(sub, a):
        return [sub.compare(a[0], sub.const(k, np.int32), "LT")]

    def body(sub, a):
        i, perm = a
        at_k = sub.compare(sub.iota(piv.shape, np.int32, nb), sub.broadcast(i, piv.shape, ()),
                           "EQ")
        p = sub.broadcast(_pick(sub, piv, at_k), shape, tuple(range(nb)))
        rows = sub.iota(shape, np.int32, nb)
        at_i = sub.compare(rows, sub.broadcast(i, shape, ()), "EQ")
        at_p = sub.compare(rows, p, "EQ")
        row_i = sub.broadcast(_pick(sub, perm, at_i), shape, tuple(range(nb)))
        row_p = sub.broadcast(_pick(sub, perm, at_p), shape, tuple(range(nb)))
        perm = sub.select(at_i, row_p, sub.select(at_p, row_i, perm))
        return [sub.bin("stablehlo.add", i, sub.const(1, np.int32)), perm]

    regions = [em.region(types, cond), em.region(types, body)]
    return em.op("stablehlo.while", [em.const(0, np.int32), perm0], types, "", regions)[1]


@register(la.lu_p)
def _lu_lower(em, args, outs):
    (x,) = args
    _, piv_aval, perm_aval = outs
    m = x.shape[-2]
    if x.size == 0:
        return [x, em.full(0, piv_aval.shape, np.int32),
                em.iota(perm_aval.shape, np.int32, len(perm_aval.shape) - 1)]
    # info > 0 (an exactly zero pivot) still leaves a complete factorization, as the NumPy
    # kernel's; info < 0 flags an illegal argument, which the shapes rule out
    lu, piv, _info = _lapack(em, "getrf", [x], [(x.shape, x.dtype), (piv_aval.shape, np.int32),
                                                (x.shape[:-2], np.int32)])
    piv = em.bin("stablehlo.subtract", piv, em.full_like(piv, 1))  # 1-based -> 0-based
    return [lu, piv, _pivots_to_permutation(em, piv, m)]


@register(la.qr_p)
def _qr_lower(em, args, outs, *, full_matrices):
    (x,) = args
    q_aval, r_aval = outs
    nd = x.ndim
    m, n = x.shape[-2:]
    if x.size == 0:  # NumPy's (and JAX's) answer: q = I, r = 0
        return [_eye(em, q_aval.shape, x.dtype), em.full(0, r_aval.shape, x.dtype)]
    k = min(m, n)
    a, tau = _lapack(em, "geqrf", [x], [(x.shape, x.dtype), (x.shape[:-2] + (k,), x.dtype)])
    if m < n:
        h = em.slice_axis(a, nd - 1, 0, m)
    elif m > n and full_matrices:  # orgqr builds m columns from n reflectors
        z = [0] * nd
        h = em.pad(a, em.const(0, x.dtype), z, z[:-1] + [m - n], z)
    else:
        h = a
    q = _lapack(em, "ungqr" if dtypes.is_complex(x.dtype) else "orgqr", [h, tau],
                [(q_aval.shape, x.dtype)])[0]
    r = a if r_aval.shape[-2] == m else em.slice_axis(a, nd - 2, 0, r_aval.shape[-2])
    return [q, _triu(em, r)]


@register(la.eigh_p)
def _eigh_lower(em, args, outs, *, lower, symmetrize_input):
    (x,) = args
    _, w_aval = outs
    if x.size == 0:
        return [x, em.full(0, w_aval.shape, w_aval.dtype)]
    if symmetrize_input:
        s = em.bin("stablehlo.add", x, _conj(em, _swap_last(em, x)))
        x = em.bin("stablehlo.divide", s, em.full_like(s, 2))
    v, w, info = _lapack(em, "heevd" if dtypes.is_complex(x.dtype) else "syevd", [x],
                         [(x.shape, x.dtype), (w_aval.shape, w_aval.dtype),
                          (x.shape[:-2], np.int32)],
                         config=f"{_char('mode', 'V')}, {_char('uplo', 'L' if lower else 'U')}")
    ok = _info_ok(em, info)
    return [_nan_unless(em, ok, v), _nan_unless(em, ok, w)]


@register(la.svd_p)
def _svd_lower(em, args, outs, *, full_matrices, compute_uv):
    (x,) = args
    s_aval = outs[0]
    batch = x.shape[:-2]
    m, n = x.shape[-2:]
    k = min(m, n)
    if x.size == 0:  # NumPy's (and JAX's) answer: s empty, u and vt identities
        s = em.full(0, s_aval.shape, s_aval.dtype)
        return [s] + [_eye(em, o.shape, x.dtype) for o in outs[1:]]
    full = full_matrices and compute_uv  # mode "N" writes no vectors: take the small buffers
    mode = "N" if not compute_uv else ("A" if full else "S")
    ku, kv = (m, n) if full else (k, k)
    _, s, u, vt, info = _lapack(em, "gesdd", [x],
                                [(x.shape, x.dtype), (s_aval.shape, s_aval.dtype),
                                 (batch + (m, ku), x.dtype), (batch + (kv, n), x.dtype),
                                 (batch, np.int32)], config=_char("mode", mode))
    ok = _info_ok(em, info)
    if not compute_uv:
        return [_nan_unless(em, ok, s)]
    return [_nan_unless(em, ok, s), _nan_unless(em, ok, u), _nan_unless(em, ok, vt)]


for _rule in (_lu_lower, _qr_lower, _eigh_lower, _svd_lower):
    _rule.can_lower = _lapack_can_lower


@register(fo.fft_p)
def _fft_lower(em, args, outs, *, fft_type, fft_lengths):
    (x,) = args
    out = outs[0]
    return em.op1("stablehlo.fft", [x], out.shape, out.dtype,
                  f"fft_type = #stablehlo<fft_type {fft_type}>, "
                  f"fft_length = {i64_array(fft_lengths)}")


def _register_conv():
    try:
        from tensorlib._src.ops import conv as cv
    except ImportError:  # the convolution module is optional
        return

    def window(em, x, init, opname, outs, window_dimensions, window_strides, padding,
               base_dilation, window_dilation):
        if dtypes.is_bool(x.dtype):
            opname = _BOOL_BINARY.get(opname, opname)
        region = em.region([((), x.dtype), ((), x.dtype)],
                           lambda sub, a: [sub.bin(opname, a[0], a[1])])
        pads = ", ".join(f"[{lo}, {hi}]" for lo, hi in padding)
        attrs = (f"base_dilations = {i64_array(base_dilation)}, "
                 f"padding = dense<[{pads}]> : tensor<{len(padding)}x2xi64>, "
                 f"window_dilations = {i64_array(window_dilation)}, "
                 f"window_dimensions = {i64_array(window_dimensions)}, "
                 f"window_strides = {i64_array(window_strides)}")
        if not padding:
            attrs = attrs.replace(f"padding = dense<[{pads}]> : tensor<0x2xi64>, ", "")
        return em.op1("stablehlo.reduce_window", [x, em.const(init, x.dtype)], outs[0].shape,
                      x.dtype, attrs, [region])

    for prim, opname, init_fn in ((cv.reduce_window_sum_p, "stablehlo.add", lambda d: 0),
                                  (cv.reduce_window_max_p, "stablehlo.maximum", lowest),
                                  (cv.reduce_window_min_p, "stablehlo.minimum", highest)):
        def rule(em, args, outs, _op=opname, _init=init_fn, **params):
            return window(em, args[0], _init(args[0].dtype), _op, outs, **params)

        register(prim)(rule)

    register(cv.conv_general_dilated_p)(_conv_lower)


def _conv_lower(em, args, outs, *, window_strides, padding, lhs_dilation, rhs_dilation,
                dimension_numbers, feature_group_count, batch_group_count,
                preferred_element_type):
    x, y = args
    out = outs[0]
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    n = len(lhs_spec) - 2

    def spec(s, first, second):
        names = [""] * len(s)
        names[s[0]], names[s[1]] = first, second
        for i, d in enumerate(s[2:]):
            names[d] = str(i)
        return "[" + ", ".join(names) + "]"

    dn = (f"#stablehlo.conv<{spec(lhs_spec, 'b', 'f')}x{spec(rhs_spec, 'o', 'i')}->"
          f"{spec(out_spec, 'b', 'f')}>")
    pads = ", ".join(f"[{lo}, {hi}]" for lo, hi in padding)
    attrs = (f"batch_group_count = {batch_group_count} : i64, dimension_numbers = {dn}, "
             f"feature_group_count = {feature_group_count} : i64, "
             f"lhs_dilation = {i64_array(lhs_dilation)}, "
             f"padding = dense<[{pads}]> : tensor<{n}x2xi64>, "
             f"rhs_dilation = {i64_array(rhs_dilation)}, "
             f"window_strides = {i64_array(window_strides)}")
    if n == 0:
        attrs = attrs.replace(f"padding = dense<[{pads}]> : tensor<0x2xi64>, ", "")
    r = em.op1("stablehlo.convolution", [x, y], out.shape, x.dtype, attrs)
    return em.convert(r, out.dtype)


_register_conv()
