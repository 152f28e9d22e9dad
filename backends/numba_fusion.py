"""Fused elementwise kernels for the NumPy backend, generated as Python source for Numba.

A *group* (found by ``tensorlib._src.passes.fusion_groups``) is a run of elementwise equations
over one output shape. It becomes one loop nest: each element of every input is read once,
every intermediate lives in a register, and only the values used outside the group are
written back. NumPy would make one pass over memory per operation instead.

Generated modules are written to a cache directory and compiled with ``cache=True``, so a
kernel compiles once per machine, not once per process.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys

import numpy as np

from tensorlib._src import dtypes

_FUSIBLE_DTYPES = {dtypes.bool_, dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64,
                   dtypes.uint8, dtypes.uint16, dtypes.uint32, dtypes.uint64,
                   dtypes.float32, dtypes.float64}

# prim name -> how one element is computed: a format string over the operand names
# Transcendental functions (exp, log, tanh, sin, ...) are left out on purpose: NumPy's SIMD
# implementations beat a scalar libm call per element by more than fusion saves, so they end a
# fused group instead (measured; see tests/benchmarks/bench_fusion.py).
_UNARY = {
    "neg": "-{0}", "sqrt": "np.sqrt({0})", "abs": "np.abs({0})",
    "floor": "np.floor({0})", "ceil": "np.ceil({0})", "sign": "np.sign({0})",
    "is_finite": "np.isfinite({0})", "rsqrt": "{T}(1) / np.sqrt({0})",
}
_BINARY = {
    "add": "{0} + {1}", "sub": "{0} - {1}", "mul": "{0} * {1}",
    "max": "np.maximum({0}, {1})", "min": "np.minimum({0}, {1})",
    "eq": "{0} == {1}", "ne": "{0} != {1}", "lt": "{0} < {1}", "le": "{0} <= {1}",
    "gt": "{0} > {1}", "ge": "{0} >= {1}",
    "and": "{0} & {1}", "or": "{0} | {1}", "xor": "{0} ^ {1}",
}
_FLOAT_ONLY = {"div": "{0} / {1}", "rem": "np.fmod({0}, {1})"}


def _dtype_ok(aval):
    return np.dtype(aval.dtype) in _FUSIBLE_DTYPES


def can_fuse(eqn) -> bool:
    """Whether one equation can be part of a fused loop."""
    name = eqn.prim.name
    if not all(_dtype_ok(v.aval) for v in list(eqn.inputs) + list(eqn.outputs)):
        return False
    if name in _UNARY or name in _BINARY:
        return True
    if name in _FLOAT_ONLY:
        return dtypes.is_float(eqn.outputs[0].aval.dtype)
    if name == "integer_pow":
        return True
    if name == "select_n":
        return len(eqn.inputs) == 3 and eqn.inputs[0].aval.dtype == dtypes.bool_
    if name == "convert_element_type":
        src, dst = eqn.inputs[0].aval.dtype, eqn.params["new_dtype"]
        return not (dtypes.is_float(src) and dtypes.is_integer(dst))
    if name == "broadcast_in_dim":
        return True
    return False


def _expr(eqn, names, T):
    name = eqn.prim.name
    args = [names[id(v)] for v in eqn.inputs]
    if name in _UNARY:
        return _UNARY[name].format(*args, T=T)
    if name in _BINARY:
        return _BINARY[name].format(*args)
    if name in _FLOAT_ONLY:
        return _FLOAT_ONLY[name].format(*args)
    if name == "integer_pow":
        y = eqn.params["y"]
        if y == 0:
            return f"{T}(1)"
        if 0 < y <= 4:
            return " * ".join([args[0]] * y)
        return f"np.power({args[0]}, {T}({y}))"
    if name == "select_n":
        return f"({args[2]} if {args[0]} else {args[1]})"
    if name == "convert_element_type":
        return f"np.{np.dtype(eqn.params['new_dtype']).name}({args[0]})"
    raise ValueError(f"cannot fuse {name}")


class FusedKernel:
    """One generated loop nest: ``kernel(*inputs) -> outputs`` over NumPy arrays."""

    def __init__(self, eqns, inputs, outputs, shape, source, fn):
        self.eqns = eqns
        self.inputs = inputs
        self.outputs = outputs
        self.shape = shape
        self.source = source
        self._fn = fn
        self._out_dtypes = [np.dtype(v.aval.dtype) for v in outputs]

    def __call__(self, *bufs):
        outs = [np.empty(self.shape, dt) for dt in self._out_dtypes]
        raw = [o.reshape(1) if o.ndim == 0 else o for o in outs]
        # 0-d inputs travel as 1-element vectors (Numba's parallel lowering rejects 0-d reads)
        self._fn(*[b.reshape(1) if b.ndim == 0 else b for b in bufs], *raw)
        return outs


def build_kernel(eqns, inputs, outputs, parallel=False) -> FusedKernel:
    """Generate, compile (cached on disk) and wrap the loop nest of one fusion group."""
    shape = tuple(outputs[0].aval.shape)
    nd = len(shape)
    idx = [f"i{k}" for k in range(nd)]
    names = {}
    lines = []
    # index expression of each input: broadcast inputs read index 0 along size-1 axes
    remap = {}  # broadcast_in_dim outputs inside the group -> (source var, dims)
    for e in eqns:
        if e.prim.name == "broadcast_in_dim":
            remap[id(e.outputs[0])] = (e.inputs[0], e.params["broadcast_dimensions"])

    def load(var, k):
        src, dims = var, tuple(range(nd - len(var.aval.shape), nd))
        if id(var) in remap:
            src, dims = remap[id(var)]
        ins_pos = inputs.index(src)
        sub = [("0" if src.aval.shape[j] == 1 and shape[d] != 1 else idx[d])
               for j, d in enumerate(dims)]
        return f"x{ins_pos}[{', '.join(sub)}]" if sub else f"x{ins_pos}[0]"

    tmp = 0
    hoisted = []  # scalar (0-d) inputs are read once, before the loops
    for e in eqns:
        if e.prim.name == "broadcast_in_dim":
            continue
        for v in e.inputs:
            if id(v) not in names:
                ref = load(v, tmp)
                (hoisted if ref.endswith("[0]") else lines).append(f"v{tmp} = {ref}")
                names[id(v)] = f"v{tmp}"
                tmp += 1
        T = f"np.{np.dtype(e.outputs[0].aval.dtype).name}"
        out = f"t{tmp}"
        tmp += 1
        lines.append(f"{out} = {T}({_expr(e, names, T)})")
        names[id(e.outputs[0])] = out
    for k, v in enumerate(outputs):
        ref = f"o{k}[{', '.join(idx)}]" if nd else f"o{k}[0]"
        lines.append(f"{ref} = {names[id(v)]}")
    args = [f"x{k}" for k in range(len(inputs))] + [f"o{k}" for k in range(len(outputs))]
    src = ["import numpy as np", "import numba", "",
           f"@numba.njit(cache=True, nogil=True, parallel={parallel}, error_model='numpy')",
           f"def kernel({', '.join(args)}):"]
    indent = "    "
    src += [indent + line for line in hoisted]
    for d in range(nd):
        rng = "numba.prange" if (d == 0 and parallel) else "range"
        src.append(f"{indent}for {idx[d]} in {rng}({shape[d]}):")
        indent += "    "
    src += [indent + line for line in lines]
    source = "\n".join(src) + "\n"
    fn = _load(source)
    return FusedKernel(eqns, inputs, outputs, shape, source, fn)


def _cache_dir():
    d = os.environ.get("TENSORLIB_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "tensorlib")
    d = os.path.join(d, "numba")
    os.makedirs(d, exist_ok=True)
    return d


_loaded: dict = {}


def _load(source):
    h = hashlib.sha256(source.encode()).hexdigest()[:20]
    fn = _loaded.get(h)
    if fn is not None:
        return fn
    path = os.path.join(_cache_dir(), f"tlk_{h}.py")
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            f.write(source)
        os.replace(tmp, path)
    modname = f"tensorlib_fused_{h}"
    spec = importlib.util.spec_from_file_location(modname, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[modname] = mod
    spec.loader.exec_module(mod)
    fn = _loaded[h] = mod.kernel
    return fn
