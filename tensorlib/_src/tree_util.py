"""Pytree utilities compatible with ``jax.tree_util``.

A *pytree* is a nested structure of containers (nodes) whose non-container
elements are *leaves*.  The built-in node types are ``tuple``, ``list``,
``dict`` (children in sorted key order), namedtuples (any ``tuple`` subclass
with ``_fields``), ``None`` (a node with no children),
``collections.OrderedDict`` (insertion order) and ``collections.defaultdict``
(sorted keys, keeps ``default_factory``).  Further node types can be added
with :func:`register_pytree_node` and friends.  Everything else is a leaf.

This module is deliberately standalone: it imports only the standard library,
so it can be used (and tested) without the rest of ``tensorlib``.

Flattening is on the hot path of every transformation call, so the core walks
are small recursive functions that look node handlers up by exact
``type(x)`` in a dict; only namedtuple detection needs an ``isinstance`` check.
"""

from __future__ import annotations

import collections
import functools
import operator
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = [
    "DictKey",
    "FlattenedIndexKey",
    "GetAttrKey",
    "KeyEntry",
    "KeyPath",
    "PyTreeDef",
    "SequenceKey",
    "all_leaves",
    "keystr",
    "register_pytree_node",
    "register_pytree_node_class",
    "register_pytree_with_keys",
    "register_pytree_with_keys_class",
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

T = TypeVar("T")
Typ = TypeVar("Typ", bound=type)
IsLeafFn = Callable[[Any], bool]
KeyEntry = Hashable
KeyPath = tuple[KeyEntry, ...]


# ---------------------------------------------------------------------------
# Key path entries
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SequenceKey:
    """Key of an element of a ``tuple``/``list`` node, e.g. ``[0]``."""

    idx: int

    def __str__(self) -> str:
        return f"[{self.idx!r}]"


@dataclass(frozen=True, slots=True)
class DictKey:
    """Key of a value of a ``dict``-like node, e.g. ``['a']``."""

    key: Hashable

    def __str__(self) -> str:
        return f"[{self.key!r}]"


@dataclass(frozen=True, slots=True)
class GetAttrKey:
    """Key of an attribute (e.g. a namedtuple field), e.g. ``.x``."""

    name: str

    def __str__(self) -> str:
        return f".{self.name}"


@dataclass(frozen=True, slots=True)
class FlattenedIndexKey:
    """Positional key of a child of a custom node registered without keys."""

    key: int

    def __str__(self) -> str:
        return f"[<flat index {self.key}>]"


def _simple_entrystr(entry: Any) -> str:
    for cls, attr in _SIMPLE_KEY_ATTRS:
        if type(entry) is cls:
            return str(getattr(entry, attr))
    return str(entry)


_SIMPLE_KEY_ATTRS = (
    (SequenceKey, "idx"),
    (DictKey, "key"),
    (GetAttrKey, "name"),
    (FlattenedIndexKey, "key"),
)


def keystr(keys: KeyPath, *, simple: bool = False, separator: str = "") -> str:
    """Render a key path as a string.

    Parameters
    ----------
    keys : tuple
        Key entries, e.g. from :func:`tree_flatten_with_path`.
    simple : bool, optional
        Use the bare key values (``0``, ``a``, ``x``) instead of the
        default indexing syntax (``[0]``, ``['a']``, ``.x``).
    separator : str, optional
        String placed between the rendered entries.

    Returns
    -------
    str
        The rendered path.

    Examples
    --------
    >>> keystr((DictKey("a"), SequenceKey(0), GetAttrKey("x")))
    "['a'][0].x"
    >>> keystr((DictKey("a"), SequenceKey(0)), simple=True, separator="/")
    'a/0'
    """
    str_fn = _simple_entrystr if simple else str
    return separator.join(map(str_fn, keys))


# ---------------------------------------------------------------------------
# Node kinds and the registry
# ---------------------------------------------------------------------------


class _NodeKind:
    """How to flatten, unflatten, key and print one kind of pytree node.

    ``flatten(x) -> (children, aux)``; ``unflatten(aux, children_list) -> x``;
    ``flatten_with_keys(x) -> (list of (key, child), aux)``;
    ``node_data(aux) -> (type, aux)``; ``repr(aux, child_reprs) -> str``.
    """

    __slots__ = ("flatten", "flatten_with_keys", "node_data", "repr", "type", "unflatten")

    def __init__(
        self,
        nodetype: type,
        flatten: Callable[[Any], tuple[Iterable[Any], Any]],
        unflatten: Callable[[Any, list[Any]], Any],
        flatten_with_keys: Callable[[Any], tuple[Iterable[tuple[Any, Any]], Any]],
        node_data: Callable[[Any], tuple[type, Any]] | None = None,
        repr_fn: Callable[[Any, list[str]], str] | None = None,
    ) -> None:
        self.type = nodetype
        self.flatten = flatten
        self.unflatten = unflatten
        self.flatten_with_keys = flatten_with_keys
        self.node_data = node_data or (lambda aux: (nodetype, aux))
        self.repr = repr_fn or functools.partial(_custom_repr, nodetype.__name__)

    def __repr__(self) -> str:
        return f"_NodeKind({self.type.__name__})"


def _custom_repr(name: str, aux: Any, children: list[str]) -> str:
    return f"CustomNode({name}[{aux}], [{', '.join(children)}])"


def _sorted_keys(d: dict) -> list:
    try:
        return sorted(d)
    except TypeError as e:
        raise ValueError("Comparator raised exception while sorting pytree dictionary keys.") from e


def _seq_with_keys(x: Sequence) -> tuple[list, None]:
    return [(SequenceKey(i), c) for i, c in enumerate(x)], None


def _flatten_dict(x: dict) -> tuple[list, tuple]:
    keys = _sorted_keys(x)
    return [x[k] for k in keys], tuple(keys)


def _dict_with_keys(x: dict) -> tuple[list, tuple]:
    keys = _sorted_keys(x)
    return [(DictKey(k), x[k]) for k in keys], tuple(keys)


def _flatten_ordered_dict(x: collections.OrderedDict) -> tuple[list, tuple]:
    return list(x.values()), tuple(x)


def _ordered_dict_with_keys(x: collections.OrderedDict) -> tuple[list, tuple]:
    return [(DictKey(k), v) for k, v in x.items()], tuple(x)


def _flatten_defaultdict(x: collections.defaultdict) -> tuple[list, tuple]:
    children, keys = _flatten_dict(x)
    return children, (x.default_factory, keys)


def _defaultdict_with_keys(x: collections.defaultdict) -> tuple[list, tuple]:
    children, keys = _dict_with_keys(x)
    return children, (x.default_factory, keys)


def _namedtuple_with_keys(x: tuple) -> tuple[list, type]:
    return [(GetAttrKey(f), c) for f, c in zip(type(x)._fields, x, strict=True)], type(x)


def _tuple_repr(aux: None, children: list[str]) -> str:
    if len(children) == 1:
        return f"({children[0]},)"
    return f"({', '.join(children)})"


def _dict_repr(keys: tuple, children: list[str]) -> str:
    return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(keys, children, strict=True)) + "}"


