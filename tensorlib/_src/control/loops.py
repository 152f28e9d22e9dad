"""``while_loop`` and ``fori_loop``: a primitive holding a condition graph and a body graph.

The equation: inputs ``cond_consts, body_consts, init``; params ``cond_graph``,
``body_graph``, ``cond_nconsts``, ``body_nconsts``, ``max_steps`` (None, or a bound on the
trip count that the loop never exceeds).

Reverse mode through ``while_loop`` is a tensorlib extension (JAX refuses it): the forward
half learns an upper bound ``n`` on the trip count, then runs the loop as a masked ``scan`` of
``n`` steps (a lane that is done keeps its carry) with ``scan``'s residuals, so the backward
half is ``scan``'s reverse scan. The bound is concrete eagerly (also under ``vmap``: the
slowest lane's count) or given as ``max_steps``. Staged without ``max_steps`` (``jit`` around
``grad``), the trip count is known only when the program runs: the backward half is then a
``while_grad`` equation (below) that does the same on the concrete values.
"""

from __future__ import annotations

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.control.graphs import (
    batch_fixed_point,
    batch_graph,
    call,
    differentiable,
    error,
    jvp_graph,
    pad_invars,
    python_mode,
    stage,
    tangent_aval,
    trace_closed,
    zeros,
)
from tensorlib._src.control.scan import _check_carry, _permute, scan, scan_vjp, scan_vjp_fwd
from tensorlib._src.core import (
    WEAK_RULE,
    AbstractArray,
    Array,
    Primitive,
    Tracer,
    asarray,
    concrete_or_none,
    get_aval,
)
from tensorlib._src.passes import def_no_fold
from tensorlib._src.rules import def_batch, def_jvp, def_shape, def_vjp, def_vjp_fwd
from tensorlib._src.tree_util import tree_flatten, tree_unflatten

while_p = Primitive("while_loop", multiple_results=True, weak=WEAK_RULE)
def_no_fold(while_p)


def while_loop(cond_fun, body_fun, init_val, *, max_steps=None):
    """``while cond_fun(val): val = body_fun(val)``; the carry keeps its shapes and dtypes.

    ``max_steps`` (a tensorlib extension) bounds the trip count: the loop stops after at most
    that many steps, and reverse-mode differentiation works under ``jit`` too.

    Examples
    --------
    >>> lax.while_loop(lambda x: x < 10, lambda x: 2 * x, 1)
    Array(16, dtype=int32, weak_type=True)
    >>> lax.while_loop(lambda c: c[0] < 5, lambda c: (c[0] + 1, c[1] * 2), (0, tnp.array([1., 2.])))
    (Array(5, dtype=int32, weak_type=True), Array([32., 64.], dtype=float32))
    """
    if max_steps is not None:
        max_steps = int(max_steps)
        if max_steps < 0:
            raise ValueError(f"while_loop: max_steps must be >= 0, got {max_steps}")
    if python_mode():
        # under disable_jit: a Python loop on concrete values (print/pdb see numbers)
        val, k = init_val, 0
        while (max_steps is None or k < max_steps) and bool(asarray(cond_fun(val)).to_numpy()):
            val, k = body_fun(val), k + 1
        return val
    if max_steps is not None:
        _, val = _while(lambda s: (s[0] < max_steps) & cond_fun(s[1]),
                        lambda s: (s[0] + 1, body_fun(s[1])),
                        (asarray(0).astype(dtypes.int32), init_val), max_steps)
        return val
    return _while(cond_fun, body_fun, init_val, None)


