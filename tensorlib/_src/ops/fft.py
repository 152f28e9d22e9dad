"""The FFT primitive, over the trailing ``len(fft_lengths)`` axes (1 to 3), as ``jax.lax.fft``.

``fft_type`` is one of

- ``"FFT"`` / ``"IFFT"``: complex to complex, the inverse scaled by ``1 / prod(fft_lengths)``;
- ``"RFFT"``: real to complex, the last axis shrinks to ``n // 2 + 1``;
- ``"IRFFT"``: complex (half spectrum, last axis ``n // 2 + 1``) to real of ``fft_lengths``.

The op is linear, so its JVP applies it to the tangent. VJPs are transposes in JAX's
convention (no conjugation): the DFT matrix is symmetric, so FFT and IFFT are their own
transposes; RFFT's transpose zero-pads the half spectrum and takes the real part of an FFT;
IRFFT's transpose is an RFFT with the interior bins doubled (each stands for two conjugate
bins of the full spectrum), scaled and conjugated.
"""

from __future__ import annotations

import math

from tensorlib._src import dtypes
from tensorlib._src.core import WEAK_NEVER, AbstractArray, Primitive
from tensorlib._src.ops.elementwise import (
    bitwise_or,
    conj,
    convert_element_type,
    eq,
    full,
    mul,
    select_n,
)
from tensorlib._src.ops.linalg import checked_bind, def_batch_leading
from tensorlib._src.ops.shape import broadcast_in_dim, iota, pad
from tensorlib._src.rules import def_jvp, def_shape, def_vjp
from tensorlib.errors import DTypeError, ShapeError

FFT_TYPES = ("FFT", "IFFT", "RFFT", "IRFFT")

fft_p = Primitive("fft", weak=WEAK_NEVER)


def _canonical_type(fft_type):
    name = getattr(fft_type, "name", fft_type)
    if isinstance(name, str) and name.upper() in FFT_TYPES:
        return name.upper()
    raise ValueError(f"fft: fft_type must be one of {FFT_TYPES}, got {fft_type!r}")


def fft(x, fft_type, fft_lengths):
    """Apply the ``fft_type`` transform over the trailing ``len(fft_lengths)`` axes of ``x``."""
    return checked_bind(fft_p, x, fft_type=_canonical_type(fft_type),
                        fft_lengths=tuple(int(n) for n in fft_lengths))


def complex_dtype(dt):
    return dtypes.complex128 if dt in (dtypes.float64, dtypes.complex128) else dtypes.complex64


def real_dtype(dt):
    return dtypes.float64 if dt in (dtypes.float64, dtypes.complex128) else dtypes.float32


@def_shape(fft_p)
def _fft_shape(x, *, fft_type, fft_lengths):
    d = len(fft_lengths)
    if fft_type not in FFT_TYPES:
        raise ValueError(f"fft: fft_type must be one of {FFT_TYPES}, got {fft_type!r}")
    if not 1 <= d <= 3 or any(n < 1 for n in fft_lengths):
        raise ShapeError(f"fft: fft_lengths must hold 1 to 3 positive lengths, got "
                         f"{fft_lengths}")
    if x.ndim < d:
        raise ShapeError(f"fft: {fft_type} over {d} axes needs at least {d} dimensions, got "
                         f"{x.str_short()}")
    want_real = fft_type == "RFFT"
    ok = dtypes.is_float(x.dtype) if want_real else dtypes.is_complex(x.dtype)
    if not ok or x.dtype in (dtypes.float16, dtypes.bfloat16):
        kind = "float32 or float64" if want_real else "complex64 or complex128"
        raise DTypeError(f"fft: {fft_type} needs a {kind} operand, got {x.str_short()}; "
                         "tensorlib.numpy.fft converts")
    want = list(fft_lengths)
    if fft_type == "IRFFT":
        want[-1] = fft_lengths[-1] // 2 + 1
    if list(x.shape[-d:]) != want:
        raise ShapeError(f"fft: {fft_type} with fft_lengths={fft_lengths} needs trailing "
                         f"axes {tuple(want)}, got {x.str_short()}")
    shape = list(x.shape)
    if fft_type == "RFFT":
        shape[-1] = fft_lengths[-1] // 2 + 1
        return AbstractArray(shape, complex_dtype(x.dtype), False)
    if fft_type == "IRFFT":
        shape[-1] = fft_lengths[-1]
        return AbstractArray(shape, real_dtype(x.dtype), False)
    return AbstractArray(shape, x.dtype, False)


@def_jvp(fft_p)
def _fft_jvp(primals, tangents, **params):
    (x,), (t,) = primals, tangents
    out = fft_p.bind(x, **params)
    return out, None if t is None else fft_p.bind(t, **params)


def _irfft_weights(n, dtype):
    """1 for the DC (and, for even ``n``, Nyquist) bin, 2 for the interior of a half spectrum."""
    m = n // 2 + 1
    k = iota(dtypes.int32, m)
    edge = eq(k, full((m,), 0, dtypes.int32))
    if n % 2 == 0:
        edge = bitwise_or(edge, eq(k, full((m,), m - 1, dtypes.int32)))
    return select_n(edge, full((m,), 2, dtype), full((m,), 1, dtype))


@def_vjp(fft_p, linear=True)
def _fft_vjp(ct, out, x, *, fft_type, fft_lengths):
    if fft_type in ("FFT", "IFFT"):
        return (fft_p.bind(ct, fft_type=fft_type, fft_lengths=fft_lengths),)
    if fft_type == "RFFT":
        n = fft_lengths[-1]
        cfg = [(0, 0, 0)] * (ct.ndim - 1) + [(0, n - ct.shape[-1], 0)]
        full_spec = pad(ct, full((), 0, ct.dtype), cfg)
        y = fft_p.bind(full_spec, fft_type="FFT", fft_lengths=fft_lengths)
        return (convert_element_type(y, real_dtype(ct.dtype)),)
    y = fft_p.bind(ct, fft_type="RFFT", fft_lengths=fft_lengths)
    scale = 1.0 / math.prod(fft_lengths)
    w = _irfft_weights(fft_lengths[-1], y.dtype)
    w = mul(w, full(w.shape, scale, y.dtype))
    return (conj(mul(y, broadcast_in_dim(w, y.shape, (y.ndim - 1,)))),)


def_batch_leading(fft_p)