_TUPLE = _NodeKind(
    tuple,
    lambda x: (x, None),
    lambda aux, ch: tuple(ch),
    _seq_with_keys,
    repr_fn=_tuple_repr,
)
_LIST = _NodeKind(
    list,
    lambda x: (x, None),
    lambda aux, ch: ch,
    _seq_with_keys,
    repr_fn=lambda aux, ch: f"[{', '.join(ch)}]",
)
_DICT = _NodeKind(
    dict,
    _flatten_dict,
    lambda keys, ch: dict(zip(keys, ch, strict=True)),
    _dict_with_keys,
    repr_fn=_dict_repr,
)
_NONE = _NodeKind(
    type(None),
    lambda x: ((), None),
    lambda aux, ch: None,
    lambda x: ((), None),
    repr_fn=lambda aux, ch: "None",
)
_NAMEDTUPLE = _NodeKind(
    tuple,
    lambda x: (x, type(x)),
    lambda cls, ch: cls(*ch),
    _namedtuple_with_keys,
    node_data=lambda cls: (cls, None),
    repr_fn=lambda cls, ch: f"CustomNode(namedtuple[{cls.__name__}], [{', '.join(ch)}])",
)
_ORDERED_DICT = _NodeKind(
    collections.OrderedDict,
    _flatten_ordered_dict,
    lambda keys, ch: collections.OrderedDict(zip(keys, ch, strict=True)),
    _ordered_dict_with_keys,
)
_DEFAULTDICT = _NodeKind(
    collections.defaultdict,
    _flatten_defaultdict,
    lambda aux, ch: collections.defaultdict(aux[0], zip(aux[1], ch, strict=True)),
    _defaultdict_with_keys,
)

