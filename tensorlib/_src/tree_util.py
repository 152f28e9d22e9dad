"""Pytree utilities compatible with ``jax.tree_util``: the public ``tree_*`` functions.

A *pytree* is a nested structure of containers (nodes) whose non-container
elements are *leaves*.  The built-in node types are ``tuple``, ``list``,
``dict`` (children in sorted key order), namedtuples (any ``tuple`` subclass
with ``_fields``), ``None`` (a node with no children),
``collections.OrderedDict`` (insertion order) and ``collections.defaultdict``
(sorted keys, keeps ``default_factory``).  Further node types can be added
with :func:`register_pytree_node` and friends.  Everything else is a leaf.

The pytree modules (this one, ``pytree_keys``, ``pytree_registry`` and ``pytree_def``) are
deliberately standalone: they import only the standard library and each other, so they can be
used (and tested) without the rest of ``tensorlib``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from tensorlib._src.pytree_def import (
    IsLeafFn,
    PyTreeDef,
    _flatten,
    _flatten_up_to_or_raise,
    _flatten_with_path,
    _leaves,
)
from tensorlib._src.pytree_keys import KeyPath
from tensorlib._src.pytree_registry import _TUPLE, T, _kind_of

__all__ = [
    "all_leaves",
    "tree_all",
    "tree_flatten",
    "tree_flatten_with_path",
    "tree_leaves",
    "tree_leaves_with_path",
    "tree_map",
    "tree_map_with_path",
    "tree_reduce",
    "tree_structure",
    "tree_transpose",
    "tree_unflatten",
    "treedef_children",
    "treedef_is_leaf",
    "treedef_tuple",
]

# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def tree_flatten(tree: Any, is_leaf: IsLeafFn | None = None) -> tuple[list[Any], PyTreeDef]:
    """Flatten a pytree into its leaves and structure.

    Parameters
    ----------
    tree : Any
        The pytree to flatten.
    is_leaf : callable, optional
        Called on every subtree; if it returns true the subtree is a leaf.

    Returns
    -------
    leaves : list
        The leaves in canonical order (dicts by sorted key).
    treedef : PyTreeDef
        The structure, usable with :func:`tree_unflatten`.

    Examples
    --------
    >>> leaves, treedef = tree_flatten((1, [2, 3], {"a": 4}))
    >>> leaves
    [1, 2, 3, 4]
    >>> treedef
    PyTreeDef((*, [*, *], {'a': *}))
    """
    leaves: list[Any] = []
    treedef = _flatten(tree, leaves, is_leaf)
    return leaves, treedef


def tree_unflatten(treedef: PyTreeDef, leaves: Iterable[Any]) -> Any:
    """Rebuild a pytree from a treedef and leaves.

    Parameters
    ----------
    treedef : PyTreeDef
        The structure, e.g. from :func:`tree_flatten`.
    leaves : iterable
        Exactly ``treedef.num_leaves`` leaves.

    Returns
    -------
    Any
        The rebuilt pytree.

    Examples
    --------
    >>> _, treedef = tree_flatten([0, (0, 0)])
    >>> tree_unflatten(treedef, ["a", "b", "c"])
    ['a', ('b', 'c')]
    """
    return treedef.unflatten(leaves)


def tree_leaves(tree: Any, is_leaf: IsLeafFn | None = None) -> list[Any]:
    """Return the leaves of a pytree.

    Parameters
    ----------
    tree : Any
        The pytree.
    is_leaf : callable, optional
        Called on every subtree; if it returns true the subtree is a leaf.

    Returns
    -------
    list
        The leaves in canonical order.

    Examples
    --------
    >>> tree_leaves({"b": 1, "a": [2, None, 3]})
    [2, 3, 1]
    """
    leaves: list[Any] = []
    _leaves(tree, leaves, is_leaf)
    return leaves


def tree_structure(tree: Any, is_leaf: IsLeafFn | None = None) -> PyTreeDef:
    """Return the structure (treedef) of a pytree.

    Parameters
    ----------
    tree : Any
        The pytree.
    is_leaf : callable, optional
        Called on every subtree; if it returns true the subtree is a leaf.

    Returns
    -------
    PyTreeDef
        The structure.

    Examples
    --------
    >>> tree_structure({"x": (1, 2), "y": None})
    PyTreeDef({'x': (*, *), 'y': None})
    """
    return _flatten(tree, [], is_leaf)


def tree_map(f: Callable[..., Any], tree: Any, *rest: Any, is_leaf: IsLeafFn | None = None) -> Any:
    """Apply ``f`` leaf-wise, returning a pytree of the same structure.

    Parameters
    ----------
    f : callable
        Called as ``f(x, *xs)`` with one leaf of ``tree`` and the matching
        subtrees of ``rest``.
    tree : Any
        The pytree whose structure the result has.
    *rest : Any
        Pytrees that have ``tree``'s structure as a prefix.
    is_leaf : callable, optional
        Leaf predicate applied while flattening ``tree``.

    Returns
    -------
    Any
        ``tree``'s structure with leaves ``f(x, *xs)``.

    Raises
    ------
    ValueError
        If a tree in ``rest`` does not match ``tree``'s structure; the message
        names both structures and the path of the first difference.

    Examples
    --------
    >>> tree_map(lambda x: x * 2, {"a": 1, "b": (2, 3)})
    {'a': 2, 'b': (4, 6)}
    >>> tree_map(lambda x, y: x + y, [1, 2], [10, 20])
    [11, 22]
    """
    leaves, treedef = tree_flatten(tree, is_leaf)
    if not rest:
        return treedef.unflatten([f(x) for x in leaves])
    all_leaves = [leaves]
    for i, other in enumerate(rest):
        all_leaves.append(_rest_up_to(treedef, other, i, "tree_map"))
    return treedef.unflatten([f(*xs) for xs in zip(*all_leaves, strict=True)])


def _rest_up_to(treedef: PyTreeDef, other: Any, i: int, fname: str) -> list[Any]:
    labels = ("first tree", f"rest[{i}]")
    context = f"{fname}: rest[{i}] does not match the structure of the first tree. "
    return _flatten_up_to_or_raise(treedef, other, labels, context)


class _Missing:
    """Sentinel type for "argument not given"."""

    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


def tree_reduce(
    function: Callable[[T, Any], T],
    tree: Any,
    initializer: Any = _MISSING,
    is_leaf: IsLeafFn | None = None,
) -> T:
    """Reduce the leaves of a pytree with a binary function.

    Parameters
    ----------
    function : callable
        ``function(accumulator, leaf) -> accumulator``.
    tree : Any
        The pytree.
    initializer : Any, optional
        Starting value; without it the first leaf is used, and an empty tree
        raises ``TypeError``.
    is_leaf : callable, optional
        Leaf predicate.

    Returns
    -------
    Any
        The reduced value.

    Examples
    --------
    >>> tree_reduce(lambda a, b: a + b, [1, (2, 3)])
    6
    >>> tree_reduce(max, [], initializer=0)
    0
    """
    leaves = tree_leaves(tree, is_leaf)
    if initializer is _MISSING:
        return functools.reduce(function, leaves)
    return functools.reduce(function, leaves, initializer)


def tree_all(tree: Any, *, is_leaf: IsLeafFn | None = None) -> bool:
    """Return ``True`` if all leaves are truthy (``True`` for no leaves).

    Parameters
    ----------
    tree : Any
        The pytree.
    is_leaf : callable, optional
        Leaf predicate.

    Returns
    -------
    bool
        ``all(tree_leaves(tree))``.

    Examples
    --------
    >>> tree_all([True, {"a": 1}]), tree_all([True, 0])
    (True, False)
    """
    return all(tree_leaves(tree, is_leaf))


def tree_transpose(
    outer_treedef: PyTreeDef, inner_treedef: PyTreeDef | None, pytree_to_transpose: Any
) -> Any:
    """Turn an outer-of-inner pytree into an inner-of-outer pytree.

    Parameters
    ----------
    outer_treedef : PyTreeDef
        The outer structure.
    inner_treedef : PyTreeDef or None
        The inner structure; inferred from the first outer leaf if ``None``.
    pytree_to_transpose : Any
        A pytree with structure ``outer_treedef.compose(inner_treedef)``.

    Returns
    -------
    Any
        A pytree with structure ``inner_treedef.compose(outer_treedef)``.

    Raises
    ------
    TypeError
        If the pytree's structure is not ``outer`` composed with ``inner``.

    Examples
    --------
    >>> outer = tree_structure([0, 0, 0])
    >>> inner = tree_structure((0, 0))
    >>> tree_transpose(outer, inner, [(1, 2), (3, 4), (5, 6)])
    ([1, 3, 5], [2, 4, 6])
    """
    flat, treedef = tree_flatten(pytree_to_transpose)
    if inner_treedef is None:
        inner_treedef = tree_structure(outer_treedef.flatten_up_to(pytree_to_transpose)[0])
    expected = outer_treedef.compose(inner_treedef)
    if treedef != expected:
        raise TypeError(
            "tree_transpose: structure mismatch.\n"
            f"  expected (outer.compose(inner)): {expected!r}\n"
            f"  actual:                          {treedef!r}"
        )
    inner_size = inner_treedef.num_leaves
    columns = [flat[j::inner_size] for j in range(inner_size)]
    return inner_treedef.unflatten([outer_treedef.unflatten(c) for c in columns])


def tree_flatten_with_path(
    tree: Any, is_leaf: Callable[..., bool] | None = None, is_leaf_takes_path: bool = False
) -> tuple[list[tuple[KeyPath, Any]], PyTreeDef]:
    """Flatten a pytree, pairing each leaf with its key path.

    Parameters
    ----------
    tree : Any
        The pytree.
    is_leaf : callable, optional
        Leaf predicate, called as ``is_leaf(x)`` or, if ``is_leaf_takes_path``,
        as ``is_leaf(path, x)``.
    is_leaf_takes_path : bool, optional
        See ``is_leaf``.

    Returns
    -------
    path_leaves : list of (tuple, Any)
        ``(key_path, leaf)`` pairs in canonical order.
    treedef : PyTreeDef
        The structure.

    Examples
    --------
    >>> pairs, _ = tree_flatten_with_path({"a": [1, 2]})
    >>> [(keystr(p), x) for p, x in pairs]
    [("['a'][0]", 1), ("['a'][1]", 2)]
    """
    out: list[tuple[KeyPath, Any]] = []
    treedef = _flatten_with_path(tree, (), out, is_leaf, is_leaf_takes_path)
    return out, treedef


def tree_leaves_with_path(
    tree: Any, is_leaf: Callable[..., bool] | None = None, is_leaf_takes_path: bool = False
) -> list[tuple[KeyPath, Any]]:
    """Return ``(key_path, leaf)`` pairs of a pytree.

    Parameters
    ----------
    tree : Any
        The pytree.
    is_leaf : callable, optional
        Leaf predicate (see :func:`tree_flatten_with_path`).
    is_leaf_takes_path : bool, optional
        Whether ``is_leaf`` is called as ``is_leaf(path, x)``.

    Returns
    -------
    list of (tuple, Any)
        The pairs.

    Examples
    --------
    >>> [keystr(p) for p, _ in tree_leaves_with_path((1, {"k": 2}))]
    ['[0]', "[1]['k']"]
    """
    return tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)[0]


def tree_map_with_path(
    f: Callable[..., Any],
    tree: Any,
    *rest: Any,
    is_leaf: Callable[..., bool] | None = None,
    is_leaf_takes_path: bool = False,
) -> Any:
    """Like :func:`tree_map`, but ``f`` also receives the key path.

    Parameters
    ----------
    f : callable
        Called as ``f(path, x, *xs)``.
    tree : Any
        The pytree whose structure the result has.
    *rest : Any
        Pytrees that have ``tree``'s structure as a prefix.
    is_leaf : callable, optional
        Leaf predicate (see :func:`tree_flatten_with_path`).
    is_leaf_takes_path : bool, optional
        Whether ``is_leaf`` is called as ``is_leaf(path, x)``.

    Returns
    -------
    Any
        ``tree``'s structure with leaves ``f(path, x, *xs)``.

    Examples
    --------
    >>> tree_map_with_path(lambda p, x: f"{keystr(p)}={x}", {"a": 1, "b": [2]})
    {'a': "['a']=1", 'b': ["['b'][0]=2"]}
    """
    pairs, treedef = tree_flatten_with_path(tree, is_leaf, is_leaf_takes_path)
    paths = [p for p, _ in pairs]
    all_leaves = [[x for _, x in pairs]]
    for i, other in enumerate(rest):
        all_leaves.append(_rest_up_to(treedef, other, i, "tree_map_with_path"))
    return treedef.unflatten([f(p, *xs) for p, *xs in zip(paths, *all_leaves, strict=True)])


def all_leaves(iterable: Iterable[Any], is_leaf: IsLeafFn | None = None) -> bool:
    """Return ``True`` if every element of ``iterable`` is a leaf.

    Parameters
    ----------
    iterable : iterable
        Candidate leaves.
    is_leaf : callable, optional
        Extra leaf predicate.

    Returns
    -------
    bool
        Whether no element is a pytree node (``None`` counts as a node).

    Examples
    --------
    >>> all_leaves([1, "a"]), all_leaves([1, (2,)])
    (True, False)
    """
    if is_leaf is None:
        return all(_kind_of(x) is None for x in iterable)
    return all(is_leaf(x) or _kind_of(x) is None for x in iterable)


def treedef_is_leaf(treedef: PyTreeDef) -> bool:
    """Return ``True`` if ``treedef`` has a single node (a leaf or ``None``).

    Parameters
    ----------
    treedef : PyTreeDef
        The structure.

    Returns
    -------
    bool
        ``treedef.num_nodes == 1``.

    Examples
    --------
    >>> treedef_is_leaf(tree_structure(1)), treedef_is_leaf(tree_structure([1]))
    (True, False)
    """
    return treedef.num_nodes == 1


def treedef_children(treedef: PyTreeDef) -> list[PyTreeDef]:
    """Return the child treedefs of the root of ``treedef``.

    Parameters
    ----------
    treedef : PyTreeDef
        The structure.

    Returns
    -------
    list of PyTreeDef
        ``treedef.children()``.

    Examples
    --------
    >>> treedef_children(tree_structure((1, [2])))
    [PyTreeDef(*), PyTreeDef([*])]
    """
    return treedef.children()


def treedef_tuple(treedefs: Iterable[PyTreeDef]) -> PyTreeDef:
    """Return the treedef of a tuple whose elements have the given structures.

    Parameters
    ----------
    treedefs : iterable of PyTreeDef
        Structures of the tuple's elements.

    Returns
    -------
    PyTreeDef
        The tuple structure.

    Examples
    --------
    >>> treedef_tuple([tree_structure(1), tree_structure([1, 2])])
    PyTreeDef((*, [*, *]))
    """
    children = tuple(treedefs)
    return PyTreeDef(_TUPLE, None, children, sum(c.num_leaves for c in children))
