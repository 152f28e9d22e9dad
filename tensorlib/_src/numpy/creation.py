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
    """An array of zeros (float32 by default)."""
    return ew.full(_shape(shape, "zeros"), 0, _dt(dtype))


def ones(shape, dtype=None, *, device=None) -> Array:
    return ew.full(_shape(shape, "ones"), 1, _dt(dtype))


def empty(shape, dtype=None, *, device=None) -> Array:
    return zeros(shape, dtype)


def full(shape, fill_value, dtype=None, *, device=None) -> Array:
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


def _like(name, value):
    def fn(a, dtype=None, shape=None, *, device=None):
        a = asarray(a)
        dt = a.dtype if dtype is None else dtypes.canonicalize(dtype)
        sh = a.shape if shape is None else _shape(shape, name)
        weak = dtype is None and a.weak_type  # keeps the weak type of ``a`` (JAX)
        return ew.full(sh, 0 if value is None else value, dt, weak=weak)

    fn.__name__ = name
    return fn


zeros_like = _like("zeros_like", 0)
ones_like = _like("ones_like", 1)
empty_like = _like("empty_like", None)


def full_like(a, fill_value, dtype=None, shape=None, *, device=None):
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
    """Evenly spaced values in ``[start, stop)``; the bounds must be concrete."""
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
    from tensorlib._src.numpy.ufuncs import power

    y = linspace(start, stop, num, endpoint, dtype=None, axis=axis)
    out = power(asarray(base, y.dtype), y)
    return out.astype(dtype) if dtype is not None else out


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    from tensorlib._src.numpy.ufuncs import log10, power

    lo, hi = log10(asarray(start, dtypes.default_float())), log10(asarray(stop, dtypes.default_float()))
    out = power(asarray(10.0), linspace(lo, hi, num, endpoint, axis=axis))
    return out.astype(dtype) if dtype is not None else out


def eye(N, M=None, k=0, dtype=None, *, device=None) -> Array:
    M = N if M is None else M
    N, M = operator.index(N), operator.index(M)
    k = builtins.max(-N, builtins.min(operator.index(k), M))  # any |k| beyond fits int32
    r = broadcasted_iota(dtypes.int32, (N, M), 0)
    c = broadcasted_iota(dtypes.int32, (N, M), 1)
    on = ew.eq(ew.add(r, ew.full((N, M), k, dtypes.int32)), c)
    return ew.convert_element_type(on, _dt(dtype))


def identity(n, dtype=None) -> Array:
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None) -> Array:
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
    return _tri_mask(m, k, True)


def triu(m, k=0) -> Array:
    return _tri_mask(m, k, False)


def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
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
    dt = dtypes.canonicalize(dtype or dtypes.default_int())
    dims = tuple(dimensions)
    if sparse:
        return tuple(broadcasted_iota(dt, dims, i)[tuple(slice(None) if j == i else slice(0, 1)
                                                      for j in range(len(dims)))]
                     for i in range(len(dims)))
    from tensorlib._src.numpy.shape_ops import stack

    return stack([broadcasted_iota(dt, dims, i) for i in range(len(dims))])


def from_dlpack(x, /, *, device=None, copy=None):
    return asarray(np.from_dlpack(x))


def frombuffer(buffer, dtype=float, count=-1, offset=0):
    return asarray(np.frombuffer(buffer, dtype=dtype, count=count, offset=offset))


def copy(a, order=None):
    return asarray(a) + 0 if asarray(a).dtype != dtypes.bool_ else asarray(a)