# Exact type -> node kind.  Namedtuples are handled by ``_kind_of``.
_registry: dict[type, _NodeKind] = {
    kind.type: kind for kind in (_TUPLE, _LIST, _DICT, _NONE, _ORDERED_DICT, _DEFAULTDICT)
}
_registry_get = _registry.get


def _kind_of(x: Any) -> _NodeKind | None:
    """Return the node kind of ``x``, or ``None`` if ``x`` is a leaf."""
    kind = _registry_get(type(x))
    if kind is None and isinstance(x, tuple) and hasattr(x, "_fields"):
        return _NAMEDTUPLE
    return kind


def _register(kind: _NodeKind) -> None:
    if kind.type in _registry:
        raise ValueError(f"Duplicate custom PyTreeDef type registration for {kind.type}.")
    _registry[kind.type] = kind


def _indexed_keys(flatten_func: Callable) -> Callable:
    def flatten_with_keys(x: Any) -> tuple[list, Any]:
        children, aux = flatten_func(x)
        return [(FlattenedIndexKey(i), c) for i, c in enumerate(children)], aux

    return flatten_with_keys


def _drop_keys(flatten_with_keys: Callable) -> Callable:
    def flatten(x: Any) -> tuple[list, Any]:
        pairs, aux = flatten_with_keys(x)
        return [c for _, c in pairs], aux

    return flatten


def _tuple_unflatten(unflatten_func: Callable) -> Callable:
    return lambda aux, children: unflatten_func(aux, tuple(children))


def register_pytree_node(
    nodetype: type[T],
    flatten_func: Callable[[T], tuple[Iterable[Any], Any]],
    unflatten_func: Callable[[Any, Iterable[Any]], T],
    flatten_with_keys_func: Callable[[T], tuple[Iterable[tuple[Any, Any]], Any]] | None = None,
) -> None:
    """Register a type as a pytree node.

    Parameters
    ----------
    nodetype : type
        The exact type to register (subclasses are not covered).
    flatten_func : callable
        ``flatten_func(node) -> (children, aux_data)``.  ``aux_data`` must be
        hashable and comparable with ``==``; it is stored in the treedef.
    unflatten_func : callable
        ``unflatten_func(aux_data, children) -> node``; ``children`` is a tuple.
    flatten_with_keys_func : callable, optional
        ``(node) -> (iterable of (key, child), aux_data)``, used by the
        ``*_with_path`` functions.  Defaults to :class:`FlattenedIndexKey` keys.

    Raises
    ------
    ValueError
        If ``nodetype`` is already registered.

    Examples
    --------
    >>> class Pair:
    ...     def __init__(self, a, b):
    ...         self.a, self.b = a, b
    >>> register_pytree_node(
    ...     Pair, lambda p: ((p.a, p.b), None), lambda aux, ch: Pair(*ch))
    >>> tree_leaves(Pair(1, [2, 3]))
    [1, 2, 3]
    """
    keys_fn = flatten_with_keys_func or _indexed_keys(flatten_func)
    _register(_NodeKind(nodetype, flatten_func, _tuple_unflatten(unflatten_func), keys_fn))


