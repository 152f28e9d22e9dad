"""The documentation site builds with warnings as errors (see docs/README.md).

Runs ``python -m sphinx -W --keep-going -b html docs <tmp>`` in a subprocess, with the output
and doctrees in a temporary folder. (``docs/conf.py`` regenerates ``docs/api/`` and
``docs/notebooks/``, which git ignores.) Skipped when the ``docs`` extra is not installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    pytest.importorskip("sphinx", reason="building the docs needs the docs extra "
                                         "(pip install -e '.[docs]')")
    pytest.importorskip("myst_nb", reason="building the docs needs the docs extra "
                                          "(pip install -e '.[docs]')")
    out = tmp_path / "html"
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
           "-d", str(tmp_path / "doctrees"), str(DOCS), str(out)]
    # conftest.py turns rule checking on for this process; the docs build does not need it.
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENSORLIB_")}
    env["MPLBACKEND"] = "Agg"
    start = time.perf_counter()
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - start
    assert run.returncode == 0, (
        f"sphinx exited with {run.returncode} after {elapsed:.0f} s\n"
        f"---- stderr ----\n{run.stderr[-8000:]}\n---- stdout ----\n{run.stdout[-2000:]}")
    for page in ["index", "getting-started", "sharp-bits", "transformations", "control-flow",
                 "backends", "adding-a-primitive",
                 "tutorials", "array-api-conformance", "api/index", "api/tensorlib.numpy",
                 "notebooks/01_quickstart"]:
        assert (out / f"{page}.html").is_file(), f"{page}.html was not built"
    api = (out / "api" / "tensorlib.html").read_text(encoding="utf-8")
    assert "value_and_grad" in api and "make_graph" in api
    print(f"docs built in {elapsed:.1f} s")
