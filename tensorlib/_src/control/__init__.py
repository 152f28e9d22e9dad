"""Structured control flow as higher-order primitives that hold closed graphs."""

from tensorlib._src.control import custom as custom  # noqa: F401  (custom_jvp, custom_vjp)
from tensorlib._src.control.cond import cond as cond
from tensorlib._src.control.cond import cond_p as cond_p
from tensorlib._src.control.cond import switch as switch
from tensorlib._src.control.graphs import ControlFlowError as ControlFlowError
from tensorlib._src.control.loops import fori_loop as fori_loop
from tensorlib._src.control.loops import while_grad_p as while_grad_p
from tensorlib._src.control.loops import while_loop as while_loop
from tensorlib._src.control.loops import while_p as while_p
from tensorlib._src.control.remat import checkpoint_p as checkpoint_p
from tensorlib._src.control.remat import name_p as name_p
from tensorlib._src.control.scan import map as map
from tensorlib._src.control.scan import scan as scan
from tensorlib._src.control.scan import scan_p as scan_p
