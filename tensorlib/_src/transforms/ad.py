"""Automatic differentiation: the tape (reverse mode) and forward mode, as two interpreters.

Reverse mode runs every operation now *and* records it on the tape of the innermost ``grad``;
the backward pass walks the tape calling VJP rules, which are tensorlib operations themselves,
so a backward pass under an outer tape is recorded again (higher-order gradients). Forward
mode carries a tangent beside each primal through JVP rules. Each transformation is one level
of the trace stack, so nested transformations never confuse their perturbations.
"""

from __future__ import annotations

from tensorlib._src import dtypes
from tensorlib._src.core import (
    Array,
    Trace,
    Tracer,
    _tls,
    bind,
    eval_primitive,
    get_aval,
    new_trace,
)
from tensorlib._src.ir import Eqn, Var
from tensorlib._src.ops.elementwise import add, add_p, full, neg_p, sub_p
from tensorlib._src.rules import (
    inline_rules,
    jvp_rules,
    linear_vjp,
    nondiff,
    on_change,
    vjp_fwd_rules,
    vjp_rules,
    vjp_wants_mask,
)
from tensorlib.errors import MissingRuleError

# --------------------------------------------------------------------------------------------
# reverse mode: the tape

# Linear primitives whose VJP rules read neither inputs nor outputs: the tape keeps nothing.
_NO_INPUTS = {add_p, sub_p, neg_p}
_NONES = [[None] * n for n in range(8)]

# How the tape treats each primitive, from the rule tables (cleared when a rule changes):
# its own inline/split rule, no derivative, a VJP that needs no input values, or the rest.
_SPECIAL, _NONDIFF, _NO_INPUT_VALUES, _GENERAL = "special", "nondiff", "no inputs", "general"
_KIND: dict = {}
on_change(_KIND.clear)


def _kind(prim):
    if prim in inline_rules or prim in vjp_fwd_rules:
        k = _SPECIAL
    elif prim in nondiff:
        k = _NONDIFF
    elif prim in _NO_INPUTS and not prim.multiple_results:
        k = _NO_INPUT_VALUES
    else:
        k = _GENERAL
    _KIND[prim] = k
    return k



class PrimalTracer(Tracer):
    """A tracer that carries a primal value (the tape's and forward mode's).

    Shape, dtype and the weak flag are copied from the primal, which never changes: the
    NumPy-API layer reads them on every operation, and a slot is cheaper than a property."""

    __slots__ = ("primal", "shape", "dtype", "_weak")

    def _set_primal(self, primal):
        self.primal = primal
        if type(primal) is Array:
            b = primal._buf
            self.shape = b.shape
            self.dtype = b.dtype
            self._weak = primal._weak
        else:  # a tracer of an outer transformation, or a constant
            a = get_aval(primal)
            self.shape, self.dtype, self._weak = a.shape, a.dtype, a.weak_type

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def aval(self):
        return get_aval(self.primal)

    def concrete_value(self):
        p = self.primal
        return p if type(p) is Array else (p.concrete_value() if isinstance(p, Tracer) else None)


class TapeTracer(PrimalTracer):
    __slots__ = ("var",)

    def __init__(self, trace, primal, var):
        self._trace = trace
        self._set_primal(primal)
        self.var = var


