/**
 * The copy of a member's post that goes to the members. The body and every header we do not
 * own pass through byte for byte, so that threads hold and signatures over the body survive;
 * the envelope and private headers are dropped and the list headers added.
 */
import { bounceAddress, listId, type Config } from './src/config';
import { headerSafe, headerValue, joinMessage, splitMessage, type RawHeader } from './src/message/headers';
import addressparser from 'nodemailer/lib/addressparser';
import { encodeWord } from 'nodemailer/lib/mime-funcs';
import libmime from 'libmime';

/**
 * Headers a relayed copy must not carry: the original envelope and Bcc; list headers we set; and
 * everything that would send members' replies or read receipts somewhere other than the list
 * (an outsider in Cc gets every reply-all; a Reply-To or a receipt request can point anywhere).
 */
const STRIPPED = new Set([
  'bcc', 'return-path', 'delivered-to', 'x-original-to', 'envelope-to', 'x-envelope-to', 'x-envelope-from',
  'list-id', 'list-post', 'list-help', 'list-unsubscribe', 'list-subscribe', 'list-archive', 'list-owner',
  'list-unsubscribe-post', 'precedence',
  'cc', 'reply-to', 'mail-followup-to', 'mail-reply-to', 'disposition-notification-to', 'return-receipt-to',
  'x-confirm-reading-to', 'read-receipt-to', 'x-original-from',
]);

export function listHeaders(config: Config): [string, string][] {
  const name = headerSafe(config.list.name).replace(/["\\]/g, '');
  return [
    ['List-Id', `"${name}" <${listId(config)}>`],
    ['List-Post', `<mailto:${config.list.address}>`],
    ['List-Help', `<mailto:${config.list.requestsAddress}?subject=help>`],
    ['Precedence', 'list'],
    ['X-Loop', config.list.address],
    // Replies, ACK and LEAK go to the list, where they are authenticated and kept.
    ['Reply-To', `<${config.list.address}>`],
  ];
}

/**
 * `rewriteFrom` decides the From rewrite for this post; by default "always" and "dmarc" rewrite
 * (when the author's policy was not looked up, rewriting is the copy that arrives).
 */
export function composeRelay(raw: Buffer, config: Config, rewriteFrom: boolean = config.relay.fromRewrite !== 'never'): { raw: Buffer; envelopeFrom: string } {
  const { headers, body, eol } = splitMessage(raw);
  let kept = headers.filter((h) => h.name !== '' && !STRIPPED.has(h.name.toLowerCase()));
  // List headers go first: they are trace-like fields added by the last hop.
  const added = listHeaders(config).map(([name, value]) => ({ name, raw: `${name}: ${value}${eol}` }));
  if (rewriteFrom) kept = withListFrom(kept, config, eol);
  return { raw: joinMessage([...added, ...kept], body, eol), envelopeFrom: bounceAddress(config) };
}

/**
 * DMARC-safe From: members' hosts that enforce the author's DMARC policy would refuse a copy whose
 * body or subject we changed under the author's From. The copy is From "Name via List" at the
 * list address; the author's From is kept in X-Original-From. Replies go to the list (Reply-To).
 */
function withListFrom(headers: RawHeader[], config: Config, eol: string): RawHeader[] {
  const i = headers.findIndex((h) => h.name.toLowerCase() === 'from');
  if (i < 0) return headers;
  // The header was read as latin1 to keep its bytes; a UTF-8 name is turned back into text, and
  // encoded words are decoded, before the name goes into a phrase of ours.
  const original = Buffer.from(headerValue(headers[i]!), 'latin1').toString('utf8');
  const author = addressparser(original, { flatten: true })[0];
  const who = headerSafe(libmime.decodeWords(author?.name ?? '') || author?.address || 'a member').replace(/["\\]/g, '');
  const phrase = `${who} via ${headerSafe(config.list.name).replace(/["\\]/g, '')}`;
  // Plain printable text is quoted; anything else is encoded whole, since an encoded word may not
  // stand inside quotes (RFC 2047 section 5) and a bare "<addr>" in a name must not become an address.
  const display = /^[\x20-\x7e]*$/.test(phrase) ? `"${phrase}"` : encodeWord(phrase, 'Q', 52);
  const from = { name: 'From', raw: `From: ${display} <${config.list.address}>${eol}` };
  const originalFrom = { name: 'X-Original-From', raw: `X-Original-From:${headers[i]!.raw.slice(headers[i]!.raw.indexOf(':') + 1)}` };
  return [...headers.slice(0, i), from, originalFrom, ...headers.slice(i + 1)];
}
