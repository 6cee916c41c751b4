#!/usr/bin/env node
// Validates an AsyncAPI document with the official parser, @asyncapi/parser (the AsyncAPI JSON Schema
// and its semantic rules: references, operation/channel consistency, ...), with the Avro and Protobuf
// schema parsers registered. The parser's AsyncAPI 3 rules do not check a payload written in another
// schemaFormat, so each such payload is also validated here by its format's parser (avsc for Avro,
// protobufjs for Protobuf); a schemaFormat no parser knows is an error.
// Usage: node validate.js docs/asyncapi.json
// Prints each error and warning; exits 1 on any error (warnings are allowed), 2 on bad usage.
'use strict';
const fs = require('node:fs');
const { Parser, DiagnosticSeverity } = require('@asyncapi/parser');
const { AvroSchemaParser } = require('@asyncapi/avro-schema-parser');
const { ProtoBuffSchemaParser } = require('@asyncapi/protobuf-schema-parser');

const NATIVE = /^application\/(vnd\.aai\.asyncapi(\+json|\+yaml)?;version=|schema\+(json|yaml);version=draft-07)/;

function* multiFormatSchemas(node, path) {
  if (node === null || typeof node !== 'object') return;
  if (typeof node.schemaFormat === 'string' && 'schema' in node) {
    yield { path, format: node.schemaFormat, schema: node.schema };
    return;
  }
  for (const [key, value] of Object.entries(node)) yield* multiFormatSchemas(value, [...path, key]);
}

async function customFormatProblems(raw, parsers) {
  const problems = [];
  for (const { path, format, schema } of multiFormatSchemas(raw, [])) {
    if (NATIVE.test(format)) continue;
    const parser = parsers.find((p) => p.getMimeTypes().includes(format));
    if (!parser) {
      problems.push(`unknown schemaFormat ${format} at /${path.join('/')}`);
      continue;
    }
    const found = await parser.validate({ data: schema, path, schemaFormat: format, meta: {} });
    for (const p of found) problems.push(`${format}: ${p.message} at /${path.join('/')}`);
  }
  return problems;
}

async function main() {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node validate.js ASYNCAPI_FILE');
    return 2;
  }
  const text = fs.readFileSync(file, 'utf8');
  const custom = [AvroSchemaParser(), ProtoBuffSchemaParser()];
  const parser = new Parser();
  for (const p of custom) parser.registerSchemaParser(p);
  const { document, diagnostics } = await parser.parse(text, { source: file });
  let errors = 0;
  for (const d of diagnostics) {
    if (d.severity > DiagnosticSeverity.Warning) continue;
    const level = d.severity === DiagnosticSeverity.Error ? 'error' : 'warning';
    if (level === 'error') errors += 1;
    console.log(`${level}: ${d.code}: ${d.message.split('\n')[0]} at /${(d.path || []).join('/')}`);
  }
  for (const problem of await customFormatProblems(JSON.parse(text), custom)) {
    errors += 1;
    console.log(`error: payload: ${problem}`);
  }
  if (!document || errors) {
    console.log(`${file}: INVALID (${errors} error(s))`);
    return 1;
  }
  const channels = document.channels().length;
  const operations = document.operations().length;
  const messages = document.components().messages().length;
  console.log(
    `${file}: valid AsyncAPI ${document.version()} (${channels} channels, ${operations} operations, ${messages} messages)`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
