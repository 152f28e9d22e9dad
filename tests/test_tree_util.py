"""Tests for the pytree utilities (``tensorlib.tree_util`` / ``tensorlib.tree``)."""

from __future__ import annotations

import ast
import collections
import contextlib
import copy
import importlib
import pickle
import sys
from pathlib import Path

import pytest

import tensorlib.tree as tl_tree
import tensorlib.tree_util as tl_tree_util
from tensorlib.tree_util import (
    DictKey,
    FlattenedIndexKey,
    GetAttrKey,
    PyTreeDef,
    SequenceKey,
    all_leaves,
    keystr,
    register_pytree_node,
    register_pytree_node_class,
    register_pytree_with_keys,
    register_pytree_with_keys_class,
    tree_all,
    tree_flatten,
    tree_flatten_with_path,
    tree_leaves,
    tree_leaves_with_path,
    tree_map,
    tree_map_with_path,
    tree_reduce,
    tree_structure,
    tree_transpose,
    tree_unflatten,
    treedef_children,
    treedef_is_leaf,
    treedef_tuple,
)

# ---------------------------------------------------------------------------
# Fixtures: node types used across the tests (registered once, at import)
# ---------------------------------------------------------------------------

Point = collections.namedtuple("Point", ["x", "y"])
Other = collections.namedtuple("Other", ["x", "y"])


class Box:
    """Custom node registered with ``register_pytree_node``; ``label`` is aux data."""

    def __init__(self, value, label="box"):
        self.value = value
        self.label = label

    def __eq__(self, other):
        return type(other) is Box and (self.value, self.label) == (other.value, other.label)

    def __repr__(self):
        return f"Box({self.value!r}, {self.label!r})"


register_pytree_node(
    Box, lambda b: ((b.value,), b.label), lambda label, children: Box(children[0], label)
)


@register_pytree_node_class
class Pair:
    """Custom node registered with the class decorator."""

    def __init__(self, first, second):
        self.first = first
        self.second = second

    def __repr__(self):  # test ids are reprs: no addresses (pytest-xdist needs stable ids)
        return f"Pair({self.first!r}, {self.second!r})"

    def tree_flatten(self):
        return (self.first, self.second), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children)

    def __eq__(self, other):
        return type(other) is Pair and (self.first, self.second) == (other.first, other.second)


@register_pytree_with_keys_class
class Params:
    """Custom node whose children carry ``GetAttrKey`` keys."""

    def __init__(self, w, b):
        self.w = w
        self.b = b

    def tree_flatten_with_keys(self):
        return ((GetAttrKey("w"), self.w), (GetAttrKey("b"), self.b)), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children)

    def __eq__(self, other):
        return type(other) is Params and (self.w, self.b) == (other.w, other.b)


class TupleSubclass(tuple):
    """A tuple subclass without ``_fields``: a leaf."""


class ListSubclass(list):
    """A list subclass: a leaf (node types match by exact type)."""


class DictSubclass(dict):
    """A dict subclass: a leaf."""


def example_trees():
    """Trees covering every built-in node type (no custom classes)."""
    return [
        1,
        "leaf",
        None,
        (),
        [],
        {},
        (1,),
        [1, 2, 3],
        (1, [2, 3], {"a": 4}),
        {"b": 1, "a": (2, 3), "c": None},
        [None, (), {}, [[]]],
        Point(1, [2, 3]),
        [Point(Point(1, 2), None)],
        collections.OrderedDict([("z", 1), ("a", [2, 3])]),
        collections.defaultdict(list, {"y": 1, "x": (2,)}),
        {"params": {"w": 1.0, "b": 2.0}, "state": [Point(3, 4), None]},
        ((((1,),),),),
        [TupleSubclass((1, 2)), ListSubclass([3]), DictSubclass(a=4)],
    ]


# ---------------------------------------------------------------------------
# Flatten / unflatten
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("tree", example_trees(), ids=repr)
def test_roundtrip(tree):
    leaves, treedef = tree_flatten(tree)
    rebuilt = tree_unflatten(treedef, leaves)
    assert rebuilt == tree
    assert type(rebuilt) is type(tree)
    assert treedef.num_leaves == len(leaves)
    assert tree_leaves(tree) == leaves
    assert tree_structure(tree) == treedef


def test_flatten_order_and_repr():
    leaves, treedef = tree_flatten((1, [2, 3], {"a": 4}))
    assert leaves == [1, 2, 3, 4]
    assert repr(treedef) == "PyTreeDef((*, [*, *], {'a': *}))"


def test_dict_children_in_sorted_key_order():
    tree = {"b": 1, "c": 2, "a": 3}
    leaves, treedef = tree_flatten(tree)
    assert leaves == [3, 1, 2]
    rebuilt = tree_unflatten(treedef, ["A", "B", "C"])
    assert rebuilt == {"a": "A", "b": "B", "c": "C"}
    assert list(rebuilt) == ["a", "b", "c"]
    assert repr(treedef) == "PyTreeDef({'a': *, 'b': *, 'c': *})"


