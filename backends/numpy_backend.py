"""The NumPy backend: the reference implementation, complete by definition.

Kernels are written against the array module ``xp`` so that the CuPy backend can register the
same functions for ``cupy.ndarray``. Every kernel returns an ``ndarray`` (NumPy returns
scalars from 0-d ufuncs; ``_arr`` turns them back into arrays).
"""

from __future__ import annotations

import os

import ml_dtypes
import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.dispatch import register_impl
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops import index as ix
from tensorlib._src.ops import reduce as rd
from tensorlib._src.ops import shape as sh

xp = np
_ndarray = np.ndarray


def _arr(x):
    return x if type(x) is _ndarray else np.asarray(x)


class Device:
    """A (virtual) CPU device of the NumPy backend."""

    __slots__ = ("id", "backend")

    def __init__(self, id_, backend):
        self.id = id_
        self.backend = backend

    platform = "cpu"

    def __repr__(self):
        return f"CpuDevice(id={self.id}, backend=numpy)"


class NumpyBackend:
    name = "numpy"
    buffer_type = np.ndarray
    buffer_types = (np.ndarray,)

    def __init__(self):
        n = int(os.environ.get("TENSORLIB_NUM_CPU_DEVICES", "0") or 0) or (os.cpu_count() or 1)
        self._devices = [Device(i, self) for i in range(n)]

    def devices(self):
        return self._devices

    def from_numpy(self, x, device=None):
        return np.array(x, copy=True) if isinstance(x, np.ndarray) else np.asarray(x)

    def to_numpy(self, buf):
        return buf

    def full(self, shape, value, dtype):
        scalar = np.array(value, dtype=dtype)
        if not shape:
            return scalar
        # A stride-0 view of one element: O(1) memory, and 6x faster than np.broadcast_to.
        return np.ndarray(shape, dtype, scalar, 0, (0,) * len(shape))

    def block_until_ready(self, buf):
        return buf

    def compile(self, graph):
        """A callable running ``graph`` with every kernel resolved once (see numpy_compiler)."""
        from tensorlib.backends.numpy_compiler import compile_graph

        return compile_graph(graph)


BACKEND = NumpyBackend()


def _reg(prim, fn, types=(np.ndarray,)):
    register_impl(prim, types, fn)


def _unary(prim, ufunc):
    def kernel(x):
        return _arr(ufunc(x))

    kernel.__name__ = f"_np_{prim.name}"
    _reg(prim, kernel)


def _round(x, *, rounding_method):
    if rounding_method == 1:
        return _arr(np.round(x))
    return _arr(np.where(x >= 0, np.floor(x + 0.5), np.ceil(x - 0.5)).astype(x.dtype))


def _rsqrt(x):
    return _arr(1 / np.sqrt(x)).astype(x.dtype, copy=False)


def _logistic(x):
    return _arr(0.5 * np.tanh(0.5 * x) + 0.5).astype(x.dtype, copy=False)


def _sign(x):
    return _arr(np.sign(x))


_erf_vec = np.vectorize(__import__("math").erf, otypes=[np.float64])
_erfc_vec = np.vectorize(__import__("math").erfc, otypes=[np.float64])


def _erf(x):
    return _arr(_erf_vec(x).astype(x.dtype))


def _erfc(x):
    return _arr(_erfc_vec(x).astype(x.dtype))


def _erf_inv(x):
    # Newton iterations on erf from Giles' single-precision starting polynomial, in float64.
    x64 = np.asarray(x, np.float64)
    w = -np.log1p(-x64 * x64)
    small = w < 5.0
    ws = np.where(small, w - 2.5, np.sqrt(np.maximum(w, 5.0)) - 3.0)
    cs = ([2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
           -0.00125372503, -0.00417768164, 0.246640727, 1.50140941],
          [-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
           -0.0076224613, 0.00943887047, 1.00167406, 2.83297682])
    p = np.zeros_like(x64)
    for a, b in zip(*cs):
        p = np.where(small, p * ws + a, p * ws + b)
    y = p * x64
    ok = np.isfinite(y) & (np.abs(x64) < 1)
    for _ in range(2):
        err = _erf_vec(np.where(ok, y, 0.0)) - x64
        y = np.where(ok, y - err / (2 / np.sqrt(np.pi) * np.exp(-y * y)), y)
    y = np.where(np.abs(x64) == 1, np.copysign(np.inf, x64), y)
    y = np.where(np.abs(x64) > 1, np.nan, y)
    return _arr(y.astype(x.dtype))


