"""Linear algebra: the decomposition primitives (kernels, shape rules, JVP/VJP, batching) and
``tensorlib.numpy.linalg`` against NumPy."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.numpy as tnp
import tensorlib.numpy.linalg as tla
from tensorlib._src.ops import linalg as la
from tensorlib._src.ops.elementwise import convert_element_type
from tensorlib._src.rules import batch_rules, jvp_rules, shape_rules, vjp_rules
from tensorlib.errors import DTypeError, ShapeError
from tensorlib.test_util import check_grads

PRIMS = [la.cholesky_p, la.triangular_solve_p, la.lu_p, la.qr_p, la.eigh_p, la.svd_p]
TOL = {np.float32: 2e-4, np.float64: 1e-10, np.complex64: 2e-4, np.complex128: 1e-10}


@pytest.fixture(autouse=True)
def _config():
    """Check every shape rule against its kernel; seed; restore the flags afterwards."""
    old = (tl.config.enable_x64, tl.config.check_rules)
    tl.config.update("check_rules", True)
    yield
    tl.config.update("enable_x64", old[0])
    tl.config.update("check_rules", old[1])


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def _use_dtype(dt):
    if np.dtype(dt) in (np.float64, np.complex128):
        tl.config.update("enable_x64", True)


def _rand(rng, shape, dt=np.float64):
    x = rng.standard_normal(shape)
    if np.dtype(dt).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dt)


def _spd(rng, shape, dt=np.float64):
    a = _rand(rng, shape, dt)
    n = shape[-1]
    return (a @ np.conj(np.swapaxes(a, -1, -2)) + n * np.eye(n)).astype(dt)


def _close(got, want, dt, scale=True):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    tol = TOL[np.dtype(dt).type] * (1 + (np.abs(want).max(initial=0) if scale else 0))
    np.testing.assert_allclose(got, want, rtol=0, atol=tol)


def _mh(x):
    return np.conj(np.swapaxes(x, -1, -2))


# --------------------------------------------------------------------------------------------
# meta


def test_every_primitive_has_rules():
    for p in PRIMS:
        assert p in shape_rules and p in jvp_rules and p in vjp_rules and p in batch_rules, p


# --------------------------------------------------------------------------------------------
# kernels and shape rules, primitive by primitive

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
DT_IDS = ["f32", "f64", "c64", "c128"]


@pytest.mark.parametrize("dt", DTYPES, ids=DT_IDS)
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4), (2, 1, 5, 5)], ids=str)
def test_cholesky_forward(rng, dt, shape):
    _use_dtype(dt)
    a = _spd(rng, shape, dt)
    L = la.cholesky(tnp.asarray(a))
    assert L.dtype == dt
    _close(L, np.linalg.cholesky(a), dt)
    # symmetrize_input=False reads the lower triangle only
    junk = a + np.triu(_rand(rng, shape, dt), 1)
    _close(la.cholesky(tnp.asarray(junk), symmetrize_input=False), np.linalg.cholesky(a), dt)


def test_cholesky_not_positive_definite_gives_nan(rng):
    a = np.stack([_spd(rng, (3, 3)), -np.eye(3)]).astype(np.float32)
    L = np.asarray(la.cholesky(tnp.asarray(a)))
    assert np.isfinite(L[0]).all() and np.isnan(L[1]).all()


TRI_FLAGS = list(itertools.product([True, False], repeat=5))


def _tri_reference(a, b, left, lower, trans, conj, unit):
    t = np.tril(a) if lower else np.triu(a)
    if unit:
        t = t.copy()
        t[..., range(a.shape[-1]), range(a.shape[-1])] = 1
    t = np.conj(t) if conj else t
    t = np.swapaxes(t, -1, -2) if trans else t
    if left:
        return np.linalg.solve(t, b)
    return np.swapaxes(np.linalg.solve(np.swapaxes(t, -1, -2), np.swapaxes(b, -1, -2)), -1, -2)


@pytest.mark.parametrize("flags", TRI_FLAGS,
                         ids=lambda f: "".join(c * on for c, on in zip("LlTCU", f, strict=True)))
@pytest.mark.parametrize("dt", [np.float32, np.complex128], ids=["f32", "c128"])
def test_triangular_solve_forward(rng, dt, flags):
    _use_dtype(dt)
    left, lower, trans, conj, unit = flags
    a = _rand(rng, (2, 4, 4), dt) + 4 * np.eye(4, dtype=dt)
    b = _rand(rng, (2, 4, 3) if left else (2, 3, 4), dt)
    x = la.triangular_solve(tnp.asarray(a), tnp.asarray(b), left_side=left, lower=lower,
                            transpose_a=trans, conjugate_a=conj, unit_diagonal=unit)
    _close(x, _tri_reference(a, b, left, lower, trans, conj, unit), dt)


def test_triangular_solve_large_recursive(rng, x64):
    a = rng.standard_normal((70, 70)) + 10 * np.eye(70)
    b = rng.standard_normal((70, 5))
    for lower in (True, False):
        x = la.triangular_solve(tnp.asarray(a), tnp.asarray(b), left_side=True, lower=lower)
        _close(x, _tri_reference(a, b, True, lower, False, False, False), np.float64)


def test_triangular_solve_singular_gives_inf_or_nan():
    a = np.array([[0.0, 0.0], [1.0, 1.0]], np.float32)
    x = np.asarray(la.triangular_solve(tnp.asarray(a), tnp.asarray(np.ones((2, 1), np.float32)),
                                       left_side=True, lower=True))
    assert not np.isfinite(x).all()


def _check_lu(a, packed, piv, perm):
    m, n = a.shape[-2:]
    k = min(m, n)
    packed, piv, perm = np.asarray(packed), np.asarray(piv), np.asarray(perm)
    assert piv.dtype == np.int32 and perm.dtype == np.int32
    low = np.tril(packed[..., :, :k], -1) + np.eye(m, k, dtype=a.dtype)
    up = np.triu(packed[..., :k, :])
    pa = np.take_along_axis(a, perm[..., :, None].astype(np.intp), axis=-2)
    return low @ up, pa, piv, perm


@pytest.mark.parametrize("dt", DTYPES, ids=DT_IDS)
@pytest.mark.parametrize("shape", [(4, 4), (2, 5, 3), (3, 6), (40, 40), (2, 37, 20)], ids=str)
def test_lu_forward(rng, dt, shape):
    _use_dtype(dt)
    a = _rand(rng, shape, dt)
    lu_ = la.lu(tnp.asarray(a))
    assert lu_[0].dtype == dt
    lu_mat, pa, piv, perm = _check_lu(a, *lu_)
    _close(lu_mat, pa, dt)
    # pivots replay to the permutation, and |L| <= 1 (partial pivoting)
    for idx in np.ndindex(piv.shape[:-1]):
        order = list(range(shape[-2]))
        for j, p in enumerate(piv[idx]):
            order[j], order[p] = order[p], order[j]
        assert order == list(perm[idx])
    k = min(shape[-2:])
    low = np.tril(np.asarray(lu_[0])[..., :, :k], -1)
    # LAPACK picks pivots by |re| + |im|, which bounds |L| by sqrt(2) for complex data
    bound = np.sqrt(2) if np.dtype(dt).kind == "c" else 1
    assert np.abs(low).max() <= bound + 1e-5


@pytest.mark.parametrize("dt", DTYPES, ids=DT_IDS)
@pytest.mark.parametrize("shape", [(4, 4), (2, 5, 3), (3, 6)], ids=str)
@pytest.mark.parametrize("full", [False, True], ids=["reduced", "full"])
def test_qr_forward(rng, dt, shape, full):
    _use_dtype(dt)
    a = _rand(rng, shape, dt)
    q, r = la.qr(tnp.asarray(a), full_matrices=full)
    q2, r2 = np.linalg.qr(a, mode="complete" if full else "reduced")
    assert q.shape == q2.shape and r.shape == r2.shape and q.dtype == dt and r.dtype == dt
    q, r = np.asarray(q), np.asarray(r)
    _close(q @ r, a, dt)
    _close(_mh(q) @ q, np.broadcast_to(np.eye(q.shape[-1]), _mh(q).shape[:-1] + q.shape[-1:]),
           dt)
    np.testing.assert_array_equal(np.tril(r, -1), 0)


@pytest.mark.parametrize("dt", DTYPES, ids=DT_IDS)
@pytest.mark.parametrize("shape", [(3, 3), (2, 4, 4)], ids=str)
@pytest.mark.parametrize("lower", [True, False], ids=["L", "U"])
@pytest.mark.parametrize("sym", [True, False], ids=["sym", "tri"])
def test_eigh_forward(rng, dt, shape, lower, sym):
    _use_dtype(dt)
    a = _spd(rng, shape, dt)
    x = a
    if not sym:  # garbage in the triangle that is not read
        x = a + (np.triu(_rand(rng, shape, dt), 1) if lower else np.tril(_rand(rng, shape, dt),
                                                                         -1))
    v, w = la.eigh(tnp.asarray(x), lower=lower, symmetrize_input=sym)
    assert v.dtype == dt and w.dtype == np.dtype(dt).type(0).real.dtype
    _close(w, np.linalg.eigvalsh(a), dt)
    v, w = np.asarray(v), np.asarray(w)
    _close((v * w[..., None, :]) @ _mh(v), a, dt)


@pytest.mark.parametrize("dt", DTYPES, ids=DT_IDS)
@pytest.mark.parametrize("shape", [(4, 4), (2, 5, 3), (3, 6)], ids=str)
@pytest.mark.parametrize("full", [False, True], ids=["reduced", "full"])
def test_svd_forward(rng, dt, shape, full):
    _use_dtype(dt)
    a = _rand(rng, shape, dt)
    s, u, vt = la.svd(tnp.asarray(a), full_matrices=full)
    u2, s2, vt2 = np.linalg.svd(a, full_matrices=full)
    assert u.shape == u2.shape and vt.shape == vt2.shape and u.dtype == dt
    _close(s, s2, dt)
    k = s.shape[-1]
    s, u, vt = np.asarray(s), np.asarray(u), np.asarray(vt)
    _close((u[..., :, :k] * s[..., None, :]) @ vt[..., :k, :], a, dt)
    (s_only,) = la.svd(tnp.asarray(a), compute_uv=False)
    _close(s_only, s2, dt)


# --------------------------------------------------------------------------------------------
# shape-rule errors


@pytest.mark.parametrize("fn, arg, err, match", [
    (la.cholesky, np.zeros((3, 4), np.float32), ShapeError, r"cholesky: .*square.*f32\[3,4\]"),
    (la.cholesky, np.zeros(3, np.float32), ShapeError, r"cholesky: .*at least 2 dim.*f32\[3\]"),
    (la.cholesky, np.zeros((2, 2), np.int32), DTypeError, r"cholesky: .*i32\[2,2\].*float32"),
    (la.eigh, np.zeros((2, 3, 4), np.float32), ShapeError, r"eigh: .*square.*f32\[2,3,4\]"),
    (la.lu, np.zeros(4, np.float32), ShapeError, r"lu: .*f32\[4\]"),
    (la.qr, np.zeros((2, 2), np.float16), DTypeError, r"qr: .*f16\[2,2\]"),
    (la.svd, np.zeros((), np.float32), ShapeError, r"svd: .*f32\[\]"),
], ids=["chol-nonsquare", "chol-1d", "chol-int", "eigh-nonsquare", "lu-1d", "qr-f16", "svd-0d"])
def test_shape_rule_errors(fn, arg, err, match):
    with pytest.raises(err, match=match):
        fn(tnp.asarray(arg))


def test_triangular_solve_errors():
    a = tnp.zeros((3, 3), tnp.float32)
    with pytest.raises(ShapeError, match=r"triangular_solve: a f32\[3,3\] and b f32\[4,2\]"):
        la.triangular_solve(a, tnp.zeros((4, 2), tnp.float32), left_side=True)
    with pytest.raises(ShapeError, match=r"triangular_solve: .*f32\[2,3,3\].*batch"):
        la.triangular_solve(tnp.zeros((2, 3, 3), tnp.float32), tnp.zeros((3, 3), tnp.float32))
    with pytest.raises(DTypeError, match=r"triangular_solve: a f32\[3,3\] and b c64\[3,3\]"):
        la.triangular_solve(a, tnp.zeros((3, 3), tnp.complex64))
    with pytest.raises(ShapeError, match=r"triangular_solve: a must be square.*f32\[3,2\]"):
        la.triangular_solve(tnp.zeros((3, 2), tnp.float32), a)


def test_nonunique_derivatives_raise(rng):
    x = tnp.asarray(rng.standard_normal((4, 2)).astype(np.float32))
    with pytest.raises(NotImplementedError, match=r"qr: .*f32\[4,2\].*full_matrices=False"):
        tl.grad(lambda y: tnp.sum(la.qr(y, full_matrices=True)[1]))(x)
    with pytest.raises(NotImplementedError, match=r"svd: .*f32\[4,2\].*full_matrices=False"):
        tl.jvp(lambda y: la.svd(y, full_matrices=True)[1], (x,), (x,))


# --------------------------------------------------------------------------------------------
# gradients of the primitives (float64, order 2, forward and reverse)


def _inv_eigh(lower=True, sym=True):
    """Functions of eigh that do not depend on the eigenvectors' signs or phases."""
    def f(x):
        v, w = la.eigh(x, lower=lower, symmetrize_input=sym)
        c = tnp.arange(1, w.shape[-1] + 1).astype(v.dtype)
        wc = w.astype(v.dtype)[..., None, :]
        return [w, (v * wc ** 3) @ la.mH(v), (v * c) @ la.mH(v)]
    return f


