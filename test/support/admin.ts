import { SELF } from 'cloudflare:test';
import * as v from 'valibot';
import { expect } from 'vitest';
import { at, clientFor, confirmed, signedRequest, uid, type WorkerFetch } from './worker';

/** Helpers for the admin API tests. */

export interface FieldErrorJson {
  path: string;
  message: string;
}

/** Batch intake and schema-checked admin reads, against the worker `fetch` answers for (SELF or a lane). */
export function adminToolsFor(fetch: WorkerFetch) {
  const client = clientFor(fetch);

  /** Sends events in one signed batch and expects every one accepted. */
  async function postBatch(events: Record<string, unknown>[]): Promise<void> {
    const res = await fetch(
      await signedRequest(JSON.stringify({ events: events.map((e) => ({ id: uid('e'), ...e })) }), {
        path: '/v1/events/batch',
      }),
    );
    expect(res.status).toBe(200);
    const { results } = await res.json<{ results: { status: string }[] }>();
    expect(
      results.every((r) => r.status === 'accepted'),
      JSON.stringify(results),
    ).toBe(true);
  }

  /** `count` new users, each confirmed to `newsletterId`; returns their ids. */
  async function subscribeMany(
    newsletterId: string,
    count: number,
    email = (u: string) => `${u}@example.com`,
  ): Promise<string[]> {
    const users = Array.from({ length: count }, () => uid('u'));
    await postBatch(users.map((u) => confirmed(u, newsletterId, email(u), {}, at())));
    return users;
  }

  /** GET an admin path and parse the answer with the documented response schema. */
  async function adminJson<S extends v.GenericSchema>(
    path: string,
    schema: S,
    init: RequestInit = {},
    status = 200,
  ): Promise<v.InferOutput<S>> {
    const res = await client.admin(path, init);
    const text = await res.text();
    expect(res.status, text).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const parsed = v.safeParse(schema, JSON.parse(text));
    expect(parsed.success, JSON.stringify(parsed.issues?.map((i) => `${v.getDotPath(i)}: ${i.message}`))).toBe(true);
    return parsed.output as v.InferOutput<S>;
  }

  return { postBatch, subscribeMany, adminJson };
}

export const { postBatch, subscribeMany, adminJson } = adminToolsFor((request) => SELF.fetch(request));

/** Expects a 422 validation problem and returns its `errors`. */
export async function expect422(res: Response): Promise<FieldErrorJson[]> {
  expect(res.status).toBe(422);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = await res.json<{ type: string; errors: FieldErrorJson[] }>();
  expect(body.type).toBe('/docs#problem-validation');
  expect(body.errors.length).toBeGreaterThan(0);
  return body.errors;
}
