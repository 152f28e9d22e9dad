"""Convolution and windowed reductions (``tensorlib._src.ops.conv``, ``conv_dimensions``,
``reduce_window``): values against
``jax.lax``, derivatives (check_grads in float64, and JAX's VJPs), vmap against a loop, jit,
the stax layers against ``jax.example_libraries.stax``, and error messages."""

from __future__ import annotations

import contextlib
import doctest
from typing import NamedTuple

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.numpy as tnp
from tensorlib import lax
from tensorlib._src import rules
from tensorlib._src.ops import conv as cv
from tensorlib._src.ops import conv_dimensions as cvd
from tensorlib._src.ops import reduce_window as rw
from tensorlib.errors import DTypeError, ShapeError
from tensorlib.example_libraries import stax
from tensorlib.test_util import check_grads
from tensorlib.tree_util import tree_leaves, tree_map

try:
    import jax
    import jax.numpy as jnp
    from jax.example_libraries import stax as jax_stax

    HAVE_JAX = True
except ImportError:  # pragma: no cover - depends on the environment
    jax = jnp = jax_stax = None
    HAVE_JAX = False

needs_jax = pytest.mark.skipif(not HAVE_JAX, reason="jax is not installed (used as an oracle)")


@contextlib.contextmanager
def x64():
    """float64 in tensorlib (and in JAX, for the oracle), restored afterwards."""
    prev = tl.config.enable_x64
    prev_jax = bool(jax.config.jax_enable_x64) if HAVE_JAX else None
    tl.config.update("enable_x64", True)
    if HAVE_JAX:
        jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        tl.config.update("enable_x64", prev)
        if HAVE_JAX:
            jax.config.update("jax_enable_x64", prev_jax)


def _jax_vjp(f):
    """JAX's VJP as one compiled function (op-by-op dispatch compiles every primitive)."""
    return jax.jit(lambda primals, ct: jax.vjp(f, *primals)[1](ct))


def _jax_jvp(f):
    return jax.jit(lambda primals, tangents: jax.jvp(f, primals, tangents)[1])


def _jax_init(init, shape):
    """Output shape and parameter shapes of a JAX stax init_fun, traced (not compiled)."""
    box = {}

    def f(key):
        box["shape"], params = init(key, shape)
        return params

    params = jax.eval_shape(f, jax.random.PRNGKey(0))
    return tuple(int(d) for d in box["shape"]), params


def _close(got, want, tol):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    scale = 1.0 + np.max(np.abs(want[np.isfinite(want)]), initial=0.0)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * scale)


# --------------------------------------------------------------------------------------------
# conv_general_dilated: the case table


class ConvCase(NamedTuple):
    name: str
    lhs: tuple
    rhs: tuple
    strides: tuple
    padding: object
    lhs_dil: tuple | None = None
    rhs_dil: tuple | None = None
    dn: object = None
    fgc: int = 1
    bgc: int = 1


