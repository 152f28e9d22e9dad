"""The elementwise table, walked: every entry's every spelling against the eager NumPy kernel.

One parametrized case per table entry (``tensorlib._src.ops.family.FAMILY``) and dtype it
accepts. Each spelling the entry declares runs on the same inputs and must agree with the
eager kernel: the fused Numba loop (``numba``), the blocked NumPy ufunc (``ufunc``), the XLA
lowering (``hlo``). The values are checked against JAX's ``lax`` function of the same name (the
oracle, where JAX has one), derivatives against finite differences in float64, and batching
against a loop. A new entry is tested here without another line, unless its domain is not the
real line (``_DOMAIN``).
"""

from __future__ import annotations

import numpy as np
import pytest

import tensorlib as tl
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops.family import FAMILY, KINDS
from tensorlib.test_util import check_grads

try:
    import jax
    import jax.numpy as jnp
except ImportError:  # JAX is only an oracle
    jax = jnp = None

# float64 cases need 64-bit types on (JAX's too, for the oracle)
pytestmark = pytest.mark.usefixtures("x64")

_DTYPES = [np.dtype(d) for d in ("float32", "float64", "int32", "bool")]


def _real(rng, n, dt):
    return rng.uniform(-2.5, 2.5, n)


def _pos(rng, n, dt):
    return rng.uniform(0.2, 3.0, n)


def _unit(rng, n, dt):
    return rng.uniform(-0.9, 0.9, n)


def _gt1(rng, n, dt):
    return rng.uniform(1.1, 3.0, n)


def _nonzero(rng, n, dt):
    return rng.uniform(0.3, 2.5, n) * rng.choice([-1, 1], n)


def _gamma_arg(rng, n, dt):
    """Positive values, and negative ones away from the poles at the non-positive integers."""
    neg = -rng.integers(0, 3, n) - rng.uniform(0.2, 0.8, n)
    return np.where(rng.uniform(size=n) < 0.5, rng.uniform(0.1, 8.0, n), neg)


def _shift(rng, n, dt):
    return rng.integers(0, 40, n)


# The inputs an entry is defined (and differentiable) on, per operand; the real line otherwise.
_DOMAIN = {
    "log": (_pos,), "log1p": (_pos,), "sqrt": (_pos,), "rsqrt": (_pos,), "cbrt": (_nonzero,),
    "asin": (_unit,), "acos": (_unit,), "atanh": (_unit,), "erf_inv": (_unit,),
    "acosh": (_gt1,), "abs": (_nonzero,), "sign": (_nonzero,),
    "div": (_real, _nonzero), "rem": (_real, _nonzero), "pow": (_pos, _real),
    "atan2": (_nonzero, _nonzero),
    "shift_left": (_real, _shift), "shift_right_arithmetic": (_real, _shift),
    "shift_right_logical": (_real, _shift),
    "lgamma": (_gamma_arg,), "digamma": (_gamma_arg,),
}
# Entries with a SciPy oracle (scipy.special's name), checked over a wider range in float64
_SCIPY = {"erf": "erf", "erfc": "erfc", "erf_inv": "erfinv", "lgamma": "gammaln",
          "digamma": "digamma"}
# Parameters of the entries that take some
_PARAMS = {"integer_pow": {"y": 3}, "round": {"rounding_method": 1}}


def _bind(op, *xs):
    return op.prim.bind(*xs, **_PARAMS.get(op.prim.name, {}))


# Entries whose JAX function has another name
_JAX_NAME = {}
# Where tensorlib's lax deliberately differs from jax.lax on real operands
_JAX_DIFFERS = {"conj": "jax.lax.conj makes a real operand complex; tensorlib keeps it real "
                        "(as jax.numpy.conj does)"}

ENTRIES = sorted(FAMILY.values(), key=lambda op: op.prim.name)
CASES = [(op, dt) for op in ENTRIES for dt in _DTYPES if KINDS[op.kind](dt)]
IDS = [f"{op.prim.name}-{dt.name}" for op, dt in CASES]


def _inputs(op, dt, n=23, seed=0):
    rng = np.random.default_rng(seed)
    doms = _DOMAIN.get(op.prim.name, (_real,) * op.arity)
    out = []
    for dom in doms:
        x = dom(rng, n, dt)
        if dt == np.bool_:
            x = rng.integers(0, 2, n).astype(bool)
        elif dt.kind == "i":
            x = np.round(x * (3 if dom is not _shift else 1)).astype(dt)
        else:
            x = x.astype(dt)
        out.append(x)
    if op.arity == 2 and dt.kind == "i" and op.prim.name in ("div", "rem"):
        out[1] = np.where(out[1] == 0, 1, out[1]).astype(dt)
    return out


def _eager(op, args):
    with tl.backend("numpy"):
        return np.asarray(_bind(op, *[tl.device_put(a) for a in args]))


def _tol(dt, loose=False):
    if dt == np.float32:
        return dict(rtol=1e-4 if loose else 2e-6, atol=1e-5 if loose else 1e-6)
    if dt == np.float64:
        return dict(rtol=1e-9 if loose else 1e-12, atol=1e-10 if loose else 1e-13)
    return dict(rtol=0, atol=0)


def _graph(op, args):
    return tl.make_graph(lambda *xs: _bind(op, *xs))(*args)


@pytest.mark.parametrize("op,dt", CASES, ids=IDS)
def test_numba_spelling_matches_eager(op, dt):
    from tensorlib.backends import numba_fusion

    args = _inputs(op, dt)
    g = _graph(op, args)
    (e,) = g.eqns
    if op.numba is None or not numba_fusion.can_fuse(e):
        pytest.skip("no Numba spelling for this dtype: the eager kernel runs")
    kernel = numba_fusion.build_kernel(g.eqns, g.invars, g.outvars)
    (got,) = kernel(*args)
    np.testing.assert_allclose(got, _eager(op, args), **_tol(dt))


