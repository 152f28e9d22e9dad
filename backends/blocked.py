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

from tensorlib._src import dtypes

TILE = 1 << 14  # elements per tile (64 KiB of float32: L2-resident with a few temporaries)

_UFUNC = {
    "neg": np.negative, "exp": np.exp, "log": np.log, "expm1": np.expm1, "log1p": np.log1p,
    "tanh": np.tanh, "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin,
    "acos": np.arccos, "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh,
    "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh, "sqrt": np.sqrt,
    "abs": np.abs, "floor": np.floor, "ceil": np.ceil, "sign": np.sign, "exp2": np.exp2,
    "cbrt": np.cbrt, "is_finite": np.isfinite,
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "max": np.maximum,
    "min": np.minimum, "atan2": np.arctan2, "eq": np.equal, "ne": np.not_equal,
    "lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
}
_FLOAT_BINARY = {"div": np.divide, "pow": np.power}
TRANSCENDENTAL = {"exp", "log", "expm1", "log1p", "tanh", "sin", "cos", "tan", "asin",
                  "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "exp2", "cbrt",
                  "logistic", "atan2", "pow"}
_OK_DTYPES = {dtypes.bool_, dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64}


def can_block(eqn) -> bool:
    name = eqn.prim.name
    if not all(np.dtype(v.aval.dtype) in _OK_DTYPES for v in list(eqn.inputs) + eqn.outputs):
        return False
    if name in _UFUNC or name in ("logistic", "integer_pow", "broadcast_in_dim"):
        return True
    if name in _FLOAT_BINARY:
        return dtypes.is_float(eqn.outputs[0].aval.dtype)
    if name == "select_n":
        return len(eqn.inputs) == 3 and eqn.inputs[0].aval.dtype == dtypes.bool_
    if name == "convert_element_type":
        src, dst = eqn.inputs[0].aval.dtype, eqn.params["new_dtype"]
        return not (dtypes.is_float(src) and dtypes.is_integer(dst))
    return False


def _apply(eqn, args, out):
    """Compute one equation on tile views ``args`` into the tile buffer ``out``."""
    name = eqn.prim.name
    f = _UFUNC.get(name) or _FLOAT_BINARY.get(name)
    if f is not None:
        f(*args, out=out)
    elif name == "logistic":  # the eager kernel's formula: 0.5 * tanh(0.5 x) + 0.5
        half = out.dtype.type(0.5)
        np.multiply(args[0], half, out=out)
        np.tanh(out, out=out)
        np.multiply(out, half, out=out)
        np.add(out, half, out=out)
    elif name == "integer_pow":
        y = eqn.params["y"]
        if y < 0:
            np.power(args[0], out.dtype.type(y), out=out)
        else:
            np.power(args[0], y, out=out, dtype=out.dtype)
    elif name == "select_n":
        np.copyto(out, args[1])
        np.copyto(out, args[2], where=args[0])
    elif name == "convert_element_type":
        np.copyto(out, args[0], casting="unsafe")
    else:
        raise ValueError(f"cannot run {name} blocked")


class BlockedGroup:
    """Runs a fusion group tile by tile along its leading axis (whole rows per tile)."""

    def __init__(self, eqns, inputs, outputs, shape):
        self.shape = tuple(shape)
        self.size = int(np.prod(self.shape, dtype=np.int64))
        self.out_dtypes = [np.dtype(v.aval.dtype) for v in outputs]
        self.bcast = {id(e.outputs[0]): (e.inputs[0], e.params["broadcast_dimensions"])
                      for e in eqns if e.prim.name == "broadcast_in_dim"}
        self.steps = [e for e in eqns if e.prim.name != "broadcast_in_dim"]
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

    def __call__(self, *bufs):
        outs = [np.empty(self.shape, dt) for dt in self.out_dtypes]
        full = self._full_views(bufs)
        if not self.shape or self.rows >= self.shape[0]:
            self._run(full, outs, None, self.shape)
            return outs
        tile = (self.rows,) + self.shape[1:]
        scratch = {id(e.outputs[0]): np.empty(tile, e.outputs[0].aval.dtype)
                   for e in self.steps if id(e.outputs[0]) not in self.out_pos}
        lead = self.shape[0]
        for start in range(0, lead, self.rows):
            stop = min(lead, start + self.rows)
            self._run(full, outs, slice(start, stop), None, scratch, stop - start)
        return outs

    def _run(self, full, outs, sl, whole_shape, scratch=None, n=0):
        env = {}
        for e in self.steps:
            args = []
            for v in e.inputs:
                t = env.get(id(v))
                if t is None:
                    t = full[id(v)] if sl is None else full[id(v)][sl]
                args.append(t)
            o = e.outputs[0]
            k = self.out_pos.get(id(o))
            if k is not None:
                dst = outs[k] if sl is None else outs[k][sl]
            elif scratch is None:
                dst = np.empty(whole_shape, o.aval.dtype)
            else:
                dst = scratch[id(o)][:n]
            _apply(e, args, dst)
            env[id(o)] = dst
