"""Kernels of the NumPy (and CuPy) backend for control flow: ``scan``, ``while_loop``,
``cond`` and ``checkpoint``.

Each body graph is compiled once by the buffers' backend (its fused groups cached like any
jitted graph's) and the loop runs over the compiled program with buffers in and out: Python
drives the loop, it never re-traces the user's function or interprets the body equation by
equation. The same kernels serve eager calls and the executor of jitted graphs.
"""

from __future__ import annotations

import weakref

from tensorlib._src.control import checkpoint_p, cond_p, name_p, scan_p, while_p
from tensorlib._src.core import Array, backend_of

_compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _program(graph, buf, loop_body=False):
    """``graph`` compiled for the backend of ``buf``: ``run(bufs) -> bufs`` (cached)."""
    be = backend_of(buf)
    per = _compiled.get(graph)
    if per is None:
        per = _compiled[graph] = {}
    run = per.get((be.name, loop_body))
    if run is None:
        if be.name == "numpy":
            from tensorlib.backends.numpy_compiler import compile_graph

            exe = compile_graph(graph, loop_body=loop_body)
        else:
            exe = be.compile(graph)
        run = getattr(exe, "bufs", None)
        if run is None:
            weak = [v.aval.weak_type for v in graph.invars]

            def run(bufs, exe=exe, weak=weak):
                return [a._buf for a in exe(*[Array(b, w) for b, w in zip(bufs, weak)])]

        per[(be.name, loop_body)] = run
    return run


_split: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _loop_program(graph, n_consts, buf):
    """A loop body compiled once, its loop-invariant part split off: ``run(consts, rest)``
    computes the invariant values at the first call of each loop (``start(consts)``)."""
    per = _split.get(graph)
    if per is None:
        per = _split[graph] = {}
    got = per.get(n_consts)
    if got is None:
        from tensorlib._src.passes import split_invariant

        got = per[n_consts] = split_invariant(graph, n_consts) or (None, graph)
    pre, body = got
    run = _program(body, buf, loop_body=True)
    if pre is None:
        return lambda consts: consts, run
    pre_run = _program(pre, buf)
    return lambda consts: pre_run(consts) + consts, run


def _scan_kernel(xp, *bufs, graph, num_consts, num_carry, length, reverse, unroll):
    nc, ncar = num_consts, num_carry
    consts = list(bufs[:nc])
    carry = list(bufs[nc:nc + ncar])
    xs = bufs[nc + ncar:]
    y_avals = graph.out_avals[ncar:]
    ys = [xp.empty((length,) + tuple(a.shape), a.dtype) for a in y_avals]
    if length == 0:
        return carry + ys
    start, run = _loop_program(graph, nc, (consts + carry + list(xs) + [xp.empty(())])[0])
    consts = start(consts)
    for i in (range(length - 1, -1, -1) if reverse else range(length)):
        out = run(consts + carry + [x[i, ...] for x in xs])  # [i, ...]: 0-d arrays, not scalars
        carry = out[:ncar]
        for y, o in zip(ys, out[ncar:]):
            y[i] = o
    return [xp.asarray(c) for c in carry] + ys


def _while_kernel(xp, *bufs, cond_graph, body_graph, cond_nconsts, body_nconsts, max_steps):
    k = cond_nconsts + body_nconsts
    cc, bc, carry = list(bufs[:cond_nconsts]), list(bufs[cond_nconsts:k]), list(bufs[k:])
    probe = (list(bufs) + [xp.empty(())])[0]
    c_start, cond = _loop_program(cond_graph, len(cc), probe)
    b_start, body = _loop_program(body_graph, len(bc), probe)
    cc, bc = c_start(cc), b_start(bc)
    while bool(cond(cc + carry)[0]):
        carry = body(bc + carry)
    return [xp.asarray(c) for c in carry]


def _cond_kernel(xp, index, *bufs, branches):
    i = min(max(int(index), 0), len(branches) - 1)
    return [xp.asarray(o) for o in _program(branches[i], index)(list(bufs))]


def _checkpoint_kernel(xp, *bufs, graph, policy, prevent_cse):
    probe = (list(bufs) + [xp.empty(())])[0]
    return [xp.asarray(o) for o in _program(graph, probe)(list(bufs))]


def _name_kernel(xp, x, *, name):
    return x


def kernels(xp, ndarray):
    from tensorlib.backends.numpy_backend import bind_xp

    return [(scan_p, (ndarray, [ndarray]), bind_xp(xp, _scan_kernel)),
            (while_p, (ndarray, [ndarray]), bind_xp(xp, _while_kernel)),
            (cond_p, (ndarray, [ndarray]), bind_xp(xp, _cond_kernel)),
            (checkpoint_p, (ndarray, [ndarray]), bind_xp(xp, _checkpoint_kernel)),
            (name_p, (ndarray,), bind_xp(xp, _name_kernel))]
