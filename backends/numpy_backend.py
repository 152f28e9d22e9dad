"""The NumPy backend: the reference implementation, complete by definition.

Every eager kernel is written against an array module ``xp``: ``register_kernels(xp, ndarray)``
defines the kernels as closures over ``xp`` (bound once, at registration: no per-call cost) and
registers them for the buffer type ``ndarray``. This module calls it with
``(numpy, numpy.ndarray)`` at import; the CuPy backend calls it with ``(cupy, cupy.ndarray)``,
so CuPy's eager path is the code the NumPy test suite runs. Where CuPy lacks a NumPy function
or behaves differently, the kernel branches on ``xp is np`` with a comment saying why.
Every kernel returns an ``ndarray`` (NumPy returns scalars from 0-d ufuncs; ``arr`` turns them
back into arrays).
"""

from __future__ import annotations

import math
import os

import ml_dtypes
import numpy as np
from tensorlib.backends.xp_kernels import MATMUL_2D, errstate, make_arr, stable_logistic

from tensorlib._src import dtypes
from tensorlib._src.config import env
from tensorlib._src.dispatch import register_impl
from tensorlib._src.errors_util import check_result_size
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops import index as ix
from tensorlib._src.ops import reduce as rd
from tensorlib._src.ops import shape as sh
from tensorlib._src.ops.family import FAMILY


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
        n = (env("TENSORLIB_NUM_CPU_DEVICES")
             or os.cpu_count() or 1)
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
        # O(1) memory below, but as large as its shape for whatever reads it (JAX: an error)
        check_result_size("full", shape, scalar.dtype)
        # A stride-0 view of one element: O(1) memory, and 6x faster than np.broadcast_to.
        return np.ndarray(shape, dtype, scalar, 0, (0,) * len(shape))

    def block_until_ready(self, buf):
        return buf

    def compile(self, graph):
        """A callable running ``graph`` with every kernel resolved once (see numpy_compiler)."""
        from tensorlib.backends.numpy_compiler import compile_graph

        return compile_graph(graph)

    def lower_text(self, graph):
        """The Python program ``compile`` generates for ``graph`` (``jit(f).lower(...)``)."""
        from tensorlib.backends.numpy_compiler import compile_graph

        return compile_graph(graph).source


BACKEND = NumpyBackend()


# --------------------------------------------------------------------------------------------
# Kernels. Each ``_<family>_kernels(xp, ndarray)`` returns ``[(prim, types, kernel), ...]``;
# ``register_kernels`` registers them all. ``B`` stands for the buffer type in signatures.


def register_kernels(xp, ndarray, wrap=None):
    """Register the eager kernels of every primitive for buffers of type ``ndarray``.

    ``xp`` is the array module the kernels call (``numpy`` or ``cupy``); ``wrap(prim, fn)``,
    if given, returns the function to register instead of ``fn`` (the CuPy backend selects
    the operands' GPU with it). Called once per backend, at import: the kernels are closures,
    so the call-time cost is the array library's alone.
    """
    from tensorlib.backends import numpy_control, numpy_conv, numpy_linalg

    families = (_family_kernels, _unary_kernels, _binary_kernels, _select_convert_kernels,
                _shape_kernels, _reduce_kernels, _dot_kernels, _index_kernels)
    for family in families:
        for prim, types, fn in family(xp, ndarray):
            register_impl(prim, types, fn if wrap is None else wrap(prim, fn))
    numpy_linalg.register_kernels(xp, ndarray, wrap)
    numpy_conv.register_kernels(xp, ndarray, wrap)
    for prim, types, fn in numpy_control.kernels(xp, ndarray):
        register_impl(prim, types, fn if wrap is None else wrap(prim, fn))


def _named(fn, prefix, name):
    fn.__name__ = f"_{prefix}_{name}"
    return fn


def _prefix(xp):
    return "np" if xp is np else xp.__name__.split(".")[0]


