"""The differentiation transforms: grad, value_and_grad, vjp, jvp, linearize, jacfwd, jacrev,
hessian and stop_gradient (custom_vjp, custom_jvp and checkpoint live with control flow, in
tensorlib._src.control: they are primitives holding closed graphs)."""

from __future__ import annotations

import functools

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import Array, Primitive, asarray, get_aval
from tensorlib._src.ops.elementwise import full
from tensorlib._src.ops.shape import elementwise_batch_rule, reshape
from tensorlib._src.rules import def_batch, def_jvp, def_shape, def_vjp
from tensorlib._src.transforms.ad import (
    instantiate,
    jvp_flat,
    vjp_flat,
)
from tensorlib._src.tree_util import tree_flatten, tree_map, tree_unflatten
from tensorlib.errors import NonDifferentiableError, ShapeError


def _as_array(x):
    if isinstance(x, Array):
        return x
    if isinstance(x, (bool, int, float, complex)):
        return asarray(x)
    return asarray(np.asarray(x))


def _argnums_tuple(argnums, nargs, fname):
    single = isinstance(argnums, int)
    try:
        nums = (argnums,) if single else tuple(argnums)
    except TypeError:
        nums = (argnums,)  # not an int, not a sequence: refused below
    for a in nums:
        if isinstance(a, bool) or not isinstance(a, int):
            raise TypeError(f"{fname}: argnums must be an int or a tuple of ints, got "
                            f"{argnums!r}")
        if not -nargs <= a < nargs:
            raise ValueError(f"{fname}: argnums={argnums} is out of range for a function "
                             f"called with {nargs} positional arguments")
    out = tuple(a % nargs for a in nums)
    if len(set(out)) != len(out):
        raise ValueError(f"{fname}: argnums={argnums} names an argument twice; list each "
                         "argument once")
    return single, out


def _check_differentiable(fname, leaves, argnum):
    for x in leaves:
        dt = get_aval(x).dtype
        if not dtypes.is_inexact(dt):
            raise NonDifferentiableError(
                f"{fname} requires real- or complex-valued inputs (a floating-point dtype), but "
                f"argument {argnum} has dtype {dt}. Convert it with .astype(float32), or "
                "differentiate with respect to a different argument (argnums).")


def _split_args(args, argnums):
    """Flatten the differentiated arguments; return a function of their leaves."""
    diff = [args[i] for i in argnums]
    flat, tree = tree_flatten(diff)
    flat = [_as_array(x) for x in flat]

    def with_leaves(leaves):
        vals = tree_unflatten(tree, leaves)
        full = list(args)
        for i, v in zip(argnums, vals):
            full[i] = v
        return full

    return flat, tree, with_leaves


def vjp(fun, *primals, has_aux=False):
    """Reverse-mode: ``(out, vjp_fn)`` (and ``aux``), where ``vjp_fn(ct)`` returns input cotangents.

    Examples
    --------
    >>> import tensorlib as tl, tensorlib.numpy as tnp
    >>> y, pullback = tl.vjp(tnp.sin, 0.0)
    >>> pullback(tnp.float32(1.0))
    (Array(1., dtype=float32),)
    """
    flat_in, in_tree = tree_flatten(list(primals))
    flat_in = [_as_array(x) for x in flat_in]
    out_tree_box = []

    def flat_fun(*leaves):
        res = fun(*tree_unflatten(in_tree, list(leaves)))
        out, aux = _split_aux("vjp", res) if has_aux else (res, None)
        flat_out, out_tree = tree_flatten(out)
        out_tree_box.append(out_tree)
        return (flat_out, aux) if has_aux else flat_out

    if has_aux:
        outs, pullback, aux = vjp_flat(flat_fun, flat_in, has_aux=True)
    else:
        outs, pullback = vjp_flat(flat_fun, flat_in)
    out_tree = out_tree_box[0]

    def vjp_fn(ct):
        ct_flat, ct_tree = tree_flatten(ct)
        if ct_tree != out_tree:
            raise ValueError(f"vjp: the cotangent has structure {ct_tree} but the function's "
                             f"output has structure {out_tree}")
        ct_flat = [_as_array(c) for c in ct_flat]
        for c, o in zip(ct_flat, outs):
            if tuple(c.shape) != tuple(get_aval(o).shape):
                raise ShapeError(f"vjp: cotangent {c.aval.str_short()} does not match the "
                                 f"output {get_aval(o).str_short()}")
        cts = pullback(ct_flat)
        cts = [instantiate(c, x) for c, x in zip(cts, flat_in)]
        return tuple(tree_unflatten(in_tree, cts))

    out = tree_unflatten(out_tree, outs)
    return (out, vjp_fn, aux) if has_aux else (out, vjp_fn)


