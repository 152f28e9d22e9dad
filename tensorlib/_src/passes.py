"""Graph passes: constant folding, common-subexpression elimination, dead-code elimination,
and the fusion grouping backends use to compile elementwise chains."""

from __future__ import annotations

from tensorlib._src.core import eval_primitive
from tensorlib._src.ir import Eqn, Graph, Var

# Primitives with effects (printing, callbacks): never folded, merged or removed.
effectful: set = set()
# Primitives that must not be evaluated at trace time even on constants (control flow and
# calls, whose bodies may have effects; random bits are fine to fold: they are pure).
_NO_FOLD_MAX_ELEMENTS = 1 << 16


def simplify(graph: Graph) -> Graph:
    return dce(cse(fold_constants(graph)))


def fold_constants(graph: Graph) -> Graph:
    """Evaluate equations whose inputs are all constants (small results only)."""
    const_of = dict(zip(map(id, graph.constvars), graph.consts))
    constvars, consts = list(graph.constvars), list(graph.consts)
    eqns = []
    for e in graph.eqns:
        foldable = (e.prim not in effectful and e.prim.impl is None
                    and all(id(v) in const_of for v in e.inputs)
                    and all(v.aval.size <= _NO_FOLD_MAX_ELEMENTS for v in e.outputs))
        if not foldable:
            eqns.append(e)
            continue
        out = eval_primitive(e.prim, [const_of[id(v)] for v in e.inputs], e.params)
        outs = out if e.prim.multiple_results else [out]
        for v, o in zip(e.outputs, outs):
            const_of[id(v)] = o
            constvars.append(v)
            consts.append(o)
    g = Graph(constvars, consts, graph.invars, eqns, graph.outvars)
    return _drop_unused_consts(g)


def _param_key(params):
    try:
        key = tuple(sorted(params.items()))
        hash(key)
        return key
    except TypeError:
        return None


def cse(graph: Graph) -> Graph:
    """Merge equations with the same primitive, inputs and (hashable) params."""
    seen = {}
    rename = {}
    eqns = []
    for e in graph.eqns:
        ins = [rename.get(id(v), v) for v in e.inputs]
        pk = _param_key(e.params) if e.prim not in effectful else None
        key = None if pk is None else (e.prim, tuple(map(id, ins)), pk)
        prev = seen.get(key) if key is not None else None
        if prev is not None:
            for v, w in zip(e.outputs, prev.outputs):
                rename[id(v)] = w
            continue
        new = Eqn(e.prim, ins, e.params, e.outputs)
        if key is not None:
            seen[key] = new
        eqns.append(new)
    outs = [rename.get(id(v), v) for v in graph.outvars]
    return Graph(graph.constvars, graph.consts, graph.invars, eqns, outs)


def dce(graph: Graph) -> Graph:
    """Drop equations whose outputs are never used (effectful ones stay)."""
    live = {id(v) for v in graph.outvars}
    kept = []
    for e in reversed(graph.eqns):
        if e.prim in effectful or any(id(v) in live for v in e.outputs):
            kept.append(e)
            live.update(id(v) for v in e.inputs)
    kept.reverse()
    g = Graph(graph.constvars, graph.consts, graph.invars, kept, graph.outvars)
    return _drop_unused_consts(g)


def _drop_unused_consts(g: Graph) -> Graph:
    used = {id(v) for e in g.eqns for v in e.inputs} | {id(v) for v in g.outvars}
    pairs = [(v, c) for v, c in zip(g.constvars, g.consts) if id(v) in used]
    return Graph([v for v, _ in pairs], [c for _, c in pairs], g.invars, g.eqns, g.outvars)


def use_counts(graph: Graph) -> dict:
    counts = {}
    for e in graph.eqns:
        for v in e.inputs:
            counts[id(v)] = counts.get(id(v), 0) + 1
    for v in graph.outvars:
        counts[id(v)] = counts.get(id(v), 0) + 1
    return counts


__all__ = ["Var", "simplify", "fold_constants", "cse", "dce", "use_counts", "effectful"]
