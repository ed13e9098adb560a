// tests/integration/lib/openapi.js — Circle's published OpenAPI documents as a test oracle.
//
// The documents (headless-client-v1.yaml, headless-auth-v1.yaml, admin-v2.yaml) are read from
// $CIRCLE_OPENAPI_DIR, else from fixtures/circle-openapi in this repository. They
// are OpenAPI 3.0, whose schemas are almost JSON Schema; this file turns them into JSON Schema
// that ajv compiles: `nullable: true` becomes "or null" (anywhere else null is refused, as
// OpenAPI 3.0 says), `$ref`s to #/components/schemas/… point into one root schema per document,
// and OpenAPI-only keywords (example, format names such as date_time) are not checked.
//
// assertResponse(r, doc, method, path) checks a live answer (lib/http.js api()) against the
// operation `method path` of document `doc` ('client', 'auth' or 'admin'; path as the document
// spells it, e.g. '/api/headless/v1/messages/{uuid}'): its status must be one the operation
// documents, and its body must be valid against that status's schema. Where the operation has no
// schema for the status (only examples), opts.schema names the component schema to use instead
// (Circle's example is then that shape), or the body must be empty when opts.empty.
// componentValidator(doc, name) validates a value against one component schema (events, whose
// data is the REST shape).

'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const Ajv = require('ajv');
const YAML = require('yaml');

const DIR = process.env.CIRCLE_OPENAPI_DIR
  || path.resolve(__dirname, '../fixtures/circle-openapi');
const FILES = { client: 'headless-client-v1.yaml', auth: 'headless-auth-v1.yaml', admin: 'admin-v2.yaml' };

const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
const docs = {};

/** An OpenAPI 3.0 schema as JSON Schema (see the file comment). */
function convert(s, id) {
  if (Array.isArray(s)) return s.map((x) => convert(x, id));
  if (!s || typeof s !== 'object') return s;
  const out = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'nullable' || k === 'example' || k === 'format' || k === 'xml' || k === 'externalDocs') continue;
    if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')) {
      out.$ref = `${id}#/definitions/${v.slice('#/components/schemas/'.length)}`;
    } else if (k === 'properties' || k === 'patternProperties' || k === 'definitions') {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, sub]) => [name, convert(sub, id)]));
    } else {
      out[k] = convert(v, id);
    }
  }
  if (s.nullable === true) {
    // OpenAPI 3.0: siblings of a $ref are ignored, nullable included; Circle writes it anyway
    // where it means "this item may be null".
    if (out.$ref) return { anyOf: [{ $ref: out.$ref }, { type: 'null' }] };
    if (typeof out.type === 'string') {
      const { enum: en, ...rest } = out;
      return en ? { anyOf: [rest.type ? { ...rest, enum: en } : out, { type: 'null' }] }
        : { ...rest, type: [out.type, 'null'] };
    }
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

function load(doc) {
  if (docs[doc]) return docs[doc];
  const file = path.join(DIR, FILES[doc]);
  if (!fs.existsSync(file)) {
    throw new Error(`Circle's OpenAPI document ${file} is missing: set CIRCLE_OPENAPI_DIR to the folder of ` +
      Object.values(FILES).join(', '));
  }
  const spec = YAML.parse(fs.readFileSync(file, 'utf8'), { maxAliasCount: -1 });
  const id = `circle-${doc}`;
  const root = { $id: id, definitions: {} };
  for (const [name, s] of Object.entries((spec.components && spec.components.schemas) || {})) {
    root.definitions[name] = convert(s, id);
  }
  ajv.addSchema(root);
  docs[doc] = { spec, id, compiled: new Map() };
  return docs[doc];
}

function compile(d, key, schema) {
  if (!d.compiled.has(key)) d.compiled.set(key, ajv.compile(schema));
  return d.compiled.get(key);
}

/** A validator function for component schema `name` of `doc`. */
function componentValidator(doc, name) {
  const d = load(doc);
  assert.ok(d.spec.components.schemas[name], `${doc}: no component schema ${name}`);
  return compile(d, `#${name}`, { $ref: `${d.id}#/definitions/${name}` });
}

function explain(validate, body) {
  return ajv.errorsText(validate.errors, { separator: '\n  ' }) + `\nbody: ${JSON.stringify(body).slice(0, 2000)}`;
}

/** Asserts `value` is valid against component schema `name` of `doc`. */
function assertComponent(value, doc, name, what = name) {
  const v = componentValidator(doc, name);
  assert.ok(v(value), `${what}: not a valid ${doc} ${name}:\n  ${explain(v, value)}`);
}

/** The operation `method path` of `doc`. */
function operation(doc, method, p) {
  const d = load(doc);
  const item = d.spec.paths[p];
  assert.ok(item, `${doc}: no path ${p} in Circle's document`);
  const op = item[method.toLowerCase()];
  assert.ok(op, `${doc}: no ${method} ${p} in Circle's document`);
  return { d, op };
}

/**
 * Asserts the live answer r (status, body) of `method path` is what Circle's document `doc`
 * says: a documented status, and a body valid against its schema. Returns the parsed body.
 * opts.schema: component to validate against when the status has no schema of its own;
 * opts.empty: the documented answer has no body; opts.status: the status expected.
 */
function assertResponse(r, doc, method, p, opts = {}) {
  const { d, op } = operation(doc, method, p);
  const what = `${method} ${p} answered ${r.status} ${String(r.body).slice(0, 500)}`;
  if (opts.status !== undefined) assert.equal(r.status, opts.status, what);
  const res = op.responses[String(r.status)];
  assert.ok(res, `${what}: Circle documents only ${Object.keys(op.responses).join(', ')}`);
  if (opts.empty) {
    assert.equal(r.body, '', `${what}: no body expected`);
    return null;
  }
  const body = r.body === '' ? null : JSON.parse(r.body);
  const media = res.content && res.content['application/json'];
  let validate;
  if (media && media.schema) {
    validate = compile(d, `${method} ${p} ${r.status}`, convert(media.schema, d.id));
  } else if (opts.schema) {
    validate = componentValidator(doc, opts.schema);
  } else {
    assert.fail(`${what}: Circle gives no schema for it; name the component its example shows (opts.schema)`);
  }
  assert.ok(validate(body), `${what}: not valid against Circle's schema:\n  ${explain(validate, body)}`);
  return body;
}

module.exports = { assertResponse, assertComponent, componentValidator, operation };