class TapeTrace(Trace):
    """Runs each operation at the level below and records it on ``self.tape``."""

    __slots__ = ("tape",)

    def __init__(self, level: int, tape: list[Eqn]):
        super().__init__(level)
        self.tape = tape

    def pure(self, val):
        return TapeTracer(self, val, None)

    lift = pure

    def process(self, prim, args, params):
        """The hot path: unwrap this tape's tracers without wrapping constants first."""
        kind = _KIND.get(prim)
        if kind is None:
            kind = _kind(prim)
        if kind is _SPECIAL:
            return self.process_primitive(prim, [self.full_raise(a) for a in args], params)
        primals, in_vars, live, concrete = [], [], False, True
        for a in args:
            if type(a) is TapeTracer and a._trace is self:
                p = a.primal
                v = a.var
                in_vars.append(v)
                live = live or v is not None
            else:
                p = a  # a constant or a value of a lower level
                in_vars.append(None)
            concrete = concrete and type(p) is Array
            primals.append(p)
        if concrete and _tls.dynamic is None:
            out = eval_primitive(prim, primals, params)  # nothing below this tape: run it
        else:
            out = bind(prim, primals, params)  # the level below: an outer transformation
        if not live or kind is _NONDIFF:
            return out
        if kind is _NO_INPUT_VALUES:  # the hot path of _record, inlined (add, sub, neg)
            var = Var()
            self.tape.append(Eqn(prim, in_vars, params, [var], _NONES[len(primals)], None))
            return TapeTracer(self, out, var)
        return self._record(prim, primals, in_vars, params, out)

    def _record(self, prim, primals, in_vars, params, out):
        if not prim.multiple_results:
            var = Var()  # (add, sub, neg are recorded by process itself)
            if prim in linear_vjp:
                eqn = Eqn(prim, in_vars, params, [var], [get_aval(p) for p in primals], None)
            else:
                eqn = Eqn(prim, in_vars, params, [var], primals, (out,))
            self.tape.append(eqn)
            return TapeTracer(self, out, var)
        out_vars = [Var() for _ in out]
        if prim in linear_vjp:
            eqn = Eqn(prim, in_vars, params, out_vars, [get_aval(p) for p in primals], None)
        else:
            eqn = Eqn(prim, in_vars, params, out_vars, primals, out)
        self.tape.append(eqn)
        return [TapeTracer(self, o, v) for o, v in zip(out, out_vars)]

    def process_primitive(self, prim, tracers, params):
        inline = inline_rules.get(prim)
        if inline is not None:
            return inline(self, tracers, params)
        primals = [t.primal for t in tracers]
        fwd = vjp_fwd_rules.get(prim)
        if fwd is not None:
            return self._split(prim, fwd, tracers, primals, params)
        out = prim.bind(*primals, **params)
        in_vars = [t.var for t in tracers]
        if prim in nondiff or all(v is None for v in in_vars):
            return out
        return self._record(prim, primals, in_vars, params, out)

    def _split(self, prim, fwd, tracers, primals, params):
        """A primitive with a split VJP: its forward half runs now and leaves residuals."""
        in_vars = [t.var for t in tracers]
        live = [v is not None and dtypes.is_inexact(get_aval(p).dtype)
                for v, p in zip(in_vars, primals)]
        if not any(live):
            return prim.bind(*primals, **params)
        outs, residuals, bwd_params = fwd(primals, live, **params)
        in_vars = [v if lv else None for v, lv in zip(in_vars, live)]
        out_vars = [Var() if dtypes.is_inexact(get_aval(o).dtype) else None for o in outs]
        self.tape.append(Eqn(prim, in_vars, bwd_params, out_vars, list(residuals), None))
        return [TapeTracer(self, o, v) for o, v in zip(outs, out_vars)]


def backward_pass(tape, seeds):
    """Walk ``tape`` backwards from ``seeds`` (Var -> cotangent); return the cotangent table."""
    ct_env = dict(seeds)
    pop = ct_env.pop
    rules = vjp_rules
    for eqn in reversed(tape):
        outs = eqn.outputs
        prim = eqn.prim
        if len(outs) == 1 and not prim.multiple_results and prim not in vjp_wants_mask:
            # the hot path, inlined: one output, the rule called on it directly
            ct = pop(outs[0], None)
            if ct is None:
                continue
            rule = rules.get(prim)
            if rule is None:
                raise MissingRuleError("VJP", prim)
            ov = eqn.out_vals
            in_cts = rule(ct, ov[0] if ov else None, *eqn.in_vals, **eqn.params)
        else:
            cts = [pop(v, None) for v in outs]
            if all(c is None for c in cts):
                continue
            in_cts = _apply_vjp(eqn, cts)
        for v, ct in zip(eqn.inputs, in_cts):
            if v is None or ct is None:
                continue
            prev = ct_env.get(v)
            ct_env[v] = ct if prev is None else add(prev, ct)
    return ct_env


