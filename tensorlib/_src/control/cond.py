"""``cond`` and ``switch``: one primitive holding one closed graph per branch.

The equation: inputs ``index, operands...`` (the values every branch closed over are
operands too); params ``branches``, a tuple of graphs with identical input and output types.
Forward mode differentiates every branch; reverse mode is a ``cond`` forward whose branches
also return the union of their residuals (zeros for the others'), and a ``cond`` over the
transposed branches backward; a batched index turns the ``cond`` into every branch plus a
``select``.
"""

from __future__ import annotations

from tensorlib._src import dtypes
from tensorlib._src.control.graphs import (
    batch_graph,
    call,
    differentiable,
    error,
    jvp_graph,
    python_mode,
    stage,
    tangent_aval,
    trace_closed,
    union_captures,
    used_inputs,
    vjp_split,
    zeros,
)
from tensorlib._src.core import WEAK_RULE, AbstractArray, Primitive, asarray
from tensorlib._src.passes import def_dce, def_no_fold
from tensorlib._src.rules import def_batch, def_jvp, def_shape, def_vjp, def_vjp_fwd
from tensorlib._src.tree_util import tree_flatten, tree_flatten_with_path, tree_unflatten

cond_p = Primitive("cond", multiple_results=True, weak=WEAK_RULE)
def_no_fold(cond_p)


def switch(index, branches, *operands):
    """Apply ``branches[index](*operands)``; the index is clamped to the valid range.

    Every branch is traced once, at the call, so branches whose outputs differ in structure,
    shape or dtype are an error eagerly too, not only under ``jit``.

    Examples
    --------
    >>> import tensorlib as tl
    >>> float(tl.lax.switch(1, [lambda x: x, lambda x: 2 * x], 3.0))
    6.0
    """
    branches = list(branches)
    if not branches:
        raise error("switch: needs at least one branch")
    idx = asarray(index)
    if idx.shape != () or not (dtypes.is_integer(idx.dtype) or idx.dtype == dtypes.bool_):
        raise error(f"switch: the index must be an integer scalar, got "
                               f"{idx.aval.str_short()}")
    if idx.dtype != dtypes.int32:
        from tensorlib._src.ops.elementwise import convert_element_type

        idx = convert_element_type(idx, dtypes.int32)
    return _cond(idx, branches, operands, "switch")


