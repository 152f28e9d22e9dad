"""Dtypes and JAX's type-promotion lattice, including weak types.

Python scalars are *weakly typed*: ``f32_array + 2.0`` stays float32. In the lattice they are
the three weak nodes ``i*``, ``f*`` and ``c*``. ``result_type`` is the least upper bound of the
inputs' nodes, as in JAX's ``jax.numpy.result_type`` (standard promotion mode).
"""

from __future__ import annotations

import builtins
import functools

import ml_dtypes
import numpy as np

from tensorlib._src.config import config
from tensorlib.errors import DTypeError

bool_ = np.dtype(np.bool_)
int8, int16, int32, int64 = (np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64))
uint8, uint16, uint32, uint64 = (np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64))
bfloat16 = np.dtype(ml_dtypes.bfloat16)
float16, float32, float64 = (np.dtype(t) for t in (np.float16, np.float32, np.float64))
complex64, complex128 = np.dtype(np.complex64), np.dtype(np.complex128)

# float0 is the tangent dtype of integer and boolean primals (as in JAX).
float0 = np.dtype([("float0", np.void, 0)])

_ALL = (bool_, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
        bfloat16, float16, float32, float64, complex64, complex128)
_INT_W, _FLOAT_W, _COMPLEX_W = "i*", "f*", "c*"

# JAX's lattice (jax/_src/dtypes.py, _type_promotion_lattice), without the float8 types.
_LATTICE = {
    bool_: [_INT_W],
    _INT_W: [uint8, int8],
    uint8: [int16, uint16], uint16: [int32, uint32], uint32: [int64, uint64], uint64: [_FLOAT_W],
    int8: [int16], int16: [int32], int32: [int64], int64: [_FLOAT_W],
    _FLOAT_W: [bfloat16, float16, _COMPLEX_W],
    bfloat16: [float32], float16: [float32], float32: [float64, complex64], float64: [complex128],
    _COMPLEX_W: [complex64], complex64: [complex128], complex128: [],
}


def _upper_bounds(lattice):
    ub = {}

    def visit(node):
        if node not in ub:
            s = {node}
            for nxt in lattice[node]:
                s |= visit(nxt)
            ub[node] = frozenset(s)
        return ub[node]

    for node in lattice:
        visit(node)
    return ub


_UB_X64 = _upper_bounds(_LATTICE)
# Without x64, JAX avoids forming a 64-bit type from narrower inputs: uint32 joins int32, so
# uint32 + int32 is int32 (and int64 with x64).
_UB_X32 = _upper_bounds({**_LATTICE, uint32: [int32, uint64]})


@functools.cache
def _join(a, b, x64=True):
    ub = _UB_X64 if x64 else _UB_X32
    common = ub[a] & ub[b]
    for c in common:  # the least element: every other common bound is above it
        if all(other in ub[c] for other in common):
            return c
    raise DTypeError(f"result_type: no common type for {a} and {b}")


def is_float(dtype) -> bool:
    return np.dtype(dtype) in (bfloat16, float16, float32, float64)


def is_complex(dtype) -> bool:
    return np.dtype(dtype).kind == "c"


def is_inexact(dtype) -> bool:
    return is_float(dtype) or is_complex(dtype)


def is_integer(dtype) -> bool:
    return np.dtype(dtype).kind in "iu"


def is_unsigned(dtype) -> bool:
    return np.dtype(dtype).kind == "u"


def is_bool(dtype) -> bool:
    return np.dtype(dtype) == bool_


_X32 = {int64: int32, uint64: uint32, float64: float32, complex128: complex64}


def canonicalize(dtype) -> np.dtype:
    """Map a dtype to the one arrays actually get: 64-bit types become 32-bit without x64."""
    dt = np.dtype(dtype)
    if not config.enable_x64:
        return _X32.get(dt, dt)
    return dt


def default_int() -> np.dtype:
    return int64 if config.enable_x64 else int32


def default_uint() -> np.dtype:
    return uint64 if config.enable_x64 else uint32


def default_float() -> np.dtype:
    return float64 if config.enable_x64 else float32


def default_complex() -> np.dtype:
    return complex128 if config.enable_x64 else complex64


def to_inexact(dtype) -> np.dtype:
    """The float an integer or boolean dtype becomes in inexact ops (``sin``, ``mean``, ...).

    As in JAX, 64-bit integers become float64 and narrower ones (and bool) float32, whatever
    the x64 mode; inexact dtypes are kept.
    """
    dt = np.dtype(dtype)
    if is_inexact(dt):
        return dt
    return canonicalize(float64 if dt.itemsize == 8 else float32)


