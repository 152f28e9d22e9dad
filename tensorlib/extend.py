"""Public API for new primitives, their rules and backend kernels.

Examples
--------
>>> import numpy as np
>>> import tensorlib.numpy as tnp
>>> from tensorlib.extend import Primitive, def_nondiff, def_shape, register_impl
>>> double_p = Primitive("my_double")
>>> _ = def_shape(double_p)(lambda x: x)
>>> _ = def_nondiff(double_p)
>>> _ = register_impl(double_p, (np.ndarray,), lambda x: x * 2)
>>> double_p.bind(tnp.ones(2))
Array([2., 2.], dtype=float32)
"""

from tensorlib._src.core import AbstractArray, Primitive
from tensorlib._src.dispatch import impl, register_impl
from tensorlib._src.rules import (
    def_batch,
    def_jvp,
    def_lowering,
    def_nondiff,
    def_shape,
    def_vjp,
)

__all__ = [
    "AbstractArray",
    "Primitive",
    "def_batch",
    "def_jvp",
    "def_lowering",
    "def_nondiff",
    "def_shape",
    "def_vjp",
    "impl",
    "register_impl",
]
