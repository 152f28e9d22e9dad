"""Example libraries ported from ``jax.example_libraries``: ``optimizers`` and ``stax``."""
