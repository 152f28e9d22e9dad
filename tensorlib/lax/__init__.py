"""Primitive-level operations (``tensorlib.lax``), as in ``jax.lax``."""

# ruff: noqa: F401
from tensorlib._src.api import stop_gradient as stop_gradient
from tensorlib._src.ops.elementwise import (
    bitcast_convert_type as bitcast_convert_type,
    convert_element_type as convert_element_type,
    integer_pow as integer_pow,
    reciprocal as reciprocal,
    round as round,
    select_n as select_n,
    square as square,
)
from tensorlib._src.ops.family import lax_functions as _lax_functions
from tensorlib._src.ops.index import gather as gather
from tensorlib._src.ops.index import scatter as scatter
from tensorlib._src.ops.index import sort as sort
from tensorlib._src.ops.reduce import Precision as Precision
from tensorlib._src.ops.reduce import (
    argmax as argmax,
    argmin as argmin,
    cummax as cummax,
    cummin as cummin,
    cumprod as cumprod,
    cumsum as cumsum,
    dot_general as dot_general,
    reduce_and as reduce_and,
    reduce_max as reduce_max,
    reduce_min as reduce_min,
    reduce_or as reduce_or,
    reduce_prod as reduce_prod,
    reduce_sum as reduce_sum,
)
from tensorlib._src.ops.shape import (
    broadcast_in_dim as broadcast_in_dim,
    broadcasted_iota as broadcasted_iota,
    concatenate as concatenate,
    dynamic_slice as dynamic_slice,
    dynamic_update_slice as dynamic_update_slice,
    expand_dims as expand_dims,
    iota as iota,
    pad as pad,
    reshape as reshape,
    rev as rev,
    slice as slice,
    slice_in_dim as slice_in_dim,
    squeeze as squeeze,
    transpose as transpose,
)
from tensorlib._src.lax_elementwise import (
    select as select,
    clamp as clamp,
)
from tensorlib._src.lax_reductions import (
    dot as dot,
    reduce as reduce,
)
from tensorlib._src.lax_creation import (
    full as full,
    full_like as full_like,
)
from tensorlib._src.lax_slicing import (
    dynamic_slice_in_dim as dynamic_slice_in_dim,
    dynamic_update_slice_in_dim as dynamic_update_slice_in_dim,
    dynamic_index_in_dim as dynamic_index_in_dim,
    index_in_dim as index_in_dim,
)
from tensorlib._src.lax_sorting import (
    sort_key_val as sort_key_val,
    top_k as top_k,
)
from tensorlib._src.control.associative_scan import associative_scan as associative_scan
from tensorlib._src.control import (
    cond as cond,
    fori_loop as fori_loop,
    map as map,
    scan as scan,
    switch as switch,
    while_loop as while_loop,
)
from tensorlib._src.collectives import (
    all_gather as all_gather,
    axis_index as axis_index,
    pmax as pmax,
    pmean as pmean,
    pmin as pmin,
    ppermute as ppermute,
    psum as psum,
)
from tensorlib._src.ops.conv import (
    conv_general_dilated as conv_general_dilated,
    conv as conv,
    conv_transpose as conv_transpose,
    conv_with_general_padding as conv_with_general_padding,
)
from tensorlib._src.ops.reduce_window import reduce_window as reduce_window
from tensorlib._src.ops.conv_dimensions import ConvDimensionNumbers as ConvDimensionNumbers

# The unary and binary elementwise families (abs, add, exp, ...): one function per table entry
# of tensorlib._src.ops.elementwise, so a new entry is public without another edit here.
globals().update(_lax_functions())
