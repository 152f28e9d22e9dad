"""Implementation of ``tensorlib.numpy`` (re-exported by the public module)."""
