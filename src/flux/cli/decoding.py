"""Turn a record's value into something to print, through the registry, without ever raising.

A topic's values are decoded with its generated contract (:func:`flux.contracts.contract_for`)
through :class:`flux.serde.Serde`, which also resolves older writer versions into today's class.
A record the class cannot read (a writer it is not compatible with, or a class whose schema is not
registered) is read with its writer's own schema, looked up by the id in its header. Anything else
(bad magic byte, truncated, unknown id) comes back as a :class:`Decoded` carrying the reason:
``flux topics tail`` shows it and moves on.

A dead-letter topic holds its source topic's original bytes, so it is decoded with the source's
contract. Topics without a contract (the registry's own log) are shown as JSON or text.

Example:
    >>> decoder = RecordDecoder.for_topic(spec, settings)  # doctest: +SKIP
    >>> decoder.check_registry()  # doctest: +SKIP
    >>> decoder.decode(b"\\x07garbage").error  # doctest: +SKIP
    'bad magic byte 0x07: not Confluent wire format'
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from io import BytesIO
from typing import Any, Final

from confluent_kafka.schema_registry import SchemaRegistryClient, SchemaRegistryError
from fastavro import parse_schema, schemaless_reader
from google.protobuf.json_format import MessageToDict

from flux.catalogue import Catalogue, TopicKind, TopicSpec, load_catalogue
from flux.cli.errors import CliError, ExitCode
from flux.cli.registry_client import REGISTRY_TIMEOUT_S
from flux.cli.topic_lookup import source_of
from flux.contracts import contract_for
from flux.schemas.error_codes import is_not_found
from flux.serde import SchemaNotRegistered, Serde, SerdeError
from flux.serde.wire import HEADER_SIZE, decode_message_indexes, read_header
from flux.settings import Settings

__all__ = ["Decoded", "RecordDecoder", "raw_value"]

LOG = logging.getLogger(__name__)

# The serde logs each writer schema it learns, with a warning for one the class cannot read; a tail
# shows that on the record's own line, so it reaches stderr only where logging is configured.
logging.getLogger("flux.serde").addHandler(logging.NullHandler())


@dataclass(frozen=True, slots=True)
class Decoded:
    """What a record's value decoded to.

    Attributes:
        value: The value as Python data (fastavro datum, Protobuf message as a dict, JSON or text);
            None when the record did not decode (see ``error``) or is a tombstone.
        schema_id: The id in the wire-format header, when the value has one.
        decoded_as: The contract class, ``writer schema <id>``, ``raw`` or ``tombstone``.
        error: Why the value did not decode (None when it did).
    """

    value: Any = None
    schema_id: int | None = None
    decoded_as: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def raw_value(data: bytes) -> Any:
    """A value without a contract: parsed JSON, else UTF-8 text, else ``base64:<...>``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(data).decode("ascii")
    try:
        return json.loads(text)
    except ValueError:
        return text


# confluent-kafka's registry client raises its own HTTP stack's errors (httpx or a fork of it).
_TRANSPORT_ERRORS: Final = frozenset({"TransportError", "TimeoutException", "NetworkError"})


def _is_transport_error(exc: BaseException) -> bool:
    """True when ``exc`` means the registry could not be reached (not that it said no)."""
    return isinstance(exc, OSError) or any(base.__name__ in _TRANSPORT_ERRORS for base in type(exc).__mro__)