NHWC = ("NHWC", "HWIO", "NHWC")
CONV_CASES = [
    ConvCase("1d-valid", (2, 3, 9), (4, 3, 3), (1,), "VALID"),
    ConvCase("1d-nhc-same-s2", (2, 9, 3), (3, 3, 4), (2,), "SAME", dn=("NHC", "HIO", "NHC")),
    ConvCase("2d-nchw-same", (2, 3, 8, 7), (4, 3, 3, 3), (1, 1), "SAME"),
    ConvCase("2d-nhwc-pads-s21", (2, 8, 7, 3), (3, 2, 3, 5), (2, 1), ((1, 2), (0, 1)), dn=NHWC),
    ConvCase("2d-rhs-dil", (2, 3, 9, 8), (4, 3, 3, 2), (1, 1), "VALID", rhs_dil=(2, 3)),
    ConvCase("2d-lhs-dil", (2, 3, 5, 4), (4, 3, 3, 3), (1, 1), ((2, 2), (1, 0)), lhs_dil=(2, 3)),
    ConvCase("2d-same-lower-s2", (2, 3, 7, 8), (2, 3, 2, 3), (2, 2), "SAME_LOWER"),
    ConvCase("2d-negative-pad", (1, 2, 8, 8), (3, 2, 3, 3), (1, 2), ((-1, 1), (2, -2))),
    ConvCase("2d-excess-stride", (2, 3, 9, 8), (4, 3, 3, 3), (3, 2), "VALID"),
    ConvCase("2d-feature-groups", (2, 4, 7, 6), (6, 2, 3, 2), (1, 1), "SAME", fgc=2),
    ConvCase("2d-depthwise-nhwc", (2, 7, 6, 4), (3, 3, 1, 8), (1, 1), "SAME", dn=NHWC, fgc=4),
    ConvCase("2d-batch-groups", (4, 3, 7, 6), (6, 3, 3, 2), (1, 1), "VALID", bgc=2),
    ConvCase("2d-batch-groups-nhwc", (4, 6, 5, 2), (2, 3, 2, 4), (2, 1), "SAME", dn=NHWC, bgc=2),
    ConvCase("2d-groups-dil-stride", (2, 4, 9, 8), (6, 2, 3, 2), (3, 2), ((1, 2), (0, 1)),
             lhs_dil=(1, 2), rhs_dil=(2, 1), fgc=2),
    ConvCase("2d-dimension-numbers", (2, 6, 5, 3), (3, 2, 3, 4), (1, 2), "SAME",
             dn=cvd.ConvDimensionNumbers((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2))),
    ConvCase("3d-ncdhw", (2, 3, 6, 5, 4), (2, 3, 2, 2, 2), (1, 2, 1),
             ((0, 1), (-1, 1), (1, 1))),
    ConvCase("3d-ndhwc-dil", (2, 6, 5, 4, 3), (2, 2, 2, 3, 2), (2, 1, 1),
             ((0, 0), (1, 0), (0, 2)), lhs_dil=(2, 1, 1), rhs_dil=(1, 1, 2),
             dn=("NDHWC", "DHWIO", "NDHWC")),
]
CONV_IDS = [c.name for c in CONV_CASES]


def _tl_conv(c):
    def f(x, w):
        return lax.conv_general_dilated(x, w, c.strides, c.padding, c.lhs_dil, c.rhs_dil,
                                        c.dn, c.fgc, c.bgc)
    return f


def _jax_conv(c):
    dn = c.dn
    if isinstance(dn, cvd.ConvDimensionNumbers):
        dn = jax.lax.ConvDimensionNumbers(*dn)

    def f(x, w):
        return jax.lax.conv_general_dilated(x, w, c.strides, c.padding, c.lhs_dil, c.rhs_dil,
                                            dn, c.fgc, c.bgc)
    return f


def _operands(c, dtype, rng):
    return rng.standard_normal(c.lhs).astype(dtype), rng.standard_normal(c.rhs).astype(dtype)


@needs_jax
@pytest.mark.parametrize("c", CONV_CASES, ids=CONV_IDS)
def test_conv_matches_jax(c):
    x, w = _operands(c, np.float32, np.random.default_rng(0))
    got = _tl_conv(c)(tnp.asarray(x), tnp.asarray(w))
    _close(got, _jax_conv(c)(x, w), 2e-5)


@pytest.mark.parametrize("c", CONV_CASES, ids=CONV_IDS)
def test_conv_grads(c):
    with x64():
        x, w = _operands(c, np.float64, np.random.default_rng(1))
        check_grads(_tl_conv(c), (tnp.asarray(x), tnp.asarray(w)), order=2,
                    modes=("fwd", "rev"))


@needs_jax
@pytest.mark.parametrize("c", CONV_CASES, ids=CONV_IDS)
def test_conv_vjp_matches_jax(c):
    """The transpose rules (lhs: flipped kernel, rhs: conv of lhs with ct) are exact."""
    with x64():
        rng = np.random.default_rng(2)
        x, w = _operands(c, np.float64, rng)
        out, tl_pullback = tl.vjp(_tl_conv(c), tnp.asarray(x), tnp.asarray(w))
        ct = rng.standard_normal(out.shape)
        wants = _jax_vjp(_jax_conv(c))((x, w), ct)
        for got, want in zip(tl_pullback(tnp.asarray(ct)), wants, strict=True):
            _close(got, want, 1e-12)


