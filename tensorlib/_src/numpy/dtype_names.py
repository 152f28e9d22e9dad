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
        try:
            return self.dtype == np.dtype(other)
        except TypeError:
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


def finfo(dt):
    return dtypes.finfo(getattr(dt, "dtype", dt))


def iinfo(dt):
    return dtypes.iinfo(getattr(dt, "dtype", dt))


def issubdtype(arg1, arg2):
    a = getattr(arg1, "dtype", arg1)
    b = getattr(arg2, "dtype", arg2)
    if np.dtype(a) == dtypes.bfloat16:
        return b in (np.floating, np.inexact, np.number, np.generic) or np.dtype(b) == a \
            if isinstance(b, type) else np.dtype(b) == dtypes.bfloat16
    return np.issubdtype(a, b)


def isdtype(dt, kind):
    dt = np.dtype(getattr(dt, "dtype", dt))
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
