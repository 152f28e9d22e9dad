"""The core: abstract values, primitives, ``bind``, ``Array``, tracers and the trace stack.

Every operation ends in ``Primitive.bind``. With no transformation active, ``bind`` runs the
backend kernel chosen by multiple dispatch on the buffer types (resolved once per type
signature and cached). Under transformations, ``bind`` hands the primitive to the innermost
trace that owns one of its inputs; traces are interpreters (tape, forward mode, batching,
staging) that may themselves ``bind`` at the level below.
"""

from __future__ import annotations

import itertools
import threading

import numpy as np

from tensorlib._src import config as config_module
from tensorlib._src import dtypes, loader
from tensorlib._src.config import config
from tensorlib.errors import LeakedTracerError, ShapeError, TensorlibError

# --------------------------------------------------------------------------------------------
# Abstract values


class AbstractArray:
    """Shape, dtype and weak-type flag of an array: what staging and shape rules see."""

    __slots__ = ("shape", "dtype", "weak_type")

    def __init__(self, shape, dtype, weak_type=False):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.weak_type = bool(weak_type)

    @classmethod
    def trusted(cls, shape, dtype, weak_type):
        """Build from values that are already a tuple, a np.dtype and a bool (hot paths)."""
        a = object.__new__(cls)
        a.shape = shape
        a.dtype = dtype
        a.weak_type = weak_type
        return a

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    def update(self, shape=None, dtype=None, weak_type=None):
        return AbstractArray(
            self.shape if shape is None else shape,
            self.dtype if dtype is None else dtype,
            self.weak_type if weak_type is None else weak_type,
        )

    def strip_weak(self):
        return AbstractArray(self.shape, self.dtype, False)

    def __eq__(self, other):
        return (
            type(other) is AbstractArray
            and self.shape == other.shape
            and self.dtype == other.dtype
            and self.weak_type == other.weak_type
        )

    def __hash__(self):
        return hash((self.shape, self.dtype, self.weak_type))

    def str_short(self):
        return dtypes.short_aval(self.shape, self.dtype, self.weak_type)

    def __repr__(self):
        return f"AbstractArray({self.str_short()})"


# --------------------------------------------------------------------------------------------
# Primitives

_registry: dict[str, Primitive] = {}

WEAK_NEVER, WEAK_ALL_INPUTS, WEAK_FIRST, WEAK_PARAM, WEAK_ALL_BUT_FIRST, WEAK_RULE = range(6)


class Primitive:
    """A named operation with a rule table (shape, JVP, VJP, batching, impls, lowerings).

    ``weak`` says how the eager fast path sets the output's weak type without running the
    shape rule: never weak, weak when every input is weak, as the first input, as the
    ``weak_type`` param says, or (``WEAK_RULE``: control flow) as the shape rule says.
    """

    __slots__ = ("name", "multiple_results", "weak", "impl", "_impl_cache", "__weakref__")

    def __init__(self, name: str, *, multiple_results: bool = False, weak: int = WEAK_ALL_INPUTS):
        if name in _registry:
            raise ValueError(f"Primitive {name!r} is already registered")
        self.name = name
        self.multiple_results = multiple_results
        self.weak = weak
        # Higher-order primitives (custom rules, control flow) run eagerly through ``impl``,
        # a function of Arrays, instead of a backend kernel.
        self.impl = None
        self._impl_cache: dict = {}
        _registry[name] = self

    def bind(self, *args, **params):
        return bind(self, args, params)

    def __repr__(self):
        return self.name


def primitives() -> dict[str, Primitive]:
    """Every registered primitive, by name."""
    return dict(_registry)


# --------------------------------------------------------------------------------------------
# The trace stack


class _TraceState(threading.local):
    def __init__(self):
        self.stack: list[Trace] = []
        # The level that receives operations on plain arrays: 0 (eager) unless staging.
        self.dynamic: Trace | None = None


_tls = _TraceState()


class Trace:
    """One active transformation. Subclasses are interpreters: tape, jvp, batch, staging.

    A subclass that carries state takes it as typed constructor arguments after ``level``
    (the tape's equations, the batch size and axis name, the graph being built), passed
    through :class:`new_trace`.
    """

    __slots__ = ("level", "active")

    def __init__(self, level: int):
        self.level = level
        self.active = True

    # The named axis this level binds (vmap/pmap's ``axis_name``): an object with
    # ``axis_name`` and ``size``, or None. Collectives look for it down the stack.
    axis = None

    def pure(self, val):
        raise NotImplementedError(type(self).__name__ + ".pure")

    lift = pure

    def process_primitive(self, prim, tracers, params):
        raise NotImplementedError(type(self).__name__ + ".process_primitive")

    def process(self, prim, args, params):
        """Entry from ``bind``: raise the arguments to this level, then interpret."""
        return self.process_primitive(prim, [self.full_raise(a) for a in args], params)

    def full_raise(self, val):
        if isinstance(val, Tracer):
            trace = val._trace
            if trace is self:
                return val
            if not trace.active:
                raise_leaked(val)
            if trace.level < self.level:
                return self.lift(val)
            raise LeakedTracerError(
                f"a value of transformation level {trace.level} reached level {self.level}: "
                "a tracer escaped the function that created it"
            )
        return self.pure(val)

    def __repr__(self):
        return f"{type(self).__name__}(level={self.level})"


