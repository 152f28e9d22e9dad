"""pmap on the XLA backend: one executable replicated over the devices, XLA's collectives.

pmap stages its function once for one device's shard; the graph is lowered with the
collectives as cross-replica operations (``lowering_collectives``) and compiled once with
``num_replicas = n``. A call uploads each device's shard (or reuses the shards of a previous
pmap's result where they already are), runs all replicas in one ``execute_sharded`` and
returns :class:`ShardedXlaBuffer` results that stay on their devices until read.
"""

from __future__ import annotations

import time

import numpy as np
from tensorlib.backends.xla_backend import lowering
from tensorlib.backends.xla_backend.buffers import _BF16, ShardedXlaBuffer
from tensorlib.backends.xla_backend.compiler import STATS
from tensorlib.backends.xla_backend.lowering_collectives import replicated

from tensorlib._src.core import Array
from tensorlib.errors import ShapeError


def compile_spmd(backend, graph, devices):
    devices = list(devices)
    if any(v.aval.dtype == _BF16 for v in graph.invars + graph.outvars):
        return None  # DLPack has no bfloat16 to read the shards with: the threaded path
    with replicated(len(devices)):
        if not lowering.graph_lowerable(graph):
            return None
        text, hoisted = lowering.module_for_graph(graph)
    return SpmdCall(backend, graph, devices, text, hoisted)


class SpmdCall:
    """``run(args, axes) -> [Array]``: the graph on every device at once."""

    def __init__(self, backend, graph, devices, text, hoisted):
        self.backend = backend
        self.devices = devices
        self.n = len(devices)
        self.in_avals = list(graph.in_avals)
        self.out_avals = [v.aval for v in graph.outvars]
        self.text = text
        rt = backend.runtime
        xla_devs = [d.xla for d in devices]
        t0 = time.perf_counter()
        try:
            exe = rt.compile_replicated(text, xla_devs)
        except Exception as e:
            raise RuntimeError(f"XLA failed to compile the replicated pmap module:\n{text}\n"
                               f"{type(e).__name__}: {e}") from e
        STATS["compiles"] += 1
        STATS["compile_s"] += time.perf_counter() - t0
        self._xla_devs = xla_devs
        self._run = rt.replicated_runner(exe, self.out_avals, xla_devs)
        # hoisted constants: the same value on every replica, uploaded once
        self._consts = [self._stack([c.to_numpy()] * self.n, c.shape, c.dtype)
                        for c in hoisted]

    def _stack(self, hosts, shape, dtype):
        rt = self.backend.runtime
        arrs = [rt.put(np.ascontiguousarray(h, dtype=dtype), d)
                for h, d in zip(hosts, self._xla_devs, strict=True)]
        return rt.stack(arrs, shape, dtype, self._xla_devs)

    def _shards(self, k, x, axis):
        """Parameter ``k``'s argument as one stacked jaxlib array over the devices."""
        aval = self.in_avals[k]
        buf = x._buf
        if (axis == 0 and type(buf) is ShardedXlaBuffer and buf.devices == self.devices
                and buf.shape[1:] == tuple(aval.shape) and buf.dtype == aval.dtype):
            return buf.stacked  # a previous pmap's result, already where it has to be
        host = np.asarray(x.to_numpy())
        if host.dtype != aval.dtype:
            raise ShapeError(f"pmap: argument {k} is {host.dtype} but the compiled program "
                             f"takes {aval.str_short()}")
        if axis is None:
            hosts = [host] * self.n
        else:
            hosts = [np.take(host, i, axis=axis) for i in range(self.n)]
        return self._stack(hosts, aval.shape, aval.dtype)

    def run(self, args, axes):
        stacked = [self._shards(k, x, a) for k, (x, a) in enumerate(zip(args, axes,
                                                                        strict=True))]
        per_out = self._run(stacked + self._consts)
        outs = []
        for arr, a in zip(per_out, self.out_avals, strict=True):
            buf = ShardedXlaBuffer(arr, (self.n,) + tuple(a.shape), a.dtype, self.devices)
            outs.append(Array(buf, a.weak_type))
        return outs
