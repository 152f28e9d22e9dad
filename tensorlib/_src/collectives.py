"""Collectives over a named mapped axis: psum, pmean, pmax, pmin, all_gather, axis_index,
ppermute. Inside ``vmap(..., axis_name=name)`` they reduce or gather over the batch axis."""

from __future__ import annotations

import threading

from tensorlib._src import dtypes
from tensorlib._src.core import Primitive, Tracer, _tls, asarray, get_aval
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops import reduce as rd
from tensorlib._src.ops import shape as sh
from tensorlib._src.rules import (
    def_axis_primitive,
    def_batch,
    def_jvp,
    def_nondiff,
    def_shape,
    def_vjp,
)
from tensorlib._src.tree_util import tree_map
from tensorlib.errors import TensorlibError


class AxisNameError(TensorlibError, NameError):
    """A collective names an axis that no enclosing vmap/pmap defines."""


psum_p = Primitive("psum")
pmax_p = Primitive("pmax")
pmin_p = Primitive("pmin")
all_gather_p = Primitive("all_gather")
axis_index_p = Primitive("axis_index")
ppermute_p = Primitive("ppermute")
_COLLECTIVES = (psum_p, pmax_p, pmin_p, all_gather_p, axis_index_p, ppermute_p)
for _p in _COLLECTIVES:
    def_axis_primitive(_p)


def _find_axis_trace(name, op):
    for t in reversed(_tls.stack):
        if t.axis is not None and t.axis.axis_name == name:
            return t
    raise AxisNameError(f"{op}: unbound axis name {name!r}; call {op} inside "
                        f"tensorlib.vmap(..., axis_name={name!r}) or pmap with that axis_name")


# The SPMD context of the current thread, set by pmap's executor: axis name -> (rank, comm)
_spmd = threading.local()


def spmd_context(axis_name):
    return getattr(_spmd, "axes", {}).get(axis_name)


def _collective_impl(name):
    def impl(*args, axis_name, **params):
        ctx = spmd_context(axis_name)
        if ctx is None:
            raise AxisNameError(f"{name}: unbound axis name {axis_name!r}; call it inside "
                                f"vmap/pmap with axis_name={axis_name!r}")
        rank, comm = ctx
        return comm.run(name, rank, args[0], params)

    return impl


for _p in _COLLECTIVES:
    _p.impl = _collective_impl(_p.name)


def _bind_named(prim, x, axis_name, **params):
    trace = _find_axis_trace(axis_name, prim.name)
    x = asarray(x)
    # Lift x to the named axis' level, so that level sees the collective (a value of an inner
    # transformation already reaches it through the inner level's rule).
    if not (isinstance(x, Tracer) and x._trace.level >= trace.level):
        x = trace.full_raise(x)
    return prim.bind(x, axis_name=axis_name, **params)


def psum(x, axis_name):
    """Sum ``x`` over the lanes of the mapped axis ``axis_name`` (every lane gets the sum).

    Examples
    --------
    >>> tl.vmap(lambda x: lax.psum(x, "i"), axis_name="i")(tnp.arange(4))
    Array([6, 6, 6, 6], dtype=int32)
    >>> tl.vmap(lambda x: x / lax.psum(x, "i"), axis_name="i")(tnp.array([1., 3.]))
    Array([0.25, 0.75], dtype=float32)
    """
    return tree_map(lambda v: _bind_named(psum_p, v, axis_name), x)


def pmax(x, axis_name):
    """Maximum of ``x`` over the lanes of the mapped axis ``axis_name`` (every lane gets it).

    Examples
    --------
    >>> tl.vmap(lambda x: lax.pmax(x, "i"), axis_name="i")(tnp.array([3, 1, 4, 1]))
    Array([4, 4, 4, 4], dtype=int32)
    """
    return tree_map(lambda v: _bind_named(pmax_p, v, axis_name), x)


def pmin(x, axis_name):
    """Minimum of ``x`` over the lanes of the mapped axis ``axis_name`` (every lane gets it).

    Examples
    --------
    >>> tl.vmap(lambda x: lax.pmin(x, "i"), axis_name="i")(tnp.array([3, 1, 4, 1]))
    Array([1, 1, 1, 1], dtype=int32)
    """
    return tree_map(lambda v: _bind_named(pmin_p, v, axis_name), x)