def _integer_pow(x, *, y):
    if y < 0:
        return _arr(np.power(x, float(y)).astype(x.dtype))
    return _arr(np.power(x, y, dtype=x.dtype))


def _real(x):
    return _arr(np.real(x))


def _imag(x):
    return _arr(np.imag(x)) if np.iscomplexobj(x) else np.zeros_like(x)


def _exp2(x):
    return _arr(np.exp2(x))


_UNARY = [
    (ew.neg_p, np.negative), (ew.floor_p, np.floor), (ew.ceil_p, np.ceil),
    (ew.is_finite_p, np.isfinite), (ew.exp_p, np.exp), (ew.log_p, np.log),
    (ew.expm1_p, np.expm1), (ew.log1p_p, np.log1p), (ew.tanh_p, np.tanh), (ew.sin_p, np.sin),
    (ew.cos_p, np.cos), (ew.tan_p, np.tan), (ew.asin_p, np.arcsin), (ew.acos_p, np.arccos),
    (ew.atan_p, np.arctan), (ew.sinh_p, np.sinh), (ew.cosh_p, np.cosh),
    (ew.asinh_p, np.arcsinh), (ew.acosh_p, np.arccosh), (ew.atanh_p, np.arctanh),
    (ew.sqrt_p, np.sqrt), (ew.cbrt_p, np.cbrt), (ew.abs_p, np.abs), (ew.conj_p, np.conj),
]
for _p, _f in _UNARY:
    _unary(_p, _f)
_reg(ew.exp2_p, _exp2)
_unary(ew.not_p, np.invert)
_reg(ew.round_p, _round)
_reg(ew.rsqrt_p, _rsqrt)
_reg(ew.logistic_p, _logistic)
_reg(ew.sign_p, _sign)
_reg(ew.erf_p, _erf)
_reg(ew.erfc_p, _erfc)
_reg(ew.erf_inv_p, _erf_inv)
_reg(ew.integer_pow_p, _integer_pow)
_reg(ew.real_p, _real)
_reg(ew.imag_p, _imag)


# --------------------------------------------------------------------------------------------
def _binary(prim, ufunc):
    def kernel(x, y):
        return _arr(ufunc(x, y))

    kernel.__name__ = f"_np_{prim.name}"
    _reg(prim, kernel, (np.ndarray, np.ndarray))


def _div(x, y):
    if x.dtype.kind in "iu":
        # C semantics (truncation toward zero), as XLA; division by zero gives -1 like XLA CPU
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.floor_divide(x, np.where(y == 0, 1, y))
            fix = (np.remainder(x, np.where(y == 0, 1, y)) != 0) & ((x < 0) != (y < 0))
            q = q + fix.astype(x.dtype)
            return _arr(np.where(y == 0, np.array(-1).astype(x.dtype), q).astype(x.dtype))
    return _arr(np.true_divide(x, y))


def _rem(x, y):
    if x.dtype.kind in "iu":
        with np.errstate(divide="ignore", invalid="ignore"):
            return _arr(np.where(y == 0, x, np.fmod(x, np.where(y == 0, 1, y))).astype(x.dtype))
    return _arr(np.fmod(x, y))


def _pow(x, y):
    if x.dtype.kind in "iu":
        return _arr(np.power(x, np.maximum(y, 0)))
    return _arr(np.power(x, y))


def _shift(op):
    def kernel(x, y):
        bits = x.dtype.itemsize * 8
        big = (y < 0) | (y >= bits)
        ys = np.where(big, 0, y).astype(x.dtype)
        if op == "left":
            r = np.left_shift(x, ys)
            return _arr(np.where(big, 0, r).astype(x.dtype))
        if op == "arith":
            r = np.right_shift(x, ys)
            fill = np.where(x < 0, -1, 0).astype(x.dtype)
            return _arr(np.where(big, fill, r).astype(x.dtype))
        ux = x.view(np.dtype(f"u{x.dtype.itemsize}"))
        r = np.right_shift(ux, ys.view(ux.dtype)).view(x.dtype)
        return _arr(np.where(big, 0, r).astype(x.dtype))

    kernel.__name__ = f"_np_shift_{op}"
    return kernel


def _nextafter(x, y):
    return _arr(np.nextafter(x, y))


