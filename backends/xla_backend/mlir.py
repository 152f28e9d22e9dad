"""A small emitter of StableHLO in MLIR's *generic* text form.

Every operation is printed as ``%r = "dialect.op"(%a, %b) ({regions}) {attrs} : (types) ->
types``. The generic form is the same for every op (no per-op custom syntax to get right),
and ``chlo`` ops parse only in this form through ``compile_and_load``. Values carry their
shape and dtype, so helpers can print types without being told.
"""

from __future__ import annotations

import itertools

import ml_dtypes
import numpy as np

_ELEMENT = {
    np.dtype(np.bool_): "i1",
    np.dtype(np.int8): "i8", np.dtype(np.int16): "i16",
    np.dtype(np.int32): "i32", np.dtype(np.int64): "i64",
    np.dtype(np.uint8): "ui8", np.dtype(np.uint16): "ui16",
    np.dtype(np.uint32): "ui32", np.dtype(np.uint64): "ui64",
    np.dtype(np.float16): "f16", np.dtype(ml_dtypes.bfloat16): "bf16",
    np.dtype(np.float32): "f32", np.dtype(np.float64): "f64",
    np.dtype(np.complex64): "complex<f32>", np.dtype(np.complex128): "complex<f64>",
}


def element_type(dtype) -> str:
    try:
        return _ELEMENT[np.dtype(dtype)]
    except KeyError:
        raise NotImplementedError(f"the xla backend has no MLIR type for dtype {dtype}") from None


def supported_dtype(dtype) -> bool:
    return np.dtype(dtype) in _ELEMENT


def tensor_type(shape, dtype) -> str:
    dims = "".join(f"{int(n)}x" for n in shape)
    return f"tensor<{dims}{element_type(dtype)}>"


def i64_array(xs) -> str:
    xs = [int(x) for x in xs]
    return f"array<i64: {', '.join(map(str, xs))}>" if xs else "array<i64>"


def int_list(xs) -> str:
    return "[" + ", ".join(str(int(x)) for x in xs) + "]"


def dense_literal(values, shape, dtype) -> str:
    """``dense<"0x..."> : tensor<...>``: exact bits for every dtype (NaN, -0, bf16 included).

    One element is a splat; an empty tensor is written as the splat of one zero.
    """
    a = np.ascontiguousarray(np.asarray(values, dtype=dtype))
    raw = a.tobytes()
    if a.size == 0:
        raw = np.zeros((), dtype).tobytes()
    elif a.size > 1 and raw == raw[:a.itemsize] * a.size:
        raw = raw[:a.itemsize]
    return f'dense<"0x{raw.hex().upper()}"> : {tensor_type(shape, dtype)}'


class V:
    """An SSA value: its name, shape and dtype."""

    __slots__ = ("name", "shape", "dtype")

    def __init__(self, name, shape, dtype):
        self.name = name
        self.shape = tuple(int(n) for n in shape)
        self.dtype = np.dtype(dtype)

    @property
    def t(self) -> str:
        return tensor_type(self.shape, self.dtype)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def __repr__(self):
        return f"V({self.name}: {self.t})"


