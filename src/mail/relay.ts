/**
 * The copy of a member's post that goes to the members. The body and every header we do not
 * own pass through byte for byte, so that threads hold and signatures over the body survive;
 * the envelope and private headers are dropped and the list headers added.
 */
import { bounceAddress, listId, type Config } from '../config';
import { headerSafe, joinMessage, splitMessage } from '../message/headers';

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
  'x-confirm-reading-to', 'read-receipt-to',
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

export function composeRelay(raw: Buffer, config: Config): { raw: Buffer; envelopeFrom: string } {
  const { headers, body, eol } = splitMessage(raw);
  const kept = headers.filter((h) => h.name !== '' && !STRIPPED.has(h.name.toLowerCase()));
  // List headers go first: they are trace-like fields added by the last hop.
  const added = listHeaders(config).map(([name, value]) => ({ name, raw: `${name}: ${value}${eol}` }));
  return { raw: joinMessage([...added, ...kept], body, eol), envelopeFrom: bounceAddress(config) };
}
