"""Fixtures of the BFF unit tests (the harness lives in bff_unit_harness.py)."""

from tests.unit.bff.bff_unit_harness import bff, connect

__all__ = ["bff", "connect"]
