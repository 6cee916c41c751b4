"""Schemas as pure data: parsing, canonical form, identity and compatibility for every schema type.

Nothing here does I/O or knows about servers, Kafka or the registry's storage; the
registry, the offline schema gate and the serde all use the same functions, so a
schema is judged the same way wherever it is judged.

Modules:
    ``types``: ``SchemaType`` and ``CompatibilityLevel``, the shared vocabulary.
    ``errors``: ``InvalidSchemaError`` and ``SchemaReferenceError``.
    ``compatibility``: the public entry points ``parse_schema`` and ``check_compatibility``.
    ``avro_schema``: Avro parsing with references, Parsing Canonical Form and Apache Avro's
        reader/writer compatibility.
    ``protobuf_schema``, ``protobuf_compat``, ``protobuf_text``: ``.proto`` compilation,
        Confluent's Protobuf compatibility rules and descriptor-to-text rendering.
"""

__all__: list[str] = []
