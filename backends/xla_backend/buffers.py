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