def test_dict_with_unsortable_keys_raises():
    with pytest.raises(ValueError, match="sorting pytree dictionary keys"):
        tree_flatten({1: "a", "b": 2})


def test_dict_with_non_string_sortable_keys():
    leaves, treedef = tree_flatten({3: "c", 1: "a", 2: "b"})
    assert leaves == ["a", "b", "c"]
    assert tree_unflatten(treedef, leaves) == {1: "a", 2: "b", 3: "c"}


def test_none_is_an_empty_node():
    leaves, treedef = tree_flatten(None)
    assert leaves == []
    assert treedef.num_leaves == 0
    assert treedef.num_nodes == 1
    assert repr(treedef) == "PyTreeDef(None)"
    assert tree_unflatten(treedef, []) is None
    assert tree_leaves([1, None, 2]) == [1, 2]
    assert repr(tree_structure([1, None])) == "PyTreeDef([*, None])"


def test_none_can_be_a_leaf_via_is_leaf():
    leaves, treedef = tree_flatten([1, None, 2], is_leaf=lambda x: x is None)
    assert leaves == [1, None, 2]
    assert repr(treedef) == "PyTreeDef([*, *, *])"


def test_namedtuple_is_a_node():
    leaves, treedef = tree_flatten(Point(1, (2, 3)))
    assert leaves == [1, 2, 3]
    rebuilt = tree_unflatten(treedef, [4, 5, 6])
    assert rebuilt == Point(4, (5, 6))
    assert type(rebuilt) is Point
    assert repr(treedef) == "PyTreeDef(CustomNode(namedtuple[Point], [*, (*, *)]))"
    assert treedef.node_data() == (Point, None)


def test_namedtuple_types_distinguished():
    assert tree_structure(Point(1, 2)) != tree_structure(Other(1, 2))
    assert tree_structure(Point(1, 2)) != tree_structure((1, 2))


@pytest.mark.parametrize(
    "leaf", [TupleSubclass((1, 2)), ListSubclass([1, 2]), DictSubclass(a=1)], ids=repr
)
def test_subclasses_of_builtin_nodes_are_leaves(leaf):
    leaves, treedef = tree_flatten(leaf)
    assert leaves == [leaf]
    assert repr(treedef) == "PyTreeDef(*)"


def test_ordered_dict_keeps_insertion_order():
    tree = collections.OrderedDict([("b", 1), ("a", 2)])
    leaves, treedef = tree_flatten(tree)
    assert leaves == [1, 2]
    rebuilt = tree_unflatten(treedef, [10, 20])
    assert type(rebuilt) is collections.OrderedDict
    assert list(rebuilt.items()) == [("b", 10), ("a", 20)]
    assert repr(treedef) == "PyTreeDef(CustomNode(OrderedDict[('b', 'a')], [*, *]))"
    swapped = collections.OrderedDict([("a", 1), ("b", 2)])
    assert tree_structure(swapped) != treedef
    assert tree_structure({"b": 1, "a": 2}) != treedef


def test_defaultdict_sorted_and_keeps_factory():
    tree = collections.defaultdict(list, {"b": 1, "a": 2})
    leaves, treedef = tree_flatten(tree)
    assert leaves == [2, 1]
    rebuilt = tree_unflatten(treedef, [20, 10])
    assert type(rebuilt) is collections.defaultdict
    assert rebuilt.default_factory is list
    assert dict(rebuilt) == {"a": 20, "b": 10}
    assert rebuilt["missing"] == []
    assert treedef != tree_structure({"a": 1, "b": 2})
    assert treedef != tree_structure(collections.defaultdict(int, {"a": 1, "b": 2}))
    assert treedef.node_data() == (collections.defaultdict, (list, ("a", "b")))


def test_is_leaf_stops_recursion():
    tree = {"a": (1, 2), "b": [3, (4, 5)]}
    leaves = tree_leaves(tree, is_leaf=lambda x: isinstance(x, tuple))
    assert leaves == [(1, 2), 3, (4, 5)]
    leaves2, treedef = tree_flatten(tree, is_leaf=lambda x: isinstance(x, tuple))
    assert leaves2 == leaves
    assert repr(treedef) == "PyTreeDef({'a': *, 'b': [*, *]})"
    assert tree_structure(tree, is_leaf=lambda x: isinstance(x, tuple)) == treedef


def test_is_leaf_on_root():
    assert tree_leaves([1, 2], is_leaf=lambda x: isinstance(x, list)) == [[1, 2]]


def test_unflatten_accepts_any_iterable():
    treedef = tree_structure([0, (0, 0)])
    assert tree_unflatten(treedef, iter("abc")) == ["a", ("b", "c")]
    assert treedef.unflatten(("a", "b", "c")) == ["a", ("b", "c")]


