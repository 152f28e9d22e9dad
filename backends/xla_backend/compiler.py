"""Executables: eager per-signature kernels and compiled graphs, with in-memory and disk caches.

Eager mode: every primitive applied to a new signature (operand shapes and dtypes, params)
becomes a one-equation module, compiled once with XLA's cheap settings and cached in memory.
Compiled modules are also written to a disk cache (``serialize_executable``, keyed by a hash
of the module text, the jaxlib version and the CPU), so a fresh process -- a notebook kernel
restart -- loads them in ~1-3 ms instead of compiling for tens of milliseconds. The cache
is ``<cache root>/xla`` (``tensorlib._src.disk_cache``: ``TENSORLIB_CACHE_DIR``, else
``$XDG_CACHE_HOME/tensorlib``, else ``~/.cache/tensorlib``; ``TENSORLIB_CACHE=0`` turns it off).

Primitives without a lowering for a signature (the windowed arg-reductions, or a dtype XLA
lacks) run on the host through the NumPy backend's kernel: documented fallback, correct but
with two copies. (LU, QR, eigh and SVD lower to jaxlib's LAPACK custom calls.)

jit: ``compile_graph`` lowers the whole graph to one module (constants hoisted into
parameters). A graph with equations that cannot be lowered (host-only primitives,
``debug_print``, collectives of the threaded pmap) is split into lowered segments run as
executables and host equations run eagerly between them.
"""

from __future__ import annotations

import collections
import hashlib
import time

import numpy as np
from tensorlib.backends.xla_backend import lowering
from tensorlib.backends.xla_backend.buffers import XlaBuffer

from tensorlib._src import compile_thread, disk_cache
from tensorlib._src.config import config
from tensorlib._src.core import AbstractArray, Array
from tensorlib._src.errors_util import check_result_size
from tensorlib._src.rules import shape_rules
from tensorlib.errors import BackendMismatchError, ShapeError

STATS = {"compiles": 0, "compile_s": 0.0, "disk_loads": 0, "disk_load_s": 0.0,
         "host_fallbacks": 0, "host_tier_calls": 0}


# --------------------------------------------------------------------------------------------
# disk cache


class DiskCache:
    """Serialized executables in ``<cache root>/xla`` (``tensorlib._src.disk_cache``: private
    folder, atomic writes, entries checked against their key and content hash)."""

    def __init__(self, fingerprint):
        self.fingerprint = fingerprint
        self._store = disk_cache.Store("xla")

    def key(self, text, cheap):
        return hashlib.sha256(f"{self.fingerprint}|{int(cheap)}|{text}".encode()).hexdigest()

    def usable(self):
        return disk_cache.folder("xla") is not None

    def load(self, key):
        return self._store.get(key)

    def store(self, key, blob):
        self._store.put(key, blob)

    def size(self, key):
        return self._store.size(key)

    def forget(self, key):
        self._store.forget(key)


# --------------------------------------------------------------------------------------------
# modules