def _while(cond_fun, body_fun, init_val, bound):
    flat, in_tree = tree_flatten(init_val)
    flat = [asarray(x) for x in flat]
    avals = [x.aval for x in flat]

    def cond_flat(*leaves):
        c = asarray(cond_fun(tree_unflatten(in_tree, list(leaves))))
        if c.shape != () or c.dtype != dtypes.bool_:
            raise error(f"while_loop: cond_fun must return a scalar boolean, got "
                                   f"{c.aval.str_short()}; reduce it with .all() / .any() or "
                                   "compare to get a bool")
        return [c]

    def body_flat(*leaves):
        new, tree = tree_flatten(body_fun(tree_unflatten(in_tree, list(leaves))))
        if tree != in_tree:
            raise error(f"while_loop: body_fun changes the carry structure from "
                                   f"{in_tree} to {tree}; return the same structure as init_val")
        return new

    body, b_consts = trace_closed(body_flat, avals, name="while body")
    _check_carry("while_loop", "body_fun", init_val, avals, body.out_avals)
    if any(a.weak_type and not b.weak_type for a, b in zip(avals, body.out_avals)):
        from tensorlib._src.control.scan import _strong

        avals = [a.update(weak_type=a.weak_type and b.weak_type)
                 for a, b in zip(avals, body.out_avals)]
        flat = [_strong(x) if not a.weak_type else x for x, a in zip(flat, avals)]
        body, b_consts = trace_closed(body_flat, avals, name="while body")
    cond, c_consts = trace_closed(cond_flat, avals, name="while cond")
    outs = while_p.bind(*c_consts, *b_consts, *flat, cond_graph=cond, body_graph=body,
                        cond_nconsts=len(c_consts), body_nconsts=len(b_consts),
                        max_steps=bound)
    return tree_unflatten(in_tree, list(outs))


def fori_loop(lower, upper, body_fun, init_val, *, unroll=None):
    """``for i in range(lower, upper): val = body_fun(i, val)``.

    With concrete bounds it is a ``scan`` (differentiable in reverse mode; ``unroll`` is
    passed on to it); otherwise a ``while_loop``.

    Examples
    --------
    >>> lax.fori_loop(0, 5, lambda i, acc: acc + i, tnp.int32(0))
    Array(10, dtype=int32)
    >>> lax.fori_loop(1, 4, lambda i, x: x * i, tnp.array([1, 2]))  # x * 1 * 2 * 3
    Array([ 6, 12], dtype=int32)
    """
    for name, b in (("lower", lower), ("upper", upper)):
        dt = dtypes.int32 if isinstance(b, int) else asarray(b).dtype
        if isinstance(b, bool) or not dtypes.is_integer(dt):
            raise TypeError(f"fori_loop: {name}={b!r} must be an integer (a Python int or an "
                            f"integer array), got {type(b).__name__}"
                            f"{'' if isinstance(b, (int, float)) else ' of ' + str(dt)}; "
                            "use a while_loop for a non-integer counter")
    lo = lower if isinstance(lower, int) else concrete_or_none(asarray(lower))
    hi = upper if isinstance(upper, int) else concrete_or_none(asarray(upper))
    if lo is not None and hi is not None:
        lo_i, hi_i = int(np.asarray(_np(lo))), int(np.asarray(_np(hi)))
        idx_dt = asarray(lower).dtype if isinstance(lower, Array) else dtypes.int32
        n = max(hi_i - lo_i, 0)
        from tensorlib._src.ops.shape import iota

        idx = iota(idx_dt, n)
        if lo_i:
            idx = idx + lo_i
        out, _ = scan(lambda val, i: (body_fun(i, val), None), init_val, idx, length=n,
                      unroll=1 if unroll is None else unroll)
        return out
    if unroll not in (None, 1, False):
        raise ValueError("fori_loop: unroll needs Python-int (concrete) bounds, which make it "
                         "a scan; with traced bounds it is a while_loop")

    def c(state):
        return state[0] < upper

    def b(state):
        i, v = state
        return i + 1, body_fun(i, v)

    return while_loop(c, b, (asarray(lower), init_val))[1]


def _np(x):
    return x.to_numpy() if isinstance(x, Array) else x


# --------------------------------------------------------------------------------------------
# rules


@def_shape(while_p)
def _while_shape(*avals, cond_graph, body_graph, cond_nconsts, body_nconsts, max_steps):
    init = avals[cond_nconsts + body_nconsts:]
    return [a.update(weak_type=a.weak_type and b.weak_type)
            for a, b in zip(init, body_graph.out_avals)]


