"""The ``jax.numpy`` functions added in ``tensorlib/_src/numpy/extras*.py`` agree with JAX.

One record table: each record is a function of a namespace ``xp`` (``tnp`` or ``jnp``) and of
NumPy inputs, run on both and compared leaf by leaf (shape, dtype and weak type before
values). Records flag what JAX allows: ``jit`` (the output shape depends only on static
arguments), ``grad`` (the positions of float inputs to differentiate, ``tl.grad`` against
``jax.grad``) and ``vmap`` (batched over the first input's leading axis, against a loop and
``jax.vmap``). Then a table of bad inputs: each must raise the given class with a message
naming the function and what is wrong.
"""

from __future__ import annotations

import doctest
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.numpy as tnp
from tensorlib.errors import ConcretizationTypeError

jax = pytest.importorskip("jax")
jnp = jax.numpy

XLA = tl.default_backend() == "xla"


class Rec(NamedTuple):
    id: str
    fn: Callable              # fn(xp, *arrays)
    args: tuple               # NumPy arrays (or Python scalars, passed as they are)
    jit: bool = True          # JAX can jit it: output shape independent of the values
    grad: tuple = ()          # argument positions to differentiate
    vmap: bool = False        # batch over the leading axis of the first argument
    rtol: float = 1e-6


_rng = np.random.default_rng(0)
F = _rng.normal(size=(3, 4)).astype(np.float32)
V = (_rng.normal(size=7) * 3).astype(np.float32)
SPECIAL = np.array([0.0, -0.0, 1.0, -3.5, 7.9, 8.0, 8.1, 20.0, -80.0, np.inf, -np.inf,
                    np.nan, 1e38], np.float32)
INTS = np.array([12, 0, -4, 0, 7, -21, 36], np.int32)
INTS2 = np.array([18, 5, 6, 0, -21, 14, -48], np.int32)
EMPTY_F = np.zeros((0,), np.float32)
EMPTY_I = np.zeros((0,), np.int32)
PHASE = np.array([0.0, 3.0, 6.5, 1.0, -4.0, 2.0, 9.5], np.float32)
BITS = _rng.integers(0, 2, size=(3, 10, 4)).astype(np.int32)
BYTES = _rng.integers(0, 256, size=(3, 2, 4)).astype(np.uint8)
SA = np.array([5, 1, 3, 3, 7, 1], np.int32)
SB = np.array([3, 4, 5], np.int32)
SF = np.array([1.0, np.nan, 2.0, np.nan, 2.0], np.float32)
M6 = np.arange(6, dtype=np.int32).reshape(2, 3)
MF = np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5
PX = np.array([0.0, 1.0, 2.0, 3.0, 4.0], np.float32)
PY = np.array([1.0, 3.0, 5.5, 7.0, 9.0], np.float32)
CPLX = np.array([1 + 2j, 1 - 1j, 0 + 5j, -2 + 0j], np.complex64)


def _windows():
    recs = []
    for name in ("bartlett", "blackman", "hamming", "hanning"):
        for m in (0, 1, 2, 5, 12):
            recs.append(Rec(f"{name}-{m}", lambda xp, name=name, m=m: getattr(xp, name)(m), (),
                            rtol=2e-6))
    recs += [Rec(f"kaiser-{m}-{b}", lambda xp, b, m=m: xp.kaiser(m, b), (b,), rtol=2e-6,
                 grad=(0,) if m > 1 else ())
             for m in (0, 1, 6) for b in (np.float32(3.0), np.float32(14.0))]
    return recs


def _setops():
    recs = []
    pairs = {"int": (SA, SB), "swap": (SB, SA), "empty2": (SA, EMPTY_I), "empty1": (EMPTY_I, SB),
             "same": (SA, SA), "nan": (SF, np.array([2.0, np.nan], np.float32)),
             "2d-mixed": (SA.reshape(2, 3), SB.astype(np.float32))}
    for op in ("setdiff1d", "union1d", "intersect1d", "setxor1d"):
        for key, (a, b) in pairs.items():
            recs.append(Rec(f"{op}-{key}", lambda xp, a, b, op=op: getattr(xp, op)(a, b),
                            (a, b), jit=False))
            for size in (2, 9):
                for fill in (None, -1):
                    recs.append(Rec(
                        f"{op}-{key}-size{size}-fill{fill}",
                        lambda xp, a, b, op=op, s=size, f=fill: getattr(xp, op)(
                            a, b, size=s, fill_value=f), (a, b), vmap=key == "2d-mixed"))
    uniq = (np.array([5.0, 1.0, 3.0, 7.0], np.float32), np.array([3.0, 4.0, 5.0], np.float32))
    for op in ("setdiff1d", "intersect1d", "setxor1d"):
        recs.append(Rec(f"{op}-assume-unique", lambda xp, a, b, op=op: getattr(xp, op)(
            a, b, assume_unique=True), uniq, jit=False))
        recs.append(Rec(f"{op}-assume-unique-size", lambda xp, a, b, op=op: getattr(xp, op)(
            a, b, assume_unique=True, size=5), uniq, grad=(0, 1)))
    recs += [
        Rec("intersect1d-indices", lambda xp, a, b: xp.intersect1d(a, b, return_indices=True),
            (SA, SB), jit=False),
        Rec("intersect1d-indices-size", lambda xp, a, b: xp.intersect1d(
            a, b, return_indices=True, size=4), (SA, SB)),
        Rec("intersect1d-indices-fill", lambda xp, a, b: xp.intersect1d(
            a, b, return_indices=True, size=4, fill_value=-9), (SB, SA)),
        Rec("intersect1d-indices-unique", lambda xp, a, b: xp.intersect1d(
            a, b, assume_unique=True, return_indices=True), uniq, jit=False),
        Rec("setdiff1d-scalars-weak", lambda xp: xp.setdiff1d(3, 4), (), jit=False),
        Rec("union1d-scalars-weak", lambda xp: xp.union1d(3, 4), (), jit=False),
        Rec("setdiff1d-grad", lambda xp, a: xp.setdiff1d(a, np.float32(2.0), size=6), (V,),
            grad=(0,)),
        Rec("union1d-grad", lambda xp, a: xp.union1d(a, V[:2], size=9, fill_value=0.0),
            (V,), grad=(0,)),
        Rec("intersect1d-grad", lambda xp, a, b: xp.intersect1d(a, b, size=3), (V, V[::2]),
            grad=(0, 1)),
        Rec("setxor1d-grad", lambda xp, a, b: xp.setxor1d(a, b, size=8), (V, V[::2] + 1),
            grad=(0, 1)),
    ]
    return recs


