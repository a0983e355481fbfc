/**
 * Finding personal data in free text: what a deleted user's rows may still quote. Provider
 * messages quote addresses in any case and in forms the worker never sent ("Duplicate value
 * \"Anna@Example.com\""), so every e-mail-shaped token goes, not only the addresses known.
 */

export const SCRUBBED = '[deleted]';

// Local part and domain without the characters that delimit an address in a message.
const EMAIL_SHAPED = /[^\s"'<>()[\]{},;:\\]+@[^\s"'<>()[\]{},;:\\]+/g;

/** The text with every e-mail-shaped token and every given name (case-insensitive) replaced. */
export function scrubText(text: string, names: readonly string[] = []): string {
  let out = text.replace(EMAIL_SHAPED, SCRUBBED);
  for (const name of names) {
    const trimmed = name.trim();
    // One- or two-letter names would take whole words with them; they identify no one alone.
    if (trimmed.length < 3) continue;
    out = out.replace(new RegExp(trimmed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), SCRUBBED);
  }
  return out;
}

/** `scrubText` over every string inside a JSON value, keys left as they are. */
export function scrubJson<T>(value: T, names: readonly string[] = []): T {
  if (typeof value === 'string') return scrubText(value, names) as T;
  if (Array.isArray(value)) return value.map((v) => scrubJson(v, names)) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubJson(v, names)])) as T;
  return value;
}