def _inv_svd(x):
    s, u, vt = la.svd(x, full_matrices=False)
    c = tnp.arange(1, s.shape[-1] + 1).astype(u.dtype)
    sc = s.astype(u.dtype)[..., None, :]
    return [s, (u * sc ** 2) @ vt, (u * c) @ la.mH(u), (la.mH(vt) * c) @ vt]


def _grad_cases(rng):
    sq = rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    tall, wide = rng.standard_normal((4, 3)), rng.standard_normal((2, 3, 5))
    spd = _spd(rng, (2, 3, 3))
    cases = {
        "cholesky": (la.cholesky, [spd]),
        "cholesky-tri": (lambda x: la.cholesky(x, symmetrize_input=False), [spd]),
        "lu-square": (lambda x: la.lu(x)[0], [sq]),
        "lu-tall": (lambda x: la.lu(x)[0], [tall]),
        "lu-wide": (lambda x: la.lu(x)[0], [wide]),
        "qr-square": (lambda x: la.qr(x), [sq]),
        "qr-tall": (lambda x: la.qr(x, full_matrices=False), [tall]),
        "qr-wide": (lambda x: la.qr(x), [wide]),
        "eigh": (_inv_eigh(), [spd]),
        "eigh-upper-tri": (_inv_eigh(False, False), [spd]),
        "eigh-lower-tri": (_inv_eigh(True, False), [spd]),
        "svd-square": (_inv_svd, [sq]),
        "svd-tall": (_inv_svd, [tall]),
        "svd-wide": (_inv_svd, [wide]),
        "svd-s-only": (lambda x: la.svd(x, compute_uv=False)[0], [wide]),
    }
    tri_a, b = sq, rng.standard_normal((2, 3, 2))
    for left, lower, trans, unit in itertools.product([True, False], repeat=4):
        flags = (left, lower, trans, unit)
        name = "trisolve-" + "".join(c * on for c, on in zip("LlTU", flags, strict=True))

        def f(a, b, left=left, lower=lower, trans=trans, unit=unit):
            return la.triangular_solve(a, b, left_side=left, lower=lower, transpose_a=trans,
                                       unit_diagonal=unit)
        cases[name] = (f, [tri_a, b if left else np.swapaxes(b, -1, -2)])
    return cases


