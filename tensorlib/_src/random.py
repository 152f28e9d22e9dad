"""Counter-based pseudo-random numbers: JAX's Threefry-2x32 PRNG, bit for bit. This module
holds ``bits`` and the basic samplers (``uniform``, ``normal``, ``randint``, ``bernoulli``).

A key is a plain ``uint32[2]`` array (a *key array* is ``uint32[..., 2]``), exactly what
``jax.random.PRNGKey`` returns. ``key(seed)`` returns the same raw array: tensorlib has no
typed key dtype, so ``key``/``PRNGKey`` and ``key_data``/``wrap_key_data`` are identities on
the bits. Values follow JAX >= 0.5 (``jax_threefry_partitionable=True``): ``split``, ``bits``
and every sampler give the same numbers as ``jax.random`` for the same key.

The hash (``threefry``) is a composition of lax-level primitives (wrapping uint32 ``add``,
shifts, ``or``, ``xor``), so sampling is traced, staged and batched like any other code; keys
carry no gradient. One hash call covers the whole counter array, so sampling stays vectorised.
Keys are in ``random_keys``, the other distributions in ``random_distributions`` and
``random_discrete``.
"""

from __future__ import annotations

import math

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import Array
from tensorlib._src.numpy import comparison
from tensorlib._src.numpy import ufuncs as ufn
from tensorlib._src.numpy.promotion import asarray, broadcast_to
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops import shape as sh
from tensorlib._src.random_checks import (
    _canon_shape,
    _check_broadcast,
    _check_dtype,
    _check_key,
    _float_dtype,
    _key_words,
    _param,
    _shape_or_broadcast,
)
from tensorlib._src.random_keys import _row, _split2
from tensorlib._src.threefry import _const, _iota_2x32, threefry2x32
from tensorlib.errors import DTypeError

_UINT = {8: dtypes.uint8, 16: dtypes.uint16, 32: dtypes.uint32, 64: dtypes.uint64}


# --------------------------------------------------------------------------------------------
# Bits and the basic samplers


def _random_bits(key, bit_width, shape) -> Array:
    k0, k1 = _key_words(key)
    b1, b2 = threefry2x32(k0, k1, *_iota_2x32(shape))
    if bit_width == 64:
        u64 = dtypes.uint64
        hi = ew.convert_element_type(b1, u64)
        return ew.bitwise_or(ew.shift_left(hi, _const(shape, 32, u64)),
                             ew.convert_element_type(b2, u64))
    bits = ew.bitwise_xor(b1, b2)
    return bits if bit_width == 32 else ew.convert_element_type(bits, _UINT[bit_width])


def bits(key, shape=(), dtype=None) -> Array:
    """Uniform random bits as unsigned integers (default uint32, uint64 with x64).

    Examples
    --------
    >>> import tensorlib.random as tr
    >>> tr.bits(tr.PRNGKey(1701), (3,))
    Array([1111271205, 2679469115,  974515252], dtype=uint32)
    """
    key = _check_key("bits", key)
    shape = _canon_shape("bits", shape)
    dt = _check_dtype("bits", dtype, dtypes.default_uint, dtypes.is_unsigned,
                      "an unsigned integer")
    return _random_bits(key, dt.itemsize * 8, shape)


def uniform(key, shape=(), dtype=None, minval=0.0, maxval=1.0) -> Array:
    """Uniform floats in ``[minval, maxval)`` (the mantissa trick, bit-exact with JAX).

    Examples
    --------
    >>> import tensorlib.random as tr
    >>> tr.uniform(tr.PRNGKey(1701), (2,))
    Array([0.25873792, 0.6238625 ], dtype=float32)
    """
    key = _check_key("uniform", key)
    shape = _canon_shape("uniform", shape)
    return _uniform(key, shape, _float_dtype("uniform", dtype), minval, maxval)


