"""Lowering of tensorlib graphs to StableHLO text, compiled by XLA through jaxlib.

Why text and not the ``jaxlib.mlir`` Python bindings: the bindings need private dialect
registration (``_jax_mlir_ext.register_dialects``), a live MLIR context per thread, and their
op builders change signature between releases; text in MLIR's generic form is stable,
dependency-free, trivially cacheable (the disk cache keys on its hash), printable for
debugging, and ``compile_and_load`` parses it directly. Building ~10 lines of text costs
microseconds; the compile that follows costs tens of milliseconds, so speed does not decide.

Each primitive's rule ``rule(em, args, outs, **params)`` gets the operand values (``mlir.V``),
the output avals and the primitive's params, emits ops with ``em`` and returns the result
value (or a list, for multiple results). Rules live in ``rules.lowerings["xla"]``
(``lowering_core.RULES``, with ``register`` and the graph walk ``lower_graph``); this module
has the elementwise, shape and reduction rules and builds modules, and the rules of indexing,
linear algebra, collectives and control flow are in the ``lowering_*.py`` beside it, which
this module imports (so importing it registers every rule).
Constants of a graph are hoisted into parameters of ``main`` when they are large (the
executable then takes them as arguments) and written inline when small, so XLA folds them.
Weak types are a tensorlib-level concept: nothing to lower.
"""

from __future__ import annotations

import numpy as np

# The rule modules beside this one register their rules on import: this module's users
# (can_lower, module_for_graph) need every rule.
from tensorlib.backends.xla_backend import (  # noqa: F401
    lowering_collectives,
    lowering_control,
    lowering_index,
    lowering_linalg,
)
from tensorlib.backends.xla_backend.lowering_core import (
    _BOOL_BINARY,
    RULES,
    LoweringContext,
    _is_bool,
    _is_complex,
    _is_float,
    _is_unsigned,
    highest,
    lower_eqn,
    lower_graph,
    lowest,
    reduce_with,
    register,
)
from tensorlib.backends.xla_backend.mlir import Emitter, V, i64_array, supported_dtype

from tensorlib._src import dtypes
from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops import reduce as rd
from tensorlib._src.ops import shape as sh
from tensorlib._src.ops.family import FAMILY

# --------------------------------------------------------------------------------------------
# graphs and modules


def build_module(in_avals, body, name="tensorlib", aliases=None):
    """Module text of ``main(in_avals..., hoisted consts...)``; body(em, args) -> outputs.

    Returns ``(text, hoisted)``: the hoisted constants (Arrays) follow the inputs.
    ``aliases`` maps an input's index to the output that may reuse its buffer (donation).
    """
    ctx = LoweringContext()
    em = Emitter(indent=2)
    em.ctx = ctx
    args = [V(f"%arg{i}", a.shape, a.dtype) for i, a in enumerate(in_avals)]
    outs = list(body(em, args))
    em.ret(outs, "func.return")
    params = args + [v for v, _ in ctx.hoisted]
    aliases = aliases or {}
    sig = ", ".join(f"{a.name}: {a.t}" + (f" {{tf.aliasing_output = {aliases[i]} : i32}}"
                                         if i in aliases else "")
                    for i, a in enumerate(params))
    res = ", ".join(o.t for o in outs)
    lines = [f"module @{name} {{", f"  func.func public @main({sig}) -> ({res}) {{"]
    lines += ["    " + ln for ln in em.lines]
    lines += ["  }", "}"]
    return "\n".join(lines), [arr for _, arr in ctx.hoisted]


def module_for_graph(graph, aliases=None):
    return build_module(graph.in_avals, lambda em, args: lower_graph(em, graph, args),
                        aliases=aliases)


def module_for_eqn(prim, in_avals, params, out_avals):
    """``(text, passthrough)``: passthrough lists, per output, the input it is (or None)."""
    box = []

    def body(em, args):
        outs = lower_eqn(em, prim, args, out_avals, params)
        box.append([next((i for i, a in enumerate(args) if a is o), None) for o in outs])
        return outs

    text, _ = build_module(in_avals, body)
    return text, box[0]


def sub_graphs(params):
    """The graphs inside an equation's params (control flow, jit calls, custom rules)."""
    from tensorlib._src.ir import Graph
    from tensorlib._src.transforms.jit import Executable

    out = []
    for v in params.values():
        for x in (v if isinstance(v, tuple) else (v,)):
            if isinstance(x, Graph):
                out.append(x)
            elif isinstance(x, Executable):
                out.append(x.graph)
    return out