GRAD_CASES = list(_grad_cases(np.random.default_rng(0)))


@pytest.mark.parametrize("name", GRAD_CASES)
def test_primitive_grads(name, x64):
    f, args = _grad_cases(np.random.default_rng(0))[name]
    check_grads(f, [tnp.asarray(a) for a in args], order=2, modes=("fwd", "rev"))


# Complex rules: differentiate real-valued functions of the real and imaginary parts. The chain
# runs through convert_element_type and a multiplication by 1j, whose rules use JAX's cotangent
# convention (transpose, not adjoint), so this also pins the rules to that convention. (Checked
# once against jax.vjp for qr, lu, cholesky, eigh and svd while writing them.)


def _to_c(xr, xi):
    c = np.complex128
    return convert_element_type(xr, c) + convert_element_type(xi, c) * 1j


def _parts(outs):
    res = []
    for z in outs if isinstance(outs, (list, tuple)) else [outs]:
        if np.dtype(z.dtype).kind == "c":
            res += [convert_element_type(z, np.float64), convert_element_type(z * -1j,
                                                                               np.float64)]
        else:
            res.append(z)
    return res


def _complex_cases(rng):
    herm = _spd(rng, (3, 3), np.complex128)
    sq = _rand(rng, (3, 3), np.complex128) + 3 * np.eye(3)
    tall, wide = _rand(rng, (4, 3), np.complex128), _rand(rng, (3, 4), np.complex128)
    return {
        "cholesky": (la.cholesky, [herm]),
        "cholesky-tri": (lambda x: la.cholesky(x, symmetrize_input=False), [herm]),
        "trisolve": (lambda a, b: la.triangular_solve(a, b, left_side=True, lower=True,
                                                      transpose_a=True, conjugate_a=True),
                     [sq, tall[:3]]),
        "trisolve-right": (lambda a, b: la.triangular_solve(a, b, conjugate_a=True), [sq, tall]),
        "lu": (lambda x: la.lu(x)[0], [wide]),
        "qr-tall": (lambda x: la.qr(x, full_matrices=False), [tall]),
        "qr-wide": (lambda x: la.qr(x), [wide]),
        "eigh": (_inv_eigh(), [herm]),
        "eigh-tri": (_inv_eigh(False, False), [herm]),
        "svd-tall": (_inv_svd, [tall]),
        "svd-wide": (_inv_svd, [wide]),
        "svd-s-only": (lambda x: la.svd(x, compute_uv=False)[0], [sq]),
    }


