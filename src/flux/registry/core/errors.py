"""The registry's answers with Confluent's error codes: an exception carrying HTTP status, code and
message. The codes themselves live in :mod:`flux.schemas.error_codes` (shared with the clients)."""

from __future__ import annotations

from flux.schemas.error_codes import ErrorCode

__all__ = ["ErrorCode", "NotLeaderError", "RegistryError"]


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


class NotLeaderError(RegistryError):
    """50004: the write was not performed because this node does not lead (any more) — nothing
    of it was committed, so the API may send it to the leader instead."""

    def __init__(self, message: str = "This registry node is not the leader (any more); retry") -> None:
        super().__init__(500, ErrorCode.UNKNOWN_LEADER, message)
