"""Confluent Schema Registry's ``error_code`` values: the one list the server and its clients share.

The registry answers with these codes (``flux.registry``); the serde and the
failure classification read them from the client side (a 404 family code is
about the record, anything else about the registry's state).

Example:
    >>> ErrorCode.SCHEMA_NOT_FOUND in NOT_FOUND_CODES
    True
"""

from __future__ import annotations

from typing import Final

__all__ = ["NOT_FOUND_CODES", "ErrorCode", "is_not_found"]


class ErrorCode:
    """Confluent's ``error_code`` values (HTTP status x 100 + detail; an incompatible schema is
    the bare HTTP status 409, as Confluent's ``Errors`` defines it)."""

    SUBJECT_NOT_FOUND: Final = 40401
    VERSION_NOT_FOUND: Final = 40402
    SCHEMA_NOT_FOUND: Final = 40403
    SUBJECT_SOFT_DELETED: Final = 40404
    SUBJECT_NOT_SOFT_DELETED: Final = 40405
    VERSION_SOFT_DELETED: Final = 40406
    VERSION_NOT_SOFT_DELETED: Final = 40407
    SUBJECT_COMPATIBILITY_NOT_CONFIGURED: Final = 40408
    SUBJECT_MODE_NOT_CONFIGURED: Final = 40409
    INCOMPATIBLE_SCHEMA: Final = 409
    INVALID_SCHEMA: Final = 42201
    INVALID_VERSION: Final = 42202
    INVALID_COMPATIBILITY_LEVEL: Final = 42203
    INVALID_MODE: Final = 42204
    OPERATION_NOT_PERMITTED: Final = 42205
    REFERENCE_EXISTS: Final = 42206
    ID_DOES_NOT_MATCH: Final = 42207
    INVALID_SUBJECT: Final = 42208
    SCHEMA_TOO_LARGE: Final = 42209
    INVALID_RULESET: Final = 42210
    STORE_ERROR: Final = 50001
    OPERATION_TIMEOUT: Final = 50002
    FORWARDING_ERROR: Final = 50003
    UNKNOWN_LEADER: Final = 50004


# Subject, version or schema not found: the answer is about what was asked for, not the registry.
NOT_FOUND_CODES: Final = frozenset(
    {ErrorCode.SUBJECT_NOT_FOUND, ErrorCode.VERSION_NOT_FOUND, ErrorCode.SCHEMA_NOT_FOUND}
)


def is_not_found(error_code: int | None, http_status: int | None) -> bool:
    """True when a registry answer says the subject, version or schema does not exist."""
    return http_status == 404 or error_code in NOT_FOUND_CODES
