import * as v from 'valibot';
import { applyActions } from './valibot-actions';

/**
 * valibot schema → JSON Schema (draft 2020-12, as OpenAPI 3.1 uses), so the served document
 * is generated from the very schemas that validate requests. A small stand-in for
 * `@valibot/to-json-schema`, covering what this project's schemas use. It documents the
 * *input* a client sends: a pipe stops at the first transformation it cannot describe, and
 * `toNumber` (a query string read as a number) turns the type into a number.
 */

export type JsonSchema = { [key: string]: unknown };

export interface ConvertOptions {
  /** Schemas that have a name in `components.schemas`: referenced, not inlined. */
  refs?: ReadonlyMap<object, string>;
  /** Inline the schema itself even if it has a name (to define it in `components`). */
  definition?: boolean;
}

/** The parts of a valibot schema or action this converter reads. */
export interface Node {
  kind: string;
  type: string;
  pipe?: readonly Node[];
  entries?: Record<string, Node>;
  item?: Node;
  options?: readonly unknown[];
  wrapped?: Node;
  default?: unknown;
  literal?: unknown;
  key?: Node | string;
  value?: Node;
  requirement?: unknown;
  description?: string;
  title?: string;
  examples?: readonly unknown[];
  metadata?: Record<string, unknown>;
}

// valibot's schema objects are plain data with these fields; reading them needs no more trust
// than the schema's own author gave it.
const asNode = (schema: object): Node => schema as Node;

export function toJsonSchema(schema: v.GenericSchema, options: ConvertOptions = {}): JsonSchema {
  return convert(asNode(schema), options.refs ?? new Map(), options.definition ?? false);
}

function convert(node: Node, refs: ReadonlyMap<object, string>, root = false): JsonSchema {
  const name = refs.get(node);
  if (name && !root) return { $ref: `#/components/schemas/${name}` };
  if (node.pipe) {
    const [base, ...actions] = node.pipe;
    const out = base ? convert(base, refs, root || base === node) : {};
    applyActions(out, actions);
    return out;
  }
  return convertType(node, refs);
}

function convertType(node: Node, refs: ReadonlyMap<object, string>): JsonSchema {
  const sub = (n: unknown) => convert(asNode(n as object), refs);
  switch (node.type) {
    case 'string':
      return { type: 'string' };
    case 'number':
      return { type: 'number' };
    case 'boolean':
      return { type: 'boolean' };
    case 'null':
      return { type: 'null' };
    case 'unknown':
    case 'any':
    case 'custom':
      return {};
    case 'literal':
      return { const: node.literal };
    case 'picklist':
    case 'enum':
      return { enum: [...(node.options ?? [])] };
    case 'object':
    case 'loose_object':
    case 'strict_object':
      return objectSchema(node, refs);
    case 'array':
      return { type: 'array', items: node.item ? sub(node.item) : {} };
    case 'record':
      return { type: 'object', additionalProperties: node.value ? sub(node.value) : {} };
    case 'union':
      return { anyOf: (node.options ?? []).map(sub) };
    case 'variant':
      return variantSchema(node, refs);
    case 'intersect':
      return { allOf: (node.options ?? []).map(sub) };
    case 'optional':
    case 'nullable':
    case 'nullish':
      return wrappedSchema(node, refs);
    default:
      throw new Error(`toJsonSchema: valibot schema type "${node.type}" is not supported`);
  }
}

function objectSchema(node: Node, refs: ReadonlyMap<object, string>): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [key, entry] of Object.entries(node.entries ?? {})) {
    properties[key] = convert(entry, refs);
    if (entry.type !== 'optional' && entry.type !== 'nullish') required.push(key);
  }
  return {
    type: 'object',
    properties,
    ...(required.length ? { required } : {}),
    // A plain valibot object drops unknown keys, so it accepts them: only strict says no.
    ...(node.type === 'strict_object' ? { additionalProperties: false } : {}),
  };
}

function variantSchema(node: Node, refs: ReadonlyMap<object, string>): JsonSchema {
  const options = (node.options ?? []).map((o) => convert(asNode(o as object), refs));
  const key = typeof node.key === 'string' ? node.key : undefined;
  const mapping: Record<string, string> = {};
  for (const option of node.options ?? []) {
    const o = asNode(option as object);
    const name = refs.get(o);
    const tag = o.entries && key ? o.entries[key]?.literal : undefined;
    if (name && typeof tag === 'string') mapping[tag] = `#/components/schemas/${name}`;
  }
  const allNamed = Object.keys(mapping).length === options.length;
  return { oneOf: options, ...(key && allNamed ? { discriminator: { propertyName: key, mapping } } : {}) };
}

function wrappedSchema(node: Node, refs: ReadonlyMap<object, string>): JsonSchema {
  const inner = node.wrapped ? convert(node.wrapped, refs) : {};
  const nullable = node.type !== 'optional';
  const out: JsonSchema = nullable ? { anyOf: [inner, { type: 'null' }] } : { ...inner };
  const fallback = defaultOf(node);
  if (fallback !== undefined) out.default = fallback;
  return out;
}

/** The documented default is what the handler sees: the default run through the schema. */
function defaultOf(node: Node): unknown {
  if (node.default === undefined || typeof node.default === 'function') return undefined;
  const parsed = node.wrapped ? v.safeParse(node.wrapped as unknown as v.GenericSchema, node.default) : null;
  return parsed?.success ? parsed.output : node.default;
}