VMAP_AXES = [(0, None), (None, 0), (0, 0), (2, 1)]


@pytest.mark.parametrize("in_axes", VMAP_AXES, ids=lambda a: f"in_axes={a}")
@pytest.mark.parametrize("c", CONV_CASES, ids=CONV_IDS)
def test_conv_vmap_matches_loop(c, in_axes):
    rng = np.random.default_rng(3)
    f = _tl_conv(c)
    b = 3
    xs = [rng.standard_normal(c.lhs).astype(np.float32) for _ in range(b)]
    ws = [rng.standard_normal(c.rhs).astype(np.float32) for _ in range(b)]
    ax, aw = in_axes
    x_in = xs[0] if ax is None else np.stack(xs, ax)
    w_in = ws[0] if aw is None else np.stack(ws, aw)
    got = tl.vmap(f, in_axes=in_axes)(tnp.asarray(x_in), tnp.asarray(w_in))
    want = np.stack([np.asarray(f(tnp.asarray(xs[0] if ax is None else xs[i]),
                                  tnp.asarray(ws[0] if aw is None else ws[i])))
                     for i in range(b)])
    _close(got, want, 1e-5)


@pytest.mark.parametrize("c", CONV_CASES[::3], ids=CONV_IDS[::3])
def test_conv_jit(c):
    rng = np.random.default_rng(4)
    x, w = (tnp.asarray(a) for a in _operands(c, np.float32, rng))
    f = _tl_conv(c)
    _close(tl.jit(f)(x, w), f(x, w), 1e-6)

    def loss(x, w):
        return tnp.sum(tnp.sin(f(x, w)))

    for got, want in zip(tl.jit(tl.grad(loss, (0, 1)))(x, w), tl.grad(loss, (0, 1))(x, w),
                         strict=True):
        _close(got, want, 1e-5)


def test_conv_vmap_of_grad_and_size_zero_batch():
    c = CONV_CASES[9]  # feature groups
    rng = np.random.default_rng(5)
    f = _tl_conv(c)
    xs = rng.standard_normal((2,) + c.lhs).astype(np.float32)
    w = tnp.asarray(rng.standard_normal(c.rhs).astype(np.float32))

    def g(x):
        return tl.grad(lambda w: tnp.sum(f(x, w) ** 2))(w)

    got = tl.vmap(g)(tnp.asarray(xs))
    _close(got, np.stack([np.asarray(g(tnp.asarray(x))) for x in xs]), 1e-5)
    empty = tl.vmap(f, in_axes=(0, None))(tnp.zeros((0,) + c.lhs), w)
    assert empty.shape == (0,) + f(tnp.asarray(xs[0]), w).shape


@needs_jax
def test_conv_int_and_preferred_element_type():
    rng = np.random.default_rng(6)
    x = rng.integers(-3, 4, (2, 3, 6, 5)).astype(np.int32)
    w = rng.integers(-3, 4, (4, 3, 2, 2)).astype(np.int32)
    got = lax.conv_general_dilated(tnp.asarray(x), tnp.asarray(w), (1, 1), "SAME")
    _close(got, jax.lax.conv_general_dilated(x, w, (1, 1), "SAME"), 0)
    xf, wf = x.astype(np.float16), w.astype(np.float16)
    got = lax.conv_general_dilated(tnp.asarray(xf), tnp.asarray(wf), (1, 1), "VALID",
                                   preferred_element_type=np.float32)
    assert got.dtype == np.float32
    _close(got, jax.lax.conv_general_dilated(xf, wf, (1, 1), "VALID",
                                             preferred_element_type=np.float32), 1e-6)