_trace_ids = itertools.count(1)


class new_trace:
    """Context manager that pushes one trace of ``trace_type`` on this thread's stack.

    The stack is always restored, even when the traced function raises, so a failed
    transformation leaves no level behind.
    """

    __slots__ = ("trace_type", "args", "trace", "dynamic", "_prev")

    def __init__(self, trace_type, *args, dynamic=False):
        self.trace_type = trace_type
        self.args = args  # the trace type's own constructor arguments, after the level
        self.dynamic = dynamic

    def __enter__(self):
        stack = _tls.stack
        self.trace = trace = self.trace_type(len(stack) + 1, *self.args)
        stack.append(trace)
        if self.dynamic:
            self._prev = _tls.dynamic
            _tls.dynamic = trace
        return trace

    def __exit__(self, *exc):
        stack = _tls.stack
        self.trace.active = False
        # Pop down to (and including) our trace, whatever an exception left above it.
        while stack:
            t = stack.pop()
            t.active = False
            if t is self.trace:
                break
        if self.dynamic:
            _tls.dynamic = self._prev
        return False


def trace_depth() -> int:
    return len(_tls.stack)


def raise_leaked(tracer):
    raise LeakedTracerError(
        f"a traced value {tracer.aval.str_short()} from {type(tracer._trace).__name__} was "
        "used after the transformation that created it returned (for example, it was stored "
        "in a global or a closure). Return it from the transformed function instead."
    )


# --------------------------------------------------------------------------------------------
# bind


def bind(prim: Primitive, args, params):
    """The one entry point of every operation: hand ``prim`` to the innermost transformation
    that owns one of ``args`` (or the dynamic one, while staging), or run it now.

    ``args`` is a sequence and ``params`` a dict, taken as they are (no packing): callers on
    hot paths pass a shared empty dict. ``Primitive.bind(*args, **params)`` calls this.
    """
    if not _tls.stack:
        return eval_primitive(prim, args, params)
    top = _tls.dynamic
    level = top.level if top is not None else 0
    for a in args:
        if isinstance(a, Tracer):
            t = a._trace
            if not t.active:
                raise_leaked(a)
            if t.level > level:
                top, level = t, t.level
    if top is None:
        return eval_primitive(prim, args, params)
    return top.process(prim, args, params)


def eval_primitive(prim, args, params):
    """Run ``prim`` now on concrete arrays (the eager interpreter).

    The hot path: unwrap, one dict lookup keyed by the buffer types, call, wrap. Arities 1 and
    2 are spelled out because building lists costs as much as the NumPy call on small arrays.
    """
    if prim.impl is not None:
        return prim.impl(*args, **params)
    try:
        try:
            n = len(args)
            if n == 2:
                x, y = args
                bx, by = x._buf, y._buf
                fn = prim._impl_cache.get((bx.__class__, by.__class__))
                if fn is not None:
                    out = fn(bx, by, **params)
                    if prim.weak == WEAK_ALL_INPUTS and not prim.multiple_results:
                        res = Array(out, x._weak and y._weak)
                        return res if _fast[0] else _checks(prim, args, params, res)
                    return _finish(prim, args, params, out)
            elif n == 1:
                bx = args[0]._buf
                fn = prim._impl_cache.get((bx.__class__,))
                if fn is not None:
                    out = fn(bx, **params)
                    if prim.weak == WEAK_ALL_INPUTS and not prim.multiple_results:
                        res = Array(out, args[0]._weak)
                        return res if _fast[0] else _checks(prim, args, params, res)
                    return _finish(prim, args, params, out)
            bufs = [a._buf for a in args]
        except AttributeError:
            args = [_as_array_arg(prim, a) for a in args]
            bufs = [a._buf for a in args]
        key = tuple([type(b) for b in bufs]) if bufs else (current_backend().buffer_type,)
        fn = prim._impl_cache.get(key)
        if fn is None:
            from tensorlib._src.dispatch import resolve  # dispatch imports multipledispatch

            fn = resolve(prim, key)
        out = fn(*bufs, **params)
        return _finish(prim, args, params, out)
    except TensorlibError:
        raise
    except (ValueError, TypeError, IndexError, np.linalg.LinAlgError) as e:
        raise _kernel_error(prim, args, params, e) from e


