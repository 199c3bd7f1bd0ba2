/** Exim: after "...failed:", each address indented by two, its reasons indented further. */
import { ADDRESS_LINE, lines, plainAddress } from './fields';
import { MAX_RECIPIENTS, type Found, type NoticeDetector } from './types';

function readExim(text: string): Found[] {
  const all = lines(text);
  const start = all.findIndex((l) =>
    /(address(?:\(es\))?\s+failed|has not yet been delivered (?:is|are)):\s*$/i.test(l),
  );
  if (start < 0) return [];
  const delayed = /has not yet been delivered/i.test(text);
  const out: Found[] = [];
  let current: Found | null = null;
  for (const line of all.slice(start + 1)) {
    if (line.trim() === '') continue;
    const indent = /^[ \t]*/.exec(line)![0].length;
    if (indent === 0) break;
    const m = indent <= 3 ? ADDRESS_LINE.exec(line) : null;
    const address = m ? plainAddress(m[1]!) : null;
    if (address !== null) {
      current = { address, diagnostic: line.slice(m![0].length).replace(/^\s*:?\s*/, '') || null, delayed };
      out.push(current);
      if (out.length >= MAX_RECIPIENTS) break;
    } else if (current) {
      current.diagnostic = [current.diagnostic, line.trim()].filter(Boolean).join(' ');
    }
  }
  return out;
}

export const exim: NoticeDetector = {
  name: 'exim',
  detect: /This message was created automatically by mail delivery software/i,
  read: readExim,
};
