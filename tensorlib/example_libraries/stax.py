"""Stax: a small neural-network specification library, a port of ``jax.example_libraries.stax``.

A layer is a pair ``(init_fun, apply_fun)``:

- ``init_fun(rng, input_shape) -> (output_shape, params)``;
- ``apply_fun(params, inputs, **kwargs) -> outputs``; layers that need randomness (Dropout)
  take a PRNG key as ``rng=``.

Combinators (``serial``, ``parallel``) build layers from layers::

    init_fun, apply_fun = stax.serial(stax.Dense(128), stax.Relu, stax.Dense(10),
                                      stax.LogSoftmax)
    out_shape, params = init_fun(random.PRNGKey(0), (-1, 64))
    logits = apply_fun(params, x)

Convolution and pooling layers (``Conv``, ``ConvTranspose``, ``GeneralConv``, ``MaxPool``,
``AvgPool``, ``SumPool``) use TensorFlow's layout by default (``NHWC`` inputs, ``HWIO``
kernels), as in JAX. Unlike JAX, a batch size of ``-1`` passes through the pooling layers'
``init_fun`` unchanged (JAX's gives 0).
"""

from __future__ import annotations

import functools
import math

import tensorlib.numpy as tnp
from tensorlib._src.nn import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    selu,
    sigmoid,
    softmax,
    softplus,
    standardize,
)
from tensorlib._src.nn_initializers import glorot_normal, normal, ones, zeros
from tensorlib._src.numpy.ufuncs import where as _where
from tensorlib._src.ops import conv as _conv
from tensorlib._src.ops import conv_dimensions as _conv_dims
from tensorlib._src.ops import elementwise as _ew
from tensorlib._src.ops import reduce_window as _rw

__all__ = [
    "AvgPool", "BatchNorm", "Conv", "Conv1DTranspose", "ConvTranspose", "Dense", "Dropout",
    "Elu", "Exp", "FanInConcat", "FanInSum", "FanOut", "Flatten", "Gelu", "GeneralConv",
    "GeneralConvTranspose", "Identity", "LeakyRelu", "LogSoftmax", "MaxPool", "Relu", "Selu",
    "Sigmoid", "Softmax", "Softplus", "SumPool", "Tanh", "elementwise", "parallel", "serial",
    "shape_dependent",
]

glorot = glorot_normal
randn = normal
logsoftmax = log_softmax


def _random():
    # Imported on use, so that importing stax does not require tensorlib.random.
    import tensorlib.random as random

    return random


def Dense(out_dim, W_init=glorot_normal(), b_init=normal()):
    """Fully-connected layer: ``inputs @ W + b`` with ``W`` of shape ``(in_dim, out_dim)``.

    Examples
    --------
    >>> from tensorlib.example_libraries import stax
    >>> init_fun, apply_fun = stax.Dense(4)
    >>> out_shape, (W, b) = init_fun(tl.random.PRNGKey(0), (-1, 3))
    >>> out_shape, W.shape, b.shape
    ((-1, 4), (3, 4), (4,))
    >>> apply_fun((W, b), tnp.ones((2, 3))).shape
    (2, 4)
    """

    def init_fun(rng, input_shape):
        output_shape = tuple(input_shape[:-1]) + (out_dim,)
        k1, k2 = _random().split(rng)
        W, b = W_init(k1, (input_shape[-1], out_dim)), b_init(k2, (out_dim,))
        return output_shape, (W, b)

    def apply_fun(params, inputs, **kwargs):
        W, b = params
        return tnp.dot(inputs, W) + b

    return init_fun, apply_fun



