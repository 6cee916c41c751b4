"""Fake upstream servers for offline runs and tests: every provider's wire format, with fault control.

Run them with ``flux upstreams serve --port N`` or, in tests, ``async with FakeUpstreams() as fake``.
"""

from flux.upstreams.fault_control import Fault, FaultController, FaultMode, FaultTarget
from flux.upstreams.server import DEFAULT_STOCKS_KEY, FakeUpstreams

__all__ = ["DEFAULT_STOCKS_KEY", "FakeUpstreams", "Fault", "FaultController", "FaultMode", "FaultTarget"]
