"""Reductions, cumulative ops and dot_general."""

from __future__ import annotations

import enum

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import WEAK_NEVER, AbstractArray, Primitive, get_aval
from tensorlib._src.ops.elementwise import (
    add,
    bitwise_and,
    convert_element_type,
    def_bilinear_jvp,
    div,
    eq,
    full_like,
    mul,
    select_n,
    zeros_like,
)
from tensorlib._src.ops.shape import (
    broadcast_in_dim,
    concatenate,
    def_linear,
    moveaxis_to,
    reshape,
    slice_in_dim,
    transpose,
)
from tensorlib._src.rules import def_batch, def_jvp, def_nondiff, def_shape, def_vjp
from tensorlib.errors import DTypeError, ShapeError


def _check_axes(op, x, axes):
    if len(set(axes)) != len(axes) or any(not 0 <= a < x.ndim for a in axes):
        raise ShapeError(f"{op}: axes {axes} are invalid for {x.str_short()}")


def _def_axes_batch(prim, param):
    """Batching rule of an op over the axes (or the one axis) named by ``param``: the batch
    axis moves to the front and the named axes shift by one."""

    @def_batch(prim)
    def rule(info, vals, bdims, **params):
        x = moveaxis_to(vals[0], bdims[0], 0)
        p = params[param]
        params[param] = tuple(a + 1 for a in p) if isinstance(p, tuple) else p + 1
        return prim.bind(x, **params), 0

    return rule


def _reducer(name, kind=None):
    prim = Primitive(name)
    _def_axes_batch(prim, "axes")

    @def_shape(prim)
    def _shape(x, *, axes):
        _check_axes(name, x, axes)
        if kind == "bool" and x.dtype != dtypes.bool_:
            raise DTypeError(f"{name}: needs a boolean operand, got {x.str_short()}")
        shape = tuple(n for d, n in enumerate(x.shape) if d not in axes)
        return AbstractArray(shape, x.dtype, x.weak_type)

    return prim


reduce_sum_p = _reducer("reduce_sum")
reduce_max_p = _reducer("reduce_max")
reduce_min_p = _reducer("reduce_min")
reduce_prod_p = _reducer("reduce_prod")
reduce_and_p = _reducer("reduce_and", "bool")
reduce_or_p = _reducer("reduce_or", "bool")
def_nondiff(reduce_and_p)
def_nondiff(reduce_or_p)


def _axes(axes):
    return tuple(sorted(int(a) for a in axes))


def reduce_sum(x, axes):
    """Sum of ``x`` over the axes ``axes``.

    Examples
    --------
    >>> x = tnp.array([[1, 2, 3], [4, 5, 6]])
    >>> lax.reduce_sum(x, (0,))
    Array([5, 7, 9], dtype=int32)
    >>> lax.reduce_sum(x, (0, 1))
    Array(21, dtype=int32)
    """
    return reduce_sum_p.bind(x, axes=_axes(axes))


def reduce_max(x, axes):
    """Maximum of ``x`` over the axes ``axes``.

    Examples
    --------
    >>> lax.reduce_max(tnp.array([[1, 5, 3], [4, 2, 6]]), (1,))
    Array([5, 6], dtype=int32)
    """
    return reduce_max_p.bind(x, axes=_axes(axes))


def reduce_min(x, axes):
    """Minimum of ``x`` over the axes ``axes``.

    Examples
    --------
    >>> lax.reduce_min(tnp.array([[1, 5, 3], [4, 2, 6]]), (1,))
    Array([1, 2], dtype=int32)
    """
    return reduce_min_p.bind(x, axes=_axes(axes))


def reduce_prod(x, axes):
    """Product of ``x`` over the axes ``axes``.

    Examples
    --------
    >>> lax.reduce_prod(tnp.array([[1, 2, 3], [4, 5, 6]]), (0,))
    Array([ 4, 10, 18], dtype=int32)
    """
    return reduce_prod_p.bind(x, axes=_axes(axes))


