"""Meta tests over the primitive registry: every primitive has every rule on every backend
(or a documented exemption), rule tables are read-only, no Dispatcher is ambiguous, kernels
return buffers, and third parties can add kernels."""

from __future__ import annotations

import importlib
import inspect
import sys
import types
import warnings

import numpy as np
import pytest
from multipledispatch.conflict import AmbiguityWarning

import tensorlib as tl
import tensorlib.numpy as tnp
from tensorlib._src import core, dispatch, passes, rules
from tensorlib._src.core import AbstractArray, Array
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.transforms import staging

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


def _runs_through_impl(prim):
    """Primitives that run eagerly through ``prim.impl`` (custom-derivative and jit calls,
    named-axis collectives, debug print, stop_gradient) rather than a backend kernel."""
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
    assert prim in _xla_rules()


def test_check_rules_is_on():
    """conftest turns on the eager shape-rule check for the whole suite."""
    assert tl.config.check_rules


def test_registry_is_populated():
    assert len(PRIMS) > 80
    assert {"add", "exp", "reduce_sum", "dot_general", "gather", "scatter", "sort"} <= set(ids)


# --------------------------------------------------------------------------------------------
# The walk: every primitive x every rule x every backend. A missing rule fails unless EXEMPT
# names the pair, with the reason and what stands in for the rule ("staging": a staging rule
# records it, "inline": the tape and forward mode run its graph on their tracers, "impl": it
# runs eagerly through ``prim.impl``, None: nothing, the reason says why none is needed).
# test_exemptions_are_honest fails on a stale entry. Keep this list small: "not written yet"
# is not a reason.

_COLLECTIVES = ("all_gather", "axis_index", "pmax", "pmin", "ppermute", "psum")
EXEMPT = {
    ("iota", "batch"): ("takes no array operand, so no batched value ever reaches it", None),
    ("jit_call", "shape"): ("staged by its staging rule: the callee's graph has the avals",
                            "staging"),
    ("jit_call", "jvp"): ("differentiated through the callee's graph (inline rule)", "inline"),
    ("jit_call", "vjp"): ("differentiated through the callee's graph (inline rule)", "inline"),
    ("jit_call", "numpy"): ("runs its compiled executable through impl, on any backend",
                            "impl"),
    ("debug_print", "shape"): ("staged by its staging rule (it has no outputs)", "staging"),
    ("debug_print", "jvp"): ("no outputs: derivatives pass by; its inline rule prints the "
                             "primal values", "inline"),
    ("debug_print", "vjp"): ("no outputs: derivatives pass by; its inline rule prints the "
                             "primal values", "inline"),
    ("debug_print", "numpy"): ("prints on the host through impl", "impl"),
    ("debug_print", "xla"): ("calls back into Python: XLA runs it on the host between "
                             "compiled segments", None),
    ("stop_gradient", "numpy"): ("the identity: impl returns its input", "impl"),
    ("pure_callback", "numpy"): ("calls the user's Python function on host arrays through "
                                 "impl, on any backend", "impl"),
    ("pure_callback", "xla"): ("calls back into Python: XLA runs it on the host between "
                               "compiled segments", None),
    **{(c, "numpy"): ("eagerly a collective runs through impl on pmap's per-device "
                      "communicator; outside a mapped axis it is an error", "impl")
       for c in _COLLECTIVES},
    ("reduce_window_argmax", "xla"): ("no StableHLO windowed arg-reduction: the XLA backend "
                                      "runs the NumPy kernel on the host", None),
    ("reduce_window_argmin", "xla"): ("no StableHLO windowed arg-reduction: the XLA backend "
                                      "runs the NumPy kernel on the host", None),
    ("while_grad", "xla"): ("its residual buffer is sized when the program runs: XLA runs it "
                            "on the host between compiled segments (max_steps keeps a loop "
                            "compiled)", None),
}