TRANSPOSE_CASES = [
    ("same-s2", (2, 5, 6, 3), (3, 3, 3, 4), (2, 2), "SAME", {}),
    ("valid-s2", (2, 5, 6, 3), (3, 2, 3, 4), (2, 2), "VALID", {}),
    ("pairs", (2, 5, 6, 3), (3, 3, 3, 4), (2, 1), ((1, 2), (0, 1)), {}),
    ("transpose-kernel", (2, 5, 6, 3), (3, 3, 4, 3), (2, 2), "SAME",
     {"transpose_kernel": True}),
    ("rhs-dil", (2, 5, 6, 3), (2, 2, 3, 4), (1, 2), "VALID", {"rhs_dilation": (2, 1)}),
    ("consistent-pads", (2, 5, 6, 3), (3, 3, 3, 4), (2, 2), ((1, 1), (0, 2)),
     {"use_consistent_padding": True}),
    ("1d", (2, 7, 3), (3, 3, 2), (3,), "SAME", {}),
]


@needs_jax
@pytest.mark.parametrize("name,ls,rs,strides,padding,kw", TRANSPOSE_CASES,
                         ids=[t[0] for t in TRANSPOSE_CASES])
def test_conv_transpose_matches_jax(name, ls, rs, strides, padding, kw):
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal(ls).astype(np.float32), rng.standard_normal(rs).astype(np.float32)
    got = lax.conv_transpose(tnp.asarray(x), tnp.asarray(w), strides, padding, **kw)
    _close(got, jax.lax.conv_transpose(x, w, strides, padding, **kw), 2e-5)


@needs_jax
def test_conv_wrappers_match_jax():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 3, 7, 6)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 2)).astype(np.float32)
    tx, tw = tnp.asarray(x), tnp.asarray(w)
    _close(lax.conv(tx, tw, (2, 1), "SAME"), jax.lax.conv(x, w, (2, 1), "SAME"), 2e-5)
    args = ((1, 2), ((1, 0), (2, 1)), (2, 1), (1, 2))
    _close(lax.conv_with_general_padding(tx, tw, *args),
           jax.lax.conv_with_general_padding(x, w, *args), 2e-5)


# --------------------------------------------------------------------------------------------
# reduce_window


class WindowCase(NamedTuple):
    name: str
    shape: tuple
    window: tuple
    strides: tuple
    padding: object
    base_dil: tuple | None = None
    win_dil: tuple | None = None


WINDOW_CASES = [
    WindowCase("1d", (7,), (3,), (1,), "VALID"),
    WindowCase("2d-same-s2", (7, 6), (3, 2), (2, 2), "SAME"),
    WindowCase("nhwc-pool", (2, 7, 6, 3), (1, 3, 3, 1), (1, 2, 2, 1), "SAME"),
    WindowCase("pads-dilations", (2, 7, 6), (1, 3, 2), (1, 2, 1), ((0, 0), (1, 2), (2, 0)),
               (1, 2, 1), (1, 1, 2)),
    WindowCase("same-lower-base-dil", (3, 4, 5), (2, 2, 2), (1, 1, 1), "SAME_LOWER", (1, 1, 2)),
    # negative padding, and windows that hold only padding (max: -inf)
    WindowCase("neg-pad-empty-windows", (5, 6), (2, 3), (2, 1), ((-1, 1), (3, 3)), None,
               (2, 1)),
]
WINDOW_IDS = [c.name for c in WINDOW_CASES]
# name, tensorlib computation, jax computation name, init value
COMPUTATIONS = [
    ("sum", lax.add, "add", 0.0),
    ("max", lax.max, "max", -np.inf),
    ("min", lax.min, "min", np.inf),
    ("mul-generic", lax.mul, "mul", 1.0),
    ("add-init3", lax.add, "add", 3.0),
    ("max-init0", lax.max, "max", 0.0),
]


def _tl_window(c, comp, init):
    def f(x):
        return lax.reduce_window(x, init, comp, c.window, c.strides, c.padding, c.base_dil,
                                 c.win_dil)
    return f


