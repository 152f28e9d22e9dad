"""Operators, methods, indexing and conversions of ``Array`` (attached once, at import)."""

from __future__ import annotations

import sys

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import Array, Tracer, current_backend
from tensorlib._src.numpy import (
    bitwise,
    comparison,
    complex_numbers,
    creation,
    division,
    indexing,
    products,
    rearranging,
    reductions,
    rounding,
    shape_ops,
    sorting,
    ufuncs,
)
from tensorlib._src.numpy.promotion import asarray
from tensorlib._src.ops.elementwise import convert_element_type
from tensorlib.errors import (
    ConcretizationTypeError,
    TracerArrayConversionError,
    TracerBoolConversionError,
    TracerIntegerConversionError,
)


def _concrete(self, what, cls=None):
    if type(self) is Array:
        return self
    v = self.concrete_value()
    if v is None:
        from tensorlib._src.errors_util import concretization_error

        raise concretization_error(self, what, *([cls] if cls is not None else []))
    return _concrete(v, what, cls) if type(v) is not Array else v


def _refuse_traced(self, what, cls):
    """Conversions that would drop what a transformation carries (JAX refuses them under
    grad too): a NumPy array, a Python float or complex, a list."""
    if isinstance(self, Tracer):
        from tensorlib._src.errors_util import concretization_error, leaving_error

        if self.concrete_value() is None:  # staged or batched: say where, and what instead
            raise concretization_error(self, what, cls)
        raise leaving_error(self, what, cls)


def _to_numpy(self):
    return _concrete(self, "numpy.asarray()").to_numpy()


def __array__(self, dtype=None, copy=None):
    _refuse_traced(self, "The numpy.ndarray conversion __array__()", TracerArrayConversionError)
    # NumPy 2 passes copy=True for np.array(x) and trusts us to honour it: the host value
    # may be a read-only view of device memory (XLA) or of another array's buffer.
    a = np.asarray(_to_numpy(self))
    if dtype is not None and np.dtype(dtype) != a.dtype:
        return a.astype(dtype)  # a fresh array
    if copy:
        return a.copy()
    if a.flags.writeable:  # the array's own buffer: a read-only view keeps it immutable (JAX)
        a = a.view()
        a.flags.writeable = False
    return a


def __repr__(self):
    if isinstance(self, Tracer) and self.concrete_value() is None:
        return f"Traced<{self.aval.str_short()}>with<{type(self._trace).__name__}>"
    c = _concrete(self, "repr")
    x = np.asarray(c.to_numpy())
    body = np.array2string(x, separator=", ", prefix="Array(")
    weak = ", weak_type=True" if c._weak else ""
    # As JAX prints it; the backend is named only when it is not the default one, so the same
    # program prints the same thing on every backend.
    b = c.backend
    where = "" if b is current_backend() else f", backend={b.name}"
    return f"Array({body}, dtype={x.dtype.name}{weak}{where})"


def __str__(self):
    if isinstance(self, Tracer) and self.concrete_value() is None:
        return repr(self)
    return str(np.asarray(_to_numpy(self)))


def __bool__(self):
    if self.size != 1:
        raise ValueError(f"The truth value of an array with {self.size} elements is "
                         "ambiguous. Use a.any() or a.all()")
    return bool(np.asarray(_concrete(self, "bool()", TracerBoolConversionError)
                           .to_numpy()).reshape(()))


def __float__(self):
    _refuse_traced(self, "float()", ConcretizationTypeError)
    return float(np.asarray(_concrete(self, "float()").to_numpy()).reshape(()))


def __int__(self):
    return int(np.asarray(_concrete(self, "int()").to_numpy()).reshape(()))


def __complex__(self):
    _refuse_traced(self, "complex()", ConcretizationTypeError)
    return complex(np.asarray(_concrete(self, "complex()").to_numpy()).reshape(()))


def __index__(self):
    if not dtypes.is_integer(self.dtype):
        raise TypeError(f"only integer arrays can be used as an index, got {self.dtype}")
    return int(np.asarray(_concrete(self, "__index__()", TracerIntegerConversionError)
                          .to_numpy()).reshape(()))


def item(self, *args):
    return np.asarray(_concrete(self, ".item()").to_numpy()).item(*args)


def tolist(self):
    _refuse_traced(self, ".tolist()", ConcretizationTypeError)
    return np.asarray(_concrete(self, ".tolist()").to_numpy()).tolist()


def __len__(self):
    if self.ndim == 0:
        raise TypeError("len() of unsized object (a 0-d array)")
    return self.shape[0]