@pytest.mark.parametrize("name", list(_complex_cases(np.random.default_rng(0))))
def test_primitive_grads_complex(name, x64):
    f, args = _complex_cases(np.random.default_rng(0))[name]
    flat = []
    for a in args:
        flat += [tnp.asarray(a.real), tnp.asarray(a.imag)]

    def g(*xs):
        return _parts(f(*[_to_c(xs[i], xs[i + 1]) for i in range(0, len(xs), 2)]))

    check_grads(g, flat, order=1, modes=("fwd", "rev"))


# --------------------------------------------------------------------------------------------
# vmap (the batching rules) against a loop, and jit against eager

BATCH_CASES = [
    ("cholesky", lambda a: la.cholesky(a), [(3, 3)]),
    ("lu", lambda a: la.lu(a), [(3, 4)]),
    ("qr", lambda a: la.qr(a, full_matrices=False), [(4, 3)]),
    ("eigh", lambda a: la.eigh(a), [(3, 3)]),
    ("svd", lambda a: la.svd(a, full_matrices=False), [(3, 4)]),
    ("triangular_solve",
     lambda a, b: la.triangular_solve(a, b, left_side=True, lower=True), [(3, 3), (3, 2)]),
    ("solve", tla.solve, [(3, 3), (3, 2)]),
    ("det", tla.det, [(3, 3)]),
]


