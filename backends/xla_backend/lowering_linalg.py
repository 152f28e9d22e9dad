"""Lowerings of linear algebra, FFT, convolutions and windowed reductions.

``cholesky`` and ``triangular_solve`` are StableHLO ops that XLA's CPU compiler expands
itself. LU, QR, eigh and SVD have no StableHLO op: JAX lowers them to LAPACK custom calls
whose targets are registered by ``jax._src.lax.linalg`` at import, and registering them
without jax means depending on jaxlib's undocumented FFI ABI. So they have no lowering here:
eagerly the backend runs them on the host with the NumPy kernels (one device->host and one
host->device copy), and a jitted graph containing them is split around them (see
``compiler.py``).
"""

from __future__ import annotations

import numpy as np
from tensorlib.backends.xla_backend.lowering import register
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
    from tensorlib.backends.xla_backend.lowering import reduce_with

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
        from tensorlib.backends.xla_backend.lowering import _BOOL_BINARY

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

    from tensorlib.backends.xla_backend.lowering import highest, lowest

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
