"""``custom_jvp`` and ``custom_vjp``: primitives holding closed graphs of the function and of
its rules, traced once, at the call, like the control-flow primitives.

- ``custom_jvp_call``: inputs ``consts, args``; params ``call`` (the function's graph) and
  ``jvp`` (the rule's graph: primals and tangents in, outputs and output tangents out).
  Forward mode evaluates the rule's graph; reverse mode transposes its tangent part (it is
  linear in the tangents); ``vmap`` batches both graphs, so the rule survives batching.
- ``custom_vjp_call``: params ``call``, ``fwd`` (outputs and residuals) and ``bwd``
  (residuals and output cotangents in, input cotangents out). Reverse mode runs ``fwd`` and
  records its residuals, the VJP evaluates ``bwd``; forward mode differentiates ``call``.

Called with no transformation active, the function runs as it is (nothing is traced). Under
a transformation the graphs of one call are cached by the function, the arguments' structure
and types, and the static arguments, as JAX caches them, unless the function closed over a
traced value.
"""

from __future__ import annotations

import functools

from tensorlib._src.control.graphs import (
    batch_graph,
    differentiable,
    error,
    tangent_aval,
    trace_closed,
    union_captures,
    zeros,
)
from tensorlib._src.control.graphs import call as call_graph
from tensorlib._src.core import WEAK_RULE, Primitive, Tracer, _tls, asarray, get_aval
from tensorlib._src.rules import def_batch, def_jvp, def_shape, def_vjp, def_vjp_fwd
from tensorlib._src.tree_util import tree_flatten, tree_unflatten

custom_jvp_call_p = Primitive("custom_jvp_call", multiple_results=True, weak=WEAK_RULE)
custom_vjp_call_p = Primitive("custom_vjp_call", multiple_results=True, weak=WEAK_RULE)


def _active(flat):
    return bool(_tls.stack) or any(isinstance(x, Tracer) for x in flat)


class _Custom:
    """What custom_jvp and custom_vjp share: argument handling and the trace cache."""

    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self._cache = {}
        self._tracing = 0

    def _inline(self, flat):
        """Call the function as it is: nothing to trace, or a call from inside its own rule
        while that rule is being traced (``fwd`` and ``jvp`` rules usually call ``f``)."""
        return self._tracing or not _active(flat)

    def _split(self, args):
        nd = self.nondiff_argnums
        static = {i: args[i] for i in nd}
        dyn = [a for i, a in enumerate(args) if i not in nd]
        return static, dyn

    def _full_args(self, static, in_tree, n, leaves):
        it = iter(tree_unflatten(in_tree, list(leaves)))
        return [static[i] if i in static else next(it) for i in range(n)]

    def _call(self, args, bind):
        """Trace (or find in the cache) this call's graphs and bind them; ``bind(flat,
        static, in_tree, n, dyn, avals)`` traces and binds."""
        static, dyn = self._split(args)
        flat, in_tree = tree_flatten(dyn)
        if self._inline(flat):
            return self.fun(*args)
        flat = [asarray(x) for x in flat]
        avals = [x.aval for x in flat]
        key = (in_tree, tuple(avals), tuple(sorted(static.items())))
        *graphs, out_tree, caps = self._traced(
            key, lambda: self._trace(static, in_tree, len(args), dyn, avals))
        return tree_unflatten(out_tree, list(bind(caps, flat, *graphs)))

    def _traced(self, key, build):
        def traced():
            self._tracing += 1
            try:
                return build()
            finally:
                self._tracing -= 1

        try:
            hit = self._cache.get(key)
        except TypeError:  # an unhashable static argument: no caching
            return traced()
        if hit is None:
            hit = traced()
            if not hit[-1]:  # nothing captured from an enclosing transformation
                self._cache[key] = hit
        return hit


