"""Pytree node kinds: the built-in node types, the registry and ``register_pytree_*``.

Node handlers are looked up by exact ``type(x)`` in a dict; only namedtuple detection needs
an ``isinstance`` check.
"""

from __future__ import annotations

import collections
import functools
import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from tensorlib._src.pytree_keys import DictKey, FlattenedIndexKey, GetAttrKey, SequenceKey

__all__ = [
    "register_pytree_node",
    "register_pytree_node_class",
    "register_pytree_with_keys",
    "register_pytree_with_keys_class",
]

T = TypeVar("T")
Typ = TypeVar("Typ", bound=type)


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


