"""The NumPy backend's compiler: a graph becomes one flat program over NumPy buffers.

Every equation's kernel is resolved once, at compile time, from the input avals; buffers live
in a list indexed by slot and are released after their last use, so peak memory follows the
live set rather than the whole graph. Higher-order equations (control flow, custom rules) run
through their primitive's ``impl`` on Arrays.
"""

from __future__ import annotations

import numpy as np

from tensorlib._src.core import Array
from tensorlib._src.dispatch import resolve


def _kernel(prim, n_in):
    key = (np.ndarray,) * n_in if n_in else (np.ndarray,)
    fn = prim._impl_cache.get(key)
    return fn if fn is not None else resolve(prim, key)


def compile_graph(graph):
    slot = {}
    for v in list(graph.constvars) + list(graph.invars):
        slot[id(v)] = len(slot)
    steps = []
    last_use = {}
    for k, e in enumerate(graph.eqns):
        for v in e.inputs:
            last_use[id(v)] = k
        for v in e.outputs:
            slot[id(v)] = len(slot)
    keep = {id(v) for v in graph.outvars}
    for k, e in enumerate(graph.eqns):
        ins = tuple(slot[id(v)] for v in e.inputs)
        outs = tuple(slot[id(v)] for v in e.outputs)
        free = tuple(slot[id(v)] for v in e.inputs
                     if last_use.get(id(v)) == k and id(v) not in keep
                     and v not in graph.invars and v not in graph.constvars)
        if e.prim.impl is not None:
            weak = tuple(v.aval.weak_type for v in e.inputs)
            steps.append((1, e.prim, ins, outs, e.params, free, weak))
        else:
            fn = _kernel(e.prim, len(ins))
            steps.append((0, fn, ins, outs, e.params, free, e.prim.multiple_results))
    n_slots = len(slot)
    const_bufs = [c._buf for c in graph.consts]
    n_consts = len(const_bufs)
    out_slots = [slot[id(v)] for v in graph.outvars]
    out_weak = [v.aval.weak_type for v in graph.outvars]

    def run(*args):
        env = [None] * n_slots
        env[:n_consts] = const_bufs
        env[n_consts:n_consts + len(args)] = [a._buf for a in args]
        for kind, fn, ins, outs, params, free, extra in steps:
            if kind == 0:
                r = fn(*[env[i] for i in ins], **params)
                if extra:
                    for o, b in zip(outs, r):
                        env[o] = b
                else:
                    env[outs[0]] = r
            else:
                arrs = [Array(env[i], w) for i, w in zip(ins, extra)]
                for o, a in zip(outs, fn.impl(*arrs, **params)):
                    env[o] = a._buf
            for i in free:
                env[i] = None
        return [Array(env[s], w) for s, w in zip(out_slots, out_weak)]

    return run
