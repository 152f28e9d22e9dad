"""Products: matmul, dot, vdot, inner, outer, tensordot, einsum, kron, cross, vecdot."""

from __future__ import annotations

import builtins

from tensorlib._src import dtypes
from tensorlib._src.numpy.promotion import (
    asarray,
    broadcast_shapes,
    broadcast_to,
    canonicalize_axis,
    promote_dtypes,
)
from tensorlib._src.ops import reduce as rd
from tensorlib._src.ops import shape as sh
from tensorlib.errors import ShapeError


def matmul(x1, x2, /, *, precision=None, preferred_element_type=None):
    """Matrix product with NumPy's rules for 1-d operands and broadcast batch dimensions.

    Examples
    --------
    >>> a = tnp.array([[1, 2], [3, 4]])
    >>> tnp.matmul(a, tnp.array([[1, 0], [1, 1]]))
    Array([[3, 2],
           [7, 4]], dtype=int32)
    >>> tnp.matmul(a, tnp.array([1, 1]))
    Array([3, 7], dtype=int32)
    >>> tnp.matmul(tnp.ones((5, 1, 2, 3)), tnp.ones((4, 3, 2))).shape
    (5, 4, 2, 2)
    """
    rd.check_precision("matmul", precision)
    a, b = promote_dtypes(asarray(x1), asarray(x2))
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: operands must be at least 1-d, got {a.aval.str_short()} and "
                         f"{b.aval.str_short()}; use multiply for scalars")
    a_vec, b_vec = a.ndim == 1, b.ndim == 1
    if a_vec:
        a = sh.reshape(a, (1, a.shape[0]))
    if b_vec:
        b = sh.reshape(b, (b.shape[0], 1))
    if a.shape[-1] != b.shape[-2]:
        raise ShapeError(f"matmul: contracting dimensions differ: {a.aval.str_short()} @ "
                         f"{b.aval.str_short()} ({a.shape[-1]} != {b.shape[-2]})")
    batch = broadcast_shapes(a.shape[:-2], b.shape[:-2], op="matmul")
    if a.shape[:-2] != batch:
        a = broadcast_to(a, batch + a.shape[-2:])
    if b.shape[:-2] != batch:
        b = broadcast_to(b, batch + b.shape[-2:])
    nb = len(batch)
    dt = preferred_element_type
    if a.dtype == dtypes.bool_:
        dt = dtypes.bool_
    out = rd.dot_general(a, b, (((nb + 1,), (nb,)), (tuple(range(nb)), tuple(range(nb)))),
                         preferred_element_type=dt)
    if a_vec and b_vec:
        return sh.reshape(out, batch)
    if a_vec:
        return sh.reshape(out, batch + (out.shape[-1],))
    if b_vec:
        return sh.reshape(out, batch + (out.shape[-2],))
    return out


def dot(a, b, *, precision=None, preferred_element_type=None):
    """NumPy's ``dot``: a matrix product for 2-d operands, the sum over the last axis of ``a``
    and the second-to-last of ``b`` in general, multiplication for scalars.

    Examples
    --------
    >>> tnp.dot(tnp.array([1, 2, 3]), tnp.array([4, 5, 6]))
    Array(32, dtype=int32)
    >>> tnp.dot(tnp.array([[1, 2], [3, 4]]), tnp.array([1, 1]))
    Array([3, 7], dtype=int32)
    >>> tnp.dot(2, tnp.array([1., 2.]))
    Array([2., 4.], dtype=float32)
    """
    rd.check_precision("dot", precision)
    a, b = promote_dtypes(asarray(a), asarray(b))
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if b.ndim == 1 or a.ndim == 1 or (a.ndim <= 2 and b.ndim <= 2):
        return matmul(a, b) if b.ndim <= 2 else tensordot(a, b, ((a.ndim - 1,), (b.ndim - 2,)))
    return tensordot(a, b, ((a.ndim - 1,), (b.ndim - 2,)))


