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

# name -> (module, package it needs or None, how to install it)
BACKENDS = {
    "numpy": ("tensorlib.backends.numpy_backend", None, None),
    "xla": ("tensorlib.backends.xla_backend", "jaxlib", "pip install 'jaxlib==0.10.*'"),
    "cupy": ("tensorlib.backends.cupy_backend", "cupy", "pip install cupy-cuda12x"),
}


def _load_entry_points():
    from importlib.metadata import entry_points

    for ep in entry_points(group="tensorlib.backends"):
        BACKENDS.setdefault(ep.name, (ep.value, None, None))


_load_entry_points()
