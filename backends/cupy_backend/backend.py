"""The CuPy backend object: devices, transfers, DLPack, and the eager kernel registration."""

from __future__ import annotations

import cupy
import numpy as np

from tensorlib._src import core
from tensorlib.errors import BackendMismatchError, BackendNotAvailableError


def _check_gpu():
    try:
        ok = bool(cupy.cuda.is_available())
    except Exception:  # a driver/runtime mismatch raises instead of answering False
        ok = False
    if not ok:
        raise BackendNotAvailableError(
            "backend 'cupy': CuPy is installed but no GPU is visible "
            "(cupy.cuda.is_available() is False). Check that `nvidia-smi` lists a GPU, that "
            "CUDA_VISIBLE_DEVICES does not hide it, and that the CuPy wheel matches the "
            "driver's CUDA version (pip install cupy-cuda12x for CUDA 12); or use another "
            "backend: tensorlib.config.update('backend', 'numpy')."
        )


_check_gpu()


class GpuDevice:
    """One GPU of the CuPy backend."""

    __slots__ = ("id", "backend", "cuda")
    platform = "gpu"

    def __init__(self, id_, backend):
        self.id = id_
        self.backend = backend
        self.cuda = cupy.cuda.Device(id_)

    def __repr__(self):
        return f"GpuDevice(id={self.id}, platform=gpu, backend=cupy)"


class CupyBackend:
    name = "cupy"
    buffer_type = cupy.ndarray
    buffer_types = (cupy.ndarray,)

    def __init__(self):
        n = cupy.cuda.runtime.getDeviceCount()
        self._devices = [GpuDevice(i, self) for i in range(n)]

    # ---- devices and transfers -------------------------------------------------------------
    def devices(self):
        return self._devices

    def device_of(self, buf) -> GpuDevice:
        return self._devices[buf.device.id]

    def _device(self, device) -> GpuDevice:
        if device is None or isinstance(device, str):  # a backend name: the current GPU
            return self._devices[cupy.cuda.runtime.getDevice()]
        if isinstance(device, GpuDevice):
            return device
        if isinstance(device, int) and 0 <= device < len(self._devices):
            return self._devices[device]
        raise TypeError(f"device_put: {device!r} is not a device of the cupy backend; use one "
                        f"of tensorlib.devices('cupy') ({self._devices})")

    def from_numpy(self, x, device=None):
        """A copy of ``x`` (host array, or a CuPy array on any GPU) on ``device``."""
        with self._device(device).cuda:
            return cupy.array(x, copy=True)

    def put_buffer(self, buf, device=None):
        """``buf`` of any backend on ``device`` without a trip through the host where possible:
        GPU to GPU copies for CuPy buffers, DLPack for CUDA arrays of other libraries
        (an XLA-GPU buffer, a torch tensor). None: the caller goes through the host."""
        dev = self._device(device)
        if isinstance(buf, cupy.ndarray):
            if buf.device.id == dev.id and device is None:
                return buf
            return self.from_numpy(buf, dev)
        src = getattr(buf, "array", buf)  # the XLA backend wraps its jaxlib array
        dl_device = getattr(src, "__dlpack_device__", None)
        if dl_device is not None and dl_device()[0] == 2:  # kDLCUDA
            with dev.cuda:
                return cupy.array(cupy.from_dlpack(src), copy=True)
        return None

    def to_numpy(self, buf):
        """The value on the host (waits for the computation that produces it)."""
        return cupy.asnumpy(buf)

    def full(self, shape, value, dtype):
        return cupy.full(tuple(shape), value, dtype=np.dtype(dtype))

    def block_until_ready(self, buf):
        with buf.device:
            cupy.cuda.get_current_stream().synchronize()
        return buf

    # ---- compilation -----------------------------------------------------------------------
    def compile(self, graph):
        """Elementwise runs as generated CUDA kernels, the rest as eager CuPy calls."""
        from tensorlib.backends.cupy_backend.compiler import compile_graph

        return compile_graph(self, graph)

    def compile_spmd(self, graph, devices):
        """pmap over several GPUs with NCCL collectives (None: pmap's threaded fallback)."""
        from tensorlib.backends.cupy_backend import nccl

        if len(devices) < 2 or not nccl.available():
            return None
        return nccl.NcclSpmd(self, graph, devices)


BACKEND = CupyBackend()


def to_dlpack(x):
    """A DLPack capsule of a CuPy-backed Array (zero copy), for torch/JAX/XLA."""
    return x._buf.toDlpack()


def from_dlpack(obj):
    """An Array of the CuPy backend sharing memory with a DLPack-capable GPU array."""
    return core.Array(cupy.from_dlpack(obj))


# --------------------------------------------------------------------------------------------
# eager kernels: the NumPy backend's, with xp = cupy


def _mismatch(name, a, b):
    return BackendMismatchError(
        f"{name}: arguments live on different devices ({BACKEND._devices[a]} and "
        f"{BACKEND._devices[b]}). Move them to one device first with "
        "tensorlib.device_put(x, device).")


def _on_device(prim, fn):
    """With several GPUs: run ``fn`` on its operands' GPU, and refuse operands of two GPUs
    (CuPy would raise an error that names neither). One GPU: ``fn`` unchanged, no cost."""
    if len(BACKEND.devices()) < 2:
        return fn
    name = prim.name

    def kernel(*args, **params):
        dev = None
        for a in args:
            d = a.device.id
            if dev is None:
                dev = d
            elif d != dev:
                raise _mismatch(name, dev, d)
        if dev is None or dev == cupy.cuda.runtime.getDevice():
            return fn(*args, **params)
        with cupy.cuda.Device(dev):
            return fn(*args, **params)

    kernel.__name__ = getattr(fn, "__name__", name)
    return kernel


def load():
    """Register the eager kernels for CuPy buffers (the NumPy backend's, with ``xp = cupy``);
    the backend object (``loader.load``)."""
    from tensorlib.backends import numpy_backend

    from tensorlib._src import loader

    # NumPy buffers reach this backend (graph constants, mixing errors): the registry must
    # know whose they are
    loader.load("numpy")
    numpy_backend.register_kernels(cupy, cupy.ndarray, wrap=_on_device)
    return BACKEND
