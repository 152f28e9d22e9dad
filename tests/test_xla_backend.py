"""The XLA backend against the NumPy backend (the reference): one table of tensorlib.numpy
functions, then grad, jit with staged control flow, vmap, PRNG bits, float64, transfers
between backends, the mixing error, the caches and the rule that jax is never imported.

Shapes are few on purpose: each new (primitive, signature) compiles once (tens of ms).
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("jaxlib", reason="the xla backend needs jaxlib (pip install 'jaxlib==0.10.*')")

import tensorlib as tl  # noqa: E402
import tensorlib.numpy as tnp  # noqa: E402
from tensorlib.errors import BackendMismatchError  # noqa: E402

XLA = tl.backend  # context manager: tl.backend("xla")


def _put(backend, x):
    if isinstance(x, np.ndarray):
        with tl.backend(backend):
            return tnp.asarray(x)
    return x


def _run(backend, fn, args):
    with tl.backend(backend):
        return fn(*[_put(backend, a) for a in args])


def _leaves(x):
    if isinstance(x, (tuple, list)):
        return [leaf for item in x for leaf in _leaves(item)]
    return [x]


def _compare(got, want, rtol=2e-6, atol=1e-6, weak=True):
    got, want = _leaves(got), _leaves(want)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.backend.name == "xla" and w.backend.name == "numpy"
        assert g.shape == w.shape and g.dtype == w.dtype, (g.aval, w.aval)
        assert g.weak_type == w.weak_type or not weak
        gn, wn = np.asarray(g), np.asarray(w)
        if wn.dtype.kind in "fc":
            np.testing.assert_allclose(gn, wn, rtol=rtol, atol=atol, equal_nan=True)
        else:
            np.testing.assert_array_equal(gn, wn)


rng = np.random.default_rng(0)
F = rng.uniform(-2, 2, (3, 4)).astype(np.float32)
G = rng.uniform(-2, 2, (3, 4)).astype(np.float32)
P = rng.uniform(0.1, 3, (3, 4)).astype(np.float32)
U = rng.uniform(-0.9, 0.9, (3, 4)).astype(np.float32)
IN = rng.integers(-20, 20, (3, 4)).astype(np.int32)
J = rng.integers(1, 7, (3, 4)).astype(np.int32)
S = rng.integers(0, 33, (3, 4)).astype(np.int32)
B = rng.random((3, 4)) < 0.5
NANS = np.array([3.0, np.nan, 1.0, -0.0, 0.0, 2.0, -np.inf, 1.0], np.float32)
M = rng.uniform(-1, 1, (4, 5)).astype(np.float32)
V = rng.uniform(-1, 1, (5,)).astype(np.float32)
IDX = np.array([0, 2, -1, 7, -9], np.int32)

# name, function, arguments (NumPy arrays become Arrays of the backend under test)
OPS = [
    # elementwise, transcendental
    ("sin", tnp.sin, [F]), ("cos", tnp.cos, [F]), ("tan", tnp.tan, [U]),
    ("exp", tnp.exp, [F]), ("exp2", tnp.exp2, [F]), ("log", tnp.log, [P]),
    ("log1p", tnp.log1p, [P]), ("expm1", tnp.expm1, [F]), ("tanh", tnp.tanh, [F]),
    ("arcsin", tnp.arcsin, [U]), ("arccos", tnp.arccos, [U]), ("arctan", tnp.arctan, [F]),
    ("sinh", tnp.sinh, [F]), ("arcsinh", tnp.arcsinh, [F]), ("arctanh", tnp.arctanh, [U]),
    ("sqrt", tnp.sqrt, [P]), ("cbrt", tnp.cbrt, [F]), ("arctan2", tnp.arctan2, [F, G]),
    ("power", tnp.power, [P, G]), ("logaddexp", tnp.logaddexp, [F, G]),
    ("erf", tl.lax.erf, [F]), ("erf_inv", tl.lax.erf_inv, [U]),
    ("sigmoid", tl.nn.sigmoid, [F]), ("softplus", tl.nn.softplus, [F]),
    ("floor", tnp.floor, [F]), ("round", tnp.round, [F * 3]), ("sign", tnp.sign, [F]),
    ("abs", tnp.abs, [F]), ("square", tnp.square, [F]), ("clip", lambda x: tnp.clip(x, -1, 1), [F]),
    ("isfinite", tnp.isfinite, [NANS]), ("nextafter", tnp.nextafter, [F, G]),
    ("add_scalar", lambda x: x + 1.5, [F]), ("true_divide", tnp.true_divide, [F, P]),
    ("maximum_nan", tnp.maximum, [NANS, NANS[::-1].copy()]),
    # integer and boolean ops
    ("int_add", tnp.add, [IN, J]), ("floor_divide", tnp.floor_divide, [IN, J]),
    ("mod", tnp.mod, [IN, J]), ("int_power", lambda x: x ** 3, [J]),
    ("int_abs", tnp.abs, [IN]), ("int_sign", tnp.sign, [IN]),
    ("bitwise_and", tnp.bitwise_and, [IN, J]), ("bitwise_xor", tnp.bitwise_xor, [IN, J]),
    ("invert", tnp.invert, [IN]), ("left_shift", tnp.left_shift, [IN, S]),
    ("right_shift", tnp.right_shift, [IN, S]), ("logical_and", tnp.logical_and, [B, B.T.T]),
    ("less", tnp.less, [F, G]), ("equal_int", tnp.equal, [IN, J]),
    ("astype_int", lambda x: (x * 1e9).astype(tnp.int32), [F]),
    ("astype_bool", lambda x: x.astype(bool), [IN]),
    ("where", tnp.where, [B, F, G]),
    # reductions
    ("sum", lambda x: tnp.sum(x, axis=1), [F]), ("sum_all", tnp.sum, [F]),
    ("prod", lambda x: tnp.prod(x, axis=0), [F]), ("max", tnp.max, [F]),
    ("min_axis", lambda x: tnp.min(x, axis=1), [IN]), ("mean", tnp.mean, [F]),
    ("var", lambda x: tnp.var(x, axis=0), [F]), ("any", tnp.any, [B]), ("all", tnp.all, [B]),
    ("argmax", lambda x: tnp.argmax(x, axis=1), [F]), ("argmin", tnp.argmin, [IN]),
    ("argmax_nan", tnp.argmax, [NANS]), ("int_sum", lambda x: tnp.sum(x, axis=0), [IN]),
    ("logsumexp", lambda x: tl.nn.logsumexp(x, axis=1), [F]),
    ("cumsum", lambda x: tnp.cumsum(x, axis=1), [F]), ("cumprod", tnp.cumprod, [P]),
    ("cumsum_int", lambda x: tnp.cumsum(x, axis=0), [IN]),
    ("cummax", lambda x: tl.lax.cummax(x, axis=1), [F]),
    # shapes
    ("reshape", lambda x: x.reshape(2, 6), [F]), ("transpose", lambda x: x.T, [F]),
    ("concatenate", lambda x, y: tnp.concatenate([x, y], axis=1), [F, G]),
    ("stack", lambda x, y: tnp.stack([x, y]), [F, G]),
    ("pad", lambda x: tnp.pad(x, ((1, 0), (2, 1))), [F]),
    ("flip", tnp.flip, [F]), ("roll", lambda x: tnp.roll(x, 2, axis=1), [F]),
    ("broadcast_to", lambda x: tnp.broadcast_to(x, (2, 5)), [V]),
    ("expand_squeeze", lambda x: tnp.squeeze(x[:, None], 1), [F]),
    # indexing, gather, scatter
    ("slice", lambda x: x[1:, ::2], [F]), ("int_index", lambda x: x[1], [F]),
    ("gather_clamps", lambda x, i: x[:, i % 3][0] + x[i % 3, 0][:, None], [F, IDX]),
    ("take_oob_clamps", lambda x, i: x[i], [V, IDX]),
    ("take_along_axis", lambda x: tnp.take_along_axis(x, tnp.argsort(x, axis=1), axis=1), [F]),
    ("at_set", lambda x, i: x.at[i].set(7.0), [V, IDX]),
    ("at_add_dup", lambda x: x.at[np.array([0, 0, 4])].add(1.0), [V]),
    ("at_mul", lambda x: x.at[1:3].multiply(2.0), [V]),
    ("at_min", lambda x: x.at[np.array([1, 1])].min(-5.0), [V]),
    ("at_max_2d", lambda x: x.at[1, np.array([0, 3])].max(9.0), [F]),
    ("at_get_fill", lambda x, i: x.at[i].get(mode="fill", fill_value=-1.0), [V, IDX]),
    # sorting
    ("sort", tnp.sort, [NANS]), ("argsort", tnp.argsort, [NANS]),
    ("sort_axis0", lambda x: tnp.sort(x, axis=0), [IN]),
    # products
    ("matmul", tnp.matmul, [F, M]), ("matvec", tnp.dot, [M, V]),
    ("einsum", lambda x, y: tnp.einsum("ij,jk->ik", x, y), [F, M]),
    ("einsum_batch", lambda x: tnp.einsum("ij,ij->i", x, x), [F]),
    ("outer", tnp.outer, [V, V]),
    # linear algebra (cholesky/triangular solve as StableHLO ops; lu/qr/eigh/svd as LAPACK
    # custom calls, see the tests further down)
    ("cholesky", lambda m: tnp.linalg.cholesky(m @ m.T + 5 * tnp.eye(4)), [F.T.copy()]),
    ("solve", lambda m, b: tnp.linalg.solve(m @ m.T + 5 * tnp.eye(4), b), [F.T.copy(), V[:4]]),
    ("qr", lambda m: tnp.abs(tnp.linalg.qr(m)[1]), [M]),
    ("eigvalsh", lambda m: tnp.linalg.eigvalsh(m @ m.T), [M]),
    # convolution and windowed reductions
    ("conv", lambda x, k: tl.lax.conv_general_dilated(x[None, None], k, (1, 2), "SAME"),
     [F, np.ones((2, 1, 2, 3), np.float32)]),
    ("max_pool", lambda x: tl.lax.reduce_window(x, -np.inf, tl.lax.max, (2, 2), (1, 2), "VALID"),
     [F]),
    ("fft", lambda x: tnp.fft.fft(x), [F]), ("rfft_irfft", lambda x: tnp.fft.irfft(
        tnp.fft.rfft(x), n=4), [F]),
]


@pytest.mark.parametrize("name,fn,args", OPS, ids=[o[0] for o in OPS])
def test_matches_numpy_backend(name, fn, args):
    tol = dict(rtol=2e-5, atol=2e-5) if name in ("cholesky", "solve", "qr", "eigvalsh", "fft",
                                                  "rfft_irfft", "var") else {}
    _compare(_run("xla", fn, args), _run("numpy", fn, args), **tol)


# Primitives without a StableHLO lowering, and why: windowed arg-reductions run on the host
# through the NumPy kernels; debug_print calls back into Python. (Collectives lower to
# cross-replica ops inside pmap's replicated module only.)
# while_grad: reverse mode of an unbounded while_loop, whose residual buffer is sized when the
# program runs; it runs on the host between compiled segments (max_steps keeps it compiled)
def _mlp_loss(params, x, y):
    (w1, b1), (w2, b2) = params
    h = tl.nn.relu(x @ w1 + b1)
    logits = h @ w2 + b2
    return -tnp.mean(tnp.sum(tl.nn.log_softmax(logits) * y, axis=1))


def _mlp_args(backend):
    r = np.random.default_rng(1)
    arrs = [r.normal(size=s).astype(np.float32) * 0.3 for s in [(6, 8), (8,), (8, 3), (3,)]]
    x = r.normal(size=(5, 6)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[r.integers(0, 3, 5)]
    with tl.backend(backend):
        a = [tnp.asarray(v) for v in arrs]
        return [(a[0], a[1]), (a[2], a[3])], tnp.asarray(x), tnp.asarray(y)


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_grad_of_mlp_loss(jit):
    g = tl.grad(_mlp_loss)
    g = tl.jit(g) if jit else g
    _compare(_run("xla", lambda: g(*_mlp_args("xla")), []),
             _run("numpy", lambda: g(*_mlp_args("numpy")), []), rtol=1e-5, atol=1e-6)


def _control_flow(x):
    def body(i, c):
        return c + tnp.sin(c) * i

    a = tl.lax.fori_loop(0, 3, body, x)
    b = tl.lax.while_loop(lambda c: c[0] < 5, lambda c: (c[0] + 1, c[1] * 1.5), (0, x))[1]
    c = tl.lax.cond(tnp.sum(x) > 0, lambda v: v * 2, lambda v: v - 1, x)
    d = tl.lax.switch(7, [lambda v: v, lambda v: -v], x)  # clamped to the last branch
    carry, ys = tl.lax.scan(lambda c, v: (c + v, c * v), tnp.zeros(4), x)
    rev = tl.lax.scan(lambda c, v: (c + v, c), 0.0, x[:, 0], reverse=True)[1]
    dyn = tl.lax.fori_loop(0, tnp.sum(x > 0), lambda i, v: v + i, 0.0)  # a while_loop
    return a, b, c, d, carry, ys, rev, dyn


def test_jit_control_flow():
    f = tl.jit(_control_flow)
    got = _run("xla", f, [F])
    _compare(got, _run("numpy", f, [F]), rtol=1e-5, atol=1e-5)
    # eager scan gives a strong ys where the staged one keeps the weak type (a core issue)
    _compare(got, _run("numpy", _control_flow, [F]), rtol=1e-5, atol=1e-5, weak=False)


def test_jit_is_one_executable():
    from tensorlib.backends.xla_backend import compiler

    f = tl.jit(lambda x, y: tnp.tanh(x @ y) + tnp.ones(5))
    with tl.backend("xla"):
        f(tnp.asarray(F), tnp.asarray(M))
        (entry,) = f._cache.values()
    assert isinstance(entry.exe.run, compiler.GraphCall)
    assert "stablehlo.dot_general" in entry.exe.run.module.text


def _max_pool_grad(v):
    # the max-pool VJP finds each window's winner with reduce_window_argmax, which has no
    # lowering: a host equation
    pool = lambda a: tl.lax.reduce_window(a, -np.inf, tl.lax.max, (2, 2), (1, 1), "VALID")  # noqa: E731
    return tl.grad(lambda a: tnp.sum(pool(a) ** 2))(v)


def test_jit_with_host_equations_is_split():
    from tensorlib.backends.xla_backend import compiler

    def f(m):
        return _max_pool_grad(m) * 2.0, tnp.exp(m)

    jf = tl.jit(f)
    _compare(_run("xla", jf, [M]), _run("numpy", f, [M]), rtol=1e-5, atol=1e-5)
    (entry,) = jf._cache.values()
    assert isinstance(entry.exe.run, compiler.SegmentedCall)
    assert [kind for kind, _ in entry.exe.run.steps] == ["seg", "host", "seg"]


# --------------------------------------------------------------------------------------------
# LU, QR, eigh and SVD: LAPACK custom calls inside the executable


def _lapack_ops():
    from tensorlib._src.ops import linalg as la

    # name -> (function of a batch of matrices, LAPACK routines it calls, square only)
    return {
        "lu": (la.lu, ["getrf"], False),
        "qr": (lambda x: la.qr(x, full_matrices=True), ["geqrf", "orgqr"], False),
        "qr_reduced": (lambda x: la.qr(x, full_matrices=False), ["geqrf", "orgqr"], False),
        "eigh": (la.eigh, ["syevd"], True),
        "eigh_upper_raw": (lambda x: la.eigh(x, lower=False, symmetrize_input=False),
                           ["syevd"], True),
        "svd": (lambda x: la.svd(x, full_matrices=True), ["gesdd"], False),
        "svd_reduced": (lambda x: la.svd(x, full_matrices=False), ["gesdd"], False),
        "svdvals": (lambda x: la.svd(x, compute_uv=False), ["gesdd"], False),
    }


_LAPACK_CASES = [(op, dt, shape) for op in _lapack_ops() for dt in ("float32", "float64")
                 for shape in ((4, 4), (2, 5, 3), (3, 6))]
_LAPACK_CASES += [(op, dt, (2, 5, 3)) for op in _lapack_ops() for dt in ("complex64", "complex128")]


def _matrices(shape, dtype, square):
    r = np.random.default_rng(7)
    if square:
        shape = shape[:-1] + (shape[-2],)
    x = r.uniform(-1, 1, shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * r.uniform(-1, 1, shape)
    return x.astype(dtype)


def _same_up_to_phase(got, want, axis, tol):
    """Columns (axis=-2 sums over rows) or rows of unit vectors equal up to sign/phase."""
    overlap = np.abs(np.sum(np.conj(got) * want, axis=axis))
    np.testing.assert_allclose(overlap, 1, atol=tol)


def _check_lapack_results(op, x, got, want, tol):
    got = [np.asarray(g) for g in got]
    want = [np.asarray(w) for w in want]
    assert [(g.shape, g.dtype) for g in got] == [(w.shape, w.dtype) for w in want]
    close = dict(rtol=tol, atol=tol)
    if op == "lu":
        np.testing.assert_allclose(got[0], want[0], **close)
        np.testing.assert_array_equal(got[1], want[1])  # pivots
        np.testing.assert_array_equal(got[2], want[2])  # permutation
    elif op.startswith("qr"):  # Householder QR on both sides: the same signs
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, **close)
    elif op.startswith("eigh"):  # eigenvectors are defined up to sign (phase)
        v, w = got
        np.testing.assert_allclose(w, want[1], **close)
        _same_up_to_phase(v, want[0], -2, tol)
    else:
        s = got[0]
        np.testing.assert_allclose(s, want[0], **close)
        if op == "svdvals":
            return
        u, vt = got[1], got[2]
        k = s.shape[-1]
        _same_up_to_phase(u[..., :k], want[1][..., :k], -2, tol)
        _same_up_to_phase(vt[..., :k, :], want[2][..., :k, :], -1, tol)
        rebuilt = (u[..., :k] * s[..., None, :].astype(u.dtype)) @ vt[..., :k, :]
        np.testing.assert_allclose(rebuilt, x, **close)
        # orthonormal columns of u and rows of vt (the full_matrices complements are any
        # orthonormal basis, so only this is defined)
        for gram in (np.conj(np.swapaxes(u, -1, -2)) @ u, vt @ np.conj(np.swapaxes(vt, -1, -2))):
            np.testing.assert_allclose(gram, np.broadcast_to(np.eye(gram.shape[-1]), gram.shape),
                                       atol=tol)


@pytest.mark.parametrize("op,dtype,shape", _LAPACK_CASES,
                         ids=[f"{o}-{d}-{'x'.join(map(str, s))}" for o, d, s in _LAPACK_CASES])
def test_lapack_decompositions_run_inside_xla_and_match_numpy(op, dtype, shape, request):
    from tensorlib.backends.xla_backend import compiler

    if dtype in ("float64", "complex128"):
        request.getfixturevalue("x64")
    fn, routines, square = _lapack_ops()[op]
    x = _matrices(shape, dtype, square)
    tol = 1e-4 if dtype in ("float32", "complex64") else 1e-10
    jf = tl.jit(fn)
    fallbacks = compiler.STATS["host_fallbacks"]
    eager, staged = _run("xla", fn, [x]), _run("xla", jf, [x])
    assert compiler.STATS["host_fallbacks"] == fallbacks, "ran on the host"
    (entry,) = jf._cache.values()
    assert isinstance(entry.exe.run, compiler.GraphCall)
    kind = {"float32": "s", "float64": "d", "complex64": "c", "complex128": "z"}[dtype]
    for routine in routines:
        if kind in "cz":
            routine = {"orgqr": "ungqr", "syevd": "heevd"}.get(routine, routine)
        assert f"lapack_{kind}{routine}_ffi" in entry.exe.run.module.text
    want = _run("numpy", fn, [x])
    _check_lapack_results(op, x, eager, want, tol)
    _check_lapack_results(op, x, staged, want, tol)


def test_failed_lapack_svd_gives_nans_as_jax():
    from tensorlib._src.ops import linalg as la

    x = np.eye(3, dtype=np.float32)
    x[1, 1] = np.nan  # gesdd rejects it (info = -4); the NumPy kernel raises instead
    with XLA("xla"):
        outs = tl.jit(la.svd)(tnp.asarray(x))
    assert all(np.isnan(np.asarray(o)).all() for o in outs)


def test_lapack_lowerings_leave_other_dtypes_on_the_host():
    from tensorlib.backends.xla_backend import lowering

    from tensorlib._src.core import AbstractArray
    from tensorlib._src.ops import linalg as la

    for dt, ok in (("float16", False), ("bfloat16", False), ("float32", True),
                   ("complex128", True)):
        a = AbstractArray((3, 3), np.dtype(dt) if dt != "bfloat16" else tnp.bfloat16)
        params = {"full_matrices": True}
        assert lowering.can_lower(la.qr_p, params, [a, a, a]) is ok, dt


def test_grad_through_lapack_decompositions_is_one_executable(x64):
    from tensorlib.backends.xla_backend import compiler

    from tensorlib._src.ops import linalg as la

    def loss(x):
        v, w = la.eigh(x @ x.T)
        q, r = la.qr(x, full_matrices=False)
        s = la.svd(x, compute_uv=False)[0]
        lu = la.lu(x[:3])[0]
        return (tnp.sum(w * tnp.arange(4.0)) + tnp.sum(v[:, -1] ** 2 * tnp.arange(4.0))
                + tnp.sum(r * r) + tnp.sum(q[:, 0] * tnp.arange(4.0)) + tnp.sum(s ** 3)
                + tnp.sum(lu * lu))

    x = np.random.default_rng(3).uniform(-1, 1, (4, 3))
    g = tl.jit(tl.grad(loss))
    fallbacks = compiler.STATS["host_fallbacks"]
    got = _run("xla", g, [x])
    assert compiler.STATS["host_fallbacks"] == fallbacks
    (entry,) = g._cache.values()
    assert isinstance(entry.exe.run, compiler.GraphCall)
    _compare(got, _run("numpy", g, [x]), rtol=1e-9, atol=1e-10)


def test_vmap():
    def f(x, y):
        return tnp.dot(x, y) + tnp.max(x), tnp.sort(x)

    vf = tl.vmap(f, in_axes=(0, None))
    _compare(_run("xla", vf, [F, V[:4]]), _run("numpy", vf, [F, V[:4]]), rtol=1e-5, atol=1e-6)
    jvf = tl.jit(tl.vmap(tl.grad(lambda x: tnp.sum(tnp.sin(x) ** 2))))
    _compare(_run("xla", jvf, [F]), _run("numpy", jvf, [F]), rtol=1e-5, atol=1e-6)


def test_prng_bits_match_numpy_backend():
    def draws():
        k1, k2 = tl.random.split(tl.random.PRNGKey(42))
        return (tl.random.uniform(k1, (3, 4)), tl.random.bits(k1, (4,)),
                tl.random.randint(k2, (6,), 0, 10), tl.random.normal(k2, (5,)))

    got, want = _run("xla", draws, []), _run("numpy", draws, [])
    for g, w in zip(got[:3], want[:3], strict=True):
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))
    # normal goes through erf_inv: XLA's polynomial (as JAX) against the NumPy kernel's
    # Newton-refined one, within 2 ulp
    np.testing.assert_allclose(np.asarray(got[3]), np.asarray(want[3]), rtol=3e-7, atol=3e-7)
    jax = pytest.importorskip("jax")
    k = jax.random.split(jax.random.PRNGKey(42))[1]
    np.testing.assert_array_equal(np.asarray(got[3]), np.asarray(jax.random.normal(k, (5,))))


def test_float64_under_x64(x64):
    x = np.array([1 + 2.0 ** -40, 1e300, -3.5], np.float64)

    def f(v):
        return v * 2 - v, tnp.sum(v[:1] - 1), tnp.exp(v[2:])

    got = _run("xla", f, [x])
    assert got[0].dtype == np.float64
    np.testing.assert_array_equal(np.asarray(got[0]), x)
    assert float(got[1]) == 2.0 ** -40
    _compare(got, _run("numpy", f, [x]), rtol=1e-15, atol=0)


def test_device_put_between_backends():
    with tl.backend("numpy"):
        a = tnp.arange(6.0).reshape(2, 3)
    b = tl.device_put(a, "xla")
    assert b.backend.name == "xla" and b.dtype == a.dtype and b.weak_type == a.weak_type
    c = tl.device_put(b * 2, "numpy")
    assert c.backend.name == "numpy"
    np.testing.assert_array_equal(np.asarray(c), np.asarray(a) * 2)
    dev = tl.devices("xla")[-1]
    d = tl.device_put(a, dev)
    assert d._buf.device is dev and repr(dev).startswith("XlaDevice(id=")


def test_arrays_stay_on_their_device():
    devs = tl.devices("xla")
    if len(devs) < 2:
        pytest.skip("needs TENSORLIB_NUM_CPU_DEVICES >= 2 (conftest sets 4)")
    a = tl.device_put(np.arange(4.0, dtype=np.float32), devs[-1])
    b = tl.device_put(np.ones(4, np.float32), devs[0])
    with tl.backend("xla"):
        c = tnp.sin(a) + 1.0  # the scalar is uncommitted: it follows a to its device
        d = tl.jit(lambda x: x * tnp.ones(4))(a)
        assert c._buf.device is devs[-1] and d._buf.device is devs[-1]
        np.testing.assert_allclose(np.asarray(c), np.sin(np.arange(4.0)) + 1, rtol=1e-6)
        with pytest.raises(BackendMismatchError, match=r"XlaDevice\(id=0"):
            a + b


def test_mixing_backends_is_an_error_naming_both():
    with tl.backend("numpy"):
        a = tnp.ones(3)
    with tl.backend("xla"):
        b = tnp.ones(3)
        with pytest.raises(BackendMismatchError, match="numpy and xla|xla and numpy"):
            a + b
        with pytest.raises(BackendMismatchError, match="numpy"):
            tl.jit(lambda u, v: u * v)(b, a)


def test_host_values_are_copies_on_upload_and_read_only_views():
    src = np.arange(16, dtype=np.float32)  # often 64-byte aligned: the aliasing trap
    with tl.backend("xla"):
        x = tnp.asarray(src)
    src[:] = -1
    assert np.asarray(x)[3] == 3.0
    assert not np.asarray(x).flags.writeable


def test_repr_and_block_until_ready():
    with tl.backend("xla"):
        x = tnp.arange(3.0) * 2
    assert x.block_until_ready() is x
    # The backend is named only when it is not the default one.
    where = "" if tl.default_backend() == "xla" else ", backend=xla"
    assert repr(x) == f"Array([0., 2., 4.], dtype=float32{where})"
    with tl.backend("xla"):
        assert repr(x) == "Array([0., 2., 4.], dtype=float32)"


def test_eager_cache_and_disk_cache(tmp_path, monkeypatch):
    from tensorlib.backends.xla_backend import compiler

    from tensorlib._src.backend import get_backend

    be = get_backend("xla")
    monkeypatch.setenv("TENSORLIB_CACHE_DIR", str(tmp_path))
    with tl.backend("xla"):
        x = tnp.asarray(np.full((13, 11), 0.25, np.float32))  # a signature no other test uses
        before = dict(compiler.STATS)
        tnp.arctan(x)
        assert compiler.STATS["compiles"] == before["compiles"] + 1
        tnp.arctan(x)  # cached in memory: no compile, no disk load
        assert compiler.STATS["compiles"] == before["compiles"] + 1
        assert list((tmp_path / "xla").rglob("*.entry"))
        be._modules.clear()  # as a fresh process would: the executable comes from disk
        from tensorlib._src.ops import elementwise as ew

        ew.atan_p._impl_cache.clear()
        for fn in _dispatch_funcs(ew.atan_p):
            getattr(fn, "calls", {}).clear()
        loads = compiler.STATS["disk_loads"]
        np.testing.assert_allclose(np.asarray(tnp.arctan(x)), np.arctan(0.25), rtol=1e-6)
        assert compiler.STATS["disk_loads"] == loads + 1
        assert compiler.STATS["compiles"] == before["compiles"] + 1


def _dispatch_funcs(prim):
    from tensorlib._src.dispatch import dispatchers

    return list(dispatchers()[prim].funcs.values())


def test_library_never_imports_jax():
    code = ("import sys; import tensorlib as tl, tensorlib.numpy as tnp\n"
            "with tl.backend('xla'):\n"
            "    x = tnp.arange(4.0).astype('bfloat16')\n"
            "    print(repr(x), float(tl.jit(lambda v: tnp.sum(v * 2))(tnp.ones(3))))\n"
            "    p = tl.pmap(lambda v: tl.lax.psum(v, 'i'), axis_name='i')(tnp.ones((2, 3)))\n"
            "    print(p.tolist(), p + 1)\n"
            "    q, r = tl.jit(tnp.linalg.qr)(tnp.eye(3) * 2.0)  # a LAPACK custom call\n"
            "    print(float(tnp.abs(r).sum()), float(tnp.linalg.svd(tnp.eye(2))[1].sum()))\n"
            "assert 'jax' not in sys.modules, 'jax was imported'\n")
    env = dict(os.environ, TENSORLIB_NUM_CPU_DEVICES="2")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "6.0" in r.stdout and "6.0 2.0" in r.stdout


# --------------------------------------------------------------------------------------------
# pmap: one executable replicated over the devices, XLA's collectives


def _pmap_stats():
    from tensorlib.backends.xla_backend.compiler import STATS

    return dict(STATS)


def test_pmap_is_one_replicated_executable_with_xla_collectives(monkeypatch):
    from tensorlib.backends.xla_backend import spmd
    from tensorlib.backends.xla_backend.buffers import ShardedXlaBuffer

    from tensorlib._src import pmap as pm

    threaded = []
    monkeypatch.setattr(pm, "_run_spmd", lambda *a: threaded.append(a) or [])
    x = np.arange(8.0, dtype=np.float32).reshape(4, 2)

    def f(v):
        i = tl.lax.axis_index("i")
        return (tl.lax.psum(v, "i"), tl.lax.pmax(v * i, "i"), tl.lax.all_gather(v, "i"),
                tl.lax.ppermute(v, "i", [(0, 1), (1, 2), (2, 3), (3, 0)]), i)

    with XLA("xla"):
        p = tl.pmap(f, axis_name="i")
        outs = p(tnp.asarray(x))
        exe = next(iter(p._cache.values()))[0]
    assert isinstance(exe, spmd.SpmdCall) and "stablehlo.all_reduce" in exe.text
    assert "stablehlo.collective_permute" in exe.text and "stablehlo.replica_id" in exe.text
    assert not threaded, "the threaded executor ran"
    assert all(type(o._buf) is ShardedXlaBuffer for o in outs)
    assert [d.id for d in outs[0]._buf.devices] == [d.id for d in tl.devices("xla")[:4]]
    want = tl.vmap(f, axis_name="i")(tnp.asarray(x))
    for g, w in zip(outs, want, strict=True):
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))


def test_pmap_result_feeds_the_next_pmap_without_leaving_the_devices(monkeypatch):
    from tensorlib.backends.xla_backend import spmd

    uploads = []
    orig = spmd.SpmdCall._stack
    monkeypatch.setattr(spmd.SpmdCall, "_stack",
                        lambda self, *a: uploads.append(1) or orig(self, *a))
    with XLA("xla"):
        step = tl.pmap(lambda w: w - 0.5 * tl.lax.pmean(w, "d"), axis_name="d")
        w = step(tnp.ones((4, 3)))  # uploaded once
        n0 = len(uploads)
        for _ in range(3):
            w = step(w)  # the stacked result goes back in as it is
        assert len(uploads) == n0
        np.testing.assert_allclose(np.asarray(w), np.full((4, 3), 0.5 ** 4))
        assert (w + 1).shape == (4, 3)  # an eager op assembles it on one device


def test_pmap_data_parallel_sgd_matches_the_numpy_backend():
    rng_ = np.random.default_rng(1)
    X = rng_.standard_normal((4, 8, 3)).astype(np.float32)
    Y = X @ np.array([1.0, -2.0, 0.5], np.float32)

    def loss(w, xb, yb):
        return ((xb @ w - yb) ** 2).mean()

    def train(backend):
        with tl.backend(backend):
            step = tl.pmap(lambda w, xb, yb: w - 0.1 * tl.lax.pmean(tl.grad(loss)(w, xb, yb), "b"),
                           axis_name="b", in_axes=(0, 0, 0))
            w = tnp.zeros((4, 3))
            xs, ys = tnp.asarray(X), tnp.asarray(Y)
            for _ in range(20):
                w = step(w, xs, ys)
            return np.asarray(w)

    got, want = train("xla"), train("numpy")
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[0], got[3])  # every device holds the same parameters


def test_pmap_with_a_host_only_equation_runs_threaded():
    m = np.stack([np.arange(9, dtype=np.float32).reshape(3, 3) * (k + 1) for k in range(4)])
    f = lambda a: tl.lax.psum(_max_pool_grad(a), "i")  # noqa: E731
    with XLA("xla"):
        p = tl.pmap(f, axis_name="i")
        r = p(tnp.asarray(m))
        exe = next(iter(p._cache.values()))[0]
    assert type(exe).__name__ == "_Threaded"  # reduce_window_argmax: host collectives
    want = sum(np.asarray(_run("numpy", _max_pool_grad, [m[k]])) for k in range(4))
    np.testing.assert_allclose(np.asarray(r)[0], want, rtol=1e-6)


def test_pmap_of_a_lapack_decomposition_is_one_replicated_executable(monkeypatch):
    from tensorlib.backends.xla_backend import spmd

    from tensorlib._src import pmap as pm

    threaded = []
    monkeypatch.setattr(pm, "_run_spmd", lambda *a: threaded.append(a) or [])
    m = np.stack([np.eye(3, dtype=np.float32) * (k + 1) for k in range(4)])
    with XLA("xla"):
        p = tl.pmap(lambda a: tl.lax.psum(tnp.linalg.qr(a)[1], "i"), axis_name="i")
        r = p(tnp.asarray(m))
        exe = next(iter(p._cache.values()))[0]
    assert isinstance(exe, spmd.SpmdCall) and "lapack_sgeqrf_ffi" in exe.text
    assert not threaded, "the threaded executor ran"
    np.testing.assert_allclose(np.abs(np.asarray(r)[0]), np.eye(3) * 10, atol=1e-5)


# --------------------------------------------------------------------------------------------
# donation


def test_jit_donation_reuses_the_input_buffer_and_deletes_the_input():
    from tensorlib.errors import DeletedArrayError

    with XLA("xla"):
        f = tl.jit(lambda p, g: (p - 0.5 * g, g.sum()), donate_argnums=0)
        p, g = tnp.ones(64), tnp.ones(64)
        ptr = p._buf.array.unsafe_buffer_pointer()
        q, s = f(p, g)
        assert q._buf.array.unsafe_buffer_pointer() == ptr  # written in place
        with pytest.raises(DeletedArrayError, match=r"f32\[64\].*donate_argnums"):
            p + 1
        with pytest.raises(DeletedArrayError, match="donated"):
            repr(p)
        for _ in range(3):
            q, s = f(q, g)  # the usual training-loop pattern
        np.testing.assert_allclose(np.asarray(q), np.full(64, -1.0))
        assert float(g.sum()) == 64.0  # not donated: alive


def test_donation_never_consumes_a_shared_constant_and_is_a_hint_elsewhere():
    with XLA("xla"):
        f = tl.jit(lambda a: a + 1, donate_argnums=0)
        z = tnp.zeros(3)  # small constants are cached and shared between arrays
        np.testing.assert_array_equal(np.asarray(f(z)), np.ones(3))
        np.testing.assert_array_equal(np.asarray(tnp.zeros(3)), np.zeros(3))
        # no output of the input's shape: nothing to alias, the input stays alive
        h = tl.jit(lambda a: a.sum(), donate_argnums=0)
        x = tnp.ones(5)
        assert float(h(x)) == 5.0 and float(x.sum()) == 5.0
        # under grad the jitted graph is inlined on tracers: nothing is donated
        y = tnp.ones(4)
        gr = tl.grad(lambda v: tl.jit(lambda a: a * 2, donate_argnums=0)(v).sum())(y)
        np.testing.assert_array_equal(np.asarray(gr), np.full(4, 2.0))
        assert float(y.sum()) == 4.0
    with XLA("numpy"):  # the NumPy backend ignores donation (as JAX does where unsupported)
        x = tnp.ones(5)
        tl.jit(lambda a: a + 1, donate_argnums=0)(x)
        assert float(x.sum()) == 5.0


def test_donating_a_static_argument_is_an_error():
    with pytest.raises(ValueError, match="both static and donated"):
        tl.jit(lambda a, n: a * n, static_argnums=1, donate_argnums=1)


def test_dlpack_both_ways_zero_copy_out_of_xla():
    jnp = pytest.importorskip("jax.numpy")
    with XLA("xla"):
        x = tnp.arange(4.0) * 2
        assert x.__dlpack_device__() == (1, 0)
        n = np.from_dlpack(x)  # shares the device buffer (host memory on CPU)
        np.testing.assert_array_equal(n, [0.0, 2.0, 4.0, 6.0])
        assert n.ctypes.data == x._buf.array.unsafe_buffer_pointer()
        np.testing.assert_array_equal(np.asarray(jnp.from_dlpack(x)), n)
        src = np.arange(3, dtype=np.float32)
        y = tnp.from_dlpack(src)  # into the backend: a copy, so later writes don't leak in
        src[:] = -1
        assert y.backend.name == "xla" and np.asarray(y).tolist() == [0.0, 1.0, 2.0]
        z = tnp.from_dlpack(jnp.arange(3.0))
        assert z.backend.name == "xla" and np.asarray(z).tolist() == [0.0, 1.0, 2.0]
    w = tnp.arange(3.0)  # a NumPy-backend array: np.asarray is read-only, DLPack copies
    assert np.from_dlpack(w).tolist() == [0.0, 1.0, 2.0]
