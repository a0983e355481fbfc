/**
 * The reader page's language: German unless the browser prefers English (RFC 9110
 * `Accept-Language`, quality values honoured; at equal quality the earlier entry wins).
 */

export type Language = 'de' | 'en';

export function pickLanguage(acceptLanguage: string | null | undefined): Language {
  let best: { lang: Language; q: number } | null = null;
  for (const part of (acceptLanguage ?? '').split(',').slice(0, 30)) {
    const [tag = '', ...params] = part.trim().toLowerCase().split(';');
    const primary = tag.trim().split('-')[0];
    if (primary !== 'de' && primary !== 'en') continue;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(q) || q <= 0 || q > 1) continue;
    if (!best || q > best.q) best = { lang: primary, q };
  }
  return best?.lang ?? 'de';
}
