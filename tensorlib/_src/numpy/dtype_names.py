"""Dtype objects and constants of ``tensorlib.numpy``."""

from __future__ import annotations

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import Array
from tensorlib._src.numpy.promotion import asarray


class _ScalarType:
    """``tnp.float32(x)`` converts ``x`` to an array of that dtype; ``tnp.float32`` also
    works as a dtype.

    The same holds for every scalar type (``int8`` ... ``uint64``, ``bfloat16``, ``float16``
    ... ``complex128``, ``bool_``). Unlike NumPy's scalar types, the result is an Array.

    Examples
    --------
    >>> tnp.float32(3)
    Array(3., dtype=float32)
    >>> tnp.int8(tnp.array([1.7, -2.5]))
    Array([ 1, -2], dtype=int8)
    >>> tnp.zeros(2, dtype=tnp.bfloat16)
    Array([0, 0], dtype=bfloat16)
    >>> tnp.uint8 == np.uint8, tnp.dtype(tnp.float16)
    (True, dtype('float16'))
    """

    def __init__(self, dtype):
        self.dtype = np.dtype(dtype)
        self.__name__ = self.dtype.name

    def __call__(self, x):
        return asarray(x, dtype=self.dtype) if not isinstance(x, Array) else x.astype(self.dtype)

    def __eq__(self, other):
        if other is None:  # np.dtype(None) is float64, but None is no dtype
            return False
        try:
            return self.dtype == np.dtype(other)
        except (TypeError, ValueError):  # e.g. a string that is no dtype name
            return NotImplemented

    def __hash__(self):
        return hash(self.dtype)

    def __repr__(self):
        return f"tensorlib.numpy.{self.dtype.name}"

    # lets np.dtype(tnp.float32) work
    @property
    def type(self):
        return self.dtype.type


bool_ = _ScalarType(dtypes.bool_)
int8, int16, int32, int64 = (_ScalarType(t) for t in (dtypes.int8, dtypes.int16, dtypes.int32,
                                                      dtypes.int64))
uint8, uint16, uint32, uint64 = (_ScalarType(t) for t in (dtypes.uint8, dtypes.uint16,
                                                          dtypes.uint32, dtypes.uint64))
bfloat16 = _ScalarType(dtypes.bfloat16)
float16, float32, float64 = (_ScalarType(t) for t in (dtypes.float16, dtypes.float32,
                                                      dtypes.float64))
complex64, complex128 = _ScalarType(dtypes.complex64), _ScalarType(dtypes.complex128)
float_, int_, complex_ = float64, int64, complex128
uint = uint64
single, double = float32, float64
cfloat, cdouble = complex64, complex128

pi = np.pi
e = np.e
inf = np.inf
nan = np.nan
euler_gamma = np.euler_gamma
newaxis = None

dtype = np.dtype
generic, number, inexact, floating, complexfloating = (
    np.generic, np.number, np.inexact, np.floating, np.complexfloating)
integer, signedinteger, unsignedinteger = np.integer, np.signedinteger, np.unsignedinteger


class _FInfo:
    """``finfo`` with Python floats (as the Array API asks), delegating the rest."""

    def __init__(self, info):
        self._info = info
        self.bits = int(info.bits)
        self.dtype = np.dtype(info.dtype)
        for name in ("eps", "max", "min", "resolution", "smallest_normal", "tiny", "epsneg"):
            setattr(self, name, float(getattr(info, name)))

    def __getattr__(self, name):
        return getattr(self._info, name)

    def __repr__(self):
        return repr(self._info)


def finfo(dt):
    """Machine limits of a floating dtype (``eps``, ``max``, ``tiny``, ...) as Python floats.

    Accepts a dtype, a scalar type such as ``tnp.bfloat16``, or an array.

    Examples
    --------
    >>> tnp.finfo(tnp.float32).eps
    1.1920928955078125e-07
    >>> tnp.finfo(tnp.float16).max, tnp.finfo(tnp.float16).bits
    (65504.0, 16)
    >>> tnp.finfo(tnp.bfloat16).eps
    0.0078125
    """
    dt = dt.dtype if isinstance(dt, Array) else getattr(dt, "dtype", dt)
    return _FInfo(dtypes.finfo(dt))


