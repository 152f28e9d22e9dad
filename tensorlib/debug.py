"""Debugging helpers (``tl.debug.print``)."""

from tensorlib._src.debug import debug_print as print  # noqa: A001

__all__ = ["print"]