def value_and_grad(fun, argnums=0, has_aux=False, allow_int=False):
    """Function returning ``(fun(*args), grad)``; the output must be a real scalar.

    Examples
    --------
    >>> import tensorlib as tl, tensorlib.numpy as tnp
    >>> tl.value_and_grad(lambda x: (x ** 2).sum())(tnp.array([1.0, 2.0]))[1]
    Array([2., 4.], dtype=float32)
    """

    @functools.wraps(fun)
    def value_and_grad_f(*args, **kwargs):
        single, nums = _argnums_tuple(argnums, len(args), "grad")
        flat, tree, with_leaves = _split_args(args, nums)
        if not allow_int:
            for i in nums:
                _check_differentiable("grad", tree_flatten(args[i])[0], i)

        def flat_fun(*leaves):
            res = fun(*with_leaves(list(leaves)), **kwargs)
            out, aux = _split_aux("grad", res) if has_aux else (res, None)
            if out is None:
                _check_scalar_output(out)
            out = _as_array(out) if not isinstance(out, Array) else out
            _check_scalar_output(out)
            return ([out], aux) if has_aux else [out]

        if has_aux:
            (out,), pullback, aux = vjp_flat(flat_fun, flat, has_aux=True, one_shot=True)
        else:
            (out,), pullback = vjp_flat(flat_fun, flat, one_shot=True)
        out_aval = get_aval(out)
        from tensorlib._src.ops.elementwise import full_like

        one = full_like(out, 1.0) if type(out) is Array else full(
            (), 1.0, out_aval.dtype, weak=out_aval.weak_type)
        cts = [instantiate(c, x) for c, x in zip(pullback([one]), flat)]
        grads = tree_unflatten(tree, cts)
        g = grads[0] if single else tuple(grads)
        return ((out, aux), g) if has_aux else (out, g)

    return value_and_grad_f


def _split_aux(fname, res):
    """``(out, aux)`` of a function called with ``has_aux=True``, which must return a pair."""
    if not (isinstance(res, (tuple, list)) and len(res) == 2):
        what = (f"a {type(res).__name__} of length {len(res)}"
                if isinstance(res, (tuple, list)) else get_aval(res).str_short()
                if isinstance(res, Array) else type(res).__name__)
        raise TypeError(f"{fname}: with has_aux=True the function must return a pair "
                        f"(output, aux), but it returned {what}; return (out, aux), or drop "
                        "has_aux")
    return res


def _check_scalar_output(out):
    if out is None:
        raise TypeError("grad requires a scalar output, but the function returned None; "
                        "return the value to differentiate (a float32/float64 scalar)")
    aval = get_aval(out)
    if aval.shape != ():
        raise ShapeError(f"grad requires a scalar output, but the function returned "
                         f"{aval.str_short()}; reduce it (e.g. .sum()) or use vjp / jacrev")
    if not dtypes.is_float(aval.dtype):
        raise NonDifferentiableError(f"grad requires a real floating-point output, but the "
                                     f"function returned {aval.str_short()}")


def grad(fun, argnums=0, has_aux=False, allow_int=False):
    """Gradient of a scalar function with respect to ``argnums``.

    Examples
    --------
    >>> import tensorlib as tl
    >>> tl.grad(lambda x: x ** 3)(2.0)  # a Python float is weakly typed, as in JAX
    Array(12., dtype=float32, weak_type=True)
    """
    vg = value_and_grad(fun, argnums, has_aux, allow_int)

    @functools.wraps(fun)
    def grad_f(*args, **kwargs):
        if has_aux:
            (_, aux), g = vg(*args, **kwargs)
            return g, aux
        return vg(*args, **kwargs)[1]

    return grad_f


