"""Batching rules of the core primitives (``vmap``).

A rule is ``fn(info, vals, bdims, **params) -> (out, out_bdim)`` where ``info.size`` is the
batch size and a ``bdim`` of None means "not batched". Family helpers cover elementwise ops,
reductions and axis-parameterized ops; the rest are written out.
"""

from __future__ import annotations

from tensorlib._src import dtypes
from tensorlib._src.core import get_aval
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops import index as ix
from tensorlib._src.ops import reduce as rd
from tensorlib._src.ops import shape as sh
from tensorlib._src.rules import batch_rules, def_batch
from tensorlib._src.transforms.batching import bdim_at_front, index_along, moveaxis_to


def _ndim(x):
    return get_aval(x).ndim


def _elementwise(info, vals, bdims, **params):
    """Line every operand's batch axis up at the first batched operand's axis."""
    prim = params.pop("_prim")
    bd = next(b for b in bdims if b is not None)
    lined = []
    for v, b in zip(vals, bdims):
        if b is None:
            aval = get_aval(v)
            shape = list(aval.shape)
            shape.insert(bd, info.size)
            v = sh.broadcast_in_dim(v, shape, [d if d < bd else d + 1 for d in range(aval.ndim)])
        elif b != bd:
            v = moveaxis_to(v, b, bd)
        lined.append(v)
    return prim.bind(*lined, **params), bd


def def_elementwise_batch(prim):
    def rule(info, vals, bdims, **params):
        return _elementwise(info, vals, bdims, _prim=prim, **params)

    batch_rules[prim] = rule


_ELEMENTWISE = [
    ew.neg_p, ew.sign_p, ew.floor_p, ew.ceil_p, ew.round_p, ew.is_finite_p, ew.exp_p,
    ew.exp2_p, ew.log_p, ew.expm1_p, ew.log1p_p, ew.tanh_p, ew.logistic_p, ew.sin_p,
    ew.cos_p, ew.tan_p, ew.asin_p, ew.acos_p, ew.atan_p, ew.sinh_p, ew.cosh_p, ew.asinh_p,
    ew.acosh_p, ew.atanh_p, ew.sqrt_p, ew.rsqrt_p, ew.cbrt_p, ew.abs_p, ew.erf_p, ew.erfc_p,
    ew.erf_inv_p, ew.not_p, ew.integer_pow_p, ew.real_p, ew.imag_p, ew.conj_p,
    ew.add_p, ew.sub_p, ew.mul_p, ew.div_p, ew.rem_p, ew.pow_p, ew.max_p, ew.min_p,
    ew.atan2_p, ew.nextafter_p, ew.and_p, ew.or_p, ew.xor_p, ew.shift_left_p,
    ew.shift_right_arithmetic_p, ew.shift_right_logical_p, ew.eq_p, ew.ne_p, ew.lt_p,
    ew.le_p, ew.gt_p, ew.ge_p, ew.select_n_p, ew.convert_element_type_p,
    ew.bitcast_convert_type_p,
]
for _p in _ELEMENTWISE:
    def_elementwise_batch(_p)


# --------------------------------------------------------------------------------------------
# shape ops


@def_batch(sh.broadcast_in_dim_p)
def _broadcast_in_dim_batch(info, vals, bdims, *, shape, broadcast_dimensions):
    x = moveaxis_to(vals[0], bdims[0], 0)
    return sh.broadcast_in_dim_p.bind(
        x, shape=(info.size,) + tuple(shape),
        broadcast_dimensions=(0,) + tuple(d + 1 for d in broadcast_dimensions)), 0


@def_batch(sh.reshape_p)
def _reshape_batch(info, vals, bdims, *, new_sizes):
    x = moveaxis_to(vals[0], bdims[0], 0)
    return sh.reshape_p.bind(x, new_sizes=(info.size,) + tuple(new_sizes)), 0


@def_batch(sh.transpose_p)
def _transpose_batch(info, vals, bdims, *, permutation):
    x = moveaxis_to(vals[0], bdims[0], 0)
    return sh.transpose_p.bind(x, permutation=(0,) + tuple(p + 1 for p in permutation)), 0


@def_batch(sh.rev_p)
def _rev_batch(info, vals, bdims, *, dimensions):
    x = moveaxis_to(vals[0], bdims[0], 0)
    return sh.rev_p.bind(x, dimensions=tuple(d + 1 for d in dimensions)), 0


@def_batch(sh.slice_p)
def _slice_batch(info, vals, bdims, *, start_indices, limit_indices, strides):
    x = moveaxis_to(vals[0], bdims[0], 0)
    st = None if strides is None else (1,) + tuple(strides)
    return sh.slice_p.bind(x, start_indices=(0,) + tuple(start_indices),
                           limit_indices=(info.size,) + tuple(limit_indices), strides=st), 0


