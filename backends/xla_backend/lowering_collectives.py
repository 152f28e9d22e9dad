"""Lowering of the collectives (``psum``, ``pmax``, ``pmin``, ``all_gather``, ``ppermute``,
``axis_index``) to XLA's cross-replica operations.

They lower only while a *replicated* module is being built (``replicated(n)``): pmap compiles
its graph once with ``num_replicas = n``, and replica ``i`` runs on the ``i``-th device of the
pmap, so ``replica_id`` is the axis index and the replica group is every replica. Anywhere
else (an eager op, a single-device jit) ``can_lower`` is False and the equation stays on the
host, where the threaded executor's Communicator serves it.
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np
from tensorlib.backends.xla_backend.lowering_core import register

from tensorlib._src import collectives as co

_state = threading.local()


@contextlib.contextmanager
def replicated(n: int):
    """Collectives lower for a module of ``n`` replicas inside this block."""
    prev = getattr(_state, "n", None)
    _state.n = n
    try:
        yield
    finally:
        _state.n = prev


def _replicas():
    return getattr(_state, "n", None)


def _in_replicated_module(params, avals):
    return _replicas() is not None


def _groups(n):
    row = ", ".join(str(i) for i in range(n))
    return f"replica_groups = dense<[[{row}]]> : tensor<1x{n}xi64>"


def _all_reduce(combine):
    def rule(em, args, outs, *, axis_name):
        (x,), n = args, _replicas()
        combine_op = combine
        if x.dtype == np.bool_:  # the dtype stays bool: a sum or a max is "any", a min "all"
            combine_op = "stablehlo.and" if combine == "stablehlo.minimum" else "stablehlo.or"
        scalar = [((), x.dtype)] * 2
        region = em.region(scalar, lambda sub, ab: [sub.bin(combine_op, ab[0], ab[1])])
        return em.op1("stablehlo.all_reduce", [x], x.shape, x.dtype, _groups(n), [region])

    rule.can_lower = _in_replicated_module
    return rule


register(co.psum_p)(_all_reduce("stablehlo.add"))
register(co.pmax_p)(_all_reduce("stablehlo.maximum"))
register(co.pmin_p)(_all_reduce("stablehlo.minimum"))


def _all_gather_lower(em, args, outs, *, axis_name, axis, tiled):
    (x,), (out,), n = args, outs, _replicas()
    if not tiled:  # stack: gather along a new axis of size 1
        shape = list(x.shape)
        shape.insert(axis, 1)
        x = em.reshape(x, shape)
    return em.op1("stablehlo.all_gather", [x], out.shape, out.dtype,
                  f"all_gather_dim = {axis} : i64, {_groups(n)}")


_all_gather_lower.can_lower = _in_replicated_module
register(co.all_gather_p)(_all_gather_lower)


def _ppermute_lower(em, args, outs, *, axis_name, perm):
    (x,) = args
    if not perm:  # nobody sends: every replica receives zeros, as in JAX
        return em.full_like(x, 0)
    pairs = ", ".join(f"[{int(s)}, {int(d)}]" for s, d in perm)
    return em.op1("stablehlo.collective_permute", [x], x.shape, x.dtype,
                  f"source_target_pairs = dense<[{pairs}]> : tensor<{len(perm)}x2xi64>")


_ppermute_lower.can_lower = _in_replicated_module
register(co.ppermute_p)(_ppermute_lower)


def _axis_index_lower(em, args, outs, *, axis_name):
    rid = em.op1("stablehlo.replica_id", [], (), np.uint32)
    return em.convert(rid, outs[0].dtype)


_axis_index_lower.can_lower = _in_replicated_module
register(co.axis_index_p)(_axis_index_lower)
