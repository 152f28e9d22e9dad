"""``checkpoint`` (remat): a primitive holding its function's closed graph and a policy.

Reverse mode saves only what the policy allows (the inputs always) and recomputes the rest in
the backward half, which is itself a ``checkpoint`` equation, so a compiler sees the
recomputation as a separate region and common-subexpression elimination cannot merge it back
into the forward pass (``prevent_cse``).

Policies (``tensorlib.checkpoint_policies``): ``nothing_saveable`` (the default),
``everything_saveable``, ``dots_saveable`` (matmul outputs are saved), and
``save_only_these_names(*names)`` for values tagged with ``checkpoint_name``.
"""

from __future__ import annotations

import functools

from tensorlib._src.control.graphs import (
    batch_graph,
    differentiable,
    jvp_graph,
    python_mode,
    stage,
    tangent_aval,
    trace_closed,
    zeros,
)
from tensorlib._src.core import WEAK_FIRST, WEAK_RULE, Primitive, asarray, new_trace
from tensorlib._src.ir import Var
from tensorlib._src.passes import def_no_fold
from tensorlib._src.rules import (
    def_batch,
    def_jvp,
    def_shape,
    def_vjp,
    def_vjp_fwd,
)
from tensorlib._src.tree_util import tree_flatten, tree_unflatten

checkpoint_p = Primitive("checkpoint", multiple_results=True, weak=WEAK_RULE)
def_no_fold(checkpoint_p)
name_p = Primitive("checkpoint_name", weak=WEAK_FIRST)


class Policy:
    """Which values of a checkpointed function its backward half may read instead of
    recomputing: ``saves(eqn) -> bool`` per equation. Hashable (it is a param)."""

    __slots__ = ("name", "names")

    def __init__(self, name, names=()):
        self.name = name
        self.names = tuple(names)

    def saves(self, eqn):
        if self.name == "everything_saveable":
            return True
        if self.name == "dots_saveable":
            return eqn.prim.name == "dot_general"
        if self.name == "save_only_these_names":
            return eqn.prim is name_p and eqn.params["name"] in self.names
        return False

    def __eq__(self, other):
        return type(other) is Policy and (self.name, self.names) == (other.name, other.names)

    def __hash__(self):
        return hash((self.name, self.names))

    def __repr__(self):
        return self.name + (f"{self.names}" if self.names else "")


class checkpoint_policies:  # noqa: N801  (JAX's name)
    """The checkpoint policies, as in ``jax.checkpoint_policies``."""

    nothing_saveable = Policy("nothing_saveable")
    everything_saveable = Policy("everything_saveable")
    dots_saveable = Policy("dots_saveable")
    checkpoint_dots = dots_saveable

    @staticmethod
    def save_only_these_names(*names):
        return Policy("save_only_these_names", names)


def checkpoint_name(x, name):
    """Tag ``x`` with ``name`` for ``save_only_these_names`` (the identity otherwise).

    Examples
    --------
    >>> import tensorlib as tl, tensorlib.numpy as tnp
    >>> tl.checkpoint_name(tnp.ones(2), "h")
    Array([1., 1.], dtype=float32)
    """
    from tensorlib._src.tree_util import tree_map

    return tree_map(lambda v: name_p.bind(asarray(v), name=str(name)), x)


def checkpoint(fun, *, prevent_cse=True, policy=None, static_argnums=()):
    """Rematerialize: reverse mode keeps what ``policy`` allows and recomputes the rest.

    Examples
    --------
    >>> import tensorlib as tl, tensorlib.numpy as tnp
    >>> f = tl.checkpoint(lambda x: tnp.sin(tnp.sin(x)))
    >>> float(tl.grad(f)(0.0))
    1.0
    """
    if isinstance(static_argnums, int):
        static_argnums = (static_argnums,)
    policy = policy or checkpoint_policies.nothing_saveable
    if callable(policy) and not isinstance(policy, Policy):
        raise TypeError("checkpoint: policy must be one of tensorlib.checkpoint_policies")

    @functools.wraps(fun)
    def remat_f(*args):
        if python_mode():
            return fun(*args)  # under disable_jit: the function as it is
        static = {i % len(args): args[i] for i in static_argnums} if args else {}
        dyn = [a for i, a in enumerate(args) if i not in static]
        flat, in_tree = tree_flatten(dyn)
        flat = [asarray(x) for x in flat]
        box = []

        def fn(*leaves):
            it = iter(tree_unflatten(in_tree, list(leaves)))
            full = [static[i] if i in static else next(it) for i in range(len(args))]
            o, t = tree_flatten(fun(*full))
            box.append(t)
            return o

        graph, consts = trace_closed(fn, [x.aval for x in flat], name="checkpoint")
        outs = checkpoint_p.bind(*consts, *flat, graph=graph, policy=policy,
                                 prevent_cse=bool(prevent_cse))
        return tree_unflatten(box[-1], list(outs))

    return remat_f


remat = checkpoint


# --------------------------------------------------------------------------------------------
# rules


@def_shape(checkpoint_p)
def _checkpoint_shape(*avals, graph, policy, prevent_cse):
    return graph.out_avals


@def_jvp(checkpoint_p)
def _checkpoint_jvp(primals, tangents, *, graph, policy, prevent_cse):
    nz = [t is not None and differentiable(a) for t, a in zip(tangents, graph.in_avals)]
    n_out = len(graph.outvars)
    g, out_nz = jvp_graph(graph, nz, [False] * n_out)
    ts = [t if t is not None else zeros(tangent_aval(a))
          for t, a, z in zip(tangents, graph.in_avals, nz) if z]
    outs = checkpoint_p.bind(*primals, *ts, graph=g, policy=policy, prevent_cse=prevent_cse)
    it = iter(outs[n_out:])
    return list(outs[:n_out]), [next(it) if z else None for z in out_nz]


