"""Shape primitives: iota, broadcast_in_dim, reshape, transpose, rev, slice, pad, concatenate,
dynamic_slice and dynamic_update_slice."""

from __future__ import annotations

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import WEAK_FIRST, WEAK_NEVER, AbstractArray, Array, Primitive, get_aval
from tensorlib._src.ops.elementwise import add, full, lt, select_n, sub, zeros_like
from tensorlib._src.rules import def_batch, def_jvp, def_nondiff, def_shape, def_vjp
from tensorlib.errors import ShapeError


def def_linear(prim, nlinear=1):
    """JVP/VJP helpers for ops linear in their first ``nlinear`` operands (the rest static)."""

    @def_jvp(prim)
    def _jvp(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        ts = tangents[:nlinear]
        if all(t is None for t in ts):
            return out, None
        ts = [zeros_like(p) if t is None else t for p, t in zip(primals, ts)]
        return out, prim.bind(*ts, *primals[nlinear:], **params)

    return _jvp


def _shape_err(op, msg):
    return ShapeError(f"{op}: {msg}")


# --------------------------------------------------------------------------------------------
iota_p = Primitive("iota", weak=WEAK_NEVER)


def iota(dtype, size: int):
    """``[0, 1, ..., size - 1]`` of ``dtype``.

    Examples
    --------
    >>> lax.iota(tnp.int32, 4)
    Array([0, 1, 2, 3], dtype=int32)
    """
    return iota_p.bind(dtype=np.dtype(dtype), shape=(int(size),), dimension=0)


def broadcasted_iota(dtype, shape, dimension: int):
    """An array of ``shape`` whose values count along ``dimension``.

    Examples
    --------
    >>> lax.broadcasted_iota(tnp.int32, (2, 3), 1)
    Array([[0, 1, 2],
           [0, 1, 2]], dtype=int32)
    """
    return iota_p.bind(dtype=np.dtype(dtype), shape=tuple(int(s) for s in shape),
                       dimension=int(dimension))


@def_shape(iota_p)
def _iota_shape(*, dtype, shape, dimension):
    if not 0 <= dimension < len(shape):
        raise _shape_err("iota", f"dimension {dimension} out of range for shape {shape}")
    return AbstractArray(shape, dtype, False)


def_nondiff(iota_p)

# --------------------------------------------------------------------------------------------
broadcast_in_dim_p = Primitive("broadcast_in_dim", weak=WEAK_FIRST)


def broadcast_in_dim(x, shape, broadcast_dimensions):
    """Broadcast ``x`` to ``shape``, axis ``i`` of ``x`` becoming ``broadcast_dimensions[i]``.

    Each axis of ``x`` has size 1 or the size of the axis it maps to.

    Examples
    --------
    >>> lax.broadcast_in_dim(tnp.array([1, 2]), (2, 3), (0,))
    Array([[1, 1, 1],
           [2, 2, 2]], dtype=int32)
    >>> lax.broadcast_in_dim(tnp.array([1, 2]), (3, 2), (1,))
    Array([[1, 2],
           [1, 2],
           [1, 2]], dtype=int32)
    """
    shape = tuple(int(s) for s in shape)
    broadcast_dimensions = tuple(int(d) for d in broadcast_dimensions)
    identity = broadcast_dimensions == tuple(range(len(shape)))
    if isinstance(x, Array) and x.shape == shape and identity:
        return x
    return broadcast_in_dim_p.bind(x, shape=shape, broadcast_dimensions=broadcast_dimensions)


def broadcast_to_rank(x, shape):
    """Numpy-style broadcast of ``x`` to ``shape`` (trailing alignment)."""
    nd = len(shape)
    return broadcast_in_dim(x, shape, tuple(range(nd - x.ndim, nd)))


@def_shape(broadcast_in_dim_p)
def _broadcast_in_dim_shape(x, *, shape, broadcast_dimensions):
    if len(broadcast_dimensions) != x.ndim:
        raise _shape_err("broadcast_in_dim", f"{x.str_short()} needs {x.ndim} "
                         f"broadcast_dimensions, got {broadcast_dimensions}")
    for i, d in enumerate(broadcast_dimensions):
        if not 0 <= d < len(shape) or x.shape[i] not in (1, shape[d]):
            raise _shape_err(
                "broadcast_in_dim",
                f"cannot broadcast {x.str_short()} to shape {shape} with "
                f"broadcast_dimensions={broadcast_dimensions}")
    # no size check here: tracing (eval_shape, make_jaxpr) allocates nothing; a compiled
    # program's sizes are checked by jit.compile_graph, eager results by the kernels
    return AbstractArray(shape, x.dtype, x.weak_type)


def_linear(broadcast_in_dim_p)


@def_vjp(broadcast_in_dim_p, linear=True)
def _broadcast_in_dim_vjp(ct, out, x, *, shape, broadcast_dimensions):
    from tensorlib._src.ops.reduce import reduce_sum

    bd = set(broadcast_dimensions)
    axes = [d for d in range(len(shape)) if d not in bd]
    axes += [d for i, d in enumerate(broadcast_dimensions) if x.shape[i] == 1 and shape[d] != 1]
    s = reduce_sum(ct, axes=tuple(sorted(axes))) if axes else ct
    return (reshape(s, x.shape),)


@def_batch(broadcast_in_dim_p)
def _broadcast_in_dim_batch(info, vals, bdims, *, shape, broadcast_dimensions):
    x = moveaxis_to(vals[0], bdims[0], 0)
    return broadcast_in_dim_p.bind(
        x, shape=(info.size,) + tuple(shape),
        broadcast_dimensions=(0,) + tuple(d + 1 for d in broadcast_dimensions)), 0


# --------------------------------------------------------------------------------------------
reshape_p = Primitive("reshape", weak=WEAK_FIRST)


def reshape(x, new_sizes):
    """``x`` with shape ``new_sizes`` (row-major order, same size).

    Unlike ``jax.lax.reshape`` there is no ``dimensions`` argument; transpose first.

    Examples
    --------
    >>> lax.reshape(tnp.arange(6), (2, 3))
    Array([[0, 1, 2],
           [3, 4, 5]], dtype=int32)
    """
    new_sizes = tuple(int(s) for s in new_sizes)
    if isinstance(x, Array) and x.shape == new_sizes:
        return x
    return reshape_p.bind(x, new_sizes=new_sizes)


@def_shape(reshape_p)
def _reshape_shape(x, *, new_sizes):
    if int(np.prod(new_sizes, dtype=np.int64)) != x.size or any(s < 0 for s in new_sizes):
        raise _shape_err("reshape", f"cannot reshape {x.str_short()} ({x.size} elements) "
                         f"into shape {new_sizes}")
    return AbstractArray(new_sizes, x.dtype, x.weak_type)


def_linear(reshape_p)


@def_vjp(reshape_p, linear=True)
def _reshape_vjp(ct, out, x, *, new_sizes):
    return (reshape(ct, x.shape),)


@def_batch(reshape_p)
def _reshape_batch(info, vals, bdims, *, new_sizes):
    x = moveaxis_to(vals[0], bdims[0], 0)
    return reshape_p.bind(x, new_sizes=(info.size,) + tuple(new_sizes)), 0


# --------------------------------------------------------------------------------------------
transpose_p = Primitive("transpose", weak=WEAK_FIRST)


def transpose(x, permutation):
    """Permute the axes of ``x``: axis ``i`` of the result is axis ``permutation[i]`` of ``x``.

    Examples
    --------
    >>> lax.transpose(tnp.arange(6).reshape(2, 3), (1, 0))
    Array([[0, 3],
           [1, 4],
           [2, 5]], dtype=int32)
    >>> lax.transpose(tnp.zeros((2, 3, 4)), (2, 0, 1)).shape
    (4, 2, 3)
    """
    permutation = tuple(int(p) for p in permutation)
    if permutation == tuple(range(len(permutation))):
        return x
    return transpose_p.bind(x, permutation=permutation)


@def_shape(transpose_p)
def _transpose_shape(x, *, permutation):
    if sorted(permutation) != list(range(x.ndim)):
        raise _shape_err("transpose", f"{permutation} is not a permutation of the axes of "
                         f"{x.str_short()}")
    return AbstractArray(tuple(x.shape[p] for p in permutation), x.dtype, x.weak_type)


def_linear(transpose_p)


@def_vjp(transpose_p, linear=True)
def _transpose_vjp(ct, out, x, *, permutation):
    return (transpose(ct, tuple(np.argsort(permutation))),)


@def_batch(transpose_p)
def _transpose_batch(info, vals, bdims, *, permutation):
    x = moveaxis_to(vals[0], bdims[0], 0)
    return transpose_p.bind(x, permutation=(0,) + tuple(p + 1 for p in permutation)), 0


# --------------------------------------------------------------------------------------------
rev_p = Primitive("rev", weak=WEAK_FIRST)


def rev(x, dimensions):
    """Reverse the order of elements along each axis in ``dimensions``.

    Examples
    --------
    >>> lax.rev(tnp.arange(6).reshape(2, 3), (1,))
    Array([[2, 1, 0],
           [5, 4, 3]], dtype=int32)
    """
    return rev_p.bind(x, dimensions=tuple(sorted(int(d) for d in dimensions)))


@def_shape(rev_p)
def _rev_shape(x, *, dimensions):
    if any(not 0 <= d < x.ndim for d in dimensions):
        raise _shape_err("rev", f"dimensions {dimensions} out of range for {x.str_short()}")
    return x


def_linear(rev_p)


@def_vjp(rev_p, linear=True)
def _rev_vjp(ct, out, x, *, dimensions):
    return (rev(ct, dimensions),)


@def_batch(rev_p)
def _rev_batch(info, vals, bdims, *, dimensions):
    x = moveaxis_to(vals[0], bdims[0], 0)
    return rev_p.bind(x, dimensions=tuple(d + 1 for d in dimensions)), 0


# --------------------------------------------------------------------------------------------
slice_p = Primitive("slice", weak=WEAK_FIRST)


def slice(x, start_indices, limit_indices, strides=None):
    """The static slice ``x[start:limit:stride]`` along every axis.

    Examples
    --------
    >>> lax.slice(tnp.arange(10), (1,), (8,), (3,))
    Array([1, 4, 7], dtype=int32)
    >>> lax.slice(tnp.arange(12).reshape(3, 4), (0, 1), (2, 3))
    Array([[1, 2],
           [5, 6]], dtype=int32)
    """
    start = tuple(int(s) for s in start_indices)
    limit = tuple(int(s) for s in limit_indices)
    strides = None if strides is None else tuple(int(s) for s in strides)
    if strides is not None and all(s == 1 for s in strides):
        strides = None
    return slice_p.bind(x, start_indices=start, limit_indices=limit, strides=strides)


def slice_in_dim(x, start, limit, stride=1, axis=0):
    """The static slice ``start:limit:stride`` along one axis ``axis``.

    Examples
    --------
    >>> lax.slice_in_dim(tnp.arange(12).reshape(3, 4), 1, 4, stride=2, axis=1)
    Array([[ 1,  3],
           [ 5,  7],
           [ 9, 11]], dtype=int32)
    """
    s = [0] * x.ndim
    lim = list(x.shape)
    st = [1] * x.ndim
    s[axis], lim[axis], st[axis] = start, limit, stride
    return slice(x, s, lim, st)


@def_shape(slice_p)
def _slice_shape(x, *, start_indices, limit_indices, strides):
    st = strides or (1,) * x.ndim
    if not (len(start_indices) == len(limit_indices) == len(st) == x.ndim):
        raise _shape_err("slice", f"needs {x.ndim} start/limit/stride values for {x.str_short()}")
    shape = []
    for d, (a, b, s) in enumerate(zip(start_indices, limit_indices, st)):
        if not (0 <= a <= b <= x.shape[d]) or s < 1:
            raise _shape_err("slice", f"start {start_indices} limit {limit_indices} strides "
                             f"{strides} are out of bounds for {x.str_short()}")
        shape.append(-(-(b - a) // s))
    return AbstractArray(tuple(shape), x.dtype, x.weak_type)


def_linear(slice_p)


@def_vjp(slice_p, linear=True)
def _slice_vjp(ct, out, x, *, start_indices, limit_indices, strides):
    st = strides or (1,) * x.ndim
    cfg = []
    for d in range(x.ndim):
        lo = start_indices[d]
        n = ct.shape[d]
        used = lo + (n - 1) * st[d] + 1 if n else lo
        cfg.append((lo, x.shape[d] - used if n else x.shape[d] - lo, st[d] - 1 if n else 0))
    return (pad(ct, full((), 0, ct.dtype), cfg),)


@def_batch(slice_p)
def _slice_batch(info, vals, bdims, *, start_indices, limit_indices, strides):
    x = moveaxis_to(vals[0], bdims[0], 0)
    st = None if strides is None else (1,) + tuple(strides)
    return slice_p.bind(x, start_indices=(0,) + tuple(start_indices),
                        limit_indices=(info.size,) + tuple(limit_indices), strides=st), 0


# --------------------------------------------------------------------------------------------
pad_p = Primitive("pad", weak=WEAK_FIRST)


def pad(x, padding_value, padding_config):
    """Pad ``x`` with ``padding_value``, by one ``(low, high, interior)`` per axis.

    ``interior`` inserts that many values between neighbours; negative ``low``/``high`` crop.

    Examples
    --------
    >>> lax.pad(tnp.array([1, 2, 3]), 0, [(1, 2, 1)])
    Array([0, 1, 0, 2, 0, 3, 0, 0], dtype=int32)
    >>> lax.pad(tnp.array([1., 2., 3.]), -1., [(-1, 1, 0)])
    Array([ 2.,  3., -1.], dtype=float32)
    """
    cfg = tuple((int(lo), int(hi), int(i)) for lo, hi, i in padding_config)
    return pad_p.bind(x, padding_value, padding_config=cfg)


@def_shape(pad_p)
def _pad_shape(x, pv, *, padding_config):
    if pv.shape != () or pv.dtype != x.dtype:
        raise _shape_err("pad", f"padding value must be a scalar of {x.dtype}, got "
                         f"{pv.str_short()}")
    if len(padding_config) != x.ndim:
        raise _shape_err("pad", f"needs {x.ndim} (low, high, interior) triples for "
                         f"{x.str_short()}, got {len(padding_config)}")
    shape = []
    for n, (lo, hi, i) in zip(x.shape, padding_config):
        if i < 0:
            raise _shape_err("pad", "interior padding must be non-negative")
        m = lo + hi + n + max(n - 1, 0) * i
        if m < 0:
            raise _shape_err("pad", f"padding {padding_config} gives a negative size")
        shape.append(m)
    return AbstractArray(tuple(shape), x.dtype, x.weak_type)


def_linear(pad_p, nlinear=2)


@def_vjp(pad_p, linear=True)
def _pad_vjp(ct, out, x, pv, *, padding_config):
    from tensorlib._src.ops.reduce import reduce_sum

    unpadded = pad(ct, full((), 0, ct.dtype), [(-lo, -hi, 0) for lo, hi, _ in padding_config])
    ct_x = slice(unpadded, (0,) * x.ndim, unpadded.shape, [i + 1 for _, _, i in padding_config])
    all_axes = tuple(range(ct.ndim))
    ct_pv = sub(reduce_sum(ct, axes=all_axes), reduce_sum(ct_x, axes=all_axes))
    return ct_x, ct_pv


@def_batch(pad_p)
def _pad_batch(info, vals, bdims, *, padding_config):
    x, pv = vals
    cfg = ((0, 0, 0),) + tuple(padding_config)
    xb = bdim_at_front(x, bdims[0], info.size)
    if bdims[1] is None:
        return pad_p.bind(xb, pv, padding_config=cfg), 0
    # a batched padding value: pad with zeros, then fill the padding from a mask
    zero = full((), 0, get_aval(x).dtype)
    padded = pad_p.bind(xb, zero, padding_config=cfg)
    ones = full(get_aval(xb).shape, True, dtypes.bool_)
    mask = pad_p.bind(ones, full((), False, dtypes.bool_), padding_config=cfg)
    pvb = moveaxis_to(pv, bdims[1], 0)
    out_shape = get_aval(padded).shape
    pv_full = broadcast_in_dim(pvb, out_shape, (0,))
    return select_n(mask, pv_full, padded), 0


# --------------------------------------------------------------------------------------------
concatenate_p = Primitive("concatenate", weak=1)


def concatenate(operands, dimension: int):
    """Join ``operands`` (equal dtypes and shapes but along ``dimension``) along ``dimension``.

    Examples
    --------
    >>> lax.concatenate([tnp.array([1, 2]), tnp.array([3])], 0)
    Array([1, 2, 3], dtype=int32)
    >>> lax.concatenate([tnp.zeros((2, 1)), tnp.ones((2, 3))], 1).shape
    (2, 4)
    """
    operands = list(operands)
    if len(operands) == 1:
        return operands[0]
    return concatenate_p.bind(*operands, dimension=int(dimension))


@def_shape(concatenate_p)
def _concatenate_shape(*xs, dimension):
    if not xs:
        raise _shape_err("concatenate", "needs at least one operand")
    x0 = xs[0]
    if not 0 <= dimension < x0.ndim:
        raise _shape_err("concatenate", f"dimension {dimension} out of range for "
                         f"{x0.str_short()}")
    for i, x in enumerate(xs):
        same = x.ndim == x0.ndim and all(
            a == b for d, (a, b) in enumerate(zip(x.shape, x0.shape)) if d != dimension)
        if not same or x.dtype != x0.dtype:
            raise _shape_err("concatenate", f"operand {i} has {x.str_short()} but operand 0 "
                             f"has {x0.str_short()}; all must match except along "
                             f"dimension {dimension}")
    shape = list(x0.shape)
    shape[dimension] = sum(x.shape[dimension] for x in xs)
    return AbstractArray(tuple(shape), x0.dtype, all(x.weak_type for x in xs))


@def_jvp(concatenate_p)
def _concatenate_jvp(primals, tangents, *, dimension):
    out = concatenate(primals, dimension)
    if all(t is None for t in tangents):
        return out, None
    ts = [zeros_like(p) if t is None else t for p, t in zip(primals, tangents)]
    return out, concatenate(ts, dimension)


@def_vjp(concatenate_p)
def _concatenate_vjp(ct, out, *xs, dimension):
    cts, start = [], 0
    for x in xs:
        n = x.shape[dimension]
        cts.append(slice_in_dim(ct, start, start + n, axis=dimension))
        start += n
    return tuple(cts)


@def_batch(concatenate_p)
def _concatenate_batch(info, vals, bdims, *, dimension):
    xs = [bdim_at_front(v, b, info.size) for v, b in zip(vals, bdims)]
    return concatenate_p.bind(*xs, dimension=dimension + 1), 0


# --------------------------------------------------------------------------------------------
dynamic_slice_p = Primitive("dynamic_slice", weak=WEAK_FIRST)


def dynamic_slice(x, start_indices, slice_sizes):
    """``x[s0:s0+n0, ...]`` with start indices clamped so the slice fits (as in XLA).

    Examples
    --------
    >>> x = tnp.arange(12).reshape(3, 4)
    >>> lax.dynamic_slice(x, (1, 1), (2, 2))
    Array([[ 5,  6],
           [ 9, 10]], dtype=int32)
    >>> lax.dynamic_slice(tnp.arange(10), (8,), (4,))  # start clamped to 6
    Array([6, 7, 8, 9], dtype=int32)
    """
    starts = _starts(x, start_indices)
    sizes = tuple(int(s) for s in slice_sizes)
    # checked here too: the eager path skips shape rules, and a NumPy slice would shrink
    _dynamic_slice_shape(get_aval(x), *[get_aval(s) for s in starts], slice_sizes=sizes)
    return dynamic_slice_p.bind(x, *starts, slice_sizes=sizes)


def _starts(x, start_indices):
    """Start indices as integer scalars, a negative one counted from the end of its axis
    (once, as NumPy and JAX do) before the primitive clamps it."""
    shape = get_aval(x).shape
    if len(start_indices) != len(shape):  # the shape rule says so, naming the operation
        return [_index_scalar(s, None) for s in start_indices]
    return [_index_scalar(s, n) for s, n in zip(start_indices, shape)]


def _index_scalar(s, dim):
    if isinstance(s, Array):
        a = get_aval(s)
        if dim is None or a.shape != () or np.dtype(a.dtype).kind != "i":
            return s
        return select_n(lt(s, full((), 0, a.dtype)), s, add(s, full((), dim, a.dtype)))
    s = int(s)
    return full((), s + dim if dim is not None and s < 0 else s, dtypes.int32)


def _check_starts(op, x, starts):
    if len(starts) != x.ndim:
        raise _shape_err(op, f"needs {x.ndim} start indices for {x.str_short()}, got "
                         f"{len(starts)}")
    for s in starts:
        if s.shape != () or not dtypes.is_integer(s.dtype):
            raise _shape_err(op, f"start indices must be integer scalars, got {s.str_short()}")


@def_shape(dynamic_slice_p)
def _dynamic_slice_shape(x, *starts, slice_sizes):
    _check_starts("dynamic_slice", x, starts)
    if len(slice_sizes) != x.ndim or any(not 0 <= s <= n for s, n in zip(slice_sizes, x.shape)):
        raise _shape_err("dynamic_slice", f"slice_sizes {slice_sizes} do not fit "
                         f"{x.str_short()}")
    return AbstractArray(slice_sizes, x.dtype, x.weak_type)


@def_jvp(dynamic_slice_p)
def _dynamic_slice_jvp(primals, tangents, *, slice_sizes):
    x, *starts = primals
    out = dynamic_slice_p.bind(x, *starts, slice_sizes=slice_sizes)
    if tangents[0] is None:
        return out, None
    return out, dynamic_slice_p.bind(tangents[0], *starts, slice_sizes=slice_sizes)


@def_vjp(dynamic_slice_p)
def _dynamic_slice_vjp(ct, out, x, *starts, slice_sizes):
    return (dynamic_update_slice_p.bind(zeros_like(x), ct, *starts),) + (None,) * len(starts)


@def_batch(dynamic_slice_p)
def _dynamic_slice_batch(info, vals, bdims, *, slice_sizes):
    x, *starts = vals
    if all(b is None for b in bdims[1:]):
        xb = moveaxis_to(x, bdims[0], 0)
        zero = full((), 0, get_aval(starts[0]).dtype if starts else dtypes.int32)
        return dynamic_slice_p.bind(xb, zero, *starts,
                                    slice_sizes=(info.size,) + tuple(slice_sizes)), 0
    return loop_batch(dynamic_slice_p)(info, vals, bdims, slice_sizes=slice_sizes)


dynamic_update_slice_p = Primitive("dynamic_update_slice", weak=WEAK_FIRST)


def dynamic_update_slice(x, update, start_indices):
    """``x`` with ``update`` written at ``start_indices`` (traced values allowed).

    Start indices are clamped so that ``update`` fits, as in XLA.

    Examples
    --------
    >>> x = tnp.zeros(5, dtype=tnp.int32)
    >>> lax.dynamic_update_slice(x, tnp.array([7, 8]), (1,))
    Array([0, 7, 8, 0, 0], dtype=int32)
    >>> lax.dynamic_update_slice(x, tnp.array([7, 8]), (4,))  # start clamped to 3
    Array([0, 0, 0, 7, 8], dtype=int32)
    """
    starts = _starts(x, start_indices)
    return dynamic_update_slice_p.bind(x, update, *starts)


@def_shape(dynamic_update_slice_p)
def _dynamic_update_slice_shape(x, update, *starts):
    _check_starts("dynamic_update_slice", x, starts)
    if update.ndim != x.ndim or any(u > n for u, n in zip(update.shape, x.shape)):
        raise _shape_err("dynamic_update_slice", f"update {update.str_short()} does not fit "
                         f"in {x.str_short()}")
    if update.dtype != x.dtype:
        raise _shape_err("dynamic_update_slice", f"update {update.str_short()} and operand "
                         f"{x.str_short()} need one dtype")
    return x


@def_jvp(dynamic_update_slice_p)
def _dynamic_update_slice_jvp(primals, tangents):
    x, u, *starts = primals
    tx, tu = tangents[0], tangents[1]
    out = dynamic_update_slice_p.bind(x, u, *starts)
    if tx is None and tu is None:
        return out, None
    tx = zeros_like(x) if tx is None else tx
    tu = zeros_like(u) if tu is None else tu
    return out, dynamic_update_slice_p.bind(tx, tu, *starts)


@def_vjp(dynamic_update_slice_p)
def _dynamic_update_slice_vjp(ct, out, x, u, *starts):
    ct_x = dynamic_update_slice_p.bind(ct, zeros_like(u), *starts)
    ct_u = dynamic_slice_p.bind(ct, *starts, slice_sizes=u.shape)
    return (ct_x, ct_u) + (None,) * len(starts)


@def_batch(dynamic_update_slice_p)
def _dynamic_update_slice_batch(info, vals, bdims):
    x, u, *starts = vals
    if all(b is None for b in bdims[2:]):
        xb = bdim_at_front(x, bdims[0], info.size)
        ub = bdim_at_front(u, bdims[1], info.size)
        zero = full((), 0, get_aval(starts[0]).dtype if starts else dtypes.int32)
        return dynamic_update_slice_p.bind(xb, ub, zero, *starts), 0
    return loop_batch(dynamic_update_slice_p)(info, vals, bdims)


def expand_dims(x, dimensions):
    """Insert axes of size 1 at the positions ``dimensions`` of the result.

    Examples
    --------
    >>> lax.expand_dims(tnp.array([1, 2]), (0, 2)).shape
    (1, 2, 1)
    """
    shape = list(x.shape)
    for d in sorted(dimensions):
        shape.insert(d, 1)
    return reshape(x, shape)


def squeeze(x, dimensions):
    """Remove the axes ``dimensions`` (each of size 1; negative values count from the end).

    Examples
    --------
    >>> lax.squeeze(tnp.zeros((1, 3, 1)), (0, 2)).shape
    (3,)
    >>> lax.squeeze(tnp.array([[1, 2]]), (0,))
    Array([1, 2], dtype=int32)
    """
    dims = {d % x.ndim for d in dimensions}
    for d in dims:
        if x.shape[d] != 1:
            raise _shape_err("squeeze", f"cannot squeeze axis {d} of {x.aval.str_short()} "
                             f"(size {x.shape[d]}, not 1)")
    return reshape(x, [n for d, n in enumerate(x.shape) if d not in dims])


# --------------------------------------------------------------------------------------------
# helpers for batching rules (each primitive's rule lives beside it; these move batch axes)


def moveaxis_to(x, src, dst):
    """``x`` with axis ``src`` moved to position ``dst``."""
    if src == dst:
        return x
    perm = [d for d in range(get_aval(x).ndim) if d != src]
    perm.insert(dst, src)
    return transpose(x, perm)


def bdim_at_front(x, bdim, size):
    """``x`` with its batch axis at 0 (unbatched values are broadcast to ``size``)."""
    if bdim is None:
        aval = get_aval(x)
        return broadcast_in_dim(x, (size,) + tuple(aval.shape), tuple(range(1, aval.ndim + 1)))
    return moveaxis_to(x, bdim, 0)


def index_along(x, axis, i):
    """Element ``i`` of ``x`` along ``axis`` (that axis removed), from slice and reshape."""
    shape = get_aval(x).shape
    return reshape(slice_in_dim(x, i, i + 1, axis=axis),
                   tuple(n for d, n in enumerate(shape) if d != axis))


def stack_leading(xs):
    """Arrays of one shape and dtype stacked along a new leading axis."""
    return concatenate([reshape(x, (1,) + tuple(get_aval(x).shape)) for x in xs], 0)


def loop_batch(prim):
    """Fallback batching rule: run ``prim`` once per lane and stack the results (correct for
    any primitive, and as slow as a Python loop: for data-dependent cases only)."""
    stack = stack_leading

    def rule(info, vals, bdims, **params):
        lanes = []
        for i in range(info.size):
            args = [v if b is None else index_along(v, b, i) for v, b in zip(vals, bdims)]
            lanes.append(prim.bind(*args, **params))
        if prim.multiple_results:
            return [stack([lane[k] for lane in lanes]) for k in range(len(lanes[0]))], \
                [0] * len(lanes[0])
        return stack(lanes), 0

    return rule


def elementwise_batch_rule(prim):
    """The batching rule of an elementwise primitive (operands of one shape): line every
    operand's batch axis up at the first batched operand's (unbatched ones are broadcast)."""

    def rule(info, vals, bdims, **params):
        bd = next(b for b in bdims if b is not None)
        lined = []
        for v, b in zip(vals, bdims):
            if b is None:
                aval = get_aval(v)
                shape = list(aval.shape)
                shape.insert(bd, info.size)
                v = broadcast_in_dim(v, shape,
                                     [d if d < bd else d + 1 for d in range(aval.ndim)])
            elif b != bd:
                v = moveaxis_to(v, b, bd)
            lined.append(v)
        return prim.bind(*lined, **params), bd

    rule.__name__ = f"_{prim.name}_batch"
    return rule
