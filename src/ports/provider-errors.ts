/** A provider's refusal of one item, with its own words kept verbatim. */
export interface ProviderFailure {
  message: string;
  code: string | null;
  httpStatus: number | null;
}

/**
 * Classified provider failures. The sync engine decides by class, never by parsing
 * messages; `failure` keeps the provider's own message, code and HTTP status verbatim for
 * the admin JSON ("Fehler bei der Übertragung" + the provider's text on mouse-over).
 */
export abstract class ProviderError extends Error {
  abstract readonly kind: 'retryable' | 'rate-limited' | 'credentials' | 'gone' | 'permanent';
  constructor(readonly failure: ProviderFailure) {
    super(failure.message);
  }
}

/** 5xx, network failure, timeout: try again later. */
export class RetryableError extends ProviderError {
  readonly kind = 'retryable' as const;
  override readonly name = 'RetryableError';
}

/** 429, or a 5xx with Retry-After: try again after `retryAfterMs` when the provider said so. */
export class RateLimitedError extends ProviderError {
  readonly kind = 'rate-limited' as const;
  override readonly name = 'RateLimitedError';
  constructor(
    failure: ProviderFailure,
    readonly retryAfterMs: number | null,
  ) {
    super(failure);
  }
}

/** The login or API key itself was refused: no transfer can succeed until an admin fixes it. */
export class CredentialsRefusedError extends ProviderError {
  readonly kind = 'credentials' as const;
  override readonly name = 'CredentialsRefusedError';
}

/** The list or recipient does not exist (404). */
export class RecipientGoneError extends ProviderError {
  readonly kind = 'gone' as const;
  override readonly name = 'RecipientGoneError';
}

/** 400/403/422 and other refusals that repeating will not change. */
export class PermanentError extends ProviderError {
  readonly kind = 'permanent' as const;
  override readonly name = 'PermanentError';
}
