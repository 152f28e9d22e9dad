"""NumPy kernels of the convolution and windowed-reduction primitives (``_src/ops/conv.py``).

Both build strided *window views* of the dilated, padded operand with
``sliding_window_view`` (no copy until the reduction); a convolution then contracts the
windows with the kernel as one batched matmul per group (im2col), a windowed reduction
reduces the window axes.

The kernels are written against an array module ``xp`` (``register_kernels(xp, ndarray)``), so
the CuPy backend registers the same code for ``cupy.ndarray``.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from tensorlib.backends.xp_kernels import bind_xp as _bind

from tensorlib._src.dispatch import register_impl
from tensorlib._src.ops import conv as cv


def _dilate_pad(xp, x, value, padding, dilation):
    """``x`` with ``dilation - 1`` holes between elements and (possibly negative) edge padding,
    both filled with ``value`` (what ``lax.pad`` does with interior padding)."""
    if all(d == 1 for d in dilation) and all(lo == hi == 0 for lo, hi in padding):
        return x
    lo = [max(p[0], 0) for p in padding]
    hi = [max(p[1], 0) for p in padding]
    inner = [(n - 1) * d + 1 if n else 0 for n, d in zip(x.shape, dilation, strict=True)]
    out = xp.full([a + s + b for a, s, b in zip(lo, inner, hi, strict=True)], value,
                  dtype=x.dtype)
    out[tuple(slice(a, a + s, d) for a, s, d in zip(lo, inner, dilation, strict=True))] = x
    crop = tuple(slice(-min(p[0], 0), n + min(p[1], 0))
                 for p, n in zip(padding, out.shape, strict=True))
    return out[crop]


def _windows(xp, x, value, window, strides, padding, base_dilation, window_dilation):
    """A view of shape ``out_shape + window``: every window of the dilated, padded ``x``.

    The caller checks that the output is not empty (``sliding_window_view`` needs windows
    that fit)."""
    padded = _dilate_pad(xp, x, value, padding, base_dilation)
    extent = [(w - 1) * r + 1 for w, r in zip(window, window_dilation, strict=True)]
    v = _sliding_window_view(xp, padded, extent)
    steps = tuple(slice(None, None, s) for s in strides)
    steps += tuple(slice(None, None, r) for r in window_dilation)
    return v[steps]


def _compute_dtype(dt):
    # NumPy's matmul has no half-precision (or bfloat16) loops worth using: accumulate in f32.
    if dt.kind == "f" and dt.itemsize < 4 or dt.kind == "V":
        return np.dtype(np.float32)
    return dt


def _conv(xp, lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation,
          dimension_numbers, feature_group_count, batch_group_count, preferred_element_type):
    ls, rs, os_ = dimension_numbers
    out_dt = np.dtype(preferred_element_type or lhs.dtype)
    cdt = _compute_dtype(out_dt)
    x = xp.transpose(lhs, ls).astype(cdt, copy=False)  # N, C, spatial...
    w = xp.transpose(rhs, rs).astype(cdt, copy=False)  # O, I, spatial...
    n_sp = x.ndim - 2
    out_t = cv.conv_shape_tuple(
        x.shape[:2] + cv._dilate_shape(x.shape[2:], lhs_dilation),
        w.shape[:2] + cv._dilate_shape(w.shape[2:], rhs_dilation),
        window_strides, padding, batch_group_count)
    inv = tuple(int(i) for i in np.argsort(os_))
    if math.prod(out_t) == 0 or math.prod(w.shape[1:]) == 0:
        return xp.zeros(out_t, out_dt).transpose(inv)
    win = _windows(xp, x, 0, (1, 1) + w.shape[2:], (1, 1) + tuple(window_strides),
                   ((0, 0), (0, 0)) + tuple(padding), (1, 1) + tuple(lhs_dilation),
                   (1, 1) + tuple(rhs_dilation))
    patches = win[(slice(None),) * (2 + n_sp) + (0, 0)]  # N, C, out..., k...
    out_sp, k_sp = patches.shape[2:2 + n_sp], w.shape[2:]
    n, c = patches.shape[:2]
    o = w.shape[0]
    if batch_group_count > 1:  # groups split N (major part) and O
        q, nq, cq = batch_group_count, n // batch_group_count, c
        p = patches.reshape((q, nq, c) + out_sp + k_sp)
    else:  # feature groups split C and O (q = 1 is the plain conv)
        q, nq, cq = feature_group_count, n, c // feature_group_count
        p = patches.reshape((n, q, cq) + out_sp + k_sp).swapaxes(0, 1)
    # im2col: (q, nq * out, cq * k) @ (q, cq * k, o / q)
    sp_axes = tuple(range(3, 3 + n_sp))
    p = p.transpose((0, 1) + sp_axes + (2,) + tuple(range(3 + n_sp, 3 + 2 * n_sp)))
    p = p.reshape(q, nq * math.prod(out_sp), cq * math.prod(k_sp))
    wq = w.reshape((q, o // q, cq * math.prod(k_sp))).swapaxes(1, 2)
    r = xp.matmul(p, wq)  # q, nq * out, o / q
    r = r.reshape((q, nq) + out_sp + (o // q,))
    r = xp.moveaxis(r, -1, 1)  # q, o/q, nq, out...
    r = r.reshape((o, nq) + out_sp).swapaxes(0, 1)  # nq, o, out...
    return xp.ascontiguousarray(r.transpose(inv), dtype=out_dt)


def _window_out_shape(x, params):
    return cv.reduce_window_shape_tuple(x.shape, params["window_dimensions"],
                                        params["window_strides"], params["padding"],
                                        params["base_dilation"], params["window_dilation"])


def _window_view(xp, x, value, params):
    return _windows(xp, x, value, params["window_dimensions"], params["window_strides"],
                    params["padding"], params["base_dilation"], params["window_dilation"])


def _reduce_window_sum(xp, x, **params):
    out_shape = _window_out_shape(x, params)
    if math.prod(out_shape) == 0:
        return xp.zeros(out_shape, x.dtype)
    v = _window_view(xp, x, 0, params)
    return xp.asarray(v.sum(axis=tuple(range(x.ndim, 2 * x.ndim)), dtype=x.dtype))


def _lowest(dt, kind):
    if dt == np.bool_:
        return kind == "min"
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return info.min if kind == "max" else info.max
    return -np.inf if kind == "max" else np.inf


def _extremum_kernel(xp, kind):
    reducer = xp.max if kind == "max" else xp.min

    def kernel(x, **params):
        out_shape = _window_out_shape(x, params)
        if math.prod(out_shape) == 0:
            return xp.zeros(out_shape, x.dtype)
        v = _window_view(xp, x, _lowest(x.dtype, kind), params)
        return xp.asarray(reducer(v, axis=tuple(range(x.ndim, 2 * x.ndim))), dtype=x.dtype)

    kernel.__name__ = f"_np_reduce_window_{kind}"
    return kernel


def _argselect_kernel(xp, kind):
    """Coordinates of the first real element attaining each window's max/min (-1: none)."""
    reducer = xp.max if kind == "max" else xp.min

    def kernel(x, **params):
        out_shape = _window_out_shape(x, params)
        nd = x.ndim
        if math.prod(out_shape) == 0:
            return xp.zeros(out_shape + (nd,), np.int32)
        v = _window_view(xp, x, _lowest(x.dtype, kind), params)
        pos = _window_view(xp, xp.arange(x.size, dtype=np.int64).reshape(x.shape), -1, params)
        flat_v = v.reshape(out_shape + (-1,))
        flat_pos = pos.reshape(out_shape + (-1,))
        best = reducer(flat_v, axis=-1, keepdims=True)
        # among the real elements (not padding or dilation holes) that attain the extremum,
        # the first one in row-major window order, as XLA's select_and_scatter picks
        hit = (flat_v == best) & (flat_pos >= 0)
        first = xp.argmax(hit, axis=-1)[..., None]
        chosen = xp.take_along_axis(flat_pos, first, axis=-1)[..., 0]
        chosen = xp.where(hit.any(axis=-1), chosen, -1)
        coords = xp.stack(xp.unravel_index(xp.maximum(chosen, 0), x.shape), axis=-1)
        coords = xp.where((chosen >= 0)[..., None], coords, -1)
        return coords.astype(np.int32)

    kernel.__name__ = f"_np_reduce_window_arg{kind}"
    return kernel