def _split_args(args, cond_nconsts, body_nconsts):
    k = cond_nconsts + body_nconsts
    return list(args[:cond_nconsts]), list(args[cond_nconsts:k]), list(args[k:])


@def_jvp(while_p)
def _while_jvp(primals, tangents, *, cond_graph, body_graph, cond_nconsts, body_nconsts,
               max_steps):
    cc, bc, carry = _split_args(primals, cond_nconsts, body_nconsts)
    _, tbc, tcarry = _split_args(tangents, cond_nconsts, body_nconsts)
    nb, ncar = len(bc), len(carry)
    b_avals = body_graph.in_avals
    nz = [t is not None and differentiable(a) for t, a in zip(tbc + tcarry, b_avals)]
    while True:
        g, out_nz = jvp_graph(body_graph, nz, nz[nb:])
        grow = [o and not i for o, i in zip(out_nz, nz[nb:])]
        if not any(grow):
            break
        nz[nb:] = [i or o for i, o in zip(nz[nb:], out_nz)]
    n = nb + ncar
    t_pos = {i: n + k for k, i in enumerate(i for i in range(n) if nz[i])}
    in_perm = (list(range(nb)) + [t_pos[i] for i in range(nb) if nz[i]]
               + list(range(nb, n)) + [t_pos[i] for i in range(nb, n) if nz[i]])
    g = _permute(g, in_perm, list(range(len(g.outvars))))
    t_carry_avals = [tangent_aval(b_avals[i]) for i in range(nb, n) if nz[i]]
    cg = pad_invars(cond_graph, t_carry_avals, len(cond_graph.invars))

    def t_of(t, a):
        return t if t is not None else zeros(tangent_aval(a))

    t_b = [t_of(t, a) for t, a, z in zip(tbc, b_avals[:nb], nz[:nb]) if z]
    t_c = [t_of(t, a) for t, a, z in zip(tcarry, b_avals[nb:], nz[nb:]) if z]
    outs = while_p.bind(*cc, *bc, *t_b, *carry, *t_c, cond_graph=cg, body_graph=g,
                        cond_nconsts=len(cc), body_nconsts=nb + len(t_b), max_steps=max_steps)
    it = iter(outs[ncar:])
    return list(outs[:ncar]), [next(it) if z else None for z in nz[nb:]]


@def_batch(while_p)
def _while_batch(info, vals, bdims, *, cond_graph, body_graph, cond_nconsts, body_nconsts,
                 max_steps):
    from tensorlib._src.ops import elementwise as ew
    from tensorlib._src.ops.reduce import reduce_or
    from tensorlib._src.ops.shape import bdim_at_front, broadcast_in_dim

    size, name = info.size, info.axis_name
    ncc, nb = cond_nconsts, body_nconsts
    batched = [b is not None for b in bdims]
    cc_b, bc_b, carry_b = _split_args(batched, ncc, nb)
    while True:
        n_in = nb + len(carry_b)
        body_g, b_in, _ = batch_fixed_point(body_graph, bc_b + carry_b, (nb, n_in), size, name)
        carry_b = b_in[nb:]
        cond_g, pred_b = batch_graph(cond_graph, cc_b + carry_b, size, name, [False])
        if pred_b[0] and not all(carry_b):
            carry_b = [True] * len(carry_b)
            continue
        break
    args = [bdim_at_front(v, b, size) if on else v
            for v, b, on in zip(vals, bdims, cc_b + bc_b + carry_b)]
    cc, bc, carry = _split_args(args, ncc, nb)
    if not pred_b[0]:
        outs = while_p.bind(*cc, *bc, *carry, cond_graph=cond_g, body_graph=body_g,
                            cond_nconsts=ncc, body_nconsts=nb, max_steps=max_steps)
        return list(outs), [0 if b else None for b in carry_b]
    # a batched predicate: loop while any lane runs; a lane that is done keeps its carry
    c_avals, b_avals = cond_g.in_avals, body_g.in_avals
    n_car = len(carry)

    def body(*a):
        ccv, bcv, cv = a[:ncc], a[ncc:ncc + nb], a[ncc + nb:]
        (p,) = call(cond_g, list(ccv) + list(cv))
        new = call(body_g, list(bcv) + list(cv))
        return [ew.select_n(broadcast_in_dim(p, tuple(o.shape), (0,)), o, nw)
                for o, nw in zip(cv, new)]

    def cond(*a):
        (p,) = call(cond_g, a)
        return [reduce_or(p, (0,))]

    new_body = stage(body, c_avals[:ncc] + b_avals)
    new_cond = stage(cond, c_avals)
    outs = while_p.bind(*cc, *cc, *bc, *carry, cond_graph=new_cond, body_graph=new_body,
                        cond_nconsts=ncc, body_nconsts=ncc + nb, max_steps=max_steps)
    return list(outs), [0] * n_car


