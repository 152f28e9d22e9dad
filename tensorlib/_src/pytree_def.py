"""``PyTreeDef`` and the recursive walks that build, rebuild and match it.

Flattening is on the hot path of every transformation call, so the core walks are small
recursive functions that look node handlers up by exact ``type(x)`` in a dict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tensorlib._src.pytree_keys import KeyPath, keystr
from tensorlib._src.pytree_registry import (
    _DICT,
    _NAMEDTUPLE,
    _NONE,
    _ORDERED_DICT,
    _kind_of,
    _NodeKind,
    _registry,
    _registry_get,
)

__all__ = [
    "PyTreeDef",
]

IsLeafFn = Callable[[Any], bool]


# ---------------------------------------------------------------------------
# PyTreeDef
# ---------------------------------------------------------------------------


class PyTreeDef:
    """Immutable, hashable description of a pytree's structure.

    Built by :func:`tree_flatten` / :func:`tree_structure`; not meant to be
    constructed directly.  Leaves are shown as ``*`` in the repr.
    """

    __slots__ = ("_aux", "_children", "_hash", "_kind", "_num_leaves", "_num_nodes")

    def __init__(
        self,
        kind: _NodeKind | None,
        aux: Any,
        children: tuple[PyTreeDef, ...],
        num_leaves: int,
    ) -> None:
        self._kind = kind
        self._aux = aux
        self._children = children
        self._num_leaves = num_leaves
        self._num_nodes = -1
        self._hash = -1

    @property
    def num_leaves(self) -> int:
        """Number of leaves in the structure."""
        return self._num_leaves

    @property
    def num_nodes(self) -> int:
        """Number of nodes, counting leaves and ``None`` nodes."""
        if self._num_nodes < 0:
            self._num_nodes = 1 + sum(c.num_nodes for c in self._children)
        return self._num_nodes

    def children(self) -> list[PyTreeDef]:
        """Return the treedefs of the immediate children (``[]`` for a leaf).

        Examples
        --------
        >>> tree_structure((1, [2])).children()
        [PyTreeDef(*), PyTreeDef([*])]
        """
        return list(self._children)

    def node_data(self) -> tuple[type, Any] | None:
        """Return ``(node_type, aux_data)`` of the root, or ``None`` for a leaf.

        Examples
        --------
        >>> tree_structure({"b": 1, "a": 2}).node_data()
        (<class 'dict'>, ('a', 'b'))
        """
        if self._kind is None:
            return None
        return self._kind.node_data(self._aux)

    def unflatten(self, leaves: Iterable[Any]) -> Any:
        """Build a pytree of this structure from ``leaves``.

        Examples
        --------
        >>> tree_structure({"a": 0, "b": (0, 0)}).unflatten([1, 2, 3])
        {'a': 1, 'b': (2, 3)}
        """
        if type(leaves) is not list and type(leaves) is not tuple:
            leaves = list(leaves)
        if len(leaves) != self._num_leaves:
            few_many = "few" if len(leaves) < self._num_leaves else "many"
            raise ValueError(
                f"Too {few_many} leaves for PyTreeDef; expected {self._num_leaves}, "
                f"got {len(leaves)}. PyTreeDef: {self!r}"
            )
        if self._kind is None:
            return leaves[0]
        return _unflatten(self, iter(leaves))

    def match_leaves(self, tree: Any) -> list[Any] | None:
        """The leaves of ``tree`` if its structure is exactly this one, else None.

        ``tree_flatten(tree)`` would give the same leaves and an equal structure; this walk
        builds no structure, hashes nothing and compares as it goes, so a cached call (jit)
        checks its arguments' structure for the price of walking them."""
        leaves: list = []
        return leaves if _match(self, tree, leaves) else None

    def flatten_up_to(self, tree: Any) -> list[Any]:
        """Flatten ``tree`` only as deep as this (prefix) structure.

        Each leaf position of ``self`` yields the whole corresponding subtree
        of ``tree``.

        Raises
        ------
        ValueError
            If ``tree`` does not have this structure as a prefix.

        Examples
        --------
        >>> tree_structure([0, 0]).flatten_up_to([(1, 2), {"a": 3}])
        [(1, 2), {'a': 3}]
        """
        return _flatten_up_to_or_raise(self, tree, ("expected structure", "actual structure"))

    def compose(self, inner: PyTreeDef) -> PyTreeDef:
        """Return the structure obtained by replacing every leaf with ``inner``.

        Examples
        --------
        >>> tree_structure([0, 0]).compose(tree_structure((0, 0)))
        PyTreeDef([(*, *), (*, *)])
        """
        return _compose(self, inner)

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, PyTreeDef):
            return NotImplemented
        return (
            self._kind is other._kind
            and self._num_leaves == other._num_leaves
            and len(self._children) == len(other._children)
            and bool(self._aux == other._aux)
            and self._children == other._children
        )

    def __hash__(self) -> int:
        if self._hash == -1:
            kind_type = None if self._kind is None else self._kind.type
            aux = self._aux
            try:
                hash(aux)
            except TypeError:
                # unhashable aux data (a dict, say), as JAX allows: equal structures still
                # hash alike (equal aux data has one type); equality decides the rest
                aux = ("unhashable aux data", type(aux))
            self._hash = hash((kind_type, aux, self._children))
        return self._hash

    def __repr__(self) -> str:
        return f"PyTreeDef({_repr(self)})"

    def __copy__(self) -> PyTreeDef:
        return self

    def __deepcopy__(self, memo: dict) -> PyTreeDef:
        return self

    def __reduce__(self) -> Any:
        return _rebuild_treedef, (_kind_key(self._kind), self._aux, self._children)


