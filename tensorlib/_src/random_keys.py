"""PRNG keys: creating (``key``, ``PRNGKey``), wrapping, cloning, splitting and folding in.
"""

from __future__ import annotations

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.config import config
from tensorlib._src.core import Array
from tensorlib._src.numpy.promotion import asarray, broadcast_shapes, broadcast_to
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops import shape as sh
from tensorlib._src.random_checks import _U32, _canon_shape, _check_key, _key_words, _stack_words
from tensorlib._src.threefry import _const, _iota_2x32, threefry2x32
from tensorlib.errors import DTypeError, ShapeError

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


