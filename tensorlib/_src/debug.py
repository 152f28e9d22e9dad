"""``tl.debug.print``: prints in eager mode and, when staged, each time the graph runs."""

from __future__ import annotations

import numpy as np

from tensorlib._src.core import Array, Primitive, asarray, concrete_or_none
from tensorlib._src.passes import def_effectful
from tensorlib._src.rules import def_inline
from tensorlib._src.transforms.batching import def_inline_batch
from tensorlib._src.transforms.staging import def_staging
from tensorlib._src.tree_util import tree_flatten, tree_unflatten

debug_print_p = Primitive("debug_print", multiple_results=True)
def_effectful(debug_print_p)


def _host(x):
    c = concrete_or_none(x)
    return np.asarray(c.to_numpy()) if c is not None else x


def _debug_print_impl(*args, fmt, in_tree):
    a, kw = tree_unflatten(in_tree, [_host(x) for x in args])
    print(fmt.format(*a, **kw))
    return []


debug_print_p.impl = _debug_print_impl
def_inline(debug_print_p)(lambda trace, tracers, params: _debug_print_impl(*tracers, **params))
def_inline_batch(debug_print_p)


def _debug_print_stage(trace, tracers, params):
    return trace.record(debug_print_p, tracers, params, [])


def_staging(debug_print_p)(_debug_print_stage)


def debug_print(fmt: str, *args, **kwargs) -> None:
    """Print ``fmt.format(*args, **kwargs)`` with the arrays' values, eagerly or under jit.

    Examples
    --------
    >>> import tensorlib as tl, tensorlib.numpy as tnp
    >>> tl.debug.print("x = {}", tnp.arange(3))
    x = [0 1 2]
    """
    leaves, tree = tree_flatten((list(args), kwargs))
    leaves = [x if isinstance(x, Array) else asarray(x) for x in leaves]
    debug_print_p.bind(*leaves, fmt=fmt, in_tree=tree)
