"""Closed graphs for higher-order primitives, and the graph-to-graph transformations their
rules are built from.

A control-flow primitive holds its bodies as ``Graph`` objects (equations plus the constants
they captured); every value the user's function closed over, tracers of enclosing
transformations included, is an explicit input of the equation. The rules never call the
user's Python again: they transform graphs.

- ``jvp_graph``: forward mode of a graph is a graph (primals and nonzero tangents in, primals
  and tangents out).
- ``batch_graph``: vmap of a graph, batched inputs and outputs at axis 0.
- ``vjp_split``: reverse mode as a forward graph that also returns *residuals* and a
  backward builder that turns cotangents and residuals into input cotangents. It is the tape
  itself, staged: the forward graph runs the body under a tape; the values the tape's VJP
  rules will read are the residuals; the backward half replays that tape on stand-ins for the
  residuals, so the backward graph has exactly the VJP rules' work in it.
"""

from __future__ import annotations

import weakref

from tensorlib._src import dtypes
from tensorlib._src.core import AbstractArray, Tracer, asarray, new_trace
from tensorlib._src.ir import Eqn, Graph, Var, eval_graph
from tensorlib._src.transforms.staging import StagedTracer, trace_to_graph
from tensorlib.errors import ControlFlowError  # noqa: F401 - raised here, public there


def python_mode():
    """Under ``tl.disable_jit()`` with no transformation active, control flow runs the user's
    Python functions step by step on concrete values, so ``print`` and ``pdb`` inside a body
    see numbers (JAX does the same). Everywhere else the bodies are traced to graphs."""
    from tensorlib._src.config import config
    from tensorlib._src.core import _tls

    return config.disable_jit and not _tls.stack


def error(msg):
    """A ControlFlowError whose message ends with the user's line."""
    from tensorlib._src.errors_util import user_frame

    return ControlFlowError(f"{msg} (at {user_frame()})")


def trace_closed(fn, in_avals, name="body"):
    """Stage ``fn(*tracers) -> list`` once: ``(graph, captured)``.

    The graph's inputs are the captured outer values first, then ``in_avals``; ``captured``
    lists the outer values (tracers of enclosing transformations) in that order.
    """
    closed = trace_to_graph(lambda *a: [asarray(v) for v in fn(*a)], in_avals, name=name)
    g = closed.graph
    n = len(in_avals)
    g = Graph(g.constvars, g.consts, g.invars[n:] + g.invars[:n], g.eqns, g.outvars)
    return g, list(closed.captured)


def union_captures(traced):
    """Graphs traced over the same arguments, each ``(graph, captured)`` from ``trace_closed``,
    given one list of captured inputs (the union): ``(graphs, captured)``."""
    caps, pos = [], {}
    for _, c in traced:
        for t in c:
            if id(t) not in pos:
                pos[id(t)] = len(caps)
                caps.append(t)
    graphs = []
    for g, c in traced:
        own = dict(zip((id(t) for t in c), g.invars[:len(c)]))
        graphs.append(with_invars(g, [own.get(id(t)) or Var(t.aval) for t in caps]
                                  + g.invars[len(c):]))
    return graphs, caps


def stage(fn, in_avals):
    """Stage a function of a rule (it closes over nothing staged): its graph."""
    closed = trace_to_graph(lambda *a: [asarray(v) for v in fn(*a)], in_avals)
    if closed.captured:
        raise AssertionError("a rule's staged function captured an outer tracer")
    return closed.graph


def call(graph, args):
    """Evaluate ``graph`` on ``args`` by binding its equations (under any transformation).

    Its constants are used on the current backend (constant folding leaves host arrays in
    graphs staged for another backend); the moved copies are kept with the graph."""
    return eval_graph(graph, _consts(graph), list(args))


_moved: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _consts(graph):
    from tensorlib._src.core import current_backend
    from tensorlib._src.transforms.jit import _consts_on

    if not graph.consts:
        return graph.consts
    be = current_backend()
    per = _moved.setdefault(graph, {})
    got = per.get(be.name)
    if got is None:
        got = per[be.name] = _consts_on(be, graph.consts)
    return got