def _jax_window(c, comp_name, init):
    comp = getattr(jax.lax, comp_name)

    def f(x):
        return jax.lax.reduce_window(x, init, comp, c.window, c.strides, c.padding, c.base_dil,
                                     c.win_dil)
    return f


def _distinct(shape, rng, dtype=np.float64):
    """Values at least 0.1 apart (finite differences of max/min stay on one branch)."""
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) * 0.1 - 0.05 * n).astype(dtype)


@needs_jax
@pytest.mark.parametrize("comp", COMPUTATIONS, ids=[c[0] for c in COMPUTATIONS])
@pytest.mark.parametrize("c", WINDOW_CASES, ids=WINDOW_IDS)
def test_reduce_window_matches_jax(c, comp):
    name, tl_comp, jax_comp, init = comp
    x = np.random.default_rng(9).standard_normal(c.shape).astype(np.float32)
    got = _tl_window(c, tl_comp, init)(tnp.asarray(x))
    _close(got, _jax_window(c, jax_comp, init)(x), 1e-5)


@needs_jax
@pytest.mark.parametrize("comp", COMPUTATIONS[:3], ids=[c[0] for c in COMPUTATIONS[:3]])
@pytest.mark.parametrize("c", WINDOW_CASES, ids=WINDOW_IDS)
def test_reduce_window_derivatives_match_jax(c, comp):
    """Against JAX: with ties (rounded values) the VJP routes to the first position, as JAX's
    select_and_scatter_add does."""
    name, tl_comp, jax_comp, init = comp
    if name != "sum" and c.win_dil is not None:
        pytest.skip("JAX has no VJP of a max/min reduce_window with window dilation")
    with x64():
        rng = np.random.default_rng(10)
        x = np.round(rng.standard_normal(c.shape))
        f_jax = _jax_window(c, jax_comp, init)
        out, tl_pullback = tl.vjp(_tl_window(c, tl_comp, init), tnp.asarray(x))
        ct = rng.standard_normal(out.shape)
        _close(tl_pullback(tnp.asarray(ct))[0], _jax_vjp(f_jax)((x,), ct)[0], 1e-12)
        # JAX's JVP (select_and_gather_add) breaks ties in XLA's reduction order, not always
        # the first: compare forward mode on distinct values
        x = _distinct(c.shape, rng)
        t = rng.standard_normal(x.shape)
        _, t_got = tl.jvp(_tl_window(c, tl_comp, init), (tnp.asarray(x),), (tnp.asarray(t),))
        _close(t_got, _jax_jvp(f_jax)((x,), (t,)), 1e-12)


GRAD_COMPS = [COMPUTATIONS[i] for i in (0, 1, 2, 3, 4)]