def test_unflatten_leaf_treedef():
    assert tree_unflatten(tree_structure(1), ["x"]) == "x"


@pytest.mark.parametrize(("leaves", "word"), [([1], "few"), ([1, 2, 3], "many")])
def test_unflatten_wrong_number_of_leaves(leaves, word):
    treedef = tree_structure([0, 0])
    with pytest.raises(ValueError, match=f"Too {word} leaves for PyTreeDef; expected 2, got"):
        tree_unflatten(treedef, leaves)


def test_unflatten_builds_fresh_containers():
    tree = [[1, 2], {"a": [3]}]
    leaves, treedef = tree_flatten(tree)
    rebuilt = tree_unflatten(treedef, leaves)
    assert rebuilt == tree
    assert rebuilt is not tree
    assert rebuilt[0] is not tree[0]
    assert rebuilt[1]["a"] is not tree[1]["a"]


def test_flatten_does_not_mutate_input():
    tree = {"b": [1, 2], "a": (3,)}
    snapshot = copy.deepcopy(tree)
    tree_flatten(tree)
    tree_map(lambda x: x + 1, tree)
    assert tree == snapshot
    assert list(tree) == ["b", "a"]


# ---------------------------------------------------------------------------
# PyTreeDef
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tree", "expected"),
    [
        (1, "PyTreeDef(*)"),
        ((), "PyTreeDef(())"),
        ((1,), "PyTreeDef((*,))"),
        ([], "PyTreeDef([])"),
        ({}, "PyTreeDef({})"),
        ([None, (), {}], "PyTreeDef([None, (), {}])"),
        ({"x": (1, 2), "y": None}, "PyTreeDef({'x': (*, *), 'y': None})"),
        (Box(1, "tag"), "PyTreeDef(CustomNode(Box[tag], [*]))"),
        (Pair(1, [2]), "PyTreeDef(CustomNode(Pair[None], [*, [*]]))"),
    ],
    ids=repr,
)
def test_treedef_repr(tree, expected):
    assert repr(tree_structure(tree)) == expected


@pytest.mark.parametrize(
    ("tree", "num_leaves", "num_nodes"),
    [
        (1, 1, 1),
        (None, 0, 1),
        ([], 0, 1),
        ((1, [2, 3], {"a": 4}), 4, 7),
        ([None, (), {}], 0, 4),
        ({"a": (1, None), "b": 2}, 2, 5),
        (Point(1, 2), 2, 3),
    ],
    ids=repr,
)
def test_num_leaves_and_nodes(tree, num_leaves, num_nodes):
    treedef = tree_structure(tree)
    assert treedef.num_leaves == num_leaves
    assert treedef.num_nodes == num_nodes


def test_children():
    treedef = tree_structure((1, [2, 3], {"a": 4}))
    children = treedef.children()
    assert [repr(c) for c in children] == [
        "PyTreeDef(*)",
        "PyTreeDef([*, *])",
        "PyTreeDef({'a': *})",
    ]
    assert treedef_children(treedef) == children
    assert tree_structure(1).children() == []
    assert tree_structure(None).children() == []


def test_node_data():
    assert tree_structure(1).node_data() is None
    assert tree_structure([1]).node_data() == (list, None)
    assert tree_structure((1,)).node_data() == (tuple, None)
    assert tree_structure({"b": 1, "a": 2}).node_data() == (dict, ("a", "b"))
    assert tree_structure(None).node_data() == (type(None), None)
    ordered = collections.OrderedDict([("b", 1), ("a", 2)])
    assert tree_structure(ordered).node_data() == (collections.OrderedDict, ("b", "a"))
    assert tree_structure(Box(1, "t")).node_data() == (Box, "t")


def test_treedef_equality():
    assert tree_structure([1, 2]) == tree_structure(["a", "b"])
    assert tree_structure([1, 2]) != tree_structure((1, 2))
    assert tree_structure([1, 2]) != tree_structure([1, [2]])
    assert tree_structure([1, 2]) != tree_structure([1, 2, 3])
    assert tree_structure({"a": 1}) != tree_structure({"b": 1})
    assert tree_structure({"a": 1, "b": 2}) == tree_structure({"b": 3, "a": 4})
    assert tree_structure([1, None]) != tree_structure([1, 2])
    assert tree_structure(Box(1, "x")) == tree_structure(Box(2, "x"))
    assert tree_structure(Box(1, "x")) != tree_structure(Box(1, "y"))
    assert tree_structure(1) != "PyTreeDef(*)"


def test_treedef_hashable():
    a = tree_structure({"x": [1, 2], "y": (Point(1, 2), None)})
    b = tree_structure({"x": [3, 4], "y": (Point(5, 6), None)})
    assert a == b
    assert hash(a) == hash(b)
    cache = {a: "hit"}
    assert cache[b] == "hit"
    assert len({tree_structure([1]), tree_structure([2]), tree_structure((1,))}) == 2


