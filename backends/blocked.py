"""Blocked execution of elementwise groups: NumPy ufuncs with ``out=`` over cache-sized tiles.

For transcendental-heavy chains (sin, exp, tanh, log, ...) NumPy's SIMD loops beat a Numba
loop that calls libm per element, but eager NumPy makes one full-size temporary per operation
and one pass over memory for each. Running the whole group tile by tile keeps every
intermediate in a small scratch buffer that stays in cache: one pass over the inputs and
outputs, NumPy's vector code for the math. The results are bit-identical to eager NumPy, since
the same ufuncs run on the same values.
"""

from __future__ import annotations

import numpy as np
from tensorlib.backends.output_pool import OutputPool
from tensorlib.backends.xp_kernels import stable_logistic

from tensorlib._src import dtypes
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops import shape as sh
from tensorlib._src.ops.family import FAMILY

TILE = 1 << 15  # elements per tile (128 KiB of float32: L2-resident with a few temporaries)

def _ufunc(op):
    """The NumPy ufunc of a table entry, when it has one that takes ``out=``."""
    f = getattr(np, op.ufunc, None) if op.ufunc is not None else None
    return f if isinstance(f, np.ufunc) else None


# Primitive -> ufunc: every table entry spelled by a NumPy ufunc, and the float-only cases
_UFUNC = {p: f for p, op in FAMILY.items() if (f := _ufunc(op)) is not None}
_FLOAT_BINARY = {ew.div_p: np.divide, ew.pow_p: np.power}
TRANSCENDENTAL = frozenset(p for p, op in FAMILY.items() if op.transcendental)
_OK_DTYPES = {dtypes.bool_, dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64}
_SPECIAL = {ew.logistic_p, ew.integer_pow_p, sh.broadcast_in_dim_p}


def can_block(eqn) -> bool:
    prim = eqn.prim
    if not all(np.dtype(v.aval.dtype) in _OK_DTYPES for v in list(eqn.inputs) + eqn.outputs):
        return False
    if prim in _UFUNC or prim in _SPECIAL:
        return True
    if prim in _FLOAT_BINARY:
        return dtypes.is_float(eqn.outputs[0].aval.dtype)
    if prim is ew.select_n_p:
        return len(eqn.inputs) == 3 and eqn.inputs[0].aval.dtype == dtypes.bool_
    if prim is ew.convert_element_type_p:
        src, dst = eqn.inputs[0].aval.dtype, eqn.params["new_dtype"]
        return not (dtypes.is_float(src) and dtypes.is_integer(dst))
    return False


def _apply(eqn, args, out):
    """Compute one equation on tile views ``args`` into the tile buffer ``out``."""
    prim = eqn.prim
    f = _UFUNC.get(prim) or _FLOAT_BINARY.get(prim)
    if f is not None:
        f(*args, out=out)
    elif prim is ew.logistic_p:  # the eager kernel's formula, bit for bit
        out[...] = stable_logistic(np, args[0])
    elif prim is ew.integer_pow_p:
        y = eqn.params["y"]
        if y < 0:
            np.power(args[0], out.dtype.type(y), out=out)
        else:
            np.power(args[0], y, out=out, dtype=out.dtype)
    elif prim is ew.select_n_p:
        np.copyto(out, args[1])
        np.copyto(out, args[2], where=args[0])
    elif prim is ew.convert_element_type_p:
        np.copyto(out, args[0], casting="unsafe")
    else:
        raise ValueError(f"cannot run {prim.name} blocked")


