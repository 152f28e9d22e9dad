"""The XLA backend's buffer and device types (dispatch keys on ``XlaBuffer``)."""

from __future__ import annotations

import ml_dtypes
import numpy as np

_BF16 = np.dtype(ml_dtypes.bfloat16)


class XlaBuffer:
    """One device array of the XLA backend with its shape, dtype and device.

    ``committed`` says the array was placed on its device explicitly (``device_put`` with a
    device): an uncommitted operand follows the committed ones, as in JAX.
    """

    __slots__ = ("array", "shape", "dtype", "device", "committed")

    def __init__(self, array, shape, dtype, device, committed=False):
        self.array = array
        self.shape = shape
        self.dtype = dtype
        self.device = device
        self.committed = committed

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    def __array__(self, dtype=None, copy=None):
        h = self.device.backend.to_numpy(self)
        return h if dtype is None else h.astype(dtype)

    def __repr__(self):
        from tensorlib._src import dtypes

        return f"XlaBuffer({dtypes.short_aval(self.shape, self.dtype)} on {self.device})"


class XlaDevice:
    """A device of the XLA backend (a host CPU device, or a GPU with jaxlib's CUDA plugin)."""

    __slots__ = ("id", "backend", "platform", "xla")

    def __init__(self, xla_device, backend):
        self.xla = xla_device
        self.id = xla_device.id
        self.platform = xla_device.platform
        self.backend = backend

    def __repr__(self):
        return f"XlaDevice(id={self.id}, platform={self.platform}, backend=xla)"


class ShardedXlaBuffer(XlaBuffer):
    """A pmap result: one value per device, stacked along a new leading axis, left where it
    was computed (``stacked`` is one jaxlib array over the devices).

    A pmap that takes it back along axis 0 on the same devices passes ``stacked`` as it is (a
    data-parallel training loop never gathers its parameters); reading it on the host stacks
    the shards' host views; any other operation first assembles the value on the first device
    (once).
    """

    __slots__ = ("stacked", "devices")

    def __init__(self, stacked, shape, dtype, devices):
        self.stacked = stacked
        self.devices = list(devices)
        XlaBuffer.__init__(self, None, shape, dtype, self.devices[0], False)

    @property
    def array(self):
        arr = XlaBuffer.array.__get__(self)
        if arr is None:
            arr = self.device.backend.runtime.put(self.host(), self.device.xla)
            XlaBuffer.array.__set__(self, arr)
        return arr

    @array.setter
    def array(self, value):
        XlaBuffer.array.__set__(self, value)

    def host(self):
        rt = self.device.backend.runtime
        xla = [d.xla for d in self.devices]
        return np.stack([rt.shard_to_numpy(self.stacked, i, xla, self.ndim - 1)
                         for i in range(len(xla))])

    def __repr__(self):
        from tensorlib._src import dtypes

        return (f"ShardedXlaBuffer({dtypes.short_aval(self.shape, self.dtype)} over "
                f"{len(self.devices)} devices)")
