"""Counter-based pseudo-random numbers: JAX's Threefry-2x32 PRNG, bit for bit.

A key is a plain ``uint32[2]`` array (a *key array* is ``uint32[..., 2]``), exactly what
``jax.random.PRNGKey`` returns. ``key(seed)`` returns the same raw array: tensorlib has no
typed key dtype, so ``key``/``PRNGKey`` and ``key_data``/``wrap_key_data`` are identities on
the bits. Values follow JAX >= 0.5 (``jax_threefry_partitionable=True``): ``split``, ``bits``
and every sampler give the same numbers as ``jax.random`` for the same key.

The hash is a composition of lax-level primitives (wrapping uint32 ``add``, shifts, ``or``,
``xor``), so sampling is traced, staged and batched like any other code; keys carry no
gradient. One hash call covers the whole counter array, so sampling stays vectorised.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.config import config
from tensorlib._src.core import Array, concrete_or_none
from tensorlib._src.numpy import ufuncs as ufn
from tensorlib._src.numpy.promotion import asarray, broadcast_shapes, broadcast_to
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops import shape as sh
from tensorlib.errors import DTypeError, ShapeError

_U32 = dtypes.uint32
_UINT = {8: dtypes.uint8, 16: dtypes.uint16, 32: dtypes.uint32, 64: dtypes.uint64}
_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_KEY_HINT = "create one with tensorlib.random.key(seed) or tensorlib.random.PRNGKey(seed)"

# --------------------------------------------------------------------------------------------
# The Threefry-2x32 hash


def _const(shape, value, dtype=_U32) -> Array:
    return ew.full(shape, value, dtype)


def threefry2x32(k0, k1, x0, x1):
    """Threefry-2x32 (20 rounds) of the counters ``(x0, x1)`` under the key ``(k0, k1)``.

    All arguments are uint32 arrays; ``x0`` and ``x1`` share one shape, and the key words have
    a leading part of it (``()`` for a single key), broadcast over the rest.

    Examples
    --------
    >>> import tensorlib.numpy as tnp
    >>> u = lambda v: tnp.asarray(v, tnp.uint32)
    >>> [hex(int(v)) for v in threefry2x32(u(0), u(0), u(0), u(0))]
    ['0x6b200159', '0x99ba4efe']
    """
    shape = x0.shape
    kdims = tuple(range(k0.ndim))

    def bcast(k):
        return sh.broadcast_in_dim(k, shape, kdims)

    ks = (k0, k1, ew.bitwise_xor(ew.bitwise_xor(k0, k1), _const(k0.shape, 0x1BD11BDA)))
    rot = {}

    def rotl(x, r):
        # x << r as a wrapping multiply by 2**r: the same bits, and one pass of the eager
        # NumPy kernel where shift_left needs several.
        if r not in rot:
            rot[r] = (_const(shape, 1 << r), _const(shape, 32 - r))
        left, right = rot[r]
        return ew.bitwise_or(ew.mul(x, left), ew.shift_right_logical(x, right))

    x0 = ew.add(x0, bcast(ks[0]))
    x1 = ew.add(x1, bcast(ks[1]))
    for i in range(5):
        for r in _ROTATIONS[i % 2]:
            x0 = ew.add(x0, x1)
            x1 = ew.bitwise_xor(rotl(x1, r), x0)
        x0 = ew.add(x0, bcast(ks[(i + 1) % 3]))
        # (ks + (i + 1)) on the key words first: wrapping addition is associative.
        x1 = ew.add(x1, bcast(ew.add(ks[(i + 2) % 3], _const(k0.shape, i + 1))))
    return x0, x1


def threefry_2x32(key, count) -> Array:
    """The legacy array form: hash the first half of ``count`` against its second half.

    ``count`` (uint32, any shape) is flattened and padded to even length; the result has
    ``count``'s shape. This is ``jax.prng.threefry_2x32``; samplers do not use it.

    Examples
    --------
    >>> k = tnp.array([0, 0], dtype=tnp.uint32)
    >>> tl.random.threefry_2x32(k, tnp.array([0, 1, 2, 3], dtype=tnp.uint32))
    Array([4146024105,  967050713, 2718843009, 1272950319], dtype=uint32)
    """
    key = _check_key("threefry_2x32", key)
    count = asarray(count)
    if count.dtype != _U32:
        raise DTypeError(f"threefry_2x32: count has {count.aval.str_short()} but must be "
                         "uint32; convert it with .astype(tensorlib.numpy.uint32)")
    n = count.size
    flat = sh.reshape(count, (n,))
    if n % 2:
        flat = sh.concatenate([flat, _const((1,), 0)], 0)
    half = (n + 1) // 2
    k0, k1 = _key_words(key)
    y0, y1 = threefry2x32(k0, k1, sh.slice(flat, (0,), (half,)),
                          sh.slice(flat, (half,), (2 * half,)))
    out = sh.concatenate([y0, y1], 0)
    return sh.reshape(sh.slice(out, (0,), (n,)), count.shape)


def _iota_2x32(shape):
    """The row-major 64-bit linear index over ``shape`` as (hi, lo) uint32 arrays."""
    size = math.prod(shape)
    if size >= 2**32:
        raise ShapeError(f"random: shape {shape} has {size} elements; at most 2**32 - 1 "
                         "samples per call are supported, split the key and sample in parts")
    if not shape:
        return _const((), 0), _const((), 0)
    return _const(shape, 0), sh.reshape(sh.iota(_U32, size), shape)


# --------------------------------------------------------------------------------------------
# Argument checks


def _check_key(name, key, batched=False) -> Array:
    if not isinstance(key, Array):
        if not isinstance(key, (np.ndarray, list, tuple)):
            raise TypeError(f"{name}: expected a PRNG key (a uint32[2] array), got "
                            f"{type(key).__module__}.{type(key).__qualname__}; {_KEY_HINT}")
        key = asarray(key)
    aval = key.aval.str_short()
    if key.dtype != _U32:
        raise DTypeError(f"{name}: the key has {aval} but a PRNG key is a uint32 array of "
                         f"shape (2,) (or (..., 2) for a key array); {_KEY_HINT}")
    if key.ndim == 0 or key.shape[-1] != 2:
        raise ShapeError(f"{name}: the key has {aval} but a PRNG key is a uint32 array of "
                         f"shape (2,) (or (..., 2) for a key array); {_KEY_HINT}")
    if not batched and key.ndim != 1:
        raise ShapeError(f"{name}: expects a single key u32[2] but got a key array {aval}; "
                         "index one key (keys[i]) or map over the keys")
    return key


def _key_words(key):
    """``key[..., 0]`` and ``key[..., 1]`` as uint32 arrays of the key array's batch shape."""
    batch = key.shape[:-1]
    ax = key.ndim - 1
    k0 = sh.reshape(sh.slice_in_dim(key, 0, 1, axis=ax), batch)
    k1 = sh.reshape(sh.slice_in_dim(key, 1, 2, axis=ax), batch)
    return k0, k1


