"""A JAX user's stax + optimizers training script ports to tensorlib by renaming imports only.

``JAX_SCRIPT`` is written against JAX, in the style of JAX's ``examples/mnist_classifier.py``
(``stax.serial`` networks, ``optimizers.adam``, a jitted ``update(i, opt_state, batch)`` built
on ``grad``, ``random.PRNGKey``), trained on scikit-learn's 8x8 digits. The test rewrites its
import lines with a fixed table, checks that nothing else changed, runs the result, and, when
JAX is installed, runs the original too and compares the two.
"""

from __future__ import annotations

import difflib

import numpy as np
import pytest

JAX_SCRIPT = '''\
"""Digits (8x8) classifier: an MLP or a small CNN built with stax, trained with Adam."""

import itertools
import time

import numpy as np
import numpy.random as npr

import jax.numpy as jnp
from jax import jit, grad, random
from jax.example_libraries import optimizers
from jax.example_libraries import stax
from jax.example_libraries.stax import Conv, Dense, Flatten, LogSoftmax, MaxPool, Relu


def mlp():
    return stax.serial(Dense(64), Relu, Dense(64), Relu, Dense(10), LogSoftmax)


def cnn():
    return stax.serial(
        Conv(8, (3, 3), padding="SAME"), Relu,
        MaxPool((2, 2), strides=(2, 2)),
        Flatten,
        Dense(32), Relu,
        Dense(10), LogSoftmax)


def load_digits(test_size=297, seed=0):
    """Images scaled to [0, 1] (NHWC) and one-hot labels, split into train and test."""
    from sklearn.datasets import load_digits as sk_load_digits

    digits = sk_load_digits()
    images = (digits.images / 16.0).astype(np.float32)[..., None]
    labels = np.eye(10, dtype=np.float32)[digits.target]
    perm = npr.RandomState(seed).permutation(len(images))
    train, test = perm[test_size:], perm[:test_size]
    return images[train], labels[train], images[test], labels[test]


def train(data, net=mlp, num_epochs=10, batch_size=100, step_size=1e-2, seed=0, log=print):
    train_images, train_labels, test_images, test_labels = data
    init_random_params, predict = net()
    flat = net is mlp
    if flat:
        train_images = train_images.reshape(len(train_images), -1)
        test_images = test_images.reshape(len(test_images), -1)

    def loss(params, batch):
        inputs, targets = batch
        preds = predict(params, inputs)
        return -jnp.mean(jnp.sum(preds * targets, axis=1))

    def accuracy(params, batch):
        inputs, targets = batch
        target_class = jnp.argmax(targets, axis=1)
        predicted_class = jnp.argmax(predict(params, inputs), axis=1)
        return jnp.mean(predicted_class == target_class)

    num_train = train_images.shape[0]
    num_complete_batches, leftover = divmod(num_train, batch_size)
    num_batches = num_complete_batches + bool(leftover)

    def data_stream():
        rng = npr.RandomState(seed)
        while True:
            perm = rng.permutation(num_train)
            for i in range(num_batches):
                batch_idx = perm[i * batch_size:(i + 1) * batch_size]
                yield train_images[batch_idx], train_labels[batch_idx]

    batches = data_stream()

    opt_init, opt_update, get_params = optimizers.adam(step_size)

    @jit
    def update(i, opt_state, batch):
        params = get_params(opt_state)
        return opt_update(i, grad(loss)(params, batch), opt_state)

    input_shape = (-1,) + train_images.shape[1:]
    _, init_params = init_random_params(random.PRNGKey(seed), input_shape)
    opt_state = opt_init(init_params)
    itercount = itertools.count()
    jit_loss, jit_accuracy = jit(loss), jit(accuracy)

    losses = []
    print("\\nStarting training...")
    for epoch in range(num_epochs):
        start_time = time.time()
        for _ in range(num_batches):
            batch = next(batches)
            losses.append(float(jit_loss(get_params(opt_state), batch)))
            opt_state = update(next(itercount), opt_state, batch)
        epoch_time = time.time() - start_time

        params = get_params(opt_state)
        train_acc = float(jit_accuracy(params, (train_images, train_labels)))
        test_acc = float(jit_accuracy(params, (test_images, test_labels)))
        log(f"Epoch {epoch} in {epoch_time:0.2f} sec")
        log(f"Training set accuracy {train_acc}")
        log(f"Test set accuracy {test_acc}")
    return {"init_params": init_params, "losses": losses, "train_acc": train_acc,
            "test_acc": test_acc}


if __name__ == "__main__":
    train(load_digits())
'''

