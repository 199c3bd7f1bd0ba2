/**
 * The embargo lines of a mail: "Embargo: ...", "Embargo until: ...", "Embargoed until ..." (anywhere
 * in a line), "Public disclosure (date): ...", "Disclosure date: ...", case-insensitive, with
 * Markdown bold or a list bullet, not in quoted (">") lines.
 */
import { shown } from './format';

/** More distinct embargo lines than this is ambiguous without reading them all. */
export const MAX_LINES = 20;

/** A list bullet or heading mark and opening emphasis before a label. */
export const BULLET = /^\s*(?:[-*+•]\s+|#{1,6}\s+)?[*_]{0,3}\s*/;
const LABEL =
  /^(embargo(?:ed)?(?:\s+(?:until|till|end(?:s|\s+date)?|date|lifts?|expires?))?|public\s+disclosure(?:\s+date)?|disclosure\s+date)[*_]{0,3}\s*:[*_]{0,3}\s*(.*)$/i;
const UNTIL = /\bembargo(?:ed)?\s+(?:until|till)\b[*_]{0,3}\s*:?[*_]{0,3}\s*(.*)$/i;

/** The embargo lines of a text (not quoted ones): the line as written and the value after its label. */
export function embargoLines(text: string): { line: string; value: string }[] {
  const found = new Map<string, string>();
  for (const raw of text.split(/\r\n|\r|\n/)) {
    if (/^\s*>/.test(raw)) continue;
    const body = raw.replace(BULLET, '');
    const m = LABEL.exec(body) ?? UNTIL.exec(body);
    if (!m) continue;
    const line = shown(raw);
    if (!found.has(line)) found.set(line, m[m.length - 1] ?? '');
    if (found.size > MAX_LINES) break;
  }
  return [...found].map(([line, value]) => ({ line, value }));
}