def _stack_words(b0, b1) -> Array:
    s = b0.shape + (1,)
    return sh.concatenate([sh.reshape(b0, s), sh.reshape(b1, s)], len(b0.shape))


def _canon_shape(name, shape, what="shape") -> tuple:
    if isinstance(shape, Sequence) and not isinstance(shape, str):
        items = tuple(shape)
    else:
        items = (shape,)
    try:
        out = tuple(operator.index(s) for s in items)
    except TypeError:
        raise TypeError(f"{name}: {what} must be an int or a tuple of ints, got "
                        f"{shape!r}") from None
    if any(s < 0 for s in out):
        raise ShapeError(f"{name}: {what} {out} has a negative size; sizes must be >= 0")
    return out


def _check_dtype(name, dtype, default, kind_ok, kind_text):
    dt = dtypes.canonicalize(default() if dtype is None else dtype)
    if not kind_ok(dt):
        raise DTypeError(f"{name}: dtype {dt} is not {kind_text} dtype; pass e.g. "
                         f"dtype=tensorlib.numpy.{default().name}")
    return dt


def _float_dtype(name, dtype):
    return _check_dtype(name, dtype, dtypes.default_float, dtypes.is_float, "a floating-point")


def _as_dtype(x, dtype) -> Array:
    """``x`` (Array, Python or NumPy value) converted to ``dtype`` (strong)."""
    if isinstance(x, Array):
        return ew.convert_element_type(x, dtype)
    return asarray(np.asarray(x).astype(dtype))