def register_pytree_with_keys(
    nodetype: type[T],
    flatten_with_keys: Callable[[T], tuple[Iterable[tuple[Any, Any]], Any]],
    unflatten_func: Callable[[Any, Iterable[Any]], T],
    flatten_func: Callable[[T], tuple[Iterable[Any], Any]] | None = None,
) -> None:
    """Register a type as a pytree node whose children carry keys.

    Parameters
    ----------
    nodetype : type
        The exact type to register.
    flatten_with_keys : callable
        ``(node) -> (iterable of (key, child), aux_data)``.
    unflatten_func : callable
        ``unflatten_func(aux_data, children) -> node``; ``children`` is a tuple.
    flatten_func : callable, optional
        Faster key-less flatten; derived from ``flatten_with_keys`` if omitted.

    Examples
    --------
    >>> class Box:
    ...     def __init__(self, v):
    ...         self.v = v
    >>> register_pytree_with_keys(
    ...     Box, lambda b: (((GetAttrKey("v"), b.v),), None), lambda aux, ch: Box(*ch))
    >>> keystr(tree_leaves_with_path(Box(1))[0][0])
    '.v'
    """
    flatten_func = flatten_func or _drop_keys(flatten_with_keys)
    _register(
        _NodeKind(nodetype, flatten_func, _tuple_unflatten(unflatten_func), flatten_with_keys)
    )


def register_pytree_node_class(cls: Typ) -> Typ:
    """Class decorator registering ``cls`` as a pytree node.

    ``cls`` must define a method ``tree_flatten(self) -> (children, aux)`` and a
    classmethod ``tree_unflatten(cls, aux, children)``.

    Parameters
    ----------
    cls : type
        The class to register.

    Returns
    -------
    type
        ``cls`` itself.

    Examples
    --------
    >>> @register_pytree_node_class
    ... class Scaled:
    ...     def __init__(self, x, scale):
    ...         self.x, self.scale = x, scale
    ...     def tree_flatten(self):
    ...         return (self.x,), self.scale
    ...     @classmethod
    ...     def tree_unflatten(cls, scale, children):
    ...         return cls(*children, scale)
    >>> tree_structure(Scaled(1.0, 2))
    PyTreeDef(CustomNode(Scaled[2], [*]))
    """
    register_pytree_node(cls, operator.methodcaller("tree_flatten"), cls.tree_unflatten)
    return cls


def register_pytree_with_keys_class(cls: Typ) -> Typ:
    """Class decorator like :func:`register_pytree_node_class`, with keys.

    ``cls`` must define ``tree_flatten_with_keys(self) -> (pairs, aux)`` and the
    classmethod ``tree_unflatten``; ``tree_flatten`` is used if defined.

    Parameters
    ----------
    cls : type
        The class to register.

    Returns
    -------
    type
        ``cls`` itself.

    Examples
    --------
    >>> @register_pytree_with_keys_class
    ... class Named:
    ...     def __init__(self, w):
    ...         self.w = w
    ...     def tree_flatten_with_keys(self):
    ...         return ((GetAttrKey("w"), self.w),), None
    ...     @classmethod
    ...     def tree_unflatten(cls, aux, children):
    ...         return cls(*children)
    >>> keystr(tree_leaves_with_path(Named(3))[0][0])
    '.w'
    """
    flatten_func = None
    if hasattr(cls, "tree_flatten"):
        flatten_func = operator.methodcaller("tree_flatten")
    register_pytree_with_keys(
        cls, operator.methodcaller("tree_flatten_with_keys"), cls.tree_unflatten, flatten_func
    )
    return cls


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
            self._hash = hash((kind_type, self._aux, self._children))
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
        return repr(tree_structure(tree))
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
