"""tensorlib.random: Threefry-2x32 known answers, the vectors of notes/prng.md, bit-for-bit
agreement with jax.random (used only as an oracle), distribution sanity, autodiff and errors."""

import math
import subprocess
import sys

import ml_dtypes
import numpy as np
import pytest

import tensorlib as tl
import tensorlib.numpy as tnp
import tensorlib.random as tr
from tensorlib.errors import DTypeError, ShapeError

try:
    import jax
    import jax.numpy as jnp
except ImportError:  # pragma: no cover - the oracle is optional
    jax = jnp = None

needs_jax = pytest.mark.skipif(jax is None, reason="jax is not installed (the test oracle)")

SEEDS = [0, 42, 2**31 - 1]
SHAPES = [(), (7,), (3, 4)]


@pytest.fixture
def enable_x64():
    """64-bit mode in tensorlib (and JAX, when present), restored afterwards."""
    prev = tl.config.enable_x64
    prev_jax = jax.config.jax_enable_x64 if jax is not None else None
    tl.config.update("enable_x64", True)
    if jax is not None:
        jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        tl.config.update("enable_x64", prev)
        if jax is not None:
            jax.config.update("jax_enable_x64", prev_jax)


def np_(x):
    return np.asarray(x.to_numpy() if isinstance(x, tl.Array) else x)


def assert_same(ours, theirs):
    """Same shape, dtype and bits."""
    a, b = np_(ours), np.asarray(theirs)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    np.testing.assert_array_equal(a, b)


def assert_close(ours, theirs, rtol=1e-5, atol=1e-6):
    a, b = np_(ours), np.asarray(theirs)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    wide = np.complex128 if np.iscomplexobj(a) else np.float64
    np.testing.assert_allclose(a.astype(wide), b.astype(wide), rtol=rtol, atol=atol)


def u32(v):
    return tnp.asarray(np.asarray(v, dtype=np.uint32))


# --------------------------------------------------------------------------------------------
# Known answers and the vectors of notes/prng.md (no JAX needed)


def test_threefry_known_answers():
    # Random123's known-answer tests, as in JAX's tests/random_test.py
    out = tr.threefry2x32(u32(0x13198A2E), u32(0x03707344), u32(0x243F6A88), u32(0x85A308D3))
    assert [int(v) for v in out] == [0xC4923A9C, 0x483DF7A0]
    out = tr.threefry2x32(u32(0), u32(0), u32(0), u32(0))
    assert [int(v) for v in out] == [0x6B200159, 0x99BA4EFE]
    # the array form hashes the first half of the counts against the second
    key = u32([0x13198A2E, 0x03707344])
    assert_same(tr.threefry_2x32(key, u32([0x243F6A88, 0x85A308D3])),
                np.array([0xC4923A9C, 0x483DF7A0], np.uint32))


def test_prng_md_vectors_partitionable():
    assert_same(tr.split(tr.PRNGKey(0), 4), np.array(
        [[1797259609, 2579123966], [928981903, 3453687069], [4146024105, 2718843009],
         [2467461003, 3840466878]], np.uint32))
    assert_same(tr.bits(tr.PRNGKey(1701), (5,), tnp.uint32), np.array(
        [1111271205, 2679469115, 974515252, 521976754, 2127438447], np.uint32))
    assert_same(tr.uniform(tr.PRNGKey(1701), (5,)), np.array(
        [0.2587379217147827, 0.6238625049591064, 0.2268970012664795, 0.12153208255767822,
         0.49533283710479736], np.float32))
    assert_same(tr.randint(tr.PRNGKey(0), (3, 3), 0, 8, tnp.int32),
                np.array([[5, 0, 0], [5, 3, 3], [0, 7, 5]], np.int32))
    assert_close(tr.normal(tr.PRNGKey(0), (3,)),
                 np.array([1.6226422, 2.0252647, -0.43359444], np.float32))


def test_prng_md_vectors_legacy_and_fold_in():
    # Legacy (non-partitionable) split and bits are threefry_2x32 over a flat iota.
    legacy_split = tr.threefry_2x32(tr.PRNGKey(0), u32(np.arange(8))).reshape(4, 2)
    assert_same(legacy_split, np.array(
        [[2285895361, 1501764800], [1518642379, 4090693311], [433833334, 4221794875],
         [839183663, 3740430601]], np.uint32))
    assert_same(tr.threefry_2x32(tr.PRNGKey(1701), u32(np.arange(3))),
                np.array([56197195, 4200222568, 961309823], np.uint32))
    # odd counts are padded with one zero, and the padding dropped
    assert tr.threefry_2x32(tr.PRNGKey(1701), u32(np.arange(5).reshape(5, 1))).shape == (5, 1)
    assert_same(tr.fold_in(tr.PRNGKey(0), 4), np.array([2285895361, 433833334], np.uint32))