def _check_broadcast(name, what, pshape, shape):
    try:
        ok = broadcast_shapes(tuple(pshape), tuple(shape)) == tuple(shape)
    except ValueError:
        ok = False
    if not ok:
        raise ShapeError(f"{name}: {what} has shape {tuple(pshape)}, which does not broadcast "
                         f"to the sample shape {tuple(shape)}; pass a shape that contains it")


def _param(name, what, x, dtype, shape) -> Array:
    x = _as_dtype(x, dtype)
    _check_broadcast(name, what, x.shape, shape)
    return broadcast_to(x, shape)


def _shape_or_broadcast(name, shape, *params):
    """``shape`` canonicalized and checked against the parameters, or their broadcast."""
    pshapes = [np.shape(p) if not isinstance(p, Array) else p.shape for p in params]
    if shape is None:
        return broadcast_shapes(*pshapes) if pshapes else ()
    shape = _canon_shape(name, shape)
    for s in pshapes:
        _check_broadcast(name, "a parameter", s, shape)
    return shape


# --------------------------------------------------------------------------------------------
# Keys


def PRNGKey(seed, *, impl=None) -> Array:
    """A raw ``uint32[2]`` key from an integer seed, as ``jax.random.PRNGKey``.

    A Python int seed is taken as int64 (out of range raises ``OverflowError``); without
    ``enable_x64`` it then wraps to int32, as in JAX, so ``PRNGKey(-1)`` is ``[0, 2**32-1]``.

    Examples
    --------
    >>> import tensorlib.random as tr
    >>> tr.PRNGKey(1701)
    Array([   0, 1701], dtype=uint32)
    """
    return _seed("PRNGKey", seed, impl)


def key(seed, *, impl=None) -> Array:
    """Same as ``PRNGKey``: tensorlib keys are raw ``uint32[2]`` arrays, not a key dtype.

    Examples
    --------
    >>> tl.random.key(42)
    Array([ 0, 42], dtype=uint32)
    """
    return _seed("key", seed, impl)


def _check_impl(name, impl):
    if impl not in (None, "threefry2x32"):
        raise ValueError(f"{name}: impl={impl!r} is not supported; tensorlib implements only "
                         "'threefry2x32' (the JAX default)")


def _seed(name, seed, impl) -> Array:
    _check_impl(name, impl)
    if isinstance(seed, int):  # Python int (and bool): taken as int64, as in JAX
        if not -(2**63) <= seed < 2**63:
            raise OverflowError(f"{name}: seed {seed} does not fit in int64; use a seed in "
                                "[-2**63, 2**63)")
        # Without x64 the int64 seed becomes int32, whose logical shift by 32 is 0.
        hi = (seed % 2**64) >> 32 if config.enable_x64 else 0
        return asarray(np.array([hi, seed & 0xFFFFFFFF], dtype=np.uint32))
    if isinstance(seed, (float, complex)):
        raise TypeError(f"{name}: the seed must be an integer, got {type(seed).__name__} "
                        f"{seed!r}")
    seed = asarray(seed)
    if seed.ndim:
        raise ShapeError(f"{name}: the seed must be a scalar, got {seed.aval.str_short()}; "
                         "make one key per seed, or split one key")
    if not dtypes.is_integer(seed.dtype):
        raise DTypeError(f"{name}: the seed has {seed.aval.str_short()} but must be an "
                         "integer; convert it with .astype(tensorlib.numpy.int32)")
    hi = ew.shift_right_logical(seed, _const((), 32, seed.dtype))  # 0 unless 64-bit
    words = [ew.convert_element_type(hi, _U32), ew.convert_element_type(seed, _U32)]
    return sh.concatenate([sh.reshape(w, (1,)) for w in words], 0)


def key_data(keys) -> Array:
    """The ``uint32[..., 2]`` bits of a key (array): the key itself in tensorlib.

    Examples
    --------
    >>> tl.random.key_data(tl.random.key(42))
    Array([ 0, 42], dtype=uint32)
    """
    return _check_key("key_data", keys, batched=True)