@pytest.mark.parametrize("op,dt", CASES, ids=IDS)
def test_blocked_spelling_matches_eager(op, dt):
    from tensorlib.backends import blocked

    args = _inputs(op, dt)
    g = _graph(op, args)
    (e,) = g.eqns
    if not blocked.can_block(e):
        pytest.skip("not run blocked for this dtype")
    group = blocked.BlockedGroup(g.eqns, g.invars, g.outvars, g.outvars[0].aval.shape)
    (got,) = group(*args)
    np.testing.assert_array_equal(got, _eager(op, args))  # the same ufunc: bit-identical


@pytest.mark.parametrize("op,dt", CASES, ids=IDS)
def test_xla_spelling_matches_eager(op, dt):
    pytest.importorskip("jaxlib")
    from tensorlib.backends.xla_backend import lowering

    assert op.prim in lowering.RULES, f"{op.prim.name} has no XLA lowering (hlo or a rule)"
    args = _inputs(op, dt)
    tier = tl.config.compile_tier
    tl.config.update("compile_tier", "compiled")  # the executable, not the host tier
    try:
        with tl.backend("xla"):
            got = np.asarray(_bind(op, *[tl.device_put(a) for a in args]))
            staged = np.asarray(tl.jit(lambda *xs: _bind(op, *xs))(*args))
    finally:
        tl.config.update("compile_tier", tier)
    want = _eager(op, args)
    np.testing.assert_allclose(got, want, **_tol(dt, loose=True))
    np.testing.assert_array_equal(staged, got)


@pytest.mark.skipif(jax is None, reason="JAX is the oracle")
@pytest.mark.parametrize("op,dt", [c for c in CASES if c[1] != np.float64],
                         ids=[i for c, i in zip(CASES, IDS) if c[1] != np.float64])
def test_values_and_dtype_match_jax(op, dt):
    jfn = getattr(jax.lax, _JAX_NAME.get(op.lax_name, op.lax_name), None)
    if jfn is None or op.fn is None:
        pytest.skip(f"jax.lax has no {op.lax_name}")
    if op.lax_name in _JAX_DIFFERS and dt.kind != "c":
        pytest.skip(_JAX_DIFFERS[op.lax_name])
    args = _inputs(op, dt)
    try:
        want = np.asarray(jfn(*[jnp.asarray(a) for a in args]))
    except TypeError as e:  # jax.lax refuses the dtype; tensorlib's lax accepts more of them
        pytest.skip(f"jax.lax refuses it: {e}")
    got = np.asarray(op.fn(*[tl.device_put(a) for a in args]))
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, **_tol(dt, loose=True))


_SPECIAL = [op for op in ENTRIES if op.prim.name in _SCIPY]


@pytest.mark.parametrize("backend", ["numpy", "xla"])
@pytest.mark.parametrize("op", _SPECIAL, ids=[op.prim.name for op in _SPECIAL])
def test_special_functions_match_scipy(op, backend):
    import scipy.special

    if backend == "xla":
        pytest.importorskip("jaxlib")
    want_fn = getattr(scipy.special, _SCIPY[op.prim.name])
    for dt in (np.float32, np.float64):
        (x,) = _inputs(op, np.dtype(dt), n=200, seed=3)
        with tl.backend(backend):
            got = np.asarray(_bind(op, tl.device_put(x)))
        assert got.dtype == dt
        np.testing.assert_allclose(got, want_fn(x.astype(np.float64)),
                                   **_tol(np.dtype(dt), loose=True))


_DIFF = [op for op in ENTRIES if KINDS[op.kind](np.dtype("float64"))
         and op.prim not in tl._src.rules.nondiff]


@pytest.mark.parametrize("op", _DIFF, ids=[op.prim.name for op in _DIFF])
def test_derivatives_match_finite_differences(op):
    if op.prim in (ew.sign_p, ew.floor_p, ew.ceil_p):
        pytest.skip("piecewise constant: zero derivative, checked at kinks in test_ops_grid")
    if op.prim is ew.round_p:
        pytest.skip("piecewise constant")
    args = [tl.device_put(a) for a in _inputs(op, np.dtype("float64"), n=5, seed=1)]
    check_grads(lambda *xs: _bind(op, *xs), args, order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("op", ENTRIES, ids=[op.prim.name for op in ENTRIES])
def test_batching_matches_a_loop(op):
    dt = next(d for d in _DTYPES if KINDS[op.kind](d))
    rows = [_inputs(op, dt, n=6, seed=s) for s in range(4)]
    stacked = [np.stack([r[k] for r in rows]) for k in range(op.arity)]
    f = lambda *xs: _bind(op, *xs)  # noqa: E731
    got = tl.vmap(f)(*stacked)
    want = np.stack([np.asarray(f(*r)) for r in rows])
    np.testing.assert_allclose(got, want, **_tol(dt))
    # an unbatched second operand is broadcast along the batch axis
    if op.arity == 2:
        got = tl.vmap(f, in_axes=(0, None))(stacked[0], rows[0][1])
        want = np.stack([np.asarray(f(r[0], rows[0][1])) for r in rows])
        np.testing.assert_allclose(got, want, **_tol(dt))


def test_table_is_read_only():
    with pytest.raises(TypeError):
        FAMILY[ew.add_p] = None


def test_every_entry_has_a_kernel_and_a_lax_function_or_a_hand_written_one():
    from tensorlib import lax

    for op in ENTRIES:
        fn = op.fn or getattr(ew, op.lax_name)
        assert getattr(lax, op.lax_name) is fn, op.lax_name
        assert fn.__doc__ and "Examples" in fn.__doc__, op.lax_name
