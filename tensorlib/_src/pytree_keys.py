"""Pytree key paths: the key entry types and :func:`keystr` (compatible with ``jax.tree_util``)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DictKey",
    "FlattenedIndexKey",
    "GetAttrKey",
    "KeyEntry",
    "KeyPath",
    "SequenceKey",
    "keystr",
]

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