def wrap_key_data(key_bits_array, *, impl=None) -> Array:
    """A key (array) from its ``uint32[..., 2]`` bits: checks them and returns them.

    Examples
    --------
    >>> tl.random.wrap_key_data(tnp.array([0, 42], dtype=tnp.uint32))
    Array([ 0, 42], dtype=uint32)
    """
    _check_impl("wrap_key_data", impl)
    return _check_key("wrap_key_data", key_bits_array, batched=True)


def key_impl(keys) -> str:
    """The PRNG implementation of a key: always ``'threefry2x32'``.

    Examples
    --------
    >>> tl.random.key_impl(tl.random.PRNGKey(0))
    'threefry2x32'
    """
    _check_key("key_impl", keys, batched=True)
    return "threefry2x32"


def clone(key) -> Array:
    """Returns ``key`` (keys are immutable arrays; JAX needs this only for donation).

    Examples
    --------
    >>> tl.random.clone(tl.random.PRNGKey(0))
    Array([0, 0], dtype=uint32)
    """
    return _check_key("clone", key, batched=True)


def split(key, num=2) -> Array:
    """``num`` new keys (``num`` an int or a shape): ``split(k, n)[i] == fold_in(k, i)``.

    A key array ``uint32[*B, 2]`` is split key by key, giving ``uint32[*B, *num, 2]``.

    Examples
    --------
    >>> import tensorlib.random as tr
    >>> tr.split(tr.PRNGKey(0), 2)
    Array([[1797259609, 2579123966],
           [ 928981903, 3453687069]], dtype=uint32)
    """
    key = _check_key("split", key, batched=True)
    return _split(key, _canon_shape("split", num, "num"))


def _split(key, shape) -> Array:
    batch = key.shape[:-1]
    k0, k1 = _key_words(key)
    hi, lo = _iota_2x32(shape)
    full_shape = batch + shape
    dims = tuple(range(len(batch), len(full_shape)))
    hi = sh.broadcast_in_dim(hi, full_shape, dims)
    lo = sh.broadcast_in_dim(lo, full_shape, dims)
    return _stack_words(*threefry2x32(k0, k1, hi, lo))


def _split2(key):
    keys = _split(key, (2,))
    return _row(keys, 0), _row(keys, 1)


def _row(x, i) -> Array:
    return sh.reshape(sh.slice_in_dim(x, i, i + 1, axis=0), x.shape[1:])


def fold_in(key, data) -> Array:
    """A new key from ``key`` and the 32-bit integer ``data``: ``hash(key, (0, data))``.

    ``data`` is a scalar (or, with a key array, an integer array broadcast against its
    batch shape).

    Examples
    --------
    >>> import tensorlib.random as tr
    >>> tr.fold_in(tr.PRNGKey(0), 4)
    Array([2285895361,  433833334], dtype=uint32)
    """
    key = _check_key("fold_in", key, batched=True)
    if isinstance(data, int):  # Python ints must fit in uint32, as in JAX
        if not 0 <= data < 2**32:
            raise OverflowError(f"fold_in: data {int(data)} is out of bounds for uint32; "
                                "fold in a value in [0, 2**32)")
        data = asarray(np.uint32(data))
    else:
        data = asarray(data)
        if not (dtypes.is_integer(data.dtype) or dtypes.is_bool(data.dtype)):
            raise DTypeError(f"fold_in: data has {data.aval.str_short()} but must be an "
                             "integer; convert it with .astype(tensorlib.numpy.uint32)")
        data = ew.convert_element_type(data, _U32)
    batch = key.shape[:-1]
    try:
        out_shape = broadcast_shapes(batch, data.shape)
    except ValueError:
        out_shape = None
    if data.shape and out_shape != batch:
        raise ShapeError(f"fold_in: data has shape {data.shape} but the key batch shape is "
                         f"{batch}; fold in a scalar (or one value per key)")
    k0, k1 = _key_words(key)
    d = broadcast_to(data, batch)
    return _stack_words(*threefry2x32(k0, k1, _const(batch, 0), d))


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
        return ufn.less(u2, ufn.subtract(p, u1))
    return ufn.less(_uniform(key, shape, dt, 0.0, 1.0, name="bernoulli"), p)


# --------------------------------------------------------------------------------------------
# Distributions built on uniform


def _float_sampler(name, key, shape, dtype):
    return _check_key(name, key), _canon_shape(name, shape), _float_dtype(name, dtype)


