"""``nonzero``: the indices of the nonzero elements, from concrete values or, with ``size=``,
from primitives (usable under ``jit``). Below ``indexing`` and ``ufuncs``, which both use it
(``where(condition)`` is ``nonzero(condition)``).
"""

from __future__ import annotations

import builtins

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import concrete_or_none
from tensorlib._src.numpy.promotion import asarray
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops import index as ix
from tensorlib._src.ops import shape as sh
from tensorlib.errors import ShapeError


def nonzero(a, *, size=None, fill_value=None):
    """Indices of nonzero elements, one array per dimension.

    Needs a concrete ``a`` unless ``size`` is given: then exactly ``size`` indices come back,
    padded with ``fill_value`` (default 0), which makes it usable under ``jit``.

    Examples
    --------
    >>> x = tnp.array([[0, 3], [4, 0]])
    >>> tnp.nonzero(x)
    (Array([0, 1], dtype=int32), Array([1, 0], dtype=int32))
    >>> tnp.nonzero(tnp.array([0, 7, 0, 8]), size=3, fill_value=-1)
    (Array([ 1,  3, -1], dtype=int32),)
    >>> tl.jit(lambda v: tnp.nonzero(v, size=3)[0])(tnp.array([0, 7, 0, 8]))
    Array([1, 3, 0], dtype=int32)
    """
    a = asarray(a)
    if a.ndim == 0:
        raise ShapeError("nonzero: not defined for 0-d arrays; use atleast_1d(a) first")
    c = concrete_or_none(a)
    if c is None and size is not None:
        return _nonzero_static(a, int(size), fill_value)
    if c is None:
        from tensorlib._src.errors_util import concretization_error

        raise concretization_error(a, "nonzero() (the result shape depends on the values); "
                                   "pass size= to fix it")
    res = np.nonzero(np.atleast_1d(c.to_numpy()))
    if size is not None:
        fv = 0 if fill_value is None else fill_value
        res = tuple(np.concatenate([r[:size], np.full(builtins.max(size - len(r), 0), fv)])
                    for r in res)
    return tuple(asarray(r.astype(dtypes.default_int())) for r in res)


def _nonzero_static(a, size, fill_value):
    """``nonzero`` with a fixed output size, from primitives only (works under jit/vmap)."""
    dt = dtypes.default_int()
    n = a.size
    mask = ew.ne(sh.reshape(a, (n,)), ew.full((n,), 0, a.dtype))
    m = ew.convert_element_type(mask, dt)
    from tensorlib._src.ops.reduce import cumsum

    rank = ew.sub(cumsum(m, 0), ew.full((n,), 1, dt))  # position among the nonzeros
    keep = ew.bitwise_and(mask, ew.lt(rank, ew.full((n,), size, dt)))
    slot = ew.select_n(keep, ew.full((n,), size, dt), rank)  # size: out of bounds, dropped
    flat = ix.scatter(ew.full((size,), 0, dt), sh.reshape(slot, (n, 1)), sh.iota(dt, n),
                      dims=(0,), mode="set")
    count = ew.full((size,), 0, dt) if n == 0 else \
        sh.broadcast_in_dim(cumsum(m, 0)[n - 1], (size,), ())
    valid = ew.lt(sh.iota(dt, size), count)
    fv = ew.full((size,), 0 if fill_value is None else fill_value, dt)
    out, stride = [], 1
    for d in reversed(range(a.ndim)):
        dim = a.shape[d]
        coord = ew.rem(ew.div(flat, ew.full((size,), stride, dt)), ew.full((size,), dim, dt))
        out.append(ew.select_n(valid, fv, coord))
        stride *= dim
    return tuple(reversed(out))