class Module:
    """One StableHLO module, loaded lazily per device: ``load(device) -> run(arrays)``."""

    __slots__ = ("text", "out_avals", "cheap", "_loaded", "_blob", "_backend", "_pending",
                 "_key")

    def __init__(self, backend, text, out_avals, cheap):
        self._backend = backend
        self.text = text
        self.out_avals = [AbstractArray(a.shape, a.dtype) for a in out_avals]
        self.cheap = cheap
        self._loaded = {}
        self._blob = None
        self._pending = {}
        self._key = None

    @property
    def key(self):
        """The disk cache key (a hash of the whole text), computed once."""
        if self._key is None:
            self._key = self._backend.disk.key(self.text, self.cheap)
        return self._key

    def loaded(self, device):
        """The runner already loaded for ``device``, or None."""
        return self._loaded.get(device.id)

    def cached_size(self):
        """The size of the serialized executable in memory or on disk (loading it needs no
        compile), None when there is none."""
        if self._blob is not None:
            return len(self._blob)
        return self._backend.disk.size(self.key)

    def load_soon(self, device):
        """The future of loading (compiling) for ``device`` on the compile thread, started
        on the first request; ``load`` then waits for it rather than compiling twice."""
        fut = self._pending.get(device.id)
        if fut is None:
            fut = self._pending[device.id] = compile_thread.submit(self._load, device)
        return fut

    def load(self, device):
        ent = self._loaded.get(device.id)
        if ent is not None:
            return ent
        fut = self._pending.get(device.id)
        if fut is not None:
            return fut.result()
        return self._load(device)

    def _load(self, device):
        rt = self._backend.runtime
        exe = None
        from_disk = self._blob is None
        blob = self._backend.disk.load(self.key) if from_disk else self._blob
        if blob is not None:
            t0 = time.perf_counter()
            try:
                exe = rt.deserialize(blob, device.xla, self.cheap)
                STATS["disk_loads"] += 1
                STATS["disk_load_s"] += time.perf_counter() - t0
                self._blob = blob
            except Exception:  # written by another jaxlib build, say: compile again
                exe = None
                if from_disk:
                    self._backend.disk.forget(self.key)
        if exe is None:
            exe = self._compile(device)
        ent = rt.runner(exe, self.out_avals, device.xla)
        self._loaded[device.id] = ent
        return ent

    def _compile(self, device):
        rt = self._backend.runtime
        t0 = time.perf_counter()
        try:
            exe = rt.compile(self.text, device.xla, self.cheap)
        except Exception as e:
            raise RuntimeError(f"XLA failed to compile the lowered module:\n{self.text}\n"
                               f"{type(e).__name__}: {e}") from e
        STATS["compiles"] += 1
        STATS["compile_s"] += time.perf_counter() - t0
        disk = self._backend.disk
        if disk.usable() or len(self._backend.devices()) > 1:  # the blob loads other devices
            try:
                self._blob = rt.serialize(exe)
            except Exception:
                self._blob = None
            if self._blob is not None:
                disk.store(self.key, self._blob)
        return exe


def _params_key(params):
    k = tuple(params.items())
    try:
        hash(k)
        return k
    except TypeError:
        return repr(k)


# --------------------------------------------------------------------------------------------
# eager kernels


def _mismatch(name, a, b):
    return BackendMismatchError(
        f"{name}: arguments live on different devices ({a} and {b}). Move them to one device "
        "first with tensorlib.device_put(x, device).")


class _Call:
    """A lowered signature of one primitive, ready to run on any device."""

    __slots__ = ("module", "out_avals", "name", "backend", "_dev", "_run", "_single")

    def __init__(self, backend, module, name):
        self.backend = backend
        self.module = module
        self.out_avals = module.out_avals
        self.name = name
        self._dev = None
        self._run = None
        o = self.out_avals[0] if len(self.out_avals) == 1 else None
        self._single = None if o is None else (o.shape, o.dtype)

    def __call__(self, bufs):
        committed = False
        if bufs:
            dev = bufs[0].device
            for b in bufs:
                if b.device is not dev or b.committed:
                    bufs, dev, committed = _place(self.name, bufs, self.backend)
                    break
        else:
            dev = self.backend.default_device
        if dev is self._dev:
            run = self._run
        else:
            run = self.module.load(dev)
            self._dev, self._run = dev, run
        arrs = run([b.array for b in bufs])
        single = self._single
        if single is not None:
            return [XlaBuffer(arrs[0], single[0], single[1], dev, committed)]
        return [XlaBuffer(a, o.shape, o.dtype, dev, committed)
                for a, o in zip(arrs, self.out_avals, strict=True)]


def _place(name, bufs, backend):
    """JAX's rule: uncommitted operands follow the committed ones; two committed devices
    that differ are an error naming both."""
    dev = None
    for b in bufs:
        if b.committed:
            if dev is None:
                dev = b.device
            elif b.device is not dev:
                raise _mismatch(name, dev, b.device)
    if dev is None:
        dev = bufs[0].device
        if any(b.device is not dev for b in bufs):
            dev = backend.default_device
    moved = [b if b.device is dev else backend.put(backend.to_numpy(b), dev) for b in bufs]
    return moved, dev, any(b.committed for b in bufs)


