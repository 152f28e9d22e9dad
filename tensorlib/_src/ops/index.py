"""Indexing primitives: gather, scatter (set/add/mul/min/max) and sort.

``gather(x, idx, dims=D)`` indexes the axes ``D`` of ``x`` with the index vectors in the last
axis of ``idx``; the other axes are kept whole. The result has shape
``idx.shape[:-1] + [x.shape[d] for d not in D]``. Out-of-bounds indices clamp (``mode="clip"``,
JAX's default for gather) or produce ``0`` (``mode="fill"``). ``scatter`` is the matching
update; out-of-bounds updates are dropped, as in JAX.
"""

from __future__ import annotations

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import WEAK_FIRST, AbstractArray, Primitive, get_aval
from tensorlib._src.ops.elementwise import (
    add,
    convert_element_type,
    div,
    eq,
    full,
    full_like,
    max,
    min,
    mul,
    select_n,
    zeros_like,
)
from tensorlib._src.ops.reduce import cummax, cummin
from tensorlib._src.ops.shape import (
    bdim_at_front,
    broadcast_in_dim,
    broadcasted_iota,
    concatenate,
    moveaxis_to,
    reshape,
)
from tensorlib._src.rules import def_batch, def_jvp, def_shape, def_vjp
from tensorlib.errors import DTypeError, ShapeError

_GATHER_MODES = ("clip", "fill")
SCATTER_MODES = ("set", "add", "mul", "min", "max")

gather_p = Primitive("gather", weak=WEAK_FIRST)


def gather(x, indices, *, dims, mode="clip"):
    """Index the axes ``dims`` of ``x`` with the index vectors in the last axis of ``indices``.

    A simpler interface than ``jax.lax.gather`` (no ``GatherDimensionNumbers``): the axes not in
    ``dims`` are kept whole, and the result has shape
    ``indices.shape[:-1] + [x.shape[d] for d not in dims]``. Out-of-bounds indices are clamped
    (``mode="clip"``, JAX's default) or give 0 (``mode="fill"``).

    Examples
    --------
    >>> x = tnp.array([[1, 2, 3], [4, 5, 6]])
    >>> lax.gather(x, tnp.array([[1], [0], [5]]), dims=(0,))  # rows 1, 0 and 5 (clamped to 1)
    Array([[4, 5, 6],
           [1, 2, 3],
           [4, 5, 6]], dtype=int32)
    >>> lax.gather(x, tnp.array([[0, 2], [1, 0]]), dims=(0, 1), mode="fill")
    Array([3, 4], dtype=int32)
    """
    return gather_p.bind(x, indices, dims=tuple(int(d) for d in dims), mode=mode)


def _check_index(op, x, idx, dims):
    if not dtypes.is_integer(idx.dtype):
        raise DTypeError(f"{op}: indices must be integers, got {idx.str_short()}")
    if idx.ndim < 1 or idx.shape[-1] != len(dims):
        raise ShapeError(f"{op}: indices {idx.str_short()} need a last axis of size "
                         f"{len(dims)} (one entry per indexed axis {dims})")
    if len(set(dims)) != len(dims) or any(not 0 <= d < x.ndim for d in dims):
        raise ShapeError(f"{op}: indexed axes {dims} are invalid for {x.str_short()}")
    for d in dims:
        if x.shape[d] == 0 and idx.size:
            raise ShapeError(f"{op}: cannot index axis {d} of size 0 in {x.str_short()}")


def _gather_out_shape(x, idx, dims):
    return tuple(idx.shape[:-1]) + tuple(n for d, n in enumerate(x.shape) if d not in dims)


@def_shape(gather_p)
def _gather_shape(x, idx, *, dims, mode):
    _check_index("gather", x, idx, dims)
    if mode not in _GATHER_MODES:
        raise ValueError(f"gather: mode must be one of {_GATHER_MODES}, got {mode!r}")
    return AbstractArray(_gather_out_shape(x, idx, dims), x.dtype, x.weak_type)


def clamp_indices(x_shape, idx, dims):
    """Clamp each index column to ``[0, x_shape[d] - 1]`` (what gather does)."""
    hi = np.array([x_shape[d] - 1 for d in dims], dtype=idx.dtype)
    hi_arr = broadcast_in_dim(_const_vec(hi), idx.shape, (idx.ndim - 1,))
    return max(min(idx, hi_arr), zeros_like(idx))