RECORDS = [
    # elementwise
    Rec("fabs", lambda xp, x: xp.fabs(x), (SPECIAL,), grad=(0,), vmap=True),
    Rec("fabs-grad-zero", lambda xp, x: xp.fabs(x), (np.array([0.0, -2.0, 3.0], np.float32),),
        grad=(0,)),
    Rec("fabs-int", lambda xp, x: xp.fabs(x), (INTS,)),
    Rec("fabs-bool", lambda xp, x: xp.fabs(x), (INTS > 0,)),
    Rec("fabs-scalar-weak", lambda xp: xp.fabs(-1.5), ()),
    Rec("fabs-empty-2d", lambda xp, x: xp.fabs(x), (np.zeros((0, 3), np.float32),)),
    Rec("spacing", lambda xp, x: xp.spacing(x), (SPECIAL,), vmap=True),
    Rec("spacing-int", lambda xp, x: xp.spacing(x), (INTS,)),
    Rec("spacing-scalar", lambda xp: xp.spacing(1.0), ()),
    Rec("spacing-f16", lambda xp, x: xp.spacing(x), (np.array([1.0, -2.0, 0.5], np.float16),)),
    Rec("frexp", lambda xp, x: xp.frexp(x), (SPECIAL,), grad=(0,), vmap=True),
    Rec("frexp-2d", lambda xp, x: xp.frexp(x), (F,), grad=(0,)),
    Rec("frexp-int", lambda xp, x: xp.frexp(x), (INTS,)),
    Rec("frexp-scalar", lambda xp: xp.frexp(3.0), ()),
    Rec("frexp-f16", lambda xp, x: xp.frexp(x), (np.array([1.0, -6.5, 1000.0], np.float16),)),
    Rec("i0", lambda xp, x: xp.i0(x), (SPECIAL[:9],), grad=(0,), vmap=True),
    Rec("i0-small", lambda xp, x: xp.i0(x), (np.linspace(-3, 3, 13).astype(np.float32),),
        grad=(0,)),
    Rec("i0-int", lambda xp, x: xp.i0(x), (INTS[:3],)),
    Rec("i0-scalar-weak", lambda xp: xp.i0(1.0), ()),
    Rec("i0-empty", lambda xp, x: xp.i0(x), (EMPTY_F,)),
    Rec("gcd", lambda xp, a, b: xp.gcd(a, b), (INTS, INTS2), vmap=True),
    Rec("gcd-broadcast", lambda xp, a, b: xp.gcd(a, b), (INTS[:, None], INTS2[:3])),
    Rec("gcd-uint8", lambda xp, a: xp.gcd(a, 18), (np.array([12, 0, 200], np.uint8),)),
    Rec("gcd-weak", lambda xp: xp.gcd(12, 18), (), jit=False),
    Rec("lcm", lambda xp, a, b: xp.lcm(a, b), (INTS, INTS2), vmap=True),
    Rec("lcm-weak", lambda xp: xp.lcm(4, 6), (), jit=False),
    Rec("lcm-int8", lambda xp, a: xp.lcm(a, np.int8(3)), (np.array([4, -6, 0], np.int8),)),
    *[Rec(f"bitwise_count-{dt.__name__}", lambda xp, x: xp.bitwise_count(x),
          (np.array([0, 1, 7, -1, 127, -128, 100, 255, 12345, -(2**31)]).astype(dt),),
          vmap=dt is np.int32)
      for dt in (np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32)],
    Rec("bitwise_count-bool", lambda xp, x: xp.bitwise_count(x), (INTS > 0,)),
    Rec("bitwise_count-scalar", lambda xp: xp.bitwise_count(7), ()),
    Rec("bitwise_count-empty", lambda xp, x: xp.bitwise_count(x), (EMPTY_I,)),
    Rec("sort_complex-int", lambda xp, x: xp.sort_complex(x), (INTS,)),
    Rec("sort_complex-int8", lambda xp, x: xp.sort_complex(x), (INTS.astype(np.int8),)),
    Rec("sort_complex-2d", lambda xp, x: xp.sort_complex(x), (F,), grad=(0,), vmap=True),
    Rec("sort_complex-complex", lambda xp, x: xp.sort_complex(x), (CPLX,)),
    Rec("sort_complex-empty", lambda xp, x: xp.sort_complex(x), (EMPTY_F,)),
    Rec("unwrap", lambda xp, p: xp.unwrap(p), (PHASE,), grad=(0,), vmap=True),
    Rec("unwrap-int", lambda xp, p: xp.unwrap(p), (INTS,)),
    Rec("unwrap-int-period", lambda xp, p: xp.unwrap(p, period=5), (INTS,)),
    Rec("unwrap-int-period4", lambda xp, p: xp.unwrap(p, period=4),
        (np.array([0, 2, 4, 6, 0], np.int32),)),
    Rec("unwrap-discont", lambda xp, p: xp.unwrap(p, discont=1.0), (PHASE,), grad=(0,)),
    Rec("unwrap-axis0", lambda xp, p: xp.unwrap(p, axis=0), (F * 4,), grad=(0,)),
    Rec("unwrap-axis-neg", lambda xp, p: xp.unwrap(p, axis=-2, period=3.0), (F * 4,)),
    Rec("unwrap-empty-axis", lambda xp, p: xp.unwrap(p), (np.zeros((2, 0), np.float32),)),
    Rec("unwrap-period-array", lambda xp, p, t: xp.unwrap(p, period=t),
        (PHASE, np.float32(4.0)), grad=(0, 1)),
    *[Rec(f"packbits-{ax}-{order}", lambda xp, a, ax=ax, o=order: xp.packbits(
        a, axis=ax, bitorder=o), (BITS,), vmap=ax is not None)
      for ax in (None, 0, 1, -1) for order in ("big", "little")],
    Rec("packbits-bool", lambda xp, a: xp.packbits(a), (BITS[0, 0] > 0,)),
    Rec("packbits-empty", lambda xp, a: xp.packbits(a), (EMPTY_I,)),
    *[Rec(f"unpackbits-{ax}-{order}-{count}", lambda xp, a, ax=ax, o=order, c=count:
          xp.unpackbits(a, axis=ax, count=c, bitorder=o), (BYTES,), vmap=ax not in (None, 0))
      for ax in (None, 0, -1) for order in ("big", "little") for count in (None, 11, -3)],
    Rec("unpackbits-count-pad", lambda xp, a: xp.unpackbits(a, count=13), (BYTES[0, 0, :1],)),
    *_windows(),
    # set operations
    *_setops(),
    # index tricks and editing
    Rec("r_", lambda xp, a: xp.r_[1:4, 0, a], (SA,)),
    Rec("r_-linspace", lambda xp: xp.r_[0:1:5j], ()),
    Rec("r_-promote-weak", lambda xp, a: xp.r_[a, 3.5], (SA[:2],)),
    Rec("r_-scalars-weak", lambda xp: xp.r_[1, 2], (), jit=False),
    Rec("r_-axis-directive", lambda xp, a, b: xp.r_["-1", a, b], (F[:, :2], F[:, 2:]),
        grad=(0, 1)),
    Rec("r_-ndmin", lambda xp: xp.r_["0,2", [1, 2], [3, 4]], ()),
    Rec("r_-trans1d", lambda xp: xp.r_["0,2,0", [1, 2], [3, 4]], ()),
    Rec("r_-trans1d-3d", lambda xp: xp.r_["1,3,1", [1, 2], [3, 4]], ()),
    Rec("r_-row", lambda xp: xp.r_["r", [1, 2], [3, 4]], ()),
    Rec("r_-col", lambda xp: xp.r_["c", [1, 2], [3, 4]], ()),
    Rec("c_", lambda xp, a, b: xp.c_[a, b], (SA, SA[::-1]), vmap=True),
    Rec("c_-2d", lambda xp, a, b: xp.c_[a, b], (F, F[:, :1]), grad=(0, 1)),
    Rec("c_-scalars", lambda xp: xp.c_[1, 2, 3], (), jit=False),
    Rec("c_-slices", lambda xp: xp.c_[0:3, 5:8], ()),
    Rec("mgrid", lambda xp: xp.mgrid[0:2, 0:3], ()),
    Rec("mgrid-1d", lambda xp: xp.mgrid[0:3], ()),
    Rec("mgrid-linspace", lambda xp: xp.mgrid[0:1:3j, 0:2], ()),
    Rec("mgrid-float-step", lambda xp: xp.mgrid[0:1:0.25, 0:2], ()),
    Rec("mgrid-empty", lambda xp: xp.mgrid[()], ()),
    Rec("mgrid-negative-step", lambda xp: xp.mgrid[3:0:-1, :2], ()),
    Rec("ogrid", lambda xp: xp.ogrid[0:2, 0:3], ()),
    Rec("ogrid-1d", lambda xp: xp.ogrid[1:4:2], ()),
    Rec("ogrid-linspace", lambda xp: xp.ogrid[0:1:3j, -1:2], ()),
    Rec("s_-index", lambda xp, a: a[xp.s_[1:, ::2]], (F,)),
    Rec("index_exp", lambda xp, a: a[xp.index_exp[..., 1]], (F,)),
    Rec("rollaxis", lambda xp, a: xp.rollaxis(a, 2), (np.zeros((2, 3, 4), np.float32),)),
    *[Rec(f"rollaxis-{ax}-{st}", lambda xp, a, ax=ax, st=st: xp.rollaxis(a, ax, st),
          (np.arange(24.0, dtype=np.float32).reshape(2, 3, 4),))
      for ax in (-3, -1, 0, 2) for st in (-3, -1, 0, 1, 3)],
    Rec("rollaxis-grad", lambda xp, a: xp.rollaxis(a, 1) * np.arange(4.0, dtype=np.float32)[
        :, None], (F,), grad=(0,), vmap=True),
    Rec("block", lambda xp, a, b: xp.block([[a, b], [b.T[:, :3], a[:1, :1]]]),
        (F[:1, :1] * np.ones((3, 3), np.float32), F[:, :1]), grad=(0, 1)),
    Rec("block-1d", lambda xp, a: xp.block([a, 3]), (SA,)),
    Rec("block-scalar", lambda xp: xp.block(3), (), jit=False),
    Rec("block-scalars-2d", lambda xp: xp.block([[1, 2], [3, 4]]), (), jit=False),
    Rec("block-deep", lambda xp, a: xp.block([[[a]]]), (V,), grad=(0,)),
    Rec("block-3d", lambda xp, a, b: xp.block([[a, b]]),
        (np.ones((2, 2, 2), np.float32), np.zeros((2, 2, 1), np.float32))),
    Rec("fromfunction", lambda xp: xp.fromfunction(lambda i, j: i + 2 * j, (2, 3)), ()),
    Rec("fromfunction-int", lambda xp: xp.fromfunction(lambda i, j: i - j, (2, 3),
                                                       dtype=int), ()),
    Rec("fromfunction-3d", lambda xp: xp.fromfunction(lambda i, j, k: i * 100 + j * 10 + k,
                                                      (2, 3, 4)), ()),
    Rec("fromfunction-empty", lambda xp: xp.fromfunction(lambda i, j: i + j, (0, 3)), ()),
    Rec("fromfunction-0d", lambda xp: xp.fromfunction(lambda: xp.asarray(3.0), ()), ()),
    Rec("fromfunction-closure", lambda xp, c: xp.fromfunction(
        lambda i, j: xp.sin(c * i + j), (2, 3)), (np.float32(0.7),), grad=(0,)),
    Rec("apply_over_axes", lambda xp, a: xp.apply_over_axes(xp.sum, a, [0, 1]), (F,),
        grad=(0,)),
    Rec("apply_over_axes-neg", lambda xp, a: xp.apply_over_axes(xp.sum, a, [-1]), (F,)),
    Rec("apply_over_axes-same-ndim", lambda xp, a: xp.apply_over_axes(
        lambda x, ax: xp.cumsum(x, ax), a, [0]), (F,), grad=(0,)),
    Rec("diag_indices_from", lambda xp, a: xp.diag_indices_from(a),
        (np.ones((3, 3, 3), np.float32),)),
    Rec("mask_indices", lambda xp: xp.mask_indices(3, xp.triu), (), jit=False),
    Rec("mask_indices-k-size", lambda xp: xp.mask_indices(4, xp.tril, -1, size=8), ()),
    Rec("delete-int", lambda xp, a: xp.delete(a, 1, axis=1), (M6,)),
    Rec("delete-negative-flat", lambda xp, a: xp.delete(a, -1), (M6,)),
    Rec("delete-slice", lambda xp, a: xp.delete(a, slice(0, None, 2), axis=1), (MF,),
        grad=(0,), vmap=True),
    Rec("delete-array-repeats", lambda xp, a: xp.delete(a, np.array([0, 0, 2]), axis=1),
        (MF,), grad=(0,)),
    Rec("delete-array-negative", lambda xp, a: xp.delete(a, np.array([-1, 0]), axis=0), (M6,)),
    Rec("delete-bool", lambda xp, a: xp.delete(a, np.array([True, False, True]), axis=-1),
        (M6,)),
    Rec("delete-empty-obj", lambda xp, a: xp.delete(a, np.array([], np.int32), axis=1),
        (M6,)),
    Rec("delete-unique-traced", lambda xp, a, i: xp.delete(a, i, assume_unique_indices=True),
        (V, np.array([5, 0, -1], np.int32)), grad=(0,)),
    Rec("insert-int", lambda xp, a: xp.insert(a, 1, 9, axis=1), (M6,)),
    Rec("insert-flat", lambda xp, a: xp.insert(a, 1, np.array([7, 8])), (M6,)),
    Rec("insert-array", lambda xp, a, v: xp.insert(a, np.array([0, 2]), v, axis=1),
        (MF, np.array([7.0, 8.0], np.float32)), grad=(0, 1)),
    Rec("insert-column", lambda xp, a: xp.insert(a, np.array([1]), np.array([[7], [8]]),
                                                 axis=1), (M6,)),
    Rec("insert-scalar-index-vector", lambda xp, a: xp.insert(a, 1, np.array([7, 8]), axis=1),
        (M6,)),
    Rec("insert-row", lambda xp, a: xp.insert(a, 1, np.array([7, 8, 9]), axis=0), (M6,)),
    Rec("insert-slice", lambda xp, a: xp.insert(a, slice(0, 2), 5, axis=1), (M6,)),
    Rec("insert-float-into-int", lambda xp, a: xp.insert(a, 1, 2.7, axis=1), (M6,)),
    Rec("insert-end", lambda xp, a: xp.insert(a, 3, 9, axis=-1), (M6,)),
    Rec("insert-negative", lambda xp, a: xp.insert(a, -1, 9, axis=1), (M6,)),
    Rec("insert-empty-index", lambda xp, a: xp.insert(a, np.array([], np.int32), 9, axis=1),
        (M6,)),
    Rec("insert-repeated", lambda xp, a: xp.insert(a, np.array([1, 1]), np.array([7, 8])),
        (SB,)),
    Rec("insert-unsorted", lambda xp, a: xp.insert(a, np.array([2, 0]), np.array([7, 8])),
        (SB,)),
    Rec("insert-into-empty", lambda xp, a: xp.insert(a, 0, np.array([1.0, 2.0])),
        (EMPTY_F,)),
    Rec("insert-traced-index", lambda xp, a, i, v: xp.insert(a, i, v),
        (V, np.array([4, 0], np.int32), np.array([7.0, 8.0], np.float32)), grad=(0, 2)),
    Rec("place", lambda xp, a, v: xp.place(a, a > -1, v, inplace=False),
        (MF, np.array([10.0, 20.0], np.float32)), grad=(0, 1)),
    Rec("place-int-vals", lambda xp, a: xp.place(a, a > 1, np.array([10, 20]), inplace=False),
        (MF,)),
    Rec("place-scalar", lambda xp, a: xp.place(a, a > 1, 7.0, inplace=False), (MF,)),
    Rec("place-flat-mask", lambda xp, a: xp.place(a, np.array([1, 0, 1, 0, 1, 0]), 9.0,
                                                  inplace=False), (MF,)),
    Rec("place-nothing", lambda xp, a: xp.place(a, a > 10, 9.0, inplace=False), (MF,)),
    Rec("put", lambda xp, a, v: xp.put(a, np.array([0, 4]), v, inplace=False),
        (MF, np.array([10.0, 20.0], np.float32)), grad=(0, 1)),
    Rec("put-tile", lambda xp, a: xp.put(a, np.array([0, 4, 5]), np.array([10.0, 20.0]),
                                         inplace=False), (MF,)),
    Rec("put-scalar-index", lambda xp, a: xp.put(a, 2, 1.0, inplace=False), (MF,)),
    Rec("put-float-into-int", lambda xp, a: xp.put(a, 0, 2.7, inplace=False), (SB,)),
    Rec("put-empty-index", lambda xp, a: xp.put(a, np.array([], np.int32), 1.0,
                                                inplace=False), (MF,)),
    *[Rec(f"put-{i}-{mode}", lambda xp, a, i=i, m=mode: xp.put(a, np.array([i]), -1.0,
                                                              mode=m, inplace=False), (MF,))
      for i in (-7, -6, -4, 6, 7, 100) for mode in (None, "clip", "wrap")],
    # polynomials
    Rec("polyfit", lambda xp, x, y: xp.polyfit(x, y, 1), (PX, PY), grad=(0, 1), rtol=1e-4),
    Rec("polyfit-deg3", lambda xp, x, y: xp.polyfit(x, y, 3), (PX, PY), grad=(1,), rtol=1e-3),
    Rec("polyfit-deg0", lambda xp, x, y: xp.polyfit(x, y, 0), (PX, PY), rtol=1e-5),
    Rec("polyfit-full", lambda xp, x, y: xp.polyfit(x, y, 1, full=True), (PX, PY), rtol=1e-4),
    Rec("polyfit-cov", lambda xp, x, y: xp.polyfit(x, y, 1, cov=True), (PX, PY), rtol=1e-4),
    Rec("polyfit-cov-unscaled", lambda xp, x, y: xp.polyfit(x, y, 1, cov="unscaled"),
        (PX, PY), rtol=1e-4),
    Rec("polyfit-2d-y", lambda xp, x, y: xp.polyfit(x, xp.stack([y, 2 * y], 1), 2), (PX, PY),
        rtol=1e-3),
    Rec("polyfit-2d-cov", lambda xp, x, y: xp.polyfit(x, xp.stack([y, 2 * y], 1), 1, cov=True),
        (PX, PY), rtol=1e-4),
    Rec("polyfit-weights", lambda xp, x, y, w: xp.polyfit(x, y, 1, w=w),
        (PX, PY, np.array([1.0, 2, 1, 2, 1], np.float32)), grad=(2,), rtol=1e-4),
    Rec("polyfit-rank-deficient", lambda xp, x, y: xp.polyfit(x, y, 2, full=True),
        (np.ones(3, np.float32), PY[:3]), rtol=1e-4),
    Rec("polyint", lambda xp, p: xp.polyint(p), (SA,)),
    Rec("polyint-m2-k", lambda xp, p, k: xp.polyint(p, m=2, k=k),
        (V[:3], np.array([1.0, 2.0], np.float32)), grad=(0, 1)),
    Rec("polyint-m3-scalar-k", lambda xp, p: xp.polyint(p, m=3, k=5), (SB,)),
    Rec("polyint-m0", lambda xp, p: xp.polyint(p, m=0), (SB,)),
    Rec("polyint-empty", lambda xp, p: xp.polyint(p), (EMPTY_F,)),
    Rec("polydiv", lambda xp, u, v: xp.polydiv(u, v), (V, np.array([2.0, -1.0, 0.5],
                                                               np.float32)), grad=(0, 1),
        rtol=1e-5),
    Rec("polydiv-int", lambda xp, u, v: xp.polydiv(u, v), (np.array([6, 3, 2], np.int32),
                                                          np.array([2, 1], np.int32))),
    Rec("polydiv-short", lambda xp, u, v: xp.polydiv(u, v), (SB[:2], SB)),
    Rec("polydiv-trim", lambda xp, u, v: xp.polydiv(u, v, trim_leading_zeros=True),
        (np.array([1.0, 3.0, 3.0], np.float32), np.array([1.0, 1.0], np.float32)), jit=False),
    Rec("polydiv-trim-all", lambda xp, u, v: xp.polydiv(u, v, trim_leading_zeros=True),
        (np.array([1.0, 3.0, 2.0], np.float32), np.array([1.0, 1.0], np.float32)), jit=False),
    Rec("poly", lambda xp, z: xp.poly(z), (V[:4],), grad=(0,), rtol=1e-5, vmap=True),
    Rec("poly-int", lambda xp, z: xp.poly(z), (SB,)),
    Rec("poly-complex", lambda xp, z: xp.poly(z), (np.array([1j, -1j], np.complex64),)),
    Rec("poly-empty", lambda xp, z: xp.poly(z), (EMPTY_F,)),
    Rec("poly-scalar", lambda xp: xp.poly(2.0), ()),
    Rec("poly-matrix", lambda xp, a: xp.poly(a), (np.array([[1.0, 2.0], [3.0, 4.0]],
                                                           np.float32),), rtol=1e-5),
    Rec("poly-matrix-3x3", lambda xp, a: xp.poly(a), (np.array(
        [[1.0, 2, 0], [0, 3, 1], [1, 0, 2]], np.float32),), rtol=1e-5),
    Rec("poly-matrix-int", lambda xp, a: xp.poly(a), (np.array([[1, 2], [3, 4]], np.int32),),
        rtol=1e-5),
    # vectorize and the products built on it
    Rec("vectorize", lambda xp, a, b: xp.vectorize(lambda u, v: xp.sin(u) * v)(a, b),
        (V, V[:3, None]), grad=(0, 1), vmap=True),
    Rec("vectorize-scalars-weak", lambda xp: xp.vectorize(lambda u, v: u + v)(1, 2), (),
        jit=False),
    Rec("vectorize-signature", lambda xp, a: xp.vectorize(
        lambda u: xp.sum(u * u), signature="(n)->()")(a), (F,), grad=(0,), vmap=True),
    Rec("vectorize-signature-broadcast", lambda xp, a, b: xp.vectorize(
        lambda u, v: u @ v, signature="(n),(n)->()")(a, b),
        (np.ones((2, 1, 3), np.float32), F[:, :3] + np.zeros((4, 1, 1), np.float32)[0])),
    Rec("vectorize-signature-out", lambda xp, a: xp.vectorize(
        lambda u: xp.stack([u, -u]), signature="()->(k)")(a), (V,), grad=(0,)),
    Rec("vectorize-outer", lambda xp, a, b: xp.vectorize(
        xp.outer, signature="(m),(n)->(m,n)")(a, b), (F, V[None, :2])),
    Rec("vectorize-excluded", lambda xp, a: xp.vectorize(
        lambda u, p: u ** p, excluded={1})(a, 2), (V,), grad=(0,)),
    Rec("vectorize-excluded-kw", lambda xp, a: xp.vectorize(
        lambda u, *, p: u ** p, excluded={"p"})(a, p=3), (V,)),
    Rec("vectorize-multi-out", lambda xp, a: xp.vectorize(
        lambda u: (u, u * 2), signature="()->(),()")(a), (V,)),
    Rec("vectorize-none", lambda xp, a: xp.vectorize(
        lambda u, v: u if v is None else u + v)(a, None), (SA,)),
    Rec("vectorize-empty", lambda xp, a: xp.vectorize(lambda u, v: u + v)(a, 1.0),
        (np.zeros((0, 3), np.float32),)),
    Rec("vectorize-size1-axes", lambda xp, a, b: xp.vectorize(lambda u, v: u - v)(a, b),
        (np.ones((3, 1, 2), np.float32), np.arange(4.0, dtype=np.float32).reshape(1, 4, 1))),
    Rec("matvec", lambda xp, a, b: xp.matvec(a, b), (np.ones((2, 3, 4), np.float32) * F[0],
                                                    F[1]), grad=(0, 1), vmap=True),
    Rec("matvec-int", lambda xp, a, b: xp.matvec(a, b), (M6, SB)),
    Rec("matvec-broadcast", lambda xp, a, b: xp.matvec(a, b),
        (np.ones((5, 1, 3, 4), np.float32), F[:2])),
    Rec("matvec-mixed", lambda xp, a, b: xp.matvec(a, b), (M6.astype(np.int8), V[:3])),
    Rec("vecmat", lambda xp, a, b: xp.vecmat(a, b), (F[0, :3], np.ones((2, 3, 4), np.float32)),
        grad=(0, 1), vmap=True),
    Rec("vecmat-complex", lambda xp, a, b: xp.vecmat(a, b), (CPLX[:2], F[:2])),
    Rec("vecmat-broadcast", lambda xp, a, b: xp.vecmat(a, b),
        (np.ones((4, 1, 2), np.float32), np.ones((3, 2, 5), np.float32))),
]
IDS = [r.id for r in RECORDS]
assert len(set(IDS)) == len(IDS), "duplicate record ids"