def _family_kernel(xp, arr, op):
    """The eager kernel of an elementwise table entry with a generic spelling, or None."""
    if op.ufunc is not None:
        ufunc = getattr(xp, op.ufunc)
        if op.arity == 1:
            def kernel(x):
                return arr(ufunc(x))
        else:
            def kernel(x, y):
                return arr(ufunc(x, y))
        return kernel
    if op.special is not None:
        if xp is not np:
            import cupyx.scipy.special as special

            fn = getattr(special, op.special)
        elif op.special_numpy is not None:
            fn = op.special_numpy
        else:
            # NumPy has no scipy.special (SciPy is not a dependency): the scalar math function,
            # per element in float64
            fn = np.vectorize(getattr(math, op.special), otypes=[np.float64])

        def kernel(*args):
            return arr(xp.asarray(fn(*args)).astype(args[0].dtype, copy=False))
        return kernel
    return None


def _family_kernels(xp, ndarray):
    """Every entry of the elementwise table that the table spells for NumPy/CuPy."""
    arr, pre = make_arr(xp, ndarray), _prefix(xp)
    out = []
    for prim, op in FAMILY.items():
        kernel = _family_kernel(xp, arr, op)
        if kernel is not None:
            out.append((prim, (ndarray,) * op.arity, _named(kernel, pre, prim.name)))
    return out


def _unary_kernels(xp, ndarray):
    """The unary entries the table leaves to the backend (parameters, or NumPy quirks)."""
    arr = make_arr(xp, ndarray)
    B = (ndarray,)

    def _round(x, *, rounding_method):
        if rounding_method == 1:
            return arr(xp.round(x))
        return arr(xp.where(x >= 0, xp.floor(x + 0.5), xp.ceil(x - 0.5)).astype(x.dtype))

    def _rsqrt(x):
        return arr(1 / xp.sqrt(x)).astype(x.dtype, copy=False)

    def _logistic(x):
        return arr(stable_logistic(xp, x)).astype(x.dtype, copy=False)

    def _integer_pow(x, *, y):
        if y < 0:
            return arr(xp.power(x, float(y)).astype(x.dtype))
        return arr(xp.power(x, y, dtype=x.dtype))

    def _conj(x):
        # numpy.conj of a bool array is int8: the conjugate of a real number is itself
        return arr(xp.conj(x)) if x.dtype.kind == "c" else x

    def _imag(x):
        return arr(xp.imag(x)) if x.dtype.kind == "c" else xp.zeros_like(x)

    out = [(ew.round_p, B, _round), (ew.rsqrt_p, B, _rsqrt), (ew.logistic_p, B, _logistic),
            (ew.integer_pow_p, B, _integer_pow), (ew.imag_p, B, _imag),
            (ew.conj_p, B, _conj)]
    return out + _erf_kernels(xp, ndarray)


def _erf_kernels(xp, ndarray):
    """erf_inv: NumPy has none (and SciPy is not a dependency); CuPy has ``erfinv`` in
    ``cupyx.scipy.special``."""
    arr, B = make_arr(xp, ndarray), (ndarray,)
    if xp is np:
        return [(ew.erf_inv_p, B, _np_erf_inv)]
    import cupyx.scipy.special as special

    def _cupy_erf_inv(x):
        return arr(special.erfinv(x).astype(x.dtype, copy=False))

    return [(ew.erf_inv_p, B, _cupy_erf_inv)]


_erf_vec = np.vectorize(math.erf, otypes=[np.float64])


def _np_erf_inv(x):
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
    for a, b in zip(*cs, strict=False):
        p = np.where(small, p * ws + a, p * ws + b)
    y = p * x64
    ok = np.isfinite(y) & (np.abs(x64) < 1)
    for _ in range(2):
        err = _erf_vec(np.where(ok, y, 0.0)) - x64
        y = np.where(ok, y - err / (2 / np.sqrt(np.pi) * np.exp(-y * y)), y)
    y = np.where(np.abs(x64) == 1, np.copysign(np.inf, x64), y)
    y = np.where(np.abs(x64) > 1, np.nan, y)
    return np.asarray(y.astype(x.dtype))


