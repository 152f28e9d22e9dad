"""The NumPy backend's compiler: a graph becomes one flat program over NumPy buffers.

Every equation's kernel is resolved once, at compile time. Runs of elementwise equations
(``tensorlib._src.passes.fusion_groups``) become one generated Numba loop each
(``numba_fusion``) when the cost model says it pays: at least two operations over at least
``TENSORLIB_FUSION_MIN_SIZE`` elements (default 4096; ``TENSORLIB_FUSION=always`` or
``never`` override it). Dot products, reductions, indexing and linear algebra stay NumPy
(BLAS/LAPACK) calls. Buffers live in a list indexed by slot and are released after their
last use, so peak memory follows the live set rather than the whole graph.
"""

from __future__ import annotations

import numpy as np
from tensorlib.backends.xp_kernels import MATMUL_2D

from tensorlib._src import compile_thread
from tensorlib._src.config import config, env
from tensorlib._src.core import Array
from tensorlib._src.dispatch import resolve
from tensorlib._src.ops import reduce as rd
from tensorlib._src.passes import fusion_groups


def _kernel(prim, n_in):
    key = (np.ndarray,) * n_in if n_in else (np.ndarray,)
    fn = prim._impl_cache.get(key)
    return fn if fn is not None else resolve(prim, key)


def fusion_settings():
    mode = env("TENSORLIB_FUSION")
    if mode == "never":
        return None
    return 1 if mode == "always" else env("TENSORLIB_FUSION_MIN_SIZE")


def _units(graph):
    """The program's steps: single equations, or fusion groups in place of their runs."""
    min_size = fusion_settings()
    groups = []
    if min_size is not None and graph.eqns:
        from tensorlib.backends import blocked, numba_fusion

        def can_group(e):
            return numba_fusion.can_fuse(e) or blocked.can_block(e)

        groups = fusion_groups(graph, can_group, min_ops=2, min_size=min_size)
    return units_of(graph, groups)


def units_of(graph, groups):
    """The equations in order, each fusion group in place of its run (shared with the CuPy
    compiler): ``(kind, eqn_or_group, inputs, outputs)``."""
    at_end = {g.eqn_indices[-1]: g for g in groups}
    member = {k for g in groups for k in g.eqn_indices}
    units = []
    for k, e in enumerate(graph.eqns):
        if k in at_end:
            g = at_end[k]
            units.append(("group", g, g.inputs, g.outputs))
        elif k not in member:
            units.append(("eqn", e, e.inputs, e.outputs))
    return units


def plan(graph, units, group_kernel, kernel_of, specialize=None):
    """``(slot, steps)``: every value gets a slot of the run-time buffer list (constants,
    then inputs, then the rest), and each unit becomes a step that also names the slots to
    release after it (their last use). ``group_kernel(group)`` and ``kernel_of(prim, n_in)``
    are the backend's; shared with the CuPy compiler. ``specialize(eqn)``, if given, may
    return a kernel of the buffers alone, with the equation's params fixed at compile time."""
    slot = {}
    for v in list(graph.constvars) + list(graph.invars):
        slot[id(v)] = len(slot)
    last_use = {}
    for k, (_, _, ins, outs) in enumerate(units):
        for v in ins:
            last_use[id(v)] = k
        for v in outs:
            slot.setdefault(id(v), len(slot))
    pinned = {id(v) for v in list(graph.outvars) + list(graph.invars) + list(graph.constvars)}
    steps = []
    for k, (kind, obj, ins_v, outs_v) in enumerate(units):
        ins = tuple(slot[id(v)] for v in ins_v)
        outs = tuple(slot[id(v)] for v in outs_v)
        free = tuple(slot[id(v)] for v in ins_v if last_use.get(id(v)) == k
                     and id(v) not in pinned)
        if kind == "group":
            steps.append((2, group_kernel(obj), ins, outs, None, free, None))
        elif obj.prim.impl is not None:
            weak = tuple(v.aval.weak_type for v in obj.inputs)
            steps.append((1, obj.prim, ins, outs, obj.params, free, weak))
        else:
            fn = specialize(obj) if specialize is not None else None
            if fn is not None:
                steps.append((0, fn, ins, outs, _NO_PARAMS, free, obj.prim.multiple_results))
                continue
            fn = kernel_of(obj.prim, len(ins))
            steps.append((0, fn, ins, outs, obj.params, free, obj.prim.multiple_results))
    return slot, steps


_NO_PARAMS: dict = {}