def _leaves(out):
    if isinstance(out, (tuple, list)):
        return [leaf for o in out for leaf in _leaves(o)]
    return [out]


def _tl_args(args):
    return [tnp.asarray(a) if isinstance(a, np.ndarray) else a for a in args]


def _jax_args(args):
    return [jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in args]


def _assert_matches(got, want, rtol, weak=True):
    got, want = _leaves(got), _leaves(want)
    assert len(got) == len(want), f"{len(got)} outputs, JAX gives {len(want)}"
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert g.shape == w.shape, f"output {i}: shape {g.shape}, JAX {w.shape}"
        assert g.dtype == w.dtype, f"output {i}: dtype {g.dtype}, JAX {w.dtype}"
        if weak:
            assert g.weak_type == w.weak_type, f"output {i}: weak_type {g.weak_type}, JAX's " \
                                               f"{w.weak_type}"
        gv, wv = np.asarray(g), np.asarray(w)
        if gv.dtype.kind in "fc":
            np.testing.assert_allclose(gv, wv, rtol=rtol, atol=rtol * 1e-2, equal_nan=True,
                                       err_msg=f"output {i}")
        else:
            np.testing.assert_array_equal(gv, wv, err_msg=f"output {i}")


@pytest.mark.parametrize("rec", RECORDS, ids=IDS)
def test_matches_jax(rec):
    got = rec.fn(tnp, *_tl_args(rec.args))
    want = rec.fn(jnp, *_jax_args(rec.args))
    _assert_matches(got, want, rec.rtol)


