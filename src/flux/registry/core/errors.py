"""Confluent Schema Registry error codes, as an exception carrying HTTP status, code and message."""

from __future__ import annotations

from typing import Final

__all__ = ["ErrorCode", "RegistryError"]


class ErrorCode:
    """Confluent's ``error_code`` values (HTTP status x 100 + detail)."""

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
    SCHEMA_TOO_LARGE: Final = 42209
    INVALID_RULESET: Final = 42210
    STORE_ERROR: Final = 50001
    OPERATION_TIMEOUT: Final = 50002
    FORWARDING_ERROR: Final = 50003


class RegistryError(Exception):
    """An error answered to the client as ``{"error_code": code, "message": message}``."""

    def __init__(self, http_status: int, error_code: int, message: str) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.error_code = error_code
        self.message = message

    def body(self) -> dict[str, object]:
        """The JSON body Confluent's server sends."""
        return {"error_code": self.error_code, "message": self.message}

    # Constructors named after the situation, with Confluent's wording.
    @classmethod
    def subject_not_found(cls, subject: str) -> RegistryError:
        return cls(404, ErrorCode.SUBJECT_NOT_FOUND, f"Subject '{subject}' not found.")

    @classmethod
    def version_not_found(cls, version: int | str) -> RegistryError:
        return cls(404, ErrorCode.VERSION_NOT_FOUND, f"Version {version} not found.")

    @classmethod
    def schema_not_found(cls, detail: str = "Schema not found") -> RegistryError:
        return cls(404, ErrorCode.SCHEMA_NOT_FOUND, detail)

    @classmethod
    def invalid_schema(cls, detail: str) -> RegistryError:
        return cls(422, ErrorCode.INVALID_SCHEMA, detail)

    @classmethod
    def invalid_version(cls, version: str) -> RegistryError:
        return cls(
            422,
            ErrorCode.INVALID_VERSION,
            f"The specified version '{version}' is not a valid version id. Allowed values are between "
            '[1, 2^31-1] and the string "latest"',
        )

    @classmethod
    def not_permitted(cls, detail: str) -> RegistryError:
        return cls(422, ErrorCode.OPERATION_NOT_PERMITTED, detail)

    @classmethod
    def invalid_rule_set(cls, detail: str) -> RegistryError:
        return cls(422, ErrorCode.INVALID_RULESET, detail)

    @classmethod
    def too_large(cls, detail: str) -> RegistryError:
        return cls(422, ErrorCode.SCHEMA_TOO_LARGE, detail)

    @classmethod
    def bad_request(cls, detail: str) -> RegistryError:
        return cls(400, 400, detail)

    @classmethod
    def unprocessable(cls, detail: str) -> RegistryError:
        return cls(422, 422, detail)
