/**
 * Just enough HTML building for the reference page: a tagged template that escapes every
 * value it is given (unless already built by it), and the small Markdown subset the
 * document's descriptions use (paragraphs, "- " lists, `code`, **bold**, [links](…)).
 */

export class Safe {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);

function render(value: unknown): string {
  if (value instanceof Safe) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

export function h(strings: TemplateStringsArray, ...values: unknown[]): Safe {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new Safe(out);
}

/** Inline Markdown on already escaped text; only same-page and relative links are made. */
function inline(text: string): string {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/\[([^\]]+)\]\(((?:\/|#)[^)\s]*)\)/g, '<a href="$2">$1</a>');
}

export function markdown(text: string | undefined): Safe {
  if (!text) return new Safe('');
  const blocks = text.split(/\n\s*\n/);
  return new Safe(
    blocks
      .map((block) => {
        const lines = block.split('\n').filter((l) => l.trim());
        if (lines.length && lines.every((l) => l.startsWith('- ')))
          return `<ul>${lines.map((l) => `<li>${inline(l.slice(2))}</li>`).join('')}</ul>`;
        if (lines[0]?.startsWith('## '))
          return `<h3>${inline(lines[0].slice(3))}</h3>${lines.length > 1 ? `<p>${inline(lines.slice(1).join(' '))}</p>` : ''}`;
        return `<p>${inline(lines.join(' '))}</p>`;
      })
      .join(''),
  );
}

/** A fragment id for an operation or schema name. */
export const anchor = (prefix: string, name: string) => `${prefix}-${name.replace(/[^A-Za-z0-9_-]+/g, '-')}`;