def reduce_and(x, axes):
    """Logical AND of a boolean ``x`` over the axes ``axes``.

    Examples
    --------
    >>> lax.reduce_and(tnp.array([[True, False], [True, True]]), (1,))
    Array([False,  True], dtype=bool)
    """
    return reduce_and_p.bind(x, axes=_axes(axes))


def reduce_or(x, axes):
    """Logical OR of a boolean ``x`` over the axes ``axes``.

    Examples
    --------
    >>> lax.reduce_or(tnp.array([[True, False], [False, False]]), (1,))
    Array([ True, False], dtype=bool)
    """
    return reduce_or_p.bind(x, axes=_axes(axes))


def _expand_back(y, x_shape, axes):
    """Broadcast a reduced array back to the operand's shape."""
    kept = tuple(d for d in range(len(x_shape)) if d not in axes)
    return broadcast_in_dim(y, x_shape, kept)


def_linear(reduce_sum_p)


@def_vjp(reduce_sum_p, linear=True)
def _reduce_sum_vjp(ct, out, x, *, axes):
    return (_expand_back(ct, x.shape, axes),)


def _minmax_location(x, out, axes):
    """Indicator of the positions attaining the extremum, divided by their count (ties split)."""
    hit = convert_element_type(eq(x, _expand_back(out, x.shape, axes)), x.dtype)
    counts = reduce_sum(hit, axes)
    return div(hit, _expand_back(counts, x.shape, axes))


def _def_minmax_rules(prim):
    @def_jvp(prim)
    def _jvp(primals, tangents, *, axes):
        (x,), (t,) = primals, tangents
        out = prim.bind(x, axes=axes)
        if t is None:
            return out, None
        return out, reduce_sum(mul(t, _minmax_location(x, out, axes)), axes)

    @def_vjp(prim)
    def _vjp(ct, out, x, *, axes):
        return (mul(_expand_back(ct, x.shape, axes), _minmax_location(x, out, axes)),)


_def_minmax_rules(reduce_max_p)
_def_minmax_rules(reduce_min_p)


def _exclusive_cumprod(x, axis, reverse):
    """Product of the elements strictly before each one along ``axis``."""
    n = x.shape[axis]
    if n == 0:
        return x
    one = full_like(slice_in_dim(x, 0, 1, axis=axis), 1)
    if reverse:
        body = cumprod(slice_in_dim(x, 1, n, axis=axis), axis, reverse=True)
        return concatenate([body, one], axis)
    body = cumprod(slice_in_dim(x, 0, n - 1, axis=axis), axis)
    return concatenate([one, body], axis)


def _prod_others(x, axes):
    """d prod(x) / d x_i along ``axes``: product of every other element (exact with zeros)."""
    nd = x.ndim
    rest = [d for d in range(nd) if d not in axes]
    perm = rest + list(axes)
    xt = transpose(x, perm)
    lead = [xt.shape[i] for i in range(len(rest))]
    flat = reshape(xt, lead + [int(np.prod([x.shape[a] for a in axes], dtype=np.int64))])
    ax = len(lead)
    others = mul(_exclusive_cumprod(flat, ax, False), _exclusive_cumprod(flat, ax, True))
    back = reshape(others, xt.shape)
    return transpose(back, tuple(np.argsort(perm)))


@def_jvp(reduce_prod_p)
def _reduce_prod_jvp(primals, tangents, *, axes):
    (x,), (t,) = primals, tangents
    out = reduce_prod(x, axes)
    if t is None:
        return out, None
    return out, reduce_sum(mul(t, _prod_others(x, axes)), axes)


@def_vjp(reduce_prod_p)
def _reduce_prod_vjp(ct, out, x, *, axes):
    return (mul(_expand_back(ct, x.shape, axes), _prod_others(x, axes)),)


# --------------------------------------------------------------------------------------------
argmax_p = Primitive("argmax", weak=WEAK_NEVER)
argmin_p = Primitive("argmin", weak=WEAK_NEVER)