def test_treedef_copy_and_pickle():
    treedef = tree_structure(
        {"a": [1, Point(2, None)], "b": collections.defaultdict(list, {"k": 1})}
    )
    assert copy.copy(treedef) is treedef
    assert copy.deepcopy(treedef) is treedef
    restored = pickle.loads(pickle.dumps(treedef))
    assert restored == treedef
    assert repr(restored) == repr(treedef)
    assert restored.num_nodes == treedef.num_nodes


def test_compose():
    outer = tree_structure([0, 0])
    inner = tree_structure((0, {"a": 0}))
    composed = outer.compose(inner)
    assert repr(composed) == "PyTreeDef([(*, {'a': *}), (*, {'a': *})])"
    assert composed.num_leaves == 4
    assert composed == tree_structure([(1, {"a": 2}), (3, {"a": 4})])


def test_treedef_helpers():
    assert treedef_is_leaf(tree_structure(1))
    assert treedef_is_leaf(tree_structure(None))
    assert not treedef_is_leaf(tree_structure([1]))
    assert treedef_tuple([tree_structure(1), tree_structure([1, 2])]) == tree_structure((0, [0, 0]))
    assert all_leaves([1, "a", 2.0])
    assert not all_leaves([1, (2,)])
    assert not all_leaves([None])
    assert all_leaves([(1,), 2], is_leaf=lambda x: isinstance(x, tuple))


# ---------------------------------------------------------------------------
# flatten_up_to
# ---------------------------------------------------------------------------


def test_flatten_up_to_exact_structure():
    treedef = tree_structure({"a": 0, "b": (0, 0)})
    assert treedef.flatten_up_to({"b": (2, 3), "a": 1}) == [1, 2, 3]


def test_flatten_up_to_prefix_returns_subtrees():
    treedef = tree_structure([0, 0])
    assert treedef.flatten_up_to([(1, 2), {"a": 3}]) == [(1, 2), {"a": 3}]
    assert treedef.flatten_up_to([None, [1]]) == [None, [1]]
    assert tree_structure(0).flatten_up_to({"any": "thing"}) == [{"any": "thing"}]


@pytest.mark.parametrize(
    ("prefix", "tree", "fragments"),
    [
        ([1, 2], (1, 2), ["at the root", "expected a list node", "tuple"]),
        ([1, 2], [1], ["list node has 1 children, expected 2"]),
        ({"a": 1}, {"b": 1}, ["dict keys differ", "('a',)", "('b',)"]),
        ([1, None], [1, 2], ["at [1]", "expected a None node", "leaf of type int"]),
        ({"a": [1, (1, 2)]}, {"a": [1, (1, 2, 3)]}, ["at ['a'][1]", "tuple node has 3"]),
        (Point(1, 2), Other(1, 2), ["namedtuple Point", "namedtuple Other"]),
        ([Point(1, (2,))], [Point(1, 2)], ["at [0].y", "expected a tuple node"]),
        (Box(1, "x"), Box(1, "y"), ["Box node data differs", "'x'", "'y'"]),
    ],
    ids=repr,
)
def test_flatten_up_to_mismatch_message(prefix, tree, fragments):
    treedef = tree_structure(prefix)
    with pytest.raises(ValueError, match="Tree structure mismatch") as info:
        treedef.flatten_up_to(tree)
    message = str(info.value)
    assert f"expected structure: {treedef!r}" in message
    assert f"actual structure:   {tree_structure(tree)!r}" in message
    for fragment in fragments:
        assert fragment in message


# ---------------------------------------------------------------------------
# tree_map
# ---------------------------------------------------------------------------


def test_tree_map_single_tree():
    tree = {"a": 1, "b": (2, [3, None]), "c": Point(4, 5)}
    out = tree_map(lambda x: x * 10, tree)
    assert out == {"a": 10, "b": (20, [30, None]), "c": Point(40, 50)}
    assert type(out["c"]) is Point


def test_tree_map_preserves_container_types():
    tree = [
        collections.OrderedDict([("z", 1), ("a", 2)]),
        collections.defaultdict(int, {"k": 3}),
        Box(4, "lbl"),
        Pair(5, 6),
    ]
    out = tree_map(str, tree)
    assert list(out[0].items()) == [("z", "1"), ("a", "2")]
    assert out[1].default_factory is int
    assert out[1] == {"k": "3"}
    assert out[2] == Box("4", "lbl")
    assert out[3] == Pair("5", "6")


def test_tree_map_multiple_trees():
    assert tree_map(lambda x, y: x + y, [1, 2], [10, 20]) == [11, 22]
    out = tree_map(
        lambda x, y, z: (x, y, z), {"a": 1, "b": 2}, {"b": 20, "a": 10}, {"a": 0, "b": 0}
    )
    assert out == {"a": (1, 10, 0), "b": (2, 20, 0)}


