"""The XLA backend: tensorlib graphs lowered to StableHLO and compiled by jaxlib's XLA client.

The graph is ours, the lowering is ours (``lowering*.py``), XLA compiles it; the library
never imports ``jax`` (only ``jaxlib``), and every jaxlib call lives in ``runtime.py``.

- Buffers are :class:`XlaBuffer`: a jaxlib device array plus its shape, dtype and device.
  jaxlib's array type has no ``shape``/``dtype`` unless JAX is imported (JAX adds them), so
  the wrapper is what dispatch keys on.
- Eager: every registered primitive gets one generic XLA kernel that compiles a
  one-equation module per signature and caches it (``compiler.py``, a bounded cache); what
  XLA cannot lower runs on the host through the NumPy backend's kernel. ``slice`` (``x[i]``)
  passes its starts as a runtime operand (``eager_slice.py``): one executable for every ``i``.
- ``compile(graph)`` (jit) lowers a whole graph to one executable.
- Devices: the XLA CPU client's devices; ``TENSORLIB_NUM_CPU_DEVICES`` or XLA_FLAGS'
  ``--xla_force_host_platform_device_count`` sets how many. Dispatch is asynchronous:
  ``block_until_ready`` waits, ``to_numpy`` (``repr``, ``numpy.asarray``) synchronises.
"""

from __future__ import annotations

import collections

import numpy as np
from tensorlib.backends.xla_backend import compiler
from tensorlib.backends.xla_backend.buffers import _BF16, ShardedXlaBuffer, XlaBuffer, XlaDevice
from tensorlib.backends.xla_backend.runtime import Distributed, Runtime, cache_fingerprint

from tensorlib._src import core, disk_cache
from tensorlib._src.dispatch import register_impl, resolve
from tensorlib._src.errors_util import check_result_size
from tensorlib.errors import TensorlibError


def _resolve(prim):
    from tensorlib._src.dispatch import resolve

    return resolve(prim, (XlaBuffer,))


