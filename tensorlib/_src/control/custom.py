"""Staging of ``custom_vjp`` / ``custom_jvp`` calls: the primal function becomes a sub-graph
(``GraphFn``) that compilers lower; the user's rules stay Python callables, run when the
staged graph is differentiated."""

from __future__ import annotations

from tensorlib._src.ir import eval_graph
from tensorlib._src.transforms.staging import staging_rules, trace_to_graph


class GraphFn:
    """A staged sub-function: evaluates its graph on ``(*args, *captured)``.

    ``cap_index`` picks this graph's captured values out of the equation's trailing operands.
    """

    __slots__ = ("graph", "n_args", "cap_index", "__name__")

    def __init__(self, graph, n_args, cap_index):
        self.graph = graph
        self.n_args = n_args
        self.cap_index = tuple(cap_index)
        self.__name__ = "graph"

    def __call__(self, *args):
        own = list(args[:self.n_args])
        caps = args[self.n_args:]
        return eval_graph(self.graph, self.graph.consts, own + [caps[i] for i in self.cap_index])

    def __repr__(self):
        return str(self.graph)


def stage_subfunctions(trace, fns, avals, n_args):
    """Stage flat callables over ``avals``; return GraphFns and the union of captured tracers."""
    closed = [trace_to_graph(fn, avals) for fn in fns]
    caps, cap_pos = [], {}
    for c in closed:
        for t in c.captured:
            if id(t) not in cap_pos:
                cap_pos[id(t)] = len(caps)
                caps.append(t)
    gfns = [GraphFn(c.graph, n_args, [cap_pos[id(t)] for t in c.captured]) for c in closed]
    return gfns, [trace.full_raise(t) for t in caps], [c.graph for c in closed]



# staging of the custom-derivative primitives: the primal function becomes a sub-graph, the
# user's rules stay Python callables (they run when the graph is differentiated).


def _custom_vjp_stage(trace, tracers, params):
    from tensorlib._src.transforms.ad import custom_vjp_call_p

    n = len(tracers)
    (gfn,), caps, (g,) = stage_subfunctions(trace, [params["fun"]], [t.aval for t in tracers], n)
    fwd, bwd, k = params["fwd"], params["bwd"], len(caps)

    def fwd_s(*args):
        return fwd(*args[:n])

    def bwd_s(res, cts):
        return list(bwd(res, cts)) + [None] * k

    return trace.record(custom_vjp_call_p, [*tracers, *caps],
                        {"fun": gfn, "fwd": fwd_s, "bwd": bwd_s}, g.out_avals)


def _custom_jvp_stage(trace, tracers, params):
    from tensorlib._src.transforms.ad import custom_jvp_call_p

    n = len(tracers)
    (gfn,), caps, (g,) = stage_subfunctions(trace, [params["fun"]], [t.aval for t in tracers], n)
    jvp = params["jvp"]

    def jvp_s(primals, tangents):
        return jvp(list(primals)[:n], list(tangents)[:n])

    return trace.record(custom_jvp_call_p, [*tracers, *caps], {"fun": gfn, "jvp": jvp_s},
                        g.out_avals)


def _register_custom_staging():
    from tensorlib._src.transforms.ad import custom_jvp_call_p, custom_vjp_call_p

    staging_rules[custom_vjp_call_p] = _custom_vjp_stage
    staging_rules[custom_jvp_call_p] = _custom_jvp_stage


_register_custom_staging()
