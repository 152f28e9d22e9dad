"""Multi-process jobs: XLA's distributed runtime (the coordination service that jaxlib ships)
and Gloo TCP collectives between the processes' CPU devices.

``initialize`` records the job's settings and creates the xla backend, whose runtime
(``backends/xla_backend/runtime.py``, the one module that calls jaxlib) starts the service in
process 0, connects this process's client and creates the XLA CPU client as a member of the
job. This module holds only the settings and the job's state: it never imports jaxlib.
"""

from __future__ import annotations

import atexit
import dataclasses
import ipaddress
import os
import socket
import sys
import time

from tensorlib.errors import ConfigError

_XLA_MODULE = "tensorlib.backends.xla_backend"
_ENV_ADDRESS = "TENSORLIB_COORDINATOR_ADDRESS"
_ENV_NUM = "TENSORLIB_NUM_PROCESSES"
_ENV_ID = "TENSORLIB_PROCESS_ID"
_ENV_BIND = "TENSORLIB_COORDINATOR_BIND_ADDRESS"


@dataclasses.dataclass(frozen=True)
class Settings:
    """What the xla backend needs to join a job (read by ``XlaBackend`` at creation)."""

    coordinator_address: str
    num_processes: int
    process_id: int
    local_device_count: int | None
    bind_address: str
    init_timeout: int
    heartbeat_timeout: int
    shutdown_timeout: int
    gloo_hostname: str | None
    gloo_interface: str | None


class _Job:
    settings: Settings | None = None  # set while initialize() creates the xla backend
    runtime = None  # the backend runtime's ``Distributed`` once joined; None after shutdown
    process_id = 0
    num_processes = 1


_job = _Job()


def pending_settings() -> Settings | None:
    """The settings of an ``initialize`` in progress (the xla backend reads them)."""
    return _job.settings


def _env_int(value, env, what):
    if value is not None:
        return value
    raw = os.environ.get(env, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"tensorlib.distributed.initialize: {env}={raw!r} is not an "
                          f"integer; set it to the {what}") from None


def _check_int(name, value, low, high=None):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"tensorlib.distributed.initialize: {name} must be an int, got "
                        f"{value!r} of type {type(value).__module__}.{type(value).__qualname__}")
    if value < low or (high is not None and value >= high):
        bound = f"in [{low}, {high})" if high is not None else f">= {low}"
        raise ConfigError(f"tensorlib.distributed.initialize: {name}={value} must be {bound}")


def _split_address(address):
    """``(host, port)`` of ``"host:port"`` or ``"[v6 host]:port"``."""
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(
            f"tensorlib.distributed.initialize: coordinator_address={address!r} is not "
            "'host:port'; pass process 0's address and a free port, e.g. '10.0.0.1:1234' "
            "(or '127.0.0.1:1234' when every process runs on one machine)")
    return host.strip("[]"), int(port)


def _is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _wait_for_coordinator(host, port, timeout_s, process_id):
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            socket.create_connection((host, port), timeout=min(2.0, timeout_s)).close()
            return
        except OSError as e:
            if time.monotonic() >= deadline:
                raise RuntimeError(
                    f"tensorlib.distributed.initialize: process {process_id} found no "
                    f"coordinator at {host}:{port} within {timeout_s} s ({e}); start process 0 "
                    "with the same coordinator_address, check the address and that the port "
                    "is open between the machines, or raise initialization_timeout") from None
            time.sleep(0.1)


def _backend_exists():
    mod = sys.modules.get(_XLA_MODULE)
    return mod is not None and getattr(mod, "BACKEND", None) is not None


