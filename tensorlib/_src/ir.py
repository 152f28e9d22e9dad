"""The IR shared by the tape and staged graphs: ``Var``, ``Eqn`` and ``Graph``.

The tape records ``Eqn(prim, inputs, params, outputs)`` and keeps the primal values its VJP
rules need (``in_vals``, ``out_vals``). Staging records the same equations with abstract
values and keeps them as a ``Graph``: one printer, one typechecker, one interpreter.
"""

from __future__ import annotations

import itertools

import numpy as np

from tensorlib._src import dtypes


class Var:
    """A value in a tape or graph, identified by object identity."""

    __slots__ = ("aval",)

    def __init__(self, aval=None):
        self.aval = aval

    def __repr__(self):
        return f"Var({self.aval.str_short() if self.aval is not None else '?'})"


class Eqn:
    __slots__ = ("prim", "inputs", "params", "outputs", "in_vals", "out_vals")

    def __init__(self, prim, inputs, params, outputs, in_vals=None, out_vals=None):
        self.prim = prim
        self.inputs = inputs
        self.params = params
        self.outputs = outputs
        self.in_vals = in_vals
        self.out_vals = out_vals

    def __repr__(self):
        return f"Eqn({self.prim.name}, {len(self.inputs)} in, {len(self.outputs)} out)"

    # JAX's names for the same fields (``jax.core.JaxprEqn``): programs that walk a jaxpr
    @property
    def primitive(self):
        return self.prim

    @property
    def invars(self):
        return self.inputs

    @property
    def outvars(self):
        return self.outputs


class Graph:
    """A staged function: ``constvars`` (bound to ``consts``), ``invars``, ``eqns``, ``outvars``.

    ``str(graph)`` prints like a jaxpr::

        { lambda ; a:f32[]. let b:f32[] = log a; c:f32[] = div b 0.6931472:f32[] in (c,) }
    """

    __slots__ = ("constvars", "consts", "invars", "eqns", "outvars", "__weakref__")

    def __init__(self, constvars, consts, invars, eqns, outvars):
        self.constvars = list(constvars)
        self.consts = list(consts)
        self.invars = list(invars)
        self.eqns = list(eqns)
        self.outvars = list(outvars)

    @property
    def jaxpr(self):
        """The graph itself: JAX's ``ClosedJaxpr.jaxpr`` (a graph here holds its constants)."""
        return self

    @property
    def in_avals(self):
        return [v.aval for v in self.invars]

    @property
    def out_avals(self):
        return [v.aval for v in self.outvars]

    def __str__(self):
        return pretty_print(self)

    __repr__ = __str__

    def to_dot(self) -> str:
        """Graphviz source of the graph (render with ``graphviz.Source(g.to_dot())``)."""
        names = _Namer()
        lines = ["digraph G {", "  rankdir=LR;"]
        for v in self.invars:
            lines.append(f'  {names(v)} [shape=ellipse,label="{names(v)}:{v.aval.str_short()}"];')
        for i, e in enumerate(self.eqns):
            lines.append(f'  eqn{i} [shape=box,label="{e.prim.name}"];')
            for v in e.inputs:
                if isinstance(v, Var):
                    lines.append(f"  {names(v)} -> eqn{i};")
            for v in e.outputs:
                lines.append(f"  eqn{i} -> {names(v)};")
        lines.append("}")
        return "\n".join(lines)


class _Namer:
    def __init__(self):
        self.names = {}
        self.counter = itertools.count()

    def __call__(self, v):
        n = self.names.get(id(v))
        if n is None:
            k = next(self.counter)
            n = ""
            while True:
                n = chr(ord("a") + k % 26) + n
                k = k // 26 - 1
                if k < 0:
                    break
            self.names[id(v)] = n
        return n


def _param_str(v):
    """How a param prints; None hides it (Python callables are implementation detail)."""
    g = v if isinstance(v, Graph) else getattr(v, "graph", None)
    if isinstance(g, Graph):
        return "{ " + pretty_print(g, inner=True) + " }"
    if isinstance(v, (tuple, list)) and v and all(_param_str(x) is not None for x in v) and \
            all(isinstance(getattr(x, "graph", x), Graph) for x in v):
        return "(" + ", ".join(_param_str(x) for x in v) + ")"
    if isinstance(v, np.dtype):
        return dtypes.short_dtype(v)
    if callable(v) and not isinstance(v, type):
        return None
    return str(v)


def pretty_print(graph, inner=False, namer=None):
    names = namer or _Namer()
    const_map = {id(v): c for v, c in zip(graph.constvars, graph.consts)}

    def atom(v):
        c = const_map.get(id(v))
        if c is not None and c.size == 1 and c.ndim == 0:
            return f"{str(np.asarray(c.to_numpy())[()])}:{v.aval.str_short()}"
        return names(v)

    def decl(v):
        return f"{names(v)}:{v.aval.str_short()}"

    consts = " ".join(decl(v) for v, c in zip(graph.constvars, graph.consts)
                      if not (c.ndim == 0))
    ins = " ".join(decl(v) for v in graph.invars)
    body = []
    for e in graph.eqns:
        outs = " ".join(decl(v) for v in e.outputs)
        params = [f"{k}={ps}" for k, ps in ((k, _param_str(v))
                                             for k, v in sorted(e.params.items()))
                  if ps is not None and not k.startswith("_")]
        p = ("[" + " ".join(params) + "]") if params else ""
        args = " ".join(atom(v) for v in e.inputs)
        body.append(f"{outs} = {e.prim.name}{p} {args}".rstrip())
    outs = ", ".join(atom(v) for v in graph.outvars)
    outs = f"({outs}{',' if len(graph.outvars) == 1 else ''})"
    head = f"lambda {consts}; {ins}. let"
    if inner:
        return f"{head} {'; '.join(body)} in {outs}"
    sep = "\n    "
    return f"{{ {head}{sep}{sep.join(body)}{sep}in {outs} }}"


def typecheck(graph):
    """Re-run every shape rule on the graph's avals; raise if one disagrees."""
    from tensorlib._src.rules import shape_rules

    for e in graph.eqns:
        rule = shape_rules.get(e.prim)
        if rule is None:
            continue
        got = rule(*[v.aval for v in e.inputs], **e.params)
        got = got if e.prim.multiple_results else [got]
        for i, (a, v) in enumerate(zip(got, e.outputs)):
            if a != v.aval:
                raise TypeError(f"typecheck: {e.prim.name} output {i} is {v.aval.str_short()} "
                                f"but its shape rule gives {a.str_short()}")
    return True


def eval_graph(graph, consts, args):
    """Interpret ``graph`` by binding each equation: works under every transformation."""
    env = {}
    for v, c in zip(graph.constvars, consts):
        env[v] = c
    for v, a in zip(graph.invars, args):
        env[v] = a
    for e in graph.eqns:
        ins = [env[v] for v in e.inputs]
        out = e.prim.bind(*ins, **e.params)
        if e.prim.multiple_results:
            for v, o in zip(e.outputs, out):
                env[v] = o
        else:
            env[e.outputs[0]] = out
    return [env[v] for v in graph.outvars]
