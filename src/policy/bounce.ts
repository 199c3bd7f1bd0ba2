/**
 * Bounces: a delivery status notification (RFC 3464) or one of the common non-standard failure
 * notices becomes a list of failed recipients, and the VERP envelope sender says which member a
 * bounce is about. Pure and synchronous; deciding what a bounce means (is it authentic, does it
 * count) is the caller's business.
 *
 * Reading order: a message/delivery-status part inside a multipart/report is read first and is
 * authoritative. Without one, the wording of the common MTAs is read, but only from a sender that
 * looks like a machine (null Return-Path, MAILER-DAEMON, Auto-Submitted, a failure subject), so
 * that a member quoting a bounce in a post is never taken for one.
 */
import libmime from 'libmime';
import { isAddress, normalizeAddress, parseAddressList } from '../message/address';
import { headerSafe } from '../message/headers';

export interface BounceRecipient {
  address: string | null;
  status: string | null;
  action: string | null;
  diagnostic: string | null;
  permanent: boolean;
}

export interface ParsedBounce {
  kind: 'dsn' | 'heuristic';
  recipients: BounceRecipient[];
  /** the VERP token from the envelope/To address, e.g. list-bounces+TOKEN@domain */
  verpToken: string | null;
}

export interface BounceInput {
  /** Lower-case header name -> every value, unfolded (InboundMessage.headers). */
  headers: Map<string, string[]>;
  /** The message's text as mailparser gives it; used when no text/plain part can be read from raw. */
  text: string;
  raw: Buffer;
  /** The To addresses (InboundMessage.to). */
  to: string[];
  /** The list's bounce address: when given, only list-bounces+TOKEN@domain yields a token. */
  bounceAddress?: string;
}

/** A report naming more recipients than this is read up to here (we send one envelope per recipient). */
export const MAX_RECIPIENTS = 100;
const MAX_DIAGNOSTIC = 500;
/** How much of a status part or a notice's text is read. */
const MAX_SCAN = 256 * 1024;
const MAX_PARTS = 64;
const MAX_DEPTH = 6;

const ACTIONS = new Set(['failed', 'delayed', 'delivered', 'relayed', 'expanded']);
const STATUS = /([245])\.(\d{1,3})\.(\d{1,3})/;
const TOKEN = /^[A-Za-z0-9._=+-]{1,64}$/;

export function parseBounce(input: BounceInput): ParsedBounce | null {
  const verpToken = findVerpToken(input);
  const leaves = mimeLeaves(input.raw);
  const report = leaves.find((l) => l.parentType === 'multipart/report' && /^message\/(global-)?delivery-status$/.test(l.type));
  if (report) {
    const recipients = readDeliveryStatus(decodeText(report, 'utf-8'));
    if (recipients.length > 0) return { kind: 'dsn', recipients, verpToken };
  }
  const heuristic = machineSent(input.headers) ? readNotice(input, leaves) : [];
  if (heuristic.length > 0) return { kind: 'heuristic', recipients: heuristic.slice(0, MAX_RECIPIENTS), verpToken };
  // A report whose status part cannot be read is still a report: the VERP token may say who.
  return report ? { kind: 'dsn', recipients: [], verpToken } : null;
}

/** list-bounces@lists.example.org + token -> list-bounces+token@lists.example.org */
export function verpAddress(bounceAddress: string, token: string): string {
  const [local, domain] = split(bounceAddress.trim());
  if (local === '' || domain === '') throw new RangeError(`the bounce address ${JSON.stringify(bounceAddress)} is not an address`);
  if (!TOKEN.test(token)) throw new RangeError(`a VERP token is 1 to 64 of A-Z a-z 0-9 . _ = + -, not ${JSON.stringify(token.slice(0, 80))}`);
  if (local.length + 1 + token.length > 64) throw new RangeError(`the VERP address ${local}+${token}@${domain} has a local part longer than 64 characters`);
  return `${local}+${token}@${domain}`;
}

/** The token of list-bounces+token@domain, or null when the address is not a VERP form of bounceAddress. */
export function verpTokenOf(bounceAddress: string, address: string): string | null {
  const [local, domain] = split(bounceAddress.trim());
  if (local === '' || domain === '') return null;
  const [aLocal, aDomain] = split(address.trim().replace(/^<(.*)>$/, '$1'));
  if (aDomain.toLowerCase() !== domain.toLowerCase()) return null;
  if (aLocal.slice(0, local.length + 1).toLowerCase() !== `${local}+`.toLowerCase()) return null;
  const token = aLocal.slice(local.length + 1);
  return TOKEN.test(token) ? token : null;
}

