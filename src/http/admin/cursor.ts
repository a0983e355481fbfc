import * as v from 'valibot';
import { base64UrlToBytes, bytesToBase64Url } from '../../lib/encoding';
import { problems } from '../../lib/problem';

/**
 * Keyset paging: a cursor names the last subscription id a page showed, and the next page
 * starts after it. Rows inserted or changed meanwhile shift nothing: every row that existed
 * when paging began is seen exactly once (a row that changes to no longer match a filter is
 * not shown, of course). The cursor is opaque to clients (base64url JSON) so its content can
 * change without breaking them.
 */

const CursorBody = v.object({ after: v.pipe(v.string(), v.minLength(1), v.maxLength(128)) });

export function encodeCursor(afterId: string): string {
  return bytesToBase64Url(new TextEncoder().encode(JSON.stringify({ after: afterId })));
}

/** The id a cursor names, or a 422 problem for one this API did not issue. */
export function decodeCursor(cursor: string): string {
  const bytes = base64UrlToBytes(cursor);
  let json: unknown;
  try {
    json = bytes ? JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)) : undefined;
  } catch {
    json = undefined;
  }
  const parsed = v.safeParse(CursorBody, json);
  if (!parsed.success)
    throw problems.invalid([{ path: '/cursor', message: 'cursor is not one this API issued; start again without it' }]);
  return parsed.output.after;
}
