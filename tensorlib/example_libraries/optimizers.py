"""Optimizers written with tensorlib, a port of ``jax.example_libraries.optimizers``.

An optimizer is an ``(init_fun, update_fun, get_params)`` triple:

- ``init_fun(params) -> opt_state`` for a pytree of parameters;
- ``update_fun(step, grads, opt_state) -> opt_state``, ``grads`` shaped like the params;
- ``get_params(opt_state) -> params``, with ``get_params(init_fun(p)) == p``.

Example::

    opt_init, opt_update, get_params = optimizers.adam(1e-3)
    opt_state = opt_init(params)
    for i in range(num_steps):
        loss, grads = tl.value_and_grad(loss_fn)(get_params(opt_state), batch)
        opt_state = opt_update(i, grads, opt_state)

The optimizers here are meant as examples, the same as JAX's; the step-size argument of each
takes a number or a schedule ``step -> step size`` (``exponential_decay`` and friends).
"""

from __future__ import annotations

import functools
from collections import namedtuple
from collections.abc import Callable
from typing import Any, NamedTuple

import tensorlib.numpy as tnp
from tensorlib._src.numpy.ufuncs import where as _where
from tensorlib._src.pytree_registry import register_pytree_node
from tensorlib._src.tree_util import tree_flatten, tree_map, tree_unflatten

__all__ = [
    "JoinPoint", "Optimizer", "OptimizerState", "adagrad", "adam", "adamax", "clip_grads",
    "constant", "exponential_decay", "inverse_time_decay", "l2_norm", "make_schedule",
    "momentum", "nesterov", "optimizer", "pack_optimizer_state", "piecewise_constant",
    "polynomial_decay", "rmsprop", "rmsprop_momentum", "sgd", "sm3", "unpack_optimizer_state",
]

OptimizerState = namedtuple("OptimizerState", ["packed_state", "tree_def", "subtree_defs"])
# Only the packed state is data; the tree definitions are static structure.
register_pytree_node(
    OptimizerState,
    lambda xs: ((xs.packed_state,), (xs.tree_def, xs.subtree_defs)),
    lambda data, xs: OptimizerState(xs[0], data[0], data[1]))

Params = Any
Step = int
Schedule = Callable[[Step], float]


class Optimizer(NamedTuple):
    init_fn: Callable
    update_fn: Callable
    params_fn: Callable


def _unzip2(pairs):
    firsts, seconds = [], []
    for a, b in pairs:
        firsts.append(a)
        seconds.append(b)
    return tuple(firsts), tuple(seconds)


def optimizer(opt_maker):
    """Decorator lifting an optimizer written for single arrays to pytrees of arrays.

    ``opt_maker(*args)`` returns ``(init, update, get_params)`` acting on one array (and its
    own state pytree); the decorated maker returns an :class:`Optimizer` acting on any pytree
    of parameters, with an :data:`OptimizerState` as state.

    Examples
    --------
    >>> from tensorlib.example_libraries import optimizers
    >>> @optimizers.optimizer
    ... def sign_sgd(step_size):  # init, update and get_params for one array
    ...     return (lambda x0: x0), (lambda i, g, x: x - step_size * tnp.sign(g)), (lambda x: x)
    >>> opt_init, opt_update, get_params = sign_sgd(0.5)
    >>> get_params(opt_update(0, {"w": tnp.array([2.0, -3.0])}, opt_init({"w": tnp.zeros(2)})))
    {'w': Array([-0.5,  0.5], dtype=float32)}
    """

    @functools.wraps(opt_maker)
    def tree_opt_maker(*args, **kwargs):
        init, update, get_params = opt_maker(*args, **kwargs)

        @functools.wraps(init)
        def tree_init(x0_tree):
            x0_flat, tree = tree_flatten(x0_tree)
            initial_states = [init(x0) for x0 in x0_flat]
            states_flat, subtrees = _unzip2(map(tree_flatten, initial_states))
            return OptimizerState(states_flat, tree, subtrees)

        @functools.wraps(update)
        def tree_update(i, grad_tree, opt_state):
            states_flat, tree, subtrees = opt_state
            grad_flat, tree2 = tree_flatten(grad_tree)
            if tree2 != tree:
                raise TypeError("optimizer update function was passed a gradient tree that did "
                                "not match the parameter tree structure with which it was "
                                f"initialized: parameter tree {tree} and grad tree {tree2}.")
            states = map(tree_unflatten, subtrees, states_flat)
            new_states = map(functools.partial(update, i), grad_flat, states)
            new_states_flat, subtrees2 = _unzip2(map(tree_flatten, new_states))
            for subtree, subtree2 in zip(subtrees, subtrees2, strict=True):
                if subtree2 != subtree:
                    raise TypeError("optimizer update function produced an output structure "
                                    "that did not match its input structure: input "
                                    f"{subtree} and output {subtree2}.")
            return OptimizerState(new_states_flat, tree, subtrees)

        @functools.wraps(get_params)
        def tree_get_params(opt_state):
            states_flat, tree, subtrees = opt_state
            states = map(tree_unflatten, subtrees, states_flat)
            return tree_unflatten(tree, [get_params(s) for s in states])

        return Optimizer(tree_init, tree_update, tree_get_params)

    return tree_opt_maker


