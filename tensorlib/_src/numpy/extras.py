"""Elementwise and numeric functions that ``jax.numpy`` has beyond the core set: ``fabs``,
``spacing``, ``frexp``, ``i0``, ``gcd``, ``lcm``, ``bitwise_count``, ``sort_complex``,
``unwrap``, ``packbits``, ``unpackbits`` and the window functions (``bartlett``,
``blackman``, ``hamming``, ``hanning``, ``kaiser``).

Each is a composition of existing operations with JAX's dtypes and weak types, so grad, jit
and vmap go through it. Bit-level work (``frexp``, ``bitwise_count``) uses shifts and masks on
the float's integer image, as no primitive counts bits or splits floats.
"""

from __future__ import annotations

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.control.custom import custom_jvp
from tensorlib._src.control.loops import while_loop
from tensorlib._src.numpy import (
    bitwise,
    comparison,
    creation,
    differences,
    division,
    exp_log,
    floating,
    rearranging,
    reductions,
    shape_ops,
    sorting,
    trigonometric,
    ufuncs,
)
from tensorlib._src.numpy.promotion import (
    asarray,
    canonicalize_axis,
    check_arraylike,
    promote_args,
    promote_args_inexact,
    promote_dtypes,
)
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops import shape as sh
from tensorlib.errors import DTypeError, ShapeError


def _strong(x):
    """``x`` without its weak type (JAX's result is strong where a constant of the input's
    dtype enters the computation)."""
    return ew.convert_element_type(x, x.dtype, False) if x.weak_type else x


def _real_inexact(op, x, exc=DTypeError):
    (x,) = promote_args_inexact(op, x)
    if dtypes.is_complex(x.dtype):
        raise exc(f"{op}: complex input {x.aval.str_short()} is not supported; pass real values")
    return x


def fabs(x, /):
    """Elementwise absolute value of real input, as a float (integers and booleans give the
    default float dtype). Complex input is refused; ``abs`` gives its modulus.

    Examples
    --------
    >>> tnp.fabs(tnp.array([-5, 1, 10]))
    Array([ 5.,  1., 10.], dtype=float32)
    >>> tnp.fabs(-1.5)
    Array(1.5, dtype=float32, weak_type=True)
    """
    return _fabs(_real_inexact("fabs", x))


@custom_jvp
def _fabs(x):
    return ew.abs(x)


@_fabs.defjvp
def _fabs_jvp(primals, tangents):
    # JAX's subgradient: slope +1 at zero (x >= 0), where lax.abs's rule gives sign(0) = 0
    (x,), (t,) = primals, tangents
    return ew.abs(x), ufuncs.where(ew.ge(x, ew.full_like(x, 0)), t, ew.neg(t))


def spacing(x, /):
    """Elementwise distance from ``x`` to the next representable float away from zero
    (negative for negative ``x``); integers give the default float dtype.

    Examples
    --------
    >>> tnp.spacing(tnp.array([1., -1.]))
    Array([ 1.1920929e-07, -1.1920929e-07], dtype=float32)
    >>> tnp.spacing(1.) == tnp.finfo(tnp.float32).eps
    Array(True, dtype=bool)
    """
    x = _strong(_real_inexact("spacing", x, ValueError))
    inf = ew.full_like(x, np.inf)
    if x.dtype == dtypes.float16:  # NumPy's float16 spacing steps towards +inf
        return ufuncs.subtract(floating.nextafter(x, inf), x)
    step = ufuncs.subtract(floating.nextafter(x, floating.copysign(inf, x)), x)
    tiny = floating.copysign(ew.full_like(x, dtypes.finfo(x.dtype).smallest_subnormal), x)
    return ufuncs.where(ew.eq(step, ew.full_like(step, 0)), tiny, step)