@pytest.mark.parametrize("seed,expected", [
    (0, [0, 0]), (1701, [0, 1701]), (-1, [0, 4294967295]), (2**40 + 5, [0, 5]),
    (2**31, [0, 2**31]), (True, [0, 1])])
def test_seed_x32(seed, expected):
    assert_same(tr.PRNGKey(seed), np.array(expected, np.uint32))
    assert_same(tr.key(seed), np.array(expected, np.uint32))


@pytest.mark.parametrize("seed,expected", [
    (0, [0, 0]), (-1, [4294967295, 4294967295]), (2**40 + 5, [256, 5]),
    (-(2**63), [2**31, 0]), (2**63 - 1, [2**31 - 1, 4294967295])])
def test_seed_x64(enable_x64, seed, expected):
    assert_same(tr.PRNGKey(seed), np.array(expected, np.uint32))


def test_seed_arrays():
    assert_same(tr.PRNGKey(tnp.asarray(-5)), np.array([0, 2**32 - 5], np.uint32))
    assert_same(tr.PRNGKey(np.uint32(7)), np.array([0, 7], np.uint32))


def test_seed_array_x64(enable_x64):
    assert_same(tr.PRNGKey(tnp.asarray(-5, tnp.int64)), np.array([2**32 - 1, 2**32 - 5], np.uint32))
    assert_same(tr.PRNGKey(tnp.asarray(-5, tnp.int32)), np.array([0, 2**32 - 5], np.uint32))


def test_key_data_roundtrip():
    k = tr.key(3)
    assert_same(tr.key_data(k), np_(tr.PRNGKey(3)))
    ks = tr.split(k, (2, 3))
    assert_same(tr.wrap_key_data(tr.key_data(ks)), np_(ks))
    assert tr.key_impl(k) == "threefry2x32"
    assert tr.clone(k) is k


# --------------------------------------------------------------------------------------------
# Properties of split and fold_in


def test_split_is_fold_in_and_prefix():
    k = tr.PRNGKey(7)
    six = np_(tr.split(k, 6))
    for i in range(6):
        assert_same(tr.fold_in(k, i), six[i])
    assert_same(tr.split(k, 2), six[:2])
    assert_same(tr.split(k, (2, 3)), six.reshape(2, 3, 2))
    assert tr.split(k, ()).shape == (2,)
    assert tr.split(k, 0).shape == (0, 2)
    assert tr.split(k, np.int64(3)).shape == (3, 2)


def test_batched_split_and_fold_in_match_a_loop():
    keys = tr.split(tr.PRNGKey(1), 3)
    split = np_(tr.split(keys, (2,)))
    folded = np_(tr.fold_in(keys, 5))
    per_key = np_(tr.fold_in(keys, tnp.asarray([10, 11, 12])))
    assert split.shape == (3, 2, 2)
    for i in range(3):
        assert_same(split[i], np_(tr.split(keys[i], 2)))
        assert_same(folded[i], np_(tr.fold_in(keys[i], 5)))
        assert_same(per_key[i], np_(tr.fold_in(keys[i], 10 + i)))


def test_fold_in_data_forms():
    k = tr.PRNGKey(0)
    ref = np_(tr.fold_in(k, 2**32 - 1))
    assert_same(tr.fold_in(k, tnp.asarray(-1)), ref)  # arrays wrap to uint32
    assert_same(tr.fold_in(k, np.uint32(2**32 - 1)), ref)


# --------------------------------------------------------------------------------------------
# Bit-for-bit agreement with jax.random


