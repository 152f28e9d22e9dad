"""``pmap``: single-program multiple-data over devices, with collectives.

``pmap(f)(xs)`` splits the leading axis (``in_axes``) of its arguments over devices, stages
``f`` once for one device's shard (the named axis bound, so ``psum`` and friends become
equations), compiles it with the backend, and runs one copy per device on a thread pool.
Collectives meet at a ``Communicator``: each device thread leaves its buffer in a slot, waits
at a barrier, and reads every slot. NumPy releases the GIL inside its kernels, so devices run
in parallel on the cores. Under another transformation (``grad``, ``jit``, ``vmap`` around the
pmap) it has the semantics of ``vmap`` with the same axis name.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import functools
import itertools
import threading

import numpy as np

from tensorlib._src import core, distributed
from tensorlib._src.buffers import DeletedBuffer
from tensorlib._src.collectives import _spmd
from tensorlib._src.config import config
from tensorlib._src.core import Array, Tracer, asarray, get_aval
from tensorlib._src.ops import shape as sh
from tensorlib._src.ops.shape import index_along
from tensorlib._src.transforms.batching import _broadcast_prefix, _canon_axis, vmap
from tensorlib._src.transforms.jit import compile_graph
from tensorlib._src.transforms.staging import trace_to_graph
from tensorlib._src.tree_util import tree_flatten, tree_unflatten
from tensorlib.errors import ConfigError, ShapeError

_TIMEOUT_S = 300.0


class Communicator:
    """Rendezvous of ``n`` device threads for collectives (shared slots and a barrier).

    Each device leaves its buffer in a slot; the last one to arrive runs the reduction once
    (the barrier's action), then every device reads the result; a second barrier keeps the
    slots intact until all have read.
    """

    def __init__(self, n):
        self.n = n
        self.slots = [None] * n
        self.op = None
        self.result = None
        self.arrive = threading.Barrier(n, action=self._combine, timeout=_TIMEOUT_S)
        self.leave = threading.Barrier(n, timeout=_TIMEOUT_S)

    def _combine(self):
        name, params = self.op
        vals = self.slots
        if name == "psum":
            r = vals[0].copy()
            for v in vals[1:]:
                r += v
        elif name == "pmax":
            r = vals[0].copy()
            for v in vals[1:]:
                np.maximum(r, v, out=r)
        elif name == "pmin":
            r = vals[0].copy()
            for v in vals[1:]:
                np.minimum(r, v, out=r)
        elif name == "all_gather":
            ax = params["axis"]
            r = np.concatenate(vals, ax) if params["tiled"] else np.stack(vals, ax)
        elif name == "ppermute":
            r = None  # every device picks its own source below
        else:
            raise ValueError(f"unknown collective {name}")
        self.result = r

    def run(self, name, rank, x, params):
        if name == "axis_index":
            return Array(x.backend.from_numpy(np.asarray(rank, np.int32)), False)
        buf = np.asarray(x.to_numpy())
        self.slots[rank] = buf
        self.op = (name, params)
        self.arrive.wait()
        if name == "ppermute":
            src = {d: s for s, d in params["perm"]}.get(rank)
            r = np.zeros_like(buf) if src is None else self.slots[src].copy()
        else:
            r = self.result
        self.leave.wait()  # every device has read before the slots are reused
        return Array(x.backend.from_numpy(r) if name == "ppermute" else r, x._weak)

    def abort(self):
        self.arrive.abort()
        self.leave.abort()


_pools: dict = {}


def _pool(n):
    p = _pools.get(n)
    if p is None:
        p = _pools[n] = concurrent.futures.ThreadPoolExecutor(n, thread_name_prefix="tl-dev")
    return p


_anon_axes = itertools.count()


def pmap(fun=None, axis_name=None, in_axes=0, out_axes=0, devices=None,
         static_broadcasted_argnums=(), donate_argnums=()):
    """Map ``fun`` over the leading axis of its arguments, one slice per device.

    ``donate_argnums`` (an int or a tuple of ints, as in :func:`jit`) names positional
    arguments whose buffers the call may reuse for its outputs: every array leaf of those
    arguments is deleted after the call (using it raises
    :class:`~tensorlib.errors.DeletedArrayError`), on every backend. On XLA each donated
    input's per-device buffers are aliased to an output of the same shape and dtype. An
    array passed both in a donated argument and elsewhere in the same call is an error.

    Examples
    --------
    >>> import tensorlib as tl, tensorlib.numpy as tnp
    >>> f = tl.pmap(lambda x: x / tl.lax.psum(x, "i"), axis_name="i")
    >>> f(tnp.array([1.0, 3.0])).tolist()
    [0.25, 0.75]
    """
    if fun is None:
        return functools.partial(pmap, axis_name=axis_name, in_axes=in_axes, out_axes=out_axes,
                                 devices=devices,
                                 static_broadcasted_argnums=static_broadcasted_argnums,
                                 donate_argnums=donate_argnums)
    name = axis_name if axis_name is not None else f"_pmap{next(_anon_axes)}"
    if isinstance(static_broadcasted_argnums, int):
        static_broadcasted_argnums = (static_broadcasted_argnums,)
    static = tuple(static_broadcasted_argnums)
    donate = _argnums(donate_argnums)
    if set(donate) & set(static):
        raise ValueError(f"pmap: arguments {sorted(set(donate) & set(static))} are both "
                         "static (static_broadcasted_argnums) and donated (donate_argnums); a "
                         "static argument has no buffer to donate")
    cache = {}

    @functools.wraps(fun)
    def pmapped(*args):
        donated_args = _donated_args(donate, donate_argnums, static, len(args))
        dyn = [a for i, a in enumerate(args) if i not in static]
        st = tuple((i, args[i]) for i in static)

        def f_dyn(*dargs):
            it = iter(dargs)
            return fun(*[args[i] if i in static else next(it) for i in range(len(args))])

        ia = in_axes
        if isinstance(ia, (tuple, list)) and len(ia) == len(args) and static:
            ia = tuple(a for i, a in enumerate(ia) if i not in static)
        flat, in_tree = tree_flatten(list(dyn))
        given = flat  # the caller's leaves: the donated Arrays among them are deleted after
        for x in flat:
            if type(x) is Array and type(x._buf) is DeletedBuffer:
                raise x._buf.error("pmap")  # donated to an earlier call
        flat = [x if isinstance(x, Array) else asarray(x) for x in flat]
        multiprocess = distributed.process_count() > 1
        if any(isinstance(x, Tracer) for x in flat) or core.trace_depth():
            if multiprocess:
                raise ConfigError(
                    "pmap: under another transformation (jit, grad, vmap) pmap runs as vmap "
                    "inside this process, which cannot span the processes of a multi-process "
                    "job; call pmap at the outside (jit and grad inside the pmapped function "
                    "are fine)")
            # as jit under a transformation: the function is inlined, nothing is donated
            return vmap(f_dyn, ia, out_axes, axis_name=name)(*dyn)
        donated = _donated_leaves(args, static, donated_args, given)
        axes = _broadcast_prefix(list(ia) if isinstance(ia, tuple) else ia, list(dyn), "in_axes")
        axes = [_canon_axis(a, get_aval(x).ndim, "in_axes") for a, x in zip(axes, flat)]
        size = _size(flat, axes)
        if multiprocess:  # size is this process's share; the axis spans every process
            devs = _job_devices(devices, size)
            global_size = len(devs)
        else:
            devs = list(devices) if devices is not None else core.current_backend().devices()
            global_size = size
        if size > len(devs):
            raise ShapeError(
                f"pmap: the mapped axis has size {size} but only {len(devs)} devices are "
                f"available ({devs[:4]}{'...' if len(devs) > 4 else ''}); set "
                "TENSORLIB_NUM_CPU_DEVICES (NumPy and XLA CPU backends; XLA also reads XLA_FLAGS="
                "--xla_force_host_platform_device_count=N) or use fewer shards per call")
        shard_avals = [get_aval(x) if a is None else get_aval(x).update(
            shape=tuple(n for d, n in enumerate(get_aval(x).shape) if d != a))
            for x, a in zip(flat, axes)]
        key = (in_tree, tuple(axes), tuple(shard_avals), st, size, config.enable_x64,
               core.current_backend().name)
        entry = cache.get(key)
        if entry is None:
            box = []

            def flat_fun(*leaves):
                out = f_dyn(*tree_unflatten(in_tree, list(leaves)))
                o, t = tree_flatten(out)
                box.append(t)
                return [asarray(v) for v in o]

            closed = trace_to_graph(flat_fun, shard_avals, axis_env=(name, global_size))
            backend = core.current_backend()
            spmd = getattr(backend, "compile_spmd", None)
            # donated inputs are aliased to outputs of their shape and dtype in the program
            exe = (spmd(closed.graph, devs[:global_size], donate=donated)
                   if spmd is not None else None)
            if exe is None and multiprocess:
                raise ConfigError(
                    "pmap: a multi-process pmap runs as one XLA program over every process's "
                    "devices, but this function has an equation without an XLA lowering or "
                    "a bfloat16 input or output; tensorlib.make_graph(f)(x) shows the "
                    "equations. Compute those parts outside the pmap")
            if exe is None:  # one copy of the program per device, on threads
                exe = _Threaded(compile_graph(closed.graph, backend), name, size)
            entry = cache[key] = (exe, box[-1])
        exe, out_tree = entry
        stacked = exe.run(flat, axes)  # each output stacked along a new leading axis
        for k in donated:  # the outputs may hold their buffers now: the inputs are gone
            a = given[k]
            if type(a) is Array and type(a._buf) is not DeletedBuffer:
                a._buf = DeletedBuffer(a._buf.shape, a._buf.dtype)
        out_leaves = []
        oaxes = _broadcast_prefix(out_axes, tree_unflatten(out_tree, stacked), "out_axes")
        for x, oa in zip(stacked, oaxes, strict=True):
            if oa is None:
                out_leaves.append(index_along(x, 0, 0))
            elif oa == 0:
                out_leaves.append(x)
            else:
                from tensorlib._src.ops.shape import moveaxis_to

                nd = get_aval(x).ndim
                out_leaves.append(moveaxis_to(x, 0, _canon_axis(oa, nd, "out_axes")))
        return tree_unflatten(out_tree, out_leaves)

    pmapped._cache = cache
    return pmapped


def _argnums(donate_argnums):
    """``donate_argnums`` as a tuple of ints (an int alone is one)."""
    nums = (donate_argnums,) if not isinstance(donate_argnums, (tuple, list)) else donate_argnums
    out = []
    for i in nums:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
            raise TypeError(f"pmap: donate_argnums must be an int or a tuple of ints (positions "
                            f"of positional arguments), got {donate_argnums!r}")
        out.append(int(i))
    return tuple(out)


def _donated_args(donate, donate_argnums, static, nargs):
    """The positions (normalized, sorted) of the donated arguments of a call with ``nargs``
    positional arguments."""
    if not donate:
        return ()
    bad = [i for i in donate if not -nargs <= i < nargs]
    if bad:
        raise ValueError(
            f"pmap: donate_argnums={donate_argnums!r} names argument "
            f"{', '.join(map(str, bad))}, but the pmapped function was called with {nargs} "
            f"positional argument{'' if nargs == 1 else 's'}")
    pos = sorted({i % nargs for i in donate})
    both = [i for i in pos if i in static]
    if both:
        raise ValueError(f"pmap: arguments {both} are both static (static_broadcasted_argnums) "
                         "and donated (donate_argnums); a static argument has no buffer to "
                         "donate")
    return tuple(pos)


def _donated_leaves(args, static, donated_args, given):
    """Indices, among the flat dynamic leaves, of every leaf of the donated arguments (as
    jit's). An Array donated in one place and passed again in another (or donated twice) is
    an error, as XLA's is: its buffer would be both overwritten and read."""
    if not donated_args:
        return ()
    owner, out, k = [], [], 0
    for i, a in enumerate(args):
        if i in static:
            continue
        n = len(tree_flatten(a)[0])
        owner.extend([i] * n)
        if i in donated_args:
            out.extend(range(k, k + n))
        k += n
    seen = {}
    for k, x in enumerate(given):
        if type(x) is Array:
            seen.setdefault(id(x._buf), []).append(k)
    for k in out:
        x = given[k]
        if type(x) is not Array:
            continue
        same = seen[id(x._buf)]
        if len(same) > 1:
            other = next(j for j in same if j != k)
            where = (f"argument {owner[other]}" if owner[other] != owner[k]
                     else f"argument {owner[k]} more than once")
            raise ValueError(
                f"pmap: argument {owner[k]} is donated (donate_argnums) but the same array "
                f"{get_aval(x).str_short()} is also passed as {where}; a donated buffer "
                "is overwritten by the outputs. Pass a copy (x.copy()) or "
                "do not donate it")
    return tuple(out)


def _job_devices(devices, size):
    """The devices of a pmap that spans every process: each process's first ``size`` local
    devices, grouped by process (replica ``i`` runs on the ``i``-th), or the ``devices``
    given, of which exactly ``size`` must be this process's."""
    distributed.check_live("pmap")
    backend = core.current_backend()
    if backend.name != "xla":
        raise ConfigError(
            f"pmap: this process is part of a multi-process job, which runs on the xla "
            f"backend, but the current backend is {backend.name!r}; leave the default backend "
            "(tensorlib.distributed.initialize makes it 'xla')")
    if devices is not None:
        devs = list(devices)
        local = set(map(id, backend.local_devices()))
        mine = sum(id(d) in local for d in devs)
        if mine != size:
            raise ShapeError(
                f"pmap: devices= lists {mine} devices of process {distributed.process_index()} "
                f"but its arguments have {size} slices; in a multi-process job each process "
                "passes one slice per device of its own in the list")
        return devs
    devs = []
    for p in range(distributed.process_count()):
        local = backend.local_devices(p)
        if size > len(local):
            raise ShapeError(
                f"pmap: the mapped axis has size {size} in each process but process {p} has "
                f"only {len(local)} devices; in a multi-process job each process passes one "
                "slice per local device (tensorlib.local_device_count()) or fewer")
        devs.extend(local[:size])
    return devs


def _size(flat, axes):
    sizes = {get_aval(x).shape[a] for x, a in zip(flat, axes) if a is not None}
    if len(sizes) != 1:
        raise ShapeError(f"pmap: mapped axes need one size, got {sorted(sizes) or 'none'}")
    size = sizes.pop()
    if size == 0:
        shapes = [get_aval(x).str_short() for x, a in zip(flat, axes) if a is not None]
        raise ShapeError(f"pmap: the mapped axis is empty (size 0, arguments {shapes}); pmap "
                         "runs one slice per device and needs at least one slice")
    return size


class _Threaded:
    """The fallback for a backend without replicated executables (or a graph with host-only
    equations): the compiled graph runs once per device on a thread pool, and collectives
    meet at a :class:`Communicator`."""

    def __init__(self, exe, name, size):
        self.exe, self.name, self.size = exe, name, size

    def run(self, flat, axes):
        shards = [[x if a is None else index_along(x, a, i) for x, a in zip(flat, axes)]
                  for i in range(self.size)]
        per_dev = _run_spmd(self.exe, shards, self.name, self.size)
        outs = []
        for k in range(len(per_dev[0])):
            vals = [per_dev[i][k] for i in range(self.size)]
            outs.append(sh.concatenate([sh.expand_dims(v, (0,)) for v in vals], 0)
                        if self.size > 1 else sh.expand_dims(vals[0], (0,)))
        return outs


def _run_spmd(exe, shards, name, size):
    comm = Communicator(size)

    def work(rank):
        prev = getattr(_spmd, "axes", {})
        _spmd.axes = dict(prev, **{name: (rank, comm)})
        try:
            return exe.run(*shards[rank])
        except BaseException:
            comm.abort()  # release the other devices from the barrier
            raise
        finally:
            _spmd.axes = prev

    if size == 1:
        return [work(0)]
    # each device's thread runs in a copy of the caller's context: its scoped settings
    # (tl.backend, x64, disable_jit) hold there too
    futures = [_pool(size).submit(contextvars.copy_context().run, work, r)
               for r in range(size)]
    results, first_error = [], None
    for f in futures:
        try:
            results.append(f.result())
        except threading.BrokenBarrierError as e:
            first_error = first_error or e
        except BaseException as e:  # the root cause wins over the broken barriers it caused
            if first_error is None or isinstance(first_error, threading.BrokenBarrierError):
                first_error = e
    if first_error is not None:
        raise first_error
    return results
