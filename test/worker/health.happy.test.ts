import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';

describe('GET /health', () => {
  it('reports the database and the provider login working', async () => {
    const res = await SELF.fetch('http://bridge.test/health');
    const body = await res.json<{ status: string; checks: Record<string, { ok: boolean }> }>();
    expect(body.checks.database?.ok).toBe(true);
    expect(body.checks.provider?.ok).toBe(true);
    expect(res.status).toBe(200);
  });

  it('answers unknown routes with a problem+json 404', async () => {
    const res = await SELF.fetch('http://bridge.test/nowhere');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({ status: 404, title: 'Not found' });
  });
});
