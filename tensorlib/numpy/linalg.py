"""``tensorlib.numpy.linalg``: NumPy's linear algebra and the Array API linalg extension."""

# ruff: noqa: I001  (one block of explicit `X as X` re-exports)
from tensorlib._src.numpy.linalg import (
    EighResult as EighResult,
    QRResult as QRResult,
    SlogdetResult as SlogdetResult,
    SVDResult as SVDResult,
    cholesky as cholesky,
    eigh as eigh,
    eigvalsh as eigvalsh,
    qr as qr,
    svd as svd,
    svdvals as svdvals,
)
from tensorlib._src.numpy.linalg_solve import (
    cond as cond,
    det as det,
    inv as inv,
    lstsq as lstsq,
    matrix_power as matrix_power,
    matrix_rank as matrix_rank,
    multi_dot as multi_dot,
    pinv as pinv,
    slogdet as slogdet,
    solve as solve,
    tensorinv as tensorinv,
    tensorsolve as tensorsolve,
)
from tensorlib._src.numpy.linalg_norms import (
    matrix_norm as matrix_norm,
    norm as norm,
    vector_norm as vector_norm,
)
from tensorlib._src.numpy.linalg_array_api import (
    cross as cross,
    diagonal as diagonal,
    matmul as matmul,
    matrix_transpose as matrix_transpose,
    outer as outer,
    tensordot as tensordot,
    trace as trace,
    vecdot as vecdot,
)
