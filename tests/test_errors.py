"""Every user-facing error path names the operation and the values involved, with a hint."""

from __future__ import annotations

import re

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.numpy as tnp
from tensorlib.errors import (
    ConfigError,
    ControlFlowError,
    DTypeError,
    NonDifferentiableError,
    ShapeError,
    TensorlibError,
)


def _setitem(x):
    x[0] = 1


def _tnp_ones(*shape, dtype=None):
    return tnp.ones(shape, dtype)


# (id, function, exception class, regex the message must match)
_CASES = [
    ("broadcast-add", lambda: tnp.add(_tnp_ones(3), _tnp_ones(4)), ShapeError,
     r"add: shapes \(3,\) and \(4,\) cannot be broadcast"),
    ("broadcast-operator", lambda: _tnp_ones(2, 3) * _tnp_ones(2, 4), ShapeError,
     r"multiply: shapes \(2, 3\) and \(2, 4\)"),
    ("broadcast_to", lambda: tnp.broadcast_to(_tnp_ones(3), (2, 4)), ShapeError,
     r"broadcast_to: .*\(3,\).*\(2, 4\)"),
    ("matmul-contracting", lambda: _tnp_ones(2, 3) @ _tnp_ones(4, 2), ShapeError,
     r"matmul: contracting dimensions differ: f32\[2,3\] @ f32\[4,2\] \(3 != 4\)"),
    ("matmul-scalar", lambda: tnp.matmul(tnp.asarray(1.0), _tnp_ones(2)), ShapeError,
     r"matmul: operands must be at least 1-d"),
    ("tensordot-mismatch", lambda: tnp.tensordot(_tnp_ones(2, 3), _tnp_ones(4, 5), 1),
     ShapeError, r"tensordot: shape mismatch f32\[2,3\] axis 1 vs f32\[4,5\] axis 0"),
    ("einsum-sizes", lambda: tnp.einsum("ij,jk", _tnp_ones(2, 3), _tnp_ones(4, 5)), ShapeError,
     r"einsum: index 'j' has size 3 in one operand and 4"),
    ("reshape-size", lambda: tnp.reshape(_tnp_ones(6), (4, 2)), ShapeError,
     r"reshape: cannot reshape f32\[6\] \(6 elements\) into shape \(4, 2\)"),
    ("reshape-method", lambda: _tnp_ones(6).reshape(4, -1), ShapeError,
     r"reshape: cannot reshape f32\[6\] into shape \(4, -1\)"),
    ("reshape-two-unknown", lambda: _tnp_ones(6).reshape(-1, -1), ShapeError,
     r"reshape: can only specify one unknown dimension"),
    ("transpose-axes", lambda: tnp.transpose(_tnp_ones(2, 3), (0, 0)), ShapeError,
     r"transpose: axes \(0, 0\) are not a permutation of the axes of f32\[2,3\]"),
    ("concatenate-shapes", lambda: tnp.concatenate([_tnp_ones(2, 3), _tnp_ones(2, 4)]),
     ShapeError, r"concatenate: array 1 has shape \(2, 4\) but array 0 has \(2, 3\)"),
    ("concatenate-ndim", lambda: tnp.concatenate([_tnp_ones(2, 3), _tnp_ones(3)]), ShapeError,
     r"concatenate: array 1 has 1 dims \(shape \(\d+,\)\) but array 0 has 2 \(shape "
     r"\(\d+, \d+\)\)"),
    ("stack-shapes", lambda: tnp.stack([_tnp_ones(3), _tnp_ones(4)]), ShapeError,
     r"stack: array 1 has shape \(4,\) but array 0 has \(3,\)"),
    ("squeeze-non-1", lambda: tnp.squeeze(_tnp_ones(2, 3), 0), ShapeError,
     r"squeeze: cannot squeeze axis 0 of f32\[2,3\] \(size 2, not 1\)"),
    ("axis-out-of-bounds", lambda: tnp.sum(_tnp_ones(2, 3), axis=2), ShapeError,
     r"sum: axis 2 is out of bounds for an array of dimension 2"),
    ("moveaxis-out-of-bounds", lambda: tnp.moveaxis(_tnp_ones(2, 3), 0, 5), ShapeError,
     r"moveaxis: axis 5 is out of bounds"),
    ("max-empty", lambda: tnp.max(_tnp_ones(0, 3)), ShapeError,
     r"max: zero-size axis in f32\[0,3\] with no identity; pass initial="),
    ("argmax-empty", lambda: tnp.argmax(_tnp_ones(0)), ShapeError,
     r"argmax: attempt to get argmax of an empty sequence"),
    ("split-unequal", lambda: tnp.split(_tnp_ones(5), 2), ShapeError,
     r"split: array split does not result in an equal division \(5 into 2 sections\)"),
    ("at-set-shape", lambda: _tnp_ones(3).at[tnp.asarray([0, 1])].set(_tnp_ones(3)),
     ShapeError, r"at\[\]\.set: values f32\[3\] cannot be broadcast to the indexed shape"),
    ("grad-int-input", lambda: tl.grad(lambda x: x * 2)(tnp.asarray(3)),
     NonDifferentiableError, r"grad requires real- or complex-valued inputs.*int32"),
    ("grad-non-scalar", lambda: tl.grad(lambda x: x * 2)(_tnp_ones(3)), ShapeError,
     r"grad requires a scalar output, but the function returned f32\[3\]"),
    ("grad-int-output", lambda: tl.grad(lambda x: (x > 0).astype(tnp.int32).sum())(
        tnp.asarray(1.0)), NonDifferentiableError, r"real floating-point output.*i32\[\]"),
    ("vjp-cotangent-shape", lambda: tl.vjp(lambda x: x * 2, _tnp_ones(3))[1](_tnp_ones(4)),
     ShapeError, r"vjp: cotangent f32\[4\] does not match the output f32\[3\]"),
    ("jvp-tangent-shape", lambda: tl.jvp(lambda x: x * 2, (_tnp_ones(3),), (_tnp_ones(4),)),
     ShapeError, r"jvp: tangent f32\[4\] does not match primal f32\[3\]"),
    ("too-many-indices", lambda: _tnp_ones(2, 3)[0, 1, 2], IndexError,
     r"too many indices for array: array is 2-dimensional, but 3 were indexed"),
    ("index-too-large", lambda: _tnp_ones(2, 3)[2**40], OverflowError,
     r"indexing: Python int 1099511627776 too large to convert to int32 \(axis 0 has size 2\)"),
    ("index-float", lambda: _tnp_ones(3)[tnp.asarray([0.5])], IndexError,
     r"indices must be integers or booleans, got f32\[1\]"),
    ("two-ellipses", lambda: _tnp_ones(3)[..., ...], IndexError,
     r"an index can only have a single ellipsis"),
    ("vmap-float-in-axes", lambda: tl.vmap(lambda x: x, in_axes=0.5)(_tnp_ones(3)), TypeError,
     r"vmap: in_axes must be an int, None, or a tuple/list/dict of those matching the "
     r"arguments; got 0.5 \(float\)"),
    ("vmap-float-in-axes-entry", lambda: tl.vmap(lambda x: x, in_axes=(0.5,))(_tnp_ones(3)),
     TypeError, r"vmap: in_axes entries must be ints or None, got 0.5 \(float\)"),
    ("vmap-0d", lambda: tl.vmap(lambda x: x)(tnp.asarray(1.0)), ShapeError,
     r"vmap: in_axes=0 maps axis 0 of an argument that is 0-d \(a scalar\); a mapped "
     r"argument needs at least one axis. Pass in_axes=None"),
    ("grad-has-aux-not-a-pair", lambda: tl.grad(lambda x: (x * x).sum(), has_aux=True)(
        _tnp_ones(2)), TypeError, r"grad: with has_aux=True the function must return a pair "
     r"\(output, aux\), but it returned f32\[\]; return \(out, aux\), or drop has_aux"),
    ("vjp-has-aux-triple", lambda: tl.vjp(lambda x: (x, x, x), _tnp_ones(2), has_aux=True),
     TypeError, r"vjp: with has_aux=True the function must return a pair \(output, aux\), "
     r"but it returned a tuple of length 3"),
    ("grad-of-none", lambda: tl.grad(lambda x: None)(1.0), TypeError,
     r"grad requires a scalar output, but the function returned None"),
    ("eye-negative", lambda: tnp.eye(-1), ValueError,
     r"eye: negative dimensions are not allowed, got N=-1, M=-1"),
    ("dynamic-slice-too-big", lambda: tl.lax.dynamic_slice(_tnp_ones(3), (0,), (5,)),
     ShapeError, r"dynamic_slice: slice_sizes \(5,\) do not fit f32\[3\]"),
    ("switch-branch-shapes", lambda: tl.lax.switch(0, [lambda x: x, lambda x: x[:1]],
                                                   _tnp_ones(2)), ControlFlowError,
     r"switch: branch outputs differ at output: branch 0 gives f32\[2\] but branch 1 gives "
     r"f32\[1\]"),
    ("bool-multi-element", lambda: bool(_tnp_ones(3)), ValueError,
     r"truth value of an array with 3 elements is ambiguous"),
    ("setitem", lambda: _setitem(_tnp_ones(3)), TypeError,
     r"immutable; instead of x\[idx\] = y use x = x\.at\[idx\]\.set\(y\)"),
    ("lax-dtype-mix", lambda: tl.lax.add(_tnp_ones(3), _tnp_ones(3, dtype=tnp.int32)),
     DTypeError, r"add: argument 1 has i32\[3\] but argument 0 has f32\[3\]; primitives do "
     r"not promote"),
    ("lax-kind", lambda: tl.lax.sin(_tnp_ones(3, dtype=tnp.int32)), DTypeError,
     r"sin: argument 0 has i32\[3\] but sin needs a floating-point or complex dtype"),
    ("astype-string", lambda: _tnp_ones(3).astype("S3"), DTypeError,
     r"convert_element_type: cannot convert f32\[3\] to \|S3"),
    ("asarray-strings", lambda: tnp.asarray(["a"]), TypeError,
     r"asarray: string arrays are not supported"),
    ("int-overflow", lambda: tnp.asarray(2**40), OverflowError,
     r"Python int 1099511627776 is too large for int32"),
    ("where-one-branch", lambda: tnp.where(_tnp_ones(3) > 0, 1.0), ValueError,
     r"where: give both x and y, or neither"),
    ("config-unknown-option", lambda: tl.config.update("nope", 1), ConfigError,
     r"config\.update: unknown option 'nope'"),
]