def with_invars(graph, invars):
    return Graph(graph.constvars, graph.consts, invars, graph.eqns, graph.outvars)


def used_inputs(graph):
    """One bool per input of ``graph``: whether an equation or an output reads it."""
    used = {id(v) for e in graph.eqns for v in e.inputs} | {id(v) for v in graph.outvars}
    return [id(v) in used for v in graph.invars]


def pad_invars(graph, avals, at):
    """``graph`` taking extra, unused inputs of ``avals`` at position ``at``."""
    extra = [Var(a) for a in avals]
    return with_invars(graph, graph.invars[:at] + extra + graph.invars[at:])


def tangent_aval(aval):
    return AbstractArray(aval.shape, aval.dtype, False)


def differentiable(aval):
    return dtypes.is_inexact(aval.dtype)


def zeros(aval):
    from tensorlib._src.ops.elementwise import full

    return full(tuple(aval.shape), 0, aval.dtype)


# --------------------------------------------------------------------------------------------
# forward mode


def jvp_graph(graph, nonzeros, instantiate):
    """Forward mode of ``graph``: ``(graph', out_nonzeros)``.

    ``graph'`` takes the primals, then a tangent for each input marked in ``nonzeros``; it
    returns the primal outputs, then a tangent for each output in ``out_nonzeros`` (outputs
    marked in ``instantiate`` always get one, zeros if need be).
    """
    from tensorlib._src.transforms.ad import jvp_flat

    in_avals = graph.in_avals
    t_avals = [tangent_aval(a) for a, nz in zip(in_avals, nonzeros) if nz]
    n = len(in_avals)
    box = []

    def fn(*args):
        it = iter(args[n:])
        tangents = [next(it) if nz else None for nz in nonzeros]
        outs, t_outs = jvp_flat(lambda *p: call(graph, p), list(args[:n]), tangents)
        res = []
        for o, t, inst in zip(outs, t_outs, instantiate):
            aval = asarray(o).aval
            if not differentiable(aval):
                t = None
            elif t is None and inst:
                t = zeros(aval)
            res.append(t)
        box.append([t is not None for t in res])
        return list(outs) + [t for t in res if t is not None]

    return stage(fn, in_avals + t_avals), box[-1]


# --------------------------------------------------------------------------------------------
# batching


def batch_graph(graph, batched, size, axis_name, force_out):
    """vmap of ``graph`` with the inputs in ``batched`` mapped at axis 0: ``(graph', out_b)``.

    Outputs come out batched at axis 0 where they depend on the batch (``out_b``), or where
    ``force_out`` asks (broadcast).
    """
    from tensorlib._src.ops.shape import bdim_at_front
    from tensorlib._src.transforms.batching import BatchInfo, BatchTrace, BatchTracer

    in_avals = [a.update(shape=(size,) + tuple(a.shape)) if b else a
                for a, b in zip(graph.in_avals, batched)]
    box = []

    def fn(*args):
        with new_trace(BatchTrace, BatchInfo(size, axis_name)) as trace:
            ins = [BatchTracer(trace, x, 0 if b else None) for x, b in zip(args, batched)]
            outs = call(graph, ins)
            res, out_b = [], []
            for o, force in zip(outs, force_out):
                o = trace.full_raise(asarray(o))
                if o.bdim is None and not force:
                    res.append(o.val)
                    out_b.append(False)
                else:
                    res.append(bdim_at_front(o.val, o.bdim, size))
                    out_b.append(True)
        box.append(out_b)
        return res

    return stage(fn, in_avals), box[-1]


def batch_fixed_point(graph, batched_in, carry_slice, size, axis_name, force_rest=False):
    """Batch a loop body whose carry (``carry_slice`` of the inputs, and the first outputs)
    must be batched on the way out if it is on the way in, and vice versa."""
    lo, hi = carry_slice
    batched = list(batched_in)
    n_out = len(graph.outvars)
    while True:
        force = batched[lo:hi] + [force_rest] * (n_out - (hi - lo))
        g, out_b = batch_graph(graph, batched, size, axis_name, force)
        carry_out = out_b[:hi - lo]
        if all(o <= i for o, i in zip(carry_out, batched[lo:hi])):
            return g, batched, out_b
        batched[lo:hi] = [i or o for i, o in zip(batched[lo:hi], carry_out)]