# --------------------------------------------------------------------------------------------
# optimizers


@optimizer
def sgd(step_size):
    """Stochastic gradient descent: ``x -= step_size(i) * g``.

    Examples
    --------
    >>> from tensorlib.example_libraries import optimizers
    >>> opt_init, opt_update, get_params = optimizers.sgd(0.1)
    >>> state = opt_update(0, tnp.array([0.5, -4.0]), opt_init(tnp.array([1.0, -2.0])))
    >>> tnp.round(get_params(state), 4)  # x - 0.1 * g
    Array([ 0.95, -1.6 ], dtype=float32)
    """
    step_size = make_schedule(step_size)

    def init(x0):
        return x0

    def update(i, g, x):
        return x - step_size(i) * g

    def get_params(x):
        return x

    return Optimizer(init, update, get_params)


@optimizer
def momentum(step_size, mass: float):
    """SGD with momentum: ``v = mass * v + g; x -= step_size(i) * v``.

    Examples
    --------
    >>> from tensorlib.example_libraries import optimizers
    >>> opt_init, opt_update, get_params = optimizers.momentum(0.1, mass=0.9)
    >>> state = opt_init(tnp.array([1.0, -2.0]))
    >>> for i in range(2):
    ...     state = opt_update(i, tnp.array([0.5, -4.0]), state)
    >>> tnp.round(get_params(state), 4)  # second step: v = 1.9 * g
    Array([ 0.855, -0.84 ], dtype=float32)
    """
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, tnp.zeros_like(x0)

    def update(i, g, state):
        x, velocity = state
        velocity = mass * velocity + g
        return x - step_size(i) * velocity, velocity

    def get_params(state):
        return state[0]

    return init, update, get_params


@optimizer
def nesterov(step_size, mass: float):
    """SGD with Nesterov momentum: ``v = mass * v + g; x -= step_size(i) * (mass * v + g)``.

    Examples
    --------
    >>> from tensorlib.example_libraries import optimizers
    >>> opt_init, opt_update, get_params = optimizers.nesterov(0.1, mass=0.9)
    >>> state = opt_init(tnp.array([1.0, -2.0]))
    >>> for i in range(2):
    ...     state = opt_update(i, tnp.array([0.5, -4.0]), state)
    >>> tnp.round(get_params(state), 4)
    Array([ 0.7695, -0.156 ], dtype=float32)
    """
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, tnp.zeros_like(x0)

    def update(i, g, state):
        x, velocity = state
        velocity = mass * velocity + g
        return x - step_size(i) * (mass * velocity + g), velocity

    def get_params(state):
        return state[0]

    return init, update, get_params