def cond(pred, true_fun, false_fun, *operands):
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``.

    Examples
    --------
    >>> import tensorlib as tl
    >>> float(tl.lax.cond(True, lambda x: x + 1, lambda x: x - 1, 1.0))
    2.0
    """
    p = asarray(pred)
    if p.shape != ():
        raise error(f"cond: the predicate must be a scalar, got {p.aval.str_short()}; "
                               "use tensorlib.numpy.where for elementwise selection")
    from tensorlib._src.ops.elementwise import convert_element_type

    if p.dtype != dtypes.bool_:
        from tensorlib._src.ops.elementwise import ne

        p = ne(p, asarray(0).astype(p.dtype))
    return _cond(convert_element_type(p, dtypes.int32), [false_fun, true_fun], operands, "cond")


def _cond(idx, branches, operands, op):
    if python_mode():
        # under disable_jit: run the chosen branch in Python (print/pdb see numbers)
        i = min(max(int(idx.to_numpy()), 0), len(branches) - 1)
        return branches[i](*operands)
    flat, in_tree = tree_flatten(list(operands))
    flat = [asarray(x) for x in flat]
    avals = [x.aval for x in flat]
    traced, trees = [], []
    for b in branches:
        def fn(*leaves, b=b):
            out = b(*tree_unflatten(in_tree, list(leaves)))
            leaves_out, tree = tree_flatten(out)
            trees.append((tree, out))
            return leaves_out

        traced.append(trace_closed(fn, avals, name=f"{op} branch"))
    _check_branches(op, traced, trees, ["false_fun", "true_fun"] if op == "cond" and
                    len(branches) == 2 else [f"branch {k}" for k in range(len(branches))])
    # every branch takes the union of what any branch closed over
    graphs, caps = union_captures(traced)
    outs = cond_p.bind(idx, *caps, *flat, branches=tuple(graphs))
    return tree_unflatten(trees[0][0], list(outs))


def _check_branches(op, traced, trees, names):
    tree0, out0 = trees[0]
    for k in range(1, len(trees)):
        if trees[k][0] != tree0:
            raise error(f"{op}: {names[0]} returns {tree0} but {names[k]} returns "
                        f"{trees[k][0]}; every branch must return the same structure")
    paths = [p for p, _ in tree_flatten_with_path(out0)[0]]
    from tensorlib._src.pytree_keys import keystr

    a0 = traced[0][0].out_avals
    for k, (g, _) in enumerate(traced[1:], 1):
        for p, a, b in zip(paths, a0, g.out_avals):
            if a.shape != b.shape or a.dtype != b.dtype:
                raise error(
                    f"{op}: branch outputs differ at output{keystr(p)}: {names[0]} gives "
                    f"{a.str_short()} but {names[k]} gives {b.str_short()}; every branch must "
                    "return the same shapes and dtypes (cast or broadcast inside the branch)")


# --------------------------------------------------------------------------------------------
# rules


@def_shape(cond_p)
def _cond_shape(index, *avals, branches):
    outs = branches[0].out_avals
    return [AbstractArray(a.shape, a.dtype, all(b.out_avals[i].weak_type for b in branches))
            for i, a in enumerate(outs)]


@def_jvp(cond_p)
def _cond_jvp(primals, tangents, *, branches):
    index, ops = primals[0], primals[1:]
    avals = branches[0].in_avals
    nz = [t is not None and differentiable(a) for t, a in zip(tangents[1:], avals)]
    n_out = len(branches[0].outvars)
    out_nz = [False] * n_out
    for b in branches:
        _, o = jvp_graph(b, nz, [False] * n_out)
        out_nz = [x or y for x, y in zip(out_nz, o)]
    gs = [jvp_graph(b, nz, out_nz)[0] for b in branches]
    ts = [t if t is not None else zeros(tangent_aval(a))
          for t, a, z in zip(tangents[1:], avals, nz) if z]
    outs = cond_p.bind(index, *ops, *ts, branches=tuple(gs))
    it = iter(outs[n_out:])
    return list(outs[:n_out]), [next(it) if z else None for z in out_nz]


@def_batch(cond_p)
def _cond_batch(info, vals, bdims, *, branches):
    from tensorlib._src.ops.shape import bdim_at_front

    size = info.size
    index, ops = vals[0], vals[1:]
    batched = [b is not None for b in bdims[1:]]
    ops = [bdim_at_front(v, b, size) if b is not None else v for v, b in zip(ops, bdims[1:])]
    n_out = len(branches[0].outvars)
    if bdims[0] is None:
        out_b = [False] * n_out
        for b in branches:
            _, o = batch_graph(b, batched, size, info.axis_name, [False] * n_out)
            out_b = [x or y for x, y in zip(out_b, o)]
        gs = [batch_graph(b, batched, size, info.axis_name, out_b)[0] for b in branches]
        outs = cond_p.bind(index, *ops, branches=tuple(gs))
        return list(outs), [0 if b else None for b in out_b]
    # a batched index: every branch runs on the batch, a select picks each lane's result
    from tensorlib._src.ops import elementwise as ew
    from tensorlib._src.ops.shape import broadcast_in_dim

    n = len(branches)
    idx = bdim_at_front(index, bdims[0], size)
    idx = ew.max(ew.min(idx, ew.full((size,), n - 1, idx.dtype)), ew.full((size,), 0, idx.dtype))
    if n == 2:
        idx = ew.ne(idx, ew.full((size,), 0, idx.dtype))
    results = []
    for b in branches:
        g, _ = batch_graph(b, batched, size, info.axis_name, [True] * n_out)
        results.append(call(g, ops))
    res = []
    for k in range(n_out):
        cases = [r[k] for r in results]
        shape = tuple(cases[0].shape)
        res.append(ew.select_n(broadcast_in_dim(idx, shape, (0,)), *cases))
    return res, [0] * n_out


class _CondBwd:
    __slots__ = ("branches", "n_ops", "live_ops", "live_outs", "ct_avals", "n_res")


def cond_vjp_fwd(primals, live, *, branches):
    """Forward half: every branch returns its outputs and the union of the residuals."""
    index, ops = primals[0], list(primals[1:])
    n_ops = len(ops)
    avals = branches[0].in_avals
    live_ops = [lv and differentiable(a) for lv, a in zip(live[1:], avals)]
    keep = set(range(n_ops))
    splits = [vjp_split(b, live_ops, keep) for b in branches]
    n_out = len(branches[0].outvars)
    out_avals = branches[0].out_avals
    live_outs = [any(s.out_live[k] for s in splits) and differentiable(out_avals[k])
                 for k in range(n_out)]
    res_avals, offsets = [], []
    for s in splits:
        offsets.append(len(res_avals))
        res_avals += [a for (kind, _), a in zip(s.res, s.res_avals) if kind == "out"]

    def fwd_branch(s, off):
        def fn(*a):
            outs = call(s.fwd, a)
            mine = outs[s.n_out:]
            extra = [zeros(r) for r in res_avals]
            extra[off:off + len(mine)] = mine
            return list(outs[:s.n_out]) + extra

        return stage(fn, avals)

    fwd = tuple(fwd_branch(s, off) for s, off in zip(splits, offsets))
    outs = cond_p.bind(index, *ops, branches=fwd)
    info = _CondBwd()
    info.n_ops, info.live_ops = n_ops, live_ops
    info.live_outs = live_outs
    info.ct_avals = [tangent_aval(out_avals[k]) for k in range(n_out) if live_outs[k]]
    info.n_res = len(res_avals)
    info.branches = tuple(_bwd_branch(s, off, avals, res_avals, info)
                          for s, off in zip(splits, offsets))
    return list(outs[:n_out]), [index, *ops, *outs[n_out:]], {"info": info}


def _bwd_branch(split, off, op_avals, res_avals, info):
    n_ops, n_res = info.n_ops, len(res_avals)

    def fn(*a):
        ops, res, cts_live = a[:n_ops], a[n_ops:n_ops + n_res], iter(a[n_ops + n_res:])
        vals = [ops[i] if kind == "in" else res[off + i] for kind, i in split.res]
        cts = [next(cts_live) if lv else None for lv in info.live_outs]
        in_cts = split.backward(vals, cts)
        return [in_cts[i] if in_cts[i] is not None else zeros(tangent_aval(op_avals[i]))
                for i in range(n_ops) if info.live_ops[i]]

    return stage(fn, list(op_avals) + list(res_avals) + list(info.ct_avals))


def cond_vjp(cts, _out, index, *rest, info):
    ops, res = rest[:info.n_ops], rest[info.n_ops:]
    live_cts = [c if c is not None else zeros(a) for c, a in
                zip([c for c, lv in zip(cts, info.live_outs) if lv], info.ct_avals)]
    outs = iter(cond_p.bind(index, *ops, *res, *live_cts, branches=info.branches))
    return [None] + [next(outs) if lv else None for lv in info.live_ops]


def_vjp_fwd(cond_p)(cond_vjp_fwd)
def_vjp(cond_p)(cond_vjp)


@def_dce(cond_p)
def _cond_dce(eqn, used):
    """Unused outputs are dropped from every branch, then operands no branch reads."""
    from tensorlib._src.ir import Eqn, Graph
    from tensorlib._src.passes import dce

    keep_out = [k for k, u in enumerate(used) if u]
    bs = [dce(Graph(b.constvars, b.consts, b.invars, b.eqns, [b.outvars[k] for k in keep_out]))
          for b in eqn.params["branches"]]
    read = [used_inputs(b) for b in bs]
    keep_in = [i for i in range(len(bs[0].invars)) if any(r[i] for r in read)]
    bs = tuple(Graph(b.constvars, b.consts, [b.invars[i] for i in keep_in], b.eqns, b.outvars)
               for b in bs)
    return Eqn(cond_p, [eqn.inputs[0]] + [eqn.inputs[1 + i] for i in keep_in],
               dict(eqn.params, branches=bs), [eqn.outputs[k] for k in keep_out])
