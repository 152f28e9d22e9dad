"""Environment variables are parsed strictly, by one function per kind (``config.env_*``):
an invalid value stops ``import tensorlib`` with the variable, the value and what it accepts."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tensorlib._src import config as config_module
from tensorlib.errors import ConfigError

BAD = [
    ("TENSORLIB_ENABLE_X64", "maybe", "1, true, yes, on, 0, false, no or off"),
    ("TENSORLIB_DISABLE_JIT", "2", "1, true, yes, on, 0, false, no or off"),
    ("TENSORLIB_DEBUG_NANS", "nan", "1, true, yes, on, 0, false, no or off"),
    ("TENSORLIB_DEBUG_INFS", "inf", "1, true, yes, on, 0, false, no or off"),
    ("TENSORLIB_FUSION", "bogus", "auto, always, never"),
    ("TENSORLIB_COMPILE_TIER", "fast", "tiered, compiled, background"),
    ("TENSORLIB_FUSION_MIN_SIZE", "0", "an integer from 1"),
    ("TENSORLIB_NUM_CPU_DEVICES", "abc", "an integer from 0 to 1024"),
    ("TENSORLIB_NUM_CPU_DEVICES", "-1", "an integer from 0 to 1024"),
    ("TENSORLIB_NUM_CPU_DEVICES", "100000", "an integer from 0 to 1024"),
    ("TENSORLIB_CACHE", "sometimes", "1, true, yes, on, 0, false, no or off"),
    ("TENSORLIB_CACHE_MAX_MB", "lots", "a number from 0.0"),
]


def _import_with(name, value):
    env = dict(os.environ, **{name: value})
    return subprocess.run([sys.executable, "-c", "import tensorlib"], env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name,value,accepted", BAD, ids=[f"{n}={v}" for n, v, _ in BAD])
def test_an_invalid_value_stops_the_import_with_a_clear_error(name, value, accepted):
    r = _import_with(name, value)
    assert r.returncode != 0
    assert (f"ConfigError: environment variable {name}={value!r} is not valid; it accepts "
            f"{accepted}") in r.stderr


@pytest.mark.parametrize("value,want", [("1", True), (" TRUE ", True), ("yes", True),
                                        ("On", True), ("0", False), ("false", False),
                                        ("", False), ("off", False)])
def test_flags_accept_the_usual_spellings(monkeypatch, value, want):
    monkeypatch.setenv("TENSORLIB_X_TEST_FLAG", value)
    assert config_module.env_flag("TENSORLIB_X_TEST_FLAG") is want


def test_numbers_and_choices(monkeypatch):
    monkeypatch.setenv("TENSORLIB_X_N", " 8 ")
    assert config_module.env_number("TENSORLIB_X_N", 1, lo=1, hi=16) == 8
    monkeypatch.setenv("TENSORLIB_X_N", "17")
    with pytest.raises(ConfigError, match=r"TENSORLIB_X_N='17' is not valid; it accepts an "
                                          r"integer from 1 to 16"):
        config_module.env_number("TENSORLIB_X_N", 1, lo=1, hi=16)
    monkeypatch.setenv("TENSORLIB_X_C", "ALWAYS")
    assert config_module.env_choice("TENSORLIB_X_C", ("auto", "always"), "auto") == "always"
    monkeypatch.delenv("TENSORLIB_X_C")
    assert config_module.env_choice("TENSORLIB_X_C", ("auto", "always"), "auto") == "auto"


def test_a_variable_changed_later_is_checked_where_it_is_read(monkeypatch):
    from tensorlib.backends import numpy_compiler

    monkeypatch.setenv("TENSORLIB_FUSION", "sometimes")
    with pytest.raises(ConfigError, match="TENSORLIB_FUSION='sometimes'"):
        numpy_compiler.fusion_settings()


def test_valid_values_import():
    r = subprocess.run([sys.executable, "-c", "import tensorlib as tl; "
                        "print(tl.config.compile_tier, len(tl.devices()))"],
                       env=dict(os.environ, TENSORLIB_COMPILE_TIER="Background",
                                TENSORLIB_NUM_CPU_DEVICES="3", TENSORLIB_ENABLE_X64="no",
                                TENSORLIB_CACHE_MAX_MB="64.5"),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["background", "3"]
