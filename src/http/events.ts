import { type Context, Hono } from 'hono';
import * as v from 'valibot';
import { findReceived, sameBody } from '../db/received-events';
import { type IncomingEvent, type IntakeResult, storeEvents } from '../intake/store-events';
import { eventDigest, nestedDeeperThan } from '../lib/canonical-json';
import { sha256Hex } from '../lib/encoding';
import { log } from '../lib/log';
import { type FieldError, problems } from '../lib/problem';
import { readBody } from '../lib/read-body';
import { MAX_SIGNATURES, verify } from '../lib/standard-webhooks';
import { toFieldErrors } from '../lib/valibot';
import { BatchBody, EventId, parsePortalEvent, WebhookId } from '../schemas/events';
import { enqueueAfterCommit, syncMessages } from '../schemas/queue';
import type { AppEnv } from './context';

export const SINGLE_LIMIT = 64 * 1024;
export const BATCH_LIMIT = 1024 * 1024;
/** Events nest 2 levels, a batch 4: anything near this is not an event (the README says so). */
export const MAX_DEPTH = 32;

const BatchItemId = v.object({ id: EventId });

/**
 * Portal events (contract §1). The intake order is fixed by §6: size → signature →
 * known webhook-id → JSON → schema → stored and enqueued. Only accepted events are stored.
 */
export const eventsApp = new Hono<AppEnv>()
  .post('/', async (c) => {
    const { config, db } = c.var;
    const raw = await readSigned(c.req.raw, SINGLE_LIMIT, config.PORTAL_SIGNING_SECRET);
    const eventId = c.req.header('webhook-id') ?? '';
    const json = tryJson(raw);
    // Unparsable bodies are never stored, so their raw digest can only mismatch a stored one.
    const bodyHash = json.ok ? await eventDigest(json.value) : await sha256Hex(raw);

    // An id too long to be stored cannot be known: it is a schema violation, reported below.
    const idErrors = webhookIdErrors(eventId);
    const tooDeepBody = json.ok && nestedDeeperThan(json.value, MAX_DEPTH);
    const event = json.ok && !tooDeepBody ? parsePortalEvent(json.value) : null;
    if (!event?.ok || idErrors.length) {
      // Nothing to store; a known id still gets its first answer (§6: known id before JSON).
      if (!idErrors.length) {
        const [known] = await findReceived(db, eventId);
        if (known) return answerKnown(sameBody(known.bodyHash, bodyHash), eventId, known.responseBody);
      }
      if (!json.ok) throw problems.badRequest('The body is not valid UTF-8 JSON.');
      if (tooDeepBody || !event) throw problems.invalid([...idErrors, tooDeep]);
      throw problems.invalid([...idErrors, ...(event.ok ? [] : event.errors)]);
    }

    // One read (the id's stored answer, the user's rows), one atomic write: see store-events.ts.
    const { results, pushIds, roundTrips } = await storeEvents(db, [{ eventId, bodyHash, event: event.event }], {
      defer: deferTo(c),
    });
    await enqueueAfterCommit(config.SYNC_QUEUE, syncMessages(pushIds));
    const [result] = results;
    logIntake('event', results, roundTrips);
    if (!result || result.status === 'conflict') throw problems.conflict(conflictDetail(eventId));
    // A concurrent delivery of the same id that lost the race gets the winner's answer.
    return c.json(result.response.body, result.status === 'accepted' ? 202 : 200);
  })
  .post('/batch', async (c) => {
    const { config, db } = c.var;
    const raw = await readSigned(c.req.raw, BATCH_LIMIT, config.PORTAL_SIGNING_SECRET);
    const json = parseJson(raw);
    // The whole batch, as for a body that is not { events: [...] }: no item is walked first.
    if (nestedDeeperThan(json, MAX_DEPTH)) throw problems.invalid([tooDeep]);
    const body = v.safeParse(BatchBody, json, { abortEarly: false });
    if (!body.success) throw problems.invalid(toFieldErrors(body.issues));

    const answers: {
      id: string;
      status: 'accepted' | 'duplicate' | 'rejected';
      errors?: { path: string; message: string }[];
    }[] = [];
    const candidates: { index: number; incoming: IncomingEvent }[] = [];
    for (const [index, item] of body.output.events.entries()) {
      const id = v.safeParse(BatchItemId, item);
      const event = parsePortalEvent(item);
      const idValue = id.success ? id.output.id : '';
      if (!id.success || !event.ok) {
        answers.push({
          id: idValue,
          status: 'rejected',
          errors: [...(id.success ? [] : toFieldErrors(id.issues)), ...(event.ok ? [] : event.errors)],
        });
        continue;
      }
      answers.push({ id: idValue, status: 'accepted' });
      // The event's content (without its id) decides duplicate vs conflict, as for single deliveries.
      candidates.push({ index, incoming: { eventId: idValue, bodyHash: await eventDigest(item), event: event.event } });
    }
    const { results, pushIds, roundTrips } = await storeEvents(
      db,
      candidates.map((x) => x.incoming),
      { defer: deferTo(c) },
    );
    await enqueueAfterCommit(config.SYNC_QUEUE, syncMessages(pushIds));
    logIntake('batch', results, roundTrips);
    results.forEach((result, i) => {
      const target = answers[candidates[i]?.index ?? -1];
      if (!target) return;
      if (result.status === 'duplicate') target.status = 'duplicate';
      if (result.status === 'conflict')
        Object.assign(target, {
          status: 'rejected',
          errors: [{ path: '/id', message: conflictDetail(result.eventId) }],
        });
    });
    return c.json({ results: answers }, 200);
  });

