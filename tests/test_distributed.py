"""Multi-process pmap: two processes on this machine join one job over loopback (XLA's
coordination service + Gloo TCP collectives), and every process must see the global results.

Each test launches fresh Python processes (a job is joined once per process, before the xla
backend exists), with a timeout so that a hang fails the test instead of blocking CI.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tensorlib as tl
from tensorlib.errors import ConfigError

pytest.importorskip("jaxlib", reason="multi-process pmap needs the xla backend (jaxlib)")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT_S = 120
NPROC, LOCAL = 2, 2  # two processes with two CPU devices each: a 4-device pmap axis
LR = 1.0 / 16

WORKER = textwrap.dedent("""
    import json, sys
    import numpy as np
    import tensorlib as tl, tensorlib.numpy as tnp
    from tensorlib import lax

    address, pid = sys.argv[1], int(sys.argv[2])
    tl.distributed.initialize(address, num_processes=2, process_id=pid, local_device_count=2)
    out = {"process_index": tl.process_index(), "process_count": tl.process_count(),
           "backend": tl.default_backend(), "devices": [d.id for d in tl.devices()],
           "local": [d.id for d in tl.local_devices()], "device_count": tl.device_count(),
           "local_device_count": tl.local_device_count()}
    L = tl.local_device_count()
    data = np.load(sys.argv[3])
    mine = slice(pid * L, (pid + 1) * L)  # this process's slices of the global axis
    x = tnp.asarray(data["x"][mine])

    def collectives(v):
        n = lax.psum(1, "i")  # the axis size inside: every process's devices
        ring = [(j, (j + 1) % 4) for j in range(4)]
        return (lax.psum(v, "i"), lax.all_gather(v, "i"), lax.axis_index("i"), n,
                lax.pmax(v, "i"), lax.ppermute(v, "i", ring))

    names = ["psum", "all_gather", "axis_index", "axis_size", "pmax", "ppermute"]
    res = tl.pmap(collectives, axis_name="i")(x)
    out.update({k: np.asarray(r).tolist() for k, r in zip(names, res)})

    def loss(params, xb, yb):
        w, b = params
        return tnp.mean((xb @ w + b - yb) ** 2)

    def step(params, xb, yb):
        g = tl.grad(loss)(params, xb, yb)
        g = lax.pmean(g, "i")
        return [p - LR * gp for p, gp in zip(params, g)], lax.pmean(loss(params, xb, yb), "i")

    LR = float(sys.argv[4])
    sgd = tl.pmap(step, axis_name="i")
    params = [tnp.zeros((L, 3)), tnp.zeros((L,))]  # replicated: one copy per local device
    xb, yb = tnp.asarray(data["xb"][mine]), tnp.asarray(data["yb"][mine])
    losses = []
    for _ in range(2):  # the second step takes the first's results where they are
        params, lv = sgd(params, xb, yb)
        losses.append(np.asarray(lv).tolist())
    out["sgd_w"] = np.asarray(params[0]).tolist()
    out["sgd_b"] = np.asarray(params[1]).tolist()
    out["sgd_loss"] = losses
    try:
        tl.jit(tl.pmap(lambda v: lax.psum(v, "i"), axis_name="i"))(x)
    except Exception as e:
        out["jit_error"] = f"{type(e).__name__}: {e}"
    print("RESULT " + json.dumps(out), flush=True)
    tl.distributed.shutdown()
