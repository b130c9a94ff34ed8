/** Tiny helpers for writing HTML by hand safely: every piece of text goes through `escapeHtml`. */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape text for element content and double- or single-quoted attribute values. */
export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A `data:` URI for embedding bytes (the report must open offline, so nothing is linked). */
export function dataUri(bytes: Uint8Array, mime: string): string {
  return `data:${mime};base64,${Buffer.from(bytes).toString('base64')}`;
}

/** How `htmlTable` lays out columns and rows. */
export interface TableOptions {
  /** Column indexes aligned right (numbers). Default: none. */
  numeric?: readonly number[];
  /** A CSS class for body row `i` (e.g. to highlight it). Default: none. */
  rowClass?: (i: number) => string | undefined;
}

/** A table; `head` and `rows` are plain text, escaped here. */
export function htmlTable(head: readonly string[], rows: readonly (readonly unknown[])[], o: TableOptions = {}): string {
  const numeric = new Set(o.numeric ?? []);
  const cell = (tag: 'th' | 'td', value: unknown, col: number): string => `<${tag}${numeric.has(col) ? ' class="num"' : ''}>${escapeHtml(value)}</${tag}>`;
  const row = (r: readonly unknown[], i: number): string => {
    const cls = o.rowClass?.(i);
    return `<tr${cls ? ` class="${escapeHtml(cls)}"` : ''}>${r.map((v, c) => cell('td', v, c)).join('')}</tr>`;
  };
  return `<table><thead><tr>${head.map((h, c) => cell('th', h, c)).join('')}</tr></thead><tbody>${rows.map(row).join('')}</tbody></table>`;
}
