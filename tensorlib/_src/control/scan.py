"""``scan`` (and ``map``, ``fori_loop`` with static bounds): one primitive holding its body.

The equation: inputs ``consts, init_carry, xs``; outputs ``final_carry, stacked ys``; params
``graph`` (the body, traced once at the call), ``num_consts``, ``num_carry``, ``length``,
``reverse``, ``unroll``. Every rule below maps the body graph to a new graph; none unrolls:
``grad(scan)`` is one forward scan that also stacks the residuals its backward half needs,
and one reverse scan of the transposed body.
"""

from __future__ import annotations

from tensorlib._src.control.graphs import (
    batch_fixed_point,
    call,
    differentiable,
    error,
    jvp_graph,
    python_mode,
    stage,
    tangent_aval,
    trace_closed,
    used_inputs,
    vjp_split,
    zeros,
)
from tensorlib._src.core import WEAK_RULE, AbstractArray, Primitive, asarray
from tensorlib._src.ir import Graph
from tensorlib._src.passes import dce, def_dce, def_no_fold, invariant_ids
from tensorlib._src.rules import def_batch, def_jvp, def_shape, def_vjp, def_vjp_fwd
from tensorlib._src.tree_util import tree_flatten, tree_flatten_with_path, tree_unflatten
from tensorlib.errors import ShapeError

scan_p = Primitive("scan", multiple_results=True, weak=WEAK_RULE)
def_no_fold(scan_p)


def _paths(tree):
    from tensorlib._src.pytree_keys import keystr

    return [keystr(p) or "carry" for p, _ in tree_flatten_with_path(tree)[0]]


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """Loop ``carry, y = f(carry, x)`` over the leading axis of ``xs``; returns (carry, ys).

    ``f`` is traced once, at the call, into a graph; the loop never re-runs the Python.

    Examples
    --------
    >>> import tensorlib as tl, tensorlib.numpy as tnp
    >>> c, ys = tl.lax.scan(lambda c, x: (c + x, c * x), 0.0, tnp.arange(3.0))
    >>> float(c), ys.tolist()
    (3.0, [0.0, 0.0, 2.0])
    """
    xs_flat, xs_tree = tree_flatten(xs)
    xs_flat = [asarray(x) for x in xs_flat]
    n = _scan_length(xs, xs_flat, length)
    if python_mode() and n:
        return _scan_python(f, init, xs_flat, xs_tree, n, reverse)
    carry_flat, carry_tree = tree_flatten(init)
    carry_flat = [asarray(c) for c in carry_flat]
    nc, nx = len(carry_flat), len(xs_flat)
    box = []

    def body(*leaves):
        c = tree_unflatten(carry_tree, list(leaves[:nc]))
        x = tree_unflatten(xs_tree, list(leaves[nc:nc + nx]))
        out = f(c, x)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise error("scan: f must return a pair (new_carry, y), got "
                                   f"{type(out).__name__}")
        new_c, y = out
        c_leaves, c_tree = tree_flatten(new_c)
        if c_tree != carry_tree:
            raise error(f"scan: f changes the carry structure from {carry_tree} "
                                   f"to {c_tree}; return a carry of the same structure as init")
        y_leaves, y_tree = tree_flatten(y)
        box.append(y_tree)
        return list(c_leaves) + list(y_leaves)

    c_avals = [c.aval for c in carry_flat]
    x_avals = [AbstractArray(x.shape[1:], x.dtype, x.weak_type) for x in xs_flat]
    graph, consts = trace_closed(body, c_avals + x_avals, name="scan body")
    out_c = graph.out_avals[:nc]
    _check_carry("scan", "f", init, c_avals, out_c)
    ys_weak = [a.weak_type for a in graph.out_avals[nc:]]
    if any(a.weak_type and not b.weak_type for a, b in zip(c_avals, out_c)):
        # A weakly typed init that the body makes strong: the carry is strong (as in JAX)
        c_avals = [a.update(weak_type=a.weak_type and b.weak_type)
                   for a, b in zip(c_avals, out_c)]
        carry_flat = [_strong(c) if not a.weak_type else c for c, a in zip(carry_flat, c_avals)]
        graph, consts = trace_closed(body, c_avals + x_avals, name="scan body")
    outs = scan_p.bind(*consts, *carry_flat, *xs_flat, graph=graph, num_consts=len(consts),
                       num_carry=nc, length=n, reverse=bool(reverse),
                       unroll=_unroll(unroll, n))
    # ys are typed by the body traced with the initial carry (JAX's rule)
    ys = [_weak(y) if w and not y.weak_type else y for y, w in zip(outs[nc:], ys_weak)]
    return tree_unflatten(carry_tree, list(outs[:nc])), tree_unflatten(box[-1], ys)