# --------------------------------------------------------------------------------------------
# reverse mode (a tensorlib extension): a masked scan of a bounded number of steps


def _trip_bound(count):
    """The largest value under ``count`` if it is concrete (also through vmap), else None."""
    x = count
    while isinstance(x, Tracer):
        if hasattr(x, "primal"):
            x = x.primal
        elif hasattr(x, "val"):
            x = x.val
        else:
            return None
    if not isinstance(x, Array):
        return None
    v = np.asarray(x.to_numpy())
    return int(v.max()) if v.size else 0


def _counting(cond_graph, body_graph):
    """The loop with a step counter as its last carry."""
    i32 = AbstractArray((), dtypes.int32)
    nb = len(body_graph.invars) - len(body_graph.outvars)

    def body(*a):
        bcv, cv, k = a[:nb], a[nb:-1], a[-1]
        return list(call(body_graph, list(bcv) + list(cv))) + [k + 1]

    return (pad_invars(cond_graph, [i32], len(cond_graph.invars)),
            stage(body, body_graph.in_avals + [i32]))


def while_vjp_fwd(primals, live, *, cond_graph, body_graph, cond_nconsts, body_nconsts,
                  max_steps):
    from tensorlib._src.ops import elementwise as ew
    from tensorlib._src.ops.shape import broadcast_in_dim

    ncc, nb = cond_nconsts, body_nconsts
    cc, bc, carry = _split_args(primals, ncc, nb)
    cg, bg = _counting(cond_graph, body_graph)
    counted = while_p.bind(*cc, *bc, *carry, ew.full((), 0, dtypes.int32), cond_graph=cg,
                           body_graph=bg, cond_nconsts=ncc, body_nconsts=nb,
                           max_steps=max_steps)
    n = _trip_bound(counted[-1])
    if n is None:
        n = max_steps
    if n is None:
        # staged, unbounded: the forward loop as it is; the backward half learns the trip
        # count when the program runs (while_grad_p, below)
        outs = counted[:-1]
        params = dict(cond_graph=cond_graph, body_graph=body_graph, cond_nconsts=ncc,
                      body_nconsts=nb, max_steps=max_steps, live=tuple(bool(x) for x in live),
                      transforms=())
        return list(outs), list(primals), {"scan": None, "n_carry": len(carry),
                                           "dynamic": params}
    ncar = len(carry)
    c_avals = cond_graph.in_avals
    b_avals = body_graph.in_avals
    bool_aval = AbstractArray((), dtypes.bool_)

    def masked(*a):
        ccv, bcv, cv, active = a[:ncc], a[ncc:ncc + nb], a[ncc + nb:-1], a[-1]
        (p,) = call(cond_graph, list(ccv) + list(cv))
        act = active & p
        new = call(body_graph, list(bcv) + list(cv))
        return [ew.select_n(broadcast_in_dim(act, tuple(o.shape), ()), o, nw)
                for o, nw in zip(cv, new)] + [act]

    g = stage(masked, c_avals[:ncc] + b_avals + [bool_aval])
    s_primals = cc + bc + carry + [ew.full((), True, dtypes.bool_)]
    s_live = list(live) + [False]
    outs, res, params = scan_vjp_fwd(s_primals, s_live, graph=g, num_consts=ncc + nb,
                                     num_carry=ncar + 1, length=n, reverse=False, unroll=1)
    return outs[:ncar], res, {"scan": params["info"], "n_carry": ncar, "dynamic": None}


