"""FFT: the ``fft`` primitive (kernel, shape rule, JVP/VJP, batching) and
``tensorlib.numpy.fft`` against ``numpy.fft``."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.numpy as tnp
import tensorlib.numpy.fft as tfft
from tensorlib._src.ops import fft as fo
from tensorlib._src.ops.elementwise import convert_element_type
from tensorlib._src.rules import batch_rules, jvp_rules, shape_rules, vjp_rules
from tensorlib.errors import DTypeError, ShapeError
from tensorlib.test_util import check_grads

TOL = {np.float32: 1e-5, np.float64: 1e-12, np.complex64: 1e-5, np.complex128: 1e-12}


@pytest.fixture(autouse=True)
def _config():
    old = (tl.config.enable_x64, tl.config.check_rules)
    tl.config.update("check_rules", True)
    yield
    tl.config.update("enable_x64", old[0])
    tl.config.update("check_rules", old[1])


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def _rand(rng, shape, dt):
    x = rng.standard_normal(shape)
    if np.dtype(dt).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dt)


def _close(got, want, dt):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    tol = TOL[np.dtype(dt).type] * 10 * (1 + np.abs(want).max(initial=0))
    np.testing.assert_allclose(got, want, rtol=0, atol=tol)


def test_rules_registered():
    for table in (shape_rules, jvp_rules, vjp_rules, batch_rules):
        assert fo.fft_p in table


# --------------------------------------------------------------------------------------------
# the primitive

LENGTHS = [(1,), (5,), (6,), (3, 4), (2, 3, 5), (2, 4, 4)]
NP_REF = {"FFT": np.fft.fftn, "IFFT": np.fft.ifftn, "RFFT": np.fft.rfftn}


def _prim_input(rng, kind, lengths, batch, dt):
    real = np.float64 if dt == np.complex128 else np.float32
    if kind == "RFFT":
        return _rand(rng, batch + lengths, real)
    if kind == "IRFFT":
        return _rand(rng, batch + lengths[:-1] + (lengths[-1] // 2 + 1,), dt)
    return _rand(rng, batch + lengths, dt)


@pytest.mark.parametrize("dt", [np.complex64, np.complex128], ids=["c64", "c128"])
@pytest.mark.parametrize("lengths", LENGTHS, ids=str)
@pytest.mark.parametrize("kind", fo.FFT_TYPES)
def test_fft_primitive_forward(rng, kind, lengths, dt):
    if dt == np.complex128:
        tl.config.update("enable_x64", True)
    x = _prim_input(rng, kind, lengths, (2,), dt)
    y = fo.fft(tnp.asarray(x), kind, lengths)
    axes = tuple(range(-len(lengths), 0))
    if kind == "IRFFT":
        want = np.fft.irfftn(x, s=lengths, axes=axes)
    else:
        want = NP_REF[kind](x, axes=axes)
    real = np.float64 if dt == np.complex128 else np.float32
    assert y.dtype == (real if kind == "IRFFT" else dt)
    _close(y, want, dt)


def _c(xr, xi):
    return convert_element_type(xr, np.complex128) + convert_element_type(xi, np.complex128) * 1j


def _parts(z):
    if np.dtype(z.dtype).kind != "c":
        return [z]
    return [convert_element_type(z, np.float64), convert_element_type(z * -1j, np.float64)]


@pytest.mark.parametrize("lengths", LENGTHS, ids=str)
@pytest.mark.parametrize("kind", fo.FFT_TYPES)
def test_fft_primitive_grads(rng, kind, lengths, x64):
    """Real-valued functions of real parameters, order 2, forward and reverse."""
    x = _prim_input(rng, kind, lengths, (2,), np.complex128)
    if kind == "RFFT":
        check_grads(lambda a: _parts(fo.fft(a, kind, lengths)), [tnp.asarray(x)], order=2)
    else:
        check_grads(lambda a, b: _parts(fo.fft(_c(a, b), kind, lengths)),
                    [tnp.asarray(x.real), tnp.asarray(x.imag)], order=2)


@pytest.mark.parametrize("kind", ["FFT", "IFFT"])
def test_fft_transpose_convention(rng, kind, x64):
    """JAX's convention: the VJP is the transpose (the DFT matrix is symmetric), not the
    adjoint, so the cotangent of an FFT is the FFT of the cotangent."""
    x, ct = _rand(rng, (6,), np.complex128), _rand(rng, (6,), np.complex128)
    _, pullback = tl.vjp(lambda z: fo.fft(z, kind, (6,)), tnp.asarray(x))
    (got,) = pullback(tnp.asarray(ct))
    _close(got, (np.fft.fft if kind == "FFT" else np.fft.ifft)(ct), np.complex128)


@pytest.mark.parametrize("kind, lens, axis", [("FFT", (4,), 0), ("FFT", (4,), 1),
                                              ("IFFT", (2, 4), 0), ("RFFT", (4,), 2),
                                              ("IRFFT", (4,), 1)])
def test_vmap_and_jit(rng, kind, lens, axis):
    """vmap (the batching rule) against a loop over the mapped axis; jit against eager."""
    dt = np.float32 if kind == "RFFT" else np.complex64
    x = _rand(rng, (3, 2, 4) if kind != "IRFFT" else (3, 2, 3), dt)
    f = lambda z: fo.fft(z, kind, lens)  # noqa: E731
    got = tl.vmap(f, in_axes=axis)(tnp.asarray(np.moveaxis(x, 0, axis)))
    for i in range(3):
        _close(np.asarray(got)[i], f(tnp.asarray(x[i])), np.complex64)
    _close(tl.jit(f)(tnp.asarray(x)), f(tnp.asarray(x)), np.complex64)
    g = tl.jit(lambda z: tfft.irfft(tfft.rfft(z, axis=0), 3, axis=0))
    _close(g(tnp.asarray(x.real[:, 0])), x.real[:, 0], np.float32)


@pytest.mark.parametrize("call, err, match", [
    (lambda: fo.fft(tnp.zeros((4,), tnp.float32), "FFT", (4,)), DTypeError,
     r"fft: FFT needs a complex64 or complex128 operand, got f32\[4\]"),
    (lambda: fo.fft(tnp.zeros((4,), tnp.complex64), "RFFT", (4,)), DTypeError,
     r"fft: RFFT needs a float32 or float64 operand, got c64\[4\]"),
    (lambda: fo.fft(tnp.zeros((2, 4), tnp.complex64), "FFT", (5,)), ShapeError,
     r"fft: FFT with fft_lengths=\(5,\) needs trailing axes \(5,\), got c64\[2,4\]"),
    (lambda: fo.fft(tnp.zeros((2, 4), tnp.complex64), "IRFFT", (4,)), ShapeError,
     r"fft: IRFFT .* needs trailing axes \(3,\), got c64\[2,4\]"),
    (lambda: fo.fft(tnp.zeros((4,), tnp.complex64), "FFT", (1, 1, 1, 4)), ShapeError,
     r"fft: fft_lengths must hold 1 to 3"),
    (lambda: fo.fft(tnp.zeros((4,), tnp.complex64), "DCT", (4,)), ValueError,
     r"fft: fft_type must be one of"),
    (lambda: tfft.rfft(tnp.zeros(4, tnp.complex64)), DTypeError, r"rfft: needs a real input"),
    (lambda: tfft.fft(tnp.zeros(4), n=0), ShapeError, r"fft: invalid number of data points"),
    (lambda: tfft.fft(tnp.zeros(4), norm="bogus"), ValueError, r"fft: norm must be"),
    (lambda: tfft.fftn(tnp.zeros((2, 2)), s=(2,), axes=(0, 1)), ShapeError,
     r"fftn: s \(2,\) and axes \(0, 1\) differ"),
    (lambda: tfft.fft(tnp.zeros(4), axis=1), ShapeError, r"fft: axis 1 is out of bounds"),
], ids=["fft-real", "rfft-complex", "length", "irfft-length", "four-axes", "type", "np-rfft",
        "np-n0", "np-norm", "np-s-axes", "np-axis"])
def test_fft_errors(call, err, match):
    with pytest.raises(err, match=match):
        call()


# --------------------------------------------------------------------------------------------
# tensorlib.numpy.fft against numpy.fft

ONE_D = [
    ("fft", {}), ("fft", {"n": 5}), ("fft", {"n": 9, "axis": 1}), ("ifft", {"axis": 0}),
    ("ifft", {"n": 3}), ("rfft", {}), ("rfft", {"n": 7, "axis": 0}), ("irfft", {}),
    ("irfft", {"n": 9}), ("irfft", {"n": 4, "axis": 1}), ("hfft", {}), ("hfft", {"n": 7}),
    ("ihfft", {}), ("ihfft", {"n": 5, "axis": 0}),
]
N_D = [
    ("fft2", {}), ("ifft2", {"s": (3, 5)}), ("fftn", {}), ("fftn", {"axes": (0, 2)}),
    ("ifftn", {"s": (2, 3, 4), "axes": (0, 1, 2)}), ("rfft2", {}), ("rfftn", {"axes": (2, 0)}),
    ("rfftn", {"s": (4, 6), "axes": (0, 1)}), ("irfft2", {}), ("irfftn", {}),
    ("irfftn", {"s": (3, 5), "axes": (1, 2)}), ("irfft2", {"axes": (0, 2)}),
]
CASES = [(name, kw, norm) for name, kw in ONE_D + N_D for norm in (None, "ortho", "forward")]


def _ids(case):
    name, kw, norm = case
    return "-".join([name] + [f"{k}={v}" for k, v in kw.items()] + [str(norm)])


_REAL_ONLY = ("rfft", "rfft2", "rfftn", "ihfft")
FWD = [(c, dt) for c in CASES for dt in (np.float32, np.float64, np.complex64)
       if not (c[0] in _REAL_ONLY and dt == np.complex64)]


@pytest.mark.parametrize("case, dt", FWD,
                         ids=[f"{_ids(c)}-{np.dtype(dt).name}" for c, dt in FWD])
def test_numpy_fft_forward(rng, case, dt):
    name, kw, norm = case
    if dt == np.float64:
        tl.config.update("enable_x64", True)
    x = _rand(rng, (3, 4, 6), dt)
    got = getattr(tfft, name)(tnp.asarray(x), norm=norm, **kw)
    want = getattr(np.fft, name)(x, norm=norm, **kw)
    single = dt in (np.float32, np.complex64)
    want_dt = want.dtype if not single else (np.complex64 if want.dtype.kind == "c"
                                             else np.float32)
    assert got.dtype == want_dt
    _close(got, want, np.float32 if single else np.float64)


def test_integer_input_and_many_axes(rng, x64):
    x = rng.integers(-3, 4, (4, 5))
    assert tfft.fft(tnp.asarray(x)).dtype == np.complex128
    y = rng.standard_normal((2, 3, 2, 3, 4))  # five axes: split into groups of three
    for name in ("fftn", "ifftn", "rfftn", "irfftn"):
        _close(getattr(tfft, name)(tnp.asarray(y)), getattr(np.fft, name)(y), np.float64)
    _close(tfft.fftn(tnp.asarray(y), axes=(4, 0, 2, 1)), np.fft.fftn(y, axes=(4, 0, 2, 1)),
           np.float64)


def test_frequencies_and_shifts(x64):
    for n, d in [(1, 1.0), (5, 0.1), (8, 2.0)]:
        _close(tfft.fftfreq(n, d), np.fft.fftfreq(n, d), np.float64)
        _close(tfft.rfftfreq(n, d), np.fft.rfftfreq(n, d), np.float64)
    assert tfft.fftfreq(4, dtype=tnp.float32).dtype == np.float32
    x = np.arange(30).reshape(5, 6)
    for axes in (None, 0, (1,), (0, 1)):
        _close(tfft.fftshift(tnp.asarray(x), axes), np.fft.fftshift(x, axes), np.float64)
        _close(tfft.ifftshift(tnp.asarray(x), axes), np.fft.ifftshift(x, axes), np.float64)


def test_default_precision_is_single(rng):
    x = rng.standard_normal(8)
    assert tfft.fft(tnp.asarray(x)).dtype == np.complex64
    assert tfft.irfft(tfft.rfft(tnp.asarray(x))).dtype == np.float32


# --------------------------------------------------------------------------------------------
# gradients through tensorlib.numpy.fft (real-valued compositions, float64, order 2)


def _grad_cases():
    w = tnp.asarray(np.linspace(0.5, 1.5, 5))

    def conv(x):  # circular auto-convolution, through rfft and irfft with padding
        f = tfft.rfft(x, n=8, norm="ortho")
        return tfft.irfft(f * f, n=8, norm="ortho")

    return {
        "rfft-irfft-filter": (lambda x: tfft.irfft(tfft.rfft(x) * w.astype(np.complex128), n=8),
                              (8,)),
        "conv": (conv, (6,)),
        "fft-abs2": (lambda x: _parts(tfft.fft(x, n=6, axis=0, norm="forward")), (5, 3)),
        "fftn-axes": (lambda x: _parts(tfft.fftn(x, s=(4, 3), axes=(1, 0))), (3, 4)),
        "ifft2": (lambda x: _parts(tfft.ifft2(x, norm="ortho")), (3, 4)),
        "rfftn-irfftn": (lambda x: tfft.irfftn(tfft.rfftn(x) ** 2, s=(3, 5)), (3, 5)),
        "hfft": (lambda x: tfft.hfft(x, n=7), (4,)),
        "ihfft": (lambda x: _parts(tfft.ihfft(x)), (5,)),
        "fftshift": (lambda x: tfft.fftshift(x, axes=0) * x, (5, 2)),
    }


@pytest.mark.parametrize("name", list(_grad_cases()))
def test_numpy_fft_grads(rng, name, x64):
    f, shape = _grad_cases()[name]
    check_grads(f, [tnp.asarray(rng.standard_normal(shape))], order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("kind, n", list(itertools.product(["rfft", "irfft"], [5, 6])))
def test_real_transform_grads_match_numpy_jacobian(rng, kind, n, x64):
    """The VJP of rfft / irfft against the explicit Jacobian built from numpy.fft."""
    m = n // 2 + 1
    if kind == "rfft":
        eye = np.eye(n)
        jac = np.fft.rfft(eye, axis=0)  # (m, n), complex
        x = rng.standard_normal(n)
        ct = _rand(rng, (m,), np.complex128)
        _, pb = tl.vjp(lambda z: tfft.rfft(z), tnp.asarray(x))
        # JAX's convention for a real input: Re(J^T ct)
        _close(pb(tnp.asarray(ct))[0], np.real(jac.T @ ct), np.float64)
    else:
        cols = [np.fft.irfft(e, n) for e in np.eye(m)]  # d out / d Re(in)
        cols_i = [np.fft.irfft(1j * e, n) for e in np.eye(m)]  # d out / d Im(in)
        jr, ji = np.stack(cols, 1), np.stack(cols_i, 1)
        x = _rand(rng, (m,), np.complex128)
        ct = rng.standard_normal(n)
        _, pb = tl.vjp(lambda z: tfft.irfft(z, n), tnp.asarray(x))
        # cotangent (JAX convention) = d<ct, out>/dRe - i d<ct, out>/dIm
        _close(pb(tnp.asarray(ct))[0], jr.T @ ct - 1j * (ji.T @ ct), np.float64)
