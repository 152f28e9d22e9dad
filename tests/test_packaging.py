"""setup.cfg lists its packages by hand (``find:`` cannot see the ``backends`` mapping): the list
must match the tree, or a built wheel silently lacks a module."""

import configparser
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _tree_packages():
    found = set()
    for top, mapped in (("tensorlib", "tensorlib"), ("backends", "tensorlib.backends")):
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, top)):
            dirnames[:] = [d for d in dirnames if not d.startswith((".", "__"))]
            if "__init__.py" in filenames:
                rel = os.path.relpath(dirpath, os.path.join(ROOT, top))
                found.add(mapped if rel == "." else mapped + "." + rel.replace(os.sep, "."))
    return found


def test_setup_cfg_lists_every_package():
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(ROOT, "setup.cfg"))
    listed = {p.strip() for p in cfg["options"]["packages"].split() if p.strip()}
    assert listed == _tree_packages()
    assert "tensorlib.backends = backends" in cfg["options"]["package_dir"].replace("\n", " ")


def test_backends_import_only_as_tensorlib_backends():
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("backends", os.path.join(ROOT, "backends",
                                                                          "__init__.py"))
    mod = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(mod)
    except ImportError as e:
        assert "import the backends as tensorlib.backends" in str(e)
    else:  # pragma: no cover
        raise AssertionError("backends imported under its bare name")
    finally:
        sys.modules.pop("backends", None)
