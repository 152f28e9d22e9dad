"""Rule tables of every transformation, and the ``def_*`` helpers that fill them.

Only the helpers write to the tables: each table is a private dict here, and the public name
is a read-only view of it (a ``MappingProxyType``; for the sets, ``nondiff`` and the like, the
dict's live ``keys()`` view), so ``shape_rules[p] = f`` raises ``TypeError`` and
``nondiff.add`` does not exist, while reads like ``shape_rules[prim](...)`` or
``prim in nondiff`` work anywhere, at C speed. A second registration of the same rule
raises, so two modules can never silently fight over a primitive.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType


class _LoweringTables(Mapping):
    """Read-only view ``backend name -> read-only view of {primitive: lowering}``."""

    __slots__ = ("_tables",)

    def __init__(self, tables: dict):
        self._tables = tables

    def __getitem__(self, backend):
        return MappingProxyType(self._tables[backend])

    def __iter__(self):
        return iter(self._tables)

    def __len__(self):
        return len(self._tables)


_shape_rules: dict = {}
_jvp_rules: dict = {}
_vjp_rules: dict = {}
_batch_rules: dict = {}
# sets are kept as dicts (prim -> None) so that ``keys()`` is their live read-only view
_nondiff: dict = {}
_linear_vjp: dict = {}
_vjp_wants_mask: dict = {}
_lowerings: dict = {}
_inline_rules: dict = {}
_vjp_fwd_rules: dict = {}
_axis_primitives: dict = {}

shape_rules = MappingProxyType(_shape_rules)
jvp_rules = MappingProxyType(_jvp_rules)
vjp_rules = MappingProxyType(_vjp_rules)
batch_rules = MappingProxyType(_batch_rules)
nondiff = _nondiff.keys()
# Primitives whose VJP rule needs neither the primal inputs nor the outputs (linear ops): the
# tape then keeps no reference to them, which saves memory in long chains.
linear_vjp = _linear_vjp.keys()
vjp_wants_mask = _vjp_wants_mask.keys()
lowerings = _LoweringTables(_lowerings)  # backend name -> {primitive: lowering}
# Calls whose graph the tape and forward mode evaluate on their tracers (jit calls, debug
# print): ``fn(trace, tracers, params)``.
inline_rules = MappingProxyType(_inline_rules)
# Primitives whose reverse mode is split in two (control flow, checkpoint): the tape runs
# ``fwd(primals, live, **params) -> (outs, residuals, bwd_params)`` instead of the primitive
# and records the residuals; the VJP rule then gets ``(cts, None, *residuals, **bwd_params)``.
vjp_fwd_rules = MappingProxyType(_vjp_fwd_rules)
# Primitives whose batching rule runs even when no input is batched (collectives over a named
# axis: ``axis_index`` of an unbatched value still depends on the lane).
axis_primitives = _axis_primitives.keys()


_listeners: list = []


def on_change(fn):
    """Call ``fn()`` whenever a rule is registered or forgotten: for caches derived from the
    tables (the tape's per-primitive classification)."""
    _listeners.append(fn)
    return fn


def _changed():
    for fn in _listeners:
        fn()


def register(table: dict, prim, fn, kind: str):
    """Put ``fn`` in the private ``table`` under ``prim``; a second registration raises.

    For the ``def_*`` helpers of this module and of the modules that own other tables
    (``staging.def_staging``, ``passes.def_dce``)."""
    if prim in table:
        raise ValueError(f"{kind} rule for primitive '{prim.name}' is already defined")
    table[prim] = fn
    _changed()
    return fn


def def_shape(prim):
    """Register ``fn(*avals, **params) -> aval`` (or a list, for multiple results)."""
    return lambda fn: register(_shape_rules, prim, fn, "shape")


def def_jvp(prim):
    """Register ``fn(primals, tangents, **params) -> (out, out_tangent)``; a tangent may be None."""
    return lambda fn: register(_jvp_rules, prim, fn, "JVP")


def def_vjp(prim, *, linear=False, wants_mask=False):
    """Register ``fn(ct, out, *inputs, **params) -> tuple of cotangents (None = zero)``.

    With ``wants_mask``, the rule also gets ``_needs``: one bool per input saying whether its
    cotangent is used, so expensive ones (e.g. a matmul for a data input) can be skipped.
    """
    def reg(fn):
        register(_vjp_rules, prim, fn, "VJP")
        if linear:
            _linear_vjp[prim] = None
            _changed()
        if wants_mask:
            _vjp_wants_mask[prim] = None
            _changed()
        return fn
    return reg


def def_vjp_fwd(prim):
    """Register the forward half of a split VJP (see ``vjp_fwd_rules``)."""
    return lambda fn: register(_vjp_fwd_rules, prim, fn, "VJP forward")


def def_batch(prim):
    """Register ``fn(info, args, bdims, **params) -> (out, out_bdim)`` (``info.size``: lanes)."""
    return lambda fn: register(_batch_rules, prim, fn, "batching")


def def_inline(prim):
    """Register ``fn(trace, tracers, params) -> outputs``: how the tape and forward mode
    evaluate a call (a jit call's graph, a debug print) on their own tracers."""
    return lambda fn: register(_inline_rules, prim, fn, "inline")


def def_nondiff(prim):
    """Declare that ``prim`` has no derivative (integer/boolean outputs, index computations).

    Idempotent: declaring it twice is harmless (there is no rule to fight over)."""
    _nondiff[prim] = None
    _changed()
    return prim


def def_axis_primitive(prim):
    """Declare ``prim`` an axis primitive (see ``axis_primitives``)."""
    register(_axis_primitives, prim, None, "axis primitive")
    return prim


def lowering_table(backend: str):
    """The read-only ``{primitive: lowering}`` table of ``backend`` (created empty if new)."""
    return MappingProxyType(_lowerings.setdefault(backend, {}))


def def_lowering(backend: str, prim):
    table = _lowerings.setdefault(backend, {})
    return lambda fn: register(table, prim, fn, f"{backend} lowering")


def _forget(prim):
    """Remove every rule of ``prim`` (for tests that make throwaway primitives)."""
    for table in (_shape_rules, _jvp_rules, _vjp_rules, _batch_rules, _inline_rules,
                  _vjp_fwd_rules, _nondiff, _linear_vjp, _vjp_wants_mask, _axis_primitives,
                  *_lowerings.values()):
        table.pop(prim, None)
    _changed()
