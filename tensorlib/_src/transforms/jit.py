"""``jit``, ``make_graph`` and ``disable_jit``.

``jit(f)`` stages ``f`` to a graph once per signature (pytree structure, shapes, dtypes, weak
types, static arguments, backend, x64 flag), compiles it with the backend and caches the
executable. A jitted call is itself a primitive, ``jit_call``: eagerly it runs the executable;
under the tape and forward mode it evaluates its graph on the tracers (so ``grad(jit(f))``
works); under staging it inlines the graph (so ``jit(jit(f))`` and ``jit(grad(f))`` work).
"""

from __future__ import annotations

import functools
import inspect
import weakref

import numpy as np

from tensorlib._src import core, disk_cache
from tensorlib._src.buffers import DeletedBuffer
from tensorlib._src.config import config
from tensorlib._src.core import Array, Primitive, Tracer, asarray, get_aval
from tensorlib._src.errors_util import check_result_size
from tensorlib._src.ir import eval_graph
from tensorlib._src.rules import def_inline
from tensorlib._src.transforms.batching import def_inline_batch
from tensorlib._src.transforms.staging import def_staging, trace_to_graph
from tensorlib._src.tree_util import tree_flatten, tree_unflatten

jit_call_p = Primitive("jit_call", multiple_results=True)


class Executable:
    """A compiled graph: ``run(*arrays) -> list of arrays``.

    ``donated``: the inputs whose buffers the outputs took over (their Arrays are deleted
    after each call)."""

    __slots__ = ("graph", "run", "backend", "donated")

    def __init__(self, graph, run, backend, donated=()):
        self.graph = graph
        self.run = run
        self.backend = backend
        self.donated = tuple(donated)


def _check_sizes(graph):
    """Refuse, before compiling, a program with a value larger than this machine's memory
    (XLA would abort the process allocating it; NumPy would walk a broadcast view that
    large). Tracing alone never allocates, so ``eval_shape`` of such a program works."""
    for e in graph.eqns:
        for v in e.outputs:
            a = v.aval
            if a is not None:
                check_result_size(e.prim.name, a.shape, np.dtype(a.dtype))


def compile_graph(graph, backend, donate=()):
    _check_sizes(graph)
    comp = getattr(backend, "compile", None)
    if comp is None:
        return Executable(graph, lambda *args: eval_graph(graph, graph.consts, list(args)), backend)
    if donate and getattr(backend, "supports_donation", False):
        run = comp(graph, donate=tuple(donate))
        donated = tuple(getattr(run, "donated", ()))
        if donated:
            def run_donating(*args):
                outs = run(*args)
                for i in donated:  # their buffers now hold outputs
                    a = args[i]
                    a._buf = DeletedBuffer(a._buf.shape, a._buf.dtype)
                return outs

            return Executable(graph, run_donating, backend, donated)
    # Donation is a hint: a backend without it (the NumPy one) keeps the inputs alive.
    return Executable(graph, comp(graph), backend)


def _jit_call_impl(*args, exe, name):
    return exe.run(*args)


jit_call_p.impl = _jit_call_impl


def _jit_call_inline(trace, tracers, params):
    exe = params["exe"]
    g = exe.graph
    return eval_graph(g, _consts_on(exe.backend, g.consts), list(tracers))


def _consts_on(backend, consts):
    """Graph constants folded on the host, moved to the executable's backend."""
    types = getattr(backend, "buffer_types", None)
    if types is None:
        return consts
    import numpy as np

    return [c if type(c) is not Array or isinstance(c._buf, types)
            else Array(backend.from_numpy(np.asarray(c.to_numpy())), c._weak) for c in consts]


def_inline(jit_call_p)(_jit_call_inline)
def_staging(jit_call_p)(_jit_call_inline)


def _jit_call_graph(*args, exe, name):
    """Under vmap, the executable's graph runs on the batch tracers."""
    return eval_graph(exe.graph, exe.graph.consts, list(args))


def_inline_batch(jit_call_p, _jit_call_graph)


class _CacheEntry:
    __slots__ = ("exe", "out_tree", "cacheable", "captured", "params")

    def __init__(self, exe, out_tree, cacheable, captured, name="fun"):
        self.exe = exe
        self.out_tree = out_tree
        self.cacheable = cacheable
        self.captured = captured
        self.params = {"exe": exe, "name": name}  # jit_call_p's, built once


def _hashable_static(v, i):
    try:
        hash(v)
    except TypeError as e:
        raise ValueError(f"jit: static argument {i} of type {type(v).__name__} is not "
                         "hashable; static arguments are part of the cache key") from e
    return v


