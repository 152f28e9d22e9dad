"""What the lowering rules share: the rule table, the walk of a graph, and dtype helpers.

``RULES`` (``rules.lowerings["xla"]``) and ``register(prim)``, the decorator that adds a rule to
it; ``lower_graph``/``lower_eqn``, which emit a graph or one equation with the registered rules
(control-flow rules lower their bodies with them); ``LoweringContext``, the per-module state
(hoisted constants); and the dtype, identity and reduction helpers of several rule modules.
The rule modules (``lowering`` and ``lowering_*``) import this one; it imports none of them.
"""

from __future__ import annotations

import numpy as np
from tensorlib.backends.xla_backend.mlir import V

from tensorlib._src import dtypes
from tensorlib._src.rules import def_lowering, lowering_table

RULES = lowering_table("xla")
_INLINE_CONST_MAX = 16  # elements; larger constants become parameters of main


def register(prim):
    return def_lowering("xla", prim)


class LoweringContext:
    """Per-module state: constants hoisted into parameters of ``main``."""

    def __init__(self):
        self.hoisted = []  # [(V, Array)]
        self._by_id = {}

    def constant(self, em, arr, aval):
        v = self._by_id.get(id(arr))
        if v is not None:
            return v
        host = np.asarray(arr.to_numpy(), dtype=aval.dtype) if aval.size <= (1 << 24) else None
        if host is not None and (aval.size <= _INLINE_CONST_MAX or _is_splat(host)):
            # small or one value repeated (a broadcast scalar): a literal XLA can fold
            return em.const(host, aval.dtype, aval.shape)
        v = V(f"%c{len(self.hoisted)}", aval.shape, aval.dtype)
        self.hoisted.append((v, arr))
        self._by_id[id(arr)] = v
        return v


def _is_splat(host):
    raw = np.ascontiguousarray(host).tobytes()
    n = host.dtype.itemsize
    return raw == raw[:n] * host.size


def lower_graph(em, graph, args, consts=None):
    """Emit ``graph`` on the values ``args``; returns its output values."""
    env = {}
    consts = graph.consts if consts is None else consts
    for v, c in zip(graph.constvars, consts, strict=True):
        env[v] = c if isinstance(c, V) else em.ctx.constant(em, c, v.aval)
    for v, a in zip(graph.invars, args, strict=True):
        env[v] = a
    for e in graph.eqns:
        outs = lower_eqn(em, e.prim, [env[v] for v in e.inputs],
                         [v.aval for v in e.outputs], e.params)
        for v, o in zip(e.outputs, outs, strict=True):
            env[v] = o
    return [env[v] for v in graph.outvars]


def lower_eqn(em, prim, args, out_avals, params):
    rule = RULES.get(prim)
    if rule is None:
        raise NotImplementedError(f"no xla lowering for primitive '{prim.name}'")
    out = rule(em, args, out_avals, **params)
    return out if prim.multiple_results else [out]


# --------------------------------------------------------------------------------------------
# dtypes and reductions

def _is_float(dt):
    return dtypes.is_float(dt)


def _is_complex(dt):
    return dtypes.is_complex(dt)


def _is_unsigned(dt):
    return np.dtype(dt).kind == "u"


def _is_bool(dt):
    return np.dtype(dt) == dtypes.bool_


# On booleans NumPy's add/mul/max/min are or/and/or/and.
_BOOL_BINARY = {"stablehlo.add": "stablehlo.or", "stablehlo.multiply": "stablehlo.and",
                "stablehlo.maximum": "stablehlo.or", "stablehlo.minimum": "stablehlo.and"}


def lowest(dt):
    dt = np.dtype(dt)
    if _is_bool(dt):
        return False
    if dt.kind in "iu":
        return np.iinfo(dt).min
    return -np.inf


def highest(dt):
    dt = np.dtype(dt)
    if _is_bool(dt):
        return True
    if dt.kind in "iu":
        return np.iinfo(dt).max
    return np.inf


def reduce_with(em, x, axes, opname, init):
    if _is_bool(x.dtype):
        opname = _BOOL_BINARY.get(opname, opname)
    (r,) = em.reduce([x], [em.const(init, x.dtype)], axes,
                     lambda sub, accs, elems: [sub.bin(opname, accs[0], elems[0])])
    return r