@optimizer
def adagrad(step_size, momentum=0.9):
    """Adagrad (Duchi et al., 2011) with momentum on the normalized gradient.

    Examples
    --------
    >>> from tensorlib.example_libraries import optimizers
    >>> opt_init, opt_update, get_params = optimizers.adagrad(0.1)
    >>> state = opt_init(tnp.array([1.0, -2.0]))
    >>> for i in range(2):
    ...     state = opt_update(i, tnp.array([0.5, -4.0]), state)
    >>> tnp.round(get_params(state), 4)  # steps independent of the scale of g
    Array([ 0.9739, -1.9739], dtype=float32)
    """
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, tnp.zeros_like(x0), tnp.zeros_like(x0)

    def update(i, g, state):
        x, g_sq, m = state
        g_sq = g_sq + tnp.square(g)
        pos = g_sq > 0
        # 1/sqrt of the masked-out zeros would be inf; feed those lanes 1 instead.
        g_sq_inv_sqrt = _where(pos, 1.0 / tnp.sqrt(_where(pos, g_sq, 1.0)), 0.0)
        m = (1.0 - momentum) * (g * g_sq_inv_sqrt) + momentum * m
        return x - step_size(i) * m, g_sq, m

    def get_params(state):
        return state[0]

    return init, update, get_params


@optimizer
def rmsprop(step_size, gamma=0.9, eps=1e-8):
    """RMSProp: ``a = gamma * a + (1 - gamma) * g**2; x -= step_size(i) * g / sqrt(a + eps)``.

    Examples
    --------
    >>> from tensorlib.example_libraries import optimizers
    >>> opt_init, opt_update, get_params = optimizers.rmsprop(0.1)
    >>> state = opt_update(0, tnp.array([0.5, -4.0]), opt_init(tnp.array([1.0, -2.0])))
    >>> tnp.round(get_params(state), 4)  # first step: 0.1 * g / sqrt(0.1 * g**2)
    Array([ 0.6838, -1.6838], dtype=float32)
    """
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, tnp.zeros_like(x0)

    def update(i, g, state):
        x, avg_sq_grad = state
        avg_sq_grad = avg_sq_grad * gamma + tnp.square(g) * (1.0 - gamma)
        return x - step_size(i) * g / tnp.sqrt(avg_sq_grad + eps), avg_sq_grad

    def get_params(state):
        return state[0]

    return init, update, get_params


@optimizer
def rmsprop_momentum(step_size, gamma=0.9, eps=1e-8, momentum=0.9):
    """RMSProp with momentum on the normalized step.

    Examples
    --------
    >>> from tensorlib.example_libraries import optimizers
    >>> opt_init, opt_update, get_params = optimizers.rmsprop_momentum(0.1)
    >>> state = opt_init(tnp.array([1.0, -2.0]))
    >>> for i in range(2):
    ...     state = opt_update(i, tnp.array([0.5, -4.0]), state)
    >>> tnp.round(get_params(state), 4)
    Array([ 0.1698, -1.1698], dtype=float32)
    """
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, tnp.zeros_like(x0), tnp.zeros_like(x0)

    def update(i, g, state):
        x, avg_sq_grad, mom = state
        avg_sq_grad = avg_sq_grad * gamma + tnp.square(g) * (1.0 - gamma)
        mom = momentum * mom + step_size(i) * g / tnp.sqrt(avg_sq_grad + eps)
        return x - mom, avg_sq_grad, mom

    def get_params(state):
        return state[0]

    return init, update, get_params


