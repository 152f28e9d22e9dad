"""Compile-time rewriting of ``scan`` loops: what need not run step by step, does not.

A scan body often holds work that does not depend on the carry: ``x_t @ U`` in an RNN's
forward step, or, in the transposed body that ``grad`` builds, the cotangents of the weights
(``h_t^T @ g_t``), which only *accumulate* into a carry. ``split_scans(graph)`` rewrites each
such scan into three parts:

- **before the loop**, the body's carry-independent work that the carry update needs, batched
  over all steps at once (one large matmul instead of T small ones);
- **the loop**, only what the carry update needs;
- **after the loop**, the rest (the ``ys`` and the accumulated terms), batched over the
  stacked per-step values; an accumulator ``acc + d_t`` becomes ``acc + sum_t d_t``, and a
  matmul that is only summed over steps contracts over them instead (no T-fold
  intermediate).

Backends apply it when they compile (the staged graph users see keeps the scan as written).
The extra stacked values are bounded (``_MAX_EXTRA``), so the rewrite never costs much memory
beyond what the scan's inputs and outputs already take.
"""

from __future__ import annotations

import numpy as np

from tensorlib._src.core import AbstractArray
from tensorlib._src.ir import Eqn, Graph, Var
from tensorlib._src.passes import effectful, use_counts

# Extra stacked elements allowed, as a multiple of the scan's own stacked inputs and outputs
_MAX_EXTRA = 4


def split_scans(graph: Graph) -> Graph:
    """``graph`` with each scan equation split where that pays (see the module docstring)."""
    from tensorlib._src.control.scan import scan_p

    if not any(e.prim is scan_p for e in graph.eqns):
        return graph
    eqns, constvars, consts = [], list(graph.constvars), list(graph.consts)
    changed = False
    for e in graph.eqns:
        got = split_scan(e) if e.prim is scan_p else None
        if got is None:
            eqns.append(e)
            continue
        new_eqns, cvars, cvals = got
        eqns += new_eqns
        constvars += cvars
        consts += cvals
        changed = True
    if not changed:
        return graph
    return Graph(constvars, consts, graph.invars, eqns, graph.outvars)


def _size(aval):
    return int(np.prod(aval.shape, dtype=np.int64))


def _accumulators(g, nc, ncar, uses, producer):
    """Carries updated only as ``acc + d`` with ``d`` independent of ``acc``: {k: (eqn, d)}."""
    from tensorlib._src.ops.elementwise import add_p

    acc = {}
    for k in range(ncar):
        cin, cout = g.invars[nc + k], g.outvars[k]
        e = producer.get(id(cout))
        if (e is None or e.prim is not add_p or uses.get(id(cin), 0) != 1
                or uses.get(id(cout), 0) != 1 or id(cin) not in map(id, e.inputs)
                or e.inputs[0] is e.inputs[1] or cin.aval != cout.aval):
            continue
        d = e.inputs[1] if e.inputs[0] is cin else e.inputs[0]
        if d.aval.shape != cin.aval.shape or d.aval.dtype != cin.aval.dtype:
            continue
        acc[k] = (e, d)
    return acc