def _conv_layer(dimension_numbers, out_chan, filter_shape, W_init, b_init, out_shape, apply):
    """init/apply of a conv-like layer: kernel laid out by ``rhs_spec``, bias along ``C``."""
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    W_init = W_init or glorot_normal(rhs_spec.index("I"), rhs_spec.index("O"))

    def init_fun(rng, input_shape):
        filter_iter = iter(filter_shape)
        kernel_shape = [out_chan if c == "O" else input_shape[lhs_spec.index("C")] if c == "I"
                        else next(filter_iter) for c in rhs_spec]
        output_shape = out_shape(input_shape, kernel_shape)
        bias_shape = [out_chan if c == "C" else 1 for c in out_spec]
        k1, k2 = _random().split(rng)
        return output_shape, (W_init(k1, kernel_shape), b_init(k2, bias_shape))

    def apply_fun(params, inputs, **kwargs):
        W, b = params
        return apply(inputs, W) + b

    return init_fun, apply_fun


def GeneralConv(dimension_numbers, out_chan, filter_shape, strides=None, padding="VALID",
                W_init=None, b_init=normal(1e-6)):
    """Convolution layer in the layout ``dimension_numbers`` (three strings, e.g.
    ``('NHWC', 'HWIO', 'NHWC')``); the bias has size ``out_chan`` along the output's ``C``.

    Examples
    --------
    >>> from tensorlib.example_libraries import stax
    >>> init_fun, apply_fun = stax.GeneralConv(("NCHW", "OIHW", "NCHW"), 8, (3, 3), padding="SAME")
    >>> out_shape, (W, b) = init_fun(tl.random.PRNGKey(0), (2, 1, 5, 5))
    >>> out_shape, W.shape, b.shape
    ((2, 8, 5, 5), (8, 1, 3, 3), (1, 8, 1, 1))
    """
    one = (1,) * len(filter_shape)
    strides = strides or one
    return _conv_layer(
        dimension_numbers, out_chan, filter_shape, W_init, b_init,
        lambda in_shape, k_shape: _conv.conv_general_shape_tuple(
            in_shape, k_shape, strides, padding, dimension_numbers),
        lambda x, W: _conv.conv_general_dilated(x, W, strides, padding, one, one,
                                                dimension_numbers=dimension_numbers))


Conv = functools.partial(GeneralConv, ("NHWC", "HWIO", "NHWC"))
Conv.__doc__ = """``GeneralConv`` in the layout ``('NHWC', 'HWIO', 'NHWC')``.

Examples
--------
>>> from tensorlib.example_libraries import stax
>>> init_fun, apply_fun = stax.Conv(8, (3, 3), strides=(2, 2))
>>> out_shape, params = init_fun(tl.random.PRNGKey(0), (-1, 28, 28, 1))
>>> out_shape
(-1, 13, 13, 8)
>>> apply_fun(params, tnp.ones((2, 28, 28, 1))).shape
(2, 13, 13, 8)
"""


def GeneralConvTranspose(dimension_numbers, out_chan, filter_shape, strides=None,
                         padding="VALID", W_init=None, b_init=normal(1e-6)):
    """Transposed-convolution layer (``lax.conv_transpose``) in ``dimension_numbers``.

    Examples
    --------
    >>> from tensorlib.example_libraries import stax
    >>> dn = ("NCH", "IOH", "NCH")
    >>> init_fun, apply_fun = stax.GeneralConvTranspose(dn, 4, (3,), strides=(2,))
    >>> out_shape, (W, b) = init_fun(tl.random.PRNGKey(0), (-1, 2, 5))
    >>> out_shape, W.shape, b.shape
    ((-1, 4, 11), (2, 4, 3), (1, 4, 1))
    """
    strides = strides or (1,) * len(filter_shape)
    return _conv_layer(
        dimension_numbers, out_chan, filter_shape, W_init, b_init,
        lambda in_shape, k_shape: _conv.conv_transpose_shape_tuple(
            in_shape, k_shape, strides, padding, dimension_numbers),
        lambda x, W: _conv.conv_transpose(x, W, strides, padding,
                                          dimension_numbers=dimension_numbers))


