"""The one module that calls into jaxlib: client, transfers, compile, execute, serialize.

Everything here is jaxlib's *private* API (``jaxlib.xla_client`` and ``jaxlib._jax`` are not
covered by JAX's compatibility policy), so it lives in one file and the version is checked at
import: a jaxlib upgrade touches this module only. Facts it relies on were measured with
jaxlib 0.10.2 (``shared/notes/xla-client.md``):

- host -> device goes through ``batched_device_put`` with ``IMMUTABLE_ONLY_DURING_CALL``:
  the dlpack route *aliases* 64-byte-aligned NumPy memory even with ``copy=True``, and in a
  jaxlib-only install it retries ``import jax`` on every call;
- results are built by ``consume_with_handlers`` with ``array_result_handler`` over our own
  aval object. ``disassemble_into_single_device_arrays`` would import ``jax.core`` (0.4 s and
  JAX's global config) to build JAX avals: with handlers jax is never imported by us;
- ``execute_sharded`` checks only byte sizes, so :class:`Executable` checks shapes and dtypes;
- device -> host returns a read-only zero-copy view;
- LU, QR, eigh and SVD lower to the LAPACK custom calls that ship in jaxlib
  (``lapack_sgeqrf_ffi`` and friends, typed-FFI handlers): :class:`Runtime` registers them
  with the CPU client as ``jax._src.lax.linalg`` does, and :func:`ensure_lapack` binds the
  LAPACK routines (from SciPy) before an executable that calls them is built.

The ``jaxlib`` array type has no ``shape``/``dtype`` unless JAX is imported (JAX grafts them
on), so the backend wraps it (``XlaBuffer`` in ``__init__``) and this module passes avals
explicitly.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import threading

import numpy as np

from tensorlib._src.config import env

# XLA prints INFO lines for every client unless told otherwise before it loads (jax sets the
# same default).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")

try:
    import jaxlib
    from jaxlib import _jax
    from jaxlib import xla_client as xc
except ImportError as e:  # pragma: no cover - guarded by the backend registry
    raise ImportError("the xla backend needs jaxlib: pip install 'jaxlib==0.10.*'") from e

SUPPORTED_SERIES = "0.10."
JAXLIB_VERSION = getattr(jaxlib, "__version__", None) or jaxlib.version.__version__
XLA_CLIENT_VERSION = getattr(xc, "_version", None)

if not JAXLIB_VERSION.startswith(SUPPORTED_SERIES):
    raise ImportError(
        f"tensorlib's xla backend needs jaxlib {SUPPORTED_SERIES}x (it uses jaxlib's private "
        f"XLA client API, which changes between releases), but jaxlib {JAXLIB_VERSION} is "
        f"installed. Install a supported version with: pip install 'jaxlib=={SUPPORTED_SERIES}*'"
    )

class Aval:
    """The minimal abstract value jaxlib's C++ wants (shape, dtype, weak_type, ndim)."""

    __slots__ = ("shape", "dtype", "weak_type", "ndim")

    def __init__(self, shape, dtype):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.weak_type = False
        self.ndim = len(self.shape)


class _Sharding(xc.SingleDeviceSharding):
    # jax grafts these onto the C++ class at import; without jax the subclass provides them
    memory_kind = None

    def _to_xla_hlo_sharding(self, ndim):
        return xc.HloSharding.replicate()


_SEM = xc.HostBufferSemantics.IMMUTABLE_ONLY_DURING_CALL


class _Capsule:
    """What ``numpy.from_dlpack`` wants around a DLPack capsule of a CPU buffer."""

    __slots__ = ("capsule",)

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, stream=None, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (1, 0)  # kDLCPU


def _install_x64_state():
    # batched_device_put reads a global x64 state that jax installs at import. Without jax we
    # install one; with jax already imported its own state stays (we never change jax's flag).
    # A later ``import jax`` replaces ours, which is fine: we pass enable_x64 explicitly.
    if sys.modules.get("jax") is None:
        _jax.jax_jit.set_enable_x64_state(_jax.config.Config("jax_enable_x64", True))


# ---- LAPACK custom calls --------------------------------------------------------------------

LAPACK_TARGET_PREFIX = "lapack_"
_lapack_state = {"registered": False, "initialized": False}
_lapack_lock = threading.Lock()


