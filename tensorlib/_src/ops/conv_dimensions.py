"""Convolution dimension numbers and padding helpers, as in ``jax.lax`` (shared with stax).

Layouts named by dimension numbers, ``"SAME"``/``"VALID"`` padding, dilated and strided
extents, and argument normalisation for the convolution and windowed-reduction functions.
"""

from __future__ import annotations

import operator
from typing import NamedTuple

from tensorlib._src.core import (
    Array,
    asarray,
)
from tensorlib.errors import ShapeError

# --------------------------------------------------------------------------------------------
# dimension numbers and padding helpers (shared with stax)


class ConvDimensionNumbers(NamedTuple):
    """Batch, feature and spatial axes of a convolution's operands and output.

    ``lhs_spec`` is ``(batch, feature, spatial...)``, ``rhs_spec`` is
    ``(out feature, in feature, spatial...)`` and ``out_spec`` is ``(batch, feature,
    spatial...)``, each a tuple of axis numbers.
    """

    lhs_spec: tuple
    rhs_spec: tuple
    out_spec: tuple


def _spec_error(msg):
    return ShapeError(f"conv_general_dilated: {msg}")


def conv_general_permutations(dimension_numbers):
    """Axis permutations of the string form ``('NCHW', 'OIHW', 'NCHW')`` (spatial order: rhs)."""
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    charpairs = (("N", "C"), ("O", "I"), ("N", "C"))
    for i, (a, b) in enumerate(charpairs):
        spec = dimension_numbers[i]
        if not spec.count(a) == spec.count(b) == 1:
            raise _spec_error(f"dimension_numbers[{i}] = {spec!r} must contain {a!r} and {b!r} "
                              "exactly once")
        if len(spec) != len(set(spec)):
            raise _spec_error(f"dimension_numbers[{i}] = {spec!r} repeats a character")
    if not set(lhs_spec) - {"N", "C"} == set(rhs_spec) - {"O", "I"} == set(out_spec) - {"N", "C"}:
        raise _spec_error(f"dimension_numbers {tuple(dimension_numbers)} must name the same "
                          "spatial characters in all three specs")

    def perm(spec, pair):
        spatial = [i for i, c in enumerate(spec) if c not in pair]
        if spec is not rhs_spec:
            spatial = sorted(spatial, key=lambda i: rhs_spec.index(spec[i]))
        return (spec.index(pair[0]), spec.index(pair[1])) + tuple(spatial)

    return tuple(perm(s, p) for s, p in zip(dimension_numbers, charpairs, strict=True))


def conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers) -> ConvDimensionNumbers:
    """``dimension_numbers`` (None, strings or ConvDimensionNumbers) as ConvDimensionNumbers."""
    nd = len(lhs_shape)
    if len(rhs_shape) != nd:
        raise _spec_error(f"lhs and rhs need the same number of dimensions, got shapes "
                          f"{tuple(lhs_shape)} and {tuple(rhs_shape)}")
    if dimension_numbers is None:
        iota = tuple(range(nd))
        return ConvDimensionNumbers(iota, iota, iota)
    if isinstance(dimension_numbers, ConvDimensionNumbers):
        specs = tuple(tuple(int(d) for d in s) for s in dimension_numbers)
    elif isinstance(dimension_numbers, (list, tuple)) and len(dimension_numbers) == 3:
        if all(isinstance(s, str) for s in dimension_numbers):
            for i, s in enumerate(dimension_numbers):
                if len(s) != nd:
                    raise _spec_error(f"dimension_numbers[{i}] = {s!r} has {len(s)} characters "
                                      f"but the operands have {nd} dimensions")
            specs = conv_general_permutations(tuple(dimension_numbers))
        else:
            specs = tuple(tuple(int(d) for d in s) for s in dimension_numbers)
    else:
        raise _spec_error(f"dimension_numbers must be None, a ConvDimensionNumbers or three "
                          f"layout strings such as ('NCHW', 'OIHW', 'NCHW'); got "
                          f"{dimension_numbers!r}")
    for i, s in enumerate(specs):
        if sorted(s) != list(range(nd)):
            raise _spec_error(f"dimension_numbers[{i}] = {s} is not a permutation of the "
                              f"{nd} axes")
    return ConvDimensionNumbers(*specs)


def _dilate_shape(shape, dilation):
    return tuple(0 if d == 0 else 1 + r * (d - 1) for d, r in zip(shape, dilation, strict=True))


def _stride_dim(d, window, stride):
    return max(0, (d - window) // stride + 1)


def padtype_to_pads(in_shape, window_shape, window_strides, padding):
    """``'SAME'``, ``'SAME_LOWER'`` or ``'VALID'`` as explicit ``(low, high)`` pairs."""
    kind = padding.upper() if isinstance(padding, str) else padding
    if kind == "VALID":
        return [(0, 0)] * len(in_shape)
    if kind in ("SAME", "SAME_LOWER"):
        pads = []
        for n, w, s in zip(in_shape, window_shape, window_strides, strict=True):
            total = max((-(-n // s) - 1) * s + w - n, 0)
            small, big = total // 2, total - total // 2
            pads.append((small, big) if kind == "SAME" else (big, small))
        return pads
    raise ShapeError(f"padding must be 'SAME', 'SAME_LOWER', 'VALID' or a sequence of (low, high) "
                     f"pairs, got {padding!r}")


def _int_tuple(op, name, value, n):
    try:
        t = tuple(operator.index(v) for v in value)
    except TypeError as e:
        raise ShapeError(f"{op}: {name} must be a sequence of {n} integers, got {value!r}") from e
    if len(t) != n:
        per = "axis" if op == "reduce_window" else "spatial dimension"
        raise ShapeError(f"{op}: {name} needs {n} entries (one per {per}), got {value!r}")
    return t


def _pairs(op, padding, n):
    try:
        pads = tuple((operator.index(lo), operator.index(hi)) for lo, hi in padding)
    except (TypeError, ValueError) as e:
        raise ShapeError(f"{op}: padding must be a string or a sequence of (low, high) integer "
                         f"pairs, got {padding!r}") from e
    if len(pads) != n:
        raise ShapeError(f"{op}: padding needs {n} (low, high) pairs, got {padding!r}")
    return pads


def _as_array(x):
    return x if isinstance(x, Array) else asarray(x)