def _frexp_parts(x):
    """Mantissa and exponent from the bits of ``x``: subnormals are first scaled into the
    normal range, then the exponent field is read and replaced by the bias of [0.5, 1)."""
    info = dtypes.finfo(x.dtype)
    it = np.dtype(f"int{info.bits}")
    field = (1 << info.nexp) - 1
    bias = 1 - info.minexp
    small = ew.lt(ew.abs(x), ew.full_like(x, info.tiny))
    scaled = ufuncs.where(small, ew.mul(x, ew.full_like(x, 2.0 ** info.nmant)), x)
    bits = ew.bitcast_convert_type(scaled, it)
    e = ew.sub(ew.bitwise_and(ew.shift_right_arithmetic(bits, info.nmant), field), bias - 1)
    e = ew.sub(e, ufuncs.where(small, ew.full_like(e, info.nmant), ew.full_like(e, 0)))
    m = ew.bitwise_or(ew.bitwise_and(bits, ~(field << info.nmant)), (bias - 1) << info.nmant)
    m = ew.bitcast_convert_type(m, x.dtype)
    special = comparison.logical_or(floating.isinf(x), ew.ne(x, x))
    special = comparison.logical_or(special, ew.eq(x, ew.full_like(x, 0)))
    e = ufuncs.where(special, ew.full_like(e, 0), e)
    return ufuncs.where(special, x, m), ew.convert_element_type(e, dtypes.int32)


@custom_jvp
def _frexp_mantissa(x):
    return _frexp_parts(x)[0]


@_frexp_mantissa.defjvp
def _frexp_mantissa_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    m, e = _frexp_parts(x)
    return m, ufuncs.multiply(t, exp_log.exp2(ew.neg(ew.convert_element_type(e, t.dtype))))


def frexp(x, /):
    """Mantissas in ``[0.5, 1)`` (with the sign of ``x``) and int32 exponents with
    ``x == mantissa * 2**exponent``; zeros, infinities and NaNs come back with exponent 0.

    Examples
    --------
    >>> m, e = tnp.frexp(tnp.array([1., 3., -5., 0.]))
    >>> m
    Array([ 0.5  ,  0.75 , -0.625,  0.   ], dtype=float32)
    >>> e
    Array([1, 2, 3, 0], dtype=int32)
    """
    x = _strong(_real_inexact("frexp", x))
    return _frexp_mantissa(x), _frexp_parts(x)[1]


# Cephes' Chebyshev coefficients of exp(-x) I0(x): on [0, 8] in (x/2 - 2), and of
# sqrt(x) exp(-x) I0(x) for x > 8 in (32/x - 2). 32-bit and narrower floats use the tails (the
# terms their precision can see), as XLA's bessel_i0e does.
_I0_A = (
    -4.41534164647933937950e-18, 3.33079451882223809783e-17, -2.43127984654795469359e-16,
    1.71539128555513303061e-15, -1.16853328779934516808e-14, 7.67618549860493561688e-14,
    -4.85644678311192946090e-13, 2.95505266312963983461e-12, -1.72682629144155570723e-11,
    9.67580903537323691224e-11, -5.18979560163526290666e-10, 2.65982372468238665035e-09,
    -1.30002500998624804212e-08, 6.04699502254191894932e-08, -2.67079385394061173391e-07,
    1.11738753912010371815e-06, -4.41673835845875056359e-06, 1.64484480707288970893e-05,
    -5.75419501008210370398e-05, 1.88502885095841655729e-04, -5.76375574538582365885e-04,
    1.63947561694133579842e-03, -4.32430999505057594430e-03, 1.05464603945949983183e-02,
    -2.37374148058994688156e-02, 4.93052842396707084878e-02, -9.49010970480476444210e-02,
    1.71620901522208775349e-01, -3.04682672343198398683e-01, 6.76795274409476084995e-01,
)
_I0_B = (
    -7.23318048787475395456e-18, -4.83050448594418207126e-18, 4.46562142029675999901e-17,
    3.46122286769746109310e-17, -2.82762398051658348494e-16, -3.42548561967721913462e-16,
    1.77256013305652638360e-15, 3.81168066935262242075e-15, -9.55484669882830764870e-15,
    -4.15056934728722208663e-14, 1.54008621752140982691e-14, 3.85277838274214270114e-13,
    7.18012445138366623367e-13, -1.79417853150680611778e-12, -1.32158118404477131188e-11,
    -3.14991652796324136454e-11, 1.18891471078464383424e-11, 4.94060238822496958910e-10,
    3.39623202570838634515e-09, 2.26666899049817806459e-08, 2.04891858946906374183e-07,
    2.89137052083475648297e-06, 6.88975834691682398426e-05, 3.36911647825569408990e-03,
    8.04490411014108831608e-01,
)


