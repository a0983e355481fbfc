import type * as v from 'valibot';
import type { JsonSchema } from './from-valibot';

/**
 * How the API's operations are described for the OpenAPI document. Request and response
 * schemas are the valibot schemas the code uses; plain JSON Schema appears only where the
 * code validates by hand (the webhook headers, the unsubscribe form).
 */

export type SchemaSource = v.GenericSchema | JsonSchema;

export interface Reply {
  description: string;
  /** Media type → schema; absent for an answer without a body. */
  content?: Record<string, SchemaSource>;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
}

export interface Operation {
  method: 'get' | 'put' | 'post' | 'delete';
  /** OpenAPI form, `{param}` for path parameters. */
  path: string;
  operationId: string;
  tag: 'Portal events' | 'Admin' | 'Reader pages' | 'Service';
  summary: string;
  description?: string;
  security: 'admin' | 'webhook' | 'none';
  pathParams?: Record<string, SchemaSource>;
  query?: { entries: v.ObjectEntries };
  headers?: { name: string; required: boolean; description: string; schema: JsonSchema }[];
  body?: { required: boolean; description?: string; content: Record<string, SchemaSource> };
  responses: Record<string, Reply>;
  /** Problem types (slugs of src/openapi/problems.ts) this operation may answer with. */
  problems?: string[];
}

export const isValibot = (s: SchemaSource): s is v.GenericSchema => (s as { kind?: unknown }).kind === 'schema';
