import * as v from 'valibot';
import { type FieldError, problems } from './problem';

/** Turns valibot issues into the problem `errors` list: one entry per violation, by path. */
export function toFieldErrors(issues: readonly v.BaseIssue<unknown>[]): FieldError[] {
  return issues.map((issue) => ({
    path: pathOf(issue),
    message: issue.message,
  }));
}

function pathOf(issue: v.BaseIssue<unknown>): string {
  const keys = issue.path?.map((p) => String(p.key)) ?? [];
  return keys.length ? `/${keys.join('/')}` : '/';
}

/** Parses untrusted data or throws a 422 problem listing every violation. */
export function parseOr422<S extends v.GenericSchema>(schema: S, input: unknown, detail?: string): v.InferOutput<S> {
  const result = v.safeParse(schema, input, { abortEarly: false });
  if (!result.success) throw problems.invalid(toFieldErrors(result.issues), detail);
  return result.output;
}
