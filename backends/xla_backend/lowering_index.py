"""Lowerings of argmax/argmin, cumulative ops, gather, scatter and sort."""

from __future__ import annotations

import numpy as np
from tensorlib.backends.xla_backend.lowering_core import highest, lowest, reduce_with, register
from tensorlib.backends.xla_backend.mlir import i64_array, int_list

from tensorlib._src import dtypes
from tensorlib._src.ops import index as ix
from tensorlib._src.ops import reduce as rd


def _has_nan(dt):
    return dtypes.is_inexact(dt)


# --------------------------------------------------------------------------------------------
# argmax / argmin: a variadic reduce over (value, index) pairs


def _arg_rule(direction, init_fn):
    def rule(em, args, outs, *, axes, index_dtype):
        (x,) = args
        if dtypes.is_bool(x.dtype):
            x = em.convert(x, np.int8)
        axis = axes[0]
        idx = em.iota(x.shape, index_dtype, axis)

        def body(sub, accs, elems):
            (a, ia), (b, ib) = accs, elems
            better = sub.compare(a, b, direction)
            tie = sub.compare(a, b, "EQ")
            if _has_nan(a.dtype):
                na, nb = sub.isnan(a), sub.isnan(b)
                # NaN wins (the first NaN, as NumPy and JAX)
                better = sub.bin("stablehlo.or", better,
                                 sub.bin("stablehlo.and", na, sub.un("stablehlo.not", nb)))
                tie = sub.bin("stablehlo.or", tie, sub.bin("stablehlo.and", na, nb))
            first = sub.bin("stablehlo.and", tie, sub.compare(ia, ib, "LT"))
            pick_a = sub.bin("stablehlo.or", better, first)
            return [sub.select(pick_a, a, b), sub.select(pick_a, ia, ib)]

        _, r = em.reduce([x, idx], [em.const(init_fn(x.dtype), x.dtype),
                                    em.const(0, index_dtype)], (axis,), body)
        return r

    return rule


register(rd.argmax_p)(_arg_rule("GT", lowest))
register(rd.argmin_p)(_arg_rule("LT", highest))


# --------------------------------------------------------------------------------------------
# cumulative ops: a log-depth associative scan of slices, pads and selects (XLA's CPU
# reduce_window would take O(n^2) work for a full-length window)

_CUM_OPS = {rd.cumsum_p: "stablehlo.add", rd.cumprod_p: "stablehlo.multiply",
            rd.cummax_p: "stablehlo.maximum", rd.cummin_p: "stablehlo.minimum"}
_BOOL_OPS = {"stablehlo.add": "stablehlo.or", "stablehlo.multiply": "stablehlo.and",
             "stablehlo.maximum": "stablehlo.or", "stablehlo.minimum": "stablehlo.and"}


def _interleave(em, even, odd, axis):
    """out[2k] = even[k], out[2k+1] = odd[k] along ``axis``."""
    ne, no = even.shape[axis], odd.shape[axis]
    zero = em.const(0, even.dtype)
    nd = even.ndim
    lo0, hi0, in0 = [0] * nd, [0] * nd, [0] * nd
    in0[axis] = 1
    hi0[axis] = 1 if ne == no else 0
    pe = em.pad(even, zero, lo0, hi0, in0)
    lo1, hi1 = [0] * nd, [0] * nd
    lo1[axis] = 1
    hi1[axis] = 0 if ne == no else 1
    po = em.pad(odd, zero, lo1, hi1, in0)
    pos = em.iota(pe.shape, np.int32, axis)
    parity = em.bin("stablehlo.and", pos, em.full_like(pos, 1))
    return em.select(em.compare(parity, em.full_like(pos, 0), "EQ"), pe, po)


def associative_scan(em, x, axis, opname):
    n = x.shape[axis]
    if n < 2:
        return x
    a = em.slice_axis(x, axis, 0, n - 1, 2)
    b = em.slice_axis(x, axis, 1, n, 2)
    odd = associative_scan(em, em.bin(opname, a, b), axis, opname)
    rest = em.slice_axis(x, axis, 2, n, 2)
    if n % 2 == 0:
        prev = em.slice_axis(odd, axis, 0, odd.shape[axis] - 1)
    else:
        prev = odd
    if rest.shape[axis]:
        even = em.concat([em.slice_axis(x, axis, 0, 1), em.bin(opname, prev, rest)], axis)
    else:
        even = em.slice_axis(x, axis, 0, 1)
    return _interleave(em, even, odd, axis)


def _cum_rule(opname):
    def rule(em, args, outs, *, axis, reverse):
        (x,) = args
        name = _BOOL_OPS[opname] if dtypes.is_bool(x.dtype) else opname
        if x.shape[axis] < 2:
            return x
        if reverse:
            x = em.op1("stablehlo.reverse", [x], x.shape, x.dtype,
                       f"dimensions = {i64_array([axis])}")
        y = associative_scan(em, x, axis, name)
        if reverse:
            y = em.op1("stablehlo.reverse", [y], y.shape, y.dtype,
                       f"dimensions = {i64_array([axis])}")
        return y

    return rule


for _p, _name in _CUM_OPS.items():
    register(_p)(_cum_rule(_name))


# --------------------------------------------------------------------------------------------
# gather / scatter with tensorlib's simple semantics: index vectors in the last axis of idx
# address the axes ``dims``; the other axes are taken whole.


def _kept_dims(x, dims):
    return [d for d in range(x.ndim) if d not in dims]