@needs_jax
@pytest.mark.parametrize("seed", SEEDS)
def test_keys_split_fold_in_vs_jax(seed):
    k, jk = tr.PRNGKey(seed), jax.random.PRNGKey(seed)
    assert_same(k, jk)
    assert_same(tr.key(seed), jax.random.key_data(jax.random.key(seed)))
    for num in (2, 5, (2, 3)):
        assert_same(tr.split(k, num), jax.random.split(jk, num))
    for d in (0, 1, 123456, 2**32 - 1):
        assert_same(tr.fold_in(k, d), jax.random.fold_in(jk, d))
    ks, jks = tr.split(k, 3), jax.random.split(jk, 3)
    assert_same(tr.split(ks, 2), jax.vmap(lambda kk: jax.random.split(kk, 2))(jks))


@needs_jax
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("seed", SEEDS)
def test_bits_vs_jax(seed, shape):
    k, jk = tr.PRNGKey(seed), jax.random.PRNGKey(seed)
    for dt in ("uint8", "uint16", "uint32"):
        assert_same(tr.bits(k, shape, dt), jax.random.bits(jk, shape, dt))
    assert_same(tr.bits(k, shape), jax.random.bits(jk, shape))


@needs_jax
@pytest.mark.parametrize("seed", SEEDS)
def test_bits_and_floats_x64_vs_jax(enable_x64, seed):
    k, jk = tr.PRNGKey(seed), jax.random.PRNGKey(seed)
    assert_same(tr.bits(k, (3, 5), tnp.uint64), jax.random.bits(jk, (3, 5), jnp.uint64))
    assert_same(tr.bits(k, (4,)), jax.random.bits(jk, (4,)))  # default uint64
    assert_same(tr.uniform(k, (50,)), jax.random.uniform(jk, (50,)))  # default float64
    assert_same(tr.uniform(k, (50,), minval=-3.1, maxval=7.5),
                jax.random.uniform(jk, (50,), minval=-3.1, maxval=7.5))
    assert_same(tr.randint(k, (40,), -(10**12), 10**15),
                jax.random.randint(jk, (40,), -(10**12), 10**15))
    assert_same(tr.randint(k, (40,), -(2**63), 2**63 - 1),
                jax.random.randint(jk, (40,), -(2**63), 2**63 - 1))
    assert_same(tr.randint(k, (40,), 0, 2**40, tnp.uint64),
                jax.random.randint(jk, (40,), 0, 2**40, jnp.uint64))
    assert_same(tr.permutation(k, 10), jax.random.permutation(jk, 10))
    assert_close(tr.normal(k, (200,)), jax.random.normal(jk, (200,)), rtol=1e-12, atol=1e-13)


@needs_jax
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("seed", SEEDS)
def test_uniform_vs_jax(seed, shape):
    k, jk = tr.PRNGKey(seed), jax.random.PRNGKey(seed)
    for dt in ("float32", "float16", "bfloat16"):
        assert_same(tr.uniform(k, shape, dt), jax.random.uniform(jk, shape, dt))
        # XLA fuses u * span + minval into an FMA (float32), or rounds as float32 (float16)
        assert_same(tr.uniform(k, shape, dt, minval=-3.3, maxval=7.7),
                    jax.random.uniform(jk, shape, dt, minval=-3.3, maxval=7.7))


@needs_jax
@pytest.mark.parametrize("seed", SEEDS)
def test_uniform_ranges_vs_jax(seed):
    k, jk = tr.PRNGKey(seed), jax.random.PRNGKey(seed)
    for lo, hi in [(0.1, 0.3), (-1e-3, 2e5), (5.0, 5.0), (2.0, 1.0)]:
        assert_same(tr.uniform(k, (500,), minval=lo, maxval=hi),
                    jax.random.uniform(jk, (500,), minval=lo, maxval=hi))
    lo = np.array([0.0, 1.0, 2.5], np.float32)
    assert_same(tr.uniform(k, (4, 3), minval=tnp.asarray(lo), maxval=5.0),
                jax.random.uniform(jk, (4, 3), minval=lo, maxval=5.0))


@needs_jax
@pytest.mark.parametrize("seed", SEEDS)
def test_randint_vs_jax(seed):
    k, jk = tr.PRNGKey(seed), jax.random.PRNGKey(seed)
    cases = [
        ((100,), -3, 250, "int32"), ((10, 10), -3, 250, "int8"), ((100,), 0, 250, "uint8"),
        ((100,), 0, 256, "uint8"), ((100,), -300, 300, "int16"), ((100,), 0, 70000, "uint16"),
        ((100,), 0, 2**31 - 1, "uint32"), ((100,), -(2**31), 2**31 - 1, "int32"),
        ((10,), 5, 5, "int32"), ((10,), 7, 2, "int32"), ((), -5, 5, "int32"),
        ((3, 3), 0, 8, None),
    ]
    for shape, lo, hi, dt in cases:
        assert_same(tr.randint(k, shape, lo, hi, dt), jax.random.randint(jk, shape, lo, hi, dt))
    lo = np.array([0, 10, 20, 30], np.int32)
    assert_same(tr.randint(k, (3, 4), tnp.asarray(lo), 100),
                jax.random.randint(jk, (3, 4), lo, 100))