Conv1DTranspose = functools.partial(GeneralConvTranspose, ("NHC", "HIO", "NHC"))
Conv1DTranspose.__doc__ = """``GeneralConvTranspose`` in the layout ``('NHC', 'HIO', 'NHC')``.

Examples
--------
>>> from tensorlib.example_libraries import stax
>>> init_fun, apply_fun = stax.Conv1DTranspose(4, (3,))
>>> out_shape, params = init_fun(tl.random.PRNGKey(0), (-1, 5, 2))
>>> out_shape
(-1, 7, 4)
"""
ConvTranspose = functools.partial(GeneralConvTranspose, ("NHWC", "HWIO", "NHWC"))
ConvTranspose.__doc__ = """``GeneralConvTranspose`` in the layout ``('NHWC', 'HWIO', 'NHWC')``.

Examples
--------
>>> from tensorlib.example_libraries import stax
>>> init_fun, apply_fun = stax.ConvTranspose(8, (3, 3), strides=(2, 2), padding="SAME")
>>> out_shape, params = init_fun(tl.random.PRNGKey(0), (-1, 4, 4, 3))
>>> out_shape  # upsampled by the stride
(-1, 8, 8, 8)
>>> apply_fun(params, tnp.ones((2, 4, 4, 3))).shape
(2, 8, 8, 8)
"""


def _pool_shape(input_shape, window_shape, strides, padding):
    pads = _conv_dims.padtype_to_pads(input_shape, window_shape, strides, padding)
    out = _conv.reduce_window_shape_tuple(input_shape, window_shape, strides, pads)
    # a unit, unpadded window keeps an unknown (-1) batch size
    return tuple(n if w == s == 1 and p == (0, 0) and n < 0 else o
                 for n, o, w, s, p
                 in zip(input_shape, out, window_shape, strides, pads, strict=True))


def _pooling_layer(reducer, init_val, rescaler=None, doc=None):
    def PoolingLayer(window_shape, strides=None, padding="VALID", spec=None):
        """Pooling layer over the spatial axes (``spec``: the input layout, default NHWC)."""
        window_shape = tuple(window_shape)
        strides = tuple(strides or (1,) * len(window_shape))
        rescale = rescaler(window_shape, strides, padding) if rescaler else None
        non_spatial = (0, len(window_shape) + 1) if spec is None else (
            spec.index("N"), spec.index("C"))
        for i in sorted(non_spatial):
            window_shape = window_shape[:i] + (1,) + window_shape[i:]
            strides = strides[:i] + (1,) + strides[i:]

        def init_fun(rng, input_shape):
            return _pool_shape(tuple(input_shape), window_shape, strides, padding), ()

        def apply_fun(params, inputs, **kwargs):
            out = _rw.reduce_window(inputs, init_val, reducer, window_shape, strides, padding)
            return rescale(out, inputs, spec) if rescale else out

        return init_fun, apply_fun

    PoolingLayer.__doc__ = doc
    return PoolingLayer


def _normalize_by_window_size(dims, strides, padding):
    def rescale(outputs, inputs, spec):
        non_spatial = (0, inputs.ndim - 1) if spec is None else (spec.index("N"),
                                                                 spec.index("C"))
        spatial_shape = tuple(n for i, n in enumerate(inputs.shape) if i not in non_spatial)
        one = tnp.ones(spatial_shape, dtype=inputs.dtype)
        window_sizes = _rw.reduce_window(one, 0.0, _ew.add, dims, strides, padding)
        for i in sorted(non_spatial):
            window_sizes = tnp.expand_dims(window_sizes, i)
        return outputs / window_sizes

    return rescale


_POOL_DOC = """{what} over windows of the spatial axes (``spec``: the input layout, default NHWC).

Examples
--------
>>> from tensorlib.example_libraries import stax
{example}
"""

MaxPool = _pooling_layer(_ew.max, -float("inf"), doc=_POOL_DOC.format(
    what="Maximum", example="""\
>>> init_fun, apply_fun = stax.MaxPool((2, 2), strides=(2, 2))
>>> init_fun(None, (-1, 4, 4, 1))[0]
(-1, 2, 2, 1)
>>> apply_fun((), tnp.arange(16.0).reshape(1, 4, 4, 1))[0, :, :, 0]
Array([[ 5.,  7.],
       [13., 15.]], dtype=float32)"""))
