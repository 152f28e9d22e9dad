"""Comparison and logic ufuncs of ``tensorlib.numpy``: ``equal``, ``less``, ..., ``logical_and``,
``logical_or``, ``logical_xor`` and ``logical_not``.
"""

from __future__ import annotations

from tensorlib._src import dtypes
from tensorlib._src.numpy.promotion import (
    asarray,
    promote_args,
)
from tensorlib._src.numpy.ufuncs import _binary_fast
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops.elementwise import full_like

equal = _binary_fast(
    ew.eq_p, "equal",
    doc="""Elementwise ``x1 == x2`` (bool), with broadcasting.

    Examples
    --------
    >>> tnp.equal(tnp.array([1, 2, 3]), tnp.array([[1], [3]]))
    Array([[ True, False, False],
           [False, False,  True]], dtype=bool)
    >>> tnp.equal(tnp.array([1., tnp.nan]), tnp.array([1., tnp.nan]))
    Array([ True, False], dtype=bool)
    """,
)
not_equal = _binary_fast(
    ew.ne_p, "not_equal",
    doc="""Elementwise ``x1 != x2`` (bool), with broadcasting.

    Examples
    --------
    >>> tnp.not_equal(tnp.array([1, 2, 3]), 2)
    Array([ True, False,  True], dtype=bool)
    >>> tnp.not_equal(tnp.array([tnp.nan]), tnp.array([tnp.nan]))
    Array([ True], dtype=bool)
    """,
)
less = _binary_fast(
    ew.lt_p, "less",
    doc="""Elementwise ``x1 < x2`` (bool), with broadcasting.

    Examples
    --------
    >>> tnp.less(tnp.array([1, 2, 3]), 2)
    Array([ True, False, False], dtype=bool)
    >>> tnp.less(tnp.array([1., 2.]), tnp.array([[0.], [3.]]))
    Array([[False, False],
           [ True,  True]], dtype=bool)
    """,
)
less_equal = _binary_fast(
    ew.le_p, "less_equal",
    doc="""Elementwise ``x1 <= x2`` (bool), with broadcasting.

    Examples
    --------
    >>> tnp.less_equal(tnp.array([1, 2, 3]), 2)
    Array([ True,  True, False], dtype=bool)
    """,
)
greater = _binary_fast(
    ew.gt_p, "greater",
    doc="""Elementwise ``x1 > x2`` (bool), with broadcasting.

    Examples
    --------
    >>> tnp.greater(tnp.array([1, 2, 3]), 2)
    Array([False, False,  True], dtype=bool)
    >>> tnp.greater(tnp.array([1., tnp.nan]), 0.)
    Array([ True, False], dtype=bool)
    """,
)
greater_equal = _binary_fast(
    ew.ge_p, "greater_equal",
    doc="""Elementwise ``x1 >= x2`` (bool), with broadcasting.

    Examples
    --------
    >>> tnp.greater_equal(tnp.array([1, 2, 3]), tnp.array([3, 2, 1]))
    Array([False,  True,  True], dtype=bool)
    """,
)


def _logical(name, prim, doc):
    def fn(x1, x2, /):
        x1, x2 = promote_args(name, x1, x2)
        if x1.dtype != dtypes.bool_:
            x1 = ew.ne(x1, full_like(x1, 0))
            x2 = ew.ne(x2, full_like(x2, 0))
        return prim.bind(x1, x2)

    fn.__name__ = name
    fn.__doc__ = doc
    return fn


logical_and = _logical(
    "logical_and", ew.and_p,
    doc="""Elementwise logical AND of truth values (nonzero is true); returns bool.

    Examples
    --------
    >>> tnp.logical_and(tnp.array([True, True, False]), tnp.array([True, False, False]))
    Array([ True, False, False], dtype=bool)
    >>> tnp.logical_and(tnp.array([0, 1, 2]), 3)
    Array([False,  True,  True], dtype=bool)
    """,
)
logical_or = _logical(
    "logical_or", ew.or_p,
    doc="""Elementwise logical OR of truth values (nonzero is true); returns bool.

    Examples
    --------
    >>> tnp.logical_or(tnp.array([True, False, False]), tnp.array([False, False, True]))
    Array([ True, False,  True], dtype=bool)
    >>> tnp.logical_or(tnp.array([0., 0.5]), 0.)
    Array([False,  True], dtype=bool)
    """,
)
logical_xor = _logical(
    "logical_xor", ew.xor_p,
    doc="""Elementwise logical XOR of truth values (nonzero is true); returns bool.

    Examples
    --------
    >>> tnp.logical_xor(tnp.array([True, True, False]), tnp.array([True, False, False]))
    Array([False,  True, False], dtype=bool)
    """,
)


def logical_not(x, /):
    """Elementwise logical NOT (nonzero is true); returns bool.

    Examples
    --------
    >>> tnp.logical_not(tnp.array([True, False]))
    Array([False,  True], dtype=bool)
    >>> tnp.logical_not(tnp.array([0, 2]))
    Array([ True, False], dtype=bool)
    """
    x = asarray(x)
    if x.dtype != dtypes.bool_:
        return ew.eq(x, full_like(x, 0))
    return ew.not_p.bind(x)