class XlaBackend:
    name = "xla"
    buffer_type = XlaBuffer
    buffer_types = (XlaBuffer,)

    def __init__(self):
        self.runtime = _make_runtime()
        self._devices = [XlaDevice(d, self) for d in self.runtime.devices]
        by_id = {d.id: d for d in self._devices}
        self._local = [by_id[d.id] for d in self.runtime.local_devices]
        self.default_device = self._local[0]
        self.disk = compiler.DiskCache(cache_fingerprint())
        self._modules = collections.OrderedDict()  # (text, cheap) -> Module, LRU
        self._full = {}
        self.shared_buffers = set()  # ids of cached buffers many arrays share: never donated

    # ---- devices and transfers -------------------------------------------------------------
    def devices(self):
        """Every device of the job: this process's, and in a multi-process job the others'."""
        return self._devices

    def local_devices(self, process_index=None):
        """The devices of one process (default: this one)."""
        if process_index is None or process_index == self.runtime.process_index:
            return self._local
        return [d for d in self._devices if d.xla.process_index == process_index]

    def process_index(self) -> int:
        return self.runtime.process_index

    def _device(self, device):
        if device is None or isinstance(device, str):  # a backend name: its default device
            return self.default_device, False
        if isinstance(device, XlaDevice):
            if device.xla.process_index != self.runtime.process_index:
                raise ValueError(
                    f"device_put: {device} belongs to process {device.xla.process_index}, "
                    f"and this is process {self.runtime.process_index}; a process can only put "
                    "data on its own devices, tensorlib.local_devices()")
            return device, True
        if isinstance(device, int):
            return self._local[device], True
        raise TypeError(f"device_put: {device!r} is not a device of the xla backend; use one "
                        "of tensorlib.devices('xla')")

    def from_numpy(self, x, device=None):
        """A device copy of ``x`` (never aliases it); a given device commits the array."""
        dev, committed = self._device(device)
        return self.put(x, dev, committed)

    def put(self, x, dev, committed=False):
        x = np.asarray(x)
        if not x.dtype.isnative:
            x = x.astype(x.dtype.newbyteorder("="))
        arr = self.runtime.put(x, dev.xla)
        return XlaBuffer(arr, x.shape, x.dtype, dev, committed)

    def to_numpy(self, buf):
        """The array's value as a read-only NumPy view (waits for the computation)."""
        if type(buf) is ShardedXlaBuffer:
            h = buf.host()
            h.flags.writeable = False
            return h
        if buf.dtype == _BF16:
            from tensorlib._src.ops.elementwise import bitcast_convert_type_p

            fn = bitcast_convert_type_p._impl_cache.get((XlaBuffer,)) or _resolve(
                bitcast_convert_type_p)
            bits = fn(buf, new_dtype=np.dtype(np.uint16))
            return self.runtime.get(bits.array).view(_BF16)
        return self.runtime.get(buf.array)

    def dlpack(self, buf):
        """``Array.__dlpack__``: the device buffer itself (zero-copy), as JAX exports it; None
        where DLPack cannot carry it (bfloat16) and the caller falls back to a host copy."""
        if buf.dtype == _BF16:
            return None
        return self.runtime.dlpack(buf.array)  # a pmap result: its assembled value

    def dlpack_device(self, buf):
        """(kDLCPU, 0) for host devices, (kDLCUDA, device id) for GPUs."""
        return (1, 0) if buf.device.platform == "cpu" else (2, buf.device.id)

    full_cache_max = 1024

    def full(self, shape, value, dtype):
        shape = tuple(shape)
        dtype = np.dtype(dtype)
        n = 1
        for s in shape:
            n *= s
        if n > 16:
            check_result_size("full", shape, dtype)
            return self.from_numpy(np.full(shape, value, dtype))
        # Small constants (the scalars of ``x + 1.0``) are immutable device arrays: share them.
        # A loop over new Python scalars refills the cache (~3 KB per CPU buffer): bounded.
        key = (shape, dtype, np.array(value, dtype).tobytes())
        buf = self._full.get(key)
        if buf is None:
            if len(self._full) >= self.full_cache_max:
                self._full.clear()
                self.shared_buffers.clear()
            buf = self._full[key] = self.from_numpy(np.full(shape, value, dtype))
            self.shared_buffers.add(id(buf))
        return buf

    def block_until_ready(self, buf):
        self.runtime.block(buf.stacked if type(buf) is ShardedXlaBuffer else buf.array)
        return buf

    # ---- compilation -----------------------------------------------------------------------
    modules_max = 4096  # compiled modules held in memory (the least recently asked dropped)

    def module(self, text, out_avals, cheap=False):
        key = (text, cheap)
        mods = self._modules
        m = mods.get(key)
        if m is None:
            m = mods[key] = compiler.Module(self, text, out_avals, cheap)
            while len(mods) > self.modules_max:
                mods.popitem(last=False)
        else:
            mods.move_to_end(key)
        return m

    def compile(self, graph, donate=()):
        """One executable for the whole graph (split around host-only equations); inputs in
        ``donate`` may give their buffers to outputs (the call's ``donated`` says which)."""
        return compiler.compile_graph(self, graph, donate)

    supports_donation = True

    def lower_text(self, graph):
        """The StableHLO module ``compile`` builds for ``graph`` (``jit(f).lower(...)``); a
        graph with host-only equations is compiled in segments, and shown as a graph."""
        from tensorlib.backends.xla_backend import lowering

        from tensorlib._src.control.optimize import split_scans

        graph = split_scans(graph)
        if not lowering.graph_lowerable(graph):
            return str(graph)
        return lowering.module_for_graph(graph)[0]

    def compile_spmd(self, graph, devices, donate=()):
        """pmap: ``graph`` (one device's program, collectives included) as one executable
        replicated over ``devices``, or None when some equation has no lowering (pmap then
        runs the graph once per device on threads, with host collectives). The inputs at
        indices ``donate`` give their buffers to outputs of their shape and dtype."""
        from tensorlib.backends.xla_backend import spmd

        return spmd.compile_spmd(self, graph, devices, donate)

    def stats(self) -> dict:
        """Counters: compiles, seconds compiling, disk-cache loads, host fallbacks."""
        return dict(compiler.STATS, modules=len(self._modules))


