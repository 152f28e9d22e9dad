"""The op grid again, transformed: ``jit(f)(x) == f(x)`` and ``vmap(f)(xs) == [f(x) for x]``.

The records and shape groups are those of ``test_ops_grid``; here the reference is tensorlib's
own eager result, so any difference comes from staging (or batching) alone.
"""

from __future__ import annotations

import numpy as np
import pytest
import test_ops_grid as G

import tensorlib as tl
import tensorlib.numpy as tnp
from tensorlib.errors import ConcretizationError


def _eager_and(transform, rec, shapes, dtype, with_x64, request):
    if with_x64:
        request.getfixturevalue("x64")
    args = [tnp.asarray(a) for a in G._make_args(rec, shapes, dtype)]
    want = G._leaves(rec.fn(G.TNP, *args))
    try:
        got = G._leaves(transform(lambda *a: rec.fn(G.TNP, *a), args))
    except ConcretizationError as e:
        pytest.skip(f"{rec.name}: the output shape depends on the values ({e.__class__.__name__})"
                    "; JAX cannot stage it either")
    return got, want


@pytest.mark.parametrize("rec,shapes,dtype,with_x64", G._forward_params())
def test_jit_matches_eager(rec, shapes, dtype, with_x64, request):
    got, want = _eager_and(lambda f, a: tl.jit(f)(*a), rec, shapes, dtype, with_x64, request)
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        assert (g.shape, g.dtype, g.weak_type) == (w.shape, w.dtype, w.weak_type), \
            f"{rec.name}: jit output {i} is {g.aval.str_short()}, eager {w.aval.str_short()}"
        if tl.default_backend() == "numpy":  # the same kernels: bit for bit
            np.testing.assert_array_equal(np.asarray(g), np.asarray(w), err_msg=rec.name)
        else:  # XLA reassociates and fuses: a couple of ulps
            np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=3e-7, atol=1e-30,
                                       equal_nan=True, err_msg=rec.name)


def _vmap_two_lanes(f, args):
    other = [a + 1 if a.dtype.kind in "fiu" else a for a in args]  # a second, different lane
    stacked = [tnp.stack([a, b]) for a, b in zip(args, other, strict=True)]
    batched = G._leaves(tl.vmap(f)(*stacked))
    lane0, lane1 = G._leaves(f(*args)), G._leaves(f(*other))
    for i, (b, x, y) in enumerate(zip(batched, lane0, lane1, strict=True)):
        np.testing.assert_allclose(np.asarray(b), np.stack([np.asarray(x), np.asarray(y)]),
                                   rtol=1e-5, atol=1e-6, equal_nan=True, err_msg=f"output {i}")
    return batched


@pytest.mark.parametrize("rec,shapes,dtype,with_x64",
                         [p for p in G._forward_params() if p.values[2] != G.F64])
def test_vmap_matches_loop(rec, shapes, dtype, with_x64, request):
    if not shapes:
        pytest.skip(f"{rec.name}: takes no array arguments")
    _eager_and(_vmap_two_lanes, rec, shapes, dtype, with_x64, request)


def _pmap_params():
    """One parameter set per record (its first shape group, its first 32-bit dtype): pmap
    compiles a program per signature, so the grid covers every op once, not every shape."""
    seen, out = set(), []
    for p in G._forward_params():
        rec, shapes, dtype, _ = p.values
        if rec.name in seen or dtype == G.F64 or not shapes:
            continue
        seen.add(rec.name)
        out.append(p)
    return out


@pytest.mark.parametrize("rec,shapes,dtype,with_x64", _pmap_params())
def test_pmap_matches_loop(rec, shapes, dtype, with_x64, request):
    """``pmap(f)(xs) == [f(x) for x in xs]`` over 4 devices (one replicated XLA executable on
    the XLA backend, a thread per virtual device on the NumPy backend)."""
    n = 4
    assert len(tl.devices()) >= n

    def pmapped(f, args):
        lanes = [args] + [[a + k if a.dtype.kind in "fiu" else a for a in args]
                          for k in range(1, n)]
        stacked = [tnp.stack(col) for col in zip(*lanes, strict=True)]
        got = G._leaves(tl.pmap(f)(*stacked))
        for i, b in enumerate(got):
            want = np.stack([np.asarray(G._leaves(f(*lane))[i]) for lane in lanes])
            assert b.shape == want.shape, f"{rec.name}: output {i}"
            np.testing.assert_allclose(np.asarray(b), want, rtol=1e-5, atol=1e-6,
                                       equal_nan=True, err_msg=f"{rec.name}: output {i}")
        return got

    _eager_and(pmapped, rec, shapes, dtype, with_x64, request)
