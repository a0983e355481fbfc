import { describe, expect, it } from 'vitest';
import { createToken, unsubscribeUrl, verifyToken } from '../../src/unsubscribe/token';

const NEW = 'unit-unsubscribe-key-new';
const OLD = 'unit-unsubscribe-key-old';
const ID = 'sub_abcdefghij0123456789';
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.';

describe('unsubscribe tokens', () => {
  it('round-trips: a token names its subscription id and nothing else', async () => {
    const token = await createToken([NEW], ID);
    expect(token).toMatch(/^sub_[a-z0-9]{20}\.[A-Za-z0-9_-]{22}$/);
    expect(token.startsWith(`${ID}.`)).toBe(true);
    expect(await verifyToken([NEW], token)).toBe(ID);
  });

  it('does not expire and stays usable: the same id always gives the same token', async () => {
    const first = await createToken([NEW], ID);
    expect(await createToken([NEW], ID)).toBe(first);
    for (let i = 0; i < 3; i++) expect(await verifyToken([NEW], first)).toBe(ID);
  });

  it('rejects a token altered at any single character position', async () => {
    const token = await createToken([NEW], ID);
    for (let i = 0; i < token.length; i++) {
      for (const replacement of [ALPHABET[(ALPHABET.indexOf(token.charAt(i)) + 1) % ALPHABET.length], 'Z', '0']) {
        if (replacement === undefined || replacement === token.charAt(i)) continue;
        const forged = token.slice(0, i) + replacement + token.slice(i + 1);
        expect(await verifyToken([NEW], forged), `position ${i} → ${replacement}`).toBeNull();
      }
    }
  });

  it('rejects every truncation and every extension', async () => {
    const token = await createToken([NEW], ID);
    for (let n = 0; n < token.length; n++)
      expect(await verifyToken([NEW], token.slice(0, n)), `first ${n} characters`).toBeNull();
    for (const suffix of ['A', '.', '.x', '==', ' ']) expect(await verifyToken([NEW], token + suffix)).toBeNull();
  });

  it('rejects a token signed with a key that is not configured', async () => {
    const foreign = await createToken(['some-other-key'], ID);
    expect(await verifyToken([NEW, OLD], foreign)).toBeNull();
  });

  it('names only subscription ids: a validly signed other string is refused', async () => {
    const token = await createToken([NEW], 'user@example.com');
    expect(await verifyToken([NEW], token)).toBeNull();
  });

  it('rotation: the first key signs, every configured key verifies, a removed key stops working', async () => {
    const oldLink = await createToken([OLD], ID);
    expect(await verifyToken([NEW, OLD], oldLink)).toBe(ID);
    expect(await createToken([NEW, OLD], ID)).toBe(await createToken([NEW], ID));
    expect(await verifyToken([NEW], oldLink)).toBeNull();
    expect(await verifyToken([NEW, OLD], await createToken([NEW, OLD], ID))).toBe(ID);
  });

  it('refuses to sign without a key', async () => {
    await expect(createToken([], ID)).rejects.toThrow(/UNSUBSCRIBE_SIGNING_KEY/);
  });

  it('builds the link on PUBLIC_BASE_URL under /u/', async () => {
    const url = await unsubscribeUrl(
      { PUBLIC_BASE_URL: 'https://news.example.org', UNSUBSCRIBE_SIGNING_KEY: [NEW, OLD] },
      ID,
    );
    expect(url).toBe(`https://news.example.org/u/${await createToken([NEW], ID)}`);
  });
});
