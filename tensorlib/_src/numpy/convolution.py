"""Discrete linear convolution and correlation of 1-d sequences (``convolve``,
``correlate``): a gathered window matrix times the kernel.
"""

from __future__ import annotations

import numpy as np

from tensorlib._src.numpy import (
    complex_numbers,
    indexing,
    rearranging,
)
from tensorlib._src.numpy.products import matmul
from tensorlib._src.numpy.promotion import (
    asarray,
    promote_dtypes,
)
from tensorlib.errors import ShapeError


def _window_matrix(x, m):
    """Rows ``x[k : k + m]`` for every full window of the 1-d ``x``."""
    n_out = x.shape[0] - m + 1
    idx = np.arange(n_out)[:, None] + np.arange(m)[None, :]
    return indexing.take(x, asarray(idx.astype(np.int32)))


def _convolve(a, v, mode, name):
    a, v = promote_dtypes(asarray(a), asarray(v))
    if a.ndim != 1 or v.ndim != 1:
        raise ShapeError(f"{name}: needs 1-d inputs, got {a.aval.str_short()} and "
                         f"{v.aval.str_short()}")
    if a.shape[0] == 0 or v.shape[0] == 0:
        raise ValueError(f"{name}: inputs cannot be empty")
    if v.shape[0] > a.shape[0]:
        a, v = v, a
    n, m = a.shape[0], v.shape[0]
    if mode == "full":
        pad_lo, pad_hi = m - 1, m - 1
    elif mode == "same":
        pad_lo, pad_hi = m // 2, m - 1 - m // 2
    elif mode == "valid":
        pad_lo = pad_hi = 0
    else:
        raise ValueError(f"{name}: mode must be 'full', 'same' or 'valid', got {mode!r}")
    if pad_lo or pad_hi:
        a = rearranging.pad(a, (pad_lo, pad_hi))
    windows = _window_matrix(a, m)
    out = matmul(windows, rearranging.flip(v))
    return out[:n + m - 1] if mode == "full" else out


def convolve(a, v, mode="full", *, precision=None, preferred_element_type=None):
    """Discrete linear convolution of two 1-d arrays (``mode`` "full", "same" or "valid").

    Examples
    --------
    >>> a, v = tnp.array([1., 2., 3.]), tnp.array([0., 1., 2.])
    >>> tnp.convolve(a, v)
    Array([0., 1., 4., 7., 6.], dtype=float32)
    >>> tnp.convolve(a, v, mode="same")
    Array([1., 4., 7.], dtype=float32)
    >>> tnp.convolve(a, v, mode="valid")
    Array([4.], dtype=float32)
    """
    return _convolve(a, v, mode, "convolve")


def correlate(a, v, mode="valid", *, precision=None, preferred_element_type=None):
    """Cross-correlation ``c[k] = sum_n a[n + k] * conj(v[n])`` of two 1-d arrays.

    Examples
    --------
    >>> a = tnp.array([1., 2., 3., 4.])
    >>> tnp.correlate(a, tnp.array([1., 0., -1.]))
    Array([-2., -2.], dtype=float32)
    >>> tnp.correlate(a, tnp.array([1., 1.]), mode="full")
    Array([1., 3., 5., 7., 4.], dtype=float32)
    """
    a, v = asarray(a), asarray(v)
    if v.ndim == 1 and a.ndim == 1 and v.shape[0] > a.shape[0]:
        return rearranging.flip(complex_numbers.conj(correlate(v, a, mode)))
    return _convolve(a, rearranging.flip(complex_numbers.conj(v)), mode, "correlate")