def __iter__(self):
    if self.ndim == 0:
        raise TypeError("iteration over a 0-d array")
    return (self[i] for i in range(self.shape[0]))


def __hash__(self):
    raise TypeError("unhashable type: 'Array' (arrays are mutable-looking values; use "
                    "x.item() or a tuple of values as a key)")


def astype(self, dtype, copy=False, device=None):
    dt = dtypes.canonicalize(dtype)
    if dt == self.dtype and not self.weak_type:
        return self
    return convert_element_type(self, dt, False)


def _T(self):
    return shape_ops.transpose(self)


def _mT(self):
    return shape_ops.matrix_transpose(self)


def _reshape(self, *shape, order="C"):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return shape_ops.reshape(self, shape, order)


def _transpose(self, *axes):
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = axes[0]
    return shape_ops.transpose(self, axes or None)


def _rbinop(fn):
    def op(self, other):
        return fn(other, self)

    return op


_OPERAND_TYPES = {Array, int, float, bool, complex}


def _binop(fn):
    def op(self, other):
        if type(other) in _OPERAND_TYPES or isinstance(other, (Array, np.ndarray, np.generic)):
            return fn(self, other)
        # Lists, tuples and foreign array types (which define __array_namespace__) decide
        # for themselves, as NumPy does.
        return NotImplemented

    return op


def __matmul__(self, other):
    return products.matmul(self, other)


def __rmatmul__(self, other):
    return products.matmul(other, self)


def __getitem__(self, idx):
    return indexing.getitem(self, idx)


def _at(self):
    return indexing._IndexUpdateHelper(self)


def __setitem__(self, idx, value):
    raise TypeError("tensorlib arrays are immutable; instead of x[idx] = y use "
                    "x = x.at[idx].set(y)")


def __array_namespace__(self, api_version=None):
    # tensorlib.numpy is loaded with tensorlib (it sits above this module: no import here)
    return sys.modules["tensorlib.numpy"]


def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
    """A DLPack capsule of the array's memory: zero-copy where the backend can share its
    buffer (``backend.dlpack``: XLA's device buffers), else of the host value (a copy when
    that is a read-only view, which unversioned DLPack cannot mark)."""
    c = _concrete(self, "__dlpack__")
    share = getattr(c.backend, "dlpack", None)
    if share is not None and not copy:
        cap = share(c._buf)
        if cap is not None:
            return cap
    a = np.asarray(c.to_numpy())
    if copy or not a.flags.writeable:
        a = a.copy()
    return a.__dlpack__()


def __dlpack_device__(self):
    c = _concrete(self, "__dlpack_device__")
    dev = getattr(c.backend, "dlpack_device", None)
    return dev(c._buf) if dev is not None else (1, 0)  # kDLCPU


def _device(self):
    """The device holding the array's buffer (its first one for a pmap result); buffers
    without a device (NumPy's) live on the backend's first device."""
    buf = _concrete(self, "device")._buf
    dev = getattr(buf, "device", None)
    if dev is not None and not isinstance(dev, str) and hasattr(dev, "backend"):
        return dev
    return self.backend.devices()[0]


def _devices(self):
    """``x.devices()``: the set of devices holding the array (one), as JAX's."""
    return {_device(self)}


class SingleDeviceSharding:
    """``x.sharding``: where an array lives. tensorlib arrays live on one device each (a pmap
    result: stacked on its devices), so this is JAX's ``SingleDeviceSharding``."""

    __slots__ = ("_device",)

    def __init__(self, device):
        self._device = device

    @property
    def device_set(self):
        return {self._device}

    @property
    def is_fully_replicated(self):
        return True

    @property
    def num_devices(self):
        return 1

    def __eq__(self, other):
        return isinstance(other, SingleDeviceSharding) and other._device == self._device

    def __hash__(self):
        return hash(("SingleDeviceSharding", self._device))

    def __repr__(self):
        return f"SingleDeviceSharding(device={self._device!r})"


def _sharding(self):
    return SingleDeviceSharding(_device(self))


def _view(self, dtype=None, type=None):
    """``x.view(dtype)``: the same bytes read as ``dtype`` (as NumPy's and JAX's ``view``), not
    a conversion of the values (that is ``astype``)."""
    if type is not None:
        raise TypeError("Array.view: the type argument is not supported (there is one array "
                        "type); use numpy.asarray(x).view(type) on a host copy")
    if dtype is None:
        return self
    from tensorlib._src.ops.elementwise import bitcast_convert_type

    dtype = np.dtype(dtype)
    if dtype.itemsize != self.dtype.itemsize:
        raise TypeError(f"Array.view: {self.dtype} and {dtype} have different widths "
                        f"({self.dtype.itemsize} and {dtype.itemsize} bytes); only views of "
                        "equal width are supported (tensorlib.lax.bitcast_convert_type)")
    return self if dtype == self.dtype else bitcast_convert_type(self, dtype)


