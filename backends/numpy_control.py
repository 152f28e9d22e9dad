"""Kernels of the NumPy (and CuPy) backend for control flow: ``scan``, ``while_loop``,
``cond`` and ``checkpoint``.

Each body graph is compiled once by the buffers' backend (its fused groups cached like any
jitted graph's) and the loop runs over the compiled program with buffers in and out: Python
drives the loop, it never re-traces the user's function or interprets the body equation by
equation. The same kernels serve eager calls and the executor of jitted graphs.
"""

from __future__ import annotations

import weakref

from tensorlib.backends.xp_kernels import bind_xp

from tensorlib._src.control import checkpoint_p, cond_p, name_p, scan_p, while_grad_p, while_p
from tensorlib._src.control.custom import custom_jvp_call_p, custom_vjp_call_p
from tensorlib._src.core import Array, backend_of

_compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _program(graph, buf):
    """``graph`` compiled for the backend of ``buf``: ``run(bufs) -> bufs`` (cached)."""
    be = backend_of(buf)
    per = _compiled.get(graph)
    if per is None:
        per = _compiled[graph] = {}
    run = per.get(be.name)
    if run is None:
        exe = be.compile(graph)
        run = getattr(exe, "bufs", None)
        if run is None:
            weak = [v.aval.weak_type for v in graph.invars]

            def run(bufs, exe=exe, weak=weak):
                return [a._buf for a in exe(*[Array(b, w) for b, w in zip(bufs, weak)])]

            def stepper(fixed, run=run):
                return lambda rest: run(fixed + rest)

            run.stepper = stepper

        per[be.name] = run
    return run


_split: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _loop_program(graph, n_consts, buf):
    """A loop body compiled once, its loop-invariant part split off: ``start(consts)`` computes
    the invariant values once per loop and returns ``step(rest) -> outputs``."""
    per = _split.get(graph)
    if per is None:
        per = _split[graph] = {}
    got = per.get(n_consts)
    if got is None:
        from tensorlib._src.passes import split_invariant

        # (None, None): nothing to hoist (a value must not hold its weak key, the graph)
        got = per[n_consts] = split_invariant(graph, n_consts) or (None, None)
    pre, body = got
    body = graph if body is None else body
    run = _program(body, buf)
    if pre is None:
        return run.stepper
    pre_run = _program(pre, buf)
    return lambda consts: run.stepper(pre_run(consts) + consts)


_split_calls: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _split_call(graph, params, buf):
    """The scan as a program of its split parts (optimize.split_scans), or None if it does not
    split: work that does not depend on the carry runs batched before or after the loop."""
    per = _split_calls.get(graph)
    if per is None:
        per = _split_calls[graph] = {}
    key = tuple(sorted(params.items()))
    if key not in per:
        from tensorlib._src.control.optimize import split_scans
        from tensorlib._src.core import AbstractArray
        from tensorlib._src.ir import Eqn, Graph, Var

        nc, ncar, n = params["num_consts"], params["num_carry"], params["length"]
        avals = [a if i < nc + ncar else AbstractArray((n,) + a.shape, a.dtype, a.weak_type)
                 for i, a in enumerate(graph.in_avals)]
        ins = [Var(a) for a in avals]
        outs = [Var(a) for a in scan_p_shape(graph, params)]
        one = Graph([], [], ins, [Eqn(scan_p, ins, dict(params, graph=graph), outs)], outs)
        split = split_scans(one)
        per[key] = None if split is one else _program(split, buf)
    return per[key]


def scan_p_shape(graph, params):
    from tensorlib._src.rules import shape_rules

    return shape_rules[scan_p](*graph.in_avals, graph=graph, **params)


def _scan_kernel(xp, *bufs, graph, num_consts, num_carry, length, reverse, unroll):
    nc, ncar = num_consts, num_carry
    params = dict(num_consts=nc, num_carry=ncar, length=length, reverse=reverse, unroll=unroll)
    whole = _split_call(graph, params, (list(bufs) + [xp.empty(())])[0])
    if whole is not None:
        return [xp.asarray(o) for o in whole(list(bufs))]
    consts = list(bufs[:nc])
    carry = list(bufs[nc:nc + ncar])
    xs = bufs[nc + ncar:]
    y_avals = graph.out_avals[ncar:]
    ys = [xp.empty((length,) + tuple(a.shape), a.dtype) for a in y_avals]
    if length == 0:
        return carry + ys
    start = _loop_program(graph, nc, (consts + carry + list(xs) + [xp.empty(())])[0])
    step = start(consts)
    for i in (range(length - 1, -1, -1) if reverse else range(length)):
        out = step(carry + [x[i, ...] for x in xs])  # [i, ...]: 0-d arrays, not scalars
        carry = out[:ncar]
        for y, o in zip(ys, out[ncar:]):
            y[i] = o
    return [xp.asarray(c) for c in carry] + ys


def _while_kernel(xp, *bufs, cond_graph, body_graph, cond_nconsts, body_nconsts, max_steps):
    k = cond_nconsts + body_nconsts
    cc, bc, carry = list(bufs[:cond_nconsts]), list(bufs[cond_nconsts:k]), list(bufs[k:])
    probe = (list(bufs) + [xp.empty(())])[0]
    cond = _loop_program(cond_graph, len(cc), probe)(cc)
    body = _loop_program(body_graph, len(bc), probe)(bc)
    while bool(cond(carry)[0]):
        carry = body(carry)
    return [xp.asarray(c) for c in carry]


def _cond_kernel(xp, index, *bufs, branches):
    i = min(max(int(index), 0), len(branches) - 1)
    return [xp.asarray(o) for o in _program(branches[i], index)(list(bufs))]


def _call_kernel(xp, graph, bufs):
    probe = (list(bufs) + [xp.empty(())])[0]
    return [xp.asarray(o) for o in _program(graph, probe)(list(bufs))]


def _checkpoint_kernel(xp, *bufs, graph, policy, prevent_cse):
    return _call_kernel(xp, graph, bufs)


def _custom_jvp_kernel(xp, *bufs, call, jvp, num_consts):
    return _call_kernel(xp, call, bufs)


def _custom_vjp_kernel(xp, *bufs, call, fwd, bwd, num_consts):
    return _call_kernel(xp, call, bufs)


def _name_kernel(xp, x, *, name):
    return x


def _while_grad_kernel(xp, *bufs, **params):
    from tensorlib._src.control.loops import while_grad_kernel

    outs = while_grad_kernel(*[Array(b, False) for b in bufs], **params)
    return [xp.asarray(o._buf) for o in outs]


def kernels(xp, ndarray):
    return [(scan_p, (ndarray, [ndarray]), bind_xp(xp, _scan_kernel)),
            (while_p, (ndarray, [ndarray]), bind_xp(xp, _while_kernel)),
            (cond_p, (ndarray, [ndarray]), bind_xp(xp, _cond_kernel)),
            (checkpoint_p, (ndarray, [ndarray]), bind_xp(xp, _checkpoint_kernel)),
            (name_p, (ndarray,), bind_xp(xp, _name_kernel)),
            (custom_jvp_call_p, (ndarray, [ndarray]), bind_xp(xp, _custom_jvp_kernel)),
            (custom_vjp_call_p, (ndarray, [ndarray]), bind_xp(xp, _custom_vjp_kernel)),
            (while_grad_p, (ndarray, [ndarray]), bind_xp(xp, _while_grad_kernel))]