class custom_jvp(_Custom):  # noqa: N801  (JAX's name)
    """A function with a user-defined JVP: ``f.defjvp(jvp)`` with
    ``jvp(primals, tangents) -> (out, tangent_out)``. Reverse mode transposes the JVP.

    Examples
    --------
    >>> import tensorlib as tl, tensorlib.numpy as tnp
    >>> f = tl.custom_jvp(lambda x: tnp.sin(x))
    >>> f.defjvp(lambda p, t: (f(p[0]), 2.0 * t[0]))  # doctest: +ELLIPSIS
    <function <lambda> at ...>
    >>> float(tl.grad(f)(0.3))
    2.0
    """

    def __init__(self, fun, nondiff_argnums=()):
        super().__init__(fun, nondiff_argnums)
        self.jvp = None

    def defjvp(self, jvp_rule):
        self.jvp = jvp_rule
        self._cache.clear()
        return jvp_rule

    def defjvps(self, *tangent_fns):
        def rule(primals, tangents):
            out = self.fun(*primals)
            t_out = None
            for fn, t in zip(tangent_fns, tangents):
                if fn is None:
                    continue
                c = fn(t, out, *primals)
                t_out = c if t_out is None else t_out + c
            return out, t_out

        self.jvp = rule
        self._cache.clear()

    def __call__(self, *args):
        if self.jvp is None:
            raise TypeError(f"custom_jvp {self.fun.__name__}: call defjvp(rule) first")
        return self._call(args, lambda caps, flat, call_g, jvp_g: custom_jvp_call_p.bind(
            *caps, *flat, call=call_g, jvp=jvp_g, num_consts=len(caps)))

    def _trace(self, static, in_tree, n, dyn, avals):
        nd = self.nondiff_argnums
        box = []

        def fun_flat(*leaves):
            o, t = tree_flatten(self.fun(*self._full_args(static, in_tree, n, leaves)))
            box.append(t)
            return o

        def jvp_flat(*leaves):
            k = len(avals)
            ps = [a for i, a in enumerate(self._full_args(static, in_tree, n, leaves[:k]))
                  if i not in nd]
            ts = tree_unflatten(in_tree, list(leaves[k:]))
            nd_vals = [static[i] for i in nd]
            out, t_out = self.jvp(*nd_vals, tuple(ps), tuple(ts))
            o = tree_flatten(out)[0]
            t = [asarray(v) for v in tree_flatten(t_out)[0]]
            if len(t) != len(o):
                raise TypeError(f"custom_jvp {self.fun.__name__}: the rule returned "
                                f"{len(t)} tangent leaves for {len(o)} outputs")
            return list(o) + [tv.astype(asarray(ov).dtype) if tv.dtype != asarray(ov).dtype
                              else tv for ov, tv in zip(o, t)]

        traced = [trace_closed(fun_flat, avals, name="custom_jvp function"),
                  trace_closed(jvp_flat, avals + [tangent_aval(a) for a in avals],
                               name="custom_jvp rule")]
        (call_g, jvp_g), caps = union_captures(traced)
        return call_g, jvp_g, box[0], caps