def pmean(x, axis_name):
    """Mean of ``x`` over the lanes of the mapped axis ``axis_name`` (integers give floats).

    Examples
    --------
    >>> tl.vmap(lambda x: lax.pmean(x, "i"), axis_name="i")(tnp.arange(4))
    Array([1.5, 1.5, 1.5, 1.5], dtype=float32)
    """
    def one(v):
        s = _bind_named(psum_p, v, axis_name)
        n = _find_axis_trace(axis_name, "pmean").axis.size
        if not dtypes.is_inexact(get_aval(s).dtype):
            s = ew.convert_element_type(s, dtypes.default_float())
        return ew.div(s, ew.full_like(s, n))

    return tree_map(one, x)


def all_gather(x, axis_name, *, axis=0, tiled=False):
    """Stack ``x`` from every lane along a new axis ``axis`` (concatenate if ``tiled``).

    Examples
    --------
    >>> tl.vmap(lambda x: lax.all_gather(x, "i"), axis_name="i")(tnp.arange(3))
    Array([[0, 1, 2],
           [0, 1, 2],
           [0, 1, 2]], dtype=int32)
    >>> tl.vmap(lambda x: lax.all_gather(x, "i", tiled=True), axis_name="i")(tnp.ones((2, 2))).shape
    (2, 4)
    """
    return tree_map(lambda v: _bind_named(all_gather_p, v, axis_name, axis=int(axis),
                                          tiled=bool(tiled)), x)


def axis_index(axis_name):
    """This lane's index along the mapped axis ``axis_name``.

    Examples
    --------
    >>> tl.vmap(lambda x: x * lax.axis_index("i"), axis_name="i")(tnp.array([1, 1, 1]))
    Array([0, 1, 2], dtype=int32)
    """
    trace = _find_axis_trace(axis_name, "axis_index")
    return axis_index_p.bind(trace.pure(ew.full((), 0, dtypes.int32)), axis_name=axis_name)


def ppermute(x, axis_name, perm):
    """Send lane ``src``'s value to lane ``dst`` for each ``(src, dst)`` in ``perm``.

    Lanes that receive nothing get zeros (JAX's ``vmap`` rejects partial permutations).

    Examples
    --------
    >>> shift = lambda x: lax.ppermute(x, "i", [(0, 1), (1, 2), (2, 0)])
    >>> tl.vmap(shift, axis_name="i")(tnp.array([10, 20, 30]))
    Array([30, 10, 20], dtype=int32)
    """
    perm = tuple((int(a), int(b)) for a, b in perm)
    return tree_map(lambda v: _bind_named(ppermute_p, v, axis_name, perm=perm), x)


for _p in (psum_p, pmax_p, pmin_p, ppermute_p):
    def_shape(_p)(lambda x, **params: x)


@def_shape(axis_index_p)
def _axis_index_shape(x, *, axis_name):
    return x.update(weak_type=False)


@def_shape(all_gather_p)
def _all_gather_shape(x, *, axis_name, axis, tiled):
    trace = _find_axis_trace(axis_name, "all_gather")
    shape = list(x.shape)
    if tiled:
        shape[axis] *= trace.axis.size
    else:
        shape.insert(axis, trace.axis.size)
    return x.update(shape=tuple(shape))


# --------------------------------------------------------------------------------------------
# vmap rules: a collective over this trace's axis reduces the batch axis; over another
# axis it passes through (psum is elementwise in every other axis).


def _batch_collective(prim, reduce_fn):
    def rule(info, vals, bdims, **params):
        (x,), (b,) = vals, bdims
        if params["axis_name"] != info.axis_name:
            return prim.bind(x, **params), b
        if b is None:
            return reduce_fn(x, None, info), None
        return reduce_fn(x, b, info), None

    def_batch(prim)(rule)


def _sum(x, b, info):
    if b is None:
        return ew.mul(x, ew.full_like(x, info.size))
    return rd.reduce_sum(x, (b,))


def _max(x, b, info):
    return x if b is None else rd.reduce_max(x, (b,))


def _min(x, b, info):
    return x if b is None else rd.reduce_min(x, (b,))