def _weak_node(dtype):
    kind = dtype.kind
    if kind in "iu":
        return _INT_W
    if kind == "c":
        return _COMPLEX_W
    if kind == "b":
        return bool_
    return _FLOAT_W


def _node_of(x):
    """The lattice node of one operand of result_type."""
    t = type(x)
    if t is builtins.bool:
        return bool_
    if t is builtins.int:
        return _INT_W
    if t is builtins.float:
        return _FLOAT_W
    if t is builtins.complex:
        return _COMPLEX_W
    if t is type and x in _PY_TYPE_NODES:
        return _PY_TYPE_NODES[x]  # the types int, float, complex are weak too, as in JAX
    dtype = getattr(x, "dtype", None)
    if dtype is not None and not isinstance(x, (np.dtype, type)):
        dt = canonicalize(dtype)
        if getattr(x, "weak_type", False):
            return _weak_node(dt)
        return dt
    try:
        return canonicalize(np.dtype(x))
    except TypeError as e:
        raise DTypeError(f"result_type: cannot interpret {x!r} as a dtype") from e


def _node_dtype(node):
    if node is _INT_W:
        return default_int(), True
    if node is _FLOAT_W:
        return default_float(), True
    if node is _COMPLEX_W:
        return default_complex(), True
    return node, False


def result_type_weak(*args) -> tuple[np.dtype, bool]:
    """``(dtype, weak)`` of the result of combining ``args`` (arrays, scalars or dtypes)."""
    if not args:
        raise DTypeError("result_type: at least one array or dtype is required")
    node = _node_of(args[0])
    for x in args[1:]:
        node = _join(node, _node_of(x), config.enable_x64)
    return _node_dtype(node)


def result_type(*args) -> np.dtype:
    """The dtype JAX gives to the result of combining ``args``.

    Examples
    --------
    >>> import tensorlib.numpy as tnp
    >>> tnp.result_type(tnp.int8, tnp.uint8)
    dtype('int16')
    """
    return result_type_weak(*args)[0]


def promote_types(a, b) -> np.dtype:
    """Promote two dtypes following JAX's lattice; the Python types int, float and complex
    are weak (``promote_types(uint8, int)`` is uint8).

    Examples
    --------
    >>> import tensorlib.numpy as tnp
    >>> tnp.promote_types(tnp.bfloat16, tnp.float16)
    dtype('float32')
    """
    node = _join(_type_node(a), _type_node(b), config.enable_x64)
    # as JAX, not canonicalized: a weak result is the 64-bit type of its kind
    return _WEAK_64.get(node, node)


_PY_TYPE_NODES = {builtins.bool: bool_, builtins.int: _INT_W, builtins.float: _FLOAT_W,
                  builtins.complex: _COMPLEX_W}
_WEAK_64 = {_INT_W: int64, _FLOAT_W: float64, _COMPLEX_W: complex128}


def _type_node(t):
    if isinstance(t, type) and t in _PY_TYPE_NODES:
        return _PY_TYPE_NODES[t]
    return np.dtype(t)


def scalar_dtype(x) -> np.dtype:
    """Dtype a Python scalar becomes (weakly typed)."""
    t = type(x)
    if t is builtins.bool:
        return bool_
    if t is builtins.int:
        return default_int()
    if t is builtins.float:
        return default_float()
    if t is builtins.complex:
        return default_complex()
    return canonicalize(np.asarray(x).dtype)


_SHORT = {
    "bool": "bool", "int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64",
    "uint8": "u8", "uint16": "u16", "uint32": "u32", "uint64": "u64", "bfloat16": "bf16",
    "float16": "f16", "float32": "f32", "float64": "f64", "complex64": "c64",
    "complex128": "c128",
}


def short_dtype(dtype) -> str:
    dt = np.dtype(dtype)
    if dt == float0:
        return "float0"
    return _SHORT.get(dt.name, dt.name)


def short_aval(shape, dtype, weak=False) -> str:
    """``f32[3,4]`` form used in errors and graph printing."""
    return f"{short_dtype(dtype)}[{','.join(map(str, shape))}]" + ("~" if weak else "")


def finfo(dtype):
    return ml_dtypes.finfo(np.dtype(dtype))


def iinfo(dtype):
    return ml_dtypes.iinfo(np.dtype(dtype))


all_dtypes = _ALL
