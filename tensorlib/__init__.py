"""tensorlib: an eager-first array library with composable transformations.

    import tensorlib as tl
    import tensorlib.numpy as tnp
"""

# ruff: noqa: F401
from tensorlib._src.api import (
    grad as grad,
    hessian as hessian,
    jacfwd as jacfwd,
    jacrev as jacrev,
    jacrev as jacobian,
    jvp as jvp,
    linear_transpose as linear_transpose,
    linearize as linearize,
    named_scope as named_scope,
    stop_gradient as stop_gradient,
    value_and_grad as value_and_grad,
    vjp as vjp,
)
from tensorlib._src.callback import pure_callback as pure_callback
from tensorlib._src.disk_cache import clear_caches as clear_caches
from tensorlib._src.control.custom import custom_jvp as custom_jvp
from tensorlib._src.control.custom import custom_vjp as custom_vjp
from tensorlib._src.control.remat import (
    checkpoint as checkpoint,
    checkpoint_name as checkpoint_name,
    checkpoint_policies as checkpoint_policies,
    remat as remat,
)
from tensorlib._src.abstract import (
    ShapeDtypeStruct as ShapeDtypeStruct,
    eval_shape as eval_shape,
    make_jaxpr as make_graph,  # tensorlib's name since the first release
    make_jaxpr as make_jaxpr,
)
from tensorlib._src.backend import (
    backend as backend,
    block_until_ready as block_until_ready,
    device_get as device_get,
    default_backend as default_backend,
    device_put as device_put,
    device_count as device_count,
    devices as devices,
    local_device_count as local_device_count,
    local_devices as local_devices,
)
from tensorlib._src.config import config as config
from tensorlib._src.transforms.batching import vmap as vmap
from tensorlib._src.pmap import pmap as pmap
from tensorlib._src.transforms.jit import (
    disable_jit as disable_jit,
    enable_x64 as enable_x64,
    jit as jit,
)
from tensorlib._src.core import Array as Array
from tensorlib import debug as debug
from tensorlib import distributed as distributed
from tensorlib._src.distributed import (
    process_count as process_count,
    process_index as process_index,
)
from tensorlib import errors as errors
from tensorlib import example_libraries as example_libraries
from tensorlib import lax as lax
from tensorlib import nn as nn
from tensorlib import numpy as numpy
from tensorlib import random as random
from tensorlib import tree as tree
from tensorlib import tree_util as tree_util

__version__ = "0.1.0"

# Array's operators, methods and properties (``x + y``, ``x.sum()``, ``x.at[i].set(v)``)
from tensorlib._src.array_methods import attach_methods as _attach_methods  # noqa: E402

_attach_methods()
