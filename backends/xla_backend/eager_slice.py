"""Eager ``slice`` with its start indices as a runtime argument: one executable for all starts.

``x[i]``, ``x[i, j]``, ``x[i:i + 2]`` and ``x.at[i]`` reach the backend as a static ``slice``
(the graph keeps the static form, which jit folds and the transforms understand). Keyed by
its params, every new ``i`` of an eager loop would compile a new executable (~20-50 ms, and
~200 KB held per ``i``). As JAX's eager ``slice`` does (``_slice_impl`` runs
``dynamic_slice``), this kernel runs ``stablehlo.dynamic_slice`` with the starts passed as one
``i32[ndim]`` operand, followed by a static ``stablehlo.slice`` with start 0 for strides:
the executable depends on the operand's shape and dtype, the slice's extent and strides only.

The starts are validated here (the shape rule's bounds), so ``dynamic_slice``'s clamping
never applies; an invalid slice, an empty result or a no-op goes to the generic kernel (the
shape rule's error, or the identity). The small starts vectors are cached per device.
"""

from __future__ import annotations

import numpy as np
from tensorlib.backends.xla_backend import compiler, lowering
from tensorlib.backends.xla_backend.buffers import XlaBuffer
from tensorlib.backends.xla_backend.mlir import i64_array, supported_dtype

from tensorlib._src import disk_cache
from tensorlib._src.core import AbstractArray

_STARTS_MAX = 512  # cached starts vectors (~3 KB of host memory each on CPU)
_I32_MAX = 2**31 - 1


def _build(backend, shape, dtype, spans, strides, out_shape):
    """The ``_Call`` of ``x[starts + (0:span:stride)]`` for ``x: dtype[shape]``."""
    nd = len(shape)
    x_aval = AbstractArray(shape, dtype)
    out_aval = AbstractArray(out_shape, dtype)

    def body(em, args):
        x, s = args
        starts = [em.reshape(em.slice(s, [d], [d + 1]), ()) for d in range(nd)]
        y = em.op1("stablehlo.dynamic_slice", [x, *starts], spans, x.dtype,
                   f"slice_sizes = {i64_array(spans)}")
        if strides is not None:
            y = em.slice(y, (0,) * nd, spans, strides)
        return [y]

    text, _ = lowering.build_module([x_aval, AbstractArray((nd,), np.dtype(np.int32))], body)
    return compiler._Call(backend, backend.module(text, [out_aval], cheap=True), "slice")


def make_slice_kernel(backend, generic):
    """The eager kernel of ``slice_p`` on XLA buffers; ``generic`` handles what it does not."""
    calls = {}
    starts_bufs = {}

    def kernel(*bufs, start_indices, limit_indices, strides=None):
        x = bufs[0] if len(bufs) == 1 else None
        shape = x.shape if type(x) is XlaBuffer else ()
        nd = len(shape)
        if not nd or len(start_indices) != nd or len(limit_indices) != nd or (
                strides is not None and len(strides) != nd):
            return generic(*bufs, start_indices=start_indices, limit_indices=limit_indices,
                           strides=strides)
        spans, out_shape, moved, strided = [], [], False, False
        for d in range(nd):
            a, b, n = start_indices[d], limit_indices[d], shape[d]
            s = 1 if strides is None else strides[d]
            if not 0 <= a < b <= n or s < 1 or n > _I32_MAX:
                spans = None  # invalid (the rule's error), empty, or too large for i32
                break
            k = -(-(b - a) // s)
            out_shape.append(k)
            spans.append((k - 1) * s + 1)
            moved = moved or a != 0 or k != n
            strided = strided or s != 1
        if spans is None or not moved or not supported_dtype(x.dtype):
            return generic(*bufs, start_indices=start_indices, limit_indices=limit_indices,
                           strides=strides)
        spans = tuple(spans)
        st = tuple(strides) if strided else None
        key = (shape, x.dtype, spans, st)
        call = calls.get(key)
        if call is None:
            call = _build(backend, shape, x.dtype, spans, st, tuple(out_shape))
            compiler.remember(calls, key, call)
        dev = x.device
        skey = (tuple(start_indices), dev.id)
        sbuf = starts_bufs.get(skey)
        if sbuf is None:
            if len(starts_bufs) >= _STARTS_MAX:
                starts_bufs.clear()
            sbuf = starts_bufs[skey] = backend.put(np.array(start_indices, np.int32), dev)
        return call([x, sbuf])[0]

    kernel.__name__ = "_xla_slice"
    kernel.calls = calls
    disk_cache.on_clear(calls.clear)
    disk_cache.on_clear(starts_bufs.clear)
    kernel.starts = starts_bufs
    return kernel
