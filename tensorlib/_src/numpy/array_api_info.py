"""Array API inspection utilities: ``tensorlib.numpy.__array_namespace_info__()``."""

from __future__ import annotations

from tensorlib._src import dtypes
from tensorlib._src.core import current_backend

__array_api_version__ = "2023.12"

_KINDS = {
    "bool": ("bool",),
    "signed integer": ("int8", "int16", "int32", "int64"),
    "unsigned integer": ("uint8", "uint16", "uint32", "uint64"),
    "real floating": ("float32", "float64"),
    "complex floating": ("complex64", "complex128"),
}
_KINDS["integral"] = _KINDS["signed integer"] + _KINDS["unsigned integer"]
_KINDS["numeric"] = _KINDS["integral"] + _KINDS["real floating"] + _KINDS["complex floating"]


class ArrayNamespaceInfo:
    """What ``tensorlib.numpy`` supports on the current backend (Array API 2023.12)."""

    __module__ = "tensorlib.numpy"

    def capabilities(self):
        # boolean masks and nonzero/unique work on concrete (eager) values, as in JAX
        return {"boolean indexing": True, "data-dependent shapes": True}

    def default_device(self):
        return current_backend().devices()[0]

    def devices(self):
        # ``x.device`` is the backend's first device for every array (placement is not
        # tracked per array yet), so that is the one device arrays can be created on.
        return [self.default_device()]

    def default_dtypes(self, *, device=None):
        return {
            "real floating": dtypes.default_float(),
            "complex floating": dtypes.default_complex(),
            "integral": dtypes.default_int(),
            "indexing": dtypes.default_int(),
        }

    def dtypes(self, *, device=None, kind=None):
        """Dtypes by name; 64-bit types only when ``enable_x64`` is on."""
        if kind is None:
            names = ("bool",) + _KINDS["numeric"]
        else:
            kinds = kind if isinstance(kind, tuple) else (kind,)
            names = ()
            for k in kinds:
                if k not in _KINDS:
                    raise ValueError(f"__array_namespace_info__().dtypes: unknown kind {k!r}; "
                                     f"use one of {sorted(_KINDS)}")
                names += tuple(n for n in _KINDS[k] if n not in names)
        out = {}
        for n in names:
            dt = dtypes.bool_ if n == "bool" else getattr(dtypes, n)
            if dtypes.canonicalize(dt) == dt:
                out[n] = dt
        return out


def __array_namespace_info__():
    """Inspection utilities of the Array API standard.

    Examples
    --------
    >>> import tensorlib.numpy as tnp
    >>> tnp.__array_namespace_info__().capabilities()["boolean indexing"]
    True
    """
    return ArrayNamespaceInfo()