def _fast_key(args):
    """Cache key of the cached-call fast path: buffer type, shape, dtype, weak type per argument,
    plus the backend setting and the x64 flag (AttributeError unless all are plain Arrays)."""
    return (tuple([(a._buf.__class__, a._buf.shape, a._buf.dtype, a._weak) for a in args]),
            core._scoped_backend.get(), core._current[0], config.enable_x64)


def _backend_of_args(flat):
    """Compile for the backend the arguments live on (the current one if none is concrete)."""
    for x in flat:
        if type(x) is Array:
            return x.backend
    return core.current_backend()


def _as_arg(x):
    try:
        return asarray(x)
    except TypeError as e:
        raise TypeError(f"jit: argument leaf of type {type(x).__name__} is not an array; pass "
                        "it as a static argument (static_argnums / static_argnames) or make "
                        "its class a pytree (tensorlib.tree_util.register_pytree_node)") from e


_LIVE: weakref.WeakSet = weakref.WeakSet()  # every JitFunction, for clear_caches


@disk_cache.on_clear
def _clear_jit_caches():
    for jf in list(_LIVE):
        jf._cache.clear()
        jf._fast.clear()


def _check_static(sig, static_argnums, static_argnames):
    """``static_argnums``/``static_argnames`` against the signature (as ``jax.jit``): each
    must name a parameter, negative positions counting from the end."""
    for i in static_argnums:
        if isinstance(i, bool) or not isinstance(i, int):
            raise TypeError(f"jit: static_argnums must be ints, got {i!r}")
    if sig is None:
        return
    params = list(sig.parameters.values())
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        n_pos = None
    else:
        n_pos = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
    bad = [i for i in static_argnums if n_pos is not None and not -n_pos <= i < n_pos]
    if bad:
        raise ValueError(f"jit: static_argnums={tuple(static_argnums)} names positional "
                         f"argument(s) {bad}, but the function takes {n_pos} positional "
                         f"argument(s) {tuple(p.name for p in params[:n_pos])}")
    if not any(p.kind is p.VAR_KEYWORD for p in params):
        names = {p.name for p in params if p.kind is not p.POSITIONAL_ONLY}
        unknown = sorted(set(static_argnames) - names)
        if unknown:
            raise ValueError(f"jit: static_argnames names {unknown}, which the function does "
                             f"not take; its parameters are {[p.name for p in params]}")


