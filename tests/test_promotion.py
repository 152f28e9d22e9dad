"""Type promotion against JAX: ``promote_types`` and ``result_type`` over every pair of dtypes,
Python scalars and weakly typed arrays, in both x64 modes, and the weak type of results."""

from __future__ import annotations

import warnings

import ml_dtypes
import numpy as np
import pytest

import tensorlib as tl
import tensorlib.numpy as tnp

jax = pytest.importorskip("jax", reason="JAX is the reference for type promotion")
jnp = pytest.importorskip("jax.numpy")

_DTYPES = [np.dtype(t) for t in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8,
                                 np.uint16, np.uint32, np.uint64, ml_dtypes.bfloat16,
                                 np.float16, np.float32, np.float64, np.complex64,
                                 np.complex128)]
_SHORT = {"bool": "bool", "int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64",
          "uint8": "u8", "uint16": "u16", "uint32": "u32", "uint64": "u64", "bfloat16": "bf16",
          "float16": "f16", "float32": "f32", "float64": "f64", "complex64": "c64",
          "complex128": "c128"}


def _dname(dt):
    return _SHORT[dt.name]


# An operand is (id, make) where make(xp) builds it for tensorlib (xp=tnp) or JAX (xp=jnp).
_DTYPE_OPERANDS = [(_dname(dt), lambda xp, dt=dt: dt) for dt in _DTYPES]
_PY_TYPES = [("int", lambda xp: int), ("float", lambda xp: float),
             ("complex", lambda xp: complex)]
_PY_SCALARS = [("1", lambda xp: 1), ("1.0", lambda xp: 1.0), ("1j", lambda xp: 1j),
               ("True", lambda xp: True)]
_WEAK_ARRAYS = [("weak-int-array", lambda xp: xp.asarray(1)),
                ("weak-float-array", lambda xp: xp.asarray(1.0)),
                ("weak-complex-array", lambda xp: xp.asarray(1j))]


def _set_x64(value):
    tl.config.update("enable_x64", value)
    jax.config.update("jax_enable_x64", value)


@pytest.fixture(params=[False, True], ids=["x32", "x64"])
def x64_mode(request):
    prev = tl.config.enable_x64
    _set_x64(request.param)
    try:
        yield request.param
    finally:
        _set_x64(prev)


