"""Pytree utilities (public API, compatible with ``jax.tree_util``).

Names are re-exported with the explicit ``import X as X`` form.
"""

# ruff: noqa: PLC0414  (``X as X`` marks an explicit re-export, PEP 484)

from tensorlib._src.pytree_def import PyTreeDef as PyTreeDef
from tensorlib._src.pytree_keys import DictKey as DictKey
from tensorlib._src.pytree_keys import FlattenedIndexKey as FlattenedIndexKey
from tensorlib._src.pytree_keys import GetAttrKey as GetAttrKey
from tensorlib._src.pytree_keys import KeyEntry as KeyEntry
from tensorlib._src.pytree_keys import KeyPath as KeyPath
from tensorlib._src.pytree_keys import SequenceKey as SequenceKey
from tensorlib._src.pytree_keys import keystr as keystr
from tensorlib._src.pytree_registry import register_pytree_node as register_pytree_node
from tensorlib._src.pytree_registry import register_pytree_node_class as register_pytree_node_class
from tensorlib._src.pytree_registry import register_pytree_with_keys as register_pytree_with_keys
from tensorlib._src.pytree_registry import (
    register_pytree_with_keys_class as register_pytree_with_keys_class,
)
from tensorlib._src.tree_util import all_leaves as all_leaves
from tensorlib._src.tree_util import tree_all as tree_all
from tensorlib._src.tree_util import tree_flatten as tree_flatten
from tensorlib._src.tree_util import tree_flatten_with_path as tree_flatten_with_path
from tensorlib._src.tree_util import tree_leaves as tree_leaves
from tensorlib._src.tree_util import tree_leaves_with_path as tree_leaves_with_path
from tensorlib._src.tree_util import tree_map as tree_map
from tensorlib._src.tree_util import tree_map_with_path as tree_map_with_path
from tensorlib._src.tree_util import tree_reduce as tree_reduce
from tensorlib._src.tree_util import tree_structure as tree_structure
from tensorlib._src.tree_util import tree_transpose as tree_transpose
from tensorlib._src.tree_util import tree_unflatten as tree_unflatten
from tensorlib._src.tree_util import treedef_children as treedef_children
from tensorlib._src.tree_util import treedef_is_leaf as treedef_is_leaf
from tensorlib._src.tree_util import treedef_tuple as treedef_tuple