@def_batch(sh.pad_p)
def _pad_batch(info, vals, bdims, *, padding_config):
    x, pv = vals
    cfg = ((0, 0, 0),) + tuple(padding_config)
    xb = bdim_at_front(x, bdims[0], info.size)
    if bdims[1] is None:
        return sh.pad_p.bind(xb, pv, padding_config=cfg), 0
    # a batched padding value: pad with zeros, then fill the padding from a mask
    zero = ew.full((), 0, get_aval(x).dtype)
    padded = sh.pad_p.bind(xb, zero, padding_config=cfg)
    ones = ew.full(get_aval(xb).shape, True, dtypes.bool_)
    mask = sh.pad_p.bind(ones, ew.full((), False, dtypes.bool_), padding_config=cfg)
    pvb = moveaxis_to(pv, bdims[1], 0)
    out_shape = get_aval(padded).shape
    pv_full = sh.broadcast_in_dim(pvb, out_shape, (0,))
    return ew.select_n(mask, pv_full, padded), 0


@def_batch(sh.concatenate_p)
def _concatenate_batch(info, vals, bdims, *, dimension):
    xs = [bdim_at_front(v, b, info.size) for v, b in zip(vals, bdims)]
    return sh.concatenate_p.bind(*xs, dimension=dimension + 1), 0


def _loop_batch(prim):
    """Fallback: run the primitive once per lane and stack (correct for any primitive)."""

    def rule(info, vals, bdims, **params):
        from tensorlib._src.numpy.shape_ops import stack

        lanes = []
        for i in range(info.size):
            args = [v if b is None else index_along(v, b, i) for v, b in zip(vals, bdims)]
            lanes.append(prim.bind(*args, **params))
        if prim.multiple_results:
            return [stack([lane[k] for lane in lanes]) for k in range(len(lanes[0]))], \
                [0] * len(lanes[0])
        return stack(lanes), 0

    return rule


@def_batch(sh.dynamic_slice_p)
def _dynamic_slice_batch(info, vals, bdims, *, slice_sizes):
    x, *starts = vals
    if all(b is None for b in bdims[1:]):
        xb = moveaxis_to(x, bdims[0], 0)
        zero = ew.full((), 0, get_aval(starts[0]).dtype if starts else dtypes.int32)
        return sh.dynamic_slice_p.bind(xb, zero, *starts,
                                       slice_sizes=(info.size,) + tuple(slice_sizes)), 0
    return _loop_batch(sh.dynamic_slice_p)(info, vals, bdims, slice_sizes=slice_sizes)


@def_batch(sh.dynamic_update_slice_p)
def _dynamic_update_slice_batch(info, vals, bdims):
    x, u, *starts = vals
    if all(b is None for b in bdims[2:]):
        xb = bdim_at_front(x, bdims[0], info.size)
        ub = bdim_at_front(u, bdims[1], info.size)
        zero = ew.full((), 0, get_aval(starts[0]).dtype if starts else dtypes.int32)
        return sh.dynamic_update_slice_p.bind(xb, ub, zero, *starts), 0
    return _loop_batch(sh.dynamic_update_slice_p)(info, vals, bdims)


# --------------------------------------------------------------------------------------------
# reductions, cumulative ops, dot_general


def _axes_batch(prim, param):
    def rule(info, vals, bdims, **params):
        x = moveaxis_to(vals[0], bdims[0], 0)
        p = params[param]
        params[param] = tuple(a + 1 for a in p) if isinstance(p, tuple) else p + 1
        return prim.bind(x, **params), 0

    batch_rules[prim] = rule


for _p in (rd.reduce_sum_p, rd.reduce_max_p, rd.reduce_min_p, rd.reduce_prod_p,
           rd.reduce_and_p, rd.reduce_or_p, rd.argmax_p, rd.argmin_p):
    _axes_batch(_p, "axes")
for _p in (rd.cumsum_p, rd.cumprod_p, rd.cummax_p, rd.cummin_p):
    _axes_batch(_p, "axis")


@def_batch(rd.dot_general_p)
def _dot_general_batch(info, vals, bdims, *, dimension_numbers, preferred_element_type):
    x, y = vals
    bx, by = bdims
    (lc, rc), (lb, rb) = dimension_numbers
    sh1 = lambda t: tuple(d + 1 for d in t)  # noqa: E731
    if bx is not None and by is not None:
        x, y = moveaxis_to(x, bx, 0), moveaxis_to(y, by, 0)
        dn = ((sh1(lc), sh1(rc)), ((0,) + sh1(lb), (0,) + sh1(rb)))
        return rd.dot_general_p.bind(x, y, dimension_numbers=dn,
                                     preferred_element_type=preferred_element_type), 0
    if bx is not None:
        x = moveaxis_to(x, bx, 0)
        dn = ((sh1(lc), rc), (sh1(lb), rb))
        out = rd.dot_general_p.bind(x, y, dimension_numbers=dn,
                                    preferred_element_type=preferred_element_type)
        return out, len(lb)
    y = moveaxis_to(y, by, 0)
    dn = ((lc, sh1(rc)), (lb, sh1(rb)))
    out = rd.dot_general_p.bind(x, y, dimension_numbers=dn,
                                preferred_element_type=preferred_element_type)
    n_lhs_free = _ndim(x) - len(lc) - len(lb)
    return out, len(lb) + n_lhs_free


