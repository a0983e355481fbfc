/**
 * The one-command local stack (stack/local-stack.mjs), in Node: the settings' precedence and
 * the env file wrangler reads, then a real stack on free ports with a temp database — health,
 * one signed portal event, the cron stand-in — and a stop() that leaves no process behind.
 */
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SETTING_ENTRIES } from '../../src/config';
import { LOCAL_SECRETS, resolveSettings, SETTING_NAMES, writeEnvFile } from '../../stack/dev-vars.mjs';
import { startStack } from '../../stack/local-stack.mjs';
import { groupAlive } from '../../stack/processes.mjs';
import { stackClient } from '../../stack/stack-client.mjs';

const emulatorLogin = { N2G_AUTH_KEY: 'emu:key', N2G_USERNAME: 'emu@example.com', N2G_PASSWORD: 'emu-pw' };

describe('settings for the local stack', () => {
  it('knows every setting the worker reads', () => {
    const read = SETTING_ENTRIES.filter((name) => name !== 'SYNC_QUEUE');
    expect(read.filter((name) => !SETTING_NAMES.includes(name))).toEqual([]);
  });

  it('documents every setting in .dev.vars.example', () => {
    const example = readFileSync(new URL('../../.dev.vars.example', import.meta.url), 'utf8');
    expect(SETTING_NAMES.filter((name) => !new RegExp(`^# ${name}=`, 'm').test(example))).toEqual([]);
  });

  it('takes options over the environment over .dev.vars over the local defaults; empty means not given', () => {
    const { settings, sources } = resolveSettings({
      overrides: { SYNC_MAX_ATTEMPTS: 3 },
      env: { ADMIN_API_TOKEN: 'from-env', SYNC_MAX_ATTEMPTS: '9', NOTIFY_SIGNING_SECRET: '', PATH: '/usr/bin' },
      devVars: { ADMIN_API_TOKEN: 'from-dev-vars', UNSUBSCRIBE_SIGNING_KEY: 'dv-key', EXTRA_FOR_WORKER: 'x' },
      localN2gLogin: emulatorLogin,
    });
    expect(settings).toMatchObject({
      SYNC_MAX_ATTEMPTS: '3',
      ADMIN_API_TOKEN: 'from-env',
      UNSUBSCRIBE_SIGNING_KEY: 'dv-key',
      EXTRA_FOR_WORKER: 'x',
      NOTIFY_SIGNING_SECRET: LOCAL_SECRETS.NOTIFY_SIGNING_SECRET,
      ...emulatorLogin,
    });
    expect(sources).toMatchObject({
      SYNC_MAX_ATTEMPTS: 'option',
      ADMIN_API_TOKEN: 'environment',
      UNSUBSCRIBE_SIGNING_KEY: '.dev.vars',
      NOTIFY_SIGNING_SECRET: 'local default',
    });
    expect(settings).not.toHaveProperty('PATH');
    // The servers' URLs are left for the stack to fill with what it starts.
    expect(settings).not.toHaveProperty('TURSO_DATABASE_URL');
    expect(settings).not.toHaveProperty('N2G_BASE_URL');
  });

  it('never hands the emulator login to another Newsletter2Go endpoint', () => {
    const { settings } = resolveSettings({
      devVars: { N2G_BASE_URL: 'https://api.newsletter2go.com' },
      localN2gLogin: emulatorLogin,
    });
    expect(settings).not.toHaveProperty('N2G_PASSWORD');
  });

  it('writes the env file for the owner only, quoting values so wrangler reads them back verbatim', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dev-vars-test-'));
    try {
      const file = join(dir, 'worker.env');
      writeEnvFile(file, { A: "it's $HOME", B: 'plain#not-a-comment', C: 'a\\$b' });
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const text = readFileSync(file, 'utf8');
      expect(text).toContain("B='plain#not-a-comment'");
      expect(text).toContain("A=`it's \\$HOME`");
      expect(() => writeEnvFile(file, { BAD: 'two\nlines' })).toThrow(/BAD/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the local stack', () => {
  // Awkward for dotenv and its $-expansion; /health only says "ok" if the worker got it verbatim.
  const password = `p'a$HOME "#x\\$y \${PATH}`;
  let stack: Awaited<ReturnType<typeof startStack>>;
  let stopped = false;

  beforeAll(async () => {
    stack = await startStack({
      ephemeral: true,
      isolated: true,
      quiet: true,
      scheduleSeconds: 0,
      settings: { N2G_PASSWORD: password },
    });
  }, 180_000);

  afterAll(async () => {
    if (!stopped) await stack?.stop();
  }, 60_000);

  it('answers /health with 200: database reached, emulator login accepted with the settings as given', async () => {
    const res = await fetch(`${stack.workerUrl}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: 'ok',
      checks: { database: { ok: true }, provider: { ok: true } },
    });
    expect(stack.settings.PUBLIC_BASE_URL).toBe(`http://localhost:${new URL(stack.workerUrl).port}`);
    expect(stack.settings.PORTAL_WEBHOOK_URL).toBe(`${stack.portalUrl}/portal/webhooks`);
  });

  it('accepts a portal event signed with the stack PORTAL_SIGNING_SECRET with 202', async () => {
    const body = JSON.stringify({
      type: 'subscription.confirmed',
      occurredAt: new Date().toISOString(),
      data: { userId: 'stack-test-user', newsletterId: 'weekly', email: 'stack-test@example.com' },
    });
    const id = `evt_stack_${Date.now()}`;
    const ts = Math.floor(Date.now() / 1000);
    const key = Buffer.from(LOCAL_SECRETS.PORTAL_SIGNING_SECRET.replace(/^whsec_/, ''), 'base64');
    const signature = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64');
    const res = await fetch(`${stack.workerUrl}/v1/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(ts),
        'webhook-signature': `v1,${signature}`,
      },
      body,
    });
    const answer = await res.text();
    expect(res.status, answer).toBe(202);
    expect(JSON.parse(answer)).toEqual({ eventId: id, status: 'accepted' });
  });

  it('runs the scheduled handler when the cron stand-in fires', async () => {
    expect(await stack.fireScheduled()).toBe(200);
  });

  it('stops everything: wrangler and its workerd children, the servers, the temp files', async () => {
    const pgid = stack.wranglerPid;
    expect(pgid).toBeTypeOf('number');
    expect(groupAlive(pgid as number)).toBe(true);
    const dbFile = stack.dbFile as string;
    expect(existsSync(dbFile)).toBe(true);
    await stack.stop();
    stopped = true;
    expect(groupAlive(pgid as number)).toBe(false);
    await expect(fetch(`${stack.workerUrl}/health`)).rejects.toThrow();
    await expect(fetch(`${stack.emulatorUrl}/_emulator/state`)).rejects.toThrow();
    expect(existsSync(dbFile)).toBe(false);
  }, 30_000);
});

describe('the local stack on Brevo (PROVIDER=brevo)', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  beforeAll(async () => {
    stack = await startStack({
      ephemeral: true,
      isolated: true,
      quiet: true,
      scheduleSeconds: 0,
      settings: { PROVIDER: 'brevo' },
    });
  }, 180_000);
  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('starts the Brevo emulator instead, and a subscription reaches it as a contact in the mapped list', async () => {
    expect(stack.settings.BREVO_BASE_URL).toBe(`${stack.emulatorUrl}/v3`);
    const health = await fetch(`${stack.workerUrl}/health`);
    expect(health.status).toBe(200);
    const client = stackClient({
      workerUrl: stack.workerUrl,
      emulatorUrl: stack.emulatorUrl ?? '',
      portalSecret: LOCAL_SECRETS.PORTAL_SIGNING_SECRET,
      adminToken: LOCAL_SECRETS.ADMIN_API_TOKEN,
    });
    const mapped = await client.admin('/v1/admin/newsletters/weekly', {
      method: 'PUT',
      body: JSON.stringify({ listId: '2' }),
    });
    expect(mapped.status).toBe(201);
    expect(mapped.body).toMatchObject({ listId: '2', attribute: { name: 'UNSUB_URL_2', action: 'created' } });
    // postEvent fails unless the worker answers 202.
    await client.postEvent({
      type: 'subscription.confirmed',
      occurredAt: new Date().toISOString(),
      data: { userId: 'stack-brevo-user', newsletterId: 'weekly', email: 'stack-brevo@example.com', firstName: 'Bea' },
    });
    const Contact = v.looseObject({ listIds: v.array(v.number()) });
    let contact: unknown = null;
    for (let i = 0; i < 100 && !v.is(Contact, contact); i++) {
      await new Promise((r) => setTimeout(r, 200));
      const found = await fetch(`${stack.emulatorUrl}/_emulator/contacts?email=stack-brevo@example.com`);
      contact = found.status === 200 ? await found.json() : null;
    }
    expect(contact).toMatchObject({ ext_id: 'stack-brevo-user', listIds: [2], attributes: { FIRSTNAME: 'Bea' } });
  }, 60_000);
});

describe('a local stack that cannot start', () => {
  it('names the missing login when Newsletter2Go is pointed elsewhere, and starts nothing', async () => {
    await expect(
      startStack({
        ephemeral: true,
        isolated: true,
        quiet: true,
        settings: { N2G_BASE_URL: 'https://api.newsletter2go.com' },
      }),
    ).rejects.toThrow(/N2G_AUTH_KEY, N2G_USERNAME, N2G_PASSWORD are not set/);
  });

  it('says which variable moves a port that is taken', async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const address = busy.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      await expect(
        startStack({ ephemeral: true, isolated: true, quiet: true, ports: { worker: port } }),
      ).rejects.toThrow(new RegExp(`port ${port} \\(worker\\) is already in use.*Set PORT`));
    } finally {
      busy.close();
    }
  });
});
