"""CUDA C source for fused elementwise groups (imports neither CuPy nor a GPU library).

A fusion group (``tensorlib._src.passes.fusion_groups``) is a run of elementwise equations
over one output shape. It becomes one ``extern "C" __global__`` kernel with a grid-stride
loop: each thread reads its element of every input once, keeps every intermediate in a
register, and writes only the group's outputs. The CuPy backend launches the source through
``cupy.RawKernel``, which compiles it with NVRTC and caches the binary on disk by source.

What the grouping pass guarantees, and the kernel relies on: every equation in a group has
the group's output shape, and primitives take equal shapes, so an input is either read at
the output index or is the operand of a ``broadcast_in_dim`` in the group, whose index the
kernel computes from the output index with the broadcast's constant strides. Inputs are
C-contiguous (the launcher makes them so).

The per-element work is a ``__host__ __device__`` function, so the same source also compiles
for the host (``host_source``): the tests run it through ctypes and compare with NumPy.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

from tensorlib._src.ops import elementwise as ew
from tensorlib._src.ops import shape as sh
from tensorlib._src.ops.family import FAMILY

# NumPy dtype -> CUDA C type. float16/bfloat16 and complex types are not fused (they run as
# eager CuPy kernels): NVRTC needs cuda_fp16.h / cuComplex.h, which CuPy's RawKernel does not
# put on the include path by default.
CTYPES = {
    np.dtype(np.bool_): "bool",
    np.dtype(np.int8): "signed char", np.dtype(np.int16): "short",
    np.dtype(np.int32): "int", np.dtype(np.int64): "long long",
    np.dtype(np.uint8): "unsigned char", np.dtype(np.uint16): "unsigned short",
    np.dtype(np.uint32): "unsigned int", np.dtype(np.uint64): "unsigned long long",
    np.dtype(np.float32): "float", np.dtype(np.float64): "double",
}
_UNSIGNED = {"signed char": "unsigned char", "short": "unsigned short", "int": "unsigned int",
             "long long": "unsigned long long"}

# Math functions: name -> (float function, double function). Each becomes an overloaded helper
# ``tl_<name>`` in the prelude: the table's entries (``cuda_math``), and the helpers of the
# templates written here.
_MATH = {op.prim.name: op.cuda_math for op in FAMILY.values()
         if op.cuda_math is not None and op.arity == 1}
_MATH.update({"fabs": ("fabsf", "fabs"), "round_away": ("roundf", "round"),
              "round_even": ("rintf", "rint")})
_MATH2 = {op.prim.name: op.cuda_math for op in FAMILY.values()
          if op.cuda_math is not None and op.arity == 2}
_MATH2.update({"pow": ("powf", "pow"), "fmod": ("fmodf", "fmod")})

_PRELUDE_FIXED = r"""
#define TL_FN __host__ __device__ __forceinline__
template <typename T> TL_FN bool tl_isnan(T x) { return x != x; }
template <typename T> TL_FN bool tl_isfinite(T x) { return (x - x) == (x - x); }
// NaN-propagating, as numpy.maximum / numpy.minimum (fmaxf would drop the NaN)
template <typename T> TL_FN T tl_max(T a, T b) { return (a > b || a != a) ? a : b; }
template <typename T> TL_FN T tl_min(T a, T b) { return (a < b || a != a) ? a : b; }
template <typename T> TL_FN T tl_sign(T x) {
  return (x != x || x == T(0)) ? x : (x > T(0) ? T(1) : T(-1));
}
template <typename T> TL_FN T tl_abs_int(T x) { return x < T(0) ? T(T(0) - x) : x; }
// integer division as XLA: truncation toward zero, x / 0 == -1, INT_MIN / -1 == INT_MIN
template <typename T, typename U> TL_FN T tl_div_signed(T x, T y) {
  return y == T(0) ? T(-1) : (y == T(-1) ? T(U(0) - U(x)) : T(x / y));
}
template <typename T> TL_FN T tl_div_unsigned(T x, T y) { return y == T(0) ? T(-1) : T(x / y); }
template <typename T> TL_FN T tl_rem_signed(T x, T y) {
  return y == T(0) ? x : (y == T(-1) ? T(0) : T(x % y));
}
template <typename T> TL_FN T tl_rem_unsigned(T x, T y) { return y == T(0) ? x : T(x % y); }
// integer power by squaring; negative exponents count as 0 (as the NumPy backend)
template <typename T> TL_FN T tl_ipow(T x, long long y) {
  T r = T(1);
  while (y > 0) { if (y & 1) r = T(r * x); x = T(x * x); y >>= 1; }
  return r;
}
// float -> integer as XLA: NaN -> 0, saturating at the integer range
template <typename T> TL_FN T tl_f2i(double x, double lo, double hi, T tlo, T thi) {
  return x != x ? T(0) : (x <= lo ? tlo : (x >= hi ? thi : T(x)));
}
TL_FN float tl_rsqrt(float x) {
#ifdef __CUDA_ARCH__
  return rsqrtf(x);
#else
  return 1.0f / sqrtf(x);
#endif
}
TL_FN double tl_rsqrt(double x) {
#ifdef __CUDA_ARCH__
  return rsqrt(x);
#else
  return 1.0 / sqrt(x);
#endif
}
// erfinv is a CUDA device function only; the host branch (used by the host build in the tests)
// is the NumPy backend's algorithm: Giles' starting polynomial and two Newton steps on erf
TL_FN double tl_erfinv_host(double x) {
  if (x != x || x < -1.0 || x > 1.0) return (x - x) / (x - x);
  if (x == 1.0 || x == -1.0) return x / (x - x);  // +-inf (no constant: no warning)
  double w = -log1p(-x * x), p;
  const double a[9] = {2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                       0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941};
  const double b[9] = {-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
                       0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682};
  bool small = w < 5.0;
  double ws = small ? w - 2.5 : sqrt(w) - 3.0;
  p = 0.0;
  for (int k = 0; k < 9; ++k) p = p * ws + (small ? a[k] : b[k]);
  double y = p * x;
  for (int k = 0; k < 2; ++k) y -= (erf(y) - x) / (1.1283791670955126 * exp(-y * y));
  return y;
}
TL_FN float tl_erf_inv(float x) {
#ifdef __CUDA_ARCH__
  return erfinvf(x);
#else
  return (float)tl_erfinv_host((double)x);
#endif
}
TL_FN double tl_erf_inv(double x) {
#ifdef __CUDA_ARCH__
  return erfinv(x);
#else
  return tl_erfinv_host(x);
#endif
}
"""


def _prelude() -> str:
    lines = [_PRELUDE_FIXED]
    for name, (f32, f64) in _MATH.items():
        lines.append(f"TL_FN float tl_{name}(float x) {{ return {f32}(x); }}")
        lines.append(f"TL_FN double tl_{name}(double x) {{ return {f64}(x); }}")
    for name, (f32, f64) in _MATH2.items():
        lines.append(f"TL_FN float tl_{name}(float x, float y) {{ return {f32}(x, y); }}")
        lines.append(f"TL_FN double tl_{name}(double x, double y) {{ return {f64}(x, y); }}")
    return "\n".join(lines) + "\n"


PRELUDE = _prelude()


# --------------------------------------------------------------------------------------------
# Templates: primitive -> fn(args, eqn) -> a C expression. ``args`` are the operand names;
# the dtype of the first operand and of the result come from the equation.


def _is_float(dt) -> bool:
    return np.dtype(dt).kind == "f"


def _in_dt(eqn, k=0):
    return np.dtype(eqn.inputs[k].aval.dtype)


def _out_dt(eqn):
    return np.dtype(eqn.outputs[0].aval.dtype)


def _ct(dt) -> str:
    return CTYPES[np.dtype(dt)]


def _flags(fn, float_only=False, int_only=False, no_bool=False):
    """Mark a template with the operand dtypes it accepts (``can_fuse`` reads the marks)."""
    fn.float_only, fn.int_only, fn.no_bool = float_only, int_only, no_bool
    return fn


def _math(name):
    def template(a, eqn):
        return f"tl_{name}({a[0]})"

    return _flags(template, float_only=True)


def _op(fmt, **flags):
    def template(a, eqn):
        return fmt.format(*a)

    return _flags(template, **flags)


def _abs(a, eqn):
    dt = _in_dt(eqn)
    if _is_float(dt):
        return f"tl_fabs({a[0]})"
    return a[0] if dt.kind in "ub" else f"tl_abs_int({a[0]})"


def _round(a, eqn):
    return f"tl_round_{'even' if eqn.params['rounding_method'] == 1 else 'away'}({a[0]})"


def _logistic(a, eqn):
    t = _ct(_out_dt(eqn))
    return f"(({t})0.5 * tl_tanh(({t})0.5 * {a[0]}) + ({t})0.5)"


def _not(a, eqn):
    return f"(!{a[0]})" if _in_dt(eqn).kind == "b" else f"(~{a[0]})"


def _div(a, eqn):
    dt = _in_dt(eqn)
    if _is_float(dt):
        return f"({a[0]} / {a[1]})"
    t = _ct(dt)
    if dt.kind == "i":
        return f"tl_div_signed<{t}, {_UNSIGNED[t]}>({a[0]}, {a[1]})"
    return f"tl_div_unsigned<{t}>({a[0]}, {a[1]})"


def _rem(a, eqn):
    dt = _in_dt(eqn)
    if _is_float(dt):
        return f"tl_fmod({a[0]}, {a[1]})"
    return f"tl_rem_{'signed' if dt.kind == 'i' else 'unsigned'}<{_ct(dt)}>({a[0]}, {a[1]})"


def _pow(a, eqn):
    dt = _in_dt(eqn)
    if _is_float(dt):
        return f"tl_pow({a[0]}, {a[1]})"
    return f"tl_ipow<{_ct(dt)}>({a[0]}, (long long){a[1]})"


def _integer_pow(a, eqn):
    y, dt = eqn.params["y"], _out_dt(eqn)
    t = _ct(dt)
    if y == 0:
        return f"(({t})1)"
    if 0 < y <= 4:
        return "(" + " * ".join([a[0]] * y) + ")"
    if _is_float(dt):
        return f"tl_pow({a[0]}, ({t}){y})"
    return f"tl_ipow<{t}>({a[0]}, {y}LL)"


def _shift(kind):
    def template(a, eqn):
        dt = _in_dt(eqn)
        t = _ct(dt)
        u = _UNSIGNED.get(t, t)
        x, y = a
        big = f"({y} < 0 || {y} >= {dt.itemsize * 8})"
        if kind == "left":
            return f"({big} ? ({t})0 : ({t})(({u}){x} << {y}))"
        if kind == "arith":
            return f"({big} ? ({x} < 0 ? ({t})-1 : ({t})0) : ({t})({x} >> {y}))"
        return f"({big} ? ({t})0 : ({t})(({u}){x} >> {y}))"

    return _flags(template, int_only=True)


def _select_n(a, eqn):
    which, cases = a[0], a[1:]
    if len(cases) == 1:
        return cases[0]
    if _in_dt(eqn).kind == "b":
        return f"({which} ? {cases[1]} : {cases[0]})"
    # an integer selector clips to the cases' range, as numpy.choose(mode="clip")
    expr = cases[-1]
    for k in range(len(cases) - 2, -1, -1):
        expr = f"({which} <= {k} ? {cases[k]} : {expr})"
    return expr


def _convert(a, eqn):
    src, dst = _in_dt(eqn), np.dtype(eqn.params["new_dtype"])
    t = _ct(dst)
    if dst.kind == "b":
        return f"({a[0]} != 0)"
    if _is_float(src) and dst.kind in "iu":
        info = np.iinfo(dst)
        lo, hi = _int_literal(info.min, dst), _int_literal(info.max, dst)
        return (f"tl_f2i<{t}>((double){a[0]}, {float(info.min)!r}, {float(info.max)!r}, "
                f"{lo}, {hi})")
    return f"(({t}){a[0]})"


def _int_literal(v: int, dt) -> str:
    t = _ct(dt)
    if v == np.iinfo(np.int64).min:  # -9223372036854775808 is not a literal in C
        return f"(({t})(-9223372036854775807LL - 1))"
    return f"(({t}){v}{'ULL' if v > np.iinfo(np.int64).max else 'LL'})"


def _identity(a, eqn):
    return a[0]


def _imag(a, eqn):
    return f"(({_ct(_out_dt(eqn))})0)"


_ONLY = {None: {}, "float": {"float_only": True}, "int": {"int_only": True},
         "nobool": {"no_bool": True}}


def _family_template(op):
    """The template of a table entry: its ``cuda`` expression, or its libm helper."""
    if op.cuda is not None:
        return _op(op.cuda.fmt, **_ONLY[op.cuda.only])
    if op.cuda_math is not None and op.arity == 1:
        return _math(op.prim.name)
    return None


# Primitive -> template: the table's entries, then the ones spelled here
TEMPLATES = {p: t for p, op in FAMILY.items() if (t := _family_template(op)) is not None}
TEMPLATES.update({
    ew.abs_p: _flags(_abs), ew.not_p: _flags(_not),
    ew.logistic_p: _flags(_logistic, float_only=True),
    ew.round_p: _flags(_round, float_only=True),
    ew.real_p: _flags(_identity), ew.conj_p: _flags(_identity), ew.imag_p: _flags(_imag),
    ew.div_p: _flags(_div, no_bool=True), ew.rem_p: _flags(_rem, no_bool=True),
    ew.pow_p: _flags(_pow, no_bool=True), ew.integer_pow_p: _flags(_integer_pow, no_bool=True),
    ew.shift_left_p: _shift("left"), ew.shift_right_arithmetic_p: _shift("arith"),
    ew.shift_right_logical_p: _shift("logical"),
    ew.select_n_p: _flags(_select_n), ew.convert_element_type_p: _flags(_convert),
})

# Elementwise primitives the generator leaves to the eager kernels, and why.
EXCLUDED = {
    ew.bitcast_convert_type_p: "reinterprets bits (and may change the element size): a CuPy "
                               "view costs nothing, so there is nothing to fuse",
}
# broadcast_in_dim is not computed: it is an index remap of a group input (see module doc).
INDEX_REMAPS = {sh.broadcast_in_dim_p}


def can_fuse(eqn) -> bool:
    """Whether one equation can be part of a generated CUDA kernel."""
    prim = eqn.prim
    if len(eqn.outputs) != 1:
        return False
    if not all(np.dtype(v.aval.dtype) in CTYPES for v in list(eqn.inputs) + list(eqn.outputs)):
        return False
    if prim in INDEX_REMAPS:
        return True
    tpl = TEMPLATES.get(prim)
    if tpl is None:
        return False
    dt = _in_dt(eqn) if eqn.inputs else _out_dt(eqn)
    if tpl.float_only and not _is_float(dt) or tpl.int_only and dt.kind not in "iu":
        return False
    if tpl.no_bool and dt.kind == "b":
        return False
    if prim is ew.integer_pow_p and eqn.params["y"] < 0 and not _is_float(dt):
        return False
    return not (prim is ew.select_n_p and len(eqn.inputs) < 2)


# --------------------------------------------------------------------------------------------
# Kernel source


class KernelSource:
    """The generated source of one group and what its launcher needs to know."""

    __slots__ = ("name", "kernel_source", "shape", "size", "in_avals", "out_dtypes",
                 "body_name")

    def __init__(self, name, kernel_source, shape, in_avals, out_dtypes, body_name):
        self.name = name
        self.kernel_source = kernel_source  # without the prelude (tests put many in one file)
        self.shape = shape
        self.size = math.prod(shape)
        self.in_avals = in_avals
        self.out_dtypes = out_dtypes
        self.body_name = body_name

    @property
    def source(self) -> str:
        """The complete translation unit: prelude and kernel."""
        return PRELUDE + self.kernel_source


def _index_expr(src_shape, dims, shape):
    """The flat index into a C-contiguous input of ``src_shape`` whose axis j is output axis
    ``dims[j]`` (size-1 axes broadcast), as a C expression of the output index ``i``."""
    terms, stride = [], 1
    for j in range(len(src_shape) - 1, -1, -1):
        d = dims[j]
        if shape[d] != 1 and src_shape[j] != 1:
            inner = math.prod(shape[d + 1:])
            coord = f"(i / {inner}LL)" if inner != 1 else "i"
            if d > 0:
                coord = f"({coord} % {shape[d]}LL)"
            terms.append(coord if stride == 1 else f"{coord} * {stride}LL")
        stride *= src_shape[j]
    return " + ".join(reversed(terms)) if terms else "0"


def _loads(eqns, inputs, shape):
    """id(var) -> (var, input position, C index expression) for every value read from an
    input; the index is ``"0"`` for a value that is one element (read once, before the loop)."""
    remap = {id(e.outputs[0]): (e.inputs[0], tuple(e.params["broadcast_dimensions"]))
             for e in eqns if e.prim in INDEX_REMAPS}
    pos = {id(v): k for k, v in enumerate(inputs)}
    reads = {}  # id(var read by a computing eqn) -> (input position, index expression)
    nd = len(shape)
    for e in eqns:
        if e.prim in INDEX_REMAPS:
            continue
        for v in e.inputs:
            if id(v) in reads or id(v) not in pos and id(v) not in remap:
                continue
            src, dims = remap.get(id(v), (v, None))
            sshape = tuple(src.aval.shape)
            if dims is None:  # read directly: same shape, or right-aligned broadcasting
                dims = tuple(range(nd - len(sshape), nd))
            idx = "i" if sshape == tuple(shape) else _index_expr(sshape, dims, shape)
            reads[id(v)] = (v, pos[id(src)], idx)
    return reads


def generate(eqns, inputs, outputs, shape=None) -> KernelSource:
    """The complete CUDA source of one fusion group (see the module docstring)."""
    shape = tuple(outputs[0].aval.shape if shape is None else shape)
    for e in eqns:
        if not can_fuse(e):
            raise ValueError(f"cupy codegen: cannot fuse {e.prim.name} with operands "
                             f"{[str(v.aval) for v in e.inputs]}; keep it out of the group "
                             "(codegen.can_fuse decides)")
    reads = _loads(eqns, inputs, shape)
    names, hoisted, body = {}, [], []
    for id_v, (var, k, idx) in reads.items():
        t = _ct(var.aval.dtype)
        names[id_v] = f"v{len(names)}"
        line = f"const {t} {names[id_v]} = x{k}[{idx}];"
        (hoisted if idx == "0" else body).append(line)
    for e in eqns:
        if e.prim in INDEX_REMAPS:
            continue
        t = _ct(_out_dt(e))
        expr = TEMPLATES[e.prim]([names[id(v)] for v in e.inputs], e)
        out = names[id(e.outputs[0])] = f"t{len(names)}"
        body.append(f"const {t} {out} = ({t})({expr});")
    for k, v in enumerate(outputs):
        body.append(f"o{k}[i] = {names[id(v)]};")
    in_avals = [v.aval for v in inputs]
    params = [f"const {_ct(a.dtype)}* __restrict__ x{k}" for k, a in enumerate(in_avals)]
    params += [f"{_ct(v.aval.dtype)}* __restrict__ o{k}" for k, v in enumerate(outputs)]
    digest = hashlib.sha256("\n".join(params + hoisted + body).encode()).hexdigest()[:16]
    name, body_name = f"tl_fused_{digest}", f"tl_body_{digest}"
    src = [f"TL_FN void {body_name}(long long i, {', '.join(params)}) {{",
           *["  " + line for line in hoisted + body], "}",
           f'extern "C" __global__ void {name}({", ".join(params)}, long long n) {{',
           "  const long long step = (long long)blockDim.x * gridDim.x;",
           "  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;"
           " i += step) {",
           f"    {body_name}(i, {', '.join(_arg_names(len(inputs), len(outputs)))});",
           "  }", "}", ""]
    return KernelSource(name, "\n".join(src), shape, in_avals,
                        [np.dtype(v.aval.dtype) for v in outputs], body_name)


def _arg_names(n_in, n_out):
    return [f"x{k}" for k in range(n_in)] + [f"o{k}" for k in range(n_out)]


def host_loop(ks: KernelSource) -> str:
    """An ``extern "C"`` host loop ``<name>_host(inputs..., outputs..., n)`` over the kernel's
    per-element function, to append after ``ks.kernel_source`` (tests run the generated
    arithmetic on a CPU with it)."""
    head = ks.kernel_source.split(f'extern "C" __global__ void {ks.name}(', 1)[1]
    head = head.split(") {", 1)[0]
    args = _arg_names(len(ks.in_avals), len(ks.out_dtypes))
    return "\n".join([
        f'extern "C" void {ks.name}_host({head}) {{',
        f"  for (long long i = 0; i < n; ++i) {ks.body_name}(i, {', '.join(args)});",
        "}", ""])
