"""Staging: the recorder that builds the tape, recording abstract values instead of running.

``trace_to_graph(fun, in_avals)`` pushes a *dynamic* staging trace, so every operation inside
``fun`` -- even one on constants only -- becomes an equation. Concrete arrays captured from
the enclosing scope become graph constants; tracers of an enclosing transformation (a ``grad``
around a ``jit``, say) become extra inputs, so derivatives flow through them.
"""

from __future__ import annotations

from types import MappingProxyType

from tensorlib._src.core import AbstractArray, Array, Trace, Tracer, get_aval, new_trace
from tensorlib._src.ir import Eqn, Graph, Var
from tensorlib._src.rules import register, shape_rules
from tensorlib.errors import MissingRuleError

# prim -> fn(trace, tracers, params) -> outputs: staging of higher-order primitives
_staging_rules: dict = {}
staging_rules = MappingProxyType(_staging_rules)


def def_staging(prim):
    """Register ``fn(trace, tracers, params) -> outputs``: how a staging trace records
    ``prim`` (instead of running its shape rule and recording one equation)."""
    return lambda fn: register(_staging_rules, prim, fn, "staging")


class StagedTracer(Tracer):
    __slots__ = ("var",)

    def __init__(self, trace, var):
        self._trace = trace
        self.var = var

    @property
    def aval(self):
        return self.var.aval

    def concrete_value(self):
        return None


class GraphBuilder:
    __slots__ = ("eqns", "const_vars", "const_vals", "captured_vars", "captured_vals",
                 "axis_name", "size", "keepalive", "name")

    def __init__(self, axis_name=None, size=None, name="fun"):
        self.name = name  # what is being traced ("scan body", ...), for error messages
        # a named axis (pmap) that collectives inside this trace refer to
        self.axis_name = axis_name
        self.size = size
        self.eqns = []
        self.keepalive = []
        self.const_vars = {}      # id(Array) -> Var
        self.const_vals = []      # [(Var, Array)]
        self.captured_vars = {}   # id(tracer) -> Var
        self.captured_vals = []   # [(Var, lower-level tracer)]


class StagingTrace(Trace):
    __slots__ = ("builder",)

    def __init__(self, level: int, builder: GraphBuilder):
        super().__init__(level)
        self.builder = builder

    @property
    def axis(self):
        return self.builder if self.builder.axis_name is not None else None

    def pure(self, val):
        b = self.builder
        if not isinstance(val, Array):
            from tensorlib._src.core import asarray

            val = asarray(val)
        if isinstance(val, Tracer):
            # a value of an enclosing transformation: an extra (captured) input
            var = b.captured_vars.get(id(val))
            if var is None:
                var = b.captured_vars[id(val)] = Var(val.aval)
                b.captured_vals.append((var, val))
            return StagedTracer(self, var)
        var = b.const_vars.get(id(val))
        if var is None:
            scalar = _broadcast_scalar(val)
            if scalar is not None:
                # A constant that is one value broadcast (a stride-0 view): stage the scalar
                # and a broadcast_in_dim, so compilers see a scalar, not a big array.
                s_var = Var(scalar.aval)
                b.const_vals.append((s_var, scalar))
                var = b.const_vars[id(val)] = Var(val.aval)
                params = {"shape": tuple(val.shape), "broadcast_dimensions": ()}
                from tensorlib._src.ops.shape import broadcast_in_dim_p

                b.eqns.append(Eqn(broadcast_in_dim_p, [s_var], params, [var]))
                b.keepalive.append(val)  # const_vars is keyed by id(): the id must not recycle
            else:
                var = b.const_vars[id(val)] = Var(val.aval)
                b.const_vals.append((var, val))
        return StagedTracer(self, var)

    lift = pure

    def process_primitive(self, prim, tracers, params):
        rule = _staging_rules.get(prim)
        if rule is not None:
            return rule(self, tracers, params)
        shape_rule = shape_rules.get(prim)
        if shape_rule is None:
            raise MissingRuleError("shape", prim)
        out_avals = shape_rule(*[t.aval for t in tracers], **params)
        outs = out_avals if prim.multiple_results else [out_avals]
        return self.record(prim, tracers, params, outs)

    def record(self, prim, tracers, params, out_avals):
        out_vars = [Var(a) for a in out_avals]
        self.builder.eqns.append(Eqn(prim, [t.var for t in tracers], params, out_vars))
        outs = [StagedTracer(self, v) for v in out_vars]
        return outs if prim.multiple_results else outs[0]


def _broadcast_scalar(val):
    """The 0-d Array behind ``val`` if its buffer is one element broadcast, else None."""
    buf = val._buf
    strides = getattr(buf, "strides", None)
    if not strides or buf.size <= 1 or any(strides):
        return None
    return Array(buf.reshape(-1)[:1].reshape(()).copy(), val._weak)


class ClosedGraph:
    """A graph with its constants bound and its captured values listed."""

    __slots__ = ("graph", "captured")

    def __init__(self, graph, captured):
        self.graph = graph
        self.captured = captured

    def __str__(self):
        return str(self.graph)


def trace_to_graph(fun, in_avals, *, name="fun", axis_env=None):
    """Stage ``fun(*tracers) -> list of values`` over ``in_avals`` into a ClosedGraph.

    The graph's inputs are ``in_avals`` followed by the captured outer tracers (whose values
    are returned in ``ClosedGraph.captured``). ``axis_env=(name, size)`` binds a named axis
    for the collectives inside (pmap).
    """
    builder = GraphBuilder(*(axis_env or (None, None)), name=name)
    with new_trace(StagingTrace, builder, dynamic=True) as trace:
        in_vars = [Var(a) for a in in_avals]
        ins = [StagedTracer(trace, v) for v in in_vars]
        outs = fun(*ins)
        out_vars = [trace.full_raise(o).var for o in outs]
    const_vars = [v for v, _ in builder.const_vals]
    consts = [c for _, c in builder.const_vals]
    cap_vars = [v for v, _ in builder.captured_vals]
    graph = Graph(const_vars, consts, in_vars + cap_vars, builder.eqns, out_vars)
    from tensorlib._src.passes import simplify

    graph = simplify(graph)
    return ClosedGraph(graph, [t for _, t in builder.captured_vals])


def avals_of(values):
    return [AbstractArray(get_aval(v).shape, get_aval(v).dtype, get_aval(v).weak_type)
            for v in values]
