"""Structured control flow: cond, switch, while_loop, fori_loop, scan, map.

Each is a higher-order primitive whose sub-functions travel in its params. Eagerly, the
primitive's ``impl`` runs the loop or the chosen branch in Python. Under the tape and forward
mode the body is *inlined*: it runs on the tracers, so every operation inside is recorded or
differentiated like any other. Reverse mode through ``while_loop`` is refused, as in JAX: its
trip count is dynamic, so a staged version could not store the iterations (use ``scan`` or
``fori_loop`` with static bounds).
"""

from __future__ import annotations

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import Array, Primitive, concrete_or_none
from tensorlib._src.rules import inline_rules
from tensorlib._src.numpy.promotion import asarray
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


def _check_same_structure(op, a, b, what):
    ta, tb = tree_structure(a), tree_structure(b)
    if ta != tb:
        raise ControlFlowError(f"{op}: {what} have different structures: {ta} and {tb}")
    for x, y in zip(tree_flatten(a)[0], tree_flatten(b)[0]):
        ax, ay = asarray(x), asarray(y)
        if tuple(ax.shape) != tuple(ay.shape) or ax.dtype != ay.dtype:
            raise ControlFlowError(f"{op}: {what} differ: {ax.aval.str_short()} vs "
                                   f"{ay.aval.str_short()}; the carry/branches must keep one "
                                   "shape and dtype")


# --------------------------------------------------------------------------------------------
cond_p = Primitive("cond", multiple_results=True)


def _cond_impl(index, *ops, branches, in_tree):
    i = int(_concrete_scalar(index, "cond/switch", "index"))
    i = min(max(i, 0), len(branches) - 1)
    args = tree_unflatten(in_tree, list(ops))
    return branches[i](*args)


cond_p.impl = _cond_impl


def switch(index, branches, *operands):
    """Apply ``branches[index](*operands)``; the index is clamped to the valid range."""
    branches = list(branches)
    if not branches:
        raise ControlFlowError("switch: needs at least one branch")
    idx = asarray(index)
    if idx.shape != () or not (dtypes.is_integer(idx.dtype) or idx.dtype == dtypes.bool_):
        raise ControlFlowError(f"switch: the index must be an integer scalar, got "
                               f"{idx.aval.str_short()}")
    flat, in_tree = tree_flatten(list(operands))
    box = []

    def wrap(fn):
        def run(*args):
            out = fn(*args)
            leaves, tree = tree_flatten(out)
            box.append((tree, out))
            return [asarray(v) for v in leaves]

        return run

    outs = cond_p.bind(idx, *[asarray(x) for x in flat], branches=tuple(wrap(b) for b in branches),
                       in_tree=in_tree)
    tree = box[-1][0]
    return tree_unflatten(tree, list(outs))


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
    idx = p.astype(dtypes.int32) if p.dtype == dtypes.bool_ else p
    return switch(idx, (false_fun, true_fun), *operands)


inline_rules[cond_p] = lambda trace, tracers, params: _cond_impl(*tracers, **params)

# --------------------------------------------------------------------------------------------
while_p = Primitive("while_loop", multiple_results=True)


def _while_impl(*carry, cond_fun, body_fun, in_tree):
    val = tree_unflatten(in_tree, list(carry))
    while True:
        c = cond_fun(val)
        if not bool(_concrete_scalar(asarray(c), "while_loop", "condition")):
            break
        new = body_fun(val)
        _check_same_structure("while_loop", val, new, "the carry before and after body_fun")
        val = new
    return [asarray(v) for v in tree_flatten(val)[0]]


while_p.impl = _while_impl


def _while_tape_rule(trace, tracers, params):
    from tensorlib._src.transforms.ad import TapeTracer

    if any(isinstance(t, TapeTracer) and t.var is not None for t in tracers):
        raise ControlFlowError(
            "Reverse-mode differentiation does not work for lax.while_loop: its trip count is "
            "dynamic. Use lax.scan, or lax.fori_loop with Python-int bounds, instead "
            "(forward mode, jvp/jacfwd, does work through while_loop).")
    return _while_impl(*tracers, **params)


def while_loop(cond_fun, body_fun, init_val):
    """``while cond_fun(val): val = body_fun(val)``; the carry keeps its shapes and dtypes."""
    flat, in_tree = tree_flatten(init_val)
    outs = while_p.bind(*[asarray(x) for x in flat], cond_fun=cond_fun, body_fun=body_fun,
                        in_tree=in_tree)
    return tree_unflatten(in_tree, list(outs))