# --------------------------------------------------------------------------------------------
def _binary_kernels(xp, ndarray):
    arr = make_arr(xp, ndarray)
    B2 = (ndarray, ndarray)
    out = []

    def _div(x, y):
        if x.dtype.kind in "iu":
            # C semantics (truncation toward zero), as XLA; division by zero gives -1 like XLA
            # CPU. The -1 is a NumPy scalar: CuPy refuses NumPy arrays as operands.
            minus_one = np.array(-1).astype(x.dtype)[()]
            with errstate(xp):
                q = xp.floor_divide(x, xp.where(y == 0, 1, y))
                fix = (xp.remainder(x, xp.where(y == 0, 1, y)) != 0) & ((x < 0) != (y < 0))
                q = q + fix.astype(x.dtype)
                return arr(xp.where(y == 0, minus_one, q).astype(x.dtype))
        return arr(xp.true_divide(x, y))

    def _rem(x, y):
        if x.dtype.kind in "iu":
            with errstate(xp):
                return arr(xp.where(y == 0, x, xp.fmod(x, xp.where(y == 0, 1, y)))
                           .astype(x.dtype))
        return arr(xp.fmod(x, y))

    def _pow(x, y):
        if x.dtype.kind in "iu":
            return arr(xp.power(x, xp.maximum(y, 0)))
        return arr(xp.power(x, y))

    out += [(ew.div_p, B2, _div), (ew.rem_p, B2, _rem), (ew.pow_p, B2, _pow)]
    out += [(ew.shift_left_p, B2, _shift(xp, arr, "left")),
            (ew.shift_right_arithmetic_p, B2, _shift(xp, arr, "arith")),
            (ew.shift_right_logical_p, B2, _shift(xp, arr, "logical"))]
    return out


def _shift(xp, arr, op):
    def kernel(x, y):
        bits = x.dtype.itemsize * 8
        big = (y < 0) | (y >= bits)
        ys = xp.where(big, 0, y).astype(x.dtype)
        if op == "left":
            r = xp.left_shift(x, ys)
            return arr(xp.where(big, 0, r).astype(x.dtype))
        if op == "arith":
            r = xp.right_shift(x, ys)
            fill = xp.where(x < 0, -1, 0).astype(x.dtype)
            return arr(xp.where(big, fill, r).astype(x.dtype))
        ux = x.view(np.dtype(f"u{x.dtype.itemsize}"))
        r = xp.right_shift(ux, ys.view(ux.dtype)).view(x.dtype)
        return arr(xp.where(big, 0, r).astype(x.dtype))

    return _named(kernel, _prefix(xp), f"shift_{op}")


# --------------------------------------------------------------------------------------------
def _select_convert_kernels(xp, ndarray):
    arr = make_arr(xp, ndarray)
    B = (ndarray,)

    def _select_n(which, *cases):
        if len(cases) == 1:
            return arr(cases[0])
        if which.dtype == np.bool_:
            return arr(xp.where(which, cases[1], cases[0]))
        return arr(xp.choose(which, cases, mode="clip"))

    def _convert(x, *, new_dtype, weak_type):
        if x.dtype.kind == "f" and new_dtype.kind in "iu":
            # XLA semantics: NaN -> 0, saturate at the integer range
            info = np.iinfo(new_dtype)
            with errstate(xp):
                # clip in float64: float32(2**31 - 1) rounds up to 2**31, which overflows int32
                x64 = x.astype(np.float64)
                y = xp.where(xp.isnan(x64), 0, xp.clip(x64, info.min, info.max))
            return arr(y.astype(new_dtype))
        if x.dtype.kind == "c" and new_dtype.kind != "c":
            x = xp.real(x)
        return arr(x.astype(new_dtype))

    def _bitcast(x, *, new_dtype):
        # asarray(order="C") keeps 0-d arrays 0-d (ascontiguousarray makes them 1-d)
        return arr(xp.asarray(x, order="C").view(new_dtype))

    # Variadic primitives dispatch on ``(ndarray, [ndarray])``: any number of ndarrays.
    return [(ew.select_n_p, (ndarray, [ndarray]), _select_n),
            (ew.convert_element_type_p, B, _convert), (ew.bitcast_convert_type_p, B, _bitcast)]