def split_scan(eqn):
    """``(eqns, constvars, consts)`` replacing one scan equation, or None."""
    p = eqn.params
    g, nc, ncar, T = p["graph"], p["num_consts"], p["num_carry"], p["length"]
    if T < 2 or any(e.prim in effectful for e in g.eqns):
        return None
    uses = use_counts(g)
    producer = {id(v): e for e in g.eqns for v in e.outputs}
    acc = _accumulators(g, nc, ncar, uses, producer)
    acc_eqns = {id(e) for e, _ in acc.values()}
    keep_c = [k for k in range(ncar) if k not in acc]
    # values that change from step to step through the (non-accumulator) carry
    dep = {id(g.invars[nc + k]) for k in keep_c}
    for e in g.eqns:
        if id(e) not in acc_eqns and any(id(v) in dep for v in e.inputs):
            dep.update(id(v) for v in e.outputs)
    need = {id(g.outvars[k]) for k in keep_c}
    for e in reversed(g.eqns):
        if id(e) not in acc_eqns and any(id(v) in need for v in e.outputs):
            need.update(id(v) for v in e.inputs)
    pre, loop, post = [], [], []
    for e in g.eqns:
        if id(e) in acc_eqns:
            continue
        outs = [id(v) for v in e.outputs]
        if any(o in need for o in outs):
            (loop if any(o in dep for o in outs) else pre).append(e)
        else:
            post.append(e)
    heavy = {"dot_general", "conv_general_dilated"}
    if not acc and not any(e.prim.name in heavy for e in pre + post):
        return None
    if not pre and not post and not acc:
        return None
    consts_in, carry_in, xs_in = g.invars[:nc], g.invars[nc:nc + ncar], g.invars[nc + ncar:]
    pre_out_ids = {id(v) for e in pre for v in e.outputs}
    loop_out_ids = {id(v) for e in loop for v in e.outputs} | {id(v) for v in carry_in}

    def read_by(eqns, extra_outs=()):
        seen, out = set(), []
        for v in [v for e in eqns for v in e.inputs] + list(extra_outs):
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        return out

    n_y = len(g.outvars) - ncar
    ys_vars = g.outvars[ncar:]
    # ys the loop itself produces (values that depend on the carry, or are carries)
    loop_ys = [k for k, v in enumerate(ys_vars) if id(v) in loop_out_ids]
    post_ys = [k for k in range(n_y) if k not in loop_ys]
    acc_ks = sorted(acc)
    post_outs = [ys_vars[k] for k in post_ys] + [acc[k][1] for k in acc_ks]
    # what the post part reads from the loop, per step: stacked as extra ys
    post_reads = read_by(post, post_outs)
    from_loop = [v for v in post_reads if id(v) in loop_out_ids]
    from_pre = [v for v in post_reads if id(v) in pre_out_ids]
    # what the loop reads from the pre part
    loop_reads = read_by(loop, [g.outvars[k] for k in keep_c] + [ys_vars[k] for k in loop_ys])
    pre_for_loop = [v for v in loop_reads if id(v) in pre_out_ids]
    pre_outs = pre_for_loop + [v for v in from_pre if id(v) not in {id(w) for w in pre_for_loop}]

    from tensorlib._src.control.graphs import batch_graph

    # --- before the loop: the pre part over all steps at once
    cvars, cvals = [], []
    outer = {id(v): x for v, x in zip(g.invars, eqn.inputs)}
    new_eqns = []
    pre_b = {}
    if pre_outs:
        pg = Graph(g.constvars, g.consts, consts_in + xs_in, pre, pre_outs)
        bg, out_b = batch_graph(pg, [False] * nc + [True] * len(xs_in), T, None,
                                [False] * len(pre_outs))
        outs = _inline(bg, [outer[id(v)] for v in consts_in + xs_in], new_eqns, cvars, cvals)
        for v, o, b in zip(pre_outs, outs, out_b):
            pre_b[id(v)] = (o, b)
    extra = sum(_size(o.aval) for o, b in pre_b.values() if b)
    extra += sum(T * _size(v.aval) for v in from_loop)
    own = sum(_size(x.aval) for x in eqn.inputs[nc + ncar:]) + sum(
        _size(o.aval) for o in eqn.outputs[ncar:])
    if extra > _MAX_EXTRA * own + (1 << 20):
        return None
    # --- the loop: the carry update, the ys it makes, and the values the post part reads
    lc = [v for v in consts_in] + [v for v in pre_for_loop if not pre_b[id(v)][1]]
    lx = list(xs_in) + [v for v in pre_for_loop if pre_b[id(v)][1]]
    lg = Graph(g.constvars, g.consts, lc + [carry_in[k] for k in keep_c] + lx, loop,
               [g.outvars[k] for k in keep_c] + [ys_vars[k] for k in loop_ys] + from_loop)
    from tensorlib._src.passes import dce

    lg = dce(lg)
    l_args = ([outer[id(v)] for v in consts_in] + [pre_b[id(v)][0] for v in pre_for_loop
                                                    if not pre_b[id(v)][1]]
              + [eqn.inputs[nc + k] for k in keep_c] + [outer[id(v)] for v in xs_in]
              + [pre_b[id(v)][0] for v in pre_for_loop if pre_b[id(v)][1]])
    from tensorlib._src.control.scan import scan_p

    l_outs = [Var(eqn.outputs[k].aval) for k in keep_c] + \
             [Var(eqn.outputs[ncar + k].aval) for k in loop_ys] + \
             [Var(AbstractArray((T,) + tuple(v.aval.shape), v.aval.dtype, v.aval.weak_type))
              for v in from_loop]
    new_eqns.append(Eqn(scan_p, l_args, dict(p, graph=lg, num_consts=len(lc),
                                            num_carry=len(keep_c)), l_outs))
    result = {}
    for j, k in enumerate(keep_c):
        result[id(eqn.outputs[k])] = l_outs[j]
    for j, k in enumerate(loop_ys):
        result[id(eqn.outputs[ncar + k])] = l_outs[len(keep_c) + j]
    stacked = dict(zip((id(v) for v in from_loop), l_outs[len(keep_c) + len(loop_ys):]))
    # --- after the loop: the rest over the stacked values, accumulators summed over steps
    if post_outs:
        p_in = list(consts_in) + [v for v in from_pre if not pre_b[id(v)][1]] + list(xs_in) + \
            [v for v in from_pre if pre_b[id(v)][1]] + from_loop
        n_unb = nc + sum(1 for v in from_pre if not pre_b[id(v)][1])
        pg = dce(Graph(g.constvars, g.consts, p_in, post, post_outs))
        bg, _ = batch_graph(pg, [False] * n_unb + [True] * (len(p_in) - n_unb), T, None,
                            [True] * len(post_outs))
        args = ([outer[id(v)] for v in consts_in]
                + [pre_b[id(v)][0] for v in from_pre if not pre_b[id(v)][1]]
                + [outer[id(v)] for v in xs_in]
                + [pre_b[id(v)][0] for v in from_pre if pre_b[id(v)][1]]
                + [stacked[id(v)] for v in from_loop])
        outs = _inline(bg, args, new_eqns, cvars, cvals, sum_last=len(acc_ks))
        for j, k in enumerate(post_ys):
            result[id(eqn.outputs[ncar + k])] = outs[j]
        from tensorlib._src.ops.elementwise import add_p

        for j, k in enumerate(acc_ks):
            total = outs[len(post_ys) + j]
            out = eqn.outputs[k]
            res = Var(out.aval)
            new_eqns.append(Eqn(add_p, [eqn.inputs[nc + k], total], {}, [res]))
            result[id(out)] = res
    # rename: the original outputs are produced by the last equations that compute them
    _bind_outputs(new_eqns, eqn.outputs, result)
    return new_eqns, cvars, cvals