def _kind_key(kind: _NodeKind | None) -> Any:
    if kind is None:
        return None
    if kind is _NAMEDTUPLE:
        return "namedtuple"
    return kind.type


def _rebuild_treedef(key: Any, aux: Any, children: tuple[PyTreeDef, ...]) -> PyTreeDef:
    """Unpickle a treedef, looking its node kind up in the current registry."""
    if key is None:
        return _LEAF
    kind = _NAMEDTUPLE if key == "namedtuple" else _registry.get(key)
    if kind is None:
        raise ValueError(f"Cannot unpickle PyTreeDef: {key} is not a registered pytree node.")
    return PyTreeDef(kind, aux, children, sum(c._num_leaves for c in children))


_LEAF = PyTreeDef(None, None, (), 1)


def _repr(td: PyTreeDef) -> str:
    if td._kind is None:
        return "*"
    return td._kind.repr(td._aux, [_repr(c) for c in td._children])


def _compose(td: PyTreeDef, inner: PyTreeDef) -> PyTreeDef:
    if td._kind is None:
        return inner
    children = tuple([_compose(c, inner) for c in td._children])
    return PyTreeDef(td._kind, td._aux, children, td._num_leaves * inner._num_leaves)


# ---------------------------------------------------------------------------
# Core recursive walks
# ---------------------------------------------------------------------------


def _flatten(x: Any, leaves: list, is_leaf: IsLeafFn | None) -> PyTreeDef:
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return _LEAF
    kind = _registry_get(type(x))
    if kind is None:
        if not (isinstance(x, tuple) and hasattr(x, "_fields")):
            leaves.append(x)
            return _LEAF
        kind = _NAMEDTUPLE
    children, aux = kind.flatten(x)
    start = len(leaves)
    if is_leaf is None:
        defs = _flatten_children(children, leaves)
    else:
        defs = tuple([_flatten(c, leaves, is_leaf) for c in children])
    return PyTreeDef(kind, aux, defs, len(leaves) - start)


def _match(td: PyTreeDef, x: Any, leaves: list) -> bool:
    kind = td._kind
    node = _registry_get(type(x))
    if node is None and isinstance(x, tuple) and hasattr(x, "_fields"):
        node = _NAMEDTUPLE
    if kind is None:  # a leaf of ``td``: ``x`` must be a leaf too
        if node is not None:
            return False
        leaves.append(x)
        return True
    if node is not kind:
        return False
    children, aux = kind.flatten(x)
    expected = td._children
    if len(children) != len(expected) or not bool(aux == td._aux):
        return False
    for c, t in zip(children, expected):
        if not _match(t, c, leaves):
            return False
    return True


def _flatten_children(children: Iterable[Any], leaves: list) -> tuple[PyTreeDef, ...]:
    # Fast path without ``is_leaf``: leaves are handled inline, saving a call per leaf.
    defs = []
    for c in children:
        if _registry_get(type(c)) is None and not (isinstance(c, tuple) and hasattr(c, "_fields")):
            leaves.append(c)
            defs.append(_LEAF)
        else:
            defs.append(_flatten(c, leaves, None))
    return tuple(defs)


def _leaves(x: Any, leaves: list, is_leaf: IsLeafFn | None) -> None:
    if is_leaf is not None and is_leaf(x):
        leaves.append(x)
        return
    kind = _registry_get(type(x))
    if kind is None:
        if not (isinstance(x, tuple) and hasattr(x, "_fields")):
            leaves.append(x)
            return
        kind = _NAMEDTUPLE
    if is_leaf is not None:
        for c in kind.flatten(x)[0]:
            _leaves(c, leaves, is_leaf)
        return
    for c in kind.flatten(x)[0]:
        if _registry_get(type(c)) is None and not (isinstance(c, tuple) and hasattr(c, "_fields")):
            leaves.append(c)
        else:
            _leaves(c, leaves, None)