class custom_vjp(_Custom):  # noqa: N801  (JAX's name)
    """A function with a user-defined VJP: ``f.defvjp(fwd, bwd)``.

    ``fwd(*args) -> (out, residuals)``; ``bwd(residuals, ct) -> tuple of input cotangents``.

    Examples
    --------
    >>> import tensorlib as tl, tensorlib.numpy as tnp
    >>> f = tl.custom_vjp(lambda x: tnp.sin(x))
    >>> f.defvjp(lambda x: (f(x), x), lambda x, g: (3.0 * g,))  # doctest: +ELLIPSIS
    <...custom_vjp object at ...>
    >>> float(tl.grad(f)(0.3))
    3.0
    """

    def __init__(self, fun, nondiff_argnums=()):
        super().__init__(fun, nondiff_argnums)
        self.fwd = self.bwd = None

    def defvjp(self, fwd, bwd):
        self.fwd, self.bwd = fwd, bwd
        self._cache.clear()
        return self

    def __call__(self, *args):
        if self.fwd is None:
            raise TypeError(f"custom_vjp {self.fun.__name__}: call defvjp(fwd, bwd) first")
        return self._call(args, lambda caps, flat, call_g, fwd_g, bwd_g: custom_vjp_call_p.bind(
            *caps, *flat, call=call_g, fwd=fwd_g, bwd=bwd_g, num_consts=len(caps)))

    def _trace(self, static, in_tree, n, dyn, avals):
        nd = self.nondiff_argnums
        name = self.fun.__name__
        box, res_box = [], []

        def fun_flat(*leaves):
            o, t = tree_flatten(self.fun(*self._full_args(static, in_tree, n, leaves)))
            box.append(t)
            return o

        def fwd_flat(*leaves):
            out, res = self.fwd(*self._full_args(static, in_tree, n, leaves))
            o = tree_flatten(out)[0]
            r, r_tree = tree_flatten(res)
            res_box.append((len(o), r_tree))
            return list(o) + list(r)

        traced = [trace_closed(fun_flat, avals, name="custom_vjp function"),
                  trace_closed(fwd_flat, avals, name="custom_vjp fwd")]
        n_out, r_tree = res_box[0]
        fwd_outs = traced[1][0].out_avals
        res_avals = fwd_outs[n_out:]
        ct_avals = [tangent_aval(a) for a in fwd_outs[:n_out]]

        def bwd_flat(*leaves):
            res = tree_unflatten(r_tree, list(leaves[:len(res_avals)]))
            ct = tree_unflatten(box[0], list(leaves[len(res_avals):]))
            nd_vals = [static[i] for i in nd]
            in_cts = self.bwd(*nd_vals, res, ct) if nd else self.bwd(res, ct)
            if not isinstance(in_cts, (tuple, list)) or len(in_cts) != len(dyn):
                raise TypeError(f"custom_vjp {name}: bwd must return a tuple with one "
                                f"cotangent per differentiable argument ({len(dyn)})")
            out = []
            for arg, ct_i in zip(dyn, in_cts):
                leaves_i = tree_flatten(arg)[0]
                got = [None] * len(leaves_i) if ct_i is None else tree_flatten(ct_i)[0]
                if len(got) != len(leaves_i):
                    raise TypeError(f"custom_vjp {name}: bwd returned a cotangent with "
                                    f"{len(got)} leaves for an argument with {len(leaves_i)}")
                out += got
            return [zeros(tangent_aval(a)) if c is None else asarray(c)
                    for c, a in zip(out, avals)]

        bwd_g, bwd_caps = trace_closed(bwd_flat, list(res_avals) + ct_avals,
                                       name="custom_vjp bwd")
        if bwd_caps:
            raise TypeError(f"custom_vjp {name}: bwd closes over a traced value; pass it "
                            "through the residuals that fwd returns instead")
        (call_g, fwd_g), caps = union_captures(traced)
        return call_g, fwd_g, bwd_g, box[0], caps


# --------------------------------------------------------------------------------------------
# rules


@def_shape(custom_jvp_call_p)
def _custom_jvp_shape(*avals, call, jvp, num_consts):
    return call.out_avals


@def_shape(custom_vjp_call_p)
def _custom_vjp_shape(*avals, call, fwd, bwd, num_consts):
    return call.out_avals


def _tangents(tangents, avals):
    return [t if t is not None else zeros(tangent_aval(a)) for t, a in zip(tangents, avals)]


@def_jvp(custom_jvp_call_p)
def _custom_jvp_jvp(primals, tangents, *, call, jvp, num_consts):
    nc = num_consts
    avals = call.in_avals
    _no_closed_over_derivative("custom_jvp", [t is not None and differentiable(a)
                                              for t, a in zip(tangents, avals)], nc)
    outs = call_graph(jvp, list(primals) + _tangents(tangents[nc:], avals[nc:]))
    n = len(call.outvars)
    return list(outs[:n]), [t if differentiable(a) else None
                            for t, a in zip(outs[n:], call.out_avals)]


@def_jvp(custom_vjp_call_p)
def _custom_vjp_jvp(primals, tangents, *, call, fwd, bwd, num_consts):
    """Forward mode through a custom_vjp function differentiates the function itself."""
    from tensorlib._src.transforms.ad import jvp_flat

    return jvp_flat(lambda *p: call_graph(call, p), list(primals), list(tangents))


class _JvpTranspose:
    __slots__ = ("jvp", "n_out", "live", "avals")


def _no_closed_over_derivative(kind, live, num_consts):
    if any(live[:num_consts]):
        raise error(f"{kind}: the function closes over a value that is being differentiated; "
                    "its derivative would be lost. Pass that value as an argument of the "
                    f"{kind} function instead")


