"""Lowerings of control flow (cond, while_loop, scan), jit calls and custom-derivative calls.

Control flow holds its bodies as graphs whose inputs are all explicit: ``cond`` becomes
``stablehlo.case`` with a region per branch, ``while_loop`` and ``scan`` become
``stablehlo.while`` with the body as a region (compiled once, whatever the trip count). A
region reads values of the enclosing function directly (StableHLO allows implicit capture in
``case`` and ``while`` regions), so loop-invariant inputs need not travel through the carry.
"""

from __future__ import annotations

import numpy as np
from tensorlib.backends.xla_backend.lowering_core import lower_graph as _lower_graph
from tensorlib.backends.xla_backend.lowering_core import register

from tensorlib._src import dtypes
from tensorlib._src.api import stop_gradient_p
from tensorlib._src.control import checkpoint_p, cond_p, name_p, scan_p, while_p
from tensorlib._src.control.custom import custom_jvp_call_p, custom_vjp_call_p
from tensorlib._src.transforms.jit import jit_call_p


def lower_graph(em, graph, args):
    """A nested graph (a body, a branch) lowered with its own scans split
    (``control.optimize``): the compiler-level rewrite reaches every depth."""
    from tensorlib._src.control.optimize import split_scans

    return _lower_graph(em, split_scans(graph), args)


@register(cond_p)
def _cond_lower(em, args, outs, *, branches):
    index, *ops = args
    n = len(branches)
    if n == 1:
        return lower_graph(em, branches[0], ops)
    # tensorlib clamps the index; stablehlo.case would run the last branch for negatives
    idx = em.convert(index, np.int32)
    idx = em.op1("stablehlo.clamp", [em.const(0, np.int32), idx, em.const(n - 1, np.int32)],
                 (), np.int32)
    regions = [em.region([], lambda sub, _a, b=b: lower_graph(sub, b, ops)) for b in branches]
    return em.op("stablehlo.case", [idx], [(a.shape, a.dtype) for a in outs], "", regions)


@register(while_p)
def _while_lower(em, args, outs, *, cond_graph, body_graph, cond_nconsts, body_nconsts,
                 max_steps):
    k = cond_nconsts + body_nconsts
    cc, bc, carry = list(args[:cond_nconsts]), list(args[cond_nconsts:k]), list(args[k:])
    if not carry:
        return []
    types = [(v.shape, v.dtype) for v in carry]
    cond = em.region(types, lambda sub, a: lower_graph(sub, cond_graph, cc + list(a)))
    body = em.region(types, lambda sub, a: lower_graph(sub, body_graph, bc + list(a)))
    return em.op("stablehlo.while", carry, types, "", [cond, body])


@register(scan_p)
def _scan_lower(em, args, outs, *, graph, num_consts, num_carry, length, reverse, unroll):
    nc, ncar = num_consts, num_carry
    consts = list(args[:nc])
    carry = list(args[nc:nc + ncar])
    xs = list(args[nc + ncar:])
    y_outs = outs[ncar:]
    if length == 0:
        return carry + [em.full(0, a.shape, a.dtype) for a in y_outs]
    # unroll k steps into one iteration of the loop (when k divides the length)
    k = unroll if 1 < unroll <= length and length % unroll == 0 else 1
    ys0 = [em.full(0, a.shape, a.dtype) for a in y_outs]
    i0 = em.const(0, np.int32)
    init = [i0] + carry + ys0
    types = [(v.shape, v.dtype) for v in init]

    def cond(sub, a):
        return [sub.compare(a[0], sub.const(length, np.int32), "LT")]

    def step(sub, i, c, ys):
        pos = sub.bin("stablehlo.subtract", sub.const(length - 1, np.int32), i) if reverse \
            else i
        zero = sub.const(0, np.int32)
        x_i = []
        for x in xs:
            starts = [pos] + [zero] * (x.ndim - 1)
            sl = sub.op1("stablehlo.dynamic_slice", [x, *starts], (1,) + x.shape[1:], x.dtype,
                         f"slice_sizes = array<i64: {', '.join(map(str, (1,) + x.shape[1:]))}>")
            x_i.append(sub.reshape(sl, x.shape[1:]))
        res = lower_graph(sub, graph, consts + list(c) + x_i)
        new_c, y = res[:ncar], res[ncar:]
        new_ys = []
        for buf, v in zip(ys, y, strict=True):
            upd = sub.reshape(v, (1,) + v.shape)
            starts = [pos] + [zero] * v.ndim
            new_ys.append(sub.op1("stablehlo.dynamic_update_slice", [buf, upd, *starts],
                                  buf.shape, buf.dtype))
        return sub.bin("stablehlo.add", i, sub.const(1, np.int32)), list(new_c), new_ys

    def body(sub, a):
        i, c, ys = a[0], a[1:1 + ncar], a[1 + ncar:]
        for _ in range(k):
            i, c, ys = step(sub, i, c, ys)
        return [i] + c + ys

    res = em.op("stablehlo.while", init, types, "", [em.region(types, cond),
                                                        em.region(types, body)])
    return res[1:]


@register(checkpoint_p)
def _checkpoint_lower(em, args, outs, *, graph, policy, prevent_cse):
    return lower_graph(em, graph, list(args))


@register(name_p)
def _name_lower(em, args, outs, *, name):
    return args[0]


@register(jit_call_p)
def _jit_call_lower(em, args, outs, *, exe, name):
    return lower_graph(em, exe.graph, list(args))


@register(custom_vjp_call_p)
def _custom_vjp_lower(em, args, outs, *, call, fwd, bwd, num_consts):
    return lower_graph(em, call, list(args))


@register(custom_jvp_call_p)
def _custom_jvp_lower(em, args, outs, *, call, jvp, num_consts):
    return lower_graph(em, call, list(args))


@register(stop_gradient_p)
def _stop_gradient_lower(em, args, outs):
    return args[0]


def _no_dtype_issue(params, avals):
    return all(a.dtype != dtypes.float0 for a in avals)


for _r in (_cond_lower, _while_lower, _scan_lower, _jit_call_lower, _custom_vjp_lower,
           _custom_jvp_lower):
    _r.can_lower = _no_dtype_issue