# --------------------------------------------------------------------------------------------
# gather, scatter, sort


def _with_batch_index(idx, size):
    """Prepend an iota column (the lane number) to batched index vectors (batch axis 0)."""
    aval = get_aval(idx)
    lane = sh.broadcasted_iota(aval.dtype, tuple(aval.shape[:-1]) + (1,), 0)
    return sh.concatenate_p.bind(lane, idx, dimension=aval.ndim - 1)


@def_batch(ix.gather_p)
def _gather_batch(info, vals, bdims, *, dims, mode):
    x, idx = vals
    bx, bi = bdims
    if bi is None:
        x = moveaxis_to(x, bx, 0)
        out = ix.gather_p.bind(x, idx, dims=tuple(d + 1 for d in dims), mode=mode)
        return out, _ndim(idx) - 1
    idx = moveaxis_to(idx, bi, 0)
    if bx is None:
        return ix.gather_p.bind(x, idx, dims=dims, mode=mode), 0
    x = moveaxis_to(x, bx, 0)
    idx = _with_batch_index(idx, info.size)
    return ix.gather_p.bind(x, idx, dims=(0,) + tuple(d + 1 for d in dims), mode=mode), 0


@def_batch(ix.scatter_p)
def _scatter_batch(info, vals, bdims, *, dims, mode):
    x, idx, upd = vals
    bx, bi, bu = bdims
    if bi is None and bu is None:
        x = moveaxis_to(x, bx, 0)
        # the batch axis is an un-indexed axis of x: updates need it too (at its position)
        n_idx_batch = _ndim(idx) - 1
        upd_b = _ndim(upd)
        u_shape = get_aval(upd).shape
        new_u_shape = tuple(u_shape[:n_idx_batch]) + (info.size,) + tuple(u_shape[n_idx_batch:])
        dims_map = tuple(range(n_idx_batch)) + tuple(range(n_idx_batch + 1, upd_b + 1))
        upd = sh.broadcast_in_dim(upd, new_u_shape, dims_map)
        return ix.scatter_p.bind(x, idx, upd, dims=tuple(d + 1 for d in dims), mode=mode), 0
    x = bdim_at_front(x, bx, info.size)
    idx = bdim_at_front(idx, bi, info.size)
    upd_full = bdim_at_front(upd, bu, info.size)
    idx = _with_batch_index(idx, info.size)
    return ix.scatter_p.bind(x, idx, upd_full, dims=(0,) + tuple(d + 1 for d in dims),
                             mode=mode), 0


@def_batch(ix.sort_p)
def _sort_batch(info, vals, bdims, *, dimension, is_stable, num_keys):
    xs = [bdim_at_front(v, b, info.size) for v, b in zip(vals, bdims)]
    outs = ix.sort_p.bind(*xs, dimension=dimension + 1, is_stable=is_stable, num_keys=num_keys)
    return outs, [0] * len(outs)


def batch_leading(prim):
    """Rule for primitives that already map over leading axes (linalg, fft): batch at 0."""

    def rule(info, vals, bdims, **params):
        xs = [bdim_at_front(v, b, info.size) for v, b in zip(vals, bdims)]
        out = prim.bind(*xs, **params)
        return (out, [0] * len(out)) if prim.multiple_results else (out, 0)

    batch_rules[prim] = rule
    return rule



# --------------------------------------------------------------------------------------------
# higher-order primitives: run their bodies on the batch tracers, or batch them structurally


def _inline_batch(prim, impl=None):
    """The body runs on BatchTracers: its operations are batched one by one."""

    def rule(info, vals, bdims, **params):
        from tensorlib._src.transforms.batching import BatchTrace, BatchTracer

        trace = _current_batch_trace(info)
        tracers = [BatchTracer(trace, v, b) for v, b in zip(vals, bdims)]
        outs = (impl or prim.impl)(*tracers, **params)
        outs_l = outs if prim.multiple_results else [outs]
        res = [trace.full_raise(o) for o in outs_l]
        vals_out = [r.val for r in res]
        bds = [r.bdim for r in res]
        assert isinstance(trace, BatchTrace)
        return (vals_out, bds) if prim.multiple_results else (vals_out[0], bds[0])

    batch_rules[prim] = rule


def _current_batch_trace(info):
    from tensorlib._src.core import _tls
    from tensorlib._src.transforms.batching import BatchTrace

    for t in reversed(_tls.stack):
        if isinstance(t, BatchTrace) and t.payload is info:
            return t
    raise RuntimeError("no active vmap for this batching rule")


def _register_higher_order():
    from tensorlib._src import api, debug
    from tensorlib._src.transforms import jit

    def_elementwise_batch(api.stop_gradient_p)
    _inline_batch(jit.jit_call_p, lambda *a, exe, name: _eval_exe_graph(exe, a))
    _inline_batch(debug.debug_print_p)


def _eval_exe_graph(exe, args):
    from tensorlib._src.ir import eval_graph

    return eval_graph(exe.graph, exe.graph.consts, list(args))


_register_higher_order()