def _uniform(key, shape, dtype, minval, maxval, name="uniform") -> Array:
    exact = _exact_span(minval, maxval, dtype)
    minval = _param(name, "minval", minval, dtype, shape)
    maxval = _param(name, "maxval", maxval, dtype, shape)
    finfo = dtypes.finfo(dtype)
    nbits, nmant = finfo.bits, finfo.nmant
    rng_bits = 8 if nmant < 8 else nbits
    udt = _UINT[nbits]
    bits_ = _random_bits(key, rng_bits, shape)
    if rng_bits != nbits:
        bits_ = ew.convert_element_type(bits_, udt)
    one = int(np.array(1.0, dtype).view(udt))
    fbits = ew.bitwise_or(ew.shift_right_logical(bits_, _const(shape, rng_bits - nmant, udt)),
                          _const(shape, one, udt))
    floats = ew.sub(_bitcast(fbits, dtype), _const(shape, 1.0, dtype))
    return ew.max(minval, _affine(floats, ew.sub(maxval, minval), minval, exact))


def _exact_span(minval, maxval, dtype) -> bool:
    """True when ``maxval - minval`` is a known power of two, so ``u * span`` is exact."""
    if isinstance(minval, Array) or isinstance(maxval, Array):
        return False
    lo, hi = np.asarray(minval), np.asarray(maxval)
    if lo.ndim or hi.ndim:
        return False
    with np.errstate(all="ignore"):
        span = float(hi.astype(dtype) - lo.astype(dtype))
    return math.isfinite(span) and span > 0 and math.frexp(span)[0] == 0.5


def _affine(u, span, lo, exact) -> Array:
    """``u * span + lo`` rounded the way XLA's CPU compiler rounds it in JAX's ``uniform``.

    XLA fuses the float32/float64 multiply-add into one FMA (a single rounding), computes
    float16 in float32, and rounds bfloat16 after each op. When the product is exact (a
    power-of-two span, as for the default ``[0, 1)`` and for ``normal``) every way agrees.
    """
    dt = u.dtype
    if exact or dt == dtypes.bfloat16:
        return ew.add(ew.mul(u, span), lo)
    if dt == dtypes.float16:
        f32 = dtypes.float32
        c = [ew.convert_element_type(v, f32) for v in (u, span, lo)]
        return ew.convert_element_type(ew.add(ew.mul(c[0], c[1]), c[2]), dt)
    return _fma(u, span, lo)


def _two_sum(a, b):
    s = ew.add(a, b)
    bb = ew.sub(s, a)
    return s, ew.add(ew.sub(a, ew.sub(s, bb)), ew.sub(b, bb))


