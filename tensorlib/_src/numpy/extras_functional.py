"""``vectorize`` (NumPy's generalized-ufunc signatures, built on ``vmap`` as JAX's is) and the
batched products built on it, ``matvec`` and ``vecmat``.

Broadcasting is pushed into ``vmap``: an argument of size 1 along a loop dimension is not
mapped there (``in_axes=None``) rather than materialized at full size.
"""

from __future__ import annotations

import functools
import re

from tensorlib._src.numpy import (
    complex_numbers,
    products,
    shape_ops,
)
from tensorlib._src.numpy.promotion import asarray, broadcast_shapes, check_arraylike
from tensorlib._src.transforms.batching import vmap
from tensorlib.errors import ShapeError

_DIM = r"\w+"
_CORE = rf"\((?:{_DIM}(?:,{_DIM})*)?\)"
_SIGNATURE = re.compile(rf"^{_CORE}(?:,{_CORE})*->{_CORE}(?:,{_CORE})*$")


def _parse_signature(signature):
    """``'(m,n),(n)->(m)'`` as ``([('m', 'n'), ('n',)], [('m',)])``."""
    if not _SIGNATURE.match(signature.replace(" ", "")):
        raise ValueError(f"vectorize: {signature!r} is not a valid gufunc signature such as "
                         "'(m,n),(n)->(m)'")
    ins, outs = signature.replace(" ", "").split("->")
    return ([tuple(re.findall(_DIM, g)) for g in re.findall(_CORE, side)]
            for side in (ins, outs))


def _bind_sizes(sizes, shape, dims, where, exact):
    if (len(shape) != len(dims)) if exact else (len(shape) < len(dims)):
        raise ShapeError(f"vectorize: {where} has shape {shape}, which does not fit the core "
                         f"dimensions {dims}")
    core = shape[len(shape) - len(dims):] if dims else ()
    for d, n in zip(dims, core, strict=True):
        if sizes.setdefault(d, n) != n:
            raise ShapeError(f"vectorize: core dimension {d!r} has size {n} in {where} but "
                             f"{sizes[d]} elsewhere")


def _checked(func, sizes, out_dims):
    """``func`` with a check that its outputs have the signature's core shapes."""
    def wrapped(*args):
        out = func(*args)
        outs = out if isinstance(out, tuple) else (out,)
        if len(out_dims) > 1 and not isinstance(out, tuple):
            raise TypeError(f"vectorize: the signature promises {len(out_dims)} outputs, but "
                            "the function returned one array (return a tuple)")
        if len(outs) != len(out_dims):
            raise TypeError(f"vectorize: the signature promises {len(out_dims)} outputs, the "
                            f"function returned {len(outs)}")
        known = dict(sizes)
        for i, (o, dims) in enumerate(zip(outs, out_dims, strict=True)):
            _bind_sizes(known, asarray(o).shape, dims, f"output {i}", exact=True)
        return out
    return wrapped


def _split_excluded(func, excluded, args, kwargs):
    """The function of the remaining arguments (the excluded ones bound), and those."""
    fixed = [(i, args[i]) for i in sorted(e for e in excluded if isinstance(e, int))
             if i < len(args)]
    dynamic = [a for i, a in enumerate(args) if i not in excluded]
    fixed_kw = {k: v for k, v in kwargs.items() if k in excluded}
    extra = sorted(k for k in kwargs if k not in excluded)
    if extra:
        raise TypeError(f"vectorize: keyword arguments {extra} are not in excluded; pass them "
                        "positionally to vectorize over them, or add their names to excluded")

    def bound(*rest):
        full = list(rest)
        for i, a in fixed:
            full.insert(i, a)
        return func(*full, **fixed_kw)

    return bound, dynamic


