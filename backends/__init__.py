"""Backends of tensorlib, installed as ``tensorlib.backends``.

Each backend module defines ``load()``, which registers its eager kernels and returns the
backend object; ``tensorlib`` calls it once, when the backend is first used. Third-party
backends can add themselves with the ``tensorlib.backends`` entry-point group.
"""

if __name__ != "tensorlib.backends":
    # From the repository root this folder is importable as plain ``backends``, which would
    # load every kernel registry a second time.
    raise ImportError(
        "import the backends as tensorlib.backends (install tensorlib with `pip install -e .`), "
        "not as a top-level 'backends' package"
    )

# The registry of backends lives with the loader (which imports none of them); it is this
# package's BACKENDS too, for code that adds a backend at run time.
from tensorlib._src.loader import BACKENDS as BACKENDS  # noqa: E402