def test_tree_map_rest_may_be_deeper():
    out = tree_map(lambda x, y: (x, y), [1, 2], [(1, 2), {"a": 3}])
    assert out == [(1, (1, 2)), (2, {"a": 3})]
    assert tree_map(lambda x, y: y, [1, 3], [None, 4]) == [None, 4]


def test_tree_map_does_not_call_f_on_none():
    calls = []
    out = tree_map(lambda x: calls.append(x) or x, {"a": None, "b": 1})
    assert out == {"a": None, "b": 1}
    assert calls == [1]
    assert tree_map(lambda x: 1 / 0, None) is None


def test_tree_map_is_leaf():
    tree = [(1, 2), (3, 4)]
    out = tree_map(sum, tree, is_leaf=lambda x: isinstance(x, tuple))
    assert out == [3, 7]
    out = tree_map(lambda x: "none", [1, None], is_leaf=lambda x: x is None)
    assert out == ["none", "none"]


@pytest.mark.parametrize(
    ("first", "second", "fragment"),
    [
        ([1, 2], (1, 2), "expected a list node, found a node of type tuple"),
        ([1, 2], [1, 2, 3], "list node has 3 children, expected 2"),
        ({"a": 1}, {"b": 1}, "dict keys differ"),
        ([1, None], [3, 4], "at [1]"),
        ({"x": [1, 2]}, {"x": 1}, "at ['x']: expected a list node, found a leaf of type int"),
    ],
    ids=repr,
)
def test_tree_map_structure_mismatch_names_both_structures(first, second, fragment):
    with pytest.raises(ValueError, match="tree_map: rest\\[0\\] does not match") as info:
        tree_map(lambda *xs: xs, first, second)
    message = str(info.value)
    assert f"first tree: {tree_structure(first)!r}" in message
    assert f"rest[0]:    {tree_structure(second)!r}" in message
    assert fragment in message


def test_tree_map_mismatch_names_the_offending_tree():
    with pytest.raises(ValueError, match="rest\\[1\\]"):
        tree_map(lambda *xs: xs, [1, 2], [3, 4], [5])


def test_tree_map_mismatch_with_unsortable_dict_keys():
    with pytest.raises(ValueError, match="sorting pytree dictionary keys"):
        tree_map(lambda x, y: x, {"a": 1}, {"a": 1, 2: 2})


# ---------------------------------------------------------------------------
# tree_reduce / tree_all / tree_transpose
# ---------------------------------------------------------------------------


def test_tree_reduce():
    assert tree_reduce(lambda a, b: a + b, [1, (2, {"x": 3})]) == 6
    assert tree_reduce(lambda a, b: a + b, [1, 2], 10) == 13
    assert tree_reduce(lambda a, b: a + b, [1, 2], initializer=10) == 13
    assert tree_reduce(max, [], initializer=-1) == -1
    assert tree_reduce(lambda a, b: a + b, {"b": "y", "a": "x"}) == "xy"
    assert tree_reduce(lambda a, b: a + b, [1, None, 2]) == 3


def test_tree_reduce_empty_without_initializer_raises():
    with pytest.raises(TypeError):
        tree_reduce(lambda a, b: a + b, [None, ()])


def test_tree_reduce_is_leaf():
    total = tree_reduce(
        lambda acc, t: acc + len(t), [(1, 2), (3,)], 0, is_leaf=lambda x: isinstance(x, tuple)
    )
    assert total == 3


def test_tree_all():
    assert tree_all([True, {"a": 1, "b": (2,)}])
    assert not tree_all([True, (0,)])
    assert tree_all([])
    assert tree_all(None)
    assert not tree_all([[]], is_leaf=lambda x: x == [])


def test_tree_transpose():
    outer = tree_structure([0, 0, 0])
    inner = tree_structure((0, 0))
    out = tree_transpose(outer, inner, [(1, 2), (3, 4), (5, 6)])
    assert out == ([1, 3, 5], [2, 4, 6])


def test_tree_transpose_dicts():
    outer = tree_structure({"a": 0, "b": 0})
    inner = tree_structure([0, {"x": 0}])
    tree = {"a": [1, {"x": 2}], "b": [3, {"x": 4}]}
    out = tree_transpose(outer, inner, tree)
    assert out == [{"a": 1, "b": 3}, {"x": {"a": 2, "b": 4}}]
    assert tree_transpose(inner, outer, out) == tree


def test_tree_transpose_infers_inner():
    outer = tree_structure([0, 0])
    assert tree_transpose(outer, None, [{"p": 1, "q": 2}, {"p": 3, "q": 4}]) == {
        "p": [1, 3],
        "q": [2, 4],
    }


