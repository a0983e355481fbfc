import { describe, expect, it } from 'vitest';
import { SCRUBBED, scrubJson, scrubText } from '../../src/lib/personal-data';

describe('scrubText', () => {
  it('replaces every e-mail-shaped token, in any case and however the provider quotes it', () => {
    expect(scrubText('Duplicate value "Anna.B@Example.COM" for column "email"')).toBe(
      `Duplicate value "${SCRUBBED}" for column "email"`,
    );
    expect(scrubText('<x@y.example>, (z+tag@sub.example.org); a@b')).toBe(`<${SCRUBBED}>, (${SCRUBBED}); ${SCRUBBED}`);
  });

  it('replaces the given names case-insensitively, but not names too short to identify anyone', () => {
    expect(scrubText('Recipient Zephyrine QUILLFEATHER changed', ['zephyrine', 'Quillfeather'])).toBe(
      `Recipient ${SCRUBBED} ${SCRUBBED} changed`,
    );
    expect(scrubText('a status of Al', ['Al', ''])).toBe('a status of Al');
    expect(scrubText('names with (regex) chars.', ['(regex)'])).toBe(`names with ${SCRUBBED} chars.`);
  });

  it('leaves text without personal data as it is', () => {
    expect(scrubText('HTTP 503 Service unavailable at list abc123')).toBe(
      'HTTP 503 Service unavailable at list abc123',
    );
  });
});

describe('scrubJson', () => {
  it('scrubs every string inside, keys and other values untouched', () => {
    expect(
      scrubJson({ error: { message: 'taken: x@y.example', code: '1062', httpStatus: 400 }, list: ['Zoe Quill'] }, [
        'Quill',
      ]),
    ).toEqual({ error: { message: `taken: ${SCRUBBED}`, code: '1062', httpStatus: 400 }, list: [`Zoe ${SCRUBBED}`] });
  });
});