def _weak(x):
    from tensorlib._src.ops.elementwise import convert_element_type

    return convert_element_type(x, x.dtype, weak_type=True)


def _scan_python(f, init, xs_flat, xs_tree, n, reverse):
    """``scan`` as a Python loop on concrete values (``python_mode``: under disable_jit)."""
    from tensorlib._src.ops.shape import stack_leading as stack

    carry_tree = tree_flatten(init)[1]
    carry, ys = init, []
    for i in (range(n - 1, -1, -1) if reverse else range(n)):
        out = f(carry, tree_unflatten(xs_tree, [x[i] for x in xs_flat]))
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise error("scan: f must return a pair (new_carry, y), got "
                        f"{type(out).__name__}")
        carry, y = out
        if tree_flatten(carry)[1] != carry_tree:
            raise error(f"scan: f changes the carry structure from {carry_tree} to "
                        f"{tree_flatten(carry)[1]}; return a carry of the same structure as init")
        ys.append(y)
    if reverse:
        ys.reverse()
    leaves = [tree_flatten(y)[0] for y in ys]
    stacked = [stack([asarray(v[k]) for v in leaves]) for k in range(len(leaves[0]))]
    return carry, tree_unflatten(tree_flatten(ys[0])[1], stacked)


def _strong(x):
    from tensorlib._src.ops.elementwise import convert_element_type

    return convert_element_type(x, x.dtype, weak_type=False)


def _unroll(unroll, n):
    if unroll is True:
        return max(n, 1)
    if unroll is False:
        return 1
    u = int(unroll)
    if u < 1:
        raise ValueError(f"scan: unroll must be a positive int or a bool, got {unroll!r}")
    return u


def _scan_length(xs, xs_flat, length):
    lengths = {}
    paths = _paths(xs) if xs_flat else []
    for p, x in zip(paths, xs_flat):
        if x.ndim == 0:
            raise ShapeError(f"scan: xs leaf xs{p} is a scalar {x.aval.str_short()}; every "
                             "leaf of xs needs a leading axis to scan over")
        lengths.setdefault(x.shape[0], []).append(f"xs{p}: {x.aval.str_short()}")
    if length is not None:
        lengths.setdefault(int(length), []).append(f"length={int(length)}")
    if len(lengths) > 1:
        desc = "; ".join(", ".join(v) for v in lengths.values())
        raise ShapeError(f"scan: the leaves of xs have different leading lengths ({desc}); "
                         "they must all have the same leading axis size (and match length) "
                         f"(at {_where()})")
    if not lengths:
        raise ShapeError("scan: give xs or length (with xs=None, length says how many steps)")
    return next(iter(lengths))


def _where():
    from tensorlib._src.errors_util import user_frame

    return user_frame()


def _check_carry(op, fn_name, init, before, after):
    paths = _paths(init)
    for p, a, b in zip(paths, before, after):
        if a.shape != b.shape or a.dtype != b.dtype:
            raise error(
                f"{op}: {fn_name} changes the carry: input carry{p if p != 'carry' else ''} "
                f"is {a.str_short()} but {fn_name} returns {b.str_short()}. The carry must "
                f"keep its shape and dtype (cast with .astype or build init with that type)")


# --------------------------------------------------------------------------------------------
# rules


@def_shape(scan_p)
def _scan_shape(*avals, graph, num_consts, num_carry, length, reverse, unroll):
    outs = graph.out_avals
    return list(outs[:num_carry]) + [
        AbstractArray((length,) + tuple(a.shape), a.dtype, a.weak_type)
        for a in outs[num_carry:]]


