"""The on-disk caches (compiled XLA executables, generated Numba kernels): one root, private to
its owner, bounded, and self-healing.

Where: ``TENSORLIB_CACHE_DIR``, else ``$XDG_CACHE_HOME/tensorlib``, else
``~/.cache/tensorlib``; one subfolder per backend (``xla``, ``numba``).
``TENSORLIB_CACHE=0`` turns every disk cache off.

A cache on disk is code the process will run, so:

- The root and its subfolders are created ``0700``. A folder that belongs to another user or
  that others may write to is never read: the process warns once and keeps its caches in
  memory. So does a folder it cannot create or write.
- Entries are written atomically: a temporary file with an unpredictable name in the same
  folder (``mkstemp``: ``O_EXCL``, mode ``0600``), then ``os.replace``. Two processes that
  compile the same key both succeed and leave one whole entry.
- Every entry records its key and the SHA-256 of its content. On load both are checked; a
  truncated, damaged or swapped entry is removed, with one warning, and the caller compiles
  again. Nothing raises.
- The total size is bounded by ``TENSORLIB_CACHE_MAX_MB`` (default 512): past it, the least
  recently used entries go. ``python -m tensorlib.cache info|clear`` inspects or empties it
  (``tensorlib.cache.info()``/``clear()`` from Python).

``tensorlib.clear_caches()`` empties the in-memory caches (traced and compiled functions,
eager executables), as ``jax.clear_caches``; each holder registers with :func:`on_clear`.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import threading
import warnings

from tensorlib._src import compile_thread
from tensorlib._src.config import env

MAGIC = b"TLCACHE1"
_SUFFIX = ".entry"
_lock = threading.Lock()
_warned: set = set()
_checked: dict = {}  # folder -> True (usable) / False (in-memory only)
_writes = [0]  # entries written by this process, to check the size limit now and then


class CacheWarning(UserWarning):
    """Something about the on-disk cache (a damaged entry, an unsafe folder)."""


def warn_once(what: str, message: str):
    with _lock:
        if what in _warned:
            return
        _warned.add(what)
    warnings.warn(message, CacheWarning, stacklevel=3)


_clearers: list = []


def on_clear(fn):
    """Register ``fn()``, which empties one in-memory cache, for :func:`clear_caches`."""
    _clearers.append(fn)
    return fn


def clear_caches():
    """Empty the in-memory caches: traced and compiled ``jit`` functions, eager executables,
    loaded kernels (as ``jax.clear_caches``). The next call traces and compiles again, or
    loads from the disk cache; ``python -m tensorlib.cache clear`` empties that.

    Examples
    --------
    >>> import tensorlib as tl, tensorlib.numpy as tnp
    >>> f = tl.jit(lambda x: x * 2)
    >>> _ = f(tnp.ones(3))
    >>> tl.clear_caches()
    >>> f(tnp.ones(3))
    Array([2., 2., 2.], dtype=float32)
    """
    for fn in list(_clearers):
        fn()


def enabled() -> bool:
    return env("TENSORLIB_CACHE")


def root() -> str:
    """The cache root (whether or not it exists)."""
    d = os.environ.get("TENSORLIB_CACHE_DIR")
    if d:
        return os.path.abspath(os.path.expanduser(d))
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = xdg if xdg and os.path.isabs(xdg) else os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tensorlib")


def max_bytes() -> int:
    return int(env("TENSORLIB_CACHE_MAX_MB") * 1024 * 1024)


def _unsafe(path: str) -> str | None:
    """Why ``path`` must not be trusted (None when it is private to this user)."""
    st = os.stat(path)
    if not stat.S_ISDIR(st.st_mode):
        return "is not a directory"
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        return f"belongs to another user (uid {st.st_uid})"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"is writable by others (mode {stat.S_IMODE(st.st_mode):o})"
    return None


def folder(sub: str) -> str | None:
    """The private folder ``<root>/<sub>``, created ``0700``; None (cache in memory only) when
    disk caches are off or the folder is missing, not ours, shared or not writable."""
    if not enabled():
        return None
    top = root()
    path = os.path.join(top, sub)
    ok = _checked.get(path)
    if ok is not None:
        return path if ok else None
    reason = None
    try:
        for d in (top, path):
            if not os.path.isdir(d):
                os.makedirs(d, mode=0o700, exist_ok=True)
                os.chmod(d, 0o700)  # makedirs honours the umask
            reason = _unsafe(d)
            if reason is not None:
                reason = f"{d} {reason}"
                break
        if reason is None and not os.access(path, os.W_OK | os.X_OK):
            reason = f"{path} is not writable"
    except OSError as e:
        reason = f"{path} cannot be created ({e.strerror or e})"
    ok = reason is None
    _checked[path] = ok
    if not ok:
        warn_once(f"folder:{path}", f"tensorlib: not using the on-disk cache: {reason}. "
                   "Compiled code is kept in memory for this process only. Point "
                   "TENSORLIB_CACHE_DIR at a folder that only you can write, or set "
                   "TENSORLIB_CACHE=0 to silence this.")
    return path if ok else None


def _entry_path(d: str, key: str) -> str:
    h = hashlib.sha256(key.encode()).hexdigest()
    return os.path.join(d, h[:2], h[2:40] + _SUFFIX)


def _pack(key: str, payload: bytes) -> bytes:
    k = key.encode()
    return (MAGIC + len(k).to_bytes(4, "little") + k + hashlib.sha256(payload).digest()
            + payload)


def _unpack(blob: bytes, key: str) -> bytes | None:
    """The payload of an entry written for ``key``, or None if it is not one."""
    k = key.encode()
    head = len(MAGIC) + 4
    if len(blob) < head or not blob.startswith(MAGIC):
        return None
    n = int.from_bytes(blob[len(MAGIC):head], "little")
    if blob[head:head + n] != k:
        return None
    digest, payload = blob[head + n:head + n + 32], blob[head + n + 32:]
    if len(digest) != 32 or hashlib.sha256(payload).digest() != digest:
        return None
    return payload


def _remove(path: str):
    try:
        os.remove(path)
    except OSError:
        pass


class Store:
    """Entries of one kind (``sub`` is its folder under the root): ``get(key)``/``put(key,
    payload)`` with bytes payloads; both are no-ops when the folder is unusable."""

    def __init__(self, sub: str):
        self.sub = sub

    def get(self, key: str) -> bytes | None:
        d = folder(self.sub)
        if d is None:
            return None
        path = _entry_path(d, key)
        try:
            with open(path, "rb") as f:
                blob = f.read()
        except OSError:
            return None
        payload = _unpack(blob, key)
        if payload is None:
            _remove(path)
            warn_once(f"damaged:{self.sub}", f"tensorlib: removed a damaged or foreign entry "
                       f"of the {self.sub} cache ({path}); it is compiled again.")
            return None
        try:
            os.utime(path)  # least recently used goes first when the cache is full
        except OSError:
            pass
        return payload

    def put(self, key: str, payload: bytes):
        d = folder(self.sub)
        if d is None:
            return
        path = _entry_path(d, key)
        atomic_write(path, _pack(key, payload))
        _writes[0] += 1
        if _writes[0] % 64 == 1:
            # a walk over every entry (~0.2 s for 40,000 files): off the caller's path
            compile_thread.submit(enforce_limit)

    def size(self, key: str) -> int | None:
        """The size in bytes of the entry of ``key``, None when there is none (unchecked:
        ``get`` verifies it)."""
        d = folder(self.sub)
        if d is None:
            return None
        try:
            return os.stat(_entry_path(d, key)).st_size
        except OSError:
            return None

    def forget(self, key: str):
        """Remove the entry of ``key`` (its content was unusable although its hash matched)."""
        d = folder(self.sub)
        if d is not None:
            _remove(_entry_path(d, key))


def atomic_write(path: str, data: bytes) -> bool:
    """Write ``data`` to ``path`` through a private temporary file in the same folder."""
    tmp = None
    try:
        parent = os.path.dirname(path)
        os.makedirs(parent, mode=0o700, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=".tmp-", suffix=".part")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        return True
    except OSError:
        if tmp is not None:
            _remove(tmp)
        return False  # a full or read-only disk only costs the next process a compile


def _files(top: str):
    for dirpath, _, names in os.walk(top):
        for n in names:
            p = os.path.join(dirpath, n)
            try:
                st = os.stat(p)
            except OSError:
                continue
            yield p, st


def enforce_limit(limit: int | None = None):
    """Delete least recently used files until the root holds at most ``limit`` bytes."""
    top = root()
    if not os.path.isdir(top):
        return
    limit = max_bytes() if limit is None else limit
    files = list(_files(top))
    total = sum(st.st_size for _, st in files)
    if total <= limit:
        return
    for p, st in sorted(files, key=lambda f: f[1].st_mtime):
        _remove(p)
        total -= st.st_size
        if total <= limit * 0.9:
            break


def info() -> dict:
    """The root, the limit, and files and bytes per subfolder."""
    top = root()
    out = {"root": top, "enabled": enabled(), "max_bytes": max_bytes(), "folders": {}}
    if os.path.isdir(top):
        for name in sorted(os.listdir(top)):
            sub = os.path.join(top, name)
            if os.path.isdir(sub):
                files = list(_files(sub))
                out["folders"][name] = {"files": len(files),
                                        "bytes": sum(st.st_size for _, st in files)}
    return out


def clear():
    """Remove every file under the cache root (the folders stay)."""
    top = root()
    if os.path.isdir(top):
        for p, _ in list(_files(top)):
            _remove(p)