def gumbel(key, shape=(), dtype=None, mode=None) -> Array:
    """Standard Gumbel samples ``-log(-log(u))``; ``mode="high"`` doubles the uniform bits.

    Examples
    --------
    >>> tnp.round(tl.random.gumbel(tl.random.PRNGKey(0), (3,)), 3)
    Array([ 2.923,  3.833, -0.097], dtype=float32)
    """
    key, shape, dt = _float_sampler("gumbel", key, shape, dtype)
    return _gumbel(key, shape, dt, mode)


def _gumbel(key, shape, dt, mode) -> Array:
    mode = "low" if mode is None else mode
    info = dtypes.finfo(dt)
    if mode == "low":
        u = _uniform(key, shape, dt, float(info.tiny), 1.0, name="gumbel")
        return ufn.negative(ufn.log(ufn.negative(ufn.log(u))))
    if mode != "high":
        raise ValueError(f"gumbel: mode={mode!r} is not supported; use 'low' or 'high'")
    u = _uniform(key, (2,) + shape, dt, 0.0, 1.0, name="gumbel")
    high, low = _row(u, 0), _row(u, 1)
    x = ufn.add(ufn.add(high, ufn.multiply(2.0 ** -info.nmant, low)), float(info.tiny))
    x = ew.select_n(ufn.greater_equal(high, 0.5), x, high)
    return ufn.negative(ufn.log(ufn.negative(ufn.log1p(ufn.negative(x)))))


def exponential(key, shape=(), dtype=None) -> Array:
    """Standard exponential samples ``-log1p(-u)``.

    Examples
    --------
    >>> tnp.round(tl.random.exponential(tl.random.PRNGKey(0), (3,)), 3)
    Array([2.95 , 3.843, 0.404], dtype=float32)
    """
    key, shape, dt = _float_sampler("exponential", key, shape, dtype)
    return _exponential(key, shape, dt)


def _exponential(key, shape, dt) -> Array:
    u = _uniform(key, shape, dt, 0.0, 1.0, name="exponential")
    return ew.neg(ew.log1p(ew.neg(u)))


def laplace(key, shape=(), dtype=None) -> Array:
    """Standard Laplace samples ``sign(u) * log1p(-|u|)``, ``u`` uniform in ``(-1, 1)``.

    Examples
    --------
    >>> tnp.round(tl.random.laplace(tl.random.PRNGKey(0), (3,)), 3)
    Array([-2.257, -3.15 ,  0.409], dtype=float32)
    """
    key, shape, dt = _float_sampler("laplace", key, shape, dtype)
    lo = -1.0 + float(dtypes.finfo(dt).epsneg)
    u = _uniform(key, shape, dt, lo, 1.0, name="laplace")
    return ew.mul(ew.sign(u), ew.log1p(ew.neg(ew.abs(u))))


def logistic(key, shape=(), dtype=None) -> Array:
    """Standard logistic samples ``log(u) - log1p(-u)``.

    Examples
    --------
    >>> tnp.round(tl.random.logistic(tl.random.PRNGKey(0), (3,)), 3)
    Array([ 2.896,  3.822, -0.698], dtype=float32)
    """
    key, shape, dt = _float_sampler("logistic", key, shape, dtype)
    u = _uniform(key, shape, dt, float(dtypes.finfo(dt).tiny), 1.0, name="logistic")
    return ew.sub(ew.log(u), ew.log1p(ew.neg(u)))


def cauchy(key, shape=(), dtype=None) -> Array:
    """Standard Cauchy samples ``tan(pi * (u - 0.5))``.

    Examples
    --------
    >>> tnp.round(tl.random.cauchy(tl.random.PRNGKey(0), (3,)), 3)
    Array([ 6.027, 14.838, -0.582], dtype=float32)
    """
    key, shape, dt = _float_sampler("cauchy", key, shape, dtype)
    u = _uniform(key, shape, dt, float(dtypes.finfo(dt).eps), 1.0, name="cauchy")
    return ew.tan(ew.mul(_const(shape, np.pi, dt), ew.sub(u, _const(shape, 0.5, dt))))