_CALLABLE_PARAMS = {"jit_call": ("exe",)}


def can_lower(prim, params, avals=()) -> bool:
    """Whether ``prim`` with these params (and sub-graphs) lowers to StableHLO."""
    if prim not in RULES:
        return False
    if any(not supported_dtype(a.dtype) for a in avals):
        return False
    check = getattr(RULES[prim], "can_lower", None)
    if check is not None and not check(params, avals):
        return False
    names = _CALLABLE_PARAMS.get(prim.name)
    if names:
        from tensorlib._src.transforms.jit import Executable

        for n in names:
            v = params[n]
            for x in (v if isinstance(v, tuple) else (v,)):
                if not isinstance(x, Executable):
                    return False
    return all(graph_lowerable(g) for g in sub_graphs(params))


def graph_lowerable(graph) -> bool:
    for e in graph.eqns:
        avals = [v.aval for v in e.inputs] + [v.aval for v in e.outputs]
        if not can_lower(e.prim, e.params, avals):
            return False
    return all(supported_dtype(v.aval.dtype) for v in graph.invars + graph.outvars)


# --------------------------------------------------------------------------------------------
# elementwise

def _unary_rule(opname):
    def rule(em, args, outs):
        (x,) = args
        return em.op1(opname, [x], outs[0].shape, outs[0].dtype)

    rule.__name__ = f"_{opname.split('.')[-1]}_lower"
    return rule


def _binary_rule(opname):
    def rule(em, args, outs):
        x, y = args
        name = _BOOL_BINARY.get(opname, opname) if _is_bool(x.dtype) else opname
        return em.op1(name, [x, y], outs[0].shape, outs[0].dtype)

    rule.__name__ = f"_{opname.split('.')[-1]}_lower"
    return rule


def _compare_rule(direction):
    def rule(em, args, outs):
        x, y = args
        if _is_complex(x.dtype) and direction not in ("EQ", "NE"):
            return _complex_order(em, x, y, direction)
        return em.compare(x, y, direction)

    rule.__name__ = f"_{direction.lower()}_lower"
    return rule


def _complex_order(em, x, y, direction):
    """NumPy orders complex numbers lexicographically (real part, then imaginary part)."""
    rdt = dtypes.float64 if x.dtype == dtypes.complex128 else dtypes.float32
    xr, yr = (em.op1("stablehlo.real", [v], v.shape, rdt) for v in (x, y))
    xi, yi = (em.op1("stablehlo.imag", [v], v.shape, rdt) for v in (x, y))
    strict = direction[0] + "T"
    first = em.compare(xr, yr, strict)
    tie = em.compare(xr, yr, "EQ")
    return em.bin("stablehlo.or", first, em.bin("stablehlo.and", tie,
                                                 em.compare(xi, yi, direction)))


def _family_rule(op):
    """The lowering of an elementwise table entry from its ``hlo`` spelling."""
    if op.hlo.startswith("compare:"):
        return _compare_rule(op.hlo.split(":", 1)[1])
    return _unary_rule(op.hlo) if op.arity == 1 else _binary_rule(op.hlo)


for _p, _op in FAMILY.items():
    if _op.hlo is not None:
        register(_p)(_family_rule(_op))


@register(ew.sign_p)
def _sign_lower(em, args, outs):
    (x,) = args
    if _is_unsigned(x.dtype):
        zero = em.full_like(x, 0)
        return em.select(em.compare(x, zero, "NE"), em.full_like(x, 1), zero)
    return em.un("stablehlo.sign", x)


@register(ew.abs_p)
def _abs_lower(em, args, outs):
    (x,) = args
    if _is_unsigned(x.dtype) or _is_bool(x.dtype):
        return x
    if _is_complex(x.dtype):
        rdt = dtypes.float64 if x.dtype == dtypes.complex128 else dtypes.float32
        return em.convert(em.op1("stablehlo.abs", [x], x.shape, rdt), outs[0].dtype)
    return em.un("stablehlo.abs", x)


@register(ew.round_p)
def _round_lower(em, args, outs, *, rounding_method):
    op = "stablehlo.round_nearest_even" if rounding_method == 1 else "stablehlo.round_nearest_afz"
    return em.un(op, args[0])


@register(ew.exp2_p)
def _exp2_lower(em, args, outs):
    (x,) = args
    return em.bin("stablehlo.power", em.full_like(x, 2), x)