def _chebyshev(t, coeffs):
    b0 = b1 = b2 = ew.full_like(t, 0)
    for c in coeffs:
        b2, b1 = b1, b0
        b0 = ew.add(ew.sub(ew.mul(t, b1), b2), ew.full_like(t, c))
    return ew.mul(ew.full_like(t, 0.5), ew.sub(b0, b2))


def _i0e(a):
    """``exp(-a) I0(a)`` for ``a >= 0``. Each branch sees only inputs of its own range, so the
    other branch's derivative stays finite (no NaN gradients through ``where``)."""
    wide = a.dtype == dtypes.float64
    ca, cb = (_I0_A, _I0_B) if wide else (_I0_A[-18:], _I0_B[-7:])
    near = ew.le(a, ew.full_like(a, 8.0))
    a_lo = ufuncs.where(near, a, ew.full_like(a, 0.0))
    a_hi = ufuncs.where(near, ew.full_like(a, 8.0), a)
    lo = _chebyshev(ew.sub(ew.mul(ew.full_like(a, 0.5), a_lo), ew.full_like(a, 2.0)), ca)
    t_hi = ew.sub(ew.div(ew.full_like(a, 32.0), a_hi), ew.full_like(a, 2.0))
    hi = ew.div(_chebyshev(t_hi, cb), ew.sqrt(a_hi))
    return ufuncs.where(near, lo, hi)


def i0(x):
    """Modified Bessel function of the first kind, order 0, elementwise (Cephes' Chebyshev
    expansions, as XLA evaluates them); integers give the default float dtype.

    Examples
    --------
    >>> tnp.round(tnp.i0(tnp.array([0., 1., -2., 3.])), 3)
    Array([1.   , 1.266, 2.28 , 4.881], dtype=float32)
    """
    x = _real_inexact("i0", x, ValueError)
    dt = x.dtype
    if dtypes.finfo(dt).bits < 32:  # the coefficients need float32 to mean anything
        x = ew.convert_element_type(x, dtypes.float32, x.weak_type)
    a = ew.abs(x)
    out = ew.mul(exp_log.exp(a), _i0e(a))
    return ew.convert_element_type(out, dt, x.weak_type) if out.dtype != dt else out


def _integer_args(op, x1, x2):
    x1, x2 = promote_args(op, x1, x2)
    if not dtypes.is_integer(x1.dtype):
        raise ValueError(f"{op}: needs integer arrays, got {x1.aval.str_short()}")
    return x1, x2


def _gcd_step(carry):
    a, b = carry
    nz = ew.ne(b, ew.full_like(b, 0))
    safe = ufuncs.where(nz, b, ew.full_like(b, 1))
    return ufuncs.where(nz, b, a), ufuncs.where(nz, ew.rem(a, safe), ew.full_like(b, 0))


def gcd(x1, x2):
    """Elementwise greatest common divisor of ``|x1|`` and ``|x2|`` (Euclid's algorithm in a
    ``while_loop``); ``gcd(0, 0)`` is 0.

    Examples
    --------
    >>> tnp.gcd(tnp.array([12, 0, -4, 7]), tnp.array([18, 5, 6, 0]))
    Array([6, 5, 2, 7], dtype=int32)
    >>> tnp.gcd(12, 18)
    Array(6, dtype=int32, weak_type=True)
    """
    x1, x2 = _integer_args("gcd", x1, x2)
    start = (ufuncs.absolute(x1), ufuncs.absolute(x2))
    return while_loop(lambda c: reductions.any(ew.ne(c[1], ew.full_like(c[1], 0))),
                      _gcd_step, start)[0]


