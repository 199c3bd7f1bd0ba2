/**
 * Small readers the detectors share: header-style field blocks, addresses as a notice writes
 * them, SMTP status codes, and making any text from a mail safe for our logs and database.
 */
import { isAddress, normalizeAddress } from '../../message/address';
import { headerSafe } from '../../message/headers';

const MAX_DIAGNOSTIC = 500;
export const STATUS = /([245])\.(\d{1,3})\.(\d{1,3})/;
const ADDRESS = /<?([^\s<>()[\]:;,"']+@[^\s<>()[\]:;,"']+\.[A-Za-z0-9-]+)>?/;
/** A line that starts with an address, optionally in angle brackets. */
export const ADDRESS_LINE = new RegExp(`^\\s*${ADDRESS.source}`);

/** Header fields of a block, names lower-cased, the first of each name kept, folding undone. */
export function fieldsOf(block: string): Map<string, string> {
  const fields = new Map<string, string>();
  let last: string | null = null;
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line)) {
      if (last !== null && fields.has(last)) fields.set(last, `${fields.get(last)} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : '';
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) {
      last = null;
      continue;
    }
    last = fields.has(name) ? null : name;
    if (last !== null) fields.set(name, line.slice(colon + 1).trim());
  }
  return fields;
}

/** An address as a notice writes it (angle brackets allowed), lower-cased, or null. */
export function plainAddress(value: string): string | null {
  const a = value
    .trim()
    .replace(/^<(.*)>$/, '$1')
    .trim();
  return a.length <= 320 && isAddress(a) ? normalizeAddress(a) : null;
}

/** Text from a mail on its way into our logs or database: one line, no controls, bounded. */
export function clean(value: string | undefined): string | null {
  if (value === undefined) return null;
  const v = headerSafe(value).slice(0, MAX_DIAGNOSTIC);
  return v === '' ? null : v;
}

/** The first enhanced status code (RFC 3463) standing on its own in a text. */
export function statusIn(text: string | null): string | null {
  const m = text === null ? null : new RegExp(`(?<![\\d.])${STATUS.source}(?![\\d.])`).exec(text);
  return m ? `${m[1]}.${Number(m[2])}.${Number(m[3])}` : null;
}

/**
 * The Action decides when it is there: failed is permanent (also after a 4.x.x the MTA gave up
 * on); delayed, delivered, relayed and expanded are not. Without a readable Action, a 5.x.x Status
 * is. Unreadable fields count as not permanent: garbage never counts against a member.
 */
export function isPermanent(action: string | null, status: string | null): boolean {
  if (action !== null) return action === 'failed';
  return status !== null && status.startsWith('5');
}

/** Lines, each cut at 2,000 characters: no line of a notice is longer, and no pattern runs long. */
export function lines(text: string): string[] {
  return text.split('\n').map((l) => (l.length > 2000 ? l.slice(0, 2000) : l));
}

/** Lines after a marker that start with an address, blank lines skipped, up to the first other line. */
export function addressesAfter(text: string, marker: RegExp): string[] {
  const all = lines(text);
  const start = all.findIndex((l) => marker.test(l));
  const out: string[] = [];
  if (start < 0) return out;
  for (const line of all.slice(start + 1)) {
    if (line.trim() === '') continue;
    const m = ADDRESS_LINE.exec(line);
    const address = m ? plainAddress(m[1]!) : null;
    if (address === null) break;
    out.push(address);
  }
  return out;
}