@needs_jax
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("seed", SEEDS)
def test_bernoulli_vs_jax(seed, shape):
    k, jk = tr.PRNGKey(seed), jax.random.PRNGKey(seed)
    assert_same(tr.bernoulli(k, 0.3, shape), jax.random.bernoulli(jk, 0.3, shape))
    assert_same(tr.bernoulli(k, 0.3, shape, mode="high"),
                jax.random.bernoulli(jk, 0.3, shape, mode="high"))
    p = np.array([0.1, 0.5, 0.9], np.float32)
    assert_same(tr.bernoulli(k, tnp.asarray(p)), jax.random.bernoulli(jk, p))
    assert_same(tr.bernoulli(k, tnp.asarray(p), (4, 3)), jax.random.bernoulli(jk, p, (4, 3)))


@needs_jax
@pytest.mark.parametrize("seed", SEEDS)
def test_permutation_vs_jax(seed):
    k, jk = tr.PRNGKey(seed), jax.random.PRNGKey(seed)
    for n in (1, 10, 2000):  # 2000 elements take two sorting rounds
        assert_same(tr.permutation(k, n), jax.random.permutation(jk, n))
    x = np.arange(24, dtype=np.int32).reshape(4, 6)
    assert_same(tr.permutation(k, tnp.asarray(x)), jax.random.permutation(jk, x))
    assert_same(tr.permutation(k, tnp.asarray(x), axis=1), jax.random.permutation(jk, x, axis=1))
    assert_same(tr.permutation(k, tnp.asarray(x), axis=-1, independent=True),
                jax.random.permutation(jk, x, axis=-1, independent=True))
    assert_same(tr.permutation(k, tnp.asarray(7)), jax.random.permutation(jk, jnp.asarray(7)))


@needs_jax
@pytest.mark.parametrize("seed", SEEDS)
def test_choice_vs_jax(seed):
    k, jk = tr.PRNGKey(seed), jax.random.PRNGKey(seed)
    x = np.arange(24, dtype=np.int32).reshape(4, 6)
    assert_same(tr.choice(k, 10, (5,)), jax.random.choice(jk, 10, (5,)))
    assert_same(tr.choice(k, 10), jax.random.choice(jk, 10))
    assert_same(tr.choice(k, 10, (5,), replace=False),
                jax.random.choice(jk, 10, (5,), replace=False))
    assert_same(tr.choice(k, tnp.asarray(x), (2, 3), axis=1),
                jax.random.choice(jk, x, (2, 3), axis=1))
    assert_same(tr.choice(k, tnp.asarray(x), (3,), replace=False, axis=1),
                jax.random.choice(jk, x, (3,), replace=False, axis=1))
    assert_same(tr.choice(k, tnp.asarray(x), (0,)), jax.random.choice(jk, x, (0,)))
    # with p: inverse CDF / Gumbel top-k; exact here because p's prefix sums are exact
    p = np.array([0.125, 0.25, 0.5, 0.125], np.float32)
    assert_same(tr.choice(k, 4, (20,), p=tnp.asarray(p)), jax.random.choice(jk, 4, (20,), p=p))
    assert_same(tr.choice(k, 4, (3,), replace=False, p=tnp.asarray(p)),
                jax.random.choice(jk, 4, (3,), replace=False, p=p))


@needs_jax
@pytest.mark.parametrize("seed", SEEDS)
def test_categorical_vs_jax(seed):
    k, jk = tr.PRNGKey(seed), jax.random.PRNGKey(seed)
    logits = np.random.randn(7, 5).astype(np.float32)
    t = tnp.asarray(logits)
    # argmax of gumbel + logits: exact unless two scores tie to within an ulp
    assert_same(tr.categorical(k, t), jax.random.categorical(jk, logits))
    assert_same(tr.categorical(k, t, axis=0), jax.random.categorical(jk, logits, axis=0))
    assert_same(tr.categorical(k, t, shape=(4, 7)),
                jax.random.categorical(jk, logits, shape=(4, 7)))
    assert_same(tr.categorical(k, t, shape=(3, 7), replace=False),
                jax.random.categorical(jk, logits, shape=(3, 7), replace=False))
    assert_same(tr.categorical(k, t, mode="high"), jax.random.categorical(jk, logits, mode="high"))