def _permute(graph, in_perm, out_perm):
    return Graph(graph.constvars, graph.consts, [graph.invars[i] for i in in_perm],
                 graph.eqns, [graph.outvars[i] for i in out_perm])


@def_jvp(scan_p)
def _scan_jvp(primals, tangents, *, graph, num_consts, num_carry, length, reverse, unroll):
    nc, ncar = num_consts, num_carry
    avals = graph.in_avals
    nz = [t is not None and differentiable(a) for t, a in zip(tangents, avals)]
    n_y = len(graph.outvars) - ncar
    while True:
        g, out_nz = jvp_graph(graph, nz, nz[nc:nc + ncar] + [False] * n_y)
        grow = [o and not i for o, i in zip(out_nz[:ncar], nz[nc:nc + ncar])]
        if not any(grow):
            break
        nz[nc:nc + ncar] = [i or o for i, o in zip(nz[nc:nc + ncar], out_nz[:ncar])]
    n = len(avals)
    nz_idx = [i for i in range(n) if nz[i]]
    t_pos = {i: n + k for k, i in enumerate(nz_idx)}
    parts = [range(0, nc), range(nc, nc + ncar), range(nc + ncar, n)]
    in_perm = []
    for part in parts:
        in_perm += list(part) + [t_pos[i] for i in part if nz[i]]
    n_out = len(graph.outvars)
    y_nz = out_nz[ncar:]
    c_t = [n_out + k for k in range(sum(nz[nc:nc + ncar]))]
    y_t = [n_out + len(c_t) + k for k in range(sum(y_nz))]
    out_perm = list(range(ncar)) + c_t + list(range(ncar, n_out)) + y_t
    g = _permute(g, in_perm, out_perm)

    def t_of(i):
        t = tangents[i]
        return t if t is not None else zeros(tangent_aval(avals[i]))

    args = []
    for part in parts:
        args += [primals[i] for i in part] + [t_of(i) for i in part if nz[i]]
    n_ct = len(c_t)
    outs = scan_p.bind(*args, graph=g, num_consts=nc + sum(nz[:nc]), num_carry=ncar + n_ct,
                       length=length, reverse=reverse, unroll=unroll)
    carry, c_tan = outs[:ncar], iter(outs[ncar:ncar + n_ct])
    ys, y_tan = outs[ncar + n_ct:ncar + n_ct + n_y], iter(outs[ncar + n_ct + n_y:])
    t_carry = [next(c_tan) if nz[nc + i] else None for i in range(ncar)]
    t_ys = [next(y_tan) if y_nz[k] else None for k in range(n_y)]
    return list(carry) + list(ys), t_carry + t_ys


@def_batch(scan_p)
def _scan_batch(info, vals, bdims, *, graph, num_consts, num_carry, length, reverse, unroll):
    from tensorlib._src.ops.shape import bdim_at_front, moveaxis_to

    nc, ncar = num_consts, num_carry
    size = info.size
    g, batched, out_b = batch_fixed_point(graph, [b is not None for b in bdims],
                                          (nc, nc + ncar), size, info.axis_name)
    args = []
    for i, (v, b) in enumerate(zip(vals, bdims)):
        if i < nc + ncar:
            args.append(bdim_at_front(v, b, size) if batched[i] else v)
        else:
            args.append(moveaxis_to(v, b, 1) if b is not None else v)
    outs = scan_p.bind(*args, graph=g, num_consts=nc, num_carry=ncar, length=length,
                       reverse=reverse, unroll=unroll)
    out_bdims = [0 if b else None for b in out_b[:ncar]] + [1 if b else None
                                                              for b in out_b[ncar:]]
    return list(outs), out_bdims


# --------------------------------------------------------------------------------------------
# reverse mode: one forward scan with residuals, one reverse scan of the transposed body


class _ScanBwd:
    """What the backward scan needs besides the residual values (kept in the tape's params)."""

    __slots__ = ("graph", "n_in", "num_consts", "num_carry", "live_consts", "live_carry",
                 "live_xs", "live_ys", "n_const_res", "n_xs_res", "length", "reverse",
                 "unroll", "ct_avals", "const_avals")


