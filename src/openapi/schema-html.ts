import type { JsonSchema } from './from-valibot';
import { anchor, h, markdown, type Safe } from './html';

/** JSON Schema as readable HTML: types inline, objects as tables of their properties. */

export const obj = (x: unknown): JsonSchema =>
  typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as JsonSchema) : {};
export const arr = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
export const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);

const refName = (ref: string) => ref.replace('#/components/schemas/', '');

export function schemaHtml(schema: JsonSchema, depth = 0): Safe {
  if (depth > 8) return h`…`;
  const ref = str(schema.$ref);
  if (ref) return h`<a href="#${anchor('schema', refName(ref))}">${refName(ref)}</a>${constraints(schema)}`;
  if ('const' in schema) return h`<code>${JSON.stringify(schema.const)}</code>${notes(schema)}`;
  if (Array.isArray(schema.enum))
    return h`one of ${schema.enum.map((e, i) => h`${i ? ', ' : ''}<code>${JSON.stringify(e)}</code>`)}${notes(schema)}`;
  for (const key of ['oneOf', 'anyOf', 'allOf'] as const) {
    const options = arr(schema[key]).map(obj);
    if (!options.length) continue;
    // `X or null` reads better than a list of two.
    const nullable = key === 'anyOf' && options.length === 2 && options[1]?.type === 'null';
    if (nullable && options[0]) return h`${schemaHtml(options[0], depth + 1)} or <code>null</code>${notes(schema)}`;
    const label = key === 'allOf' ? 'all of' : 'one of';
    const by = str(obj(schema.discriminator).propertyName);
    return h`${label}${by ? h` (by <code>${by}</code>)` : ''}:<ul>${options.map((o) => h`<li>${schemaHtml(o, depth + 1)}</li>`)}</ul>${notes(schema)}`;
  }
  if (schema.type === 'array')
    return h`array of ${schemaHtml(obj(schema.items), depth + 1)}${constraints(schema)}${notes(schema)}`;
  if (schema.type === 'object' || schema.properties) return objectHtml(schema, depth);
  const type = str(schema.type) ?? 'any value';
  return h`<span class="type">${type}</span>${constraints(schema)}${notes(schema)}`;
}

function objectHtml(schema: JsonSchema, depth: number): Safe {
  const props = Object.entries(obj(schema.properties));
  const required = new Set(arr(schema.required));
  const extra = schema.additionalProperties;
  const map = extra !== undefined && extra !== false && !props.length;
  if (map) return h`object of string → ${schemaHtml(obj(extra), depth + 1)}${notes(schema)}`;
  if (!props.length) return h`<span class="type">object</span>${notes(schema)}`;
  return h`${notes(schema)}<table class="props"><tbody>${props.map(
    ([name, p]) =>
      h`<tr><td><code>${name}</code>${required.has(name) ? h`<span class="req" title="required">*</span>` : ''}</td><td>${schemaHtml(obj(p), depth + 1)}</td></tr>`,
  )}</tbody></table>${schema.additionalProperties === false ? h`<p class="note">No other fields.</p>` : ''}`;
}

function constraints(schema: JsonSchema): Safe {
  const parts: string[] = [];
  const add = (key: string, label: string) => {
    if (schema[key] !== undefined) parts.push(`${label} ${JSON.stringify(schema[key])}`);
  };
  add('format', 'format');
  add('pattern', 'pattern');
  add('minLength', 'min length');
  add('maxLength', 'max length');
  add('minItems', 'min items');
  add('maxItems', 'max items');
  add('minimum', 'min');
  add('maximum', 'max');
  add('default', 'default');
  return parts.length ? h` <span class="constraints">(${parts.join(', ')})</span>` : h``;
}

function notes(schema: JsonSchema): Safe {
  const text = str(schema.description);
  return text ? h`<div class="desc">${markdown(text)}</div>` : h``;
}
