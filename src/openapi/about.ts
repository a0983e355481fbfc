/**
 * The document's prose: what the API is, and the choices this project made where the portal
 * contract leaves things open (the contract asks for them in README.md and here).
 */

export const TITLE = 'newsletter-bridge';

export const INTRO = [
  "Keeps a portal's newsletter subscriptions in step with its newsletter provider (Newsletter2Go or Brevo, `PROVIDER`). The portal sends signed events; readers unsubscribe by link; admins read the sync status.",
  'Data flows one way, portal → provider. Every API error is `application/problem+json` (RFC 9457); reader pages answer HTML.',
].join('\n\n');

export const CHOICES: { topic: string; text: string }[] = [
  {
    topic: 'Problem types',
    text: "A problem's `type` is the relative URI `/docs#problem-<slug>`: resolved against the worker's origin it opens that entry of the reference page.",
  },
  {
    topic: 'Validation errors',
    text: '422 problems list every violation in `errors` as `{ path, message }`, `path` being a JSON Pointer into the body (`/data/email`), or `/<name>` for a path or query parameter.',
  },
  {
    topic: 'Unknown fields',
    text: 'Unknown body fields and query parameters are ignored, not refused; an empty query parameter counts as absent (the contract writes its filters as `?status=&newsletterId=&limit=&cursor=`).',
  },
  {
    topic: 'Transfer error codes',
    text: "`transfer.error.code` is the provider's code as a string, or the worker's own reason when no call could succeed: `unmapped` (no list for the newsletter), `clash` (another user holds the address in that list), `no-email`, `held-for-consent` (a consent conflict stands and the recipient is gone at the provider or the newsletter moved: it is not created subscribed again), `dead-letter`.",
  },
  {
    topic: 'One address, two users',
    text: "Of two users with one address in one list (in the whole account for Brevo), the one who took the address later (by the `occurredAt` of the profile that set it, then by subscription creation) fails with error code `clash`, naming the other user; the provider would merge them (per list for Newsletter2Go, across the account for Brevo). Every user counts who has or may have a recipient under the address in the list, unsubscribed ones included, and the failed one sends nothing: its cancellation or deletion leaves the other user's recipient as it is. One list serves one newsletter: mapping a second newsletter to it is a 422. Cancellations and erasures reach every recipient the subscription ever had, in every list.",
  },
  {
    topic: 'Retries',
    text: 'Retryable provider failures (5xx, after their Retry-After when given, and timeouts) are tried SYNC_MAX_ATTEMPTS times with exponential backoff, then shown failed with the last provider message. A 429 and a refused login count no attempt: transfers stay pending until the provider takes them. A write the provider took is never repeated because a later step failed: a creation whose id could not be read back is retried as a read-back only, a recipient found by look-up is kept even when the write after it failed, and one the provider answered 404 for is forgotten before it is created again.',
  },
  {
    topic: 'Admin retries',
    text: 'Retry endpoints answer 202 with what they did; the transfer itself runs on the queue. A retry pushes the desired state again and never re-subscribes a recipient the provider shows as unsubscribed or blacklisted.',
  },
  {
    topic: 'Mapping answers',
    text: "`PUT /v1/admin/newsletters/{id}` answers 201 for a new mapping and 200 for a changed one, with `previousListId`, the number of subscriptions pushed (`repushed`) and `attribute`: what making sure the list has the unsubscribe attribute took (`present`, `added-to-list` by `PATCH /attributes/{id}` with the union of its lists, or `created` by `POST /attributes`), since Newsletter2Go defines custom attributes per list (for Brevo: `created` for the list's own attribute, `present` when it exists). A provider refusing the list or the attribute is a 422 carrying its message; the provider unreachable is a 503 with Retry-After, and repeating the mapping writes only what is still missing. `DELETE` answers 200 with the number of subscriptions that now show failed (unmapped).",
  },
  {
    topic: 'Paging',
    text: "`GET /v1/admin/subscriptions` pages by keyset on the subscription id (opaque base64url `cursor`, `limit` 1–500, default 50): stable while data changes, no duplicates, no gaps. `email` filters by the subscriber's current address, case-insensitively, exactly or by prefix with a trailing `*`.",
  },
  {
    topic: 'Timeline',
    text: 'The subscriber view shows the newest 200 log entries. The log holds ids, times and provider messages, never profiles; addresses quoted in provider messages are scrubbed when the user is deleted.',
  },
  {
    topic: 'Health',
    text: '`GET /health` answers its status document with 200 or 503 (not a problem), so monitors read one shape. The provider check trusts a stored login until the provider refuses it; after a refused login the password (Brevo: the key) is tried again at most every N2G_LOGIN_RETRY_SECONDS (BREVO_KEY_RETRY_SECONDS), 60 s.',
  },
  {
    topic: 'Retention',
    text: 'The scheduled run (every 5 minutes) deletes event-log entries and received-event records older than LOG_RETENTION_DAYS (default 90). A redelivery of an event older than that is accepted again; `occurredAt` ordering makes it change nothing.',
  },
  {
    topic: 'Notices',
    text: "Failed portal notices are retried at `POST /v1/admin/notices/retry` (all, or one user's) and `POST /v1/admin/notices/{id}/retry` (one, at once); their state is in the subscriber view.",
  },
];
