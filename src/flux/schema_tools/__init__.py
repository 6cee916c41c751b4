"""Schema tooling: the schema history in ``schemas/``, the offline gate, registration and generated docs.

Used by ``flux schemas ...``, ``make check-schemas``/``register-schemas``/``docs`` and the code
generator. Nothing at run time needs it except the subject list (``subjects``); this package's
``__init__`` imports nothing, so ``codegen`` can use ``subjects`` even when the generated
contracts do not import.

Modules:
    ``subjects``: the subjects, their formats and version history, read from ``schemas/``.
    ``gate``: the offline compatibility gate over that history (``make check-schemas``).
    ``registration``: registers every version with a Confluent-API registry.
    ``docs``: ``docs/contracts.md`` generated from the history.
    ``examples``: example payloads for the docs.
"""

__all__: list[str] = []
