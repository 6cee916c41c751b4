"""Descriptors rendered back to ``.proto`` text compile to the same normalised descriptor."""

from __future__ import annotations

from pathlib import Path

import grpc_tools
import pytest

from flux.schemas.protobuf_schema import parse_protobuf, proto_text_of
from flux.schemas.protobuf_text import UnsupportedDescriptorError, render_proto

CASES = {
    "proto3 scalars, maps, oneof, optional, nested, enums, reserved": """
syntax = "proto3";
package flux.t;
option java_package = "dev.flux.t";
option optimize_for = SPEED;
message Quote {
  string symbol = 1;
  double price = 2;
  map<string, int64> volumes = 3;
  repeated bytes blobs = 4 [deprecated = true];
  optional int32 maybe = 5;
  oneof venue { string exchange = 6; int32 pool = 7; }
  Side side = 8;
  Inner inner = 9;
  int64 renamed = 10 [json_name = "otherName"];
  message Inner { fixed64 f = 1; sint32 z = 2; map<int32, Quote> back = 3; }
  enum Side { option allow_alias = true; SIDE_UNSPECIFIED = 0; BUY = 1; LONG = 1; SELL = 2 [deprecated = true]; }
  reserved 20, 22 to 25, 100 to max;
  reserved "gone", "old";
}
enum Top { TOP_A = 0; TOP_B = 1; reserved 5 to 7; reserved "X"; }
service Quotes {
  rpc Get(Quote) returns (Quote);
  rpc Stream(stream Quote) returns (stream Quote) { option deprecated = true; }
}
""",
    "proto2 required, defaults, extensions": """
syntax = "proto2";
package flux.p2;
message Legacy {
  required int32 id = 1;
  optional string name = 2 [default = "no \\"name\\""];
  optional double ratio = 3 [default = 0.5];
  optional Kind kind = 4 [default = KIND_B];
  repeated int32 packed = 5 [packed = true];
  optional bool flag = 6 [default = true];
  extensions 100 to 199;
  enum Kind { KIND_A = 1; KIND_B = 2; }
}
extend Legacy { optional string note = 100; }
""",
    "no package, imports": """
syntax = "proto3";
import "google/protobuf/timestamp.proto";
import public "google/protobuf/duration.proto";
message At { google.protobuf.Timestamp at = 1; google.protobuf.Duration d = 2; }
""",
}


@pytest.mark.parametrize("text", CASES.values(), ids=list(CASES))
def test_round_trip(text: str) -> None:
    parsed = parse_protobuf(text)
    rendered = render_proto(parsed.file)
    assert parse_protobuf(rendered).normalized == parsed.normalized, rendered


def test_well_known_files_round_trip_or_are_refused() -> None:
    include = Path(grpc_tools.__file__).parent / "_proto" / "google" / "protobuf"
    round_tripped = 0
    for path in sorted(include.glob("*.proto")):
        parsed = parse_protobuf(path.read_text())
        try:
            rendered = render_proto(parsed.file)
        except UnsupportedDescriptorError:
            continue  # editions features: the registry keeps such descriptors as given
        assert parse_protobuf(rendered).normalized == parsed.normalized, path.name
        round_tripped += 1
    assert round_tripped >= 8


def test_descriptor_registrations_get_proto_text() -> None:
    text = CASES["proto3 scalars, maps, oneof, optional, nested, enums, reserved"]
    from_descriptor = parse_protobuf(parse_protobuf(text).serialized_base64())
    assert from_descriptor.from_descriptor
    rendered = proto_text_of(from_descriptor)
    assert rendered is not None
    assert rendered.startswith('syntax = "proto3";\npackage flux.t;\n')
    assert "map<string, int64> volumes = 3;" in rendered


def test_descriptor_with_text_references() -> None:
    money = 'syntax = "proto3";\npackage flux.m;\nmessage Money { int64 units = 1; }\n'
    price = (
        'syntax = "proto3";\npackage flux.p;\nimport "flux/m.proto";\nmessage Price { flux.m.Money m = 1; }\n'
    )
    refs_text = {"flux/m.proto": money}
    as_text = parse_protobuf(price, refs_text)
    descriptor = as_text.serialized_base64()
    money_descriptor = parse_protobuf(money).serialized_base64()
    # a descriptor schema may reference text or descriptor schemas: the same schema either way
    assert parse_protobuf(descriptor, refs_text).normalized == as_text.normalized
    assert parse_protobuf(descriptor, {"flux/m.proto": money_descriptor}).normalized == as_text.normalized
    rendered = proto_text_of(parse_protobuf(descriptor, refs_text), refs_text)
    assert rendered is not None
    assert 'import "flux/m.proto";' in rendered
