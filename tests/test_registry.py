"""Meta tests over the primitive registry: every primitive has its rules and a NumPy kernel,
no Dispatcher is ambiguous, kernels return buffers, and third parties can add kernels."""

from __future__ import annotations

import importlib
import inspect
import warnings

import numpy as np
import pytest
from multipledispatch.conflict import AmbiguityWarning

import tensorlib as tl
import tensorlib.numpy as tnp
from tensorlib._src import core, dispatch, rules
from tensorlib._src.core import AbstractArray, Array
from tensorlib._src.ops import elementwise as ew

# Import every module that defines primitives, and load the NumPy backend's kernels.
for _mod in ("tensorlib.lax", "tensorlib.random", "tensorlib.nn", "tensorlib.numpy.linalg",
             "tensorlib.numpy.fft"):
    try:
        importlib.import_module(_mod)
    except ImportError:  # a module still being written must not hide the others' gaps
        pass
tnp.add(1.0, 2.0)

PRIMS = sorted(core.primitives().values(), key=lambda p: p.name)
ids = [p.name for p in PRIMS]


def _higher_order(prim):
    """Primitives that run through ``prim.impl`` (custom-derivative and jit calls, named-axis
    collectives). Control flow and checkpoint are not among them: they are primitives with
    every rule and kernel, walked like any other."""
    return prim.impl is not None


@pytest.mark.parametrize("name", ["scan", "while_loop", "cond", "checkpoint", "checkpoint_name"])
def test_control_flow_has_every_rule(name):
    """Control flow is not exempt: shape, JVP, VJP (a split one where it saves residuals),
    batching, a NumPy kernel and an XLA lowering."""
    prim = core.primitives()[name]
    assert prim.impl is None
    for table in (rules.shape_rules, rules.jvp_rules, rules.vjp_rules, rules.batch_rules):
        assert prim in table, (name, table)
    if name != "checkpoint_name":
        assert prim in rules.vjp_fwd_rules
    assert _numpy_kernel(prim) is not None
    pytest.importorskip("jaxlib")
    from tensorlib.backends.xla_backend import lowering

    assert prim in lowering.RULES


def test_check_rules_is_on():
    """conftest turns on the eager shape-rule check for the whole suite."""
    assert tl.config.check_rules


def test_registry_is_populated():
    assert len(PRIMS) > 80
    assert {"add", "exp", "reduce_sum", "dot_general", "gather", "scatter", "sort"} <= set(ids)


@pytest.mark.parametrize("prim", PRIMS, ids=ids)
def test_shape_rule(prim):
    assert prim in rules.shape_rules or _higher_order(prim), (
        f"primitive {prim.name!r} has no shape rule (def_shape) and no impl")


@pytest.mark.parametrize("prim", PRIMS, ids=ids)
def test_derivative_rules(prim):
    if prim in rules.nondiff or _higher_order(prim):
        return
    assert prim in rules.jvp_rules, f"primitive {prim.name!r} has no JVP rule nor def_nondiff"
    assert prim in rules.vjp_rules, f"primitive {prim.name!r} has no VJP rule nor def_nondiff"


def _takes_arrays(prim):
    rule = rules.shape_rules.get(prim)
    if rule is None:
        return True
    kinds = [p.kind for p in inspect.signature(rule).parameters.values()]
    return any(k in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                     inspect.Parameter.VAR_POSITIONAL) for k in kinds)


@pytest.mark.parametrize("prim", PRIMS, ids=ids)
def test_batch_rule(prim):
    """vmap needs a batching rule, except for primitives that take no array (iota)."""
    if not _takes_arrays(prim):
        return
    assert prim in rules.batch_rules or _higher_order(prim), (
        f"primitive {prim.name!r} has no batching rule (def_batch)")


def _numpy_kernel(prim):
    d = dispatch.dispatchers().get(prim)
    if d is None:
        return None
    for n in range(6):
        fn = d.dispatch(*(np.ndarray,) * n)
        if fn is not None:
            return fn
    return None


@pytest.mark.parametrize("prim", PRIMS, ids=ids)
def test_numpy_kernel(prim):
    if _higher_order(prim):
        return
    assert _numpy_kernel(prim) is not None, f"primitive {prim.name!r} has no NumPy kernel"


@pytest.mark.parametrize("name,d", sorted(dispatch.dispatchers().items(),
                                          key=lambda kv: kv[0].name),
                         ids=lambda v: getattr(v, "name", None) or str(v))
def test_dispatcher_not_ambiguous(name, d):
    with warnings.catch_warnings():
        warnings.simplefilter("error", AmbiguityWarning)
        d.reorder()


# --------------------------------------------------------------------------------------------
# Kernels return np.ndarray, never NumPy scalars, for 0-d inputs