SumPool = _pooling_layer(_ew.add, 0.0, doc=_POOL_DOC.format(
    what="Sum", example="""\
>>> init_fun, apply_fun = stax.SumPool((2,), padding="SAME")  # NWC input
>>> apply_fun((), tnp.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 4, 1))[0, :, 0]
Array([3., 5., 7., 4.], dtype=float32)"""))
AvgPool = _pooling_layer(_ew.add, 0.0, _normalize_by_window_size, doc=_POOL_DOC.format(
    what="Mean (of the unpadded elements)", example="""\
>>> init_fun, apply_fun = stax.AvgPool((2,), padding="SAME")  # NWC input
>>> apply_fun((), tnp.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 4, 1))[0, :, 0]
Array([1.5, 2.5, 3.5, 4. ], dtype=float32)
>>> stax.AvgPool((2,), spec="NCW")[0](None, (-1, 3, 4))[0]  # JAX's init_fun gives (0, 3, 3)
(-1, 3, 3)"""))

def BatchNorm(axis=(0, 1, 2), epsilon=1e-5, center=True, scale=True, beta_init=zeros,
              gamma_init=ones):
    """Batch normalization over ``axis`` (batch statistics; no running averages, as in JAX).

    ``beta`` and ``gamma`` have the input shape without the normalized axes.

    Examples
    --------
    >>> from tensorlib.example_libraries import stax
    >>> init_fun, apply_fun = stax.BatchNorm(axis=0)
    >>> out_shape, (beta, gamma) = init_fun(tl.random.PRNGKey(0), (4, 2))
    >>> beta.shape, gamma.shape
    ((2,), (2,))
    >>> y = apply_fun((beta, gamma), tnp.arange(8.0).reshape(4, 2))
    >>> tnp.round(y[:, 0], 3)  # (x - mean) / std along axis 0
    Array([-1.342, -0.447,  0.447,  1.342], dtype=float32)
    """

    def _beta_init(rng, shape):
        return beta_init(rng, shape) if center else ()

    def _gamma_init(rng, shape):
        return gamma_init(rng, shape) if scale else ()

    axis = (axis,) if isinstance(axis, int) else tuple(axis)

    def init_fun(rng, input_shape):
        shape = tuple(d for i, d in enumerate(input_shape) if i not in axis)
        k1, k2 = _random().split(rng)
        return input_shape, (_beta_init(k1, shape), _gamma_init(k2, shape))

    def apply_fun(params, x, **kwargs):
        beta, gamma = params
        ed = tuple(None if i in axis else slice(None) for i in range(tnp.ndim(x)))
        z = standardize(x, axis, epsilon=epsilon)
        if center and scale:
            return gamma[ed] * z + beta[ed]
        if center:
            return z + beta[ed]
        if scale:
            return gamma[ed] * z
        return z

    return init_fun, apply_fun


def elementwise(fun, **fun_kwargs):
    """Layer applying ``fun(inputs, **fun_kwargs)``; no parameters.

    Examples
    --------
    >>> from tensorlib.example_libraries import stax
    >>> init_fun, apply_fun = stax.elementwise(tl.nn.leaky_relu, negative_slope=0.5)
    >>> apply_fun((), tnp.array([-2.0, 3.0]))
    Array([-1.,  3.], dtype=float32)
    """

    def init_fun(rng, input_shape):
        return input_shape, ()

    def apply_fun(params, inputs, **kwargs):
        return fun(inputs, **fun_kwargs)

    return init_fun, apply_fun


Tanh = elementwise(tnp.tanh)
Relu = elementwise(relu)
Exp = elementwise(tnp.exp)
LogSoftmax = elementwise(log_softmax, axis=-1)
Softmax = elementwise(softmax, axis=-1)
Softplus = elementwise(softplus)
Sigmoid = elementwise(sigmoid)
Elu = elementwise(elu)
LeakyRelu = elementwise(leaky_relu)
Selu = elementwise(selu)
Gelu = elementwise(gelu)


