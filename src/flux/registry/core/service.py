"""The registry service: the one object the API talks to, composed of one part per Confluent resource.

* :attr:`RegistryService.reads` — schemas by id, subjects, versions, lookups, ``/metadata``;
* :attr:`RegistryService.config` — ``/config`` and ``/mode`` (and aliases, configs in scope);
* :attr:`RegistryService.compatibility` — ``/compatibility`` and the check registrations make;
* :attr:`RegistryService.registration` — ``POST /subjects/{subject}/versions``;
* :attr:`RegistryService.deletes` — soft and permanent deletes.

The parts share one :class:`~flux.registry.core.context.RegistryContext` (state, log, write lock).

Example:
    >>> service = RegistryService(RegistryState(), log)  # doctest: +SKIP
    >>> await service.registration.register("orders-value", request)  # doctest: +SKIP
    {'id': 1}
"""

from __future__ import annotations

from flux.registry.core.candidates import Candidates
from flux.registry.core.compatibility import CompatibilityChecks
from flux.registry.core.config import ConfigOperations
from flux.registry.core.context import RecordLog, RegistryContext
from flux.registry.core.deletes import Deletes
from flux.registry.core.reads import Reads
from flux.registry.core.registration import Registration
from flux.registry.core.state import RegistryState

__all__ = ["RecordLog", "RegistryService"]


class RegistryService:
    """The registry's operations over a state and a log."""

    def __init__(self, state: RegistryState, log: RecordLog) -> None:
        context = RegistryContext(state, log)
        self.state = state
        self.log = log
        candidates = Candidates(context)
        self.config = ConfigOperations(context)
        self.reads = Reads(context, self.config, candidates)
        self.compatibility = CompatibilityChecks(context, self.config, candidates)
        self.registration = Registration(context, self.config, candidates, self.compatibility)
        self.deletes = Deletes(context, self.config)