def _kernel_error(prim, args, params, e):
    """A kernel's exception as tensorlib's own: the shape rule's message when it objects."""
    from tensorlib._src.rules import shape_rules

    rule = shape_rules.get(prim)
    if rule is not None:
        try:
            rule(*[get_aval(a) for a in args], **params)
        except TensorlibError as rule_error:
            return rule_error
    shapes = ", ".join(get_aval(a).str_short() for a in args)
    return ShapeError(f"{prim.name}: the kernel failed on {shapes} with {params}: {e}")


# _fast[0] is True when none of check_rules, debug_nans, debug_infs is on (kept in sync by a
# listener).
_fast = [True]


def _sync_fast(name=None, value=None):
    _fast[0] = not (config.check_rules or config.debug_nans or config.debug_infs)


config._listeners.append(_sync_fast)
_sync_fast()


def _finish(prim, args, params, out):
    if prim.multiple_results:
        if prim.weak == WEAK_RULE:
            from tensorlib._src.rules import shape_rules

            avals = shape_rules[prim](*[get_aval(a) for a in args], **params)
            outs = [Array(o, a.weak_type) for o, a in zip(out, avals)]
        else:
            outs = [Array(o, False) for o in out]
        if config.check_rules:
            _check_rules(prim, args, params, outs)
        return outs
    w = prim.weak
    if w == WEAK_NEVER:
        weak = False
    elif w == WEAK_FIRST:
        weak = args[0]._weak if args else False
    elif w == WEAK_PARAM:
        weak = params["weak_type"]
    elif w == WEAK_ALL_BUT_FIRST:
        weak = all([a._weak for a in args[1:]])
    else:
        weak = all([a._weak for a in args]) if args else False
    res = Array(out, weak)
    return res if _fast[0] else _checks(prim, args, params, res)


def _checks(prim, args, params, res):
    """The opt-in checks (rule consistency, NaNs, infinities), after the same fast path users
    take."""
    if config.check_rules:
        _check_rules(prim, args, params, [res])
    if config.debug_nans:
        _check_nans(prim, res)
    if config.debug_infs:
        _check_infs(prim, res)
    return res


def _as_array_arg(prim, a):
    if isinstance(a, Tracer):
        raise_leaked(a)
    return asarray(a)


def _check_rules(prim, args, params, outs):
    from tensorlib._src.rules import shape_rules

    rule = shape_rules.get(prim)
    if rule is None:
        return
    avals = rule(*[a.aval for a in args], **params)
    avals = avals if prim.multiple_results else [avals]
    for i, (aval, o) in enumerate(zip(avals, outs)):
        if aval.shape != o.shape or aval.dtype != o.dtype or aval.weak_type != o._weak:
            raise AssertionError(
                f"{prim.name}: shape rule gives {aval.str_short()} for output {i} but the "
                f"kernel returned {o.aval.str_short()} (params {params})"
            )


def _check_infs(prim, res):
    _check_values(prim, res, np.isinf, "inf", "debug_infs", "InfError")


def _check_nans(prim, res):
    _check_values(prim, res, np.isnan, "NaN", "debug_nans", "NaNError")


def _check_values(prim, res, test, what, option, error):
    if dtypes.is_inexact(res.dtype) and res.size and test(res.to_numpy()).any():
        from tensorlib import errors
        from tensorlib._src.errors_util import user_frame

        raise getattr(errors, error)(
            f"{option}: primitive '{prim.name}' produced {what} in its output "
            f"{res.aval.str_short()} (at {user_frame()}). Turn the check off with "
            f"tensorlib.config.update('{option}', False)."
        )


# --------------------------------------------------------------------------------------------
# Array


class Array:
    """An immutable n-dimensional array that wraps one backend buffer.

    Operators, methods and indexing are attached by ``tensorlib._src.array_methods``.
    """

    __slots__ = ("_buf", "_weak", "__weakref__")
    __array_priority__ = 100

    def __init__(self, buf, weak=False):
        self._buf = buf
        self._weak = weak

    @property
    def shape(self) -> tuple:
        return self._buf.shape

    @property
    def dtype(self):
        return self._buf.dtype

    @property
    def ndim(self) -> int:
        return self._buf.ndim

    @property
    def size(self) -> int:
        return self._buf.size

    @property
    def weak_type(self) -> bool:
        return self._weak

    @property
    def aval(self) -> AbstractArray:
        b = self._buf
        return AbstractArray.trusted(b.shape, b.dtype, self._weak)

    @property
    def backend(self):
        return backend_of(self._buf)

    def to_numpy(self) -> np.ndarray:
        return self.backend.to_numpy(self._buf)

    def block_until_ready(self):
        self.backend.block_until_ready(self._buf)
        return self

    def is_concrete(self) -> bool:
        return True


