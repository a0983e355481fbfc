/**
 * Structured logs (one JSON object per line, as Workers Logs index them). Callers pass ids,
 * counts and outcomes only: never e-mail addresses, names, tokens or secrets.
 */
type Fields = Record<string, string | number | boolean | null | undefined | string[]>;

function write(level: 'info' | 'warn' | 'error', msg: string, fields: Fields = {}) {
  const line = JSON.stringify({ level, msg, ...fields });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}

export const log = {
  info: (msg: string, fields?: Fields) => write('info', msg, fields),
  warn: (msg: string, fields?: Fields) => write('warn', msg, fields),
  error: (msg: string, fields?: Fields) => write('error', msg, fields),
};

/**
 * An error's class and message, and its cause's (drizzle wraps driver errors), for a log line.
 * drizzle's "Failed query" messages list the bound parameters, which can be e-mail addresses:
 * everything from "params:" on is cut.
 */
export function describeError(error: unknown): string {
  const clean = (message: string) => message.split(/\nparams:/)[0]?.slice(0, 500) ?? '';
  if (!(error instanceof Error)) return clean(String(error));
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.name}: ${clean(error.cause.message)})` : '';
  return `${error.name}: ${clean(error.message)}${cause}`;
}

/** What a handler throws in place of an error it could not handle (see `escaping`). */
export class HandlerError extends Error {
  override readonly name = 'HandlerError';
}

/**
 * For an error about to leave a handler (a queue batch re-thrown so the queue delivers it
 * again): logs it, and returns what to throw instead. The runtime prints an uncaught error's
 * message in a line of its own, and drizzle's message lists the statement's bound parameters;
 * the replacement says only what `describeError` says.
 */
export function escaping(msg: string, error: unknown, fields: Fields = {}): HandlerError {
  const description = describeError(error);
  log.error(msg, { ...fields, error: description });
  return new HandlerError(`${msg}: ${description}`);
}