_BINARY = [
    (ew.add_p, np.add), (ew.sub_p, np.subtract), (ew.mul_p, np.multiply),
    (ew.max_p, np.maximum), (ew.min_p, np.minimum), (ew.atan2_p, np.arctan2),
    (ew.and_p, np.bitwise_and), (ew.or_p, np.bitwise_or), (ew.xor_p, np.bitwise_xor),
    (ew.eq_p, np.equal), (ew.ne_p, np.not_equal), (ew.lt_p, np.less),
    (ew.le_p, np.less_equal), (ew.gt_p, np.greater), (ew.ge_p, np.greater_equal),
]
for _p, _f in _BINARY:
    _binary(_p, _f)
_B2 = (np.ndarray, np.ndarray)
_reg(ew.div_p, _div, _B2)
_reg(ew.rem_p, _rem, _B2)
_reg(ew.pow_p, _pow, _B2)
_reg(ew.nextafter_p, _nextafter, _B2)
_reg(ew.shift_left_p, _shift("left"), _B2)
_reg(ew.shift_right_arithmetic_p, _shift("arith"), _B2)
_reg(ew.shift_right_logical_p, _shift("logical"), _B2)


def _select_n(which, *cases):
    if len(cases) == 1:
        return _arr(cases[0])
    if which.dtype == np.bool_:
        return _arr(np.where(which, cases[1], cases[0]))
    return _arr(np.choose(which, cases, mode="clip"))


# Variadic primitives dispatch on ``(ndarray, [ndarray])``: any number of ndarrays.
_VAR = (np.ndarray, [np.ndarray])
_reg(ew.select_n_p, _select_n, _VAR)


def _convert(x, *, new_dtype, weak_type):
    if x.dtype.kind == "f" and new_dtype.kind in "iu":
        # XLA semantics: NaN -> 0, saturate at the integer range
        info = np.iinfo(new_dtype)
        with np.errstate(invalid="ignore"):
            # clip in float64: float32(2**31 - 1) rounds up to 2**31, which overflows int32
            x64 = x.astype(np.float64)
            y = np.where(np.isnan(x64), 0, np.clip(x64, info.min, info.max))
        return _arr(y.astype(new_dtype))
    if x.dtype.kind == "c" and new_dtype.kind != "c":
        x = np.real(x)
    return _arr(x.astype(new_dtype))


def _bitcast(x, *, new_dtype):
    # np.asarray(order="C") keeps 0-d arrays 0-d (np.ascontiguousarray makes them 1-d)
    return _arr(np.asarray(x, order="C").view(new_dtype))


_reg(ew.convert_element_type_p, _convert)
_reg(ew.bitcast_convert_type_p, _bitcast)


# --------------------------------------------------------------------------------------------
def _iota(*, dtype, shape, dimension):
    r = np.arange(shape[dimension], dtype=dtype)
    view = [1] * len(shape)
    view[dimension] = shape[dimension]
    return np.broadcast_to(r.reshape(view), shape)


def _broadcast_in_dim(x, *, shape, broadcast_dimensions):
    if x.flags.c_contiguous:
        # A stride-0 view built directly: np.broadcast_to costs ~10 us of Python per call.
        strides = [0] * len(shape)
        for i, d in enumerate(broadcast_dimensions):
            if x.shape[i] == shape[d]:
                strides[d] = x.strides[i]
        return np.ndarray(shape, x.dtype, x, 0, tuple(strides))
    view = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        view[d] = x.shape[i]
    return np.broadcast_to(x.reshape(view), shape)


def _reshape(x, *, new_sizes):
    return x.reshape(new_sizes)


def _transpose(x, *, permutation):
    return x.transpose(permutation)


def _rev(x, *, dimensions):
    return np.flip(x, dimensions) if dimensions else x


def _slice(x, *, start_indices, limit_indices, strides):
    st = strides or (1,) * x.ndim
    # _arr: indexing a 0-d array with () gives a NumPy scalar
    sl = tuple(slice(a, b, s) for a, b, s in zip(start_indices, limit_indices, st, strict=True))
    return _arr(x[sl])


def _pad(x, pv, *, padding_config):
    lo = [max(c[0], 0) for c in padding_config]
    hi = [max(c[1], 0) for c in padding_config]
    inner = [c[2] for c in padding_config]
    shape = [n + (n - 1) * i if n else 0 for n, i in zip(x.shape, inner)]
    full_shape = [a + s + b for a, s, b in zip(lo, shape, hi)]
    out = np.full(full_shape, pv, dtype=x.dtype)
    out[tuple(slice(a, a + s, i + 1) for a, s, i in zip(lo, shape, inner))] = x
    crop = tuple(slice(-min(c[0], 0), n - (-min(c[1], 0)))
                 for c, n in zip(padding_config, full_shape))
    return _arr(out[crop])


def _concatenate(*xs, dimension):
    return np.concatenate(xs, axis=dimension)