def _register_lapack_targets():
    """Register jaxlib's LAPACK handlers (``jaxlib.lapack.registrations()``) with XLA's CPU
    platform, as ``jax._src.lax.linalg.register_module_custom_calls`` does: typed-FFI targets
    (``*_ffi``) with api_version 1, the legacy ones with 0. Registering costs ~0.1 ms.

    With JAX also imported, both register the same handler objects under the same names,
    which XLA accepts (checked in both orders).
    """
    if _lapack_state["registered"]:
        return
    from jaxlib import lapack

    for name, fn, api_version in lapack.registrations()["cpu"]:
        xc.register_custom_call_target(name, fn, platform="cpu", api_version=api_version)
    _lapack_state["registered"] = True


def ensure_lapack():
    """Bind the LAPACK function pointers that jaxlib's handlers call (``_lapack.initialize``:
    it imports ``scipy.linalg.cython_lapack``, ~0.3 s, so it runs on first need, not at
    import). An uninitialized handler dereferences a null pointer: the process segfaults
    (measured), so every path that builds an executable calls this first when needed."""
    with _lapack_lock:  # pmap's threaded executor compiles from several threads
        if not _lapack_state["initialized"]:
            from jaxlib import lapack

            lapack._lapack.initialize()
            _lapack_state["initialized"] = True


def _needs_lapack(code) -> bool:
    # module text (str) or a serialized executable (bytes): both name their call targets
    tag = LAPACK_TARGET_PREFIX if isinstance(code, str) else LAPACK_TARGET_PREFIX.encode()
    return not _lapack_state["initialized"] and tag in code


def num_cpu_devices() -> int:
    """``--xla_force_host_platform_device_count`` in XLA_FLAGS, else TENSORLIB_NUM_CPU_DEVICES."""
    m = re.search(r"--xla_force_host_platform_device_count[= ](\d+)",
                  os.environ.get("XLA_FLAGS", ""))
    if m:
        return max(int(m.group(1)), 1)
    return max(env("TENSORLIB_NUM_CPU_DEVICES"), 1)


# ---- multi-process: XLA's distributed runtime and Gloo collectives ----------------------------

class Distributed:
    """This process's membership of a multi-process job: the coordination service (process 0
    only), the connected client and the Gloo TCP collectives that the CPU client uses.

    ``connect`` is a collective: every process of the job must call it, and it returns once
    all ``num_processes`` have registered with the service (or raises after ``init_timeout``).
    """

    def __init__(self, coordinator_address, num_processes, process_id, *, bind_address,
                 init_timeout, heartbeat_timeout, shutdown_timeout, gloo_hostname,
                 gloo_interface):
        self.address = coordinator_address
        self.num_processes = num_processes
        self.process_id = process_id
        self.service = None
        if process_id == 0:
            self.service = _jax.get_distributed_runtime_service(
                bind_address, num_processes, heartbeat_timeout=heartbeat_timeout,
                shutdown_timeout=shutdown_timeout)
        try:
            self.client = _jax.get_distributed_runtime_client(
                coordinator_address, process_id, init_timeout=init_timeout,
                heartbeat_timeout=heartbeat_timeout, shutdown_timeout=shutdown_timeout,
                shutdown_on_destruction=False)
            self.client.connect()
            self.collectives = _jax.make_gloo_tcp_collectives(
                self.client, hostname=gloo_hostname, interface=gloo_interface)
        except BaseException:
            self._stop_service()
            raise
        self.init_timeout = init_timeout
        self.shutdown_timeout = shutdown_timeout
        self._sequence = 0
        self.in_flight = None  # the outputs of this process's last multi-process execution

    def exchange(self, what: str, value: str) -> list:
        """Every process's ``value`` for the next ``exchange`` (a collective: each process
        calls it the same number of times), waiting up to ``init_timeout`` for the others.
        Raises TimeoutError naming the process that did not arrive."""
        self._sequence += 1
        key = f"tensorlib/{self._sequence}"
        self.client.key_value_set(f"{key}/{self.process_id}", value)
        out = []
        for p in range(self.num_processes):
            if p == self.process_id:
                out.append(value)
                continue
            try:
                out.append(self.client.blocking_key_value_get(f"{key}/{p}",
                                                              self.init_timeout * 1000))
            except Exception as e:
                raise TimeoutError(
                    f"{what}: no answer from process {p} within {self.init_timeout} s "
                    f"({type(e).__name__}: {e}); every process must make the same calls in "
                    "the same order, and none may have stopped") from e
        return out

    def shutdown(self):
        """Leave the job: waits (up to ``shutdown_timeout``) for every process to leave too,
        then process 0 stops the service."""
        try:
            if self.client is not None:
                try:  # process 0 must not stop the service while others still use it
                    self.client.wait_at_barrier("tensorlib/shutdown",
                                                self.shutdown_timeout * 1000)
                except Exception:
                    pass  # a process died or timed out: leave anyway
                self.client.shutdown()
        finally:
            self.client = None
            self._stop_service()

    def _stop_service(self):
        if self.service is not None:
            self.service.shutdown()
            self.service = None