def argmax(x, axis: int, index_dtype=None):
    """Index of the largest element along ``axis`` (the first one on ties).

    ``index_dtype`` defaults to the default integer type (JAX requires it).

    Examples
    --------
    >>> lax.argmax(tnp.array([[1, 3, 2], [5, 4, 5]]), 1, tnp.int32)
    Array([1, 0], dtype=int32)
    """
    return argmax_p.bind(x, axes=(int(axis),),
                         index_dtype=np.dtype(index_dtype or dtypes.default_int()))


def argmin(x, axis: int, index_dtype=None):
    """Index of the smallest element along ``axis`` (the first one on ties).

    ``index_dtype`` defaults to the default integer type (JAX requires it).

    Examples
    --------
    >>> lax.argmin(tnp.array([[1, 3, 2], [5, 4, 5]]), 0, tnp.int32)
    Array([0, 0, 0], dtype=int32)
    """
    return argmin_p.bind(x, axes=(int(axis),),
                         index_dtype=np.dtype(index_dtype or dtypes.default_int()))


def _arg_shape(name):
    def rule(x, *, axes, index_dtype):
        _check_axes(name, x, axes)
        if x.shape[axes[0]] == 0:
            raise ShapeError(f"{name}: cannot take {name} of an empty axis of {x.str_short()}")
        return AbstractArray(tuple(n for d, n in enumerate(x.shape) if d not in axes),
                             index_dtype, False)
    return rule


def_shape(argmax_p)(_arg_shape("argmax"))
def_shape(argmin_p)(_arg_shape("argmin"))
def_nondiff(argmax_p)
def_nondiff(argmin_p)
_def_axes_batch(argmax_p, "axes")
_def_axes_batch(argmin_p, "axes")

# --------------------------------------------------------------------------------------------
cumsum_p = Primitive("cumsum")
cumprod_p = Primitive("cumprod")
cummax_p = Primitive("cummax")
cummin_p = Primitive("cummin")


def _cum_shape(name):
    def rule(x, *, axis, reverse):
        if not 0 <= axis < x.ndim:
            raise ShapeError(f"{name}: axis {axis} out of range for {x.str_short()}")
        return x
    return rule


for _p in (cumsum_p, cumprod_p, cummax_p, cummin_p):
    def_shape(_p)(_cum_shape(_p.name))
    _def_axes_batch(_p, "axis")


def cumsum(x, axis: int = 0, reverse: bool = False):
    """Cumulative sum along ``axis`` (from the end with ``reverse=True``).

    Examples
    --------
    >>> lax.cumsum(tnp.array([1, 2, 3, 4]))
    Array([ 1,  3,  6, 10], dtype=int32)
    >>> lax.cumsum(tnp.array([1, 2, 3, 4]), reverse=True)
    Array([10,  9,  7,  4], dtype=int32)
    """
    return cumsum_p.bind(x, axis=int(axis), reverse=bool(reverse))


def cumprod(x, axis: int = 0, reverse: bool = False):
    """Cumulative product along ``axis`` (from the end with ``reverse=True``).

    Examples
    --------
    >>> lax.cumprod(tnp.array([[1, 2, 3], [4, 5, 6]]), axis=1)
    Array([[  1,   2,   6],
           [  4,  20, 120]], dtype=int32)
    """
    return cumprod_p.bind(x, axis=int(axis), reverse=bool(reverse))


def cummax(x, axis: int = 0, reverse: bool = False):
    """Running maximum along ``axis`` (from the end with ``reverse=True``).

    Examples
    --------
    >>> lax.cummax(tnp.array([1, 3, 2, 5, 4]))
    Array([1, 3, 3, 5, 5], dtype=int32)
    >>> lax.cummax(tnp.array([1, 3, 2, 5, 4]), reverse=True)
    Array([5, 5, 5, 5, 4], dtype=int32)
    """
    return cummax_p.bind(x, axis=int(axis), reverse=bool(reverse))


