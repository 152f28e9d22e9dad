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

# --------------------------------------------------------------------------------------------
# Environment variables: every TENSORLIB_* variable is parsed here, strictly. A value that is
# not valid raises ConfigError naming the variable, the value and what it accepts: at import
# for all of them (``check_environment``), and again wherever a variable is read later.

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


def _raw(name):
    v = os.environ.get(name)
    return None if v is None else v.strip()


def _bad(name, raw, accepted):
    return ConfigError(f"environment variable {name}={raw!r} is not valid; it accepts "
                       f"{accepted}. Unset it or set an accepted value.")


def env_flag(name: str, default: bool = False) -> bool:
    """``1/true/yes/on`` or ``0/false/no/off`` (any case); unset or empty: ``default``."""
    raw = _raw(name)
    if raw is None or raw == "":
        return default
    v = raw.lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise _bad(name, raw, "1, true, yes, on, 0, false, no or off")


def env_choice(name: str, choices, default: str) -> str:
    raw = _raw(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in choices:
        return raw.lower()
    raise _bad(name, raw, ", ".join(choices))


def env_number(name: str, default, *, lo=None, hi=None, kind=int):
    """An int (or float) in ``[lo, hi]``; unset or empty: ``default``."""
    raw = _raw(name)
    if raw is None or raw == "":
        return default
    try:
        v = kind(raw)
    except ValueError:
        v = None
    if v is None or (lo is not None and v < lo) or (hi is not None and v > hi):
        what = "an integer" if kind is int else "a number"
        bounds = (f" from {lo}" if lo is not None else "") + (f" to {hi}"
                                                              if hi is not None else "")
        raise _bad(name, raw, what + bounds)
    return v


COMPILE_TIERS = ("tiered", "compiled", "background")

# The variables and how they are read (the backends and caches read theirs when they need
# them, through ``env``).
ENVIRONMENT = {
    "TENSORLIB_BACKEND": lambda n: _raw(n),  # checked when the backend loads (names it)
    "TENSORLIB_ENABLE_X64": env_flag,
    "TENSORLIB_DISABLE_JIT": env_flag,
    "TENSORLIB_DEBUG_NANS": env_flag,
    "TENSORLIB_DEBUG_INFS": env_flag,
    "TENSORLIB_CHECK_RULES": env_flag,
    "TENSORLIB_FUSION": lambda n: env_choice(n, ("auto", "always", "never"), "auto"),
    "TENSORLIB_COMPILE_TIER": lambda n: env_choice(n, COMPILE_TIERS, "tiered"),
    "TENSORLIB_FUSION_MIN_SIZE": lambda n: env_number(n, 4096, lo=1),
    "TENSORLIB_FUSION_PARALLEL_MIN": lambda n: env_number(n, 1 << 22, lo=1),
    "TENSORLIB_NUM_CPU_DEVICES": lambda n: env_number(n, 0, lo=0, hi=MAX_CPU_DEVICES),
    "TENSORLIB_CACHE": lambda n: env_flag(n, True),
    "TENSORLIB_CACHE_MAX_MB": lambda n: env_number(n, 512.0, lo=0.0, kind=float),
}
MAX_CPU_DEVICES = 1024  # virtual CPU devices: beyond this, threads and memory run away


def env(name: str):
    """The value of the TENSORLIB_* variable ``name``, parsed (``ENVIRONMENT``)."""
    return ENVIRONMENT[name](name)


def check_environment():
    """Parse every TENSORLIB_* variable that is set; the first invalid one raises."""
    for name, parse in ENVIRONMENT.items():
        parse(name)


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

    _names = ("enable_x64", "disable_jit", "debug_nans", "debug_infs", "backend", "check_rules",
              "compile_tier")
    _choices = {"compile_tier": COMPILE_TIERS}

    enable_x64 = _scoped("enable_x64")
    disable_jit = _scoped("disable_jit")
    backend = _scoped("backend")

    def __init__(self):
        self._global = {}
        self._listeners = []
        check_environment()
        self.enable_x64 = env("TENSORLIB_ENABLE_X64")
        self.disable_jit = env("TENSORLIB_DISABLE_JIT")
        self.debug_nans = env("TENSORLIB_DEBUG_NANS")
        self.debug_infs = env("TENSORLIB_DEBUG_INFS")
        # Run every primitive's shape rule in eager mode too and compare it with the kernel's
        # result. Off by default (it costs a microsecond per op); the test suite turns it on.
        self.check_rules = env("TENSORLIB_CHECK_RULES")
        self.backend = os.environ.get("TENSORLIB_BACKEND", "numpy").strip().lower() or "numpy"
        # NumPy backend: a fused group's first call runs unfused and Numba compiles it on the
        # second ("tiered"), or Numba compiles before the first call returns ("compiled":
        # steady-state timings from the first call, e.g. in benchmarks), or a background
        # thread compiles it while calls run unfused ("background").
        self.compile_tier = env("TENSORLIB_COMPILE_TIER")

    def update(self, name: str, value) -> None:
        """Set one option: ``"enable_x64"``, ``"disable_jit"``, ``"debug_nans"``,
        ``"debug_infs"``, ``"backend"``,
        ``"compile_tier"`` (``"tiered"``, ``"compiled"`` or ``"background"``).

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