def _batch_args(rng, shapes, n=2):
    return [_spd(rng, (n,) + s).astype(np.float32) if s[0] == s[1] else
            _rand(rng, (n,) + s, np.float32) for s in shapes]


@pytest.mark.parametrize("name, fn, shapes", BATCH_CASES, ids=[c[0] for c in BATCH_CASES])
def test_vmap_matches_loop(rng, name, fn, shapes):
    base = _batch_args(rng, shapes)
    for axes in itertools.product([0, -1, None], repeat=len(base)):
        if all(ax is None for ax in axes):
            continue
        args = [tnp.asarray(b[0] if ax is None else np.moveaxis(b, 0, ax))
                for b, ax in zip(base, axes, strict=True)]
        got = tl.vmap(fn, in_axes=axes)(*args)
        for i in range(2):
            want = fn(*[tnp.asarray(b[0] if ax is None else b[i])
                        for b, ax in zip(base, axes, strict=True)])
            for g, w in zip(got if isinstance(got, list) else [got],
                            want if isinstance(want, list) else [want], strict=True):
                _close(np.asarray(g)[i], w, np.float32)


@pytest.mark.parametrize("name, fn, shapes", BATCH_CASES, ids=[c[0] for c in BATCH_CASES])
def test_jit_matches_eager(rng, name, fn, shapes):
    args = [tnp.asarray(b) for b in _batch_args(rng, shapes)]
    got, want = tl.jit(fn)(*args), fn(*args)
    for g, w in zip(got if isinstance(got, list) else [got],
                    want if isinstance(want, list) else [want], strict=True):
        _close(g, w, np.float32)


def test_grad_under_jit_and_vmap(rng, x64):
    a = _spd(rng, (3, 4, 4))
    g = tl.jit(tl.vmap(tl.grad(lambda x: tla.slogdet(x).logabsdet)))(tnp.asarray(a))
    _close(g, np.swapaxes(np.linalg.inv(a), -1, -2), np.float64)


# --------------------------------------------------------------------------------------------
# tensorlib.numpy.linalg against NumPy


def _np_sym(rng, shape, dt):
    return _spd(rng, shape, dt)


def _np_sq(rng, shape, dt):
    return (_rand(rng, shape, dt) + 3 * np.eye(shape[-1])).astype(dt)


def _np_gen(rng, shape, dt):
    return _rand(rng, shape, dt)


def _eigh_recon(mod, a):
    w, v = mod.eigh(a)
    v, w = np.asarray(v), np.asarray(w)
    return [w, (v * w[..., None, :]) @ _mh(v)]


def _svd_recon(mod, a):
    u, s, vh = mod.svd(a, full_matrices=False)
    u, s, vh = np.asarray(u), np.asarray(s), np.asarray(vh)
    return [s, (u * s[..., None, :]) @ vh]


def _qr_recon(mod, a):
    q, r = mod.qr(a)
    return [np.abs(np.asarray(r)), np.asarray(q) @ np.asarray(r)]


