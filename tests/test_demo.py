"""The digits demo (examples/train_digits.py) trains to a useful accuracy in a few epochs."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[1] / "examples" / "train_digits.py"


def _load_demo():
    pytest.importorskip("sklearn", reason="the demo needs scikit-learn's bundled digits data")
    pytest.importorskip("tqdm", reason="the demo shows a tqdm progress bar")
    pytest.importorskip("tensorlib.random", reason="the demo needs tensorlib.random")
    spec = importlib.util.spec_from_file_location("train_digits_demo", DEMO)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # import-safe: main() runs only under __name__ == "__main__"
    return mod


def test_demo_trains_digits_mlp(capsys):
    demo = _load_demo()
    start = time.perf_counter()
    metrics = demo.main(["--epochs", "3", "--no-progress", "--seed", "0"])
    elapsed = time.perf_counter() - start
    out = capsys.readouterr().out
    assert metrics["jit"] is True
    assert metrics["test_accuracy"] > 0.9, metrics
    assert metrics["epochs"] == 3
    assert metrics["seconds_per_epoch"] > 0
    assert "final test accuracy" in out and "time per epoch" in out
    print(f"3 epochs in {elapsed:.1f} s")  # reported, never asserted (speed lives in benchmarks)


def test_demo_no_jit_trains_the_same(capsys):
    demo = _load_demo()
    eager = demo.main(["--epochs", "1", "--no-progress", "--no-jit"])
    staged = demo.main(["--epochs", "1", "--no-progress"])
    assert eager["jit"] is False and staged["jit"] is True
    assert abs(eager["train_loss"] - staged["train_loss"]) < 1e-4
    assert abs(eager["test_accuracy"] - staged["test_accuracy"]) <= 0.01
    assert "eager (--no-jit)" in capsys.readouterr().out


def test_demo_help(capsys):
    demo = _load_demo()
    with pytest.raises(SystemExit):
        demo.parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--no-jit" in text and "eagerly" in text and "tl.jit" in text
    assert "TENSORLIB_BACKEND" in text


def test_demo_arguments():
    demo = _load_demo()
    args = demo.parse_args(["--epochs", "2", "--batch-size", "32", "--lr", "0.01", "--seed", "3",
                            "--no-jit"])
    assert (args.epochs, args.batch_size, args.lr, args.seed, args.no_jit) == (2, 32, 0.01, 3,
                                                                              True)


@pytest.fixture
def check_rules_off():
    """Run as a user does: without the per-op rule checks the test suite turns on."""
    import tensorlib as tl

    prev = tl.config.check_rules
    tl.config.update("check_rules", False)
    try:
        yield
    finally:
        tl.config.update("check_rules", prev)


def test_demo_on_the_users_eager_path(check_rules_off, capsys):
    demo = _load_demo()
    for flags in ([], ["--no-jit"]):
        metrics = demo.main(["--epochs", "2", "--no-progress", *flags])
        assert metrics["test_accuracy"] > 0.85, metrics


@pytest.mark.parametrize("flag,value,message", [
    ("--epochs", "-3", "argument --epochs: -3 is out of range: it must be at least 1"),
    ("--batch-size", "0", "argument --batch-size: 0 is out of range: it must be at least 1"),
    ("--batch-size", "-5", "argument --batch-size: -5 is out of range: it must be at least 1"),
    ("--test-fraction", "1.5",
     "argument --test-fraction: 1.5 is out of range: it must be from 0.05 to 0.95"),
    ("--lr", "abc", "argument --lr: 'abc' is not a number"),
])
def test_nonsense_flags_stop_with_a_usage_error(capsys, flag, value, message):
    demo = _load_demo()
    with pytest.raises(SystemExit) as e:
        demo.parse_args([flag, value])
    assert e.value.code == 2
    assert message in capsys.readouterr().err
