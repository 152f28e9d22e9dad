"""Multiple dispatch of eager kernels on backend buffer types.

One ``multipledispatch.Dispatcher`` per primitive, in a private namespace (never the global
``@dispatch`` namespace, where another library's ``add`` would replace ours). ``bind`` looks
up a per-primitive cache keyed by the tuple of buffer types first; the Dispatcher is asked
only on a miss, so a cache hit costs one dict lookup.
"""

from __future__ import annotations

import warnings

from multipledispatch import Dispatcher
from multipledispatch.conflict import AmbiguityWarning

from tensorlib._src import loader
from tensorlib._src.buffers import DeletedBuffer
from tensorlib.errors import BackendMismatchError, MissingKernelError

_namespace: dict = {}
_dispatchers: dict = {}


def impl(prim) -> Dispatcher:
    """The Dispatcher of ``prim``'s eager kernels; register with ``impl(p).add(types, fn)``.

    Third parties register kernels for their own buffer types the same way, e.g.
    ``impl(add_p).add((MyBuffer, MyBuffer), my_add)``; ``register_impl`` does it and
    clears the cached resolutions.
    """
    d = _dispatchers.get(prim)
    if d is None:
        d = _dispatchers[prim] = Dispatcher(prim.name)
    return d


def register_impl(prim, types, fn):
    """Register ``fn`` as the kernel of ``prim`` for the buffer ``types`` (a tuple of classes)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AmbiguityWarning)
        impl(prim).add(tuple(types), fn)
    prim._impl_cache.clear()
    return fn


def resolve(prim, key):
    d = _dispatchers.get(prim)
    fn = d.dispatch(*key) if d is not None else None
    if fn is None:
        raise _no_kernel(prim, key)
    prim._impl_cache[key] = fn
    return fn


def _no_kernel(prim, key):
    if DeletedBuffer in key:
        return DeletedBuffer.error(prim.name)

    names = sorted({loader.name_of_type(t) for t in key})
    if len(names) > 1:
        return BackendMismatchError(
            f"{prim.name}: arguments live on different backends ({' and '.join(names)}; "
            f"buffer types {', '.join(t.__module__ + '.' + t.__qualname__ for t in key)}). "
            "Move them to one backend first with tensorlib.device_put(x, device)."
        )
    return MissingKernelError(
        f"No {names[0]} kernel for primitive '{prim.name}' and buffer types "
        f"({', '.join(t.__module__ + '.' + t.__qualname__ for t in key)}). Register one with "
        f"tensorlib.extend.register_impl({prim.name}_p, (BufferType, ...), kernel)."
    )


def dispatchers() -> dict:
    return dict(_dispatchers)