def scan_vjp_fwd(primals, live, *, graph, num_consts, num_carry, length, reverse, unroll):
    """The tape's forward half of ``scan``: ``(outs, residuals, {"info": _ScanBwd})``."""
    nc, ncar = num_consts, num_carry
    n = len(primals)
    avals = graph.in_avals
    live = [lv and differentiable(a) for lv, a in zip(live, avals)]
    keep = set(range(nc)) | set(range(nc + ncar, n))
    while True:
        split = vjp_split(graph, live, keep)
        out_c = split.out_live[:ncar]
        grow = [o and not i and differentiable(avals[nc + k])
                for k, (o, i) in enumerate(zip(out_c, live[nc:nc + ncar]))]
        if not any(grow):
            break
        live[nc:nc + ncar] = [i or o for i, o in zip(live[nc:nc + ncar], grow)]
    n_out = split.n_out
    n_y = n_out - ncar
    const_res = [i for kind, i in split.res if kind == "in" and i < nc]
    xs_res = [i for kind, i in split.res if kind == "in" and i >= nc]

    info = _ScanBwd()
    info.n_in, info.num_consts, info.num_carry = n, nc, ncar
    info.live_consts = [i for i in range(nc) if live[i]]
    info.live_carry = [k for k in range(ncar) if live[nc + k]]
    info.live_xs = [j for j in range(n - nc - ncar) if live[nc + ncar + j]]
    info.live_ys = [k for k in range(n_y) if split.out_live[ncar + k]
                    and differentiable(graph.outvars[ncar + k].aval)]
    info.length, info.reverse, info.unroll = length, reverse, unroll
    out_avals = graph.out_avals
    info.ct_avals = ([tangent_aval(out_avals[k]) for k in info.live_carry]
                     + [tangent_aval(out_avals[ncar + k]) for k in info.live_ys])
    info.const_avals = [tangent_aval(avals[i]) for i in info.live_consts]
    bwd = _scan_bwd_graph(split, info, const_res, xs_res)
    # Residuals the backward body never reads (a VJP rule that ignores an input) are neither
    # stacked by the forward scan nor passed to the backward one.
    used = used_inputs(bwd)
    n_lc, n_lk = len(info.live_carry), len(info.live_consts)
    n_st = len(split.fwd.outvars) - n_out
    k0 = len(const_res)
    k1 = k0 + n_lc + n_lk
    k2 = k1 + len(xs_res)
    keep_c = [j for j in range(len(const_res)) if used[j]]
    keep_x = [j for j in range(len(xs_res)) if used[k1 + j]]
    keep_s = [j for j in range(n_st) if used[k2 + j]]
    # Each stacked residual is either loop-invariant (computed from the consts only: computed
    # once, outside the loop, and passed to the backward scan as a const), a ys output already
    # (read from the ys, not stacked twice), or stacked by the forward scan.
    f_out = split.fwd.outvars
    ys_pos = {}
    for k, v in enumerate(f_out[ncar:n_out]):
        ys_pos.setdefault(id(v), k)
    inv, _ = invariant_ids(split.fwd, nc)
    hoist = [j for j in keep_s if id(f_out[n_out + j]) in inv]
    rest = [j for j in keep_s if id(f_out[n_out + j]) not in inv]
    alias = {j: ys_pos[id(f_out[n_out + j])] for j in rest if id(f_out[n_out + j]) in ys_pos}
    extra = [j for j in rest if j not in alias]
    bwd = _prune_invars(bwd, keep_c + [k2 + j for j in hoist] + list(range(k0, k1))
                        + [k1 + j for j in keep_x] + [k2 + j for j in rest]
                        + list(range(k2 + n_st, len(bwd.invars))))
    fwd = dce(Graph(split.fwd.constvars, split.fwd.consts, split.fwd.invars, split.fwd.eqns,
                    f_out[:n_out] + [f_out[n_out + j] for j in extra]))
    info.graph = bwd
    info.n_const_res, info.n_xs_res = len(keep_c) + len(hoist), len(keep_x)
    hoisted = []
    if hoist:
        g = dce(Graph(split.fwd.constvars, split.fwd.consts, split.fwd.invars[:nc],
                      split.fwd.eqns, [f_out[n_out + j] for j in hoist]))
        hoisted = call(g, primals[:nc])
    fwd_outs = scan_p.bind(*primals, graph=fwd, num_consts=nc, num_carry=ncar,
                           length=length, reverse=reverse, unroll=unroll)
    outs = fwd_outs[:n_out]
    extra_vals = dict(zip(extra, fwd_outs[n_out:]))
    stacked = [outs[ncar + alias[j]] if j in alias else extra_vals[j] for j in rest]
    residuals = ([primals[const_res[j]] for j in keep_c] + list(hoisted)
                 + [primals[xs_res[j]] for j in keep_x] + stacked)
    return list(outs), residuals, {"info": info}