def _outcome(fn):
    """The result of ``fn()``, or the kind of error it raised (both libraries must agree)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # JAX warns when x32 truncates an explicit 64-bit dtype
        try:
            return np.dtype(fn())
        except (TypeError, ValueError):
            return "error"


def _compare(fn_name, first, operands):
    name_a, make_a = first
    bad = []
    for name_b, make_b in operands:
        want = _outcome(lambda b=make_b: getattr(jnp, fn_name)(make_a(jnp), b(jnp)))
        got = _outcome(lambda b=make_b: getattr(tnp, fn_name)(make_a(tnp), b(tnp)))
        if got != want:
            bad.append(f"{fn_name}({name_a}, {name_b}): tensorlib {got}, JAX {want}")
    assert not bad, "\n".join(bad)


_PROMOTE_OPERANDS = _DTYPE_OPERANDS + _PY_TYPES
_RESULT_OPERANDS = _DTYPE_OPERANDS + _PY_TYPES + _PY_SCALARS + _WEAK_ARRAYS


@pytest.mark.parametrize("first", _PROMOTE_OPERANDS, ids=[n for n, _ in _PROMOTE_OPERANDS])
def test_promote_types(first, x64_mode):
    _compare("promote_types", first, _PROMOTE_OPERANDS)


@pytest.mark.parametrize("first", _RESULT_OPERANDS, ids=[n for n, _ in _RESULT_OPERANDS])
def test_result_type(first, x64_mode):
    _compare("result_type", first, _RESULT_OPERANDS)


@pytest.mark.parametrize("operand", _RESULT_OPERANDS, ids=[n for n, _ in _RESULT_OPERANDS])
def test_result_type_single(operand, x64_mode):
    name, make = operand
    assert _outcome(lambda: tnp.result_type(make(tnp))) == \
        _outcome(lambda: jnp.result_type(make(jnp))), name


def test_promote_types_examples():
    assert tnp.promote_types(tnp.int8, tnp.uint8) == np.dtype("int16")
    assert tnp.promote_types(tnp.bfloat16, tnp.float16) == np.dtype("float32")
    assert tnp.promote_types("uint8", int) == np.dtype("uint8")
    assert tnp.promote_types("float16", float) == np.dtype("float16")


# --------------------------------------------------------------------------------------------
# The dtype and weak type of results


def _arr(dt):
    return lambda xp: xp.ones((2,), dtype=dt)


_EXPRESSIONS = [
    ("f32(1)+2", lambda xp: xp.float32(1) + 2),
    ("asarray(2.0)*3", lambda xp: xp.asarray(2.0) * 3),
    ("asarray(2)+1.5", lambda xp: xp.asarray(2) + 1.5),
    ("asarray(2)*asarray(3)", lambda xp: xp.asarray(2) * xp.asarray(3)),
    ("asarray(2.0)*asarray(3)", lambda xp: xp.asarray(2.0) * xp.asarray(3)),
    ("asarray(True)+1", lambda xp: xp.asarray(True) + 1),
    ("asarray([1.0,2.0])", lambda xp: xp.asarray([1.0, 2.0])),
    ("asarray(1.0,dtype=f32)", lambda xp: xp.asarray(1.0, dtype=xp.float32)),
    ("asarray(2.0).astype(f32)", lambda xp: xp.asarray(2.0).astype(xp.float32)),
    ("-asarray(2.0)", lambda xp: -xp.asarray(2.0)),
    ("abs(asarray(-2))", lambda xp: abs(xp.asarray(-2))),
    ("asarray(2.0)**2", lambda xp: xp.asarray(2.0) ** 2),
    ("asarray(2.0)>1", lambda xp: xp.asarray(2.0) > 1),
    ("sin(2)", lambda xp: xp.sin(2)),
    ("sqrt(asarray(4))", lambda xp: xp.sqrt(xp.asarray(4))),
    ("sum(asarray(2.0))", lambda xp: xp.sum(xp.asarray(2.0))),
    ("asarray(2.0)[None]", lambda xp: xp.asarray(2.0)[None]),
    ("reshape(asarray(2.0),(1,1))", lambda xp: xp.reshape(xp.asarray(2.0), (1, 1))),
    ("maximum(asarray(1.0),2)", lambda xp: xp.maximum(xp.asarray(1.0), 2)),
    ("arange(3)+1.0", lambda xp: xp.arange(3) + 1.0),
    ("arange(3)*2", lambda xp: xp.arange(3) * 2),
    ("full((2,),1.0)", lambda xp: xp.full((2,), 1.0)),
    ("zeros(2)+1j", lambda xp: xp.zeros(2) + 1j),
    ("mean(asarray(2))", lambda xp: xp.mean(xp.asarray(2))),
    ("sin(i32)", lambda xp: xp.sin(xp.ones(2, xp.int32))),
    ("sin(i8)", lambda xp: xp.sin(xp.ones(2, xp.int8))),
    ("sin(bool)", lambda xp: xp.sin(xp.ones(2, bool))),
    ("mean(i32)", lambda xp: xp.mean(xp.ones(2, xp.int32))),
    ("mean(u8)", lambda xp: xp.mean(xp.ones(2, xp.uint8))),
    ("divide(i32,i32)", lambda xp: xp.ones(2, xp.int32) / xp.ones(2, xp.int32)),
    ("matmul(weak,weak)", lambda xp: xp.matmul(xp.asarray(2.0)[None], xp.asarray(3.0)[None])),
    ("concatenate(weak,strong)",
     lambda xp: xp.concatenate([xp.asarray(2.0)[None], xp.ones(1, xp.float32)])),
    ("stack(weak,weak)", lambda xp: xp.stack([xp.asarray(2.0), xp.asarray(1.0)])),
    ("where(weak-cond,1.0,2.0)", lambda xp: xp.where(True, 1.0, 2.0)),
    ("full((2,),1)", lambda xp: xp.full((2,), 1)),
    ("full((2,),True)", lambda xp: xp.full((2,), True)),
    ("full((2,),1.0,f32)", lambda xp: xp.full((2,), 1.0, xp.float32)),
    ("full_like(weak,3)", lambda xp: xp.full_like(xp.asarray(2.0), 3)),
    ("full_like(weak,3,f32)", lambda xp: xp.full_like(xp.asarray(2.0), 3, xp.float32)),
    ("zeros_like(weak)", lambda xp: xp.zeros_like(xp.asarray(2.0))),
    ("ones_like(weak-int)", lambda xp: xp.ones_like(xp.asarray(2))),
    ("isnan(weak)", lambda xp: xp.isnan(xp.asarray(2.0))),
    ("isfinite(weak)", lambda xp: xp.isfinite(xp.asarray(2.0))),
    ("isinf(weak)", lambda xp: xp.isinf(xp.asarray(2.0))),
    ("signbit(weak)", lambda xp: xp.signbit(xp.asarray(2.0))),
    ("logical_not(weak)", lambda xp: xp.logical_not(xp.asarray(2))),
    ("logical_and(weak,weak)", lambda xp: xp.logical_and(xp.asarray(2), xp.asarray(0))),
    ("equal(weak,1)", lambda xp: xp.equal(xp.asarray(2.0), 1)),
    ("isclose(weak,weak)", lambda xp: xp.isclose(xp.asarray(2.0), xp.asarray(2.0))),
    ("clip(weak,0,1)", lambda xp: xp.clip(xp.asarray(2.0), 0, 1)),
    ("round(weak)", lambda xp: xp.round(xp.asarray(2.5))),
    ("sort(weak)", lambda xp: xp.sort(xp.asarray(2.0)[None])),
    ("argsort(weak)", lambda xp: xp.argsort(xp.asarray(2.0)[None])),
    ("searchsorted(weak,weak)", lambda xp: xp.searchsorted(xp.asarray(2.0)[None],
                                                           xp.asarray(1.0))),
    ("dot(weak,weak)", lambda xp: xp.dot(xp.asarray(2.0), xp.asarray(3.0))),
    ("outer(weak,weak)", lambda xp: xp.outer(xp.asarray(2.0), xp.asarray(3.0))),
    ("einsum(weak,weak)", lambda xp: xp.einsum("i,i", xp.asarray(2.0)[None],
                                               xp.asarray(3.0)[None])),
    ("take(weak)", lambda xp: xp.take(xp.asarray(2.0)[None], 0)),
    ("at.set(weak)", lambda xp: xp.asarray(2.0)[None].at[0].set(1)),
    ("getitem(weak)[array]", lambda xp: xp.asarray(2.0)[None][xp.asarray([0])]),
    ("real(weak)", lambda xp: xp.real(xp.asarray(2.0))),
]
# reductions: of weak arrays (results are strong) and the accumulator dtype of small ints
for _name in ("sum", "prod", "max", "min", "mean", "var", "std", "all", "any", "argmax",
              "ptp", "count_nonzero"):
    _EXPRESSIONS.append((f"{_name}(weak-float)", lambda xp, n=_name: getattr(xp, n)(
        xp.asarray(2.0))))
    _EXPRESSIONS.append((f"{_name}(weak-int)", lambda xp, n=_name: getattr(xp, n)(
        xp.asarray(2))))
for _name in ("cumsum", "cumprod", "cumulative_sum"):
    _EXPRESSIONS.append((f"{_name}(weak-float)", lambda xp, n=_name: getattr(xp, n)(
        xp.asarray(2.0)[None])))
for _dt in ("bool", "int8", "uint8", "int16", "uint32", "int32", "int64", "uint64"):
    for _name in ("sum", "prod", "cumsum", "cumprod", "cumulative_sum", "mean"):
        _EXPRESSIONS.append((f"{_name}({_dt})", lambda xp, n=_name, d=_dt: getattr(xp, n)(
            xp.ones((2,), d))))
# every dtype combined with weak Python scalars
for _dt in _DTYPES:
    for _s, _v in (("1", 1), ("2.5", 2.5), ("1j", 1j)):
        if _dt == np.dtype(np.bool_) and _s == "1j":
            continue
        _EXPRESSIONS.append((f"{_dname(_dt)}+{_s}", lambda xp, dt=_dt, v=_v: _arr(dt)(xp) + v))
        _EXPRESSIONS.append((f"{_s}*{_dname(_dt)}", lambda xp, dt=_dt, v=_v: v * _arr(dt)(xp)))


@pytest.mark.parametrize("expr", _EXPRESSIONS, ids=[e[0] for e in _EXPRESSIONS])
def test_result_weak_type(expr, x64_mode):
    name, fn = expr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = fn(jnp)
    got = fn(tnp)
    got_t = (tuple(got.shape), np.dtype(got.dtype), got.weak_type)
    want_t = (tuple(want.shape), np.dtype(want.dtype), bool(want.weak_type))
    assert got_t == want_t, f"{name}: tensorlib (shape, dtype, weak) {got_t}, JAX {want_t}"