def program(steps, n_args, out_slots, name="program"):
    """``plan``'s steps as one generated Python function of the first ``n_args`` slots
    (constants, then inputs) returning the output buffers.

    Straight-line code over local variables: no buffer list to index, no per-step tuple to
    unpack, ``del`` where a buffer's last use is (so peak memory still follows the live set).
    In a loop body run thousands of times, this is most of the executor's cost.
    """
    env = {"_impl": _run_impl}
    lines = [f"def {name}({', '.join(f'b{i}' for i in range(n_args))}):"]
    for j, (kind, fn, ins, outs, params, free, extra) in enumerate(steps):
        env[f"k{j}"] = fn
        args = ", ".join(f"b{i}" for i in ins)
        if kind == 0:
            if params:
                env[f"p{j}"] = params
                args = f"{args}, **p{j}" if args else f"**p{j}"
            call = f"k{j}({args})"
            multiple = extra
        elif kind == 2:
            call, multiple = f"k{j}({args})", True
        else:
            env[f"p{j}"], env[f"w{j}"] = params, extra
            call, multiple = f"_impl(k{j}, p{j}, w{j}, ({args}{',' if ins else ''}))", True
        if multiple:
            targets = ", ".join(f"b{o}" for o in outs)
            lines.append(f"    {targets}{',' if len(outs) == 1 else ''} = {call}"
                         if outs else f"    {call}")
        else:
            lines.append(f"    b{outs[0]} = {call}")
        if free:
            lines.append(f"    del {', '.join(f'b{i}' for i in dict.fromkeys(free))}")
    lines.append(f"    return [{', '.join(f'b{s}' for s in out_slots)}]")
    source = "\n".join(lines) + "\n"
    exec(compile(source, f"<tensorlib {name}>", "exec"), env)  # noqa: S102
    fn = env[name]
    fn.source = source
    return fn


def _run_impl(prim, params, weak, bufs):
    """A step of a primitive that runs through its ``impl`` (a jit call, a custom call)."""
    res = prim.impl(*[Array(b, w) for b, w in zip(bufs, weak)], **params)
    return [a._buf for a in (res if prim.multiple_results else (res,))]


def _ufunc_binaries():
    from tensorlib._src.ops import elementwise as ew

    # binary primitives whose NumPy kernel is the ufunc itself (NumPy broadcasting applies);
    # div only on inexact dtypes (integer division has its own kernel)
    return {ew.add_p, ew.sub_p, ew.mul_p, ew.div_p, ew.max_p, ew.min_p}


def elide_broadcasts(graph, units):
    """Single binary equations read the operand of a ``broadcast_in_dim`` instead of the
    broadcast, where NumPy's own broadcasting gives the same result: the broadcast aligns the
    trailing axes (``b`` of ``h @ W + b``), the other operand has the full shape, and the
    kernel is a ufunc. A broadcast left without users is dropped: in a small-array program
    (a deep MLP's bias adds and their gradients) each is a step of its own."""
    from tensorlib._src.ir import Eqn
    from tensorlib._src.ops import elementwise as ew
    from tensorlib._src.ops import shape as sh

    binaries = _ufunc_binaries()
    src = {}  # id(broadcast output) -> its operand, for trailing-aligned broadcasts
    for kind, obj, _, _ in units:
        if kind == "eqn" and obj.prim is sh.broadcast_in_dim_p:
            x, out = obj.inputs[0], obj.outputs[0]
            n, r = len(out.aval.shape), len(x.aval.shape)
            if tuple(obj.params["broadcast_dimensions"]) == tuple(range(n - r, n)):
                src[id(out)] = x
    if not src:
        return units
    rewritten = []
    for kind, obj, ins, outs in units:
        if (kind == "eqn" and obj.prim in binaries and not obj.params and len(ins) == 2
                and (obj.prim is not ew.div_p
                     or np.dtype(obj.outputs[0].aval.dtype).kind in "fc")):
            shape = obj.outputs[0].aval.shape
            new = list(ins)
            for i in (0, 1):
                other = ins[1 - i]
                if id(ins[i]) in src and other.aval.shape == shape and id(other) not in src:
                    new[i] = src[id(ins[i])]
                    break
            if new != list(ins):
                rewritten.append((kind, Eqn(obj.prim, new, obj.params, obj.outputs), new, outs))
                continue
        rewritten.append((kind, obj, ins, outs))
    used = {id(v) for _, _, ins, _ in rewritten for v in ins}
    used.update(id(v) for v in graph.outvars)
    return [u for u in rewritten if not (u[0] == "eqn" and u[1].prim is sh.broadcast_in_dim_p
                                         and id(u[1].outputs[0]) in src
                                         and id(u[1].outputs[0]) not in used)]


def _group_kernel(group, numba=True):
    """The cost model's choice for one fusion group (never a Numba loop without ``numba``).

    Arithmetic chains become one Numba loop (one pass over memory, values in registers).
    Chains with transcendental functions run blocked: NumPy's SIMD ufuncs over cache-sized
    tiles, since Numba from PyPI has no vector math library and calls libm per element.
    """
    from tensorlib.backends import blocked, numba_fusion

    transcendental = any(e.prim in blocked.TRANSCENDENTAL for e in group.eqns)
    if numba and not transcendental and all(numba_fusion.can_fuse(e) for e in group.eqns):
        size = int(np.prod(group.shape, dtype=np.int64))
        parallel_min = env("TENSORLIB_FUSION_PARALLEL_MIN")
        return _Tiered(group, lambda: numba_fusion.build_kernel(
            group.eqns, group.inputs, group.outputs, parallel=size >= parallel_min))
    if all(blocked.can_block(e) for e in group.eqns):
        return blocked.BlockedGroup(group.eqns, group.inputs, group.outputs, group.shape)
    return _unfused(group)


