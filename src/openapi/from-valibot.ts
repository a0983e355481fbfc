import { type OverrideSchemaContext, toJsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';

/**
 * valibot schema → JSON Schema (draft 2020-12, as OpenAPI 3.1 uses) through
 * `@valibot/to-json-schema`, so the served document is generated from the very schemas that
 * validate requests. It documents the *input* a client sends. Three things are added on top
 * of the library, each for a reason the library cannot know:
 *
 * - a query string read as a number (`toNumber`) is documented as the number the handler
 *   checks, with its bounds, as OpenAPI clients expect of a numeric query parameter;
 * - a default is documented as the handler sees it (run through its schema: '50' → 50);
 * - a variant whose options all have a name gets OpenAPI's `discriminator` mapping.
 *
 * Anything the library cannot express throws, so a new kind of schema is noticed at once.
 */

export type JsonSchema = { [key: string]: unknown };

export interface SchemaConverter {
  /** The named schemas, for `components.schemas`. */
  components(): Record<string, JsonSchema>;
  /** Any schema; named schemas inside it become `$ref`s to `components.schemas`. */
  schema(schema: v.GenericSchema): JsonSchema;
}

const REF_BASE = '#/components/schemas/';
/** Trimming and case changes leave the shape a client sends as it is; `check` rules are told in descriptions. */
const SHAPE_KEEPING = ['trim', 'to_lower_case', 'to_upper_case', 'check'];

export function schemaConverter(named: readonly (readonly [string, v.GenericSchema])[]): SchemaConverter {
  const names = new Map<object, string>(named.map(([name, schema]) => [schema, name]));
  // Named schemas become references by override rather than through the library's
  // `definitions`, which converts every definition again for each schema (the whole document
  // took ~10× longer to build that way).
  const ref = (schema: object) => {
    const name = names.get(schema);
    return name ? { $ref: `${REF_BASE}${name}` } : undefined;
  };
  const convert = (root: v.GenericSchema): JsonSchema =>
    plain(
      toJsonSchema(root, {
        target: 'draft-2020-12',
        typeMode: 'input',
        ignoreActions: SHAPE_KEEPING,
        overrideSchema: (context) =>
          (context.valibotSchema !== root && ref(context.valibotSchema)) || override(context, names),
      }),
    );
  return {
    components: () => Object.fromEntries(named.map(([name, schema]) => [name, convert(schema)])),
    schema: (schema) => ref(schema) ?? readAsNumber(schema) ?? convert(schema),
  };
}

/** Without the draft marker: the document names its dialect once (`jsonSchemaDialect`). */
function plain(schema: object): JsonSchema {
  const { $schema: _draft, ...rest } = schema as JsonSchema;
  return rest;
}

/** The parts of a valibot schema the additions read (valibot's schemas are plain data). */
interface Node {
  type: string;
  pipe?: readonly Node[];
  wrapped?: v.GenericSchema;
  default?: unknown;
  key?: unknown;
  options?: readonly Node[];
  entries?: Record<string, Node>;
  literal?: unknown;
}

function override(
  { valibotSchema, jsonSchema }: OverrideSchemaContext,
  names: ReadonlyMap<object, string>,
): JsonSchema | undefined {
  const node = valibotSchema as unknown as Node;
  if (node.type === 'variant') return withDiscriminator(node, jsonSchema as JsonSchema, names);
  if (node.type !== 'optional' || !node.wrapped) return undefined;
  const inner = readAsNumber(node.wrapped) ?? (jsonSchema as JsonSchema);
  if (node.default === undefined || typeof node.default === 'function') return inner;
  const parsed = v.safeParse(node.wrapped, node.default);
  return { ...inner, default: parsed.success ? parsed.output : node.default };
}

/**
 * A string pipe with `toNumber` (a query parameter) as the number the handler checks: what
 * follows `toNumber` described on a number schema. The library only sees the pipe from
 * outside (top level or wrapped), so both places ask here.
 */
function readAsNumber(schema: v.GenericSchema): JsonSchema | undefined {
  const pipe = (schema as unknown as Node).pipe;
  const at = pipe?.findIndex((a) => a.type === 'to_number') ?? -1;
  if (!pipe || at < 0) return undefined;
  const actions = pipe.slice(at + 1) as unknown as v.PipeItem<number, number, v.BaseIssue<unknown>>[];
  return plain(toJsonSchema(v.pipe(v.number(), ...actions), { target: 'draft-2020-12', typeMode: 'input' }));
}

function withDiscriminator(
  node: Node,
  jsonSchema: JsonSchema,
  names: ReadonlyMap<object, string>,
): JsonSchema | undefined {
  if (typeof node.key !== 'string') return undefined;
  const mapping: Record<string, string> = {};
  for (const option of node.options ?? []) {
    const name = names.get(option);
    const tag = option.entries?.[node.key]?.literal;
    if (!name || typeof tag !== 'string') return undefined;
    mapping[tag] = `${REF_BASE}${name}`;
  }
  return { ...jsonSchema, discriminator: { propertyName: node.key, mapping } };
}