function split(address: string): [string, string] {
  const at = address.lastIndexOf('@');
  return at < 0 ? [address, ''] : [address.slice(0, at), address.slice(at + 1)];
}

/** The envelope recipient first (as the delivering MTA recorded it), then the To header. */
function findVerpToken(input: BounceInput): string | null {
  const candidates = [
    ...['x-original-to', 'delivered-to', 'envelope-to', 'x-envelope-to'].flatMap((h) => (input.headers.get(h) ?? []).flatMap((v) => parseAddressList(v).map((a) => a.address))),
    ...input.to,
  ];
  for (const c of candidates) {
    if (input.bounceAddress !== undefined) {
      const token = verpTokenOf(input.bounceAddress, c);
      if (token !== null) return token;
      continue;
    }
    const [local] = split(c);
    const plus = local.indexOf('+');
    const token = plus > 0 ? local.slice(plus + 1) : '';
    if (TOKEN.test(token)) return token;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// MIME, only as far as needed: the leaves of the tree, never inside a returned message/rfc822.

interface Leaf { type: string; charset: string | undefined; parentType: string; attachment: boolean; cte: string; encoded: string }

function mimeLeaves(raw: Buffer): Leaf[] {
  const leaves: Leaf[] = [];
  let parts = 0;
  const visit = (s: string, parentType: string, depth: number): void => {
    parts += 1;
    if (parts > MAX_PARTS) return;
    const { head, body } = splitPart(s);
    const fields = fieldsOf(head);
    const ct = contentType(fields.get('content-type'));
    if (ct.type.startsWith('multipart/')) {
      const boundary = ct.params.boundary;
      if (!boundary || boundary.length > 200 || depth >= MAX_DEPTH) return;
      for (const child of splitMultipart(body, boundary)) visit(child, ct.type, depth + 1);
      return;
    }
    // A returned or forwarded message is the sender's text, not the notice: never read inside it.
    if (ct.type === 'message/rfc822' || ct.type === 'message/global') return;
    leaves.push({
      type: ct.type,
      charset: ct.params.charset,
      parentType,
      attachment: /^\s*attachment/i.test(fields.get('content-disposition') ?? ''),
      cte: (fields.get('content-transfer-encoding') ?? '').trim().toLowerCase(),
      encoded: body,
    });
  };
  visit(raw.toString('latin1'), '', 0);
  return leaves;
}

function splitPart(s: string): { head: string; body: string } {
  const lead = /^\r?\n/.exec(s);
  if (lead) return { head: '', body: s.slice(lead[0].length) };
  const m = /\r?\n\r?\n/.exec(s);
  return m ? { head: s.slice(0, m.index), body: s.slice(m.index + m[0].length) } : { head: s, body: '' };
}

/** Header fields of a block, names lower-cased, the first of each name kept, folding undone. */
function fieldsOf(block: string): Map<string, string> {
  const fields = new Map<string, string>();
  let last: string | null = null;
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line)) {
      if (last !== null && fields.has(last)) fields.set(last, `${fields.get(last)} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : '';
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) { last = null; continue; }
    last = fields.has(name) ? null : name;
    if (last !== null) fields.set(name, line.slice(colon + 1).trim());
  }
  return fields;
}

function contentType(value: string | undefined): { type: string; params: Record<string, string | undefined> } {
  if (!value) return { type: 'text/plain', params: {} };
  const parsed = libmime.parseHeaderValue(value);
  const params: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(parsed.params ?? {})) if (typeof v === 'string') params[k.toLowerCase()] = v;
  return { type: String(parsed.value ?? '').trim().toLowerCase() || 'text/plain', params };
}

function splitMultipart(body: string, boundary: string): string[] {
  const esc = boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const delimiter = new RegExp(`(?:^|\\r?\\n)--${esc}(--)?[ \\t]*(?:\\r?\\n|$)`, 'g');
  const parts: string[] = [];
  let start = -1;
  for (let m = delimiter.exec(body); m !== null; m = delimiter.exec(body)) {
    if (start >= 0) parts.push(body.slice(start, m.index));
    if (m[1] !== undefined || parts.length >= MAX_PARTS) return parts;
    start = delimiter.lastIndex;
  }
  if (start >= 0) parts.push(body.slice(start));
  return parts;
}

function decodeText(leaf: Leaf, fallbackCharset: string): string {
  const encoded = leaf.encoded.length > MAX_SCAN * 2 ? leaf.encoded.slice(0, MAX_SCAN * 2) : leaf.encoded;
  let bytes: Buffer;
  if (leaf.cte === 'base64') bytes = Buffer.from(encoded.replace(/[^A-Za-z0-9+/]/g, ''), 'base64');
  else if (leaf.cte === 'quoted-printable') bytes = decodeQuotedPrintable(encoded);
  else bytes = Buffer.from(encoded, 'latin1');
  bytes = bytes.subarray(0, MAX_SCAN);
  try {
    return new TextDecoder(leaf.charset ?? fallbackCharset).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

function decodeQuotedPrintable(s: string): Buffer {
  const text = s.replace(/=[ \t]*\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < text.length; i += 1) {
    const hex = text[i] === '=' ? text.slice(i + 1, i + 3) : '';
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      out.push(parseInt(hex, 16));
      i += 2;
    } else {
      out.push(text.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(out);
}

// ---------------------------------------------------------------------------------------------
// RFC 3464: a per-message block, then one block of fields per recipient.

function readDeliveryStatus(text: string): BounceRecipient[] {
  const out: BounceRecipient[] = [];
  for (const block of text.split(/\r?\n[ \t]*\r?\n/)) {
    const f = fieldsOf(block.replace(/^(?:[ \t]*\r?\n)+/, ''));
    if (!['final-recipient', 'original-recipient', 'action', 'status'].some((k) => f.has(k))) continue;
    const action = actionOf(f.get('action'));
    const status = statusOf(f.get('status'));
    out.push({
      address: typedAddress(f.get('final-recipient')) ?? typedAddress(f.get('original-recipient')),
      status,
      action,
      diagnostic: clean(f.get('diagnostic-code')),
      permanent: isPermanent(action, status),
    });
    if (out.length >= MAX_RECIPIENTS) break;
  }
  return out;
}

/**
 * The Action decides when it is there: failed is permanent (also after a 4.x.x the MTA gave up
 * on); delayed, delivered, relayed and expanded are not. Without a readable Action, a 5.x.x Status
 * is. Unreadable fields count as not permanent: garbage never counts against a member.
 */
function isPermanent(action: string | null, status: string | null): boolean {
  if (action !== null) return action === 'failed';
  return status !== null && status.startsWith('5');
}

function actionOf(value: string | undefined): string | null {
  const word = value?.trim().split(/[\s;(]/)[0]?.toLowerCase() ?? '';
  return ACTIONS.has(word) ? word : null;
}

function statusOf(value: string | undefined): string | null {
  const m = value === undefined ? null : new RegExp(`^\\s*${STATUS.source}(?![\\d.])`).exec(value);
  return m ? `${m[1]}.${Number(m[2])}.${Number(m[3])}` : null;
}

/** "rfc822; user@example.net" (or utf-8;, or no type, or <angle brackets>) -> the address. */
function typedAddress(value: string | undefined): string | null {
  if (value === undefined) return null;
  const semi = value.indexOf(';');
  return plainAddress(semi >= 0 ? value.slice(semi + 1) : value);
}

function plainAddress(value: string): string | null {
  const a = value.trim().replace(/^<(.*)>$/, '$1').trim();
  return a.length <= 320 && isAddress(a) ? normalizeAddress(a) : null;
}

/** Text from a mail on its way into our logs or database: one line, no controls, bounded. */
function clean(value: string | undefined): string | null {
  if (value === undefined) return null;
  const v = headerSafe(value).slice(0, MAX_DIAGNOSTIC);
  return v === '' ? null : v;
}

function statusIn(text: string | null): string | null {
  const m = text === null ? null : new RegExp(`(?<![\\d.])${STATUS.source}(?![\\d.])`).exec(text);
  return m ? `${m[1]}.${Number(m[2])}.${Number(m[3])}` : null;
}

// ---------------------------------------------------------------------------------------------
// The non-standard notices: who writes them, and how their recipients are laid out.

const FAILURE_SUBJECT = /^\s*(undeliverable|undelivered mail|mail delivery failed|delivery status notification|failure notice|returned mail|delivery failure|non[- ]?delivery|delayed mail|warning: message .* delayed|mail system error)/i;
const DAEMON = /^(mailer-daemon|mailer_daemon|mailerdaemon|mail-daemon|postmaster|microsoftexchange[0-9a-f]*)$/i;

/** A sender that looks like a machine reporting on delivery; the heuristics read nothing else. */
function machineSent(headers: Map<string, string[]>): boolean {
  const first = (name: string): string => headers.get(name)?.[0] ?? '';
  if (/^<\s*>$/.test(first('return-path').trim())) return true;
  const from = first('from');
  const local = parseAddressList(from)[0]?.address.split('@')[0] ?? '';
  if (DAEMON.test(local) || /mail delivery (sub)?system/i.test(from)) return true;
  const auto = first('auto-submitted').trim().toLowerCase();
  if (auto !== '' && !auto.startsWith('no')) return true;
  return FAILURE_SUBJECT.test(libmime.decodeWords(first('subject')));
}

interface Notice { name: string; detect: RegExp; read(text: string): Found[] }
interface Found { address: string; diagnostic: string | null; delayed: boolean }

const COPY_MARKERS = [
  /^-{2,}\s*This is a copy of the message/im, // Exim
  /^-{2,}\s*The (?:headers|body) of the message/im, // Exim
  /^-{2,}\s*Below this line is a copy of the message/im, // qmail
  /^-{2,}\s*Original message/im,
  /^Original message headers:/im, // Microsoft
  /^-{2,}\s*Forwarded message/im,
];

/** The notice's own text: the first text/plain part outside any returned message, up to the copy. */
function noticeText(input: BounceInput, leaves: Leaf[]): string {
  const part = leaves.find((l) => l.type === 'text/plain' && !l.attachment);
  let text = (part ? decodeText(part, 'utf-8') : input.text).replace(/\r\n?/g, '\n').slice(0, MAX_SCAN);
  for (const marker of COPY_MARKERS) {
    const m = marker.exec(text);
    if (m) text = text.slice(0, m.index);
  }
  return text;
}

function readNotice(input: BounceInput, leaves: Leaf[]): BounceRecipient[] {
  const text = noticeText(input, leaves);
  let found: Found[] = [];
  for (const notice of NOTICES) {
    if (!notice.detect.test(text)) continue;
    found = notice.read(text);
    if (found.length > 0) break;
  }
  if (found.length === 0) {
    // Exim and Gmail name what failed (never what is delayed) in a header of their own.
    found = (input.headers.get('x-failed-recipients') ?? []).flatMap((v) => v.split(','))
      .map((v) => plainAddress(v)).filter((a): a is string => a !== null)
      .map((address) => ({ address, diagnostic: null, delayed: false }));
  }
  const seen = new Set<string>();
  const out: BounceRecipient[] = [];
  for (const f of found) {
    if (seen.has(f.address)) continue;
    seen.add(f.address);
    const diagnostic = clean(f.diagnostic ?? undefined);
    const action = f.delayed ? 'delayed' : 'failed';
    out.push({ address: f.address, status: statusIn(diagnostic), action, diagnostic, permanent: isPermanent(action, null) });
  }
  return out;
}

const ADDRESS = /<?([^\s<>()[\]:;,"']+@[^\s<>()[\]:;,"']+\.[A-Za-z0-9-]+)>?/;
/** A line that starts with an address, optionally in angle brackets. */
const ADDRESS_LINE = new RegExp(`^\\s*${ADDRESS.source}`);

/** Lines, each cut at 2,000 characters: no line of a notice is longer, and no pattern runs long. */
function lines(text: string): string[] {
  return text.split('\n').map((l) => (l.length > 2000 ? l.slice(0, 2000) : l));
}

/** Postfix and qmail: "<user@example.net>: reason", the reason running on until a blank line. */
function readAngleLines(text: string, delayed: boolean): Found[] {
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

/** Exim: after "...failed:", each address indented by two, its reasons indented further. */
function readExim(text: string): Found[] {
  const all = lines(text);
  const start = all.findIndex((l) => /(address(?:\(es\))?\s+failed|has not yet been delivered (?:is|are)):\s*$/i.test(l));
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

/** Lines after a marker that start with an address, blank lines skipped, up to the first other line. */
function addressesAfter(text: string, marker: RegExp): string[] {
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

/** The paragraph after a marker line ("The response was:"), as one line. */
function paragraphAfter(text: string, marker: RegExp): string | null {
  const m = marker.exec(text);
  if (!m) return null;
  const rest = text.slice(m.index + m[0].length).replace(/^[^\n]*\n/, '').replace(/^\s*\n/, '');
  return rest.split(/\n[ \t]*\n/)[0]?.trim() || null;
}

function readGmail(text: string): Found[] {
  const delayed = /Delivery incomplete|temporary problem delivering|has been delayed|will retry/i.test(text);
  const diagnostic = paragraphAfter(text, /The (?:response(?: from the remote server)? was|error that the other server returned was):/i);
  const addresses = new Set<string>();
  for (const m of text.matchAll(/(?:wasn't delivered to|problem delivering your message to)\s+(\S+?)[.,]?(?:\s|$)/gi)) {
    const a = plainAddress(m[1]!);
    if (a !== null) addresses.add(a);
  }
  for (const a of addressesAfter(text, /Delivery to the following recipients? (?:failed permanently|has been delayed):/i)) addresses.add(a);
  return [...addresses].map((address) => ({ address, diagnostic, delayed }));
}

/**
 * Microsoft: the addresses under "Delivery has failed to these recipients or groups:" (or the
 * older "could not be reached:"), each with the reason that follows it, and the code the
 * "Diagnostic information for administrators" gives under the same address.
 */
function readMicrosoft(text: string): Found[] {
  const delayed = /Delivery has been delayed|hasn't been delivered yet|will (?:continue|keep) (?:to )?try/i.test(text);
  const admin = /^Diagnostic information for administrators:?\s*$/im.exec(text);
  const userPart = admin ? text.slice(0, admin.index) : text;
  const adminPart = admin ? text.slice(admin.index) : '';
  const found = new Map<string, string[]>();
  const start = /(?:Delivery has (?:failed|been delayed) to these recipients or groups:|recipient\(s\) (?:could not|cannot) be reached:)/i.exec(userPart);
  let current: string[] | null = null;
  if (start) {
    for (const line of lines(userPart.slice(start.index + start[0].length))) {
      const m = ADDRESS_LINE.exec(line) ?? /^\s*[^@<>()\n]{1,80}\(([^()\s]+@[^()\s]+)\)/.exec(line);
      const address = m ? plainAddress(m[1]!) : null;
      if (address !== null) {
        current = found.get(address) ?? [];
        found.set(address, current);
        const rest = line.slice(m![0].length).replace(/<mailto:[^>]*>/gi, '').trim();
        if (rest && !/^on \d/.test(rest)) current.push(rest);
      } else if (current && line.trim() !== '') {
        current.push(line.trim());
      }
    }
  }
  for (const m of userPart.matchAll(/Your message to (\S+?) couldn't be delivered/gi)) {
    const a = plainAddress(m[1]!);
    if (a !== null && !found.has(a)) found.set(a, []);
  }
  const adminLines = lines(adminPart);
  for (let i = 0; i < adminLines.length; i += 1) {
    const m = ADDRESS_LINE.exec(adminLines[i]!);
    const address = m ? plainAddress(m[1]!) : null;
    const next = adminLines[i + 1] ?? '';
    const code = /Remote Server returned '([^']*)'/i.exec(next)?.[1] ?? /^#?(\d{3}[ -]\d\.\d{1,3}\.\d{1,3}[^#]*)#*/.exec(next.trim())?.[1];
    if (address !== null && code !== undefined) found.set(address, [code.trim(), ...(found.get(address) ?? [])]);
  }
  return [...found].slice(0, MAX_RECIPIENTS).map(([address, diag]) => ({ address, diagnostic: diag.join(' ') || null, delayed }));
}

const NOTICES: Notice[] = [
  {
    name: 'qmail',
    detect: /This is the qmail-send program/i,
    read: (t) => readAngleLines(t, /This is a temporary error|I'll keep trying/i.test(t) && !/permanent error/i.test(t)),
  },
  {
    name: 'exim',
    detect: /This message was created automatically by mail delivery software/i,
    read: readExim,
  },
  {
    name: 'postfix',
    detect: /I'm sorry to have to inform you|This is the mail system at host/i,
    read: (t) => readAngleLines(t, /THIS IS A WARNING ONLY|still being retried|will continue to try/i.test(t)),
  },
  {
    name: 'gmail',
    detect: /Address not found|Delivery Status Notification \((?:Failure|Delay)\)|Message not delivered|Delivery incomplete|Delivery to the following recipients? (?:failed permanently|has been delayed)|wasn't delivered to/i,
    read: readGmail,
  },
  {
    name: 'microsoft',
    detect: /Delivery has (?:failed|been delayed) to these recipients or groups|recipient\(s\) (?:could not|cannot) be reached|couldn't be delivered|did not reach some or all of the intended recipients/i,
    read: readMicrosoft,
  },
];