def _flatten():
    """Layer flattening all but the leading (batch) dimension."""

    def init_fun(rng, input_shape):
        return (input_shape[0], math.prod(input_shape[1:])), ()

    def apply_fun(params, inputs, **kwargs):
        return tnp.reshape(inputs, (inputs.shape[0], -1))

    return init_fun, apply_fun


Flatten = _flatten()


def _identity():
    """Layer returning its inputs."""

    def init_fun(rng, input_shape):
        return input_shape, ()

    def apply_fun(params, inputs, **kwargs):
        return inputs

    return init_fun, apply_fun


Identity = _identity()


def FanOut(num):
    """Layer returning ``num`` copies of its input (a list), for ``parallel`` branches.

    Examples
    --------
    >>> from tensorlib.example_libraries import stax
    >>> init_fun, apply_fun = stax.FanOut(3)
    >>> init_fun(tl.random.PRNGKey(0), (-1, 2))[0]
    [(-1, 2), (-1, 2), (-1, 2)]
    >>> len(apply_fun((), tnp.ones(2)))
    3
    """

    def init_fun(rng, input_shape):
        return [input_shape] * num, ()

    def apply_fun(params, inputs, **kwargs):
        return [inputs] * num

    return init_fun, apply_fun


def _fan_in_sum():
    """Layer summing a list of inputs."""

    def init_fun(rng, input_shape):
        return input_shape[0], ()

    def apply_fun(params, inputs, **kwargs):
        return sum(inputs[1:], inputs[0])

    return init_fun, apply_fun


FanInSum = _fan_in_sum()


def FanInConcat(axis=-1):
    """Layer concatenating a list of inputs along ``axis``.

    Examples
    --------
    >>> from tensorlib.example_libraries import stax
    >>> init_fun, apply_fun = stax.FanInConcat(axis=0)
    >>> init_fun(tl.random.PRNGKey(0), [(2, 3), (4, 3)])[0]
    (6, 3)
    >>> apply_fun((), [tnp.zeros(1), tnp.ones(2)])
    Array([0., 1., 1.], dtype=float32)
    """

    def init_fun(rng, input_shape):
        ax = axis % len(input_shape[0])
        concat_size = sum(shape[ax] for shape in input_shape)
        out_shape = tuple(input_shape[0][:ax]) + (concat_size,) + tuple(input_shape[0][ax + 1:])
        return out_shape, ()

    def apply_fun(params, inputs, **kwargs):
        return tnp.concatenate(inputs, axis)

    return init_fun, apply_fun


def Dropout(rate, mode="train"):
    """Dropout layer; ``rate`` is the probability of *keeping* a unit, as in JAX's stax.

    In ``mode="train"`` each unit is kept with probability ``rate`` and scaled by ``1/rate``;
    ``apply_fun`` needs a PRNG key as ``rng=``. Any other mode is the identity.

    Examples
    --------
    >>> from tensorlib.example_libraries import stax
    >>> init_fun, apply_fun = stax.Dropout(0.5)
    >>> apply_fun((), tnp.ones(6), rng=tl.random.PRNGKey(0))  # kept units are scaled by 1/0.5
    Array([0., 0., 2., 2., 0., 2.], dtype=float32)
    >>> stax.Dropout(0.5, mode="test")[1]((), tnp.ones(3), rng=tl.random.PRNGKey(0))
    Array([1., 1., 1.], dtype=float32)
    """

    def init_fun(rng, input_shape):
        return input_shape, ()

    def apply_fun(params, inputs, **kwargs):
        rng = kwargs.get("rng", None)
        if rng is None:
            raise ValueError("Dropout layer requires apply_fun to be called with a PRNG key "
                             "argument. That is, instead of `apply_fun(params, inputs)`, call "
                             "it like `apply_fun(params, inputs, rng=key)` where `key` is a "
                             "PRNG key (e.g. from `tensorlib.random.PRNGKey`).")
        if mode == "train":
            keep = _random().bernoulli(rng, rate, inputs.shape)
            return _where(keep, inputs / rate, 0)
        return inputs

    return init_fun, apply_fun