JIT_RECORDS = [r for r in RECORDS if r.jit]


@pytest.mark.parametrize("rec", JIT_RECORDS, ids=[r.id for r in JIT_RECORDS])
def test_jit_matches_eager_and_jax(rec):
    arrays = [i for i, a in enumerate(rec.args) if isinstance(a, (np.ndarray, np.generic))]

    def run(xp, jit, args):
        def f(*dyn):
            full = list(args)
            for i, d in zip(arrays, dyn, strict=True):
                full[i] = d
            return rec.fn(xp, *full)

        return jit(f)(*[args[i] for i in arrays])

    got = run(tnp, tl.jit, _tl_args(rec.args))
    _assert_matches(got, rec.fn(tnp, *_tl_args(rec.args)), rec.rtol)
    _assert_matches(got, run(jnp, jax.jit, _jax_args(rec.args)), rec.rtol)


GRAD_RECORDS = [r for r in RECORDS if r.grad]


def _loss(xp, rec, weights, argnums, args):
    """A scalar of every float output leaf, ``sum(real(leaf) * w)`` with fixed weights, so
    each output element gets its own cotangent."""
    def f(*diff):
        full = list(args)
        for i, d in zip(argnums, diff, strict=True):
            full[i] = d
        out = [leaf for leaf in _leaves(rec.fn(xp, *full)) if leaf.dtype.kind in "fc"]
        return sum(xp.sum(xp.real(leaf) * w) for leaf, w in zip(out, weights, strict=True))
    return f