class Tracer(Array):
    """A value inside a transformation. Subclasses carry what their interpreter needs."""

    __slots__ = ("_trace",)

    @property
    def aval(self) -> AbstractArray:
        raise NotImplementedError(type(self).__name__ + ".aval")

    @property
    def shape(self):
        return self.aval.shape

    @property
    def dtype(self):
        return self.aval.dtype

    @property
    def ndim(self):
        return len(self.aval.shape)

    @property
    def size(self):
        return self.aval.size

    @property
    def weak_type(self):
        return self.aval.weak_type

    @property
    def _weak(self):
        return self.aval.weak_type

    def concrete_value(self):
        """The concrete Array under this tracer, or None if it is abstract (staged)."""
        return None

    def to_numpy(self):
        v = self.concrete_value()
        if v is None:
            from tensorlib._src.errors_util import concretization_error

            raise concretization_error(self, "numpy.asarray()")
        return v.to_numpy()

    @property
    def backend(self):
        v = self.concrete_value()
        return v.backend if v is not None else current_backend()

    def block_until_ready(self):
        return self

    def is_concrete(self) -> bool:
        return self.concrete_value() is not None


def get_aval(x) -> AbstractArray:
    if type(x) is Array:
        b = x._buf
        return AbstractArray.trusted(b.shape, b.dtype, x._weak)
    if isinstance(x, Array):
        return x.aval
    dt = dtypes.scalar_dtype(x)
    return AbstractArray(np.shape(x), dt, type(x) in (bool, int, float, complex))


def concrete_or_none(x):
    """The concrete Array behind ``x`` (through jvp/tape tracers), or None."""
    if type(x) is Array:
        return x
    if isinstance(x, Tracer):
        v = x.concrete_value()
        return concrete_or_none(v) if v is not None else None
    return None


# --------------------------------------------------------------------------------------------
# Backends (selection lives in tensorlib._src.backend; these are the hot-path hooks)

_backend_by_type = loader.by_type
_current = [None]  # the configured backend (config.backend), resolved once


def backend_of(buf):
    b = _backend_by_type.get(type(buf))
    return b if b is not None else loader.for_buffer(buf)


_scoped_backend = config_module._SCOPED["backend"]


def current_backend():
    """The backend new arrays are created on: a ``with tl.backend(...)`` override of this
    thread/task, else the configured one."""
    name = _scoped_backend.get()
    if name is not None:
        return loader.load(name)
    b = _current[0]
    if b is None:
        b = _current[0] = loader.load(config.backend)
    return b


_PY_SCALARS = (bool, int, float, complex)


def asarray(x, dtype=None) -> Array:
    """The one conversion of an operand to an Array; every layer calls it.

    An Array (or a traced value) is returned as it is. A Python scalar becomes a weakly typed
    0-d array of the default dtype of its kind (JAX's rule), unless ``dtype`` is given.
    Anything else NumPy can convert (NumPy arrays and scalars, nested sequences of numbers,
    objects with ``__array__``) becomes an Array of the current backend, with 64-bit dtypes
    narrowed unless ``enable_x64`` is on. ``tensorlib.numpy.asarray`` adds what needs
    operations: a dtype change of an Array, sequences that hold Arrays.
    """
    if isinstance(x, Array):
        return x
    be = current_backend()
    if dtype is None and type(x) in _PY_SCALARS:
        dt = dtypes.scalar_dtype(x)
        if type(x) is int:
            info = np.iinfo(dt)
            if not info.min <= x <= info.max:
                raise OverflowError(
                    f"Python int {x} is too large for {dt} (the default integer type); "
                    "enable 64-bit types with tl.config.update('enable_x64', True) or pass "
                    "an explicit dtype"
                )
        return Array(be.from_numpy(np.asarray(x, dtype=dt)), True)
    if hasattr(x, "__array_namespace__") and not isinstance(x, np.ndarray):
        x = np.asarray(x)  # another library's array (DLPack-capable or not): through the host
    arr = np.asarray(x, dtype=None if dtype is None else np.dtype(dtype))
    if arr.dtype == object:
        raise TypeError(f"asarray: cannot convert {type(x).__name__} to an array")
    if arr.dtype.kind in "US":
        raise TypeError(f"asarray: string arrays are not supported ({arr.dtype})")
    target = dtypes.canonicalize(arr.dtype if dtype is None else dtype)
    return Array(be.from_numpy(arr.astype(target, copy=False)), False)