def _call(pyfunc, excluded, signature, args, kwargs):
    func, args = _split_excluded(pyfunc, excluded, args, kwargs)
    none_at = {i for i, a in enumerate(args) if a is None}
    if signature is not None:
        in_dims, out_dims = _parse_signature(signature)
        if len(args) != len(in_dims):
            raise TypeError(f"vectorize: the signature {signature!r} takes {len(in_dims)} "
                            f"arguments, got {len(args)}")
    else:
        in_dims, out_dims = [()] * len(args), None
    if none_at:  # None passes through unvectorized, as an excluded argument
        func, args = _split_excluded(func, none_at, args, {})
        in_dims = [d for i, d in enumerate(in_dims) if i not in none_at]
    args = [asarray(a) for a in args]
    sizes = {}
    loop_shapes = []
    for i, (a, dims) in enumerate(zip(args, in_dims, strict=True)):
        _bind_sizes(sizes, a.shape, dims, f"argument {i}", exact=False)
        loop_shapes.append(a.shape[:a.ndim - len(dims)])
    loop = broadcast_shapes(*loop_shapes, op="vectorize")
    if out_dims is not None:
        func = _checked(func, sizes, out_dims)
    # one vmap per loop axis, innermost (last) first; size-1 axes are squeezed and unmapped
    padded = [(1,) * (len(loop) - len(s)) + s for s in loop_shapes]
    squeezed = [shape_ops.squeeze(a, tuple(i for i, n in enumerate(s) if n == 1))
                for a, s in zip(args, loop_shapes, strict=True)]
    expand = []
    for k in range(len(loop) - 1, -1, -1):
        in_axes = tuple(None if s[k] == 1 else 0 for s in padded)
        if all(ax is None for ax in in_axes):
            expand.append(k)
        else:
            func = vmap(func, in_axes)
    out = func(*squeezed)
    if not expand:
        return out
    if isinstance(out, tuple):
        return tuple(shape_ops.expand_dims(o, tuple(expand)) for o in out)
    return shape_ops.expand_dims(out, tuple(expand))


def vectorize(pyfunc, *, excluded=frozenset(), signature=None):
    """``pyfunc`` made to broadcast over leading (loop) dimensions, through ``vmap``.

    Without ``signature`` every argument is a scalar per call; a gufunc ``signature`` such
    as ``'(n),(n)->()'`` names the trailing core dimensions each argument and output has.
    ``excluded`` lists positions or keyword names passed through unvectorized; other keyword
    arguments are refused (JAX silently ignores them). ``None`` arguments pass through.

    Examples
    --------
    >>> f = tnp.vectorize(lambda a, b: a + b)
    >>> f(tnp.arange(3), tnp.array([[10], [20]]))
    Array([[10, 11, 12],
           [20, 21, 22]], dtype=int32)
    >>> dot = tnp.vectorize(lambda u, v: tnp.sum(u * v), signature="(n),(n)->()")
    >>> dot(tnp.ones((2, 3)), tnp.arange(3.))
    Array([3., 3.], dtype=float32)
    """
    if any(not isinstance(e, (int, str)) for e in excluded):
        raise TypeError(f"vectorize: excluded may hold only ints (positions) and strings "
                        f"(keyword names), got {excluded!r}")
    if any(isinstance(e, int) and e < 0 for e in excluded):
        raise ValueError(f"vectorize: excluded positions must be non-negative, got {excluded!r}")
    excluded = frozenset(excluded)

    @functools.wraps(pyfunc)
    def wrapped(*args, **kwargs):
        return _call(pyfunc, excluded, signature, args, kwargs)

    return wrapped


def matvec(x1, x2, /):
    """Matrix-vector products over broadcast batch dimensions: ``x1[..., n, m] @
    x2[..., m]`` gives ``[..., n]``.

    Examples
    --------
    >>> tnp.matvec(tnp.array([[1, 2], [3, 4]]), tnp.array([1, 1]))
    Array([3, 7], dtype=int32)
    >>> tnp.matvec(tnp.ones((2, 3, 4)), tnp.arange(4.)).shape
    (2, 3)
    """
    check_arraylike("matvec", x1, x2)
    return _batched("matvec", "(n,m),(m)->(n)", asarray(x1), asarray(x2))


def vecmat(x1, x2, /):
    """Vector-matrix products over broadcast batch dimensions: ``conj(x1[..., n]) @
    x2[..., n, m]`` gives ``[..., m]``.

    Examples
    --------
    >>> tnp.vecmat(tnp.array([1, 1]), tnp.array([[1, 2], [3, 4]]))
    Array([4, 6], dtype=int32)
    >>> tnp.vecmat(tnp.array([1j, 2.]), tnp.ones((2, 2)))
    Array([2.-1.j, 2.-1.j], dtype=complex64)
    """
    check_arraylike("vecmat", x1, x2)
    return _batched("vecmat", "(n),(n,m)->(m)", complex_numbers.conj(asarray(x1)), asarray(x2))


def _batched(op, signature, x1, x2):
    try:
        return vectorize(products.matmul, signature=signature)(x1, x2)
    except ShapeError as e:
        raise ShapeError(f"{op}: {x1.aval.str_short()} and {x2.aval.str_short()} do not fit "
                         f"{signature} ({str(e).removeprefix('vectorize: ')})") from None
