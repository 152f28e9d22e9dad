"""Convolution and the windowed-reduction primitives, as in ``jax.lax``.

``conv_general_dilated`` is one primitive: N-d, strided, padded, with lhs (transposed-conv) and
rhs (atrous) dilation, feature groups and batch groups, in any layout named by dimension
numbers (``conv_dimensions``). Its derivatives are convolutions again (JAX's transpose rules),
and vmap folds the batch axis into the batch or feature dimension (JAX's batching rule), so
every transformation stays one convolution.

The windowed-reduction primitives are ``reduce_window_sum``, ``reduce_window_max`` and
``reduce_window_min`` (their public functions are in ``reduce_window``). The max/min derivatives
route each window's tangent/cotangent to the position that won the window (ties to the first,
in row-major window order, as XLA's select_and_scatter): a non-differentiable primitive
(``reduce_window_argmax`` / ``reduce_window_argmin``) finds the positions, and
``gather``/``scatter`` move values, so those derivatives differentiate again and batch through
the index primitives' own rules.
"""

from __future__ import annotations

import operator

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import (
    WEAK_NEVER,
    AbstractArray,
    Primitive,
    get_aval,
)
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops.conv_dimensions import (
    ConvDimensionNumbers,
    _as_array,
    _dilate_shape,
    _int_tuple,
    _pairs,
    _stride_dim,
    conv_dimension_numbers,
    conv_general_permutations,
    padtype_to_pads,
)
from tensorlib._src.ops.elementwise import convert_element_type, full, zeros_like
from tensorlib._src.ops.index import gather, scatter
from tensorlib._src.ops.shape import def_linear, moveaxis_to, pad, reshape, rev, transpose
from tensorlib._src.ops.shape import slice as slice_op
from tensorlib._src.rules import (
    def_batch,
    def_jvp,
    def_nondiff,
    def_shape,
    def_vjp,
    shape_rules,
)
from tensorlib.errors import DTypeError, ShapeError


def conv_shape_tuple(lhs_shape, rhs_shape, strides, pads, batch_group_count=1):
    """Output shape of a conv of operands in canonical (NC..., OI...) order."""
    if isinstance(pads, str):
        pads = padtype_to_pads(lhs_shape[2:], rhs_shape[2:], strides, pads)
    space = tuple(_stride_dim(n + lo + hi, k, s)
                  for n, k, s, (lo, hi)
                  in zip(lhs_shape[2:], rhs_shape[2:], strides, pads, strict=True))
    n = lhs_shape[0] // batch_group_count if batch_group_count > 1 else lhs_shape[0]
    return (n, rhs_shape[0]) + space


def conv_general_shape_tuple(lhs_shape, rhs_shape, window_strides, padding, dimension_numbers):
    """Output shape of ``conv_general_dilated`` without dilation (used by stax)."""
    lp, rp, op = conv_general_permutations(dimension_numbers)
    out = conv_shape_tuple([lhs_shape[d] for d in lp], [rhs_shape[d] for d in rp],
                           window_strides, padding)
    return tuple(out[i] for i in np.argsort(op))


def _conv_transpose_padding(k, s, padding):
    """Low and high padding of one spatial dim of ``conv_transpose`` (Keras conventions)."""
    if padding == "SAME":
        pad_len = k + s - 2
        pad_a = k - 1 if s > k - 1 else int(np.ceil(pad_len / 2))
    elif padding == "VALID":
        pad_len = k + s - 2 + max(k - s, 0)
        pad_a = k - 1
    elif isinstance(padding, tuple):
        pads = tuple(k - p - 1 for p in padding)
        pad_a, pad_len = pads[0], sum(pads)
    else:
        raise ShapeError(f"conv_transpose: invalid padding {padding!r}; use 'SAME', 'VALID' or "
                         "(low, high) pairs")
    return pad_a, pad_len - pad_a


