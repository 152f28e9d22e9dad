"""Public exception classes. Each subclasses a builtin, so ``except ValueError`` still works."""


class TensorlibError(Exception):
    """Mixin base of every tensorlib error."""


class ShapeError(TensorlibError, ValueError):
    """Shapes of the operands do not fit the operation."""


class DTypeError(TensorlibError, TypeError):
    """Dtypes of the operands do not fit the operation."""


class BackendMismatchError(TensorlibError, ValueError):
    """Arrays from two backends (or devices) were mixed in one operation."""


class BackendNotAvailableError(TensorlibError, ImportError):
    """The requested backend's dependency is not installed."""


class ConfigError(TensorlibError, ValueError):
    """Unknown configuration option or value."""


class MissingRuleError(TensorlibError, NotImplementedError):
    """A primitive lacks a rule a transformation needs."""

    def __init__(self, kind: str, prim):
        name = getattr(prim, "name", prim)
        helper = {"VJP": "def_vjp", "JVP": "def_jvp", "shape": "def_shape",
                  "batching": "def_batch"}.get(kind, "def_" + kind.lower())
        super().__init__(
            f"No {kind} rule for primitive '{name}'. Define one with "
            f"tensorlib.extend.{helper}, or declare it with def_nondiff."
        )
        self.kind = kind
        self.prim = prim


class ControlFlowError(TensorlibError, TypeError):
    """Bad use of a structured control-flow primitive (``cond``, ``switch``, ``scan``,
    ``while_loop``): branches or bodies whose outputs differ in structure, shape or dtype."""


class NonDifferentiableError(TensorlibError, TypeError):
    """grad was asked to differentiate with respect to an integer or boolean input."""


class ConcretizationError(TensorlibError, TypeError):
    """A traced value was used where a concrete Python value is needed."""


class ConcretizationTypeError(ConcretizationError):
    """JAX's name: a traced value was turned into a Python number (``float(x)``,
    ``x.tolist()``) or used where a concrete value is needed (a staged or batched value)."""


class TracerArrayConversionError(ConcretizationError):
    """A traced value was converted to a NumPy array (``np.sin(x)``, ``np.asarray(x)``):
    the result would leave the transformation (its derivative, its batch axis, its graph)."""


class TracerBoolConversionError(ConcretizationTypeError):
    """A staged or batched value was used as a Python bool (``if x > 0:``)."""


class TracerIntegerConversionError(ConcretizationTypeError):
    """A staged or batched value was used as a Python int or an index."""


class LeakedTracerError(TensorlibError, RuntimeError):
    """A value traced inside a transformation was used after that transformation ended."""


class NaNError(TensorlibError, FloatingPointError):
    """debug_nans found a NaN produced by an operation."""


class InfError(TensorlibError, FloatingPointError):
    """``debug_infs``: an operation produced an infinity."""


class MissingKernelError(TensorlibError, NotImplementedError):
    """No backend kernel is registered for a primitive and these buffer types."""


class OutOfMemoryError(TensorlibError, MemoryError):
    """A result larger than the machine's memory was asked for; raised before allocating."""


class DeletedArrayError(TensorlibError, RuntimeError):
    """The array's buffer was donated to a jitted function (``donate_argnums``) and is gone."""
