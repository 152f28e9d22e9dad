"""Configuration: ``tl.config.update(name, value)``, the environment variables, and scoped
overrides.

``config.update`` sets a process-wide value (as ``jax.config.update`` does). The context
managers ``tl.backend(...)``, ``tl.disable_jit()`` and ``tl.enable_x64()`` override
``backend``, ``disable_jit`` and ``enable_x64`` in a ``contextvars`` variable: the override
holds in this thread (or asyncio task) only, and is undone on exit, exceptions included. A
read (``config.enable_x64``) sees the innermost override, else the process-wide value.
"""

from __future__ import annotations

import contextlib
import contextvars
import os

from tensorlib.errors import ConfigError


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


# the settings a ``with`` block may override for its thread/task; None: no override
_SCOPED = {name: contextvars.ContextVar(f"tensorlib_{name}", default=None)
           for name in ("enable_x64", "disable_jit", "backend")}


def _scoped(name):
    var = _SCOPED[name]

    def get(self):
        v = var.get()
        return self._global[name] if v is None else v

    def set_(self, value):
        self._global[name] = value

    return property(get, set_, doc=f"``{name}``: the innermost scoped override, else the "
                    "process-wide value")


class Config:
    """Settings, read from ``TENSORLIB_*`` environment variables at import."""

    _names = ("enable_x64", "disable_jit", "debug_nans", "backend", "check_rules",
              "fusion_tier")
    _choices = {"fusion_tier": ("tiered", "compiled", "background")}

    enable_x64 = _scoped("enable_x64")
    disable_jit = _scoped("disable_jit")
    backend = _scoped("backend")

    def __init__(self):
        self._global = {}
        self._listeners = []
        self.enable_x64 = _env_flag("TENSORLIB_ENABLE_X64")
        self.disable_jit = _env_flag("TENSORLIB_DISABLE_JIT")
        self.debug_nans = _env_flag("TENSORLIB_DEBUG_NANS")
        # Run every primitive's shape rule in eager mode too and compare it with the kernel's
        # result. Off by default (it costs a microsecond per op); the test suite turns it on.
        self.check_rules = _env_flag("TENSORLIB_CHECK_RULES")
        self.backend = os.environ.get("TENSORLIB_BACKEND", "numpy").strip().lower() or "numpy"
        # NumPy backend: a fused group's first call runs unfused and Numba compiles it on the
        # second ("tiered"), or Numba compiles before the first call returns ("compiled":
        # steady-state timings from the first call, e.g. in benchmarks), or a background
        # thread compiles it while calls run unfused ("background").
        tier = os.environ.get("TENSORLIB_FUSION_TIER", "tiered").strip().lower() or "tiered"
        if tier not in self._choices["fusion_tier"]:
            import warnings

            warnings.warn(f"TENSORLIB_FUSION_TIER={tier!r} is not one of "
                          f"{', '.join(self._choices['fusion_tier'])}; using 'tiered'",
                          stacklevel=2)
            tier = "tiered"
        self.fusion_tier = tier

    def update(self, name: str, value) -> None:
        """Set one option: ``"enable_x64"``, ``"disable_jit"``, ``"debug_nans"``, ``"backend"``,
        ``"fusion_tier"`` (``"tiered"``, ``"compiled"`` or ``"background"``).

        Examples
        --------
        >>> import tensorlib as tl
        >>> tl.config.update("enable_x64", False)
        """
        if name not in self._names:
            raise ConfigError(
                f"config.update: unknown option {name!r}; known options are "
                f"{', '.join(self._names)}"
            )
        if name == "backend":
            value = str(value).lower()
        elif name in self._choices:
            value = str(value).lower()
            if value not in self._choices[name]:
                raise ConfigError(f"config.update: {name} must be one of "
                                  f"{', '.join(map(repr, self._choices[name]))}, got {value!r}")
        else:
            value = bool(value)
        prev = self._global[name] if name in self._global else getattr(self, name)
        setattr(self, name, value)
        try:
            for fn in self._listeners:
                fn(name, value)
        except Exception:
            # a refused value (e.g. a backend that is not installed) leaves the old one in place
            setattr(self, name, prev)
            for fn in self._listeners:
                fn(name, prev)
            raise

    def read(self, name: str):
        return getattr(self, name)

    @contextlib.contextmanager
    def scoped(self, name: str, value):
        """Override ``name`` in this thread/task for the ``with`` block (restored on exit)."""
        token = _SCOPED[name].set(value)
        try:
            yield
        finally:
            _SCOPED[name].reset(token)

    def __repr__(self):
        items = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._names)
        return f"Config({items})"


config = Config()
