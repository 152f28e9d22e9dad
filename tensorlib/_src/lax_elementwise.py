"""Elementwise ``lax`` functions composed of primitives: ``select`` and ``clamp``."""

from __future__ import annotations

from tensorlib._src.ops import elementwise as ew


def select(pred, on_true, on_false):
    """``on_true`` where ``pred`` else ``on_false`` (equal shapes, as in ``jax.lax.select``).

    Examples
    --------
    >>> lax.select(tnp.array([True, False]), tnp.array([1, 2]), tnp.array([10, 20]))
    Array([ 1, 20], dtype=int32)
    """
    return ew.select_n(pred, on_false, on_true)


def clamp(min, x, max):
    """Elementwise ``x`` clipped to ``[min, max]`` (note the argument order, as in JAX).

    Examples
    --------
    >>> lax.clamp(0, tnp.array([-1, 5, 11]), 10)
    Array([ 0,  5, 10], dtype=int32)
    """
    return ew.min(ew.max(x, min), max)

