"""Array creation: zeros, ones, full, arange, linspace, eye, meshgrid, tri, ..."""

from __future__ import annotations

import builtins
import operator

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import Array, concrete_or_none
from tensorlib._src.numpy.promotion import asarray, broadcast_to
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops.shape import broadcasted_iota, iota
from tensorlib.errors import ShapeError


def _shape(shape, op):
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        shape = tuple(operator.index(s) for s in shape)
    except TypeError as e:
        raise TypeError(f"{op}: shape must be a tuple of ints, got {shape!r}") from e
    if builtins.any(s < 0 for s in shape):
        raise ShapeError(f"{op}: negative dimensions are not allowed, got {shape}")
    return shape


def _dt(dtype, default=None):
    return dtypes.canonicalize(dtype) if dtype is not None else (default or dtypes.default_float())


def zeros(shape, dtype=None, *, device=None) -> Array:
    """An array of zeros (float32 by default).

    Examples
    --------
    >>> tnp.zeros(3)
    Array([0., 0., 0.], dtype=float32)
    >>> tnp.zeros((2, 3), dtype=tnp.int32)
    Array([[0, 0, 0],
           [0, 0, 0]], dtype=int32)
    """
    return ew.full(_shape(shape, "zeros"), 0, _dt(dtype))


def ones(shape, dtype=None, *, device=None) -> Array:
    """An array of ones (float32 by default).

    Examples
    --------
    >>> tnp.ones((2, 2))
    Array([[1., 1.],
           [1., 1.]], dtype=float32)
    >>> tnp.ones(3, dtype=tnp.bool_)
    Array([ True,  True,  True], dtype=bool)
    """
    return ew.full(_shape(shape, "ones"), 1, _dt(dtype))


def empty(shape, dtype=None, *, device=None) -> Array:
    """An array of the given shape and dtype; as JAX, it is filled with zeros (there is no
    uninitialized memory to hand out).

    Examples
    --------
    >>> x = tnp.empty((2, 3))
    >>> x.shape, x.dtype
    ((2, 3), dtype('float32'))
    """
    return zeros(shape, dtype)


def full(shape, fill_value, dtype=None, *, device=None) -> Array:
    """An array filled with ``fill_value``; the dtype defaults to the fill value's.

    A Python scalar fill value gives a weakly typed result, as in JAX.

    Examples
    --------
    >>> tnp.full((2, 2), 7)
    Array([[7, 7],
           [7, 7]], dtype=int32, weak_type=True)
    >>> tnp.full(3, 0.5, dtype=tnp.float16)
    Array([0.5, 0.5, 0.5], dtype=float16)
    >>> tnp.full((2, 3), tnp.array([1, 2, 3]))
    Array([[1, 2, 3],
           [1, 2, 3]], dtype=int32)
    """
    shape = _shape(shape, "full")
    if isinstance(fill_value, Array) or np.ndim(fill_value) > 0:
        v = asarray(fill_value, dtype)
        return broadcast_to(v, shape)
    if dtype is None:
        dt = dtypes.scalar_dtype(fill_value)
    else:
        dt = dtypes.canonicalize(dtype)
    # a Python int, float or complex fill with no dtype gives a weakly typed array (JAX)
    weak = dtype is None and type(fill_value) in (int, float, complex)
    return ew.full(shape, fill_value, dt, weak=weak)


def _like(name, value, doc):
    def fn(a, dtype=None, shape=None, *, device=None):
        a = asarray(a)
        dt = a.dtype if dtype is None else dtypes.canonicalize(dtype)
        sh = a.shape if shape is None else _shape(shape, name)
        weak = dtype is None and a.weak_type  # keeps the weak type of ``a`` (JAX)
        return ew.full(sh, 0 if value is None else value, dt, weak=weak)

    fn.__name__ = name
    fn.__doc__ = doc
    return fn


zeros_like = _like(
    "zeros_like", 0,
    doc="""An array of zeros with the shape and dtype of ``a`` (or the given ``dtype``/``shape``).

    Examples
    --------
    >>> tnp.zeros_like(tnp.array([[1, 2, 3]]))
    Array([[0, 0, 0]], dtype=int32)
    >>> tnp.zeros_like(tnp.array([1, 2]), dtype=tnp.float32, shape=(2, 2))
    Array([[0., 0.],
           [0., 0.]], dtype=float32)
    """,
)
ones_like = _like(
    "ones_like", 1,
    doc="""An array of ones with the shape and dtype of ``a`` (or the given ``dtype``/``shape``).

    The weak type of ``a`` is kept, as in JAX.

    Examples
    --------
    >>> tnp.ones_like(tnp.array([1.5, 2.5]))
    Array([1., 1.], dtype=float32)
    >>> tnp.ones_like(tnp.asarray(3.0))
    Array(1., dtype=float32, weak_type=True)
    """,
)
empty_like = _like(
    "empty_like", None,
    doc="""An array with the shape and dtype of ``a``; as JAX, it is filled with zeros.

    Examples
    --------
    >>> x = tnp.empty_like(tnp.array([[1, 2], [3, 4]], dtype=tnp.int8))
    >>> x.shape, x.dtype
    ((2, 2), dtype('int8'))
    """,
)