def test_tree_transpose_empty_parts():
    assert tree_transpose(tree_structure([]), tree_structure((0, 0)), []) == ([], [])
    assert tree_transpose(tree_structure([0, 0]), tree_structure(()), [(), ()]) == ()


def test_tree_transpose_mismatch():
    outer = tree_structure([0, 0])
    inner = tree_structure((0, 0))
    with pytest.raises(TypeError, match="tree_transpose: structure mismatch"):
        tree_transpose(outer, inner, [(1, 2), (3, 4, 5)])
    with pytest.raises(TypeError, match="structure mismatch"):
        tree_transpose(outer, inner, [(1, 2), [3, 4]])


# ---------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------


def test_register_pytree_node_custom_class():
    tree = {"k": Box([1, 2], "lbl")}
    leaves, treedef = tree_flatten(tree)
    assert leaves == [1, 2]
    assert repr(treedef) == "PyTreeDef({'k': CustomNode(Box[lbl], [[*, *]])})"
    assert tree_unflatten(treedef, [3, 4]) == {"k": Box([3, 4], "lbl")}


def test_register_pytree_node_class_decorator():
    leaves, treedef = tree_flatten(Pair(1, (2, 3)))
    assert leaves == [1, 2, 3]
    assert tree_unflatten(treedef, "abc") == Pair("a", ("b", "c"))
    assert tree_map(lambda x: x * 2, Pair(1, 2)) == Pair(2, 4)


def test_register_duplicate_raises():
    class Fresh:
        pass

    register_pytree_node(Fresh, lambda x: ((), None), lambda aux, ch: Fresh())
    with pytest.raises(ValueError, match="Duplicate custom PyTreeDef type registration"):
        register_pytree_node(Fresh, lambda x: ((), None), lambda aux, ch: Fresh())
    with pytest.raises(ValueError, match="Duplicate"):
        register_pytree_node(list, lambda x: (x, None), lambda aux, ch: list(ch))


def test_unflatten_func_receives_tuple_and_flatten_may_return_generator():
    seen = []

    class Gen:
        def __init__(self, *items):
            self.items = items

    def flatten(g):
        return (item for item in g.items), len(g.items)

    def unflatten(aux, children):
        seen.append(type(children))
        return Gen(*children)

    register_pytree_node(Gen, flatten, unflatten)
    leaves, treedef = tree_flatten(Gen(1, 2, 3))
    assert leaves == [1, 2, 3]
    assert tree_unflatten(treedef, [4, 5, 6]).items == (4, 5, 6)
    assert seen == [tuple]
    assert treedef.flatten_up_to(Gen(7, 8, 9)) == [7, 8, 9]


def test_registration_makes_subclass_of_namedtuple_override_default():
    Special = collections.namedtuple("Special", ["a", "b"])
    register_pytree_node(
        Special, lambda s: ((s.a,), s.b), lambda b, children: Special(children[0], b)
    )
    leaves, treedef = tree_flatten(Special(1, "static"))
    assert leaves == [1]
    assert tree_unflatten(treedef, [2]) == Special(2, "static")


def test_register_pytree_with_keys():
    class Keyed:
        def __init__(self, a, b):
            self.a, self.b = a, b

    register_pytree_with_keys(
        Keyed,
        lambda k: (((GetAttrKey("a"), k.a), (GetAttrKey("b"), k.b)), None),
        lambda aux, children: Keyed(*children),
    )
    assert tree_leaves(Keyed(1, [2])) == [1, 2]
    paths = [keystr(p) for p, _ in tree_leaves_with_path(Keyed(1, [2]))]
    assert paths == [".a", ".b[0]"]
    rebuilt = tree_map(lambda x: x + 1, Keyed(1, 2))
    assert (rebuilt.a, rebuilt.b) == (2, 3)


def test_register_pytree_node_with_keys_func():
    class WithKeys:
        def __init__(self, v):
            self.v = v

    register_pytree_node(
        WithKeys,
        lambda w: ((w.v,), None),
        lambda aux, children: WithKeys(*children),
        flatten_with_keys_func=lambda w: (((DictKey("v"), w.v),), None),
    )
    assert [keystr(p) for p, _ in tree_leaves_with_path(WithKeys(1))] == ["['v']"]


# ---------------------------------------------------------------------------
# Key paths
# ---------------------------------------------------------------------------


def test_key_objects():
    assert str(SequenceKey(0)) == "[0]"
    assert str(DictKey("a")) == "['a']"
    assert str(DictKey(1)) == "[1]"
    assert str(GetAttrKey("x")) == ".x"
    assert str(FlattenedIndexKey(3)) == "[<flat index 3>]"
    assert repr(SequenceKey(0)) == "SequenceKey(idx=0)"
    assert repr(DictKey("a")) == "DictKey(key='a')"
    assert repr(GetAttrKey("x")) == "GetAttrKey(name='x')"
    assert repr(FlattenedIndexKey(3)) == "FlattenedIndexKey(key=3)"
    assert SequenceKey(1) == SequenceKey(1)
    assert SequenceKey(1) != FlattenedIndexKey(1)
    assert hash(DictKey("a")) == hash(DictKey("a"))
    assert SequenceKey(2).idx == 2
    assert DictKey("k").key == "k"
    assert GetAttrKey("n").name == "n"


