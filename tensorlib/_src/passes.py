"""Graph passes: constant folding, common-subexpression elimination, dead-code elimination,
and the fusion grouping backends use to compile elementwise chains."""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from tensorlib._src.core import Array, eval_primitive
from tensorlib._src.ir import Eqn, Graph
from tensorlib._src.rules import register

# Primitives with effects (printing, callbacks): never folded, merged or removed.
_effectful: dict = {}  # a set kept as a dict: keys() is its read-only view
effectful = _effectful.keys()
# Primitives that must not be evaluated at trace time even on constants (control flow and
# calls, whose bodies may have effects; random bits are fine to fold: they are pure).
_NO_FOLD_MAX_ELEMENTS = 1 << 16
# Primitives never evaluated at trace time (loops: their cost is not bounded by their size).
_no_fold: dict = {}
no_fold = _no_fold.keys()


def def_effectful(prim):
    """Declare that ``prim`` has effects: passes never fold, merge or remove it."""
    if prim in _effectful:
        raise ValueError(f"primitive '{prim.name}' is already declared effectful")
    _effectful[prim] = None
    return prim


def def_no_fold(prim):
    """Declare that ``prim`` is never evaluated at trace time, even on constants."""
    if prim in _no_fold:
        raise ValueError(f"primitive '{prim.name}' is already declared no_fold")
    _no_fold[prim] = None
    return prim


def simplify(graph: Graph) -> Graph:
    return dce(cse(fold_constants(graph)))


def fold_constants(graph: Graph) -> Graph:
    """Evaluate equations whose inputs are all constants (small results only).

    A ``broadcast_in_dim`` of a constant stays in the graph (folding it would only materialize
    a stride-0 view), but its value is known, so equations that consume it can still fold.

    Folding runs on the host, with the NumPy backend's kernels, whatever the graph's backend:
    a compiling backend (XLA) would otherwise build one single-op executable per folded
    equation at trace time (~40 ms each when its cache is cold). The folded constants are
    uploaded with the graph's other constants.
    """
    const_of = dict(zip(map(id, graph.constvars), graph.consts))
    constvars, consts = list(graph.constvars), list(graph.consts)
    known = dict(const_of)  # constants plus the values of kept broadcasts of constants
    eqns = []
    for e in graph.eqns:
        foldable = (e.prim not in _effectful and e.prim.impl is None and e.prim not in _no_fold
                    and all(id(v) in known for v in e.inputs)
                    and all(v.aval.size <= _NO_FOLD_MAX_ELEMENTS for v in e.outputs))
        if not foldable:
            eqns.append(e)
            continue
        args = []
        for v in e.inputs:
            a = known[id(v)]
            h = _on_host(a)
            if h is not a:
                known[id(v)] = h  # convert each constant once
            args.append(h)
        out = eval_primitive(e.prim, args, e.params)
        outs = out if e.prim.multiple_results else [out]
        if e.prim.name == "broadcast_in_dim":
            eqns.append(e)
            known[id(e.outputs[0])] = outs[0]
            continue
        for v, o in zip(e.outputs, outs):
            known[id(v)] = o
            constvars.append(v)
            consts.append(o)
    g = Graph(constvars, consts, graph.invars, eqns, graph.outvars)
    return _drop_unused_consts(g)


def _on_host(c):
    """``c`` as a NumPy-backend Array (itself when it already is one, or is not an Array)."""
    if type(c) is not Array or type(c._buf) is np.ndarray:
        return c
    return Array(np.asarray(c.to_numpy()), c._weak)


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
        pk = _param_key(e.params) if e.prim not in _effectful else None
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


# prim -> fn(eqn, used) -> eqn: drop what a higher-order equation computes for unused outputs
# (a scan's ys, a cond's outputs) inside its graphs, and the inputs that then go unused
_dce_rules: dict = {}
dce_rules = MappingProxyType(_dce_rules)


def def_dce(prim):
    """Register ``fn(eqn, used) -> eqn`` (see ``dce_rules``)."""
    return lambda fn: register(_dce_rules, prim, fn, "dead-code elimination")


def dce(graph: Graph) -> Graph:
    """Drop equations whose outputs are never used (effectful ones stay); see through the
    graphs of higher-order equations (``dce_rules``)."""
    live = {id(v) for v in graph.outvars}
    kept = []
    for e in reversed(graph.eqns):
        used = [id(v) in live for v in e.outputs]
        if e.prim in _effectful or any(used):
            rule = _dce_rules.get(e.prim)
            if rule is not None and not all(used):
                e = rule(e, used)
            kept.append(e)
            live.update(id(v) for v in e.inputs)
    kept.reverse()
    g = Graph(graph.constvars, graph.consts, graph.invars, kept, graph.outvars)
    return _drop_unused_consts(g)


def _drop_unused_consts(g: Graph) -> Graph:
    used = {id(v) for e in g.eqns for v in e.inputs} | {id(v) for v in g.outvars}
    pairs = [(v, c) for v, c in zip(g.constvars, g.consts) if id(v) in used]
    return Graph([v for v, _ in pairs], [c for _, c in pairs], g.invars, g.eqns, g.outvars)


def invariant_ids(graph: Graph, n_consts: int):
    """``(ids, eqns)``: the values of ``graph`` that depend on its first ``n_consts`` inputs
    (and its constants) alone, in a loop body the same at every iteration, and the equations
    that compute them. Effectful equations never count as invariant."""
    inv = {id(v) for v in graph.invars[:n_consts]} | {id(v) for v in graph.constvars}
    eqns = []
    for e in graph.eqns:
        if e.prim not in _effectful and all(id(v) in inv for v in e.inputs):
            inv.update(id(v) for v in e.outputs)
            eqns.append(e)
    return inv, eqns