def iinfo(dt):
    """Machine limits of an integer dtype (``min``, ``max``, ``bits``).

    Examples
    --------
    >>> tnp.iinfo(tnp.int8).min, tnp.iinfo(tnp.int8).max
    (-128, 127)
    >>> tnp.iinfo(tnp.uint16).max
    65535
    """
    return dtypes.iinfo(getattr(dt, "dtype", dt))


def _dtype_like(x):
    """A dtype, or a NumPy scalar type (abstract ones such as ``np.floating`` included)."""
    if isinstance(x, type) and issubclass(x, np.generic):
        return x  # a class: its ``dtype`` attribute is a descriptor, not a dtype
    return getattr(x, "dtype", x)


def issubdtype(arg1, arg2):
    """Whether ``arg1`` is a dtype below ``arg2`` in NumPy's type hierarchy (``bfloat16``
    counts as a floating type).

    Examples
    --------
    >>> tnp.issubdtype(tnp.float32, tnp.dtype("float32"))
    True
    >>> tnp.issubdtype(tnp.array([1, 2]).dtype, "int64")
    False
    >>> tnp.issubdtype(tnp.float32, tnp.floating), tnp.issubdtype(tnp.int8, np.integer)
    (True, True)
    """
    a, b = _dtype_like(arg1), _dtype_like(arg2)
    if np.dtype(a) == dtypes.bfloat16:
        return b in (np.floating, np.inexact, np.number, np.generic) or np.dtype(b) == a \
            if isinstance(b, type) else np.dtype(b) == dtypes.bfloat16
    return np.issubdtype(a, b)


def isdtype(dtype, kind):
    """Array API: whether ``dtype`` is of ``kind`` (a dtype, a name such as ``"integral"``
    or ``"real floating"``, or a tuple of these).

    Examples
    --------
    >>> tnp.isdtype(tnp.float32, "real floating"), tnp.isdtype(tnp.int8, "real floating")
    (True, False)
    >>> tnp.isdtype(tnp.uint8, ("signed integer", "unsigned integer"))
    True
    >>> tnp.isdtype(tnp.bfloat16, "real floating")
    True
    """
    dt = np.dtype(getattr(dtype, "dtype", dtype))
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for k in kinds:
        if isinstance(k, str):
            ok = {
                "bool": dt == dtypes.bool_,
                "signed integer": dt.kind == "i",
                "unsigned integer": dt.kind == "u",
                "integral": dt.kind in "iu",
                "real floating": dtypes.is_float(dt),
                "complex floating": dt.kind == "c",
                "numeric": dt != dtypes.bool_,
            }.get(k)
            if ok is None:
                raise ValueError(f"isdtype: unknown kind {k!r}")
        else:
            ok = dt == np.dtype(getattr(k, "dtype", k))
        if ok:
            return True
    return False


def promote_types(a, b):
    """The dtype both ``a`` and ``b`` promote to (JAX's lattice, both strong).

    Examples
    --------
    >>> import tensorlib.numpy as tnp
    >>> tnp.promote_types(tnp.int8, tnp.uint8)
    dtype('int16')
    """
    return dtypes.promote_types(getattr(a, "dtype", a), getattr(b, "dtype", b))


def astype(x, dtype, /, *, copy=True, device=None):
    """``x`` converted to ``dtype`` (Array API function form of ``x.astype``).

    Floats convert to integers by truncation toward zero; the result is strongly typed.

    Examples
    --------
    >>> tnp.astype(tnp.array([1.7, -1.7]), tnp.int32)
    Array([ 1, -1], dtype=int32)
    >>> tnp.astype(tnp.array([0, 2]), tnp.bool_)
    Array([False,  True], dtype=bool)
    >>> tnp.astype(tnp.array(1.0), tnp.float16)
    Array(1., dtype=float16)
    """
    x = asarray(x)
    dt = dtypes.canonicalize(getattr(dtype, "dtype", dtype))
    if x.dtype == dt and not x.weak_type:
        return x
    from tensorlib._src.ops.elementwise import convert_element_type

    return convert_element_type(x, dt, False)