def _scan_bwd_graph(split, info, const_res, xs_res):
    nc, ncar = info.num_consts, info.num_carry
    ra = split.res_avals
    kinds = split.res
    n_stacked = sum(1 for kind, _ in kinds if kind == "out")
    pos_in = {i: k for k, i in enumerate(const_res)}
    pos_xs = {i: k for k, i in enumerate(xs_res)}
    avals_in = {i: a for (kind, i), a in zip(kinds, ra) if kind == "in"}
    stacked_avals = [a for (kind, _), a in zip(kinds, ra) if kind == "out"]
    n_lc, n_lk = len(info.live_carry), len(info.live_consts)
    n_ly = len(info.live_ys)
    in_avals = ([avals_in[i] for i in const_res] + info.ct_avals[:n_lc] + info.const_avals
                + [avals_in[i] for i in xs_res] + stacked_avals + info.ct_avals[n_lc:])

    def bwd_body(*a):
        k = 0
        c_res = a[k:k + len(const_res)]
        k += len(const_res)
        ct_c = a[k:k + n_lc]
        k += n_lc
        acc = a[k:k + n_lk]
        k += n_lk
        x_res = a[k:k + len(xs_res)]
        k += len(xs_res)
        st = a[k:k + n_stacked]
        k += n_stacked
        ct_y = a[k:k + n_ly]
        res_vals = [(c_res[pos_in[i]] if i < nc else x_res[pos_xs[i]]) if kind == "in"
                    else st[i] for kind, i in kinds]
        cts = [None] * split.n_out
        for c, kk in zip(ct_c, info.live_carry):
            cts[kk] = c
        for c, kk in zip(ct_y, info.live_ys):
            cts[ncar + kk] = c
        in_cts = split.backward(res_vals, cts)
        new_c = [_inst(in_cts[nc + kk], info.ct_avals[j]) for j, kk in enumerate(info.live_carry)]
        new_acc = [acc[j] if in_cts[i] is None else acc[j] + in_cts[i]
                   for j, i in enumerate(info.live_consts)]
        xs_ct = [_inst(in_cts[nc + ncar + j], tangent_aval(split.fwd.in_avals[nc + ncar + j]))
                 for j in info.live_xs]
        return new_c + new_acc + xs_ct

    return stage(bwd_body, in_avals)


def _prune_invars(graph, keep):
    return Graph(graph.constvars, graph.consts, [graph.invars[i] for i in keep], graph.eqns,
                 graph.outvars)


def _inst(ct, aval):
    return ct if ct is not None else zeros(aval)


