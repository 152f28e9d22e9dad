"""Private implementation of tensorlib; public names are re-exported by tensorlib.*."""