@needs_jax
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("seed", SEEDS)
def test_continuous_vs_jax(seed, shape):
    """normal and friends: uniform is bit-exact; log/erf_inv kernels differ by a few ulp."""
    k, jk = tr.PRNGKey(seed), jax.random.PRNGKey(seed)
    assert_close(tr.normal(k, shape), jax.random.normal(jk, shape))
    assert_close(tr.normal(k, shape, tnp.float16), jax.random.normal(jk, shape, jnp.float16),
                 rtol=2e-3, atol=2e-3)
    assert_close(tr.normal(k, shape, tnp.complex64), jax.random.normal(jk, shape, jnp.complex64))
    for name in ("gumbel", "exponential", "laplace", "logistic"):
        assert_close(getattr(tr, name)(k, shape), getattr(jax.random, name)(jk, shape))
    assert_close(tr.gumbel(k, shape, mode="high"), jax.random.gumbel(jk, shape, mode="high"))
    assert_close(tr.cauchy(k, shape), jax.random.cauchy(jk, shape), rtol=1e-4)
    assert_close(tr.pareto(k, 2.0, shape), jax.random.pareto(jk, 2.0, shape))
    assert_close(tr.lognormal(k, 0.5, shape), jax.random.lognormal(jk, 0.5, shape))
    assert_same(tr.rademacher(k, shape), jax.random.rademacher(jk, shape))


@needs_jax
@pytest.mark.parametrize("seed", SEEDS)
def test_truncated_normal_vs_jax(seed):
    k, jk = tr.PRNGKey(seed), jax.random.PRNGKey(seed)
    assert_close(tr.truncated_normal(k, -1.0, 2.0, (500,)),
                 jax.random.truncated_normal(jk, -1.0, 2.0, (500,)))
    lo, hi = np.array([-3.0, 0.0, 1.0], np.float32), np.array([-1.0, 2.0, 5.0], np.float32)
    assert_close(tr.truncated_normal(k, tnp.asarray(lo), tnp.asarray(hi)),
                 jax.random.truncated_normal(jk, lo, hi), rtol=1e-5)
    assert_close(tr.truncated_normal(k, tnp.asarray(lo), tnp.asarray(hi), (2, 3)),
                 jax.random.truncated_normal(jk, lo, hi, (2, 3)), rtol=1e-5)


# --------------------------------------------------------------------------------------------
# Distribution sanity (large samples; bounds are many standard errors wide)

N = 100_000


def _mean_var(x):
    x = np_(x).astype(np.float64)
    return x.mean(), x.var()


@pytest.mark.parametrize("name,mean,var", [
    ("uniform", 0.5, 1 / 12), ("normal", 0.0, 1.0), ("exponential", 1.0, 1.0),
    ("gumbel", np.euler_gamma, np.pi**2 / 6), ("laplace", 0.0, 2.0),
    ("logistic", 0.0, np.pi**2 / 3),
])
def test_moments(name, mean, var):
    m, v = _mean_var(getattr(tr, name)(tr.PRNGKey(11), (N,)))
    se = math.sqrt(var / N)
    assert abs(m - mean) < 6 * se, (m, mean)
    assert abs(v - var) < 0.05 * var, (v, var)


def test_uniform_range_and_support():
    x = np_(tr.uniform(tr.PRNGKey(2), (N,), minval=-2.0, maxval=3.0))
    assert x.min() >= -2.0 and x.max() < 3.0
    assert abs(x.mean() - 0.5) < 0.03
    b = np_(tr.uniform(tr.PRNGKey(2), (N,), tnp.bfloat16))
    assert b.dtype == ml_dtypes.bfloat16 and b.min() >= 0 and b.max() < 1


def test_randint_is_roughly_uniform():
    x = np_(tr.randint(tr.PRNGKey(3), (N,), -5, 5))
    assert x.min() == -5 and x.max() == 4
    counts = np.bincount(x + 5, minlength=10)
    assert np.all(np.abs(counts - N / 10) < 6 * math.sqrt(N / 10))


