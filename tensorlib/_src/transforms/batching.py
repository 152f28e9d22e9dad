"""``vmap``: a batch axis carried beside each value through batching rules.

A ``BatchTracer`` holds a value of the level below and ``bdim``, the axis of that value that
is the batch axis (``None``: the same for every lane). Batching rules take the unwrapped values
and their ``bdims`` and return the result and its ``bdim``; most move batch axes as little as
possible. Works eagerly (no staging) and under staging; named axes give the collectives
``psum``, ``pmean``, ``pmax``, ``pmin``, ``all_gather`` and ``axis_index``.
"""

from __future__ import annotations

import functools
import numbers

from tensorlib._src.core import Array, Trace, Tracer, _tls, get_aval, new_trace
from tensorlib._src.ops.shape import bdim_at_front, moveaxis_to
from tensorlib._src.rules import axis_primitives, batch_rules, def_batch
from tensorlib._src.tree_util import tree_flatten, tree_structure, tree_unflatten
from tensorlib.errors import MissingRuleError, ShapeError


class BatchTracer(Tracer):
    __slots__ = ("val", "bdim")

    def __init__(self, trace, val, bdim):
        self._trace = trace
        self.val = val
        self.bdim = bdim

    @property
    def aval(self):
        aval = get_aval(self.val)
        if self.bdim is None:
            return aval
        shape = tuple(n for d, n in enumerate(aval.shape) if d != self.bdim)
        return aval.update(shape=shape)

    def concrete_value(self):
        return None


class BatchInfo:
    __slots__ = ("size", "axis_name")

    def __init__(self, size, axis_name):
        self.size = size
        self.axis_name = axis_name


class BatchTrace(Trace):
    __slots__ = ("info",)

    def __init__(self, level: int, info: BatchInfo):
        super().__init__(level)
        self.info = info

    @property
    def axis(self):
        return self.info

    def pure(self, val):
        return BatchTracer(self, val, None)

    lift = pure

    def process_primitive(self, prim, tracers, params):
        vals = [t.val for t in tracers]
        bdims = [t.bdim for t in tracers]
        if all(b is None for b in bdims) and prim not in axis_primitives:
            return prim.bind(*vals, **params)
        rule = batch_rules.get(prim)
        if rule is None:
            raise MissingRuleError("batching", prim)
        out, out_bdim = rule(self.info, vals, bdims, **params)
        if prim.multiple_results:
            return [BatchTracer(self, o, b) for o, b in zip(out, out_bdim)]
        return BatchTracer(self, out, out_bdim)


def def_inline_batch(prim, impl=None):
    """Register a rule that runs ``impl`` (default ``prim.impl``: a call's body) on
    BatchTracers, so the body's operations are batched one by one."""

    def rule(info, vals, bdims, **params):
        trace = _current_batch_trace(info)
        tracers = [BatchTracer(trace, v, b) for v, b in zip(vals, bdims)]
        outs = (impl or prim.impl)(*tracers, **params)
        outs_l = outs if prim.multiple_results else [outs]
        res = [trace.full_raise(o) for o in outs_l]
        vals_out = [r.val for r in res]
        bds = [r.bdim for r in res]
        return (vals_out, bds) if prim.multiple_results else (vals_out[0], bds[0])

    return def_batch(prim)(rule)


def _current_batch_trace(info):
    for t in reversed(_tls.stack):
        if isinstance(t, BatchTrace) and t.info is info:
            return t
    raise RuntimeError("no active vmap for this batching rule")


def _canon_axis(ax, ndim, what):
    if ax is None:
        return None
    if isinstance(ax, bool) or not isinstance(ax, numbers.Integral):
        raise TypeError(f"vmap: {what} entries must be ints or None, got {ax!r} "
                        f"({type(ax).__name__})")
    if what == "in_axes" and ndim == 0:
        raise ShapeError(f"vmap: {what}={ax} maps axis {ax} of an argument that is 0-d (a "
                         "scalar); a mapped argument needs at least one axis. Pass "
                         "in_axes=None for this argument to broadcast it instead")
    if not -ndim <= ax < max(ndim, 1) and not (ndim == 0 and ax in (0, -1)):
        raise ShapeError(f"vmap: {what} axis {ax} is out of range for a value with {ndim} dims")
    return ax % ndim if ndim else 0