def split_invariant(graph: Graph, n_consts: int):
    """Loop-invariant code motion for a loop body whose first ``n_consts`` inputs do not
    change between iterations: ``(pre, body)`` where ``pre`` maps those inputs to the values
    the body needs that depend on them alone, and ``body`` takes those values first, then
    its original inputs. None when nothing is invariant."""
    _, pre_eqns = invariant_ids(graph, n_consts)
    hoisted = set(map(id, pre_eqns))
    rest = [e for e in graph.eqns if id(e) not in hoisted]
    if not pre_eqns:
        return None
    produced = {id(v) for e in pre_eqns for v in e.outputs}
    needed, seen = [], set()
    for v in [v for e in rest for v in e.inputs] + list(graph.outvars):
        if id(v) in produced and id(v) not in seen:
            seen.add(id(v))
            needed.append(v)
    pre = dce(Graph(graph.constvars, graph.consts, graph.invars[:n_consts], pre_eqns, needed))
    body = _drop_unused_consts(Graph(graph.constvars, graph.consts, needed + graph.invars,
                                     rest, graph.outvars))
    return pre, body


def use_counts(graph: Graph) -> dict:
    counts = {}
    for e in graph.eqns:
        for v in e.inputs:
            counts[id(v)] = counts.get(id(v), 0) + 1
    for v in graph.outvars:
        counts[id(v)] = counts.get(id(v), 0) + 1
    return counts


class FusionGroup:
    """A contiguous run of fusible equations over one output shape.

    ``inputs`` are the values the run reads from outside; ``outputs`` the values it defines
    that are used after it (or returned by the graph).
    """

    __slots__ = ("eqn_indices", "eqns", "inputs", "outputs", "shape")

    def __init__(self, eqn_indices, eqns, inputs, outputs, shape):
        self.eqn_indices = eqn_indices
        self.eqns = eqns
        self.inputs = inputs
        self.outputs = outputs
        self.shape = shape


def fusion_groups(graph: Graph, can_fuse, min_ops=2, min_size=0):
    """Group runs of elementwise equations for a backend's fused-loop generator.

    ``can_fuse(eqn)`` says which equations a backend can put in a loop; ``broadcast_in_dim``
    joins a group as an index remap only when its result is used inside the group alone.
    A group is kept when it has at least ``min_ops`` computing equations and ``min_size``
    output elements (the cost model: below that, one NumPy call per op is as fast).
    """
    consumers = {}
    for k, e in enumerate(graph.eqns):
        for v in e.inputs:
            consumers.setdefault(id(v), []).append(k)
    graph_outs = {id(v) for v in graph.outvars}
    groups = []
    runs = {}      # output shape -> open run (eqn indices): several shapes can be open at once
    defined = {}   # id(var) -> shape of the open run that defines it

    def flush(shape):
        run = runs.pop(shape, None)
        if not run:
            return
        for j in run:
            for v in graph.eqns[j].outputs:
                defined.pop(id(v), None)
        g = _make_group(graph, run, consumers, graph_outs)
        if g is not None and sum(e.prim.name != "broadcast_in_dim" for e in g.eqns) >= \
                min_ops and _size(g.shape) >= min_size:
            groups.append(g)

    for k, e in enumerate(graph.eqns):
        reads = {defined[id(v)] for v in e.inputs if id(v) in defined}
        fusible = len(e.outputs) == 1 and can_fuse(e)
        shape = tuple(e.outputs[0].aval.shape) if e.outputs else None
        if fusible and e.prim.name == "broadcast_in_dim":
            # an index remap of an outside value only
            fusible = id(e.inputs[0]) not in defined and id(e.outputs[0]) not in graph_outs
        if e.prim in _effectful:
            for sh in list(runs):
                flush(sh)
            continue
        # A run's kernel runs at its last member, so anything that reads a run's values
        # before then ends that run (except members of the same run).
        for sh in reads - ({shape} if fusible else set()):
            flush(sh)
        if fusible:
            runs.setdefault(shape, []).append(k)
            defined[id(e.outputs[0])] = shape
    for sh in list(runs):
        flush(sh)
    groups.sort(key=lambda g: g.eqn_indices[-1])
    return groups


def _size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _make_group(graph, run, consumers, graph_outs):
    eqns = [graph.eqns[k] for k in run]
    members = set(run)
    # a broadcast whose result is used outside the run is computed separately
    keep = []
    for k, e in zip(run, eqns):
        if e.prim.name == "broadcast_in_dim" and any(
                j not in members for j in consumers.get(id(e.outputs[0]), [])):
            continue
        keep.append(k)
    if not keep:
        return None
    eqns = [graph.eqns[k] for k in keep]
    defined = {id(v) for e in eqns for v in e.outputs}
    last = keep[-1]
    inputs, seen = [], set()
    bcast_out = {id(e.outputs[0]) for e in eqns if e.prim.name == "broadcast_in_dim"}
    for e in eqns:
        for v in e.inputs:
            if id(v) not in defined and id(v) not in seen:
                seen.add(id(v))
                inputs.append(v)
    outputs = [v for e in eqns for v in e.outputs
               if id(v) not in bcast_out and (id(v) in graph_outs or any(
                   j > last or j not in set(keep) for j in consumers.get(id(v), [])))]
    if not outputs:
        return None
    shape = tuple(eqns[-1].outputs[0].aval.shape)
    return FusionGroup(keep, eqns, inputs, outputs, shape)
