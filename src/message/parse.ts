/**
 * parse: bytes become one typed InboundMessage, once (mailparser). Everything later reads this
 * object; nothing parses the raw bytes again except the relay, which must keep them intact.
 */
import type { AddressObject } from 'mailparser';
import { AppError } from '../errors';
import { isAddress, normalizeAddress, type Address } from './address';
import { headerSafe } from './headers';
import { mimeParts, type MimePart } from './mime-parts';

export interface InboundMessage {
  raw: Buffer;
  size: number;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  from: Address;
  to: Address[];
  cc: Address[];
  subject: string;
  date: Date | null;
  /** The text/plain body when there is one, else the text a reader sees of the HTML body. */
  text: string;
  /** The mail has a text/plain body with more than white space in it: keywords are read from it. */
  hasPlainText: boolean;
  /** The text a reader sees of the HTML body (message/visible-text.ts); null when there is none. */
  htmlText: string | null;
  /** Lower-cased header name -> every value, unfolded, in order. */
  headers: Map<string, string[]>;
  /** File name and type of each attachment (their bytes stay in raw, untouched). */
  attachments: { filename: string; contentType: string; size: number }[];
  /**
   * What looks like an OpenPGP public key in the mail, as sent: each application/pgp-keys
   * attachment, each other attachment that is an armored public key block, and each armored
   * public key block in the text. Read later by openpgp/attached-key, which judges them; at most
   * MAX_KEY_PARTS are kept.
   */
  publicKeyParts: Buffer[];
  /** The leaves of the MIME tree outside any returned message, with the text of text/plain and delivery-status parts (message/mime-parts.ts). */
  parts: MimePart[];
}

export function header(msg: Pick<InboundMessage, 'headers'>, name: string): string[] {
  return msg.headers.get(name.toLowerCase()) ?? [];
}

export async function parseMessage(raw: Buffer): Promise<InboundMessage> {
  // Loaded with the first message rather than at start (outside the try: a broken install is not
  // the message's fault): mailparser, and for HTML the parsers and CSS reader of visible-text,
  // take a few hundred milliseconds to load on a small machine.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { simpleParser } = require('mailparser') as typeof import('mailparser');
  let parsed;
  try {
    parsed = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
  } catch (err) {
    throw new AppError('MESSAGE_UNPARSEABLE', `the message cannot be parsed as MIME: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const headers = new Map<string, string[]>();
  for (const { key, line } of parsed.headerLines) {
    if (key === '') continue;
    const colon = line.indexOf(':');
    const value = line
      .slice(colon + 1)
      .replace(/\r?\n[ \t]/g, ' ')
      .trim();
    const list = headers.get(key) ?? [];
    list.push(value);
    headers.set(key, list);
  }
  if (headers.size === 0) {
    throw new AppError('MESSAGE_UNPARSEABLE', 'the message has no header fields');
  }
  const fromHeaders = headers.get('from') ?? [];
  // mailparser decodes the display name (RFC 2047); the header line count guards against two Froms.
  const from = addresses(parsed.from).map((a) => ({ address: a.address, name: headerSafe(a.name) }));
  if (fromHeaders.length !== 1 || from.length !== 1) {
    throw new AppError(
      'MESSAGE_NO_FROM',
      fromHeaders.length === 0
        ? 'the message has no From header'
        : 'the message needs exactly one From header with exactly one valid address',
    );
  }
  // mailparser's own HTML-to-text keeps hidden text, so it is off: `parsed.text` is text/plain only.
  const plain = parsed.text ?? '';
  const hasPlainText = plain.trim() !== '';
  const htmlText = typeof parsed.html === 'string' ? htmlVisibleText(parsed.html) : null;
  return {
    raw,
    size: raw.length,
    messageId: cleanId(parsed.messageId),
    inReplyTo: cleanId(parsed.inReplyTo),
    references: toList(parsed.references)
      .map(cleanId)
      .filter((x): x is string => x !== null),
    from: from[0]!,
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    subject: headerSafe(parsed.subject ?? ''),
    date: parsed.date ?? null,
    text: hasPlainText ? plain : (htmlText ?? plain),
    hasPlainText,
    htmlText,
    headers,
    attachments: parsed.attachments.map((a) => ({
      filename: headerSafe(a.filename ?? ''),
      contentType: a.contentType,
      size: a.size,
    })),
    publicKeyParts: publicKeyParts(parsed.attachments, plain),
    parts: await mimeParts(raw),
  };
}

/** More than this many key parts in one mail are not kept (openpgp/attached-key refuses the mail's keys as KEY_MULTIPLE). */
export const MAX_KEY_PARTS = 4;

const PUBLIC_KEY_ARMOR = /-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]*?-----END PGP PUBLIC KEY BLOCK-----/g;

function publicKeyParts(attachments: { contentType: string; content: Buffer }[], text: string): Buffer[] {
  const out: Buffer[] = [];
  for (const a of attachments) {
    const head = a.content.subarray(0, 256).toString('latin1').trimStart();
    if (
      a.contentType.toLowerCase() === 'application/pgp-keys' ||
      head.startsWith('-----BEGIN PGP PUBLIC KEY BLOCK-----')
    )
      out.push(a.content);
  }
  for (const block of text.match(PUBLIC_KEY_ARMOR) ?? []) out.push(Buffer.from(block, 'utf8'));
  return out.slice(0, MAX_KEY_PARTS + 1);
}

function addresses(obj: AddressObject | AddressObject[] | undefined): Address[] {
  const list = toList(obj).flatMap((o) => o.value);
  const out: Address[] = [];
  const walk = (items: typeof list): void => {
    for (const a of items) {
      if (a.group) walk(a.group);
      else if (a.address && isAddress(a.address))
        out.push({ name: a.name ?? '', address: normalizeAddress(a.address) });
    }
  };
  walk(list);
  return out;
}

function toList<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** A Message-ID as stored and compared: angle brackets kept, no whitespace, never empty. */
function cleanId(id: string | undefined): string | null {
  if (!id) return null;
  const t = headerSafe(id).replace(/\s+/g, '');
  return t === '' || t === '<>' ? null : t;
}

function htmlVisibleText(html: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('./visible-text') as typeof import('./visible-text')).visibleText(html);
}