def _const_vec(v):
    from tensorlib._src.core import Array, current_backend

    return Array(current_backend().from_numpy(v), False)


@def_jvp(gather_p)
def _gather_jvp(primals, tangents, *, dims, mode):
    x, idx = primals
    out = gather(x, idx, dims=dims, mode=mode)
    if tangents[0] is None:
        return out, None
    return out, gather(tangents[0], idx, dims=dims, mode=mode)


@def_vjp(gather_p)
def _gather_vjp(ct, out, x, idx, *, dims, mode):
    if mode == "clip":
        idx = clamp_indices(x.shape, idx, dims)
    return scatter(zeros_like(x), idx, ct, dims=dims, mode="add"), None


def _with_batch_index(idx):
    """Prepend an iota column (the lane number) to batched index vectors (batch axis 0)."""
    aval = get_aval(idx)
    lane = broadcasted_iota(aval.dtype, tuple(aval.shape[:-1]) + (1,), 0)
    return concatenate([lane, idx], aval.ndim - 1)


@def_batch(gather_p)
def _gather_batch(info, vals, bdims, *, dims, mode):
    x, idx = vals
    bx, bi = bdims
    if bi is None:
        x = moveaxis_to(x, bx, 0)
        out = gather_p.bind(x, idx, dims=tuple(d + 1 for d in dims), mode=mode)
        return out, get_aval(idx).ndim - 1
    idx = moveaxis_to(idx, bi, 0)
    if bx is None:
        return gather_p.bind(x, idx, dims=dims, mode=mode), 0
    x = moveaxis_to(x, bx, 0)
    idx = _with_batch_index(idx)
    return gather_p.bind(x, idx, dims=(0,) + tuple(d + 1 for d in dims), mode=mode), 0


scatter_p = Primitive("scatter", weak=WEAK_FIRST)


def scatter(x, indices, updates, *, dims, mode="set"):
    """Write ``updates`` into ``x`` at the positions ``gather`` with the same ``indices`` reads.

    ``updates`` has the shape ``gather`` would return. ``mode`` is ``"set"``, ``"add"``, ``"mul"``,
    ``"min"`` or ``"max"`` (how repeated and existing values combine); out-of-bounds updates are
    dropped, as in JAX. A simpler interface than ``jax.lax.scatter`` (no
    ``ScatterDimensionNumbers``).

    Examples
    --------
    >>> x = tnp.zeros(4, dtype=tnp.int32)
    >>> lax.scatter(x, tnp.array([[1], [3], [1]]), tnp.array([5, 6, 7]), dims=(0,), mode="add")
    Array([ 0, 12,  0,  6], dtype=int32)
    >>> lax.scatter(x, tnp.array([[1], [9]]), tnp.array([5, 6]), dims=(0,))  # 9 is dropped
    Array([0, 5, 0, 0], dtype=int32)
    """
    return scatter_p.bind(x, indices, updates, dims=tuple(int(d) for d in dims), mode=mode)


@def_shape(scatter_p)
def _scatter_shape(x, idx, upd, *, dims, mode):
    _check_index("scatter", x, idx, dims)
    if mode not in SCATTER_MODES:
        raise ValueError(f"scatter: mode must be one of {SCATTER_MODES}, got {mode!r}")
    want = _gather_out_shape(x, idx, dims)
    if tuple(upd.shape) != want or upd.dtype != x.dtype:
        raise ShapeError(f"scatter: updates {upd.str_short()} do not match "
                         f"{dtypes.short_aval(want, x.dtype)} (indices {idx.str_short()} into "
                         f"{x.str_short()}); broadcast and convert them first")
    return x


@def_jvp(scatter_p)
def _scatter_jvp(primals, tangents, *, dims, mode):
    x, idx, upd = primals
    tx, _, tu = tangents
    out = scatter(x, idx, upd, dims=dims, mode=mode)
    if tx is None and tu is None:
        return out, None
    tx = zeros_like(x) if tx is None else tx
    tu = zeros_like(upd) if tu is None else tu
    if mode in ("add", "set"):
        return out, scatter(tx, idx, tu, dims=dims, mode=mode)
    if mode == "mul":
        # d(x * prod u) = tx * prod u + x * prod u * sum(tu / u)
        prod_u = scatter(full_like(x, 1), idx, upd, dims=dims, mode="mul")
        rel = scatter(zeros_like(x), idx, div(tu, upd), dims=dims, mode="add")
        return out, add(mul(tx, prod_u), mul(out, rel))
    w_x, w_u = _minmax_weights(x, idx, upd, out, dims)
    t = add(mul(tx, w_x), scatter(zeros_like(x), idx, mul(tu, w_u), dims=dims, mode="add"))
    return out, t