def test_keystr():
    path = (DictKey("a"), SequenceKey(0), GetAttrKey("x"), FlattenedIndexKey(2))
    assert keystr(path) == "['a'][0].x[<flat index 2>]"
    assert keystr(path, simple=True, separator="/") == "a/0/x/2"
    assert keystr(()) == ""
    assert keystr(("raw", 1), separator=",") == "raw,1"


def test_tree_flatten_with_path():
    tree = {"a": [1, Point(2, 3)], "b": Box(4), "c": Params(5, 6), "n": None}
    pairs, treedef = tree_flatten_with_path(tree)
    assert [x for _, x in pairs] == tree_leaves(tree)
    assert treedef == tree_structure(tree)
    assert [p for p, _ in pairs] == [
        (DictKey("a"), SequenceKey(0)),
        (DictKey("a"), SequenceKey(1), GetAttrKey("x")),
        (DictKey("a"), SequenceKey(1), GetAttrKey("y")),
        (DictKey("b"), FlattenedIndexKey(0)),
        (DictKey("c"), GetAttrKey("w")),
        (DictKey("c"), GetAttrKey("b")),
    ]
    assert [keystr(p) for p, _ in pairs][:3] == ["['a'][0]", "['a'][1].x", "['a'][1].y"]


def test_with_path_ordered_and_default_dicts():
    tree = [collections.OrderedDict([("z", 1), ("a", 2)]), collections.defaultdict(int, b=3, a=4)]
    paths = [keystr(p) for p, _ in tree_leaves_with_path(tree)]
    assert paths == ["[0]['z']", "[0]['a']", "[1]['a']", "[1]['b']"]


def test_leaf_root_has_empty_path():
    assert tree_leaves_with_path(5) == [((), 5)]


def test_flatten_with_path_is_leaf():
    tree = {"a": (1, 2), "b": [3]}
    pairs, treedef = tree_flatten_with_path(tree, is_leaf=lambda x: isinstance(x, tuple))
    assert [(keystr(p), x) for p, x in pairs] == [("['a']", (1, 2)), ("['b'][0]", 3)]
    assert treedef.num_leaves == 2
    pairs = tree_leaves_with_path(
        tree, is_leaf=lambda path, x: path == (DictKey("b"),), is_leaf_takes_path=True
    )
    assert [(keystr(p), x) for p, x in pairs] == [("['a'][0]", 1), ("['a'][1]", 2), ("['b']", [3])]


def test_tree_map_with_path():
    out = tree_map_with_path(lambda p, x: f"{keystr(p)}={x}", {"a": 1, "b": [2, None]})
    assert out == {"a": "['a']=1", "b": ["['b'][0]=2", None]}
    out = tree_map_with_path(lambda p, x, y: (keystr(p), x + y), [1, 2], [10, 20])
    assert out == [("[0]", 11), ("[1]", 22)]


def test_tree_map_with_path_mismatch():
    with pytest.raises(ValueError, match="tree_map_with_path: rest\\[0\\] does not match"):
        tree_map_with_path(lambda p, x, y: x, [1, 2], (1, 2))


# ---------------------------------------------------------------------------
# Public modules
# ---------------------------------------------------------------------------


def test_tree_module_aliases():
    assert tl_tree.map is tree_map
    assert tl_tree.leaves is tree_leaves
    assert tl_tree.flatten is tree_flatten
    assert tl_tree.unflatten is tree_unflatten
    assert tl_tree.structure is tree_structure
    assert tl_tree.reduce is tree_reduce
    assert tl_tree.all is tree_all
    assert tl_tree.transpose is tree_transpose
    assert tl_tree.map_with_path is tree_map_with_path
    assert tl_tree.flatten_with_path is tree_flatten_with_path
    assert tl_tree.leaves_with_path is tree_leaves_with_path
    assert tl_tree.map(lambda x: -x, {"a": 1}) == {"a": -1}


def test_tree_util_module_exports():
    assert isinstance(tree_structure(1), tl_tree_util.PyTreeDef)
    assert tl_tree_util.PyTreeDef is PyTreeDef
    for name in ["tree_map", "tree_flatten", "register_pytree_node", "keystr", "SequenceKey"]:
        assert hasattr(tl_tree_util, name)


_PYTREE_MODULES = ("tree_util", "pytree_keys", "pytree_registry", "pytree_def")


