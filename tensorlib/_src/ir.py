"""The IR shared by the tape and (later) staged graphs: ``Var`` and ``Eqn``.

The tape records ``Eqn(prim, inputs, params, outputs)``; for the backward pass it also keeps the
primal input and output values (``in_vals``, ``out_vals``) the VJP rules need.
"""

from __future__ import annotations


class Var:
    """A value in a tape or graph, identified by object identity."""

    __slots__ = ("aval",)

    def __init__(self, aval=None):
        self.aval = aval


class Eqn:
    __slots__ = ("prim", "inputs", "params", "outputs", "in_vals", "out_vals")

    def __init__(self, prim, inputs, params, outputs, in_vals=None, out_vals=None):
        self.prim = prim
        self.inputs = inputs
        self.params = params
        self.outputs = outputs
        self.in_vals = in_vals
        self.out_vals = out_vals

    def __repr__(self):
        return f"Eqn({self.prim.name}, {len(self.inputs)} in, {len(self.outputs)} out)"