def _minmax_weights(x, idx, upd, out, dims):
    """Where the min/max came from, with ties split evenly (as JAX does for reductions)."""
    hit_x = convert_element_type(eq(x, out), x.dtype)
    out_at = gather(out, idx, dims=dims, mode="clip")
    hit_u = convert_element_type(eq(upd, out_at), x.dtype)
    hit_u = mul(hit_u, _in_bounds(x.shape, idx, dims, x.dtype))
    count = add(hit_x, scatter(zeros_like(x), idx, hit_u, dims=dims, mode="add"))
    return div(hit_x, count), div(hit_u, gather(count, idx, dims=dims, mode="clip"))


def _in_bounds(shape, idx, dims, dtype):
    from tensorlib._src.ops.elementwise import ge, lt
    from tensorlib._src.ops.reduce import reduce_and

    hi = broadcast_in_dim(_const_vec(np.array([shape[d] for d in dims], idx.dtype)),
                          idx.shape, (idx.ndim - 1,))
    ok = reduce_and(
        select_n(ge(idx, zeros_like(idx)), full(idx.shape, False, dtypes.bool_), lt(idx, hi)),
        (idx.ndim - 1,))
    return convert_element_type(ok, dtype)


@def_vjp(scatter_p)
def _scatter_vjp(ct, out, x, idx, upd, *, dims, mode):
    if mode == "add":
        return ct, None, gather(ct, idx, dims=dims, mode="fill")
    if mode == "set":
        ct_x = scatter(ct, idx, zeros_like(upd), dims=dims, mode="set")
        return ct_x, None, gather(ct, idx, dims=dims, mode="fill")
    if mode == "mul":
        prod_u = scatter(full_like(x, 1), idx, upd, dims=dims, mode="mul")
        ct_u = div(gather(mul(ct, out), idx, dims=dims, mode="fill"), upd)
        return mul(ct, prod_u), None, ct_u
    w_x, w_u = _minmax_weights(x, idx, upd, out, dims)
    return mul(ct, w_x), None, mul(gather(ct, idx, dims=dims, mode="fill"), w_u)


@def_batch(scatter_p)
def _scatter_batch(info, vals, bdims, *, dims, mode):
    x, idx, upd = vals
    bx, bi, bu = bdims
    if bi is None and bu is None:
        x = moveaxis_to(x, bx, 0)
        # the batch axis is an un-indexed axis of x: updates need it too (at its position)
        n_idx_batch = get_aval(idx).ndim - 1
        upd_b = get_aval(upd).ndim
        u_shape = get_aval(upd).shape
        new_u_shape = tuple(u_shape[:n_idx_batch]) + (info.size,) + tuple(u_shape[n_idx_batch:])
        dims_map = tuple(range(n_idx_batch)) + tuple(range(n_idx_batch + 1, upd_b + 1))
        upd = broadcast_in_dim(upd, new_u_shape, dims_map)
        return scatter_p.bind(x, idx, upd, dims=tuple(d + 1 for d in dims), mode=mode), 0
    x = bdim_at_front(x, bx, info.size)
    idx = bdim_at_front(idx, bi, info.size)
    upd_full = bdim_at_front(upd, bu, info.size)
    idx = _with_batch_index(idx)
    return scatter_p.bind(x, idx, upd_full, dims=(0,) + tuple(d + 1 for d in dims),
                          mode=mode), 0


# --------------------------------------------------------------------------------------------
# helpers over one axis (take_along_axis-style), used by sort, cummax and tensorlib.numpy


def along_axis_indices(idx, axis):
    """Full index vectors for ``take_along_axis``: iotas on every axis but ``axis``."""
    idx = convert_element_type(idx, dtypes.int32) if idx.dtype != dtypes.int32 else idx
    cols = []
    for d in range(idx.ndim):
        col = idx if d == axis else broadcasted_iota(dtypes.int32, idx.shape, d)
        cols.append(reshape(col, idx.shape + (1,)))
    return concatenate(cols, idx.ndim)


def take_along(x, idx, axis):
    full_idx = along_axis_indices(idx, axis)
    return gather(x, full_idx, dims=tuple(range(x.ndim)))


