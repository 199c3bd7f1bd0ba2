/** Postfix and qmail: "<user@example.net>: reason", the reason running on until a blank line. */
import { lines, plainAddress } from './fields';
import { MAX_RECIPIENTS, type Found } from './types';

export function readAngleLines(text: string, delayed: boolean): Found[] {
  const out: Found[] = [];
  let current: { address: string; diag: string[] } | null = null;
  const flush = (): void => {
    if (current) out.push({ address: current.address, diagnostic: current.diag.join(' ') || null, delayed });
    current = null;
  };
  for (const line of lines(text)) {
    const m = /^<([^<>\s]+)>(?:\s*\([^)]*\))?:\s*(.*)$/.exec(line);
    const address = m ? plainAddress(m[1]!) : null;
    if (m && address !== null) {
      flush();
      current = { address, diag: m[2] ? [m[2].trim()] : [] };
    } else if (line.trim() === '') {
      flush();
    } else if (current) {
      current.diag.push(line.trim());
    }
    if (out.length >= MAX_RECIPIENTS) break;
  }
  flush();
  return out;
}