def cummin(x, axis: int = 0, reverse: bool = False):
    """Running minimum along ``axis`` (from the end with ``reverse=True``).

    Examples
    --------
    >>> lax.cummin(tnp.array([4, 5, 2, 3, 1]))
    Array([4, 4, 2, 2, 1], dtype=int32)
    """
    return cummin_p.bind(x, axis=int(axis), reverse=bool(reverse))


def_linear(cumsum_p)


@def_vjp(cumsum_p, linear=True)
def _cumsum_vjp(ct, out, x, *, axis, reverse):
    return (cumsum(ct, axis, not reverse),)


def _zeros_of(x, axis, reverse):
    """``x == 0`` and the first zero of each lane in the scan direction."""
    is0 = eq(x, zeros_like(x))
    n0 = cumsum(convert_element_type(is0, dtypes.int32), axis, reverse)
    return is0, bitwise_and(is0, eq(n0, full_like(n0, 1)))


def _cumprod_jacobian_apply(x, t, axis, reverse):
    """J t for y = cumprod(x), exact with zeros.

    The nonzero x_j contribute y_i t_j / x_j. The first zero x_z contributes t_z times the
    cumulative product with x_z replaced by 1; later zeros contribute nothing (every product
    through them also passes x_z).
    """
    y = cumprod(x, axis, reverse)
    is0, first = _zeros_of(x, axis, reverse)
    one, zero = full_like(x, 1), zeros_like(x)
    t_over_x = select_n(is0, div(t, select_n(is0, x, one)), zero)
    y1 = cumprod(select_n(first, x, one), axis, reverse)
    jt = add(mul(y, cumsum(t_over_x, axis, reverse)),
             mul(y1, cumsum(select_n(first, zero, t), axis, reverse)))
    return jt, y


@def_jvp(cumprod_p)
def _cumprod_jvp(primals, tangents, *, axis, reverse):
    (x,), (t,) = primals, tangents
    if t is None:
        return cumprod(x, axis, reverse), None
    jt, y = _cumprod_jacobian_apply(x, t, axis, reverse)
    return y, jt


@def_vjp(cumprod_p)
def _cumprod_vjp(ct, out, x, *, axis, reverse):
    # the transpose of _cumprod_jacobian_apply
    is0, first = _zeros_of(x, axis, reverse)
    one = full_like(x, 1)
    ct_x = select_n(is0, div(cumsum(mul(ct, out), axis, not reverse), select_n(is0, x, one)),
                    zeros_like(x))
    y1 = cumprod(select_n(first, x, one), axis, reverse)
    return (select_n(first, ct_x, cumsum(mul(ct, y1), axis, not reverse)),)


def _cum_extremum_rules(prim):
    # The running extremum y_i comes from one position j <= i (cum_argbest finds it); the
    # derivative routes t_j there.
    @def_jvp(prim)
    def _jvp(primals, tangents, *, axis, reverse):
        (x,), (t,) = primals, tangents
        y = prim.bind(x, axis=axis, reverse=reverse)
        if t is None:
            return y, None
        from tensorlib._src.ops.index import cum_argbest, take_along

        idx = cum_argbest(x, y, axis, reverse)
        return y, take_along(t, idx, axis)

    @def_vjp(prim)
    def _vjp(ct, out, x, *, axis, reverse):
        from tensorlib._src.ops.index import cum_argbest, scatter_add_along

        idx = cum_argbest(x, out, axis, reverse)
        return (scatter_add_along(zeros_like(x), idx, ct, axis),)


_cum_extremum_rules(cummax_p)
_cum_extremum_rules(cummin_p)

# --------------------------------------------------------------------------------------------
dot_general_p = Primitive("dot_general", weak=1)


