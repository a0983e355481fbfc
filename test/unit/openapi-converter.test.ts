import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { schemaConverter } from '../../src/openapi/from-valibot';

const A = v.object({ kind: v.literal('a') });
const B = v.object({ kind: v.literal('b'), n: v.number() });
const Either = v.variant('kind', [A, B]);
const convert = schemaConverter([
  ['A', A],
  ['B', B],
  ['Either', Either],
]);

describe('valibot → JSON Schema for the OpenAPI document', () => {
  it('turns objects into properties with required keys, and strict objects refuse other keys', () => {
    expect(convert.schema(v.object({ a: v.string(), b: v.optional(v.number()), c: v.nullish(v.boolean()) }))).toEqual({
      type: 'object',
      properties: {
        a: { type: 'string' },
        b: { type: 'number' },
        c: { anyOf: [{ type: 'boolean' }, { type: 'null' }] },
      },
      required: ['a'],
    });
    expect(convert.schema(v.strictObject({ a: v.string() }))).toMatchObject({ additionalProperties: false });
  });

  it('keeps the constraints and metadata of a pipe, and passes over trimming and checks', () => {
    const schema = v.pipe(
      v.string(),
      v.trim(),
      v.minLength(2),
      v.maxLength(9),
      v.regex(/^[a-z]+$/),
      v.check((s) => s !== 'no'),
      v.description('A word'),
      v.examples(['abc']),
    );
    expect(convert.schema(schema)).toEqual({
      type: 'string',
      minLength: 2,
      maxLength: 9,
      pattern: '^[a-z]+$',
      description: 'A word',
      examples: ['abc'],
    });
    expect(convert.schema(v.pipe(v.string(), v.email()))).toEqual({ type: 'string', format: 'email' });
    expect(convert.schema(v.pipe(v.string(), v.isoTimestamp()))).toEqual({ type: 'string', format: 'date-time' });
    expect(convert.schema(v.pipe(v.array(v.string()), v.minLength(1), v.maxLength(3)))).toEqual({
      type: 'array',
      items: { type: 'string' },
      minItems: 1,
      maxItems: 3,
    });
  });

  it('documents a query string read as a number as the number the handler checks, with its default', () => {
    const limit = v.optional(
      v.pipe(
        v.string(),
        v.regex(/^\d+$/),
        v.toNumber(),
        v.integer(),
        v.minValue(1),
        v.maxValue(500),
        v.description('Page size'),
      ),
      '50',
    );
    expect(convert.schema(limit)).toEqual({
      type: 'integer',
      minimum: 1,
      maximum: 500,
      description: 'Page size',
      default: 50,
    });
    expect(convert.schema(v.pipe(v.string(), v.regex(/^\d+$/), v.toNumber(), v.minValue(2)))).toEqual({
      type: 'number',
      minimum: 2,
    });
    expect(convert.schema(v.object({ page: limit }))).toMatchObject({
      properties: { page: { type: 'integer', default: 50 } },
    });
    expect(convert.schema(v.optional(v.string(), 'x'))).toEqual({ type: 'string', default: 'x' });
  });

  it('stops describing at a transformation whose result it cannot know', () => {
    expect(
      convert.schema(
        v.pipe(
          v.string(),
          v.minLength(1),
          v.transform((s) => s.length),
          v.minValue(3),
        ),
      ),
    ).toEqual({ type: 'string', minLength: 1 });
  });

  it('refers to named schemas and gives a variant of named options its discriminator', () => {
    expect(convert.schema(v.array(A))).toEqual({ type: 'array', items: { $ref: '#/components/schemas/A' } });
    expect(convert.schema(v.intersect([A, v.object({ id: v.string() })]))).toEqual({
      allOf: [
        { $ref: '#/components/schemas/A' },
        { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      ],
    });
    const components = convert.components();
    expect(Object.keys(components)).toEqual(['A', 'B', 'Either']);
    expect(components.A).toEqual({ type: 'object', properties: { kind: { const: 'a' } }, required: ['kind'] });
    expect(components.Either).toEqual({
      oneOf: [{ $ref: '#/components/schemas/A' }, { $ref: '#/components/schemas/B' }],
      discriminator: { propertyName: 'kind', mapping: { a: '#/components/schemas/A', b: '#/components/schemas/B' } },
    });
    // An unnamed option: no mapping can point at it, so no discriminator is claimed.
    expect(convert.schema(v.variant('kind', [A, v.object({ kind: v.literal('c') })]))).not.toHaveProperty(
      'discriminator',
    );
  });

  it('names literals, picklists and unions', () => {
    expect(convert.schema(v.literal('x'))).toEqual({ const: 'x' });
    expect(convert.schema(v.picklist(['m', 'f']))).toEqual({ type: 'string', enum: ['m', 'f'] });
    expect(convert.schema(v.union([v.string(), v.number()]))).toEqual({
      anyOf: [{ type: 'string' }, { type: 'number' }],
    });
  });

  it('refuses a schema it cannot express rather than guessing', () => {
    expect(() => convert.schema(v.date())).toThrow(/"date" schema cannot be converted/);
  });
});
