"""Reverse mode through ``while_loop`` in a staged program, where the trip count is known only
when the program runs.

``while_grad_p`` stands for the cotangents of a while loop's inputs; its kernel runs, on the
concrete values, the eager reverse mode of the loop (count the iterations, run them as a
masked ``scan`` that stacks its residuals, then the reverse scan): the residual buffer is
sized when the program runs, which a static graph cannot express. Its own derivatives and
batching are the same kernel under more transformations, recorded as data in ``transforms``
(``("jvp", nonzeros)``, ``("vjp", differentiable)``, ``("batch", batched, size,
out_batched)``), so every
composition (``jit(hessian)``, ``jit(vmap(grad))``, ...) works. Backends without a way to run
it inside a compiled program (XLA) run it on the host between compiled segments; a
``max_steps`` bound keeps such a loop inside the compiled program instead.
"""

from __future__ import annotations

from tensorlib._src.control.graphs import differentiable, tangent_aval, zeros
from tensorlib._src.core import Primitive, get_aval
from tensorlib._src.rules import def_batch, def_jvp, def_shape, def_vjp

while_grad_p = Primitive("while_grad", multiple_results=True)


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
    from tensorlib._src.control.loops import while_p
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
    from tensorlib._src.transforms.batching import moveaxis_to

    batched = tuple(b is not None for b in bdims)
    out_b = tuple(any(batched[i] for i in d) for d in _deps(params))
    vals = [moveaxis_to(v, b, 0) if b is not None else v for v, b in zip(vals, bdims)]
    p = dict(params, transforms=params["transforms"] + (("batch", batched, info.size, out_b),))
    outs = while_grad_p.bind(*vals, **p)
    return list(outs), [0 if b else None for b in out_b]

