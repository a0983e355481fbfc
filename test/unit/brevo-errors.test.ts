import { describe, expect, it } from 'vitest';
import {
  CredentialsRefusedError,
  PermanentError,
  RateLimitedError,
  RecipientGoneError,
  RetryableError,
} from '../../src/ports/provider-errors';
import { classify, isTaken } from '../../src/providers/brevo/responses';

/** How the Brevo adapter reads Brevo's error answers (spec: brevo-api.md, "Errors", "Rate limits"). */

const body = (code: string, message: string, metadata?: unknown) => JSON.stringify({ code, message, metadata });
const none = new Headers();

describe('Brevo errors', () => {
  it('a refused or missing key is CredentialsRefusedError with Brevo’s words', () => {
    const error = classify(401, body('unauthorized', 'Key not found'), none);
    expect(error).toBeInstanceOf(CredentialsRefusedError);
    expect(error.failure).toEqual({ message: 'Key not found', code: 'unauthorized', httpStatus: 401 });
  });

  it('a 429 waits for x-sib-ratelimit-reset, in seconds, since Brevo sends no Retry-After', () => {
    const error = classify(
      429,
      body('too_many_requests', 'Too many requests'),
      new Headers({ 'x-sib-ratelimit-reset': '3' }),
    );
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(3000);
    expect((classify(429, '', none) as RateLimitedError).retryAfterMs).toBeNull();
  });

  it('5xx, 408 and 425 are retried; 404 is gone; other refusals are permanent', () => {
    expect(classify(503, '<html>', none)).toBeInstanceOf(RetryableError);
    expect(classify(503, '<html>', none).failure.message).toBe('Brevo answered HTTP 503');
    expect(classify(425, '', none)).toBeInstanceOf(RetryableError);
    expect(classify(404, body('document_not_found', 'Contact does not exist'), none)).toBeInstanceOf(
      RecipientGoneError,
    );
    expect(classify(400, body('invalid_parameter', 'Invalid email address'), none)).toBeInstanceOf(PermanentError);
  });

  it('tells an address another contact holds by metadata and message, the code compared case-insensitively', () => {
    const taken = 'Unable to update contact, email is already associated with another Contact';
    expect(isTaken(400, body('invalid_parameter', taken, { duplicate_identifiers: ['email'] }))).toBe(true);
    expect(isTaken(400, body('INVALID_PARAMETER', taken))).toBe(true);
    expect(isTaken(400, body('Duplicate_Parameter', 'Something else'))).toBe(true);
    expect(isTaken(400, body('invalid_parameter', 'Invalid email address'))).toBe(false);
  });
});
