import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { toJsonSchema } from '../../src/openapi/from-valibot';

describe('valibot → JSON Schema', () => {
  it('turns objects into properties with required keys, and strict objects refuse other keys', () => {
    expect(toJsonSchema(v.object({ a: v.string(), b: v.optional(v.number()), c: v.nullish(v.boolean()) }))).toEqual({
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'number' }, c: { anyOf: [{ type: 'boolean' }, { type: 'null' }] } },
      required: ['a'],
    });
    expect(toJsonSchema(v.strictObject({ a: v.string() }))).toMatchObject({ additionalProperties: false });
    expect(toJsonSchema(v.record(v.string(), v.number()))).toEqual({ type: 'object', additionalProperties: { type: 'number' } });
  });

  it('keeps the constraints of a pipe and the metadata', () => {
    const schema = v.pipe(v.string(), v.trim(), v.minLength(2), v.maxLength(9), v.regex(/^[a-z]+$/), v.description('A word'), v.examples(['abc']));
    expect(toJsonSchema(schema)).toEqual({ type: 'string', minLength: 2, maxLength: 9, pattern: '^[a-z]+$', description: 'A word', examples: ['abc'] });
    expect(toJsonSchema(v.pipe(v.string(), v.email()))).toEqual({ type: 'string', format: 'email' });
    expect(toJsonSchema(v.pipe(v.string(), v.isoTimestamp()))).toEqual({ type: 'string', format: 'date-time' });
    expect(toJsonSchema(v.pipe(v.array(v.string()), v.minLength(1), v.maxLength(3)))).toEqual({ type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 3 });
  });

  it('documents a query string read as a number as the number the handler sees, with its default', () => {
    const limit = v.optional(v.pipe(v.string(), v.regex(/^\d+$/), v.toNumber(), v.integer(), v.minValue(1), v.maxValue(500)), '50');
    expect(toJsonSchema(limit)).toEqual({ type: 'integer', minimum: 1, maximum: 500, default: 50 });
  });

  it('stops describing at a transformation it cannot follow', () => {
    expect(toJsonSchema(v.pipe(v.string(), v.minLength(1), v.transform((s) => s.length), v.minValue(3)))).toEqual({ type: 'string', minLength: 1 });
  });

  it('names literals, picklists, unions, variants and intersections', () => {
    expect(toJsonSchema(v.literal('x'))).toEqual({ const: 'x' });
    expect(toJsonSchema(v.picklist(['m', 'f']))).toEqual({ enum: ['m', 'f'] });
    expect(toJsonSchema(v.union([v.string(), v.number()]))).toEqual({ anyOf: [{ type: 'string' }, { type: 'number' }] });
    const A = v.object({ kind: v.literal('a') });
    const B = v.object({ kind: v.literal('b'), n: v.number() });
    const refs = new Map<object, string>([[A, 'A'], [B, 'B']]);
    expect(toJsonSchema(v.variant('kind', [A, B]), { refs })).toEqual({
      oneOf: [{ $ref: '#/components/schemas/A' }, { $ref: '#/components/schemas/B' }],
      discriminator: { propertyName: 'kind', mapping: { a: '#/components/schemas/A', b: '#/components/schemas/B' } },
    });
    expect(toJsonSchema(v.intersect([A, v.object({ id: v.string() })]), { refs })).toEqual({
      allOf: [{ $ref: '#/components/schemas/A' }, { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] }],
    });
  });

  it('refers to named schemas, except when defining one', () => {
    const Named = v.object({ a: v.string() });
    const refs = new Map<object, string>([[Named, 'Named']]);
    expect(toJsonSchema(v.array(Named), { refs })).toEqual({ type: 'array', items: { $ref: '#/components/schemas/Named' } });
    expect(toJsonSchema(Named, { refs })).toEqual({ $ref: '#/components/schemas/Named' });
    expect(toJsonSchema(Named, { refs, definition: true })).toMatchObject({ type: 'object' });
  });

  it('refuses a schema type it does not know rather than guessing', () => {
    expect(() => toJsonSchema(v.date())).toThrow(/"date" is not supported/);
  });
});
