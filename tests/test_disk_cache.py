"""Faults of the on-disk caches, injected: each run is a fresh process with its own cache
folder, on both backends (NumPy: generated Numba kernels; XLA: serialized executables).

Each checks the right result, at most one warning, and that nothing the library did not
write itself is executed (a planted module would create a marker file).
"""

from __future__ import annotations

import glob
import json
import os
import stat
import subprocess
import sys
import textwrap

import pytest

from tensorlib._src import disk_cache

BACKENDS = ["numpy", "xla"]

# A jitted chain that the NumPy backend fuses into one Numba loop (from its second call) and
# the XLA backend compiles into one executable; a second function gives a second entry.
CHILD = textwrap.dedent("""
    import json, os, sys, warnings
    import numpy as np
    warnings.simplefilter("always")
    with warnings.catch_warnings(record=True) as caught:
        import tensorlib as tl, tensorlib.numpy as tnp
        x = tnp.asarray(np.linspace(-1.0, 1.0, 64, dtype=np.float32).reshape(8, 8))
        f = tl.jit(lambda x: (x * 2.0 + 1.0) * x - tnp.abs(x))
        g = tl.jit(lambda x: (x * 3.0 - 1.0) * x + tnp.abs(x))
        outs = [f(x), f(x), f(x), g(x), g(x), g(x)]
        xs = np.linspace(-1.0, 1.0, 64, dtype=np.float32).reshape(8, 8)
        ok = (all(np.allclose(np.asarray(o), (xs * 2 + 1) * xs - np.abs(xs)) for o in outs[:3])
              and all(np.allclose(np.asarray(o), (xs * 3 - 1) * xs + np.abs(xs))
                      for o in outs[3:]))
    msgs = [str(w.message) for w in caught if "cache" in str(w.message)]
    print(json.dumps({"ok": bool(ok), "warnings": msgs}))
""")