@optimizer
def adam(step_size, b1=0.9, b2=0.999, eps=1e-8):
    """Adam (Kingma and Ba, 2015), with bias-corrected first and second moments.

    Examples
    --------
    >>> from tensorlib.example_libraries import optimizers
    >>> opt_init, opt_update, get_params = optimizers.adam(0.1)
    >>> state = opt_update(0, tnp.array([0.5, -4.0]), opt_init(tnp.array([1.0, -2.0])))
    >>> tnp.round(get_params(state), 4)  # the first step is step_size * sign(g)
    Array([ 0.9, -1.9], dtype=float32)
    """
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, tnp.zeros_like(x0), tnp.zeros_like(x0)

    def update(i, g, state):
        x, m, v = state
        m = (1 - b1) * g + b1 * m
        v = (1 - b2) * tnp.square(g) + b2 * v
        mhat = m / (1 - tnp.asarray(b1, m.dtype) ** (i + 1))
        vhat = v / (1 - tnp.asarray(b2, m.dtype) ** (i + 1))
        return x - step_size(i) * mhat / (tnp.sqrt(vhat) + eps), m, v

    def get_params(state):
        return state[0]

    return init, update, get_params


@optimizer
def adamax(step_size, b1=0.9, b2=0.999, eps=1e-8):
    """AdaMax: Adam with an exponentially weighted infinity norm in place of the RMS.

    Examples
    --------
    >>> from tensorlib.example_libraries import optimizers
    >>> opt_init, opt_update, get_params = optimizers.adamax(0.1)
    >>> state = opt_init(tnp.array([1.0, -2.0]))
    >>> for i in range(2):
    ...     state = opt_update(i, tnp.array([0.5, -4.0]), state)
    >>> tnp.round(get_params(state), 4)
    Array([ 0.8, -1.8], dtype=float32)
    """
    step_size = make_schedule(step_size)

    def init(x0):
        return x0, tnp.zeros_like(x0), tnp.zeros_like(x0)

    def update(i, g, state):
        x, m, u = state
        m = (1 - b1) * g + b1 * m
        u = tnp.maximum(b2 * u, tnp.abs(g))
        lr = step_size(i) / (1 - tnp.asarray(b1, m.dtype) ** (i + 1))
        return x - lr * m / (u + eps), m, u

    def get_params(state):
        return state[0]

    return init, update, get_params