def while_vjp(cts, _out, *residuals, scan, n_carry, dynamic):
    if dynamic is not None:
        avals = dynamic["body_graph"].out_avals
        cts = [c if c is not None else zeros(tangent_aval(a)) for c, a in zip(cts, avals)]
        got = iter(while_grad_p.bind(*residuals, *cts, **dynamic))
        return [next(got) if lv else None for lv in dynamic["live"]]
    in_cts = scan_vjp(list(cts) + [None], None, *residuals, info=scan)
    return in_cts[:-1]


def_vjp_fwd(while_p)(while_vjp_fwd)
def_vjp(while_p)(while_vjp)


# --------------------------------------------------------------------------------------------
# Reverse mode through ``while_loop`` in a staged program, where the trip count is known only
# when the program runs.
#
# ``while_grad_p`` stands for the cotangents of a while loop's inputs; its kernel runs, on the
# concrete values, the eager reverse mode of the loop (count the iterations, run them as a
# masked ``scan`` that stacks its residuals, then the reverse scan): the residual buffer is
# sized when the program runs, which a static graph cannot express. Its own derivatives and
# batching are the same kernel under more transformations, recorded as data in ``transforms``
# (``("jvp", nonzeros)``, ``("vjp", differentiable)``, ``("batch", batched, size,
# out_batched)``), so every composition (``jit(hessian)``, ``jit(vmap(grad))``, ...) works.
# Backends without a way to run it inside a compiled program (XLA) run it on the host between
# compiled segments; a ``max_steps`` bound keeps such a loop inside the compiled program.

while_grad_p = Primitive("while_grad", multiple_results=True)
def_no_fold(while_grad_p)


def _base_avals(params):
    body, cond = params["body_graph"], params["cond_graph"]
    nb = params["body_nconsts"]
    ins = (cond.in_avals[:params["cond_nconsts"]] + body.in_avals[:nb] + body.in_avals[nb:]
           + [tangent_aval(a) for a in body.out_avals])
    n = len(params["live"])
    outs = [tangent_aval(a) for a, lv in zip(ins[:n], params["live"]) if lv]
    return ins, outs


def _deps(params):
    """For each output of the composed function, the inputs it depends on."""
    ins, outs = _base_avals(params)
    n = len(ins)
    deps = [frozenset(range(n)) for _ in outs]
    for t in params["transforms"]:
        if t[0] == "jvp":
            n_new = n + sum(t[1])
            deps = deps + [frozenset(range(n_new)) for _ in deps]
            n = n_new
        elif t[0] == "vjp":
            n_new = n + len(deps)
            deps = [frozenset(range(n_new)) for d in t[1] if d]
            n = n_new
    return deps


def _avals(params):
    ins, outs = _base_avals(params)
    for t in params["transforms"]:
        if t[0] == "jvp":
            ins = ins + [tangent_aval(ins[i]) for i, nz in enumerate(t[1]) if nz]
            outs = outs + [tangent_aval(a) for a in outs]
        elif t[0] == "vjp":
            ins = ins + [tangent_aval(a) for a in outs]
            outs = [tangent_aval(a) for a, d in zip(ins, t[1]) if d]
        else:
            size = t[2]
            ins = [a.update(shape=(size,) + tuple(a.shape)) if b else a
                   for a, b in zip(ins, t[1])]
            outs = [a.update(shape=(size,) + tuple(a.shape)) if b else a
                    for a, b in zip(outs, t[3])]
    return ins, outs


def _base_fn(params):
    """Eagerly: the while loop's input cotangents, from its inputs and output cotangents."""
    from tensorlib._src.transforms.ad import vjp_flat

    n = len(params["live"])
    wparams = {k: params[k] for k in ("cond_graph", "body_graph", "cond_nconsts",
                                      "body_nconsts", "max_steps")}
    ins, _ = _base_avals(params)

    def fn(*args):
        primals, cts = list(args[:n]), list(args[n:])
        live = [i for i, lv in enumerate(params["live"]) if lv]
        fixed = list(primals)

        def f(*xs):
            full = list(fixed)
            for i, x in zip(live, xs):
                full[i] = x
            return while_p.bind(*full, **wparams)

        _, pullback = vjp_flat(f, [primals[i] for i in live])
        got = pullback(cts)
        return [g if g is not None else zeros(ins[i]) for g, i in zip(got, live)]

    return fn


