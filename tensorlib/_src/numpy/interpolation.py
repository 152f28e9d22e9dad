"""One-dimensional piecewise-linear interpolation (``interp``)."""

from __future__ import annotations

from tensorlib._src import dtypes
from tensorlib._src.numpy import (
    comparison,
    division,
    shape_ops,
    sorting,
    ufuncs,
)
from tensorlib._src.numpy.promotion import (
    _inexact,
    asarray,
    broadcast_to,
    promote_dtypes,
)
from tensorlib.errors import ShapeError


def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation of the points ``(xp, fp)`` (``xp`` increasing) at ``x``.

    Outside ``xp``, ``fp[0]``/``fp[-1]`` (or ``left``/``right``) are used.

    Examples
    --------
    >>> xp, fp = tnp.array([0., 1., 3.]), tnp.array([0., 10., 30.])
    >>> tnp.interp(tnp.array([0.5, 2., 5.]), xp, fp)
    Array([ 5., 20., 30.], dtype=float32)
    >>> tnp.interp(tnp.array([-1., 4.]), xp, fp, left=-1., right=99.)
    Array([-1., 99.], dtype=float32)
    """
    x, xp = asarray(x), asarray(xp)
    fp = asarray(fp)
    if xp.ndim != 1 or fp.ndim != 1 or xp.shape != fp.shape:
        raise ShapeError(f"interp: xp and fp must be 1-d of equal length, got "
                         f"{xp.aval.str_short()} and {fp.aval.str_short()}")
    x, xp = promote_dtypes(_inexact(x), _inexact(xp))
    fp = _inexact(fp)
    if not dtypes.is_complex(fp.dtype):
        fp = fp.astype(dtypes.result_type(fp, x))
    if period is not None:
        if period == 0:
            raise ValueError("interp: period must be a non-zero value")
        period = ufuncs.absolute(asarray(period, x.dtype))
        x = division.remainder(x, period)
        xp = division.remainder(xp, period)
        order = sorting.argsort(xp)
        xp, fp = xp[order], fp[order]
        xp = shape_ops.concatenate([xp[-1:] - period, xp, xp[:1] + period])
        fp = shape_ops.concatenate([fp[-1:], fp, fp[:1]])
    n = xp.shape[0]
    if n == 1:
        out = broadcast_to(fp[0], x.shape)
    else:
        i = ufuncs.clip(sorting.searchsorted(xp, x, side="right"), 1, n - 1)
        x0, x1, f0, f1 = xp[i - 1], xp[i], fp[i - 1], fp[i]
        dx = ufuncs.subtract(x1, x0)
        t = ufuncs.true_divide(ufuncs.subtract(x, x0), ufuncs.where(dx == 0, 1, dx))
        out = ufuncs.add(f0, ufuncs.multiply(t.astype(fp.dtype), ufuncs.subtract(f1, f0)))
        out = ufuncs.where(comparison.equal(x, x1), f1, out)
    if period is None:
        lv = fp[0] if left is None else asarray(left, fp.dtype)
        rv = fp[-1] if right is None else asarray(right, fp.dtype)
        out = ufuncs.where(comparison.less(x, xp[0]), lv, out)
        out = ufuncs.where(comparison.greater(x, xp[-1]), rv, out)
    return out