class JitFunction:
    """The result of ``tl.jit(f)``: call it, or inspect it with ``lower``/``trace``."""

    def __init__(self, fun, static_argnums=(), static_argnames=(), donate_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        if isinstance(static_argnums, int):
            static_argnums = (static_argnums,)
        if isinstance(static_argnames, str):
            static_argnames = (static_argnames,)
        self.static_argnums = tuple(static_argnums)
        self.static_argnames = tuple(static_argnames)
        if isinstance(donate_argnums, int):
            donate_argnums = (donate_argnums,)
        self.donate_argnums = tuple(donate_argnums)
        bad = set(self.donate_argnums) & set(self.static_argnums)
        if bad:
            raise ValueError(f"jit: arguments {sorted(bad)} are both static and donated; a "
                             "static argument has no buffer to donate")
        self._cache: dict = {}
        self._fast: dict = {}
        # pytree arguments: the last structure seen, and its entries by leaf signature
        self._tree = None
        self._tree_fast: dict = {}
        _LIVE.add(self)
        self._fast_ok = not self.static_argnums and not self.static_argnames
        self.trace_count = 0
        try:
            self._sig = inspect.signature(fun)
        except (TypeError, ValueError):
            self._sig = None
        _check_static(self._sig, self.static_argnums, self.static_argnames)

    def _split(self, args, kwargs):
        nargs = len(args)
        static_pos = {i % nargs if nargs else i for i in self.static_argnums}
        if self._sig is not None and self.static_argnames:
            params = list(self._sig.parameters)
            for name in self.static_argnames:
                if name in params and params.index(name) < nargs:
                    static_pos.add(params.index(name))
        static = tuple((i, _hashable_static(args[i], i)) for i in sorted(static_pos) if i < nargs)
        dyn_args = [a for i, a in enumerate(args) if i not in static_pos]
        static_kw = tuple(sorted((k, _hashable_static(v, k)) for k, v in kwargs.items()
                                 if k in self.static_argnames))
        dyn_kw = {k: v for k, v in kwargs.items() if k not in self.static_argnames}
        return static, static_pos, dyn_args, static_kw, dyn_kw

    def _flat_and_key(self, args, kwargs):
        static, static_pos, dyn_args, static_kw, dyn_kw = self._split(args, kwargs)
        flat, in_tree = tree_flatten((dyn_args, dyn_kw))
        flat = [x if isinstance(x, Array) else _as_arg(x) for x in flat]
        avals = tuple((tuple(a.shape), a.dtype, a.weak_type) for a in
                      (get_aval(x) for x in flat))
        key = (in_tree, avals, static, static_kw, _backend_of_args(flat).name,
               config.enable_x64)
        return flat, in_tree, key, static_pos, len(args)

    def _stage(self, flat, in_tree, static_pos, nargs, args, kwargs):
        box = []

        def flat_fun(*leaves):
            dyn_args, dyn_kw = tree_unflatten(in_tree, list(leaves))
            it = iter(dyn_args)
            full = [args[i] if i in static_pos else next(it) for i in range(nargs)]
            kw = dict(dyn_kw)
            kw.update({k: v for k, v in kwargs.items() if k in self.static_argnames})
            out = self.fun(*full, **kw)
            out_flat, out_tree = tree_flatten(out)
            box.append(out_tree)
            return [asarray(o) for o in out_flat]

        self.trace_count += 1
        avals = [get_aval(x) for x in flat]
        closed = trace_to_graph(flat_fun, avals, name=getattr(self.fun, "__name__", "fun"))
        return closed, box[-1]

    def _donated_leaves(self, args, static_pos):
        """Indices, among the flat dynamic leaves, of the leaves of the donated arguments."""
        if not self.donate_argnums:
            return ()
        nargs = len(args)
        donate = {i % nargs for i in self.donate_argnums if -nargs <= i < nargs}
        out, k = [], 0
        for i, a in enumerate(args):
            if i in static_pos:
                continue
            n = len(tree_flatten(a)[0])
            if i in donate:
                out.extend(range(k, k + n))
            k += n
        return tuple(out)

    def _entry(self, args, kwargs):
        flat, in_tree, key, static_pos, nargs = self._flat_and_key(args, kwargs)
        entry = self._cache.get(key)
        if entry is None:
            closed, out_tree = self._stage(flat, in_tree, static_pos, nargs, args, kwargs)
            donate = self._donated_leaves(args, static_pos) if not closed.captured else ()
            exe = compile_graph(closed.graph, _backend_of_args(flat), donate)
            entry = _CacheEntry(exe, out_tree, not closed.captured, closed.captured,
                                getattr(self.fun, "__name__", "fun"))
            if entry.cacheable:
                self._cache[key] = entry
        return entry, flat, in_tree

    def __call__(self, *args, **kwargs):
        if config.disable_jit:
            return self.fun(*args, **kwargs)
        if not kwargs and not core._tls.stack and self._fast_ok:
            # The hot path of a cached eager call with plain array arguments: one dict lookup
            # keyed by the buffers' shapes and dtypes, no pytree flattening; the call itself
            # enters through core.bind like every operation.
            try:
                key = _fast_key(args)
            except AttributeError:  # not all plain arrays: the general path below
                key = None
            if key is not None:
                entry = self._fast.get(key)
                if entry is not None and not (config.debug_nans or config.debug_infs):
                    return tree_unflatten(entry.out_tree, core.bind(jit_call_p, args,
                                                                    entry.params))
            elif self._tree is not None:
                # pytree arguments of the structure last seen: their leaves, walked once
                # against it (no structure built or hashed), then the same per-leaf key
                leaves = self._tree.match_leaves((list(args), {}))
                if leaves is not None:
                    try:
                        entry = self._tree_fast.get(_fast_key(leaves))
                    except AttributeError:  # a leaf that is not a plain array
                        entry = None
                    if entry is not None and not (config.debug_nans or config.debug_infs):
                        return tree_unflatten(entry.out_tree, core.bind(jit_call_p, leaves,
                                                                        entry.params))
        entry, flat, in_tree = self._entry(args, kwargs)
        if not kwargs and entry.cacheable and self._fast_ok:
            if len(flat) == len(args) and all(type(a) is Array and b is a
                                               for a, b in zip(args, flat)):
                self._fast[_fast_key(args)] = entry
            elif all(type(a) is Array for a in flat):
                if in_tree != self._tree:
                    self._tree, self._tree_fast = in_tree, {}
                self._tree_fast[_fast_key(flat)] = entry
        outs = core.bind(jit_call_p, (*flat, *entry.captured), entry.params)
        if (config.debug_nans or config.debug_infs) and _has_bad(outs):
            # Re-run eagerly: the eager interpreter raises at the first operation with a NaN
            # (or an infinity).
            with disable_jit():
                self.fun(*args, **kwargs)
        return tree_unflatten(entry.out_tree, list(outs))

    def trace(self, *args, **kwargs):
        """The staged graph for these arguments (traces, does not compile or run)."""
        return self.trace_with_tree(*args, **kwargs)[0]

    def trace_with_tree(self, *args, **kwargs):
        """``(graph, out_tree)``: the staged graph and the structure of the outputs."""
        flat, in_tree, key, static_pos, nargs = self._flat_and_key(args, kwargs)
        closed, out_tree = self._stage(flat, in_tree, static_pos, nargs, args, kwargs)
        return closed.graph, out_tree

    def lower(self, *args, **kwargs):
        """Trace and lower for these arguments, without compiling: a :class:`Lowered`, whose
        ``as_text()`` is the backend's program (StableHLO on XLA) and whose ``compile()``
        compiles it (as ``jax.jit(f).lower(*args).compile()``)."""
        flat, in_tree, key, static_pos, nargs = self._flat_and_key(args, kwargs)
        closed, out_tree = self._stage(flat, in_tree, static_pos, nargs, args, kwargs)
        if closed.captured:
            raise TypeError("jit.lower: the function closes over a traced value of an enclosing "
                            "transformation; lower it outside that transformation")
        return Lowered(self, closed.graph, _backend_of_args(flat), key, out_tree,
                       self._donated_leaves(args, static_pos))

    def _cache_size(self):
        return len(self._cache)

    def clear_cache(self):
        self._cache.clear()
        self._fast.clear()

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return functools.partial(self, obj)


class Lowered:
    """A jitted function traced and lowered for one signature (``JitFunction.lower``)."""

    def __init__(self, fn, graph, backend, key, out_tree, donate):
        self._fn, self.graph, self.backend = fn, graph, backend
        self._key, self._out_tree, self._donate = key, out_tree, donate

    def as_text(self) -> str:
        """The program the backend compiles: StableHLO on XLA; the graph elsewhere."""
        text = getattr(self.backend, "lower_text", None)
        return text(self.graph) if text is not None else str(self.graph)

    def compile(self):
        """Compile (and cache in the jitted function, so calling it does not compile again)."""
        exe = compile_graph(self.graph, self.backend, self._donate)
        entry = _CacheEntry(exe, self._out_tree, True, [])
        self._fn._cache[self._key] = entry
        return Compiled(self._fn, entry, self._key)


class Compiled:
    """A compiled signature of a jitted function: call it with arguments of that signature."""

    def __init__(self, fn, entry, key):
        self._fn, self._entry, self._key = fn, entry, key

    def __call__(self, *args, **kwargs):
        flat, _, key, _, _ = self._fn._flat_and_key(args, kwargs)
        if key != self._key:
            raise TypeError("Compiled: called with arguments of another signature than the "
                            "one it was lowered for; lower it again for these arguments")
        return tree_unflatten(self._entry.out_tree, list(self._entry.exe.run(*flat)))

    def as_text(self) -> str:
        return Lowered(self._fn, self._entry.exe.graph, self._entry.exe.backend, self._key,
                       self._entry.out_tree, ()).as_text()


def jit(fun=None, *, static_argnums=(), static_argnames=(), donate_argnums=()):
    """Stage ``fun`` to a graph once per signature, compile it, cache it.

    Examples
    --------
    >>> import tensorlib as tl, tensorlib.numpy as tnp
    >>> f = tl.jit(lambda x: tnp.sin(x) * 2)
    >>> f(tnp.zeros(2))
    Array([0., 0.], dtype=float32)
    """
    if fun is None:
        return lambda f: JitFunction(f, static_argnums, static_argnames, donate_argnums)
    return JitFunction(fun, static_argnums, static_argnames, donate_argnums)


def disable_jit(disable: bool = True):
    """Context manager: jitted functions run eagerly inside (for print, pdb, debug_nans).

    The setting holds in this thread (or asyncio task) only, and is restored on exit.

    Examples
    --------
    >>> @tl.jit
    ... def f(x):
    ...     print("x is", x)  # with jit, this prints a tracer once, at tracing time
    ...     return x + 1
    >>> with tl.disable_jit():
    ...     y = f(tnp.array([1, 2]))
    x is [1 2]
    """
    return config.scoped("disable_jit", bool(disable))


def enable_x64(new_val: bool = True):
    """Context manager: 64-bit types by default inside (``float64``, ``int64``), in this
    thread or asyncio task only; ``tl.config.update("enable_x64", ...)`` sets it for the
    process.

    Examples
    --------
    >>> with tl.enable_x64():
    ...     tnp.arange(3.0).dtype
    dtype('float64')
    >>> tnp.arange(3.0).dtype
    dtype('float32')
    """
    return config.scoped("enable_x64", bool(new_val))


def _has_bad(outs):
    """Whether an output holds a NaN (with debug_nans) or an infinity (with debug_infs)."""
    import numpy as np

    from tensorlib._src import dtypes

    for o in outs:
        c = core.concrete_or_none(o)
        if c is None or not dtypes.is_inexact(c.dtype):
            continue
        v = c.to_numpy()
        if (config.debug_nans and np.isnan(v).any()) or (config.debug_infs and np.isinf(v).any()):
            return True
    return False


def is_staged(x) -> bool:
    return isinstance(x, Tracer) and x.concrete_value() is None