def test_bernoulli_frequency():
    x = np_(tr.bernoulli(tr.PRNGKey(4), 0.3, (N,)))
    assert x.dtype == np.bool_
    assert abs(x.mean() - 0.3) < 6 * math.sqrt(0.21 / N)


def test_truncated_normal_support_and_mean():
    x = np_(tr.truncated_normal(tr.PRNGKey(5), 0.5, 1.5, (N,)))
    assert x.min() > 0.5 and x.max() < 1.5
    # mean of N(0,1) truncated to (a, b) is (phi(a) - phi(b)) / (Phi(b) - Phi(a))
    phi = lambda t: math.exp(-t * t / 2) / math.sqrt(2 * math.pi)
    cdf = lambda t: 0.5 * (1 + math.erf(t / math.sqrt(2)))
    expected = (phi(0.5) - phi(1.5)) / (cdf(1.5) - cdf(0.5))
    assert abs(x.mean() - expected) < 0.01


def test_categorical_frequencies():
    logits = np.log(np.array([0.1, 0.2, 0.3, 0.4], np.float32))
    x = np_(tr.categorical(tr.PRNGKey(6), tnp.asarray(logits), shape=(N,)))
    freq = np.bincount(x, minlength=4) / N
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.3, 0.4], atol=0.01)


def test_permutation_and_choice_are_valid():
    p = np_(tr.permutation(tr.PRNGKey(7), 1000))
    assert sorted(p.tolist()) == list(range(1000))
    x = np.arange(20).reshape(4, 5)
    ind = np_(tr.permutation(tr.PRNGKey(7), tnp.asarray(x), axis=1, independent=True))
    assert all(sorted(r) == sorted(xr) for r, xr in zip(ind.tolist(), x.tolist(), strict=True))
    c = np_(tr.choice(tr.PRNGKey(8), 50, (30,), replace=False))
    assert len(set(c.tolist())) == 30 and c.min() >= 0 and c.max() < 50
    pc = np_(tr.choice(tr.PRNGKey(9), 3, (N,), p=tnp.asarray([0.0, 0.25, 0.75])))
    np.testing.assert_allclose(np.bincount(pc, minlength=3) / N, [0, 0.25, 0.75], atol=0.01)


def test_different_keys_give_different_streams():
    a, b = tr.split(tr.PRNGKey(0))
    assert not np.array_equal(np_(tr.uniform(a, (100,))), np_(tr.uniform(b, (100,))))
    assert np.array_equal(np_(tr.uniform(a, (100,))), np_(tr.uniform(a, (100,))))


# --------------------------------------------------------------------------------------------
# Autodiff: samples are constants of the key; parameters are differentiable


def test_grad_through_normal_times_x():
    k = tr.PRNGKey(0)
    z = tr.normal(k, (3,))
    g = tl.grad(lambda x: tnp.sum(tr.normal(k, (3,)) * x))(tnp.asarray(2.0))
    np.testing.assert_allclose(np_(g), np_(z).sum(), rtol=1e-6)
    # the key as a (non-differentiated) argument of the function
    f = lambda key, x: tnp.sum(tr.normal(key, (3,)) * x)
    np.testing.assert_allclose(np_(tl.grad(f, argnums=1)(k, tnp.asarray(2.0))), np_(z).sum(),
                               rtol=1e-6)
    _, t = tl.jvp(lambda x: tr.normal(k, (3,)) * x, (tnp.asarray(2.0),), (tnp.asarray(1.0),))
    np.testing.assert_allclose(np_(t), np_(z), rtol=1e-6)


def test_grad_wrt_uniform_bounds():
    k = tr.PRNGKey(1)
    u = np_(tr.uniform(k, (5,)))
    g = tl.grad(lambda lo: tnp.sum(tr.uniform(k, (5,), minval=lo, maxval=3.0)))(tnp.asarray(1.0))
    np.testing.assert_allclose(np_(g), np.sum(1 - u), rtol=1e-5)


@needs_jax
def test_grad_truncated_normal_vs_jax():
    k, jk = tr.PRNGKey(0), jax.random.PRNGKey(0)
    g = tl.grad(lambda lo: tnp.sum(tr.truncated_normal(k, lo, 2.0, (5,))))(tnp.asarray(-1.0))
    jg = jax.grad(lambda lo: jnp.sum(jax.random.truncated_normal(jk, lo, 2.0, (5,))))(-1.0)
    np.testing.assert_allclose(np_(g), np.asarray(jg), rtol=1e-4)


