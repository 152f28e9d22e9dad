"""Loading backends, and which backend owns a buffer type.

The one place that imports a backend: by name, on first use, through the backend's ``load()``
function, which registers its kernels and lowerings and returns the backend object. Nothing
is registered by importing a module, so the order of imports never matters. This module sits
below the core: it imports neither the core nor a backend statically (``import tensorlib``
never imports CuPy or jaxlib).
"""

from __future__ import annotations

import importlib
import threading

from tensorlib._src import dtypes
from tensorlib._src.buffers import DeletedBuffer
from tensorlib.errors import BackendNotAvailableError, ConfigError

# name -> (module, package it needs or None, how to install it). The modules are named, not
# imported: a backend is imported when it is first used.
BACKENDS = {
    "numpy": ("tensorlib.backends.numpy_backend", None, None),
    "xla": ("tensorlib.backends.xla_backend", "jaxlib", "pip install 'jaxlib==0.10.*'"),
    "cupy": ("tensorlib.backends.cupy_backend", "cupy", "pip install cupy-cuda12x"),
}


def _load_entry_points():
    """Third-party backends: the ``tensorlib.backends`` entry-point group."""
    from importlib.metadata import entry_points

    for ep in entry_points(group="tensorlib.backends"):
        BACKENDS.setdefault(ep.name, (ep.value, None, None))


_load_entry_points()

_loaded: dict = {}  # name -> backend object
by_type: dict = {}  # buffer type -> backend object (the hot path of Array.backend)
_lock = threading.RLock()


def load(name: str):
    """The backend object named ``name``, loading it on first use."""
    be = _loaded.get(name)
    if be is not None:
        return be
    name = name.lower()
    with _lock:  # two threads asking at once load it once
        be = _loaded.get(name)
        if be is not None:
            return be
        reg = BACKENDS
        if name not in reg:
            raise ConfigError(
                f"backend: unknown backend {name!r}; known backends are "
                f"{', '.join(sorted(reg))}. Set TENSORLIB_BACKEND or call "
                "tensorlib.config.update('backend', name)."
            )
        modname, requirement, hint = reg[name]
        if requirement is not None:
            try:
                importlib.import_module(requirement)
            except ImportError as e:
                raise BackendNotAvailableError(
                    f"backend {name!r} needs the package {requirement!r}, which is not "
                    f"installed ({e}). Install it with: {hint}"
                ) from e
        be = importlib.import_module(modname).load()
        _loaded[name] = be
        for t in be.buffer_types:
            by_type[t] = be
    return be


def loaded() -> dict:
    """The backends loaded so far, by name."""
    return dict(_loaded)


def for_buffer(buf):
    """The backend that owns ``buf`` (a loaded one; raises for a donated array's buffer)."""
    t = type(buf)
    be = by_type.get(t)
    if be is not None:
        return be
    if t is DeletedBuffer:
        raise buf.error(f"array {dtypes.short_aval(buf.shape, buf.dtype)}")
    for be in list(_loaded.values()):
        if isinstance(buf, be.buffer_types):
            by_type[t] = be
            return be
    raise TypeError(f"no tensorlib backend owns buffers of type {t.__module__}.{t.__qualname__}")


def name_of_type(t) -> str:
    """The name of the backend whose buffers have type ``t`` (the type's name otherwise)."""
    for be in list(_loaded.values()):
        if issubclass(t, be.buffer_types):
            return be.name
    return f"{t.__module__}.{t.__qualname__}"