@pytest.mark.parametrize("comp", GRAD_COMPS, ids=[c[0] for c in GRAD_COMPS])
@pytest.mark.parametrize("c", WINDOW_CASES, ids=WINDOW_IDS)
def test_reduce_window_grads(c, comp):
    name, tl_comp, _, init = comp
    f = _tl_window(c, tl_comp, init)
    if name in ("max", "min") and c.name.startswith("neg-pad-empty"):
        # windows of padding only are +-inf, whose finite differences are NaN: check the
        # finite part
        def f(x, f=f):
            out = _tl_window(c, tl_comp, init)(x)
            return tnp.where(tnp.isfinite(out), out, 0.0)
    with x64():
        x = _distinct(c.shape, np.random.default_rng(11))
        if name == "mul-generic":
            x = 1.0 + x / (10.0 * np.max(np.abs(x)))  # keep the products tame
        check_grads(f, (tnp.asarray(x),), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("in_axis", [0, 1])
@pytest.mark.parametrize("comp", COMPUTATIONS[:4], ids=[c[0] for c in COMPUTATIONS[:4]])
@pytest.mark.parametrize("c", WINDOW_CASES, ids=WINDOW_IDS)
def test_reduce_window_vmap_matches_loop(c, comp, in_axis):
    name, tl_comp, _, init = comp
    f = _tl_window(c, tl_comp, init)
    rng = np.random.default_rng(12)
    xs = [rng.standard_normal(c.shape).astype(np.float32) for _ in range(3)]
    got = tl.vmap(f, in_axes=in_axis)(tnp.asarray(np.stack(xs, in_axis)))
    _close(got, np.stack([np.asarray(f(tnp.asarray(x))) for x in xs]), 1e-6)

    def g(x):  # the max/min VJP batches through the argmax primitive, gather and scatter
        return tl.grad(lambda x: tnp.sum(tnp.where(tnp.isfinite(f(x)), f(x), 0.0) ** 2))(x)

    got = tl.vmap(g, in_axes=in_axis)(tnp.asarray(np.stack(xs, in_axis)))
    _close(got, np.stack([np.asarray(g(tnp.asarray(x))) for x in xs]), 1e-5)


@pytest.mark.parametrize("comp", COMPUTATIONS[:4], ids=[c[0] for c in COMPUTATIONS[:4]])
def test_reduce_window_jit(comp):
    name, tl_comp, _, init = comp
    c = WINDOW_CASES[3]
    f = _tl_window(c, tl_comp, init)
    x = tnp.asarray(np.random.default_rng(13).standard_normal(c.shape).astype(np.float32))
    _close(tl.jit(f)(x), f(x), 1e-6)

    def loss(x):
        return tnp.sum(tnp.sin(f(x)))

    _close(tl.jit(tl.grad(loss))(x), tl.grad(loss)(x), 1e-6)


@needs_jax
@pytest.mark.parametrize("dtype", [np.int32, np.uint8, np.bool_])
def test_reduce_window_max_min_integer_and_bool(dtype):
    rng = np.random.default_rng(14)
    x = rng.integers(0, 200, (5, 7)).astype(dtype)
    for tl_comp, jax_comp, kind in ((lax.max, jax.lax.max, "max"), (lax.min, jax.lax.min,
                                                                   "min")):
        init = rw._identity(kind, np.dtype(dtype))
        args = ((2, 3), (1, 2), "SAME")
        got = lax.reduce_window(tnp.asarray(x), init, tl_comp, *args)
        want = jax.lax.reduce_window(x, np.asarray(init, dtype), jax_comp, *args)
        _close(got, want, 0)
    if dtype is not np.bool_:
        got = lax.reduce_window(tnp.asarray(x), 0, lax.add, (2, 2), (1, 1), "VALID")
        _close(got, jax.lax.reduce_window(x, dtype(0), jax.lax.add, (2, 2), (1, 1), "VALID"), 0)


def test_reduce_window_uses_primitives():
    """add/max/min with identity inits bind one primitive; other inits add one op."""
    x = tnp.ones((4, 4))
    g = tl.make_graph(lambda x: lax.reduce_window(x, -np.inf, lax.max, (2, 2), (2, 2),
                                                  "VALID"))(x)
    assert [e.prim.name for e in g.eqns] == ["reduce_window_max"]
    g = tl.make_graph(lambda x: lax.reduce_window(x, 1.0, lax.add, (2, 2), (2, 2),
                                                  "VALID"))(x)
    assert "reduce_window_sum" in [e.prim.name for e in g.eqns]


# --------------------------------------------------------------------------------------------
# stax


def _net(s):
    return s.serial(
        s.Conv(4, (3, 3), padding="SAME"), s.Relu, s.MaxPool((2, 2), (2, 2)),
        s.Conv(3, (2, 2), (1, 2)), s.AvgPool((2, 2), padding="SAME"), s.SumPool((1, 2)),
        s.ConvTranspose(2, (3, 3), (2, 2), "SAME"),
        s.GeneralConv(("NHWC", "OIHW", "NHWC"), 2, (2, 2)), s.Flatten, s.Dense(3))


LAYERS = [
    ("conv-valid", lambda s: s.Conv(5, (3, 2), (2, 1)), (2, 9, 8, 3)),
    ("conv-same", lambda s: s.Conv(2, (3, 3), padding="SAME"), (2, 7, 6, 3)),
    ("general-conv-nchw", lambda s: s.GeneralConv(("NCHW", "OIHW", "NCHW"), 4, (2, 3),
                                                  (1, 2), "SAME"), (2, 3, 7, 8)),
    ("conv-transpose", lambda s: s.ConvTranspose(3, (3, 3), (2, 2), "VALID"), (2, 5, 4, 2)),
    ("conv1d-transpose", lambda s: s.Conv1DTranspose(3, (3,), (2,), "SAME"), (2, 5, 2)),
    ("maxpool-same", lambda s: s.MaxPool((3, 3), (2, 2), "SAME"), (2, 7, 6, 3)),
    ("avgpool-same", lambda s: s.AvgPool((3, 2), (2, 2), "SAME"), (2, 7, 6, 3)),
    ("avgpool-nchw", lambda s: s.AvgPool((2, 2), (1, 2), "SAME", spec="NCHW"), (2, 3, 5, 6)),
    ("sumpool", lambda s: s.SumPool((2, 2)), (2, 5, 4, 3)),
]


def _to_jax(params):
    return tree_map(lambda a: jnp.asarray(np.asarray(a)), params)


@needs_jax
@pytest.mark.parametrize("name,make,shape", LAYERS, ids=[t[0] for t in LAYERS])
def test_stax_layer_matches_jax(name, make, shape):
    init, apply = make(stax)
    jinit, japply = make(jax_stax)
    out_shape, params = init(tl.random.PRNGKey(0), shape)
    j_shape, j_params = _jax_init(jinit, shape)
    assert tuple(out_shape) == j_shape
    assert [p.shape for p in tree_leaves(params)] == [p.shape for p in tree_leaves(j_params)]
    x = np.random.default_rng(15).standard_normal(shape).astype(np.float32)
    out = apply(params, tnp.asarray(x))
    assert out.shape == tuple(out_shape)
    _close(out, jax.jit(japply)(_to_jax(params), x), 2e-5)


@needs_jax
def test_stax_network_and_gradient_match_jax():
    init, apply = _net(stax)
    jinit, japply = _net(jax_stax)
    shape = (2, 12, 12, 3)
    out_shape, params = init(tl.random.PRNGKey(1), shape)
    assert tuple(out_shape) == _jax_init(jinit, shape)[0]
    x = np.random.default_rng(16).standard_normal(shape).astype(np.float32)
    jparams = _to_jax(params)
    _close(apply(params, tnp.asarray(x)), jax.jit(japply)(jparams, x), 2e-5)

    def loss(p):
        return tnp.sum(apply(p, tnp.asarray(x)) ** 2)

    def jloss(p):
        return jnp.sum(japply(p, x) ** 2)

    for got, want in zip(tree_leaves(tl.grad(loss)(params)),
                         tree_leaves(jax.jit(jax.grad(jloss))(jparams)), strict=True):
        _close(got, want, 1e-4)


def test_stax_unknown_batch_and_init_scales():
    init, _ = stax.serial(stax.Conv(4, (3, 3)), stax.MaxPool((2, 2), (2, 2)),
                          stax.AvgPool((2, 2)), stax.Flatten)
    out_shape, params = init(tl.random.PRNGKey(2), (-1, 12, 12, 3))
    assert tuple(out_shape) == (-1, 4 * 4 * 4)
    W, b = params[0]
    assert W.shape == (3, 3, 3, 4) and b.shape == (1, 1, 1, 4)
    assert float(tnp.max(tnp.abs(b))) < 1e-4  # normal(1e-6), as in JAX


# --------------------------------------------------------------------------------------------
# errors and registration


def _err(fn, cls):
    with pytest.raises(cls) as info:
        fn()
    return str(info.value)


def test_conv_error_messages():
    x, w = tnp.ones((2, 4, 6, 6)), tnp.ones((3, 3, 2, 2))
    msg = _err(lambda: lax.conv_general_dilated(x, w, (1, 1), "SAME"), ShapeError)
    assert "conv_general_dilated" in msg and "f32[2,4,6,6]" in msg and "f32[3,3,2,2]" in msg
    assert "feature_group_count" in msg
    w2 = tnp.ones((4, 2, 2, 2))
    msg = _err(lambda: lax.conv_general_dilated(x, w2, (1, 1), "SAME",
                                                feature_group_count=2, batch_group_count=2),
               ShapeError)
    assert "at most one" in msg
    msg = _err(lambda: lax.conv_general_dilated(x, tnp.ones((3, 4, 2, 2), dtype=tnp.int32),
                                                (1, 1), "SAME"), DTypeError)
    assert "one dtype" in msg and "i32[3,4,2,2]" in msg
    msg = _err(lambda: lax.conv_general_dilated(x, tnp.ones((3, 4, 2, 2)), (1, 1, 1), "SAME"),
               ShapeError)
    assert "window_strides" in msg and "2 entries" in msg
    msg = _err(lambda: lax.conv_general_dilated(x, tnp.ones((3, 4, 2, 2)), (1, 1), "SAME",
                                                dimension_numbers=("NCHW", "OIHX", "NCHW")),
               ShapeError)
    assert "spatial characters" in msg
    msg = _err(lambda: lax.conv_general_dilated(x, tnp.ones((3, 4, 2, 2)), (1, 1), "SAME",
                                                dimension_numbers=("NCHW", "OHW", "NCHW")),
               ShapeError)
    assert "dimension_numbers[1]" in msg
    msg = _err(lambda: lax.conv_general_dilated(x, tnp.ones((3, 4, 2, 2)), (1, 1), "SAME",
                                                lhs_dilation=(2, 2)), ShapeError)
    assert "conv_transpose" in msg
    msg = _err(lambda: lax.conv_general_dilated(x, tnp.ones((3, 4, 2, 2)), (1, 1), "FULL"),
               ShapeError)
    assert "'SAME'" in msg
    msg = _err(lambda: lax.conv_general_dilated(x, tnp.ones((3, 4, 2, 2)), (1, 1),
                                                ((-9, 0), (0, 0))), ValueError)
    assert "more negative" in msg


def test_reduce_window_error_messages():
    x = tnp.ones((4, 5))
    msg = _err(lambda: lax.reduce_window(x, 0.0, lax.add, (2,), (1,), "VALID"), ShapeError)
    assert "reduce_window" in msg and "window_dimensions" in msg
    msg = _err(lambda: lax.reduce_window(x, 0.0, lax.add, (2, 0), (1, 1), "VALID"), ShapeError)
    assert "must be positive" in msg and "f32[4,5]" in msg
    msg = _err(lambda: lax.reduce_window(tnp.ones((3,), dtype=bool), False, lax.add, (2,),
                                         (1,), "VALID"), DTypeError)
    assert "reduce_window_sum" in msg and "bool[3]" in msg
    msg = _err(lambda: lax.reduce_window(x, tnp.ones(2), lax.mul, (2, 2), (1, 1), "VALID"),
               ShapeError)
    assert "init_value must be a scalar" in msg


PRIMS = [cv.conv_general_dilated_p, cv.reduce_window_sum_p, cv.reduce_window_max_p,
         cv.reduce_window_min_p]


@pytest.mark.parametrize("prim", PRIMS, ids=[p.name for p in PRIMS])
def test_rules_registered(prim):
    for table in (rules.shape_rules, rules.jvp_rules, rules.vjp_rules, rules.batch_rules):
        assert prim in table
    for p in (cv.reduce_window_argmax_p, cv.reduce_window_argmin_p):
        assert p in rules.nondiff and p in rules.batch_rules and p in rules.shape_rules


@pytest.mark.parametrize("mod", [cv, rw], ids=["conv", "reduce_window"])
def test_doctests(mod):
    res = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted >= 2 and res.failed == 0