@pytest.mark.parametrize("rec", GRAD_RECORDS, ids=[r.id for r in GRAD_RECORDS])
def test_grad_matches_jax(rec):
    want_out = [leaf for leaf in _leaves(rec.fn(jnp, *_jax_args(rec.args)))
                if leaf.dtype.kind in "fc"]
    rng = np.random.default_rng(1)
    weights = [rng.normal(size=o.shape).astype(np.float32) for o in want_out]
    argnums = tuple(rec.grad)
    targs, jargs = _tl_args(rec.args), _jax_args(rec.args)
    got = tl.grad(_loss(tnp, rec, weights, argnums, targs), argnums=tuple(range(len(argnums))))(
        *[targs[i] for i in argnums])
    want = jax.grad(_loss(jnp, rec, weights, argnums, jargs),
                    argnums=tuple(range(len(argnums))))(*[jargs[i] for i in argnums])
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert np.all(np.isfinite(np.asarray(g)) == np.isfinite(np.asarray(w)))
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=max(rec.rtol, 1e-4),
                                   atol=1e-4, err_msg=f"d/d argument {argnums[i]}")


VMAP_RECORDS = [r for r in RECORDS if r.vmap]


def _batch(a):
    """Three variants of ``a`` stacked along a new leading axis."""
    if a.dtype == np.bool_:
        return np.stack([a, ~a, a])
    return np.stack([a, a[::-1] if a.ndim else a, (a * 2 if a.dtype.kind in "iu" else a - 1)
                     ]).astype(a.dtype)


@pytest.mark.parametrize("rec", VMAP_RECORDS, ids=[r.id for r in VMAP_RECORDS])
def test_vmap_matches_loop_and_jax(rec):
    batched = (_batch(rec.args[0]),) + tuple(rec.args[1:])
    targs, jargs = _tl_args(batched), _jax_args(batched)
    in_axes = (0,) + (None,) * (len(targs) - 1)
    got = tl.vmap(lambda *a: rec.fn(tnp, *a), in_axes=in_axes)(*targs)
    loop = [rec.fn(tnp, targs[0][k], *targs[1:]) for k in range(3)]
    stacked = [tnp.stack(parts) for parts in zip(*[_leaves(o) for o in loop], strict=True)]
    _assert_matches(got, stacked, rec.rtol)
    _assert_matches(got, jax.vmap(lambda *a: rec.fn(jnp, *a), in_axes=in_axes)(*jargs),
                    rec.rtol)


# --------------------------------------------------------------------------------------------
# 64-bit types: the dtypes follow JAX's with enable_x64 on


