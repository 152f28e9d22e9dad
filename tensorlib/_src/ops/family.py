"""Elementwise operation families as data: one entry per operation, read by every backend.

An :class:`Elementwise` entry holds everything about one unary or binary elementwise
primitive that is not a backend's own business: which dtypes it accepts, its derivative, and
how each backend spells it (the NumPy/CuPy function, the StableHLO op, the expression of one
element in a fused Numba loop and in a generated CUDA kernel). ``unary`` and ``binary``
create the primitive and register its shape, JVP, VJP and batching rules from the entry; the
backends walk :data:`FAMILY` to register their kernels and lowerings, so adding an operation
is one entry (see ``docs/adding-a-primitive.md``).

A field left ``None`` means "this backend has no generic spelling": the backend then has a
kernel or lowering of its own for that primitive, keyed by the ``Primitive`` object (``round``
with its parameter, integer ``div`` with C semantics, ...), and the registry test fails if
neither exists.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import (
    WEAK_ALL_INPUTS,
    AbstractArray,
    Array,
    Primitive,
    current_backend,
    get_aval,
)
from tensorlib._src.rules import def_batch, def_jvp, def_nondiff, def_shape, def_vjp
from tensorlib.errors import DTypeError, ShapeError

# --------------------------------------------------------------------------------------------
# the entries


class Expr(NamedTuple):
    """One element of a fused loop: ``fmt.format(*operands, T=result type)``.

    Numba expressions may call ``np.*`` and ``math.*``; CUDA ones the ``tl_*`` helpers of the
    generated prelude (``cuda_math`` adds one per libm function).

    ``only`` restricts the operand dtypes the expression is right for: ``"float"``, ``"int"``
    or ``"nobool"``; other dtypes run the eager kernel instead of the fused loop.
    """

    fmt: str
    only: str | None = None


@dataclass(frozen=True, eq=False)
class Elementwise:
    """One elementwise primitive of the unary or binary family, and its spellings."""

    prim: Primitive
    arity: int
    kind: str  # operand dtypes accepted: a key of KINDS
    fn: Callable | None  # the tensorlib.lax function (None: written by hand beside the entry)
    lax_name: str
    # NumPy backend (and CuPy's, which shares its kernels): ``xp.<ufunc>(*operands)``
    ufunc: str | None = None
    # a function of ``scipy.special`` (CuPy: ``cupyx.scipy.special``); NumPy, which has no
    # such module, evaluates ``math.<special>`` per element in float64 (or ``special_numpy``)
    special: str | None = None
    special_numpy: Callable | None = None
    # XLA backend: a StableHLO/CHLO op applied to the operands; ``"compare:EQ"`` for
    # comparisons (on booleans, add/multiply/maximum/minimum become or/and/or/and)
    hlo: str | None = None
    numba: Expr | None = None  # None: the operation ends a fused Numba group
    cuda: Expr | None = None  # None: the CuPy backend runs its eager kernel
    # the libm pair (float, double) behind ``tl_<name>`` in generated CUDA source
    cuda_math: tuple[str, str] | None = None
    # NumPy's SIMD loops beat a scalar libm call per element: blocked, not Numba-fused
    transcendental: bool = False


_FAMILY: dict[Primitive, Elementwise] = {}
FAMILY = types.MappingProxyType(_FAMILY)  # Primitive -> Elementwise, read-only


def lax_functions() -> dict[str, Callable]:
    """The ``tensorlib.lax`` functions the table generates, by name."""
    return {op.lax_name: op.fn for op in _FAMILY.values() if op.fn is not None}


# --------------------------------------------------------------------------------------------
# dtype kinds


KINDS = {
    "float": dtypes.is_float,
    "inexact": dtypes.is_inexact,
    "int": dtypes.is_integer,
    "intbool": lambda d: dtypes.is_integer(d) or dtypes.is_bool(d),
    "num": lambda d: not dtypes.is_bool(d),
    "any": lambda d: True,
}
_KIND_TEXT = {
    "float": "a floating-point", "inexact": "a floating-point or complex",
    "int": "an integer", "intbool": "an integer or boolean", "num": "a numeric (non-boolean)",
}


def check_kind(name, kind, aval, pos=0):
    if not KINDS[kind](aval.dtype):
        raise DTypeError(
            f"{name}: argument {pos} has {aval.str_short()} but {name} needs "
            f"{_KIND_TEXT[kind]} dtype; convert it first, e.g. x.astype(tensorlib.numpy.float32)"
        )


def real_dtype(dt):
    """The real dtype of a complex one (abs, real, imag); other dtypes unchanged."""
    if dtypes.is_complex(dt):
        return dtypes.float32 if dt == dtypes.complex64 else dtypes.float64
    return dt


# --------------------------------------------------------------------------------------------
# constants used by rules


def full(shape, value, dtype, weak=False) -> Array:
    """A constant array (not traced: constants are concrete under every transformation)."""
    return Array(current_backend().full(tuple(shape), value, np.dtype(dtype)), weak)


def _backend_like(x):
    """The backend of ``x`` when it is concrete (rules' constants live beside their operand)."""
    return x.backend if type(x) is Array else current_backend()


def full_like(x, value, dtype=None) -> Array:
    """A constant shaped like ``x``; weakly typed when ``x`` is and no dtype is given (JAX)."""
    be = _backend_like(x)
    if dtype is None:
        return Array(be.full(tuple(x.shape), value, x.dtype), x.weak_type)
    return Array(be.full(tuple(x.shape), value, np.dtype(dtype)), False)


def zeros_like(x) -> Array:
    return Array(_backend_like(x).full(tuple(x.shape), 0, x.dtype), x.weak_type)


def lift_scalar(x, like):
    """Python scalars become arrays of ``like``'s dtype and shape (lax-level weak typing)."""
    if isinstance(x, Array):
        return x
    return full(like.shape, x, like.dtype, weak=False)


# --------------------------------------------------------------------------------------------
# building an entry: the primitive, its rules, its lax function


def _batch_rule(prim):
    """vmap of an entry: the shape module's elementwise rule (batch axes lined up), fetched
    when it first runs (ops.shape is built on this module)."""
    rule = []

    def batch(info, vals, bdims, **params):
        if not rule:
            from tensorlib._src.ops.shape import elementwise_batch_rule

            rule.append(elementwise_batch_rule(prim))
        return rule[0](info, vals, bdims, **params)

    batch.__name__ = f"_{prim.name}_batch"
    return batch


def _doc(summary, example, note=""):
    return f"{summary}\n{note}\nExamples\n--------\n{example.strip()}\n"


def unary(name, kind, *, doc, example, lax_name=None, out_dtype=None, weak=WEAK_ALL_INPUTS,
          function=True, **spellings):
    """Declare a unary elementwise primitive: its shape and batching rules, its table entry
    and its lax function; returns the primitive and the function. (The derivative comes
    with the entry too: ``elementwise.unary`` wraps this.)

    ``out_dtype`` is a dtype or a function of the operand's. ``function=False`` when the
    lax function takes parameters and is written by hand.
    """
    prim = Primitive(name, weak=weak)

    @def_shape(prim)
    def _shape(x, **params):
        check_kind(name, kind, x)
        if out_dtype is None:
            return x
        dt = out_dtype(x.dtype) if callable(out_dtype) else out_dtype
        return AbstractArray(x.shape, dt, x.weak_type)

    fn = None
    if function:
        def fn(x):
            return prim.bind(x)

        fn.__name__ = fn.__qualname__ = lax_name or name
        fn.__doc__ = _doc(doc, example)
    _FAMILY[prim] = Elementwise(prim, 1, kind, fn, lax_name or name, **spellings)
    def_batch(prim)(_batch_rule(prim))
    return prim, fn


def binary(name, kind, *, doc, example, lax_name=None, out_dtype=None, **spellings):
    """Declare a binary elementwise primitive (operands of one shape and dtype), as
    :func:`unary`; returns it and its lax function."""
    prim = Primitive(name, weak=WEAK_ALL_INPUTS)  # comparisons of weak values are weak bools

    @def_shape(prim)
    def _shape(x, y):
        if x.shape != y.shape:
            raise ShapeError(
                f"{name}: argument 1 has {y.str_short()} but argument 0 has {x.str_short()}; "
                f"primitives do not broadcast, use tensorlib.numpy functions instead"
            )
        if x.dtype != y.dtype:
            raise DTypeError(
                f"{name}: argument 1 has {y.str_short()} but argument 0 has {x.str_short()}; "
                "primitives do not promote, convert one with .astype() or use "
                "tensorlib.numpy functions"
            )
        check_kind(name, kind, x)
        return AbstractArray(x.shape, out_dtype or x.dtype, x.weak_type and y.weak_type)

    def fn(x, y):
        if not isinstance(x, Array):
            if not isinstance(y, Array):  # two Python scalars: weakly typed, as in JAX
                x = full((), x, dtypes.scalar_dtype(x), weak=True)
                y = full((), y, dtypes.scalar_dtype(y), weak=True)
            else:
                x = lift_scalar(x, y)
        elif not isinstance(y, Array):
            y = lift_scalar(y, x)
        if x.dtype != y.dtype:  # checked here: the eager fast path skips the shape rule
            _shape(get_aval(x), get_aval(y))  # raises the rule's DTypeError
        return prim.bind(x, y)

    fn.__name__ = fn.__qualname__ = lax_name or name
    fn.__doc__ = _doc(doc, example, "\nBoth operands need one shape and dtype (a Python scalar "
                      "takes the other operand's):\nprimitives neither broadcast nor promote; "
                      "``tensorlib.numpy`` functions do.\n")
    _FAMILY[prim] = Elementwise(prim, 2, kind, fn, lax_name or name, **spellings)
    def_batch(prim)(_batch_rule(prim))
    return prim, fn


def derivative_rules(prim, arith, deriv, zero_deriv, linear, nondiff):
    """JVP and VJP of a unary entry, written with ``arith = (mul, add)``: from ``deriv(x, y,
    **params) = dy/dx``, or zero (``zero_deriv``), or linear, or none (``nondiff``)."""
    mul, _ = arith
    if nondiff:
        def_nondiff(prim)
    elif deriv is not None:
        @def_jvp(prim)
        def _jvp(primals, tangents, **params):
            (x,), (t,) = primals, tangents
            out = prim.bind(x, **params)
            return out, None if t is None else mul(t, deriv(x, out, **params))

        @def_vjp(prim)
        def _vjp(ct, out, x, **params):
            return (mul(ct, deriv(x, out, **params)),)
    elif zero_deriv:  # derivative zero almost everywhere (floor, sign, ...)
        @def_jvp(prim)
        def _zero_jvp(primals, tangents, **params):
            return prim.bind(*primals, **params), None

        @def_vjp(prim)
        def _zero_vjp(ct, out, *args, **params):
            return (None,) * len(args)
    elif linear:
        @def_jvp(prim)
        def _linear_jvp(primals, tangents, **params):
            out = prim.bind(*primals, **params)
            return out, None if tangents[0] is None else prim.bind(tangents[0], **params)

        @def_vjp(prim, linear=True)
        def _linear_vjp(ct, out, x, **params):
            return (prim.bind(ct, **params),)


def binary_derivative_rules(prim, arith, dx, dy):
    """JVP and VJP of ``z = f(x, y)`` from the partials ``dx(x, y, z)``, ``dy(x, y, z)``."""
    mul, add = arith

    @def_jvp(prim)
    def _jvp(primals, tangents):
        x, y = primals
        tx, ty = tangents
        out = prim.bind(x, y)
        t = None if tx is None else mul(tx, dx(x, y, out))
        if ty is not None:
            t2 = mul(ty, dy(x, y, out))
            t = t2 if t is None else add(t, t2)
        return out, t

    @def_vjp(prim)
    def _vjp(ct, out, x, y):
        return mul(ct, dx(x, y, out)), mul(ct, dy(x, y, out))