def scatter_add_along(x, idx, upd, axis):
    full_idx = along_axis_indices(idx, axis)
    return scatter(x, full_idx, upd, dims=tuple(range(x.ndim)), mode="add")


def cum_argbest(x, y, axis, reverse):
    """For a running extremum ``y`` of ``x``, the position each ``y_i`` was taken from."""
    n = x.shape[axis]
    pos = broadcasted_iota(dtypes.int32, x.shape, axis)
    hit = eq(x, y)
    if reverse:
        return cummin(select_n(hit, full(x.shape, n - 1, dtypes.int32), pos), axis, True)
    return cummax(select_n(hit, zeros_like(pos), pos), axis)


# --------------------------------------------------------------------------------------------
sort_p = Primitive("sort", multiple_results=True)


def sort(operand, dimension=-1, is_stable=True, num_keys=1):
    """Sort along ``dimension``: one array, or a sequence of arrays sorted together by the
    first ``num_keys`` of them (a tuple comes back), as ``jax.lax.sort``.

    Examples
    --------
    >>> lax.sort(tnp.array([[3, 1], [0, 2]]), dimension=0)
    Array([[0, 1],
           [3, 2]], dtype=int32)
    >>> keys, vals = lax.sort([tnp.array([2, 1, 2]), tnp.array([1, 2, 0])], num_keys=2)
    >>> keys, vals
    (Array([1, 2, 2], dtype=int32), Array([2, 0, 1], dtype=int32))
    """
    if isinstance(operand, (list, tuple)):
        return tuple(_sort(list(operand), dimension, is_stable, num_keys))
    return _sort([operand], dimension, is_stable, num_keys)[0]


def _sort(operands, dimension=-1, is_stable=True, num_keys=1):
    """``sort_p`` on a list of operands; returns a list."""
    if not operands:
        raise ShapeError("sort: needs at least one operand")
    ndim = len(getattr(operands[0], "shape", ()))
    dimension = int(dimension) % ndim if ndim else 0
    return sort_p.bind(*operands, dimension=dimension, is_stable=bool(is_stable),
                       num_keys=int(num_keys))


@def_shape(sort_p)
def _sort_shape(*xs, dimension, is_stable, num_keys):
    if not xs or not 1 <= num_keys <= len(xs):
        raise ShapeError(f"sort: num_keys={num_keys} needs between 1 and {len(xs)} operands")
    for i, x in enumerate(xs):
        if x.shape != xs[0].shape:
            raise ShapeError(f"sort: operand {i} has {x.str_short()} but operand 0 has "
                             f"{xs[0].str_short()}")
    if not 0 <= dimension < xs[0].ndim:
        raise ShapeError(f"sort: dimension {dimension} out of range for {xs[0].str_short()}")
    # multiple-result primitives give strong outputs (tensorlib.numpy.sort restores weak types)
    return [x.strip_weak() for x in xs]


def _sort_perm(primals, dimension, is_stable, num_keys):
    keys = primals[:num_keys]
    pos = broadcasted_iota(dtypes.int32, keys[0].shape, dimension)
    return sort_p.bind(*keys, pos, dimension=dimension, is_stable=is_stable,
                       num_keys=num_keys)[-1]


@def_jvp(sort_p)
def _sort_jvp(primals, tangents, *, dimension, is_stable, num_keys):
    outs = sort_p.bind(*primals, dimension=dimension, is_stable=is_stable, num_keys=num_keys)
    if all(t is None for t in tangents):
        return outs, [None] * len(outs)
    perm = _sort_perm(primals, dimension, is_stable, num_keys)
    ts = [None if t is None else take_along(t, perm, dimension) for t in tangents]
    return outs, ts


@def_vjp(sort_p)
def _sort_vjp(cts, outs, *xs, dimension, is_stable, num_keys):
    perm = _sort_perm(xs, dimension, is_stable, num_keys)
    return tuple(None if ct is None else scatter_add_along(zeros_like(x), perm, ct, dimension)
                 for ct, x in zip(cts, xs))


@def_batch(sort_p)
def _sort_batch(info, vals, bdims, *, dimension, is_stable, num_keys):
    xs = [bdim_at_front(v, b, info.size) for v, b in zip(vals, bdims)]
    outs = sort_p.bind(*xs, dimension=dimension + 1, is_stable=is_stable, num_keys=num_keys)
    return outs, [0] * len(outs)
