"""Execute every notebook in notebooks/ with nbclient, as a reader would run it.

Each notebook runs top to bottom in a fresh ``python3`` kernel started in ``notebooks/``, in
memory only: outputs are never written back (the files are stored with outputs cleared, which
``test_notebooks_are_stored_without_outputs`` checks). A cell that raises fails the test with
the notebook's name, the cell's number and source, and the error with its traceback.

The kernel gets the environment of a user's shell, not the test suite's: ``conftest.py`` turns
on ``TENSORLIB_CHECK_RULES`` (and sets ``TENSORLIB_NUM_CPU_DEVICES``) for this process, so
every ``TENSORLIB_*`` variable is removed; notebooks that need one set it themselves.

Needs ``nbclient``, ``nbformat`` and ``ipykernel`` (the ``test`` extra); skipped without them.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT_S = 120
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _kernel_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENSORLIB_")}
    env["MPLBACKEND"] = "Agg"  # no display in CI; the notebooks also select Agg themselves
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # silences a debugger warning of ipykernel
    return env


def _describe_failure(nb, path: Path, exc: BaseException) -> str:
    """The first cell with an error output: its number, source and traceback."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                tb = _ANSI.sub("", "\n".join(out.get("traceback", [])))
                return (f"{path.name}: cell {index} raised {out.get('ename')}: "
                        f"{out.get('evalue')}\n"
                        f"---- cell {index} source ----\n{cell.source}\n"
                        f"---- traceback ----\n{tb}")
    return f"{path.name}: execution failed: {type(exc).__name__}: {_ANSI.sub('', str(exc))}"


def test_notebooks_exist():
    assert len(NOTEBOOKS) >= 5, f"expected the five notebooks in {NOTEBOOK_DIR}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebooks_are_stored_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    dirty = [i for i, cell in enumerate(nb["cells"]) if cell["cell_type"] == "code"
             and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert not dirty, (f"{path.name}: cells {dirty} have stored outputs; clear them "
                       f"(e.g. jupyter nbconvert --clear-output --inplace {path.name})")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, record_property):
    nbformat = pytest.importorskip("nbformat", reason="executing notebooks needs nbformat")
    nbclient = pytest.importorskip("nbclient", reason="executing notebooks needs nbclient")
    pytest.importorskip("ipykernel", reason="executing notebooks needs ipykernel")
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_S,
        allow_errors=False,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    start = time.perf_counter()
    failure = None
    try:
        client.execute(env=_kernel_env())  # executes `nb` in memory; the file is not touched
    except (CellExecutionError, CellTimeoutError) as exc:
        failure = _describe_failure(nb, path, exc)
    if failure is not None:  # outside the except block: no chained nbclient traceback
        pytest.fail(failure, pytrace=False)
    elapsed = time.perf_counter() - start
    record_property("seconds", round(elapsed, 2))
    print(f"{path.name}: {elapsed:.1f} s")
