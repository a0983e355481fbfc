import { describe, expect, it } from 'vitest';
import { pickLanguage } from '../../src/http/unsubscribe/language';

describe('reader page language', () => {
  it.each([
    [undefined, 'de'],
    ['', 'de'],
    ['de-DE,de;q=0.9,en;q=0.8', 'de'],
    ['en-US,en;q=0.9', 'en'],
    ['en-GB', 'en'],
    ['fr-FR,fr;q=0.9', 'de'],
    ['fr,en;q=0.5,de;q=0.4', 'en'],
    ['de;q=0.5,en;q=0.8', 'en'],
    ['en;q=0.5,de;q=0.5', 'en'],
    ['en;q=0,de;q=0.1', 'de'],
    ['en;q=abc', 'de'],
    ['*', 'de'],
  ])('Accept-Language %j → %s', (header, expected) => {
    expect(pickLanguage(header)).toBe(expected);
  });
});
