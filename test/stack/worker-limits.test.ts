/**
 * The worker's limits under `wrangler dev` (stack/local-stack.mjs): a secret the worker cannot
 * use stops the start command with a message naming the setting, never its value.
 */
import { describe, expect, it } from 'vitest';
import { startStack } from '../../stack/local-stack.mjs';

describe('a secret the worker cannot use', () => {
  it('stops the start command naming the setting, never its value', async () => {
    const error = await startStack({
      ephemeral: true,
      isolated: true,
      quiet: true,
      scheduleSeconds: 0,
      settings: { PORTAL_SIGNING_SECRET: 'whsec_A' },
    }).then(
      async (stack) => {
        await stack.stop();
        return null;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/^the worker refuses to run: .*PORTAL_SIGNING_SECRET: the value does not decode as base64/);
    expect(message).not.toContain('whsec_A');
  }, 180_000);
});
