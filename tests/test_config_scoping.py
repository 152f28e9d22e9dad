"""Scoped settings (``tl.backend``, ``tl.disable_jit``, ``tl.enable_x64``) live in contextvars:
one thread's ``with`` block is invisible to another thread, and every block restores the
setting on exit, exceptions included."""

from __future__ import annotations

import asyncio
import threading

import pytest

import tensorlib as tl
import tensorlib.numpy as tnp


def _settings():
    return (tl.config.disable_jit, tl.default_backend(), tnp.ones(2).backend.name,
            str(tnp.arange(2.0).dtype))


def test_two_threads_do_not_see_each_others_settings():
    pytest.importorskip("jaxlib")
    seen, inside, outside_done = {}, threading.Event(), threading.Event()
    base = _settings()

    def scoped():
        with tl.disable_jit(), tl.backend("xla"), tl.enable_x64():
            inside.set()
            seen["scoped"] = _settings()
            outside_done.wait(10)  # the other thread reads while this block is open
            seen["scoped, later"] = _settings()

    def plain():
        inside.wait(10)
        seen["plain"] = _settings()
        outside_done.set()

    threads = [threading.Thread(target=scoped), threading.Thread(target=plain)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen["scoped"] == seen["scoped, later"] == (True, "xla", "xla", "float64")
    assert seen["plain"] == base
    assert _settings() == base


def test_settings_are_restored_after_an_exception():
    base = _settings()
    with pytest.raises(ZeroDivisionError):
        with tl.disable_jit(), tl.enable_x64():
            assert _settings()[0] is True and _settings()[3] == "float64"
            raise ZeroDivisionError("inside the block")
    assert _settings() == base


def test_asyncio_tasks_are_scoped():
    async def task(x64):
        with tl.enable_x64(x64):
            await asyncio.sleep(0.01)  # the other task runs meanwhile
            return str(tnp.arange(2.0).dtype)

    async def main():
        return await asyncio.gather(task(True), task(False))

    assert asyncio.run(main()) == ["float64", "float32"]


def test_scoped_backend_reaches_pmap_device_threads():
    pytest.importorskip("jaxlib")
    with tl.backend("xla"):
        out = tl.pmap(lambda x: x * 2)(tnp.ones((1, 3)))
        assert out.backend.name == "xla"


def test_config_update_is_process_wide_and_scopes_override_it():
    prev = tl.config.disable_jit
    try:
        tl.config.update("disable_jit", True)
        with tl.disable_jit(False):
            assert tl.config.disable_jit is False
        assert tl.config.disable_jit is True
        seen = []
        t = threading.Thread(target=lambda: seen.append(tl.config.disable_jit))
        t.start()
        t.join()
        assert seen == [True]
    finally:
        tl.config.update("disable_jit", prev)
