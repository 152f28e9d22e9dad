"""Parameter initializers, as in ``jax.nn.initializers``: ``init(key, shape, dtype) -> Array``."""

from tensorlib._src.nn_initializers import compute_fans as compute_fans
from tensorlib._src.nn_initializers import constant as constant
from tensorlib._src.nn_initializers import delta_orthogonal as delta_orthogonal
from tensorlib._src.nn_initializers import glorot_normal as glorot_normal
from tensorlib._src.nn_initializers import glorot_uniform as glorot_uniform
from tensorlib._src.nn_initializers import he_normal as he_normal
from tensorlib._src.nn_initializers import he_uniform as he_uniform
from tensorlib._src.nn_initializers import kaiming_normal as kaiming_normal
from tensorlib._src.nn_initializers import kaiming_uniform as kaiming_uniform
from tensorlib._src.nn_initializers import lecun_normal as lecun_normal
from tensorlib._src.nn_initializers import lecun_uniform as lecun_uniform
from tensorlib._src.nn_initializers import normal as normal
from tensorlib._src.nn_initializers import ones as ones
from tensorlib._src.nn_initializers import orthogonal as orthogonal
from tensorlib._src.nn_initializers import truncated_normal as truncated_normal
from tensorlib._src.nn_initializers import uniform as uniform
from tensorlib._src.nn_initializers import variance_scaling as variance_scaling
from tensorlib._src.nn_initializers import xavier_normal as xavier_normal
from tensorlib._src.nn_initializers import xavier_uniform as xavier_uniform
from tensorlib._src.nn_initializers import zeros as zeros