class Emitter:
    """Lines of one block; ``region`` opens nested blocks that share the name counter."""

    def __init__(self, counter=None, indent=1):
        self.counter = counter if counter is not None else itertools.count()
        self.indent = indent
        self.lines: list[str] = []
        self.ctx = None  # the module's lowering context (hoisted constants), shared by regions

    def fresh(self) -> str:
        return f"%v{next(self.counter)}"

    # ---- generic op ------------------------------------------------------------------------
    def op(self, name, args, outs, attrs="", regions=()):
        """Emit ``name`` on ``args``; ``outs`` is a list of (shape, dtype); returns Vs."""
        res = self.fresh()
        n = len(outs)
        if n == 1:
            lhs, vals = res, [V(res, *outs[0])]
        else:
            lhs = f"{res}:{n}"
            vals = [V(f"{res}#{i}", s, d) for i, (s, d) in enumerate(outs)]
        in_t = ", ".join(a.t for a in args)
        out_t = vals[0].t if n == 1 else "(" + ", ".join(v.t for v in vals) + ")"
        reg = (" (" + ", ".join(regions) + ")") if regions else ""
        att = (" {" + attrs + "}") if attrs else ""
        operands = ", ".join(a.name for a in args)
        self.lines.append(f'{lhs} = "{name}"({operands}){reg}{att} : ({in_t}) -> {out_t}')
        return vals

    def op1(self, name, args, shape, dtype, attrs="", regions=()):
        return self.op(name, args, [(shape, dtype)], attrs, regions)[0]

    def ret(self, vals, op="stablehlo.return"):
        vals = list(vals)
        self.lines.append(f'"{op}"({", ".join(v.name for v in vals)}) : '
                          f'({", ".join(v.t for v in vals)}) -> ()')

    def region(self, arg_types, body):
        """A region text: block arguments of ``arg_types`` [(shape, dtype)], body(em, args)."""
        sub = Emitter(self.counter, self.indent + 2)
        sub.ctx = self.ctx
        args = [V(sub.fresh(), s, d) for s, d in arg_types]
        sub.ret(body(sub, args))
        pad = "  " * (self.indent + 1)
        head = ""
        if args:
            head = f"{pad}^bb0({', '.join(f'{a.name}: {a.t}' for a in args)}):\n"
        inner = "\n".join("  " * (self.indent + 2) + ln for ln in sub.lines)
        return "{\n" + head + inner + "\n" + "  " * self.indent + "}"

    # ---- helpers ---------------------------------------------------------------------------
    def const(self, value, dtype, shape=()):
        return self.op1("stablehlo.constant", [], shape, dtype,
                        f"value = {dense_literal(value, shape, dtype)}")

    def un(self, name, x, dtype=None):
        return self.op1(name, [x], x.shape, dtype or x.dtype)

    def bin(self, name, x, y, dtype=None):
        return self.op1(name, [x, y], x.shape, dtype or x.dtype)

    def convert(self, x, dtype):
        dtype = np.dtype(dtype)
        if x.dtype == dtype:
            return x
        return self.op1("stablehlo.convert", [x], x.shape, dtype)

    def compare(self, x, y, direction, ctype=None):
        ctype = ctype or compare_type(x.dtype)
        return self.op1("stablehlo.compare", [x, y], x.shape, np.bool_,
                        f"comparison_direction = #stablehlo<comparison_direction {direction}>, "
                        f"compare_type = #stablehlo<comparison_type {ctype}>")

    def select(self, pred, a, b):
        return self.op1("stablehlo.select", [pred, a, b], a.shape, a.dtype)

    def broadcast(self, x, shape, dims):
        if tuple(shape) == x.shape and tuple(dims) == tuple(range(x.ndim)):
            return x
        return self.op1("stablehlo.broadcast_in_dim", [x], shape, x.dtype,
                        f"broadcast_dimensions = {i64_array(dims)}")

    def full(self, value, shape, dtype):
        c = self.const(value, dtype)
        return self.broadcast(c, shape, ()) if shape else c

    def full_like(self, x, value):
        return self.full(value, x.shape, x.dtype)

    def reshape(self, x, shape):
        if tuple(shape) == x.shape:
            return x
        return self.op1("stablehlo.reshape", [x], shape, x.dtype)

    def slice(self, x, start, limit, strides=None):
        strides = strides or (1,) * x.ndim
        shape = [max(0, -(-(b - a) // s)) for a, b, s in zip(start, limit, strides, strict=True)]
        return self.op1("stablehlo.slice", [x], shape, x.dtype,
                        f"start_indices = {i64_array(start)}, limit_indices = "
                        f"{i64_array(limit)}, strides = {i64_array(strides)}")

    def slice_axis(self, x, axis, start, limit, stride=1):
        st = [0] * x.ndim
        lim = list(x.shape)
        sd = [1] * x.ndim
        st[axis], lim[axis], sd[axis] = start, limit, stride
        return self.slice(x, st, lim, sd)

    def pad(self, x, pv, lo, hi, interior):
        shape = [a + n + max(n - 1, 0) * i + b
                 for n, a, b, i in zip(x.shape, lo, hi, interior, strict=True)]
        return self.op1("stablehlo.pad", [x, pv], shape, x.dtype,
                        f"edge_padding_low = {i64_array(lo)}, edge_padding_high = "
                        f"{i64_array(hi)}, interior_padding = {i64_array(interior)}")

    def concat(self, xs, dim):
        if len(xs) == 1:
            return xs[0]
        shape = list(xs[0].shape)
        shape[dim] = sum(x.shape[dim] for x in xs)
        return self.op1("stablehlo.concatenate", xs, shape, xs[0].dtype, f"dimension = {dim} : i64")

    def iota(self, shape, dtype, dim):
        return self.op1("stablehlo.iota", [], shape, dtype, f"iota_dimension = {dim} : i64")

    def transpose(self, x, perm):
        if tuple(perm) == tuple(range(x.ndim)):
            return x
        return self.op1("stablehlo.transpose", [x], [x.shape[p] for p in perm], x.dtype,
                        f"permutation = {i64_array(perm)}")

    def isnan(self, x):
        return self.compare(x, x, "NE", "FLOAT")

    def custom_call(self, target, args, outs, *, operand_layouts, result_layouts,
                    aliases=(), config=""):
        """A typed-FFI ``stablehlo.custom_call`` of ``target``, as JAX's ``ffi_lowering``
        prints it: ``api_version = 1`` with an ``mhlo.backend_config`` *dictionary*
        (``config``, e.g. ``"mode = 86 : ui8"``) is what XLA reads as typed FFI.

        Layouts are minor-to-major dimension orders, one per operand/result; ``aliases`` are
        (result, operand) pairs the handler may update in place. Returns the result Vs.
        """
        def layouts(ls):
            return "[" + ", ".join(f"dense<{int_list(lo) if lo else ''}> : "
                                   f"tensor<{len(lo)}xindex>" for lo in ls) + "]"

        tup = len(outs) > 1
        alias = ", ".join(
            f"#stablehlo.output_operand_alias<output_tuple_indices = "
            f"{int_list([r]) if tup else '[]'}, operand_index = {a}, "
            f"operand_tuple_indices = []>" for r, a in aliases)
        attrs = (f'api_version = 1 : i32, backend_config = "", call_target_name = "{target}", '
                 f"has_side_effect = false, operand_layouts = {layouts(operand_layouts)}, "
                 f"output_operand_aliases = [{alias}], "
                 f"result_layouts = {layouts(result_layouts)}, "
                 f"mhlo.backend_config = {{{config}}}")
        return self.op("stablehlo.custom_call", args, outs, attrs)

    def reduce(self, xs, inits, axes, body):
        """Variadic ``stablehlo.reduce`` over ``axes``; body(em, accs, elems) -> values."""
        n = len(xs)
        shape = [s for d, s in enumerate(xs[0].shape) if d not in axes]
        scalars = [((), x.dtype) for x in xs]
        region = self.region(scalars + scalars, lambda em, a: body(em, a[:n], a[n:]))
        return self.op("stablehlo.reduce", list(xs) + list(inits),
                       [(shape, x.dtype) for x in xs], f"dimensions = {i64_array(axes)}",
                       [region])


def compare_type(dtype) -> str:
    dtype = np.dtype(dtype)
    if dtype.kind in "fcV" or dtype == ml_dtypes.bfloat16:
        return "FLOAT"
    if dtype.kind == "i":
        return "SIGNED"
    return "UNSIGNED"
