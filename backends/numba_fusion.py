"""Fused elementwise kernels for the NumPy backend, generated as Python source for Numba.

A *group* (found by ``tensorlib._src.passes.fusion_groups``) is a run of elementwise equations
over one output shape. It becomes one loop nest: each element of every input is read once,
every intermediate lives in a register, and only the values used outside the group are
written back. NumPy would make one pass over memory per operation instead.

Generated modules are written to the private cache folder ``<cache root>/numba`` and
compiled with ``cache=True``, so a kernel compiles once per machine, not once per process
(``_load``: what it trusts and how it recovers from a damaged cache).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys

import numpy as np
from tensorlib.backends.output_pool import OutputPool

from tensorlib._src import disk_cache, dtypes
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops import shape as sh
from tensorlib._src.ops.family import FAMILY

_FUSIBLE_DTYPES = {dtypes.bool_, dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64,
                   dtypes.uint8, dtypes.uint16, dtypes.uint32, dtypes.uint64,
                   dtypes.float32, dtypes.float64}

# Table entries spell one element as an ``Expr`` (``op.numba``); entries without one end a fused
# group. Transcendental functions (exp, log, tanh, sin, ...) have none on purpose: NumPy's SIMD
# implementations beat a scalar libm call per element by more than fusion saves, so they run
# blocked instead (measured; see tests/benchmarks/bench_jit.py).
_EXPR = {p: op.numba for p, op in FAMILY.items() if op.numba is not None}
_STRUCTURAL = {ew.integer_pow_p, ew.select_n_p, ew.convert_element_type_p, sh.broadcast_in_dim_p}


def _dtype_ok(aval):
    return np.dtype(aval.dtype) in _FUSIBLE_DTYPES


def _only_ok(only, dt) -> bool:
    dt = np.dtype(dt)
    if only == "float":
        return dtypes.is_float(dt)
    if only == "int":
        return dt.kind in "iu"
    if only == "nobool":
        return dt.kind != "b"
    return True


def can_fuse(eqn) -> bool:
    """Whether one equation can be part of a fused loop."""
    prim = eqn.prim
    if not all(_dtype_ok(v.aval) for v in list(eqn.inputs) + list(eqn.outputs)):
        return False
    expr = _EXPR.get(prim)
    if expr is not None:
        return _only_ok(expr.only, eqn.outputs[0].aval.dtype if expr.only == "float"
                        else eqn.inputs[0].aval.dtype)
    if prim is ew.select_n_p:
        return len(eqn.inputs) == 3 and eqn.inputs[0].aval.dtype == dtypes.bool_
    if prim is ew.convert_element_type_p:
        src, dst = eqn.inputs[0].aval.dtype, eqn.params["new_dtype"]
        return not (dtypes.is_float(src) and dtypes.is_integer(dst))
    return prim in _STRUCTURAL


def _expr(eqn, names, T):
    prim = eqn.prim
    args = [names[id(v)] for v in eqn.inputs]
    expr = _EXPR.get(prim)
    if expr is not None:
        return expr.fmt.format(*args, T=T)
    if prim is ew.integer_pow_p:
        y = eqn.params["y"]
        if y == 0:
            return f"{T}(1)"
        if 0 < y <= 4:
            return " * ".join([args[0]] * y)
        return f"np.power({args[0]}, {T}({y}))"
    if prim is ew.select_n_p:
        return f"({args[2]} if {args[0]} else {args[1]})"
    if prim is ew.convert_element_type_p:
        return f"np.{np.dtype(eqn.params['new_dtype']).name}({args[0]})"
    raise ValueError(f"cannot fuse {prim.name}")


class FusedKernel:
    """One generated loop nest: ``kernel(*inputs) -> outputs`` over NumPy arrays."""

    def __init__(self, eqns, inputs, outputs, shape, source, fn):
        self.eqns = eqns
        self.inputs = inputs
        self.outputs = outputs
        self.shape = shape
        self.source = source
        self._fn = fn
        self._pool = OutputPool(shape, [v.aval.dtype for v in outputs])

    def __call__(self, *bufs):
        outs = self._pool.take()
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
        if e.prim is sh.broadcast_in_dim_p:
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
        if e.prim is sh.broadcast_in_dim_p:
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
    src = ["import math", "import numpy as np", "import numba", "",
           f"@numba.njit(cache=True, nogil=True, parallel={parallel}, error_model='numpy')",
           f"def kernel({', '.join(args)}):"]
    indent = "    "
    src += [indent + line for line in hoisted]
    for d in range(nd):
        rng = "numba.prange" if (d == 0 and parallel) else "range"
        src.append(f"{indent}for {idx[d]} in {rng}(o0.shape[{d}]):")
        indent += "    "
    src += [indent + line for line in lines]
    source = "\n".join(src) + "\n"
    fn = _load(source)
    return FusedKernel(eqns, inputs, outputs, shape, source, fn)


_loaded: dict = {}  # source hash -> compiled dispatcher (this process)
disk_cache.on_clear(_loaded.clear)


def _load(source):
    """The ``kernel`` of generated ``source``, compiled by Numba with an on-disk cache in
    ``<cache root>/numba`` (``tensorlib._src.disk_cache``), or in memory only.

    The module file is imported only from the private cache folder and only when its content
    is the source generated here (a damaged file is rewritten). Numba's own cache files (a
    pickled index beside the module) live in that folder too; one that fails to load is
    removed and the kernel compiled again (``_Guarded``), with one warning.
    """
    h = hashlib.sha256(source.encode()).hexdigest()[:20]
    fn = _loaded.get(h)
    if fn is not None:
        return fn
    d = disk_cache.folder("numba")
    if d is None:
        fn = _compile_in_memory(source, h)
    else:
        path = os.path.join(d, f"tlk_{h}.py")
        current = None
        try:
            with open(path, encoding="utf-8") as f:
                current = f.read()
        except (OSError, UnicodeDecodeError):
            pass
        if current != source:
            if current is not None:
                _purge(d, h)
                disk_cache.warn_once("damaged:numba", "tensorlib: rewrote a damaged "
                                      f"generated kernel of the numba cache ({path}).")
            if not disk_cache.atomic_write(path, source.encode()):
                fn = _compile_in_memory(source, h)
        if fn is None:
            try:
                fn = _Guarded(_import(path, h), source, h, d)
            except Exception:  # e.g. a module file that changed under us: compile from memory
                _purge(d, h)
                fn = _compile_in_memory(source, h)
    _loaded[h] = fn
    return fn


def _import(path, h):
    modname = f"tensorlib_fused_{h}"
    spec = importlib.util.spec_from_file_location(modname, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[modname] = mod
    spec.loader.exec_module(mod)
    return mod.kernel


def _compile_in_memory(source, h):
    """The kernel without any file: Numba's cache off (it needs a source file)."""
    code = compile(source.replace("cache=True", "cache=False", 1), f"<tensorlib kernel {h}>",
                   "exec")
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - the source is generated by build_kernel above
    return namespace["kernel"]


def _purge(d, h):
    """Remove the module and Numba's cache files of kernel ``h``."""
    for folder in (d, os.path.join(d, "__pycache__")):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for n in names:
            if n.startswith(f"tlk_{h}"):
                try:
                    os.remove(os.path.join(folder, n))
                except OSError:
                    pass


class _Guarded:
    """A kernel loaded from the disk cache: if its first call fails while Numba reads its
    cache (a damaged index or data file), the files go and the kernel compiles in memory."""

    __slots__ = ("fn", "source", "h", "folder", "ok")

    def __init__(self, fn, source, h, folder):
        self.fn, self.source, self.h, self.folder, self.ok = fn, source, h, folder, False

    def __call__(self, *args):
        if self.ok:
            return self.fn(*args)
        try:
            out = self.fn(*args)
        except Exception:
            _purge(self.folder, self.h)
            disk_cache.warn_once("damaged:numba", "tensorlib: removed a damaged entry of "
                                  f"the numba cache (kernel {self.h}); it is compiled again.")
            self.fn = _compile_in_memory(self.source, self.h)
            out = self.fn(*args)
        self.ok = True
        return out
