/** Gmail without a status part: "Address not found", "wasn't delivered to", the older "failed permanently". */
import { addressesAfter, plainAddress } from './fields';
import type { Found, NoticeDetector } from './types';

/** The paragraph after a marker line ("The response was:"), as one line. */
function paragraphAfter(text: string, marker: RegExp): string | null {
  const m = marker.exec(text);
  if (!m) return null;
  const rest = text
    .slice(m.index + m[0].length)
    .replace(/^[^\n]*\n/, '')
    .replace(/^\s*\n/, '');
  return rest.split(/\n[ \t]*\n/)[0]?.trim() || null;
}

function readGmail(text: string): Found[] {
  const delayed = /Delivery incomplete|temporary problem delivering|has been delayed|will retry/i.test(text);
  const diagnostic = paragraphAfter(
    text,
    /The (?:response(?: from the remote server)? was|error that the other server returned was):/i,
  );
  const addresses = new Set<string>();
  for (const m of text.matchAll(/(?:wasn't delivered to|problem delivering your message to)\s+(\S+?)[.,]?(?:\s|$)/gi)) {
    const a = plainAddress(m[1]!);
    if (a !== null) addresses.add(a);
  }
  for (const a of addressesAfter(
    text,
    /Delivery to the following recipients? (?:failed permanently|has been delayed):/i,
  ))
    addresses.add(a);
  return [...addresses].map((address) => ({ address, diagnostic, delayed }));
}

export const gmail: NoticeDetector = {
  name: 'gmail',
  detect:
    /Address not found|Delivery Status Notification \((?:Failure|Delay)\)|Message not delivered|Delivery incomplete|Delivery to the following recipients? (?:failed permanently|has been delayed)|wasn't delivered to/i,
  read: readGmail,
};
