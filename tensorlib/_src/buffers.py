"""The buffer an Array holds once its own was donated: no backend owns it."""

from __future__ import annotations

import numpy as np


class DeletedBuffer:
    """What an Array holds after its buffer was donated to a jitted function: its shape and
    dtype survive (for messages); any use raises :class:`DeletedArrayError`."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = tuple(shape)
        self.dtype = dtype

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    @staticmethod
    def error(what):
        from tensorlib.errors import DeletedArrayError

        return DeletedArrayError(
            f"{what}: an array was donated to a jitted function (donate_argnums) and its "
            "buffer has been reused for the result; use the function's output instead, or "
            "drop it from donate_argnums to keep the input alive")