_HELPER = {"shape": "def_shape", "jvp": "def_jvp (or def_nondiff)",
           "vjp": "def_vjp (or def_nondiff)", "batch": "def_batch",
           "numpy": "a NumPy kernel (register_impl)", "xla": "an XLA lowering (def_lowering)",
           "cupy": "a kernel registered by numpy_backend.register_kernels"}


def _xla_rules():
    pytest.importorskip("jaxlib")
    from tensorlib.backends.xla_backend import lowering

    return lowering.RULES


def _has(prim, rule):
    if rule == "shape":
        return prim in rules.shape_rules
    if rule in ("jvp", "vjp"):
        table = rules.jvp_rules if rule == "jvp" else rules.vjp_rules
        return prim in rules.nondiff or prim in table
    if rule == "batch":
        return prim in rules.batch_rules
    if rule == "numpy":
        return _numpy_kernel(prim) is not None
    if rule == "xla":
        return prim in _xla_rules()
    raise AssertionError(rule)


def _check(prim, rule):
    if _has(prim, rule):
        return
    assert (prim.name, rule) in EXEMPT, (
        f"primitive {prim.name!r} has no {rule} rule: add {_HELPER[rule]} beside its "
        f"definition, or an entry with the reason to EXEMPT in {__name__}")


@pytest.mark.parametrize("prim", PRIMS, ids=ids)
def test_shape_rule(prim):
    _check(prim, "shape")


@pytest.mark.parametrize("prim", PRIMS, ids=ids)
def test_derivative_rules(prim):
    _check(prim, "jvp")
    _check(prim, "vjp")


@pytest.mark.parametrize("prim", PRIMS, ids=ids)
def test_batch_rule(prim):
    _check(prim, "batch")


@pytest.mark.parametrize("prim", PRIMS, ids=ids)
def test_numpy_kernel(prim):
    _check(prim, "numpy")


@pytest.mark.parametrize("prim", PRIMS, ids=ids)
def test_xla_lowering(prim):
    _check(prim, "xla")


@pytest.mark.parametrize("key", sorted(EXEMPT), ids=["-".join(k) for k in sorted(EXEMPT)])
def test_exemptions_are_honest(key):
    """Every exemption names a primitive that exists and still lacks the rule, and what
    stands in for the rule is there."""
    name, rule = key
    reason, stand_in = EXEMPT[key]
    assert reason
    prim = core.primitives().get(name)
    assert prim is not None, f"EXEMPT names {name!r}, which is no primitive: drop the entry"
    assert not _has(prim, rule), f"{name!r} has its {rule} rule now: drop the EXEMPT entry"
    if stand_in == "staging":
        assert prim in staging.staging_rules
    elif stand_in == "inline":
        assert prim in rules.inline_rules
    elif stand_in == "impl":
        assert _runs_through_impl(prim)
    else:
        assert stand_in is None


def _numpy_kernel(prim):
    d = dispatch.dispatchers().get(prim)
    if d is None:
        return None
    for n in range(6):
        fn = d.dispatch(*(np.ndarray,) * n)
        if fn is not None:
            return fn
    return None


class _StandIn(types.ModuleType):
    """A module whose attributes are ``base``'s where it has them, else inert functions: the
    kernels are built at registration, never called here."""

    def __init__(self, name, base=None):
        super().__init__(name)
        self._base = base

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        if self._base is not None and hasattr(self._base, attr):
            return getattr(self._base, attr)

        def inert(*args, **kwargs):
            raise AssertionError(f"{self.__name__}.{attr} called during registration")

        return inert


class _FakeCupyBuffer:
    """Stands in for ``cupy.ndarray``."""