def _run(tmp_path, backend, env=None, cache=True):
    e = dict(os.environ)
    e.pop("TENSORLIB_CACHE", None)
    e.update({"TENSORLIB_BACKEND": backend, "TENSORLIB_FUSION": "always",
              "TENSORLIB_CACHE_DIR": str(tmp_path / "cache")})
    if not cache:
        e.pop("TENSORLIB_CACHE_DIR")
    e.update(env or {})
    r = subprocess.run([sys.executable, "-c", CHILD], env=e, capture_output=True, text=True,
                       timeout=240, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def _sub(backend):
    return "numba" if backend == "numpy" else "xla"


def _entries(tmp_path, backend):
    d = tmp_path / "cache" / _sub(backend)
    if backend == "numpy":
        return sorted(glob.glob(str(d / "tlk_*.py"))), sorted(glob.glob(str(d / "__pycache__"
                                                                            / "*")))
    return sorted(glob.glob(str(d / "*" / "*.entry"))), []


@pytest.fixture(params=BACKENDS)
def backend(request):
    if request.param == "xla":
        pytest.importorskip("jaxlib")
    return request.param


def test_a_clean_cache_is_used_and_private(tmp_path, backend):
    first = _run(tmp_path, backend)
    assert first == {"ok": True, "warnings": []}
    files, _ = _entries(tmp_path, backend)
    assert files, "nothing was cached"
    for d in (tmp_path / "cache", tmp_path / "cache" / _sub(backend)):
        assert stat.S_IMODE(os.stat(d).st_mode) == 0o700
    assert not glob.glob(str(tmp_path / "cache" / "**" / ".tmp-*"), recursive=True)
    assert _run(tmp_path, backend) == {"ok": True, "warnings": []}  # loads what it wrote


def test_xdg_cache_home_is_the_default_root(tmp_path, backend):
    xdg = tmp_path / "xdg"
    assert _run(tmp_path, backend, {"XDG_CACHE_HOME": str(xdg)}, cache=False)["ok"]
    assert list((xdg / "tensorlib" / _sub(backend)).iterdir())


def test_an_unusable_folder_means_memory_and_one_warning(tmp_path, backend):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    res = _run(tmp_path, backend, {"TENSORLIB_CACHE_DIR": str(blocker / "cache")})
    assert res["ok"]
    assert len(res["warnings"]) == 1 and "not using the on-disk cache" in res["warnings"][0]


def test_damaged_entries_are_removed_and_compiled_again(tmp_path, backend):
    assert _run(tmp_path, backend)["ok"]
    files, extra = _entries(tmp_path, backend)
    for p in files + [p for p in extra if p.endswith((".nbi", ".nbc"))]:
        with open(p, "r+b") as f:  # garbage in the first bytes, then truncated
            f.write(b"\x00garbage\xff" * 3)
            f.truncate(20)
    res = _run(tmp_path, backend)
    assert res["ok"] and len(res["warnings"]) == 1, res
    assert _run(tmp_path, backend) == {"ok": True, "warnings": []}  # healed


def test_swapped_entries_are_not_used(tmp_path, backend):
    assert _run(tmp_path, backend)["ok"]
    files, extra = _entries(tmp_path, backend)
    assert len(files) >= 2
    blobs = [open(p, "rb").read() for p in files]
    for p, b in zip(files, blobs[1:] + blobs[:1]):
        with open(p, "wb") as f:
            f.write(b)
    res = _run(tmp_path, backend)
    assert res["ok"] and len(res["warnings"]) <= 1, res


def test_a_planted_module_is_never_run(tmp_path, backend):
    """Someone else could write the folder (group-writable): nothing in it is loaded; a folder
    that is private but holds code the library did not generate: rewritten, not run."""
    assert _run(tmp_path, backend)["ok"]
    marker = tmp_path / "PLANTED_CODE_RAN"
    evil = f"open({str(marker)!r}, 'w').write('x')\ndef kernel(*a):\n    return None\n"
    files, extra = _entries(tmp_path, backend)
    for p in files:
        with open(p, "wb") as f:
            f.write(evil.encode() if backend == "numpy" else
                    disk_cache.MAGIC + b"\0\0\0\0" + evil.encode())
    res = _run(tmp_path, backend)  # private folder, foreign content
    assert res["ok"] and not marker.exists()
    sub = tmp_path / "cache" / _sub(backend)
    for p in files:
        with open(p, "wb") as f:
            f.write(evil.encode())
    os.chmod(sub, 0o775)  # now others may write it
    res = _run(tmp_path, backend)
    assert res["ok"] and not marker.exists()
    assert len(res["warnings"]) == 1 and "writable by others" in res["warnings"][0]


def test_two_processes_writing_one_key_leave_one_valid_entry(tmp_path, backend):
    e = dict(os.environ, TENSORLIB_BACKEND=backend, TENSORLIB_FUSION="always",
             TENSORLIB_CACHE_DIR=str(tmp_path / "cache"))
    procs = [subprocess.Popen([sys.executable, "-c", CHILD], env=e, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=tmp_path)
             for _ in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err[-3000:]
        assert json.loads(out.strip().splitlines()[-1])["ok"]
    assert _run(tmp_path, backend) == {"ok": True, "warnings": []}


def test_cache_off(tmp_path, backend):
    res = _run(tmp_path, backend, {"TENSORLIB_CACHE": "0"})
    assert res == {"ok": True, "warnings": []}
    assert not (tmp_path / "cache").exists()


# --------------------------------------------------------------------------------------------
# the store itself, in this process


def test_entries_check_key_and_content(tmp_path, monkeypatch):
    monkeypatch.setenv("TENSORLIB_CACHE_DIR", str(tmp_path))
    store = disk_cache.Store("unit")
    store.put("k1", b"payload one")
    assert store.get("k1") == b"payload one"
    assert store.get("k2") is None
    path = disk_cache._entry_path(str(tmp_path / "unit"), "k1")
    blob = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(blob[:-1] + b"X")  # one byte of the content changed
    with pytest.warns(disk_cache.CacheWarning, match="damaged"):
        disk_cache._warned.discard("damaged:unit")
        assert store.get("k1") is None
    assert not os.path.exists(path)


def test_size_limit_evicts_least_recently_used(tmp_path, monkeypatch):
    monkeypatch.setenv("TENSORLIB_CACHE_DIR", str(tmp_path))
    store = disk_cache.Store("unit")
    for i in range(10):
        store.put(f"k{i}", bytes(1000))
        p = disk_cache._entry_path(str(tmp_path / "unit"), f"k{i}")
        os.utime(p, (1000 + i, 1000 + i))  # k0 is the least recently used
    os.utime(disk_cache._entry_path(str(tmp_path / "unit"), "k0"))  # ... until read now
    disk_cache.enforce_limit(limit=5500)
    assert store.get("k0") is not None and store.get("k9") is not None
    assert store.get("k1") is None
    assert sum(f["bytes"] for f in disk_cache.info()["folders"].values()) <= 5500


def test_cache_command_info_and_clear(tmp_path):
    e = dict(os.environ, TENSORLIB_CACHE_DIR=str(tmp_path))
    (tmp_path / "xla").mkdir()
    (tmp_path / "xla" / "x.entry").write_bytes(b"1234")
    r = subprocess.run([sys.executable, "-m", "tensorlib.cache", "info"], env=e,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and str(tmp_path) in r.stdout and "xla:" in r.stdout
    r = subprocess.run([sys.executable, "-m", "tensorlib.cache", "clear"], env=e,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and not (tmp_path / "xla" / "x.entry").exists()
    r = subprocess.run([sys.executable, "-m", "tensorlib.cache", "bogus"], env=e,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "usage" in r.stderr