def _in_bounds(em, x, idx, dims):
    """Bool of shape idx.shape[:-1]: every component of the index vector is in range."""
    sizes = np.array([x.shape[d] for d in dims], dtype=idx.dtype)
    hi = em.broadcast(em.const(sizes, idx.dtype, sizes.shape), idx.shape, (idx.ndim - 1,))
    ok = em.compare(idx, hi, "LT")
    if idx.dtype.kind == "i":
        ok = em.bin("stablehlo.and", ok, em.compare(idx, em.full_like(idx, 0), "GE"))
    return reduce_with(em, ok, (idx.ndim - 1,), "stablehlo.and", True)


@register(ix.gather_p)
def _gather_lower(em, args, outs, *, dims, mode):
    x, idx = args
    out = outs[0]
    if out.size == 0 or any(x.shape[d] == 0 for d in dims):
        return em.full(0, out.shape, out.dtype)  # XLA rejects slices of an empty axis
    q = idx.ndim
    kept = _kept_dims(x, dims)
    fields = []
    offset = [q - 1 + j for j in range(len(kept))]
    if offset:
        fields.append(f"offset_dims = {int_list(offset)}")
    if dims:
        fields.append(f"collapsed_slice_dims = {int_list(sorted(dims))}")
        fields.append(f"start_index_map = {int_list(dims)}")
    fields.append(f"index_vector_dim = {q - 1}")
    sizes = [1 if d in dims else x.shape[d] for d in range(x.ndim)]
    attrs = (f"dimension_numbers = #stablehlo.gather<{', '.join(fields)}>, "
             f"indices_are_sorted = false, slice_sizes = {i64_array(sizes)}")
    r = em.op1("stablehlo.gather", [x, idx], out.shape, x.dtype, attrs)
    if mode == "fill" and dims:
        ok = _in_bounds(em, x, idx, dims)
        ok = em.broadcast(ok, out.shape, tuple(range(q - 1)))
        r = em.select(ok, r, em.full_like(r, 0))
    return r


_SCATTER_OPS = {"add": "stablehlo.add", "mul": "stablehlo.multiply", "min": "stablehlo.minimum",
                "max": "stablehlo.maximum"}


@register(ix.scatter_p)
def _scatter_lower(em, args, outs, *, dims, mode):
    x, idx, upd = args
    if x.size == 0 or upd.size == 0:
        return x
    q = idx.ndim
    kept = _kept_dims(x, dims)
    fields = []
    window = [q - 1 + j for j in range(len(kept))]
    if window:
        fields.append(f"update_window_dims = {int_list(window)}")
    if dims:
        fields.append(f"inserted_window_dims = {int_list(sorted(dims))}")
        fields.append(f"scatter_dims_to_operand_dims = {int_list(dims)}")
    fields.append(f"index_vector_dim = {q - 1}")
    op = _SCATTER_OPS.get(mode)
    if op is not None and dtypes.is_bool(x.dtype):
        op = _BOOL_OPS[op]

    def body(sub, a):
        if op is None:  # "set": the update replaces the value
            return [a[1]]
        return [sub.bin(op, a[0], a[1])]

    region = em.region([((), x.dtype), ((), x.dtype)], body)
    attrs = (f"indices_are_sorted = false, scatter_dimension_numbers = "
             f"#stablehlo.scatter<{', '.join(fields)}>, unique_indices = false")
    # out-of-bounds updates: XLA skips a window that does not fit, as tensorlib specifies
    return em.op1("stablehlo.scatter", [x, idx, upd], x.shape, x.dtype, attrs, [region])


# --------------------------------------------------------------------------------------------
# sort: NumPy's order (NaNs last, -0.0 == 0.0), stable, lexicographic over num_keys


def _less(sub, a, b):
    """Strict weak order a < b of NumPy's sort for one key."""
    if dtypes.is_complex(a.dtype):
        rdt = dtypes.float64 if a.dtype == dtypes.complex128 else dtypes.float32
        ar, br = (sub.op1("stablehlo.real", [v], (), rdt) for v in (a, b))
        ai, bi = (sub.op1("stablehlo.imag", [v], (), rdt) for v in (a, b))
        lt_r, lt_i = _less(sub, ar, br), _less(sub, ai, bi)
        eq_r = sub.un("stablehlo.not", sub.bin("stablehlo.or", lt_r, _less(sub, br, ar)))
        return sub.bin("stablehlo.or", lt_r, sub.bin("stablehlo.and", eq_r, lt_i))
    if dtypes.is_bool(a.dtype):
        a, b = sub.convert(a, np.int8), sub.convert(b, np.int8)
    lt = sub.compare(a, b, "LT")
    if _has_nan(a.dtype):
        nan_b_only = sub.bin("stablehlo.and", sub.un("stablehlo.not", sub.isnan(a)),
                             sub.isnan(b))
        lt = sub.bin("stablehlo.or", lt, nan_b_only)
    return lt


@register(ix.sort_p)
def _sort_lower(em, args, outs, *, dimension, is_stable, num_keys):
    n = len(args)

    def body(sub, a):
        pairs = [(a[2 * k], a[2 * k + 1]) for k in range(num_keys)]
        res = None
        for x, y in reversed(pairs):
            lt = _less(sub, x, y)
            if res is None:
                res = lt
            else:
                eq = sub.un("stablehlo.not", sub.bin("stablehlo.or", lt, _less(sub, y, x)))
                res = sub.bin("stablehlo.or", lt, sub.bin("stablehlo.and", eq, res))
        return [res]

    types = []
    for v in args:
        types += [((), v.dtype), ((), v.dtype)]
    region = em.region(types, body)
    return em.op("stablehlo.sort", list(args), [(v.shape, v.dtype) for v in args][:n],
                 f"dimension = {dimension} : i64, is_stable = true", [region])