# --------------------------------------------------------------------------------------------
# low-precision float dtypes whose long sums accumulate in a wider type (numpy_backend._sum)
_WIDER = {np.dtype(np.float16): np.float64, np.dtype(np.float32): np.float64,
          np.dtype(np.complex64): np.complex128}
_SEQUENTIAL_OK = 256  # reduced elements per output below which NumPy's order is harmless


def _pairwise(x, axes):
    """Whether NumPy sums ``x`` over ``axes`` pairwise: the reduced axes are the trailing
    ones of a C-contiguous array (one inner loop), or there are few of them per output."""
    n = 1
    for a in axes:
        n *= x.shape[a]
    if n < _SEQUENTIAL_OK:
        return True
    k = len(axes)
    return x.flags.c_contiguous and tuple(sorted(axes)) == tuple(range(x.ndim - k, x.ndim))


def _shape_kernels(xp, ndarray):
    arr = make_arr(xp, ndarray)
    B, VAR = (ndarray,), (ndarray, [ndarray])

    def _iota(*, dtype, shape, dimension):
        r = xp.arange(shape[dimension], dtype=dtype)
        view = [1] * len(shape)
        view[dimension] = shape[dimension]
        return xp.broadcast_to(r.reshape(view), shape)

    def _broadcast_in_dim(x, *, shape, broadcast_dimensions):
        check_result_size("broadcast_in_dim", shape, x.dtype)
        if xp is np and x.flags.c_contiguous:
            # A stride-0 view built directly: np.broadcast_to costs ~10 us of Python per call
            # (NumPy only: cupy.ndarray's constructor takes a memory pointer instead).
            strides = [0] * len(shape)
            for i, d in enumerate(broadcast_dimensions):
                if x.shape[i] == shape[d]:
                    strides[d] = x.strides[i]
            return np.ndarray(shape, x.dtype, x, 0, tuple(strides))
        view = [1] * len(shape)
        for i, d in enumerate(broadcast_dimensions):
            view[d] = x.shape[i]
        return xp.broadcast_to(x.reshape(view), shape)

    def _reshape(x, *, new_sizes):
        return x.reshape(new_sizes)

    def _transpose(x, *, permutation):
        return x.transpose(permutation)

    def _rev(x, *, dimensions):
        return xp.flip(x, dimensions) if dimensions else x

    def _slice(x, *, start_indices, limit_indices, strides):
        st = strides or (1,) * x.ndim
        # arr: indexing a 0-d array with () gives a NumPy scalar
        sl = tuple(slice(a, b, s) for a, b, s in zip(start_indices, limit_indices, st,
                                                     strict=True))
        return arr(x[sl])

    def _pad(x, pv, *, padding_config):
        lo = [max(c[0], 0) for c in padding_config]
        hi = [max(c[1], 0) for c in padding_config]
        inner = [c[2] for c in padding_config]
        shape = [n + (n - 1) * i if n else 0 for n, i in zip(x.shape, inner, strict=False)]
        full_shape = [a + s + b for a, s, b in zip(lo, shape, hi, strict=False)]
        out = xp.full(full_shape, pv, dtype=x.dtype)
        out[tuple(slice(a, a + s, i + 1) for a, s, i in zip(lo, shape, inner, strict=False))] = x
        crop = tuple(slice(-min(c[0], 0), n - (-min(c[1], 0)))
                     for c, n in zip(padding_config, full_shape, strict=False))
        return arr(out[crop])

    def _concatenate(*xs, dimension):
        return xp.concatenate(xs, axis=dimension)

    return [(sh.iota_p, B, _iota), (sh.broadcast_in_dim_p, B, _broadcast_in_dim),
            (sh.reshape_p, B, _reshape), (sh.transpose_p, B, _transpose), (sh.rev_p, B, _rev),
            (sh.slice_p, B, _slice), (sh.pad_p, (ndarray, ndarray), _pad),
            (sh.concatenate_p, VAR, _concatenate)] + _dynamic_slice_kernels(xp, ndarray)


