"""``lax.associative_scan``: an inclusive scan with an associative operator in O(log n) rounds.

The work-efficient parallel prefix (Ladner-Fischer / Blelloch's up-sweep then down-sweep),
written with strided slices, concatenation and one elementwise application of ``fn`` per round
on half of the elements: every round is a handful of whole-array operations, so the scan
differentiates, batches and stages like any composition of primitives (no loop primitive),
and the staged graph has O(log n) rounds instead of n steps.
"""

from __future__ import annotations

from tensorlib._src.core import asarray
from tensorlib._src.ops import shape as sh
from tensorlib._src.tree_util import tree_flatten, tree_unflatten
from tensorlib.errors import ShapeError


def associative_scan(fn, elems, reverse=False, axis=0):
    """All prefix combinations ``fn(...fn(fn(e[0], e[1]), e[2])..., e[i])`` along ``axis``.

    Parameters
    ----------
    fn : callable
        An associative binary function of two pytrees shaped like ``elems``. It is applied to
        whole slices at once, so it must be elementwise along ``axis`` (as in JAX).
    elems : pytree of arrays
        The sequence: every leaf has the same length along ``axis``.
    reverse : bool, optional
        Scan from the end: element ``i`` of the result combines elements ``i`` to ``n - 1``.
    axis : int, optional
        The axis scanned over.

    Returns
    -------
    pytree of arrays
        The inclusive scan, shaped like ``elems``.

    Raises
    ------
    tensorlib.errors.ShapeError
        When the leaves differ in length along ``axis``.

    Examples
    --------
    >>> import tensorlib as tl
    >>> tl.lax.associative_scan(tnp.add, tnp.arange(6))
    Array([ 0,  1,  3,  6, 10, 15], dtype=int32)
    >>> tl.lax.associative_scan(tnp.maximum, tnp.array([1, 3, 2, 5, 4]), reverse=True)
    Array([5, 5, 5, 5, 4], dtype=int32)
    """
    leaves, tree = tree_flatten(elems)
    leaves = [asarray(x) for x in leaves]
    if not leaves:
        return elems
    ndim = leaves[0].ndim
    if ndim == 0:
        raise ShapeError("associative_scan: elems must have at least one axis to scan over")
    if not -ndim <= axis < ndim:
        raise ShapeError(f"associative_scan: axis {axis} is out of bounds for {ndim}-d elems")
    axis = axis % ndim
    n = leaves[0].shape[axis]
    for i, x in enumerate(leaves):
        if x.ndim <= axis or x.shape[axis] != n:
            raise ShapeError(f"associative_scan: every leaf needs length {n} along axis {axis}"
                             f"; leaf {i} has shape {tuple(x.shape)}")

    def combine(a, b):
        out = fn(tree_unflatten(tree, a), tree_unflatten(tree, b))
        out_leaves, out_tree = tree_flatten(out)
        if out_tree != tree:
            raise ShapeError(f"associative_scan: fn must return the structure of elems "
                             f"({tree}), got {out_tree}")
        return [asarray(x) for x in out_leaves]

    def take(x, start, stop=None, step=1):
        stop = x.shape[axis] if stop is None else stop
        start = min(start, stop)
        lo = [0] * x.ndim
        hi = list(x.shape)
        st = [1] * x.ndim
        lo[axis], hi[axis], st[axis] = start, stop, step
        return sh.slice(x, lo, hi, st)

    def scan(xs):
        m = xs[0].shape[axis]
        if m < 2:
            return xs
        # pairs (0, 1), (2, 3), ...: their scan gives every odd position of the result
        odd = scan(combine([take(x, 0, m - 1, 2) for x in xs], [take(x, 1, None, 2) for x in xs]))
        # the even positions 2, 4, ...: the odd result before them combined with themselves
        rest = [take(x, 2, None, 2) for x in xs]
        prev = [take(o, 0, len_even(m)) for o in odd]
        even = combine(prev, rest) if rest[0].shape[axis] else rest
        even = [sh.concatenate([take(x, 0, 1), e], axis) for x, e in zip(xs, even)]
        return [interleave(e, o) for e, o in zip(even, odd)]

    def len_even(m):  # how many even positions after 0
        return (m - 1) // 2

    def interleave(a, b):
        """a[0], b[0], a[1], b[1], ... along ``axis`` (a may be one longer)."""
        extra = a.shape[axis] - b.shape[axis]
        if extra:
            b = sh.concatenate([b, take(a, 0, 1)], axis)  # padding, sliced off
        both = sh.concatenate([sh.expand_dims(a, (axis + 1,)), sh.expand_dims(b, (axis + 1,))],
                              axis + 1)
        shape = list(a.shape)
        shape[axis] = 2 * a.shape[axis]
        out = sh.reshape(both, tuple(shape))
        return take(out, 0, shape[axis] - extra) if extra else out

    if reverse:
        leaves = [sh.rev(x, (axis,)) for x in leaves]
        result = [sh.rev(x, (axis,)) for x in scan(leaves)]
    else:
        result = scan(leaves)
    return tree_unflatten(tree, result)