@def_batch(checkpoint_p)
def _checkpoint_batch(info, vals, bdims, *, graph, policy, prevent_cse):
    from tensorlib._src.ops.shape import bdim_at_front

    batched = [b is not None for b in bdims]
    g, out_b = batch_graph(graph, batched, info.size, info.axis_name,
                           [False] * len(graph.outvars))
    args = [bdim_at_front(v, b, info.size) if b is not None else v for v, b in zip(vals, bdims)]
    outs = checkpoint_p.bind(*args, graph=g, policy=policy, prevent_cse=prevent_cse)
    return list(outs), [0 if b else None for b in out_b]


class _RematBwd:
    __slots__ = ("graph", "live", "n_in", "policy", "prevent_cse")


def _saved_vars(graph, policy):
    return [v for e in graph.eqns if policy.saves(e) for v in e.outputs]


def checkpoint_vjp_fwd(primals, live, *, graph, policy, prevent_cse):
    """Forward half: the outputs plus the values the policy saves; nothing else is kept."""
    from tensorlib._src.ir import Graph

    saved = _saved_vars(graph, policy)
    if saved:
        g = Graph(graph.constvars, graph.consts, graph.invars, graph.eqns,
                  list(graph.outvars) + saved)
    else:
        g = graph
    outs = checkpoint_p.bind(*primals, graph=g, policy=policy, prevent_cse=prevent_cse)
    n_out = len(graph.outvars)
    live = [lv and differentiable(a) for lv, a in zip(live, graph.in_avals)]
    info = _RematBwd()
    info.live, info.n_in, info.policy, info.prevent_cse = live, len(primals), policy, prevent_cse
    ct_avals = [tangent_aval(a) for a in graph.out_avals]
    info.graph = stage(lambda *a: _recompute_vjp(graph, saved, live, a),
                       graph.in_avals + [v.aval for v in saved] + ct_avals)
    return list(outs[:n_out]), list(primals) + list(outs[n_out:]), {"info": info}


def _recompute_vjp(graph, saved, live, args):
    """Re-run ``graph`` under a tape, reading the saved values instead of recomputing them,
    then run the backward pass."""
    from tensorlib._src.transforms.ad import TapeTrace, TapeTracer, backward_pass

    n_in, n_saved = len(graph.invars), len(saved)
    ins, saved_vals, cts = args[:n_in], args[n_in:n_in + n_saved], args[n_in + n_saved:]
    saved_of = {id(v): s for v, s in zip(saved, saved_vals)}
    with new_trace(TapeTrace, []) as tt:
        env = {id(v): c for v, c in zip(graph.constvars, graph.consts)}
        for v, x, lv in zip(graph.invars, ins, live):
            env[id(v)] = TapeTracer(tt, x, Var()) if lv else x
        for e in graph.eqns:
            vals = [env[id(v)] for v in e.inputs]
            if all(id(v) in saved_of for v in e.outputs):
                outs = [saved_of[id(v)] for v in e.outputs]
                in_vars = [x.var if isinstance(x, TapeTracer) and x._trace is tt else None
                           for x in vals]
                primals = [x.primal if isinstance(x, TapeTracer) and x._trace is tt else x
                           for x in vals]
                if any(v is not None for v in in_vars):
                    res = tt._record(e.prim, primals, in_vars, e.params,
                                     outs if e.prim.multiple_results else outs[0])
                else:
                    res = outs if e.prim.multiple_results else outs[0]
            else:
                res = e.prim.bind(*vals, **e.params)
            for v, r in zip(e.outputs, res if e.prim.multiple_results else [res]):
                env[id(v)] = r
        outs = [env[id(v)] if id(v) in env else None for v in graph.outvars]
        in_vars = [env[id(v)].var if isinstance(env[id(v)], TapeTracer) else None
                   for v in graph.invars]
    tape = tt.tape
    seeds = {}
    from tensorlib._src.ops.elementwise import add

    for o, ct in zip(outs, cts):
        if isinstance(o, TapeTracer) and o._trace is tt and o.var is not None:
            seeds[o.var] = ct if o.var not in seeds else add(seeds[o.var], ct)
    ct_env = backward_pass(tape, seeds)
    return [ct_env.get(v) if ct_env.get(v) is not None else zeros(tangent_aval(a))
            for v, a, lv in zip(in_vars, graph.in_avals, live) if lv]


def checkpoint_vjp(cts, _out, *residuals, info):
    n_out = len(cts)
    avals = info.graph.in_avals[-n_out:]
    cts = [c if c is not None else zeros(a) for c, a in zip(cts, avals)]
    outs = iter(checkpoint_p.bind(*residuals, *cts, graph=info.graph,
                                  policy=checkpoint_policies.nothing_saveable,
                                  prevent_cse=info.prevent_cse))
    return [next(outs) if lv else None for lv in info.live]


def_vjp_fwd(checkpoint_p)(checkpoint_vjp_fwd)
def_vjp(checkpoint_p)(checkpoint_vjp)


@def_shape(name_p)
def _name_shape(x, *, name):
    return x


@def_jvp(name_p)
def _name_jvp(primals, tangents, *, name):
    return name_p.bind(primals[0], name=name), tangents[0]


@def_vjp(name_p, linear=True)
def _name_vjp(ct, out, x, *, name):
    return (ct,)


def _name_batch(info, vals, bdims, *, name):
    return name_p.bind(vals[0], name=name), bdims[0]


def_batch(name_p)(_name_batch)