def _clamped_starts(x, starts, sizes):
    return [int(np.clip(int(s), 0, n - k)) for s, n, k in zip(starts, x.shape, sizes)]


def _dynamic_slice(x, *starts, slice_sizes):
    st = _clamped_starts(x, starts, slice_sizes)
    return _arr(x[tuple(slice(s, s + k) for s, k in zip(st, slice_sizes))])


def _dynamic_update_slice(x, upd, *starts):
    st = _clamped_starts(x, starts, upd.shape)
    out = np.array(x, copy=True)
    out[tuple(slice(s, s + k) for s, k in zip(st, upd.shape))] = upd
    return out


_reg(sh.iota_p, _iota)
_reg(sh.broadcast_in_dim_p, _broadcast_in_dim)
_reg(sh.reshape_p, _reshape)
_reg(sh.transpose_p, _transpose)
_reg(sh.rev_p, _rev)
_reg(sh.slice_p, _slice)
_reg(sh.pad_p, _pad, (np.ndarray, np.ndarray))
_reg(sh.concatenate_p, _concatenate, _VAR)
_reg(sh.dynamic_slice_p, _dynamic_slice, _VAR)
_reg(sh.dynamic_update_slice_p, _dynamic_update_slice, _VAR)


# --------------------------------------------------------------------------------------------
def _reducer(ufunc):
    def kernel(x, *, axes):
        return _arr(ufunc.reduce(x, axis=axes) if axes else np.array(x, copy=True))

    return kernel


def _reduce_minmax(ufunc, init_fn):
    def kernel(x, *, axes):
        if not axes:
            return np.array(x, copy=True)
        if x.size == 0:
            return _arr(ufunc.reduce(x, axis=axes, initial=init_fn(x.dtype)))
        return _arr(ufunc.reduce(x, axis=axes))

    return kernel


def _lowest(dt):
    if dt.kind == "f" or dt == dtypes.bfloat16:
        return -np.inf
    if dt.kind == "b":
        return False
    return ml_dtypes.iinfo(dt).min


def _highest(dt):
    if dt.kind == "f" or dt == dtypes.bfloat16:
        return np.inf
    if dt.kind == "b":
        return True
    return ml_dtypes.iinfo(dt).max


def _sum(x, *, axes):
    if not axes:
        return np.array(x, copy=True)
    return _arr(np.sum(x, axis=axes, dtype=x.dtype))


def _prod(x, *, axes):
    if not axes:
        return np.array(x, copy=True)
    return _arr(np.prod(x, axis=axes, dtype=x.dtype))


def _argmax(x, *, axes, index_dtype):
    return _arr(_nan_arg(x, axes[0], np.argmax).astype(index_dtype))


def _argmin(x, *, axes, index_dtype):
    return _arr(_nan_arg(x, axes[0], np.argmin).astype(index_dtype))


def _nan_arg(x, axis, fn):
    # NaN wins, as in JAX (np.argmax already returns the first NaN).
    return fn(x, axis=axis)


_reg(rd.reduce_sum_p, _sum)
_reg(rd.reduce_prod_p, _prod)
_reg(rd.reduce_max_p, _reduce_minmax(np.maximum, _lowest))
_reg(rd.reduce_min_p, _reduce_minmax(np.minimum, _highest))
_reg(rd.reduce_and_p, _reducer(np.logical_and))
_reg(rd.reduce_or_p, _reducer(np.logical_or))
_reg(rd.argmax_p, _argmax)
_reg(rd.argmin_p, _argmin)


def _cumulative(ufunc):
    def kernel(x, *, axis, reverse):
        if reverse:
            x = np.flip(x, axis)
        if ufunc is np.add:
            y = np.cumsum(x, axis=axis, dtype=x.dtype)
        elif ufunc is np.multiply:
            y = np.cumprod(x, axis=axis, dtype=x.dtype)
        else:
            y = ufunc.accumulate(x, axis=axis) if x.size else np.array(x, copy=True)
        return _arr(np.flip(y, axis) if reverse else y)

    return kernel


_reg(rd.cumsum_p, _cumulative(np.add))
_reg(rd.cumprod_p, _cumulative(np.multiply))
_reg(rd.cummax_p, _cumulative(np.maximum))
_reg(rd.cummin_p, _cumulative(np.minimum))


_MATMUL_2D = {  # (lhs contracting, rhs contracting) of 2-D operands -> which sides transpose
    ((1,), (0,)): (False, False), ((0,), (0,)): (True, False),
    ((1,), (1,)): (False, True), ((0,), (1,)): (True, True),
}