def vdot(a, b, *, precision=None):
    """Dot product of the flattened inputs, conjugating the first one.

    Examples
    --------
    >>> tnp.vdot(tnp.array([[1, 2], [3, 4]]), tnp.array([[1, 1], [1, 1]]))
    Array(10, dtype=int32)
    >>> tnp.vdot(tnp.array([1j, 2]), tnp.array([1j, 1]))
    Array(3.+0.j, dtype=complex64)
    """
    rd.check_precision("vdot", precision)
    from tensorlib._src.numpy.complex_numbers import conj

    a, b = asarray(a), asarray(b)
    return dot(conj(a).reshape(-1), b.reshape(-1))


def vecdot(x1, x2, /, *, axis=-1):
    """Array API vector dot product along ``axis`` (conjugating ``x1``), broadcasting the rest.

    Examples
    --------
    >>> a = tnp.array([[1, 2], [3, 4]])
    >>> tnp.vecdot(a, tnp.array([1, 1]))
    Array([3, 7], dtype=int32)
    >>> tnp.vecdot(a, a, axis=0)
    Array([10, 20], dtype=int32)
    """
    from tensorlib._src.numpy.complex_numbers import conj
    from tensorlib._src.numpy.reductions import sum

    a, b = promote_dtypes(asarray(x1), asarray(x2))
    if a.shape[axis] != b.shape[axis]:
        raise ShapeError(f"vecdot: axis {axis} sizes differ: {a.aval.str_short()} and "
                         f"{b.aval.str_short()}")
    return sum(conj(a) * b, axis=axis, dtype=a.dtype)


def inner(a, b, *, precision=None, preferred_element_type=None):
    """Inner product over the last axes of ``a`` and ``b``.

    Examples
    --------
    >>> tnp.inner(tnp.array([1, 2]), tnp.array([3, 4]))
    Array(11, dtype=int32)
    >>> tnp.inner(tnp.array([[1, 2], [3, 4]]), tnp.array([[1, 0], [0, 1], [1, 1]]))
    Array([[1, 2, 3],
           [3, 4, 7]], dtype=int32)
    """
    rd.check_precision("inner", precision)
    a, b = promote_dtypes(asarray(a), asarray(b))
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return tensordot(a, b, ((a.ndim - 1,), (b.ndim - 1,)),
                     preferred_element_type=preferred_element_type)


def outer(a, b):
    """Outer product of the flattened inputs: ``out[i, j] = a[i] * b[j]``.

    Examples
    --------
    >>> tnp.outer(tnp.array([1, 2, 3]), tnp.array([1, 10]))
    Array([[ 1, 10],
           [ 2, 20],
           [ 3, 30]], dtype=int32)
    """
    a, b = promote_dtypes(asarray(a), asarray(b))
    return a.reshape(-1)[:, None] * b.reshape(-1)[None, :]


def tensordot(a, b, axes=2, *, precision=None, preferred_element_type=None):
    """Sum of products over the last ``axes`` axes of ``a`` and the first of ``b``, or over
    the explicit pairs ``axes=(axes_a, axes_b)``.

    Examples
    --------
    >>> a = tnp.arange(6).reshape(2, 3)
    >>> tnp.tensordot(a, tnp.ones((3, 2), dtype=tnp.int32), axes=1)
    Array([[ 3,  3],
           [12, 12]], dtype=int32)
    >>> tnp.tensordot(a, a, axes=([0, 1], [0, 1]))
    Array(55, dtype=int32)
    >>> tnp.tensordot(tnp.ones((2, 3, 4)), tnp.ones((4, 3, 5)), axes=([1, 2], [1, 0])).shape
    (2, 5)
    """
    rd.check_precision("tensordot", precision)
    a, b = promote_dtypes(asarray(a), asarray(b))
    if isinstance(axes, int):
        ax_a = tuple(range(a.ndim - axes, a.ndim))
        ax_b = tuple(range(axes))
    else:
        ax_a, ax_b = axes
        ax_a = (ax_a,) if isinstance(ax_a, int) else tuple(ax_a)
        ax_b = (ax_b,) if isinstance(ax_b, int) else tuple(ax_b)
    ax_a = tuple(canonicalize_axis(x, a.ndim, "tensordot") for x in ax_a)
    ax_b = tuple(canonicalize_axis(x, b.ndim, "tensordot") for x in ax_b)
    for i, j in zip(ax_a, ax_b):
        if a.shape[i] != b.shape[j]:
            raise ShapeError(f"tensordot: shape mismatch {a.aval.str_short()} axis {i} vs "
                             f"{b.aval.str_short()} axis {j}")
    return rd.dot_general(a, b, ((ax_a, ax_b), ((), ())),
                          preferred_element_type=preferred_element_type)


