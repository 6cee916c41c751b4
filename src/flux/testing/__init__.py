"""Test support shipped with Flux: start the real embedded stack on ephemeral ports."""