class Runtime:
    """One XLA CPU client per process and the per-device helpers around it.

    With ``distributed`` (a :class:`Distributed`), the client joins a multi-process job:
    ``devices`` are every process's devices (global ids), ``local_devices`` this process's,
    and collectives between processes go through Gloo over TCP.
    """

    def __init__(self, num_devices=None, distributed: Distributed | None = None):
        _install_x64_state()
        _register_lapack_targets()
        n = num_devices or num_cpu_devices()
        if distributed is None:
            self.client = xc.make_cpu_client(num_devices=n)
        else:
            self.client = xc.make_cpu_client(
                distributed_client=distributed.client, node_id=distributed.process_id,
                num_nodes=distributed.num_processes, collectives=distributed.collectives,
                num_devices=n)
        self.distributed = distributed
        self.process_index = self.client.process_index()
        self.devices = list(self.client.devices())
        self.local_devices = list(self.client.local_devices())
        self._shardings = {d.id: _Sharding(d) for d in self.devices}
        self._device_lists = {d.id: xc.DeviceList((d,)) for d in self.devices}
        self.platform = self.client.platform
        self._stacked = {}

    # ---- transfers -------------------------------------------------------------------------
    def put(self, x: np.ndarray, device):
        """A device copy of the NumPy array ``x`` (never aliases ``x``'s memory)."""
        return xc.batched_device_put(Aval(x.shape, x.dtype), self._shardings[device.id], [x],
                                     [device], True, False, _SEM, True)

    @staticmethod
    def get(arr) -> np.ndarray:
        """The host value of a device array: a read-only zero-copy view on CPU.

        Through DLPack: ``_single_device_array_to_np_array_did_copy`` would import jax (when
        installed) on first use. DLPack has no bfloat16: the backend bitcasts those first.
        """
        arr.block_until_ready()
        return np.from_dlpack(_Capsule(_jax.buffer_to_dlpack_managed_tensor(arr)))

    @staticmethod
    def block(arr):
        arr.block_until_ready()

    @staticmethod
    def block_all(arrs):
        _jax.batched_block_until_ready(list(arrs))

    @staticmethod
    def dlpack(arr):
        """A DLPack capsule sharing ``arr``'s device memory (zero-copy), once it is computed."""
        arr.block_until_ready()
        return _jax.buffer_to_dlpack_managed_tensor(arr)

    # ---- compile ---------------------------------------------------------------------------
    @staticmethod
    def compile_options(cheap: bool, device):
        opts = xc.CompileOptions()
        # without an explicit assignment XLA runs on device 0 whatever the DeviceList says
        opts.device_assignment = xc.DeviceAssignment.create(np.array([[device.id]], np.int32))
        if cheap:
            # single-op executables: halves XLA's compile time (measured), and one op has
            # nothing for the expensive passes to fuse
            dbg = opts.executable_build_options.debug_options
            dbg.xla_llvm_disable_expensive_passes = True
        return opts

    def compile(self, text: str, device, cheap: bool = False):
        if _needs_lapack(text):
            ensure_lapack()
        return self.client.compile_and_load(text, self._device_lists[device.id],
                                            self.compile_options(cheap, device))

    def serialize(self, exe) -> bytes:
        return self.client.serialize_executable(exe)

    def deserialize(self, blob: bytes, device, cheap: bool = False):
        """A serialized executable, loaded for ``device`` (whichever device it was built for)."""
        if _needs_lapack(blob):
            ensure_lapack()
        return self.client.deserialize_executable(blob, self._device_lists[device.id],
                                                  self.compile_options(cheap, device))

    def result_handlers(self, out_avals, device):
        sh = self._shardings[device.id]
        return [_jax.array_result_handler(Aval(a.shape, a.dtype), sh, True, True)
                for a in out_avals]

    # ---- replicated executables (pmap) -------------------------------------------------------
    def compile_replicated(self, text: str, devices):
        """``text`` compiled for ``len(devices)`` replicas; replica ``i`` runs on devices[i].

        Recipe A of the notes: ``num_replicas`` is what makes XLA expect one argument list per
        device; collectives in the module then use replica groups and ``replica_id``.
        """
        if _needs_lapack(text):
            ensure_lapack()
        opts = xc.CompileOptions()
        opts.num_replicas = len(devices)
        opts.num_partitions = 1
        ids = np.array([d.id for d in devices], np.int32).reshape(len(devices), 1)
        opts.device_assignment = xc.DeviceAssignment.create(ids)
        return self.client.compile_and_load(text, xc.DeviceList(tuple(devices)), opts)

    def _stacked_sharding(self, devices, ndim):
        key = (tuple(d.id for d in devices), ndim)
        sh = self._stacked.get(key)
        if sh is None:
            op = xc.OpSharding()
            op.type = xc.OpSharding.Type.OTHER
            op.tile_assignment_dimensions = [len(devices)] + [1] * ndim
            op.tile_assignment_devices = list(range(len(devices)))
            sh = self._stacked[key] = xc.GSPMDSharding(xc.DeviceList(tuple(devices)),
                                                       xc.HloSharding.from_proto(op))
        return sh

    def stack(self, arrays, shape, dtype, devices):
        """One jaxlib array over ``devices`` whose shard ``i`` is ``arrays[i]`` (each of
        ``shape``): what ``execute_sharded`` takes for one parameter of a replicated module.
        Its global shape, ``(n, *shape)``, is a label: each replica sees its own shard.

        In a multi-process job ``devices`` are all the replicas' devices (every process's)
        and ``arrays`` only this process's shards, in the order of its devices in the list.
        """
        aval = Aval((len(devices),) + tuple(shape), dtype)
        return xc.ArrayImpl(aval, self._stacked_sharding(devices, len(shape)), list(arrays),
                            True, True)

    @staticmethod
    def stacked_devices(stacked) -> tuple:
        """The devices (every process's) that a stacked array is laid out over."""
        return tuple(stacked._sharding._devices)

    def shard_to_numpy(self, stacked, i, devices, ndim) -> np.ndarray:
        """The shard of ``devices[i]`` (a device of this process) of a stacked array, as a
        read-only host view.

        ``stacked._arrays`` would import ``jax.core`` (when JAX is installed) to type each
        shard; relabelling the stack so that the device comes first (``reorder_shards``
        reuses the buffers) and taking its DLPack capsule, which is the first addressable
        shard's, does not.
        """
        # in a multi-process job the stack also spans other processes' devices
        full = list(devices) if self.distributed is None else list(self.stacked_devices(stacked))
        k = full.index(devices[i])
        order = full[k:] + full[:k]
        first = _jax.reorder_shards(stacked, self._stacked_sharding(order, ndim),
                                    xc.ArrayCopySemantics.REUSE_INPUT) if k else stacked
        first.block_until_ready()
        return np.from_dlpack(_Capsule(_jax.buffer_to_dlpack_managed_tensor(first)))

    def replicated_runner(self, exe, out_avals, devices):
        """``run(stacked_arrays) -> [stacked array per output]``."""
        handlers = [_jax.array_result_handler(
            Aval((len(devices),) + tuple(a.shape), a.dtype),
            self._stacked_sharding(devices, len(a.shape)), True, True) for a in out_avals]
        execute = exe.execute_sharded
        dist = self.distributed
        if dist is not None:
            def run_in_job(arrs):
                # One execution in flight per process: with several queued, XLA's CPU
                # client can start a later execution's collective on one local device while
                # another still waits to start the earlier one, and the processes deadlock
                # (measured: loops of 100-200 unsynchronised steps hang, with jax.pmap too).
                prev, dist.in_flight = dist.in_flight, None
                if prev:
                    _jax.batched_block_until_ready(prev)
                outs = execute(arrs).consume_with_handlers(handlers)
                dist.in_flight = outs
                return outs

            return run_in_job

        def run(arrs):
            return execute(arrs).consume_with_handlers(handlers)

        return run

    # ---- execute ---------------------------------------------------------------------------
    def runner(self, exe, out_avals, device):
        """``run(device_arrays) -> device_arrays``: ``exe`` with its outputs' handlers bound."""
        handlers = self.result_handlers(out_avals, device)
        execute = exe.execute_sharded

        def run(arrs):
            return execute(arrs).consume_with_handlers(handlers)

        return run


def cache_fingerprint() -> str:
    """What a serialized executable depends on besides its module text."""
    parts = [JAXLIB_VERSION, str(XLA_CLIENT_VERSION), sys.platform]
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("flags", "model name", "Features", "CPU part")):
                    parts.append(line.strip())
                    if len(parts) > 6:
                        break
    except OSError:
        import platform

        parts.append(platform.machine() + platform.processor())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
