/** E-mail address lists compared the provider's way: case-insensitively. */

/** Distinct addresses in order of first appearance, leaving out `except`. */
export function otherAddresses(candidates: readonly (string | null | undefined)[], except: string | null): string[] {
  const seen = new Set(except ? [except.toLowerCase()] : []);
  const out: string[] = [];
  for (const c of candidates) {
    if (c && !seen.has(c.toLowerCase())) {
      seen.add(c.toLowerCase());
      out.push(c);
    }
  }
  return out;
}

/** A lookup list with one more address, keeping the latest five; null when empty. */
export function withAddress(list: readonly string[] | null | undefined, email: string | null): string[] | null {
  const out = otherAddresses([...(list ?? []), email], null);
  return out.length ? out.slice(-5) : null;
}