class _Identity:
    """A signature whose lowering returns its inputs (reshape to the same shape, etc.)."""

    __slots__ = ("which",)

    def __init__(self, which):
        self.which = which

    def __call__(self, bufs):
        return [bufs[i] for i in self.which]


class _HostCall:
    """The NumPy kernel on host copies (primitives or dtypes without a lowering)."""

    __slots__ = ("fn", "params", "backend", "multiple")

    def __init__(self, backend, fn, params, multiple):
        self.backend = backend
        self.fn = fn
        self.params = params
        self.multiple = multiple

    def __call__(self, bufs):
        be = self.backend
        committed = False
        if bufs:
            dev = bufs[0].device
            if any(b.device is not dev or b.committed for b in bufs):
                bufs, dev, committed = _place(self.fn.__name__, bufs, be)
        else:
            dev = be.default_device
        STATS["host_fallbacks"] += 1
        out = self.fn(*[be.to_numpy(b) for b in bufs], **self.params)
        outs = out if self.multiple else [out]
        return [be.put(o, dev, committed) for o in outs]


class _EqnGraphCall:
    """One equation with sub-graphs (a loop, a cond), compiled as a one-equation graph."""

    __slots__ = ("call",)

    def __init__(self, backend, prim, in_avals, params, out_avals):
        from tensorlib._src.control.optimize import split_scans
        from tensorlib._src.ir import Eqn, Graph, Var

        ins, outs = [Var(a) for a in in_avals], [Var(a) for a in out_avals]
        graph = Graph([], [], ins, [Eqn(prim, ins, params, outs)], outs)
        self.call = GraphCall(backend, split_scans(graph))

    def __call__(self, bufs):
        return self.call.run_bufs(list(bufs))


# The eager signatures held in memory, over all primitives: oldest first. Past the bound the
# oldest is dropped (insertion order, so a hit costs nothing); a hot signature dropped is rebuilt
# from the backend's LRU module cache, or the disk cache, without compiling.
EAGER_CACHE_SIZE = 4096
_eager_order = collections.deque()


def remember(calls, key, call):
    """``calls[key] = call`` within the global bound on eager signatures; returns ``call``."""
    calls[key] = call
    order = _eager_order
    order.append((calls, key, call))
    while len(order) > EAGER_CACHE_SIZE:
        c, k, old = order.popleft()
        if c.get(k) is old:
            del c[k]
    return call


