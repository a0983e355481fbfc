import { SELF } from 'cloudflare:test';
import { and, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { eventLog, reconciliationFindings, subscriptions } from '../../src/db/schema';
import { runChunk } from '../../src/reconcile/run-chunk';
import { startRun } from '../../src/reconcile/start-run';
import { createProvider } from '../../src/wiring';
import { emulator } from '../support/emulator';
import { config, database } from '../support/unsubscribe';
import { confirmed, mapNewsletter, postEvent, settled, uid } from '../support/worker';

describe('reconciliation endpoints are admin-only', () => {
  it.each([
    ['POST', '/v1/admin/reconciliations', '{"mode":"heal"}'],
    ['GET', '/v1/admin/reconciliations', undefined],
    ['GET', '/v1/admin/reconciliations/rcn_00000000000000000', undefined],
  ])('%s %s without the bearer token → 401, nothing started', async (method, path, body) => {
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-token' }];
    for (const headers of attempts) {
      const res = await SELF.fetch(`http://bridge.test${path}`, {
        method,
        headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
        body,
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
  });
});

describe('personal data stays out of logs and the timeline', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a heal logs ids and counts only; its timeline entries and finding details carry no address or name', async () => {
    const { id: list } = await emulator.createList({ name: uid('recon-sec'), attributes: ['unsubscribe_url'] });
    const newsletterId = uid('recon-sec-nl');
    await mapNewsletter(newsletterId, list);
    const user = uid('rcs');
    const email = `${user}@example.com`;
    await postEvent(confirmed(user, newsletterId, email, { firstName: 'Geheimvorname', lastName: 'Geheimnachname' }));
    await settled(user);
    const [row] = await database()
      .select()
      .from(subscriptions)
      .where(and(eq(subscriptions.userId, user), eq(subscriptions.newsletterId, newsletterId)));
    await emulator.edit(row?.recipientId ?? '', { is_blacklisted: true, first_name: 'Anderer' });
    await emulator.insert({ list_id: list, email: `${uid('orphan')}@example.com`, first_name: 'Waise' });

    const lines: string[] = [];
    for (const level of ['log', 'warn', 'error'] as const)
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
    const started = await startRun(config(), database(), {
      mode: 'heal',
      trigger: 'test',
      newsletterIds: [newsletterId],
      enqueue: false,
    });
    const runId = 'started' in started ? started.started.id : '';
    expect(
      await runChunk(config(), database(), createProvider(config(), database()), runId, { enqueueNext: false }),
    ).toBe('completed');
    vi.restoreAllMocks();

    expect(lines.length).toBeGreaterThan(0);
    for (const secret of [email, 'Geheimvorname', 'Geheimnachname', 'Anderer', 'Waise', '@example.com'])
      expect(lines.join('\n')).not.toContain(secret);
    const timeline = await database().select().from(eventLog).where(eq(eventLog.userId, user));
    const findings = await database()
      .select()
      .from(reconciliationFindings)
      .where(eq(reconciliationFindings.runId, runId));
    expect(timeline.some((t) => t.kind === 'reconciliation.heal')).toBe(true);
    expect(findings.map((f) => f.driftClass).sort()).toEqual(['consent_conflict', 'orphan', 'profile']);
    for (const text of [
      ...timeline.map((t) => JSON.stringify(t.detail)),
      ...findings.map((f) => JSON.stringify(f.detail)),
    ]) {
      expect(text).not.toMatch(/Geheim|Anderer|Waise|@example\.com/);
    }
  });
});