def _dynamic_slice_kernels(xp, ndarray):
    arr, VAR = make_arr(xp, ndarray), (ndarray, [ndarray])

    def clamped_starts(x, starts, sizes):
        # int() of a CuPy 0-d array copies it to the host (and waits for it)
        return [min(max(int(s), 0), n - k) for s, n, k in zip(starts, x.shape, sizes, strict=False)]

    def _dynamic_slice(x, *starts, slice_sizes):
        st = clamped_starts(x, starts, slice_sizes)
        return arr(x[tuple(slice(s, s + k) for s, k in zip(st, slice_sizes, strict=False))])

    def _dynamic_update_slice(x, upd, *starts):
        st = clamped_starts(x, starts, upd.shape)
        out = xp.array(x, copy=True)
        out[tuple(slice(s, s + k) for s, k in zip(st, upd.shape, strict=False))] = upd
        return out

    return [(sh.dynamic_slice_p, VAR, _dynamic_slice),
            (sh.dynamic_update_slice_p, VAR, _dynamic_update_slice)]


# --------------------------------------------------------------------------------------------
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


def _reduce_kernels(xp, ndarray):
    arr, B = make_arr(xp, ndarray), (ndarray,)

    def copy(x):
        return xp.array(x, copy=True)

    def reducer(fn):
        def kernel(x, *, axes):
            return arr(fn(x, axis=axes)) if axes else copy(x)

        return kernel

    def reduce_minmax(fn, init_fn):
        def kernel(x, *, axes):
            if not axes:
                return copy(x)
            if x.size == 0:  # the identity, as XLA (NumPy and CuPy raise on empty max/min)
                shape = tuple(n for d, n in enumerate(x.shape) if d not in axes)
                return xp.full(shape, init_fn(x.dtype), x.dtype)
            return arr(fn(x, axis=axes))

        return kernel

    # NumPy's ufunc.reduce skips np.sum's argument handling (~1.5 us per call on small
    # arrays, a deep network's bias gradients); CuPy's ufuncs have no reduce
    add_reduce = np.add.reduce if xp is np else xp.sum

    def _sum(x, *, axes):
        if not axes:
            return copy(x)
        acc = _WIDER.get(x.dtype)
        if acc is not None and not _pairwise(x, axes):
            # NumPy sums pairwise only along the innermost contiguous axis; along any other
            # it adds one slice after another, and a float32 sum of 10^6 rows drifts by
            # hundreds (JAX: under one). Those sums accumulate in float64 instead.
            return arr(add_reduce(x, axis=axes, dtype=acc).astype(x.dtype))
        return arr(add_reduce(x, axis=axes, dtype=x.dtype))

    def _prod(x, *, axes):
        return arr(xp.prod(x, axis=axes, dtype=x.dtype)) if axes else copy(x)

    def _argmax(x, *, axes, index_dtype):
        # NaN wins, as in JAX (argmax already returns the first NaN)
        return arr(xp.argmax(x, axis=axes[0]).astype(index_dtype))

    def _argmin(x, *, axes, index_dtype):
        return arr(xp.argmin(x, axis=axes[0]).astype(index_dtype))

    if xp is np:
        # ufunc.reduce skips np.max's argument handling (~1 us per call on small arrays);
        # CuPy's ufuncs have no reduce
        fmax, fmin, fall, fany = (np.maximum.reduce, np.minimum.reduce,
                                  np.logical_and.reduce, np.logical_or.reduce)
    else:
        fmax, fmin, fall, fany = xp.amax, xp.amin, xp.all, xp.any
    return [(rd.reduce_sum_p, B, _sum), (rd.reduce_prod_p, B, _prod),
            (rd.reduce_max_p, B, reduce_minmax(fmax, _lowest)),
            (rd.reduce_min_p, B, reduce_minmax(fmin, _highest)),
            (rd.reduce_and_p, B, reducer(fall)), (rd.reduce_or_p, B, reducer(fany)),
            (rd.argmax_p, B, _argmax), (rd.argmin_p, B, _argmin)] + _cumulative_kernels(
                xp, ndarray)