def conv_transpose_shape_tuple(lhs_shape, rhs_shape, window_strides, padding, dimension_numbers):
    """Output shape of ``conv_transpose`` (used by stax)."""
    lp, rp, op = conv_general_permutations(dimension_numbers)
    lt, rt = [lhs_shape[d] for d in lp], [rhs_shape[d] for d in rp]
    if isinstance(padding, str):
        padding = [_conv_transpose_padding(k, s, padding)
                   for k, s in zip(rt[2:], window_strides, strict=True)]
    space = [(i - 1) * s - k + 2 + lo + hi
             for i, k, s, (lo, hi) in zip(lt[2:], rt[2:], window_strides, padding, strict=True)]
    out = (lt[0], rt[0]) + tuple(space)
    return tuple(out[i] for i in np.argsort(op))


# --------------------------------------------------------------------------------------------
# conv_general_dilated

conv_general_dilated_p = Primitive("conv_general_dilated")


def conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None, rhs_dilation=None,
                         dimension_numbers=None, feature_group_count=1, batch_group_count=1,
                         precision=None, preferred_element_type=None):
    """General N-d convolution with optional dilation, as ``jax.lax.conv_general_dilated``.

    ``padding`` is ``'SAME'``, ``'SAME_LOWER'``, ``'VALID'`` or ``n`` ``(low, high)`` pairs;
    ``dimension_numbers`` is None (``NCHW``/``OIHW``), a :class:`ConvDimensionNumbers` or three
    layout strings such as ``('NHWC', 'HWIO', 'NHWC')``. ``precision`` is accepted for JAX
    compatibility and ignored (the NumPy kernels compute in the operands' precision).

    Examples
    --------
    >>> import tensorlib.numpy as tnp
    >>> from tensorlib import lax
    >>> x, k = tnp.ones((1, 1, 4, 4)), tnp.ones((2, 1, 3, 3))
    >>> lax.conv_general_dilated(x, k, (1, 1), "SAME").shape
    (1, 2, 4, 4)
    """
    op = "conv_general_dilated"
    lhs, rhs = _as_array(lhs), _as_array(rhs)
    if lhs.ndim < 2:
        raise ShapeError(f"{op}: lhs {lhs.aval.str_short()} needs at least 2 dimensions "
                         "(batch and feature)")
    dnums = conv_dimension_numbers(lhs.shape, rhs.shape, dimension_numbers)
    n = lhs.ndim - 2
    strides = _int_tuple(op, "window_strides", window_strides, n)
    lhs_dil = (1,) * n if lhs_dilation is None else _int_tuple(op, "lhs_dilation", lhs_dilation, n)
    rhs_dil = (1,) * n if rhs_dilation is None else _int_tuple(op, "rhs_dilation", rhs_dilation, n)
    if isinstance(padding, str):
        if any(d != 1 for d in lhs_dil):
            raise ShapeError(f"{op}: string padding {padding!r} is not supported with "
                             f"lhs_dilation={lhs_dil}; give explicit (low, high) pairs or use "
                             "conv_transpose")
        lhs_sp = [lhs.shape[d] for d in dnums.lhs_spec[2:]]
        rhs_sp = _dilate_shape([rhs.shape[d] for d in dnums.rhs_spec[2:]], rhs_dil)
        pads = tuple(padtype_to_pads(lhs_sp, rhs_sp, strides, padding))
    else:
        pads = _pairs(op, padding, n)
    pet = None if preferred_element_type is None else np.dtype(preferred_element_type)
    return _checked_bind(
        conv_general_dilated_p, lhs, rhs, window_strides=strides, padding=pads,
        lhs_dilation=lhs_dil, rhs_dilation=rhs_dil, dimension_numbers=dnums,
        feature_group_count=operator.index(feature_group_count),
        batch_group_count=operator.index(batch_group_count), preferred_element_type=pet)