class _Tiered:
    """A fused group that runs its equations one by one (NumPy) on its first call and as the
    generated Numba loop from its second on: a jitted function called once (a notebook cell,
    a script's first step) does not wait for Numba to compile (~0.3 s per loop, and Numba's
    own import on the first), and one called again gets the fused loop. The loop is the same
    arithmetic in the same order, so the results agree.

    ``compile_tier`` (``tl.config`` / ``TENSORLIB_COMPILE_TIER``) chooses: ``"tiered"`` (the
    above), ``"compiled"`` (the loop from the first call: Numba compiles before it returns)
    or ``"background"`` (a background thread compiles the loop from the first call on; calls
    run unfused until it is ready, so no call waits for Numba)."""

    __slots__ = ("_build", "_run", "_warm", "_background", "_pending")

    def __init__(self, group, build):
        self._build = build
        self._run = _unfused(group)
        tier = config.compile_tier
        self._warm = tier == "compiled"
        self._background = tier == "background"
        self._pending = None

    def __call__(self, *bufs):
        if self._build is not None:
            if self._background:
                self._poll()
            elif not self._warm:
                self._warm = True
            else:
                self._run, self._build = self._build(), None
        return self._run(*bufs)

    def _poll(self):
        p = self._pending
        if p is None:
            self._pending = compile_thread.submit(self._build)
        elif p.done():
            self._build = None
            try:
                self._run = p.result()
            except Exception:  # noqa: BLE001 - the unfused tier stays, and it is correct
                pass


def _unfused(group):
    """A group neither strategy takes: its equations one by one (still correct)."""
    kernels = [(e, _kernel(e.prim, len(e.inputs))) for e in group.eqns]
    pos = {id(v): k for k, v in enumerate(group.inputs)}

    def run(*bufs):
        env = {id(v): bufs[k] for v, k in ((v, pos[id(v)]) for v in group.inputs)}
        for e, fn in kernels:
            env[id(e.outputs[0])] = fn(*[env[id(v)] for v in e.inputs], **e.params)
        return [env[id(v)] for v in group.outputs]

    return run


def specialize(eqn):
    """A compiled graph's kernel for ``eqn`` with its params bound at compile time, or None
    (the generic kernel then): a 2-D matmul becomes one ``numpy.dot`` on (transposed) views,
    without reading its dimension numbers at every call (2-3 us of a 4 us call in a loop)."""
    if eqn.prim is not rd.dot_general_p:
        return None
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    x, y = (v.aval for v in eqn.inputs)
    if (lb or rb or x.ndim != 2 or y.ndim != 2 or x.dtype.kind not in "fc" or x.dtype != y.dtype
            or eqn.params["preferred_element_type"] not in (None, x.dtype)):
        return None
    tt = MATMUL_2D.get((tuple(lc), tuple(rc)))
    if tt is None:
        return None
    dot = np.dot
    if tt == (False, False):
        return dot
    if tt == (False, True):
        return lambda a, b: dot(a, b.T)
    if tt == (True, False):
        return lambda a, b: dot(a.T, b)
    return lambda a, b: dot(a.T, b.T)


def compile_graph(graph, numba=True):
    """``graph`` as one flat NumPy program; ``numba=False`` builds no Numba loop (fused
    groups run blocked or one operation at a time): the XLA backend's first-call tier, which
    must not wait for Numba."""
    from tensorlib._src.control.optimize import split_scans

    graph = split_scans(graph)
    units = elide_broadcasts(graph, _units(graph))
    slot, steps = plan(graph, units, lambda g: _group_kernel(g, numba), _kernel, specialize)
    # a graph staged under another backend (a control-flow body, a custom rule's graph) may
    # hold that backend's constants: the program reads them as host arrays
    const_bufs = [c._buf if isinstance(c._buf, np.ndarray) else np.asarray(c.to_numpy())
                  for c in graph.consts]
    n_consts = len(const_bufs)
    out_slots = [slot[id(v)] for v in graph.outvars]
    out_weak = [v.aval.weak_type for v in graph.outvars]

    prog = program(steps, n_consts + len(graph.invars), out_slots)

    def run(*args):
        return [Array(b, w) for b, w in
                zip(prog(*const_bufs, *[a._buf for a in args]), out_weak)]

    def run_bufs(bufs):
        # the loop kernels' entry (numpy_control): buffers in, buffers out, nothing wrapped
        return prog(*const_bufs, *bufs)

    def stepper(fixed):
        """A loop's runner: the inputs ``fixed`` (a loop's constants) are bound once; then
        ``step(rest) -> outputs`` per iteration."""
        head = list(const_bufs) + list(fixed)
        return lambda rest: prog(*head, *rest)

    run.units = units
    run.kernels = [step[1] for step in steps]  # what each step calls (inspection, tests)
    run.source = prog.source
    run.bufs = run_bufs
    run_bufs.stepper = stepper
    return run