class _Static:
    """A pytree node with no leaves that carries a hashable value in its tree structure."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return isinstance(other, _Static) and other.value == self.value

    def __hash__(self):
        return hash(self.value)

    def __repr__(self):
        return f"_Static({self.value!r})"


register_pytree_node(_Static, lambda s: ((), s.value), lambda value, _: _Static(value))


@optimizer
def sm3(step_size, momentum=0.9):
    """SM3 (Anil et al., 2019): Adagrad with one accumulator per axis, memory ``sum(shape)``.

    Unlike JAX's version, the parameter's original shape is kept in the state's tree structure
    rather than as integer leaves, so a jitted update sees it as static.

    Examples
    --------
    >>> from tensorlib.example_libraries import optimizers
    >>> opt_init, opt_update, get_params = optimizers.sm3(0.1)
    >>> state = opt_init(tnp.ones((2, 3)))  # accumulators of sizes 2 and 3, not 2 x 3
    >>> state = opt_update(0, tnp.full((2, 3), 4.0), state)
    >>> tnp.round(get_params(state), 4)
    Array([[0.99, 0.99, 0.99],
           [0.99, 0.99, 0.99]], dtype=float32)
    """
    step_size = make_schedule(step_size)

    def splice(seq, i, x):
        lst = list(seq)
        lst[i:i + 1] = x
        return lst

    def broadcast_into(ndim, x, axis):
        idx = splice([None] * ndim, axis, [slice(None)])
        return x[tuple(idx)]

    def init(x0):
        x_shape = tuple(x0.shape)
        x0 = tnp.atleast_1d(x0)
        vs = [tnp.zeros(sz, dtype=x0.dtype) for sz in x0.shape]
        return x0, tnp.zeros_like(x0), vs, _Static(x_shape)

    def update(i, g, state):
        x, m, vs, x_shape = state
        g = tnp.reshape(g, x.shape)
        vs = [broadcast_into(g.ndim, v, k) for k, v in enumerate(vs)]
        accum = functools.reduce(tnp.minimum, vs) + tnp.square(g)
        pos = accum > 0
        accum_inv_sqrt = _where(pos, 1.0 / tnp.sqrt(_where(pos, accum, 1.0)), 0.0)
        m = (1.0 - momentum) * (g * accum_inv_sqrt) + momentum * m
        x = x - step_size(i) * m
        vs = [accum.max(tuple(splice(range(x.ndim), j, []))) for j in range(x.ndim)]
        return x, m, vs, x_shape

    def get_params(state):
        x, _, _, x_shape = state
        return x.reshape(x_shape.value)

    return init, update, get_params


# --------------------------------------------------------------------------------------------
# step-size schedules


def constant(step_size) -> Schedule:
    """The schedule ``i -> step_size``.

    Examples
    --------
    >>> from tensorlib.example_libraries import optimizers
    >>> optimizers.constant(0.1)(1000)
    0.1
    """

    def schedule(i):
        return step_size

    return schedule


def exponential_decay(step_size, decay_steps, decay_rate) -> Schedule:
    """``i -> step_size * decay_rate ** (i / decay_steps)``.

    Examples
    --------
    >>> from tensorlib.example_libraries import optimizers
    >>> sched = optimizers.exponential_decay(0.1, decay_steps=10, decay_rate=0.5)
    >>> sched(0), sched(10), sched(20)
    (0.1, 0.05, 0.025)
    """

    def schedule(i):
        return step_size * decay_rate ** (i / decay_steps)

    return schedule


def inverse_time_decay(step_size, decay_steps, decay_rate, staircase=False) -> Schedule:
    """``i -> step_size / (1 + decay_rate * i / decay_steps)`` (floored with ``staircase``).

    Examples
    --------
    >>> from tensorlib.example_libraries import optimizers
    >>> sched = optimizers.inverse_time_decay(0.1, decay_steps=10, decay_rate=1.0)
    >>> sched(0), sched(10), sched(30)
    (0.1, 0.05, 0.025)
    """
    if staircase:
        def schedule(i):
            return step_size / (1 + decay_rate * tnp.floor(i / decay_steps))
    else:
        def schedule(i):
            return step_size / (1 + decay_rate * i / decay_steps)
    return schedule


def polynomial_decay(step_size, decay_steps, final_step_size, power=1.0) -> Schedule:
    """Decay from ``step_size`` to ``final_step_size`` over ``decay_steps`` as ``(1-t)**power``.

    Examples
    --------
    >>> from tensorlib.example_libraries import optimizers
    >>> sched = optimizers.polynomial_decay(0.1, decay_steps=10, final_step_size=0.01)
    >>> [round(float(sched(i)), 4) for i in (0, 5, 10, 20)]  # linear (power=1), then constant
    [0.1, 0.055, 0.01, 0.01]
    """

    def schedule(step_num):
        step_num = tnp.minimum(step_num, decay_steps)
        step_mult = (1 - step_num / decay_steps) ** power
        return step_mult * (step_size - final_step_size) + final_step_size

    return schedule


def piecewise_constant(boundaries, values) -> Schedule:
    """``values[k]`` for steps in ``(boundaries[k-1], boundaries[k]]``.

    Examples
    --------
    >>> sched = piecewise_constant([10, 20], [1.0, 0.5, 0.25])
    >>> float(sched(5)), float(sched(10)), float(sched(15)), float(sched(25))
    (1.0, 1.0, 0.5, 0.25)
    """
    boundaries = tnp.array(boundaries)
    values = tnp.array(values)
    if not boundaries.ndim == values.ndim == 1:
        raise ValueError("boundaries and values must be sequences")
    if not boundaries.shape[0] == values.shape[0] - 1:
        raise ValueError("boundaries length must be one shorter than values length")

    def schedule(i):
        return values[tnp.sum(i > boundaries)]

    return schedule


def make_schedule(scalar_or_schedule) -> Schedule:
    """A schedule from a callable (returned as is) or a scalar (a constant schedule).

    Examples
    --------
    >>> from tensorlib.example_libraries import optimizers
    >>> optimizers.make_schedule(0.1)(7)
    0.1
    >>> optimizers.make_schedule(lambda i: 1.0 / (i + 1))(3)
    0.25
    """
    if callable(scalar_or_schedule):
        return scalar_or_schedule
    if tnp.ndim(scalar_or_schedule) == 0:
        return constant(scalar_or_schedule)
    raise TypeError(f"make_schedule: expected a scalar or a callable step -> step size, got "
                    f"{type(scalar_or_schedule).__name__}")


# --------------------------------------------------------------------------------------------
# utilities


def l2_norm(tree):
    """The l2 norm of a pytree of arrays (the norm of all leaves concatenated).

    Examples
    --------
    >>> from tensorlib.example_libraries import optimizers
    >>> optimizers.l2_norm({"a": tnp.array([3.0, 0.0]), "b": [tnp.array([[4.0]])]})
    Array(5., dtype=float32)
    """
    leaves, _ = tree_flatten(tree)
    return tnp.sqrt(sum(tnp.vdot(x, x) for x in leaves))


def clip_grads(grad_tree, max_norm):
    """Scale ``grad_tree`` down so that its :func:`l2_norm` is at most ``max_norm``.

    Examples
    --------
    >>> from tensorlib.example_libraries import optimizers
    >>> grads = {"a": tnp.array([3.0, 0.0]), "b": tnp.array([4.0])}  # norm 5
    >>> optimizers.clip_grads(grads, 1.0)
    {'a': Array([0.6, 0. ], dtype=float32), 'b': Array([0.8], dtype=float32)}
    >>> optimizers.clip_grads(grads, 10.0)["a"]  # already short enough: unchanged
    Array([3., 0.], dtype=float32)
    """
    norm = l2_norm(grad_tree)

    def normalize(g):
        return _where(norm < max_norm, g, g * (max_norm / norm))

    return tree_map(normalize, grad_tree)


class JoinPoint:
    """Marks the boundary between two joined (nested) pytrees."""

    def __init__(self, subtree):
        self.subtree = subtree

    # Iterable so that e.g. numpy's savez can descend into it.
    def __iter__(self):
        yield self.subtree


def unpack_optimizer_state(opt_state):
    """An :data:`OptimizerState` as a plain pytree whose leaves are :class:`JoinPoint` s.

    Useful to serialize optimizer state; :func:`pack_optimizer_state` inverts it.

    Examples
    --------
    >>> from tensorlib.example_libraries import optimizers
    >>> opt_init, opt_update, get_params = optimizers.momentum(0.1, mass=0.9)
    >>> state = opt_init({"w": tnp.ones(2), "b": tnp.zeros(())})
    >>> marked = optimizers.unpack_optimizer_state(state)
    >>> type(marked["w"]).__name__, [x.shape for x in marked["w"].subtree]  # (x, velocity)
    ('JoinPoint', [(2,), (2,)])
    """
    states_flat, tree_def, subtree_defs = opt_state
    subtrees = map(tree_unflatten, subtree_defs, states_flat)
    return tree_unflatten(tree_def, [JoinPoint(s) for s in subtrees])


def pack_optimizer_state(marked_pytree):
    """The inverse of :func:`unpack_optimizer_state`.

    Examples
    --------
    >>> from tensorlib.example_libraries import optimizers
    >>> opt_init, opt_update, get_params = optimizers.momentum(0.1, mass=0.9)
    >>> state = opt_init({"w": tnp.ones(2)})
    >>> restored = optimizers.pack_optimizer_state(optimizers.unpack_optimizer_state(state))
    >>> get_params(restored)
    {'w': Array([1., 1.], dtype=float32)}
    """
    sentinels, tree_def = tree_flatten(marked_pytree)
    if not all(isinstance(s, JoinPoint) for s in sentinels):
        raise TypeError("pack_optimizer_state: expected a pytree whose leaves are all "
                        "JoinPoint (as returned by unpack_optimizer_state)")
    subtrees = [s.subtree for s in sentinels]
    states_flat, subtree_defs = _unzip2(map(tree_flatten, subtrees))
    return OptimizerState(states_flat, tree_def, subtree_defs)
