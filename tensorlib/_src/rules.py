"""Rule tables of every transformation, and the ``def_*`` helpers that fill them.

Only the helpers write to the tables, and a second registration of the same rule raises, so
two modules can never silently fight over a primitive.
"""

from __future__ import annotations

shape_rules: dict = {}
jvp_rules: dict = {}
vjp_rules: dict = {}
batch_rules: dict = {}
nondiff: set = set()
# Primitives whose VJP rule needs neither the primal inputs nor the outputs (linear ops): the
# tape then keeps no reference to them, which saves memory in long chains.
linear_vjp: set = set()
vjp_wants_mask: set = set()
lowerings: dict = {}  # backend name -> {primitive: lowering}
# Calls whose graph the tape and forward mode evaluate on their tracers (jit calls, debug
# print): ``fn(trace, tracers, params)``.
inline_rules: dict = {}
# Primitives whose reverse mode is split in two (control flow, checkpoint): the tape runs
# ``fwd(primals, live, **params) -> (outs, residuals, bwd_params)`` instead of the primitive
# and records the residuals; the VJP rule then gets ``(cts, None, *residuals, **bwd_params)``.
vjp_fwd_rules: dict = {}


def _register(table, prim, fn, kind):
    if prim in table:
        raise ValueError(f"{kind} rule for primitive '{prim.name}' is already defined")
    table[prim] = fn
    return fn


def def_shape(prim):
    """Register ``fn(*avals, **params) -> aval`` (or a list, for multiple results)."""
    return lambda fn: _register(shape_rules, prim, fn, "shape")


def def_jvp(prim):
    """Register ``fn(primals, tangents, **params) -> (out, out_tangent)``; a tangent may be None."""
    return lambda fn: _register(jvp_rules, prim, fn, "JVP")


def def_vjp(prim, *, linear=False, wants_mask=False):
    """Register ``fn(ct, out, *inputs, **params) -> tuple of cotangents (None = zero)``.

    With ``wants_mask``, the rule also gets ``_needs``: one bool per input saying whether its
    cotangent is used, so expensive ones (e.g. a matmul for a data input) can be skipped.
    """
    def reg(fn):
        if linear:
            linear_vjp.add(prim)
        if wants_mask:
            vjp_wants_mask.add(prim)
        return _register(vjp_rules, prim, fn, "VJP")
    return reg


def def_vjp_fwd(prim):
    """Register the forward half of a split VJP (see ``vjp_fwd_rules``)."""
    return lambda fn: _register(vjp_fwd_rules, prim, fn, "VJP forward")


def def_batch(prim):
    """Register ``fn(info, args, bdims, **params) -> (out, out_bdim)`` (``info.size``: lanes)."""
    return lambda fn: _register(batch_rules, prim, fn, "batching")


def def_nondiff(prim):
    """Declare that ``prim`` has no derivative (integer/boolean outputs, index computations)."""
    nondiff.add(prim)
    return prim


def def_lowering(backend: str, prim):
    table = lowerings.setdefault(backend, {})
    return lambda fn: _register(table, prim, fn, f"{backend} lowering")