X64_RECORDS = [
    Rec("frexp-f64", lambda xp, x: xp.frexp(x), (np.array([-1.5, 0.3, 9.0, 0.0, 1e300]),)),
    Rec("i0-f64", lambda xp, x: xp.i0(x), (np.array([-1.5, 0.3, 9.0, 0.0, 30.0]),),
        rtol=1e-13),
    Rec("spacing-f64", lambda xp, x: xp.spacing(x), (np.array([1.0, -2.0, 0.0, 1e300]),)),
    Rec("fabs-int64", lambda xp, x: xp.fabs(x), (np.array([1, -2]),)),
    Rec("gcd-int64", lambda xp, a, b: xp.gcd(a, b), (np.array([2**40, 12]),
                                                   np.array([3 * 2**35, -18]))),
    Rec("bitwise_count-int64", lambda xp, x: xp.bitwise_count(x),
        (np.array([-1, 2**62 + 5, -(2**63)]),)),
    Rec("bitwise_count-uint64", lambda xp, x: xp.bitwise_count(x),
        (np.array([2**64 - 1, 5], np.uint64),)),
    Rec("sort_complex-f64", lambda xp, x: xp.sort_complex(x), (np.array([3.0, 1.0]),)),
    Rec("sort_complex-int64", lambda xp, x: xp.sort_complex(x), (np.array([3, 1]),)),
    Rec("hamming-f64", lambda xp: xp.hamming(5), (), rtol=1e-12),
    Rec("kaiser-f64", lambda xp: xp.kaiser(5, 3.0), (), rtol=1e-12),
    Rec("unwrap-int64", lambda xp, p: xp.unwrap(p), (np.array([0, 4, 8]),)),
    Rec("fromfunction-int64", lambda xp: xp.fromfunction(lambda i: i, (3,), dtype=int), ()),
    Rec("intersect1d-indices-int64", lambda xp, a, b: xp.intersect1d(a, b, return_indices=True),
        (SA.astype(np.int64), SB.astype(np.int64)), jit=False),
    Rec("intersect1d-unique-indices-int64", lambda xp, a, b: xp.intersect1d(
        a, b, return_indices=True, assume_unique=True), (SB[::-1].astype(np.int64),
                                                          SB.astype(np.int64)), jit=False),
    Rec("setxor1d-int64", lambda xp, a, b: xp.setxor1d(a, b, size=4),
        (SA.astype(np.int64), SB.astype(np.int64))),
    Rec("polyfit-f64", lambda xp, x: xp.polyfit(x, x ** 2, 2), (np.arange(5.0),), rtol=1e-9),
    Rec("poly-matrix-f64", lambda xp, a: xp.poly(a), (np.array([[1.0, 2.0], [3.0, 4.0]]),),
        rtol=1e-9),
    Rec("mgrid-f64", lambda xp: xp.mgrid[0:2, 0:1:3j], ()),
    Rec("insert-int64", lambda xp, a: xp.insert(a, np.array([1]), 9), (np.arange(4),)),
    Rec("delete-unique-int64", lambda xp, a: xp.delete(a, np.array([1, 3]),
                                                       assume_unique_indices=True),
        (np.arange(5),)),
    Rec("mask_indices-int64", lambda xp: xp.mask_indices(3, xp.triu), (), jit=False),
]


@pytest.mark.parametrize("rec", X64_RECORDS, ids=[r.id for r in X64_RECORDS])
def test_x64_matches_jax(rec, x64):
    _assert_matches(rec.fn(tnp, *_tl_args(rec.args)), rec.fn(jnp, *_jax_args(rec.args)),
                    rec.rtol)


# --------------------------------------------------------------------------------------------
# Where tensorlib and JAX differ on purpose


@pytest.mark.skipif(XLA, reason="XLA on CPU flushes subnormal floats to zero")
def test_frexp_subnormals_match_numpy():
    # JAX's CPU result is flushed (0.5 * 2**-149 for 1e-40); NumPy's is exact
    x = np.array([1e-40, -3e-39, 1.4e-45, 2.0], np.float32)
    m, e = tnp.frexp(x)
    want_m, want_e = np.frexp(x)
    np.testing.assert_array_equal(np.asarray(m), want_m)
    np.testing.assert_array_equal(np.asarray(e), want_e)


def test_set_ops_unsized_have_true_gradients():
    # JAX's unsized set operations return zero gradients; tensorlib's carry the real ones,
    # equal to those of the sized (jit) forms, which JAX differentiates.
    x = np.array([-1.5, 0.3, 2.0, 9.0, 0.3], np.float32)
    for op in ("setdiff1d", "union1d", "intersect1d", "setxor1d"):
        def f(v, xp, size=None, op=op):
            out = getattr(xp, op)(v, xp.asarray(x[1:3]), size=size,
                                  fill_value=None if size is None else 0.0)
            return xp.sum(out * out)

        got = tl.grad(f)(tnp.asarray(x), tnp)
        want = jax.grad(f)(jnp.asarray(x), jnp, 5)
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-6, err_msg=op)
        assert np.any(np.asarray(got) != 0), op


def test_set_ops_size_zero_and_empty_indices():
    # size=0 gives empty results (JAX raises); empty inputs pad indices with the lengths
    for op in ("setdiff1d", "union1d", "intersect1d", "setxor1d"):
        out = getattr(tnp, op)(tnp.asarray(SA), tnp.asarray(SB), size=0)
        assert out.shape == (0,) and out.dtype == np.int32, op
    vals, i1, i2 = tnp.intersect1d(tnp.asarray(EMPTY_I), tnp.asarray(SB), size=2,
                                   return_indices=True, fill_value=-1)
    np.testing.assert_array_equal(np.asarray(vals), [-1, -1])
    np.testing.assert_array_equal(np.asarray(i1), [0, 0])
    np.testing.assert_array_equal(np.asarray(i2), [3, 3])


def test_fromfunction_keywords_are_passed_unmapped():
    # JAX's vmap maps keyword arguments too, so a scalar keyword fails there
    out = tnp.fromfunction(lambda i, c: i * c, (3,), c=2.0)
    np.testing.assert_array_equal(np.asarray(out), [0.0, 2.0, 4.0])


def test_polyfit_accepts_integer_data():
    # JAX raises (it asks finfo of an integer dtype); NumPy fits in floats, as tensorlib does
    out = tnp.polyfit(tnp.array([0, 1, 2, 3]), tnp.array([1, 3, 5, 7]), 1)
    assert out.dtype == np.float32
    np.testing.assert_allclose(np.asarray(out), [2.0, 1.0], rtol=1e-5)


