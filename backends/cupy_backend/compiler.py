"""The CuPy backend's compiler: a graph becomes one flat program over CuPy buffers.

Runs of elementwise equations (``tensorlib._src.passes.fusion_groups`` with
``codegen.can_fuse``) become one generated CUDA kernel each, launched with ``cupy.RawKernel``
(CuPy compiles the source with NVRTC once and caches the binary on disk, keyed by the source).
On a GPU a launch costs microseconds whatever the size, so every group of two or more
operations is fused (``TENSORLIB_FUSION=never`` turns fusion off). Every other equation calls
its eager kernel (cuBLAS, cuSOLVER, cuFFT and CuPy's own kernels), resolved once here.
"""

from __future__ import annotations

import cupy
import numpy as np
from tensorlib.backends.cupy_backend import codegen
from tensorlib.backends.numpy_compiler import plan, program, units_of

from tensorlib._src.config import env
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
    if env("TENSORLIB_FUSION") != "never" and graph.eqns:
        groups = fusion_groups(graph, codegen.can_fuse, min_ops=2, min_size=1)
    return units_of(graph, groups)


def _group_kernel(group):
    return FusedKernel(codegen.generate(group.eqns, group.inputs, group.outputs, group.shape))


def compile_graph(backend, graph):
    from tensorlib._src.control.optimize import split_scans

    graph = split_scans(graph)
    units = _units(graph)
    slot, steps = plan(graph, units, _group_kernel, _kernel)
    n_consts = len(graph.consts)
    consts_on = {}  # device id -> the constants uploaded there (once)
    out_slots = [slot[id(v)] for v in graph.outvars]
    out_weak = [v.aval.weak_type for v in graph.outvars]
    prog = program(steps, n_consts + len(graph.invars), out_slots)

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
        with cupy.cuda.Device(dev):
            outs = prog(*consts(dev), *bufs)
        return [Array(b, w) for b, w in zip(outs, out_weak, strict=True)]

    run.units = units
    return run

