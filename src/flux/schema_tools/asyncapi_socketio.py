"""The BFF's Socket.IO protocol as AsyncAPI 3.0 channels, messages and operations.

What ``docs/client-protocol.md`` tells a person, for machines: the default namespace ``/`` carries the
client's requests (``locationUpdate``, ``subscribe``, ``unsubscribe``, ``refresh``) and their
acknowledgements (operation replies); each room (``weather.{cityKey}``, ``crypto.global``, ...) is a
channel carrying the events the BFF emits to its members. Room names, channel names, refresh domains
and error codes come from :mod:`flux.bff.snapshot` and :mod:`flux.bff.protocol`; the ``data`` of each
event is derived from its topic's schema (:mod:`flux.schema_tools.asyncapi_payloads`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from flux.bff.protocol import MAX_CITY_LENGTH, ErrorCode, RefreshTarget
from flux.bff.snapshot import CHANNELS, Stream
from flux.contracts import (
    NewsUpdated,
    TickerBatch,
    TopCoinsUpdated,
    TopMoversUpdated,
    TopPerformersUpdated,
    WeatherUpdated,
)

__all__ = ["CLIENT_EVENTS", "NAMESPACE_CHANNEL", "STREAM_CONTRACTS", "StreamSource", "socketio_section"]

NAMESPACE_CHANNEL: Final = "socketio.namespace"
"""Channel id of the default namespace (requests and acknowledgements)."""

STREAM_CONTRACTS: Final[Mapping[Stream, type]] = {
    Stream.WEATHER: WeatherUpdated,
    Stream.TOPCOINS: TopCoinsUpdated,
    Stream.MOVERS: TopMoversUpdated,
    Stream.TICKER: TickerBatch,
    Stream.NEWS: NewsUpdated,
    Stream.STOCKS: TopPerformersUpdated,
}
"""The event contract each Socket.IO event is made from (as ``flux.bff.convert`` maps them)."""

CLIENT_EVENTS: Final = ("locationUpdate", "subscribe", "unsubscribe", "refresh")
"""Client → server event names (``flux.bff.gateway.ClientEvent``)."""


@dataclass(frozen=True, slots=True)
class StreamSource:
    """Where one Socket.IO event comes from: its event topic and the JSON Schema of its ``data``."""

    topic: str
    data: dict[str, Any]


_SERVER: Final = [{"$ref": "#/servers/bff"}]
_NUMBER_OR_TEXT: Final = {"oneOf": [{"type": "number"}, {"type": "string", "maxLength": 32}]}


def _object(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "required": list(properties),
        "additionalProperties": False,
        "properties": properties,
    }
    if description:
        schema["description"] = description
    return schema


def _requests() -> dict[str, dict[str, Any]]:
    channel = {"type": "string", "enum": list(CHANNELS)}
    city = {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_CITY_LENGTH,
        "description": "letters of any script, spaces and . ' \u2019 - ( ); no digits or _",
    }
    return {
        "locationUpdate": _object(
            {
                "city": city,
                "lat": {**_NUMBER_OR_TEXT, "description": "-90..90"},
                "lon": {**_NUMBER_OR_TEXT, "description": "-180..180"},
            },
            "Watch one city's weather: joins room weather.{cityKey} and asks for fresh data.",
        ),
        "subscribe": _object({"channel": channel}, "Join a global room; hydrated from the cache."),
        "unsubscribe": _object({"channel": channel}, "Leave a global room."),
        "refresh": _object(
            {"domain": {"type": "string", "enum": [t.value for t in RefreshTarget]}},
            "Ask a service for a fresh snapshot; rate-limited and coalesced.",
        ),
    }


def _acks() -> dict[str, dict[str, Any]]:
    boolean = {"type": "boolean"}
    text = {"type": "string"}
    events = {"type": "array", "items": {"type": "string", "enum": [s.value for s in Stream if s.cached]}}
    fields: dict[str, dict[str, Any]] = {
        "locationUpdate": {"room": text, "city": text, "hydrated": boolean, "coalesced": boolean},
        "subscribe": {"channel": text, "hydrated": events},
        "unsubscribe": {"channel": text},
        "refresh": {"domain": text, "coalesced": boolean},
    }
    failure = _object(
        {
            "ok": {"const": False},
            "error": _object(
                {"code": {"type": "string", "enum": [c.value for c in ErrorCode]}, "message": text}
            ),
        },
        "The request was refused; the connection stays open.",
    )
    return {
        event: {"oneOf": [_object({"ok": {"const": True}, **extra}, "The request was accepted."), failure]}
        for event, extra in fields.items()
    }


def _event_payload(stream: Stream, data: dict[str, Any]) -> dict[str, Any]:
    snapshot_id = (
        "<batchSequence>@<producedAt> of the ticker batch"
        if stream is Stream.TICKER
        else "the producing service's snapshot_hash"
    )
    return _object(
        {
            "snapshotId": {"type": "string", "description": snapshot_id},
            "producedAt": {"type": "integer", "description": "when the service produced it, epoch ms UTC"},
            "data": data,
        }
    )


def _message_id(event: str) -> str:
    return "socketio." + event.replace(":", ".")


def socketio_section(sources: Mapping[Stream, StreamSource]) -> dict[str, dict[str, Any]]:
    """Return ``channels``, ``messages`` (components) and ``operations`` of the BFF's Socket.IO side.

    Args:
        sources: Each event's topic and ``data`` schema (the topic whose contract is in ``STREAM_CONTRACTS``).
    """
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    namespace_messages: dict[str, Any] = {}
    acks = _acks()
    for event, payload in _requests().items():
        for suffix, body, summary in (
            ("", payload, f"client → BFF: {event}"),
            (".ack", acks[event], f"BFF → client: acknowledgement of {event}"),
        ):
            message_id = _message_id(event) + suffix
            messages[message_id] = {
                "name": event,
                "summary": summary,
                "contentType": "application/json",
                "payload": body,
            }
            namespace_messages[message_id] = {"$ref": f"#/components/messages/{message_id}"}
    channels[NAMESPACE_CHANNEL] = {
        "address": "/",
        "title": "Socket.IO default namespace",
        "description": "Client requests; each is answered with an acknowledgement (the operation's reply).",
        "servers": _SERVER,
        "messages": namespace_messages,
    }
    for event in CLIENT_EVENTS:
        ref = f"#/channels/{NAMESPACE_CHANNEL}/messages/{_message_id(event)}"
        operations[f"bff.receive.{event}"] = {
            "action": "receive",
            "title": f"BFF handles {event}",
            "channel": {"$ref": f"#/channels/{NAMESPACE_CHANNEL}"},
            "messages": [{"$ref": ref}],
            "reply": {
                "channel": {"$ref": f"#/channels/{NAMESPACE_CHANNEL}"},
                "messages": [{"$ref": ref + ".ack"}],
            },
            "tags": [{"name": "bff"}, {"name": "socketio"}],
        }
    rooms: dict[str, list[Stream]] = {}
    for stream in Stream:
        rooms.setdefault(stream.room("{cityKey}"), []).append(stream)
    for room, streams in rooms.items():
        channel_id = "socketio." + room.split(".", 1)[0]
        channel: dict[str, Any] = {
            "address": room,
            "title": f"Socket.IO room {room}",
            "description": "Members receive these events; "
            + ("joined by locationUpdate." if "{" in room else f"joined by subscribe {{channel: {room}}}."),
            "servers": _SERVER,
            "messages": {},
        }
        if "{cityKey}" in room:
            channel["parameters"] = {"cityKey": {"description": "normalised (case-folded) city name"}}
        for stream in streams:
            message_id = _message_id(stream.value)
            messages[message_id] = {
                "name": stream.value,
                "summary": f"BFF → room {room}: {stream.value}, made from {sources[stream].topic}",
                "contentType": "application/json",
                "payload": _event_payload(stream, sources[stream].data),
                "x-flux-source-topic": sources[stream].topic,
                "x-flux-cached": stream.cached,
            }
            channel["messages"][message_id] = {"$ref": f"#/components/messages/{message_id}"}
            operations[f"bff.send.{stream.value.replace(':', '.')}"] = {
                "action": "send",
                "title": f"BFF emits {stream.value} to {room}",
                "channel": {"$ref": f"#/channels/{channel_id}"},
                "messages": [{"$ref": f"#/channels/{channel_id}/messages/{message_id}"}],
                "tags": [{"name": "bff"}, {"name": "socketio"}],
            }
        channels[channel_id] = channel
    return {"channels": channels, "messages": messages, "operations": operations}