/** One line per request: what it did and what it cost in round trips; ids only, no content. */
function logIntake(kind: 'event' | 'batch', results: IntakeResult[], dbRoundTrips: number) {
  const count = (status: IntakeResult['status']) => results.filter((r) => r.status === status).length;
  log.info('events stored', {
    kind,
    accepted: count('accepted'),
    duplicates: count('duplicate'),
    conflicts: count('conflict'),
    dbRoundTrips,
  });
}

/** Work after the answer (a deleted user's scrub) is kept alive by the invocation. */
function deferTo(c: Context<AppEnv>) {
  return (work: Promise<void>) => c.executionCtx.waitUntil(work);
}

/** Reads the raw body (or throws 413) and checks its Standard Webhooks signature, or throws 401. */
async function readSigned(req: Request, limit: number, secrets: string[]): Promise<Uint8Array> {
  const raw = await readBody(req, limit);
  const failure = await verify(
    secrets,
    {
      id: req.headers.get('webhook-id'),
      timestamp: req.headers.get('webhook-timestamp'),
      signature: req.headers.get('webhook-signature'),
    },
    raw,
  );
  if (failure) throw problems.unauthorized(UNAUTHORIZED[failure]);
  return raw;
}

const UNAUTHORIZED = {
  'missing-headers': 'The webhook-id, webhook-timestamp and webhook-signature headers are required.',
  'too-many-signatures': `webhook-signature holds more than ${MAX_SIGNATURES} entries.`,
  'bad-timestamp': 'webhook-timestamp must be Unix seconds.',
  'stale-timestamp': 'webhook-timestamp is more than 300 seconds from the worker clock.',
  'no-match': 'No webhook-signature entry matches the body.',
} as const;

const tooDeep: FieldError = { path: '/', message: `the body must not nest deeper than ${MAX_DEPTH} levels` };

/** A single delivery's webhook-id is the same id space as a batch item's `id` (contract §6). */
function webhookIdErrors(eventId: string): FieldError[] {
  const id = v.safeParse(WebhookId, eventId);
  return id.success ? [] : toFieldErrors(id.issues).map((e) => ({ ...e, path: '/webhook-id' }));
}

function tryJson(raw: Uint8Array): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(raw)) };
  } catch {
    return { ok: false };
  }
}

function parseJson(raw: Uint8Array): unknown {
  const json = tryJson(raw);
  if (!json.ok) throw problems.badRequest('The body is not valid UTF-8 JSON.');
  return json.value;
}

/** A repeat delivery: 200 with the first answer's body, or 409 when the body differs. */
function answerKnown(sameBody: boolean, eventId: string, firstBody: string): Response {
  if (!sameBody) throw problems.conflict(conflictDetail(eventId));
  return new Response(firstBody, { status: 200, headers: { 'content-type': 'application/json' } });
}

const conflictDetail = (eventId: string) =>
  `The event id ${JSON.stringify(eventId)} was already used with a different body.`;