def full_like(a, fill_value, dtype=None, shape=None, *, device=None):
    """An array filled with ``fill_value``, with the shape and dtype of ``a`` (unless given).

    Examples
    --------
    >>> x = tnp.array([[1, 2, 3]])
    >>> tnp.full_like(x, 9)
    Array([[9, 9, 9]], dtype=int32)
    >>> tnp.full_like(x, 0.5)
    Array([[0, 0, 0]], dtype=int32)
    >>> tnp.full_like(x, 0.5, dtype=tnp.float32)
    Array([[0.5, 0.5, 0.5]], dtype=float32)
    """
    a = asarray(a)
    dt = a.dtype if dtype is None else dtypes.canonicalize(dtype)
    sh = a.shape if shape is None else _shape(shape, "full_like")
    if isinstance(fill_value, Array):
        return broadcast_to(fill_value.astype(dt), sh)
    return ew.full(sh, fill_value, dt, weak=dtype is None and a.weak_type)


def _static(x, op, what):
    if isinstance(x, Array):
        c = concrete_or_none(x)
        if c is None:
            from tensorlib._src.errors_util import concretization_error

            raise concretization_error(x, f"{op}() {what}")
        return c.to_numpy().item()
    return x


def arange(start, stop=None, step=None, dtype=None, *, device=None) -> Array:
    """Evenly spaced values in ``[start, stop)``; the bounds must be concrete (not traced).

    Examples
    --------
    >>> tnp.arange(5)
    Array([0, 1, 2, 3, 4], dtype=int32)
    >>> tnp.arange(1, 3, 0.5)
    Array([1. , 1.5, 2. , 2.5], dtype=float32)
    >>> tnp.arange(6, 0, -2, dtype=tnp.float32)
    Array([6., 4., 2.], dtype=float32)
    """
    start = _static(start, "arange", "start")
    stop = _static(stop, "arange", "stop")
    step = _static(step, "arange", "step")
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    if dtype is None:
        dtype = dtypes.result_type(*(v for v in (start, stop, step)))
    dt = dtypes.canonicalize(dtype)
    if builtins.all(isinstance(v, (int, np.integer)) for v in (start, stop, step)) and step == 1 \
            and start == 0 and dt == dtypes.default_int():
        return iota(dt, builtins.max(int(stop), 0))
    return asarray(np.arange(start, stop, step, dtype=dt))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
             device=None):
    """``num`` evenly spaced samples over ``[start, stop]`` (``endpoint=False`` drops ``stop``).

    Examples
    --------
    >>> tnp.linspace(0, 1, 5)
    Array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)
    >>> tnp.linspace(0, 1, 4, endpoint=False)
    Array([0.  , 0.25, 0.5 , 0.75], dtype=float32)
    >>> tnp.linspace(0, 10, 3, retstep=True)
    (Array([ 0.,  5., 10.], dtype=float32), Array(5., dtype=float32))
    >>> tnp.linspace(tnp.array([0., 10.]), tnp.array([1., 20.]), 3, axis=1)
    Array([[ 0. ,  0.5,  1. ],
           [10. , 15. , 20. ]], dtype=float32)
    """
    num = operator.index(num)
    if num < 0:
        raise ShapeError(f"linspace: num must be non-negative, got {num}")
    dt = _dt(dtype) if dtype is not None else dtypes.result_type(start, stop,
                                                                  dtypes.default_float())
    start_a = asarray(start, dtype=dt if dtypes.is_inexact(dt) else None)
    stop_a = asarray(stop, dtype=dt if dtypes.is_inexact(dt) else None)
    comp = dt if dtypes.is_inexact(dt) else dtypes.default_float()
    start_a, stop_a = start_a.astype(comp), stop_a.astype(comp)
    div = (num - 1) if endpoint else num
    shape = tuple(np.broadcast_shapes(start_a.shape, stop_a.shape))
    steps = iota(comp, num).reshape((num,) + (1,) * len(shape))
    if div > 0:
        step = (stop_a - start_a) / div
        out = start_a + steps * step
        if endpoint and num > 1:
            out = out.at[-1].set(broadcast_to(stop_a, shape))
    else:
        step = full(shape, np.nan, comp)
        out = start_a + steps * 0
    from tensorlib._src.numpy.shape_ops import moveaxis

    out = moveaxis(out, 0, axis).astype(dt)
    return (out, step) if retstep else out


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """``base ** linspace(start, stop, num)``: samples evenly spaced on a log scale.

    Examples
    --------
    >>> tnp.logspace(0, 3, 4)
    Array([   1.,   10.,  100., 1000.], dtype=float32)
    >>> tnp.logspace(0, 4, 5, base=2.0)
    Array([ 1.,  2.,  4.,  8., 16.], dtype=float32)
    """
    from tensorlib._src.numpy.ufuncs import power

    y = linspace(start, stop, num, endpoint, dtype=None, axis=axis)
    out = power(asarray(base, y.dtype), y)
    return out.astype(dtype) if dtype is not None else out


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """``num`` samples from ``start`` to ``stop`` in geometric progression.

    Examples
    --------
    >>> tnp.round(tnp.geomspace(1, 1000, 4), 2)
    Array([   1.,   10.,  100., 1000.], dtype=float32)
    """
    from tensorlib._src.numpy.exp_log import log10
    from tensorlib._src.numpy.ufuncs import power

    fdt = dtypes.default_float()
    lo, hi = log10(asarray(start, fdt)), log10(asarray(stop, fdt))
    out = power(asarray(10.0), linspace(lo, hi, num, endpoint, axis=axis))
    return out.astype(dtype) if dtype is not None else out


