import type { Context } from 'hono';
import * as v from 'valibot';
import { problems } from '../../lib/problem';
import { parseOr422 } from '../../lib/valibot';
import type { AppEnv } from '../context';

/**
 * Reading an admin request's input. Path parameters are parsed as one object, so a 422 names
 * the parameter (`/userId`); a body must be JSON (400) matching its schema (422, every
 * violation listed); every admin body is a JSON object. An empty body counts as `{}` where
 * the body is optional.
 */

export function pathParams<E extends v.ObjectEntries>(
  c: Context<AppEnv>,
  entries: E,
): v.InferOutput<v.ObjectSchema<E, undefined>> {
  return parseOr422(v.object(entries), c.req.param(), 'A path parameter is not valid.');
}

export async function jsonBody<S extends v.GenericSchema>(
  c: Context<AppEnv>,
  schema: S,
  options: { optional?: boolean } = {},
): Promise<v.InferOutput<S>> {
  const raw = await c.req.text();
  if (!raw.trim()) {
    if (options.optional) return parseOr422(schema, {});
    throw problems.badRequest('A JSON body is required.');
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw problems.badRequest('The body is not valid JSON.');
  }
  // valibot's object schema takes an array for an object with no keys: say no here.
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw problems.invalid([{ path: '/', message: 'The body must be a JSON object' }]);
  return parseOr422(schema, json);
}