def lcm(x1, x2):
    """Elementwise least common multiple of ``|x1|`` and ``|x2|``; 0 where either is 0.

    Examples
    --------
    >>> tnp.lcm(tnp.array([4, 0, -6]), tnp.array([6, 3, 4]))
    Array([12,  0, 12], dtype=int32)
    """
    x1, x2 = _integer_args("lcm", x1, x2)
    a, b = ufuncs.absolute(x1), ufuncs.absolute(x2)
    d = gcd(a, b)
    zero = ew.eq(d, ew.full_like(d, 0))
    quotient = division.floor_divide(b, ufuncs.where(zero, ew.full_like(d, 1), d))
    return ufuncs.where(zero, ew.full_like(d, 0), ufuncs.multiply(a, quotient))


def bitwise_count(x, /):
    """Number of 1 bits in ``|x|``, elementwise, as uint8 (booleans count as 0 or 1).

    Examples
    --------
    >>> tnp.bitwise_count(tnp.array([0, 7, -16, 255]))
    Array([0, 3, 1, 8], dtype=uint8)
    >>> tnp.bitwise_count(tnp.array([True, False]))
    Array([1, 0], dtype=uint8)
    """
    (x,) = promote_args("bitwise_count", x)
    if x.dtype == dtypes.bool_:
        x = ew.convert_element_type(x, dtypes.uint8)
    if not dtypes.is_integer(x.dtype):
        raise DTypeError(f"bitwise_count: needs integer or boolean input, got "
                         f"{x.aval.str_short()}")
    if not dtypes.is_unsigned(x.dtype):
        x = ew.abs(x)  # INT_MIN stays negative: its bit image is still right
    nbits = x.dtype.itemsize * 8
    v = ew.bitcast_convert_type(x, np.dtype(f"uint{nbits}"))
    ones = (1 << nbits) - 1
    # the classic SWAR sums: bit pairs, nibbles, bytes, then the bytes folded together
    v = ew.sub(v, ew.bitwise_and(ew.shift_right_logical(v, 1), ones // 3))
    m2 = ones // 5
    v = ew.add(ew.bitwise_and(v, m2), ew.bitwise_and(ew.shift_right_logical(v, 2), m2))
    v = ew.bitwise_and(ew.add(v, ew.shift_right_logical(v, 4)), ones // 17)
    s = 8
    while s < nbits:
        v = ew.add(v, ew.shift_right_logical(v, s))
        s *= 2
    return ew.convert_element_type(ew.bitwise_and(v, 0xFF), dtypes.uint8)


def _complex_of(dt):
    f = dtypes.to_inexact(dt)
    if dtypes.is_complex(f):
        return f
    return dtypes.complex128 if f == dtypes.float64 else dtypes.complex64


def sort_complex(a):
    """``a`` sorted along its last axis by real part, then imaginary part, as complex.

    Examples
    --------
    >>> tnp.sort_complex(tnp.array([3, 1, 2]))
    Array([1.+0.j, 2.+0.j, 3.+0.j], dtype=complex64)
    >>> tnp.sort_complex(tnp.array([1 + 2j, 1 - 1j, 0 + 5j]))
    Array([0.+5.j, 1.-1.j, 1.+2.j], dtype=complex64)
    """
    check_arraylike("sort_complex", a)
    a = asarray(a)
    out = sorting.sort(a, axis=-1)
    return ew.convert_element_type(out, _complex_of(a.dtype), False)


def _along(x, axis, start, stop):
    return x[(slice(None),) * axis + (slice(start, stop),)]


def unwrap(p, discont=None, axis=-1, period=2 * np.pi):
    """``p`` with jumps between neighbours (along ``axis``) larger than ``discont`` (default
    ``period / 2``) replaced by their equivalents modulo ``period``.

    Examples
    --------
    >>> tnp.unwrap(tnp.array([0, 1, 2, 3, 4]), period=4)
    Array([0, 1, 2, 3, 4], dtype=int32)
    >>> tnp.unwrap(tnp.array([0, 3, 6, 1, 4]), period=8)
    Array([ 0,  3,  6,  9, 12], dtype=int32)
    """
    check_arraylike("unwrap", p)
    p, period = promote_dtypes(asarray(p), period)
    if dtypes.is_complex(p.dtype):
        raise ValueError(f"unwrap: complex input {p.aval.str_short()} is not supported")
    if p.ndim == 0:
        raise ShapeError("unwrap: needs an array with at least one axis, got a 0-d array")
    ax = canonicalize_axis(axis, p.ndim, "unwrap")
    if p.shape[ax] == 0:
        return p
    integral = dtypes.is_integer(p.dtype)
    interval = division.floor_divide(period, 2) if integral else ufuncs.true_divide(period, 2)
    discont = ufuncs.true_divide(period, 2) if discont is None else discont
    dd = differences.diff(p, axis=ax)
    ddmod = ufuncs.subtract(division.mod(ufuncs.add(dd, interval), period), interval)
    at_edge = comparison.logical_and(comparison.equal(ddmod, ufuncs.negative(interval)),
                                     comparison.greater(dd, 0))
    ddmod = ufuncs.where(at_edge, interval, ddmod)
    small = comparison.less(ufuncs.absolute(dd), discont)
    correction = ufuncs.where(small, 0, ufuncs.subtract(ddmod, dd))
    rest = ufuncs.add(_along(p, ax, 1, None), reductions.cumsum(correction, axis=ax))
    return shape_ops.concatenate([_along(p, ax, 0, 1), rest], axis=ax)


def _bitorder(op, bitorder):
    if bitorder not in ("big", "little"):
        raise ValueError(f"{op}: bitorder must be 'big' or 'little', got {bitorder!r}")
    w = np.array([128, 64, 32, 16, 8, 4, 2, 1], np.uint8)
    return asarray(w if bitorder == "big" else w[::-1])


def packbits(a, axis=None, bitorder="big"):
    """Elements of ``a`` as bits (nonzero is 1), packed eight to a uint8 along ``axis``
    (``None`` flattens); the last byte is padded with zero bits.

    Examples
    --------
    >>> tnp.packbits(tnp.array([1, 0, 1, 1, 0, 0, 0, 0, 1]))
    Array([176, 128], dtype=uint8)
    >>> tnp.packbits(tnp.array([[1, 0, 1], [0, 1, 1]]), axis=1, bitorder="little")
    Array([[5],
           [6]], dtype=uint8)
    """
    check_arraylike("packbits", a)
    a = asarray(a)
    if not (dtypes.is_integer(a.dtype) or a.dtype == dtypes.bool_):
        raise DTypeError(f"packbits: needs an integer or boolean array, got {a.aval.str_short()}")
    weights = _bitorder("packbits", bitorder)
    bits = ew.convert_element_type(ew.ne(a, ew.full_like(a, 0)), dtypes.uint8)
    if axis is None:
        bits, axis = shape_ops.ravel(bits), 0
    ax = canonicalize_axis(axis, bits.ndim, "packbits")
    bits = shape_ops.moveaxis(bits, ax, -1)
    n = bits.shape[-1]
    if n % 8:
        bits = rearranging.pad(bits, [(0, 0)] * (bits.ndim - 1) + [(0, 8 - n % 8)])
    bits = shape_ops.reshape(bits, bits.shape[:-1] + (bits.shape[-1] // 8, 8))
    packed = reductions.sum(ufuncs.multiply(bits, weights), axis=-1, dtype=dtypes.uint8)
    return shape_ops.moveaxis(packed, -1, ax)


def unpackbits(a, axis=None, count=None, bitorder="big"):
    """The bits of the uint8 array ``a`` as a uint8 array of 0s and 1s, eight per element
    along ``axis`` (``None`` flattens); ``count`` keeps that many (zero-padded if larger).

    Examples
    --------
    >>> tnp.unpackbits(tnp.array([5, 255], dtype=tnp.uint8))
    Array([0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1], dtype=uint8)
    >>> tnp.unpackbits(tnp.array([5], dtype=tnp.uint8), count=3, bitorder="little")
    Array([1, 0, 1], dtype=uint8)
    """
    check_arraylike("unpackbits", a)
    a = asarray(a)
    if a.dtype != dtypes.uint8:
        raise DTypeError(f"unpackbits: needs a uint8 array, got {a.aval.str_short()}")
    weights = _bitorder("unpackbits", bitorder)
    if axis is None:
        a, axis = shape_ops.ravel(a), 0
    ax = canonicalize_axis(axis, a.ndim, "unpackbits")
    moved = shape_ops.moveaxis(a, ax, -1)
    hit = bitwise.bitwise_and(moved[..., None], weights)
    bits = ew.convert_element_type(ew.ne(hit, ew.full_like(hit, 0)), dtypes.uint8)
    bits = shape_ops.reshape(bits, bits.shape[:-2] + (bits.shape[-2] * 8,))
    if count is not None:
        count = int(count)
        n = bits.shape[-1]
        bits = (rearranging.pad(bits, [(0, 0)] * (bits.ndim - 1) + [(0, count - n)])
                if count > n else bits[..., :count])
    return shape_ops.moveaxis(bits, -1, ax)


def _window(M, op):
    """The window length (a concrete int) and the sample positions ``0..M-1`` as default
    floats, or the window itself when it is all ones (``M <= 1``)."""
    n = int(creation._static(M, op, "M"))
    if n < 0:
        raise ValueError(f"{op}: the window length M must be non-negative, got {n}")
    dt = dtypes.default_float()
    if n <= 1:
        return n, None, creation.ones((n,), dt)
    return n, sh.iota(dt, n), None


def _cosine_window(M, op, coeffs):
    n, pos, ones = _window(M, op)
    if ones is not None:
        return ones
    out = None
    for k, c in enumerate(coeffs):
        term = c if k == 0 else ufuncs.multiply(
            c, trigonometric.cos(ufuncs.true_divide(ufuncs.multiply(2 * k * np.pi, pos), n - 1)))
        out = term if out is None else ufuncs.add(out, term)
    return out


def blackman(M):
    """The Blackman window of ``M`` points (default float dtype).

    Examples
    --------
    >>> tnp.round(tnp.blackman(5), 4)
    Array([-0.  ,  0.34,  1.  ,  0.34, -0.  ], dtype=float32)
    """
    return _cosine_window(M, "blackman", (0.42, -0.5, 0.08))


def hamming(M):
    """The Hamming window of ``M`` points (default float dtype).

    Examples
    --------
    >>> tnp.round(tnp.hamming(5), 4)
    Array([0.08, 0.54, 1.  , 0.54, 0.08], dtype=float32)
    """
    return _cosine_window(M, "hamming", (0.54, -0.46))


def hanning(M):
    """The Hann window of ``M`` points (default float dtype).

    Examples
    --------
    >>> tnp.round(tnp.hanning(5), 4)
    Array([0. , 0.5, 1. , 0.5, 0. ], dtype=float32)
    """
    n, pos, ones = _window(M, "hanning")
    if ones is not None:
        return ones
    angle = ufuncs.true_divide(ufuncs.multiply(2 * np.pi, pos), n - 1)
    return ufuncs.multiply(0.5, ufuncs.subtract(1, trigonometric.cos(angle)))


def bartlett(M):
    """The Bartlett (triangular) window of ``M`` points (default float dtype).

    Examples
    --------
    >>> tnp.bartlett(5)
    Array([0. , 0.5, 1. , 0.5, 0. ], dtype=float32)
    """
    n, pos, ones = _window(M, "bartlett")
    if ones is not None:
        return ones
    dist = ufuncs.absolute(ufuncs.subtract(ufuncs.add(ufuncs.multiply(2, pos), 1), n))
    return ufuncs.subtract(1, ufuncs.true_divide(dist, n - 1))


def kaiser(M, beta):
    """The Kaiser window of ``M`` points with shape parameter ``beta`` (default float dtype).

    Examples
    --------
    >>> tnp.round(tnp.kaiser(4, 2.), 4)
    Array([0.4387, 0.9243, 0.9243, 0.4387], dtype=float32)
    """
    n, pos, ones = _window(M, "kaiser")
    if ones is not None:
        return ones
    alpha = 0.5 * (n - 1)
    r = ufuncs.true_divide(ufuncs.subtract(pos, alpha), alpha)
    arg = ufuncs.multiply(beta, exp_log.sqrt(ufuncs.subtract(1, ufuncs.multiply(r, r))))
    return ufuncs.true_divide(i0(arg), i0(beta))