def _dot_general(x, y, *, dimension_numbers, preferred_element_type):
    (lc, rc), (lb, rb) = dimension_numbers
    if not lb and x.ndim == 2 and y.ndim == 2 and x.dtype.kind != "b":
        # the common case: one BLAS call on transposed views, no copies, no reshapes
        tt = _MATMUL_2D.get((lc, rc))
        if tt is not None:
            r = np.matmul(x.T if tt[0] else x, y.T if tt[1] else y)
            return r if preferred_element_type is None else r.astype(preferred_element_type)
    xf = [d for d in range(x.ndim) if d not in lc and d not in lb]
    yf = [d for d in range(y.ndim) if d not in rc and d not in rb]
    xt = x.transpose(list(lb) + xf + list(lc))
    yt = y.transpose(list(rb) + list(rc) + yf)
    bs = [x.shape[d] for d in lb]
    m = int(np.prod([x.shape[d] for d in xf], dtype=np.int64))
    k = int(np.prod([x.shape[d] for d in lc], dtype=np.int64))
    n = int(np.prod([y.shape[d] for d in yf], dtype=np.int64))
    b = int(np.prod(bs, dtype=np.int64))
    out_dtype = preferred_element_type or x.dtype
    if x.dtype.kind == "b":
        xt, yt = xt.astype(np.int32), yt.astype(np.int32)
    if k == 1 and xt.dtype.kind in "fc":
        # outer products (per-example gradients): NumPy runs matmul with k == 1 as b tiny
        # GEMMs; a broadcast multiply is the same arithmetic at memory speed
        r = np.multiply(xt.reshape(b, m, 1), yt.reshape(b, 1, n))
    else:
        r = np.matmul(xt.reshape(b, m, k), yt.reshape(b, k, n))
    shape = bs + [x.shape[d] for d in xf] + [y.shape[d] for d in yf]
    return _arr(r.reshape(shape).astype(out_dtype, copy=False))


_reg(rd.dot_general_p, _dot_general, (np.ndarray, np.ndarray))


# --------------------------------------------------------------------------------------------
def _front(x, dims):
    return np.moveaxis(x, dims, range(len(dims)))


def _gather(x, idx, *, dims, mode):
    op = _front(x, dims)
    sizes = np.array([x.shape[d] for d in dims])
    cl = np.clip(idx, 0, sizes - 1) if idx.size else idx.astype(np.intp)
    out = op[tuple(cl[..., i] for i in range(len(dims)))]
    if mode == "fill":
        ok = np.all((idx >= 0) & (idx < sizes), axis=-1)
        out = np.where(ok.reshape(ok.shape + (1,) * (out.ndim - ok.ndim)), out, 0)
    return _arr(out.astype(x.dtype, copy=False))


_SCATTER_UFUNC = {"add": np.add, "mul": np.multiply, "min": np.minimum, "max": np.maximum}


def _scatter(x, idx, upd, *, dims, mode):
    out = np.array(x, copy=True)
    op = _front(out, dims)  # a view: writes go to out
    sizes = np.array([x.shape[d] for d in dims])
    ok = np.all((idx >= 0) & (idx < sizes), axis=-1)
    sel = tuple(idx[..., i][ok] for i in range(len(dims)))
    vals = upd[ok]
    if mode == "set":
        op[sel] = vals
    else:
        _SCATTER_UFUNC[mode].at(op, sel, vals)
    return out


def _sort(*xs, dimension, is_stable, num_keys):
    keys = xs[:num_keys]
    if num_keys == 1:
        perm = np.argsort(keys[0], axis=dimension, kind="stable")
    else:
        moved = [np.moveaxis(k, dimension, -1) for k in keys]
        flat = [m.reshape(-1, m.shape[-1]) for m in moved]
        rows = [np.lexsort(tuple(f[r] for f in reversed(flat))) for r in range(flat[0].shape[0])]
        perm = np.moveaxis(np.array(rows).reshape(moved[0].shape), -1, dimension)
    return [_arr(np.take_along_axis(x, perm, axis=dimension)) for x in xs]


_reg(ix.gather_p, _gather, (np.ndarray, np.ndarray))
_reg(ix.scatter_p, _scatter, (np.ndarray, np.ndarray, np.ndarray))
_reg(ix.sort_p, _sort, _VAR)
from tensorlib.backends import numpy_linalg as _numpy_linalg  # noqa: E402,F401
from tensorlib.backends import numpy_conv as _numpy_conv  # noqa: E402,F401