def scan_vjp(cts, _out, *residuals, info):
    """The backward half: a scan in the other direction over the stacked residuals."""
    from tensorlib._src.ops.elementwise import convert_element_type

    nc, ncar = info.num_consts, info.num_carry
    n_lc = len(info.live_carry)
    c_res = residuals[:info.n_const_res]
    x_res = residuals[info.n_const_res:info.n_const_res + info.n_xs_res]
    stacked = residuals[info.n_const_res + info.n_xs_res:]
    ct_c = [_inst(cts[k], a) for k, a in zip(info.live_carry, info.ct_avals[:n_lc])]
    ct_y = [_inst(cts[ncar + k], AbstractArray((info.length,) + tuple(a.shape), a.dtype))
            for k, a in zip(info.live_ys, info.ct_avals[n_lc:])]
    ct_c = [convert_element_type(c, a.dtype) if c.dtype != a.dtype else c
            for c, a in zip(ct_c, info.ct_avals[:n_lc])]
    acc = [zeros(a) for a in info.const_avals]
    outs = scan_p.bind(*c_res, *ct_c, *acc, *x_res, *stacked, *ct_y, graph=info.graph,
                       num_consts=len(c_res), num_carry=n_lc + len(acc), length=info.length,
                       reverse=not info.reverse, unroll=info.unroll)
    in_cts = [None] * info.n_in
    for j, kk in enumerate(info.live_carry):
        in_cts[nc + kk] = outs[j]
    for j, i in enumerate(info.live_consts):
        in_cts[i] = outs[n_lc + j]
    for j, xj in enumerate(info.live_xs):
        in_cts[nc + ncar + xj] = outs[n_lc + len(acc) + j]
    return in_cts


def_vjp_fwd(scan_p)(scan_vjp_fwd)
def_vjp(scan_p)(scan_vjp)


# --------------------------------------------------------------------------------------------
# loops written with scan


def map(f, xs, *, batch_size=None):
    """``stack([f(x) for x in xs])`` over the leading axis, as a scan.

    With ``batch_size``, ``f`` is vmapped over chunks of that many elements and the scan runs
    over the chunks (the remainder, if any, is one more vmapped call).

    Examples
    --------
    >>> lax.map(lambda x: x * x, tnp.arange(4))
    Array([0, 1, 4, 9], dtype=int32)
    >>> lax.map(lambda p: p[0] + p[1], (tnp.arange(3), tnp.array([10, 20, 30])))
    Array([10, 21, 32], dtype=int32)
    >>> lax.map(lambda x: x * x, tnp.arange(5), batch_size=2)
    Array([ 0,  1,  4,  9, 16], dtype=int32)
    """
    if batch_size is None:
        _, ys = scan(lambda c, x: (c, f(x)), (), xs)
        return ys
    from tensorlib._src.ops.shape import concatenate, reshape
    from tensorlib._src.transforms.batching import vmap
    from tensorlib._src.tree_util import tree_map

    b = int(batch_size)
    if b < 1:
        raise ValueError(f"map: batch_size must be a positive int, got {batch_size!r}")
    leaves = [asarray(x) for x in tree_flatten(xs)[0]]
    n = _scan_length(xs, leaves, None)
    m = n // b
    head = tree_map(lambda x: reshape(asarray(x)[:m * b], (m, b) + asarray(x).shape[1:]), xs)
    ys = tree_map(lambda y: reshape(y, (m * b,) + y.shape[2:]),
                  scan(lambda c, x: (c, vmap(f)(x)), (), head)[1])
    if m * b == n:
        return ys
    rest = vmap(f)(tree_map(lambda x: asarray(x)[m * b:], xs))
    return tree_map(lambda a, r: concatenate([a, r], 0), ys, rest)


@def_dce(scan_p)
def _scan_dce(eqn, used):
    """Unused ys are not computed; consts and xs the body then ignores are not passed."""
    p = eqn.params
    nc, ncar = p["num_consts"], p["num_carry"]
    g = p["graph"]
    keep_out = list(range(ncar)) + [k for k in range(ncar, len(used)) if used[k]]
    body = dce(Graph(g.constvars, g.consts, g.invars, g.eqns, [g.outvars[k] for k in keep_out]))
    read = used_inputs(body)
    keep_in = [i for i in range(len(body.invars)) if nc <= i < nc + ncar or read[i]]
    body = Graph(body.constvars, body.consts, [body.invars[i] for i in keep_in], body.eqns,
                 body.outvars)
    params = dict(p, graph=body, num_consts=sum(1 for i in keep_in if i < nc))
    from tensorlib._src.ir import Eqn

    return Eqn(scan_p, [eqn.inputs[i] for i in keep_in], params,
               [eqn.outputs[k] for k in keep_out])