def _sliding_window_view(xp, x, extent):
    if xp is np:
        return sliding_window_view(x, extent)
    # CuPy has no sliding_window_view (only as_strided): the same strided view built by hand
    shape = tuple(n - e + 1 for n, e in zip(x.shape, extent, strict=False)) + tuple(extent)
    return xp.lib.stride_tricks.as_strided(x, shape, x.strides + x.strides)


def register_kernels(xp, ndarray, wrap=None):
    """Register the convolution and windowed-reduction kernels for ``ndarray`` buffers
    (``wrap(prim, fn)``: see ``numpy_backend.register_kernels``)."""
    kernels = [(cv.conv_general_dilated_p, 2, _bind(xp, _conv)),
               (cv.reduce_window_sum_p, 1, _bind(xp, _reduce_window_sum)),
               (cv.reduce_window_max_p, 1, _extremum_kernel(xp, "max")),
               (cv.reduce_window_min_p, 1, _extremum_kernel(xp, "min")),
               (cv.reduce_window_argmax_p, 1, _argselect_kernel(xp, "max")),
               (cv.reduce_window_argmin_p, 1, _argselect_kernel(xp, "min"))]
    for prim, n, fn in kernels:
        register_impl(prim, (ndarray,) * n, fn if wrap is None else wrap(prim, fn))