def eye(N, M=None, k=0, dtype=None, *, device=None) -> Array:
    """A 2-d array with ones on the ``k``-th diagonal and zeros elsewhere (float32 by default).

    Examples
    --------
    >>> tnp.eye(3)
    Array([[1., 0., 0.],
           [0., 1., 0.],
           [0., 0., 1.]], dtype=float32)
    >>> tnp.eye(2, 3, k=1, dtype=tnp.int32)
    Array([[0, 1, 0],
           [0, 0, 1]], dtype=int32)
    """
    M = N if M is None else M
    N, M = operator.index(N), operator.index(M)
    if N < 0 or M < 0:
        raise ValueError(f"eye: negative dimensions are not allowed, got N={N}, M={M}")
    k = builtins.max(-N, builtins.min(operator.index(k), M))  # any |k| beyond fits int32
    r = broadcasted_iota(dtypes.int32, (N, M), 0)
    c = broadcasted_iota(dtypes.int32, (N, M), 1)
    on = ew.eq(ew.add(r, ew.full((N, M), k, dtypes.int32)), c)
    return ew.convert_element_type(on, _dt(dtype))


def identity(n, dtype=None) -> Array:
    """The ``n`` by ``n`` identity matrix (float32 by default).

    Examples
    --------
    >>> tnp.identity(2)
    Array([[1., 0.],
           [0., 1.]], dtype=float32)
    >>> tnp.identity(3, dtype=tnp.bool_)
    Array([[ True, False, False],
           [False,  True, False],
           [False, False,  True]], dtype=bool)
    """
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None) -> Array:
    """An ``N`` by ``M`` array with ones at and below the ``k``-th diagonal.

    Examples
    --------
    >>> tnp.tri(3)
    Array([[1., 0., 0.],
           [1., 1., 0.],
           [1., 1., 1.]], dtype=float32)
    >>> tnp.tri(2, 4, k=1, dtype=tnp.int32)
    Array([[1, 1, 0, 0],
           [1, 1, 1, 0]], dtype=int32)
    """
    M = N if M is None else M
    k = builtins.max(-N, builtins.min(operator.index(k), M))
    r = broadcasted_iota(dtypes.int32, (N, M), 0)
    c = broadcasted_iota(dtypes.int32, (N, M), 1)
    on = ew.le(c, ew.add(r, ew.full((N, M), k, dtypes.int32)))
    return ew.convert_element_type(on, _dt(dtype))


def _tri_mask(x, k, lower):
    from tensorlib._src.numpy.ufuncs import where

    x = asarray(x)
    n, m = x.shape[-2:]
    mask = tri(n, m, k, dtypes.bool_)
    if not lower:
        mask = ew.not_p.bind(tri(n, m, k - 1, dtypes.bool_))
    return where(mask, x, ew.full((), 0, x.dtype))