def _broadcast_prefix(prefix, tree, what):
    """Expand an in_axes/out_axes prefix to one entry per leaf of ``tree``."""
    if prefix is None or isinstance(prefix, int):
        return [prefix] * len(tree_flatten(tree)[0])
    if isinstance(prefix, (float, complex, str, bytes)):
        raise TypeError(f"vmap: {what} must be an int, None, or a tuple/list/dict of those "
                        f"matching the arguments; got {prefix!r} ({type(prefix).__name__})")
    leaves = []
    treedef = tree_structure(prefix, is_leaf=lambda x: x is None)
    try:
        subtrees = treedef.flatten_up_to(tree)
    except ValueError as e:
        raise ValueError(f"vmap: {what}={prefix!r} does not match the structure of the "
                         f"arguments ({tree_structure(tree)})") from e
    for p, sub in zip(tree_flatten(prefix, is_leaf=lambda x: x is None)[0], subtrees):
        leaves += [p] * len(tree_flatten(sub)[0])
    return leaves


def vmap(fun, in_axes=0, out_axes=0, axis_name=None, axis_size=None, spmd_axis_name=None):
    """Vectorize ``fun`` over a batch axis of its arguments.

    Examples
    --------
    >>> import tensorlib as tl, tensorlib.numpy as tnp
    >>> tl.vmap(lambda x, y: x @ y, in_axes=(0, None))(tnp.ones((4, 3)), tnp.ones(3)).shape
    (4,)
    """

    @functools.wraps(fun)
    def vmapped(*args, **kwargs):
        if kwargs:
            return vmap(lambda *a: fun(*a, **kwargs), in_axes, out_axes, axis_name,
                        axis_size)(*args)
        ia = tuple(in_axes) if isinstance(in_axes, list) else in_axes
        if isinstance(ia, tuple) and len(ia) != len(args):
            raise ValueError(f"vmap: in_axes has {len(ia)} entries but the function was "
                             f"called with {len(args)} positional arguments")
        flat, in_tree = tree_flatten(list(args))
        axes = _broadcast_prefix(list(ia) if isinstance(ia, tuple) else ia, list(args),
                                 "in_axes")
        from tensorlib._src.core import asarray

        flat = [x if isinstance(x, Array) else asarray(x) for x in flat]
        axes = [_canon_axis(a, get_aval(x).ndim, "in_axes") for a, x in zip(axes, flat)]
        size = _batch_size(flat, axes, axis_size, in_tree)
        with new_trace(BatchTrace, BatchInfo(size, axis_name)) as trace:
            ins = [BatchTracer(trace, x, a) for x, a in zip(flat, axes)]
            out = fun(*tree_unflatten(in_tree, ins))
            out_flat, out_tree = tree_flatten(out)
            oaxes = _broadcast_prefix(out_axes, out, "out_axes")
            res = []
            for o, oa in zip(out_flat, oaxes):
                o = trace.full_raise(o if isinstance(o, Array) else asarray(o))
                res.append(_out_value(o, oa, size))
        return tree_unflatten(out_tree, res)

    return vmapped


def _out_value(t, out_axis, size):
    val, bdim = t.val, t.bdim
    if out_axis is None:
        if bdim is not None:
            raise ValueError("vmap: out_axes=None but the output depends on the batch axis; "
                             "only values that are the same for every lane can be unbatched")
        return val
    if bdim is None:
        val = bdim_at_front(val, None, size)
        bdim = 0
    nd = get_aval(val).ndim
    return moveaxis_to(val, bdim, _canon_axis(out_axis, nd, "out_axes"))


def _batch_size(flat, axes, axis_size, in_tree):
    sizes = {}
    for i, (x, a) in enumerate(zip(flat, axes)):
        if a is not None:
            sizes.setdefault(get_aval(x).shape[a], []).append(i)
    if len(sizes) > 1:
        desc = "; ".join(f"size {n} for argument leaves {idx}" for n, idx in sizes.items())
        raise ShapeError(f"vmap got inconsistent sizes for the mapped axes: {desc} (argument "
                         f"structure {in_tree}). Give every mapped axis the same size.")
    if not sizes:
        if axis_size is None:
            raise ValueError("vmap: no argument is mapped (all in_axes are None); pass "
                             "axis_size= to say how many lanes to make")
        return int(axis_size)
    n = next(iter(sizes))
    if axis_size is not None and axis_size != n:
        raise ShapeError(f"vmap: axis_size={axis_size} but the mapped axes have size {n}")
    return n

