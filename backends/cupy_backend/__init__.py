"""The CuPy backend: NVIDIA GPUs through CuPy.

- Eager: the NumPy backend's kernels, registered for ``cupy.ndarray`` with ``xp = cupy``
  (``numpy_backend.register_kernels``); the code is shared, the differences are per-xp
  branches in those modules.
- Devices and transfers (``backend.py``): ``tl.devices("cupy")`` lists the GPUs; a buffer is
  a ``cupy.ndarray``, which knows its device; ``tl.device_put`` moves data between the host,
  GPUs and DLPack-capable arrays of other libraries. CuPy runs asynchronously on the current
  stream; ``block_until_ready`` synchronises it.
- jit (``compiler.py``): elementwise runs of a graph become generated CUDA kernels
  (``codegen.py``, which imports neither CuPy nor a GPU library), launched with
  ``cupy.RawKernel``; everything else calls the eager kernels (cuBLAS, cuSOLVER, cuFFT through
  CuPy).
- pmap (``nccl.py``): one thread per GPU, collectives through NCCL.

Importing this package does not import CuPy: the backend object is made by ``load()`` (which
is what ``tensorlib`` calls when the backend is first used), so ``codegen`` stays importable
and testable on a machine without CuPy or a GPU.
"""


def load():
    from tensorlib.backends.cupy_backend.backend import load

    return load()
