import * as v from 'valibot';
import { NullableTimestamp, Timestamp } from './common';
import { NewsletterId } from './events';
import { driftClasses } from './states';

/**
 * `/v1/admin/reconciliations` requests and answers as valibot schemas: the handlers parse and
 * type by them, and the OpenAPI document can be generated from them.
 */

const describe = <S extends v.GenericSchema>(schema: S, text: string) => v.pipe(schema, v.description(text));

export const StartBody = v.object({
  mode: describe(
    v.picklist(['report', 'heal'], 'mode must be "report" or "heal"'),
    "`report` changes nothing at the provider and re-pushes nothing; `heal` also re-pushes the portal's state through the sync queue. Both mark consent conflicts and tell the portal",
  ),
  newsletterIds: v.optional(
    describe(
      v.pipe(
        v.array(NewsletterId),
        v.minLength(1, 'newsletterIds must not be empty'),
        v.maxLength(100, 'newsletterIds may name at most 100 newsletters'),
      ),
      'Only the lists these newsletters map to (each compared with every newsletter mapped to it); every mapped list when absent',
    ),
  ),
});

const limit = (fallback: number, max: number) =>
  v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,4}$/, `limit must be a whole number from 1 to ${max}`),
      v.toNumber(),
      v.minValue(1, `limit must be a whole number from 1 to ${max}`),
      v.maxValue(max, `limit must be a whole number from 1 to ${max}`),
      v.description('Page size'),
    ),
    String(fallback),
  );
const cursor = v.optional(
  v.pipe(
    v.string(),
    v.maxLength(512, 'cursor is not one this API issued'),
    v.description('nextCursor of the previous page'),
  ),
);

export const RunsQuery = v.object({ limit: limit(20, 100), cursor });

export const RunQuery = v.object({
  driftClass: v.optional(
    describe(
      v.picklist(driftClasses, `driftClass must be one of ${driftClasses.join(', ')}`),
      'Only findings of this class',
    ),
  ),
  limit: limit(100, 500),
  cursor,
});

const DriftCounts = v.object(
  Object.fromEntries(driftClasses.map((c) => [c, v.number()])) as Record<
    (typeof driftClasses)[number],
    v.NumberSchema<undefined>
  >,
);

export const RunView = v.object({
  id: v.string(),
  mode: v.picklist(['report', 'heal']),
  status: v.picklist(['running', 'completed', 'failed']),
  trigger: describe(v.string(), '`admin` (POST) or `schedule` (the daily cron)'),
  counts: describe(DriftCounts, 'Findings per drift class'),
  totals: describe(
    v.record(v.string(), v.number()),
    'recipients read, lists done, pages, chunks (invocations), pending (matched while a transfer was in flight: not judged), ' +
      'conflictsMarked, conflictsCleared, noticesCreated (both modes), repushed and heldForConsent (heal mode); listsFailed',
  ),
  providerCalls: describe(v.number(), 'Calls made to the provider by this run (logins included)'),
  startedAt: Timestamp,
  updatedAt: Timestamp,
  finishedAt: NullableTimestamp,
  durationMs: describe(v.number(), 'Until finishedAt, or until now while running'),
  progress: describe(
    v.nullable(
      v.object({
        list: v.number(),
        lists: v.number(),
        listId: v.nullable(v.string()),
        phase: v.picklist(['remote', 'missing']),
        offset: v.number(),
      }),
    ),
    'Where the next chunk starts, while running',
  ),
  skippedLists: describe(
    v.array(v.object({ listId: v.string(), message: v.string() })),
    "Lists that could not be read, with the provider's message",
  ),
  error: v.nullable(v.string()),
});

export const FindingView = v.object({
  id: v.number(),
  driftClass: describe(v.string(), `One of ${driftClasses.join(', ')}`),
  newsletterId: v.nullable(v.string()),
  userId: v.nullable(v.string()),
  subscriptionId: v.nullable(v.string()),
  recipientId: v.nullable(v.string()),
  email: v.nullable(v.string()),
  detail: describe(
    v.record(v.string(), v.unknown()),
    'listId, how the recipient was matched, remote status, local state, the reason of a conflict, the names of differing fields',
  ),
});

export const RunPage = v.object({ items: v.array(RunView), nextCursor: v.nullable(v.string()), limit: v.number() });

export const RunDetail = v.object({
  ...RunView.entries,
  findings: v.object({
    total: describe(v.number(), 'Findings matching the filter'),
    items: v.array(FindingView),
    nextCursor: v.nullable(v.string()),
    limit: v.number(),
  }),
});

export const RunningProblem = describe(
  v.looseObject({
    type: v.string(),
    title: v.string(),
    status: v.literal(409),
    detail: v.string(),
    runningRunId: v.string(),
  }),
  'A run is already running: its id is named',
);
