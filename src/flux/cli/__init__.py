"""The ``flux`` command line: one sub-module per command group (dev, registry, service, bff, ...)."""