def _checked_bind(prim, *args, **params):
    """Bind after running the shape rule, so eager calls fail with the rule's message (naming
    the op and the shapes) rather than with whatever the backend kernel raises."""
    shape_rules[prim](*[get_aval(a) for a in args], **params)
    return prim.bind(*args, **params)


def conv(lhs, rhs, window_strides, padding, precision=None, preferred_element_type=None):
    """``conv_general_dilated`` in ``NCHW``/``OIHW`` layout without dilation.

    Examples
    --------
    >>> import tensorlib.numpy as tnp
    >>> from tensorlib import lax
    >>> x = tnp.arange(5.0).reshape(1, 1, 5)          # N=1, C=1, W=5
    >>> k = tnp.array([1.0, 0.0, -1.0]).reshape(1, 1, 3)  # O=1, I=1, W=3
    >>> lax.conv(x, k, (1,), "VALID")  # a correlation: x[i] - x[i + 2]
    Array([[[-2., -2., -2.]]], dtype=float32)
    """
    return conv_general_dilated(lhs, rhs, window_strides, padding, precision=precision,
                                preferred_element_type=preferred_element_type)


def conv_with_general_padding(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                              precision=None, preferred_element_type=None):
    """``conv_general_dilated`` in ``NCHW``/``OIHW`` layout with dilation.

    Examples
    --------
    >>> import tensorlib.numpy as tnp
    >>> from tensorlib import lax
    >>> x, k = tnp.arange(5.0).reshape(1, 1, 5), tnp.ones((1, 1, 2))
    >>> lax.conv_with_general_padding(x, k, (1,), [(0, 0)], (1,), (2,))  # x[i] + x[i + 2]
    Array([[[2., 4., 6.]]], dtype=float32)
    """
    return conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation,
                                rhs_dilation=rhs_dilation, precision=precision,
                                preferred_element_type=preferred_element_type)


_TRANSPOSE_DEFAULT_DN = {2: ("NC", "IO", "NC"), 3: ("NHC", "HIO", "NHC"),
                         4: ("NHWC", "HWIO", "NHWC"), 5: ("NHWDC", "HWDIO", "NHWDC")}


def conv_transpose(lhs, rhs, strides, padding, rhs_dilation=None, dimension_numbers=None,
                   transpose_kernel=False, precision=None, preferred_element_type=None,
                   use_consistent_padding=False):
    """Transposed (fractionally strided) convolution, as ``jax.lax.conv_transpose``.

    The default layout is TensorFlow's (``NHWC``/``HWIO``). With ``transpose_kernel=True`` the
    kernel's spatial axes are flipped and its feature axes swapped, which makes this the
    gradient of a forward convolution with that kernel (Keras' ``Conv2DTranspose``).

    Examples
    --------
    >>> import tensorlib.numpy as tnp
    >>> from tensorlib import lax
    >>> x = tnp.array([1.0, 2.0, 3.0]).reshape(1, 3, 1)  # NHC
    >>> k = tnp.array([1.0, 10.0]).reshape(2, 1, 1)      # HIO
    >>> lax.conv_transpose(x, k, (2,), "VALID")[0, :, 0]
    Array([10.,  1., 20.,  2., 30.,  3.], dtype=float32)
    >>> lax.conv_transpose(tnp.ones((1, 4, 4, 3)), tnp.ones((3, 3, 3, 8)), (2, 2), "SAME").shape
    (1, 8, 8, 8)
    """
    lhs, rhs = _as_array(lhs), _as_array(rhs)
    nd = lhs.ndim
    if rhs.ndim != nd or nd < 2:
        raise ShapeError(f"conv_transpose: lhs {lhs.aval.str_short()} and rhs "
                         f"{rhs.aval.str_short()} need the same number (>= 2) of dimensions")
    if dimension_numbers is None:
        if nd not in _TRANSPOSE_DEFAULT_DN:
            raise ShapeError(f"conv_transpose: no default dimension_numbers for {nd}-d operands; "
                             "pass dimension_numbers")
        dimension_numbers = _TRANSPOSE_DEFAULT_DN[nd]
    dn = conv_dimension_numbers(lhs.shape, rhs.shape, dimension_numbers)
    n = nd - 2
    strides = _int_tuple("conv_transpose", "strides", strides, n)
    rhs_dil = (1,) * n if rhs_dilation is None else _int_tuple(
        "conv_transpose", "rhs_dilation", rhs_dilation, n)
    k_sdims = [rhs.shape[d] for d in dn.rhs_spec[2:]]
    if use_consistent_padding or (isinstance(padding, str) and padding in ("SAME", "VALID")):
        eff = _dilate_shape(k_sdims, rhs_dil)
        per_dim = [padding] * n if isinstance(padding, str) else [tuple(p) for p in padding]
        pads = tuple(_conv_transpose_padding(k, s, p)
                     for k, s, p in zip(eff, strides, per_dim, strict=True))
    else:
        pads = padding
    if transpose_kernel:
        rhs = rev(rhs, dn.rhs_spec[2:])
        perm = list(range(nd))
        perm[dn.rhs_spec[0]], perm[dn.rhs_spec[1]] = dn.rhs_spec[1], dn.rhs_spec[0]
        rhs = transpose(rhs, perm)
    return conv_general_dilated(lhs, rhs, (1,) * n, pads, strides, rhs_dil, dn,
                                precision=precision,
                                preferred_element_type=preferred_element_type)