def _cupy_registered(monkeypatch):
    """The primitives ``numpy_backend.register_kernels`` registers when the CuPy backend calls
    it, with stand-ins for ``cupy``/``cupyx`` (no GPU needed): ``wrap`` records them, and
    ``register_impl`` is replaced in every backend module so nothing is really registered."""
    from tensorlib.backends import numpy_backend

    cupy = _StandIn("cupy", np)
    cupyx = _StandIn("cupyx")
    cupyx.scipy = _StandIn("cupyx.scipy")
    cupyx.scipy.special = _StandIn("cupyx.scipy.special")
    for mod in (cupyx, cupyx.scipy, cupyx.scipy.special):
        monkeypatch.setitem(sys.modules, mod.__name__, mod)
    registered = {}

    def record_registration(prim, types_, fn):
        registered.setdefault(prim, []).append(tuple(types_))
        return fn

    monkeypatch.setattr(dispatch, "register_impl", record_registration)
    for name, mod in list(sys.modules.items()):
        if name.startswith("tensorlib.backends") and hasattr(mod, "register_impl"):
            monkeypatch.setattr(mod, "register_impl", record_registration)
    wrapped = set()

    def wrap(prim, fn):
        wrapped.add(prim)
        return fn

    numpy_backend.register_kernels(cupy, _FakeCupyBuffer, wrap=wrap)
    return wrapped, registered


def test_cupy_backend_registers_every_numpy_kernel(monkeypatch):
    """The CuPy backend's kernels are the NumPy backend's, registered for ``cupy.ndarray``
    through ``wrap`` (which selects the operands' GPU): every primitive with a NumPy kernel
    must get one, for the CuPy buffer type."""
    wrapped, registered = _cupy_registered(monkeypatch)
    with_numpy = {p for p in PRIMS if _numpy_kernel(p) is not None}
    missing = sorted(p.name for p in with_numpy - wrapped)
    assert not missing, f"numpy_backend.register_kernels(cupy, ...) skips {missing}"
    unregistered = sorted(p.name for p in with_numpy - set(registered))
    assert not unregistered, f"kernels built but not registered for CuPy: {unregistered}"
    for prim, sigs in registered.items():
        for sig in sigs:
            flat = [t for s in sig for t in (s if isinstance(s, list) else [s])]
            assert _FakeCupyBuffer in flat and np.ndarray not in flat, (prim.name, sig)


def test_rule_tables_are_read_only():
    """Rule tables are written only through their def_* helpers."""
    prim = ew.add_p
    for table in (rules.shape_rules, rules.jvp_rules, rules.vjp_rules, rules.batch_rules,
                  rules.inline_rules, rules.vjp_fwd_rules, rules.lowerings,
                  staging.staging_rules, passes.dce_rules):
        with pytest.raises(TypeError):
            table[prim] = None
        with pytest.raises((TypeError, AttributeError)):
            table.pop(prim)
    for name in rules.lowerings:
        with pytest.raises(TypeError):
            rules.lowerings[name][prim] = None
    for s in (rules.nondiff, rules.linear_vjp, rules.vjp_wants_mask, passes.effectful,
              passes.no_fold):
        with pytest.raises(AttributeError):
            s.add(prim)
        with pytest.raises(AttributeError):
            s.discard(prim)
        with pytest.raises(TypeError):
            s[prim] = None


def test_second_registration_raises():
    from tensorlib.extend import Primitive

    p = Primitive("registered_twice_test_op")
    try:
        for helper in (rules.def_shape, rules.def_jvp, rules.def_vjp, rules.def_batch,
                       rules.def_inline, rules.def_vjp_fwd, staging.def_staging,
                       passes.def_dce):
            helper(p)(lambda *a, **k: None)
            with pytest.raises(ValueError, match="already defined"):
                helper(p)(lambda *a, **k: None)
    finally:
        core._registry.pop(p.name, None)
        rules._forget(p)
        staging._staging_rules.pop(p, None)
        passes._dce_rules.pop(p, None)


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


_ZERO_D = [(p, _zero_d_inputs(p)) for p in PRIMS if not _runs_through_impl(p)]
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