def _unflatten(td: PyTreeDef, it: Any) -> Any:
    children = [next(it) if c._kind is None else _unflatten(c, it) for c in td._children]
    return td._kind.unflatten(td._aux, children)


def _flatten_with_path(
    x: Any, path: KeyPath, out: list, is_leaf: Callable | None, takes_path: bool
) -> PyTreeDef:
    if is_leaf is not None and (is_leaf(path, x) if takes_path else is_leaf(x)):
        out.append((path, x))
        return _LEAF
    kind = _kind_of(x)
    if kind is None:
        out.append((path, x))
        return _LEAF
    pairs, aux = kind.flatten_with_keys(x)
    start = len(out)
    defs = tuple([_flatten_with_path(c, (*path, k), out, is_leaf, takes_path) for k, c in pairs])
    return PyTreeDef(kind, aux, defs, len(out) - start)


class _Mismatch(Exception):
    """Internal signal from the fast prefix walk; details are found afterwards."""


def _flatten_up_to(td: PyTreeDef, x: Any, out: list) -> None:
    """Append the subtrees of ``x`` at ``td``'s leaf positions; ``td`` is not a leaf."""
    kind = _registry_get(type(x))
    if kind is None and isinstance(x, tuple) and hasattr(x, "_fields"):
        kind = _NAMEDTUPLE
    if kind is not td._kind:
        raise _Mismatch
    children, aux = kind.flatten(x)
    if not isinstance(children, (list, tuple)):
        children = list(children)
    if len(children) != len(td._children) or aux != td._aux:
        raise _Mismatch
    for ctd, c in zip(td._children, children, strict=True):
        if ctd._kind is None:
            out.append(c)
        else:
            _flatten_up_to(ctd, c, out)


def _describe(kind: _NodeKind, aux: Any) -> str:
    if kind is _NONE:
        return "None"
    if kind is _NAMEDTUPLE:
        return f"namedtuple {aux.__name__}"
    return kind.type.__name__


def _metadata_detail(kind: _NodeKind, expected: Any, found: Any) -> str:
    if kind is _NAMEDTUPLE:
        return f"expected a {_describe(kind, expected)} node, found {_describe(kind, found)}"
    if kind is _DICT or kind is _ORDERED_DICT:
        return f"{kind.type.__name__} keys differ: expected {expected!r}, found {found!r}"
    return f"{kind.type.__name__} node data differs: expected {expected!r}, found {found!r}"


def _node_mismatch(td: PyTreeDef, x: Any) -> str | None:
    """Describe how the root of ``x`` differs from the (non-leaf) root of ``td``."""
    kind = _kind_of(x)
    if kind is not td._kind:
        found = "a leaf" if kind is None else "a node"
        expected = _describe(td._kind, td._aux)
        return f"expected a {expected} node, found {found} of type {type(x).__name__}"
    children, aux = kind.flatten(x)
    if aux != td._aux:
        return _metadata_detail(kind, td._aux, aux)
    num_children = len(list(children))
    if num_children != len(td._children):
        return (
            f"{_describe(kind, aux)} node has {num_children} children, expected {len(td._children)}"
        )
    return None


def _find_mismatch(td: PyTreeDef, x: Any) -> tuple[KeyPath, str] | None:
    """Return ``(key_path, detail)`` of the first difference, or ``None``."""
    if td._kind is None:
        return None
    detail = _node_mismatch(td, x)
    if detail is not None:
        return (), detail
    pairs, _ = td._kind.flatten_with_keys(x)
    for ctd, (key, c) in zip(td._children, pairs, strict=True):
        found = _find_mismatch(ctd, c)
        if found is not None:
            return (key, *found[0]), found[1]
    return None


def _safe_structure(tree: Any) -> str:
    try:
        return repr(_flatten(tree, [], None))  # tree_structure(tree)
    except (TypeError, ValueError) as e:  # only used to build an error message
        return f"<unavailable: {e}>"


def _flatten_up_to_or_raise(
    treedef: PyTreeDef, tree: Any, labels: tuple[str, str], context: str = ""
) -> list[Any]:
    if treedef._kind is None:
        return [tree]
    out: list[Any] = []
    try:
        _flatten_up_to(treedef, tree, out)
    except _Mismatch:
        raise _mismatch_error(treedef, tree, labels, context) from None
    return out


def _mismatch_error(
    treedef: PyTreeDef, tree: Any, labels: tuple[str, str], context: str
) -> ValueError:
    path, detail = _find_mismatch(treedef, tree) or ((), "structures differ")
    where = keystr(path) or "the root"
    width = max(map(len, labels)) + 1
    expected_label, actual_label = (label + ":" for label in labels)
    return ValueError(
        f"{context}Tree structure mismatch at {where}: {detail}.\n"
        f"  {expected_label:<{width}} {treedef!r}\n"
        f"  {actual_label:<{width}} {_safe_structure(tree)}"
    )


