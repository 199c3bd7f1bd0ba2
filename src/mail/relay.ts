/**
 * The copy of a member's post that goes to the members. Its header is built from an allow-list
 * (relay-headers.ts): the list's own fields, From (the list's, or the author's when it is not
 * rewritten), To the list, and the parsed Subject, Date, Message-ID, In-Reply-To, References and
 * MIME fields, each written anew. No field a client can reply or report to names anyone but
 * the list and the author. The body passes through byte for byte.
 */
import { bounceAddress, listId, type Config } from '../config';
import { headerSafe, joinMessage, splitMessage, type RawHeader } from '../message/headers';
import { defangTokens } from '../message/tokens';
import { field, mimeValue, phrase, readRelayFields, text, type RelayFields } from './relay-headers';

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

/** The header fields of the copy, name and value, in the order they are written. */
export function relayFieldList(f: RelayFields, config: Config, rewriteFrom: boolean, now: Date): [string, string][] {
  const out: [string, string][] = [...listHeaders(config)];
  const author = f.author;
  if (rewriteFrom || author === null) {
    // DMARC-safe From: "Name via List" at the list address; the author travels in X-Original-From.
    const who = author ? author.name || author.address : 'a member';
    out.push(['From', `${phrase(`${who} via ${headerSafe(config.list.name)}`)} <${config.list.address}>`]);
    if (author)
      out.push(['X-Original-From', author.name ? `${phrase(author.name)} <${author.address}>` : author.address]);
  } else {
    out.push(['From', author.name ? `${phrase(author.name)} <${author.address}>` : author.address]);
  }
  out.push(['To', config.list.address]);
  // Text of a sender's that looks like one of our tokens is made inert: tokens travel only where we put them.
  if (f.subject !== null) out.push(['Subject', text(defangTokens(f.subject))]);
  out.push(['Date', (f.date ?? now).toUTCString().replace(/GMT$/, '+0000')]);
  if (f.messageId) out.push(['Message-ID', f.messageId]);
  if (f.inReplyTo) out.push(['In-Reply-To', f.inReplyTo]);
  if (f.references.length > 0) out.push(['References', f.references.join(' ')]);
  out.push(['MIME-Version', '1.0']);
  if (f.contentType) out.push(['Content-Type', mimeValue(f.contentType)]);
  if (f.contentTransferEncoding) out.push(['Content-Transfer-Encoding', f.contentTransferEncoding]);
  if (f.contentDisposition) out.push(['Content-Disposition', mimeValue(f.contentDisposition)]);
  return out;
}

/**
 * `rewriteFrom` decides the From rewrite for this post; by default "always" and "dmarc" rewrite
 * (when the author's policy was not looked up, rewriting is the copy that arrives). `now` dates
 * a post that carries no readable Date.
 */
export function composeRelay(
  raw: Buffer,
  config: Config,
  rewriteFrom: boolean = config.relay.fromRewrite !== 'never',
  now: Date = new Date(),
): { raw: Buffer; envelopeFrom: string } {
  const { body, eol } = splitMessage(raw);
  const headers: RawHeader[] = relayFieldList(readRelayFields(raw), config, rewriteFrom, now).map(([name, value]) => ({
    name,
    raw: field(name, value).replace(/\r?\n/g, eol) + eol,
  }));
  return { raw: joinMessage(headers, body, eol), envelopeFrom: bounceAddress(config) };
}
