"""Data-parallel training with ``pmap`` across processes (and machines).

Each process joins one job with ``tl.distributed.initialize``, owns ``--local-devices`` CPU
devices and feeds only its own slice of the data; ``pmap``'s collectives (``psum``,
``pmean``) span every process's devices, through Gloo over TCP.

Run it on one machine (it launches itself twice, over 127.0.0.1)::

    python examples/multiprocess_pmap.py

or on each of two machines, with process 0's address (the same command, its own id)::

    python examples/multiprocess_pmap.py --coordinator 10.0.0.1:1234 --num-processes 2 \\
        --process-id 0      # on 10.0.0.1; --process-id 1 on the other machine
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys

import numpy as np


def launch(num_processes: int, local_devices: int) -> int:
    """Run ``num_processes`` copies of this script on this machine, one job over loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    procs = [subprocess.Popen([sys.executable, __file__, "--coordinator", f"127.0.0.1:{port}",
                               "--num-processes", str(num_processes), "--process-id", str(i),
                               "--local-devices", str(local_devices)])
             for i in range(num_processes)]
    try:
        return max(p.wait(timeout=120) for p in procs)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()


def main(args) -> None:
    import tensorlib as tl
    import tensorlib.numpy as tnp
    from tensorlib import lax

    # first, before any computation: this process joins the job
    tl.distributed.initialize(args.coordinator, num_processes=args.num_processes,
                              process_id=args.process_id,
                              local_device_count=args.local_devices)
    me, n_local, n = tl.process_index(), tl.local_device_count(), tl.device_count()

    # each process passes one slice per local device; the pmapped axis spans all n devices
    first = me * n_local  # this process's devices are global indices first .. first+n_local-1
    x = tnp.arange(first, first + n_local, dtype=tnp.float32)
    total = tl.pmap(lambda v: lax.psum(v, "i"), axis_name="i")(x)
    ok = np.array_equal(np.asarray(total), np.full(n_local, n * (n - 1) / 2))
    print(f"process {me}: psum over {n} devices = {np.asarray(total)} {'ok' if ok else 'WRONG'}",
          flush=True)

    # data-parallel linear regression: each device sees its own batch; gradients are
    # averaged over every device of every process with pmean
    rng = np.random.default_rng(first)  # this process's data only
    true_w = np.array([2.0, -3.0, 0.5], np.float32)
    xb = rng.normal(size=(n_local, 32, 3)).astype(np.float32)
    yb = xb @ true_w + 1.0

    def loss(params, x, y):
        w, b = params
        return tnp.mean((x @ w + b - y) ** 2)

    def step(params, x, y):
        value, grads = tl.value_and_grad(loss)(params, x, y)
        grads = lax.pmean(grads, "i")
        return [p - 0.1 * g for p, g in zip(params, grads, strict=True)], lax.pmean(value, "i")

    train_step = tl.pmap(step, axis_name="i")
    params = [tnp.zeros((n_local, 3)), tnp.zeros((n_local,))]  # one replica per local device
    steps = 100
    for _ in range(steps):
        params, value = train_step(params, xb, yb)
    w = np.asarray(params[0])
    same = bool(np.all(w == w[0]))
    print(f"process {me}: loss after {steps} steps {float(np.asarray(value)[0]):.2e}, "
          f"w = {np.round(w[0], 3)}, replicas agree: {same}", flush=True)
    tl.distributed.shutdown()
    if not (ok and same):
        sys.exit(1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--coordinator", help="process 0's host:port (omit: launch locally)")
    parser.add_argument("--num-processes", type=int, default=2)
    parser.add_argument("--process-id", type=int)
    parser.add_argument("--local-devices", type=int, default=2, help="CPU devices per process")
    args = parser.parse_args()
    if args.process_id is None:
        sys.exit(launch(args.num_processes, args.local_devices))
    main(args)