def rademacher(key, shape=(), dtype=None) -> Array:
    """Random signs: -1 or +1 with equal probability (default int dtype).

    Examples
    --------
    >>> tl.random.rademacher(tl.random.PRNGKey(0), (6,))
    Array([-1, -1,  1,  1, -1,  1], dtype=int32)
    """
    key = _check_key("rademacher", key)
    shape = _canon_shape("rademacher", shape)
    dt = _check_dtype("rademacher", dtype, dtypes.default_int,
                      lambda d: not dtypes.is_bool(d), "a numeric")
    b = ew.convert_element_type(bernoulli(key, 0.5, shape), dt)
    return ew.sub(ew.mul(_const(shape, 2, dt), b), _const(shape, 1, dt))


def pareto(key, b, shape=None, dtype=None) -> Array:
    """Pareto samples ``exp(e / b)`` with ``e`` standard exponential.

    Examples
    --------
    >>> tnp.round(tl.random.pareto(tl.random.PRNGKey(0), 3.0, (3,)), 3)
    Array([2.673, 3.601, 1.144], dtype=float32)
    """
    key = _check_key("pareto", key)
    dt = _float_dtype("pareto", dtype)
    shape = _shape_or_broadcast("pareto", shape, b)
    return ufn.exp(ufn.divide(_exponential(key, shape, dt), _as_dtype(b, dt)))


def lognormal(key, sigma=1.0, shape=None, dtype=None) -> Array:
    """Log-normal samples ``exp(sigma * normal)``.

    Examples
    --------
    >>> tnp.round(tl.random.lognormal(tl.random.PRNGKey(0), 0.5, (3,)), 3)
    Array([2.251, 2.753, 0.805], dtype=float32)
    """
    key = _check_key("lognormal", key)
    dt = _float_dtype("lognormal", dtype)
    shape = _shape_or_broadcast("lognormal", shape, sigma)
    return ufn.exp(ufn.multiply(_normal_real(key, shape, dt), _as_dtype(sigma, dt)))


def truncated_normal(key, lower, upper, shape=None, dtype=None) -> Array:
    """Standard normal samples conditioned on ``lower < x < upper`` (inverse-CDF method).

    ``shape`` defaults to the broadcast of ``lower`` and ``upper``. Values match JAX to a few
    ulp (the ``erf`` and ``erf_inv`` kernels differ).

    Examples
    --------
    >>> tnp.round(tl.random.truncated_normal(tl.random.PRNGKey(0), -1.0, 1.0, (3,)), 3)
    Array([ 0.862,  0.941, -0.291], dtype=float32)
    """
    from tensorlib._src.api import stop_gradient

    key = _check_key("truncated_normal", key)
    dt = _float_dtype("truncated_normal", dtype)
    shape = _shape_or_broadcast("truncated_normal", shape, lower, upper)
    lower, upper = _as_dtype(lower, dt), _as_dtype(upper, dt)
    sqrt2 = float(np.sqrt(2))
    a = ew.erf(ufn.divide(lower, _as_dtype(sqrt2, dt)))
    b = ew.erf(ufn.divide(upper, _as_dtype(sqrt2, dt)))
    u = _uniform(key, shape, dt, a, b, name="truncated_normal")
    out = ew.mul(_const(shape, sqrt2, dt), ew.erf_inv(u))
    lo, hi = stop_gradient(lower), stop_gradient(upper)
    lo = ew.nextafter(lo, _const(lo.shape, np.inf, dt))
    hi = ew.nextafter(hi, _const(hi.shape, -np.inf, dt))
    return ufn.minimum(ufn.maximum(out, lo), hi)


# --------------------------------------------------------------------------------------------
# Discrete choices