def _to_device(self, device, /, *, stream=None):
    """``x.to_device(device)`` (Array API): ``x`` on ``device`` (a Device or backend name)."""
    from tensorlib._src.backend import device_put

    return device_put(self, device)


def attach_methods():
    """Give ``Array`` its operators, methods and properties (``tensorlib`` calls this once,
    when it is imported: they are written with ``tensorlib.numpy``, which sits above the
    core that defines ``Array``)."""
    A = Array
    simple = {
        "__array__": __array__, "__repr__": __repr__, "__str__": __str__, "__bool__": __bool__,
        "__float__": __float__, "__int__": __int__, "__complex__": __complex__,
        "__index__": __index__, "item": item, "tolist": tolist, "__len__": __len__,
        "__iter__": __iter__, "__hash__": __hash__, "astype": astype, "reshape": _reshape,
        "transpose": _transpose, "__matmul__": __matmul__, "__rmatmul__": __rmatmul__,
        "__getitem__": __getitem__, "__setitem__": __setitem__,
        "__array_namespace__": __array_namespace__, "__dlpack__": __dlpack__,
        "__dlpack_device__": __dlpack_device__,
    }
    for name, fn in simple.items():
        setattr(A, name, fn)
    A.T = property(_T)
    A.mT = property(_mT)
    A.at = property(_at)
    A.device = property(_device)
    A.devices = _devices
    A.sharding = property(_sharding)
    A.__array_priority__ = 100
    binops = {
        "add": ufuncs.add, "sub": ufuncs.subtract, "mul": ufuncs.multiply,
        "truediv": ufuncs.true_divide, "floordiv": division.floor_divide, "mod": division.remainder,
        "pow": ufuncs.power, "and": bitwise.bitwise_and, "or": bitwise.bitwise_or,
        "xor": bitwise.bitwise_xor, "lshift": bitwise.left_shift, "rshift": bitwise.right_shift,
        "divmod": division.divmod,
    }
    for name, fn in binops.items():
        setattr(A, f"__{name}__", _binop(fn))
        setattr(A, f"__r{name}__", _rbinop(fn))
    for name, fn in {"eq": comparison.equal, "ne": comparison.not_equal, "lt": comparison.less,
                     "le": comparison.less_equal, "gt": comparison.greater,
                     "ge": comparison.greater_equal}.items():
        setattr(A, f"__{name}__", _binop(fn))
    A.__neg__ = ufuncs.negative
    A.__pos__ = ufuncs.positive
    A.__abs__ = ufuncs.absolute
    A.__invert__ = bitwise.invert
    methods = {
        "sum": reductions.sum, "prod": reductions.prod, "mean": reductions.mean,
        "var": reductions.var, "std": reductions.std, "max": reductions.max,
        "min": reductions.min, "all": reductions.all, "any": reductions.any,
        "argmax": reductions.argmax, "argmin": reductions.argmin,
        "cumsum": reductions.cumsum, "cumprod": reductions.cumprod, "ptp": reductions.ptp,
        "ravel": shape_ops.ravel, "flatten": shape_ops.ravel, "squeeze": shape_ops.squeeze,
        "swapaxes": shape_ops.swapaxes, "repeat": rearranging.repeat,
        "clip": ufuncs.clip, "round": rounding.round, "conj": complex_numbers.conj,
        "conjugate": complex_numbers.conj, "dot": products.dot, "diagonal": indexing.diagonal,
        "trace": indexing.trace, "take": indexing.take, "nonzero": indexing.nonzero,
        "sort": sorting.sort, "argsort": sorting.argsort,
    }
    for name, fn in methods.items():
        setattr(A, name, fn)
    A.real = property(complex_numbers.real)
    A.imag = property(complex_numbers.imag)
    A.nbytes = property(lambda self: self.size * self.dtype.itemsize)
    A.itemsize = property(lambda self: self.dtype.itemsize)
    A.copy = lambda self: creation.copy(self)
    A.view = _view
    A.__copy__ = lambda self: self
    A.__deepcopy__ = lambda self, memo: self
    A.__reduce__ = lambda self: (asarray, (np.asarray(_to_numpy(self)),))
    A.__format__ = lambda self, spec: (format(self.item(), spec) if self.ndim == 0 and spec
                                       else str(self))
    A.to_device = _to_device
