#!/usr/bin/env node
// `npm run smoke`: one subscription through the worker against a REAL provider account.
// Runs only when the account and a list are given in the environment:
//
//   N2G_AUTH_KEY=… N2G_USERNAME=… N2G_PASSWORD=… N2G_SMOKE_LIST_ID=abcd1234 npm run smoke
//   PROVIDER=brevo BREVO_API_KEY=xkeysib-… BREVO_SMOKE_LIST_ID=12 npm run smoke
//   (optional: SMOKE_EMAIL=an address you own, N2G_BASE_URL or BREVO_BASE_URL=another endpoint,
//   SMOKE_VERBOSE=1)
//
// Without them it says so and exits 0, having contacted nothing. With them it starts an
// isolated stack (temp database, free ports, no emulator; .dev.vars is not read), maps a
// throw-away newsletter to the list (setting up the list's unsubscribe attribute when missing,
// and checking a second mapping finds it there), subscribes one person, cancels, deletes the user
// (Newsletter2Go: the recipient's personal data becomes DELETED; Brevo: the contact is deleted)
// and removes the mapping.

const PROVIDERS = {
  newsletter2go: {
    label: 'Newsletter2Go',
    required: ['N2G_AUTH_KEY', 'N2G_USERNAME', 'N2G_PASSWORD', 'N2G_SMOKE_LIST_ID'],
    listId: (/** @type {Record<string, string>} */ env) => env.N2G_SMOKE_LIST_ID,
    settings: (/** @type {Record<string, string>} */ env) => ({
      N2G_BASE_URL: env.N2G_BASE_URL || 'https://api.newsletter2go.com',
      N2G_AUTH_KEY: env.N2G_AUTH_KEY,
      N2G_USERNAME: env.N2G_USERNAME,
      N2G_PASSWORD: env.N2G_PASSWORD,
    }),
    base: (/** @type {Record<string, string>} */ settings) => settings.N2G_BASE_URL,
    erased: 'the recipient stays in the list, unsubscribed, its personal data replaced by DELETED',
  },
  brevo: {
    label: 'Brevo',
    required: ['BREVO_API_KEY', 'BREVO_SMOKE_LIST_ID'],
    listId: (/** @type {Record<string, string>} */ env) => env.BREVO_SMOKE_LIST_ID,
    settings: (/** @type {Record<string, string>} */ env) => ({
      PROVIDER: 'brevo',
      BREVO_BASE_URL: env.BREVO_BASE_URL || 'https://api.brevo.com/v3',
      BREVO_API_KEY: env.BREVO_API_KEY,
    }),
    base: (/** @type {Record<string, string>} */ settings) => settings.BREVO_BASE_URL,
    erased: 'the contact is deleted in Brevo, address and all',
  },
};

const chosen = process.env.PROVIDER || 'newsletter2go';
if (!(chosen in PROVIDERS)) {
  console.error(`smoke test: PROVIDER must be one of ${Object.keys(PROVIDERS).join(', ')}`);
  process.exit(1);
}
const provider = PROVIDERS[/** @type {keyof typeof PROVIDERS} */ (chosen)];
const missing = provider.required.filter((name) => !process.env[name]);
if (missing.length) {
  console.log(
    `smoke test skipped: it talks to a real ${provider.label} account and needs ${missing.join(', ')} in the environment.`,
  );
  console.log('Nothing was sent anywhere.');
  process.exit(0);
}

const { startStack } = await import('./local-stack.mjs');
const { stackClient } = await import('./stack-client.mjs');
const { first } = await import('./dev-vars.mjs');

const env = /** @type {Record<string, string>} */ (process.env);
const providerSettings = provider.settings(env);
const base = provider.base(providerSettings);
const listId = provider.listId(env);
const stamp = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const newsletterId = `smoke-${stamp}`;
const userId = `smoke-${stamp}`;
const email = env.SMOKE_EMAIL || env.N2G_SMOKE_EMAIL || `newsletter-bridge-smoke+${stamp}@example.com`;
const step = (/** @type {string} */ text) => console.log(`• ${text}`);

step(`starting an isolated local stack against ${new URL(base).origin}`);
const stack = await startStack({
  ephemeral: true,
  isolated: true,
  quiet: !env.SMOKE_VERBOSE,
  scheduleSeconds: 10,
  settings: { ...providerSettings, SYNC_MAX_ATTEMPTS: 3 },
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
  step(`${provider.label} accepts the login (/health ok)`);
  const mapped = await client.admin(`/v1/admin/newsletters/${newsletterId}`, {
    method: 'PUT',
    body: JSON.stringify({ listId: listId, name: 'newsletter-bridge smoke test' }),
  });
  if (mapped.status >= 300)
    throw new Error(`mapping to list ${listId} refused: ${mapped.status} ${JSON.stringify(mapped.body)}`);
  step(`newsletter ${newsletterId} mapped to list ${listId}`);
  // The unsubscribe link needs an attribute for the list (per list at Newsletter2Go, one per list
  // in Brevo's account): the mapping sets it up, and mapping again must then find it.
  step(`unsubscribe attribute on the list: ${JSON.stringify(mapped.body.attribute)}`);
  const again = await client.admin(`/v1/admin/newsletters/${newsletterId}`, {
    method: 'PUT',
    body: JSON.stringify({ listId: listId, name: 'newsletter-bridge smoke test' }),
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
  step(provider.erased);
} catch (error) {
  failed = true;
  console.error(`smoke test FAILED: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await client.admin(`/v1/admin/newsletters/${newsletterId}`, { method: 'DELETE' }).catch(() => undefined);
  await stack.stop();
}
console.log(failed ? 'smoke test failed' : 'smoke test passed');
process.exit(failed ? 1 : 0);