def categorical(key, logits, axis=-1, shape=None, replace=True, mode=None) -> Array:
    """Indices drawn with probabilities ``softmax(logits, axis)`` (Gumbel-max, as JAX).

    ``shape`` defaults to ``logits.shape`` without ``axis``; leading extra dimensions draw
    more samples. ``replace=False`` draws without replacement (Gumbel top-k).

    Examples
    --------
    >>> key = tl.random.PRNGKey(0)
    >>> tl.random.categorical(key, tnp.log(tnp.array([0.1, 0.2, 0.7])), shape=(8,))
    Array([1, 2, 2, 1, 2, 2, 2, 2], dtype=int32)
    >>> tl.random.categorical(key, tnp.zeros(5), shape=(3,), replace=False)  # distinct
    Array([1, 0, 4], dtype=int32)
    """
    from tensorlib._src.numpy.reductions import argmax

    key = _check_key("categorical", key)
    logits = _float_param("categorical", "logits", logits)
    nd = logits.ndim
    if nd == 0:
        raise ShapeError("categorical: logits must have at least one dimension (the "
                         "categories), got a scalar")
    axis = _canon_axis("categorical", axis, nd)
    batch_shape = logits.shape[:axis] + logits.shape[axis + 1:]
    shape = batch_shape if shape is None else _canon_shape("categorical", shape)
    _check_broadcast("categorical", "logits without the category axis", batch_shape, shape)
    prefix = shape[:len(shape) - len(batch_shape)]
    if replace:
        lshape = list(shape[len(prefix):])
        lshape.insert(axis, logits.shape[axis])
        g = _gumbel(key, prefix + tuple(lshape), logits.dtype, mode)
        z = ufn.add(g, sh.reshape(logits, (1,) * len(prefix) + logits.shape))
        return argmax(z, axis=axis - nd)
    return _categorical_no_replace(key, logits, axis, shape, batch_shape, prefix, mode)


def _categorical_no_replace(key, logits, axis, shape, batch_shape, prefix, mode):
    from tensorlib._src.lax_extra import top_k
    from tensorlib._src.numpy.shape_ops import moveaxis

    k = math.prod(prefix)
    if k > logits.shape[axis]:
        raise ValueError(f"categorical: {k} samples without replacement exceed the "
                         f"{logits.shape[axis]} categories")
    if shape != prefix + batch_shape:
        raise ShapeError(f"categorical: with replace=False the shape must end with the "
                         f"logits' batch shape {batch_shape}, got {shape}")
    z = ufn.add(logits, _gumbel(key, logits.shape, logits.dtype, mode))
    _, idx = top_k(moveaxis(z, axis, -1), k)
    n = idx.ndim
    idx = sh.transpose(idx, (n - 1,) + tuple(range(n - 1)))
    return sh.reshape(idx, shape)


def _canon_axis(name, axis, ndim) -> int:
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"{name}: axis must be an int, got {axis!r}") from None
    if not -ndim <= axis < ndim:
        raise ShapeError(f"{name}: axis {axis} is out of range for an array of {ndim} "
                         "dimension(s)")
    return axis % ndim


def _concrete_int(name, x) -> int:
    if isinstance(x, Array):
        c = concrete_or_none(x)
        if c is None:
            from tensorlib._src.errors_util import concretization_error

            raise concretization_error(x, f"{name}: the size argument")
        x = c.to_numpy()
    try:
        return operator.index(np.asarray(x).item())
    except TypeError:
        raise TypeError(f"{name}: expected an integer size, got {x!r}") from None


def _shuffle(key, x, axis) -> Array:
    """Sort by fresh random 32-bit keys, enough rounds to make collisions negligible (JAX)."""
    from tensorlib._src.lax_extra import sort_key_val

    rounds = int(np.ceil(3 * np.log(max(1, x.size)) / np.log(np.iinfo(np.uint32).max)))
    for _ in range(rounds):
        key, subkey = _split2(key)
        _, x = sort_key_val(_random_bits(subkey, 32, x.shape), x, axis)
    return x


def permutation(key, x, axis=0, independent=False) -> Array:
    """A random permutation of ``arange(x)`` (int ``x``) or of ``x`` along ``axis``.

    ``independent=True`` shuffles every slice along ``axis`` separately. Bit-exact with JAX.

    Examples
    --------
    >>> import tensorlib.random as tr
    >>> tr.permutation(tr.PRNGKey(0), 5)
    Array([0, 1, 4, 3, 2], dtype=int32)
    """
    from tensorlib._src.numpy.creation import arange
    from tensorlib._src.numpy.indexing import take

    key = _check_key("permutation", key)
    if not isinstance(x, Array) and np.ndim(x) == 0:
        x = x if isinstance(x, (bool, int, np.integer)) else asarray(x)
    if not isinstance(x, Array) and np.ndim(x) == 0:
        return _shuffle(key, arange(_concrete_int("permutation", x)), 0)
    x = asarray(x)
    if x.ndim == 0:
        if not dtypes.is_integer(x.dtype):
            raise DTypeError(f"permutation: x has {x.aval.str_short()}; pass an integer n "
                             "(to permute arange(n)) or an array with at least one dimension")
        return _shuffle(key, arange(_concrete_int("permutation", x)), 0)
    axis = _canon_axis("permutation", axis, x.ndim)
    if independent or x.ndim == 1:
        return _shuffle(key, x, axis)
    ind = _shuffle(key, arange(x.shape[axis]), 0)
    return take(x, ind, axis)


