"""``tl.pure_callback``: a Python function on host NumPy arrays inside traced code.

The callback is a primitive, ``pure_callback``, whose outputs have the shapes and dtypes the
caller declares. Eagerly it calls the function at once; under ``jit`` it is an equation of the
graph: the NumPy backend calls it as a step of the compiled program, the XLA backend runs it
on the host between compiled segments. As in JAX it is *pure*: a call whose results are not
used may be removed, and two identical calls merged. It has no derivative (wrap it in
``custom_jvp``/``custom_vjp`` to give it one); ``vmap_method`` says how it batches.
"""

from __future__ import annotations

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import AbstractArray, Array, Primitive, asarray, concrete_or_none
from tensorlib._src.ops.shape import bdim_at_front, broadcast_in_dim, loop_batch
from tensorlib._src.rules import def_batch, def_jvp, def_shape, def_vjp
from tensorlib._src.tree_util import tree_flatten, tree_unflatten
from tensorlib.errors import NonDifferentiableError, ShapeError

pure_callback_p = Primitive("pure_callback", multiple_results=True)

VMAP_METHODS = ("sequential", "expand_dims", "broadcast_all")


class _Callback:
    """The user's function between flat host arrays: hashable by identity (a param)."""

    __slots__ = ("fn", "in_tree", "out_tree", "kwargs", "__weakref__")

    def __init__(self, fn, in_tree, out_tree, kwargs):
        self.fn, self.in_tree, self.out_tree, self.kwargs = fn, in_tree, out_tree, kwargs

    def __call__(self, host_args, result_avals):
        args = tree_unflatten(self.in_tree, list(host_args))
        out = self.fn(*args, **self.kwargs)
        leaves, tree = tree_flatten(out)
        if tree != self.out_tree:
            raise ShapeError(f"pure_callback: {_name(self.fn)} returned {tree} but "
                             f"result_shape_dtypes declares {self.out_tree}")
        res = []
        for i, (x, a) in enumerate(zip(leaves, result_avals)):
            x = np.asarray(x)
            if x.shape != tuple(a.shape) or x.dtype != a.dtype:
                raise ShapeError(
                    f"pure_callback: {_name(self.fn)} returned {x.dtype}{list(x.shape)} for "
                    f"result {i} but result_shape_dtypes declares {a.str_short()}; return "
                    "arrays of the declared shapes and dtypes (convert with np.asarray(..., "
                    "dtype=...))")
            res.append(x)
        return res


def _name(fn):
    return getattr(fn, "__name__", type(fn).__name__)


@def_shape(pure_callback_p)
def _pure_callback_shape(*avals, callback, result_avals, vmap_method):
    return list(result_avals)


def _host(x):
    c = concrete_or_none(x)
    return np.asarray(c.to_numpy()) if c is not None else np.asarray(x)


def _pure_callback_impl(*args, callback, result_avals, vmap_method):
    outs = callback([_host(a) for a in args], result_avals)
    return [Array(_backend_put(o), False) for o in outs]


def _backend_put(x):
    from tensorlib._src.core import current_backend

    return current_backend().from_numpy(x)


pure_callback_p.impl = _pure_callback_impl


def _no_derivative(*args, callback, **params):
    raise NonDifferentiableError(
        f"pure_callback: {_name(callback.fn)} is a Python function on host arrays, which "
        "tensorlib cannot differentiate; give it a derivative with tl.custom_jvp or "
        "tl.custom_vjp around the pure_callback call")


@def_jvp(pure_callback_p)
def _pure_callback_jvp(primals, tangents, **params):
    _no_derivative(**params)


@def_vjp(pure_callback_p)
def _pure_callback_vjp(cts, outs, *args, **params):
    _no_derivative(**params)


_sequential = loop_batch(pure_callback_p)