def make_kernel(backend, prim, host):
    """The eager kernel of ``prim`` for XLA buffers: one executable per signature.

    ``host(n)`` is the NumPy kernel for ``n`` operands (or None), run on the host where XLA
    cannot lower the equation."""
    calls = {}
    multiple = prim.multiple_results
    rule = shape_rules.get(prim)

    def build(bufs, params):
        in_avals = [AbstractArray(b.shape, b.dtype) for b in bufs]
        outs = rule(*in_avals, **params) if rule is not None else None
        outs = outs if multiple else [outs]
        if rule is not None:
            for o in outs:  # XLA would abort the process allocating it
                check_result_size(prim.name, o.shape, o.dtype)
        if rule is not None and lowering.can_lower(prim, params, in_avals + outs):
            if lowering.sub_graphs(params):
                # control flow: the whole loop as one executable, its body's constants hoisted
                return _EqnGraphCall(backend, prim, in_avals, params, outs)
            text, passthrough = lowering.module_for_eqn(prim, in_avals, params, outs)
            if all(i is not None for i in passthrough):
                return _Identity(passthrough)  # buffers are immutable: no copy, no compile
            return _Call(backend, backend.module(text, outs, cheap=True), prim.name)
        numpy_fn = host(len(bufs))
        if numpy_fn is None:
            raise NotImplementedError(f"{prim.name}: no xla lowering and no host kernel for "
                                      f"{[a.str_short() for a in in_avals]}")
        return _HostCall(backend, numpy_fn, dict(params), multiple)

    def kernel(*bufs, **params):
        key = (tuple([(b.shape, b.dtype) for b in bufs]), _params_key(params) if params else ())
        call = calls.get(key)
        if call is None:
            call = build(bufs, params)
            # An equation with sub-graphs is keyed by graph objects, new at every eager call
            # of a loop: caching it would hold every one. Its module text is cached instead.
            if not isinstance(call, _EqnGraphCall):
                remember(calls, key, call)
        outs = call(bufs)
        return outs if multiple else outs[0]

    def kernel1(x, **params):
        key = (x.shape, x.dtype, _params_key(params) if params else ())
        call = calls.get(key)
        if call is None:
            call = remember(calls, key, build([x], params))
        outs = call([x])
        return outs if multiple else outs[0]

    def kernel2(x, y):
        key = (x.shape, x.dtype, y.shape, y.dtype)
        call = calls.get(key)
        if call is None:
            call = remember(calls, key, build([x, y], {}))
        outs = call([x, y])
        return outs if multiple else outs[0]

    for k in (kernel, kernel1, kernel2):
        k.__name__ = f"_xla_{prim.name}"
        k.calls = calls
    disk_cache.on_clear(calls.clear)
    return kernel, kernel1, kernel2


# --------------------------------------------------------------------------------------------
# graphs (jit)


def _check_args(name, bufs, in_avals, backend):
    for i, (b, a) in enumerate(zip(bufs, in_avals, strict=True)):
        if not isinstance(b, backend.buffer_types):
            from tensorlib._src.loader import name_of_type

            other = name_of_type(type(b))
            raise BackendMismatchError(
                f"{name}: argument {i} lives on the {other} backend but the function was "
                f"compiled for {backend.name}. Move it first with "
                f"tensorlib.device_put(x, {backend.name!r}).")
        if b.shape != tuple(a.shape) or b.dtype != a.dtype:
            raise ShapeError(f"{name}: argument {i} is {b.dtype}{list(b.shape)} but the "
                             f"executable takes {a.str_short()}")


def _aliases(graph, donate):
    """Donated input -> an output of its shape and dtype that may take over its buffer."""
    taken, out = set(), {}
    invars = {id(v) for v in graph.invars}
    for i in sorted(donate):
        a = graph.invars[i].aval
        for k, v in enumerate(graph.outvars):
            if (k not in taken and id(v) not in invars and hasattr(v, "aval")
                    and tuple(v.aval.shape) == tuple(a.shape) and v.aval.dtype == a.dtype):
                taken.add(k)
                out[i] = k
                break
    return out


class GraphCall:
    """A whole graph lowered to one module; hoisted constants are uploaded once per device.

    Donated inputs (``jit(donate_argnums=...)``) whose buffer an output of the same shape
    and dtype can reuse are marked ``tf.aliasing_output``: XLA writes that output in place
    and the input buffer is gone after the call (``donated`` lists them).
    """

    def __init__(self, backend, graph, cheap=False, donate=()):
        self.backend = backend
        self.in_avals = graph.in_avals
        aliases = _aliases(graph, donate) if donate else {}
        self.donated = tuple(sorted(aliases))
        text, self.hoisted = lowering.module_for_graph(graph, aliases)
        self.module = backend.module(text, graph.out_avals, cheap=cheap)
        self.call = _Call(backend, self.module, "jit")
        self.out_weak = [v.aval.weak_type for v in graph.outvars]
        self._consts = {}
        self._host = _HostTier(graph) if _host_tier_applies(graph, self.donated) else None

    def consts(self, dev):
        c = self._consts.get(dev.id)
        if c is None:
            be = self.backend
            c = []
            for arr in self.hoisted:
                b = arr._buf
                if isinstance(b, be.buffer_types) and b.device is dev:
                    c.append(b)
                else:
                    c.append(be.put(arr.to_numpy(), dev))
            self._consts[dev.id] = c
        return c

    def run_bufs(self, bufs):
        _check_args("jit", bufs, self.in_avals, self.backend)
        if self._host is not None:
            outs = self._host(self, bufs)
            if outs is not None:
                return outs
        if self.donated:
            bufs = list(bufs)
            shared = self.backend.shared_buffers
            for i in self.donated:
                if id(bufs[i]) in shared or type(bufs[i]) is not XlaBuffer:
                    # a cached constant (or a pmap result's assembly): donate a private copy
                    b = bufs[i]
                    bufs[i] = self.backend.put(self.backend.to_numpy(b), b.device, b.committed)
        dev = bufs[0].device if bufs else self.backend.default_device
        return self.call(list(bufs) + self.consts(dev))

    def __call__(self, *args):
        outs = self.run_bufs([a._buf for a in args])
        return [Array(b, w) for b, w in zip(outs, self.out_weak, strict=True)]


