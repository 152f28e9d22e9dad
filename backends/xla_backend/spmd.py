"""pmap on the XLA backend: one executable replicated over the devices, XLA's collectives.

pmap stages its function once for one device's shard; the graph is lowered with the
collectives as cross-replica operations (``lowering_collectives``) and compiled once with
``num_replicas = n``. A call uploads each device's shard (or reuses the shards of a previous
pmap's result where they already are), runs all replicas in one ``execute_sharded`` and
returns :class:`ShardedXlaBuffer` results that stay on their devices until read.

``pmap(donate_argnums=...)`` passes the donated inputs' indices (``donate``): each one that
an output of its shape and dtype can take over is marked ``tf.aliasing_output``, so XLA
writes that output into the input's per-device buffers.
"""

from __future__ import annotations

import hashlib
import time

import numpy as np
from tensorlib.backends.xla_backend import lowering
from tensorlib.backends.xla_backend.buffers import _BF16, ShardedXlaBuffer
from tensorlib.backends.xla_backend.compiler import STATS, _aliases
from tensorlib.backends.xla_backend.lowering_collectives import replicated

from tensorlib._src.core import Array
from tensorlib.errors import ShapeError


def compile_spmd(backend, graph, devices, donate=()):
    from tensorlib._src.control.optimize import split_scans

    devices = list(devices)
    graph = split_scans(graph)
    if any(v.aval.dtype == _BF16 for v in graph.invars + graph.outvars):
        return None  # DLPack has no bfloat16 to read the shards with: the threaded path
    with replicated(len(devices)):
        if not lowering.graph_lowerable(graph):
            return None
    return SpmdCall(backend, graph, devices, donate)


class SpmdCall:
    """``run(args, axes) -> [Array]``: the graph on every device at once.

    ``devices`` are the replicas' devices, replica ``i`` on ``devices[i]``. In a
    multi-process job they are every process's devices: this process passes and gets back
    only the slices of its own devices (``local``), the others run the same executable.

    It compiles at its first run (or :meth:`compile`); ``donated`` lists the inputs whose
    buffers outputs take over.
    """

    def __init__(self, backend, graph, devices, donate=()):
        self.backend = backend
        self.graph = graph
        self.devices = devices
        self.n = len(devices)
        mine = set(map(id, backend.local_devices()))
        self.local = [d for d in devices if id(d) in mine]
        self.n_local = len(self.local)
        self.multiprocess = self.n_local != self.n
        self.in_avals = list(graph.in_avals)
        self.out_avals = [v.aval for v in graph.outvars]
        self._xla_devs = [d.xla for d in devices]
        self._xla_ids = tuple(self._xla_devs)
        self._local_xla = [d.xla for d in self.local]
        self._run = None
        aliases = _aliases(graph, donate) if donate else {}
        with replicated(self.n):
            self.text, self._hoisted = lowering.module_for_graph(graph, aliases)
        self.donated = tuple(sorted(aliases))

    def compile(self):
        if self._run is not None:
            return
        backend, text = self.backend, self.text
        rt = backend.runtime
        xla_devs = self._xla_devs
        if self.multiprocess:
            self._agree(rt.distributed)
        t0 = time.perf_counter()
        try:
            exe = rt.compile_replicated(text, xla_devs)
        except Exception as e:
            raise RuntimeError(f"XLA failed to compile the replicated pmap module:\n{text}\n"
                               f"{type(e).__name__}: {e}") from e
        STATS["compiles"] += 1
        STATS["compile_s"] += time.perf_counter() - t0
        # hoisted constants: the same value on every replica, uploaded once
        self._consts = [self._stack([c.to_numpy()] * self.n_local, c.shape, c.dtype)
                        for c in self._hoisted]
        self._run = rt.replicated_runner(exe, self.out_avals, xla_devs)

    def _agree(self, dist):
        """Check that every process compiles this same program: a process whose pmap has
        other shapes (or another function) would pair its collectives with ours and read
        garbage, or hang."""
        digest = hashlib.sha256((self.text + repr([d.id for d in self.devices])).encode())
        sig = ", ".join(a.str_short() for a in self.in_avals) or "no inputs"
        mine = f"{digest.hexdigest()[:16]} ({sig}) over {self.n} devices"
        everyone = dist.exchange("pmap", mine)
        for p, theirs in enumerate(everyone):
            if theirs != mine:
                raise ShapeError(
                    f"pmap: process {p} compiled a different program for this pmap call than "
                    f"process {dist.process_id}: theirs is {theirs}, ours {mine} (per-device "
                    "argument shapes). In a multi-process job every process must call the "
                    "same pmapped functions in the same order, with the same local shapes")

    def _stack(self, hosts, shape, dtype):
        rt = self.backend.runtime
        arrs = [rt.put(np.ascontiguousarray(h, dtype=dtype), d)
                for h, d in zip(hosts, self._local_xla, strict=True)]
        return rt.stack(arrs, shape, dtype, self._xla_devs)

    def _reusable(self, buf, aval):
        if not (buf.devices == self.local and buf.shape[1:] == tuple(aval.shape)
                and buf.dtype == aval.dtype):
            return False
        # across processes the local devices do not fix the others': compare the layouts
        return (not self.multiprocess
                or self.backend.runtime.stacked_devices(buf.stacked) == self._xla_ids)

    def _shards(self, k, x, axis):
        """Parameter ``k``'s argument as one stacked jaxlib array over the devices."""
        aval = self.in_avals[k]
        buf = x._buf
        if axis == 0 and type(buf) is ShardedXlaBuffer and self._reusable(buf, aval):
            return buf.stacked  # a previous pmap's result, already where it has to be
        host = np.asarray(x.to_numpy())
        if host.dtype != aval.dtype:
            raise ShapeError(f"pmap: argument {k} is {host.dtype} but the compiled program "
                             f"takes {aval.str_short()}")
        if axis is None:
            hosts = [host] * self.n_local
        else:
            hosts = [np.take(host, i, axis=axis) for i in range(self.n_local)]
        return self._stack(hosts, aval.shape, aval.dtype)

    def run(self, args, axes):
        if self._run is None:
            self.compile()
        stacked = [self._shards(k, x, a) for k, (x, a) in enumerate(zip(args, axes,
                                                                        strict=True))]
        per_out = self._run(stacked + self._consts)
        outs = []
        for arr, a in zip(per_out, self.out_avals, strict=True):
            buf = ShardedXlaBuffer(arr, (self.n_local,) + tuple(a.shape), a.dtype, self.local)
            outs.append(Array(buf, a.weak_type))
        return outs