# name, function of the module (np.linalg or tla), argument makers, shape groups (one shape
# per argument in each group)
NP_RECORDS = [
    ("cholesky", lambda m, a: m.cholesky(a), [_np_sym], [[(3, 3)], [(2, 4, 4)]]),
    ("cholesky-upper", lambda m, a: m.cholesky(a, upper=True), [_np_sym], [[(2, 3, 3)]]),
    ("inv", lambda m, a: m.inv(a), [_np_sq], [[(3, 3)], [(2, 1, 4, 4)]]),
    ("det", lambda m, a: m.det(a), [_np_sq], [[(3, 3)], [(2, 4, 4)], [(1, 1)]]),
    ("slogdet", lambda m, a: list(m.slogdet(a)), [_np_gen], [[(3, 3)], [(2, 4, 4)]]),
    ("solve", lambda m, a, b: m.solve(a, b), [_np_sq, _np_gen],
     [[(3, 3), (3, 2)], [(2, 4, 4), (4,)], [(4, 4), (2, 4, 3)], [(2, 1, 3, 3), (4, 3, 1)]]),
    ("eigvalsh", lambda m, a: m.eigvalsh(a), [_np_sym], [[(3, 3)], [(2, 4, 4)]]),
    ("eigh", _eigh_recon, [_np_sym], [[(2, 4, 4)]]),
    ("svd", _svd_recon, [_np_gen], [[(2, 5, 3)], [(3, 4)]]),
    ("svdvals", lambda m, a: m.svd(a, compute_uv=False), [_np_gen], [[(2, 5, 3)]]),
    ("qr", _qr_recon, [_np_gen], [[(2, 5, 3)], [(3, 4)]]),
    ("pinv", lambda m, a: m.pinv(a), [_np_gen], [[(2, 5, 3)], [(3, 4)]]),
    ("matrix_power", lambda m, a: m.matrix_power(a, 5), [_np_sq], [[(2, 3, 3)]]),
    ("matrix_power-neg", lambda m, a: m.matrix_power(a, -2), [_np_sq], [[(3, 3)]]),
    ("matrix_rank", lambda m, a: m.matrix_rank(a), [_np_gen], [[(2, 4, 3)]]),
    ("cond", lambda m, a: m.cond(a), [_np_sq], [[(2, 3, 3)]]),
    ("cond-fro", lambda m, a: m.cond(a, "fro"), [_np_sq], [[(3, 3)]]),
    ("lstsq", lambda m, a, b: [r for i, r in enumerate(m.lstsq(a, b)) if i != 2],
     [_np_gen, _np_gen], [[(6, 3), (6, 2)], [(5, 2), (5,)]]),
    ("multi_dot", lambda m, a, b, c: m.multi_dot([a, b, c]), [_np_gen] * 3,
     [[(3,), (3, 5), (5,)], [(2, 3), (3, 5), (5, 4)]]),
    ("norm", lambda m, a: m.norm(a), [_np_gen], [[(2, 3, 4)]]),
]
NP_CASES = [(rec, group) for rec in NP_RECORDS for group in rec[3]]
NORM_ORDS = [
    ("vec", None, 1), ("vec", 2, 0), ("vec", 1, -1), ("vec", np.inf, 1), ("vec", -np.inf, 0),
    ("vec", 0, 1), ("vec", 3, 1), ("vec", 0.5, -1),
    ("mat", None, (0, 2)), ("mat", "fro", (1, 2)), ("mat", "nuc", (2, 1)), ("mat", 1, (0, 1)),
    ("mat", -1, (1, 2)), ("mat", 2, (0, 2)), ("mat", -2, (1, 2)), ("mat", np.inf, (2, 0)),
    ("mat", -np.inf, (1, 2)),
]