def _host_tier_applies(graph, donated):
    """Whether a graph's first calls may run on the host tier: no loops at any depth (the
    host would run them step by step, slower than compiling), no effects (a callback runs
    once, in one tier) and no donation."""
    if donated or not graph.eqns:
        return False
    from tensorlib._src.control.loops import while_grad_p, while_p
    from tensorlib._src.control.scan import scan_p
    from tensorlib._src.passes import effectful

    def straight(g):
        for e in g.eqns:
            if e.prim in effectful or e.prim in (while_p, while_grad_p, scan_p):
                return False
            if not all(straight(sub) for sub in lowering.sub_graphs(e.params)):
                return False
        return True

    return straight(graph)


# A serialized executable this small loads and runs its first time in a few milliseconds
# (a 10-op elementwise chain: 9 KB, ~5 ms), less than the host tier's first call; a larger
# one costs more (an MLP training step: 70 KB, ~45 ms to load, link and first run, most of it
# in the first run), so its first call runs on the host while it loads.
_SMALL_EXECUTABLE = 32 * 1024


class _HostTier:
    """The first-call tier of a jitted graph on a CPU device (``compile_tier``).

    XLA takes tens to hundreds of milliseconds to compile a program, and it does so outside
    the GIL. So the first call starts the compile on the compile thread and runs the graph
    at once through the NumPy backend's compiler (NumPy and BLAS kernels, no Numba) on
    zero-copy views of the arguments; the second call (``"tiered"``, the default) waits for
    the executable, and ``"background"`` keeps running here until it is ready. ``"compiled"``
    never runs here, nor does a call whose executable is small and already serialized (in
    memory or on disk: ``_SMALL_EXECUTABLE``). The tiers compute the same operations;
    transcendental functions and reductions may differ in the last bits (NumPy's and XLA's
    implementations), as two XLA builds may. Any failure here (a kernel the host lacks, a
    result that does not match the graph's types) leaves the tier for good, and the call runs
    compiled."""

    __slots__ = ("graph", "prog", "calls")

    def __init__(self, graph):
        self.graph = graph
        self.prog = None
        self.calls = 0

    def __call__(self, owner, bufs):
        """The call's output buffers, or None (run compiled; the tier is left for good
        when that is what every later call will do)."""
        be = owner.backend
        dev = bufs[0].device if bufs else be.default_device
        tier = config.compile_tier
        mod = owner.module
        if (tier == "compiled" or dev.platform != "cpu" or mod.loaded(dev) is not None
                or any(type(b) is not XlaBuffer or b.device is not dev for b in bufs)
                or (mod.cached_size() or _SMALL_EXECUTABLE + 1) <= _SMALL_EXECUTABLE):
            owner._host = None
            return None
        if mod.load_soon(dev).done() or (tier == "tiered" and self.calls):
            owner._host = None
            return None
        try:
            if self.prog is None:
                from tensorlib._src.loader import load

                load("numpy")  # its kernels
                from tensorlib.backends.numpy_compiler import compile_graph

                self.prog = compile_graph(self.graph, numba=False).bufs
            outs = self.prog([be.to_numpy(b) for b in bufs])
            avals = mod.out_avals
            if len(outs) != len(avals) or any(
                    np.shape(o) != a.shape or np.result_type(o) != a.dtype
                    for o, a in zip(outs, avals)):
                raise TypeError("host tier: result types differ from the graph's")
        except Exception:  # noqa: BLE001 - the compiled tier is correct; use it
            owner._host = None
            return None
        self.calls += 1
        STATS["host_tier_calls"] += 1
        committed = any(b.committed for b in bufs)
        return [be.put(o, dev, committed) for o in outs]