def _cumulative_kernels(xp, ndarray):
    arr, B = make_arr(xp, ndarray), (ndarray,)

    def scan(x, axis, fn):
        # Hillis-Steele doubling scan (log2(n) vectorized steps): CuPy's ufuncs have no
        # accumulate, so cummax/cummin are built from maximum/minimum
        y = x
        n, k = x.shape[axis], 1
        while k < n:
            head = [slice(None)] * x.ndim
            tail = [slice(None)] * x.ndim
            head[axis], tail[axis] = slice(k, None), slice(None, n - k)
            first = [slice(None)] * x.ndim
            first[axis] = slice(None, k)
            y = xp.concatenate([y[tuple(first)], fn(y[tuple(head)], y[tuple(tail)])],
                               axis=axis)
            k *= 2
        return y

    def cumulative(name):
        def kernel(x, *, axis, reverse):
            if reverse:
                x = xp.flip(x, axis)
            if name == "sum":
                y = xp.cumsum(x, axis=axis, dtype=x.dtype)
            elif name == "prod":
                y = xp.cumprod(x, axis=axis, dtype=x.dtype)
            elif x.size == 0:
                y = xp.array(x, copy=True)
            else:
                fn = xp.maximum if name == "max" else xp.minimum
                y = fn.accumulate(x, axis=axis) if xp is np else scan(x, axis, fn)
            return arr(xp.flip(y, axis) if reverse else y)

        return _named(kernel, _prefix(xp), f"cum{name}")

    return [(rd.cumsum_p, B, cumulative("sum")), (rd.cumprod_p, B, cumulative("prod")),
            (rd.cummax_p, B, cumulative("max")), (rd.cummin_p, B, cumulative("min"))]


def _dot_kernels(xp, ndarray):
    arr = make_arr(xp, ndarray)

    def _dot_general(x, y, *, dimension_numbers, preferred_element_type):
        (lc, rc), (lb, rb) = dimension_numbers
        if not lb and x.ndim == 2 and y.ndim == 2 and x.dtype.kind != "b":
            # the common case: one BLAS call on transposed views, no copies, no reshapes
            tt = MATMUL_2D.get((lc, rc))
            if tt is not None:
                # dot, not matmul: for 2-D operands the same BLAS call, 0.3 us less per call
                r = xp.dot(x.T if tt[0] else x, y.T if tt[1] else y)
                return r if preferred_element_type is None else r.astype(
                    preferred_element_type)
        xf = [d for d in range(x.ndim) if d not in lc and d not in lb]
        yf = [d for d in range(y.ndim) if d not in rc and d not in rb]
        xt = x.transpose(list(lb) + xf + list(lc))
        yt = y.transpose(list(rb) + list(rc) + yf)
        bs = [x.shape[d] for d in lb]
        m = math.prod(x.shape[d] for d in xf)
        k = math.prod(x.shape[d] for d in lc)
        n = math.prod(y.shape[d] for d in yf)
        b = math.prod(bs)
        out_dtype = preferred_element_type or x.dtype
        if x.dtype.kind == "b":
            xt, yt = xt.astype(np.int32), yt.astype(np.int32)
        if k == 1 and xt.dtype.kind in "fc":
            # outer products (per-example gradients): NumPy runs matmul with k == 1 as b tiny
            # GEMMs; a broadcast multiply is the same arithmetic at memory speed
            r = xp.multiply(xt.reshape(b, m, 1), yt.reshape(b, 1, n))
        else:
            r = xp.matmul(xt.reshape(b, m, k), yt.reshape(b, k, n))
        shape = bs + [x.shape[d] for d in xf] + [y.shape[d] for d in yf]
        return arr(r.reshape(shape).astype(out_dtype, copy=False))

    return [(rd.dot_general_p, (ndarray, ndarray), _dot_general)]


