"""Argument checks shared by the ``tensorlib.random`` functions: keys, shapes, dtypes and
distribution parameters.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import Array
from tensorlib._src.numpy.promotion import asarray, broadcast_shapes, broadcast_to
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops import shape as sh
from tensorlib.errors import DTypeError, ShapeError

_U32 = dtypes.uint32
_KEY_HINT = "create one with tensorlib.random.key(seed) or tensorlib.random.PRNGKey(seed)"


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