def _bind_outputs(new_eqns, outputs, result):
    """Make the equation's original output Vars (which the enclosing graph reads) the ones the
    new equations define: rename a produced value, copy one that is not (an input as is)."""
    from tensorlib._src.ops.shape import reshape_p

    produced = {id(v) for e in new_eqns for v in e.outputs}
    ren = {}
    for v in outputs:
        r = result[id(v)]
        if id(r) in produced and id(r) not in ren:
            ren[id(r)] = v
        else:
            src = ren.get(id(r), r)
            new_eqns.append(Eqn(reshape_p, [src], {"new_sizes": tuple(v.aval.shape)}, [v]))
    for e in new_eqns:
        e.outputs = [ren.get(id(v), v) for v in e.outputs]
        e.inputs = [ren.get(id(v), v) for v in e.inputs]


def _inline(bg, args, out_eqns, cvars, cvals, sum_last=0):
    """Append ``bg``'s equations on ``args``; the last ``sum_last`` outputs are summed over
    their leading (step) axis, a matmul that feeds only that sum contracting over it."""
    from tensorlib._src.ops.reduce import dot_general_p, reduce_sum_p

    sub = {id(v): a for v, a in zip(bg.invars, args)}
    for v, c in zip(bg.constvars, bg.consts):
        nv = Var(v.aval)
        cvars.append(nv)
        cvals.append(c)
        sub[id(v)] = nv
    uses = use_counts(bg)
    producer = {}
    for e in bg.eqns:
        ne = Eqn(e.prim, [sub.get(id(v), v) for v in e.inputs], e.params, list(e.outputs))
        out_eqns.append(ne)
        for v in e.outputs:
            producer[id(v)] = ne
    n = len(bg.outvars)
    outs = [sub.get(id(v), v) for v in bg.outvars]
    for j in range(n - sum_last, n):
        v = outs[j]
        e = producer.get(id(v))
        if (e is not None and e.prim is dot_general_p and uses.get(id(v), 0) == 1
                and e.params["dimension_numbers"][1][0]):
            (lc, rc), (lb, rb) = e.params["dimension_numbers"]
            # the step axis first among the contracting ones: row-major operands stay contiguous
            dn = (((lb[0],) + tuple(lc), (rb[0],) + tuple(rc)), (tuple(lb[1:]), tuple(rb[1:])))
            nv = Var(AbstractArray(v.aval.shape[1:], v.aval.dtype, v.aval.weak_type))
            e.params = dict(e.params, dimension_numbers=dn)
            e.outputs = [nv]
            outs[j] = nv
            continue
        nv = Var(AbstractArray(v.aval.shape[1:], v.aval.dtype, v.aval.weak_type))
        out_eqns.append(Eqn(reduce_sum_p, [v], {"axes": (0,)}, [nv]))
        outs[j] = nv
    return outs
