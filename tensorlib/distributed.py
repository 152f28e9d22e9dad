"""Multi-process jobs (``jax.distributed``): pmap across processes and machines through XLA's
distributed runtime and Gloo TCP collectives. See the "Scaling past one machine" page."""

# ruff: noqa: F401, I001  (re-exports, as in tensorlib/__init__.py)
from tensorlib._src.distributed import (
    initialize as initialize,
    is_initialized as is_initialized,
    process_count as process_count,
    process_index as process_index,
    shutdown as shutdown,
)
