"""The CuPy backend's compiler: a graph becomes one flat program over CuPy buffers.

Runs of elementwise equations (``tensorlib._src.passes.fusion_groups`` with
``codegen.can_fuse``) become one generated CUDA kernel each, launched with ``cupy.RawKernel``
(CuPy compiles the source with NVRTC once and caches the binary on disk, keyed by the source).
On a GPU a launch costs microseconds whatever the size, so every group of two or more
operations is fused (``TENSORLIB_FUSION=never`` turns fusion off). Every other equation calls
its eager kernel (cuBLAS, cuSOLVER, cuFFT and CuPy's own kernels), resolved once here.
"""

from __future__ import annotations

import os

import cupy
import numpy as np
from tensorlib.backends.cupy_backend import codegen

from tensorlib._src.core import Array
from tensorlib._src.dispatch import resolve
from tensorlib._src.passes import fusion_groups

_BLOCK = 256


def _kernel(prim, n_in):
    key = (cupy.ndarray,) * max(n_in, 1)
    fn = prim._impl_cache.get(key)
    return fn if fn is not None else resolve(prim, key)


class FusedKernel:
    """One generated CUDA kernel: ``kernel(*inputs) -> outputs`` over CuPy arrays."""

    def __init__(self, ks: codegen.KernelSource):
        self.ks = ks
        self._raw = cupy.RawKernel(ks.source, ks.name)  # compiled at the first launch
        self._grid_cap = {}

    def _grid(self, n):
        dev = cupy.cuda.runtime.getDevice()
        cap = self._grid_cap.get(dev)
        if cap is None:  # enough blocks to fill the GPU; the grid-stride loop does the rest
            sms = cupy.cuda.Device(dev).attributes["MultiProcessorCount"]
            cap = self._grid_cap[dev] = sms * 32
        return min((n + _BLOCK - 1) // _BLOCK, cap)

    def __call__(self, *bufs):
        ks = self.ks
        outs = [cupy.empty(ks.shape, dt) for dt in ks.out_dtypes]
        if ks.size:
            ins = [cupy.ascontiguousarray(b) for b in bufs]
            self._raw((self._grid(ks.size),), (_BLOCK,), (*ins, *outs, np.int64(ks.size)))
        return outs


def _units(graph):
    groups = []
    if os.environ.get("TENSORLIB_FUSION", "auto").strip().lower() != "never" and graph.eqns:
        groups = fusion_groups(graph, codegen.can_fuse, min_ops=2, min_size=1)
    at_end = {g.eqn_indices[-1]: g for g in groups}
    member = {k for g in groups for k in g.eqn_indices}
    units = []
    for k, e in enumerate(graph.eqns):
        if k in at_end:
            g = at_end[k]
            units.append(("group", g, g.inputs, g.outputs))
        elif k not in member:
            units.append(("eqn", e, e.inputs, e.outputs))
    return units


def _steps(graph, units, slot):
    last_use = {}
    for k, (_, _, ins, outs) in enumerate(units):
        for v in ins:
            last_use[id(v)] = k
        for v in outs:
            slot.setdefault(id(v), len(slot))
    pinned = {id(v) for v in list(graph.outvars) + list(graph.invars) + list(graph.constvars)}
    steps = []
    for k, (kind, obj, ins_v, outs_v) in enumerate(units):
        ins = tuple(slot[id(v)] for v in ins_v)
        outs = tuple(slot[id(v)] for v in outs_v)
        free = tuple(slot[id(v)] for v in ins_v if last_use.get(id(v)) == k
                     and id(v) not in pinned)
        if kind == "group":
            ks = codegen.generate(obj.eqns, obj.inputs, obj.outputs, obj.shape)
            steps.append((2, FusedKernel(ks), ins, outs, None, free, None))
        elif obj.prim.impl is not None:
            weak = tuple(v.aval.weak_type for v in obj.inputs)
            steps.append((1, obj.prim, ins, outs, obj.params, free, weak))
        else:
            fn = _kernel(obj.prim, len(ins))
            steps.append((0, fn, ins, outs, obj.params, free, obj.prim.multiple_results))
    return steps


def compile_graph(backend, graph):
    slot = {}
    for v in list(graph.constvars) + list(graph.invars):
        slot[id(v)] = len(slot)
    units = _units(graph)
    steps = _steps(graph, units, slot)
    n_slots = len(slot)
    n_consts = len(graph.consts)
    consts_on = {}  # device id -> the constants uploaded there (once)
    out_slots = [slot[id(v)] for v in graph.outvars]
    out_weak = [v.aval.weak_type for v in graph.outvars]

    def consts(dev):
        c = consts_on.get(dev)
        if c is None:
            with cupy.cuda.Device(dev):
                c = consts_on[dev] = [cupy.asarray(np.asarray(a.to_numpy())) if not isinstance(
                    a._buf, cupy.ndarray) or a._buf.device.id != dev else a._buf
                    for a in graph.consts]
        return c

    def run(*args):
        bufs = [a._buf for a in args]
        dev = bufs[0].device.id if bufs else cupy.cuda.runtime.getDevice()
        env = [None] * n_slots
        env[:n_consts] = consts(dev)
        env[n_consts:n_consts + len(bufs)] = bufs
        with cupy.cuda.Device(dev):
            _execute(steps, env)
        return [Array(env[s], w) for s, w in zip(out_slots, out_weak, strict=True)]

    run.units = units
    return run


def _execute(steps, env):
    for kind, fn, ins, outs, params, free, extra in steps:
        if kind == 0:
            r = fn(*[env[i] for i in ins], **params)
            if extra:
                for o, b in zip(outs, r, strict=True):
                    env[o] = b
            else:
                env[outs[0]] = r
        elif kind == 2:
            for o, b in zip(outs, fn(*[env[i] for i in ins]), strict=True):
                env[o] = b
        else:
            arrs = [Array(env[i], w) for i, w in zip(ins, extra, strict=True)]
            res = fn.impl(*arrs, **params)
            for o, a in zip(outs, res if fn.multiple_results else (res,), strict=True):
                env[o] = a._buf
        for i in free:
            env[i] = None