# --------------------------------------------------------------------------------------------
# Errors name the function, the offending value and the fix


@pytest.mark.parametrize("fn,exc,match", [
    (lambda: tr.uniform(tnp.zeros((3,), tnp.uint32)), ShapeError,
     r"uniform: the key has u32\[3\] but a PRNG key is a uint32 array of shape \(2,\).*"
     r"tensorlib.random.key\(seed\)"),
    (lambda: tr.normal(tnp.asarray([0, 1])), DTypeError,
     r"normal: the key has i32\[2\] but a PRNG key is a uint32 array"),
    (lambda: tr.bits(tr.split(tr.PRNGKey(0), 3)), ShapeError,
     r"bits: expects a single key u32\[2\] but got a key array u32\[3,2\]; index one key"),
    (lambda: tr.split(tnp.zeros((), tnp.uint32)), ShapeError, r"split: the key has u32\[\]"),
    (lambda: tr.split(tr.PRNGKey(0), 2.5), TypeError,
     r"split: num must be an int or a tuple of ints, got 2.5"),
    (lambda: tr.split(tr.PRNGKey(0), (2, "a")), TypeError, r"split: num must be an int"),
    (lambda: tr.split(tr.PRNGKey(0), -1), ShapeError,
     r"split: num \(-1,\) has a negative size"),
    (lambda: tr.split("key"), TypeError, r"split: expected a PRNG key \(a uint32\[2\] array\), "
     r"got builtins.str"),
    (lambda: tr.uniform(tr.PRNGKey(0), (2,), tnp.int32), DTypeError,
     r"uniform: dtype int32 is not a floating-point dtype; pass e.g. "
     r"dtype=tensorlib.numpy.float32"),
    (lambda: tr.normal(tr.PRNGKey(0), (2,), tnp.int32), DTypeError,
     r"normal: dtype int32 is not a floating-point or complex dtype"),
    (lambda: tr.bits(tr.PRNGKey(0), (2,), tnp.int32), DTypeError,
     r"bits: dtype int32 is not an unsigned integer dtype; pass e.g. "
     r"dtype=tensorlib.numpy.uint32"),
    (lambda: tr.randint(tr.PRNGKey(0), (2,), 0, 5, tnp.float32), DTypeError,
     r"randint: dtype float32 is not an integer dtype"),
    (lambda: tr.uniform(tr.PRNGKey(0), (2.5,)), TypeError,
     r"uniform: shape must be an int or a tuple of ints, got \(2.5,\)"),
    (lambda: tr.uniform(tr.PRNGKey(0), (3,), minval=tnp.zeros(4)), ShapeError,
     r"uniform: minval has shape \(4,\), which does not broadcast to the sample shape \(3,\)"),
    (lambda: tr.randint(tr.PRNGKey(0), (3,), tnp.zeros(4, tnp.int32), 5), ShapeError,
     r"randint: minval has shape \(4,\), which does not broadcast"),
    (lambda: tr.bernoulli(tr.PRNGKey(0), 1), DTypeError,
     r"bernoulli: p has i32\[\]~ but must be floating point"),
    (lambda: tr.bernoulli(tr.PRNGKey(0), tnp.full((3,), 0.5), (2,)), ShapeError,
     r"bernoulli: a parameter has shape \(3,\), which does not broadcast to the sample "
     r"shape \(2,\)"),
    (lambda: tr.bernoulli(tr.PRNGKey(0), 0.5, mode="mid"), ValueError,
     r"bernoulli: mode='mid'; use 'low' or 'high'"),
    (lambda: tr.fold_in(tr.PRNGKey(0), -1), OverflowError,
     r"fold_in: data -1 is out of bounds for uint32"),
    (lambda: tr.fold_in(tr.PRNGKey(0), tnp.asarray(1.5)), DTypeError,
     r"fold_in: data has f32\[\]~? but must be an integer"),
    (lambda: tr.fold_in(tr.PRNGKey(0), tnp.arange(3)), ShapeError,
     r"fold_in: data has shape \(3,\) but the key batch shape is \(\)"),
    (lambda: tr.PRNGKey(1.5), TypeError, r"PRNGKey: the seed must be an integer, got float 1.5"),
    (lambda: tr.key(2**64), OverflowError, r"key: seed 18446744073709551616 does not fit in int64"),
    (lambda: tr.PRNGKey(tnp.arange(2)), ShapeError,
     r"PRNGKey: the seed must be a scalar, got i32\[2\]"),
    (lambda: tr.PRNGKey(tnp.asarray(1.0)), DTypeError,
     r"PRNGKey: the seed has f32\[\]~? but must be an integer"),
    (lambda: tr.PRNGKey(0, impl="rbg"), ValueError, r"PRNGKey: impl='rbg' is not supported"),
    (lambda: tr.permutation(tr.PRNGKey(0), tnp.asarray(2.5)), DTypeError,
     r"permutation: x has f32\[\]~?; pass an integer n \(to permute arange\(n\)\)"),
    (lambda: tr.permutation(tr.PRNGKey(0), tnp.zeros((2, 3)), axis=2), ShapeError,
     r"permutation: axis 2 is out of range for an array of 2 dimension"),
    (lambda: tr.choice(tr.PRNGKey(0), 5, (6,), replace=False), ValueError,
     r"choice: cannot take 6 samples from 5 items with replace=False"),
    (lambda: tr.choice(tr.PRNGKey(0), 5, (2,), p=tnp.ones(4) / 4), ShapeError,
     r"choice: p has shape \(4,\) but must be a vector of the 5 probabilities"),
    (lambda: tr.categorical(tr.PRNGKey(0), tnp.arange(3)), DTypeError,
     r"categorical: logits has i32\[3\] but must be floating point"),
    (lambda: tr.categorical(tr.PRNGKey(0), tnp.zeros(())), ShapeError,
     r"categorical: logits must have at least one dimension"),
    (lambda: tr.gumbel(tr.PRNGKey(0), (2,), mode="highest"), ValueError,
     r"gumbel: mode='highest' is not supported; use 'low' or 'high'"),
    (lambda: tr.threefry_2x32(tr.PRNGKey(0), tnp.arange(4)), DTypeError,
     r"threefry_2x32: count has i32\[4\] but must be uint32"),
])
def test_error_messages(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()


# --------------------------------------------------------------------------------------------
# Vectorised and free of JAX


def test_uniform_million_is_vectorised():
    """The hash runs once over the whole counter array: a bounded number of primitive calls
    whatever the sample count (counted, not timed)."""
    from tensorlib._src import core

    key = tr.PRNGKey(0)
    calls = []
    orig = core.eval_primitive

    def counting(prim, args, params):
        calls.append(prim.name)
        return orig(prim, args, params)

    core.eval_primitive = counting
    try:
        tr.uniform(key, (10,))
        small = len(calls)
        calls.clear()
        x = tr.uniform(key, (1_000_000,))
    finally:
        core.eval_primitive = orig
    assert x.shape == (1_000_000,)
    assert len(calls) <= small + 5, (small, len(calls))
    assert 0.0 <= float(x.min()) and float(x.max()) < 1.0


def _samplers():
    k = tr.PRNGKey(5)
    x = tnp.arange(12).reshape(3, 4)
    return [
        tr.split(k, 3), tr.fold_in(k, 9), tr.bits(k, (4,), tnp.uint8), tr.uniform(k, (4,)),
        tr.normal(k, (4,)), tr.randint(k, (4,), 0, 9), tr.bernoulli(k, 0.5, (4,)),
        tr.permutation(k, 6), tr.permutation(k, 6), tr.permutation(k, x, axis=1),
        tr.choice(k, 6, (3,), replace=False), tr.categorical(k, tnp.zeros((2, 5)), shape=(3, 2)),
        tr.truncated_normal(k, -1.0, 1.0, (4,)),
    ]


def test_eager_fast_path_gives_the_same_values():
    checked = [np_(v) for v in _samplers()]
    prev = tl.config.check_rules
    tl.config.update("check_rules", False)
    try:
        fast = [np_(v) for v in _samplers()]  # sort runs twice: the dispatch cache is warm
    finally:
        tl.config.update("check_rules", prev)
    for a, b in zip(checked, fast, strict=True):
        assert_same(b, a)


def test_does_not_import_jax():
    code = ("import sys, tensorlib.random as tr; tr.normal(tr.PRNGKey(0), (3,)); "
            "assert 'jax' not in sys.modules, 'tensorlib.random imported jax'")
    subprocess.run([sys.executable, "-c", code], check=True)