def _apply_vjp(eqn, cts):
    prim = eqn.prim
    rule = vjp_rules.get(prim)
    if rule is None:
        raise MissingRuleError("VJP", prim)
    if prim.multiple_results:
        return rule(cts, eqn.out_vals, *eqn.in_vals, **eqn.params)
    out = eqn.out_vals[0] if eqn.out_vals else None
    if prim in vjp_wants_mask:
        return rule(cts[0], out, *eqn.in_vals, _needs=[v is not None for v in eqn.inputs],
                    **eqn.params)
    return rule(cts[0], out, *eqn.in_vals, **eqn.params)


def _unwrap_out(trace, x):
    """(primal, var) of an output of the traced function."""
    if isinstance(x, TapeTracer) and x._trace is trace:
        return x.primal, x.var
    return x, None


def vjp_flat(fun, primals, *, has_aux=False, one_shot=False):
    """Reverse mode on flat lists: ``fun(*primals) -> list`` (and aux)."""
    with new_trace(TapeTrace, []) as trace:
        ins = [TapeTracer(trace, p, Var()) for p in primals]
        res = fun(*ins)
        outs, aux = res if has_aux else (res, None)
        pairs = [_unwrap_out(trace, o) for o in outs]
        if has_aux:
            aux = unwrap_all(trace, aux)
    tape = trace.tape
    trace.tape = None
    in_vars = [t.var for t in ins]
    out_primals = [p for p, _ in pairs]
    out_vars = [v for _, v in pairs]

    def pullback(cts):
        seeds = {}
        for v, ct in zip(out_vars, cts):
            if v is not None and ct is not None:
                seeds[v] = ct if v not in seeds else add(seeds[v], ct)
        env = backward_pass(tape, seeds)
        if one_shot:
            tape.clear()
        return [env.get(v) for v in in_vars]

    if has_aux:
        return out_primals, pullback, aux
    return out_primals, pullback


def unwrap_all(trace, tree):
    from tensorlib._src.tree_util import tree_map

    return tree_map(lambda x: _unwrap_out(trace, x)[0], tree)


def instantiate(ct, like):
    if ct is not None:
        return ct
    aval = get_aval(like)
    dt = aval.dtype if dtypes.is_inexact(aval.dtype) else dtypes.float0
    if dt == dtypes.float0:
        import numpy as np

        return np.zeros(aval.shape, dtypes.float0)
    return full(aval.shape, 0, dt)


# --------------------------------------------------------------------------------------------
# forward mode


class JVPTracer(PrimalTracer):
    __slots__ = ("tangent",)

    def __init__(self, trace, primal, tangent):
        self._trace = trace
        self._set_primal(primal)
        self.tangent = tangent


class JVPTrace(Trace):
    __slots__ = ()

    def pure(self, val):
        return JVPTracer(self, val, None)

    lift = pure

    def process_primitive(self, prim, tracers, params):
        inline = inline_rules.get(prim)
        if inline is not None:
            return inline(self, tracers, params)
        primals = [t.primal for t in tracers]
        tangents = [t.tangent for t in tracers]
        if all(t is None for t in tangents) or prim in nondiff:
            return prim.bind(*primals, **params)
        rule = jvp_rules.get(prim)
        if rule is None:
            raise MissingRuleError("JVP", prim)
        out, t_out = rule(primals, tangents, **params)
        if prim.multiple_results:
            return [JVPTracer(self, o, t) for o, t in zip(out, t_out)]
        return JVPTracer(self, out, t_out)


def jvp_flat(fun, primals, tangents):
    with new_trace(JVPTrace) as trace:
        ins = [JVPTracer(trace, p, t) for p, t in zip(primals, tangents)]
        outs = fun(*ins)
        res = []
        for o in outs:
            if isinstance(o, JVPTracer) and o._trace is trace:
                res.append((o.primal, o.tangent))
            else:
                res.append((o, None))
    return [p for p, _ in res], [t for _, t in res]