class RecordDecoder:
    """Decodes the values of one topic (see the module docs).

    Args:
        serde: The registry serde (None for a topic without a contract: values are shown raw).
        contract: The generated class of the topic's values (None: raw).
        registry_url: Named in error messages.
    """

    __slots__ = ("_codec_missing", "_writers", "contract", "registry_url", "serde")

    def __init__(self, serde: Serde | None, contract: type | None, *, registry_url: str = "") -> None:
        self.serde = serde
        self.contract = contract
        self.registry_url = registry_url
        self._codec_missing = False
        self._writers: dict[int, tuple[str, Any] | str] = {}

    @classmethod
    def for_topic(
        cls, spec: TopicSpec, settings: Settings, catalogue: Catalogue | None = None
    ) -> RecordDecoder:
        """The decoder of ``spec``'s values (a dead-letter topic decodes as its source topic)."""
        source = spec
        if spec.kind is TopicKind.DEAD_LETTER:
            source = source_of(spec, catalogue or load_catalogue()) or spec
        try:
            contract: type | None = contract_for(source.name)
        except KeyError:
            return cls(None, None, registry_url=settings.registry_url)
        config: dict[str, Any] = {
            **settings.registry_client_config(),
            "timeout": REGISTRY_TIMEOUT_S,
            "max.retries": 1,
        }
        serde = Serde(SchemaRegistryClient(config))
        return cls(serde, contract, registry_url=settings.registry_url)

    def _unavailable(self, exc: BaseException) -> CliError:
        return CliError(
            f"cannot reach the schema registry at {self.registry_url}: {exc} (check FLUX_REGISTRY_URL)",
            ExitCode.UNAVAILABLE,
        )

    def check_registry(self) -> None:
        """Look the contract's schema id up once, so a registry that is down fails the command now.

        Raises:
            CliError: (unavailable) the registry does not answer or answers 5xx.
        """
        if self.serde is None or self.contract is None:
            return
        try:
            self.serde.codec(self.contract)
        except SchemaNotRegistered as exc:
            LOG.info("%s; decoding by writer schema only", exc)
            self._codec_missing = True
        except SchemaRegistryError as exc:
            if (exc.http_status_code or 0) >= 500:
                raise self._unavailable(exc) from None
            raise CliError(
                f"the schema registry at {self.registry_url} refused the lookup: {exc.error_message} "
                f"(HTTP {exc.http_status_code}; check FLUX_REGISTRY_BASIC_AUTH)",
                ExitCode.FAILED,
            ) from None
        except Exception as exc:
            if _is_transport_error(exc):
                raise self._unavailable(exc) from None
            raise

    def decode(self, data: bytes | None) -> Decoded:
        """Decode one value; never raises (a failure is a :class:`Decoded` with ``error``)."""
        if data is None:
            return Decoded(decoded_as="tombstone")
        if self.serde is None or self.contract is None:
            return Decoded(value=raw_value(data), decoded_as="raw")
        try:
            schema_id = read_header(data)
        except SerdeError as exc:
            return Decoded(error=str(exc))
        if not self._codec_missing:
            try:
                obj: object = self.serde.decode(self.contract, data)
            except SerdeError as exc:
                LOG.debug(
                    "%s cannot read schema id %d (%s); trying its writer schema",
                    self.contract,
                    schema_id,
                    exc,
                )
            except Exception as exc:  # the registry failed mid-tail: show the record, keep going
                return Decoded(schema_id=schema_id, error=f"registry error: {exc}")
            else:
                return Decoded(value=_as_data(obj), schema_id=schema_id, decoded_as=self.contract.__name__)
        return self._decode_with_writer(schema_id, data)

    def _writer(self, schema_id: int) -> tuple[str, Any] | str:
        """(schema type, parsed Avro schema or None) of ``schema_id``, or why it is unusable."""
        cached = self._writers.get(schema_id)
        if cached is not None:
            return cached
        assert self.serde is not None
        found: tuple[str, Any] | str
        try:
            schema = self.serde.client.get_schema(schema_id)
        except SchemaRegistryError as exc:
            found = (
                f"unknown schema id {schema_id}: not in the registry"
                if is_not_found(exc.error_code, exc.http_status_code)
                else f"registry error for schema id {schema_id}: {exc.error_message}"
            )
        except Exception as exc:
            return f"registry error for schema id {schema_id}: {exc}"  # not cached: may be transient
        else:
            kind = str(schema.schema_type or "AVRO").upper()
            try:
                parsed = parse_schema(json.loads(str(schema.schema_str))) if kind == "AVRO" else None
            except Exception as exc:
                found = f"schema id {schema_id} does not parse: {exc}"
            else:
                found = (kind, parsed)
        self._writers[schema_id] = found
        return found

    def _decode_with_writer(self, schema_id: int, data: bytes) -> Decoded:
        writer = self._writer(schema_id)
        if isinstance(writer, str):
            return Decoded(schema_id=schema_id, error=writer)
        kind, parsed = writer
        try:
            if kind == "AVRO":
                stream = BytesIO(data)
                stream.seek(HEADER_SIZE)
                value = schemaless_reader(stream, parsed, None)
                if stream.tell() != len(data):
                    raise ValueError(f"{len(data) - stream.tell()} trailing bytes")
            elif kind == "PROTOBUF" and hasattr(self.contract, "FromString"):
                _, position = decode_message_indexes(data, HEADER_SIZE)
                value = _as_data(self.contract.FromString(data[position:]))  # type: ignore[union-attr]
            else:
                return Decoded(schema_id=schema_id, error=f"schema id {schema_id} is {kind}: no decoder")
        except Exception as exc:
            return Decoded(
                schema_id=schema_id, error=f"record does not match its writer schema id {schema_id}: {exc}"
            )
        return Decoded(value=value, schema_id=schema_id, decoded_as=f"writer schema {schema_id}")


def _as_data(obj: Any) -> Any:
    """A decoded contract object as plain data (Avro datum or Protobuf dict)."""
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    return MessageToDict(obj, preserving_proto_field_name=True)