def _int_pow(em, x, n):
    """x ** n for a Python int n >= 0, by repeated squaring (as JAX's integer_pow)."""
    acc = None
    base = x
    while n:
        if n & 1:
            acc = base if acc is None else em.bin("stablehlo.multiply", acc, base)
        n >>= 1
        if n:
            base = em.bin("stablehlo.multiply", base, base)
    return acc if acc is not None else em.full_like(x, 1)


@register(ew.integer_pow_p)
def _integer_pow_lower(em, args, outs, *, y):
    (x,) = args
    if y >= 0:
        return _int_pow(em, x, y)
    if _is_float(x.dtype) or _is_complex(x.dtype):
        return em.bin("stablehlo.divide", em.full_like(x, 1), _int_pow(em, x, -y))
    # integers to a negative power: NumPy's kernel computes in float64 and truncates
    xf = em.convert(x, np.float64)
    r = em.bin("stablehlo.divide", em.full_like(xf, 1), _int_pow(em, xf, -y))
    return em.convert(r, x.dtype)


@register(ew.real_p)
def _real_lower(em, args, outs):
    (x,) = args
    if not _is_complex(x.dtype):
        return x
    return em.op1("stablehlo.real", [x], x.shape, outs[0].dtype)


@register(ew.imag_p)
def _imag_lower(em, args, outs):
    (x,) = args
    if not _is_complex(x.dtype):
        return em.full_like(x, 0)
    return em.op1("stablehlo.imag", [x], x.shape, outs[0].dtype)


@register(ew.conj_p)
def _conj_lower(em, args, outs):
    (x,) = args
    if not _is_complex(x.dtype):
        return x
    rdt = dtypes.float64 if x.dtype == dtypes.complex128 else dtypes.float32
    re = em.op1("stablehlo.real", [x], x.shape, rdt)
    im = em.un("stablehlo.negate", em.op1("stablehlo.imag", [x], x.shape, rdt))
    return em.op1("stablehlo.complex", [re, im], x.shape, x.dtype)


@register(ew.pow_p)
def _pow_lower(em, args, outs):
    x, y = args
    if x.dtype.kind in "iu":
        y = em.bin("stablehlo.maximum", y, em.full_like(y, 0))
    return em.bin("stablehlo.power", x, y)


@register(ew.select_n_p)
def _select_n_lower(em, args, outs):
    which, *cases = args
    if len(cases) == 1:
        return cases[0]
    if _is_bool(which.dtype):
        return em.select(which, cases[1], cases[0])
    # np.choose(mode="clip"): the highest case i with which >= i (indices clamp to the range)
    res = cases[0]
    for i in range(1, len(cases)):
        res = em.select(em.compare(which, em.full_like(which, i), "GE"), cases[i], res)
    return res


@register(ew.convert_element_type_p)
def _convert_lower(em, args, outs, *, new_dtype, weak_type):
    (x,) = args
    new_dtype = np.dtype(new_dtype)
    if x.dtype == new_dtype:
        return x
    if _is_complex(x.dtype) and not _is_complex(new_dtype):
        rdt = dtypes.float64 if x.dtype == dtypes.complex128 else dtypes.float32
        x = em.op1("stablehlo.real", [x], x.shape, rdt)
        if x.dtype == new_dtype:
            return x
    if (_is_float(x.dtype)) and new_dtype.kind in "iu":
        # XLA semantics, as the NumPy kernel: NaN -> 0, saturate at the integer range
        info = np.iinfo(new_dtype)
        lo, hi = float(info.min), float(info.max)
        xd = em.convert(x, np.float64) if x.dtype != dtypes.float64 else x
        nan = em.isnan(xd)
        xd = em.op1("stablehlo.clamp", [em.const(lo, np.float64), xd,
                                        em.const(hi, np.float64)], xd.shape, xd.dtype)
        xd = em.select(nan, em.full_like(xd, 0), xd)
        r = em.convert(xd, new_dtype)
        # float64 cannot hold int64's max exactly: the clamp rounds up to 2**63
        if new_dtype.itemsize == 8:
            big = em.compare(xd, em.full_like(xd, hi), "GE")
            r = em.select(big, em.full(info.max, x.shape, new_dtype), r)
        return r
    return em.convert(x, new_dtype)


@register(ew.bitcast_convert_type_p)
def _bitcast_lower(em, args, outs, *, new_dtype):
    (x,) = args
    if x.dtype == np.dtype(new_dtype):
        return x
    return em.op1("stablehlo.bitcast_convert", [x], x.shape, new_dtype)