# --------------------------------------------------------------------------------------------
# reverse mode: a staged tape split into a forward and a backward half


class Split:
    """``vjp_split``'s result.

    ``fwd``: the graph's inputs -> its outputs, then the residuals that are not kept inputs.
    ``res``: where each residual comes from: ``("in", i)`` (input ``i``, not output by
    ``fwd``) or ``("out", k)`` (``fwd``'s output ``n_out + k``). ``out_live``: which outputs
    carry a derivative. ``backward(res_vals, cts)``: input cotangents (None where there is no
    derivative); call it while staging the backward graph.
    """

    __slots__ = ("fwd", "res", "res_avals", "out_live", "n_out", "_tape", "_res_ids",
                 "_const_sub", "_in_vars", "_out_vars")

    def backward(self, res_vals, cts):
        from tensorlib._src.transforms.ad import backward_pass

        sub = dict(self._const_sub)
        sub.update(zip(self._res_ids, res_vals))
        tape = [Eqn(e.prim, e.inputs, e.params, e.outputs, _subst(e.in_vals, sub),
                    _subst(e.out_vals, sub)) for e in self._tape]
        seeds = {}
        from tensorlib._src.ops.elementwise import add

        for v, ct in zip(self._out_vars, cts):
            if v is not None and ct is not None:
                seeds[v] = ct if v not in seeds else add(seeds[v], ct)
        env = backward_pass(tape, seeds)
        return [None if v is None else env.get(v) for v in self._in_vars]


def _constant_of(tracer):
    """The concrete value behind a staged tracer that stands for a graph constant, or None."""
    for v, c in tracer._trace.builder.const_vals:
        if v is tracer.var:
            return c
    return None


def _subst(vals, sub):
    if vals is None:
        return None
    return [sub.get(id(x), x) if isinstance(x, StagedTracer) else x for x in vals]


def vjp_split(graph, live, keep_inputs):
    """Split reverse mode of ``graph`` (differentiated with respect to the inputs in
    ``live``) into a forward graph with residuals and a backward half (see ``Split``).

    A residual that is an input in ``keep_inputs`` is read from that input (loop-invariant
    constants of a scan, its ``xs``); every other residual is an output of ``fwd``.
    """
    from tensorlib._src.transforms.ad import TapeTrace, TapeTracer, _unwrap_out

    split = Split()
    n_out = len(graph.outvars)

    def fwd(*ins):
        with new_trace(TapeTrace, []) as tt:
            tins = [TapeTracer(tt, x, Var()) if lv else x for x, lv in zip(ins, live)]
            pairs = [_unwrap_out(tt, o) for o in call(graph, tins)]
        tape = tt.tape
        tt.tape = None
        in_pos = {id(x): i for i, x in enumerate(ins)}
        res, res_ids, seen, const_sub = [], [], set(), {}
        for e in tape:
            for v in list(e.in_vals or ()) + list(e.out_vals or ()):
                if isinstance(v, Tracer) and id(v) not in seen:
                    if not isinstance(v, StagedTracer):
                        raise AssertionError("a residual of a staged tape is not staged")
                    seen.add(id(v))
                    # a graph constant is no residual: the backward half reads it as is
                    c = _constant_of(v)
                    if c is not None:
                        const_sub[id(v)] = c
                        continue
                    res.append(v)
                    res_ids.append(id(v))
        kinds, extra = [], []
        for r in res:
            i = in_pos.get(id(r))
            if i is not None and i in keep_inputs:
                kinds.append(("in", i))
            else:
                kinds.append(("out", len(extra)))
                extra.append(r)
        split.res = kinds
        split.res_avals = [r.aval for r in res]
        split._tape, split._res_ids, split._const_sub = tape, res_ids, const_sub
        split._in_vars = [t.var if isinstance(t, TapeTracer) else None for t in tins]
        split._out_vars = [v for _, v in pairs]
        split.out_live = [v is not None for _, v in pairs]
        return [p for p, _ in pairs] + extra

    split.fwd = stage(fwd, graph.in_avals)
    split.n_out = n_out
    return split