class SegmentedCall:
    """A graph split into lowered segments and host equations run eagerly between them."""

    donated = ()

    def __init__(self, backend, graph):
        from tensorlib._src.ir import Graph

        self.backend = backend
        self.graph = graph
        self.steps = []
        eqns = graph.eqns
        used_later = _uses_after(graph)
        k = 0
        while k < len(eqns):
            e = eqns[k]
            avals = [v.aval for v in e.inputs] + [v.aval for v in e.outputs]
            if not lowering.can_lower(e.prim, e.params, avals):
                self.steps.append(("host", e))
                k += 1
                continue
            j = k
            while j < len(eqns) and lowering.can_lower(
                    eqns[j].prim, eqns[j].params,
                    [v.aval for v in eqns[j].inputs] + [v.aval for v in eqns[j].outputs]):
                j += 1
            seg = eqns[k:j]
            defined = {id(v) for s in seg for v in s.outputs}
            ins, seen = [], set()
            for s in seg:
                for v in s.inputs:
                    if id(v) not in defined and id(v) not in seen:
                        seen.add(id(v))
                        ins.append(v)
            outs = [v for s in seg for v in s.outputs if used_later.get(id(v), -1) >= j]
            sub = Graph([], [], ins, seg, outs)
            self.steps.append(("seg", (GraphCall(backend, sub), ins, outs)))
            k = j

    def __call__(self, *args):
        from tensorlib._src.core import eval_primitive

        g = self.graph
        env = {id(v): _on_backend(c, self.backend, v.aval)
               for v, c in zip(g.constvars, g.consts, strict=True)}
        env.update({id(v): a for v, a in zip(g.invars, args, strict=True)})
        for kind, obj in self.steps:
            if kind == "host":
                e = obj
                res = eval_primitive(e.prim, [env[id(v)] for v in e.inputs], e.params)
                res = res if e.prim.multiple_results else [res]
                for v, r in zip(e.outputs, res, strict=True):
                    # a host equation's result belongs to this program, whoever built it
                    env[id(v)] = _on_backend(r, self.backend, v.aval)
            else:
                call, ins, outs = obj
                bufs = call.run_bufs([env[id(v)]._buf for v in ins])
                for v, b in zip(outs, bufs, strict=True):
                    env[id(v)] = Array(b, v.aval.weak_type)
        return [env[id(v)] for v in g.outvars]


def _on_backend(a, backend, aval):
    """Constants of a graph staged under another backend are moved once, at run time."""
    if isinstance(a._buf, backend.buffer_types):
        return a
    return Array(backend.from_numpy(np.asarray(a.to_numpy())), aval.weak_type)


def _uses_after(graph):
    """id(var) -> index of its last use (len(eqns) for graph outputs)."""
    last = {}
    for k, e in enumerate(graph.eqns):
        for v in e.inputs:
            last[id(v)] = k
    for v in graph.outvars:
        last[id(v)] = len(graph.eqns)
    return last


def compile_graph(backend, graph, donate=()):
    from tensorlib._src.control.optimize import split_scans

    graph = split_scans(graph)
    if lowering.graph_lowerable(graph):
        return GraphCall(backend, graph, donate=donate)
    return SegmentedCall(backend, graph)  # donation is a hint: not taken here