@pytest.mark.parametrize("dt", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("rec, group", NP_CASES,
                         ids=[f"{r[0]}-{'-'.join(map(str, g))}" for r, g in NP_CASES])
def test_numpy_linalg_forward(rng, rec, group, dt):
    _use_dtype(dt)
    name, fn, makers, _ = rec
    args = [mk(rng, s, dt) for mk, s in zip(makers, group, strict=True)]
    got = fn(tla, *[tnp.asarray(a) for a in args])
    want = fn(np.linalg, *args)
    got, want = (got, want) if isinstance(want, list) else ([got], [want])
    for g, w in zip(got, want, strict=True):
        w = np.asarray(w)
        g_dt = np.asarray(g).dtype
        assert g_dt == w.dtype or (g_dt.kind == w.dtype.kind == "i"), (g_dt, w.dtype)
        _close(g, w, dt)


@pytest.mark.parametrize("kind, ord, axis", NORM_ORDS, ids=lambda v: str(v))
@pytest.mark.parametrize("keepdims", [False, True])
def test_norm_orders(rng, kind, ord, axis, keepdims, x64):
    x = rng.standard_normal((3, 4, 5))
    _close(tla.norm(tnp.asarray(x), ord, axis, keepdims), np.linalg.norm(x, ord, axis, keepdims),
           np.float64)
    two = x[0] if kind == "mat" else x[0, 0]
    _close(tla.norm(tnp.asarray(two), ord), np.linalg.norm(two, ord), np.float64)


def test_array_api_names(rng, x64):
    x = rng.standard_normal((3, 4, 5))
    y = rng.standard_normal((3, 4, 5))
    pairs = [
        (tla.vector_norm(tnp.asarray(x), axis=(0, 2), ord=3),
         np.linalg.vector_norm(x, axis=(0, 2), ord=3)),
        (tla.vector_norm(tnp.asarray(x)), np.linalg.vector_norm(x)),
        (tla.matrix_norm(tnp.asarray(x), ord="nuc", keepdims=True),
         np.linalg.matrix_norm(x, ord="nuc", keepdims=True)),
        (tla.svdvals(tnp.asarray(x)), np.linalg.svd(x, compute_uv=False)),
        (tla.diagonal(tnp.asarray(x), offset=1), np.diagonal(x, 1, -2, -1)),
        (tla.trace(tnp.asarray(x), offset=-1), np.trace(x, -1, -2, -1)),
        (tla.outer(tnp.asarray(x[0, 0]), tnp.asarray(y[0, 1])), np.outer(x[0, 0], y[0, 1])),
        (tla.cross(tnp.asarray(x[..., :3]), tnp.asarray(y[..., 1:4])),
         np.cross(x[..., :3], y[..., 1:4])),
        (tla.vecdot(tnp.asarray(x), tnp.asarray(y)), np.sum(x * y, -1)),
        (tla.tensordot(tnp.asarray(x), tnp.asarray(y), axes=([1, 2], [1, 2])),
         np.tensordot(x, y, ([1, 2], [1, 2]))),
        (tla.matmul(tnp.asarray(x), tnp.asarray(np.swapaxes(y, -1, -2))),
         x @ np.swapaxes(y, -1, -2)),
        (tla.matrix_transpose(tnp.asarray(x)), np.swapaxes(x, -1, -2)),
    ]
    for got, want in pairs:
        _close(got, want, np.float64)


def test_tensorinv_tensorsolve_complex_slogdet(rng, x64):
    a = rng.standard_normal((2, 3, 6))
    _close(tla.tensorinv(tnp.asarray(a), 2), np.linalg.tensorinv(a, 2), np.float64)
    b = rng.standard_normal((2, 3))
    _close(tla.tensorsolve(tnp.asarray(a), tnp.asarray(b)), np.linalg.tensorsolve(a, b),
           np.float64)
    c = _rand(rng, (2, 3, 3), np.complex128)
    for got, want in zip(tla.slogdet(tnp.asarray(c)), np.linalg.slogdet(c), strict=True):
        _close(got, want, np.complex128)
    _close(tla.det(tnp.asarray(c)), np.linalg.det(c), np.complex128)
    _close(tla.solve(tnp.asarray(c), tnp.asarray(c[0])), np.linalg.solve(c, c[0]), np.complex128)


def test_svd_hermitian_and_singular_matrices(rng, x64):
    a = _spd(rng, (2, 4, 4)) - 3 * np.eye(4)  # indefinite
    u, s, vh = tla.svd(tnp.asarray(a), hermitian=True)
    _close(s, np.linalg.svd(a, compute_uv=False), np.float64)
    _close((np.asarray(u) * np.asarray(s)[..., None, :]) @ np.asarray(vh), a, np.float64)
    _close(tla.pinv(tnp.asarray(a), hermitian=True), np.linalg.pinv(a, hermitian=True),
           np.float64)
    sing = np.array([[1.0, 2.0], [2.0, 4.0]])
    assert float(tla.det(tnp.asarray(sing))) == 0.0
    sign, logdet = tla.slogdet(tnp.asarray(sing))
    assert float(sign) == 0.0 and float(logdet) == -np.inf
    assert int(tla.matrix_rank(tnp.asarray(sing))) == 1
    assert np.isinf(float(tla.cond(tnp.asarray(sing), 1)))


@pytest.mark.parametrize("shape", [(0, 0), (2, 0, 0), (3, 0), (0, 3)], ids=str)
def test_empty_matrices(shape):
    x = tnp.zeros(shape)
    k = min(shape[-2:])
    assert [o.shape for o in la.lu(x)] == [shape, shape[:-2] + (k,), shape[:-1]]
    assert la.svd(x, full_matrices=False)[0].shape == shape[:-2] + (k,)
    assert tla.pinv(x).shape == shape[:-2] + shape[:-3:-1]
    assert float(tla.norm(x)) == 0.0
    if shape[-1] == shape[-2]:
        np.testing.assert_array_equal(np.asarray(tla.det(x)), np.ones(shape[:-2]))
        assert tla.inv(x).shape == shape and la.cholesky(x).shape == shape


def test_result_types_and_int_promotion():
    r = tla.eigh(tnp.asarray([[2, 1], [1, 2]]))
    assert r.eigenvalues.dtype == np.float32 and type(r).__name__ == "EighResult"
    assert tla.qr(tnp.eye(3)).R.shape == (3, 3)
    assert tla.svd(tnp.eye(2)).Vh.shape == (2, 2)
    assert tla.slogdet(tnp.eye(2)).logabsdet.dtype == np.float32
    assert tla.det(tnp.asarray([[1, 2], [3, 4]])).dtype == np.float32


@pytest.mark.parametrize("call, err, match", [
    (lambda: tla.solve(tnp.eye(3), tnp.ones((4, 2))), ShapeError, r"solve: b f32\[4,2\]"),
    (lambda: tla.inv(tnp.ones((2, 3))), ShapeError, r"inv: .*square.*f32\[2,3\]"),
    (lambda: tla.det(tnp.ones(3)), ShapeError, r"det: .*at least 2.*f32\[3\]"),
    (lambda: tla.norm(tnp.ones((2, 2)), "nuc", axis=0), ValueError, r"norm: invalid .*'nuc'"),
    (lambda: tla.norm(tnp.ones((2, 2)), 3), ValueError, r"norm: invalid norm order 3 for mat"),
    (lambda: tla.norm(tnp.ones((2, 2, 2)), 2), ShapeError, r"norm: .*f32\[2,2,2\]"),
    (lambda: tla.qr(tnp.eye(2), mode="raw"), ValueError, r"qr: mode"),
    (lambda: tla.cross(tnp.ones(2), tnp.ones(2)), ShapeError, r"cross: needs size 3"),
    (lambda: tla.multi_dot([tnp.ones((2, 2))]), ValueError, r"multi_dot: needs at least two"),
    (lambda: tla.lstsq(tnp.ones((3, 2)), tnp.ones(4)), ShapeError, r"lstsq: .*f32\[3,2\]"),
], ids=["solve", "inv", "det", "norm-nuc-vec", "norm-3-mat", "norm-3d", "qr-mode", "cross",
        "multi_dot", "lstsq"])
def test_numpy_linalg_errors(call, err, match):
    with pytest.raises(err, match=match):
        call()


# --------------------------------------------------------------------------------------------
# gradients of tensorlib.numpy.linalg (float64, order 2)


def _np_grad_cases(rng):
    sq = rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    tall = rng.standard_normal((4, 3))
    spd = _spd(rng, (2, 3, 3))
    eigh_fn = tla.eigh

    def eigh_recon(x):
        w, v = eigh_fn(x)
        return (v * w[..., None, :] ** 3) @ tla.matrix_transpose(v)

    def svd_recon(x):
        u, s, vh = tla.svd(x, full_matrices=False)
        return (u * s[..., None, :] ** 2) @ vh

    return {
        "solve": (tla.solve, [sq, rng.standard_normal((2, 3, 2))]),
        "solve-vec": (tla.solve, [sq[0], rng.standard_normal(3)]),
        "inv": (tla.inv, [sq]),
        "det": (tla.det, [sq]),
        "slogdet": (lambda x: tla.slogdet(x).logabsdet, [sq]),
        "cholesky": (tla.cholesky, [spd]),
        "qr": (lambda x: list(tla.qr(x)), [tall]),
        "eigh": (eigh_recon, [spd]),
        "eigvalsh": (tla.eigvalsh, [spd]),
        "svd": (svd_recon, [tall]),
        "svdvals": (tla.svdvals, [tall]),
        "pinv": (tla.pinv, [tall]),
        "lstsq": (lambda a, b: tla.lstsq(a, b)[0], [tall, rng.standard_normal((4, 2))]),
        "matrix_power": (lambda x: tla.matrix_power(x, 3), [sq]),
        "matrix_power-neg": (lambda x: tla.matrix_power(x, -2), [sq]),
        "cond": (tla.cond, [sq]),
        "multi_dot": (lambda a, b: tla.multi_dot([a, b, a.T]), [tall, sq[0]]),
        "norm-fro": (tla.norm, [tall]),
        "norm-nuc": (lambda x: tla.norm(x, "nuc"), [tall]),
        "norm-2": (lambda x: tla.norm(x, 2), [tall]),
        "norm-1": (lambda x: tla.norm(x, 1), [tall]),
        "norm-inf": (lambda x: tla.norm(x, np.inf), [tall]),
        "vector_norm-3": (lambda x: tla.vector_norm(x, ord=3, axis=0), [tall]),
        "tensorinv": (lambda x: tla.tensorinv(x, 1), [sq[0]]),
    }


@pytest.mark.parametrize("name", list(_np_grad_cases(np.random.default_rng(0))))
def test_numpy_linalg_grads(name, x64):
    f, args = _np_grad_cases(np.random.default_rng(0))[name]
    check_grads(f, [tnp.asarray(a) for a in args], order=2, modes=("fwd", "rev"))
