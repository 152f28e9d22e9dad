"""The Threefry-2x32 hash behind ``tensorlib.random``, composed of lax-level primitives.

The hash uses wrapping uint32 ``add``, shifts, ``or`` and ``xor``, so it runs on every backend,
traces under ``jit``/``vmap`` and has no gradient. One hash call covers the whole counter
array, so sampling stays vectorised.
"""

from __future__ import annotations

import math

from tensorlib._src.core import Array
from tensorlib._src.numpy.promotion import asarray
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops import shape as sh
from tensorlib._src.random_checks import _U32, _check_key, _key_words
from tensorlib.errors import DTypeError, ShapeError

_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))


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


