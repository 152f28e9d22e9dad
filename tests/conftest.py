"""Shared fixtures: rule checking on every eager op, per-test seeding and an x64 switch."""

import os
import sys

# Must be set before tensorlib is imported: every eager op then also runs its shape rule and
# compares shape, dtype and weak type with what the kernel returned (core._check_rules).
os.environ["TENSORLIB_CHECK_RULES"] = "1"
# pmap tests shard over 4 virtual CPU devices whatever the machine's core count.
os.environ.setdefault("TENSORLIB_NUM_CPU_DEVICES", "4")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import tensorlib as tl  # noqa: E402


@pytest.fixture(autouse=True)
def _seed_numpy(request):
    """Seed NumPy's global RNG from the test id, so every test sees fixed data."""
    seed = sum(request.node.nodeid.encode()) % (2**32)
    np.random.seed(seed)
    yield


def _set_jax_x64(value):
    jax = sys.modules.get("jax")
    if jax is not None:
        jax.config.update("jax_enable_x64", bool(value))


@pytest.fixture
def x64():
    """Enable 64-bit types for one test (also in JAX, when a test module imported it)."""
    prev = tl.config.enable_x64
    tl.config.update("enable_x64", True)
    _set_jax_x64(True)
    try:
        yield
    finally:
        tl.config.update("enable_x64", prev)
        _set_jax_x64(prev)