# --------------------------------------------------------------------------------------------
scan_p = Primitive("scan", multiple_results=True)


def _scan_impl(*args, f, n_carry, carry_tree, xs_tree, length, reverse):
    from tensorlib._src.numpy.shape_ops import stack

    carry = tree_unflatten(carry_tree, list(args[:n_carry]))
    xs_flat = list(args[n_carry:])
    ys_list = []
    ys_tree = None
    order = range(length - 1, -1, -1) if reverse else range(length)
    for i in order:
        x = tree_unflatten(xs_tree, [xf[i] for xf in xs_flat])
        new_carry, y = f(carry, x)
        _check_same_structure("scan", carry, new_carry, "the carry before and after f")
        carry = new_carry
        y_flat, ys_tree = tree_flatten(y)
        ys_list.append([asarray(v) for v in y_flat])
    if reverse:
        ys_list.reverse()
    if ys_tree is None:
        # length 0: trace f once to learn the output structure, stack nothing
        x0 = tree_unflatten(xs_tree, [asarray(np.zeros(xf.shape[1:], xf.dtype)) for xf in xs_flat])
        _, y = f(carry, x0)
        y_flat, ys_tree = tree_flatten(y)
        ys = [asarray(np.zeros((0,) + tuple(asarray(v).shape), asarray(v).dtype))
              for v in y_flat]
    else:
        ys = [stack([row[k] for row in ys_list]) for k in range(len(ys_list[0]))]
    carry_flat = [asarray(c) for c in tree_flatten(carry)[0]]
    return carry_flat + ys + [ys_tree]


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
    box = []

    def f_checked(c, x):
        out = f(c, x)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise ControlFlowError("scan: f must return a pair (new_carry, y)")
        return out

    params = dict(f=f_checked, n_carry=len(carry_flat), carry_tree=carry_tree, xs_tree=xs_tree,
                  length=n, reverse=bool(reverse))

    def impl(*args, **p):
        outs = _scan_impl(*args, **p)
        box.append(outs[-1])
        return outs[:-1]

    outs = _bind_scan(impl, carry_flat + xs_flat, params)
    ys_tree = box[-1]
    nc = len(carry_flat)
    return tree_unflatten(carry_tree, list(outs[:nc])), tree_unflatten(ys_tree, list(outs[nc:]))


def _bind_scan(impl, args, params):
    return scan_p.bind(*args, _impl=impl, **params)


def _scan_prim_impl(*args, _impl, **params):
    return _impl(*args, **params)


scan_p.impl = _scan_prim_impl
inline_rules[scan_p] = lambda trace, tracers, params: _scan_prim_impl(*tracers, **params)
inline_rules[while_p] = _while_tape_rule


def fori_loop(lower, upper, body_fun, init_val):
    """``for i in range(lower, upper): val = body_fun(i, val)``.

    With concrete bounds it is a ``scan`` (differentiable in reverse mode); otherwise a
    ``while_loop``.
    """
    lo = concrete_or_none(asarray(lower)) if not isinstance(lower, int) else lower
    hi = concrete_or_none(asarray(upper)) if not isinstance(upper, int) else upper
    if lo is not None and hi is not None:
        lo_i, hi_i = int(_concrete_scalar(lo, "fori_loop", "lower")), int(
            _concrete_scalar(hi, "fori_loop", "upper"))
        idx_dt = asarray(lower).dtype if isinstance(lower, Array) else dtypes.int32

        def step(val, i):
            return body_fun(i, val), None

        n = max(hi_i - lo_i, 0)
        from tensorlib._src.ops.shape import iota

        idx = iota(idx_dt, n)
        if lo_i:
            idx = idx + lo_i
        out, _ = scan(step, init_val, idx, length=n)
        return out

    def c(state):
        i, _ = state
        return i < upper

    def b(state):
        i, v = state
        return i + 1, body_fun(i, v)

    return while_loop(c, b, (asarray(lower), init_val))[1]


def map(f, xs):
    """``stack([f(x) for x in xs])`` over the leading axis, as a scan."""
    _, ys = scan(lambda c, x: (c, f(x)), (), xs)
    return ys