@def_batch(pure_callback_p)
def _pure_callback_batch(info, vals, bdims, *, callback, result_avals, vmap_method):
    params = dict(callback=callback, result_avals=result_avals, vmap_method=vmap_method)
    if vmap_method is None:
        raise NotImplementedError(
            f"pure_callback: {_name(callback.fn)} under vmap needs vmap_method= "
            "('sequential': one call per lane; 'expand_dims': one call, unbatched arguments "
            "with a leading axis of size 1; 'broadcast_all': one call, every argument "
            "batched), as in JAX")
    if vmap_method == "sequential":
        return _sequential(info, vals, bdims, **params)
    n = info.size
    args = []
    for v, b in zip(vals, bdims):
        if b is not None:
            args.append(bdim_at_front(v, b, n))
        else:
            shape = tuple(v.aval.shape)
            lead = 1 if vmap_method == "expand_dims" else n
            args.append(broadcast_in_dim(v, (lead,) + shape, tuple(range(1, 1 + len(shape)))))
    batched = tuple(AbstractArray((n,) + tuple(a.shape), a.dtype) for a in result_avals)
    outs = pure_callback_p.bind(*args, callback=callback, result_avals=batched,
                                vmap_method=vmap_method)
    return outs, [0] * len(outs)


def pure_callback(callback, result_shape_dtypes, *args, sharding=None, vmap_method=None,
                  **kwargs):
    """Call ``callback(*args, **kwargs)`` on host NumPy arrays, eagerly or inside ``jit``.

    Parameters
    ----------
    callback : callable
        A pure Python function of NumPy arrays (a pytree of them, as ``args``), returning
        arrays of the declared shapes and dtypes.
    result_shape_dtypes : pytree
        The results' shapes and dtypes: ``tl.ShapeDtypeStruct`` (or anything with ``shape``
        and ``dtype``) per leaf.
    *args : pytree of arrays
        The arguments, passed to ``callback`` as NumPy arrays.
    sharding : None, optional
        Accepted for JAX compatibility (arrays live on one device).
    vmap_method : {None, "sequential", "expand_dims", "broadcast_all"}, optional
        How the call batches under ``vmap`` (as in JAX); None refuses to.
    **kwargs
        Passed to ``callback`` as they are.

    Returns
    -------
    pytree of Array
        The callback's results, in the structure of ``result_shape_dtypes``.

    Raises
    ------
    tensorlib.errors.ShapeError
        When the callback returns other shapes, dtypes or structure than declared.
    tensorlib.errors.NonDifferentiableError
        When a derivative through the call is requested.

    Examples
    --------
    >>> import numpy as np, tensorlib as tl, tensorlib.numpy as tnp
    >>> f = lambda x: np.sort(x)[::-1].copy()
    >>> spec = tl.ShapeDtypeStruct((3,), tnp.float32)
    >>> tl.jit(lambda x: tl.pure_callback(f, spec, x) * 2)(tnp.array([2.0, 3.0, 1.0]))
    Array([6., 4., 2.], dtype=float32)
    """
    if not callable(callback):
        raise TypeError(f"pure_callback: callback must be callable, got {callback!r}")
    if vmap_method is not None and vmap_method not in VMAP_METHODS:
        raise ValueError(f"pure_callback: vmap_method must be None or one of {VMAP_METHODS}, "
                         f"got {vmap_method!r}")
    specs, out_tree = tree_flatten(result_shape_dtypes)
    try:
        result_avals = tuple(AbstractArray(tuple(s.shape), dtypes.canonicalize(s.dtype))
                             for s in specs)
    except AttributeError:
        raise TypeError("pure_callback: result_shape_dtypes must be a pytree of objects with "
                        "shape and dtype (tl.ShapeDtypeStruct), got "
                        f"{result_shape_dtypes!r}") from None
    leaves, in_tree = tree_flatten(list(args))
    leaves = [x if isinstance(x, Array) else asarray(x) for x in leaves]
    cb = _Callback(callback, in_tree, out_tree, kwargs)
    outs = pure_callback_p.bind(*leaves, callback=cb, result_avals=result_avals,
                                vmap_method=vmap_method)
    return tree_unflatten(out_tree, list(outs))
