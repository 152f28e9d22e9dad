"""Values never leave a transformation silently: converting a traced value to a NumPy array or
a Python number raises JAX's error class, with the operation, the transformation and the
user's line; where JAX lets a concrete value through (``bool``/``int`` under ``grad``), so does
tensorlib. JAX is the oracle for which case raises which class."""

from __future__ import annotations

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.numpy as tnp
from tensorlib import errors

jax = pytest.importorskip("jax")
jnp = jax.numpy

# name, f(tl_or_jax, xnp, x) building the call, argument
CASES = {
    "grad bool": (lambda T, xp: T.grad(lambda x: x if x > 0 else -x), 1.0),
    "grad int index": (lambda T, xp: T.grad(lambda x: xp.arange(3.0)[int(x)] * x), 1.0),
    "grad item": (lambda T, xp: T.grad(lambda x: x.item() * x), 2.0),
    "grad float": (lambda T, xp: T.grad(lambda x: float(x) * x), 2.0),
    "grad complex": (lambda T, xp: T.grad(lambda x: complex(x).real * x), 2.0),
    "grad tolist": (lambda T, xp: T.grad(lambda x: xp.asarray(x.tolist()) * x), 2.0),
    "grad np.sin": (lambda T, xp: T.grad(lambda x: np.sin(x)), 2.0),
    "grad np.asarray": (lambda T, xp: T.grad(lambda x: (np.asarray(x) * x).sum()),
                        np.ones(3, np.float32)),
    "jvp np.sin": (lambda T, xp: (lambda x: T.jvp(lambda v: np.sin(v), (x,), (1.0,))), 2.0),
    "hessian float": (lambda T, xp: T.hessian(lambda x: float(x) * x ** 2), 2.0),
    "vmap bool": (lambda T, xp: T.vmap(lambda x: x if x > 0 else -x),
                  np.ones(3, np.float32)),
    "vmap int": (lambda T, xp: T.vmap(lambda x: xp.arange(3.0)[int(x)]),
                 np.ones(3, np.int32)),
    "vmap float": (lambda T, xp: T.vmap(lambda x: float(x)), np.ones(3, np.float32)),
    "vmap np.sin": (lambda T, xp: T.vmap(lambda x: np.sin(x)), np.ones(3, np.float32)),
    "jit bool": (lambda T, xp: T.jit(lambda x: x if x > 0 else -x), 1.0),
    "jit int": (lambda T, xp: T.jit(lambda x: xp.arange(3.0)[int(x)]), 1),
    "jit float": (lambda T, xp: T.jit(lambda x: float(x)), 1.0),
    "jit np.sin": (lambda T, xp: T.jit(lambda x: np.sin(x)), 1.0),
    "jit index": (lambda T, xp: T.jit(lambda x: [1.0, 2.0, 3.0][x]), 1),
    "vmap index": (lambda T, xp: T.vmap(lambda x: [1.0, 2.0, 3.0][x]), np.ones(3, np.int32)),
}


def _outcome(fn):
    try:
        return "ok", fn()
    except Exception as e:  # noqa: BLE001 - the class is the outcome
        return type(e).__name__, e


@pytest.mark.parametrize("name", sorted(CASES))
def test_conversions_raise_what_jax_raises(name):
    build, x = CASES[name]
    j_kind, j_val = _outcome(lambda: build(jax, jnp)(x))
    t_kind, t_val = _outcome(lambda: build(tl, tnp)(x))
    assert t_kind == j_kind, (t_kind, str(t_val)[:300], j_kind)
    if t_kind == "ok":
        np.testing.assert_allclose(np.asarray(jax.tree.leaves(t_val)[0]),
                                   np.asarray(jax.tree.leaves(j_val)[0]), rtol=1e-6)
    else:
        msg = str(t_val)
        assert "test_tracer_conversions.py" in msg  # the user's line
        assert isinstance(t_val, errors.ConcretizationError)


def test_the_message_names_operation_transformation_and_fix():
    with pytest.raises(errors.TracerArrayConversionError) as e:
        tl.grad(lambda x: np.sin(x))(2.0)
    msg = str(e.value)
    assert "__array__()" in msg and "inside grad (reverse mode)" in msg
    assert "tnp.sin, not np.sin" in msg and "tensorlib.debug.print" in msg
    with pytest.raises(errors.ConcretizationTypeError, match=r"float\(\) was called on a "
                       r"traced value f32\[\]~ inside jvp \(forward mode\)"):
        tl.jvp(lambda x: float(x) * x, (2.0,), (1.0,))


def test_eager_arrays_convert_freely():
    x = tnp.asarray([1.0, 2.0])
    assert np.asarray(x).tolist() == [1.0, 2.0] and float(x[0]) == 1.0 and x.tolist() == [1, 2]
    assert int(tnp.asarray(3)) == 3 and bool(tnp.asarray(True)) and complex(x[1]) == 2


def test_printing_under_grad_shows_the_value(capsys):
    tl.grad(lambda x: (print(x), x * x)[1])(3.0)
    assert "3.0" in capsys.readouterr().out
