"""SciPy-style functions (``tensorlib.scipy``), as in ``jax.scipy``: ``special`` and ``stats``."""

from tensorlib.scipy import special as special
from tensorlib.scipy import stats as stats
