"""The registry views shared by ``flux registry`` and the BFF's contracts browser."""

from __future__ import annotations

from flux.schema_tools.registry_rest import SchemaVersion, compatibility_request, level_of, rule_rows
from flux.schema_tools.schema_text import diff_lines, unified_schema_diff


def test_diff_lines_drop_the_file_header_and_keep_hunks_and_signs() -> None:
    unified = unified_schema_diff(
        '{"a":1,"b":2}', "AVRO", '{"a":1,"c":3}', "AVRO", from_label="s v1", to_label="s v2"
    )
    assert unified.splitlines()[:2] == ["--- s v1", "+++ s v2"]
    assert [(line.op, line.text) for line in diff_lines(unified)] == [
        ("@", "@@ -1,4 +1,4 @@"),
        (" ", "{"),
        (" ", '  "a": 1,'),
        ("-", '  "b": 2'),
        ("+", '  "c": 3'),
        (" ", "}"),
    ]
    assert diff_lines("") == []


def test_rule_rows_flatten_every_group_and_fill_the_gaps() -> None:
    rule_set = {
        "domainRules": [{"name": "r1", "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": "true"}],
        "migrationRules": [{"name": "m1", "disabled": True, "tags": ["PII"], "params": {"k": "v"}}],
        "encodingRules": "not a list",
    }
    rows = rule_rows(rule_set)
    assert [(r["group"], r["name"]) for r in rows] == [("domain", "r1"), ("migration", "m1")]
    assert rows[0]["onFailure"] is None and rows[0]["disabled"] is False and rows[0]["tags"] == []
    assert rows[1]["disabled"] is True and rows[1]["tags"] == ["PII"] and rows[1]["params"] == {"k": "v"}
    assert rule_rows(None) == [] and rule_rows({"domainRules": [1, None]}) == []


def test_versions_compatibility_requests_and_levels() -> None:
    body = {
        "subject": "s-value",
        "version": 3,
        "id": 9,
        "schemaType": "PROTOBUF",
        "schema": "syntax",
        "references": [{"name": "m", "subject": "m-value", "version": 1}],
        "metadata": {"properties": {"owner": "x"}},
        "ruleSet": {"domainRules": []},
    }
    version = SchemaVersion.from_json(body)
    assert version.metadata == {"properties": {"owner": "x"}} and version.rule_set == {"domainRules": []}
    assert compatibility_request(version) == {
        "schema": "syntax",
        "schemaType": "PROTOBUF",
        "references": [{"name": "m", "subject": "m-value", "version": 1}],
    }
    assert SchemaVersion.from_json({**body, "metadata": "junk"}).metadata is None
    assert level_of({"compatibility": "NONE"}) == "NONE" and level_of([]) == "?"