def kron(a, b):
    """Kronecker product: blocks of ``b`` scaled by the elements of ``a``.

    Examples
    --------
    >>> tnp.kron(tnp.array([[1, 2], [3, 4]]), tnp.array([[1, 1]]))
    Array([[1, 1, 2, 2],
           [3, 3, 4, 4]], dtype=int32)
    """
    a, b = promote_dtypes(asarray(a), asarray(b))
    nd = builtins.max(a.ndim, b.ndim)
    a = a.reshape((1,) * (nd - a.ndim) + a.shape)
    b = b.reshape((1,) * (nd - b.ndim) + b.shape)
    ia = []
    ib = []
    for d in range(nd):
        ia += [a.shape[d], 1]
        ib += [1, b.shape[d]]
    out = a.reshape(ia) * b.reshape(ib)
    return out.reshape([a.shape[d] * b.shape[d] for d in range(nd)])


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-vectors (2-vectors get a zero z component) along the last axis.

    Examples
    --------
    >>> tnp.cross(tnp.array([1, 0, 0]), tnp.array([0, 1, 0]))
    Array([0, 0, 1], dtype=int32)
    >>> tnp.cross(tnp.array([[1., 2., 3.], [0., 0., 1.]]), tnp.array([4., 5., 6.]))
    Array([[-3.,  6., -3.],
           [-5.,  4.,  0.]], dtype=float32)
    """
    from tensorlib._src.numpy.shape_ops import moveaxis, stack

    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = promote_dtypes(asarray(a), asarray(b))
    a = moveaxis(a, axisa, -1)
    b = moveaxis(b, axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ShapeError("cross: incompatible dimensions for cross product (need 2 or 3)")
    if a.shape[-1] == 2:
        a = sh.pad(a, asarray(0, a.dtype), [(0, 0, 0)] * (a.ndim - 1) + [(0, 1, 0)])
    if b.shape[-1] == 2:
        b = sh.pad(b, asarray(0, b.dtype), [(0, 0, 0)] * (b.ndim - 1) + [(0, 1, 0)])
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    c = stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)
    return moveaxis(c, -1, axisc)


def einsum(subscripts, *operands, optimize=None, precision=None,
           preferred_element_type=None):
    """Einstein summation, contracted pairwise left to right with ``dot_general``.

    Examples
    --------
    >>> a = tnp.array([[1, 2], [3, 4]])
    >>> tnp.einsum("ii", a)
    Array(5, dtype=int32)
    >>> tnp.einsum("ij,j->i", a, tnp.array([1, 10]))
    Array([21, 43], dtype=int32)
    >>> tnp.einsum("ij->ji", a)
    Array([[1, 3],
           [2, 4]], dtype=int32)
    >>> tnp.einsum("bij,bjk->bik", tnp.ones((5, 2, 3)), tnp.ones((5, 3, 4))).shape
    (5, 2, 4)
    """
    rd.check_precision("einsum", precision)
    ops = [asarray(o) for o in operands]
    ops = promote_dtypes(*ops)
    inputs, output = _parse_einsum(subscripts, ops)
    terms = []
    for spec, x in zip(inputs, ops):
        x, spec = _einsum_diagonal(x, spec)
        terms.append((spec, x))
    all_needed = set(output)
    while len(terms) > 1:
        (s1, x1), (s2, x2) = terms[0], terms[1]
        rest = "".join(s for s, _ in terms[2:]) + output
        x1, s1 = _sum_unused(x1, s1, s2 + rest)
        x2, s2 = _sum_unused(x2, s2, s1 + rest)
        shared = [c for c in s1 if c in s2]
        x1, x2 = _broadcast_shared(x1, s1, x2, s2, shared)
        batch = [c for c in shared if c in rest]
        contract = [c for c in shared if c not in rest]
        dn = ((tuple(s1.index(c) for c in contract), tuple(s2.index(c) for c in contract)),
              (tuple(s1.index(c) for c in batch), tuple(s2.index(c) for c in batch)))
        out = rd.dot_general(x1, x2, dn)
        spec = "".join(batch) + "".join(c for c in s1 if c not in shared) + \
            "".join(c for c in s2 if c not in shared)
        terms = [(spec, out)] + terms[2:]
    spec, x = terms[0]
    x, spec = _sum_unused(x, spec, "".join(all_needed))
    perm = [spec.index(c) for c in output]
    return sh.transpose(x, perm)


def _broadcast_shared(x1, s1, x2, s2, shared):
    """Broadcast size-1 axes of the labels two operands share (ellipsis broadcasting)."""
    sh1, sh2 = list(x1.shape), list(x2.shape)
    for c in shared:
        i, j = s1.index(c), s2.index(c)
        if sh1[i] != sh2[j]:
            if 1 not in (sh1[i], sh2[j]):
                raise ShapeError(f"einsum: index {c!r} has size {sh1[i]} in one operand and "
                                 f"{sh2[j]} in another")
            sh1[i] = sh2[j] = builtins.max(sh1[i], sh2[j])
    return broadcast_to(x1, sh1), broadcast_to(x2, sh2)


def _parse_einsum(subscripts, ops):
    sub = subscripts.replace(" ", "")
    if "->" in sub:
        lhs, out = sub.split("->")
    else:
        lhs, out = sub, None
    ins = lhs.split(",")
    if len(ins) != len(ops):
        raise ValueError(f"einsum: {len(ins)} operand specs for {len(ops)} operands")
    letters = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in sub]
    ell_nd = builtins.max([o.ndim - (len(s) - 3) for s, o in zip(ins, ops) if "..." in s],
                          default=0)
    ell = "".join(letters[:ell_nd])
    fixed = []
    for s, o in zip(ins, ops):
        if "..." in s:
            k = o.ndim - (len(s) - 3)
            s = s.replace("...", ell[ell_nd - k:] if k else "")
        if len(s) != o.ndim:
            raise ShapeError(f"einsum: spec {s!r} has {len(s)} indices but the operand is "
                             f"{o.aval.str_short()}")
        fixed.append(s)
    if out is None:
        counts = {}
        for s in fixed:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    return fixed, out


def _einsum_diagonal(x, spec):
    from tensorlib._src.numpy.indexing import diagonal

    while len(set(spec)) != len(spec):
        c = next(ch for ch in spec if spec.count(ch) > 1)
        i = spec.index(c)
        j = spec.index(c, i + 1)
        x = diagonal(x, 0, i, j)
        spec = "".join(ch for k, ch in enumerate(spec) if k not in (i, j)) + c
    return x, spec


def _sum_unused(x, spec, keep):
    axes = [i for i, c in enumerate(spec) if c not in keep]
    if not axes:
        return x, spec
    return rd.reduce_sum(x, axes), "".join(c for c in spec if c in keep)
