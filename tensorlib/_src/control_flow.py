"""Structured control flow: cond, switch, while_loop, fori_loop, scan, map.

Each is a higher-order primitive whose sub-functions travel in its params as *flat* callables
(a list of arrays in, a list out). Eagerly, the primitive's ``impl`` runs the loop or the
chosen branch in Python. Under the tape and forward mode the body is *inlined*: it runs on the
tracers, so every operation inside is recorded or differentiated like any other. Under staging
each sub-function becomes a sub-graph (``GraphFn``), so ``jit`` sees one equation per loop.

Reverse mode through ``while_loop`` is refused, as in JAX: its trip count is dynamic, so a
staged version could not store the iterations (use ``scan`` or ``fori_loop`` with static
bounds).
"""

from __future__ import annotations

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import AbstractArray, Array, Primitive, concrete_or_none, get_aval
from tensorlib._src.ir import eval_graph
from tensorlib._src.numpy.promotion import asarray
from tensorlib._src.rules import inline_rules
from tensorlib._src.transforms.staging import staging_rules, trace_to_graph
from tensorlib._src.tree_util import tree_flatten, tree_structure, tree_unflatten
from tensorlib.errors import ShapeError, TensorlibError


class ControlFlowError(TensorlibError, TypeError):
    """Bad use of a structured control-flow primitive."""


def _concrete_scalar(x, op, what):
    c = concrete_or_none(x) if isinstance(x, Array) else x
    if c is None:
        from tensorlib._src.errors_util import concretization_error

        raise concretization_error(x, f"{op} {what}")
    return np.asarray(c.to_numpy() if isinstance(c, Array) else c).item()


def _avals_match(a, b):
    return tuple(a.shape) == tuple(b.shape) and a.dtype == b.dtype


def _check_carry(op, before, after, what):
    if len(before) != len(after):
        raise ControlFlowError(f"{op}: {what} have different numbers of leaves "
                               f"({len(before)} vs {len(after)})")
    for x, y in zip(before, after):
        ax, ay = asarray(x).aval, asarray(y).aval
        if not _avals_match(ax, ay):
            raise ControlFlowError(f"{op}: {what} differ: {ax.str_short()} vs {ay.str_short()}; "
                                   "the carry must keep one shape and dtype")


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


# --------------------------------------------------------------------------------------------
cond_p = Primitive("cond", multiple_results=True)


def _cond_impl(index, *ops, branches):
    i = int(_concrete_scalar(index, "cond/switch", "index"))
    i = min(max(i, 0), len(branches) - 1)
    return branches[i](*ops)


cond_p.impl = _cond_impl
inline_rules[cond_p] = lambda trace, tracers, params: _cond_impl(*tracers, **params)


def _cond_stage(trace, tracers, params):
    index, *ops = tracers
    avals = [t.aval for t in ops]
    gfns, caps, graphs = stage_subfunctions(trace, params["branches"], avals, len(ops))
    outs0 = graphs[0].out_avals
    for k, g in enumerate(graphs[1:], 1):
        if len(g.out_avals) != len(outs0) or not all(
                _avals_match(a, b) for a, b in zip(g.out_avals, outs0)):
            raise ControlFlowError(
                "cond/switch: branches return different types: branch 0 gives "
                f"{[a.str_short() for a in outs0]} but branch {k} gives "
                f"{[a.str_short() for a in g.out_avals]}")
    out_avals = [AbstractArray(a.shape, a.dtype, all(g.out_avals[i].weak_type for g in graphs))
                 for i, a in enumerate(outs0)]
    return trace.record(cond_p, [index, *ops, *caps], {"branches": tuple(gfns)}, out_avals)


staging_rules[cond_p] = _cond_stage


def _flat_fn(fn, in_tree, box):
    """Wrap a pytree function as a flat one; record its output structure in ``box``."""
    def run(*leaves):
        out = fn(*tree_unflatten(in_tree, list(leaves)))
        flat, tree = tree_flatten(out)
        box.append(tree)
        return [asarray(v) for v in flat]

    return run


