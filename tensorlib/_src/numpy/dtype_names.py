"""Dtype objects and constants of ``tensorlib.numpy``."""

from __future__ import annotations

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import Array
from tensorlib._src.numpy.promotion import asarray


class _ScalarType:
    """``tnp.float32(x)`` makes a 0-d array; ``tnp.float32`` also works as a dtype."""

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
    dt = dt.dtype if isinstance(dt, Array) else getattr(dt, "dtype", dt)
    return _FInfo(dtypes.finfo(dt))


def iinfo(dt):
    return dtypes.iinfo(getattr(dt, "dtype", dt))


def issubdtype(arg1, arg2):
    a = getattr(arg1, "dtype", arg1)
    b = getattr(arg2, "dtype", arg2)
    if np.dtype(a) == dtypes.bfloat16:
        return b in (np.floating, np.inexact, np.number, np.generic) or np.dtype(b) == a \
            if isinstance(b, type) else np.dtype(b) == dtypes.bfloat16
    return np.issubdtype(a, b)


def isdtype(dtype, kind):
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
    """``x`` converted to ``dtype`` (Array API function form of ``x.astype``)."""
    x = asarray(x)
    dt = dtypes.canonicalize(getattr(dtype, "dtype", dtype))
    if x.dtype == dt and not x.weak_type:
        return x
    from tensorlib._src.ops.elementwise import convert_element_type

    return convert_element_type(x, dt, False)