""")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env():
    # a clean environment: conftest's TENSORLIB_* settings and a forced device count would
    # change what the workers see
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TENSORLIB_") and k != "XLA_FLAGS"}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _run_job(args_of, nproc=NPROC):
    """Start ``nproc`` processes (``args_of(pid)`` is each one's argv after the interpreter)
    and return their (returncode, stdout, stderr); a process that runs past TIMEOUT_S fails
    the test with every process's output."""
    procs = [subprocess.Popen([sys.executable, *args_of(pid)], cwd=ROOT, env=_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for pid in range(nproc)]
    results = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=TIMEOUT_S)
            results.append((p.returncode, out, err))
    except subprocess.TimeoutExpired:
        for p in procs:
            p.kill()
        logs = [p.communicate() for p in procs]
        pytest.fail(f"a process of the job ran past {TIMEOUT_S} s:\n" + "\n".join(
            f"--- process {i} ---\n{o[-3000:]}\n{e[-3000:]}" for i, (o, e) in enumerate(logs)))
    return results


def _result(rc, out, err, pid):
    assert rc == 0, f"process {pid} exited with {rc}:\n{out[-3000:]}\n{err[-5000:]}"
    lines = [ln for ln in out.splitlines() if ln.startswith("RESULT ")]
    assert lines, f"process {pid} printed no result:\n{out[-3000:]}\n{err[-3000:]}"
    return json.loads(lines[-1][len("RESULT "):])


def _data():
    rng = np.random.default_rng(0)
    n = NPROC * LOCAL
    # small integers: every sum, mean and gradient below is exact in float32, in any order
    return {"x": rng.integers(-8, 9, (n, 3)).astype(np.float32),
            "xb": rng.integers(-3, 4, (n, 4, 3)).astype(np.float32),
            "yb": rng.integers(-3, 4, (n, 4)).astype(np.float32)}


def _sgd_reference(xb, yb, steps=2):
    """Data-parallel SGD on one process in float64: mean over devices of each device's
    gradient of its mean squared error."""
    w, b = np.zeros(3), 0.0
    losses = []
    for _ in range(steps):
        r = xb @ w + b - yb                          # (devices, batch)
        losses.append(np.mean(np.mean(r ** 2, axis=1)))
        gw = np.mean(2 * np.einsum("dbk,db->dk", xb, r) / r.shape[1], axis=0)
        gb = np.mean(2 * np.mean(r, axis=1))
        w, b = w - LR * gw, b - LR * gb
    return w, b, losses


def _exact(got, want):
    want = np.asarray(want, np.float64)
    assert np.array_equal(want, want.astype(np.float32)), "reference not exact in float32"
    np.testing.assert_array_equal(np.asarray(got, np.float64), want)


def test_two_processes_pmap_collectives_and_sgd(tmp_path):
    data = _data()
    np.savez(tmp_path / "data.npz", **data)
    (tmp_path / "worker.py").write_text(WORKER)
    address = f"127.0.0.1:{_free_port()}"
    runs = _run_job(lambda pid: [str(tmp_path / "worker.py"), address, str(pid),
                                 str(tmp_path / "data.npz"), repr(LR)])
    res = [_result(*r, pid) for pid, r in enumerate(runs)]

    x = data["x"]
    n = NPROC * LOCAL
    w, b, losses = _sgd_reference(data["xb"].astype(np.float64), data["yb"].astype(np.float64))
    ids = res[0]["devices"]
    assert len(ids) == n and len(set(ids)) == n
    for pid, r in enumerate(res):
        mine = slice(pid * LOCAL, (pid + 1) * LOCAL)
        assert (r["process_index"], r["process_count"], r["backend"]) == (pid, NPROC, "xla")
        assert r["devices"] == ids, "every process lists the same global devices"
        assert r["local"] == ids[mine]
        assert (r["device_count"], r["local_device_count"]) == (n, LOCAL)
        # each process gets back its local slices of the global results
        _exact(r["psum"], np.broadcast_to(x.sum(0), (LOCAL, 3)))
        _exact(r["all_gather"], np.broadcast_to(x, (LOCAL, n, 3)))
        assert r["axis_index"] == list(range(n))[mine]
        assert r["axis_size"] == [n] * LOCAL
        _exact(r["pmax"], np.broadcast_to(x.max(0), (LOCAL, 3)))
        _exact(r["ppermute"], np.roll(x, 1, axis=0)[mine])  # device j sends to j + 1
        _exact(r["sgd_w"], np.broadcast_to(w, (LOCAL, 3)))
        _exact(r["sgd_b"], np.full(LOCAL, b))
        _exact(r["sgd_loss"], np.broadcast_to(np.array(losses)[:, None], (2, LOCAL)))
        assert "ConfigError: pmap: under another transformation" in r["jit_error"]
        assert "cannot span the processes" in r["jit_error"]


MISMATCH = textwrap.dedent("""
    import sys
    import tensorlib as tl, tensorlib.numpy as tnp
    address, pid = sys.argv[1], int(sys.argv[2])
    tl.distributed.initialize(address, num_processes=2, process_id=pid, local_device_count=2)
    try:  # process 1 passes slices of another shape: the programs differ
        tl.pmap(lambda v: tl.lax.psum(v, "i"), axis_name="i")(tnp.ones((2, 3 + pid)))
    except Exception as e:
        print("ERROR " + type(e).__name__ + ": " + str(e), flush=True)
""")


def test_processes_with_different_programs_fail_instead_of_mixing(tmp_path):
    (tmp_path / "mismatch.py").write_text(MISMATCH)
    address = f"127.0.0.1:{_free_port()}"
    runs = _run_job(lambda pid: [str(tmp_path / "mismatch.py"), address, str(pid)])
    for pid, (rc, out, err) in enumerate(runs):
        assert rc == 0, f"process {pid} exited with {rc}:\n{out}\n{err[-5000:]}"
        other = 1 - pid
        assert (f"ShapeError: pmap: process {other} compiled a different program for this "
                f"pmap call than process {pid}") in out, out + err[-3000:]
        assert "f32[3]" in out and "f32[4]" in out


def test_example_script_runs_two_processes():
    """The page's example (docs/scaling.md) launches itself twice and checks its results."""
    run = subprocess.run([sys.executable, os.path.join("examples", "multiprocess_pmap.py")],
                         cwd=ROOT, env=_env(), capture_output=True, text=True,
                         timeout=2 * TIMEOUT_S)
    assert run.returncode == 0, f"{run.stdout[-3000:]}\n{run.stderr[-5000:]}"
    for pid in range(2):
        assert f"process {pid}: psum over 4 devices = [6. 6.] ok" in run.stdout, run.stdout


# ---- errors, in this process (nothing is started before the arguments are checked) --------

@pytest.mark.parametrize("kwargs,exc,message", [
    (dict(coordinator_address="localhost", num_processes=2, process_id=0), ConfigError,
     "coordinator_address='localhost' is not 'host:port'"),
    (dict(coordinator_address="127.0.0.1:99999", num_processes=2, process_id=0), ConfigError,
     "is not 'host:port'"),
    (dict(coordinator_address="127.0.0.1:1234", num_processes=2, process_id=2), ConfigError,
     r"process_id=2 must be in \[0, 2\)"),
    (dict(coordinator_address="127.0.0.1:1234", num_processes=0, process_id=0), ConfigError,
     "num_processes=0 must be >= 1"),
    (dict(coordinator_address="127.0.0.1:1234", num_processes=2, process_id="1"), TypeError,
     "process_id must be an int, got '1' of type builtins.str"),
    (dict(coordinator_address="127.0.0.1:1234", num_processes=2, process_id=0,
          local_device_count=0), ConfigError, "local_device_count=0 must be >= 1"),
    (dict(num_processes=2), ConfigError,
     "coordinator_address, process_id not given; pass them or set "
     "TENSORLIB_COORDINATOR_ADDRESS"),
])
def test_initialize_rejects_bad_arguments(monkeypatch, kwargs, exc, message):
    for var in ("TENSORLIB_COORDINATOR_ADDRESS", "TENSORLIB_NUM_PROCESSES",
                "TENSORLIB_PROCESS_ID"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(exc, match=message):
        tl.distributed.initialize(**kwargs)
    assert not tl.distributed.is_initialized() and tl.process_count() == 1


def test_initialize_reads_the_environment(monkeypatch):
    monkeypatch.setenv("TENSORLIB_COORDINATOR_ADDRESS", "127.0.0.1:1234")
    monkeypatch.setenv("TENSORLIB_NUM_PROCESSES", "two")
    with pytest.raises(ConfigError, match="TENSORLIB_NUM_PROCESSES='two' is not an integer"):
        tl.distributed.initialize(process_id=0)


def test_initialize_after_the_backend_exists_says_what_to_do():
    from tensorlib._src.backend import get_backend

    get_backend("xla")  # the xla backend (and its single-process client) now exists
    with pytest.raises(RuntimeError, match="the xla backend was already created in this "
                                           "process") as info:
        tl.distributed.initialize("127.0.0.1:1234", num_processes=2, process_id=1)
    assert "before any computation on the xla backend" in str(info.value)
    assert not tl.distributed.is_initialized() and tl.process_count() == 1
    assert tl.local_devices(backend="xla") == tl.devices("xla")


def test_no_coordinator_is_a_python_error(tmp_path):
    """A process other than 0 that finds nobody at the address gets an exception, not XLA's
    process abort (XLA terminates a client whose coordinator never answers)."""
    code = textwrap.dedent(f"""
        import sys, tensorlib as tl
        try:
            tl.distributed.initialize("127.0.0.1:{_free_port()}", num_processes=2,
                                      process_id=1, initialization_timeout=1)
        except RuntimeError as e:
            print("ERROR", e)
        print("backend created:", "tensorlib.backends.xla_backend" in sys.modules)
    """)
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(),
                         capture_output=True, text=True, timeout=TIMEOUT_S)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "process 1 found no coordinator at 127.0.0.1:" in run.stdout, run.stdout
    assert "start process 0 with the same coordinator_address" in run.stdout
    assert "backend created: False" in run.stdout
