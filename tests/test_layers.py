"""The import contracts (``.importlinter``): no cycles, the layering of DESIGN.md, and a core
that reaches backends only through the loader.

``backends/`` is installed as ``tensorlib.backends`` (``package_dir`` in setup.cfg), so the
source tree has no ``tensorlib/backends`` folder for import-linter to walk: the test builds a
view of the installed layout out of symbolic links and runs ``lint-imports`` on it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _view(tmp_path: Path) -> Path:
    pkg = tmp_path / "view" / "tensorlib"
    pkg.mkdir(parents=True)
    for entry in (ROOT / "tensorlib").iterdir():
        if entry.name != "__pycache__":
            os.symlink(entry, pkg / entry.name)
    os.symlink(ROOT / "backends", pkg / "backends")
    return pkg.parent


def test_import_contracts_hold(tmp_path):
    exe = shutil.which("lint-imports", path=os.path.dirname(sys.executable))
    if exe is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    view = _view(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(view))
    run = subprocess.run([exe, str(ROOT / ".importlinter"), "--no-cache"], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "BROKEN" not in run.stdout
