"""Sphinx configuration of tensorlib's documentation (MyST Markdown, autodoc, notebooks).

Build (see docs/README.md)::

    pip install -e ".[docs]"
    python -m sphinx -W --keep-going -b html docs docs/_build/html

Two folders are generated here at every build, before Sphinx reads the sources (both are
listed in docs/.gitignore; edit the generator below, not the files):

- ``api/``: one page per public module, listing every public name of the module as it is
  at build time (so new functions appear without editing the docs) with autodoc entries;
- ``notebooks/``: copies of the repository's ``notebooks/*.ipynb``, rendered by myst-nb
  *without executing them* (they are executed by tests/test_notebooks.py instead; stored
  without outputs, they render as code and narrative).
"""

from __future__ import annotations

import importlib
import inspect
import re
import shutil
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

# Import the installed tensorlib (`pip install -e .`). The repository root is *not* put on
# sys.path: its top-level `backends/` folder refuses to be imported as a plain package.
import tensorlib  # noqa: E402

project = "tensorlib"
author = "the tensorlib authors"
copyright = "the tensorlib authors"
release = version = tensorlib.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",  # the docstrings are NumPy style ("Examples\n--------")
    # Not sphinx.ext.viewcode: highlighting every source module costs a third of the build
    # time, and the build has to stay well under 90 s on a busy 2-core CI machine.
    "myst_nb",  # MyST Markdown (it includes myst_parser) and the .ipynb notebooks
]

# myst-nb registers the .md and .ipynb source suffixes itself.
root_doc = "index"
exclude_patterns = ["_build", "README.md", "Thumbs.db", ".DS_Store"]

# MyST
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath"]
myst_heading_anchors = 3

# myst-nb: render the notebooks as stored, never execute them while building the docs.
nb_execution_mode = "off"
nb_merge_streams = True

# autodoc / autosummary / napoleon
autosummary_generate = False  # the api/ pages are written below, one page per module
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "signature"
# Show defaults as written (`W_init=glorot_normal()`), not as `<function ...>` reprs. This
# reads each function's source (about 10 s of the build); still well within budget.
autodoc_preserve_defaults = True
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

# HTML
try:
    import furo  # noqa: F401

    html_theme = "furo"
except ImportError:  # the default theme, so the build works with Sphinx alone
    html_theme = "alabaster"
html_title = f"tensorlib {release}"
html_static_path: list[str] = []
html_show_sourcelink = False

# ------------------------------------------------------------------------------------------
# The API pages: every public name of every public module, as it is at build time.

API_MODULES = [
    ("tensorlib", "Transformations, configuration, devices and the ``Array`` type."),
    ("tensorlib.numpy", "The NumPy API on tensorlib arrays (``import tensorlib.numpy as tnp``)."),
    ("tensorlib.numpy.linalg", "Linear algebra (``tnp.linalg``)."),
    ("tensorlib.numpy.fft", "Discrete Fourier transforms (``tnp.fft``)."),
    ("tensorlib.lax", "Primitive-level operations, control flow and collectives."),
    ("tensorlib.random", "Counter-based pseudo-random numbers (Threefry, as ``jax.random``)."),
    ("tensorlib.nn", "Neural-network functions."),
    ("tensorlib.nn.initializers", "Parameter initializers."),
    ("tensorlib.tree_util", "Pytree utilities."),
    ("tensorlib.tree", "Short pytree aliases (``tensorlib.tree.map`` ...)."),
    ("tensorlib.debug", "Debugging helpers."),
    ("tensorlib.errors", "Exception classes."),
    ("tensorlib.distributed", "Multi-process jobs: pmap across processes and machines (XLA)."),
    ("tensorlib.example_libraries.stax", "A small neural-network library (as JAX's)."),
    ("tensorlib.example_libraries.optimizers", "First-order optimizers (as JAX's)."),
    ("tensorlib.scipy.special", "Special functions (as ``jax.scipy.special``)."),
] + [(f"tensorlib.scipy.stats.{d}", f"The ``{d}`` distribution (as ``jax.scipy.stats.{d}``).")
     for d in ("norm", "expon", "laplace", "logistic", "uniform", "cauchy", "t", "bernoulli",
               "poisson", "multivariate_normal")]


_MISSING = object()


