"""The XLA backend's first-call tier: a jitted graph's first call on a CPU device runs on the
host (the NumPy compiler, no Numba) while XLA compiles it on the compile thread; later calls
run the executable (``compile_tier``, see ``compiler._HostTier``)."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.numpy as tnp
from tensorlib import lax

pytestmark = pytest.mark.skipif(tl.default_backend() != "xla",
                                reason="tests the XLA backend's compile tiers")


@pytest.fixture
def compiler(monkeypatch, tmp_path):
    """The XLA compiler module, with an empty disk cache (a cached executable is loaded
    rather than run on the host) and the default tier."""
    from tensorlib.backends.xla_backend import compiler

    monkeypatch.setenv("TENSORLIB_CACHE_DIR", str(tmp_path))
    tier = tl.config.compile_tier
    tl.config.update("compile_tier", "tiered")
    # forget executables held in memory: a module of the same text (``real`` and ``conj``
    # of a float both lower to the identity) would be loaded already, as in a long session
    tl.devices()[0].backend._modules.clear()
    yield compiler
    tl.config.update("compile_tier", tier)


def _graph_call(jf):
    (entry,) = jf._cache.values()
    return entry.exe.run.__self__ if hasattr(entry.exe.run, "__self__") else entry.exe.run


def _host_calls(compiler):
    return compiler.STATS["host_tier_calls"]


def _family():
    from tensorlib._src.ops.family import FAMILY

    return sorted(FAMILY.values(), key=lambda op: op.prim.name)


PARAMS = {"integer_pow": [{"y": 3}, {"y": -2}], "round": [{"rounding_method": 0},
                                                          {"rounding_method": 1}]}
CASES = [(op, p) for op in _family() for p in PARAMS.get(op.prim.name, [{}])]


@pytest.mark.parametrize("op,params", CASES,
                         ids=[op.prim.name + "".join(f"-{v}" for v in p.values())
                              for op, p in CASES])
def test_tiers_agree_on_every_elementwise_primitive(compiler, op, params):
    """First call (host), second call (the executable) and ``compile_tier="compiled"`` agree
    to floating-point tolerance on every primitive of the elementwise table, with the same
    dtypes and weak types."""
    from tensorlib._src.ops.family import KINDS

    dt = next(d for d in (np.float32, np.int32, np.bool_) if KINDS[op.kind](np.dtype(d)))
    rng = np.random.default_rng(0)
    x = (rng.uniform(0.5, 2.0, (16, 8)) * (1 if dt == np.bool_ else 3)).astype(dt)
    y = (rng.uniform(0.5, 2.0, (16, 8)) * 3).astype(dt)

    def f(a, b):
        out = op.prim.bind(*(a, b)[:op.arity], **params)
        return out, out.sum()

    before = _host_calls(compiler)
    jf = tl.jit(f)
    first = jf(x, y)
    assert _host_calls(compiler) == before + 1, "the first call did not run on the host"
    second = jf(x, y)
    assert _host_calls(compiler) == before + 1, "the second call did not run compiled"
    tl.config.update("compile_tier", "compiled")
    compiled = tl.jit(f)(x, y)
    assert _host_calls(compiler) == before + 1
    for got in (first, compiled):
        for a, b in zip(got, second):
            assert a.dtype == b.dtype and a.weak_type == b.weak_type and a.shape == b.shape
            # XLA's lgamma/digamma and a float32 sum's order differ from NumPy's by a few ulps
            np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                                       rtol=2e-5, atol=2e-5)


def test_matmul_reductions_and_random_bits_agree(compiler):
    """A program of BLAS, reductions, indexing and the PRNG: the host tier's first call and the
    executable agree (the random bits exactly)."""
    def f(key, w, x):
        noise = tl.random.normal(key, (x.shape[0], w.shape[1]))
        h = tnp.tanh(x @ w + noise)
        return h.mean(0), tnp.argmax(h, axis=1), tl.random.bits(key, (4,)), h[1:3, ::2]

    key = tl.random.PRNGKey(3)
    w = tnp.asarray(np.random.default_rng(1).standard_normal((8, 5)).astype(np.float32))
    x = tnp.asarray(np.random.default_rng(2).standard_normal((6, 8)).astype(np.float32))
    jf = tl.jit(f)
    before = _host_calls(compiler)
    first = jf(key, w, x)
    assert _host_calls(compiler) == before + 1
    second = jf(key, w, x)
    np.testing.assert_allclose(first[0], second[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(first[1], second[1])
    np.testing.assert_array_equal(first[2], second[2])
    np.testing.assert_allclose(first[3], second[3], rtol=1e-5, atol=1e-6)
    assert [type(o._buf) for o in first] == [type(o._buf) for o in second]


def test_compiled_tier_never_runs_on_the_host(compiler):
    tl.config.update("compile_tier", "compiled")
    before = (_host_calls(compiler), compiler.STATS["compiles"])
    jf = tl.jit(lambda x: tnp.sin(x) * 2.0 + 1.0)
    np.testing.assert_allclose(jf(tnp.ones(4)), np.sin(1.0) * 2 + 1, rtol=1e-6)
    assert _host_calls(compiler) == before[0]
    assert compiler.STATS["compiles"] == before[1] + 1  # compiled before the call returned


def test_background_tier_runs_on_the_host_until_the_executable_is_ready(compiler):
    tl.config.update("compile_tier", "background")
    jf = tl.jit(lambda x: tnp.exp(x) - x * 0.5)
    x = tnp.linspace(-1.0, 1.0, 32)
    want = np.exp(np.asarray(x)) - np.asarray(x) * 0.5
    before = _host_calls(compiler)
    np.testing.assert_allclose(jf(x), want, rtol=1e-6)
    assert _host_calls(compiler) == before + 1
    call = _graph_call(jf)
    dev = x.device
    call.module.load_soon(dev).result()  # the compile thread's work (its errors surface here)
    np.testing.assert_allclose(jf(x), want, rtol=1e-6)  # the switch happens here
    assert _host_calls(compiler) == before + 1
    assert call._host is None, "the host tier was not left once the executable was ready"


def test_a_cached_executable_is_loaded_not_run_on_the_host(compiler):
    """With the executable on disk (a second process, a notebook kernel restart) loading it
    takes milliseconds: the first call runs it."""
    def f(x):
        return tnp.cos(x) * 3.0 - 0.25

    jf = tl.jit(f)
    jf(tnp.ones(3))
    jf(tnp.ones(3))  # waits for the executable, which is written to the disk cache
    before = _host_calls(compiler)
    backend = tl.devices()[0].backend
    backend._modules.clear()  # forget the executables held in memory, as a new process does
    loads = compiler.STATS["disk_loads"]
    np.testing.assert_allclose(tl.jit(f)(tnp.ones(3)), np.cos(1.0) * 3 - 0.25, rtol=1e-6)
    assert _host_calls(compiler) == before
    assert compiler.STATS["disk_loads"] == loads + 1


def test_a_large_cached_executable_loads_while_the_host_runs(compiler, monkeypatch):
    """A large executable (here: every executable, by lowering the threshold) takes longer
    to load, link and run the first time than the host takes: the first call runs on the
    host while it loads, and nothing is compiled."""
    def f(x):
        return tnp.sin(x) * 3.0 - 0.5

    jf = tl.jit(f)
    jf(tnp.ones(3))
    jf(tnp.ones(3))
    tl.devices()[0].backend._modules.clear()
    monkeypatch.setattr(compiler, "_SMALL_EXECUTABLE", 0)
    before = dict(compiler.STATS)
    jg = tl.jit(f)
    np.testing.assert_allclose(jg(tnp.ones(3)), np.sin(1.0) * 3 - 0.5, rtol=1e-6)
    assert compiler.STATS["host_tier_calls"] == before["host_tier_calls"] + 1
    np.testing.assert_allclose(jg(tnp.ones(3)), np.sin(1.0) * 3 - 0.5, rtol=1e-6)
    assert compiler.STATS["disk_loads"] == before["disk_loads"] + 1
    assert compiler.STATS["compiles"] == before["compiles"]


def _loop(x):
    return lax.fori_loop(0, 3, lambda i, c: c * 1.5 + 1.0, x)


def _printing(x):
    tl.debug.print("x = {}", x)
    return x + 1.0


def _nested_loop(x):
    @tl.custom_jvp
    def g(v):
        return lax.fori_loop(0, 2, lambda i, c: c * 2.0, v)

    g.defjvp(lambda p, t: (g(p[0]), t[0] * 4.0))
    return g(x) + 1.0


@pytest.mark.parametrize("fn", [_loop, _nested_loop], ids=["loop", "loop-inside-custom-jvp"])
def test_loops_run_compiled_from_the_first_call(compiler, fn):
    """The host would run a loop step by step, slower than compiling it."""
    before = _host_calls(compiler)
    jf = tl.jit(fn)
    a, b = jf(tnp.ones(3)), jf(tnp.ones(3))
    np.testing.assert_allclose(a, b)
    assert _host_calls(compiler) == before


def test_effects_run_once_per_call(compiler, capsys):
    """A print inside jit runs on the host between compiled segments: once per call, whichever
    tier runs the segments."""
    jf = tl.jit(_printing)
    a, b = jf(tnp.ones(3)), jf(tnp.ones(3))
    np.testing.assert_allclose(a, b)
    assert capsys.readouterr().out.count("x = ") == 2


def test_donating_calls_run_compiled(compiler):
    before = _host_calls(compiler)
    jf = tl.jit(lambda x: x * 2.0 + 1.0, donate_argnums=0)
    x = tnp.ones(1000)
    np.testing.assert_allclose(jf(x), 3.0)
    assert _host_calls(compiler) == before


def test_host_failure_falls_back_to_the_executable(compiler, monkeypatch):
    """Whatever goes wrong on the host (here: the NumPy compiler raising), the call runs the
    executable and the tier is left for good."""
    from tensorlib.backends import numpy_compiler

    def broken(graph, numba=True):
        raise RuntimeError("injected")

    monkeypatch.setattr(numpy_compiler, "compile_graph", broken)
    before = _host_calls(compiler)
    jf = tl.jit(lambda x: tnp.tanh(x) + 2.0)
    np.testing.assert_allclose(jf(tnp.zeros(4)), 2.0)
    assert _host_calls(compiler) == before
    assert _graph_call(jf)._host is None


def test_committed_device_and_weak_type_are_kept(compiler):
    dev = tl.devices()[-1]
    x = tl.device_put(tnp.arange(4.0), dev)
    jf = tl.jit(lambda a: a * 2)
    before = _host_calls(compiler)
    out = jf(x)
    assert _host_calls(compiler) == before + 1
    assert out.device == dev and out._buf.committed
    w = tl.jit(lambda a: a * 2.0)(2.0)
    assert w.weak_type is True and w.dtype == np.float32