_PARAMS = {
    # primitives whose kernels need parameters: (arguments as dtypes, params)
    "round": (["float32"], dict(rounding_method=0)),
    "integer_pow": (["float32"], dict(y=3)),
    "convert_element_type": (["float32"], dict(new_dtype=np.dtype("int32"), weak_type=False)),
    "bitcast_convert_type": (["float32"], dict(new_dtype=np.dtype("int32"))),
    "reduce_sum": (["float32"], dict(axes=())),
    "reduce_prod": (["float32"], dict(axes=())),
    "reduce_max": (["float32"], dict(axes=())),
    "reduce_min": (["float32"], dict(axes=())),
    "reduce_and": (["bool"], dict(axes=())),
    "reduce_or": (["bool"], dict(axes=())),
    "reshape": (["float32"], dict(new_sizes=())),
    "transpose": (["float32"], dict(permutation=())),
    "rev": (["float32"], dict(dimensions=())),
    "broadcast_in_dim": (["float32"], dict(shape=(), broadcast_dimensions=())),
    "slice": (["float32"], dict(start_indices=(), limit_indices=(), strides=None)),
    "pad": (["float32", "float32"], dict(padding_config=())),
    "dynamic_slice": (["float32"], dict(slice_sizes=())),
    "dynamic_update_slice": (["float32", "float32"], {}),
    "dot_general": (["float32", "float32"], dict(dimension_numbers=(((), ()), ((), ())),
                                                 preferred_element_type=None)),
    "select_n": (["bool", "float32", "float32"], {}),
    # a 0-d operand indexed by an empty index vector
    "gather": (["float32", ("int32", (0,))], dict(dims=(), mode="clip")),
}


def _zero_d_inputs(prim):
    """0-d arguments and params the shape rule accepts, or None."""
    if prim.name in _PARAMS:
        return _PARAMS[prim.name]
    rule = rules.shape_rules.get(prim)
    if rule is None:
        return None
    pos = [p for p in inspect.signature(rule).parameters.values()
           if p.kind == inspect.Parameter.POSITIONAL_OR_KEYWORD]
    if not pos or any(p.kind == inspect.Parameter.KEYWORD_ONLY
                      for p in inspect.signature(rule).parameters.values()):
        return None
    for dt in ("float32", "int32", "bool"):
        avals = [AbstractArray((), dt) for _ in pos]
        try:
            rule(*avals)
        except (TypeError, ValueError):
            continue
        return [np.dtype(dt)] * len(pos), {}
    return None


_ZERO_D = [(p, _zero_d_inputs(p)) for p in PRIMS if not _higher_order(p)]
_ZERO_D = [(p, spec) for p, spec in _ZERO_D if spec is not None]


def test_zero_d_kernel_coverage():
    """The 0-d kernel check below reaches most kernels (elementwise ones by probing)."""
    assert len(_ZERO_D) > 60, [p.name for p, _ in _ZERO_D]


@pytest.mark.parametrize("prim,spec", _ZERO_D, ids=[p.name for p, _ in _ZERO_D])
def test_kernel_returns_ndarray_for_0d(prim, spec):
    dts, params = spec
    bufs = [np.ones(dt[1], dt[0]) if isinstance(dt, tuple) else np.asarray(1, dtype=dt)
            for dt in dts]
    fn = dispatch.dispatchers()[prim].dispatch(*[type(b) for b in bufs])
    with np.errstate(all="ignore"):
        out = fn(*bufs, **params)
    outs = out if prim.multiple_results else [out]
    for o in outs:
        assert type(o) is np.ndarray, f"{prim.name}: kernel returned {type(o).__name__}"
        assert o.shape == (), f"{prim.name}: kernel returned shape {o.shape} for 0-d inputs"


# --------------------------------------------------------------------------------------------
# Third-party buffer types


class TaggedBuffer(np.ndarray):
    """A buffer type a third party might bring (any ndarray subclass would do)."""


@pytest.fixture
def restore_add_dispatcher():
    d = dispatch.impl(ew.add_p)
    funcs = dict(d.funcs)
    try:
        yield d
    finally:
        d.funcs.clear()
        d.funcs.update(funcs)
        d._cache.clear()
        d.reorder()
        ew.add_p._impl_cache.clear()


def test_third_party_kernel_is_chosen(restore_add_dispatcher):
    calls = []

    def tagged_add(x, y):
        calls.append((type(x), type(y)))
        return np.add(np.asarray(x), np.asarray(y)).view(TaggedBuffer)

    dispatch.register_impl(ew.add_p, (TaggedBuffer, TaggedBuffer), tagged_add)
    a = Array(np.arange(3.0, dtype=np.float32).view(TaggedBuffer))
    b = Array(np.ones(3, np.float32).view(TaggedBuffer))
    out = ew.add(a, b)
    assert calls == [(TaggedBuffer, TaggedBuffer)]
    assert type(out._buf) is TaggedBuffer
    np.testing.assert_array_equal(np.asarray(out._buf), [1.0, 2.0, 3.0])
    # plain ndarrays still use the NumPy backend's kernel
    c = ew.add(Array(np.ones(2, np.float32)), Array(np.ones(2, np.float32)))
    assert type(c._buf) is np.ndarray and len(calls) == 1


def test_third_party_kernel_is_removed_again(restore_add_dispatcher):
    """After the fixture above cleaned up, TaggedBuffer falls back to the ndarray kernel."""
    a = Array(np.ones(2, np.float32).view(TaggedBuffer))
    out = ew.add(a, a)
    np.testing.assert_array_equal(np.asarray(out._buf), [2.0, 2.0])
    assert not any(TaggedBuffer in sig for sig in restore_add_dispatcher.funcs)
