"""Error helpers shared by the front end: concretization errors and user-frame lookup."""

from __future__ import annotations

import math
import os
import sys

from tensorlib.errors import ConcretizationTypeError

_LIB_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def user_frame():
    """``file:line`` of the innermost stack frame outside tensorlib (the user's line)."""
    f = sys._getframe(1)
    while f is not None:
        fn = f.f_code.co_filename
        module = f.f_globals.get("__name__") or ""
        # the library: its files, its modules wherever installed (the backends of an
        # editable install live outside the package folder), and code it generated
        if not (fn.startswith(_LIB_DIR) or module == "tensorlib"
                or module.startswith("tensorlib.") or fn.startswith("<tensorlib")):
            return f"{fn}:{f.f_lineno}"
        f = f.f_back
    return "<unknown>"


_KIND = {"StagingTrace": "jit", "BatchTrace": "vmap", "TapeTrace": "grad (reverse mode)",
         "JVPTrace": "jvp (forward mode)"}
_CONTROL_BODIES = {"scan body", "cond branch", "switch branch", "while body", "while cond",
                   "checkpoint"}


def concretization_error(tracer, what, cls=ConcretizationTypeError):
    aval = tracer.aval.str_short() if hasattr(tracer, "aval") else repr(tracer)
    trace = getattr(tracer, "_trace", None)
    kind = _KIND.get(type(trace).__name__, "a transformation")
    fix = ("mark the argument static with static_argnums" if kind == "jit"
           else "restructure the computation so it does not depend on the value")
    body = getattr(getattr(trace, "builder", None), "name", "fun")
    if kind == "jit" and body in _CONTROL_BODIES:
        kind = f"a {body}"
        fix = ("keep the decision in the graph: lax control flow traces its functions once, on "
               "abstract values")
    return cls(
        f"{what} needs a concrete value, but got a traced value {aval} inside {kind} (at "
        f"{user_frame()}). Python control flow and conversions cannot see values inside "
        f"{kind}: use tensorlib.lax.cond / tensorlib.numpy.where for branches, or {fix}."
    )


def leaving_error(tracer, what, cls):
    """A traced value converted to a NumPy array or a Python number: even where its value is
    known (under grad, jvp), the result would drop what the transformation carries."""
    aval = tracer.aval.str_short() if hasattr(tracer, "aval") else repr(tracer)
    kind = _KIND.get(type(getattr(tracer, "_trace", None)).__name__, "a transformation")
    return cls(
        f"{what} was called on a traced value {aval} inside {kind} (at {user_frame()}): the "
        f"result would leave the transformation, so its derivative (or batch axis, or graph) "
        "would be lost silently. Use tensorlib.numpy functions instead of NumPy's (tnp.sin, "
        "not np.sin), keep values as arrays instead of Python numbers, and print them with "
        "tensorlib.debug.print."
    )


def _physical_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not a POSIX system: no check
        return None


PHYSICAL_MEMORY = _physical_memory()


def check_result_size(op, shape, dtype):
    """Raise OutOfMemoryError when an array of ``shape`` and ``dtype`` could not fit in this
    machine's memory, before anything allocates it (or walks a broadcast view that large)."""
    nbytes = math.prod(shape) * dtype.itemsize  # in C: this sits on eager broadcasts' path
    if PHYSICAL_MEMORY is not None and nbytes > PHYSICAL_MEMORY:
        from tensorlib.errors import OutOfMemoryError

        raise OutOfMemoryError(
            f"{op}: a result of shape {tuple(shape)} and dtype {dtype} needs {nbytes:,} bytes, "
            f"more than this machine's {PHYSICAL_MEMORY:,} bytes of memory (at {user_frame()})"
        )