def switch(index, branches, *operands):
    """Apply ``branches[index](*operands)``; the index is clamped to the valid range.

    Examples
    --------
    >>> import tensorlib as tl
    >>> float(tl.lax.switch(1, [lambda x: x, lambda x: 2 * x], 3.0))
    6.0
    """
    branches = list(branches)
    if not branches:
        raise ControlFlowError("switch: needs at least one branch")
    idx = asarray(index)
    if idx.shape != () or not (dtypes.is_integer(idx.dtype) or idx.dtype == dtypes.bool_):
        raise ControlFlowError(f"switch: the index must be an integer scalar, got "
                               f"{idx.aval.str_short()}")
    if idx.dtype != dtypes.int32:
        idx = idx.astype(dtypes.int32)
    flat, in_tree = tree_flatten(list(operands))
    box = []
    outs = cond_p.bind(idx, *[asarray(x) for x in flat],
                       branches=tuple(_flat_fn(lambda *a, b=b: b(*a), in_tree, box)
                                      for b in branches))
    return tree_unflatten(box[-1], list(outs))


def cond(pred, true_fun, false_fun, *operands):
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``.

    Examples
    --------
    >>> import tensorlib as tl
    >>> float(tl.lax.cond(True, lambda x: x + 1, lambda x: x - 1, 1.0))
    2.0
    """
    p = asarray(pred)
    if p.shape != ():
        raise ControlFlowError(f"cond: the predicate must be a scalar, got {p.aval.str_short()}; "
                               "use tensorlib.numpy.where for elementwise selection")
    return switch(p, (false_fun, true_fun), *operands)


# --------------------------------------------------------------------------------------------
while_p = Primitive("while_loop", multiple_results=True)


def _while_impl(*args, cond_fun, body_fun, n_caps):
    carry = list(args[:len(args) - n_caps])
    caps = list(args[len(args) - n_caps:])
    while True:
        (c,) = cond_fun(*carry, *caps)
        if not bool(_concrete_scalar(asarray(c), "while_loop", "condition")):
            break
        new = body_fun(*carry, *caps)
        _check_carry("while_loop", carry, new, "the carry before and after body_fun")
        carry = new
    return [asarray(v) for v in carry]


while_p.impl = _while_impl


def _while_tape_rule(trace, tracers, params):
    from tensorlib._src.transforms.ad import TapeTracer

    if any(isinstance(t, TapeTracer) and t.var is not None for t in tracers):
        raise ControlFlowError(
            "Reverse-mode differentiation does not work for lax.while_loop: its trip count is "
            "dynamic. Use lax.scan, or lax.fori_loop with Python-int bounds, instead "
            "(forward mode, jvp/jacfwd, does work through while_loop).")
    return _while_impl(*tracers, **params)


inline_rules[while_p] = _while_tape_rule


def _while_stage(trace, tracers, params):
    n = len(tracers) - params["n_caps"]
    carry, old_caps = tracers[:n], tracers[n:]
    avals = [t.aval for t in carry]

    def bind_caps(fn):
        return lambda *c: fn(*c, *old_caps)

    (cfn, bfn), caps, (cg, bg) = stage_subfunctions(
        trace, [bind_caps(params["cond_fun"]), bind_caps(params["body_fun"])], avals, n)
    if len(cg.out_avals) != 1 or cg.out_avals[0].shape != ():
        raise ControlFlowError(f"while_loop: cond_fun must return a scalar boolean, got "
                               f"{[a.str_short() for a in cg.out_avals]}")
    if len(bg.out_avals) != n or not all(_avals_match(a, b) for a, b in zip(bg.out_avals, avals)):
        raise ControlFlowError(
            f"while_loop: body_fun changes the carry: {[a.str_short() for a in avals]} -> "
            f"{[a.str_short() for a in bg.out_avals]}; keep shapes and dtypes fixed")
    return trace.record(while_p, [*carry, *caps],
                        {"cond_fun": cfn, "body_fun": bfn, "n_caps": len(caps)}, avals)


staging_rules[while_p] = _while_stage


def while_loop(cond_fun, body_fun, init_val):
    """``while cond_fun(val): val = body_fun(val)``; the carry keeps its shapes and dtypes.

    Examples
    --------
    >>> lax.while_loop(lambda x: x < 10, lambda x: 2 * x, 1)
    Array(16, dtype=int32, weak_type=True)
    >>> lax.while_loop(lambda c: c[0] < 5, lambda c: (c[0] + 1, c[1] * 2), (0, tnp.array([1., 2.])))
    (Array(5, dtype=int32, weak_type=True), Array([32., 64.], dtype=float32))
    """
    flat, in_tree = tree_flatten(init_val)

    def cond_flat(*leaves):
        c = asarray(cond_fun(tree_unflatten(in_tree, list(leaves))))
        if c.shape != () or c.dtype != dtypes.bool_:
            raise ControlFlowError(f"while_loop: cond_fun must return a scalar boolean, got "
                                   f"{c.aval.str_short()}")
        return [c]

    def body_flat(*leaves):
        new, tree = tree_flatten(body_fun(tree_unflatten(in_tree, list(leaves))))
        if tree != in_tree:
            raise ControlFlowError(f"while_loop: body_fun changes the carry structure from "
                                   f"{in_tree} to {tree}")
        return [asarray(v) for v in new]

    outs = while_p.bind(*[asarray(x) for x in flat], cond_fun=cond_flat, body_fun=body_flat,
                        n_caps=0)
    return tree_unflatten(in_tree, list(outs))


# --------------------------------------------------------------------------------------------
scan_p = Primitive("scan", multiple_results=True)


def _scan_impl(*args, f, n_carry, n_xs, length, reverse, y_avals):
    from tensorlib._src.numpy.shape_ops import stack

    carry = list(args[:n_carry])
    xs = list(args[n_carry:n_carry + n_xs])
    caps = list(args[n_carry + n_xs:])
    rows = []
    order = range(length - 1, -1, -1) if reverse else range(length)
    for i in order:
        out = f(*carry, *[x[i] for x in xs], *caps)
        new_carry, ys = out[:n_carry], out[n_carry:]
        _check_carry("scan", carry, new_carry, "the carry before and after f")
        carry = new_carry
        rows.append(ys)
    if reverse:
        rows.reverse()
    if rows:
        ys = [stack([r[k] for r in rows]) for k in range(len(rows[0]))]
        # As JAX types ys: by the body traced with the initial carry (the first step), so a
        # weakly typed initial carry gives weakly typed ys even once the carry is strong.
        first = rows[-1] if reverse else rows[0]
        for y, y0 in zip(ys, first, strict=True):
            if type(y) is Array and isinstance(y0, Array) and y.dtype == y0.dtype:
                y._weak = bool(get_aval(y0).weak_type)
    else:
        from tensorlib._src.ops.elementwise import full

        ys = [full((0,) + tuple(a.shape), 0, a.dtype) for a in y_avals()]
    return [asarray(c) for c in carry] + ys


scan_p.impl = _scan_impl
inline_rules[scan_p] = lambda trace, tracers, params: _scan_impl(*tracers, **params)


def _scan_stage(trace, tracers, params):
    n_carry, n_xs = params["n_carry"], params["n_xs"]
    carry = tracers[:n_carry]
    xs = tracers[n_carry:n_carry + n_xs]
    old_caps = tracers[n_carry + n_xs:]
    f = params["f"]
    avals = [t.aval for t in carry] + [AbstractArray(t.aval.shape[1:], t.aval.dtype,
                                                     t.aval.weak_type) for t in xs]
    (gf,), caps, (g,) = stage_subfunctions(trace, [lambda *a: f(*a, *old_caps)], avals,
                                           n_carry + n_xs)
    outs = g.out_avals
    c_out = outs[:n_carry]
    if not all(_avals_match(a, b) for a, b in zip(c_out, avals[:n_carry])):
        raise ControlFlowError(
            f"scan: f changes the carry: {[a.str_short() for a in avals[:n_carry]]} -> "
            f"{[a.str_short() for a in c_out]}; keep shapes and dtypes fixed")
    y_avals = outs[n_carry:]
    # A weakly typed initial carry that the body makes strong comes out strong (JAX's rule)
    c_final = [a.update(weak_type=a.weak_type and b.weak_type)
               for a, b in zip(avals[:n_carry], c_out, strict=True)]
    out_avals = list(c_final) + [
        AbstractArray((params["length"],) + tuple(a.shape), a.dtype, a.weak_type)
        for a in y_avals]
    new = dict(params, f=gf, y_avals=lambda: y_avals)
    return trace.record(scan_p, [*carry, *xs, *caps], new, out_avals)


staging_rules[scan_p] = _scan_stage


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """Loop ``carry, y = f(carry, x)`` over the leading axis of ``xs``; returns (carry, ys).

    Examples
    --------
    >>> import tensorlib as tl, tensorlib.numpy as tnp
    >>> c, ys = tl.lax.scan(lambda c, x: (c + x, c * x), 0.0, tnp.arange(3.0))
    >>> float(c), ys.tolist()
    (3.0, [0.0, 0.0, 2.0])
    """
    xs_flat, xs_tree = tree_flatten(xs)
    xs_flat = [asarray(x) for x in xs_flat]
    lengths = {x.shape[0] if x.ndim else None for x in xs_flat}
    if None in lengths:
        raise ShapeError("scan: every leaf of xs needs a leading axis to scan over")
    if length is not None:
        lengths.add(int(length))
    if len(lengths) > 1:
        raise ShapeError(f"scan: leading axis sizes differ: {sorted(lengths)} (xs leaves and "
                         "length must agree)")
    if not lengths:
        raise ShapeError("scan: give xs or length")
    n = lengths.pop()
    carry_flat, carry_tree = tree_flatten(init)
    carry_flat = [asarray(c) for c in carry_flat]
    nc, nx = len(carry_flat), len(xs_flat)
    box = []

    def f_flat(*leaves):
        c = tree_unflatten(carry_tree, list(leaves[:nc]))
        x = tree_unflatten(xs_tree, list(leaves[nc:nc + nx]))
        out = f(c, x)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise ControlFlowError("scan: f must return a pair (new_carry, y)")
        new_c, y = out
        c_leaves, c_tree = tree_flatten(new_c)
        if c_tree != carry_tree:
            raise ControlFlowError(f"scan: f changes the carry structure from {carry_tree} to "
                                   f"{c_tree}")
        y_leaves, y_tree = tree_flatten(y)
        box.append(y_tree)
        return [asarray(v) for v in c_leaves] + [asarray(v) for v in y_leaves]

    def y_avals():
        # length 0: trace f once on zeros to learn the output structure
        from tensorlib._src.ops.elementwise import full

        xz = [full(x.shape[1:], 0, x.dtype) for x in xs_flat]
        out = f_flat(*carry_flat, *xz)
        return [asarray(v).aval for v in out[nc:]]

    outs = scan_p.bind(*carry_flat, *xs_flat, f=f_flat, n_carry=nc, n_xs=nx, length=n,
                       reverse=bool(reverse), y_avals=y_avals)
    ys_tree = box[-1] if box else tree_structure(None)
    return tree_unflatten(carry_tree, list(outs[:nc])), tree_unflatten(ys_tree, list(outs[nc:]))


def fori_loop(lower, upper, body_fun, init_val):
    """``for i in range(lower, upper): val = body_fun(i, val)``.

    With concrete bounds it is a ``scan`` (differentiable in reverse mode); otherwise a
    ``while_loop``.

    Examples
    --------
    >>> lax.fori_loop(0, 5, lambda i, acc: acc + i, tnp.int32(0))
    Array(10, dtype=int32)
    >>> lax.fori_loop(1, 4, lambda i, x: x * i, tnp.array([1, 2]))  # x * 1 * 2 * 3
    Array([ 6, 12], dtype=int32)
    """
    lo = lower if isinstance(lower, int) else concrete_or_none(asarray(lower))
    hi = upper if isinstance(upper, int) else concrete_or_none(asarray(upper))
    if lo is not None and hi is not None:
        lo_i = int(_concrete_scalar(lo, "fori_loop", "lower"))
        hi_i = int(_concrete_scalar(hi, "fori_loop", "upper"))
        idx_dt = asarray(lower).dtype if isinstance(lower, Array) else dtypes.int32
        n = max(hi_i - lo_i, 0)
        from tensorlib._src.ops.shape import iota

        idx = iota(idx_dt, n)
        if lo_i:
            idx = idx + lo_i
        out, _ = scan(lambda val, i: (body_fun(i, val), None), init_val, idx, length=n)
        return out

    def c(state):
        return state[0] < upper

    def b(state):
        i, v = state
        return i + 1, body_fun(i, v)

    return while_loop(c, b, (asarray(lower), init_val))[1]


def map(f, xs):
    """``stack([f(x) for x in xs])`` over the leading axis, as a scan.

    Examples
    --------
    >>> lax.map(lambda x: x * x, tnp.arange(4))
    Array([0, 1, 4, 9], dtype=int32)
    >>> lax.map(lambda p: p[0] + p[1], (tnp.arange(3), tnp.array([10, 20, 30])))
    Array([10, 21, 32], dtype=int32)
    """
    _, ys = scan(lambda c, x: (c, f(x)), (), xs)
    return ys


# --------------------------------------------------------------------------------------------
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