def serial(*layers):
    """Compose layers in sequence; params are a list with one entry per layer.

    A key passed as ``rng=`` to ``apply_fun`` is split into one key per layer.

    Examples
    --------
    >>> from tensorlib.example_libraries import stax
    >>> init_fun, apply_fun = stax.serial(stax.Dense(16), stax.Relu, stax.Dense(10),
    ...                                   stax.LogSoftmax)
    >>> out_shape, params = init_fun(tl.random.PRNGKey(0), (-1, 64))
    >>> out_shape, len(params), params[1]  # Relu has no parameters
    ((-1, 10), 4, ())
    >>> apply_fun(params, tnp.ones((5, 64))).shape
    (5, 10)
    """
    nlayers = len(layers)
    init_funs, apply_funs = zip(*layers, strict=True)

    def init_fun(rng, input_shape):
        params = []
        random = _random()
        for init in init_funs:
            rng, layer_rng = random.split(rng)
            input_shape, param = init(layer_rng, input_shape)
            params.append(param)
        return input_shape, params

    def apply_fun(params, inputs, **kwargs):
        rng = kwargs.pop("rng", None)
        rngs = _random().split(rng, nlayers) if rng is not None else (None,) * nlayers
        for fun, param, r in zip(apply_funs, params, rngs, strict=True):
            inputs = fun(param, inputs, rng=r, **kwargs)
        return inputs

    return init_fun, apply_fun


def parallel(*layers):
    """Apply layers side by side to a sequence of inputs (one input per layer).

    Usually combined with ``FanOut`` and ``FanInSum`` / ``FanInConcat``.

    Examples
    --------
    >>> from tensorlib.example_libraries import stax
    >>> init_fun, apply_fun = stax.parallel(stax.Dense(3), stax.Relu)
    >>> out_shape, params = init_fun(tl.random.PRNGKey(0), ((-1, 2), (-1, 5)))
    >>> out_shape
    ((-1, 3), (-1, 5))
    >>> [y.shape for y in apply_fun(params, [tnp.ones((1, 2)), tnp.ones((1, 5))])]
    [(1, 3), (1, 5)]
    >>> skip = stax.serial(stax.FanOut(2), stax.parallel(stax.Dense(3), stax.Identity),
    ...                    stax.FanInConcat())  # concatenate a Dense layer's output with its input
    >>> skip[0](tl.random.PRNGKey(0), (-1, 2))[0]
    (-1, 5)
    """
    nlayers = len(layers)
    init_funs, apply_funs = zip(*layers, strict=True)

    def init_fun(rng, input_shape):
        rngs = _random().split(rng, nlayers)
        outs = [init(r, shape)
                for init, r, shape in zip(init_funs, rngs, input_shape, strict=True)]
        return tuple(o[0] for o in outs), tuple(o[1] for o in outs)

    def apply_fun(params, inputs, **kwargs):
        rng = kwargs.pop("rng", None)
        rngs = _random().split(rng, nlayers) if rng is not None else (None,) * nlayers
        return [f(p, x, rng=r, **kwargs)
                for f, p, x, r in zip(apply_funs, params, inputs, rngs, strict=True)]

    return init_fun, apply_fun


def shape_dependent(make_layer):
    """Delay building a layer until its input shape is known: ``make_layer(input_shape)``.

    Examples
    --------
    >>> from tensorlib.example_libraries import stax
    >>> init_fun, apply_fun = stax.shape_dependent(lambda shape: stax.Dense(shape[-1]))
    >>> init_fun(tl.random.PRNGKey(0), (-1, 5))[0]  # as wide as its input
    (-1, 5)
    """

    def init_fun(rng, input_shape):
        return make_layer(input_shape)[0](rng, input_shape)

    def apply_fun(params, inputs, **kwargs):
        return make_layer(inputs.shape)[1](params, inputs, **kwargs)

    return init_fun, apply_fun