def initialize(coordinator_address: str | None = None, num_processes: int | None = None,
               process_id: int | None = None, local_device_count: int | None = None, *,
               coordinator_bind_address: str | None = None, initialization_timeout: int = 300,
               heartbeat_timeout: int = 100, shutdown_timeout: int = 300,
               gloo_hostname: str | None = None, gloo_interface: str | None = None) -> None:
    """Join a multi-process job (as ``jax.distributed.initialize``); call it first.

    Every process of the job calls it with the same ``coordinator_address`` and
    ``num_processes`` and its own ``process_id`` (``0 .. num_processes - 1``). Process 0
    starts XLA's coordination service on that address; every process connects to it, and
    the xla backend's CPU client is created as a member of the job, with Gloo TCP
    collectives between the processes. ``initialize`` returns once all processes have joined
    (or raises after ``initialization_timeout`` seconds). Afterwards the xla backend is the
    default backend, :func:`tensorlib.devices` lists every process's devices,
    :func:`tensorlib.local_devices` this process's, and ``pmap`` spans all processes: each
    process passes its local slices (leading axis = its local device count) and the
    collectives reduce over the global axis.

    It must be called before the xla backend is first used, because XLA's client joins a
    job only when it is created. Arguments left as None are read from the environment
    variables ``TENSORLIB_COORDINATOR_ADDRESS``, ``TENSORLIB_NUM_PROCESSES`` and
    ``TENSORLIB_PROCESS_ID``.

    Parameters
    ----------
    coordinator_address : str
        ``"host:port"`` of process 0, reachable from every process.
    num_processes : int
        How many processes the job has.
    process_id : int
        This process's rank, in ``range(num_processes)``.
    local_device_count : int, optional
        CPU devices of this process (default: ``TENSORLIB_NUM_CPU_DEVICES`` or 1).
    coordinator_bind_address : str, optional
        Where process 0's service listens (default: the coordinator address for a loopback
        address, else ``[::]:port``, every interface; env ``TENSORLIB_COORDINATOR_BIND_ADDRESS``).
    initialization_timeout, heartbeat_timeout, shutdown_timeout : int
        Seconds to wait for all processes to join, before a silent process counts as dead,
        and for all processes to leave at :func:`shutdown`.
    gloo_hostname, gloo_interface : str, optional
        The address (or network interface) Gloo listens on for the other processes. Default:
        ``127.0.0.1`` when the coordinator address is a loopback address, else Gloo's own
        choice (this host's name).

    Examples
    --------
    Each process runs (process 1 with ``process_id=1``)::

        tl.distributed.initialize("10.0.0.1:1234", num_processes=2, process_id=0)

    Bad arguments fail before anything is started:

    >>> tl.distributed.initialize("no-port", num_processes=2, process_id=0)
    Traceback (most recent call last):
    ...
    tensorlib.errors.ConfigError: ...: coordinator_address='no-port' is not 'host:port'; ...
    """
    coordinator_address = coordinator_address or os.environ.get(_ENV_ADDRESS, "").strip()
    num_processes = _env_int(num_processes, _ENV_NUM, "number of processes of the job")
    process_id = _env_int(process_id, _ENV_ID, "rank of this process")
    missing = [name for name, v in (("coordinator_address", coordinator_address or None),
                                    ("num_processes", num_processes),
                                    ("process_id", process_id)) if v is None]
    if missing:
        raise ConfigError(
            f"tensorlib.distributed.initialize: {', '.join(missing)} not given; pass them or "
            f"set {_ENV_ADDRESS}, {_ENV_NUM} and {_ENV_ID}")
    if not isinstance(coordinator_address, str):
        raise TypeError("tensorlib.distributed.initialize: coordinator_address must be a "
                        f"'host:port' string, got {coordinator_address!r}")
    host, port = _split_address(coordinator_address)
    _check_int("num_processes", num_processes, 1)
    _check_int("process_id", process_id, 0, num_processes)
    if local_device_count is not None:
        _check_int("local_device_count", local_device_count, 1)
    for name, v in (("initialization_timeout", initialization_timeout),
                    ("heartbeat_timeout", heartbeat_timeout),
                    ("shutdown_timeout", shutdown_timeout)):
        _check_int(name, v, 1)
    if _job.runtime is not None or _job.num_processes > 1:
        raise RuntimeError(
            f"tensorlib.distributed.initialize: this process already joined a job (process "
            f"{_job.process_id} of {_job.num_processes}); initialize once per process")
    if _backend_exists():
        raise RuntimeError(
            "tensorlib.distributed.initialize: the xla backend was already created in this "
            "process, and XLA's CPU client joins a multi-process job only when it is created. "
            "Call tensorlib.distributed.initialize(...) at the start of the program, before "
            "any computation on the xla backend.")
    loopback = _is_loopback(host)
    bind = (coordinator_bind_address or os.environ.get(_ENV_BIND, "").strip()
            or (coordinator_address if loopback else f"[::]:{port}"))
    _job.settings = Settings(
        coordinator_address, num_processes, process_id, local_device_count, bind,
        initialization_timeout, heartbeat_timeout, shutdown_timeout,
        gloo_hostname or ("127.0.0.1" if loopback else None), gloo_interface)
    if process_id != 0:
        # XLA's client terminates the process when the coordinator cannot be reached: find
        # out first, and say so with a Python error
        _wait_for_coordinator(host, port, initialization_timeout, process_id)
    from tensorlib._src.backend import get_backend
    from tensorlib._src.config import config

    try:
        be = get_backend("xla")
    except ImportError:
        raise
    except Exception as e:
        where = (f"could not start the coordination service on {bind}; is the port free on "
                 "this machine?" if process_id == 0 else
                 f"could not join the job at {coordinator_address}; check that every process "
                 "was started with the same coordinator address and num_processes")
        raise RuntimeError(f"tensorlib.distributed.initialize: process {process_id} of "
                           f"{num_processes} {where} ({type(e).__name__}: {e})") from e
    finally:
        _job.settings = None
    _job.runtime = be.runtime.distributed
    _job.process_id, _job.num_processes = process_id, num_processes
    config.update("backend", "xla")
    atexit.register(shutdown)


def shutdown() -> None:
    """Leave the multi-process job (every process calls it; it also runs at exit).

    It waits, up to ``shutdown_timeout`` seconds, for every process to leave too, then
    process 0 stops the coordination service. Afterwards no computation spans processes
    (``pmap`` raises); :func:`process_count` still reports the job's size. Without
    :func:`initialize` it does nothing.

    Examples
    --------
    >>> tl.distributed.shutdown()  # not initialized: nothing to do
    >>> tl.distributed.is_initialized()
    False
    """
    rt, _job.runtime = _job.runtime, None
    if rt is not None:
        rt.shutdown()


def is_initialized() -> bool:
    """Whether this process is a live member of a multi-process job.

    Examples
    --------
    >>> tl.distributed.is_initialized()
    False
    """
    return _job.runtime is not None


def process_index() -> int:
    """This process's rank in the job (0 without :func:`initialize`), as
    ``jax.process_index``.

    Examples
    --------
    >>> tl.process_index()
    0
    """
    return _job.process_id


def process_count() -> int:
    """How many processes the job has (1 without :func:`initialize`), as
    ``jax.process_count``.

    Examples
    --------
    >>> tl.process_count()
    1
    """
    return _job.num_processes


def check_live(what: str) -> None:
    """Raise when the job this process joined was shut down (``what`` names the caller)."""
    if _job.num_processes > 1 and _job.runtime is None:
        raise RuntimeError(
            f"{what}: tensorlib.distributed.shutdown() was called, so computations can no "
            "longer span the job's processes; call shutdown only at the end of the program")