# --------------------------------------------------------------------------------------------
def _index_kernels(xp, ndarray):
    arr = make_arr(xp, ndarray)

    def front(x, dims):
        return xp.moveaxis(x, dims, range(len(dims)))

    def _gather(x, idx, *, dims, mode):
        op = front(x, dims)
        sizes = xp.asarray([x.shape[d] for d in dims])
        cl = xp.clip(idx, 0, sizes - 1) if idx.size else idx.astype(np.intp)
        out = op[tuple(cl[..., i] for i in range(len(dims)))]
        if mode == "fill":
            ok = xp.all((idx >= 0) & (idx < sizes), axis=-1)
            out = xp.where(ok.reshape(ok.shape + (1,) * (out.ndim - ok.ndim)), out, 0)
        return arr(out.astype(x.dtype, copy=False))

    def _scatter(x, idx, upd, *, dims, mode):
        out = xp.array(x, copy=True)
        op = front(out, dims)  # a view: writes go to out
        sizes = xp.asarray([x.shape[d] for d in dims])
        ok = xp.all((idx >= 0) & (idx < sizes), axis=-1)
        sel = tuple(idx[..., i][ok] for i in range(len(dims)))
        vals = upd[ok]
        if mode == "set":
            op[sel] = vals
        else:
            scatter_into(op, sel, vals, mode)
        return out

    scatter_into = _np_scatter_into if xp is np else _cupy_scatter_into(xp)

    def _sort(*xs, dimension, is_stable, num_keys):
        keys = xs[:num_keys]
        if num_keys == 1:
            perm = xp.argsort(keys[0], axis=dimension, kind="stable")
        elif xp is np:
            moved = [np.moveaxis(k, dimension, -1) for k in keys]
            flat = [m.reshape(-1, m.shape[-1]) for m in moved]
            rows = [np.lexsort(tuple(f[r] for f in reversed(flat)))
                    for r in range(flat[0].shape[0])]
            perm = np.moveaxis(np.array(rows).reshape(moved[0].shape), -1, dimension)
        else:
            perm = _multikey_argsort(xp, keys, dimension)
        return [arr(xp.take_along_axis(x, perm, axis=dimension)) for x in xs]

    return [(ix.gather_p, (ndarray, ndarray), _gather),
            (ix.scatter_p, (ndarray, ndarray, ndarray), _scatter),
            (ix.sort_p, (ndarray, [ndarray]), _sort)]


_SCATTER_UFUNC = {"add": np.add, "mul": np.multiply, "min": np.minimum, "max": np.maximum}


def _np_scatter_into(op, sel, vals, mode):
    _SCATTER_UFUNC[mode].at(op, sel, vals)


def _cupy_scatter_into(xp):
    # CuPy has no ufunc.at: cupyx's atomic scatter_add/max/min instead, and no scatter-multiply
    # at all: updates to repeated indices are applied in rounds of unique indices.
    import cupyx

    atomic = {"add": cupyx.scatter_add, "max": cupyx.scatter_max, "min": cupyx.scatter_min}

    def scatter_into(op, sel, vals, mode):
        if mode in atomic:
            atomic[mode](op, sel, vals)
            return
        flat = xp.ravel_multi_index(sel, op.shape[:len(sel)]) if sel else xp.zeros(0, np.intp)
        while flat.size:
            _, first = xp.unique(flat, return_index=True)
            pos = tuple(s[first] for s in sel)
            op[pos] = op[pos] * vals[first]
            keep = xp.ones(flat.size, bool)
            keep[first] = False
            flat, vals = flat[keep], vals[keep]
            sel = tuple(s[keep] for s in sel)

    return scatter_into


def _multikey_argsort(xp, keys, axis):
    # CuPy's lexsort takes one 2-D array (keys of one dtype) and no axis: successive stable
    # argsorts from the least to the most significant key give the same permutation
    perm = None
    for k in reversed(keys):
        kk = k if perm is None else xp.take_along_axis(k, perm, axis=axis)
        p = xp.argsort(kk, axis=axis, kind="stable")
        perm = p if perm is None else xp.take_along_axis(perm, p, axis=axis)
    return perm


def load():
    """Register the eager kernels for NumPy buffers; the backend object (``loader.load``)."""
    register_kernels(np, np.ndarray)
    return BACKEND
