"""pmap over several GPUs: one thread per GPU, collectives through NCCL (``cupy.cuda.nccl``).

``NcclCommunicator`` has the interface of pmap's shared-memory ``Communicator``
(``run(name, rank, x, params)``, ``abort()``): psum/pmax/pmin are NCCL all-reduces,
all_gather an all-gather, ppermute grouped sends and receives. ``NcclSpmd`` is what the
backend's ``compile_spmd`` returns to pmap: it places each shard on its GPU, runs the
compiled graph once per GPU on a thread with the communicator bound to the graph's axis names,
and stacks the results on the first GPU.
"""

from __future__ import annotations

import concurrent.futures
import contextvars

import cupy
import numpy as np

from tensorlib._src.collectives import _spmd
from tensorlib._src.core import Array

_DTYPES = {  # numpy dtype name -> NCCL data type name (bool travels as uint8)
    "int8": "NCCL_INT8", "uint8": "NCCL_UINT8", "bool": "NCCL_UINT8", "int32": "NCCL_INT32",
    "uint32": "NCCL_UINT32", "int64": "NCCL_INT64", "uint64": "NCCL_UINT64",
    "float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32", "float64": "NCCL_FLOAT64",
}
_OPS = {"psum": "NCCL_SUM", "pmax": "NCCL_MAX", "pmin": "NCCL_MIN"}


def available() -> bool:
    try:
        from cupy.cuda import nccl
    except ImportError:
        return False
    return bool(getattr(nccl, "available", True))


class NcclCommunicator:
    """NCCL collectives among the threads of one pmap call, one communicator per GPU."""

    def __init__(self, devices):
        from cupy.cuda import nccl

        self.nccl = nccl
        self.devices = list(devices)
        self.n = len(self.devices)
        self.comms = nccl.NcclCommunicator.initAll([d.id for d in self.devices])

    def _dtype(self, buf, name):
        key = _DTYPES.get(buf.dtype.name)
        if key is None:
            raise TypeError(f"{name}: NCCL has no {buf.dtype.name} type; convert the value "
                            "(e.g. to float32) before the collective")
        return getattr(self.nccl, key)

    def run(self, name, rank, x, params):
        dev = self.devices[rank]
        if name == "axis_index":
            with dev.cuda:
                return Array(cupy.asarray(rank, np.int32), False)
        with dev.cuda:
            buf = cupy.ascontiguousarray(x._buf)
            if buf.dtype == np.bool_:
                buf = buf.view(np.uint8)
            out = self._collective(name, rank, buf, params)
            if x.dtype == np.bool_:
                out = out.view(np.bool_)
        return Array(out, x._weak)

    def _collective(self, name, rank, buf, params):
        comm, nc = self.comms[rank], self.nccl
        stream = cupy.cuda.get_current_stream().ptr
        dt = self._dtype(buf, name)
        if name in _OPS:
            out = cupy.empty_like(buf)
            comm.allReduce(buf.data.ptr, out.data.ptr, buf.size, dt, getattr(nc, _OPS[name]),
                           stream)
            return out
        if name == "all_gather":
            out = cupy.empty((self.n,) + buf.shape, buf.dtype)
            comm.allGather(buf.data.ptr, out.data.ptr, buf.size, dt, stream)
            ax = params["axis"]
            if params["tiled"]:
                return cupy.concatenate(list(out), axis=ax)
            return cupy.ascontiguousarray(cupy.moveaxis(out, 0, ax))
        if name == "ppermute":
            out = cupy.zeros_like(buf)  # lanes that receive nothing get zeros
            nc.groupStart()
            for src, dst in params["perm"]:
                if src == rank:
                    comm.send(buf.data.ptr, buf.size, dt, dst, stream)
                if dst == rank:
                    comm.recv(out.data.ptr, out.size, dt, src, stream)
            nc.groupEnd()
            return out
        raise ValueError(f"pmap: unknown collective {name!r}")

    def abort(self):
        for c in self.comms:
            c.abort()


def _axis_names(graph, out=None):
    """Axis names of the collectives in ``graph`` and its sub-graphs."""
    out = set() if out is None else out
    for e in graph.eqns:
        if "axis_name" in e.params:
            out.add(e.params["axis_name"])
        for p in e.params.values():
            for g in p if isinstance(p, (tuple, list)) else (p,):
                sub = getattr(g, "graph", g)
                if hasattr(sub, "eqns"):
                    _axis_names(sub, out)
    return out


class NcclSpmd:
    """pmap's executable over ``devices``: ``run(flat, axes)`` -> outputs stacked on axis 0."""

    def __init__(self, backend, graph, devices):
        from tensorlib.backends.cupy_backend.compiler import compile_graph

        self.backend = backend
        self.devices = list(devices)
        self.exe = compile_graph(backend, graph)
        self.axis_names = _axis_names(graph)
        self.comm = NcclCommunicator(self.devices)
        self.pool = concurrent.futures.ThreadPoolExecutor(len(self.devices),
                                                          thread_name_prefix="tl-gpu")

    def _shard(self, x, a, rank):
        from tensorlib._src.transforms.batching import index_along

        dev = self.devices[rank]
        v = x if a is None else index_along(x, a, rank)
        return Array(self.backend.from_numpy(v._buf, dev) if isinstance(v._buf, cupy.ndarray)
                     else self.backend.from_numpy(np.asarray(v.to_numpy()), dev), v._weak)

    def _work(self, rank, shards):
        prev = getattr(_spmd, "axes", {})
        _spmd.axes = dict(prev, **{n: (rank, self.comm) for n in self.axis_names})
        try:
            with self.devices[rank].cuda:
                return self.exe(*shards)
        finally:
            _spmd.axes = prev

    def run(self, flat, axes):
        shards = [[self._shard(x, a, r) for x, a in zip(flat, axes, strict=True)]
                  for r in range(len(self.devices))]
        # the caller's scoped settings (contextvars) hold in each device's thread too
        futures = [self.pool.submit(contextvars.copy_context().run, self._work, r, s)
                   for r, s in enumerate(shards)]
        per_dev = [f.result() for f in futures]
        home = self.devices[0]
        with home.cuda:
            return [Array(cupy.stack([self.backend.from_numpy(per_dev[r][k]._buf, home)
                                      for r in range(len(per_dev))]), per_dev[0][k]._weak)
                    for k in range(len(per_dev[0]))]