# The whole port: (JAX import line, tensorlib import line), applied as text substitutions.
IMPORT_TABLE = [
    ("import jax.numpy as jnp", "import tensorlib.numpy as jnp"),
    ("from jax import jit, grad, random", "from tensorlib import jit, grad, random"),
    ("from jax.example_libraries import optimizers",
     "from tensorlib.example_libraries import optimizers"),
    ("from jax.example_libraries import stax", "from tensorlib.example_libraries import stax"),
    ("from jax.example_libraries.stax import ", "from tensorlib.example_libraries.stax import "),
]


def port(source: str) -> str:
    for jax_text, tensorlib_text in IMPORT_TABLE:
        source = source.replace(jax_text, tensorlib_text)
    return source


def _is_import(line: str) -> bool:
    return line.startswith(("import ", "from "))


def test_port_changes_only_import_lines():
    ported = port(JAX_SCRIPT)
    old, new = JAX_SCRIPT.splitlines(), ported.splitlines()
    assert len(old) == len(new)
    changed = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
    assert len(changed) == len(IMPORT_TABLE), "\n".join(difflib.unified_diff(old, new))
    for a, b in changed:
        assert _is_import(a) and _is_import(b), f"a non-import line changed: {a!r} -> {b!r}"
        assert "jax" in a and "jax" not in b and "tensorlib" in b
    # Nothing JAX-specific is left in the ported script.
    assert "jax" not in ported


def _run(source, net, num_epochs, data):
    namespace = {"__name__": "jax_port_mnist"}
    exec(compile(source, "<jax_port_mnist>", "exec"), namespace)
    lines = []
    result = namespace["train"](data, net=namespace[net], num_epochs=num_epochs,
                                log=lines.append)
    return result, lines


@pytest.fixture(scope="module")
def digits():
    pytest.importorskip("sklearn", reason="the digits data set comes with scikit-learn")
    namespace = {"__name__": "jax_port_mnist"}
    exec(compile(port(JAX_SCRIPT), "<jax_port_mnist>", "exec"), namespace)
    return namespace["load_digits"]()


@pytest.mark.parametrize("net,num_epochs,target", [("mlp", 4, 0.95), ("cnn", 3, 0.9)])
def test_ported_script_trains(digits, net, num_epochs, target):
    result, lines = _run(port(JAX_SCRIPT), net, num_epochs, digits)
    assert len(lines) == 3 * num_epochs and lines[-1].startswith("Test set accuracy")
    assert np.isfinite(result["losses"]).all()
    assert result["losses"][-1] < result["losses"][0] / 4
    assert result["test_acc"] >= target, lines


@pytest.mark.parametrize("net", ["mlp", pytest.param("cnn", marks=pytest.mark.slow)])
def test_ported_script_matches_jax(digits, net):
    jax = pytest.importorskip("jax")
    from tensorlib.tree_util import tree_leaves

    ours, _ = _run(port(JAX_SCRIPT), net, 1, digits)
    with jax.default_device(jax.devices("cpu")[0]):
        theirs, _ = _run(JAX_SCRIPT, net, 1, digits)
    # Same PRNGKey, same threefry bits: the same initial parameters (to the ulp, since the
    # truncated-normal initializer's erf/erf_inv kernels differ in the last bits).
    ours_p, theirs_p = tree_leaves(ours["init_params"]), jax.tree_util.tree_leaves(
        theirs["init_params"])
    assert [p.shape for p in ours_p] == [tuple(p.shape) for p in theirs_p]
    for a, b in zip(ours_p, theirs_p, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
    # Same data order and optimizer: the first losses agree; later ones drift apart slowly.
    np.testing.assert_allclose(ours["losses"][:5], theirs["losses"][:5], rtol=1e-4)
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=2e-2)