def jvp(fun, primals, tangents, has_aux=False):
    """Forward mode: ``(fun(*primals), J @ tangents)``, with real JVP rules.

    Examples
    --------
    >>> import tensorlib as tl, tensorlib.numpy as tnp
    >>> tl.jvp(tnp.sin, (0.0,), (1.0,))[1]
    Array(1., dtype=float32, weak_type=True)
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples or lists of arguments")
    p_flat, p_tree = tree_flatten(list(primals))
    t_flat, t_tree = tree_flatten(list(tangents))
    if p_tree != t_tree:
        raise ValueError(f"jvp: primals have structure {p_tree} but tangents have {t_tree}")
    p_flat = [_as_array(p) for p in p_flat]
    t_flat = [_tangent_in(t, p) for t, p in zip(t_flat, p_flat)]
    box = []

    def flat_fun(*leaves):
        res = fun(*tree_unflatten(p_tree, list(leaves)))
        out, aux = res if has_aux else (res, None)
        flat, tree = tree_flatten(out)
        box.append((tree, aux))
        return flat

    outs, t_outs = jvp_flat(flat_fun, p_flat, t_flat)
    out_tree, aux = box[0]
    t_outs = [instantiate(t, o) for t, o in zip(t_outs, outs)]
    res = tree_unflatten(out_tree, outs), tree_unflatten(out_tree, t_outs)
    return (*res, aux) if has_aux else res


def _tangent_in(t, p):
    if isinstance(t, np.ndarray) and t.dtype == dtypes.float0:
        return None
    t = _as_array(t)
    if not dtypes.is_inexact(p.dtype):
        return None
    if t.shape != p.shape:
        raise ShapeError(f"jvp: tangent {t.aval.str_short()} does not match primal "
                         f"{p.aval.str_short()}")
    if t.dtype != p.dtype:
        from tensorlib._src.ops.elementwise import convert_element_type

        t = convert_element_type(t, p.dtype)
    return t


def linearize(fun, *primals):
    """``(fun(*primals), f_jvp)`` where ``f_jvp(*tangents)`` evaluates the JVP at ``primals``.

    ``f_jvp`` is forward mode staged once per tangent signature with the primals as constants:
    constant folding evaluates everything that depends on the primals alone when it compiles,
    so each call runs only the linear part.

    Examples
    --------
    >>> y, f_jvp = tl.linearize(lambda x: x ** 3, tnp.float32(2.0))
    >>> y, f_jvp(tnp.float32(1.0)), f_jvp(tnp.float32(2.0))
    (Array(8., dtype=float32), Array(12., dtype=float32), Array(24., dtype=float32))
    >>> tl.linearize(lambda x: x ** 3, 2.0)[0]  # as JAX: a Python float is weakly typed
    Array(8., dtype=float32, weak_type=True)
    """
    from tensorlib._src.transforms.jit import jit

    p_flat, p_tree = tree_flatten(list(primals))
    primals = tree_unflatten(p_tree, [_as_array(p) for p in p_flat])
    out = fun(*primals)
    return out, jit(lambda *tangents: jvp(fun, primals, tangents)[1])


def _std_basis(leaves):
    """Rows of the identity, one per input element, as flat tangents."""
    total = sum(int(np.prod(x.shape, dtype=np.int64)) for x in leaves)
    basis = []
    offset = 0
    for x in leaves:
        n = int(np.prod(x.shape, dtype=np.int64))
        basis.append((offset, n, x))
        offset += n
    return total, basis


def jacfwd(fun, argnums=0, has_aux=False):
    """Jacobian by forward mode: the JVPs of every basis tangent at once, under ``vmap``;
    output shape ``out.shape + in.shape``.

    Examples
    --------
    >>> tl.jacfwd(lambda x: x ** 2)(tnp.array([1., 2., 3.]))
    Array([[2., 0., 0.],
           [0., 4., 0.],
           [0., 0., 6.]], dtype=float32)
    >>> tl.jacfwd(lambda x, y: x * y, argnums=1)(tnp.array([1., 2.]), tnp.array([3., 4.]))
    Array([[1., 0.],
           [0., 2.]], dtype=float32)
    """

    def jac_f(*args):
        from tensorlib._src.transforms.batching import vmap

        single, nums = _argnums_tuple(argnums, len(args), "jacfwd")
        flat, tree, with_leaves = _split_args(args, nums)
        _check_differentiable_all("jacfwd", flat)
        total, basis = _std_basis(flat)

        def f_leaves(*leaves):
            return fun(*with_leaves(list(leaves)))

        if total == 0:  # no input elements: an empty Jacobian of the right shapes
            res = jvp(f_leaves, flat, [_zeros_of(x) for x in flat], has_aux=has_aux)
            out_leaves, out_tree = tree_flatten(res[0])
            blocks = [[full(tuple(o.shape) + tuple(x.shape), 0, o.dtype) for x in flat]
                      for o in out_leaves]
        else:  # every basis tangent at once: one forward pass under vmap
            def pushfwd(*ts):
                return jvp(f_leaves, flat, list(ts), has_aux=has_aux)

            axes = (None, 0, None) if has_aux else (None, 0)
            res = vmap(pushfwd, out_axes=axes)(*_basis_stack(basis, total))
            out_leaves, out_tree = tree_flatten(res[0])
            touts = tree_flatten(res[1])[0]
            blocks = [[_block_fwd(t, o, off, n, x) for off, n, x in basis]
                      for t, o in zip(touts, out_leaves, strict=True)]
        jac = _finish_jac(blocks, out_tree, tree, single)
        return (jac, res[2]) if has_aux else jac

    return jac_f


def _check_differentiable_all(fname, flat):
    for i, x in enumerate(flat):
        if not dtypes.is_inexact(x.dtype):
            raise NonDifferentiableError(f"{fname} requires floating-point inputs, got "
                                         f"{x.aval.str_short()} (input leaf {i})")


def _basis_stack(basis, total):
    """The rows of the identity of size ``total``, split per leaf: leaf ``x`` at ``off`` gets
    an array of shape ``(total, *x.shape)`` (its dtype), row ``k`` the ``k``-th basis vector."""
    out = []
    for off, n, x in basis:
        e = np.zeros((total, n), dtype=x.dtype)
        e[np.arange(off, off + n), np.arange(n)] = 1
        out.append(asarray(e.reshape((total,) + tuple(x.shape))))
    return out


def _block_fwd(t, out, off, n, x):
    """d out / d x from the batched tangents ``t`` (basis index first): out.shape + x.shape."""
    from tensorlib._src.ops.shape import moveaxis_to

    rows = t[off:off + n]  # (n, *out.shape)
    return reshape(moveaxis_to(rows, 0, len(out.shape)), tuple(out.shape) + tuple(x.shape))


def _zeros_of(x):
    return full(tuple(x.shape), 0, x.dtype)


def _finish_jac(blocks, out_tree, in_tree, single):
    per_out = []
    for row in blocks:
        in_struct = tree_unflatten(in_tree, row)
        per_out.append(in_struct[0] if single else tuple(in_struct))
    return tree_unflatten(out_tree, per_out)


def jacrev(fun, argnums=0, has_aux=False):
    """Jacobian by reverse mode: one forward pass, then the pullback of every basis
    cotangent at once, under ``vmap``.

    Examples
    --------
    >>> f = lambda x: tnp.array([x[0] * x[1], x[0] + x[1]])
    >>> tl.jacrev(f)(tnp.array([2., 3.]))
    Array([[3., 2.],
           [1., 1.]], dtype=float32)
    >>> tl.jacrev(lambda x: (x ** 2, x.sum()), has_aux=True)(tnp.array([1., 2.]))  # (jac, aux)
    (Array([[2., 0.],
           [0., 4.]], dtype=float32), Array(3., dtype=float32))
    """

    def jac_f(*args):
        single, nums = _argnums_tuple(argnums, len(args), "jacrev")
        flat, tree, with_leaves = _split_args(args, nums)
        _check_differentiable_all("jacrev", flat)
        box = []

        def flat_fun(*leaves):
            res = fun(*with_leaves(list(leaves)))
            out, aux = res if has_aux else (res, None)
            out_flat, out_tree = tree_flatten(out)
            box.append(out_tree)
            out_flat = [_as_array(o) for o in out_flat]
            return (out_flat, aux) if has_aux else out_flat

        if has_aux:
            outs, pullback, aux = vjp_flat(flat_fun, flat, has_aux=True)
        else:
            outs, pullback = vjp_flat(flat_fun, flat)
        out_tree = box[0]
        total, obasis = _std_basis(outs)
        if total == 0:
            jac = [[full(tuple(o.shape) + tuple(x.shape), 0, x.dtype) for x in flat]
                   for o in outs]
        else:  # every basis cotangent at once: one backward pass under vmap
            from tensorlib._src.transforms.batching import vmap

            def pullback_all(*cts):
                return [instantiate(c, x) for c, x in zip(pullback(list(cts)), flat)]

            rows = vmap(pullback_all)(*_basis_stack(obasis, total))
            jac = [[reshape(r[off:off + n], tuple(o.shape) + tuple(x.shape))
                    for r, x in zip(rows, flat, strict=True)] for off, n, o in obasis]
        res = _finish_jac(jac, out_tree, tree, single)
        return (res, aux) if has_aux else res

    return jac_f


def hessian(fun, argnums=0, has_aux=False):
    """``jacfwd(jacrev(fun))``: forward-over-reverse.

    Examples
    --------
    >>> tl.hessian(lambda x: x[0] * x[1] ** 2)(tnp.array([1., 2.]))
    Array([[0., 4.],
           [4., 2.]], dtype=float32)
    """
    return jacfwd(jacrev(fun, argnums, has_aux=has_aux), argnums, has_aux=has_aux)


# --------------------------------------------------------------------------------------------
stop_gradient_p = Primitive("stop_gradient")


@def_shape(stop_gradient_p)
def _stop_gradient_shape(x):
    return x


@def_jvp(stop_gradient_p)
def _stop_gradient_jvp(primals, tangents):
    return stop_gradient_p.bind(primals[0]), None


@def_vjp(stop_gradient_p)
def _stop_gradient_vjp(ct, out, x):
    return (None,)


def_batch(stop_gradient_p)(elementwise_batch_rule(stop_gradient_p))


def stop_gradient(x):
    """Identity whose derivative is zero, for every pytree leaf.

    Examples
    --------
    >>> tl.grad(lambda x: x * tl.stop_gradient(x))(tnp.float32(3.0))  # d/dx (x * c) = c
    Array(3., dtype=float32)
    """
    return tree_map(lambda v: stop_gradient_p.bind(_as_array(v)), x)


def _stop_gradient_impl(x):
    return x


stop_gradient_p.impl = _stop_gradient_impl


def linear_transpose(fun, *primals):
    """The transpose of the linear function ``fun``, as ``jax.linear_transpose``.

    Parameters
    ----------
    fun : callable
        A linear function of pytrees of arrays (its transpose is taken at zero, so an affine
        function's constant term is dropped, and a non-linear function gives the transpose of
        its derivative at zero).
    *primals : pytrees of arrays or ShapeDtypeStruct
        Examples of ``fun``'s arguments: only their shapes and dtypes are used.

    Returns
    -------
    callable
        ``transpose(out_cotangent)`` returning a tuple with one cotangent per primal.

    Examples
    --------
    >>> f_t = tl.linear_transpose(lambda x: tnp.array([[1., 2.], [3., 4.]]) @ x,
    ...                           tnp.zeros(2))
    >>> f_t(tnp.array([1., 0.]))
    (Array([1., 2.], dtype=float32),)
    """
    from tensorlib._src.abstract import ShapeDtypeStruct

    def zero(p):
        if isinstance(p, ShapeDtypeStruct):
            return full(p.shape, 0, dtypes.canonicalize(p.dtype))
        a = get_aval(_as_array(p))
        return full(a.shape, 0, a.dtype)

    zeros = tree_map(zero, list(primals), is_leaf=lambda p: isinstance(p, ShapeDtypeStruct))
    _, pullback = vjp(fun, *zeros)

    def transpose(out_cotangent):
        return tuple(pullback(out_cotangent))

    return transpose


class named_scope:  # noqa: N801 - a context manager, named as JAX's
    """``with tl.named_scope("block"):`` names the operations inside, as ``jax.named_scope``.

    tensorlib records no operation names (there is no profiler to show them), so the scope
    only checks its name; JAX code that uses it runs unchanged.

    Examples
    --------
    >>> with tl.named_scope("layer1"):
    ...     y = tnp.ones(2) * 2
    >>> y
    Array([2., 2.], dtype=float32)
    """

    def __init__(self, name):
        if not isinstance(name, str):
            raise TypeError(f"named_scope: the name must be a string, got {name!r}")
        self.name = name

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, fun):
        """Also a decorator, as JAX's."""
        import functools

        @functools.wraps(fun)
        def wrapped(*args, **kwargs):
            with self:
                return fun(*args, **kwargs)

        return wrapped
