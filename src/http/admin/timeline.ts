import type * as v from 'valibot';
import type { EventLogRow } from '../../db/event-log';
import type { TimelineEntry } from '../../schemas/admin';

/**
 * One readable line per event-log row. The log stores ids, times and provider messages only
 * (never personal data), so a summary built from it carries none either.
 */

type Row = EventLogRow;
type Detail = Record<string, unknown>;

function text(d: Detail, key: string): string | null {
  const value = d[key];
  return typeof value === 'string' ? value : null;
}

function num(d: Detail, key: string): number | null {
  const value = d[key];
  return typeof value === 'number' ? value : null;
}

export function timelineEntry(
  row: Row,
  newsletterOf: ReadonlyMap<string, string>,
): v.InferOutput<typeof TimelineEntry> {
  const detail = row.detail ?? null;
  const d = detail ?? {};
  const newsletterId =
    text(d, 'newsletterId') ?? (row.subscriptionId ? (newsletterOf.get(row.subscriptionId) ?? null) : null);
  return {
    at: new Date(row.at).toISOString(),
    kind: row.kind,
    outcome: row.outcome,
    subscriptionId: row.subscriptionId,
    newsletterId,
    eventId: row.eventId,
    summary: summarize(row, d, newsletterId),
    detail,
  };
}

function summarize(row: Row, d: Detail, newsletterId: string | null): string {
  const where = newsletterId ? ` for ${newsletterId}` : '';
  const outcome = row.outcome ?? 'recorded';
  switch (row.kind) {
    case 'event.received': {
      const notes = Array.isArray(d.notes) ? d.notes.filter((n): n is string => typeof n === 'string') : [];
      const source = text(d, 'source') === 'unsubscribe-link' ? 'the unsubscribe link' : 'the portal';
      const head = `${text(d, 'type') ?? 'event'} from ${source}${where}, occurred ${text(d, 'occurredAt') ?? 'at an unknown time'}`;
      const verdict = row.outcome === 'stale' ? 'stale (older than what was applied; changed nothing)' : outcome;
      return `${head}: ${verdict}${notes.length ? ` (${notes.join('; ')})` : ''}`;
    }
    case 'attempt': {
      const state = text(d, 'state');
      const head = `transfer${where}${state ? ` of state ${state}` : ''}${num(d, 'version') ? ` (version ${num(d, 'version')})` : ''}`;
      return `${head}: ${outcome}${failureText(d.error) ?? (text(d, 'note') ? ` (${text(d, 'note')})` : '')}`;
    }
    case 'dead-letter':
      return `queue message dead-lettered after ${num(d, 'attempts') ?? '?'} deliveries; the transfer is marked failed`;
    case 'notice.created':
      return `notice ${text(d, 'type') ?? ''} to the portal created${where}${text(d, 'source') ? ` (source ${text(d, 'source')})` : ''}`;
    case 'notice.attempt': {
      const status = num(d, 'httpStatus');
      return `notice delivery attempt ${num(d, 'attempt') ?? '?'}: ${outcome}${status ? ` (portal answered HTTP ${status})` : text(d, 'error') ? ` (${text(d, 'error')})` : ''}`;
    }
    default:
      if (row.kind.startsWith('reconciliation.')) {
        const drift = text(d, 'driftClass') ?? text(d, 'reason');
        return `reconciliation ${row.kind.slice('reconciliation.'.length)}${where}${drift ? ` (${drift})` : ''}: ${outcome}`;
      }
      return `${row.kind}${where}: ${outcome}`;
  }
}

function failureText(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const e = { ...error } as Detail;
  const message = text(e, 'message');
  if (!message) return null;
  const status = num(e, 'httpStatus');
  return ` — ${message}${status ? ` (HTTP ${status})` : ''}`;
}