class Precision(enum.Enum):
    """Matrix-multiplication precision, as ``jax.lax.Precision`` (also its strings
    ``"default"``, ``"high"``, ``"highest"``, ``"bfloat16"``, ``"tensorfloat32"``,
    ``"float32"``). tensorlib's backends multiply float32 in float32 at every setting, which
    is ``HIGHEST``; the argument is checked and accepted so JAX code runs unchanged."""

    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2

    @classmethod
    def _missing_(cls, value):
        names = {"default": cls.DEFAULT, "bfloat16": cls.DEFAULT, "fastest": cls.DEFAULT,
                 "high": cls.HIGH, "bfloat16_3x": cls.HIGH, "tensorfloat32": cls.HIGH,
                 "highest": cls.HIGHEST, "float32": cls.HIGHEST}
        if isinstance(value, str) and value.lower() in names:
            return names[value.lower()]
        return None


def check_precision(op, precision):
    """``precision`` as JAX takes it (None, a Precision or its string, or a pair of them);
    a ValueError naming ``op`` otherwise."""
    if precision is None:
        return
    items = precision if isinstance(precision, (tuple, list)) else (precision,)
    if isinstance(precision, (tuple, list)) and len(items) != 2:
        raise ValueError(f"{op}: precision must be None, a lax.Precision or a pair of them, "
                         f"got {precision!r}")
    for p in items:
        if p is not None and not isinstance(p, Precision):
            try:
                Precision(p)
            except ValueError:
                raise ValueError(
                    f"{op}: unknown precision {p!r}; use None, a lax.Precision or one of "
                    "'default', 'high', 'highest', 'bfloat16', 'tensorfloat32', "
                    "'float32'") from None


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    """General tensor contraction, as ``jax.lax.dot_general``.

    ``dimension_numbers`` is ``((lhs_contracting, rhs_contracting), (lhs_batch, rhs_batch))``. The
    result's axes are the batch axes, then the free axes of ``lhs``, then those of ``rhs``.

    Examples
    --------
    >>> a = tnp.arange(6.).reshape(2, 3)
    >>> lax.dot_general(a, a, (((1,), (1,)), ((), ())))  # a @ a.T
    Array([[ 5., 14.],
           [14., 50.]], dtype=float32)
    >>> b = tnp.ones((4, 2, 3))
    >>> lax.dot_general(b, b, (((2,), (2,)), ((0,), (0,)))).shape  # batched over axis 0
    (4, 2, 2)
    """
    check_precision("dot_general", precision)
    (lc, rc), (lb, rb) = dimension_numbers
    dn = ((tuple(int(a) for a in lc), tuple(int(a) for a in rc)),
          (tuple(int(a) for a in lb), tuple(int(a) for a in rb)))
    pet = None if preferred_element_type is None else np.dtype(preferred_element_type)
    return dot_general_p.bind(lhs, rhs, dimension_numbers=dn, preferred_element_type=pet)


def _remaining(n, *taken):
    s = set(d for t in taken for d in t)
    return [d for d in range(n) if d not in s]


@def_shape(dot_general_p)
def _dot_general_shape(x, y, *, dimension_numbers, preferred_element_type):
    (lc, rc), (lb, rb) = dimension_numbers
    ok = len(lc) == len(rc) and len(lb) == len(rb)
    ok = ok and all(x.shape[a] == y.shape[b] for a, b in zip(lc, rc))
    ok = ok and all(x.shape[a] == y.shape[b] for a, b in zip(lb, rb))
    ok = ok and all(0 <= d < x.ndim for d in lc + lb) and all(0 <= d < y.ndim for d in rc + rb)
    if not ok:
        raise ShapeError(
            f"dot_general: {x.str_short()} and {y.str_short()} do not fit dimension_numbers "
            f"{dimension_numbers} (contracting and batch sizes must match)"
        )
    if x.dtype != y.dtype:
        raise DTypeError(f"dot_general: operands {x.str_short()} and {y.str_short()} need one "
                         "dtype; use tensorlib.numpy.matmul, which promotes")
    shape = ([x.shape[d] for d in lb] + [x.shape[d] for d in _remaining(x.ndim, lc, lb)]
             + [y.shape[d] for d in _remaining(y.ndim, rc, rb)])
    dt = x.dtype if preferred_element_type is None else preferred_element_type
    return AbstractArray(tuple(shape), dt, x.weak_type and y.weak_type)