def choice(key, a, shape=(), replace=True, p=None, axis=0) -> Array:
    """Random samples from ``a`` (an int ``n`` means ``arange(n)``) along ``axis``.

    Without ``p`` the draws are bit-exact with JAX (``randint`` with replacement, a
    ``permutation`` prefix without). With ``p`` they use an inverse CDF (with replacement) or
    Gumbel top-k (without).

    Examples
    --------
    >>> key = tl.random.PRNGKey(0)
    >>> tl.random.choice(key, tnp.array([10, 20, 30]), (4,))
    Array([20, 10, 30, 20], dtype=int32)
    >>> tl.random.choice(key, 5, (3,), replace=False)
    Array([0, 1, 4], dtype=int32)
    >>> tl.random.choice(key, 3, (5,), p=tnp.array([0.0, 0.5, 0.5]))
    Array([1, 1, 2, 2, 1], dtype=int32)
    """
    from tensorlib._src.numpy.creation import zeros
    from tensorlib._src.numpy.indexing import take

    key = _check_key("choice", key)
    shape = _canon_shape("choice", shape)
    arr = asarray(a)
    if arr.ndim == 0:
        n_inputs = _concrete_int("choice", a)
    else:
        axis = _canon_axis("choice", axis, arr.ndim)
        n_inputs = arr.shape[axis]
    n_draws = math.prod(shape)
    if n_draws == 0:
        return zeros(shape, dtype=arr.dtype)
    if n_inputs <= 0:
        raise ValueError(f"choice: a is empty ({n_inputs} items) but {n_draws} samples were "
                         "asked for")
    if not replace and n_draws > n_inputs:
        raise ValueError(f"choice: cannot take {n_draws} samples from {n_inputs} items with "
                         "replace=False")
    if p is None:
        if replace:
            ind = randint(key, shape, 0, n_inputs)
            result = ind if arr.ndim == 0 else take(arr, ind, axis)
        else:
            perm = permutation(key, n_inputs if arr.ndim == 0 else arr, axis)
            result = sh.slice_in_dim(perm, 0, n_draws, axis=axis if arr.ndim else 0)
    else:
        ind = _choice_p(key, p, n_inputs, shape, replace, n_draws)
        result = ind if arr.ndim == 0 else take(arr, ind, axis)
    out_shape = shape if arr.ndim == 0 else arr.shape[:axis] + shape + arr.shape[axis + 1:]
    return sh.reshape(result, out_shape)


def _choice_p(key, p, n_inputs, shape, replace, n_draws) -> Array:
    from tensorlib._src.lax_extra import top_k
    from tensorlib._src.numpy.reductions import cumsum
    from tensorlib._src.numpy.sorting import searchsorted

    p = asarray(p)
    if not dtypes.is_inexact(p.dtype):
        p = ew.convert_element_type(p, dtypes.default_float())
    if p.shape != (n_inputs,):
        raise ShapeError(f"choice: p has shape {p.shape} but must be a vector of the "
                         f"{n_inputs} probabilities of a's items along axis")
    if replace:
        p_cuml = cumsum(p)
        total = sh.slice(p_cuml, (n_inputs - 1,), (n_inputs,))
        u = _uniform(key, shape, p_cuml.dtype, 0.0, 1.0, name="choice")
        r = ufn.multiply(sh.reshape(total, ()), ufn.subtract(1, u))
        return ew.convert_element_type(searchsorted(p_cuml, r), dtypes.default_int())
    g = ufn.add(_gumbel(key, (n_inputs,), p.dtype, None), ufn.log(p))
    return ew.convert_element_type(top_k(g, n_draws)[1], dtypes.default_int())