def test_implementation_imports_only_stdlib():
    # The implementation (tree_util and the pytree_* modules it is built from) imports only the
    # standard library and those modules.
    package = tree_map.__module__.rsplit(".", 1)[0]
    ours = {f"{package}.{m}" for m in _PYTREE_MODULES}
    assert tree_map.__module__ in ours
    roots = set()
    for mod in sorted(ours):
        source = Path(importlib.import_module(mod).__file__).read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                roots.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"relative import in {mod}"
                if node.module not in ours:
                    roots.add(node.module.split(".")[0])
    assert roots, "expected some imports"
    assert roots <= set(sys.stdlib_module_names) | {"__future__"}, roots


# ---------------------------------------------------------------------------
# Oracle: compare with jax.tree_util when JAX is installed
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jtu():
    """``jax.tree_util`` with ``Box`` and ``Pair`` registered; skips without JAX."""
    pytest.importorskip("jax", reason="JAX is not installed; oracle comparison skipped")
    import jax.tree_util as jax_tree_util

    for cls in (Box, Pair):
        flatten, unflatten = _registered_funcs(cls)
        with contextlib.suppress(ValueError):  # already registered
            jax_tree_util.register_pytree_node(cls, flatten, unflatten)
    return jax_tree_util


def _registered_funcs(cls):
    if cls is Box:
        return (lambda b: ((b.value,), b.label), lambda label, ch: Box(ch[0], label))
    return (lambda p: ((p.first, p.second), None), lambda aux, ch: Pair(*ch))


def oracle_trees():
    return [*example_trees(), Box([1, 2], "t"), {"p": Pair(1, (2, None))}]


@pytest.mark.parametrize("tree", oracle_trees(), ids=repr)
def test_oracle_flatten(jtu, tree):
    leaves, treedef = tree_flatten(tree)
    jax_leaves, jax_treedef = jtu.tree_flatten(tree)
    assert leaves == jax_leaves
    assert repr(treedef) == repr(jax_treedef)
    assert treedef.num_leaves == jax_treedef.num_leaves
    assert treedef.num_nodes == jax_treedef.num_nodes
    assert [repr(c) for c in treedef.children()] == [repr(c) for c in jax_treedef.children()]
    rebuilt = tree_unflatten(treedef, [str(x) for x in leaves])
    assert rebuilt == jtu.tree_unflatten(jax_treedef, [str(x) for x in leaves])


@pytest.mark.parametrize("tree", oracle_trees(), ids=repr)
def test_oracle_paths_and_map(jtu, tree):
    ours = [(keystr(p), x) for p, x in tree_flatten_with_path(tree)[0]]
    theirs = [(jtu.keystr(p), x) for p, x in jtu.tree_flatten_with_path(tree)[0]]
    assert ours == theirs
    assert tree_map(repr, tree) == jtu.tree_map(repr, tree)
    assert tree_map(lambda x, y: (x, y), tree, tree) == jtu.tree_map(
        lambda x, y: (x, y), tree, tree
    )


def test_oracle_structure_equality_relation(jtu):
    trees = [*oracle_trees(), [1, 2], (1, 2), {"a": 1}, {"b": 1}, Other(1, [2, 3])]
    ours = [tree_structure(t) for t in trees]
    theirs = [jtu.tree_structure(t) for t in trees]
    for i in range(len(trees)):
        for j in range(len(trees)):
            assert (ours[i] == ours[j]) == (theirs[i] == theirs[j]), (trees[i], trees[j])


@pytest.mark.parametrize(
    ("prefix", "tree"),
    [([0, 0], [(1, 2), {"a": 3}]), ({"a": 0, "b": 0}, {"a": [1], "b": None}), (0, [1, 2])],
    ids=repr,
)
def test_oracle_flatten_up_to(jtu, prefix, tree):
    assert tree_structure(prefix).flatten_up_to(tree) == jtu.tree_structure(prefix).flatten_up_to(
        tree
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [([1, 2], (1, 2)), ([1, 2], [1, 2, 3]), ({"a": 1}, {"b": 1}), ([1, None], [3, 4])],
    ids=repr,
)
def test_oracle_mismatches_raise_value_error(jtu, first, second):
    with pytest.raises(ValueError):
        jtu.tree_map(lambda *xs: xs, first, second)
    with pytest.raises(ValueError):
        tree_map(lambda *xs: xs, first, second)


def test_oracle_transpose_and_reduce(jtu):
    outer = [0, 0, 0]
    inner = {"x": 0, "y": (0, 0)}
    tree = [{"x": i, "y": (i + 1, i + 2)} for i in range(3)]
    ours = tree_transpose(tree_structure(outer), tree_structure(inner), tree)
    theirs = jtu.tree_transpose(jtu.tree_structure(outer), jtu.tree_structure(inner), tree)
    assert ours == theirs
    assert tree_reduce(lambda a, b: a + b, tree) == jtu.tree_reduce(lambda a, b: a + b, tree)