class BlockedGroup:
    """Runs a fusion group tile by tile along its leading axis (whole rows per tile)."""

    def __init__(self, eqns, inputs, outputs, shape):
        self.shape = tuple(shape)
        self.size = int(np.prod(self.shape, dtype=np.int64))
        self.out_dtypes = [np.dtype(v.aval.dtype) for v in outputs]
        self._pool = OutputPool(self.shape, self.out_dtypes)
        self.bcast = {id(e.outputs[0]): (e.inputs[0], e.params["broadcast_dimensions"])
                      for e in eqns if e.prim is sh.broadcast_in_dim_p}
        self.steps = [e for e in eqns if e.prim is not sh.broadcast_in_dim_p]
        self.pos = {id(v): k for k, v in enumerate(inputs)}
        self.inputs = inputs
        self.out_pos = {id(v): k for k, v in enumerate(outputs)}
        lead = self.shape[0] if self.shape else 1
        row = max(1, self.size // max(lead, 1))
        self.rows = max(1, min(lead, TILE // row))

    def _full_views(self, bufs):
        """Every value the steps read from outside, as an array of the group's full shape."""
        env = {}
        for v in self.inputs:
            b = bufs[self.pos[id(v)]]
            if tuple(b.shape) == self.shape:
                env[id(v)] = b
        for vid, (src, dims) in self.bcast.items():
            b = bufs[self.pos[id(src)]]
            view = [1] * len(self.shape)
            for i, d in enumerate(dims):
                view[d] = b.shape[i]
            env[vid] = np.broadcast_to(b.reshape(view), self.shape)
        return env

    def _plan(self):
        """Per step: the ufunc call, where each argument comes from, where the result goes."""
        slot_of, plan, n_tmp = {}, [], 0
        for e in self.steps:
            srcs = []
            for v in e.inputs:
                srcs.append(("tmp", slot_of[id(v)]) if id(v) in slot_of else ("in", id(v)))
            o = e.outputs[0]
            k = self.out_pos.get(id(o))
            if k is None:
                slot_of[id(o)] = n_tmp
                dst = ("tmp", n_tmp)
                n_tmp += 1
            else:
                slot_of[id(o)] = ("out", k)
                dst = ("out", k)
            plan.append((e, srcs, dst))
        # outputs read by later steps are read back from the output arrays
        fixed = []
        for e, srcs, dst in plan:
            srcs = [("out", s[1][1]) if s[0] == "tmp" and isinstance(s[1], tuple) else s
                    for s in srcs]
            fixed.append((e, srcs, dst))
        return fixed, n_tmp

    def __call__(self, *bufs):
        outs = self._pool.take()
        full = self._full_views(bufs)
        plan, _ = self._plan_cache if hasattr(self, "_plan_cache") else self._cache_plan()
        if not self.shape or self.rows >= self.shape[0]:
            self._run(plan, full, outs, None, [None] * len(plan), self.shape)
            return outs
        tile = (self.rows,) + self.shape[1:]
        tmps = [np.empty(tile, e.outputs[0].aval.dtype) if dst[0] == "tmp" else None
                for e, _, dst in plan]
        tmp_of = {dst[1]: t for (e, _, dst), t in zip(plan, tmps) if dst[0] == "tmp"}
        lead = self.shape[0]
        for start in range(0, lead, self.rows):
            stop = min(lead, start + self.rows)
            self._run(plan, full, outs, slice(start, stop), tmp_of, None, stop - start)
        return outs

    def _cache_plan(self):
        self._plan_cache = self._plan()
        return self._plan_cache

    @staticmethod
    def _run(plan, full, outs, sl, tmp_of, whole_shape, n=0):
        tmps = {}
        for e, srcs, dst in plan:
            args = []
            for kind, key in srcs:
                if kind == "in":
                    a = full[key]
                    args.append(a if sl is None else a[sl])
                elif kind == "out":
                    args.append(outs[key] if sl is None else outs[key][sl])
                else:
                    args.append(tmps[key])
            if dst[0] == "out":
                d = outs[dst[1]] if sl is None else outs[dst[1]][sl]
            elif sl is None:
                d = np.empty(whole_shape, e.outputs[0].aval.dtype)
            else:
                d = tmp_of[dst[1]][:n]
            _apply(e, args, d)
            if dst[0] == "tmp":
                tmps[dst[1]] = d
