"""Windowed reductions, as in ``jax.lax``: ``reduce_window_sum``/``_max``/``_min`` bind the
windowed-reduction primitives of ``conv``; ``reduce_window`` with any other computation or init
value folds strided slices of the padded operand, which is exact (XLA pads with the init value)
and differentiable.
"""

from __future__ import annotations

import itertools

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import (
    Array,
    asarray,
    concrete_or_none,
    get_aval,
)
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops.conv import (
    _checked_bind,
    _window_shape,
    reduce_window_max_p,
    reduce_window_min_p,
    reduce_window_sum_p,
)
from tensorlib._src.ops.conv_dimensions import (
    _as_array,
    _dilate_shape,
    _int_tuple,
    _pairs,
    padtype_to_pads,
)
from tensorlib._src.ops.elementwise import convert_element_type
from tensorlib._src.ops.shape import broadcast_in_dim, pad
from tensorlib._src.ops.shape import slice as slice_op
from tensorlib.errors import ShapeError


def _window_params(x, window_dimensions, window_strides, padding, base_dilation,
                   window_dilation):
    nd = len(get_aval(x).shape)
    op = "reduce_window"
    wd = _int_tuple(op, "window_dimensions", window_dimensions, nd)
    ws = (1,) * nd if window_strides is None else _int_tuple(op, "window_strides",
                                                              window_strides, nd)
    bd = (1,) * nd if base_dilation is None else _int_tuple(op, "base_dilation", base_dilation, nd)
    wdl = (1,) * nd if window_dilation is None else _int_tuple(op, "window_dilation",
                                                               window_dilation, nd)
    if isinstance(padding, str):
        pads = tuple(padtype_to_pads(get_aval(x).shape, _dilate_shape(wd, wdl), ws, padding))
    else:
        pads = _pairs(op, padding, nd)
    return dict(window_dimensions=wd, window_strides=ws, padding=pads, base_dilation=bd,
                window_dilation=wdl)


def reduce_window_sum(x, window_dimensions, window_strides=None, padding="VALID",
                      base_dilation=None, window_dilation=None):
    x = _as_array(x)
    return _checked_bind(reduce_window_sum_p, x, **_window_params(
        x, window_dimensions, window_strides, padding, base_dilation, window_dilation))


def reduce_window_max(x, window_dimensions, window_strides=None, padding="VALID",
                      base_dilation=None, window_dilation=None):
    x = _as_array(x)
    return _checked_bind(reduce_window_max_p, x, **_window_params(
        x, window_dimensions, window_strides, padding, base_dilation, window_dilation))


def reduce_window_min(x, window_dimensions, window_strides=None, padding="VALID",
                      base_dilation=None, window_dilation=None):
    x = _as_array(x)
    return _checked_bind(reduce_window_min_p, x, **_window_params(
        x, window_dimensions, window_strides, padding, base_dilation, window_dilation))



def _identity(kind, dtype):
    if kind == "add":
        return 0
    if dtypes.is_bool(dtype):
        return kind == "min"
    if dtypes.is_integer(dtype):
        info = np.iinfo(dtype)
        return info.min if kind == "max" else info.max
    return -np.inf if kind == "max" else np.inf


_MONOIDS = {ew.add: ("add", reduce_window_sum_p), ew.max: ("max", reduce_window_max_p),
            ew.min: ("min", reduce_window_min_p)}


def reduce_window(operand, init_value, computation, window_dimensions, window_strides=None,
                  padding="VALID", base_dilation=None, window_dilation=None):
    """Reduce each window of ``operand`` with ``computation``, as ``jax.lax.reduce_window``.

    As in XLA, each window's result is ``init_value`` combined with the window's operand
    elements; padding and base-dilation holes are skipped. ``lax.add``, ``lax.max`` and
    ``lax.min`` use the ``reduce_window_{sum,max,min}`` primitives (plus one elementwise op when
    ``init_value`` is not the identity). Any other binary ``computation`` folds strided slices
    of the operand: exact and differentiable, one op per window element.

    Examples
    --------
    >>> import tensorlib.numpy as tnp
    >>> from tensorlib import lax
    >>> print(lax.reduce_window(tnp.arange(6.0), 0.0, lax.add, (2,), (2,), "VALID"))
    [1. 5. 9.]
    """
    if isinstance(operand, (list, tuple, dict)):
        raise ShapeError("reduce_window: takes a single array operand here (pytrees of "
                         "operands are not supported); reduce each array separately")
    x = _as_array(operand)
    params = _window_params(x, window_dimensions, window_strides, padding, base_dilation,
                            window_dilation)
    monoid = _MONOIDS.get(computation)
    if monoid is None:
        return _reduce_window_fold(x, init_value, computation, **params)
    kind, prim = monoid
    out = _checked_bind(prim, x, **params)
    init = concrete_or_none(init_value) if isinstance(init_value, Array) else init_value
    if init is not None and np.ndim(init) == 0:
        val = np.asarray(init.to_numpy() if isinstance(init, Array) else init)
        if val == _identity(kind, x.dtype):
            return out
    return computation(broadcast_in_dim(_init_scalar(init_value, x), out.shape, ()), out)


def _init_scalar(init_value, x):
    init = _as_array(init_value)
    if init.ndim != 0:
        raise ShapeError(f"reduce_window: init_value must be a scalar, got "
                         f"{init.aval.str_short()}")
    return convert_element_type(init, x.dtype) if init.dtype != x.dtype else init


def _valid_mask(shape, padding, base_dilation):
    """Static mask of the operand's elements in its dilated, padded version (shape metadata)."""
    lo = [max(p[0], 0) for p in padding]
    inner = [(n - 1) * d + 1 if n else 0 for n, d in zip(shape, base_dilation, strict=True)]
    full_shape = [a + s + max(p[1], 0) for a, s, p in zip(lo, inner, padding, strict=True)]
    mask = np.zeros(full_shape, dtype=bool)
    mask[tuple(slice(a, a + s, d)
               for a, s, d in zip(lo, inner, base_dilation, strict=True))] = True
    crop = tuple(slice(-min(p[0], 0), n + min(p[1], 0))
                 for p, n in zip(padding, full_shape, strict=True))
    return mask[crop]


def _reduce_window_fold(x, init_value, computation, *, window_dimensions, window_strides,
                        padding, base_dilation, window_dilation):
    init = _init_scalar(init_value, x)
    out_shape = _window_shape("reduce_window", x.aval, window_dimensions=window_dimensions,
                              window_strides=window_strides, padding=padding,
                              base_dilation=base_dilation, window_dilation=window_dilation)
    acc = broadcast_in_dim(init, out_shape, ())
    if 0 in out_shape:
        return acc
    cfg = [(lo, hi, b - 1) for (lo, hi), b in zip(padding, base_dilation, strict=True)]
    xp = pad(x, init, cfg)
    valid = _valid_mask(x.shape, padding, base_dilation)
    for offsets in itertools.product(*[range(w) for w in window_dimensions]):
        start = [o * r for o, r in zip(offsets, window_dilation, strict=True)]
        limit = [s + (n - 1) * st + 1
                 for s, n, st in zip(start, out_shape, window_strides, strict=True)]
        m = valid[tuple(slice(a, b, st)
                        for a, b, st in zip(start, limit, window_strides, strict=True))]
        if not m.any():
            continue
        new = computation(acc, slice_op(xp, start, limit, window_strides))
        # padding and dilation holes are skipped, as XLA's ReduceWindow does
        acc = new if m.all() else ew.select_n(asarray(m), acc, new)
    return acc