def custom_jvp_vjp_fwd(primals, live, *, call, jvp, num_consts):
    """Reverse mode: the outputs now; the backward half transposes the rule's tangent map."""
    _no_closed_over_derivative("custom_jvp", live, num_consts)
    outs = custom_jvp_call_p.bind(*primals, call=call, jvp=jvp, num_consts=num_consts)
    info = _JvpTranspose()
    info.jvp, info.n_out, info.live, info.avals = jvp, len(call.outvars), live, call.in_avals
    return list(outs), list(primals), {"info": info, "num_consts": num_consts}


def custom_jvp_vjp(cts, _out, *primals, info, num_consts):
    from tensorlib._src.transforms.ad import vjp_flat

    nc = num_consts
    idx = [i for i in range(nc, len(primals)) if info.live[i]]

    def tangent_map(*ts):
        full = [zeros(tangent_aval(a)) for a in info.avals[nc:]]
        for i, t in zip(idx, ts):
            full[i - nc] = t
        return list(call_graph(info.jvp, list(primals) + full)[info.n_out:])

    avals = [tangent_aval(info.avals[i]) for i in idx]
    t_out, pullback = vjp_flat(tangent_map, [zeros(a) for a in avals])
    cts = [c if c is not None else zeros(tangent_aval(get_aval(o))) for c, o in zip(cts, t_out)]
    got = iter(pullback(cts))
    res = [None] * len(primals)
    for i in idx:
        g = next(got)
        res[i] = g if g is not None else zeros(tangent_aval(info.avals[i]))
    return res


class _VjpBwd:
    __slots__ = ("bwd", "n_res", "live", "num_consts", "ct_avals")


def custom_vjp_vjp_fwd(primals, live, *, call, fwd, bwd, num_consts):
    """Reverse mode: run the user's fwd, keep its residuals; the VJP runs bwd on them."""
    _no_closed_over_derivative("custom_vjp", live, num_consts)
    outs = call_graph(fwd, primals)
    n_out = len(call.outvars)
    info = _VjpBwd()
    info.bwd, info.n_res, info.live, info.num_consts = bwd, len(outs) - n_out, live, num_consts
    info.ct_avals = [tangent_aval(a) for a in call.out_avals]
    return list(outs[:n_out]), list(outs[n_out:]), {"info": info}


def custom_vjp_vjp(cts, _out, *residuals, info):
    cts = [c if c is not None else zeros(a) for c, a in zip(cts, info.ct_avals)]
    got = call_graph(info.bwd, list(residuals) + cts)
    return [None] * info.num_consts + [g if lv else None
                                       for g, lv in zip(got, info.live[info.num_consts:])]


def_vjp_fwd(custom_jvp_call_p)(custom_jvp_vjp_fwd)
def_vjp(custom_jvp_call_p)(custom_jvp_vjp)
def_vjp_fwd(custom_vjp_call_p)(custom_vjp_vjp_fwd)
def_vjp(custom_vjp_call_p)(custom_vjp_vjp)


def _batch_all(info, vals, bdims):
    from tensorlib._src.ops.shape import bdim_at_front

    return [bdim_at_front(v, b, info.size) for v, b in zip(vals, bdims)]


@def_batch(custom_jvp_call_p)
def _custom_jvp_batch(info, vals, bdims, *, call, jvp, num_consts):
    """Every input batched, both graphs batched: the rule holds under vmap."""
    n_in = len(call.invars)
    c, _ = batch_graph(call, [True] * n_in, info.size, info.axis_name,
                       [True] * len(call.outvars))
    j, _ = batch_graph(jvp, [True] * len(jvp.invars), info.size, info.axis_name,
                       [True] * len(jvp.outvars))
    outs = custom_jvp_call_p.bind(*_batch_all(info, vals, bdims), call=c, jvp=j,
                                  num_consts=num_consts)
    return list(outs), [0] * len(outs)


@def_batch(custom_vjp_call_p)
def _custom_vjp_batch(info, vals, bdims, *, call, fwd, bwd, num_consts):
    graphs = [batch_graph(g, [True] * len(g.invars), info.size, info.axis_name,
                          [True] * len(g.outvars))[0] for g in (call, fwd, bwd)]
    outs = custom_vjp_call_p.bind(*_batch_all(info, vals, bdims), call=graphs[0],
                                  fwd=graphs[1], bwd=graphs[2], num_consts=num_consts)
    return list(outs), [0] * len(outs)