def_bilinear_jvp(dot_general_p)


def _dot_transpose_lhs(ct, x, y, dimension_numbers, swap_ans=False):
    (lc, rc), (lb, rb) = dimension_numbers
    x_kept = _remaining(x.ndim, lc, lb)
    y_kept = _remaining(y.ndim, rc, rb)
    nb = len(lb)
    if swap_ans:
        ans_batch, ans_y = list(range(nb)), list(range(nb, nb + len(y_kept)))
    else:
        ans_batch = list(range(nb))
        ans_y = list(range(nb + len(x_kept), nb + len(x_kept) + len(y_kept)))
    x_contract_sorted_by_y = [lc[i] for i in _argsort(rc)]
    if not nb and x_contract_sorted_by_y + x_kept == list(range(x.ndim)):
        # y's free dims first gives x's layout directly: no transpose afterwards (a transposed
        # gradient would make every later elementwise update read strided memory)
        dims = ((tuple(y_kept), tuple(ans_y)), ((), ()))
        res = dot_general_p.bind(y, ct, dimension_numbers=dims, preferred_element_type=None)
    else:
        dims = ((tuple(ans_y), tuple(y_kept)), (tuple(ans_batch), tuple(rb)))
        out_axes = _argsort(list(lb) + x_kept + x_contract_sorted_by_y)
        res = dot_general_p.bind(ct, y, dimension_numbers=dims, preferred_element_type=None)
        res = transpose(res, tuple(out_axes))
    return convert_element_type(res, x.dtype, x.weak_type) if res.dtype != x.dtype else res


def _argsort(seq):
    return sorted(range(len(seq)), key=seq.__getitem__)


@def_vjp(dot_general_p, wants_mask=True)
def _dot_general_vjp(ct, out, x, y, *, dimension_numbers, preferred_element_type,
                     _needs=(True, True)):
    (lc, rc), (lb, rb) = dimension_numbers
    if ct.dtype != x.dtype:
        ct = convert_element_type(ct, x.dtype)
    ct_x = _dot_transpose_lhs(ct, x, y, dimension_numbers) if _needs[0] else None
    swapped = ((rc, lc), (rb, lb))
    ct_y = _dot_transpose_lhs(ct, y, x, swapped, swap_ans=True) if _needs[1] else None
    return ct_x, ct_y


@def_batch(dot_general_p)
def _dot_general_batch(info, vals, bdims, *, dimension_numbers, preferred_element_type):
    x, y = vals
    bx, by = bdims
    (lc, rc), (lb, rb) = dimension_numbers
    sh1 = lambda t: tuple(d + 1 for d in t)  # noqa: E731
    if bx is not None and by is not None:
        x, y = moveaxis_to(x, bx, 0), moveaxis_to(y, by, 0)
        dn = ((sh1(lc), sh1(rc)), ((0,) + sh1(lb), (0,) + sh1(rb)))
        return dot_general_p.bind(x, y, dimension_numbers=dn,
                                  preferred_element_type=preferred_element_type), 0
    if bx is not None:
        x = moveaxis_to(x, bx, 0)
        dn = ((sh1(lc), rc), (sh1(lb), rb))
        out = dot_general_p.bind(x, y, dimension_numbers=dn,
                                 preferred_element_type=preferred_element_type)
        return out, len(lb)
    y = moveaxis_to(y, by, 0)
    dn = ((lc, sh1(rc)), (lb, sh1(rb)))
    out = dot_general_p.bind(x, y, dimension_numbers=dn,
                             preferred_element_type=preferred_element_type)
    n_lhs_free = get_aval(x).ndim - len(lc) - len(lb)
    return out, len(lb) + n_lhs_free