# --------------------------------------------------------------------------------------------
# shapes


@register(sh.iota_p)
def _iota_lower(em, args, outs, *, dtype, shape, dimension):
    return em.iota(shape, dtype, dimension)


@register(sh.broadcast_in_dim_p)
def _broadcast_in_dim_lower(em, args, outs, *, shape, broadcast_dimensions):
    return em.broadcast(args[0], shape, broadcast_dimensions)


@register(sh.reshape_p)
def _reshape_lower(em, args, outs, *, new_sizes):
    return em.reshape(args[0], new_sizes)


@register(sh.transpose_p)
def _transpose_lower(em, args, outs, *, permutation):
    return em.transpose(args[0], permutation)


@register(sh.rev_p)
def _rev_lower(em, args, outs, *, dimensions):
    (x,) = args
    if not dimensions:
        return x
    return em.op1("stablehlo.reverse", [x], x.shape, x.dtype,
                  f"dimensions = {i64_array(dimensions)}")


@register(sh.slice_p)
def _slice_lower(em, args, outs, *, start_indices, limit_indices, strides):
    return em.slice(args[0], start_indices, limit_indices, strides)


@register(sh.pad_p)
def _pad_lower(em, args, outs, *, padding_config):
    x, pv = args
    lo, hi, interior = zip(*padding_config, strict=True) if padding_config else ((), (), ())
    return em.pad(x, pv, lo, hi, interior)


@register(sh.concatenate_p)
def _concatenate_lower(em, args, outs, *, dimension):
    return em.concat(list(args), dimension)


def _index_scalars(em, starts):
    # stablehlo wants one integer type for every start index
    dt = np.int64 if any(s.dtype.itemsize == 8 or _is_unsigned(s.dtype) for s in starts) \
        else np.int32
    return [em.convert(s, dt) for s in starts]


@register(sh.dynamic_slice_p)
def _dynamic_slice_lower(em, args, outs, *, slice_sizes):
    x, *starts = args
    return em.op1("stablehlo.dynamic_slice", [x, *_index_scalars(em, starts)], slice_sizes,
                  x.dtype, f"slice_sizes = {i64_array(slice_sizes)}")


@register(sh.dynamic_update_slice_p)
def _dynamic_update_slice_lower(em, args, outs):
    x, upd, *starts = args
    return em.op1("stablehlo.dynamic_update_slice", [x, upd, *_index_scalars(em, starts)],
                  x.shape, x.dtype)


# --------------------------------------------------------------------------------------------
# reductions


# name of the combining op and its identity, by reduction; booleans use logical ops
_REDUCERS = {
    rd.reduce_sum_p: ("stablehlo.add", lambda dt: 0),
    rd.reduce_prod_p: ("stablehlo.multiply", lambda dt: 1),
    rd.reduce_max_p: ("stablehlo.maximum", lowest),
    rd.reduce_min_p: ("stablehlo.minimum", highest),
    rd.reduce_and_p: ("stablehlo.and", lambda dt: True),
    rd.reduce_or_p: ("stablehlo.or", lambda dt: False),
}


def _reducer_rule(opname, init_fn):
    def rule(em, args, outs, *, axes):
        (x,) = args
        if not axes:
            return x
        return reduce_with(em, x, axes, opname, init_fn(x.dtype))

    rule.__name__ = f"_{opname.split('.')[-1]}_reduce_lower"
    return rule


for _p, (_name, _init) in _REDUCERS.items():
    register(_p)(_reducer_rule(_name, _init))


@register(rd.dot_general_p)
def _dot_general_lower(em, args, outs, *, dimension_numbers, preferred_element_type):
    x, y = args
    (lc, rc), (lb, rb) = dimension_numbers
    out = outs[0]
    compute = x.dtype
    if _is_bool(compute):
        x, y = em.convert(x, np.int32), em.convert(y, np.int32)
        compute = np.dtype(np.int32)
    fields = []
    for name, v in (("lhs_batching_dimensions", lb), ("rhs_batching_dimensions", rb),
                    ("lhs_contracting_dimensions", lc), ("rhs_contracting_dimensions", rc)):
        if v:
            fields.append(f"{name} = [{', '.join(map(str, v))}]")
    attrs = f"dot_dimension_numbers = #stablehlo.dot<{', '.join(fields)}>"
    r = em.op1("stablehlo.dot_general", [x, y], out.shape, compute, attrs)
    return em.convert(r, out.dtype)
