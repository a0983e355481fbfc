import { createExecutionContext, env, SELF, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import worker from '../../src/index';
import { sign, verify } from '../../src/lib/standard-webhooks';
import { TEST_SECRETS } from '../support/settings';
import { at, confirmed, postEvent, signedRequest, uid } from '../support/worker';

/**
 * Intake limits (contract §1, §6): bounded work whatever a caller without a secret sends, and
 * a clear 4xx for every limit, in the contract's order (size → signature → known id → JSON →
 * schema → stored).
 */

const event = (extra: Record<string, unknown> = {}) => ({
  ...confirmed(uid('u'), uid('nl'), 'reader@example.com', {}, at()),
  ...extra,
});
const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
/** JSON text of `value` with `extra` holding an array nested `levels` deep (JSON.stringify recurses). */
const withNesting = (value: object, levels: number) =>
  JSON.stringify({ ...value, extra: 0 }).replace('"extra":0', `"extra":${nested(levels)}`);
const postText = async (body: string, options: { id?: string; path?: string } = {}) =>
  SELF.fetch(await signedRequest(body, options));
const bogusEntry = (i: number) => `v1,${btoa(String(i).padStart(32, '0'))}`;

/** A delivery signed with the test secret whose signature header carries `entries` first. */
async function withEntries(entries: string[], body: string, path = '/v1/events') {
  const req = await signedRequest(body, { path });
  const good = req.headers.get('webhook-signature') ?? '';
  const headers = new Headers(req.headers);
  headers.set('webhook-signature', [...entries, good].join(' '));
  return SELF.fetch(new Request(req, { headers }));
}

type Problem = { status: number; detail: string; errors?: { path: string; message: string }[] };

describe('webhook-signature: bounded work for a caller who holds no secret', () => {
  afterEach(() => vi.restoreAllMocks());

  it('refuses more than 8 entries with 401 before any MAC, even when one of them matches', async () => {
    const res = await withEntries(
      Array.from({ length: 8 }, (_, i) => bogusEntry(i)),
      JSON.stringify(event()),
    );
    expect(res.status).toBe(401);
    expect(((await res.json()) as Problem).detail).toBe('webhook-signature holds more than 8 entries.');
  });

  it('still accepts 8 entries with the matching one last', async () => {
    const res = await withEntries(
      Array.from({ length: 7 }, (_, i) => bogusEntry(i)),
      JSON.stringify(event()),
    );
    expect(res.status).toBe(202);
  });

  it('refuses 2,000 bogus entries on a 60 KiB body at once, single and batch', async () => {
    const entries = Array.from({ length: 2000 }, (_, i) => bogusEntry(i));
    const padded = JSON.stringify(event({ pad: 'x'.repeat(60 * 1024) }));
    for (const path of ['/v1/events', '/v1/events/batch']) {
      const res = await withEntries(entries, padded, path);
      expect(res.status, path).toBe(401);
      expect(((await res.json()) as Problem).detail, path).toMatch(/more than 8 entries/);
    }
  });

  it('computes the expected MAC once per configured secret and compares it with each entry', async () => {
    const body = new TextEncoder().encode('x'.repeat(60 * 1024));
    const ts = Math.floor(Date.now() / 1000);
    const secrets = [TEST_SECRETS.PORTAL_SIGNING_SECRET, TEST_SECRETS.PORTAL_SIGNING_SECRET_ROTATED];
    const good = await sign(TEST_SECRETS.PORTAL_SIGNING_SECRET_ROTATED, 'msg-1', ts, body);
    const macs = vi.spyOn(crypto.subtle, 'sign');
    const verifies = vi.spyOn(crypto.subtle, 'verify');
    const headers = (entries: string[]) => ({ id: 'msg-1', timestamp: String(ts), signature: entries.join(' ') });

    const bogus = Array.from({ length: 8 }, (_, i) => bogusEntry(i));
    expect(await verify(secrets, headers(bogus), body)).toBe('no-match');
    expect(macs).toHaveBeenCalledTimes(secrets.length);
    expect(await verify(secrets, headers([...bogus.slice(1), good]), body)).toBeNull();
    expect(macs).toHaveBeenCalledTimes(2 * secrets.length);

    macs.mockClear();
    expect(await verify(secrets, headers([...bogus, good]), body)).toBe('too-many-signatures');
    expect(macs).not.toHaveBeenCalled();
    expect(verifies).not.toHaveBeenCalled();
  });
});

describe('webhook-id: the same 256-character limit as a batch id', () => {
  it('answers an id over 256 characters with 422 at /webhook-id, and takes 256', async () => {
    for (const length of [257, 10_000]) {
      const res = await postEvent(event(), { id: 'i'.repeat(length) });
      expect(res.status, `${length}`).toBe(422);
      expect(((await res.json()) as Problem).errors).toEqual([
        { path: '/webhook-id', message: 'webhook-id must be at most 256 characters' },
      ]);
    }
    const longest = `${uid('id')}-`.padEnd(256, 'i');
    expect((await postEvent(event(), { id: longest })).status).toBe(202);
  });

  it('keeps the contract order: not JSON is 400 first; schema violations are listed with the id', async () => {
    const long = 'i'.repeat(300);
    expect((await SELF.fetch(await signedRequest('not json', { id: long }))).status).toBe(400);
    const res = await postEvent({ ...event(), type: 'nope' }, { id: long });
    expect(res.status).toBe(422);
    const paths = ((await res.json()) as Problem).errors?.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['/webhook-id', '/type']));
  });
});