def _public_names(mod):
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [n for n in vars(mod) if not n.startswith("_")]
    out = []
    for name in sorted(names, key=str.lower):
        obj = getattr(mod, name, _MISSING)
        if obj is _MISSING or inspect.ismodule(obj):
            continue
        if name in ("annotations",):  # `from __future__ import annotations`
            continue
        out.append((name, obj))
    return out


_SENTENCE_END = re.compile(r"\.(?:\s+)")  # how autosummary splits off the first sentence


def _summary_breaks_markup(obj) -> bool:
    """Whether autosummary's one-line summary of ``obj`` would cut an inline literal in two.

    autosummary keeps the docstring's first sentence, split at the first period followed by
    a space, and reports a docutils warning when that cuts through markup, e.g. the
    ``tnp.polyval`` summary "``p[0] * x**(n-1) + ... + p[n-1]`` by Horner's rule." The
    docstring itself is fine (its autodoc entry below renders it), so such names are left
    out of the summary table only. (We may not edit the library's docstrings from here.)
    """
    doc = inspect.getdoc(obj) or ""
    first = " ".join(doc.split("\n\n")[0].split())
    sentence = _SENTENCE_END.split(first)[0]
    return sentence.count("``") % 2 == 1 or sentence.replace("``", "").count("`") % 2 == 1


def _is_value(obj) -> bool:
    """A plain value (a constant, a stax layer pair), not a function, class or object API."""
    return isinstance(obj, (int, float, complex, str, tuple, type(None)))


def _directive(modname, name, obj):
    if inspect.isclass(obj):
        if issubclass(obj, BaseException):
            return f".. autoexception:: {modname}.{name}\n"
        if modname == "tensorlib" and name == "Array":
            return f".. autoclass:: {modname}.{name}\n   :members:\n"
        return f".. autoclass:: {modname}.{name}\n"
    if isinstance(obj, tuple) and len(obj) == 2 and all(callable(f) for f in obj):
        # stax's parameter-free layers (Relu, Tanh, Flatten, ...) are (init_fun, apply_fun)
        # tuples: autodata would show the docstring of `tuple` itself.
        return (f".. py:data:: {name}\n\n   A layer without parameters: an "
                "``(init_fun, apply_fun)`` pair, used as is (``stax.serial(Dense(10), "
                f"{name})``).\n")
    if _is_value(obj):
        return f".. py:data:: {name}\n   :value: {obj!r}\n"
    if callable(obj):
        return f".. autofunction:: {modname}.{name}\n"
    return f".. autodata:: {modname}.{name}\n   :no-value:\n"


def _write_if_changed(path: Path, text: str):
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def write_api_pages():
    out = DOCS / "api"
    out.mkdir(exist_ok=True)
    index = [
        "API reference",
        "=============",
        "",
        "Every public name of each public module, generated from the docstrings at build time.",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
    ]
    for modname, blurb in API_MODULES:
        mod = importlib.import_module(modname)
        entries = _public_names(mod)
        lines = [
            f"``{modname}``",
            "=" * (len(modname) + 4),
            "",
            f".. module:: {modname}",
            "",
            blurb,
            "",
            ".. autosummary::",
            "   :nosignatures:",
            "",
        ]
        lines += [f"   {name}" for name, obj in entries
                  if not _is_value(obj) and not _summary_breaks_markup(obj)]
        values = [name for name, obj in entries if _is_value(obj)]
        if values:
            lines += ["", "Values: " + ", ".join(f":data:`{name}`" for name in values) + "."]
        lines += ["", "----", ""]
        lines += [_directive(modname, name, obj) for name, obj in entries]
        _write_if_changed(out / f"{modname}.rst", "\n".join(lines) + "\n")
        index.append(f"   {modname}")
    _write_if_changed(out / "index.rst", "\n".join(index) + "\n")


def copy_notebooks():
    out = DOCS / "notebooks"
    out.mkdir(exist_ok=True)
    sources = sorted((ROOT / "notebooks").glob("*.ipynb"))
    keep = {p.name for p in sources}
    for stale in out.glob("*.ipynb"):
        if stale.name not in keep:
            stale.unlink()
    for src in sources:
        dst = out / src.name
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            shutil.copyfile(src, dst)


write_api_pages()
copy_notebooks()