def test_poly_of_matrix_is_characteristic_polynomial():
    a = _rng.normal(size=(4, 4)).astype(np.float64)
    got = np.asarray(tnp.poly(tnp.asarray(a.astype(np.float32))))
    np.testing.assert_allclose(got, np.poly(a), rtol=1e-4, atol=1e-4)
    g = tl.grad(lambda m: tnp.real(tnp.poly(m))[-1])(tnp.asarray(a.astype(np.float32)))
    # the constant term is det(-a) = det(a) for n = 4: its gradient is det(a) inv(a).T
    np.testing.assert_allclose(np.asarray(g), np.linalg.det(a) * np.linalg.inv(a).T,
                               rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("obj", ["mgrid", "ogrid", "r_", "c_"])
def test_index_object_docstrings_run(obj):
    # test_docstrings collects callables only; these are objects with __getitem__
    doc = type(getattr(tnp, obj)).__doc__
    test = doctest.DocTestParser().get_doctest(doc, {"tnp": tnp, "np": np}, obj, None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    out = []
    runner.run(test, out=out.append)
    assert runner.tries > 0 and runner.failures == 0, "".join(out)


def test_vectorize_keeps_the_function_name():
    def energy(u):
        """Doc."""
        return u * u

    v = tnp.vectorize(energy)
    assert v.__name__ == "energy" and v.__doc__ == "Doc."


def test_gcd_under_jit_and_vmap_of_while_loop():
    a = tnp.asarray(INTS)
    b = tnp.asarray(INTS2)
    got = tl.jit(tl.vmap(tnp.gcd))(a[:, None] * tnp.ones((1, 3), tnp.int32), b[:, None] +
                                   tnp.arange(3))
    want = np.gcd(INTS[:, None] * np.ones((1, 3), np.int32), INTS2[:, None] + np.arange(3))
    np.testing.assert_array_equal(np.asarray(got), want)


# --------------------------------------------------------------------------------------------
# Bad input: the class JAX raises where it raises one on purpose, and a message naming the
# function and what is wrong


def _traced(fn):
    """``fn`` called on a traced copy of SA under jit."""
    return lambda: tl.jit(fn)(tnp.asarray(SA))


ERRORS = [
    ("fabs-complex", lambda: tnp.fabs(tnp.array([1j])), TypeError, r"fabs: complex"),
    ("fabs-list", lambda: tnp.fabs([1.0, 2.0]), TypeError, r"fabs requires ndarray"),
    ("spacing-complex", lambda: tnp.spacing(tnp.array([1j])), ValueError, r"spacing: complex"),
    ("frexp-complex", lambda: tnp.frexp(tnp.array([1j])), TypeError, r"frexp: complex"),
    ("i0-complex", lambda: tnp.i0(tnp.array([1j])), ValueError, r"i0: complex"),
    ("gcd-float", lambda: tnp.gcd(1.0, 2.0), ValueError, r"gcd: needs integer"),
    ("gcd-bool", lambda: tnp.gcd(True, False), ValueError, r"gcd: needs integer"),
    ("lcm-float", lambda: tnp.lcm(tnp.ones(2), 2), ValueError, r"lcm: needs integer"),
    ("gcd-shapes", lambda: tnp.gcd(tnp.arange(3), tnp.arange(4)), ValueError,
     r"gcd: shapes \(3,\) and \(4,\)"),
    ("bitwise_count-float", lambda: tnp.bitwise_count(7.0), TypeError,
     r"bitwise_count: needs integer"),
    ("unwrap-complex", lambda: tnp.unwrap(tnp.array([1j, 2j])), ValueError, r"unwrap: complex"),
    ("unwrap-0d", lambda: tnp.unwrap(tnp.asarray(1.0)), ValueError, r"unwrap: needs an array"),
    ("unwrap-axis", lambda: tnp.unwrap(tnp.ones(3), axis=1), ValueError,
     r"unwrap: axis 1 is out of bounds"),
    ("packbits-float", lambda: tnp.packbits(tnp.ones(3)), TypeError,
     r"packbits: needs an integer or boolean"),
    ("packbits-order", lambda: tnp.packbits(tnp.ones(3, tnp.int32), bitorder="mid"),
     ValueError, r"packbits: bitorder must be 'big' or 'little', got 'mid'"),
    ("unpackbits-int", lambda: tnp.unpackbits(tnp.arange(3)), TypeError,
     r"unpackbits: needs a uint8 array, got i32\[3\]"),
    ("unpackbits-axis", lambda: tnp.unpackbits(tnp.ones(3, tnp.uint8), axis=2), ValueError,
     r"unpackbits: axis 2"),
    ("hamming-negative", lambda: tnp.hamming(-1), ValueError,
     r"hamming: the window length M must be non-negative, got -1"),
    ("kaiser-traced-M", lambda: tl.jit(lambda m: tnp.kaiser(m, 1.0))(5), ConcretizationTypeError,
     r"kaiser\(\) M"),
    ("setdiff1d-jit-no-size", _traced(lambda a: tnp.setdiff1d(a, tnp.asarray(SB))),
     ConcretizationTypeError, r"setdiff1d\(\) without size="),
    ("union1d-jit-no-size", _traced(lambda a: tnp.union1d(a, a)), ConcretizationTypeError,
     r"union1d\(\) without size="),
    ("intersect1d-jit-no-size", _traced(lambda a: tnp.intersect1d(a, a)),
     ConcretizationTypeError, r"intersect1d\(\) without size="),
    ("setxor1d-vmap-no-size", lambda: tl.vmap(lambda a: tnp.setxor1d(a, a))(tnp.ones((2, 3))),
     ConcretizationTypeError, r"setxor1d\(\) without size="),
    ("setxor1d-negative-size", lambda: tnp.setxor1d(tnp.asarray(SA), tnp.asarray(SB), size=-1),
     ValueError, r"setxor1d: size must be non-negative, got -1"),
    ("union1d-empty-needs-fill", lambda: tnp.union1d(tnp.asarray(EMPTY_I),
                                                      tnp.asarray(EMPTY_I), size=2),
     ValueError, r"union1d: both inputs are empty"),
    ("intersect1d-list", lambda: tnp.intersect1d([1, 2], tnp.asarray(SB)), TypeError,
     r"intersect1d requires ndarray"),
    ("r_-bad-directive", lambda: tnp.r_["x", 1], ValueError,
     r"r_: could not understand the directive 'x'"),
    ("r_-late-directive", lambda: tnp.r_[1, "r"], ValueError,
     r"r_: a string directive must come first"),
    ("r_-empty", lambda: tnp.r_[()], ValueError, r"r_: nothing to concatenate"),
    ("mgrid-not-slice", lambda: tnp.mgrid[0:2, 3], TypeError, r"mgrid: expects slices"),
    ("ogrid-no-stop", lambda: tnp.ogrid[1:], ValueError, r"ogrid: slices need a stop"),
    ("mgrid-traced-bound", lambda: tl.jit(lambda n: tnp.mgrid[0:n])(3), ConcretizationTypeError,
     r"mgrid\(\) slice stop"),
    ("rollaxis-start", lambda: tnp.rollaxis(tnp.ones((2, 3, 4)), 1, 5), ValueError,
     r"rollaxis: start=5 must lie in \[-3, 3\]"),
    ("rollaxis-axis", lambda: tnp.rollaxis(tnp.ones((2, 3, 4)), 3), ValueError,
     r"rollaxis: axis 3 is out of bounds"),
    ("block-tuple", lambda: tnp.block((1, 2)), ValueError, r"block: nested lists only"),
    ("block-empty", lambda: tnp.block([]), ValueError, r"block: empty lists"),
    ("block-depths", lambda: tnp.block([[1, 2], 3]), ValueError, r"block: list depths differ"),
    ("fromfunction-negative", lambda: tnp.fromfunction(lambda i: i, (-1,)), ValueError,
     r"fromfunction: shape must be non-negative"),
    ("apply_over_axes-shape", lambda: tnp.apply_over_axes(lambda a, ax: a.sum(), tnp.ones((2, 3)),
                                                          [0]),
     ValueError, r"apply_over_axes: func returned f32\[\] for axis 0"),
    ("diag_indices_from-1d", lambda: tnp.diag_indices_from(tnp.ones(3)), ValueError,
     r"diag_indices_from: needs an array with at least 2 axes"),
    ("diag_indices_from-unequal", lambda: tnp.diag_indices_from(tnp.ones((3, 2))), ValueError,
     r"diag_indices_from: all axes must have one length, got f32\[3,2\]"),
    ("delete-out-of-bounds", lambda: tnp.delete(tnp.asarray(M6), 3, axis=1), IndexError,
     r"delete: index 3 is out of bounds for axis 1 with size 3"),
    ("delete-array-out-of-bounds", lambda: tnp.delete(tnp.asarray(M6), tnp.array([0, 9])),
     IndexError, r"delete: index 9 is out of bounds"),
    ("delete-float", lambda: tnp.delete(tnp.asarray(M6), tnp.array([1.0]), axis=1), TypeError,
     r"delete: obj must hold integers or booleans, got float32"),
    ("delete-bool-length", lambda: tnp.delete(tnp.asarray(M6), tnp.array([True]), axis=1),
     ValueError, r"delete: a boolean obj must be 1-d with the axis' length 3"),
    ("delete-list", lambda: tnp.delete(tnp.asarray(M6), [0, 2]), TypeError,
     r"delete requires ndarray"),
    ("delete-traced", lambda: tl.jit(lambda i: tnp.delete(tnp.asarray(SA), i))(tnp.array([1])),
     ConcretizationTypeError, r"delete\(\) with traced indices"),
    ("insert-2d-index", lambda: tnp.insert(tnp.asarray(M6), tnp.array([[1]]), 9, axis=1),
     ValueError, r"insert: obj must be a slice, a scalar or a 1-d array, got i32\[1,1\]"),
    ("insert-float-index", lambda: tnp.insert(tnp.asarray(M6), tnp.array([1.0]), 9, axis=1),
     TypeError, r"insert: indices must be integers, got f32\[1\]"),
    ("insert-value-count", lambda: tnp.insert(tnp.asarray(SB), tnp.array([0, 1]),
                                              tnp.array([1, 2, 3])),
     ValueError, r"insert: shapes \(2,\) and \(3,\) cannot be broadcast"),
    ("place-inplace", lambda: tnp.place(tnp.ones(3), tnp.ones(3) > 0, 1.0), ValueError,
     r"place: .*immutable.*inplace=False"),
    ("place-mask-size", lambda: tnp.place(tnp.ones(3), tnp.array([True]), 1.0, inplace=False),
     ValueError, r"place: arr and mask must have the same size, got f32\[3\] and bool\[1\]"),
    ("place-empty-vals", lambda: tnp.place(tnp.ones(3), tnp.ones(3) > 0, tnp.ones(0),
                                           inplace=False),
     ValueError, r"place: vals is empty"),
    ("put-inplace", lambda: tnp.put(tnp.ones(3), 0, 1.0), ValueError,
     r"put: .*immutable.*inplace=False"),
    ("put-raise", lambda: tnp.put(tnp.ones(3), 0, 1.0, mode="raise", inplace=False),
     NotImplementedError, r"put: mode='raise' is not supported"),
    ("put-mode", lambda: tnp.put(tnp.ones(3), 0, 1.0, mode="foo", inplace=False), ValueError,
     r"put: mode must be None, 'clip' or 'wrap', got 'foo'"),
    ("put-float-index", lambda: tnp.put(tnp.ones(3), tnp.array([0.5]), 1.0, inplace=False),
     TypeError, r"put: indices must be integers"),
    ("polyfit-deg", lambda: tnp.polyfit(tnp.asarray(PX), tnp.asarray(PY), -1), ValueError,
     r"polyfit: deg must be non-negative, got -1"),
    ("polyfit-x-2d", lambda: tnp.polyfit(tnp.ones((1, 5)), tnp.asarray(PY), 1), ValueError,
     r"polyfit: x must be a non-empty 1-d array, got f32\[1,5\]"),
    ("polyfit-x-empty", lambda: tnp.polyfit(tnp.ones(0), tnp.ones(0), 1), ValueError,
     r"polyfit: x must be a non-empty 1-d array"),
    ("polyfit-lengths", lambda: tnp.polyfit(tnp.asarray(PX), tnp.ones(3), 1), ValueError,
     r"polyfit: y must be 1-d or 2-d with x's length 5, got f32\[3\]"),
    ("polyfit-weights", lambda: tnp.polyfit(tnp.asarray(PX), tnp.asarray(PY), 1, w=tnp.ones(2)),
     ValueError, r"polyfit: w must be 1-d with x's length 5"),
    ("polyfit-cov-points", lambda: tnp.polyfit(tnp.asarray(PX[:2]), tnp.asarray(PY[:2]), 1,
                                               cov=True),
     ValueError, r"polyfit: cov=True needs more data points \(2\) than coefficients \(2\)"),
    ("polyint-negative", lambda: tnp.polyint(tnp.asarray(SB), m=-1), ValueError,
     r"polyint: the order m must be non-negative, got -1"),
    ("polyint-k", lambda: tnp.polyint(tnp.asarray(SB), m=2, k=tnp.ones(3)), ValueError,
     r"polyint: k must be a scalar or 1-d of length 1 or m=2, got f32\[3\]"),
    ("polyint-k-list", lambda: tnp.polyint(tnp.asarray(SB), m=2, k=[1, 2]), TypeError,
     r"polyint requires ndarray"),
    ("polydiv-2d", lambda: tnp.polydiv(tnp.ones((2, 2)), tnp.ones(2)), ValueError,
     r"polydiv: needs 1-d coefficient arrays"),
    ("polydiv-trim-traced", lambda: tl.jit(lambda u: tnp.polydiv(u, tnp.ones(2),
                                                                 trim_leading_zeros=True))(
        tnp.ones(3)), ConcretizationTypeError, r"polydiv\(trim_leading_zeros=True\)"),
    ("poly-3d", lambda: tnp.poly(tnp.ones((2, 2, 2))), ValueError,
     r"poly: needs a 1-d array of roots or a non-empty square matrix, got f32\[2,2,2\]"),
    ("poly-non-square", lambda: tnp.poly(tnp.ones((2, 3))), ValueError, r"poly: needs a 1-d"),
    ("vectorize-excluded-type", lambda: tnp.vectorize(abs, excluded={1.5}), TypeError,
     r"vectorize: excluded may hold only ints"),
    ("vectorize-excluded-negative", lambda: tnp.vectorize(abs, excluded={-1}), ValueError,
     r"vectorize: excluded positions must be non-negative"),
    ("vectorize-signature", lambda: tnp.vectorize(abs, signature="(n)")(tnp.ones(2)),
     ValueError, r"vectorize: '\(n\)' is not a valid gufunc signature"),
    ("vectorize-core-dims", lambda: tnp.vectorize(tnp.sum, signature="(n)->()")(1.0),
     ValueError, r"vectorize: argument 0 has shape \(\), which does not fit the core"),
    ("vectorize-inconsistent", lambda: tnp.vectorize(lambda a, b: a @ b, signature="(n),(n)->()")(
        tnp.ones(2), tnp.ones(3)), ValueError,
     r"vectorize: core dimension 'n' has size 3 in argument 1 but 2 elsewhere"),
    ("vectorize-arg-count", lambda: tnp.vectorize(tnp.sum, signature="(n)->()")(
        tnp.ones(2), tnp.ones(2)), TypeError, r"vectorize: the signature '\(n\)->\(\)' takes 1"),
    ("vectorize-output-count", lambda: tnp.vectorize(lambda a: a, signature="()->(),()")(
        tnp.ones(2)), TypeError, r"vectorize: the signature promises 2 outputs"),
    ("vectorize-output-shape", lambda: tnp.vectorize(lambda a: tnp.stack([a, a]),
                                                     signature="()->()")(tnp.ones(2)),
     ValueError, r"vectorize: output 0 has shape \(2,\)"),
    ("vectorize-keyword", lambda: tnp.vectorize(lambda a, b=1: a + b)(tnp.ones(2), b=3),
     TypeError, r"vectorize: keyword arguments \['b'\] are not in excluded"),
    ("matvec-shapes", lambda: tnp.matvec(tnp.ones((3, 4)), tnp.ones(3)), ValueError,
     r"matvec: f32\[3,4\] and f32\[3\] do not fit \(n,m\),\(m\)->\(n\)"),
    ("vecmat-1d", lambda: tnp.vecmat(tnp.ones(4), tnp.ones(4)), ValueError,
     r"vecmat: f32\[4\] and f32\[4\] do not fit"),
]


@pytest.mark.parametrize("call,cls,match", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_bad_input_raises(call, cls, match):
    with pytest.raises(cls, match=match):
        call()