def _make_runtime():
    """The process's XLA client; a member of a multi-process job while
    ``tensorlib.distributed.initialize`` is creating this backend."""
    from tensorlib._src.distributed import pending_settings

    s = pending_settings()
    if s is None:
        return Runtime()
    dist = Distributed(s.coordinator_address, s.num_processes, s.process_id,
                       bind_address=s.bind_address, init_timeout=s.init_timeout,
                       heartbeat_timeout=s.heartbeat_timeout,
                       shutdown_timeout=s.shutdown_timeout, gloo_hostname=s.gloo_hostname,
                       gloo_interface=s.gloo_interface)
    try:
        return Runtime(s.local_device_count, dist)
    except BaseException:
        dist._stop_service()
        raise


BACKEND = XlaBackend()

# --------------------------------------------------------------------------------------------
# eager kernels: one generic kernel per primitive with a NumPy kernel


def _host_kernel(prim):
    """The NumPy backend's kernel of ``prim`` for ``n`` operands (or None): what runs on the
    host when XLA cannot lower an equation (a dtype it lacks, a primitive it has no op for)."""
    def host(n):
        try:
            return resolve(prim, (np.ndarray,) * n if n else (np.ndarray,))
        except TensorlibError:
            return None

    return host


def _register_kernels():
    """One eager kernel per registered primitive, built from the registry: the XLA lowering
    when there is one, the NumPy kernel on the host otherwise (``compiler.make_kernel``).
    Elementwise entries get the one- and two-operand fast paths."""
    from tensorlib.backends.xla_backend.eager_slice import make_slice_kernel

    from tensorlib._src.control.loops import while_grad_p
    from tensorlib._src.ops.family import FAMILY
    from tensorlib._src.ops.shape import slice_p

    for prim in core.primitives().values():
        if prim.impl is not None or prim is while_grad_p:
            continue
        generic, one, two = compiler.make_kernel(BACKEND, prim, _host_kernel(prim))
        op = FAMILY.get(prim)
        if op is not None:
            register_impl(prim, (XlaBuffer,) * op.arity, one if op.arity == 1 else two)
        if prim is slice_p:  # the starts as a runtime argument: no compile per index
            generic = make_slice_kernel(BACKEND, generic)
            disk_cache.on_clear(generic.calls.clear)
            disk_cache.on_clear(generic.starts.clear)
        register_impl(prim, ([XlaBuffer],), generic)




def _while_grad_kernel(*bufs, **params):
    """Reverse mode of an unbounded while_loop in a jitted program: the eager machinery runs
    on this backend's arrays between compiled segments (a max_steps bound keeps the loop
    inside the compiled program instead)."""
    from tensorlib._src.control.loops import while_grad_kernel

    return [o._buf for o in while_grad_kernel(*[core.Array(b, False) for b in bufs], **params)]


def _register_while_grad():
    from tensorlib._src.control.loops import while_grad_p

    register_impl(while_grad_p, (XlaBuffer, [XlaBuffer]), _while_grad_kernel)


def load():
    """Register the eager kernels for XLA buffers; the backend object (``loader.load``).

    The NumPy backend loads first: its kernels run on the host what XLA cannot lower, and
    NumPy buffers reach this backend (graph constants, mixing errors)."""
    from tensorlib._src import loader

    loader.load("numpy")
    disk_cache.on_clear(BACKEND._modules.clear)
    _register_kernels()
    _register_while_grad()
    return BACKEND
