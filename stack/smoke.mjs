#!/usr/bin/env node
// `npm run smoke`: one subscription through the worker against a REAL Newsletter2Go account.
// Runs only when the login and a list are given in the environment:
//
//   N2G_AUTH_KEY=… N2G_USERNAME=… N2G_PASSWORD=… N2G_SMOKE_LIST_ID=abcd1234 npm run smoke
//   (optional: N2G_SMOKE_EMAIL=an address you own, N2G_BASE_URL=another endpoint, SMOKE_VERBOSE=1)
//
// Without them it says so and exits 0, having contacted nothing. With them it starts an
// isolated stack (temp database, free ports, no emulator; .dev.vars is not read), maps a
// throw-away newsletter to the list (adding the unsubscribe attribute to it when missing, and
// checking a second mapping finds it there), subscribes one recipient, cancels, deletes the user
// (the recipient's personal data becomes DELETED at Newsletter2Go) and removes the mapping.

const REQUIRED = ['N2G_AUTH_KEY', 'N2G_USERNAME', 'N2G_PASSWORD', 'N2G_SMOKE_LIST_ID'];
const missing = REQUIRED.filter((name) => !process.env[name]);
if (missing.length) {
  console.log(
    `smoke test skipped: it talks to a real Newsletter2Go account and needs ${missing.join(', ')} in the environment.`,
  );
  console.log('Nothing was sent anywhere.');
  process.exit(0);
}

const { startStack } = await import('./local-stack.mjs');
const { stackClient } = await import('./stack-client.mjs');
const { first } = await import('./dev-vars.mjs');

const env = /** @type {Record<string, string>} */ (process.env);
const base = env.N2G_BASE_URL || 'https://api.newsletter2go.com';
const stamp = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const newsletterId = `smoke-${stamp}`;
const userId = `smoke-${stamp}`;
const email = env.N2G_SMOKE_EMAIL || `newsletter-bridge-smoke+${stamp}@example.com`;
const step = (/** @type {string} */ text) => console.log(`• ${text}`);

step(`starting an isolated local stack against ${new URL(base).origin}`);
const stack = await startStack({
  ephemeral: true,
  isolated: true,
  quiet: !env.SMOKE_VERBOSE,
  scheduleSeconds: 10,
  settings: {
    N2G_BASE_URL: base,
    N2G_AUTH_KEY: env.N2G_AUTH_KEY,
    N2G_USERNAME: env.N2G_USERNAME,
    N2G_PASSWORD: env.N2G_PASSWORD,
    SYNC_MAX_ATTEMPTS: 3,
  },
});
const client = stackClient({
  workerUrl: stack.workerUrl,
  emulatorUrl: '',
  portalSecret: first(stack.settings.PORTAL_SIGNING_SECRET),
  adminToken: first(stack.settings.ADMIN_API_TOKEN),
});

/** Sends one event and waits until the worker has transferred it; the transfer must succeed. */
async function transfer(
  /** @type {string} */ type,
  /** @type {Record<string, string>} */ data,
  /** @type {string} */ expectedState,
) {
  await client.postEvent({ type, occurredAt: new Date().toISOString(), data });
  const view = await client.settled(userId, 90_000);
  const sub = view.subscriptions.find((/** @type {{ newsletterId: string }} */ s) => s.newsletterId === newsletterId);
  if (sub?.transfer.status !== 'synced' || sub.state !== expectedState) {
    throw new Error(
      `${type}: state ${sub?.state}, transfer ${sub?.transfer.status}: ${JSON.stringify(sub?.transfer.error ?? null)}`,
    );
  }
  step(`${type} → ${sub.state}, transferred after ${sub.transfer.attempts} attempt(s)`);
}

let failed = false;
try {
  if (stack.health.status !== 200) throw new Error(`/health: ${JSON.stringify(stack.health.body)}`);
  step('login to Newsletter2Go accepted (/health ok)');
  const mapped = await client.admin(`/v1/admin/newsletters/${newsletterId}`, {
    method: 'PUT',
    body: JSON.stringify({ listId: env.N2G_SMOKE_LIST_ID, name: 'newsletter-bridge smoke test' }),
  });
  if (mapped.status >= 300)
    throw new Error(
      `mapping to list ${env.N2G_SMOKE_LIST_ID} refused: ${mapped.status} ${JSON.stringify(mapped.body)}`,
    );
  step(`newsletter ${newsletterId} mapped to list ${env.N2G_SMOKE_LIST_ID}`);
  // Custom attributes are per list at Newsletter2Go: the mapping adds the unsubscribe attribute
  // when the list lacks it, and mapping again must then find it on the list.
  step(`unsubscribe attribute on the list: ${JSON.stringify(mapped.body.attribute)}`);
  const again = await client.admin(`/v1/admin/newsletters/${newsletterId}`, {
    method: 'PUT',
    body: JSON.stringify({ listId: env.N2G_SMOKE_LIST_ID, name: 'newsletter-bridge smoke test' }),
  });
  if (again.status !== 200 || again.body.attribute?.action !== 'present')
    throw new Error(`the list does not show the unsubscribe attribute after mapping: ${JSON.stringify(again.body)}`);
  step('mapping again finds the attribute on the list (action "present")');
  await transfer(
    'subscription.confirmed',
    { userId, newsletterId, email, firstName: 'Smoke', lastName: 'Test' },
    'subscribed',
  );
  await transfer('subscription.cancelled', { userId, newsletterId }, 'unsubscribed');
  await transfer('user.deleted', { userId }, 'deleted');
  step(`the recipient stays in list ${env.N2G_SMOKE_LIST_ID}, unsubscribed, its personal data replaced by DELETED`);
} catch (error) {
  failed = true;
  console.error(`smoke test FAILED: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await client.admin(`/v1/admin/newsletters/${newsletterId}`, { method: 'DELETE' }).catch(() => undefined);
  await stack.stop();
}
console.log(failed ? 'smoke test failed' : 'smoke test passed');
process.exit(failed ? 1 : 0);
