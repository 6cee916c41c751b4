"""Fixtures of the BFF integration tests (the harness lives in bff_stack_harness.py)."""

from tests.integration.bff.bff_stack_harness import bff, connect, producer, registered_schemas

__all__ = ["bff", "connect", "producer", "registered_schemas"]
