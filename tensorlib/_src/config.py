"""Global configuration: ``tl.config.update(name, value)`` and the environment variables."""

from __future__ import annotations

import os

from tensorlib.errors import ConfigError


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


class Config:
    """Process-wide settings, read from ``TENSORLIB_*`` environment variables at import."""

    _names = ("enable_x64", "disable_jit", "debug_nans", "backend", "check_rules")

    def __init__(self):
        self.enable_x64 = _env_flag("TENSORLIB_ENABLE_X64")
        self.disable_jit = _env_flag("TENSORLIB_DISABLE_JIT")
        self.debug_nans = _env_flag("TENSORLIB_DEBUG_NANS")
        # Run every primitive's shape rule in eager mode too and compare it with the kernel's
        # result. Off by default (it costs a microsecond per op); the test suite turns it on.
        self.check_rules = _env_flag("TENSORLIB_CHECK_RULES")
        self.backend = os.environ.get("TENSORLIB_BACKEND", "numpy").strip().lower() or "numpy"
        self._listeners = []

    def update(self, name: str, value) -> None:
        """Set one option: ``"enable_x64"``, ``"disable_jit"``, ``"debug_nans"``, ``"backend"``.

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
        else:
            value = bool(value)
        prev = getattr(self, name)
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

    def __repr__(self):
        items = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._names)
        return f"Config({items})"


config = Config()
