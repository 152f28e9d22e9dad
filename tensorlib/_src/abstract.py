"""Shapes without values: ``ShapeDtypeStruct``, ``eval_shape`` and ``make_jaxpr``.

Each traces a function on abstract values (the staging trace of ``jit``) and runs nothing:
no kernel executes and no buffer of the arguments' size is allocated.
"""

from __future__ import annotations

import numpy as np

from tensorlib._src import dtypes, loader
from tensorlib._src.core import Array
from tensorlib._src.tree_util import tree_map, tree_unflatten


class ShapeDtypeStruct:
    """A shape, a dtype and a weak-type flag standing in for an array (``jax.ShapeDtypeStruct``).

    Parameters
    ----------
    shape : tuple of int
        The array's shape.
    dtype : dtype-like
        Its dtype, kept as given (as JAX does); tracing canonicalizes it as arrays are
        (``float64`` is traced as ``float32`` unless x64 is on).
    weak_type : bool, optional
        Whether it is weakly typed (a Python scalar's type).
    sharding : None, optional
        Accepted for JAX compatibility; tensorlib arrays live on one device.

    Examples
    --------
    >>> import tensorlib as tl
    >>> tl.ShapeDtypeStruct((2, 3), "float32")
    ShapeDtypeStruct(shape=(2, 3), dtype=float32)
    """

    __slots__ = ("shape", "dtype", "weak_type", "sharding")

    def __init__(self, shape, dtype, weak_type=False, sharding=None):
        try:
            self.shape = tuple(int(d) for d in shape)
        except TypeError:
            raise TypeError(f"ShapeDtypeStruct: shape must be a sequence of ints, got "
                            f"{shape!r}") from None
        if any(d < 0 for d in self.shape):
            raise ValueError(f"ShapeDtypeStruct: shape {self.shape} has a negative dimension")
        if dtype is None:
            raise TypeError("ShapeDtypeStruct: dtype must be given, got None")
        self.dtype = np.dtype(dtype)
        self.weak_type = bool(weak_type)
        self.sharding = sharding

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    def __repr__(self):
        weak = ", weak_type=True" if self.weak_type else ""
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name}{weak})"

    def __eq__(self, other):
        return (isinstance(other, ShapeDtypeStruct) and self.shape == other.shape
                and self.dtype == other.dtype and self.weak_type == other.weak_type)

    def __hash__(self):
        return hash((self.shape, self.dtype, self.weak_type))


def _placeholder(x):
    """An argument to trace with: a ShapeDtypeStruct becomes a stride-0 view of one zero
    (any shape, no memory); anything else is left for jit to convert."""
    if isinstance(x, ShapeDtypeStruct):
        loader.load("numpy")  # owns the placeholder's buffer (tracing reads only its shape)
        buf = np.broadcast_to(np.zeros((), dtypes.canonicalize(x.dtype)), x.shape)
        return Array(buf, x.weak_type)
    return x


def _trace(fun, static_argnums, args, kwargs):
    from tensorlib._src.transforms.jit import JitFunction

    # tree_map over the whole argument tree: a ShapeDtypeStruct is a leaf
    args, kwargs = tree_map(_placeholder, (args, kwargs))
    return JitFunction(fun, static_argnums).trace_with_tree(*args, **kwargs)


def _structs(graph, out_tree):
    return tree_unflatten(out_tree, [ShapeDtypeStruct(a.shape, a.dtype, a.weak_type)
                                     for a in graph.out_avals])


def eval_shape(fun, *args, **kwargs):
    """The shapes and dtypes of ``fun(*args, **kwargs)``, without computing it.

    Parameters
    ----------
    fun : callable
        The function; traced once, as ``jit`` would, and not run.
    *args, **kwargs
        Its arguments: arrays, scalars, or ``ShapeDtypeStruct`` placeholders (any pytree of
        them).

    Returns
    -------
    pytree of ShapeDtypeStruct
        One per output leaf, in the structure ``fun`` returns.

    Raises
    ------
    tensorlib.errors.ShapeError, tensorlib.errors.DTypeError
        When ``fun`` applies an operation to shapes or dtypes it does not accept.

    Examples
    --------
    >>> import tensorlib as tl, tensorlib.numpy as tnp
    >>> x = tl.ShapeDtypeStruct((1000, 1000), "float32")  # allocates nothing
    >>> tl.eval_shape(lambda a: tnp.dot(a, a).sum(0), x)
    ShapeDtypeStruct(shape=(1000,), dtype=float32)
    """
    return _structs(*_trace(fun, (), args, kwargs))


def make_jaxpr(fun, static_argnums=(), return_shape=False):
    """``make_jaxpr(fun)(*args)``: the staged graph of ``fun``, printed like a jaxpr (also
    ``tl.make_graph``).

    Parameters
    ----------
    fun : callable
        The function to trace; it is not run.
    static_argnums : int or tuple of int, optional
        Arguments traced as Python constants (as in ``jit``).
    return_shape : bool, optional
        Also return the outputs' shapes and dtypes, as ``eval_shape`` does.

    Returns
    -------
    callable
        Taking ``fun``'s arguments (arrays, scalars or ``ShapeDtypeStruct``) and returning the
        graph (its ``jaxpr`` is itself; ``eqns``, ``invars``, ``outvars``, ``consts``,
        ``in_avals``, ``out_avals``; each equation's ``primitive``, ``params``, ``invars``,
        ``outvars``), or ``(graph, shapes)`` with ``return_shape``.

    Examples
    --------
    >>> import tensorlib as tl, tensorlib.numpy as tnp
    >>> print(tl.make_jaxpr(lambda x: tnp.sin(x) * 2.0)(tnp.ones(3)))
    { lambda ; a:f32[3]. let
        b:f32[3] = sin a
        c:f32[3] = broadcast_in_dim[broadcast_dimensions=() shape=(3,)] 2.0:f32[]
        d:f32[3] = mul b c
        in (d,) }
    """
    if isinstance(static_argnums, int):
        static_argnums = (static_argnums,)

    def traced(*args, **kwargs):
        graph, out_tree = _trace(fun, tuple(static_argnums), args, kwargs)
        return (graph, _structs(graph, out_tree)) if return_shape else graph

    return traced