_batch_collective(psum_p, _sum)
_batch_collective(pmax_p, _max)
_batch_collective(pmin_p, _min)


@def_batch(all_gather_p)
def _all_gather_batch(info, vals, bdims, *, axis_name, axis, tiled):
    (x,), (b,) = vals, bdims
    if axis_name != info.axis_name:
        x = sh.bdim_at_front(x, b, info.size) if b is not None else x
        out = all_gather_p.bind(x, axis_name=axis_name, axis=axis + (b is not None),
                                tiled=tiled)
        return out, (0 if b is not None else None)
    x = sh.bdim_at_front(x, b, info.size)
    out = sh.moveaxis_to(x, 0, axis)
    if tiled:
        shape = list(get_aval(x).shape[1:])
        shape[axis] *= info.size
        out = sh.reshape(out, shape)
    return out, None


@def_batch(axis_index_p)
def _axis_index_batch(info, vals, bdims, *, axis_name):
    if axis_name != info.axis_name:
        return axis_index_p.bind(vals[0], axis_name=axis_name), bdims[0]
    return sh.iota(dtypes.int32, info.size), 0


@def_batch(ppermute_p)
def _ppermute_batch(info, vals, bdims, *, axis_name, perm):
    (x,), (b,) = vals, bdims
    if axis_name != info.axis_name:
        return ppermute_p.bind(x, axis_name=axis_name, perm=perm), b
    x = sh.bdim_at_front(x, b, info.size)
    lanes = [None] * info.size
    for src, dst in perm:
        lanes[dst] = src
    parts = []
    for dst in range(info.size):
        src = lanes[dst]
        lane = sh.slice_in_dim(x, src if src is not None else 0,
                               (src if src is not None else 0) + 1, axis=0)
        parts.append(lane if src is not None else ew.zeros_like(lane))
    return sh.concatenate(parts, 0), 0


# --------------------------------------------------------------------------------------------
# derivatives: psum, all_gather and ppermute are linear; pmax/pmin split ties evenly


def _def_linear_collective(prim):
    @def_jvp(prim)
    def _jvp(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        return out, None if tangents[0] is None else prim.bind(tangents[0], **params)


for _p in (psum_p, all_gather_p, ppermute_p):
    _def_linear_collective(_p)
def_nondiff(axis_index_p)


@def_vjp(psum_p, linear=True)
def _psum_vjp(ct, out, x, *, axis_name):
    return (psum_p.bind(ct, axis_name=axis_name),)


@def_vjp(ppermute_p, linear=True)
def _ppermute_vjp(ct, out, x, *, axis_name, perm):
    return (ppermute_p.bind(ct, axis_name=axis_name, perm=tuple((b, a) for a, b in perm)),)


@def_vjp(all_gather_p, linear=True)
def _all_gather_vjp(ct, out, x, *, axis_name, axis, tiled):
    total = psum_p.bind(ct, axis_name=axis_name)
    i = axis_index(axis_name)
    n = x.shape[axis] if tiled else 1
    start = ew.mul(i, ew.full((), n, dtypes.int32))
    starts = [ew.full((), 0, dtypes.int32)] * len(get_aval(total).shape)
    starts[axis] = start
    sizes = list(get_aval(total).shape)
    sizes[axis] = n
    piece = sh.dynamic_slice(total, starts, sizes)
    return (piece if tiled else sh.reshape(piece, x.shape),)


def _def_extremum_collective(prim):
    def weights(x, out, axis_name):
        hit = ew.convert_element_type(ew.eq(x, out), get_aval(x).dtype)
        return ew.div(hit, psum_p.bind(hit, axis_name=axis_name))

    @def_jvp(prim)
    def _jvp(primals, tangents, *, axis_name):
        (x,), (t,) = primals, tangents
        out = prim.bind(x, axis_name=axis_name)
        if t is None:
            return out, None
        return out, psum_p.bind(ew.mul(t, weights(x, out, axis_name)), axis_name=axis_name)

    @def_vjp(prim)
    def _vjp(ct, out, x, *, axis_name):
        return (ew.mul(psum_p.bind(ct, axis_name=axis_name), weights(x, out, axis_name)),)


_def_extremum_collective(pmax_p)
_def_extremum_collective(pmin_p)