def tril(m, k=0) -> Array:
    """Lower triangle of ``m`` (its last two axes): zeros above the ``k``-th diagonal.

    Returns a new array; JAX-style immutability.

    Examples
    --------
    >>> x = tnp.arange(1, 10).reshape(3, 3)
    >>> tnp.tril(x)
    Array([[1, 0, 0],
           [4, 5, 0],
           [7, 8, 9]], dtype=int32)
    >>> tnp.tril(x, k=-1)
    Array([[0, 0, 0],
           [4, 0, 0],
           [7, 8, 0]], dtype=int32)
    """
    return _tri_mask(m, k, True)


def triu(m, k=0) -> Array:
    """Upper triangle of ``m`` (its last two axes): zeros below the ``k``-th diagonal.

    Examples
    --------
    >>> x = tnp.arange(1, 10).reshape(3, 3)
    >>> tnp.triu(x)
    Array([[1, 2, 3],
           [0, 5, 6],
           [0, 0, 9]], dtype=int32)
    >>> tnp.triu(x, k=1)
    Array([[0, 2, 3],
           [0, 0, 6],
           [0, 0, 0]], dtype=int32)
    """
    return _tri_mask(m, k, False)


def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """Coordinate arrays from 1-d coordinate vectors (``indexing="xy"`` by default, or "ij").

    Examples
    --------
    >>> xs, ys = tnp.meshgrid(tnp.array([1, 2, 3]), tnp.array([10, 20]))
    >>> xs
    Array([[1, 2, 3],
           [1, 2, 3]], dtype=int32)
    >>> ys
    Array([[10, 10, 10],
           [20, 20, 20]], dtype=int32)
    >>> [a.shape for a in tnp.meshgrid(tnp.arange(3), tnp.arange(2), indexing="ij")]
    [(3, 2), (3, 2)]
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    xs = [asarray(x).reshape(-1) for x in xi]
    n = len(xs)
    shape = [x.shape[0] for x in xs]
    if indexing == "xy" and n >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, x in enumerate(xs):
        ax = i
        if indexing == "xy" and n >= 2 and i < 2:
            ax = 1 - i
        view = [1] * n
        view[ax] = x.shape[0]
        r = x.reshape(view)
        out.append(r if sparse else broadcast_to(r, shape))
    return out


def indices(dimensions, dtype=None, sparse=False):
    """An array of grid indices of shape ``(len(dimensions), *dimensions)``.

    Examples
    --------
    >>> tnp.indices((2, 3))
    Array([[[0, 0, 0],
            [1, 1, 1]],
    <BLANKLINE>
           [[0, 1, 2],
            [0, 1, 2]]], dtype=int32)
    """
    dt = dtypes.canonicalize(dtype or dtypes.default_int())
    dims = tuple(dimensions)
    if sparse:
        return tuple(broadcasted_iota(dt, dims, i)[tuple(slice(None) if j == i else slice(0, 1)
                                                      for j in range(len(dims)))]
                     for i in range(len(dims)))
    from tensorlib._src.numpy.shape_ops import stack

    return stack([broadcasted_iota(dt, dims, i) for i in range(len(dims))])


def from_dlpack(x, /, *, device=None, copy=None):
    """An Array from an object with the DLPack protocol (a NumPy array, for example).

    Examples
    --------
    >>> tnp.from_dlpack(np.array([1., 2., 3.], dtype=np.float32))
    Array([1., 2., 3.], dtype=float32)
    """
    return asarray(np.from_dlpack(x))


def frombuffer(buffer, dtype=float, count=-1, offset=0):
    """An Array from the bytes of a buffer, interpreted as ``dtype`` (1-d).

    Examples
    --------
    >>> buf = np.array([1, 2, 3], dtype=np.int32).tobytes()
    >>> tnp.frombuffer(buf, dtype=tnp.int32)
    Array([1, 2, 3], dtype=int32)
    >>> tnp.frombuffer(bytes([1, 2, 255]), dtype=tnp.uint8, offset=1)
    Array([  2, 255], dtype=uint8)
    """
    return asarray(np.frombuffer(buffer, dtype=dtype, count=count, offset=offset))


def copy(a, order=None):
    """A copy of ``a`` as an Array; as Arrays are immutable this only matters for inputs that
    are not Arrays.

    Examples
    --------
    >>> x = np.array([1, 2, 3])
    >>> y = tnp.copy(x)
    >>> x[0] = 99
    >>> y
    Array([1, 2, 3], dtype=int32)
    """
    return asarray(a) + 0 if asarray(a).dtype != dtypes.bool_ else asarray(a)
