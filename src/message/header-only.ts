/**
 * A message too large (or with too many parts) to parse, read from its header alone: enough to
 * name the sender, the subject and the recipients in the moderators' mail, and nothing of the
 * body. The fields are the first of each name, as readers take them; the body stays unread.
 */
import libmime from 'libmime';
import { parseAddressList } from './address';
import { headerSafe, headerValue, splitMessage } from './headers';
import type { InboundMessage } from './parse';

/** The From of a message whose From cannot be read: an address no one has, shown as it is. */
export const UNKNOWN_SENDER = '(unknown sender)';

export function readHeaderOnly(raw: Buffer): InboundMessage {
  const fields = new Map<string, string>();
  const headers = new Map<string, string[]>();
  for (const h of splitMessage(raw).headers) {
    const name = h.name.toLowerCase();
    if (name === '') continue;
    const value = headerValue(h);
    if (!fields.has(name)) fields.set(name, value);
    headers.set(name, [...(headers.get(name) ?? []), value]);
  }
  const from = parseAddressList(fields.get('from'))[0];
  return {
    raw,
    size: raw.length,
    messageId: fields.get('message-id')?.match(/<[^<>\s]+>/)?.[0] ?? null,
    inReplyTo: null,
    references: [],
    from: { address: from?.address ?? UNKNOWN_SENDER, name: headerSafe(from?.name ?? '') },
    to: parseAddressList(fields.get('to')),
    cc: parseAddressList(fields.get('cc')),
    subject: headerSafe(libmime.decodeWords(fields.get('subject') ?? '')),
    date: null,
    text: '',
    hasPlainText: false,
    htmlText: null,
    headers,
    attachments: [],
    publicKeyParts: [],
    parts: [],
  };
}
