"""Backend selection: ``TENSORLIB_BACKEND``, ``config.update("backend", ..)``, ``with backend(..)``.

Backends live in the top-level ``backends/`` folder, installed as ``tensorlib.backends``, and
load lazily: ``import tensorlib`` never imports CuPy or jaxlib.
"""

from __future__ import annotations

import contextlib

from tensorlib._src import core, loader
from tensorlib._src.config import config


def get_backend(name: str | None = None):
    """The backend object named ``name`` (default: the current one), loading it on first use."""
    if name is None:
        return core.current_backend()
    return loader.load(name)


def _on_config(name, value):
    if name == "backend":
        core._current[0] = None
        get_backend(value)  # fail now, at the user's line, if it is missing


config._listeners.append(_on_config)


def default_backend() -> str:
    """Name of the backend new arrays are created on.

    Examples
    --------
    >>> with tl.backend("numpy"):
    ...     tl.default_backend()
    'numpy'
    """
    return core.current_backend().name


@contextlib.contextmanager
def backend(name: str):
    """Context manager: arrays created inside live on backend ``name``.

    Examples
    --------
    >>> import tensorlib as tl
    >>> with tl.backend("numpy"):
    ...     tl.numpy.ones(2).backend.name
    'numpy'
    """
    be = get_backend(name)
    # scoped to this thread/task (contextvars), restored on exit
    with config.scoped("backend", be.name):
        yield be


def devices(backend_name: str | None = None) -> list:
    """Devices of a backend (default: the current one).

    Examples
    --------
    >>> tl.devices("numpy")[0]
    CpuDevice(id=0, backend=numpy)
    """
    return list(get_backend(backend_name).devices())


def local_devices(process_index: int | None = None, backend: str | None = None) -> list:
    """Devices of a backend that belong to one process (default: this one), as
    ``jax.local_devices``.

    Without :func:`tensorlib.distributed.initialize` every device is local; in a
    multi-process job :func:`tensorlib.devices` lists every process's devices and this
    function only the ones this process can put data on.

    Examples
    --------
    >>> import tensorlib as tl
    >>> tl.local_devices(backend="numpy") == tl.devices("numpy")
    True
    """
    be = get_backend(backend)
    local = getattr(be, "local_devices", None)
    if local is None:
        if process_index not in (None, 0):
            raise ValueError(f"local_devices: backend {be.name!r} runs in one process; "
                             f"process_index={process_index} does not exist")
        return list(be.devices())
    return list(local(process_index))


def device_count(backend: str | None = None) -> int:
    """How many devices a backend has, over every process of the job (``jax.device_count``).

    Examples
    --------
    >>> import tensorlib as tl
    >>> tl.device_count("numpy") == len(tl.devices("numpy"))
    True
    """
    return len(get_backend(backend).devices())


def local_device_count(backend: str | None = None) -> int:
    """How many devices of a backend this process has (``jax.local_device_count``).

    Examples
    --------
    >>> import tensorlib as tl
    >>> tl.local_device_count("numpy") == tl.device_count("numpy")
    True
    """
    return len(local_devices(backend=backend))


def block_until_ready(x):
    """Wait until every array in the pytree ``x`` is computed; return ``x``.

    The XLA backend dispatches asynchronously: time a computation with this (or
    ``Array.block_until_ready``) around it. Leaves that are not arrays are left alone.

    Examples
    --------
    >>> out = tl.block_until_ready({"y": tnp.ones(3) * 2, "n": 1})
    >>> out["y"]
    Array([2., 2., 2.], dtype=float32)
    """
    from tensorlib._src.tree_util import tree_leaves

    for leaf in tree_leaves(x):
        if isinstance(leaf, core.Array) and not isinstance(leaf, core.Tracer):
            leaf.block_until_ready()
    return x


def device_get(x):
    """The pytree ``x`` with every array copied to the host as a NumPy array (as
    ``jax.device_get``); other leaves are returned as they are.

    Examples
    --------
    >>> tl.device_get({"w": tnp.arange(3), "step": 7})
    {'step': 7, 'w': array([0, 1, 2], dtype=int32)}
    """
    import numpy as np

    from tensorlib._src.tree_util import tree_map
    from tensorlib.errors import ConcretizationTypeError

    def get(leaf):
        if isinstance(leaf, core.Tracer):
            raise ConcretizationTypeError(
                f"device_get: got a traced value {leaf.aval.str_short()}; its value is not "
                "known inside a transformation. Call device_get outside it, or use "
                "tensorlib.debug.print to see values while tracing.")
        return np.asarray(leaf) if isinstance(leaf, core.Array) else leaf

    return tree_map(get, x)


def device_put(x, device=None):
    """Move ``x`` (an Array, NumPy array or pytree of them) to ``device`` (or a backend name).

    Examples
    --------
    >>> tl.device_put(np.arange(3))  # NumPy's int64 becomes the default int32
    Array([0, 1, 2], dtype=int32)
    >>> tl.device_put({"w": np.ones(2)}, "numpy")["w"].backend.name
    'numpy'
    """
    from tensorlib._src.tree_util import tree_map

    if device is None:
        target = core.current_backend()
    elif isinstance(device, str):
        target = get_backend(device)
    else:
        target = device.backend
    return tree_map(lambda leaf: _put_leaf(leaf, target, device), x)


def _put_leaf(x, target, device):
    import numpy as np

    if isinstance(x, core.Tracer):
        return x
    if isinstance(x, core.Array):
        if x.backend is target and device is None:
            return x
        # device to device (and DLPack between GPU libraries) where the target can
        put = getattr(target, "put_buffer", None)
        buf = put(x._buf, device) if put is not None else None
        if buf is not None:
            return core.Array(buf, x._weak)
        host = x.to_numpy()
        return core.Array(target.from_numpy(host, device=device), x._weak)
    from tensorlib._src import dtypes

    arr = np.asarray(x)
    return core.Array(target.from_numpy(arr.astype(dtypes.canonicalize(arr.dtype)), device=device))