def _composed(params):
    from tensorlib._src.transforms.ad import jvp_flat, vjp_flat
    from tensorlib._src.transforms.batching import vmap

    fn = _base_fn(params)
    for t in params["transforms"]:
        fn = _wrap(fn, t, jvp_flat, vjp_flat, vmap)
    return fn


def _wrap(fn, t, jvp_flat, vjp_flat, vmap):
    if t[0] == "jvp":
        nz = t[1]

        def jvp_fn(*args):
            n = len(nz)
            it = iter(args[n:])
            tangents = [next(it) if z else None for z in nz]
            outs, t_outs = jvp_flat(lambda *p: list(fn(*p)), list(args[:n]), tangents)
            return list(outs) + [t if t is not None else zeros(tangent_aval(get_aval(o)))
                                 for t, o in zip(t_outs, outs)]

        return jvp_fn
    if t[0] == "vjp":
        diff = t[1]

        def vjp_fn(*args):
            n = len(diff)
            primals, cts = list(args[:n]), list(args[n:])
            idx = [i for i, d in enumerate(diff) if d]

            def f(*xs):
                full = list(primals)
                for i, x in zip(idx, xs):
                    full[i] = x
                return list(fn(*full))

            _, pullback = vjp_flat(f, [primals[i] for i in idx])
            got = pullback(cts)
            return [g if g is not None else zeros(tangent_aval(get_aval(primals[i])))
                    for g, i in zip(got, idx)]

        return vjp_fn
    batched, out_batched = t[1], t[3]
    return lambda *args: vmap(lambda *a: list(fn(*a)),
                              in_axes=tuple(0 if b else None for b in batched),
                              out_axes=[0 if b else None for b in out_batched])(*args)


@def_shape(while_grad_p)
def _while_grad_shape(*avals, **params):
    return _avals(params)[1]


def while_grad_kernel(*arrays, **params):
    """Runs on concrete Arrays (the NumPy/CuPy kernels wrap buffers; XLA runs it on the host)."""
    return list(_composed(params)(*arrays))


@def_jvp(while_grad_p)
def _while_grad_jvp(primals, tangents, **params):
    ins, _ = _avals(params)
    nz = tuple(t is not None and differentiable(a) for t, a in zip(tangents, ins))
    ts = [t if t is not None else zeros(tangent_aval(a))
          for t, a, z in zip(tangents, ins, nz) if z]
    p = dict(params, transforms=params["transforms"] + (("jvp", nz),))
    outs = while_grad_p.bind(*primals, *ts, **p)
    k = len(outs) // 2
    return list(outs[:k]), list(outs[k:])


@def_vjp(while_grad_p)
def _while_grad_vjp(cts, out, *primals, **params):
    ins, outs = _avals(params)
    diff = tuple(differentiable(a) for a in ins)
    cts = [c if c is not None else zeros(a) for c, a in zip(cts, outs)]
    p = dict(params, transforms=params["transforms"] + (("vjp", diff),))
    got = iter(while_grad_p.bind(*primals, *cts, **p))
    return [next(got) if d else None for d in diff]


@def_batch(while_grad_p)
def _while_grad_batch(info, vals, bdims, **params):
    from tensorlib._src.ops.shape import moveaxis_to

    batched = tuple(b is not None for b in bdims)
    out_b = tuple(any(batched[i] for i in d) for d in _deps(params))
    vals = [moveaxis_to(v, b, 0) if b is not None else v for v, b in zip(vals, bdims)]
    p = dict(params, transforms=params["transforms"] + (("batch", batched, info.size, out_b),))
    outs = while_grad_p.bind(*vals, **p)
    return list(outs), [0 if b else None for b in out_b]