@pytest.mark.parametrize("fn,exc,match", [c[1:] for c in _CASES], ids=[c[0] for c in _CASES])
def test_error_message(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()


def test_errors_subclass_builtins():
    """``except ValueError`` (or TypeError) still catches tensorlib's errors."""
    assert issubclass(ShapeError, ValueError) and issubclass(ShapeError, TensorlibError)
    assert issubclass(DTypeError, TypeError) and issubclass(NonDifferentiableError, TypeError)
    assert issubclass(ConfigError, ValueError)


def test_lax_shape_mismatch():
    """Primitives do not broadcast: the message says so and points to tensorlib.numpy."""
    with pytest.raises(ShapeError, match=r"add: argument 1 has f32\[4\] but argument 0 has "
                                         r"f32\[3\]; primitives do not broadcast"):
        tl.lax.add(_tnp_ones(3), _tnp_ones(4))


@pytest.fixture
def restore_backend():
    prev = tl.config.backend
    try:
        yield prev
    finally:
        tl.config.backend = prev  # undo a half-applied update, then re-apply properly
        tl.config.update("backend", prev)


def test_unknown_backend(restore_backend):
    with pytest.raises(ConfigError, match=r"unknown backend 'nope'; known backends are .*numpy"):
        tl.config.update("backend", "nope")


def test_unknown_backend_leaves_config_unchanged(restore_backend):
    with pytest.raises(ConfigError):
        tl.config.update("backend", "nope")
    assert tl.config.backend == restore_backend
    assert np.asarray(tnp.add(_tnp_ones(2), 1)).tolist() == [2.0, 2.0]


def test_messages_use_short_avals():
    """Shapes and dtypes appear in the short form ``f32[3,4]`` (STYLE.md, Errors)."""
    with pytest.raises(ShapeError) as info:
        tnp.reshape(_tnp_ones(3, 4), (5,))
    assert re.search(r"f32\[3,4\]", str(info.value))


# --------------------------------------------------------------------------------------------
# arguments checked before anything runs (the messages JAX gives, or clearer)


def test_integer_pow_needs_an_int_exponent():
    with pytest.raises(TypeError, match=r"lax.integer_pow: the exponent must be a Python int, "
                                        r"got 2.5 \(float\); for a non-integer exponent use "
                                        r"lax.pow"):
        tl.lax.integer_pow(tnp.ones(2), 2.5)
    np.testing.assert_allclose(tl.lax.integer_pow(tnp.ones(2) * 3, np.int64(2)), [9, 9])


def test_at_modes_are_checked():
    with pytest.raises(ValueError, match=r"x.at\[...\].set: unknown mode 'bogus'; the modes are "
                                         r"'promise_in_bounds', 'clip', 'drop' and 'fill'"):
        tnp.zeros(3).at[1].set(1.0, mode="bogus")
    with pytest.raises(ValueError, match=r"x.at\[...\].get: unknown mode 'wrap'"):
        tnp.zeros(3).at[1].get(mode="wrap")
    np.testing.assert_allclose(tnp.zeros(3).at[1].add(2.0, mode="clip"), [0, 2, 0])


def test_fori_loop_bounds_must_be_integers():
    with pytest.raises(TypeError, match=r"fori_loop: upper=2.5 must be an integer \(a Python int "
                                        r"or an integer array\), got float"):
        tl.lax.fori_loop(0, 2.5, lambda i, c: c + 1, 0)
    with pytest.raises(TypeError, match="fori_loop: lower=.* must be an integer"):
        tl.lax.fori_loop(tnp.float32(0.0), 3, lambda i, c: c + 1, 0)
    assert int(tl.lax.fori_loop(0, tnp.int32(3), lambda i, c: c + 1, 0)) == 3


@pytest.mark.parametrize("kwargs,message", [
    ({"static_argnums": 2}, r"jit: static_argnums=\(2,\) names positional argument\(s\) \[2\], "
                            r"but the function takes 2 positional argument\(s\) \('a', 'b'\)"),
    ({"static_argnums": -3}, r"static_argnums=\(-3,\) names positional argument\(s\) \[-3\]"),
    ({"static_argnames": "c"}, r"jit: static_argnames names \['c'\], which the function does "
                               r"not take; its parameters are \['a', 'b'\]"),
])
def test_jit_static_arguments_are_checked_against_the_signature(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tl.jit(lambda a, b: a + b, **kwargs)
    assert float(tl.jit(lambda a, b: a + b, static_argnums=-1)(1.0, 2.0)) == 3.0
    assert float(tl.jit(lambda *a: a[0] + a[1], static_argnums=3)(1.0, 2.0)) == 3.0


def test_grad_argnums_are_checked():
    with pytest.raises(ValueError, match=r"grad: argnums=\(0, 0\) names an argument twice"):
        tl.grad(lambda x: x * x, argnums=(0, 0))(1.0)
    with pytest.raises(TypeError, match=r"grad: argnums must be an int or a tuple of ints, got "
                                        r"0.5"):
        tl.grad(lambda x: x * x, argnums=0.5)(1.0)


@pytest.mark.parametrize("make", [
    lambda: tnp.zeros((10**6, 10**6)).sum(),
    lambda: tnp.broadcast_to(tnp.ones(1), (10**7, 10**7)),
    lambda: tl.jit(lambda x: tnp.broadcast_to(x, (10**7, 10**7)).sum())(tnp.ones(1)),
], ids=["zeros-then-sum", "broadcast", "jit-broadcast"])
def test_a_result_larger_than_memory_is_refused_before_allocating(make):
    from tensorlib.errors import OutOfMemoryError

    with pytest.raises(OutOfMemoryError, match=r"a result of shape \(\d+, \d+\) and dtype "
                                                r"float32 needs [\d,]+ bytes, more than this "
                                                r"machine's [\d,]+ bytes of memory \(at .*"
                                                r"test_errors.py:\d+\)"):
        make()
    with pytest.raises(MemoryError):  # a MemoryError, for code that catches those
        make()