describe('nesting: no recursive step sees a body deeper than 32 levels', () => {
  const tooDeep = { path: '/', message: 'the body must not nest deeper than 32 levels' };

  it('answers a signed event nested 20,000 levels deep with 422, not 500', async () => {
    const res = await postText(withNesting(event(), 20_000));
    expect(res.status).toBe(422);
    expect(((await res.json()) as Problem).errors).toEqual([tooDeep]);
  });

  it('draws the line at 32 levels: the event itself is 1, so 31 more are allowed and 32 are not', async () => {
    expect((await postText(withNesting(event(), 31))).status).toBe(202);
    const res = await postText(withNesting(event(), 32));
    expect(res.status).toBe(422);
  });

  it('answers a deep body reusing a known id with 409: the known-id step comes before the schema', async () => {
    const id = uid('msg');
    expect((await postEvent(event(), { id })).status).toBe(202);
    expect((await postText(withNesting(event(), 20_000), { id })).status).toBe(409);
  });

  it('refuses a batch nested too deep as a whole, with 422', async () => {
    const body = `{"events":[${withNesting({ id: uid('b'), ...event() }, 20_000)}]}`;
    const res = await postText(body, { path: '/v1/events/batch' });
    expect(res.status).toBe(422);
    expect(((await res.json()) as Problem).errors).toEqual([tooDeep]);
  });
});

describe('a body streamed without Content-Length past the limit', () => {
  /**
   * An endless byte stream that counts what the reader takes: it answers BYOB reads with at
   * most what they ask for, and default reads with 16 KiB chunks.
   */
  function endless() {
    const seen = { produced: 0, cancelled: false };
    const stream = new ReadableStream({
      type: 'bytes',
      pull(controller) {
        const request = controller.byobRequest;
        if (request?.view) {
          const n = Math.min(request.view.byteLength, 16 * 1024);
          new Uint8Array(request.view.buffer, request.view.byteOffset, n).fill(0x20);
          request.respond(n);
          seen.produced += n;
        } else {
          controller.enqueue(new Uint8Array(16 * 1024).fill(0x20));
          seen.produced += 16 * 1024;
        }
      },
      cancel() {
        seen.cancelled = true;
      },
    });
    return { stream, seen };
  }

  /** The worker's own fetch handler, so the test's stream is the body the worker reads. */
  async function direct(request: Request): Promise<Response> {
    const ctx = createExecutionContext();
    const res = await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, env, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  }

  it.each([
    ['/v1/events', 64 * 1024],
    ['/v1/events/batch', 1024 * 1024],
  ])('%s: 413 after reading at most the limit and a byte, then the rest is cancelled', async (path, limit) => {
    const { stream, seen } = endless();
    const res = await direct(new Request(`http://bridge.test${path}`, { method: 'POST', body: stream }));
    expect(res.status).toBe(413);
    expect(seen.produced).toBeLessThanOrEqual(limit + 1);
    expect(seen.cancelled).toBe(true);
  });

  it('answers 413 over the network too, and the next request at once', async () => {
    let sent = 0;
    const body = new ReadableStream({
      pull(controller) {
        if (sent >= 1024 * 1024) return controller.close();
        controller.enqueue(new Uint8Array(16 * 1024).fill(0x20));
        sent += 16 * 1024;
      },
    });
    const res = await SELF.fetch('http://bridge.test/v1/events', { method: 'POST', body });
    expect(res.status).toBe(413);
    const started = Date.now();
    expect((await SELF.fetch('http://bridge.test/health')).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