def _sp(shape, spec):
    return tuple(shape[d] for d in spec[2:])


@def_shape(conv_general_dilated_p)
def _conv_general_dilated_shape(lhs, rhs, *, window_strides, padding, lhs_dilation,
                                rhs_dilation, dimension_numbers, feature_group_count,
                                batch_group_count, preferred_element_type):
    op = "conv_general_dilated"
    lf, rf = lhs.str_short(), rhs.str_short()
    ls, rs, os_ = dimension_numbers
    if lhs.ndim != rhs.ndim or lhs.ndim < 2:
        raise ShapeError(f"{op}: lhs {lf} and rhs {rf} need the same number (>= 2) of dims")
    if any(sorted(s) != list(range(lhs.ndim)) for s in dimension_numbers):
        raise ShapeError(f"{op}: dimension_numbers {tuple(dimension_numbers)} are not "
                         f"permutations of the {lhs.ndim} axes of {lf}")
    n = lhs.ndim - 2
    for name, v, lo in (("window_strides", window_strides, 1), ("lhs_dilation", lhs_dilation, 1),
                        ("rhs_dilation", rhs_dilation, 1), ("padding", padding, None)):
        if len(v) != n or (lo is not None and any(d < lo for d in v)):
            raise ShapeError(f"{op}: {name}={v} needs {n} entries"
                             + ("" if lo is None else f", each >= {lo}") + f" for lhs {lf}")
    if lhs.dtype != rhs.dtype:
        raise DTypeError(f"{op}: lhs {lf} and rhs {rf} need one dtype; convert one of them "
                         "(e.g. rhs.astype(lhs.dtype))")
    if dtypes.is_bool(lhs.dtype):
        raise DTypeError(f"{op}: needs numeric operands, got {lf}")
    fgc, bgc = feature_group_count, batch_group_count
    if fgc < 1 or bgc < 1 or (fgc > 1 and bgc > 1):
        raise ShapeError(f"{op}: feature_group_count={fgc} and batch_group_count={bgc} must be "
                         "positive, and at most one of them > 1")
    c_in, n_b = lhs.shape[ls[1]], lhs.shape[ls[0]]
    c_out, k_in = rhs.shape[rs[0]], rhs.shape[rs[1]]
    if c_in % fgc or c_in // fgc != k_in:
        raise ShapeError(f"{op}: lhs {lf} has {c_in} features (axis {ls[1]}) but rhs {rf} has "
                         f"{k_in} input features (axis {rs[1]}) with feature_group_count={fgc}; "
                         "the lhs feature size divided by feature_group_count must equal the rhs "
                         "input feature size")
    if c_out % fgc or c_out % bgc:
        raise ShapeError(f"{op}: rhs {rf} has {c_out} output features (axis {rs[0]}), not a "
                         f"multiple of feature_group_count={fgc} and batch_group_count={bgc}")
    if n_b % bgc:
        raise ShapeError(f"{op}: batch_group_count={bgc} must divide the lhs batch size "
                         f"{n_b} of {lf}")
    lhs_sp = _dilate_shape(_sp(lhs.shape, ls), lhs_dilation)
    rhs_sp = _dilate_shape(_sp(rhs.shape, rs), rhs_dilation)
    space = []
    sizes = zip(lhs_sp, rhs_sp, window_strides, padding, strict=True)
    for i, (m, k, s, (lo, hi)) in enumerate(sizes):
        if m + lo + hi < 0:
            raise ShapeError(f"{op}: padding {padding[i]} of spatial dim {i} is more negative "
                             f"than its (dilated) size {m} in lhs {lf}")
        space.append(_stride_dim(m + lo + hi, k, s))
    out_t = (n_b // bgc, c_out) + tuple(space)
    shape = tuple(out_t[i] for i in np.argsort(os_))
    dt = lhs.dtype if preferred_element_type is None else preferred_element_type
    return AbstractArray(shape, dt, lhs.weak_type and rhs.weak_type)


ew.def_bilinear_jvp(conv_general_dilated_p)


def _reshape_axis_into(src, dst, x):
    """Merge axis ``src`` into axis ``dst`` (numbered without ``src``) as its major part."""
    shape = get_aval(x).shape
    perm = [i for i in range(len(shape)) if i != src]
    perm.insert(dst, src)
    new_shape = [n for i, n in enumerate(shape) if i != src]
    new_shape[dst] *= shape[src]
    return reshape(transpose(x, perm), new_shape)


def _reshape_axis_out_of(src, size1, x):
    """Split axis ``src`` into ``(size1, rest)``."""
    shape = list(get_aval(x).shape)
    shape[src:src + 1] = [size1, shape[src] // size1]
    return reshape(x, shape)


def _spec_t(spec):
    return (spec[1], spec[0]) + tuple(spec[2:])


def _vjp_lhs_padding(in_shape, window_dims, strides, out_shape, padding, lhs_dil, rhs_dil):
    lhs_d = _dilate_shape(in_shape, lhs_dil)
    rhs_d = _dilate_shape(window_dims, rhs_dil)
    out_d = _dilate_shape(out_shape, strides)
    before = [r - lo - 1 for r, (lo, _) in zip(rhs_d, padding, strict=True)]
    after = [a + r - 1 - o - b for a, r, o, b in zip(lhs_d, rhs_d, out_d, before, strict=True)]
    return tuple(zip(before, after, strict=True))


def _vjp_rhs_padding(in_shape, window_dims, strides, out_shape, padding, lhs_dil, rhs_dil):
    lhs_d = _dilate_shape(in_shape, lhs_dil)
    rhs_d = _dilate_shape(window_dims, rhs_dil)
    out_d = _dilate_shape(out_shape, strides)
    return tuple((lo, o - a + r - lo - 1)
                 for a, r, o, (lo, _) in zip(lhs_d, rhs_d, out_d, padding, strict=True))


def _conv_transpose_lhs(ct, x, y, *, window_strides, padding, lhs_dilation, rhs_dilation,
                        dimension_numbers, feature_group_count, batch_group_count):
    ls, rs, os_ = dimension_numbers
    fgc, bgc = feature_group_count, batch_group_count
    rhs_shape = y.shape
    if fgc > 1:  # move the group from the kernel's out features to its in features
        y = _reshape_axis_into(rs[0], rs[1], _reshape_axis_out_of(rs[0], fgc, y))
    elif bgc > 1:
        y = _reshape_axis_into(rs[0], rs[1], _reshape_axis_out_of(rs[0], bgc, y))
        fgc = bgc
    pads = _vjp_lhs_padding(_sp(x.shape, ls), _sp(rhs_shape, rs), window_strides,
                            _sp(ct.shape, os_), padding, lhs_dilation, rhs_dilation)
    w = rev(y, rs[2:])
    if w.dtype != ct.dtype:
        w = convert_element_type(w, ct.dtype)
    out = conv_general_dilated_p.bind(
        ct, w, window_strides=lhs_dilation, padding=pads, lhs_dilation=window_strides,
        rhs_dilation=rhs_dilation, dimension_numbers=ConvDimensionNumbers(os_, _spec_t(rs), ls),
        feature_group_count=fgc, batch_group_count=1, preferred_element_type=None)
    if bgc > 1:
        out = _reshape_axis_into(ls[1], ls[0], _reshape_axis_out_of(ls[1], bgc, out))
    return convert_element_type(out, x.dtype) if out.dtype != x.dtype else out


def _conv_transpose_rhs(ct, x, y, *, window_strides, padding, lhs_dilation, rhs_dilation,
                        dimension_numbers, feature_group_count, batch_group_count):
    if ct.size == 0:  # avoid a degenerate conv whose kernel has spatial size 0
        return zeros_like(y)
    ls, rs, os_ = dimension_numbers
    fgc, bgc = feature_group_count, batch_group_count
    if bgc > 1:
        fgc, bgc = bgc, 1
    elif fgc > 1:
        fgc, bgc = 1, fgc
    pads = _vjp_rhs_padding(_sp(x.shape, ls), _sp(y.shape, rs), window_strides,
                            _sp(ct.shape, os_), padding, lhs_dilation, rhs_dilation)
    if x.dtype != ct.dtype:
        x = convert_element_type(x, ct.dtype)
    out = conv_general_dilated_p.bind(
        x, ct, window_strides=rhs_dilation, padding=pads, lhs_dilation=lhs_dilation,
        rhs_dilation=window_strides,
        dimension_numbers=ConvDimensionNumbers(_spec_t(ls), _spec_t(os_), _spec_t(rs)),
        feature_group_count=fgc, batch_group_count=bgc, preferred_element_type=None)
    return convert_element_type(out, y.dtype) if out.dtype != y.dtype else out


@def_vjp(conv_general_dilated_p, wants_mask=True)
def _conv_general_dilated_vjp(ct, out, x, y, *, preferred_element_type, _needs=(True, True),
                              **params):
    ct_x = _conv_transpose_lhs(ct, x, y, **params) if _needs[0] else None
    ct_y = _conv_transpose_rhs(ct, x, y, **params) if _needs[1] else None
    return ct_x, ct_y


@def_batch(conv_general_dilated_p)
def _conv_general_dilated_batch(info, vals, bdims, **params):
    x, y = vals
    bx, by = bdims
    ls, rs, os_ = params["dimension_numbers"]
    fgc, bgc = params["feature_group_count"], params["batch_group_count"]
    size = info.size
    if size == 0:
        xa, ya = get_aval(x), get_aval(y)
        xa = xa if bx is None else xa.update(shape=[n for d, n in enumerate(xa.shape) if d != bx])
        ya = ya if by is None else ya.update(shape=[n for d, n in enumerate(ya.shape) if d != by])
        aval = _conv_general_dilated_shape(xa, ya, **params)
        return full((0,) + aval.shape, 0, aval.dtype), 0

    def bind(lhs, rhs, **over):
        return conv_general_dilated_p.bind(lhs, rhs, **{**params, **over})

    if bx is not None and by is not None:
        if bgc > 1:
            new_x = _reshape_axis_into(bx, ls[0], x)
            over = {"batch_group_count": bgc * size}
        else:
            new_x = _reshape_axis_into(bx, ls[1], x)
            over = {"feature_group_count": fgc * size}
        out = bind(new_x, _reshape_axis_into(by, rs[0], y), **over)
        return _reshape_axis_out_of(os_[1], size, out), os_[1]
    if bx is not None:
        if bgc == 1:
            out = bind(_reshape_axis_into(bx, ls[0], x), y)
            return _reshape_axis_out_of(os_[0], size, out), os_[0]
        # the batch groups must stay outermost in N: put the vmap axis inside each group
        new_x = _reshape_axis_out_of(ls[0] + int(bx <= ls[0]), bgc, x)
        new_x = _reshape_axis_into(bx + int(ls[0] < bx), ls[0] + 1, new_x)
        new_x = _reshape_axis_into(ls[0], ls[0], new_x)
        out = bind(new_x, y)
        return _reshape_axis_out_of(os_[0], size, out), os_[0]
    if fgc == 1 and bgc == 1:
        out = bind(x, _reshape_axis_into(by, rs[0], y))
        return _reshape_axis_out_of(os_[1], size, out), os_[1]
    # groups must stay outermost in the kernel's out features: put the vmap axis inside them
    groups = fgc if fgc > 1 else bgc
    new_y = _reshape_axis_out_of(rs[0] + int(by <= rs[0]), groups, y)
    new_y = _reshape_axis_into(by + int(rs[0] < by), rs[0] + 1, new_y)
    new_y = _reshape_axis_into(rs[0], rs[0], new_y)
    out = bind(x, new_y)
    out = _reshape_axis_out_of(os_[1], groups, out)
    out = _reshape_axis_out_of(os_[1] + 1, size, out)
    return _reshape_axis_into(os_[1], os_[1] + 1, out), os_[1]


# --------------------------------------------------------------------------------------------
# windowed-reduction primitives


def reduce_window_shape_tuple(operand_shape, window_dimensions, window_strides, padding,
                              base_dilation=None, window_dilation=None):
    """Output shape of a windowed reduction."""
    if base_dilation is not None:
        operand_shape = _dilate_shape(operand_shape, base_dilation)
    if window_dilation is not None:
        window_dimensions = _dilate_shape(window_dimensions, window_dilation)
    return tuple(_stride_dim(d + lo + hi, w, s) for d, w, s, (lo, hi)
                 in zip(operand_shape, window_dimensions, window_strides, padding, strict=True))


def _window_shape(op, x, *, window_dimensions, window_strides, padding, base_dilation,
                  window_dilation):
    xf = x.str_short()
    for name, v in (("window_dimensions", window_dimensions), ("window_strides", window_strides),
                    ("padding", padding), ("base_dilation", base_dilation),
                    ("window_dilation", window_dilation)):
        if len(v) != x.ndim:
            raise ShapeError(f"{op}: {name}={v} needs {x.ndim} entries (one per axis of {xf})")
        if name != "padding" and any(d < 1 for d in v):
            raise ShapeError(f"{op}: {name}={v} must be positive for {xf}")
    dil = _dilate_shape(x.shape, base_dilation)
    for d, (n, (lo, hi)) in enumerate(zip(dil, padding, strict=True)):
        if n + lo + hi < 0:
            raise ShapeError(f"{op}: padding {(lo, hi)} of axis {d} is more negative than the "
                             f"axis' (dilated) size {n} in {xf}")
    return reduce_window_shape_tuple(x.shape, window_dimensions, window_strides, padding,
                                     base_dilation, window_dilation)


def _reduce_window_prim(name, kind):
    prim = Primitive(name)

    @def_shape(prim)
    def _shape(x, **params):
        ok = not dtypes.is_bool(x.dtype) if kind == "sum" else not dtypes.is_complex(x.dtype)
        if not ok:
            raise DTypeError(f"{name}: cannot reduce {x.str_short()}; "
                             + ("convert booleans to a number type first" if kind == "sum"
                                else "complex numbers have no order"))
        return AbstractArray(_window_shape(name, x, **params), x.dtype, x.weak_type)

    @def_batch(prim)
    def _batch(info, vals, bdims, **params):
        return prim.bind(vals[0], **_unit_window_at(params, bdims[0])), bdims[0]

    return prim


def _unit_window_at(params, d):
    """Window params with a size-1, stride-1, unpadded axis inserted at ``d`` (a batch axis)."""
    extra = {"window_dimensions": 1, "window_strides": 1, "padding": (0, 0),
             "base_dilation": 1, "window_dilation": 1}
    return {k: tuple(v[:d]) + (extra[k],) + tuple(v[d:]) for k, v in params.items()}


reduce_window_sum_p = _reduce_window_prim("reduce_window_sum", "sum")
reduce_window_max_p = _reduce_window_prim("reduce_window_max", "max")
reduce_window_min_p = _reduce_window_prim("reduce_window_min", "min")


def_linear(reduce_window_sum_p)


@def_vjp(reduce_window_sum_p, linear=True)
def _reduce_window_sum_vjp(ct, out, x, *, window_dimensions, window_strides, padding,
                           base_dilation, window_dilation):
    nd = len(x.shape)
    pads = _vjp_lhs_padding(x.shape, window_dimensions, window_strides, ct.shape, padding,
                            base_dilation, window_dilation)
    cfg = [(lo, hi, s - 1) for (lo, hi), s in zip(pads, window_strides, strict=True)]
    padded = pad(ct, full((), 0, ct.dtype), cfg)
    return (reduce_window_sum_p.bind(padded, window_dimensions=window_dimensions,
                                     window_strides=base_dilation, padding=((0, 0),) * nd,
                                     base_dilation=(1,) * nd, window_dilation=window_dilation),)


# Where each window's max/min came from: int32 coordinates into the operand, shape
# ``out_shape + (ndim,)``; -1 everywhere for a window that holds only padding.
reduce_window_argmax_p = Primitive("reduce_window_argmax", weak=WEAK_NEVER)
reduce_window_argmin_p = Primitive("reduce_window_argmin", weak=WEAK_NEVER)


def _def_argselect(prim):
    @def_shape(prim)
    def _shape(x, **params):
        if dtypes.is_complex(x.dtype):
            raise DTypeError(f"{prim.name}: complex numbers have no order, got {x.str_short()}")
        out = _window_shape(prim.name, x, **params)
        return AbstractArray(out + (x.ndim,), dtypes.int32, False)

    @def_batch(prim)
    def _batch(info, vals, bdims, **params):
        x = moveaxis_to(vals[0], bdims[0], 0)
        idx = prim.bind(x, **_unit_window_at(params, 0))
        shape = get_aval(idx).shape
        # drop the coordinate along the batch axis (it is the lane number)
        return slice_op(idx, (0,) * (len(shape) - 1) + (1,), shape), 0

    def_nondiff(prim)


_def_argselect(reduce_window_argmax_p)
_def_argselect(reduce_window_argmin_p)


def _def_select_rules(prim, arg_prim):
    @def_jvp(prim)
    def _jvp(primals, tangents, **params):
        (x,), (t,) = primals, tangents
        out = prim.bind(x, **params)
        if t is None:
            return out, None
        if x.ndim == 0:
            return out, t
        idx = arg_prim.bind(x, **params)
        return out, gather(t, idx, dims=tuple(range(x.ndim)), mode="fill")

    @def_vjp(prim)
    def _vjp(ct, out, x, **params):
        if x.ndim == 0:
            return (ct,)
        idx = arg_prim.bind(x, **params)
        return (scatter(zeros_like(x), idx, ct, dims=tuple(range(x.ndim)), mode="add"),)


_def_select_rules(reduce_window_max_p, reduce_window_argmax_p)
_def_select_rules(reduce_window_min_p, reduce_window_argmin_p)