def _fma(a, b, c) -> Array:
    """Correctly rounded ``a * b + c`` from plain float ops (no FMA primitive exists).

    Boldo & Melquiond (2008), "Emulation of FMA and correctly rounded sums: proved algorithms
    using rounding to odd": an exact product (Dekker/Veltkamp), an exact sum, one sum rounded
    to odd, then one final rounding. Exact barring overflow and underflow; non-finite
    products fall back to ``a * b + c``.
    """
    dt, shape = a.dtype, a.shape
    nmant = dtypes.finfo(dt).nmant
    split = _const(shape, 2.0 ** ((nmant + 2) // 2) + 1, dt)  # Veltkamp: 2**ceil(p/2) + 1

    def halves(x):
        t = ew.mul(split, x)
        hi = ew.sub(t, ew.sub(t, x))
        return hi, ew.sub(x, hi)

    uh = ew.mul(a, b)
    (ah, al), (bh, bl) = halves(a), halves(b)
    ul = ew.add(ew.add(ew.add(ew.sub(ew.mul(ah, bh), uh), ew.mul(ah, bl)), ew.mul(al, bh)),
                ew.mul(al, bl))
    th, tl = _two_sum(c, uh)
    v, err = _two_sum(tl, ul)
    # Round v to odd: when inexact with an even last bit, step one ulp toward the exact sum.
    udt = _UINT[dtypes.finfo(dt).bits]
    zero_u = _const(shape, 0, udt)
    even = ew.eq(ew.bitwise_and(_bitcast(v, udt), _const(shape, 1, udt)), zero_u)
    zero = _const(shape, 0.0, dt)
    toward = ew.select_n(ew.gt(err, zero), _const(shape, -np.inf, dt), _const(shape, np.inf, dt))
    step = ew.bitwise_and(ew.ne(err, zero), even)
    v = ew.select_n(step, v, ew.nextafter(v, toward))
    return ew.select_n(ew.is_finite(uh), ew.add(uh, c), ew.add(th, v))


def _bitcast(x, dtype) -> Array:
    if x.ndim:
        return ew.bitcast_convert_type(x, dtype)
    # The NumPy kernel returns shape (1,) for a 0-d input (ascontiguousarray); go via (1,).
    return sh.reshape(ew.bitcast_convert_type(sh.reshape(x, (1,)), dtype), ())


def normal(key, shape=(), dtype=None) -> Array:
    """Standard normal samples: ``sqrt(2) * erf_inv(u)``, ``u`` uniform in ``(-1, 1)``.

    Complex dtypes draw the real and imaginary parts from two split keys, scaled by
    ``1/sqrt(2)``. Values match JAX to a few ulp (the ``erf_inv`` kernels differ).

    Examples
    --------
    >>> key = tl.random.PRNGKey(0)
    >>> tnp.round(tl.random.normal(key, (3,)), 3)
    Array([ 1.623,  2.025, -0.434], dtype=float32)
    >>> tl.random.normal(key, (2,), dtype=tnp.complex64).dtype
    dtype('complex64')
    """
    key = _check_key("normal", key)
    shape = _canon_shape("normal", shape)
    dt = _check_dtype("normal", dtype, dtypes.default_float, dtypes.is_inexact,
                      "a floating-point or complex")
    if dtypes.is_complex(dt):
        real_dt = dtypes.float32 if dt == dtypes.complex64 else dtypes.float64
        k_re, k_im = _split2(key)
        re = ew.convert_element_type(_normal_real(k_re, shape, real_dt), dt)
        im = ew.convert_element_type(_normal_real(k_im, shape, real_dt), dt)
        z = ew.add(re, ew.mul(_const(shape, 1j, dt), im))
        return ew.div(z, _const(shape, np.sqrt(2), dt))
    return _normal_real(key, shape, dt)


def _normal_real(key, shape, dtype) -> Array:
    lo = np.nextafter(np.array(-1.0, dtype), np.array(0.0, dtype))
    u = _uniform(key, shape, dtype, lo, 1.0, name="normal")
    return ew.mul(_const(shape, np.sqrt(2), dtype), ew.erf_inv(u))


def _convert_and_clip(x, dtype) -> Array:
    """Integer ``x`` converted to ``dtype``, clipped to its range instead of wrapping."""
    src, dst = dtypes.iinfo(x.dtype), dtypes.iinfo(dtype)
    lo, hi = max(int(src.min), int(dst.min)), min(int(src.max), int(dst.max))
    x = ew.min(ew.max(x, _const(x.shape, lo, x.dtype)), _const(x.shape, hi, x.dtype))
    return ew.convert_element_type(x, dtype)


def _int_bound(v) -> Array:
    """A randint bound as an integer array (floats truncate, as ``astype(int)`` in JAX)."""
    v = asarray(v)
    if not dtypes.is_integer(v.dtype):
        v = ew.convert_element_type(v, dtypes.default_int())
    return v


def randint(key, shape, minval, maxval, dtype=None) -> Array:
    """Uniform integers in ``[minval, maxval)`` (JAX's 2x-width modulus method, bit-exact).

    8- and 16-bit dtypes are sampled in int32 and converted, as in JAX.

    Examples
    --------
    >>> import tensorlib.random as tr
    >>> tr.randint(tr.PRNGKey(0), (3,), 0, 8)
    Array([5, 0, 0], dtype=int32)
    """
    key = _check_key("randint", key)
    shape = _canon_shape("randint", shape)
    dt = _check_dtype("randint", dtype, dtypes.default_int, dtypes.is_integer, "an integer")
    info = dtypes.iinfo(dt)
    minval, maxval = _int_bound(minval), _int_bound(maxval)
    for what, v in (("minval", minval), ("maxval", maxval)):
        _check_broadcast("randint", what, v.shape, shape)
    if info.bits < 32:
        i32 = dtypes.int32
        minval = _clip_i32(minval, int(info.min), int(info.max))
        maxval = _clip_i32(maxval, int(info.min), int(info.max) + 1)
        return ew.convert_element_type(_randint(key, minval, maxval, shape, i32), dt)
    return _randint(key, minval, maxval, shape, dt)


def _clip_i32(v, lo, hi) -> Array:
    i32 = dtypes.int32
    v = ew.convert_element_type(v, i32)
    return ew.min(ew.max(v, _const(v.shape, lo, i32)), _const(v.shape, hi, i32))


def _randint(key, minval, maxval, shape, dtype) -> Array:
    info = dtypes.iinfo(dtype)
    top = min(int(info.max), int(dtypes.iinfo(maxval.dtype).max))
    oor = ew.gt(maxval, _const(maxval.shape, top, maxval.dtype))
    lo = broadcast_to(_convert_and_clip(minval, dtype), shape)
    hi = broadcast_to(_convert_and_clip(maxval, dtype), shape)
    oor = broadcast_to(oor, shape)
    nbits = info.bits
    udt = _UINT[nbits]
    k1, k2 = _split2(key)
    higher, lower = _random_bits(k1, nbits, shape), _random_bits(k2, nbits, shape)
    one = _const(shape, 1, udt)
    span = ew.convert_element_type(ew.sub(hi, lo), udt)
    span = ew.select_n(ew.le(hi, lo), span, one)  # maxval <= minval: always minval
    # maxval above the dtype's range: the span is one larger (wrapping to 0 at 2**nbits)
    span = ew.select_n(ew.bitwise_and(oor, ew.gt(hi, lo)), span, ew.add(span, one))
    mult = ew.rem(_const(shape, 2 ** (nbits // 2), udt), span)
    mult = ew.rem(ew.mul(mult, mult), span)
    offset = ew.add(ew.mul(ew.rem(higher, span), mult), ew.rem(lower, span))
    offset = ew.rem(offset, span)
    return ew.add(ew.convert_element_type(lo, dtype), ew.convert_element_type(offset, dtype))


def _float_param(name, what, p) -> Array:
    p = asarray(p)
    if not dtypes.is_float(p.dtype):
        raise DTypeError(f"{name}: {what} has {p.aval.str_short()} but must be floating "
                         f"point; pass e.g. {what}=0.5 or convert with "
                         ".astype(tensorlib.numpy.float32)")
    return p


def bernoulli(key, p=0.5, shape=None, mode="low") -> Array:
    """Booleans that are True with probability ``p`` (``uniform < p``, bit-exact with JAX).

    ``mode="high"`` uses two uniforms per sample for accuracy at tiny ``p``.

    Examples
    --------
    >>> tl.random.bernoulli(tl.random.PRNGKey(0), 0.3, (8,))
    Array([False, False, False, False, False,  True, False, False], dtype=bool)
    """
    key = _check_key("bernoulli", key)
    if mode not in ("low", "high"):
        raise ValueError(f"bernoulli: mode={mode!r}; use 'low' or 'high'")
    p = _float_param("bernoulli", "p", p)
    shape = _shape_or_broadcast("bernoulli", shape, p)
    dt = p.dtype
    if mode == "high":
        u = _uniform(key, (2,) + shape, dt, 0.0, 1.0, name="bernoulli")
        u1, u2 = _row(u, 0), _row(u, 1)
        u2 = ufn.multiply(u2, 2.0 ** -dtypes.finfo(dt).nmant)
        return comparison.less(u2, ufn.subtract(p, u1))
    return comparison.less(_uniform(key, shape, dt, 0.0, 1.0, name="bernoulli"), p)


