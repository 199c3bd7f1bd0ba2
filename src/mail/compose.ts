/**
 * Composes the mails we write ourselves (notices, answers) into RFC 5322 bytes, synchronously,
 * so that an action can put them in the outbox inside its transaction. Header encoding and
 * address formatting are nodemailer's; the body is quoted-printable UTF-8 text.
 */
import crypto from 'node:crypto';
import MimeNode from 'nodemailer/lib/mime-node';
import * as qp from 'nodemailer/lib/qp';
import type { Config } from '../config';
import { domainOf } from '../message/address';
import type { Rendered } from './templates';

export interface NoticeMail {
  to: string[];
  rendered: Rendered;
  /** auto-replied: an answer to a mail; auto-generated: a notice of our own (RFC 3834). */
  autoSubmitted: 'auto-replied' | 'auto-generated';
  inReplyTo?: string | null;
  references?: string[];
  /** A Message-ID of our choosing, e.g. one that carries a token; default a random one. */
  messageId?: string;
  /** The To header when it differs from the envelope recipients (a notice to the list's members). */
  headerTo?: string[];
  replyTo?: string;
  /** Parts after the text (multipart/mixed): a message as it came in, or its header alone. */
  attachments?: NoticeAttachment[];
}

/**
 * A message attached to a notice (message/rfc822, RFC 2046) or its header alone
 * (text/rfc822-headers, RFC 6522). The bytes go in as they are, line ends made CRLF, as 7bit or
 * 8bit; a message no SMTP server would carry that way (a line over 998 octets, a NUL, a bare CR)
 * goes in base64, which RFC 2046 does not allow for message/rfc822 but mail readers open.
 */
export interface NoticeAttachment {
  contentType: 'message/rfc822' | 'text/rfc822-headers';
  filename: string;
  content: Buffer;
}

export function listDomain(config: Config): string {
  return domainOf(config.list.address);
}

export function newMessageId(config: Config): string {
  return `<${crypto.randomUUID()}@${listDomain(config)}>`;
}

/** A Message-ID that carries a token, so that a reply's In-Reply-To and References bring it back. */
export function tokenMessageId(config: Config, token: string, tag: string): string {
  return `<${tag}.${crypto.randomBytes(4).toString('hex')}.tk-${token}@${listDomain(config)}>`;
}

export function composeNotice(config: Config, mail: NoticeMail, now: Date): { raw: Buffer; messageId: string } {
  const messageId = mail.messageId ?? newMessageId(config);
  const attachments = mail.attachments ?? [];
  const node = new MimeNode(attachments.length > 0 ? 'multipart/mixed' : 'text/plain; charset=utf-8');
  node.setHeader('From', { name: config.list.name, address: config.list.requestsAddress });
  node.setHeader('To', mail.headerTo ?? mail.to);
  if (mail.replyTo) node.setHeader('Reply-To', mail.replyTo);
  node.setHeader('Subject', mail.rendered.subject);
  node.setHeader('Date', now.toUTCString().replace('GMT', '+0000'));
  node.setHeader('Message-ID', messageId);
  if (mail.inReplyTo) node.setHeader('In-Reply-To', mail.inReplyTo);
  const refs = [...(mail.references ?? []), ...(mail.inReplyTo ? [mail.inReplyTo] : [])];
  if (refs.length > 0) node.setHeader('References', [...new Set(refs)].join(' '));
  node.setHeader('Auto-Submitted', mail.autoSubmitted);
  node.setHeader('X-Auto-Response-Suppress', 'All');
  node.setHeader('X-Loop', config.list.address);
  const text = mail.rendered.text.replace(/\r?\n/g, '\r\n');
  if (attachments.length > 0) return { raw: withAttachments(node, text, attachments), messageId };
  node.setHeader('Content-Transfer-Encoding', 'quoted-printable');
  const head = node.buildHeaders();
  return { raw: Buffer.from(`${head}\r\n\r\n${qp.wrap(qp.encode(text), 76)}`, 'utf8'), messageId };
}

/** The text, then each attachment, as multipart/mixed under the root's headers. */
function withAttachments(root: MimeNode, text: string, attachments: NoticeAttachment[]): Buffer {
  const head = root.buildHeaders(); // makes the boundary
  const boundary = `--${root.boundary}`;
  const chunks: Buffer[] = [
    Buffer.from(
      `${head}\r\n\r\n${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `Content-Transfer-Encoding: quoted-printable\r\n\r\n${qp.wrap(qp.encode(text), 76)}\r\n`,
      'utf8',
    ),
  ];
  for (const a of attachments) {
    const crlf = Buffer.from(a.content.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
    const encoding = transferEncoding(crlf);
    const part = root.createChild(
      a.contentType === 'text/rfc822-headers' ? 'text/rfc822-headers; charset=utf-8' : a.contentType,
      { filename: a.filename },
    );
    part.setHeader('Content-Transfer-Encoding', encoding);
    // The line end before the next boundary belongs to the boundary (RFC 2046): the bytes end as they did.
    const body =
      encoding === 'base64'
        ? Buffer.from(`${(a.content.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n')}\r\n`)
        : Buffer.concat([crlf, Buffer.from('\r\n')]);
    chunks.push(Buffer.from(`${boundary}\r\n${part.buildHeaders()}\r\n\r\n`, 'utf8'), body);
  }
  chunks.push(Buffer.from(`${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

/** 7bit or 8bit when every line is under SMTP's 998 octets and holds no NUL or bare CR; else base64. */
function transferEncoding(crlf: Buffer): '7bit' | '8bit' | 'base64' {
  const s = crlf.toString('latin1');
  if (s.includes('\0') || /\r(?!\n)/.test(s) || s.split('\r\n').some((line) => line.length > 998)) return 'base64';
  return crlf.some((byte) => byte > 0x7f) ? '8bit' : '7bit';
}
