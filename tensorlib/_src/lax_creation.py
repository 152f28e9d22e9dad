"""``lax`` array creation composed of primitives: ``full`` and ``full_like``."""

from __future__ import annotations

import numpy as np

from tensorlib._src import dtypes
from tensorlib._src.core import Array
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops import shape as sh


def full(shape, fill_value, dtype=None):
    """An array of ``shape`` filled with ``fill_value`` (of ``dtype``, default its own).

    A Python scalar without ``dtype`` gives a weakly typed array, as in JAX.

    Examples
    --------
    >>> lax.full((2, 3), 7, tnp.int32)
    Array([[7, 7, 7],
           [7, 7, 7]], dtype=int32)
    >>> lax.full((2,), 0.5)
    Array([0.5, 0.5], dtype=float32, weak_type=True)
    """
    dt = dtypes.canonicalize(dtype) if dtype is not None else dtypes.scalar_dtype(fill_value)
    if isinstance(fill_value, Array):
        return sh.broadcast_in_dim(ew.convert_element_type(fill_value, dt), tuple(shape), ())
    weak = dtype is None and isinstance(fill_value, (int, float, complex)) \
        and not isinstance(fill_value, (bool, np.generic))  # bools are never weak
    return ew.full(tuple(shape), fill_value, dt, weak=weak)


def full_like(x, fill_value, dtype=None, shape=None):
    """An array like ``x`` (or of ``shape``) filled with ``fill_value``.

    Examples
    --------
    >>> lax.full_like(tnp.zeros((2, 2), dtype=tnp.int32), 3)
    Array([[3, 3],
           [3, 3]], dtype=int32)
    >>> lax.full_like(tnp.zeros(2), 1, dtype=tnp.int32)
    Array([1, 1], dtype=int32)
    """
    return full(x.shape if shape is None else shape, fill_value, dtype or x.dtype)


