"""Every public function has a docstring with an example, and every example runs.

The examples run on whichever backend ``TENSORLIB_BACKEND`` names (CI runs both), so they print
values that every backend computes exactly (small integers, rounded results).
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import types

import numpy as np
import pytest

import tensorlib as tl

MODULES = [
    "tensorlib",
    "tensorlib.numpy",
    "tensorlib.numpy.linalg",
    "tensorlib.numpy.fft",
    "tensorlib.lax",
    "tensorlib.random",
    "tensorlib.nn",
    "tensorlib.nn.initializers",
    "tensorlib.tree_util",
    "tensorlib.tree",
    "tensorlib.debug",
    "tensorlib.distributed",
    "tensorlib.cache",
    "tensorlib.example_libraries.stax",
    "tensorlib.example_libraries.optimizers",
    "tensorlib.scipy.special",
] + [f"tensorlib.scipy.stats.{d}" for d in ("norm", "expon", "laplace", "logistic", "uniform",
                                           "cauchy", "t", "bernoulli", "poisson",
                                           "multivariate_normal")]


def _public_functions():
    seen = {}
    for modname in MODULES:
        mod = importlib.import_module(modname)
        names = getattr(mod, "__all__", None) or [n for n in dir(mod) if not n.startswith("_")]
        for name in sorted(names):
            obj = getattr(mod, name)
            if (inspect.ismodule(obj) or inspect.isclass(obj) or not callable(obj)
                    or isinstance(obj, types.GenericAlias)):  # a type alias (KeyPath)
                continue
            seen.setdefault(id(obj), (f"{modname}.{name}", obj))
    return sorted(seen.values(), key=lambda t: t[0])


FUNCTIONS = _public_functions()
IDS = [name for name, _ in FUNCTIONS]


def _globs(fn, name):
    """The names of the public module ``name`` is listed in and the defining module's globals
    (examples may use either), plus the usual aliases."""
    import tensorlib.numpy as tnp

    public = importlib.import_module(name.rsplit(".", 1)[0])
    g = {k: v for k, v in vars(public).items() if not k.startswith("__")}
    mod = inspect.getmodule(fn)
    g.update(vars(mod) if mod is not None else {})
    g.update(tl=tl, tnp=tnp, lax=tl.lax, np=np)
    return g


@pytest.mark.parametrize("name,fn", FUNCTIONS, ids=IDS)
def test_has_docstring_with_example(name, fn):
    doc = inspect.getdoc(fn) or ""
    assert doc.strip(), f"{name} has no docstring"
    assert ">>>" in doc, f"{name}'s docstring has no example (a '>>>' line that doctest runs)"


@pytest.mark.parametrize("name,fn", FUNCTIONS, ids=IDS)
def test_docstring_example_runs(name, fn):
    doc = inspect.getdoc(fn) or ""
    if ">>>" not in doc:
        pytest.skip("no example (test_has_docstring_with_example fails for it)")
    parser = doctest.DocTestParser()
    test = parser.get_doctest(doc, _globs(fn, name), name, None, 0)
    flags = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
    runner = doctest.DocTestRunner(optionflags=flags, verbose=False)
    prev = tl.config.enable_x64
    out = []
    try:
        runner.run(test, out=out.append, clear_globs=True)
    finally:
        tl.config.update("enable_x64", prev)
    assert runner.failures == 0, "".join(out)
